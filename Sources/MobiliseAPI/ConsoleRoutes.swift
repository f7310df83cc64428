import Foundation
import Hummingbird
import MobiliseDomain

/// The HR console at `/admin`: an HTML page, its script and its style sheet (its sentences are in
/// the pages' message catalogues, ``EmployeePageRoutes``), compiled into the binary like the
/// dashboard (``DashboardRoutes``), under the same Content-Security-Policy (``SecurityHeadersMiddleware``). The console is a client of the
/// public JSON API only: it reads with the session cookie and writes with the session's CSRF token
/// (``CSRF``). Signing in goes through the dashboard's sign-in page, served again at
/// `/admin/sign-in`, which opens the console afterwards.
struct ConsoleRoutes {
    static let page = DashboardRoutes.Asset(PackageResources.console_html, "text/html; charset=utf-8")
    static let assets: [String: DashboardRoutes.Asset] = [
        "console.js": .init(PackageResources.console_js, "text/javascript; charset=utf-8"),
        "console.css": .init(PackageResources.console_css, "text/css; charset=utf-8"),
    ]

    func register(on router: Router<MobiliseRequestContext>) {
        router.get("admin") { request, _ in DashboardRoutes.serve(Self.page, request: request) }
        router.get("admin/sign-in") { request, _ in DashboardRoutes.serve(DashboardRoutes.signIn, request: request) }
        // One route per file: nothing outside this list can be asked for.
        for name in Self.assets.keys.sorted() {
            router.get("admin/assets/\(name)") { request, _ in
                guard let asset = Self.assets[name] else { throw APIError(.notFound, code: .notFound, "no such file") }
                return DashboardRoutes.serve(asset, request: request)
            }
        }
    }
}
