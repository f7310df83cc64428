import Foundation
import HTTPTypes
import Hummingbird
import MobiliseDomain

/// What a write authenticated by the pages' session cookie must show, besides the cookie: that
/// it comes from a page of this site, and that the page could read the session's CSRF token.
///
/// A browser attaches cookies to requests other sites make it send (a form posted to us, a
/// `fetch` with `credentials: 'include'`); SameSite=Strict already keeps our cookie home in current
/// browsers, and these checks hold without relying on it:
/// 1. Fetch metadata: a request the browser marks `Sec-Fetch-Site` other than `same-origin` is refused.
/// 2. `Origin`, when sent (browsers send it with every cross-origin request and every POST), must be this
///    service's own (the `Host` the request was sent to, or the `X-Forwarded-Host` of a proxy).
/// 3. `X-CSRF-Token` must be the session's token (``BrowserCredential/csrfToken``), which
///    `GET /v1/session` answers to this site's pages only: another site's script cannot read our
///    answers (no CORS permission is ever given), and an HTML form cannot set a header at all.
/// Bearer-token requests need none of this: a browser never adds an `Authorization` header by itself.
enum CSRFProtection {
    static let header = HTTPField.Name("X-CSRF-Token")
    static let forwardedHost = HTTPField.Name("X-Forwarded-Host")

    /// Throws 403 `cross_site_request` or `csrf_token_required` unless the write may go ahead.
    static func check(_ request: Request, session: BrowserCredential) throws {
        if let site = SessionRoutes.secFetchSite.flatMap({ request.headers[$0] })?.lowercased(), site != "same-origin" {
            throw crossSite
        }
        if let origin = request.headers[.origin], !isOwnOrigin(origin, request) {
            throw crossSite
        }
        guard let token = header.flatMap({ request.headers[$0] }), session.acceptsCSRFToken(token) else {
            throw APIError(
                .forbidden, code: .csrfTokenRequired,
                "a change made with the session cookie needs the X-CSRF-Token header that GET /v1/session gives "
                    + "(reload the page to get a new one), or send Authorization: Bearer <token>")
        }
    }

    static let crossSite = APIError(
        .forbidden, code: .crossSiteRequest, "a change can only be made from this service's own pages; nothing was changed")

    /// Whether `origin` (`scheme://host[:port]`) names the authority the request was sent to.
    static func isOwnOrigin(_ origin: String, _ request: Request) -> Bool {
        guard let separator = origin.range(of: "://") else { return false }  // "null" and anything malformed
        let authority = origin[separator.upperBound...].lowercased()
        var own: [String] = []
        if let host = request.head.authority { own.append(host.lowercased()) }
        if let forwarded = forwardedHost.flatMap({ request.headers[$0] }) {
            own += forwarded.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        }
        return own.contains(authority)
    }
}
