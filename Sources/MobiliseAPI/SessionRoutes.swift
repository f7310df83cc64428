import Foundation
import HTTPTypes
import Hummingbird
import MobiliseStore

/// The pages' sessions: a bearer token, or the code of a one-click sign-in link, exchanged for an
/// HttpOnly, SameSite=Strict cookie that names a session kept in the database.
///
/// The cookie is a random credential (``BrowserCredential``) valid for at most ``lifetime`` and never
/// beyond the token it was made from. Signing out ends the session in the database, so the same
/// cookie authenticates nothing afterwards, on any instance. The authentication middleware accepts
/// the cookie for reading, and for a change only with the session's CSRF token (``CSRF``, given by
/// `GET /v1/session`) from this site's own pages: a cross-site request cannot act on the user's behalf.
///
/// Login CSRF: a browser already signed in is never switched silently to another identity (the
/// victim of a link made by someone else would otherwise read, and act on, the other person's
/// account). The exchange answers 409 `session_exists` naming the current identity, and the
/// sign-in page asks the person before it sends `"replace": true`. Cross-site requests are refused
/// outright (`Sec-Fetch-Site`), and a code is only taken as `application/json`, which an HTML form
/// of another site cannot send.
struct SessionRoutes {
    static let cookieName = "mobilise_session"
    /// How long a session lasts (at most: never longer than the token it was made from).
    static let lifetime: TimeInterval = 8 * 3600
    let verifier: TokenVerifier
    let store: MobiliseStore
    let organisations: OrganisationDirectory

    /// `POST` and `DELETE /v1/session` authenticate themselves (a bearer token, a code, or the cookie).
    func register(on router: Router<MobiliseRequestContext>) {
        router.post("v1/session", use: create)
        router.delete("v1/session", use: signOut)
    }

    /// `GET /v1/session`, behind the authentication middleware: who the session (or token) is, and
    /// for a session cookie its CSRF token, which the pages send as `X-CSRF-Token` to change anything.
    func registerRead(on v1: RouterGroup<AuthenticatedContext>) {
        v1.get("session", use: show)
    }

    struct SessionResponse: ResponseEncodable {
        var subject: String
        var organisation: String
        var roles: [String]
        var expiresAt: Date
        /// Only for a session cookie: bearer tokens need none.
        var csrfToken: String?
    }

    @Sendable func show(_ request: Request, context: AuthenticatedContext) async throws -> SessionResponse {
        let caller = context.identity
        // The middleware authenticated the cookie only when no Authorization header was sent.
        let credential = caller.session != nil ? request.cookies[Self.cookieName].flatMap { BrowserCredential($0.value) } : nil
        return SessionResponse(
            subject: caller.subject, organisation: caller.organisation.slug, roles: caller.roles.map(\.rawValue).sorted(),
            expiresAt: caller.expires, csrfToken: credential.map { CSRF.token(for: $0) })
    }

    /// The body of `POST /v1/session`: a sign-in code, unless a bearer token is sent; `replace`
    /// confirms that another identity's session in this browser is to end.
    struct SessionInput: Decodable {
        var code: String?
        var replace: Bool?
    }

    /// 204 with `Set-Cookie`.
    @Sendable func create(_ request: Request, context: MobiliseRequestContext) async throws -> Response {
        if let site = Self.secFetchSite.flatMap({ request.headers[$0] })?.lowercased(), site == "cross-site" || site == "same-site" {
            throw APIError(.forbidden, code: .crossSiteRequest, "a session can only be opened from this site's own sign-in page")
        }
        let hasBearer = request.headers[.authorization] != nil
        if !hasBearer {
            guard let contentType = request.headers[.contentType] else {
                throw AuthenticationMiddleware.unauthorized(
                    .missingToken, "send Authorization: Bearer <token>, or a sign-in link's code as a JSON body {\"code\": \"…\"}",
                    challenge: #"Bearer realm="mobilise""#)
            }
            // An HTML form (of any site) can only send form or text bodies: a code never comes from one.
            guard contentType.lowercased().hasPrefix("application/json") else {
                throw APIError(.unsupportedMediaType, code: .unsupportedMediaType, "send the sign-in code as application/json")
            }
        }
        let input = try await request.optionalJSON(SessionInput.self, context: context, limit: 4096)
            ?? SessionInput(code: nil, replace: nil)

        // Who the new session is for.
        let identity: SessionIdentity
        var code: BrowserCredential?
        if hasBearer {
            identity = try await bearerIdentity(request)
        } else {
            guard let text = input.code else {
                throw APIError.badRequest(.missingCode, "send the sign-in link's code as {\"code\": \"…\"}, or a bearer token")
            }
            guard let credential = BrowserCredential(text),
                  let found = try await store.signInCode(organisationID: credential.organisationID, secretHash: credential.hash)
            else { throw Self.codeRefused }
            code = credential
            identity = found
        }

        // The browser's current session, which the new one replaces.
        let current = try await currentSession(request)
        if let current, !Self.isSameIdentity(current.identity, identity), input.replace != true {
            throw APIError(.conflict, code: .sessionExists,
                           "this browser is signed in as \(current.identity.subject) (\(current.identity.organisationSlug)); "
                           + "confirm to sign in as \(identity.subject) instead")
        }

        let session = BrowserCredential(organisationID: identity.organisationID)
        let previous = current.map { ($0.credential.organisationID, $0.credential.hash) }
        let opened: SessionIdentity
        if let code {
            guard let redeemed = try await store.redeemSignInCode(
                organisationID: code.organisationID, codeHash: code.hash, sessionHash: session.hash, replacing: previous)
            else { throw Self.codeRefused }  // used by another browser in between
            opened = redeemed
        } else {
            if let previous { try await store.endSession(organisationID: previous.0, secretHash: previous.1) }
            try await store.createSession(secretHash: session.hash, identity: identity)
            opened = identity
        }
        let maxAge = max(Int(opened.expires.timeIntervalSinceNow.rounded(.down)), 0)
        var response = Response(status: .noContent, headers: [.cacheControl: "no-store"])
        response.setCookie(Self.cookie(value: session.text, maxAge: maxAge, request: request))
        return response
    }

    /// `DELETE /v1/session`: ends the session named by the cookie, if any, and tells the browser to
    /// forget the cookie. 204 either way. (A cross-site page cannot send a DELETE with the cookie: a
    /// SameSite=Strict cookie stays home, and a cross-origin DELETE needs a CORS permission we never give.)
    @Sendable func signOut(_ request: Request, context: MobiliseRequestContext) async throws -> Response {
        if let value = request.cookies[Self.cookieName]?.value, let credential = BrowserCredential(value) {
            try await store.endSession(organisationID: credential.organisationID, secretHash: credential.hash)
        }
        var response = Response(status: .noContent, headers: [.cacheControl: "no-store"])
        response.setCookie(Self.cookie(value: "", maxAge: 0, request: request))
        return response
    }

    /// The identity of a valid bearer token, for a session of at most ``lifetime``.
    private func bearerIdentity(_ request: Request) async throws -> SessionIdentity {
        guard let header = request.headers[.authorization], header.count <= AuthenticationMiddleware.maxTokenLength else {
            throw AuthenticationMiddleware.unauthorized(.invalidToken, "the token is too long")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", let claims = await verifier.verify(String(parts[1])) else {
            throw AuthenticationMiddleware.unauthorized(.invalidToken, "the token is invalid, expired, or not yet valid")
        }
        guard let organisation = try await organisations.organisation(slug: claims.org) else {
            throw AuthenticationMiddleware.unauthorized(.invalidToken, "the token's organisation is not known here")
        }
        return SessionIdentity(
            organisationID: organisation.id, organisationSlug: organisation.slug, subject: claims.sub.value,
            roles: claims.roles.map(\.rawValue), expires: min(claims.exp.value, Date().addingTimeInterval(Self.lifetime)))
    }

    /// The session the request's cookie names, when it is valid.
    private func currentSession(_ request: Request) async throws -> (credential: BrowserCredential, identity: SessionIdentity)? {
        guard let value = request.cookies[Self.cookieName]?.value, let credential = BrowserCredential(value),
              let identity = try await store.session(organisationID: credential.organisationID, secretHash: credential.hash)
        else { return nil }
        return (credential, identity)
    }

    private static func isSameIdentity(_ a: SessionIdentity, _ b: SessionIdentity) -> Bool {
        a.organisationID == b.organisationID && a.subject == b.subject && Set(a.roles) == Set(b.roles)
    }

    private static let codeRefused = APIError(
        .unauthorized, code: .invalidCode, "this sign-in link has expired or has been used already; ask for a new one",
        headers: [.wwwAuthenticate: #"Bearer realm="mobilise""#])

    /// `Path=/; HttpOnly; SameSite=Strict`, and `Secure` when the request came over HTTPS (directly
    /// or through a proxy that says so with `X-Forwarded-Proto`).
    static func cookie(value: String, maxAge: Int, request: Request) -> Cookie {
        Cookie(name: cookieName, value: value, maxAge: maxAge, path: "/", secure: isHTTPS(request), httpOnly: true, sameSite: .strict)
    }

    static let forwardedProto = HTTPField.Name("X-Forwarded-Proto")
    static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")

    static func isHTTPS(_ request: Request) -> Bool {
        if request.uri.scheme == .https || request.head.scheme?.lowercased() == "https" { return true }
        let forwarded = forwardedProto.flatMap { request.headers[$0] }?.lowercased() ?? ""
        return forwarded.split(separator: ",").first?.trimmingCharacters(in: .whitespaces) == "https"
    }
}
