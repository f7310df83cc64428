import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JWTKit
import MobiliseDomain
import MobiliseStore
import MobiliseTesting
import NIOCore
import Postgres
import Synchronization
import Testing

@testable import MobiliseAPI

/// OpenID Connect sign-in: the ID token checks (with keys made here), the role mapping, the
/// settings API, and the whole sign-in against a real provider (Debian's glewlwyd) in Chromium.
@Suite struct SingleSignOnTests {
    // MARK: - ID token checks

    struct TestIDToken: JWTPayload {
        var iss: IssuerClaim
        var aud: AudienceClaim
        var exp: ExpirationClaim
        var nonce: String?
        var azp: String?
        var hr_id: String?
        var groups: [String]?

        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    static let issuer = "https://login.acme.example/realms/staff"
    static let clientID = "mobilise"

    static func token(
        iss: String = issuer, aud: [String] = [clientID], exp: Date = Date().addingTimeInterval(300), nonce: String? = "n-1",
        azp: String? = nil, hrID: String? = "in-1", groups: [String]? = ["leaders"], key: ES256PrivateKey, kid: String = "k1"
    ) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: key, kid: JWKIdentifier(string: kid))
        return try await keys.sign(
            TestIDToken(iss: .init(value: iss), aud: .init(value: aud), exp: .init(value: exp), nonce: nonce, azp: azp, hr_id: hrID, groups: groups),
            kid: JWKIdentifier(string: kid))
    }

    /// The provider's published keys: the public half only.
    static func published(_ key: ES256PrivateKey, kid: String = "k1") async -> JWTKeyCollection {
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: key.publicKey, kid: JWKIdentifier(string: kid))
        return keys
    }

    static let verifier = IDTokenVerifier(issuer: issuer, clientID: clientID, hrIDClaim: "hr_id", rolesClaim: "groups")

    @Test func aValidIDTokenGivesTheHRIdAndTheGroups() async throws {
        let key = ES256PrivateKey()
        let verified = try await Self.verifier.verify(try await Self.token(key: key), keys: await Self.published(key), nonce: "n-1")
        #expect(verified == .init(hrID: "in-1", roleValues: ["leaders"]))
    }

    @Test func aWrongNonceIsRefused() async throws {
        let key = ES256PrivateKey()
        let keys = await Self.published(key)
        await #expect(throws: SingleSignOnFailure.nonceMismatch) {
            try await Self.verifier.verify(try await Self.token(nonce: "someone-else's", key: key), keys: keys, nonce: "n-1")
        }
        await #expect(throws: SingleSignOnFailure.nonceMismatch) {
            try await Self.verifier.verify(try await Self.token(nonce: nil, key: key), keys: keys, nonce: "n-1")
        }
    }

    @Test func aWrongAudienceIsRefused() async throws {
        let key = ES256PrivateKey()
        let keys = await Self.published(key)
        try await Self.expectRejected("another application") {
            try await Self.verifier.verify(try await Self.token(aud: ["another-app"], key: key), keys: keys, nonce: "n-1")
        }
        // Several audiences: the authorised party must be us.
        try await Self.expectRejected("azp") {
            try await Self.verifier.verify(try await Self.token(aud: [Self.clientID, "another-app"], azp: "another-app", key: key),
                                           keys: keys, nonce: "n-1")
        }
        _ = try await Self.verifier.verify(try await Self.token(aud: [Self.clientID, "another-app"], azp: Self.clientID, key: key),
                                           keys: keys, nonce: "n-1")
    }

    @Test func anExpiredTokenIsRefused() async throws {
        let key = ES256PrivateKey()
        try await Self.expectRejected("expired") {
            try await Self.verifier.verify(try await Self.token(exp: Date().addingTimeInterval(-3600), key: key),
                                           keys: await Self.published(key), nonce: "n-1")
        }
    }

    @Test func anotherIssuerIsRefused() async throws {
        let key = ES256PrivateKey()
        try await Self.expectRejected("issued by") {
            try await Self.verifier.verify(try await Self.token(iss: "https://evil.example", key: key), keys: await Self.published(key), nonce: "n-1")
        }
    }

    @Test func aTokenSignedWithAnotherKeyOrWithoutSignatureIsRefused() async throws {
        let key = ES256PrivateKey()
        let keys = await Self.published(key)
        try await Self.expectRejected("signature") {
            try await Self.verifier.verify(try await Self.token(key: ES256PrivateKey()), keys: keys, nonce: "n-1")
        }
        // alg none, and HS256 (a public key is no HMAC secret): refused before any key is tried.
        let payload = Self.base64URL(#"{"iss":"\#(Self.issuer)","aud":"\#(Self.clientID)","exp":\#(Int(Date().timeIntervalSince1970) + 300),"nonce":"n-1","hr_id":"in-1"}"#)
        for header in [#"{"alg":"none"}"#, #"{"alg":"HS256","kid":"k1"}"#] {
            try await Self.expectRejected("algorithm") {
                try await Self.verifier.verify("\(Self.base64URL(header)).\(payload).c2ln", keys: keys, nonce: "n-1")
            }
        }
    }

    @Test func aTokenWithoutTheHRIdClaimIsRefused() async throws {
        let key = ES256PrivateKey()
        try await Self.expectRejected("hr_id") {
            try await Self.verifier.verify(try await Self.token(hrID: nil, key: key), keys: await Self.published(key), nonce: "n-1")
        }
    }

    @Test func groupsMapToRolesAndEveryoneIsAnEmployee() {
        #expect(SingleSignOnRoutes.roles([], mapping: []) == [.employee])
        #expect(SingleSignOnRoutes.roles(["leader", "admin"], mapping: []) == [.employee, .leader])
        let mapping = [(group: "HR-Global", role: "hr_admin"), (group: "ExCo", role: "leader")]
        #expect(SingleSignOnRoutes.roles(["ExCo", "leader"], mapping: mapping) == [.employee, .leader])
        #expect(SingleSignOnRoutes.roles(["HR-Global", "ExCo"], mapping: mapping) == [.employee, .leader, .hrAdmin])
        #expect(SingleSignOnRoutes.roles(["hr_admin"], mapping: mapping) == [.employee], "with a mapping, role names are not taken as groups")
    }

    @Test func theReturnPathIsAPageOfThisServiceOnly() {
        #expect(SingleSignOnRoutes.returnPath("/admin") == "/admin")
        #expect(SingleSignOnRoutes.returnPath("/") == "/")
        #expect(SingleSignOnRoutes.returnPath("/dashboard?campaign=heforshe") == "/dashboard?campaign=heforshe")
        for hostile in ["//evil.example", "/\\evil.example", "https://evil.example", "evil", "/a b", "/x\\y", "/\u{E9}", nil] {
            #expect(SingleSignOnRoutes.returnPath(hostile) == "/dashboard", "\(hostile ?? "nil")")
        }
    }

    static func expectRejected(_ fragment: String, _ body: () async throws -> IDTokenVerifier.Verified) async throws {
        do {
            let verified = try await body()
            Issue.record("accepted: \(verified)")
        } catch SingleSignOnFailure.idTokenRejected(let reason) {
            #expect(reason.contains(fragment), "\(reason)")
        }
    }

    static func base64URL(_ text: String) -> String {
        Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    // MARK: - Settings

    @Test func hrAdminsSetTheProviderAndNobodyReadsTheSecretBack() async throws {
        try await ServiceHarness.run { service in
            let hr = try await service.token("hr-1", [.hrAdmin])
            #expect(try await service.call(.get, "/v1/sso", token: hr).errorCode == "sso_not_configured")
            let body = #"{"issuer": "https://login.acme.example/realms/staff", "client_id": "mobilise", "client_secret": "s3cret-value", "hr_id_claim": "employee_id", "roles_claim": "groups", "role_mapping": [{"group": "ExCo", "role": "leader"}]}"#
            let set = try await service.call(.put, "/v1/sso", token: hr, json: body)
            #expect(set.status == .ok, "\(set.text)")
            let shown = try await service.call(.get, "/v1/sso", token: hr)
            #expect(shown.json["issuer"] as? String == "https://login.acme.example/realms/staff")
            #expect(shown.json["hr_id_claim"] as? String == "employee_id")
            #expect(shown.json["sign_in_path"] as? String == "/auth/oidc/acme/sign-in")
            #expect(!shown.text.contains("s3cret-value") && !set.text.contains("s3cret-value"))
            // Kept sealed: the database holds neither the secret nor anything that opens without the service's key.
            let stored = try #require(try await service.store.pool.query("SELECT client_secret FROM sso_providers").scalar(String.self))
            #expect(stored.hasPrefix("sealed:v1:") && !stored.contains("s3cret-value"), "\(stored)")
            let sealed = try #require(Data(base64Encoded: String(stored.dropFirst("sealed:v1:".count))))
            #expect(sealed.range(of: Data("s3cret-value".utf8)) == nil)
            // The longest secret a provider may issue still fits once sealed.
            let long = body.replacingOccurrences(of: "s3cret-value", with: String(repeating: "x", count: 500))
            #expect(try await service.call(.put, "/v1/sso", token: hr, json: long).status == .ok)
            let tooLong = body.replacingOccurrences(of: "s3cret-value", with: String(repeating: "x", count: 501))
            #expect(try await service.call(.put, "/v1/sso", token: hr, json: tooLong).errorCode == "invalid_client_secret")
            // A leader may not; plain http only on loopback; a role that does not exist is refused.
            #expect(try await service.call(.put, "/v1/sso", token: try await service.token("lead-1", [.leader]), json: body).status == .forbidden)
            let http = body.replacingOccurrences(of: "https://login.acme.example", with: "http://login.acme.example")
            #expect(try await service.call(.put, "/v1/sso", token: hr, json: http).errorCode == "outbound_url_refused")
            let notAURL = body.replacingOccurrences(of: "https://login.acme.example/realms/staff", with: "https://")
            #expect(try await service.call(.put, "/v1/sso", token: hr, json: notAURL).errorCode == "outbound_url_refused")
            let badRole = body.replacingOccurrences(of: #""role": "leader""#, with: #""role": "root""#)
            #expect(try await service.call(.put, "/v1/sso", token: hr, json: badRole).errorCode == "invalid_role_mapping")
            #expect(try await service.call(.delete, "/v1/sso", token: hr).status == .noContent)
            #expect(try await service.call(.get, "/v1/sso", token: hr).status == .notFound)
        }
    }

    @Test func signingInWithoutAProviderOrAStartedSignInSaysWhatToDo() async throws {
        try await ServiceHarness.run { service in
            let none = try await service.call(.get, "/auth/oidc/acme/sign-in")
            #expect(none.status == .notFound && none.text.contains("has not set up company sign-in"), "\(none.status)")
            #expect(none.headers[.contentType]?.hasPrefix("text/html") == true)
            let unknown = try await service.call(.get, "/auth/oidc/nowhere/sign-in")
            #expect(unknown.status == .notFound && unknown.text.contains("There is no organisation"))
            let callback = try await service.call(.get, "/auth/oidc/callback?code=abc&state=def")
            #expect(callback.status == .badRequest && callback.text.contains("data-code=\"sso_login_expired\""))
            #expect(callback.headers[.setCookie]?.contains("mobilise_session=") != true)
        }
    }

    // MARK: - The provider's address

    static let loopbackProvider = ["MOBILISE_OUTBOUND_ALLOW_PRIVATE": "1", "MOBILISE_OUTBOUND_ALLOW_HTTP": "1"]

    /// Requests a server got.
    final class Hits: Sendable {
        private let count = Mutex(0)
        func add() { count.withLock { $0 += 1 } }
        var value: Int { count.withLock { $0 } }
    }

    @Test func anIssuerOnAPrivateAddressIsRefusedUnlessAllowed() async throws {
        // Something on loopback that answers as a provider's discovery document would, counting requests.
        let hits = Hits()
        let router = Router()
        router.get("realm/.well-known/openid-configuration") { request, _ -> Response in
            hits.add()
            let base = "http://\(request.head.authority ?? "")/realm"
            let document = #"{"issuer":"\#(base)","authorization_endpoint":"\#(base)/auth","token_endpoint":"\#(base)/token","jwks_uri":"\#(base)/jwks"}"#
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: document)))
        }
        let provider = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await provider.test(.live) { client in
            let issuer = "http://127.0.0.1:\(try #require(client.port))/realm"
            let body = #"{"issuer": "\#(issuer)", "client_id": "mobilise", "client_secret": "s3cret-value"}"#

            // By default: refused when set…
            try await ServiceHarness.run { service in
                let hr = try await service.token("hr-1", [.hrAdmin])
                let refused = try await service.call(.put, "/v1/sso", token: hr, json: body)
                #expect(refused.status == .unprocessableContent && refused.errorCode == "outbound_url_refused", "\(refused.text)")
                #expect(refused.text.contains("https://"), "\(refused.text)")
                for address in ["https://127.0.0.1:\(try #require(client.port))/realm", "https://10.1.2.3/realm", "https://192.168.0.9/realm", "https://[fd00::1]/realm", "https://169.254.169.254/realm"] {
                    let privateIssuer = body.replacingOccurrences(of: issuer, with: address)
                    #expect(try await service.call(.put, "/v1/sso", token: hr, json: privateIssuer).errorCode == "outbound_url_refused", "\(address)")
                }
                #expect(try await service.call(.get, "/v1/sso", token: hr).errorCode == "sso_not_configured", "nothing was saved")
                // … and when signing in, for a provider saved otherwise (before this rule, or its name now
                // resolving to a private address): nothing is asked of that address.
                try await service.store.setSSOProvider(
                    organisationID: service.acme.id, SSOProvider(issuer: issuer, clientID: "mobilise", clientSecret: "s3cret-value"),
                    actor: Actor("setup"))
                let start = try await service.call(.get, "/auth/oidc/acme/sign-in")
                #expect(start.status == .badGateway && start.text.contains("data-code=\"sso_provider_unavailable\""), "\(start.status)")
                #expect(start.text.contains("refused"), "\(start.text)")
                #expect(hits.value == 0)
            }
            // With the switches (an intranet provider; the tests): set, and sign-in goes to it.
            try await ServiceHarness.run(environment: Self.loopbackProvider) { service in
                let hr = try await service.token("hr-1", [.hrAdmin])
                let set = try await service.call(.put, "/v1/sso", token: hr, json: body)
                #expect(set.status == .ok, "\(set.text)")
                let start = try await service.call(.get, "/auth/oidc/acme/sign-in")
                #expect(start.status == .found && start.headers[.location]?.hasPrefix(issuer + "/auth?") == true, "\(start.status) \(start.text)")
                #expect(hits.value == 1)
            }
        }
    }

    // MARK: - A real provider, a real browser

    /// glewlwyd (Debian) is installed, besides what the dashboard's browser test needs.
    static let providerAvailable: Bool = DashboardTests.browserAvailable
        && FileManager.default.isExecutableFile(atPath: "/usr/bin/glewlwyd")

    @Test(.enabled(
        if: providerAvailable || DashboardTests.browserRequired,
        "SKIPPED: glewlwyd, Chromium, chromedriver or Selenium is missing (apt-get install glewlwyd chromium chromium-driver; pip install selenium axe-selenium-python); set MOBILISE_REQUIRE_BROWSER=1 to fail instead"))
    func signingInThroughARealProviderInChromium() async throws {
        // glewlwyd listens on http://127.0.0.1: allowed by the outbound-URL policy's switches only.
        try await ServiceHarness.run(environment: Self.loopbackProvider) { service in
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            let port = try #require(service.client.port)
            let output = try await CommandRunner.run("/usr/bin/env", ["python3", root.appendingPathComponent("Tests/oidc/sso_browser_test.py").path], environment: [
                "MOBILISE_URL": "http://127.0.0.1:\(port)",
                "MOBILISE_HR_TOKEN": try await service.token("hr-1", [.hrAdmin]),
                "MOBILISE_ORG": "acme",
                "MOBILISE_HR_ID": "lead-1",
                "MOBILISE_OUTPUT": root.appendingPathComponent(".ci/output").path,
            ])
            #expect(output.status == 0, "\(output.standardOutput)\n\(output.standardError)")
            // Three sign-ins succeeded (the browser's two, the second through a poster's link, and the
            // first use of the code replayed later); every refused one opened nothing. The browser's
            // second sign-in ended its first session: one session per browser stays open.
            let sessions = try await service.store.pool.withConnection { connection in
                try connection.query("""
                    SELECT subject || CASE WHEN ended_at IS NULL THEN ' open' ELSE ' ended' END AS state
                    FROM sessions WHERE organisation_id = \(service.acme.id) ORDER BY created_at
                    """).column(String.self)
            }
            #expect(sessions == ["lead-1 ended", "lead-1 open", "lead-1 open"], "\(sessions)")
            let pending = try await service.store.pool.withConnection { connection in
                try connection.query("SELECT count(*) FROM sso_logins WHERE organisation_id = \(service.acme.id)").column(Int.self)
            }
            #expect(pending == [0], "every sign-in started was used up, refused or not: \(pending)")
        }
    }
}
