// The signing endpoint as a Swift developer would write it with Hummingbird 2, postgres-nio and
// jwt-kit: verify the bearer token, then one INSERT per request into Mobilise's `signatures` table.
//
//   PEER_MODE=insert   the INSERT alone (ON CONFLICT DO NOTHING)
//   PEER_MODE=counter  the INSERT and, in the same transaction, +1 on the country's counter row
//                      (`signature_total_counts` slot 0, sql/0035: one hot row per campaign, every country in it)
//
// Configuration (environment): MOBILISE_JWT_SECRET (HS256 secret, required), PEER_HOST (127.0.0.1),
// PEER_PORT (8081), PEER_POOL (database connections at most, 16 like Mobilise's default),
// PEER_DB_SOCKET (a Unix socket file, e.g. /run/postgresql/.s.PGSQL.5432) or PEER_DB_HOST and
// PEER_DB_PORT (5432), PEER_DB_USER (postgres), PEER_DB_PASSWORD, PEER_DB_NAME (mobilise).
import Foundation
import Hummingbird
import JWTKit
import Logging
import PostgresNIO

/// The claims Mobilise's tokens carry: `sub` = the employee's HR id, `org` = the organisation's slug.
struct Claims: JWTPayload {
    var sub: SubjectClaim
    var exp: ExpirationClaim
    var org: String
    var roles: [String]

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}

enum Mode: String {
    case insert, counter
}

struct SignatureResponse: ResponseEncodable {
    var id: UUID
    var campaignID: UUID
    var country: String

    enum CodingKeys: String, CodingKey {
        case id, country
        case campaignID = "campaign_id"
    }
}

struct SigningController: Sendable {
    let client: PostgresClient
    let keys: JWTKeyCollection
    let mode: Mode
    let logger: Logger

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("healthz") { _, _ in HTTPResponse.Status.ok }
        router.put("v1/campaigns/:id/signature", use: sign)
    }

    /// `PUT /v1/campaigns/{id}/signature`: 201 with the new signature, 200 when already signed.
    @Sendable func sign(request: Request, context: BasicRequestContext) async throws -> EditedResponse<SignatureResponse> {
        let claims = try await authenticate(request)
        let campaign = try context.parameters.require("id")

        // One statement: resolve the employee (the token's subject) and the active campaign (id or
        // slug) and insert; a second signature by the same employee is a conflict and inserts nothing.
        let insert: PostgresQuery = """
            INSERT INTO signatures (organisation_id, campaign_id, employee_id, country, site, org_unit, channel, signed_at)
            SELECT e.organisation_id, c.id, e.id, e.country, e.site, e.org_unit, 'web', now()
              FROM organisations o
              JOIN employees e ON e.organisation_id = o.id AND e.external_id = \(claims.sub.value) AND e.active
              JOIN campaigns c ON c.organisation_id = o.id AND (c.slug = \(campaign) OR c.id::text = \(campaign))
                              AND c.status = 'active' AND now() >= c.starts_at AND now() < c.ends_at
             WHERE o.slug = \(claims.org)
            ON CONFLICT (organisation_id, campaign_id, employee_id) DO NOTHING
            RETURNING organisation_id, campaign_id, id, country
            """

        let created: (UUID, UUID, UUID, String)?
        switch mode {
        case .insert:
            created = try await client.query(insert, logger: logger).collect().first?.decode((UUID, UUID, UUID, String).self)
        case .counter:
            created = try await client.withTransaction(logger: logger) { connection in
                let row = try await connection.query(insert, logger: logger).collect().first?.decode((UUID, UUID, UUID, String).self)
                if let (organisation, campaign, _, country) = row {
                    try await connection.query("""
                        INSERT INTO signature_total_counts AS t (organisation_id, campaign_id, slot, counts)
                        VALUES (\(organisation), \(campaign), 0, mobilise_counts_add(NULL, ARRAY[ARRAY[mobilise_country_position(\(country))], ARRAY[1]]))
                        ON CONFLICT (organisation_id, campaign_id, slot)
                        DO UPDATE SET counts = mobilise_counts_add(t.counts, ARRAY[ARRAY[mobilise_country_position(\(country))], ARRAY[1]])
                        """, logger: logger)
                }
                return row
            }
        }
        if let (_, campaignID, id, country) = created {
            return EditedResponse(status: .created, response: SignatureResponse(id: id, campaignID: campaignID, country: country))
        }

        // Nothing inserted: already signed (200), or no such employee or open campaign (404).
        let existing = try await client.query("""
            SELECT s.campaign_id, s.id, s.country
              FROM signatures s
              JOIN organisations o ON o.id = s.organisation_id
              JOIN employees e ON e.organisation_id = s.organisation_id AND e.id = s.employee_id
              JOIN campaigns c ON c.organisation_id = s.organisation_id AND c.id = s.campaign_id
             WHERE o.slug = \(claims.org) AND e.external_id = \(claims.sub.value)
               AND (c.slug = \(campaign) OR c.id::text = \(campaign))
            """, logger: logger).collect().first?.decode((UUID, UUID, String).self)
        guard let (campaignID, id, country) = existing else {
            throw HTTPError(.notFound, message: "No such campaign open to this employee.")
        }
        return EditedResponse(status: .ok, response: SignatureResponse(id: id, campaignID: campaignID, country: country))
    }

    /// Verifies the bearer token (HS256, `exp`) and requires the `employee` role.
    func authenticate(_ request: Request) async throws -> Claims {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer"])
        }
        let claims: Claims
        do {
            claims = try await keys.verify(String(header.dropFirst("Bearer ".count)), as: Claims.self)
        } catch {
            throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer error=\"invalid_token\""])
        }
        guard claims.roles.contains("employee") else { throw HTTPError(.forbidden) }
        return claims
    }
}

let env = Environment()
var logger = Logger(label: "signing-peer")
logger.logLevel = env.get("PEER_LOG_LEVEL").flatMap(Logger.Level.init(rawValue:)) ?? .warning

guard let modeName = env.get("PEER_MODE") ?? CommandLine.arguments.dropFirst().first, let mode = Mode(rawValue: modeName) else {
    logger.critical("Set PEER_MODE to insert or counter.")
    exit(64)
}
guard let secret = env.get("MOBILISE_JWT_SECRET"), !secret.isEmpty else {
    logger.critical("Set MOBILISE_JWT_SECRET (the HS256 secret of the tokens).")
    exit(64)
}

let user = env.get("PEER_DB_USER") ?? "postgres"
let database = env.get("PEER_DB_NAME") ?? "mobilise"
var configuration: PostgresClient.Configuration
if let socket = env.get("PEER_DB_SOCKET") {
    configuration = .init(unixSocketPath: socket, username: user, password: env.get("PEER_DB_PASSWORD"), database: database)
} else {
    configuration = .init(
        host: env.get("PEER_DB_HOST") ?? "127.0.0.1", port: env.get("PEER_DB_PORT", as: Int.self) ?? 5432,
        username: user, password: env.get("PEER_DB_PASSWORD"), database: database, tls: .disable)
}
configuration.options.maximumConnections = env.get("PEER_POOL", as: Int.self) ?? 16
let client = PostgresClient(configuration: configuration, backgroundLogger: logger)

let keys = await JWTKeyCollection().add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)

let router = Router()
SigningController(client: client, keys: keys, mode: mode, logger: logger).addRoutes(to: router)
let app = Application(
    router: router,
    configuration: .init(
        address: .hostname(env.get("PEER_HOST") ?? "127.0.0.1", port: env.get("PEER_PORT", as: Int.self) ?? 8081),
        serverName: "signing-peer"),
    services: [client],
    logger: logger)
logger.notice("signing-peer: mode \(mode.rawValue)")
try await app.runService()
