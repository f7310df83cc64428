import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The leadership dashboard: an HTML page, its script, style sheet and world map, compiled into the
/// binary. The files hold no data: the page reads every number from the JSON API with the session
/// cookie, so the privacy rule of the rankings applies to all of them.
struct DashboardRoutes {
    struct Asset: Sendable {
        var bytes: [UInt8]
        var contentType: String
        /// Strong validator, so a browser revalidates cheaply after a deploy.
        var eTag: String

        init(_ bytes: [UInt8], _ contentType: String) {
            self.bytes = bytes
            self.contentType = contentType
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a: a fingerprint, not a security measure
            for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            eTag = "\"\(String(hash, radix: 16))\""
        }
    }

    static let page = Asset(PackageResources.dashboard_html, "text/html; charset=utf-8")
    static let signIn = Asset(PackageResources.sign_in_html, "text/html; charset=utf-8")
    static let assets: [String: Asset] = [
        "dashboard.js": Asset(PackageResources.dashboard_js, "text/javascript; charset=utf-8"),
        "sign-in.js": Asset(PackageResources.sign_in_js, "text/javascript; charset=utf-8"),
        "dashboard.css": Asset(PackageResources.dashboard_css, "text/css; charset=utf-8"),
        "world-countries.geojson": Asset(PackageResources.world_countries_geojson, "application/geo+json"),
    ]

    func register(on router: Router<MobiliseRequestContext>) {
        router.get("dashboard") { request, _ in Self.serve(Self.page, request: request) }
        router.get("dashboard/sign-in") { request, _ in Self.serve(Self.signIn, request: request) }
        // One route per file: nothing outside this list can be asked for.
        for name in Self.assets.keys.sorted() {
            router.get("dashboard/assets/\(name)") { request, _ in
                guard let asset = Self.assets[name] else { throw APIError(.notFound, code: .notFound, "no such file") }
                return Self.serve(asset, request: request)
            }
        }
    }

    static func serve(_ asset: Asset, request: Request) -> Response {
        var headers: HTTPFields = [.contentType: asset.contentType, .eTag: asset.eTag, .cacheControl: "no-cache"]
        if request.headers[.ifNoneMatch] == asset.eTag {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentLength] = String(asset.bytes.count)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: asset.bytes)))
    }
}

/// Headers on every response: a strict Content-Security-Policy (scripts, styles, images and
/// connections from this origin only, no inline script or style, no framing), no MIME sniffing,
/// and no Referer leaving the site. Over HTTPS (directly, or through a proxy that says so with
/// `X-Forwarded-Proto`, as for the cookie's `Secure`), `Strict-Transport-Security` too. API answers
/// (`/v1/…`) are personal or privacy-folded data: no cache keeps them (`Cache-Control: no-store`)
/// unless the route says otherwise (a post's media revalidates instead, see ``PostRoutes``).
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = MobiliseRequestContext

    static let contentSecurityPolicy = [
        "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' blob: data:", "media-src 'self'",
        "connect-src 'self'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
    ].joined(separator: "; ")

    /// One year; no `includeSubDomains`: other hosts of the company's domain are not ours to pin.
    static let strictTransportSecurity = "max-age=31536000"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            var response = try await next(request, context)
            Self.add(to: &response.headers, for: request)
            return response
        } catch let error as any HTTPResponseError {
            var response = try error.response(from: request, context: context)
            Self.add(to: &response.headers, for: request)
            return response
        }
    }

    static func add(to headers: inout HTTPFields, for request: Request) {
        headers[.contentSecurityPolicy] = contentSecurityPolicy
        headers[.xContentTypeOptions] = "nosniff"
        for (name, value) in others { headers[name] = value }
        if let hsts = HTTPField.Name("Strict-Transport-Security"), SessionRoutes.isHTTPS(request) {
            headers[hsts] = strictTransportSecurity
        }
        if headers[.cacheControl] == nil, request.uri.path.hasPrefix("/v1/") {
            headers[.cacheControl] = "no-store"
        }
    }

    /// Fields HTTPTypes has no name for (the literals are valid names).
    static let others: [(HTTPField.Name, String)] = [("Referrer-Policy", "no-referrer"), ("X-Frame-Options", "DENY")]
        .compactMap { name, value in HTTPField.Name(name).map { ($0, value) } }
}
