import Foundation
import HTTPTypes
import Hummingbird
import JWTKit
import MobiliseDomain
import MobiliseStore
import Synchronization

/// Verifies bearer tokens: HS256 with the configured secret, and/or RS256/ES256 with the keys of a
/// JWKS file. `alg: none` and algorithms without a configured key are refused by construction.
public struct TokenVerifier: Sendable {
    private let keys: JWTKeyCollection
    /// The `alg` header values accepted: HS256 only with a secret, RS256/ES256 only with a JWKS.
    /// (jwt-kit verifies a token without `kid` with its default key whatever `alg` says, so the
    /// header is checked here first.)
    private let algorithms: Set<String>
    private let issuer: String?
    private let audience: String?

    public init(configuration: APIConfiguration) async throws {
        let keys = JWTKeyCollection()
        if let secret = configuration.jwtSecret {
            try TokenIssuer.checkSecret(secret)
            await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        }
        if let path = configuration.jwksFile {
            let json = try String(contentsOfFile: path, encoding: .utf8)
            try await keys.add(jwksJSON: json)
        }
        guard configuration.jwtSecret != nil || configuration.jwksFile != nil else {
            throw APIError(.internalServerError, code: .noTokenKeys,
                           "set MOBILISE_JWT_SECRET (HS256) or MOBILISE_JWKS_FILE (RS256/ES256) to verify tokens")
        }
        self.keys = keys
        issuer = configuration.jwtIssuer
        audience = configuration.jwtAudience
        algorithms = Set(configuration.jwtSecret != nil ? ["HS256"] : [])
            .union(configuration.jwksFile != nil ? ["RS256", "ES256"] : [])
    }

    /// The claims of a valid token, or nil.
    func verify(_ token: String) async -> MobiliseClaims? {
        guard let algorithm = Self.algorithm(of: token), algorithms.contains(algorithm),
              let claims = try? await keys.verify(token, as: MobiliseClaims.self)
        else { return nil }
        if let issuer, claims.iss?.value != issuer { return nil }
        if let audience, !(claims.aud?.value.contains(audience) ?? false) { return nil }
        return claims
    }

    /// The `alg` of a token's header, if it has a readable one.
    ///
    /// Nearly every token of a deployment has the same header segment, so the answers for the last
    /// few distinct segments are kept: the same bytes always give the same `alg`.
    static func algorithm(of token: String) -> String? {
        // Only ASCII segments are remembered (valid base64url is ASCII), so equal keys are equal bytes.
        guard let end = token.utf8.firstIndex(of: UInt8(ascii: ".")), token.utf8[..<end].allSatisfy({ $0 < 0x80 })
        else { return parseAlgorithm(of: token) }
        let segment = Substring(token[..<end])
        if let known = knownHeaders.withLock({ $0[segment] }) { return known }
        let algorithm = parseAlgorithm(of: token)
        if let algorithm {
            knownHeaders.withLock { known in
                if known.count >= 16 { known.removeAll() }
                known[Substring(String(segment))] = algorithm  // not a slice of the whole token
            }
        }
        return algorithm
    }

    private static let knownHeaders = Mutex<[Substring: String]>([:])

    private static func parseAlgorithm(of token: String) -> String? {
        guard let segment = token.split(separator: ".", omittingEmptySubsequences: false).first, segment.count <= 1024 else { return nil }
        var base64 = segment.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64),
              let header = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        return header["alg"] as? String
    }
}

/// Resolves organisation slugs, caching them briefly (organisations are created rarely, never renamed).
final class OrganisationDirectory: Sendable {
    private let lookup: @Sendable (String) async throws -> Organisation
    private let cache = Mutex<[String: (organisation: Organisation, fetched: ContinuousClock.Instant)]>([:])

    init(store: MobiliseStore) { lookup = { try await store.organisation(slug: $0) } }

    /// Organisations from `lookup` (which throws ``MobiliseError`` `notFound` for an unknown slug)
    /// instead of the database: the benchmark's no-database ceiling.
    init(lookup: @escaping @Sendable (String) async throws -> Organisation) { self.lookup = lookup }

    func organisation(slug: String) async throws -> Organisation? {
        if let hit = cache.withLock({ $0[slug] }), ContinuousClock.now - hit.fetched < .seconds(60) {
            return hit.organisation
        }
        do {
            let organisation = try await lookup(slug)
            cache.withLock { $0[slug] = (organisation, .now) }
            return organisation
        } catch let error as MobiliseError where error.kind == .notFound {
            return nil
        }
    }
}

/// Requires a valid bearer token on every route behind it and records the caller's identity.
/// Missing or invalid tokens get 401 with a `WWW-Authenticate` header. The pages' session cookie
/// (``SessionRoutes``) is accepted instead of the header: for reading, and for a change only with
/// the session's CSRF token from this site's own pages (``CSRF``).
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = MobiliseRequestContext
    let verifier: TokenVerifier
    /// Where sessions are kept; without one (the benchmark's no-database ceiling) a session cookie
    /// is refused as an ended session.
    let store: MobiliseStore?
    let organisations: OrganisationDirectory

    /// Longer headers are refused before any parsing.
    static let maxTokenLength = 8 * 1024

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let identity: Identity
        if let header = request.headers[.authorization] {
            guard header.count <= Self.maxTokenLength else {
                throw Self.unauthorized(.invalidToken, "the token is too long")
            }
            let parts = header.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else {
                throw Self.unauthorized(.invalidToken, "the Authorization header must be: Bearer <token>")
            }
            guard let claims = await verifier.verify(String(parts[1])) else {
                throw Self.unauthorized(.invalidToken, "the token is invalid, expired, or not yet valid")
            }
            guard let organisation = try await organisations.organisation(slug: claims.org) else {
                throw Self.unauthorized(.invalidToken, "the token's organisation is not known here")
            }
            identity = Identity(organisation: organisation, subject: claims.sub.value, roles: Set(claims.roles), expires: claims.exp.value)
        } else if let cookie = request.cookies[SessionRoutes.cookieName]?.value {
            // A browser sends cookies with any request it is made to send: a change made with the
            // cookie must come from this site's pages and carry the session's CSRF token (``CSRF``).
            let credential = BrowserCredential(cookie)
            if CSRF.isWrite(request.method) {
                guard let credential else { throw Self.sessionExpired }
                try CSRF.check(request, session: credential)
            }
            guard let credential, let store,
                  let session = try await store.session(organisationID: credential.organisationID, secretHash: credential.hash),
                  let organisation = try await organisations.organisation(slug: session.organisationSlug)
            else { throw Self.sessionExpired }
            identity = Identity(organisation: organisation, subject: session.subject, roles: Set(session.roles.compactMap(Role.init(rawValue:))),
                                expires: session.expires,
                                session: SessionReference(organisationID: credential.organisationID, secretHash: credential.hash))
        } else {
            throw Self.unauthorized(.missingToken, "send Authorization: Bearer <token>", challenge: #"Bearer realm="mobilise""#)
        }
        var context = context
        context.identity = identity
        return try await next(request, context)
    }

    static let sessionExpired = unauthorized(.sessionExpired, "the session has ended or expired; sign in again",
                                             challenge: #"Bearer realm="mobilise""#)

    static func unauthorized(_ code: ErrorCode, _ message: String, challenge: String? = nil) -> APIError {
        let value = challenge ?? #"Bearer realm="mobilise", error="invalid_token", error_description="\#(message)""#
        return APIError(.unauthorized, code: code, message, headers: [.wwwAuthenticate: value])
    }
}
