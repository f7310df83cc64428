import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MobiliseDomain
import MobiliseStore
import NIOCore
import Synchronization

/// Workforce imports as jobs readable by id (sql/0026). `POST /v1/employees/import` with
/// `Prefer: respond-async` answers `202` with the job once the file has arrived, and the import goes
/// on on the server after the request ends (a browser may leave, reload, close its tab);
/// `GET /v1/imports/{id}` tells its state and progress and, at the end, its report. Without the
/// header the import answers when it is done, as before (the `mobilise` command, scripts).
///
/// The job's task writes its progress and a heartbeat every second; a job whose heartbeat stops
/// (its instance restarted or died) is failed by the next reader (``MobiliseStore/importJobHeartbeatTimeout``).
struct ImportJobRoutes {
    let environment: APIEnvironment
    var store: MobiliseStore { environment.store }

    func register(on v1: RouterGroup<AuthenticatedContext>) {
        v1.get("imports", use: list)
        v1.get("imports/:import", use: show)
        v1.get("imports/:import/rejections", use: rejections)
    }

    /// `Prefer: respond-async` (RFC 7240) asks for the job.
    static func prefersAsync(_ request: Request) -> Bool {
        guard let prefer = HTTPField.Name("Prefer"), let value = request.headers[prefer] else { return false }
        return value.lowercased().split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == "respond-async" }
    }

    /// At most this many rejected lines in a job's report; the rest through `/rejections`.
    static let reportRejections = 100

    func jobID(_ context: AuthenticatedContext) throws -> UUID {
        let text = try context.parameters.require("import")
        guard let id = UUID(uuidString: text) else { throw APIError(.notFound, code: .importNotFound, "no import '\(text)' in this organisation") }
        return id
    }

    @Sendable func show(_ request: Request, context: AuthenticatedContext) async throws -> ImportJobResponse {
        let caller = context.identity
        try caller.require(.hrAdmin)
        let id = try jobID(context)
        guard let job = try await store.importJob(organisationID: caller.organisation.id, id: id) else {
            throw APIError(.notFound, code: .importNotFound, "no import '\(id)' in this organisation")
        }
        return try await response(job, organisationID: caller.organisation.id)
    }

    /// The job as the API shows it: with the first rejected lines once it has a report.
    func response(_ job: ImportJob, organisationID: UUID) async throws -> ImportJobResponse {
        var rejected: [WorkforceRejection] = []
        if let report = job.report, report.rejectedCount > 0 {
            rejected = try await store.importJobRejections(organisationID: organisationID, jobID: job.id, limit: Self.reportRejections + 1)
        }
        return ImportJobResponse(job, rejected: rejected, pageSize: Self.reportRejections)
    }

    @Sendable func list(_ request: Request, context: AuthenticatedContext) async throws -> ImportJobPage {
        let caller = context.identity
        try caller.require(.hrAdmin)
        let limit = try request.integer("limit", in: 1...100) ?? 20
        var cursor: UUID?
        if let text = request.query("cursor") {
            guard let value = UUID(uuidString: text) else { throw APIError.badRequest(.invalidCursor, "cursor is the next_cursor of a previous page") }
            cursor = value
        }
        let jobs = try await store.importJobs(organisationID: caller.organisation.id, before: cursor, limit: limit)
        return ImportJobPage(
            imports: jobs.map { ImportJobResponse($0, rejected: [], pageSize: 0, listed: true) },
            nextCursor: jobs.count == limit ? jobs.last.map(\.id.uuidString) : nil)
    }

    @Sendable func rejections(_ request: Request, context: AuthenticatedContext) async throws -> RejectionPage {
        let caller = context.identity
        try caller.require(.hrAdmin)
        let id = try jobID(context)
        guard try await store.importJob(organisationID: caller.organisation.id, id: id) != nil else {
            throw APIError(.notFound, code: .importNotFound, "no import '\(id)' in this organisation")
        }
        let limit = try request.integer("limit", in: 1...1000) ?? 100
        var after: Int?
        if let text = request.query("cursor") {
            guard let value = Int(text), value >= 0 else { throw APIError.badRequest(.invalidCursor, "cursor is the next_cursor of a previous page") }
            after = value
        }
        let lines = try await store.importJobRejections(organisationID: caller.organisation.id, jobID: id, after: after, limit: limit)
        return RejectionPage(
            rejected: lines.map { .init(line: $0.line, error: $0.error) },
            nextCursor: lines.count == limit ? lines.last.map { String($0.line) } : nil)
    }
}

// MARK: - Running a job

/// What a running job has done so far: written by the import's callbacks, read by its heartbeat.
final class ImportJobProgress: Sendable {
    struct Snapshot: Sendable {
        var state: ImportJobState = .uploading
        var bytes = 0
        var rows = 0
    }
    private let state = Mutex(Snapshot())

    var snapshot: Snapshot { state.withLock { $0 } }
    func received(_ count: Int) { state.withLock { $0.bytes += count } }
    func read(_ rows: Int) { state.withLock { $0.rows = rows } }
    func enter(_ phase: ImportJobState) { state.withLock { $0.state = phase } }
}

/// The request body as it arrives, counted, with a call when it ends (the file has arrived).
struct ObservedBody: AsyncSequence, Sendable {
    typealias Element = ByteBufferView
    let base: LimitedBody
    let progress: ImportJobProgress
    let ended: @Sendable () -> Void

    struct AsyncIterator: AsyncIteratorProtocol {
        var inner: LimitedBody.AsyncIterator
        let progress: ImportJobProgress
        let ended: @Sendable () -> Void

        mutating func next() async throws -> ByteBufferView? {
            guard let chunk = try await inner.next() else {
                ended()
                return nil
            }
            progress.received(chunk.count)
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(inner: base.makeAsyncIterator(), progress: progress, ended: ended) }
}

extension PeopleRoutes {
    /// The import as a job (``ImportJobRoutes``): runs on a task of its own, which holds the import
    /// slot (`importsInProgress`, entered by the caller) until the job ends. Answers `202` once the
    /// file has arrived (or the job has already ended: a refused header, a file too large).
    func startImportJob(
        _ request: Request, caller: Identity, contentType: String, mode: ImportMode, options: ImportOptions, logger: Logger
    ) async throws -> Response {
        let organisationID = caller.organisation.id
        let job: ImportJob
        do {
            job = try await store.createImportJob(
                organisationID: organisationID, actor: caller.actor, fileName: request.query("file_name").flatMap { $0.isEmpty ? nil : $0 },
                mode: mode, dryRun: options.dryRun)
        } catch {
            environment.importsInProgress.leave()
            throw error
        }
        let progress = ImportJobProgress()
        let (arrived, arrival) = AsyncStream.makeStream(of: Never.self)
        let body = ObservedBody(
            base: LimitedBody(body: request.body, limit: environment.configuration.maxImportSize), progress: progress,
            ended: {
                progress.enter(.validating)
                arrival.finish()
            })
        let workbook = contentType.hasPrefix(Self.workforceFileTypes[1])
        let store = self.store
        let slots = environment.importsInProgress
        let share = options.deactivationGuard
        let actor = caller.actor
        // Not a child of the request: the job goes on when the request has ended.
        Task {
            defer {
                slots.leave()
                arrival.finish()
            }
            // The heartbeat: the job's progress every second, while it runs.
            let heartbeat = Task {
                while !Task.isCancelled {
                    do { try await Task.sleep(for: .seconds(1)) } catch { return }
                    let now = progress.snapshot
                    do {
                        try await store.recordImportJobProgress(
                            organisationID: organisationID, jobID: job.id, state: now.state, bytesReceived: now.bytes, rowsRead: now.rows)
                    } catch {
                        logger.warning("import job progress not recorded", metadata: ["import.id": "\(job.id)", "error": "\(error)"])
                    }
                }
            }
            defer { heartbeat.cancel() }
            do {
                let mapping = try await store.workforceColumnMapping(organisationID: organisationID)
                let chunks = WorkforceFileChunks(body, mapping: mapping, workbook: workbook)
                let report = try await store.importEmployees(
                    organisationID: organisationID, csv: chunks, mode: mode, actor: actor, options: options,
                    progress: { rows in progress.read(rows) }, merging: { progress.enter(.merging) })
                heartbeat.cancel()
                try await store.finishImportJob(
                    organisationID: organisationID, jobID: job.id, report: report, deactivationGuard: share, bytesReceived: progress.snapshot.bytes)
            } catch {
                heartbeat.cancel()
                let now = progress.snapshot
                let state: ImportJobState
                let answer: APIError
                if let refusal = error as? MobiliseError, refusal.code == .fullSyncUnconfirmed {
                    state = .held
                    answer = APIError(.conflict, code: refusal.code, refusal.message)
                } else if now.state == .uploading, !(error is MobiliseError), !(error is APIError) {
                    // The body stopped before its end: the page was closed, the connection lost.
                    state = .failed
                    answer = APIError(.badRequest, code: .uploadInterrupted,
                                      "the file stopped arriving after \(now.bytes) bytes (the page was closed or the connection lost); nothing was written: send it again")
                } else {
                    state = .failed
                    answer = APIError.from(error, logger: logger)
                }
                do {
                    try await store.endImportJob(
                        organisationID: organisationID, jobID: job.id, state: state, code: answer.code.rawValue, message: answer.message,
                        bytesReceived: now.bytes, rowsRead: now.rows)
                } catch {
                    logger.error("import job's end not recorded", metadata: ["import.id": "\(job.id)", "error": "\(error)"])
                }
            }
        }
        // Until the file has arrived (or the job ended before): the request's body is the job's to read.
        for await _ in arrived {}
        let current = try await store.importJob(organisationID: organisationID, id: job.id) ?? job
        var shown = current
        if !current.state.isFinished {
            let now = progress.snapshot
            shown.state = now.state
            shown.bytesReceived = now.bytes
            shown.rowsRead = now.rows
        }
        var response = try jsonResponse(
            try await ImportJobRoutes(environment: environment).response(shown, organisationID: organisationID), status: .accepted)
        response.headers[.location] = "/v1/imports/\(job.id.uuidString.lowercased())"
        return response
    }
}

// MARK: - Responses

struct ImportJobResponse: ResponseEncodable {
    struct Progress: Encodable {
        var bytesReceived: Int
        var rowsRead: Int
        var rowsMerged: Int
    }
    struct Report: Encodable {
        var mode: String
        var rowsRead: Int
        var inserted: Int
        var updated: Int
        var unchanged: Int
        var deactivated: Int
        var rejectedCount: Int
        var rejected: [ImportResponse.Rejection]
        /// More rejected lines: `/v1/imports/{id}/rejections?cursor=…`.
        var rejectedNextCursor: String?
        var dryRun: Bool
        var activeBefore: Int?
        var deactivationGuard: Double?
        var confirmationRequired: Bool
    }
    struct Failure: Encodable {
        var code: String
        var message: String
    }
    var id: String
    var state: String
    var mode: String
    var dryRun: Bool
    var fileName: String?
    var actor: String
    var createdAt: Date
    var updatedAt: Date
    var finishedAt: Date?
    var progress: Progress
    var report: Report?
    var error: Failure?

    /// `rejected`: the first lines (one more than `pageSize` tells that there are more); `listed`:
    /// in a list, without the rejected lines.
    init(_ job: ImportJob, rejected: [WorkforceRejection], pageSize: Int, listed: Bool = false) {
        id = job.id.uuidString.lowercased()
        state = job.state.rawValue
        mode = job.mode.rawValue
        dryRun = job.dryRun
        fileName = job.fileName
        actor = job.actor
        createdAt = job.createdAt
        updatedAt = job.heartbeatAt
        finishedAt = job.finishedAt
        progress = Progress(bytesReceived: job.bytesReceived, rowsRead: job.rowsRead, rowsMerged: job.rowsMerged)
        if let counts = job.report {
            let page = Array(rejected.prefix(pageSize))
            report = Report(
                mode: job.mode.rawValue, rowsRead: job.rowsRead, inserted: counts.inserted, updated: counts.updated,
                unchanged: counts.unchanged, deactivated: counts.deactivated, rejectedCount: counts.rejectedCount,
                rejected: page.map { .init(line: $0.line, error: $0.error) },
                rejectedNextCursor: !listed && rejected.count > pageSize ? page.last.map { String($0.line) } : nil,
                dryRun: job.dryRun, activeBefore: counts.activeBefore, deactivationGuard: counts.deactivationGuard,
                confirmationRequired: counts.confirmationRequired)
        }
        if let code = job.errorCode { error = Failure(code: code, message: job.errorMessage ?? "") }
    }
}

struct ImportJobPage: ResponseEncodable {
    var imports: [ImportJobResponse]
    var nextCursor: String?
}

struct RejectionPage: ResponseEncodable {
    var rejected: [ImportResponse.Rejection]
    var nextCursor: String?
}
