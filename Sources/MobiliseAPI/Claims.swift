import Foundation
import JWTKit

/// What a caller may do. `hr_admin` may do everything `leader` may.
public enum Role: String, Sendable, Codable, CaseIterable {
    case employee
    case leader
    case hrAdmin = "hr_admin"
}

/// The claims Mobilise reads from a bearer token.
///
/// `sub` is the employee's HR id (`external_id`), `org` the organisation's slug, `roles` what the
/// caller may do; `exp` is required and `nbf` honoured.
public struct MobiliseClaims: JWTPayload, Equatable {
    public var sub: SubjectClaim
    public var org: String
    public var roles: [Role]
    public var exp: ExpirationClaim
    public var nbf: NotBeforeClaim?
    /// Checked when the service is configured with an issuer.
    public var iss: IssuerClaim?
    /// Checked when the service is configured with an audience.
    public var aud: AudienceClaim?

    public init(subject: String, organisation: String, roles: [Role], expires: Date, notBefore: Date? = nil) {
        self.sub = SubjectClaim(value: subject)
        self.org = organisation
        self.roles = roles
        self.exp = ExpirationClaim(value: expires)
        self.nbf = notBefore.map { NotBeforeClaim(value: $0) }
    }

    public func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
        try nbf?.verifyNotBefore()
        guard !sub.value.isEmpty else { throw JWTError.claimVerificationFailure(failedClaim: sub, reason: "sub is empty") }
        guard !org.isEmpty else { throw JWTError.generic(identifier: "org", reason: "org is empty") }
    }
}

/// Signs development tokens with an HS256 secret (`mobilise token`, the demo's sign-in links).
public struct TokenIssuer: Sendable {
    private let keys: JWTKeyCollection

    public init(secret: String) async throws {
        try Self.checkSecret(secret)
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        self.keys = keys
    }

    /// Refuses secrets shorter than ``APIConfiguration/minimumSecretBytes``.
    static func checkSecret(_ secret: String) throws {
        guard secret.utf8.count >= APIConfiguration.minimumSecretBytes else {
            throw APIError(.internalServerError, code: .secretTooShort,
                           "the HS256 secret is \(secret.utf8.count) bytes; use at least \(APIConfiguration.minimumSecretBytes) (e.g. `openssl rand -hex 32`)")
        }
    }

    /// A signed token for `subject` in `organisation`, valid for `lifetime` (to the whole second:
    /// `exp` is a whole number of seconds, as identity providers write it).
    public func token(subject: String, organisation: String, roles: [Role], lifetime: Duration = .seconds(8 * 3600)) async throws -> String {
        let expires = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + TimeInterval(lifetime.components.seconds)).rounded(.down))
        return try await keys.sign(MobiliseClaims(subject: subject, organisation: organisation, roles: roles, expires: expires))
    }
}
