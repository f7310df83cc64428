import Crypto
import Foundation

/// Secrets the service must use again and so cannot keep hashed, kept at rest sealed with
/// AES-256-GCM under a key derived (HKDF-SHA256) from `MOBILISE_SECRETS_KEY`, or from
/// `MOBILISE_JWT_SECRET` when that is not set: the OpenID client secret (issue 21), presented to the
/// provider's token endpoint, and webhooks' Standard Webhooks signing keys (issue 23), which sign
/// every delivery. Each use has its own derived key (``Purpose``), and the organisation's id is
/// authenticated with the secret, so a sealed value copied into another organisation's row, or
/// from one use to the other, does not open. Whoever reads the database (a backup, a replica, a
/// support query) without the service's environment learns nothing of the secrets.
///
/// Key rotation: `MOBILISE_SECRETS_KEY_PREVIOUS` names the key being retired. Values sealed under it
/// still open, and the service re-seals them under the current key at startup
/// (``WebhookSecretSealing``) or when the settings are saved again (single sign-on).
///
/// The client secret is stored as `sealed:v1:` and the base64 of nonce, ciphertext and tag (text);
/// a signing key as the bytes of `sealed:v1:` followed by nonce, ciphertext and tag (`bytea`). A
/// value without that prefix was saved before secrets were sealed (kept in plain text): it is used
/// as it is, and sealed later.
public struct SecretSealer: Sendable {
    /// What a secret is for: its key is derived for that use alone.
    public struct Purpose: Sendable, Equatable {
        let info: String
        let context: String

        /// The OpenID client secret (the derivation issue 21 sealed with: unchanged, so its sealed values still open).
        public static let ssoClientSecret = Purpose(info: "mobilise sso client secret v1", context: "organisation")
        /// A webhook's Standard Webhooks signing key.
        public static let webhookSigningKey = Purpose(info: "mobilise webhook signing key v1", context: "webhook signing key of organisation")
    }

    public static let prefix = "sealed:v1:"
    static let prefixBytes = Data(prefix.utf8)
    private let key: SymmetricKey
    /// Keys being retired (`MOBILISE_SECRETS_KEY_PREVIOUS`): they open, never seal.
    private let previousKeys: [SymmetricKey]
    private let purpose: Purpose

    /// Nil when the service has neither `MOBILISE_SECRETS_KEY` nor `MOBILISE_JWT_SECRET`.
    public init?(configuration: APIConfiguration, purpose: Purpose) {
        guard let material = configuration.secretsKey ?? configuration.jwtSecret, !material.isEmpty else { return nil }
        self.purpose = purpose
        key = Self.derive(material, purpose: purpose)
        previousKeys = configuration.previousSecretsKeys.filter { !$0.isEmpty && $0 != material }.map { Self.derive($0, purpose: purpose) }
    }

    private static func derive(_ material: String, purpose: Purpose) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: Data(material.utf8)), salt: Data("mobilise".utf8),
            info: Data(purpose.info.utf8), outputByteCount: 32)
    }

    // MARK: Text (the OpenID client secret)

    public func seal(_ secret: String, organisationID: UUID) throws -> String {
        Self.prefix + (try box(Data(secret.utf8), organisationID: organisationID)).base64EncodedString()
    }

    /// The secret, or nil when the stored value does not open (sealed under another key, or for
    /// another organisation).
    public func open(_ stored: String, organisationID: UUID) -> String? {
        openReportingKey(stored, organisationID: organisationID)?.plain
    }

    /// The secret and whether it opened under a retired key (then it should be sealed again).
    func openReportingKey(_ stored: String, organisationID: UUID) -> (plain: String, underPreviousKey: Bool)? {
        guard stored.hasPrefix(Self.prefix) else { return (stored, false) }
        guard let combined = Data(base64Encoded: String(stored.dropFirst(Self.prefix.count))),
              let opened = unbox(combined, organisationID: organisationID)
        else { return nil }
        return (String(decoding: opened.plain, as: UTF8.self), opened.underPreviousKey)
    }

    // MARK: Bytes (webhook signing keys)

    /// `sealed:v1:` and the box, as bytes.
    public func seal(_ secret: Data, organisationID: UUID) throws -> Data {
        Self.prefixBytes + (try box(secret, organisationID: organisationID))
    }

    /// Whether stored bytes are sealed (rather than a key saved in plain text before sealing).
    public static func isSealed(_ stored: Data) -> Bool { stored.starts(with: prefixBytes) }

    /// The secret, or nil when the stored bytes do not open; a plain (unsealed) value as it is.
    public func open(_ stored: Data, organisationID: UUID) -> Data? {
        openReportingKey(stored, organisationID: organisationID)?.plain
    }

    /// The secret and whether it opened under a retired key (then it should be sealed again).
    func openReportingKey(_ stored: Data, organisationID: UUID) -> (plain: Data, underPreviousKey: Bool)? {
        guard Self.isSealed(stored) else { return (stored, false) }
        return unbox(Data(stored.dropFirst(Self.prefixBytes.count)), organisationID: organisationID)
    }

    // MARK: The box

    private func box(_ plain: Data, organisationID: UUID) throws -> Data {
        let box = try AES.GCM.seal(plain, using: key, authenticating: context(organisationID))
        guard let combined = box.combined else { throw CryptoKitError.incorrectParameterSize }
        return combined
    }

    private func unbox(_ combined: Data, organisationID: UUID) -> (plain: Data, underPreviousKey: Bool)? {
        guard let box = try? AES.GCM.SealedBox(combined: combined) else { return nil }
        if let plain = try? AES.GCM.open(box, using: key, authenticating: context(organisationID)) { return (plain, false) }
        for previous in previousKeys {
            if let plain = try? AES.GCM.open(box, using: previous, authenticating: context(organisationID)) { return (plain, true) }
        }
        return nil
    }

    private func context(_ organisationID: UUID) -> Data {
        Data("\(purpose.context) \(organisationID.uuidString.lowercased())".utf8)
    }
}
