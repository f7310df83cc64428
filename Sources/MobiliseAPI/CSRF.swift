import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import MobiliseDomain

/// Writes made with the pages' session cookie (``SessionRoutes``), safe from cross-site requests.
///
/// A browser attaches cookies to requests other sites make it send, so a cookie alone never
/// authorises a change. A write (any method but GET and HEAD) authenticated by the cookie must also:
///
/// 1. carry `X-CSRF-Token` equal to the session's token. The token is `HMAC-SHA256(key: the
///    session's secret, "mobilise-csrf-v1")` in base64url: bound to this one session, recomputed
///    from the cookie on any instance (nothing more is stored), and useless to anyone without the
///    HttpOnly cookie, which it does not reveal. A page reads it from `GET /v1/session`
///    (`csrf_token`), which answers only the page's own origin: no CORS header is ever sent, so
///    another site's script cannot read it. A form of another site cannot set a header at all.
/// 2. not come from another site: `Sec-Fetch-Site`, when the browser sends it, must be
///    `same-origin` (or `none`: typed by the person), and `Origin`, when sent, must be this
///    service's own (its host, or the `X-Forwarded-Host` a proxy sets).
///
/// Refusals: 401 `token_required` without the header (as before there was a token to send),
/// 403 `cross_site_request` from another site, 403 `csrf_token_invalid` with a wrong token.
/// Bearer tokens are unaffected: a browser never adds an `Authorization` header by itself.
enum CSRF {
    /// The request header that carries the token.
    static let headerName = "X-CSRF-Token"
    static let header = HTTPField.Name(headerName)
    static let origin = HTTPField.Name("Origin")
    static let forwardedHost = HTTPField.Name("X-Forwarded-Host")
    private static let purpose = "mobilise-csrf-v1"

    /// The token of the session whose cookie is `credential`.
    static func token(for credential: BrowserCredential) -> String {
        credential.derived(for: purpose)
    }

    /// Whether the method changes anything (and so needs the token with a cookie).
    static func isWrite(_ method: HTTPRequest.Method) -> Bool {
        method != .get && method != .head && method != .options
    }

    /// Throws unless the cookie-authenticated write `request` is same-origin and carries the token.
    static func check(_ request: Request, session credential: BrowserCredential) throws {
        try checkSameOrigin(request)
        guard let sent = header.flatMap({ request.headers[$0] }) else {
            throw AuthenticationMiddleware.unauthorized(
                .tokenRequired, "a session cookie changes nothing without the \(headerName) header from GET /v1/session; "
                    + "or send Authorization: Bearer <token>",
                challenge: #"Bearer realm="mobilise""#)
        }
        let expected = token(for: credential)
        // Constant time: the comparison must not tell how much of a guess was right.
        guard sent.utf8.count == expected.utf8.count,
              zip(sent.utf8, expected.utf8).reduce(UInt8(0), { $0 | ($1.0 ^ $1.1) }) == 0
        else {
            throw APIError(.forbidden, code: .csrfTokenInvalid,
                           "the \(headerName) header does not match this session; reload the page")
        }
    }

    /// Throws 403 `cross_site_request` when the browser says the request comes from another site.
    static func checkSameOrigin(_ request: Request) throws {
        if let site = SessionRoutes.secFetchSite.flatMap({ request.headers[$0] })?.lowercased(), site != "same-origin", site != "none" {
            throw crossSite
        }
        if let origin = origin.flatMap({ request.headers[$0] }) {
            let host = forwardedHost.flatMap { request.headers[$0] }?.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces) }
                ?? request.head.authority
            guard let host, let url = URL(string: origin), let originHost = url.host else { throw crossSite }
            let originAuthority = url.port.map { "\(originHost):\($0)" } ?? originHost
            guard originAuthority.lowercased() == host.lowercased() else { throw crossSite }
        }
    }

    static let crossSite = APIError(.forbidden, code: .crossSiteRequest, "this change can only be made from this site's own pages")
}
