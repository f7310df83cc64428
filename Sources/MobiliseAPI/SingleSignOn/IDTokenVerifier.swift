import Foundation
import JWTKit

/// Checks an ID token as OpenID Connect Core 1.0 section 3.1.3.7 asks, and reads the HR id and the
/// roles claim from it.
///
/// Checked: the signature with one of the provider's keys (asymmetric algorithms only: `none` and
/// HMAC are refused before any key is tried), `iss` equal to the configured issuer, `aud` containing
/// our client id (and `azp` equal to it when there are several audiences), `exp` in the future
/// (with ``leeway`` for clocks that differ a little), and `nonce` equal to the one this sign-in sent.
struct IDTokenVerifier {
    /// Clocks of the provider and of Mobilise may differ by this much.
    static let leeway: TimeInterval = 60
    static let algorithms: Set<String> = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]

    var issuer: String
    var clientID: String
    var hrIDClaim: String
    var rolesClaim: String?

    /// What a verified ID token says about the person.
    struct Verified: Sendable, Equatable {
        var hrID: String
        /// The roles claim's values (a string is one value); empty without a roles claim.
        var roleValues: [String]
    }

    /// The standard claims, checked by jwt-kit as it verifies the signature.
    private struct Claims: JWTPayload {
        var iss: IssuerClaim
        var aud: AudienceClaim
        var exp: ExpirationClaim
        var nonce: String?
        var azp: String?

        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    func verify(_ token: String, keys: JWTKeyCollection, nonce: String, now: Date = Date()) async throws -> Verified {
        guard token.utf8.count <= 16 << 10 else { throw SingleSignOnFailure.idTokenRejected("the ID token is longer than 16 KiB") }
        let segments = token.split(separator: ".", omittingEmptySubsequences: false)
        guard segments.count == 3, let header = Self.json(segments[0]), let payload = Self.json(segments[1]) else {
            throw SingleSignOnFailure.idTokenRejected("the ID token is not a signed JWT")
        }
        guard let algorithm = header["alg"] as? String, Self.algorithms.contains(algorithm) else {
            throw SingleSignOnFailure.idTokenRejected("the ID token's algorithm \((header["alg"] as? String) ?? "(none)") is not accepted")
        }
        let claims: Claims
        do {
            claims = try await keys.verify(token, as: Claims.self)
        } catch {
            throw SingleSignOnFailure.idTokenRejected("the ID token's signature does not verify with the provider's keys")
        }
        guard claims.iss.value == issuer else {
            throw SingleSignOnFailure.idTokenRejected("the ID token was issued by \(claims.iss.value), not \(issuer)")
        }
        guard claims.aud.value.contains(clientID) else {
            throw SingleSignOnFailure.idTokenRejected("the ID token is meant for another application (aud)")
        }
        if claims.aud.value.count > 1, claims.azp != clientID {
            throw SingleSignOnFailure.idTokenRejected("the ID token has several audiences and another authorised party (azp)")
        }
        guard claims.exp.value.addingTimeInterval(Self.leeway) > now else {
            throw SingleSignOnFailure.idTokenRejected("the ID token has expired")
        }
        guard let sent = claims.nonce, Self.constantTimeEqual(sent, nonce) else { throw SingleSignOnFailure.nonceMismatch }
        guard let hrID = Self.string(payload[hrIDClaim]), !hrID.isEmpty, hrID.count <= 200 else {
            throw SingleSignOnFailure.idTokenRejected("the ID token has no '\(hrIDClaim)' claim (the HR id)")
        }
        var roles: [String] = []
        if let rolesClaim {
            switch payload[rolesClaim] {
            case let value as String: roles = [value]
            case let values as [Any]: roles = values.compactMap(Self.string)
            default: roles = []
            }
        }
        return Verified(hrID: hrID, roleValues: roles)
    }

    /// A claim as text: strings as they are, integers (some HR ids are numbers) in decimal.
    private static func string(_ value: Any?) -> String? {
        switch value {
        case let text as String: text
        case let number as Int: String(number)
        default: nil
        }
    }

    private static func json(_ segment: Substring) -> [String: Any]? {
        var base64 = segment.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
