import Foundation
import Hummingbird
import MobiliseDomain

/// The employee's page at `/`, the widget an intranet page frames at `/widget`, and the message
/// catalogues every page reads (`/i18n/<language>.json`), compiled into the binary like the
/// dashboard (``DashboardRoutes``): plain HTML, CSS and JavaScript, no build step, no inline script
/// or style. They hold no data: everything comes from the public API with the session cookie, and
/// a change is sent with the session's CSRF token (``CSRF``).
struct EmployeePageRoutes {
    typealias Asset = DashboardRoutes.Asset

    /// The only path a site may frame (``SecurityHeadersMiddleware``).
    static let widgetPath = "/widget"

    /// The languages of the catalogues, as BCP 47 tags; English first (the reference catalogue).
    static let languages = ["en", "fr", "de", "es", "pt-BR", "pl", "hi", "zh-Hans"]

    static let page = Asset(PackageResources.employee_html, "text/html; charset=utf-8")
    static let widget = Asset(PackageResources.widget_html, "text/html; charset=utf-8")
    static let assets: [String: Asset] = [
        "employee.js": Asset(PackageResources.employee_js, "text/javascript; charset=utf-8"),
        "employee.css": Asset(PackageResources.employee_css, "text/css; charset=utf-8"),
        "widget.js": Asset(PackageResources.widget_js, "text/javascript; charset=utf-8"),
        "i18n.js": Asset(PackageResources.i18n_js, "text/javascript; charset=utf-8"),
    ]
    static let catalogues: [String: Asset] = [
        "en": Asset(PackageResources.en_json, "application/json; charset=utf-8"),
        "fr": Asset(PackageResources.fr_json, "application/json; charset=utf-8"),
        "de": Asset(PackageResources.de_json, "application/json; charset=utf-8"),
        "es": Asset(PackageResources.es_json, "application/json; charset=utf-8"),
        "pt-BR": Asset(PackageResources.pt_BR_json, "application/json; charset=utf-8"),
        "pl": Asset(PackageResources.pl_json, "application/json; charset=utf-8"),
        "hi": Asset(PackageResources.hi_json, "application/json; charset=utf-8"),
        "zh-Hans": Asset(PackageResources.zh_Hans_json, "application/json; charset=utf-8"),
    ]

    let widgetOrigins: [String]

    func register(on router: Router<MobiliseRequestContext>) {
        router.get("/") { request, _ in DashboardRoutes.serve(Self.page, request: request) }
        router.get("widget") { request, _ in DashboardRoutes.serve(Self.widget, request: request) }
        // One route per file: nothing outside these lists can be asked for.
        for name in Self.assets.keys.sorted() {
            router.get("assets/\(name)") { request, _ in
                guard let asset = Self.assets[name] else { throw APIError(.notFound, code: .notFound, "no such file") }
                return DashboardRoutes.serve(asset, request: request)
            }
        }
        for language in Self.languages {
            router.get("i18n/\(language).json") { request, _ in
                guard let asset = Self.catalogues[language] else { throw APIError(.notFound, code: .notFound, "no such file") }
                return DashboardRoutes.serve(asset, request: request)
            }
        }
    }
}
