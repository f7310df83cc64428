import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MobiliseAPI
import MobiliseSchema
import MobiliseTesting
import JWTKit
import Testing

@Suite struct TokenTests {
    @Test func badTokensAreRefusedWith401AndAChallenge() async throws {
        try await ServiceHarness.run { service in
            let now = Int(Date().timeIntervalSince1970)
            let header = #"{"alg":"HS256","typ":"JWT"}"#
            func payload(sub: String? = "in-1", org: String = "acme", exp: Int? = nil, nbf: Int? = nil) -> String {
                var fields = [#""org":"\#(org)""#, #""roles":["employee"]"#]
                if let sub { fields.append(#""sub":"\#(sub)""#) }
                if let exp { fields.append(#""exp":\#(exp)"#) }
                if let nbf { fields.append(#""nbf":\#(nbf)"#) }
                return "{" + fields.joined(separator: ",") + "}"
            }
            let valid = ServiceHarness.handMade(header: header, payload: payload(exp: now + 600))
            #expect(try await service.call(.get, "/v1/me", token: valid).status == .ok)

            let refused: [(String, String)] = [
                ("wrong secret", ServiceHarness.handMade(header: header, payload: payload(exp: now + 600), secret: "another-secret")),
                ("alg none", ServiceHarness.handMade(header: #"{"alg":"none","typ":"JWT"}"#, payload: payload(exp: now + 600), secret: nil)),
                ("expired", ServiceHarness.handMade(header: header, payload: payload(exp: now - 60))),
                ("no exp", ServiceHarness.handMade(header: header, payload: payload())),
                ("not yet valid", ServiceHarness.handMade(header: header, payload: payload(exp: now + 600, nbf: now + 300))),
                ("missing sub", ServiceHarness.handMade(header: header, payload: payload(sub: nil, exp: now + 600))),
                ("unknown organisation", ServiceHarness.handMade(header: header, payload: payload(org: "initech", exp: now + 600))),
                ("RS256 claimed with our secret", ServiceHarness.handMade(header: #"{"alg":"RS256","typ":"JWT"}"#, payload: payload(exp: now + 600))),
                ("garbage", "not.a.token"),
                ("huge", String(repeating: "a", count: 20_000)),
            ]
            for (name, token) in refused {
                let reply = try await service.call(.get, "/v1/me", token: token)
                #expect(reply.status == .unauthorized, "\(name)")
                #expect(reply.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true, "\(name)")
            }
            let basic = try await service.call(.get, "/v1/me", headers: [.authorization: "Basic dXNlcjpwYXNz"])
            #expect(basic.status == .unauthorized)
            let none = try await service.call(.get, "/v1/me")
            #expect(none.status == .unauthorized && none.errorCode == "missing_token")
        }
    }

    @Test func anotherOrganisationNeverSeesAcme() async throws {
        try await ServiceHarness.run { service in
            let slug = try await service.launchedCampaign()
            let acmeCampaign = try await service.call(.get, "/v1/campaigns/\(slug)", token: try await service.token("hr-1", [.hrAdmin]))
            let id = try #require(acmeCampaign.json["id"] as? String)
            let globex = try await service.token("g-1", [.hrAdmin, .employee], organisation: "globex")
            for path in ["/v1/campaigns/\(slug)", "/v1/campaigns/\(id)", "/v1/campaigns/\(id)/rankings", "/v1/campaigns/\(slug)/timeline",
                         "/v1/campaigns/\(slug)/countries/IN", "/v1/campaigns/\(slug)/posts", "/v1/campaigns/\(slug)/events"] {
                #expect(try await service.call(.get, path, token: globex).status == .notFound, "\(path)")
            }
            #expect(try await service.call(.put, "/v1/campaigns/\(id)/signature", token: globex).status == .notFound)
            let list = try await service.call(.get, "/v1/campaigns", token: globex)
            #expect((list.json["campaigns"] as? [Any])?.isEmpty == true)
            let employees = try await service.call(.get, "/v1/employees", token: globex)
            #expect((employees.json["employees"] as? [[String: any Sendable]])?.map { $0["external_id"] as? String } == ["g-1"])
            let audit = try await service.call(.get, "/v1/audit", token: globex)
            #expect(!audit.text.contains("heforshe"))
        }
    }
}

@Suite struct IdentityProviderTests {
    /// A token signed by an identity provider's ES256 key, whose public half is in a JWKS file.
    @Test func tokensSignedWithAJWKSKeyAreAccepted() async throws {
        let providerKey = ES256PrivateKey()
        let parameters = try #require(providerKey.parameters)
        let jwks = #"{"keys": [{"kty": "EC", "crv": "P-256", "x": "\#(parameters.x)", "y": "\#(parameters.y)", "kid": "idp-1", "alg": "ES256", "use": "sig"}]}"#
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("jwks-\(UUID().uuidString).json")
        try jwks.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }

        let provider = JWTKeyCollection()
        await provider.add(ecdsa: providerKey, kid: "idp-1")
        let impostor = JWTKeyCollection()
        await impostor.add(ecdsa: ES256PrivateKey(), kid: "idp-1")
        let claims = MobiliseClaims(subject: "in-1", organisation: "acme", roles: [.employee], expires: Date().addingTimeInterval(600))
        let good = try await provider.sign(claims, kid: "idp-1")
        let forged = try await impostor.sign(claims, kid: "idp-1")

        try await ServiceHarness.run(jwksFile: file.path) { service in
            let accepted = try await service.call(.get, "/v1/me", token: good)
            #expect(accepted.status == .ok)
            let refused = try await service.call(.get, "/v1/me", token: forged)
            #expect(refused.status == .unauthorized)
            // The HS256 secret keeps working next to the JWKS.
            let hmac = try await service.call(.get, "/v1/me", token: try await service.token("in-1", [.employee]))
            #expect(hmac.status == .ok)
        }
    }
}

extension IdentityProviderTests {
    /// With an issuer and an audience configured, tokens the provider made for other applications are refused.
    @Test func issuerAndAudienceAreChecked() async throws {
        let providerKey = ES256PrivateKey()
        let parameters = try #require(providerKey.parameters)
        let jwks = #"{"keys": [{"kty": "EC", "crv": "P-256", "x": "\#(parameters.x)", "y": "\#(parameters.y)", "kid": "idp-1", "alg": "ES256"}]}"#
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("jwks-\(UUID().uuidString).json")
        try jwks.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let provider = JWTKeyCollection()
        await provider.add(ecdsa: providerKey, kid: "idp-1")
        func token(issuer: String?, audience: [String]?) async throws -> String {
            var claims = MobiliseClaims(subject: "in-1", organisation: "acme", roles: [.employee], expires: Date().addingTimeInterval(600))
            claims.iss = issuer.map { IssuerClaim(value: $0) }
            claims.aud = audience.map { AudienceClaim(value: $0) }
            return try await provider.sign(claims, kid: "idp-1")
        }
        let right = try await token(issuer: "https://idp.example", audience: ["mobilise", "other"])
        let otherApp = try await token(issuer: "https://idp.example", audience: ["payroll"])
        let noAudience = try await token(issuer: "https://idp.example", audience: nil)
        let otherIssuer = try await token(issuer: "https://evil.example", audience: ["mobilise"])
        try await ServiceHarness.run(jwksFile: file.path, issuer: "https://idp.example", audience: "mobilise") { service in
            let accepted = try await service.call(.get, "/v1/me", token: right)
            #expect(accepted.status == .ok)
            for refused in [otherApp, noAudience, otherIssuer] {
                let reply = try await service.call(.get, "/v1/me", token: refused)
                #expect(reply.status == .unauthorized)
            }
        }
    }
}

@Suite struct BodyLimitTests {
    @Test func oversizedBodiesGet413() async throws {
        try await ServiceHarness.run(maxImportSize: 64 * 1024) { service in
            let hr = try await service.token("hr-1", [.hrAdmin])
            let huge = #"{"slug": "x", "padding": ""# + String(repeating: "a", count: 2 << 20) + #""}"#
            let json = try await service.call(.post, "/v1/campaigns", token: hr, json: huge)
            #expect(json.status == .contentTooLarge && json.errorCode == "too_large")
            let file = "external_id,country\n" + (0..<20_000).map { "e-\($0),FR" }.joined(separator: "\n")
            let csv = try await service.call(.post, "/v1/employees/import", token: hr, raw: Array(file.utf8), contentType: "text/csv")
            #expect(csv.status == .contentTooLarge)
            // Nothing of the oversized file was loaded.
            let count = try await service.store.pool.query("SELECT count(*) FROM employees WHERE external_id LIKE 'e-%'").scalar(Int.self)
            #expect(count == 0)
        }
    }
}
