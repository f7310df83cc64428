import Foundation
import Hummingbird
import MobiliseDomain
import MobiliseStore
import NIOCore

/// The caller, the workforce (HR) and the audit log (HR).
struct PeopleRoutes {
    let environment: APIEnvironment
    var store: MobiliseStore { environment.store }

    func register(on v1: RouterGroup<AuthenticatedContext>) {
        v1.get("me", use: me)
        v1.get("employees", use: employees)
        v1.get("workforce", use: workforce)
        v1.post("employees/import", use: importEmployees)
        v1.get("audit", use: audit)
        registerPersonalData(on: v1)
    }

    @Sendable func me(_ request: Request, context: AuthenticatedContext) async throws -> MeResponse {
        let caller = context.identity
        let employee = try await store.employee(organisationID: caller.organisation.id, externalID: caller.subject)
        return MeResponse(
            subject: caller.subject, roles: caller.roles.sorted { $0.rawValue < $1.rawValue },
            organisation: .init(slug: caller.organisation.slug, name: caller.organisation.name),
            employee: employee.map(EmployeeResponse.init))
    }

    @Sendable func employees(_ request: Request, context: AuthenticatedContext) async throws -> EmployeePage {
        let caller = context.identity
        try caller.require(.hrAdmin)
        let limit = try request.integer("limit", in: 1...1000) ?? 100
        let page = try await store.employees(
            organisationID: caller.organisation.id, country: request.query("country"),
            search: request.query("q").flatMap { $0.isEmpty ? nil : $0 }, after: request.query("cursor"), limit: limit)
        return EmployeePage(employees: page.map(EmployeeResponse.init), nextCursor: page.count == limit ? page.last?.externalID : nil)
    }

    /// HR: the workforce per country (active and inactive employees), largest first.
    @Sendable func workforce(_ request: Request, context: AuthenticatedContext) async throws -> WorkforceResponse {
        let caller = context.identity
        try caller.require(.hrAdmin)
        let countries = try await store.workforceByCountry(organisationID: caller.organisation.id)
        return WorkforceResponse(
            active: countries.reduce(0) { $0 + $1.active }, inactive: countries.reduce(0) { $0 + $1.inactive },
            countries: countries.map { .init(country: $0.country, active: $0.active, inactive: $0.inactive) })
    }

    /// The workforce file: `text/csv` (Mobilise's CSV streams into the import, never held whole; any
    /// other encoding, delimiter or the organisation's column mapping is converted first, see
    /// ``HRFile``) or an XLSX workbook; `?mode=upsert|full_sync`, `&dry_run=true` for what it would
    /// change, `&confirm_deactivations=N` past the full-sync guard.
    @Sendable func importEmployees(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let caller = context.identity
        try caller.require(.hrAdmin)
        guard let contentType = request.headers[.contentType]?.lowercased(),
              Self.workforceFileTypes.contains(where: { contentType.hasPrefix($0) })
        else {
            throw APIError(.unsupportedMediaType, code: .unsupportedMediaType,
                           "send the workforce file as text/csv, or an XLSX workbook as \(Self.workforceFileTypes[1])")
        }
        guard let mode = ImportMode(name: request.query("mode") ?? "upsert") else {
            throw APIError.badRequest(.invalidParameter, ImportMode.expected)
        }
        let options = try importOptions(request)
        try environment.importLimiter.check(caller.organisation.id, what: "imports")
        // An import holds its good rows in memory until they are loaded: a few at a time, whatever
        // the number of organisations and admins.
        guard environment.importsInProgress.enter() else {
            throw APIError(
                .tooManyRequests, code: .importBusy,
                "\(environment.importsInProgress.limit) workforce imports are already running; try again shortly",
                headers: [.retryAfter: "10"])
        }
        // With `Prefer: respond-async`, a job readable by id (ImportJobRoutes), which leaves the slot when it ends.
        if ImportJobRoutes.prefersAsync(request) {
            return try await startImportJob(request, caller: caller, contentType: contentType, mode: mode, options: options, logger: context.logger)
        }
        defer { environment.importsInProgress.leave() }
        let limit = environment.configuration.maxImportSize
        let mapping = try await store.workforceColumnMapping(organisationID: caller.organisation.id)
        let chunks = WorkforceFileChunks(
            LimitedBody(body: request.body, limit: limit), mapping: mapping, workbook: contentType.hasPrefix(Self.workforceFileTypes[1]))
        let report = try await store.importEmployees(
            organisationID: caller.organisation.id, csv: chunks, mode: mode, actor: caller.actor, options: options)
        return try jsonResponse(ImportResponse(report, guard: options.deactivationGuard), status: .ok)
    }

    /// `dry_run=true` (report only), `confirm_deactivations=N` (the full-sync guard's confirmation),
    /// and the guard's share from the configuration.
    func importOptions(_ request: Request) throws -> ImportOptions {
        var dryRun = false
        if let text = request.query("dry_run") {
            switch text.lowercased() {
            case "true", "1": dryRun = true
            case "false", "0": dryRun = false
            default: throw APIError.badRequest(.invalidParameter, "dry_run is true or false")
            }
        }
        return ImportOptions(
            dryRun: dryRun, deactivationGuard: environment.configuration.fullSyncGuard,
            confirmedDeactivations: try request.integer("confirm_deactivations", in: 0...Int(Int32.max)))
    }

    /// What the import takes: CSV (any charset; the bytes decide) and XLSX workbooks.
    static let workforceFileTypes = [
        "text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/octet-stream",
    ]

    @Sendable func audit(_ request: Request, context: AuthenticatedContext) async throws -> AuditPage {
        let caller = context.identity
        try caller.require(.hrAdmin)
        let limit = try request.integer("limit", in: 1...500) ?? 50
        var cursor: Int64?
        if let text = request.query("cursor") {
            guard let value = Int64(text) else { throw APIError.badRequest(.invalidCursor, "cursor is the next_cursor of a previous page") }
            cursor = value
        }
        let entries = try await store.auditLog(
            organisationID: caller.organisation.id, before: cursor, action: request.query("action").flatMap { $0.isEmpty ? nil : $0 },
            actor: request.query("actor").flatMap { $0.isEmpty ? nil : $0 }, limit: limit)
        return AuditPage(
            entries: entries.map { .init(id: $0.id, at: $0.at, actor: $0.actor, action: $0.action, subject: $0.subject, details: $0.details) },
            nextCursor: entries.count == limit ? entries.last.map { String($0.id) } : nil)
    }
}

/// A request body as byte chunks, failing with 413 past `limit` bytes.
struct LimitedBody: AsyncSequence, Sendable {
    typealias Element = ByteBufferView
    let body: RequestBody
    let limit: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        var inner: RequestBody.AsyncIterator
        let limit: Int
        var seen = 0

        mutating func next() async throws -> ByteBufferView? {
            guard let buffer = try await inner.next() else { return nil }
            seen += buffer.readableBytes
            guard seen <= limit else { throw APIError(.contentTooLarge, code: .tooLarge, "the file is larger than \(limit) bytes") }
            return buffer.readableBytesView
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(inner: body.makeAsyncIterator(), limit: limit) }
}

extension PeopleRoutes {
    func registerPersonalData(on v1: RouterGroup<AuthenticatedContext>) {
        v1.get("me/export", use: export)
        v1.delete("employees/:employee", use: erase)
    }

    /// Everything stored about the caller (GDPR access), as a JSON download.
    @Sendable func export(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let caller = context.identity
        try caller.require(.employee)
        guard let export = try await store.exportPersonalData(organisationID: caller.organisation.id, externalID: caller.subject) else {
            throw APIError(.notFound, code: .employeeNotFound, "there is no employee record for you in this organisation")
        }
        var response = try jsonResponse(export, status: .ok)
        response.headers[.contentDisposition] = "attachment; filename=\"mobilise-export.json\""
        return response
    }

    /// HR: erase an employee (GDPR). Their signatures stay counted, anonymised; they leave the eligible headcounts like a leaver.
    @Sendable func erase(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let caller = context.identity
        try caller.require(.hrAdmin)
        let externalID = try context.parameters.require("employee")
        guard try await store.eraseEmployee(organisationID: caller.organisation.id, externalID: externalID, actor: caller.actor) != nil else {
            throw APIError(.notFound, code: .employeeNotFound, "no employee '\(externalID)' in this organisation")
        }
        return Response(status: .noContent)
    }
}
