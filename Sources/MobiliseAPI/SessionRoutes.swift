import Foundation
import HTTPTypes
import Hummingbird

/// The dashboard's session: a bearer token exchanged once for an HttpOnly, SameSite=Strict cookie.
///
/// The cookie holds the token's identity re-signed with a key of its own (see ``TokenVerifier``),
/// valid for at most ``lifetime`` and never beyond the token. The authentication middleware accepts
/// it for GET and HEAD only, so a cookie can read what its token may read but never change anything:
/// a cross-site request cannot act on the user's behalf.
struct SessionRoutes {
    static let cookieName = "mobilise_session"
    /// How long a session lasts (at most: never longer than the token it was made from).
    static let lifetime: TimeInterval = 8 * 3600
    let verifier: TokenVerifier

    /// `POST /v1/session` sits behind the authentication middleware (it needs the bearer token).
    func register(on v1: RouterGroup<MobiliseRequestContext>) {
        v1.post("session", use: create)
    }

    /// `DELETE /v1/session` needs no credentials: it only tells the browser to forget its cookie
    /// (the cookie cannot authenticate a DELETE anyway).
    func registerSignOut(on router: Router<MobiliseRequestContext>) {
        router.delete("v1/session") { request, _ in
            var response = Response(status: .noContent)
            response.setCookie(Self.cookie(value: "", maxAge: 0, request: request))
            return response
        }
    }

    /// 204 with `Set-Cookie`; the middleware has already verified the bearer token.
    @Sendable func create(_ request: Request, context: MobiliseRequestContext) async throws -> Response {
        _ = try context.caller()
        guard let header = request.headers[.authorization],
              let token = header.split(separator: " ", maxSplits: 1).last,
              let claims = await verifier.verify(String(token))
        else {
            throw AuthenticationMiddleware.unauthorized("token_required", "exchange a bearer token for a session: send Authorization: Bearer <token>",
                                                        challenge: #"Bearer realm="mobilise""#)
        }
        let session = try await verifier.session(for: claims, lifetime: Self.lifetime)
        let maxAge = max(Int(session.expires.timeIntervalSinceNow.rounded(.down)), 0)
        var response = Response(status: .noContent, headers: [.cacheControl: "no-store"])
        response.setCookie(Self.cookie(value: session.value, maxAge: maxAge, request: request))
        return response
    }

    /// `Path=/; HttpOnly; SameSite=Strict`, and `Secure` when the request came over HTTPS (directly
    /// or through a proxy that says so with `X-Forwarded-Proto`).
    static func cookie(value: String, maxAge: Int, request: Request) -> Cookie {
        Cookie(name: cookieName, value: value, maxAge: maxAge, path: "/", secure: isHTTPS(request), httpOnly: true, sameSite: .strict)
    }

    static let forwardedProto = HTTPField.Name("X-Forwarded-Proto")

    static func isHTTPS(_ request: Request) -> Bool {
        if request.uri.scheme == .https || request.head.scheme?.lowercased() == "https" { return true }
        let forwarded = forwardedProto.flatMap { request.headers[$0] }?.lowercased() ?? ""
        return forwarded.split(separator: ",").first?.trimmingCharacters(in: .whitespaces) == "https"
    }
}
