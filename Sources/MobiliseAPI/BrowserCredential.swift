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
        guard text.utf8.count == 64, text.utf8.allSatisfy(Self.isBase64URL) else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let bytes = Data(base64Encoded: base64), bytes.count == 48 else { return nil }
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

    private static func isBase64URL(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "_"): true
        default: false
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
