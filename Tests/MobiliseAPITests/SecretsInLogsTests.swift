import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import MobiliseAPI
import MobiliseDomain
import MobiliseSchema
import MobiliseStore
import MobiliseTesting
import NIOCore
import Postgres
import Synchronization
import Testing

/// Every log line a logger writes, kept in memory: the label, level, message, metadata (the
/// handler's and the call's) and source, rendered as one string, as a log file would hold them.
final class CapturedLogs: Sendable {
    private let lines = Mutex<[String]>([])

    var all: [String] { lines.withLock { $0 } }

    func append(_ line: String) { lines.withLock { $0.append(line) } }

    /// A logger (at `trace`: everything the service could say) writing into this capture.
    func logger(_ label: String) -> Logger {
        var logger = Logger(label: label) { label in CapturingLogHandler(label: label, capture: self) }
        logger.logLevel = .trace
        return logger
    }
}

struct CapturingLogHandler: LogHandler {
    let label: String
    let capture: CapturedLogs
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        let rendered = merged.keys.sorted().map { "\($0)=\(merged[$0]!)" }.joined(separator: " ")
        let error = event.error.map { " error=\($0)" } ?? ""
        capture.append("\(label) \(event.level) \(event.message) \(rendered)\(error) source=\(event.source)")
    }
}

/// The real service on a live port over a fresh real database, as ``ServiceHarness`` builds it, but
/// with every logger (the pool's, the store's, the migrator's and the application's) writing into
/// `logs`.
struct LoggedService: Sendable {
    let store: MobiliseStore
    let client: any TestClientProtocol
    let issuer: TokenIssuer
    let logs: CapturedLogs
    let port: Int

    static func run(_ body: @Sendable (LoggedService) async throws -> Void) async throws {
        let logs = CapturedLogs()
        let connectionString = try await TestDatabase.createDatabase()
        let pool = PostgresPool(
            configuration: .init(connection: try PostgresConfiguration(connectionString), maxConnections: 8), logger: logs.logger("pool"))
        do {
            let store = MobiliseStore(pool: pool, logger: logs.logger("store"))
            let acme = try await store.createOrganisation(slug: "acme", name: "Acme", privacyK: 3)
            _ = try await store.importEmployees(
                organisationID: acme.id, csv: Array(ServiceHarness.workforce.utf8), mode: .upsert, actor: Actor("setup"))
            let configuration = APIConfiguration(jwtSecret: ServiceHarness.secret, ratePerMinute: 1000)
            let router = MobiliseService.router(
                store: store, configuration: configuration, verifier: try await TokenVerifier(configuration: configuration),
                migrator: try MobiliseSchema.migrator(logger: logs.logger("migrations")))
            let app = Application(
                router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: logs.logger("service"))
            let issuer = try await TokenIssuer(secret: ServiceHarness.secret)
            try await app.test(.live) { client in
                let port = try #require(client.port)
                try await body(LoggedService(store: store, client: client, issuer: issuer, logs: logs, port: port))
            }
            await pool.close()
        } catch {
            await pool.close()
            throw error
        }
    }

    func token(_ subject: String, _ roles: [Role]) async throws -> String {
        try await issuer.token(subject: subject, organisation: "acme", roles: roles)
    }

    @discardableResult
    func call(
        _ method: HTTPRequest.Method, _ uri: String, token: String? = nil, authorization: String? = nil, body: String? = nil,
        contentType: String = "application/json"
    ) async throws -> ServiceHarness.Reply {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        if let authorization { headers[.authorization] = authorization }
        if body != nil { headers[.contentType] = contentType }
        return try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { response in
            ServiceHarness.Reply(status: response.status, headers: response.headers, text: String(buffer: response.body))
        }
    }
}

@Suite struct SecretsInLogsTests {
    @Test func aFullSessionLogsNoTokenSecretEmailBodyOrTitle() async throws {
        try await LoggedService.run { service in
            var secrets: [(what: String, value: String)] = [("the JWT secret", ServiceHarness.secret)]
            let hr = try await service.token("hr-1", [.hrAdmin])
            let employee = try await service.token("in-1", [.employee])
            let leader = try await service.token("lead-1", [.leader])
            secrets += [("HR token", hr), ("employee token", employee), ("leader token", leader)]

            // Import with emails (one line rejected, naming its email in the answer only).
            let emails = ["zelda.secretmail@acme-private.example", "yusuf.hidden@acme-private.example", "broken-mail-at-nowhere"]
            secrets += emails.map { ("an imported email", $0) }
            let file = """
                external_id,email,display_name,country,gender,site,org_unit,active
                fr-10,\(emails[0]),Zelda,FR,female,Lyon,Energy,true
                fr-11,\(emails[1]),Yusuf,FR,male,Lyon,Energy,true
                fr-12,\(emails[2]),Broken,FR,male,Lyon,Energy,true

                """
            let imported = try await service.call(.post, "/v1/employees/import", token: hr, body: file, contentType: "text/csv")
            #expect(imported.status == .ok, "\(imported.text)")

            // A campaign with a distinctive title, launched; the duplicate slug is a unique violation in PostgreSQL.
            let title = "Campaign Title Nobody Should Log 5f2c"
            let pledge = "Pledge Text Nobody Should Log 8d1e"
            let slug = "slug-bound-value-41c7"
            secrets += [("a campaign title", title), ("a pledge", pledge)]
            let start = rfc3339(Date().addingTimeInterval(-86_400))
            let end = rfc3339(Date().addingTimeInterval(30 * 86_400))
            let campaign = """
                {"slug": "\(slug)", "hashtag": "#Secret", "title": "\(title)", "pledge_text": "\(pledge)",
                 "starts_at": "\(start)", "ends_at": "\(end)"}
                """
            #expect(try await service.call(.post, "/v1/campaigns", token: hr, body: campaign).status == .created)
            let duplicate = try await service.call(.post, "/v1/campaigns", token: hr, body: campaign)
            #expect(duplicate.status == .conflict, "\(duplicate.status): \(duplicate.text)")
            #expect(try await service.call(.post, "/v1/campaigns/\(slug)/launch", token: hr).status == .ok)

            // Sign, post, moderate.
            #expect(try await service.call(.put, "/v1/campaigns/\(slug)/signature", token: employee).status == .created)
            let story = "A Story Body That Must Stay Out Of Logs 9c1e #Secret"
            let rejected = "A Rejection Reason That Must Stay Out Of Logs 2b7a"
            secrets += [("a post body", story), ("a rejection reason", rejected)]
            let posted = try await service.call(.post, "/v1/campaigns/\(slug)/posts", token: employee, body: #"{"body": "\#(story)"}"#)
            #expect(posted.status == .created)
            let postID = try #require(posted.json["id"] as? String)
            let reason = try await service.call(.post, "/v1/posts/\(postID)/reject", token: hr, body: #"{"reason": "\#(rejected)"}"#)
            #expect(reason.status == .ok)
            #expect(try await service.call(.get, "/v1/campaigns/\(slug)/rankings", token: leader).status == .ok)
            #expect(try await service.call(.get, "/v1/me/export", token: employee).status == .ok)

            // Bad tokens: garbage, the wrong secret, alg none, a session-like token, Basic credentials.
            let now = Int(Date().timeIntervalSince1970)
            let payload = #"{"sub":"in-1","org":"acme","roles":["employee"],"exp":\#(now + 600)}"#
            let badTokens = [
                "garbage-token-value-3e9f0a",
                ServiceHarness.handMade(header: #"{"alg":"HS256","typ":"JWT"}"#, payload: payload, secret: "another-secret-0123456789abcdef-xyz"),
                ServiceHarness.handMade(header: #"{"alg":"none","typ":"JWT"}"#, payload: payload, secret: nil),
                ServiceHarness.handMade(header: #"{"alg":"HS256","typ":"JWT"}"#, payload: #"{"sub":"in-1","org":"acme","roles":["employee"],"exp":1}"#),
                hr + "tampered",
            ]
            for bad in badTokens {
                secrets.append(("a bad token", bad))
                #expect(try await service.call(.get, "/v1/me", token: bad).status == .unauthorized)
            }
            secrets.append(("Basic credentials", "dXNlcjpwYXNzd29yZC1zZWNyZXQ="))
            #expect(try await service.call(.get, "/v1/me", authorization: "Basic dXNlcjpwYXNzd29yZC1zZWNyZXQ=").status == .unauthorized)

            // Malformed bodies that carry private text.
            let malformedStory = "Malformed Body Private Text 6a3d"
            secrets.append(("a malformed body's text", malformedStory))
            let malformed = try await service.call(.post, "/v1/campaigns/\(slug)/posts", token: employee, body: #"{"body": "\#(malformedStory)"#)
            #expect(malformed.status == .badRequest)
            let wrongType = try await service.call(.post, "/v1/campaigns", token: hr, body: #"{"slug": 7, "title": "\#(title)"}"#)
            #expect(wrongType.status == .badRequest)
            let nul = try await service.call(.post, "/v1/campaigns/\(slug)/posts", token: employee, body: #"{"body": "\#(malformedStory)\u0000"}"#)
            #expect(nul.status.code < 500, "\(nul.status): \(nul.text)")

            let lines = service.logs.all
            // The capture works: one request line per request at least.
            #expect(lines.filter { $0.contains("http.route=") }.count == 18, "\(lines.count) lines captured")
            for line in lines {
                for (what, value) in secrets where line.contains(value) {
                    Issue.record("\(what) appears in a log line: \(line)")
                }
                // Tokens of any kind: a JWT's header segment always starts with eyJ ("{\"").
                #expect(!line.contains("eyJ"), "a JWT-like value in a log line: \(line)")
                #expect(!line.contains("@acme-private.example"), "an email in a log line: \(line)")
            }
            // The duplicate slug is a bound value too: it may be in a route's path, never in a log line.
            let slugLines = lines.filter { $0.contains(slug) }
            #expect(slugLines.isEmpty, "the slug (a bound value) appears in: \(slugLines)")
        }
    }
}
