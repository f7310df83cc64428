import Crypto
import Foundation
import MobiliseStore

/// A credential handed out: a session cookie, the code of a one-click sign-in link, or a SCIM token.
///
/// It is the organisation's id (16 bytes) followed by 32 random bytes, in base64url (64 characters).
/// The database keeps only the SHA-256 of the random part, under the organisation's id: a look-up is
/// one primary-key read on that organisation's rows, and a copy of the database signs nobody in.
struct BrowserCredential: Sendable, Equatable {
    let organisationID: UUID
    private let secret: [UInt8]

    /// A new credential with 256 random bits.
    init(organisationID: UUID) {
        self.organisationID = organisationID
        secret = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
    }

    /// The credential a browser sent back; nil unless it is exactly 64 base64url characters.
    init?(_ text: some StringProtocol) {
        // Decoded here, four characters to three bytes (64 characters are 48 bytes, no padding):
        // every request of an identity provider's push presents one, and Foundation's decoder after
        // rewriting the text to base64 cost more than the rest of the check.
        var sextets: [UInt8] = []
        sextets.reserveCapacity(64)
        for byte in text.utf8 {
            guard sextets.count < 64, let value = Self.base64URLValue(byte) else { return nil }
            sextets.append(value)
        }
        guard sextets.count == 64 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(48)
        for group in stride(from: 0, to: 64, by: 4) {
            let (a, b, c, d) = (sextets[group], sextets[group + 1], sextets[group + 2], sextets[group + 3])
            bytes.append(a << 2 | b >> 4)
            bytes.append((b & 0x0F) << 4 | c >> 2)
            bytes.append((c & 0x03) << 6 | d)
        }
        organisationID = bytes.prefix(16).withUnsafeBytes { raw in
            UUID(uuid: raw.loadUnaligned(as: uuid_t.self))
        }
        secret = Array(bytes.suffix(32))
    }

    /// What the browser holds.
    var text: String {
        let id = withUnsafeBytes(of: organisationID.uuid) { Array($0) }
        return Data(id + secret).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// What the database keeps.
    var hash: Data { Data(SHA256.hash(data: secret)) }

    /// A value derived from the secret for `purpose` (HMAC-SHA256 keyed with it), in base64url: it
    /// can be recomputed from the credential alone and reveals nothing of it (``CSRF``).
    func derived(for purpose: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(purpose.utf8), using: SymmetricKey(data: secret))
        return Data(mac).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// The six bits a base64url character stands for; nil for any other byte.
    private static func base64URLValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): byte - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0") + 52
        case UInt8(ascii: "-"): 62
        case UInt8(ascii: "_"): 63
        default: nil
        }
    }
}

/// One-click sign-in links: a code valid for minutes, exchanged once for a session by the sign-in
/// page (`POST /v1/session`). The link never carries a bearer token, so the browser's history keeps
/// nothing that still opens anything once the link has been used or has expired.
public enum SignInLinks {
    /// How long a link works when nobody uses it.
    public static let codeLifetime: TimeInterval = 15 * 60

    /// A new sign-in code for `subject` with `roles` in `organisation`; the session it opens lasts
    /// ``SessionRoutes/lifetime`` from now at most.
    public static func createCode(
        store: MobiliseStore, organisationID: UUID, organisationSlug: String, subject: String, roles: [Role]
    ) async throws -> (code: String, expires: Date) {
        let credential = BrowserCredential(organisationID: organisationID)
        let now = Date()
        let identity = SessionIdentity(
            organisationID: organisationID, organisationSlug: organisationSlug, subject: subject, roles: roles.map(\.rawValue),
            expires: now.addingTimeInterval(SessionRoutes.lifetime))
        let expires = now.addingTimeInterval(codeLifetime)
        try await store.createSignInCode(secretHash: credential.hash, identity: identity, codeExpires: expires)
        return (credential.text, expires)
    }

    /// The dashboard's sign-in page for `code`, on the service at `base` (`http://host:port`). The
    /// code travels in the fragment, which browsers never send to a server: it stays out of logs.
    public static func dashboardLink(base: String, code: String, campaign: String? = nil) -> String {
        "\(base)/dashboard/sign-in#code=\(code)" + (campaign.map { "&campaign=\($0)" } ?? "")
    }

    /// The same sign-in page, opening the employee's page (`/`) instead of the dashboard.
    public static func employeePageLink(base: String, code: String, campaign: String? = nil) -> String {
        "\(base)/dashboard/sign-in#code=\(code)&page=employee" + (campaign.map { "&campaign=\($0)" } ?? "")
    }

    /// The HR console's sign-in page for `code` (the dashboard's page, opening `/admin` afterwards).
    public static func consoleLink(base: String, code: String) -> String {
        "\(base)/admin/sign-in#code=\(code)"
    }
}
