import Foundation
import HTTPTypes
import MobiliseAPI
import MobiliseTesting
import MobiliseDomain
import MobiliseStore
import Testing

/// The HR console's needs of the API: writes from the browser that another site cannot forge (a
/// CSRF token bound to the session, fetch metadata and Origin checks), the import's dry run and
/// full-sync guard, and the reads its screens make. Over real HTTP against real PostgreSQL.
@Suite struct ConsoleTests {
    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!  // a valid literal name
    static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!

    /// An HR admin's browser session: its cookie and the CSRF token `GET /v1/session` gives it.
    static func hrSession(_ service: ServiceHarness, subject: String = "hr-1") async throws -> (cookie: String, csrf: String) {
        let cookie = try DashboardTests.cookie(from: try await service.call(.post, "/v1/session", token: try await service.token(subject, [.hrAdmin])))
        let session = try await service.call(.get, "/v1/session", headers: [.cookie: cookie])
        #expect(session.status == .ok, "\(session.text)")
        #expect(session.json["subject"] as? String == subject)
        #expect(session.json["roles"] as? [String] == ["hr_admin"])
        let csrf = try #require(session.json["csrf_token"] as? String)
        return (cookie, csrf)
    }

    static func status(_ service: ServiceHarness, _ slug: String) async throws -> String? {
        try await service.call(.get, "/v1/campaigns/\(slug)", token: try await service.token("hr-1", [.hrAdmin])).json["status"] as? String
    }

    // MARK: - Cross-site request forgery

    /// The audit screen's action filter offers every family of actions the service records: one
    /// added to the code without the filter would be unreachable from the console.
    @Test func theAuditFilterOffersEveryFamilyOfActionsRecorded() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let sources = root.appendingPathComponent("Sources")
        let console = try String(contentsOf: sources.appendingPathComponent("MobiliseAPI/Console/console.js"), encoding: .utf8)
        var families: Set<String> = []
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)
        while let file = files?.nextObject() as? URL {
            guard file.pathExtension == "swift" else { continue }
            let text = try String(contentsOf: file, encoding: .utf8)
            for match in text.matches(of: #/action: "([a-z_]+)\./#) { families.insert(String(match.1)) }
        }
        #expect(families.count >= 10, "\(families)")
        for family in families.sorted() { #expect(console.contains("'\(family).'"), "the audit filter lacks '\(family).'") }
    }

    @Test func theSessionEndpointGivesTheCSRFTokenToTheCookieOnly() async throws {
        try await ServiceHarness.run { service in
            let none = try await service.call(.get, "/v1/session")
            #expect(none.status == .unauthorized && none.errorCode == "missing_token")
            // A bearer token is told who it is, without a CSRF token: it needs none.
            let bearer = try await service.call(.get, "/v1/session", token: try await service.token("hr-1", [.hrAdmin]))
            #expect(bearer.status == .ok && bearer.json["csrf_token"] == nil)
            let first = try await Self.hrSession(service)
            let again = try await service.call(.get, "/v1/session", headers: [.cookie: first.cookie])
            #expect(again.json["csrf_token"] as? String == first.csrf, "the token is the session's: the same on every read")
            #expect(again.headers[.cacheControl] == "no-store")
            let second = try await Self.hrSession(service)
            #expect(second.csrf != first.csrf, "another session has another token")
            // Once signed out, the cookie gives nothing.
            _ = try await service.call(.delete, "/v1/session", headers: [.cookie: first.cookie])
            #expect(try await service.call(.get, "/v1/session", headers: [.cookie: first.cookie]).status == .unauthorized)
        }
    }

    @Test func aWriteWithTheCookieAndItsCSRFTokenFromThePageGoesThrough() async throws {
        try await ServiceHarness.run { service in
            let slug = try await service.launchedCampaign()
            let session = try await Self.hrSession(service)
            // As the console's fetch sends it: same-origin, with the token (the test client's
            // requests are for the host `localhost`).
            let closed = try await service.call(.post, "/v1/campaigns/\(slug)/close", headers: [
                .cookie: session.cookie, Self.csrfHeader: session.csrf, Self.secFetchSite: "same-origin", .origin: "http://localhost",
            ])
            #expect(closed.status == .ok, "\(closed.text)")
            #expect(try await Self.status(service, slug) == "closed")
            // The audit log names the session's person.
            let audit = try await service.call(.get, "/v1/audit?action=campaign.closed", headers: [.cookie: session.cookie])
            let entries = try #require(audit.json["entries"] as? [[String: any Sendable]])
            #expect(entries.first?["actor"] as? String == "hr-1", "\(audit.text)")
        }
    }

    @Test func aCrossSiteFormOrFetchChangesNothing() async throws {
        try await ServiceHarness.run { service in
            let slug = try await service.launchedCampaign()
            let victim = try await Self.hrSession(service)
            let other = try await Self.hrSession(service, subject: "hr-2")
            func with(_ fields: HTTPFields) -> HTTPFields { fields }
            let attempts: [(String, HTTPFields, String)] = [
                // An HTML form posted from another site: no header of its own, a form body, its Origin.
                ("a cross-site form", with([.cookie: victim.cookie, Self.secFetchSite: "cross-site", .origin: "https://evil.example"]), "cross_site_request"),
                // A cross-site fetch with credentials, even one that somehow knew the token.
                ("a cross-site fetch with the token", with([.cookie: victim.cookie, Self.csrfHeader: victim.csrf, Self.secFetchSite: "cross-site",
                                                       .origin: "https://evil.example"]), "cross_site_request"),
                ("a sibling subdomain", with([.cookie: victim.cookie, Self.csrfHeader: victim.csrf, Self.secFetchSite: "same-site",
                                              .origin: "https://other.127.0.0.1"]), "cross_site_request"),
                // An old browser without fetch metadata: the Origin still gives the other site away.
                ("another Origin", with([.cookie: victim.cookie, Self.csrfHeader: victim.csrf, .origin: "https://evil.example"]), "cross_site_request"),
                ("Origin null (a sandboxed page)", with([.cookie: victim.cookie, Self.csrfHeader: victim.csrf, .origin: "null"]), "cross_site_request"),
                // Nothing to tell the site by: the token is what is missing.
                ("no token", with([.cookie: victim.cookie]), "token_required"),
                ("a same-origin request without the token", with([.cookie: victim.cookie, Self.secFetchSite: "same-origin", .origin: "http://localhost"]),
                 "token_required"),
                ("a made-up token", with([.cookie: victim.cookie, Self.csrfHeader: String(repeating: "A", count: 43)]), "csrf_token_invalid"),
                ("the session cookie's own value as the token", with([.cookie: victim.cookie, Self.csrfHeader: String(victim.cookie.dropFirst("mobilise_session=".count))]),
                 "csrf_token_invalid"),
                // The token is bound to its session: another session's token (the attacker's own) does not fit the victim's cookie.
                ("another session's token", with([.cookie: victim.cookie, Self.csrfHeader: other.csrf]), "csrf_token_invalid"),
            ]
            for (what, headers, code) in attempts {
                for (method, path, body) in [(HTTPRequest.Method.post, "/v1/campaigns/\(slug)/close", "{}"),
                                             (.post, "/v1/campaigns", ##"{"slug": "evil", "hashtag": "#x", "title": "x", "pledge_text": "x", "starts_at": "2026-01-01", "ends_at": "2027-01-01"}"##),
                                             (.delete, "/v1/employees/in-1", "")] {
                    let reply = try await service.call(method, path, raw: Array(body.utf8), contentType: "application/x-www-form-urlencoded", headers: headers)
                    // Without the header: 401, as any request that lacks its credential; otherwise 403.
                    let status: HTTPResponse.Status = code == "token_required" ? .unauthorized : .forbidden
                    #expect(reply.status == status && reply.errorCode == code, "\(what): \(method) \(path): \(reply.status) \(reply.text)")
                }
            }
            // Nothing changed: still running, no campaign made, the employee still there and named.
            #expect(try await Self.status(service, slug) == "active")
            let hr = try await service.token("hr-1", [.hrAdmin])
            #expect(try await service.call(.get, "/v1/campaigns/evil", token: hr).status == .notFound)
            let employees = try await service.call(.get, "/v1/employees?q=in-1", token: hr)
            #expect((employees.json["employees"] as? [[String: any Sendable]])?.first?["display_name"] as? String == "Arjun")
            // Bearer tokens are unaffected (a browser never adds one by itself).
            #expect(try await service.call(.post, "/v1/campaigns/\(slug)/close", token: hr, headers: [Self.secFetchSite: "cross-site"]).status == .ok)
        }
    }

    // MARK: - The import's dry run and full-sync guard

    /// Acme has 14 active employees (ServiceHarness.workforce): a file with ten of them, one changed
    /// and one new employee deactivates four (29%), past the 10% guard.
    static let shortFile = """
        external_id,display_name,country,gender
        hr-1,Hana HR,FR,female
        lead-1,Leo Lead,FR,male
        in-1,Arjun K,IN,male
        in-2,Vikram,IN,male
        in-3,Rahul,IN,male
        in-4,Priya,IN,female
        br-1,João,BR,male
        br-2,Pedro,BR,male
        br-3,Lucas,BR,male
        br-4,Ana,BR,female
        new-1,Nina,MT,female

        """

    static func activeCount(_ service: ServiceHarness) async throws -> Int {
        let workforce = try await service.call(.get, "/v1/workforce", token: try await service.token("hr-1", [.hrAdmin]))
        return try #require(workforce.json["active"] as? Int)
    }

    static func importEntries(_ service: ServiceHarness) async throws -> Int {
        let audit = try await service.call(.get, "/v1/audit?action=employees.import", token: try await service.token("hr-1", [.hrAdmin]))
        return (audit.json["entries"] as? [Any])?.count ?? -1
    }

    @Test func aDryRunReportsWhatAnImportWouldDoAndChangesNothing() async throws {
        try await ServiceHarness.run { service in
            let hr = try await service.token("hr-1", [.hrAdmin])
            let before = try await Self.activeCount(service)
            let entries = try await Self.importEntries(service)
            let file = Self.shortFile + "bad-1,Nobody,XX,male\nbad-2,Nobody,IN,sometimes\n"
            let dry = try await service.call(.post, "/v1/employees/import?mode=upsert&dry_run=true", token: hr, raw: Array(file.utf8), contentType: "text/csv")
            #expect(dry.status == .ok, "\(dry.text)")
            #expect(dry.json["dry_run"] as? Bool == true)
            #expect(dry.json["inserted"] as? Int == 1)
            #expect(dry.json["updated"] as? Int == 1)
            #expect(dry.json["unchanged"] as? Int == 9)
            #expect(dry.json["deactivated"] as? Int == 0)
            #expect(dry.json["rejected_count"] as? Int == 2)
            let lines = (dry.json["rejected"] as? [[String: any Sendable]])?.compactMap { $0["line"] as? Int }
            #expect(lines == [13, 14])
            // Nothing changed: no new employee, no new name, no audit entry.
            #expect(try await Self.activeCount(service) == before)
            #expect(try await service.store.employee(organisationID: service.acme.id, externalID: "new-1") == nil)
            let arjun = try await service.store.employee(organisationID: service.acme.id, externalID: "in-1")
            #expect(arjun?.displayName == "Arjun")
            #expect(try await Self.importEntries(service) == entries)

            // The same file for real does what the dry run said.
            let real = try await service.call(.post, "/v1/employees/import?mode=upsert", token: hr, raw: Array(file.utf8), contentType: "text/csv")
            #expect(real.json["dry_run"] as? Bool == false)
            for key in ["inserted", "updated", "unchanged", "deactivated", "rejected_count"] {
                #expect(real.json[key] as? Int == dry.json[key] as? Int, "\(key)")
            }
            #expect(try await Self.activeCount(service) == before + 1)
            #expect(try await Self.importEntries(service) == entries + 1)
            #expect(try await service.call(.post, "/v1/employees/import?dry_run=maybe", token: hr, raw: Array(file.utf8), contentType: "text/csv").status == .badRequest)
        }
    }

    @Test func aFullSyncDeactivatingMoreThanTheGuardIsHeldUntilConfirmed() async throws {
        try await ServiceHarness.run { service in
            let hr = try await service.token("hr-1", [.hrAdmin])
            let file = Array(Self.shortFile.utf8)
            func sync(_ query: String) async throws -> ServiceHarness.Reply {
                try await service.call(.post, "/v1/employees/import?mode=full_sync" + query, token: hr, raw: file, contentType: "text/csv")
            }
            #expect(try await Self.activeCount(service) == 14)

            // The dry run says what would happen and that it needs a confirmation.
            let dry = try await sync("&dry_run=true")
            #expect(dry.status == .ok, "\(dry.text)")
            #expect(dry.json["deactivated"] as? Int == 4)
            #expect(dry.json["active_before"] as? Int == 14)
            #expect(dry.json["deactivation_guard"] as? Double == 0.1)
            #expect(dry.json["confirmation_required"] as? Bool == true)

            // Without a confirmation, or with one for fewer, it is refused and nothing changes.
            let entries = try await Self.importEntries(service)
            for query in ["", "&confirm_deactivations=3"] {
                let refused = try await sync(query)
                #expect(refused.status == .conflict && refused.errorCode == "full_sync_unconfirmed", "\(query): \(refused.status) \(refused.text)")
                let message = (refused.json["error"] as? [String: any Sendable])?["message"] as? String ?? ""
                #expect(message.contains("deactivate 4 of the 14 active employees"), "\(message)")
                #expect(message.contains("confirm_deactivations=4"), "\(message)")
                #expect(try await Self.activeCount(service) == 14)
                #expect(try await service.store.employee(organisationID: service.acme.id, externalID: "new-1") == nil)
            }
            #expect(try await Self.importEntries(service) == entries)

            // Confirmed with the number the dry run gave: done.
            let confirmed = try await sync("&confirm_deactivations=4")
            #expect(confirmed.status == .ok, "\(confirmed.text)")
            #expect(confirmed.json["deactivated"] as? Int == 4)
            #expect(confirmed.json["confirmation_required"] as? Bool == false)
            #expect(try await Self.activeCount(service) == 11)
            #expect(try await service.store.employee(organisationID: service.acme.id, externalID: "in-5")?.active == false)
        }
    }

    @Test func aFullSyncWithinTheGuardNeedsNoConfirmationAndTheShareIsConfigurable() async throws {
        // One leaver of 14 (7%): under the default 10%.
        try await ServiceHarness.run { service in
            let hr = try await service.token("hr-1", [.hrAdmin])
            let all = ServiceHarness.workforce.split(separator: "\n").filter { !$0.hasPrefix("mt-2,") }.joined(separator: "\n") + "\n"
            let reply = try await service.call(.post, "/v1/employees/import?mode=full_sync", token: hr, raw: Array(all.utf8), contentType: "text/csv")
            #expect(reply.status == .ok, "\(reply.text)")
            #expect(reply.json["deactivated"] as? Int == 1)
            #expect(reply.json["confirmation_required"] as? Bool == false)
        }
        // With a guard of 30% (MOBILISE_FULL_SYNC_GUARD), four of 14 go through unconfirmed.
        try await ServiceHarness.run(fullSyncGuard: 0.3) { service in
            let hr = try await service.token("hr-1", [.hrAdmin])
            let reply = try await service.call(.post, "/v1/employees/import?mode=full_sync", token: hr, raw: Array(Self.shortFile.utf8), contentType: "text/csv")
            #expect(reply.status == .ok, "\(reply.text)")
            #expect(reply.json["deactivated"] as? Int == 4)
            #expect(reply.json["deactivation_guard"] as? Double == 0.3)
        }
        #expect(APIConfiguration.fromEnvironment(["MOBILISE_FULL_SYNC_GUARD": "25%"]).fullSyncGuard == 0.25)
        #expect(APIConfiguration.fromEnvironment(["MOBILISE_FULL_SYNC_GUARD": "0.05"]).fullSyncGuard == 0.05)
        #expect(APIConfiguration.fromEnvironment(["MOBILISE_FULL_SYNC_GUARD": "nonsense"]).fullSyncGuard == 0.1)
    }

    // MARK: - What the console's screens read

    @Test func theWorkforceSearchAndAuditFiltersAnswerTheConsole() async throws {
        try await ServiceHarness.run { service in
            let hr = try await service.token("hr-1", [.hrAdmin])
            let workforce = try await service.call(.get, "/v1/workforce", token: hr)
            #expect(workforce.json["active"] as? Int == 14)
            #expect(workforce.json["inactive"] as? Int == 1)
            let countries = try #require(workforce.json["countries"] as? [[String: any Sendable]])
            #expect(countries.first?["country"] as? String == "IN")
            #expect(countries.first?["active"] as? Int == 6)
            #expect(countries.first?["inactive"] as? Int == 1)
            #expect(try await service.call(.get, "/v1/workforce", token: try await service.token("lead-1", [.leader])).status == .forbidden)

            func ids(_ query: String) async throws -> [String] {
                let page = try await service.call(.get, "/v1/employees?" + query, token: hr)
                return (page.json["employees"] as? [[String: any Sendable]] ?? []).compactMap { $0["external_id"] as? String }
            }
            #expect(try await ids("q=in-") == ["in-1", "in-2", "in-3", "in-4", "in-5", "in-6"])
            #expect(try await ids("q=pri") == ["in-4"], "a name's beginning, ignoring case")
            #expect(try await ids("q=%25") == [], "a wildcard is a character like any other")
            #expect(try await ids("q=in-&limit=4") == ["in-1", "in-2", "in-3", "in-4"])
            let page = try await service.call(.get, "/v1/employees?q=in-&limit=4", token: hr)
            let cursor = try #require(page.json["next_cursor"] as? String)
            #expect(try await ids("q=in-&limit=4&cursor=\(cursor)") == ["in-5", "in-6"])
            #expect(try await ids("q=a&country=BR") == ["br-4"], "Ana")

            _ = try await service.launchedCampaign()
            let all = try await service.call(.get, "/v1/audit", token: hr).json["entries"] as? [[String: any Sendable]] ?? []
            let campaignOnly = try await service.call(.get, "/v1/audit?action=campaign.", token: hr).json["entries"] as? [[String: any Sendable]] ?? []
            #expect(campaignOnly.count == 2 && campaignOnly.allSatisfy { ($0["action"] as? String)?.hasPrefix("campaign.") == true }, "\(campaignOnly)")
            #expect(all.count > campaignOnly.count)
            let bySetup = try await service.call(.get, "/v1/audit?actor=setup", token: hr).json["entries"] as? [[String: any Sendable]] ?? []
            #expect(!bySetup.isEmpty && bySetup.allSatisfy { $0["actor"] as? String == "setup" })
        }
    }

    /// An erased employee is a pseudonym ("erased-…") kept for their anonymised signatures: the
    /// employee list, its search and its pages never show it (it was listed until migration 0019).
    @Test func erasedEmployeesAreNotListed() async throws {
        try await ServiceHarness.run { service in
            let hr = try await service.token("hr-1", [.hrAdmin])
            func ids(_ query: String) async throws -> [String] {
                let page = try await service.call(.get, "/v1/employees?" + query, token: hr)
                #expect(page.status == .ok, "\(query): \(page.status) \(page.text)")
                return (page.json["employees"] as? [[String: any Sendable]] ?? []).compactMap { $0["external_id"] as? String }
            }
            let before = try await ids("limit=1000")
            #expect(before.contains("in-2"))
            #expect(try await service.call(.delete, "/v1/employees/in-2", token: hr).status == .noContent)
            let after = try await ids("limit=1000")
            #expect(after == before.filter { $0 != "in-2" }, "\(after)")
            #expect(!after.contains { $0.hasPrefix("erased-") })
            #expect(try await ids("q=erased") == [])
            let india = try await ids("country=IN&limit=1000")
            #expect(!india.isEmpty && !india.contains("in-2") && india.allSatisfy { after.contains($0) }, "\(india)")
            // Pages of one: the cursor walks past the place the erased row holds in the order.
            var walked: [String] = []
            var cursor: String?
            repeat {
                let page = try await service.call(.get, "/v1/employees?limit=1" + (cursor.map { "&cursor=\($0)" } ?? ""), token: hr)
                walked += (page.json["employees"] as? [[String: any Sendable]] ?? []).compactMap { $0["external_id"] as? String }
                cursor = page.json["next_cursor"] as? String
            } while cursor != nil && walked.count <= before.count
            #expect(walked == after)
        }
    }

    @Test func theConsoleIsServedUnderTheStrictContentSecurityPolicy() async throws {
        try await ServiceHarness.run { service in
            let page = try await service.call(.get, "/admin")
            #expect(page.status == .ok)
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            let policy = try #require(page.headers[.contentSecurityPolicy])
            #expect(policy.contains("script-src 'self'") && !policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"))
            let signIn = try await service.call(.get, "/admin/sign-in")
            #expect(signIn.status == .ok)
            for html in [page.text, signIn.text] {
                #expect(!html.contains("<script>") && !html.contains("<style") && !html.contains("style="))
                #expect(html.range(of: #"\son[a-z]+="#, options: .regularExpression) == nil, "no inline event handler")
                #expect(!html.contains("http://") && !html.contains("https://"))
            }
            for (name, type) in ["console.js": "text/javascript", "console.css": "text/css"] {
                let asset = try await service.call(.get, "/admin/assets/\(name)")
                #expect(asset.status == .ok && asset.headers[.contentType]?.hasPrefix(type) == true, "\(name)")
                #expect(!asset.text.contains("http://") && !asset.text.contains("https://"), "\(name) fetches nothing from another site")
                #expect(!asset.text.contains("innerHTML") && !asset.text.contains("eval("), "\(name)")
            }
            #expect(try await service.call(.get, "/admin/assets/../Package.swift").status == .notFound)
        }
    }

    // MARK: - In a real browser

    /// axe-selenium-python (PyPI) is installed, besides what the dashboard's browser test needs.
    static let axeAvailable: Bool = {
        guard DashboardTests.browserAvailable else { return false }
        return CommandRunner.succeeds("/usr/bin/env", ["python3", "-c", "import axe_selenium_python"])
    }()

    @Test(.enabled(
        if: axeAvailable || DashboardTests.browserRequired,
        "SKIPPED: Chromium, chromedriver, Selenium or axe-selenium-python is missing (apt-get install chromium chromium-driver; pip install selenium axe-selenium-python); set MOBILISE_REQUIRE_BROWSER=1 to fail instead"))
    func anHRAdminRunsADriveFromTheConsoleInHeadlessChromium() async throws {
        try await ServiceHarness.run { service in
            // An organisation with nobody in it yet: the console starts from nothing.
            let wayne = try await service.store.createOrganisation(slug: "wayne", name: "Wayne Enterprises", privacyK: 2)
            let code = try await SignInLinks.createCode(
                store: service.store, organisationID: wayne.id, organisationSlug: wayne.slug, subject: "hr-w", roles: [.hrAdmin]).code
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            let port = try #require(service.client.port)
            let output = try await CommandRunner.run("/usr/bin/env", ["python3", root.appendingPathComponent("Tests/browser/console_test.py").path], environment: [
                "MOBILISE_URL": "http://127.0.0.1:\(port)",
                "MOBILISE_HR_CODE": code,
                "MOBILISE_HR_TOKEN": try await service.token("hr-w", [.hrAdmin], organisation: "wayne"),
                "MOBILISE_SIGNER_TOKEN": try await service.token("in-1", [.employee], organisation: "wayne"),
                "MOBILISE_RSVP_TOKEN": try await service.token("in-3", [.employee], organisation: "wayne"),
                "MOBILISE_HR2_TOKEN": try await service.token("hr-x", [.hrAdmin], organisation: "wayne"),
                "MOBILISE_OUTPUT": root.appendingPathComponent(".ci/output").path,
            ])
            #expect(output.status == 0, "\(output.standardOutput)\n\(output.standardError)")
        }
    }
}
