import Crypto
import Foundation

/// The OpenID client secret at rest (issue 21). Mobilise must present the secret to the provider's
/// token endpoint, so it cannot keep only a hash; it keeps it sealed with AES-256-GCM under a key
/// derived (HKDF-SHA256) from `MOBILISE_SECRETS_KEY`, or from `MOBILISE_JWT_SECRET` when that is not
/// set. The organisation's id is authenticated with the secret, so a sealed value copied into
/// another organisation's row does not open. Whoever reads the database (a backup, a replica, a
/// support query) without the service's environment learns nothing of the secret.
///
/// Stored as `sealed:v1:` and the base64 of nonce, ciphertext and tag. A value without that prefix
/// was saved before secrets were sealed (kept in plain text): it is used as it is, and sealed the
/// next time an HR admin saves the settings.
struct ClientSecretSealer: Sendable {
    static let prefix = "sealed:v1:"
    private let key: SymmetricKey

    /// Nil when the service has neither `MOBILISE_SECRETS_KEY` nor `MOBILISE_JWT_SECRET`.
    init?(configuration: APIConfiguration) {
        guard let material = configuration.secretsKey ?? configuration.jwtSecret, !material.isEmpty else { return nil }
        key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: Data(material.utf8)), salt: Data("mobilise".utf8),
            info: Data("mobilise sso client secret v1".utf8), outputByteCount: 32)
    }

    func seal(_ secret: String, organisationID: UUID) throws -> String {
        let box = try AES.GCM.seal(Data(secret.utf8), using: key, authenticating: Self.context(organisationID))
        guard let combined = box.combined else { throw CryptoKitError.incorrectParameterSize }
        return Self.prefix + combined.base64EncodedString()
    }

    /// The secret, or nil when the stored value does not open (sealed under another key, or for
    /// another organisation).
    func open(_ stored: String, organisationID: UUID) -> String? {
        guard stored.hasPrefix(Self.prefix) else { return stored }
        guard let combined = Data(base64Encoded: String(stored.dropFirst(Self.prefix.count))),
              let box = try? AES.GCM.SealedBox(combined: combined),
              let plain = try? AES.GCM.open(box, using: key, authenticating: Self.context(organisationID))
        else { return nil }
        return String(decoding: plain, as: UTF8.self)
    }

    private static func context(_ organisationID: UUID) -> Data {
        Data("organisation \(organisationID.uuidString.lowercased())".utf8)
    }
}
