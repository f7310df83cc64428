import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MobiliseAPI
import MobiliseDomain
import MobiliseStore
import MobiliseTesting
import Testing

/// The employee's page, its widget, the message catalogues, and writes made with the session cookie.
@Suite struct EmployeePageTests {
    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!
    static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!
    static let origin = HTTPField.Name("Origin")!
    static let frameOptions = HTTPField.Name("X-Frame-Options")!

    /// An employee's session cookie and its CSRF token (from `GET /v1/session`).
    static func session(_ service: ServiceHarness, _ subject: String, _ roles: [Role] = [.employee]) async throws -> (cookie: String, csrf: String) {
        let cookie = try DashboardTests.cookie(from: try await service.call(.post, "/v1/session", token: try await service.token(subject, roles)))
        let answer = try await service.call(.get, "/v1/session", headers: [.cookie: cookie])
        #expect(answer.status == .ok)
        #expect(answer.json["subject"] as? String == subject)
        let csrf = try #require(answer.json["csrf_token"] as? String)
        return (cookie, csrf)
    }

    // MARK: - Writes with the session cookie

    @Test func aCookieChangesSomethingOnlyWithItsSessionsTokenAndFromThisSite() async throws {
        try await ServiceHarness.run { service in
            let slug = try await service.launchedCampaign()
            let (cookie, csrf) = try await Self.session(service, "in-1")
            let other = try await Self.session(service, "in-2")
            #expect(csrf != other.csrf, "each session has its own token")
            let port = try #require(service.client.port)
            let ownOrigin = "http://127.0.0.1:\(port)"
            let path = "/v1/campaigns/\(slug)/signature"

            // Refused: no token (what a cross-site form sends), a wrong one, another session's, and the
            // right one from another site (by Sec-Fetch-Site, or by Origin where the browser sends no
            // Sec-Fetch-Site).
            let refused: [(String, HTTPFields, HTTPResponse.Status, String)] = [
                ("no token", [.cookie: cookie], .unauthorized, "token_required"),
                ("a wrong token", [.cookie: cookie, Self.csrfHeader: String(csrf.reversed())], .forbidden, "csrf_token_invalid"),
                ("another session's token", [.cookie: cookie, Self.csrfHeader: other.csrf], .forbidden, "csrf_token_invalid"),
                ("a cross-site request", [.cookie: cookie, Self.csrfHeader: csrf, Self.secFetchSite: "cross-site"], .forbidden, "cross_site_request"),
                ("a same-site request of another origin", [.cookie: cookie, Self.csrfHeader: csrf, Self.secFetchSite: "same-site"], .forbidden,
                 "cross_site_request"),
                ("another origin", [.cookie: cookie, Self.csrfHeader: csrf, Self.origin: "http://intranet.example"], .forbidden, "cross_site_request"),
                ("an opaque origin", [.cookie: cookie, Self.csrfHeader: csrf, Self.origin: "null"], .forbidden, "cross_site_request"),
            ]
            for (what, headers, status, code) in refused {
                let reply = try await service.call(.put, path, json: "{}", headers: headers)
                #expect(reply.status == status && reply.errorCode == code, "\(what): \(reply.status) \(reply.text)")
            }
            // A cross-site HTML form: a urlencoded body, no header, the browser's Sec-Fetch-Site.
            let form = try await service.call(.post, "/v1/campaigns/\(slug)/posts", raw: Array("body=pwned".utf8),
                                              contentType: "application/x-www-form-urlencoded",
                                              headers: [.cookie: cookie, Self.secFetchSite: "cross-site", Self.origin: "http://evil.example"])
            #expect(form.status == .forbidden, "\(form.status) \(form.text)")
            // Nothing changed.
            let bearer = try await service.token("in-1", [.employee])
            #expect(try await service.call(.get, path, token: bearer).status == .notFound)
            let mine = try await service.call(.get, "/v1/me/export", token: bearer)
            #expect((mine.json["posts"] as? [Any])?.isEmpty == true, "\(mine.text)")

            // The page's own request: the token, from its own origin. (Through curl, which sends the Host
            // header a browser sends; the test client sends none, and an Origin without a Host is refused.)
            let signed = try await CommandRunner.run("/usr/bin/env", [
                "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT", "-H", "Cookie: \(cookie)", "-H", "X-CSRF-Token: \(csrf)",
                "-H", "Sec-Fetch-Site: same-origin", "-H", "Origin: \(ownOrigin)", "-H", "Content-Type: application/json",
                "--data", #"{"channel": "web"}"#, "\(ownOrigin)\(path)",
            ])
            #expect(signed.standardOutput == "201", "\(signed.standardOutput) \(signed.standardError)")
            #expect(try await service.call(.get, path, token: bearer).json["withdrawn_at"] == nil)
            let withdrawn = try await service.call(.delete, path, headers: [.cookie: cookie, Self.csrfHeader: csrf])
            #expect(withdrawn.status == .noContent)
            #expect(try await service.call(.get, path, token: bearer).json["withdrawn_at"] is String)

            // A story with a photo, and an RSVP, with the cookie and the token.
            let png = Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==") ?? Data()
            let multipart = Array("--B\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\nWhy I signed\r\n--B\r\nContent-Disposition: form-data; name=\"media\"; filename=\"me.png\"\r\nContent-Type: image/png\r\n\r\n".utf8)
                + Array(png) + Array("\r\n--B--\r\n".utf8)
            let posted = try await service.call(.post, "/v1/campaigns/\(slug)/posts", raw: multipart, contentType: "multipart/form-data; boundary=B",
                                                headers: [.cookie: cookie, Self.csrfHeader: csrf])
            #expect(posted.status == .created, "\(posted.status) \(posted.text)")
            let hr = try await service.token("hr-1", [.hrAdmin])
            let event = try await service.call(.post, "/v1/campaigns/\(slug)/events", token: hr, json: """
                {"title": "Town hall", "kind": "city", "country": "IN", "city": "Pune", "starts_at": "\(rfc3339(Date().addingTimeInterval(86_400)))",
                 "ends_at": "\(rfc3339(Date().addingTimeInterval(90_000)))", "capacity": 10, "host": "in-3"}
                """)
            let eventID = try #require(event.json["id"] as? String, "\(event.text)")
            let rsvp = try await service.call(.put, "/v1/events/\(eventID)/rsvp", headers: [.cookie: cookie, Self.csrfHeader: csrf])
            #expect(rsvp.status == .ok && rsvp.json["status"] as? String == "going", "\(rsvp.status) \(rsvp.text)")

            // Signed out, the token is worth nothing: the session it belonged to is over.
            #expect(try await service.call(.delete, "/v1/session", headers: [.cookie: cookie]).status == .noContent)
            let after = try await service.call(.put, path, json: "{}", headers: [.cookie: cookie, Self.csrfHeader: csrf])
            #expect(after.status == .unauthorized && after.errorCode == "session_expired", "\(after.status) \(after.text)")
        }
    }

    @Test func theSessionEndpointGivesATokenOnlyToACookie() async throws {
        try await ServiceHarness.run { service in
            let bearer = try await service.call(.get, "/v1/session", token: try await service.token("in-1", [.employee]))
            #expect(bearer.status == .ok)
            #expect(bearer.json["subject"] as? String == "in-1" && bearer.json["organisation"] as? String == "acme")
            #expect(bearer.json["csrf_token"] == nil, "a bearer token needs none")
            #expect(try await service.call(.get, "/v1/session").status == .unauthorized)
            // The token is the same for the session's life (a page can keep it), and never sent cross-origin.
            let (cookie, csrf) = try await Self.session(service, "in-1")
            let again = try await service.call(.get, "/v1/session", headers: [.cookie: cookie, Self.origin: "http://evil.example"])
            #expect(again.json["csrf_token"] as? String == csrf)
            #expect(again.headers[HTTPField.Name("Access-Control-Allow-Origin")!] == nil)
            #expect(again.headers[.cacheControl] == "no-store")
        }
    }

    // MARK: - Pages and framing

    @Test func thePagesAreServedWithAStrictPolicyAndOnlyTheWidgetMayBeFramedByTheConfiguredSites() async throws {
        try await ServiceHarness.run(widgetOrigins: ["https://intranet.acme.example", "http://127.0.0.1:*"]) { service in
            for path in ["/", "/dashboard", "/dashboard/sign-in", "/assets/employee.js", "/i18n/hi.json", "/v1/me"] {
                let reply = try await service.call(.get, "\(path)")
                let policy = try #require(reply.headers[.contentSecurityPolicy], "\(path)")
                #expect(policy.contains("frame-ancestors 'none'"), "\(path): \(policy)")
                #expect(reply.headers[Self.frameOptions] == "DENY", "\(path)")
                #expect(!policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"), "\(path)")
            }
            let widget = try await service.call(.get, "/widget?campaign=heforshe")
            #expect(widget.status == .ok && widget.headers[.contentType]?.hasPrefix("text/html") == true)
            let policy = try #require(widget.headers[.contentSecurityPolicy])
            #expect(policy.contains("frame-ancestors https://intranet.acme.example http://127.0.0.1:*"), "\(policy)")
            #expect(policy.contains("script-src 'self'") && !policy.contains("unsafe-inline"))
            #expect(widget.headers[Self.frameOptions] == nil, "X-Frame-Options cannot name sites: it would refuse every frame")

            // No inline script or style, nothing from another site.
            for path in ["/", "/widget"] {
                let html = try await service.call(.get, path).text
                #expect(!html.contains("<script>") && !html.contains("<style") && !html.contains("style="), "\(path)")
                #expect(html.firstMatch(of: /\son[a-z]+=/) == nil, "\(path): an inline event handler")
                #expect(!html.contains("http://") && !html.contains("https://"), "\(path)")
            }
            // The first load, everything the page needs before its first API answer, is under 100 KB.
            var firstLoad = 0
            for path in ["/", "/assets/employee.css", "/assets/i18n.js", "/assets/employee.js", "/i18n/en.json"] {
                let reply = try await service.call(.get, "\(path)")
                #expect(reply.status == .ok, "\(path)")
                let again = try await service.call(.get, path, headers: [.ifNoneMatch: reply.headers[.eTag] ?? ""])
                #expect(again.status == .notModified, "\(path)")
                firstLoad += reply.text.utf8.count
            }
            #expect(firstLoad < 100_000, "\(firstLoad) bytes")
            #expect(try await service.call(.get, "/assets/../Package.swift").status == .notFound)
            #expect(try await service.call(.get, "/i18n/xx.json").status == .notFound)
        }
        // Not configured: nobody may frame the widget either.
        try await ServiceHarness.run { service in
            let widget = try await service.call(.get, "/widget")
            #expect(widget.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
        }
    }

    @Test func widgetOriginsAreOriginsOnly() throws {
        #expect(try APIConfiguration.widgetOrigins("https://intranet.acme.com, https://*.acme.com http://localhost:8081 http://127.0.0.1:*")
            == ["https://intranet.acme.com", "https://*.acme.com", "http://localhost:8081", "http://127.0.0.1:*"])
        #expect(try APIConfiguration.widgetOrigins("") == [])
        for bad in ["intranet.acme.com", "https://acme.com/path", "https://acme.com; script-src *", "'self'", "*", "https://a.com'", "javascript:x"] {
            #expect(throws: APIConfiguration.InvalidWidgetOrigin.self, "\(bad)") { try APIConfiguration.widgetOrigins(bad) }
        }
        #expect(APIConfiguration.fromEnvironment(["MOBILISE_WIDGET_ORIGINS": "https://intranet.acme.com"]).widgetOrigins == ["https://intranet.acme.com"])
    }

    /// Bearer tokens of `count` employees outside India who have not signed `campaign`.
    static func unsignedCrowd(_ service: ServiceHarness, campaign: String, count: Int) async throws -> [String] {
        let ids = try await service.store.pool.query("""
            SELECT e.external_id FROM employees e
            WHERE e.organisation_id = \(service.acme.id) AND e.active AND e.country <> 'IN'
              AND NOT EXISTS (SELECT 1 FROM signatures s JOIN campaigns c ON c.organisation_id = s.organisation_id AND c.id = s.campaign_id
                              WHERE s.organisation_id = e.organisation_id AND s.employee_id = e.id AND c.slug = \(campaign))
            ORDER BY e.external_id LIMIT \(count)
            """).column(String.self)
        try #require(ids.count == count)
        var tokens: [String] = []
        for id in ids { tokens.append(try await service.token(id, [.employee])) }
        return tokens
    }

    @Test func anEmployeeOfTheAudienceGetsTheLiveCount() async throws {
        try await ServiceHarness.run { service in
            let slug = try await service.launchedCampaign()
            for signer in ["in-1", "in-2", "br-1"] {
                _ = try await service.call(.put, "/v1/campaigns/\(slug)/signature", token: try await service.token(signer, [.employee]))
            }
            let employee = try await service.call(.get, "/v1/campaigns/\(slug)/live", token: try await service.token("in-3", [.employee]))
            #expect(employee.status == .ok, "\(employee.status) \(employee.text)")
            let leader = try await service.call(.get, "/v1/campaigns/\(slug)/live", token: try await service.token("lead-1", [.leader]))
            // The count a leader gets, published and rounded as a leader's (PRIVACY.md), never HR's exact one.
            #expect(employee.json["approximate"] as? Bool == true && leader.json["approximate"] as? Bool == true, "\(employee.text)")
            #expect(employee.json["signatures"] as? Int == leader.json["signatures"] as? Int, "\(employee.text) \(leader.text)")
            // Not an employee of the organisation: nothing.
            let stranger = try await service.call(.get, "/v1/campaigns/\(slug)/live", token: try await service.token("nobody", [.employee]))
            #expect(stranger.status == .forbidden)
        }
    }

    // MARK: - Message catalogues

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Intl.PluralRules' categories (CLDR) for each language: a plural message has every one.
    static let pluralCategories: [String: Set<String>] = [
        "en": ["one", "other"], "fr": ["one", "many", "other"], "de": ["one", "other"], "es": ["one", "many", "other"],
        "pt-BR": ["one", "many", "other"], "pl": ["one", "few", "many", "other"], "hi": ["one", "other"], "zh-Hans": ["other"],
    ]

    static func placeholders(_ value: Any) -> Set<String> {
        let texts = (value as? String).map { [$0] } ?? ((value as? [String: String]).map { Array($0.values) } ?? [])
        var names = Set<String>()
        for text in texts {
            for match in text.matches(of: /\{(\w+)\}/) { names.insert(String(match.1)) }
        }
        return names
    }

    @Test func everyCatalogueHasEveryKeyWithItsPlaceholdersAndPluralForms() async throws {
        try await ServiceHarness.run { service in
            var catalogues: [String: [String: Any]] = [:]
            for language in Self.pluralCategories.keys {
                let reply = try await service.call(.get, "/i18n/\(language).json")
                #expect(reply.status == .ok && reply.headers[.contentType]?.hasPrefix("application/json") == true, "\(language)")
                catalogues[language] = try #require(try JSONSerialization.jsonObject(with: Data(reply.text.utf8)) as? [String: Any], "\(language)")
            }
            let english = try #require(catalogues["en"])
            for (language, catalogue) in catalogues {
                #expect(Set(catalogue.keys) == Set(english.keys),
                        "\(language): missing \(Set(english.keys).subtracting(catalogue.keys).sorted()), extra \(Set(catalogue.keys).subtracting(english.keys).sorted())")
                for (key, value) in catalogue {
                    guard let reference = english[key] else { continue }
                    #expect(Self.placeholders(value) == Self.placeholders(reference), "\(language) \(key)")
                    if let forms = value as? [String: String] {
                        #expect(Set(forms.keys) == Self.pluralCategories[language], "\(language) \(key): \(forms.keys.sorted())")
                    } else {
                        #expect(value is String && reference is String, "\(language) \(key): a plural in one language is a plural in all")
                        #expect(!((value as? String) ?? "").trimmingCharacters(in: .whitespaces).isEmpty, "\(language) \(key) is empty")
                    }
                }
            }

            // Every key the pages name exists. Keys are quoted 'area.name' strings and data-i18n attributes.
            let files = ["Pages/employee.html", "Pages/employee.js", "Pages/widget.html", "Pages/widget.js", "Pages/i18n.js",
                         "Dashboard/sign-in.html", "Dashboard/sign-in.js", "Dashboard/dashboard.html", "Dashboard/dashboard.js"]
            let areas = "page|language|signIn|campaigns|campaign|pledge|story|feed|events|data|widget|error|dashboard"
            var used = Set<String>()
            for file in files {
                let text = try String(contentsOf: Self.root.appendingPathComponent("Sources/MobiliseAPI/\(file)"), encoding: .utf8)
                for match in text.matches(of: try Regex<(Substring, Substring)>(#"data-i18n(?:-[a-z-]+)?="([^"]+)""#)) { used.insert(String(match.1)) }
                for match in text.matches(of: try Regex<(Substring, Substring)>("'((?:\(areas))\\.[A-Za-z0-9_.]*[A-Za-z0-9_])'")) { used.insert(String(match.1)) }
                // The dashboard's own shorthand, D('key') for 'dashboard.key', and its columns' labels.
                for match in text.matches(of: try Regex<(Substring, Substring)>(#"\bD\('([A-Za-z0-9_.]*[A-Za-z0-9_])'"#)) { used.insert("dashboard." + match.1) }
                for match in text.matches(of: try Regex<(Substring, Substring)>(#"label: '([A-Za-z0-9_.]+)'"#)) { used.insert("dashboard." + match.1) }
            }
            // The HR console's keys are the catalogue's 'console.*': it says t('nav.overview') and data-msg="nav.overview"
            // for 'console.nav.overview', and names shared keys with I.t('…') and data-i18n.
            let consoleAreas = "app|nav|signIn|error|todo|common|status|mode|gender|kind|overview|figures|workforce|report|employee|campaigns|campaign|wizard|moderation|events|checkIn|audit|verify|imports|paper"
            var consoleUsed = Set<String>()
            for file in ["Console/console.html", "Console/console.js"] {
                var text = try String(contentsOf: Self.root.appendingPathComponent("Sources/MobiliseAPI/\(file)"), encoding: .utf8)
                for match in text.matches(of: try Regex<(Substring, Substring)>(#"I\.t\('([A-Za-z0-9_.]*[A-Za-z0-9_])'"#)) { used.insert(String(match.1)) }
                text = text.replacing(try Regex(#"I\.(t|has)\('[^']*'"#), with: "")
                for match in text.matches(of: try Regex<(Substring, Substring)>(#"data-msg="([^"]+)""#)) { consoleUsed.insert("console." + match.1) }
                for match in text.matches(of: try Regex<(Substring, Substring)>(#"data-i18n(?:-[a-z-]+)?="([^"]+)""#)) { used.insert(String(match.1)) }
                for match in text.matches(of: try Regex<(Substring, Substring)>("'((?:\(consoleAreas))\\.[A-Za-z0-9_.]*[A-Za-z0-9_])'")) { consoleUsed.insert("console." + match.1) }
            }
            #expect(consoleUsed.count > 200, "\(consoleUsed.count) console keys found: the scan is broken")
            #expect(consoleUsed.subtracting(english.keys).isEmpty, "console keys used but not in the catalogue: \(consoleUsed.subtracting(english.keys).sorted())")
            let consoleBuilt = ["draft", "active", "closed", "archived"].map { "console.status.\($0)" }
                + ["upsert", "full_sync"].map { "console.mode.\($0)" }
                + ["female", "male", "non_binary", "undisclosed"].map { "console.gender.\($0)" }
                + ["city", "village", "online", "site"].map { "console.kind.\($0)" }
                + ["inserted", "updated", "unchanged", "deactivated", "rejected"].map { "console.report.\($0)" }
                + ["launch", "close", "archive"].flatMap { ["console.campaign.move.\($0)", "console.campaign.confirm.\($0)", "console.campaign.moved.\($0)"] }
                + ["queue", "pending", "hidden", "approved", "rejected"].map { "console.moderation.list.\($0)" }
                + ["approve", "reject"].map { "console.moderation.done.\($0)" }
                // What to do about an error, by code; and the page's sentence for each code an HR admin meets.
                + ["csrf_token_invalid", "token_required", "cross_site_request", "session_expired", "full_sync_unconfirmed", "full_sync_refused",
                   "import_busy", "no_file", "nothing_selected", "reason_required", "invalid_transition"].map { "console.todo.\($0)" }
                + ["full_sync_unconfirmed", "full_sync_refused", "import_busy", "invalid_transition", "campaign_not_draft", "reason_required",
                   "post_already_decided", "campaign_exists", "invalid_slug", "invalid_hashtag", "invalid_dates", "invalid_goal", "invalid_title",
                   "invalid_language", "missing_default_language", "employee_not_found", "host_not_found", "host_inactive", "invalid_capacity",
                   "invalid_city", "city_required", "too_many_rows", "unreadable_file", "invalid_encoding", "missing_fields", "already_checked_in",
                   "check_in_not_open", "check_in_closed", "unauthorized", "internal_error", "invalid_country", "unknown_country", "not_found",
                   "invalid_body"].map { "error.\($0)" }
            #expect(Set(consoleBuilt).subtracting(english.keys).isEmpty, "\(Set(consoleBuilt).subtracting(english.keys).sorted())")
            // Every console key is used (no sentence left behind by a change of the console).
            let consoleKeys = Set(english.keys.filter { $0.hasPrefix("console.") })
            #expect(consoleKeys.subtracting(consoleUsed).subtracting(consoleBuilt).isEmpty,
                    "console keys nobody uses: \(consoleKeys.subtracting(consoleUsed).subtracting(consoleBuilt).sorted())")
            #expect(used.count > 150, "\(used.count) keys found: the scan is broken")
            #expect(used.subtracting(english.keys).isEmpty, "keys used but not in the catalogue: \(used.subtracting(english.keys).sorted())")
            // Keys built at run time: a story's status, and the page's sentence for each error an employee can meet.
            let built = ["pending", "approved", "rejected"].map { "story.status.\($0)" }
                + ["signatures", "participation", "momentum", "goal_progress"].map { "dashboard.caption.\($0)" }
                + ["city", "village", "online", "site"].map { "dashboard.kind.\($0)" }
                + ["draft", "active", "closed", "archived"].map { "dashboard.status.\($0)" }
                + ["generic", "network", "session_expired", "csrf_token_invalid", "cross_site_request", "not_in_audience", "employee_inactive",
                   "campaign_not_active", "campaign_ended", "rate_limited", "media_too_large", "media_malformed", "body_required", "event_over",
                   "database_unavailable", "overloaded"].map { "error.\($0)" }
            #expect(Set(built).subtracting(english.keys).isEmpty, "\(Set(built).subtracting(english.keys).sorted())")
        }
    }

    // MARK: - In a real browser

    @Test(.enabled(
        if: DashboardTests.browserAvailable || DashboardTests.browserRequired,
        "SKIPPED: Chromium, chromedriver or Selenium is missing (apt-get install chromium chromium-driver; pip install selenium axe-selenium-python Pillow); set MOBILISE_REQUIRE_BROWSER=1 to fail instead"))
    func theEmployeePageAndTheWidgetWorkInHeadlessChromium() async throws {
        // Employees read the live count as leaders do, published (PRIVACY.md): a short interval, so
        // that the widget's count can be seen to follow within the test.
        try await ServiceHarness.run(widgetOrigins: ["http://127.0.0.1:*"], environment: ["MOBILISE_LEADER_PUBLISH_INTERVAL": "1s"]) { service in
            let seeded = try await DashboardSeed.seed(service)
            let hr = try await service.token("hr-1", [.hrAdmin])
            // A campaign whose title and pledge exist in French and Hindi too.
            let now = Date()
            let translated = try await service.call(.post, "/v1/campaigns", token: hr, json: """
                {"slug": "allies", "hashtag": "#Allies", "title": "Allies at Acme", "pledge_text": "I stand with my colleagues",
                 "translations": {"fr": {"title": "Alliés chez Acme", "pledge_text": "Je soutiens mes collègues"},
                                  "hi": {"title": "Acme में सहयोगी", "pledge_text": "मैं अपने सहकर्मियों के साथ खड़ा हूँ"}},
                 "starts_at": "\(rfc3339(now.addingTimeInterval(-86_400)))", "ends_at": "\(rfc3339(now.addingTimeInterval(30 * 86_400)))"}
                """)
            #expect(translated.status == .created, "\(translated.text)")
            #expect(try await service.call(.post, "/v1/campaigns/allies/launch", token: hr).status == .ok)
            // An event whose one place is taken: the next RSVP waits.
            let full = try await service.call(.post, "/v1/campaigns/\(seeded.campaign)/events", token: hr, json: """
                {"title": "Breakfast with the site director", "kind": "site", "country": "IN", "city": "Pune",
                 "starts_at": "\(rfc3339(now.addingTimeInterval(2 * 86_400)))", "ends_at": "\(rfc3339(now.addingTimeInterval(2 * 86_400 + 3600)))",
                 "capacity": 1, "host": "in-s3"}
                """)
            let fullID = try #require(full.json["id"] as? String, "\(full.text)")
            #expect(try await service.call(.put, "/v1/events/\(fullID)/rsvp", token: try await service.token("in-s60", [.employee])).status == .ok)

            // Employees of India who have not signed (the seed signs in-s0 to in-s55).
            let employees = ["in-s70", "in-s71", "in-s72", "in-s73", "in-s74"]
            var environment: [String: String] = [
                "MOBILISE_URL": "http://127.0.0.1:\(try #require(service.client.port))",
                "MOBILISE_EMPLOYEES": employees.joined(separator: ","),
                // Twenty more who have not signed (outside India, whose people the flows use): their
                // signatures move a published count by exactly one rounding step (PRIVACY.md).
                "MOBILISE_CROWD_TOKENS": try await Self.unsignedCrowd(service, campaign: seeded.campaign, count: 20).joined(separator: ","),
                "MOBILISE_LEADER_CODE": try await SessionTests.code(service, "lead-1", [.leader]),
                "MOBILISE_CAMPAIGN": seeded.campaign,
                "MOBILISE_TRANSLATED": "allies",
                "MOBILISE_FULL_EVENT": fullID,
                "MOBILISE_OUTPUT": Self.root.appendingPathComponent(".ci/output").path,
            ]
            var codes: [String] = []
            for employee in employees {
                codes.append(try await SessionTests.code(service, employee, [.employee]))
                environment["MOBILISE_TOKEN_" + employee.replacingOccurrences(of: "-", with: "_").uppercased()] = try await service.token(employee, [.employee])
            }
            environment["MOBILISE_CODES"] = codes.joined(separator: ",")
            let output = try await CommandRunner.run(
                "/usr/bin/env", ["python3", Self.root.appendingPathComponent("Tests/browser/employee_test.py").path], environment: environment)
            #expect(output.status == 0, "\(output.standardOutput)\n\(output.standardError)")
        }
    }
}
