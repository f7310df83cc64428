import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import MobiliseDomain
import MobiliseStore
import NIOCore

/// OpenID Connect sign-in for the pages (Authorization Code flow with PKCE, state and nonce).
///
/// `GET /auth/oidc/{organisation}/sign-in[?return=/path]` remembers a sign-in in progress (a random credential in
/// an HttpOnly cookie, its hash and the state, nonce and PKCE verifier in the database) and sends
/// the browser to the organisation's provider. The provider sends it back to
/// `GET /auth/oidc/callback`, which uses the sign-in up (once), checks the state against the one
/// this browser was given, exchanges the code (with the client secret and the PKCE verifier),
/// verifies the ID token (``IDTokenVerifier``), finds the employee by the configured HR id claim,
/// and opens the same kind of session as a one-click sign-in link (``SessionRoutes``).
///
/// The sign-in cookie is `SameSite=Lax`, so that it comes back with the provider's top-level
/// redirect, and is scoped to `/auth/oidc`; the session cookie is `SameSite=Strict` as always.
/// Every failure answers a page that says what to do, opens no session, and keeps its machine
/// code in `data-code` (and the `X-Mobilise-Error` header) for tests and support.
struct SingleSignOnRoutes {
    static let cookieName = "mobilise_sso"
    static let callbackPath = "/auth/oidc/callback"
    /// How long a person has to sign in at the provider.
    static let loginLifetime: TimeInterval = 10 * 60
    let store: MobiliseStore
    let organisations: OrganisationDirectory
    let client: OpenIDClient
    /// `MOBILISE_PUBLIC_URL`: the redirect URI starts with it when set.
    var publicURL: String?
    /// Opens the client secret as stored (nil: the service has no key; only plain-text secrets saved
    /// before sealing then work).
    var sealer: SecretSealer?

    func register(on router: Router<MobiliseRequestContext>) {
        router.get("auth/oidc/callback", use: callback)
        router.get("auth/oidc/:organisation/sign-in", use: start)
    }

    /// `GET /auth/oidc/{organisation}/sign-in`: 302 to the provider's authorization endpoint.
    @Sendable func start(_ request: Request, context: MobiliseRequestContext) async throws -> Response {
        var knownSlug: String?
        do {
            let slug = try context.parameters.require("organisation")
            guard slug.count <= 100, let organisation = try await organisations.organisation(slug: slug) else {
                throw Failure(.notFound, .ssoUnknownOrganisation, "There is no organisation '\(slug)' here. Check the sign-in address your company gave you.")
            }
            knownSlug = organisation.slug
            guard let provider = try await store.ssoProvider(organisationID: organisation.id) else {
                throw Failure(.notFound, .ssoNotConfigured,
                              "\(organisation.name) has not set up company sign-in. Use the sign-in link your HR team sends you.")
            }
            let discovery: OpenIDConfiguration
            do {
                discovery = try await client.configuration(issuer: provider.issuer)
            } catch let failure as SingleSignOnFailure {
                throw Failure(failure, organisation: organisation.name)
            }
            let credential = BrowserCredential(organisationID: organisation.id)
            let login = SSOLogin(
                state: Self.randomText(), nonce: Self.randomText(), codeVerifier: Self.randomText(),
                redirectURI: try origin(of: request) + Self.callbackPath, returnPath: Self.returnPath(request.uri.queryParameters.get("return")),
                expires: Date().addingTimeInterval(Self.loginLifetime))
            try await store.startSSOLogin(organisationID: organisation.id, secretHash: credential.hash, login)
            let challenge = Self.base64URL(Data(SHA256.hash(data: Data(login.codeVerifier.utf8))))
            let query = OpenIDClient.form([
                ("response_type", "code"), ("client_id", provider.clientID), ("redirect_uri", login.redirectURI), ("scope", "openid"),
                ("state", login.state), ("nonce", login.nonce), ("code_challenge", challenge), ("code_challenge_method", "S256"),
            ])
            let endpoint = discovery.authorizationEndpoint
            var response = Response(status: .found, headers: [
                .location: endpoint + (endpoint.contains("?") ? "&" : "?") + query, .cacheControl: "no-store",
            ])
            response.setCookie(Self.loginCookie(value: credential.text, maxAge: Int(Self.loginLifetime), request: request))
            return response
        } catch let failure as Failure {
            return (knownSlug.map(failure.organisation) ?? failure).page(request: request, clearCookie: false)
        }
    }

    /// `GET /auth/oidc/callback?code=…&state=…`: 303 to the dashboard with a session cookie.
    @Sendable func callback(_ request: Request, context: MobiliseRequestContext) async throws -> Response {
        var knownSlug: String?
        do {
            // The sign-in in progress, used up whatever happens next: a second try starts again.
            var finished: (login: SSOLogin, organisationSlug: String)?
            if let value = request.cookies[Self.cookieName]?.value, let credential = BrowserCredential(value) {
                finished = try await store.finishSSOLogin(organisationID: credential.organisationID, secretHash: credential.hash)
            }
            guard let finished else {
                throw Failure(.badRequest, .ssoLoginExpired,
                              "This sign-in has expired or has been used already. Start again from the sign-in page.")
            }
            let (login, slug) = (finished.login, finished.organisationSlug)
            knownSlug = slug
            guard let organisation = try await organisations.organisation(slug: slug),
                  let provider = try await store.ssoProvider(organisationID: organisation.id)
            else { throw Failure(.badRequest, .ssoNotConfigured, "Company sign-in is no longer set up here. Ask your HR team.") }
            let query = request.uri.queryParameters
            guard let state = query.get("state"), IDTokenVerifier.constantTimeEqual(state, login.state) else {
                throw Failure(.badRequest, .ssoStateMismatch,
                              "This answer from your company's sign-in does not belong to the sign-in this browser started. Start again.")
            }
            if let error = query.get("error") {
                let detail = query.get("error_description").map { ": \($0.prefix(200))" } ?? ""
                throw Failure(.unauthorized, .ssoProviderError, "Your company's sign-in did not complete (\(error.prefix(100))\(detail)). Try again.")
            }
            guard let code = query.get("code"), !code.isEmpty, code.utf8.count <= 4096 else {
                throw Failure(.badRequest, .ssoMissingCode, "Your company's sign-in sent no authorisation code. Start again.")
            }

            let stored = provider.clientSecret
            let opened = sealer.map { $0.open(stored, organisationID: organisation.id) } ?? (stored.hasPrefix(SecretSealer.prefix) ? nil : stored)
            guard let clientSecret = opened else {
                throw Failure(.internalServerError, .ssoSecretUnreadable,
                              "Company sign-in is not set up correctly here (its settings must be saved again). Ask your HR team.")
            }
            let verified: IDTokenVerifier.Verified
            do {
                let idToken = try await client.exchange(
                    code: code, codeVerifier: login.codeVerifier, redirectURI: login.redirectURI, issuer: provider.issuer,
                    clientID: provider.clientID, clientSecret: clientSecret)
                let verifier = IDTokenVerifier(
                    issuer: provider.issuer, clientID: provider.clientID, hrIDClaim: provider.hrIDClaim, rolesClaim: provider.rolesClaim)
                do {
                    verified = try await verifier.verify(idToken, keys: try await client.keys(issuer: provider.issuer), nonce: login.nonce)
                } catch SingleSignOnFailure.idTokenRejected {
                    // Perhaps signed with a key the provider added since: fetch its keys again once.
                    verified = try await verifier.verify(
                        idToken, keys: try await client.keys(issuer: provider.issuer, refresh: true), nonce: login.nonce)
                }
            } catch let failure as SingleSignOnFailure {
                throw Failure(failure, organisation: organisation.name)
            }

            guard let employee = try await store.employee(organisationID: organisation.id, externalID: verified.hrID), employee.active else {
                throw Failure(.forbidden, .ssoUnknownEmployee,
                              "You signed in as HR id \(verified.hrID), who is not in \(organisation.name)'s workforce in Mobilise. "
                              + "Ask your HR team to check your record.")
            }
            let roles = Self.roles(verified.roleValues, mapping: provider.roleMapping)
            if let value = request.cookies[SessionRoutes.cookieName]?.value, let previous = BrowserCredential(value) {
                try await store.endSession(organisationID: previous.organisationID, secretHash: previous.hash)
            }
            let session = BrowserCredential(organisationID: organisation.id)
            let identity = SessionIdentity(
                organisationID: organisation.id, organisationSlug: organisation.slug, subject: employee.externalID,
                roles: roles.map(\.rawValue), expires: Date().addingTimeInterval(SessionRoutes.lifetime))
            try await store.createSession(secretHash: session.hash, identity: identity)
            var response = Response(status: .seeOther, headers: [.location: login.returnPath, .cacheControl: "no-store"])
            response.setCookie(SessionRoutes.cookie(value: session.text, maxAge: Int(SessionRoutes.lifetime), request: request))
            response.setCookie(Self.loginCookie(value: "", maxAge: 0, request: request))
            return response
        } catch let failure as Failure {
            return (knownSlug.map(failure.organisation) ?? failure).page(request: request, clearCookie: true)
        }
    }

    /// Where to go once signed in: `?return=` when it is a path of this service (`/admin`, `/dashboard?campaign=x`),
    /// never another site (`//evil.example`, `/\\evil.example`, `https://…`); the dashboard otherwise.
    static func returnPath(_ requested: String?) -> String {
        guard let path = requested, path.count <= 500, path.hasPrefix("/"), !path.hasPrefix("//"), !path.hasPrefix("/\\"),
              path.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && $0 != "\\" })
        else { return "/dashboard" }
        return path
    }

    /// Everyone signed in is an employee. With a mapping, each group the person is in adds its role;
    /// without one, the claim's values that are role names are the roles.
    static func roles(_ values: [String], mapping: [(group: String, role: String)]) -> [Role] {
        var roles: Set<Role> = [.employee]
        if mapping.isEmpty {
            roles.formUnion(values.compactMap(Role.init(rawValue:)))
        } else {
            let groups = Set(values)
            roles.formUnion(mapping.filter { groups.contains($0.group) }.compactMap { Role(rawValue: $0.role) })
        }
        return Role.allCases.filter(roles.contains)
    }

    /// `scheme://host[:port]` of this service as the browser reached it (the redirect URI the provider
    /// must know), or the configured public address (`MOBILISE_PUBLIC_URL`, for a service behind a
    /// proxy that does not pass the browser's `Host` on). The provider checks it against the URIs
    /// registered for the client, and the token request repeats it, so a forged Host header gets nowhere.
    func origin(of request: Request) throws -> String {
        if let publicURL { return publicURL }
        let host = request.head.authority ?? ""
        let allowed = host.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: "["), UInt8(ascii: "]"): true
            default: false
            }
        }
        guard !host.isEmpty, host.count <= 255, allowed else {
            throw Failure(.badRequest, .ssoBadHost, "This address cannot be used for company sign-in.")
        }
        return (SessionRoutes.isHTTPS(request) ? "https://" : "http://") + host
    }

    static func loginCookie(value: String, maxAge: Int, request: Request) -> Cookie {
        Cookie(name: cookieName, value: value, maxAge: maxAge, path: "/auth/oidc", secure: SessionRoutes.isHTTPS(request), httpOnly: true,
               sameSite: .lax)
    }

    /// 256 random bits in base64url (43 characters): state, nonce and PKCE verifier (RFC 7636 section 4.1).
    static func randomText() -> String {
        base64URL(SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) })
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// What a failed sign-in's page says in `data-code` and `X-Mobilise-Error` (HTML pages, not the
    /// API's JSON error bodies: these are not ``ErrorCode``s).
    enum PageCode: String, Sendable {
        case ssoBadHost = "sso_bad_host"
        case ssoCodeRefused = "sso_code_refused"
        case ssoIdTokenRejected = "sso_id_token_rejected"
        case ssoLoginExpired = "sso_login_expired"
        case ssoMissingCode = "sso_missing_code"
        case ssoNonceMismatch = "sso_nonce_mismatch"
        case ssoNotConfigured = "sso_not_configured"
        case ssoProviderError = "sso_provider_error"
        case ssoProviderUnavailable = "sso_provider_unavailable"
        case ssoSecretUnreadable = "sso_secret_unreadable"
        case ssoStateMismatch = "sso_state_mismatch"
        case ssoUnknownEmployee = "sso_unknown_employee"
        case ssoUnknownOrganisation = "sso_unknown_organisation"
    }

    /// A failed sign-in: an HTML page (the browser is navigating, not calling an API).
    struct Failure: Error {
        var status: HTTPResponse.Status
        var code: PageCode
        var message: String
        /// The organisation whose sign-in page to go back to, when known.
        var organisationSlug: String?

        init(_ status: HTTPResponse.Status, _ code: PageCode, _ message: String) {
            self.status = status
            self.code = code
            self.message = message
        }

        func organisation(_ slug: String) -> Failure {
            var failure = self
            failure.organisationSlug = slug
            return failure
        }

        init(_ failure: SingleSignOnFailure, organisation: String) {
            switch failure {
            case .providerUnavailable(let detail):
                self.init(.badGateway, .ssoProviderUnavailable,
                          "\(organisation)'s sign-in service cannot be used right now: \(detail). Try again later, or tell your IT team.")
            case .codeRefused(let detail):
                self.init(.unauthorized, .ssoCodeRefused, "Your company's sign-in did not accept this sign-in (\(detail)). Start again.")
            case .idTokenRejected(let detail):
                self.init(.unauthorized, .ssoIdTokenRejected, "Mobilise could not trust the answer of your company's sign-in: \(detail). Tell your IT team.")
            case .nonceMismatch:
                self.init(.unauthorized, .ssoNonceMismatch,
                          "The answer of your company's sign-in was made for another sign-in (nonce). Start again.")
            }
        }

        func page(request: Request, clearCookie: Bool) -> Response {
            let html = """
                <!doctype html>
                <html lang="en">
                <head>
                  <meta charset="utf-8">
                  <meta name="viewport" content="width=device-width, initial-scale=1">
                  <meta name="referrer" content="no-referrer">
                  <title>Mobilise — sign-in did not complete</title>
                  <link rel="icon" href="data:,">
                  <link rel="stylesheet" href="/dashboard/assets/dashboard.css">
                </head>
                <body>
                  <main class="card sign-in">
                    <h1>Sign-in did not complete</h1>
                    <p id="sso-error" data-code="\(code.rawValue)">\(markupEscaped(message))</p>
                    <p><a href="/dashboard/sign-in\(organisationSlug.map { "?org=" + markupEscaped($0) } ?? "")">Back to the sign-in page</a></p>
                  </main>
                </body>
                </html>

                """
            var headers: HTTPFields = [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"]
            if let name = Self.errorHeader { headers[name] = code.rawValue }
            var response = Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
            if clearCookie { response.setCookie(SingleSignOnRoutes.loginCookie(value: "", maxAge: 0, request: request)) }
            return response
        }

        static let errorHeader = HTTPField.Name("X-Mobilise-Error")
    }
}
