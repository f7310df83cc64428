import Foundation
import HTTPTypes
import MobiliseAPI
import MobiliseDomain
import MobiliseStore
import Postgres
import Testing

/// Browser sessions kept by the service: sign-out ends them, one-click links carry a single-use code
/// instead of a bearer token, and a signed-in browser is never switched to another identity silently.
@Suite struct SessionTests {
    static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!  // a valid literal name

    @Test func signingOutEndsTheSessionOnTheServerNotOnlyInTheBrowser() async throws {
        try await ServiceHarness.run { service in
            let token = try await service.token("lead-1", [.leader])
            let cookie = try DashboardTests.cookie(from: try await service.call(.post, "/v1/session", token: token))
            #expect(try await service.call(.get, "/v1/me", headers: [.cookie: cookie]).status == .ok)

            let signOut = try await service.call(.delete, "/v1/session", headers: [.cookie: cookie])
            #expect(signOut.status == .noContent)
            #expect(signOut.headers[.setCookie]?.lowercased().contains("max-age=0") == true)
            // A copy of the cookie kept elsewhere (another tab's request, a stolen value) opens nothing now.
            let after = try await service.call(.get, "/v1/me", headers: [.cookie: cookie])
            #expect(after.status == .unauthorized)
            #expect(after.errorCode == "session_expired")
        }
    }

    @Test func eachExchangeOpensADistinctSessionThatEndsAlone() async throws {
        try await ServiceHarness.run { service in
            let token = try await service.token("lead-1", [.leader])
            let first = try DashboardTests.cookie(from: try await service.call(.post, "/v1/session", token: token))
            let second = try DashboardTests.cookie(from: try await service.call(.post, "/v1/session", token: token))
            #expect(first != second, "the same token gave the same session value twice")
            _ = try await service.call(.delete, "/v1/session", headers: [.cookie: first])
            #expect(try await service.call(.get, "/v1/me", headers: [.cookie: first]).status == .unauthorized)
            #expect(try await service.call(.get, "/v1/me", headers: [.cookie: second]).status == .ok)
        }
    }

    @Test func aSignInCodeOpensOneSessionOnceAndOnlyWithinItsLifetime() async throws {
        try await ServiceHarness.run { service in
            let code = try await Self.code(service, "lead-1", [.leader])
            let opened = try await service.call(.post, "/v1/session", json: #"{"code": "\#(code)"}"#)
            #expect(opened.status == .noContent, "\(opened.text)")
            let cookie = try DashboardTests.cookie(from: opened)
            let me = try await service.call(.get, "/v1/me", headers: [.cookie: cookie])
            #expect(me.status == .ok)
            #expect(me.json["subject"] as? String == "lead-1")

            // Used: the copy in the browser's history opens nothing.
            let again = try await service.call(.post, "/v1/session", json: #"{"code": "\#(code)"}"#)
            #expect(again.status == .unauthorized)
            #expect(again.errorCode == "invalid_code")
            #expect(again.headers[.setCookie] == nil)

            // Expired before use.
            let late = try await Self.code(service, "lead-1", [.leader])
            try await service.store.pool.execute("UPDATE sign_in_codes SET expires_at = now() - interval '1 second'")
            #expect(try await service.call(.post, "/v1/session", json: #"{"code": "\#(late)"}"#).errorCode == "invalid_code")

            // Made up, or of the wrong shape.
            let forged = String(code.dropLast(4)) + (code.hasSuffix("AAAA") ? "BBBB" : "AAAA")
            for bogus in [forged, "", "x", String(repeating: "A", count: 64), String(repeating: "é", count: 64)] {
                let reply = try await service.call(.post, "/v1/session", json: #"{"code": "\#(bogus)"}"#)
                #expect(reply.status == .unauthorized, "\(bogus): \(reply.status)")
            }
        }
    }

    @Test func twoBrowsersPresentingOneCodeGetOneSession() async throws {
        try await ServiceHarness.run { service in
            let code = try await Self.code(service, "lead-1", [.leader])
            let replies = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<8 {
                    group.addTask { try await service.call(.post, "/v1/session", json: #"{"code": "\#(code)"}"#).status }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(replies.filter { $0 == .noContent }.count == 1, "\(replies)")
            #expect(replies.filter { $0 == .unauthorized }.count == 7, "\(replies)")
        }
    }

    /// Login CSRF: a link made by somebody else must not switch a signed-in browser to their account.
    @Test func aSignedInBrowserIsNeverSwitchedToAnotherIdentitySilently() async throws {
        try await ServiceHarness.run { service in
            let victim = try DashboardTests.cookie(from: try await service.call(.post, "/v1/session", token: try await service.token("lead-1", [.leader])))
            let attackers = try await Self.code(service, "in-1", [.employee])

            let refused = try await service.call(.post, "/v1/session", json: #"{"code": "\#(attackers)"}"#, headers: [.cookie: victim])
            #expect(refused.status == .conflict)
            #expect(refused.errorCode == "session_exists")
            #expect(refused.headers[.setCookie] == nil)
            #expect(((refused.json["error"] as? [String: any Sendable])?["message"] as? String)?.contains("lead-1") == true, "\(refused.text)")
            // Nothing changed: the victim is still themselves, and a bearer token is held to the same rule.
            #expect(try await service.call(.get, "/v1/me", headers: [.cookie: victim]).json["subject"] as? String == "lead-1")
            let byToken = try await service.call(.post, "/v1/session", token: try await service.token("in-2", [.employee]), headers: [.cookie: victim])
            #expect(byToken.status == .conflict)

            // The person confirms (the sign-in page asks): the old session ends, the new one opens.
            let confirmed = try await service.call(.post, "/v1/session", json: #"{"code": "\#(attackers)", "replace": true}"#, headers: [.cookie: victim])
            #expect(confirmed.status == .noContent, "the refusal used the code up: \(confirmed.text)")
            let replaced = try DashboardTests.cookie(from: confirmed)
            #expect(try await service.call(.get, "/v1/me", headers: [.cookie: replaced]).json["subject"] as? String == "in-1")
            #expect(try await service.call(.get, "/v1/me", headers: [.cookie: victim]).status == .unauthorized)

            // Signing in again as the same identity needs no confirmation.
            let same = try await Self.code(service, "in-1", [.employee])
            #expect(try await service.call(.post, "/v1/session", json: #"{"code": "\#(same)"}"#, headers: [.cookie: replaced]).status == .noContent)
        }
    }

    @Test func erasureEndsThePersonsSessionsAndSignInLinks() async throws {
        try await ServiceHarness.run { service in
            let cookie = try DashboardTests.cookie(from: try await service.call(.post, "/v1/session", token: try await service.token("in-1", [.employee])))
            let code = try await Self.code(service, "in-1", [.employee])
            #expect(try await service.call(.get, "/v1/me", headers: [.cookie: cookie]).status == .ok)
            let erased = try await service.call(.delete, "/v1/employees/in-1", token: try await service.token("hr-1", [.hrAdmin]))
            #expect(erased.status == .ok || erased.status == .noContent, "\(erased.status) \(erased.text)")
            #expect(try await service.call(.get, "/v1/me", headers: [.cookie: cookie]).status == .unauthorized)
            #expect(try await service.call(.post, "/v1/session", json: #"{"code": "\#(code)"}"#).errorCode == "invalid_code")
            let left = try await service.store.pool.query("SELECT (SELECT count(*) FROM sessions) + (SELECT count(*) FROM sign_in_codes)").scalar(Int.self)
            #expect(left == 0, "rows naming the erased person remain")
        }
    }

    @Test func aCrossSiteRequestOrAnHTMLFormCannotOpenASession() async throws {
        try await ServiceHarness.run { service in
            let code = try await Self.code(service, "lead-1", [.leader])
            let crossSite = try await service.call(.post, "/v1/session", json: #"{"code": "\#(code)"}"#, headers: [Self.secFetchSite: "cross-site"])
            #expect(crossSite.status == .forbidden)
            #expect(crossSite.errorCode == "cross_site_request")
            // What an HTML form of another site can send: a form-encoded or plain-text body.
            for type in ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=B"] {
                let form = try await service.call(.post, "/v1/session", raw: Array(#"{"code": "\#(code)"}"#.utf8), contentType: type)
                #expect(form.status == .unsupportedMediaType, "\(type): \(form.status)")
            }
            // None of these used the code up.
            let sameOrigin = try await service.call(.post, "/v1/session", json: #"{"code": "\#(code)"}"#, headers: [Self.secFetchSite: "same-origin"])
            #expect(sameOrigin.status == .noContent)
        }
    }

    @Test func aSessionOrCodeOfOneOrganisationIsUnknownToAnother() async throws {
        try await ServiceHarness.run { service in
            let code = try await Self.code(service, "lead-1", [.leader])
            let cookie = try DashboardTests.cookie(from: try await service.call(.post, "/v1/session", json: #"{"code": "\#(code)"}"#))
            // The credential names Acme; its row is looked up under Acme only. Rewriting the organisation
            // part to Globex's id finds nothing.
            let value = String(cookie.dropFirst("mobilise_session=".count))
            let secret = try #require(Data(base64URL: value)).suffix(32)
            let globexID = withUnsafeBytes(of: service.globex.id.uuid) { Data($0) }
            let moved = "mobilise_session=" + (globexID + secret).base64URLEncoded
            #expect(try await service.call(.get, "/v1/me", headers: [.cookie: moved]).status == .unauthorized)
            #expect(try await service.call(.get, "/v1/me", headers: [.cookie: cookie]).status == .ok)
        }
    }

    @Test func noCacheKeepsPersonalDataAndHTTPSAnswersPinHTTPS() async throws {
        try await ServiceHarness.run { service in
            let hr = try await service.token("hr-1", [.hrAdmin])
            let employee = try await service.token("in-1", [.employee])
            for (path, token) in [("/v1/me/export", employee), ("/v1/me", employee), ("/v1/employees", hr), ("/v1/audit", hr)] {
                let reply = try await service.call(.get, path, token: token)
                #expect(reply.status == .ok, "\(path): \(reply.status)")
                #expect(reply.headers[.cacheControl] == "no-store", "\(path): \(reply.headers[.cacheControl] ?? "none")")
            }
            // Refusals too.
            #expect(try await service.call(.get, "/v1/audit", token: employee).headers[.cacheControl] == "no-store")

            let hsts = try #require(HTTPField.Name("Strict-Transport-Security"))
            #expect(try await service.call(.get, "/healthz").headers[hsts] == nil, "plain HTTP: HSTS means nothing there")
            let proxied = try await service.call(.get, "/healthz", headers: [try #require(HTTPField.Name("X-Forwarded-Proto")): "https"])
            #expect(proxied.headers[hsts]?.hasPrefix("max-age=") == true)
        }
    }

    @Test func aStorysPhotoIsCachedForAMinuteAndRevalidated() async throws {
        try await ServiceHarness.run { service in
            let slug = try await service.launchedCampaign()
            let png = try #require(Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="))
            let form = Array("--B\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\nOur team #HeForShe\r\n--B\r\nContent-Disposition: form-data; name=\"media\"; filename=\"team.png\"\r\nContent-Type: image/png\r\n\r\n".utf8)
                + Array(png) + Array("\r\n--B--\r\n".utf8)
            let posted = try await service.call(.post, "/v1/campaigns/\(slug)/posts", token: try await service.token("in-1", [.employee]),
                                                raw: form, contentType: "multipart/form-data; boundary=B")
            let id = try #require(posted.json["id"] as? String, "\(posted.text)")
            let hr = try await service.token("hr-1", [.hrAdmin])
            _ = try await service.call(.post, "/v1/posts/\(id)/approve", token: hr)
            let reader = try await service.token("br-1", [.employee])
            let photo = try await service.call(.get, "/v1/posts/\(id)/media", token: reader)
            #expect(photo.status == .ok)
            let cacheControl = photo.headers[.cacheControl] ?? ""
            #expect(cacheControl.contains("max-age=60") && cacheControl.contains("must-revalidate") && cacheControl.contains("private"),
                    "\(cacheControl)")
            let eTag = try #require(photo.headers[.eTag])
            let revalidated = try await service.call(.get, "/v1/posts/\(id)/media", token: reader, headers: [.ifNoneMatch: eTag])
            #expect(revalidated.status == .notModified)
            #expect(revalidated.text.isEmpty)
        }
    }

    /// A sign-in code made the way `mobilise sign-in-link` and `serve --demo` make them.
    static func code(_ service: ServiceHarness, _ subject: String, _ roles: [Role]) async throws -> String {
        try await SignInLinks.createCode(store: service.store, organisationID: service.acme.id, organisationSlug: "acme", subject: subject, roles: roles).code
    }
}

extension Data {
    init?(base64URL text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        self.init(base64Encoded: base64)
    }

    var base64URLEncoded: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
