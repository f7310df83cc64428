import Foundation
import Logging
import MobiliseStore

/// Brings the secrets kept in the database under the current secrets key, at startup (after the
/// migrations): webhooks' signing keys and OpenID client secrets saved in plain text before they
/// were sealed (migrations 0031, 0023) are sealed, and those sealed under a retired key
/// (`MOBILISE_SECRETS_KEY_PREVIOUS`) are sealed again under `MOBILISE_SECRETS_KEY`. Each value is
/// replaced only if it is still the one read, so instances starting together do not undo each
/// other. A value that opens under no key is left as it is and counted: its webhook's deliveries
/// fail until the key is given back, or HR creates the webhook again.
public enum StoredSecrets {
    public struct Report: Sendable, Equatable {
        /// Values sealed now (plain ones, or ones under a retired key).
        public var sealed = 0
        /// Values that open under no key the service has.
        public var unreadable = 0
        /// Plain values left plain because the service has no secrets key.
        public var plain = 0
    }

    @discardableResult
    public static func seal(store: MobiliseStore, configuration: APIConfiguration, logger: Logger) async throws -> Report {
        var report = Report()
        let webhooks = SecretSealer(configuration: configuration, purpose: .webhookSigningKey)
        for stored in try await store.storedWebhookSigningKeys() {
            guard let sealer = webhooks else {
                if !SecretSealer.isSealed(stored.secret) { report.plain += 1 }
                continue
            }
            guard let opened = sealer.openReportingKey(stored.secret, organisationID: stored.organisationID) else {
                report.unreadable += 1
                continue
            }
            guard !SecretSealer.isSealed(stored.secret) || opened.underPreviousKey else { continue }
            let sealed = try sealer.seal(opened.plain, organisationID: stored.organisationID)
            if try await store.replaceWebhookSigningKey(organisationID: stored.organisationID, id: stored.id, from: stored.secret, to: sealed) {
                report.sealed += 1
            }
        }
        // OpenID client secrets: plain ones (saved before sealing) and ones under a retired key are
        // sealed here, as webhook keys are.
        let sso = SecretSealer(configuration: configuration, purpose: .ssoClientSecret)
        for stored in try await store.storedSSOClientSecrets() {
            let isSealed = stored.secret.hasPrefix(SecretSealer.prefix)
            guard let sealer = sso else {
                if !isSealed { report.plain += 1 }
                continue
            }
            guard let opened = sealer.openReportingKey(stored.secret, organisationID: stored.organisationID) else {
                report.unreadable += 1
                continue
            }
            guard !isSealed || opened.underPreviousKey else { continue }
            let sealed = try sealer.seal(opened.plain, organisationID: stored.organisationID)
            if try await store.replaceSSOClientSecret(organisationID: stored.organisationID, from: stored.secret, to: sealed) {
                report.sealed += 1
            }
        }
        if report.sealed > 0 { logger.notice("sealed stored secrets under the current secrets key", metadata: ["count": "\(report.sealed)"]) }
        if report.plain > 0 {
            logger.warning("webhook signing keys or single sign-on client secrets are kept in plain text: set MOBILISE_SECRETS_KEY (or MOBILISE_JWT_SECRET) to seal them",
                           metadata: ["count": "\(report.plain)"])
        }
        if report.unreadable > 0 {
            logger.error("stored secrets open under no secrets key this service has (MOBILISE_SECRETS_KEY changed without MOBILISE_SECRETS_KEY_PREVIOUS?)",
                         metadata: ["count": "\(report.unreadable)"])
        }
        return report
    }
}
