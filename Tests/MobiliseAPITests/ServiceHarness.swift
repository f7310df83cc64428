import Crypto
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

/// The real service on a live port, over a fresh database with two organisations.
struct ServiceHarness: Sendable {
    static let secret = "test-secret-0123456789abcdef0123456789abcdef"
    let store: MobiliseStore
    let acme: Organisation
    let globex: Organisation
    let client: any TestClientProtocol
    let issuer: TokenIssuer

    /// Workforce of Acme: 6 in India, 4 in Brazil, 2 in Malta; one inactive; one HR admin and one leader.
    static let workforce = """
        external_id,email,display_name,country,gender,site,org_unit,active
        hr-1,hr@acme.example,Hana HR,FR,female,Paris,HR,true
        lead-1,lead@acme.example,Leo Lead,FR,male,Paris,Board,true
        in-1,,Arjun,IN,male,Pune,Energy Management/Buildings,true
        in-2,,Vikram,IN,male,Pune,Energy Management/Buildings,true
        in-3,,Rahul,IN,male,Bangalore,Industrial Automation,true
        in-4,,Priya,IN,female,Bangalore,Industrial Automation,true
        in-5,,Amit,IN,male,Pune,Energy Management,true
        in-6,,Ravi,IN,male,Pune,Energy Management,true
        br-1,,João,BR,male,São Paulo,Energy Management,true
        br-2,,Pedro,BR,male,São Paulo,Energy Management,true
        br-3,,Lucas,BR,male,Rio de Janeiro,Industrial Automation,true
        br-4,,Ana,BR,female,Rio de Janeiro,Industrial Automation,true
        mt-1,,Marco,MT,male,Valletta,Energy Management,true
        mt-2,,Luca,MT,male,Valletta,Energy Management,true
        gone-1,,Former,IN,male,Pune,Energy Management,false

        """

    static func run(
        ratePerMinute: Int = 1000, jwksFile: String? = nil, issuer: String? = nil, audience: String? = nil, maxImportSize: Int = 256 << 20,
        importsPerHour: Int = 20, maxConcurrentImports: Int = 2, metricsToken: String? = nil, widgetOrigins: [String] = [],
        fullSyncGuard: Double? = nil, environment: [String: String] = [:], _ body: @Sendable (ServiceHarness) async throws -> Void
    ) async throws {
        try await TestDatabase.withStore { store in
            let acme = try await store.createOrganisation(slug: "acme", name: "Acme", privacyK: 3)
            let globex = try await store.createOrganisation(slug: "globex", name: "Globex", privacyK: 3)
            _ = try await store.importEmployees(organisationID: acme.id, csv: Array(workforce.utf8), mode: .upsert, actor: Actor("setup"))
            _ = try await store.importEmployees(
                organisationID: globex.id, csv: Array("external_id,country\ng-1,US\n".utf8), mode: .upsert, actor: Actor("setup"))
            var configuration = APIConfiguration(
                jwtSecret: secret, jwksFile: jwksFile, maxImportSize: maxImportSize, ratePerMinute: ratePerMinute,
                importsPerHour: importsPerHour)
            configuration.maxConcurrentImports = maxConcurrentImports
            configuration.metricsToken = metricsToken
            configuration.widgetOrigins = widgetOrigins
            if let fullSyncGuard { configuration.fullSyncGuard = fullSyncGuard }
            configuration.jwtIssuer = issuer
            configuration.jwtAudience = audience
            // Settings the service reads from its environment (e.g. MOBILISE_LEADER_PUBLISH_INTERVAL), as `serve` would.
            configuration.leaderPublication = APIConfiguration.fromEnvironment(environment).leaderPublication
            configuration.publicURL = APIConfiguration.fromEnvironment(environment).publicURL
            configuration.outbox = APIConfiguration.fromEnvironment(environment).outbox
            configuration.email = try EmailConfiguration.fromEnvironment(environment)
            let logger = Logger(label: "test-service")
            let router = MobiliseService.router(
                store: store, configuration: configuration, verifier: try await TokenVerifier(configuration: configuration),
                migrator: try MobiliseSchema.migrator(logger: logger))
            // Served as `MobiliseService.application` serves it: each connection on its event loop.
            let app = Application(
                router: router, server: .http1OnConnectionLoops(), configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: logger)
            let issuer = try await TokenIssuer(secret: secret)
            try await app.test(.live) { client in
                try await body(ServiceHarness(store: store, acme: acme, globex: globex, client: client, issuer: issuer))
            }
        }
    }

    func token(_ subject: String, _ roles: [Role], organisation: String = "acme") async throws -> String {
        try await issuer.token(subject: subject, organisation: organisation, roles: roles)
    }

    struct Reply: Sendable {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var text: String

        /// The body as JSON (a dictionary, or an empty one).
        var json: [String: any Sendable] {
            (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: any Sendable]) ?? [:]
        }

        var errorCode: String? { (json["error"] as? [String: any Sendable])?["code"] as? String }
    }

    /// One request. `json` is encoded as the body; `raw` is sent as is with `contentType`.
    @discardableResult
    func call(
        _ method: HTTPRequest.Method, _ uri: String, token: String? = nil, json: String? = nil, raw: [UInt8]? = nil,
        contentType: String? = nil, headers extra: HTTPFields = [:]
    ) async throws -> Reply {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        var body: ByteBuffer?
        if let json {
            headers[.contentType] = "application/json"
            body = ByteBuffer(string: json)
        } else if let raw {
            headers[.contentType] = contentType ?? "application/octet-stream"
            body = ByteBuffer(bytes: raw)
        }
        return try await client.execute(uri: uri, method: method, headers: headers, body: body) { response in
            Reply(status: response.status, headers: response.headers, text: String(buffer: response.body))
        }
    }

    /// A campaign created by HR and launched, open to everyone, started yesterday.
    func launchedCampaign(slug: String = "heforshe", goals: String = #"{"IN": {"signatures": 4}, "BR": {"participation": 0.5}}"#) async throws -> String {
        let hr = try await token("hr-1", [.hrAdmin])
        let start = rfc3339(Date().addingTimeInterval(-86_400))
        let end = rfc3339(Date().addingTimeInterval(90 * 86_400))
        let created = try await call(.post, "/v1/campaigns", token: hr, json: """
            {"slug": "\(slug)", "hashtag": "#HeForShe", "title": "HeForShe at Acme", "pledge_text": "I commit",
             "translations": {"fr": {"title": "ElleLui chez Acme"}},
             "starts_at": "\(start)", "ends_at": "\(end)", "country_goals": \(goals), "success_min_countries": 1}
            """)
        guard created.status == .created else { throw HarnessError(reply: created) }
        let launched = try await call(.post, "/v1/campaigns/\(slug)/launch", token: hr)
        guard launched.status == .ok else { throw HarnessError(reply: launched) }
        return slug
    }

    struct HarnessError: Error, CustomStringConvertible {
        let reply: Reply
        var description: String { "\(reply.status): \(reply.text)" }
    }

    /// An HS256 token with any header and payload, for tokens the issuer would never make.
    static func handMade(header: String, payload: String, secret: String? = ServiceHarness.secret) -> String {
        func base64URL(_ data: Data) -> String {
            data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
        }
        let signingInput = base64URL(Data(header.utf8)) + "." + base64URL(Data(payload.utf8))
        guard let secret else { return signingInput + "." }
        let mac = HMAC<SHA256>.authenticationCode(for: Data(signingInput.utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return signingInput + "." + base64URL(Data(mac))
    }
}

/// An RFC 3339 timestamp, as the API takes them.
func rfc3339(_ date: Date) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    return formatter.string(from: date)
}
