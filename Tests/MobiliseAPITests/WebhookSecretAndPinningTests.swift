import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
@testable import MobiliseAPI
import MobiliseDomain
import MobiliseStore
import MobiliseTesting
import NIOCore
import Postgres
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Webhooks' signing keys sealed at rest (the database holds none in clear; keys saved before
/// sealing are sealed at startup; rotating the secrets key), and connections pinned to the address
/// the outbound-URL policy checked (DNS rebinding). Deliveries are verified by the real
/// `standardwebhooks` receiver (Tests/outbox/receiver.py).
@Suite(.serialized) struct WebhookSecretAndPinningTests {
    static func storedKey(_ harness: ServiceHarness, webhook: String) async throws -> Data {
        let id = try #require(UUID(uuidString: webhook))
        return try await harness.store.pool.withConnection { connection in
            try connection.query("SELECT secret FROM outbound_endpoints WHERE id = \(id)").scalar(Data.self)
        } ?? Data()
    }

    static func setStoredKey(_ harness: ServiceHarness, webhook: String, _ value: Data) async throws {
        let id = try #require(UUID(uuidString: webhook))
        _ = try await harness.store.pool.withConnection { connection in
            try connection.execute("UPDATE outbound_endpoints SET secret = \(value) WHERE id = \(id)")
        }
    }

    static func key(of text: String) throws -> Data {
        try #require(Data(base64Encoded: String(text.dropFirst("whsec_".count))))
    }

    @Test func theDatabaseHoldsNoSigningKeyInClearAndDeliveriesStillVerify() async throws {
        try await WebhookReceiver.with { receiver in
            try await ServiceHarness.run(environment: OutboxTests.environment) { harness in
                let created = try await OutboxTests.createWebhook(harness, url: receiver.url("/ok"))
                let text = try #require(created.json["secret"] as? String)
                try receiver.setSecret(text)
                let webhook = try #require(created.json["id"] as? String)
                let key = try Self.key(of: text)

                // What the database holds: sealed, and neither the key nor its text form anywhere in it.
                let stored = try await Self.storedKey(harness, webhook: webhook)
                #expect(SecretSealer.isSealed(stored))
                #expect(stored.range(of: key) == nil && stored.range(of: Data(text.utf8)) == nil)
                #expect(stored.range(of: Data(key.base64EncodedString().utf8)) == nil)
                let dump = try await harness.store.pool.withConnection { connection in
                    try connection.query("SELECT encode(secret, 'hex') FROM outbound_endpoints").scalar(String.self)
                } ?? ""
                #expect(!dump.contains(key.map { String(format: "%02x", $0) }.joined()))
                // It opens for its organisation only.
                let sealer = try #require(OutboxTests.harnessSealer)
                #expect(sealer.open(stored, organisationID: harness.acme.id) == key)
                #expect(sealer.open(stored, organisationID: harness.globex.id) == nil)
                // Nor under the single sign-on secret's derivation (another use, another key).
                let sso = try #require(SecretSealer(configuration: APIConfiguration(jwtSecret: ServiceHarness.secret), purpose: .ssoClientSecret))
                #expect(sso.open(stored, organisationID: harness.acme.id) == nil)

                _ = try await harness.launchedCampaign()
                try await OutboxTests.deliver(harness, until: "the launch is delivered") {
                    try await OutboxTests.deliveries(harness).first?["status"] as? String == "delivered"
                }
                #expect(receiver.requests().count == 1 && receiver.requests().first?.verified == true)
            }
        }
    }

    @Test func aKeySavedInPlainTextBeforeSealingIsSealedAtStartupAndStillSigns() async throws {
        try await WebhookReceiver.with { receiver in
            try await ServiceHarness.run(environment: OutboxTests.environment) { harness in
                let created = try await OutboxTests.createWebhook(harness, url: receiver.url("/ok"))
                let webhook = try #require(created.json["id"] as? String)
                // A webhook as 0018 kept it: its key in plain text.
                let legacy = StandardWebhookSigner.newSecret()
                try await Self.setStoredKey(harness, webhook: webhook, legacy.secret)
                try receiver.setSecret(legacy.text)

                // Until the service starts again, the plain key signs as it is.
                let slug = try await harness.launchedCampaign()
                try await OutboxTests.deliver(harness, until: "the launch is delivered") {
                    try await OutboxTests.deliveries(harness).first?["status"] as? String == "delivered"
                }
                #expect(receiver.requests().last?.verified == true)

                // The startup step seals it (once: a second start finds nothing to do).
                let configuration = APIConfiguration(jwtSecret: ServiceHarness.secret)
                let report = try await StoredSecrets.seal(store: harness.store, configuration: configuration, logger: Logger(label: "test"))
                #expect(report == StoredSecrets.Report(sealed: 1, unreadable: 0, plain: 0))
                #expect(try await StoredSecrets.seal(store: harness.store, configuration: configuration, logger: Logger(label: "test")).sealed == 0)
                let stored = try await Self.storedKey(harness, webhook: webhook)
                #expect(SecretSealer.isSealed(stored) && stored.range(of: legacy.secret) == nil)

                // Deliveries after it are signed with the same key: the receiver's secret did not change.
                let hr = try await harness.token("hr-1", [.hrAdmin])
                _ = try await harness.call(.post, "/v1/campaigns/\(slug)/close", token: hr)
                try await OutboxTests.deliver(harness, until: "the close is delivered") { receiver.requests().count == 2 }
                #expect(receiver.requests().allSatisfy { $0.verified == true })
            }
        }
    }

    /// A single sign-on client secret saved before sealing (as 0015 kept it) is sealed at startup
    /// too, and opens to the same secret; without a secrets key it stays plain and is counted.
    @Test func aClientSecretSavedInPlainTextBeforeSealingIsSealedAtStartup() async throws {
        try await ServiceHarness.run(environment: OutboxTests.environment) { harness in
            let plain = "the-providers-client-secret-\(UUID().uuidString)"
            let organisation = harness.acme.id
            _ = try await harness.store.pool.withConnection { connection in
                try connection.execute("""
                    INSERT INTO sso_providers (organisation_id, issuer, client_id, client_secret, updated_by)
                    VALUES (\(organisation), 'https://id.example.com', 'mobilise', \(plain), 'hr-1')
                    """)
            }
            let stored: @Sendable () async throws -> String = {
                try await harness.store.pool.withConnection { connection in
                    try connection.query("SELECT client_secret FROM sso_providers WHERE organisation_id = \(organisation)").scalar(String.self)
                } ?? ""
            }

            let keyless = APIConfiguration()
            #expect(try await StoredSecrets.seal(store: harness.store, configuration: keyless, logger: Logger(label: "test")).plain == 1)
            #expect(try await stored() == plain)

            let configuration = APIConfiguration(jwtSecret: ServiceHarness.secret)
            let report = try await StoredSecrets.seal(store: harness.store, configuration: configuration, logger: Logger(label: "test"))
            #expect(report == StoredSecrets.Report(sealed: 1, unreadable: 0, plain: 0))
            #expect(try await StoredSecrets.seal(store: harness.store, configuration: configuration, logger: Logger(label: "test")).sealed == 0)
            let sealed = try await stored()
            #expect(sealed.hasPrefix(SecretSealer.prefix) && !sealed.contains(plain))
            let sealer = try #require(SecretSealer(configuration: configuration, purpose: .ssoClientSecret))
            #expect(sealer.open(sealed, organisationID: organisation) == plain)
        }
    }

    @Test func rotatingTheSecretsKeySealsKeysAgainUnderTheNewOne() async throws {
        try await WebhookReceiver.with { receiver in
            try await ServiceHarness.run(environment: OutboxTests.environment) { harness in
                let created = try await OutboxTests.createWebhook(harness, url: receiver.url("/ok"))
                try receiver.setSecret(try #require(created.json["secret"] as? String))
                let webhook = try #require(created.json["id"] as? String)
                let before = try await Self.storedKey(harness, webhook: webhook)

                // The new key alone cannot open what the old one sealed: the delivery fails, clearly.
                var rotated = APIConfiguration(jwtSecret: ServiceHarness.secret)
                rotated.secretsKey = "a-new-secrets-key-0123456789abcdef0123456789"
                let newOnly = SecretSealer(configuration: rotated, purpose: .webhookSigningKey)
                #expect(try await StoredSecrets.seal(store: harness.store, configuration: rotated, logger: Logger(label: "test")).unreadable == 1)
                let slug = try await harness.launchedCampaign()
                try await OutboxTests.deliver(harness, configuration: .fromEnvironment(OutboxTests.environment), sealer: newOnly, until: "an attempt failed") {
                    (try await OutboxTests.deliveries(harness).first?["last_error"] as? String)?.contains("signing key does not open") == true
                }
                #expect(receiver.requests().isEmpty)

                // With the old key named as the previous one, startup seals the key again under the new one.
                rotated.previousSecretsKeys = [ServiceHarness.secret]
                let report = try await StoredSecrets.seal(store: harness.store, configuration: rotated, logger: Logger(label: "test"))
                #expect(report.sealed == 1 && report.unreadable == 0)
                let after = try await Self.storedKey(harness, webhook: webhook)
                #expect(after != before && newOnly?.open(after, organisationID: harness.acme.id) != nil)
                #expect(OutboxTests.harnessSealer?.open(after, organisationID: harness.acme.id) == nil)

                // The old key can go: the new one alone signs, and the receiver verifies.
                let hr = try await harness.token("hr-1", [.hrAdmin])
                let delivery = try #require(try await OutboxTests.deliveries(harness).first?["id"] as? String)
                _ = try await harness.call(.post, "/v1/webhook-deliveries/\(delivery)/replay", token: hr)
                try await OutboxTests.deliver(harness, configuration: .fromEnvironment(OutboxTests.environment), sealer: newOnly, until: "delivered") {
                    try await OutboxTests.deliveries(harness).first?["status"] as? String == "delivered"
                }
                #expect(receiver.requests().count == 1 && receiver.requests().first?.verified == true)
                _ = slug
            }
        }
    }

    /// A name the system's resolver knows nothing of (RFC 6761 reserves `.invalid`) that the
    /// policy's resolver sends to the receiver: delivered, so the connection went to the checked
    /// address without looking the name up again; the `Host` header is still the name.
    @Test func theConnectionGoesToTheCheckedAddressNotToASecondLookUp() async throws {
        try await WebhookReceiver.with { receiver in
            try await ServiceHarness.run(environment: OutboxTests.environment) { harness in
                let url = "http://hooks.mobilise.invalid:\(receiver.port)/ok"
                let created = try await OutboxTests.createWebhook(harness, url: url, events: ["campaign.launched"])
                #expect(created.status == .created)
                try receiver.setSecret(try #require(created.json["secret"] as? String))
                let lookUps = LookUpCount()
                var configuration = OutboxConfiguration.fromEnvironment(OutboxTests.environment)
                configuration.policy.resolver = { name in
                    lookUps.count.withLock { $0 += 1 }
                    return name == "hooks.mobilise.invalid" ? ["127.0.0.1"] : []
                }
                _ = try await harness.launchedCampaign()
                try await OutboxTests.deliver(harness, configuration: configuration, until: "the launch is delivered") {
                    try await OutboxTests.deliveries(harness).first?["status"] as? String == "delivered"
                }
                let request = try #require(receiver.requests().first)
                #expect(request.headers["host"] == "hooks.mobilise.invalid:\(receiver.port)" && request.verified == true)
                #expect(lookUps.count.withLock { $0 } == 1)
            }
        }
    }

    /// DNS rebinding: the name answers a public address to the check, loopback afterwards. The
    /// connection goes to the public address the check accepted (unreachable here), never to
    /// loopback. The name is this machine's host name when the system resolves it to loopback (as
    /// /etc/hosts does here), so a client that looked the name up again would reach the receiver.
    @Test func aNameRebindingToLoopbackAfterTheCheckCannotReachLoopback() async throws {
        try await WebhookReceiver.with { receiver in
            try await ServiceHarness.run(environment: OutboxTests.environment) { harness in
                let name = Self.nameTheSystemResolvesToLoopback() ?? "rebind.mobilise.invalid"
                let created = try await OutboxTests.createWebhook(harness, url: "http://\(name):\(receiver.port)/ok", events: ["campaign.launched"])
                #expect(created.status == .created)
                let lookUps = LookUpCount()
                var configuration = OutboxConfiguration.fromEnvironment(["MOBILISE_OUTBOUND_ALLOW_HTTP": "1", "MOBILISE_OUTBOX_TIMEOUT": "1s",
                                                                         "MOBILISE_OUTBOX_RETRY_BASE": "60s"])
                configuration.policy.resolver = { _ in
                    // First a public address (TEST-NET-3: routed nowhere), then loopback.
                    lookUps.count.withLock { count in
                        count += 1
                        return count == 1 ? ["203.0.113.7"] : ["127.0.0.1"]
                    }
                }
                _ = try await harness.launchedCampaign()
                try await OutboxTests.deliver(harness, configuration: configuration, until: "the attempt ended") {
                    let delivery = try await OutboxTests.deliveries(harness).first
                    return delivery?["attempts"] as? Int == 1 && delivery?["status"] as? String == "pending"
                }
                let delivery = try #require(try await OutboxTests.deliveries(harness).first)
                #expect(receiver.requests().isEmpty, "the connection reached loopback")
                #expect(lookUps.count.withLock { $0 } == 1)
                #expect(delivery["last_status_code"] == nil)
            }
        }
    }

    /// The OpenID provider's calls are pinned the same way: a discovery document at a name only the
    /// policy's resolver knows is read, and its `issuer` (made from the `Host` header the provider
    /// got) is the name, not the address.
    @Test func theOpenIDProvidersCallsGoToTheCheckedAddress() async throws {
        let router = Router()
        router.get(".well-known/openid-configuration") { request, _ -> Response in
            let issuer = "http://\(request.head.authority ?? "")"
            let document = #"{"issuer": "\#(issuer)", "authorization_endpoint": "\#(issuer)/authorize", "token_endpoint": "\#(issuer)/token", "jwks_uri": "\#(issuer)/jwks"}"#
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: document)))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            var policy = OutboundURLPolicy(allowPrivate: true, allowHTTP: true)
            let lookUps = LookUpCount()
            policy.resolver = { name in
                lookUps.count.withLock { $0 += 1 }
                return name == "idp.mobilise.invalid" ? ["127.0.0.1"] : []
            }
            let issuer = "http://idp.mobilise.invalid:\(port)"
            let document = try await OpenIDClient(policy: policy).configuration(issuer: issuer)
            #expect(document.issuer == issuer && document.tokenEndpoint == issuer + "/token")
            #expect(lookUps.count.withLock { $0 } == 1)
            // Without the policy's resolver the name does not resolve at all: nothing else was asked.
            await #expect(throws: SingleSignOnFailure.self) {
                _ = try await OpenIDClient(policy: OutboundURLPolicy(allowPrivate: true, allowHTTP: true)).configuration(issuer: issuer)
            }
        }
    }

    /// This machine's host name, if the system's resolver gives a loopback address for it.
    static func nameTheSystemResolvesToLoopback() -> String? {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return nil }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard !name.isEmpty, name != "localhost", !name.hasSuffix(".localhost") else { return nil }
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(name, nil, &hints, &result) == 0, let first = result else { return nil }
        defer { freeaddrinfo(first) }
        let loopback = first.pointee.ai_addr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
            UInt32(bigEndian: pointer.pointee.sin_addr.s_addr) >> 24 == 127
        }
        return loopback ? name : nil
    }
}

/// How often the policy's resolver was asked.
final class LookUpCount: Sendable {
    let count = Mutex(0)
}
