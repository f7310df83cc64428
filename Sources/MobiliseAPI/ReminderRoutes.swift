import Foundation
import HTTPTypes
import Hummingbird
import MobiliseDomain
import MobiliseStore

/// HR admins schedule e-mail reminder waves for a campaign and read each wave's report (counts
/// only); people opt out with one click (RFC 8058) without signing in.
struct ReminderRoutes {
    let environment: APIEnvironment
    var store: MobiliseStore { environment.store }
    var email: EmailConfiguration { environment.configuration.email }

    func register(on v1: RouterGroup<AuthenticatedContext>) {
        v1.post("campaigns/:id/reminder-waves", use: schedule)
        v1.get("campaigns/:id/reminder-waves", use: list)
        v1.get("reminder-waves/:wave", use: show)
    }

    /// The unsubscribe link's page and its one-click POST: outside `/v1`, no sign-in.
    static func registerUnsubscribe(on router: Router<MobiliseRequestContext>, store: MobiliseStore) {
        router.get("unsubscribe/:link") { _, context -> Response in
            try await page(store: store, token: context.parameters.require("link"), done: false)
        }
        router.post("unsubscribe/:link") { _, context -> Response in
            let text = try context.parameters.require("link")
            guard let token = EmailSender.token(base64URL: text), try await store.optOutOfReminders(token: token) else {
                return try await page(store: store, token: text, done: false)
            }
            return try await page(store: store, token: text, done: true)
        }
    }

    struct WaveInput: Decodable {
        /// The local day, `YYYY-MM-DD`.
        var sendOn: String
        /// The local hour, 0–23.
        var localHour: Int
    }

    struct WaveResponse: ResponseEncodable {
        var id: UUID
        var campaign: String
        var sendOn: String
        var localHour: Int
        var createdBy: String
        var createdAt: Date
        var counts: Counts

        struct Counts: Encodable {
            var planned: Int
            var pending: Int
            var retrying: Int
            var sent: Int
            var failed: Int
            var skippedSigned: Int
            var skippedOptedOut: Int
            var excludedOptedOut: Int
            var excludedNoEmail: Int
            var optedOut: Int
        }

        init(_ wave: ReminderWave) {
            id = wave.id
            campaign = wave.campaign
            sendOn = wave.sendOn
            localHour = wave.localHour
            createdBy = wave.createdBy
            createdAt = wave.createdAt
            let c = wave.counts
            counts = Counts(
                planned: c.planned, pending: c.pending, retrying: c.retrying, sent: c.sent, failed: c.failed,
                skippedSigned: c.skippedSigned, skippedOptedOut: c.skippedOptedOut, excludedOptedOut: c.excludedOptedOut,
                excludedNoEmail: c.excludedNoEmail, optedOut: c.optedOut)
        }
    }

    struct WaveList: ResponseEncodable {
        var waves: [WaveResponse]
    }

    /// `POST /v1/campaigns/{id}/reminder-waves`: 201 with the wave's report.
    @Sendable func schedule(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let caller = context.identity
        try caller.require(.hrAdmin)
        // The campaign first (404 for another organisation's), then whether e-mail is set up.
        let campaign = try await store.campaign(organisationID: caller.organisation.id, reference: try context.parameters.require("id"))
        guard email.smtp != nil, email.publicURL != nil else {
            throw APIError(.conflict, code: .emailNotConfigured,
                           "e-mail is not set up on this service: the operator sets MOBILISE_SMTP_URL and MOBILISE_PUBLIC_URL")
        }
        let input = try await request.json(WaveInput.self, context: context, limit: context.maxUploadSize)
        guard (0...23).contains(input.localHour) else {
            throw APIError(.unprocessableContent, code: .invalidValue, "local_hour: an hour of the day, 0 to 23")
        }
        guard let day = Self.day(input.sendOn) else {
            throw APIError(.unprocessableContent, code: .invalidValue, "send_on: a day such as 2026-03-08 (YYYY-MM-DD)")
        }
        // Not a day that is over everywhere (UTC−12 is the last place a day ends), nor years ahead.
        let now = Date()
        guard day.addingTimeInterval(36 * 3600) > now, day < now.addingTimeInterval(366 * 86_400) else {
            throw APIError(.unprocessableContent, code: .invalidValue, "send_on: today or a later day within a year")
        }
        let wave = try await store.scheduleReminderWave(
            organisationID: caller.organisation.id, campaign: campaign.id.uuidString, sendOn: input.sendOn,
            localHour: input.localHour, actor: caller.actor)
        return try jsonResponse(WaveResponse(wave), status: .created)
    }

    @Sendable func list(_ request: Request, context: AuthenticatedContext) async throws -> WaveList {
        let caller = context.identity
        try caller.require(.hrAdmin)
        let waves = try await store.reminderWaves(organisationID: caller.organisation.id, campaign: try context.parameters.require("id"))
        return WaveList(waves: waves.map(WaveResponse.init))
    }

    @Sendable func show(_ request: Request, context: AuthenticatedContext) async throws -> WaveResponse {
        let caller = context.identity
        try caller.require(.hrAdmin)
        let text = try context.parameters.require("wave")
        guard let id = UUID(uuidString: text) else {
            throw APIError(.notFound, code: .reminderWaveNotFound, "no reminder wave '\(text.prefix(100))' in this organisation")
        }
        return WaveResponse(try await store.reminderWave(organisationID: caller.organisation.id, id: id))
    }

    /// `YYYY-MM-DD` as midnight UTC, nil when it is not a real day.
    static func day(_ text: String) -> Date? {
        guard text.count == 10, text.range(of: #"^\d{4}-\d{2}-\d{2}$"#, options: .regularExpression) != nil else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let parts = text.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3 else { return nil }
        guard let date = calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2])) else { return nil }
        // 2026-02-30 would otherwise be 2 March.
        let back = calendar.dateComponents([.year, .month, .day], from: date)
        guard back.year == parts[0], back.month == parts[1], back.day == parts[2] else { return nil }
        return date
    }

    /// The unsubscribe page in the message's language: a question and a button (a GET never
    /// unsubscribes: mail scanners follow links), or what was done. No script, no inline style.
    static func page(store: MobiliseStore, token: String, done: Bool) async throws -> Response {
        var known: String?
        if let data = EmailSender.token(base64URL: token) {
            known = try await store.unsubscribeLanguage(token: data)
        }
        let language = known ?? "en"
        let catalogue = ReminderCatalogue.of(language)
        let e = markupEscaped
        let content: String
        if known == nil {
            content = "<p>\(e(catalogue.pageUnknown))</p>"
        } else if done {
            content = "<p role=\"status\">\(e(catalogue.pageDone))</p>"
        } else {
            content = """
                <form method="post" action="/unsubscribe/\(e(token))">
                <input type="hidden" name="List-Unsubscribe" value="One-Click">
                <p>\(e(catalogue.pageQuestion))</p>
                <button type="submit">\(e(catalogue.pageButton))</button>
                </form>
                """
        }
        let html = """
            <!DOCTYPE html>
            <html lang="\(e(language))"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(e(catalogue.pageTitle))</title></head>
            <body><main><h1>\(e(catalogue.pageTitle))</h1>
            \(content)
            </main></body></html>

            """
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"]
        headers[.contentLength] = String(html.utf8.count)
        return Response(status: known == nil ? .notFound : .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}
