import AsyncHTTPClient
import Foundation
import Logging
import MobiliseAPI
import MobiliseDomain
import MobiliseStore
import MobiliseTesting
import Testing

/// The durable outbox over the real service: webhooks signed the Standard Webhooks way and verified
/// by the `standardwebhooks` package in a real receiver on loopback, Teams and Slack cards checked
/// by that receiver, retries with backoff into a final state, timeouts, replay, and the
/// outbound-URL policy (SSRF).
@Suite(.serialized) struct OutboxTests {
    /// Loopback receivers need the private-address and http exceptions; retries are fast here. An
    /// attempt's timeout of 5 s: with 1 s, a loopback answer delayed past it by a loaded test run
    /// (the whole suite on 2 cores) made a second attempt, which tests of one attempt then saw.
    static let environment = [
        "MOBILISE_OUTBOUND_ALLOW_PRIVATE": "1", "MOBILISE_OUTBOUND_ALLOW_HTTP": "1", "MOBILISE_OUTBOX_RETRY_BASE": "20ms",
        "MOBILISE_OUTBOX_RETRY_CAP": "100ms", "MOBILISE_OUTBOX_MAX_ATTEMPTS": "3", "MOBILISE_OUTBOX_TIMEOUT": "5s",
    ]

    /// Runs the sender's passes until `condition` holds (the sender a service runs, driven by the test).
    static func deliver(
        _ harness: ServiceHarness, environment: [String: String] = environment, until what: String,
        _ condition: @escaping @Sendable () async throws -> Bool
    ) async throws {
        try await deliver(harness, configuration: OutboxConfiguration.fromEnvironment(environment), until: what, condition)
    }

    /// The same with a configuration of the test's own (a look-up hook, say) and the service's sealer (or another).
    static func deliver(
        _ harness: ServiceHarness, configuration: OutboxConfiguration, sealer: SecretSealer? = harnessSealer, until what: String,
        _ condition: @escaping @Sendable () async throws -> Bool
    ) async throws {
        let sender = OutboxSender(store: harness.store, configuration: configuration, sealer: sealer, logger: Logger(label: "test-outbox"))
        try await waitUntil(what, timeout: .seconds(30), interval: .milliseconds(20)) {
            try await sender.deliverDue()
            return try await condition()
        }
    }

    /// What the harness's service seals webhooks' signing keys with (its JWT secret: no MOBILISE_SECRETS_KEY).
    static let harnessSealer = SecretSealer(configuration: APIConfiguration(jwtSecret: ServiceHarness.secret), purpose: .webhookSigningKey)

    static func createWebhook(
        _ harness: ServiceHarness, kind: String = "webhook", url: String, events: [String] = ["campaign.launched", "campaign.closed"]
    ) async throws -> ServiceHarness.Reply {
        let hr = try await harness.token("hr-1", [.hrAdmin])
        let list = events.map { "\"\($0)\"" }.joined(separator: ",")
        return try await harness.call(.post, "/v1/webhooks", token: hr, json: #"{"kind": "\#(kind)", "url": "\#(url)", "events": [\#(list)]}"#)
    }

    static func deliveries(_ harness: ServiceHarness, query: String = "") async throws -> [[String: any Sendable]] {
        let hr = try await harness.token("hr-1", [.hrAdmin])
        let reply = try await harness.call(.get, "/v1/webhook-deliveries\(query)", token: hr)
        return reply.json["deliveries"] as? [[String: any Sendable]] ?? []
    }

    @Test func launchingACampaignDeliversAWebhookThatStandardWebhooksVerifies() async throws {
        try await WebhookReceiver.with { receiver in
            try await ServiceHarness.run(environment: Self.environment) { harness in
                let created = try await Self.createWebhook(harness, url: receiver.url("/ok"))
                #expect(created.status == .created)
                let secret = try #require(created.json["secret"] as? String)
                #expect(secret.hasPrefix("whsec_"))
                try receiver.setSecret(secret)
                // The secret is shown once: never again.
                let hr = try await harness.token("hr-1", [.hrAdmin])
                let shown = try await harness.call(.get, "/v1/webhooks/\(created.json["id"] as? String ?? "")", token: hr)
                #expect(shown.status == .ok && shown.json["secret"] == nil && shown.json["url"] as? String == receiver.url("/ok"))

                let slug = try await harness.launchedCampaign()
                try await Self.deliver(harness, until: "the launch is delivered") {
                    try await Self.deliveries(harness).first?["status"] as? String == "delivered"
                }
                let received = receiver.requests()
                #expect(received.count == 1)
                let request = try #require(received.first)
                #expect(request.verified == true, "standardwebhooks refused the signature")
                #expect(request.headers["webhook-id"]?.hasPrefix("msg_") == true)
                #expect(request.json["type"] as? String == "campaign.launched")
                let data = request.json["data"] as? [String: any Sendable]
                #expect(data?["campaign"] as? String == slug)
                // Nothing about who signed or works there: no employee's name in the payload.
                for name in ["Arjun", "Priya", "Hana", "hr-1"] { #expect(!request.body.contains(name)) }

                // The delivery log: one attempt, delivered, with its status code.
                let delivery = try #require(try await Self.deliveries(harness).first)
                #expect(delivery["attempts"] as? Int == 1 && delivery["last_status_code"] as? Int == 200)
                let detail = try await harness.call(.get, "/v1/webhook-deliveries/\(delivery["id"] as? String ?? "")", token: hr)
                let log = detail.json["log"] as? [[String: any Sendable]] ?? []
                #expect(log.count == 1 && log.first?["outcome"] as? String == "delivered")

                // Closing the campaign is the second event; launching is not told twice.
                _ = try await harness.call(.post, "/v1/campaigns/\(slug)/close", token: hr)
                try await Self.deliver(harness, until: "the close is delivered") {
                    receiver.requests().count == 2
                }
                #expect(receiver.requests().map { $0.json["type"] as? String } == ["campaign.launched", "campaign.closed"])
                #expect(receiver.requests().allSatisfy { $0.verified == true })
            }
        }
    }

    @Test func teamsAndSlackChannelsGetCardsOfTheRightStructure() async throws {
        try await WebhookReceiver.with { receiver in
            try await ServiceHarness.run(environment: Self.environment) { harness in
                #expect(try await Self.createWebhook(harness, kind: "teams", url: receiver.url("/teams")).status == .created)
                let slack = try await Self.createWebhook(harness, kind: "slack", url: receiver.url("/slack"))
                #expect(slack.status == .created && slack.json["secret"] == nil)
                _ = try await harness.launchedCampaign()
                try await Self.deliver(harness, until: "both channels got the launch") {
                    try await Self.deliveries(harness, query: "?status=delivered").count == 2
                }
                let received = receiver.requests()
                #expect(Set(received.map(\.path)) == ["/teams", "/slack"])
                for request in received {
                    #expect(request.problems == [], "\(request.path): \(request.problems ?? [])")
                    #expect(request.body.contains("HeForShe at Acme"))
                }
            }
        }
    }

    @Test func aReceiverAnswering500IsRetriedWithBackoffUntilFailedThenReplayed() async throws {
        try await WebhookReceiver.with { receiver in
            try await ServiceHarness.run(environment: Self.environment) { harness in
                let created = try await Self.createWebhook(harness, url: receiver.url("/fail"), events: ["campaign.launched"])
                try receiver.setSecret(try #require(created.json["secret"] as? String))
                _ = try await harness.launchedCampaign()
                try await Self.deliver(harness, until: "the delivery has failed") {
                    try await Self.deliveries(harness).first?["status"] as? String == "failed"
                }
                let hr = try await harness.token("hr-1", [.hrAdmin])
                let delivery = try #require(try await Self.deliveries(harness).first)
                let id = try #require(delivery["id"] as? String)
                #expect(delivery["attempts"] as? Int == 3 && delivery["last_status_code"] as? Int == 500)
                #expect(delivery["next_attempt_at"] == nil)
                #expect((delivery["last_error"] as? String)?.contains("500") == true)
                let log = try await harness.call(.get, "/v1/webhook-deliveries/\(id)", token: hr).json["log"] as? [[String: any Sendable]] ?? []
                #expect(log.map { $0["outcome"] as? String } == ["retry", "retry", "failed"])
                #expect(receiver.requests().filter { $0.path == "/fail" }.count == 3)
                // Every retry carries the same webhook-id (receivers deduplicate on it).
                #expect(Set(receiver.requests().compactMap { $0.headers["webhook-id"] }).count == 1)

                // HR mends the URL and replays: delivered, and the log keeps the failed attempts.
                let webhook = try #require(created.json["id"] as? String)
                let mended = try await harness.call(.put, "/v1/webhooks/\(webhook)", token: hr, json: #"{"url": "\#(receiver.url("/ok"))", "events": ["campaign.launched"]}"#)
                #expect(mended.status == .ok)
                let replayed = try await harness.call(.post, "/v1/webhook-deliveries/\(id)/replay", token: hr)
                #expect(replayed.status == .ok && replayed.json["status"] as? String == "pending")
                try await Self.deliver(harness, until: "the replay is delivered") {
                    try await Self.deliveries(harness).first?["status"] as? String == "delivered"
                }
                let after = try await harness.call(.get, "/v1/webhook-deliveries/\(id)", token: hr).json["log"] as? [[String: any Sendable]] ?? []
                #expect(after.map { $0["outcome"] as? String } == ["retry", "retry", "failed", "delivered"])
                #expect(receiver.requests().last?.verified == true)
            }
        }
    }

    @Test func aRangeOfFailedDeliveriesIsReplayedAtOnce() async throws {
        try await WebhookReceiver.with { receiver in
            try await ServiceHarness.run(environment: Self.environment) { harness in
                let created = try await Self.createWebhook(harness, url: receiver.url("/fail"))
                try receiver.setSecret(try #require(created.json["secret"] as? String))
                let hr = try await harness.token("hr-1", [.hrAdmin])
                let slug = try await harness.launchedCampaign()
                _ = try await harness.call(.post, "/v1/campaigns/\(slug)/close", token: hr)
                try await Self.deliver(harness, until: "both deliveries have failed") {
                    try await Self.deliveries(harness, query: "?status=failed").count == 2
                }
                // A range that holds none of them (before they were made) replays nothing.
                let none = try await harness.call(.post, "/v1/webhook-deliveries/replay", token: hr, json: #"{"to": "2020-01-01T00:00:00Z"}"#)
                #expect(none.status == .ok && none.json["replayed"] as? Int == 0)
                let bad = try await harness.call(.post, "/v1/webhook-deliveries/replay", token: hr, json: #"{"status": ["pending"]}"#)
                #expect(bad.status == .unprocessableContent && bad.errorCode == "invalid_value")
                let leader = try await harness.token("lead-1", [.leader])
                #expect(try await harness.call(.post, "/v1/webhook-deliveries/replay", token: leader, json: "{}").status == .forbidden)

                // The receiver is mended; every failed delivery of the webhook is replayed in one call.
                let webhook = try #require(created.json["id"] as? String)
                let mended = try await harness.call(.put, "/v1/webhooks/\(webhook)", token: hr,
                                                    json: #"{"url": "\#(receiver.url("/ok"))", "events": ["campaign.launched", "campaign.closed"]}"#)
                #expect(mended.status == .ok)
                let replayed = try await harness.call(.post, "/v1/webhook-deliveries/replay", token: hr,
                                                      json: #"{"status": ["failed"], "webhook": "\#(webhook)", "from": "2020-01-01T00:00:00Z"}"#)
                #expect(replayed.status == .ok && replayed.json["replayed"] as? Int == 2 && replayed.json["more"] as? Bool == false)
                try await Self.deliver(harness, until: "both replays are delivered") {
                    try await Self.deliveries(harness, query: "?status=delivered").count == 2
                }
                #expect(receiver.requests().filter { $0.path == "/ok" }.count == 2)
                #expect(receiver.requests().filter { $0.path == "/ok" }.allSatisfy { $0.verified == true })
                // Nothing failed is left to replay.
                let again = try await harness.call(.post, "/v1/webhook-deliveries/replay", token: hr, json: "{}")
                #expect(again.json["replayed"] as? Int == 0)
            }
        }
    }

    @Test func aReceiverThatHangsTimesOutIntoTheRetryState() async throws {
        try await WebhookReceiver.with { receiver in
            let environment = Self.environment.merging(["MOBILISE_OUTBOX_MAX_ATTEMPTS": "10", "MOBILISE_OUTBOX_RETRY_BASE": "60s"]) { $1 }
            try await ServiceHarness.run(environment: environment) { harness in
                _ = try await Self.createWebhook(harness, url: receiver.url("/hang"), events: ["campaign.launched"])
                _ = try await harness.launchedCampaign()
                try await Self.deliver(harness, environment: environment, until: "an attempt timed out") {
                    (try await Self.deliveries(harness).first?["last_error"] as? String)?.contains("timed out") == true
                }
                let delivery = try #require(try await Self.deliveries(harness).first)
                #expect(delivery["status"] as? String == "pending" && delivery["attempts"] as? Int == 1)
                #expect(delivery["next_attempt_at"] != nil)
                #expect(receiver.requests().first?.hung == true)
            }
        }
    }

    @Test func privateLoopbackAndNonHTTPSURLsAreRefusedByDefault() async throws {
        try await ServiceHarness.run { harness in
            for url in [
                "http://example.com/hook", "https://127.0.0.1/hook", "https://localhost:8443/hook", "https://10.1.2.3/hook",
                "https://192.168.0.10/hook", "https://169.254.169.254/latest/meta-data", "https://[::1]/hook",
                "https://[::ffff:127.0.0.1]/hook", "https://[fd00::1]/hook", "https://224.0.0.1/hook", "ftp://example.com/x",
                "https://user:pass@example.com/hook", "not a url",
            ] {
                let reply = try await Self.createWebhook(harness, url: url)
                #expect(reply.status == .unprocessableContent && reply.errorCode == "outbound_url_refused", "\(url): \(reply.status) \(reply.text)")
            }
            // Only HR admins manage webhooks.
            let leader = try await harness.token("lead-1", [.leader])
            let reply = try await harness.call(.get, "/v1/webhooks", token: leader)
            #expect(reply.status == .forbidden)
            let unknown = try await Self.createWebhook(harness, url: "https://hooks.example.com/x", events: ["signature.created"])
            #expect(unknown.status == .unprocessableContent && unknown.errorCode == "invalid_events")
        }
    }

    @Test func anAddressRefusedAtSendTimeEndsInTheRefusedState() async throws {
        try await WebhookReceiver.with { receiver in
            // Created while private addresses were allowed; the sender's policy (the default) refuses them.
            try await ServiceHarness.run(environment: Self.environment) { harness in
                _ = try await Self.createWebhook(harness, url: receiver.url("/ok"), events: ["campaign.launched"])
                _ = try await harness.launchedCampaign()
                try await Self.deliver(harness, environment: ["MOBILISE_OUTBOUND_ALLOW_HTTP": "1"], until: "the delivery is refused") {
                    try await Self.deliveries(harness).first?["status"] as? String == "refused"
                }
                let delivery = try #require(try await Self.deliveries(harness).first)
                #expect((delivery["last_error"] as? String)?.contains("loopback") == true)
                #expect(receiver.requests().isEmpty)
            }
        }
    }

    @Test func theServicesOwnAddressIsRefusedEvenWhenPrivateAddressesAreAllowed() throws {
        let policy = OutboundURLPolicy(allowPrivate: true, allowHTTP: true, ownPort: 8080)
        #expect(throws: OutboundURLPolicy.Refusal.self) { try policy.check("http://127.0.0.1:8080/v1/campaigns") }
        #expect(throws: OutboundURLPolicy.Refusal.self) { try policy.check("http://localhost:8080/") }
        #expect(throws: OutboundURLPolicy.Refusal.self) { try policy.check("http://0.0.0.0:8080/") }
        try policy.check("http://127.0.0.1:9090/hook")
        try OutboundURLPolicy().check("https://hooks.slack.com/services/T0/B0/x")
    }

    @Test func anEventIsRecordedOnceForItsKeyHoweverOftenItIsSeen() async throws {
        try await WebhookReceiver.with { receiver in
            try await ServiceHarness.run(environment: Self.environment) { harness in
                _ = try await Self.createWebhook(harness, url: receiver.url("/ok"), events: ["milestone.signatures"])
                // As two instances' milestone jobs, or one job's two runs, would see a milestone.
                let results = try await withThrowingTaskGroup(of: Bool.self) { group in
                    for _ in 0..<8 {
                        group.addTask {
                            try await harness.store.enqueueOutboundEvent(
                                organisationID: harness.acme.id, type: .milestoneSignatures, dedupeKey: "milestone.signatures:c:1000",
                                data: ["threshold": .int(1000)])
                        }
                    }
                    return try await group.reduce(into: [Bool]()) { $0.append($1) }
                }
                #expect(results.filter { $0 }.count == 1)
                #expect(try await Self.deliveries(harness).count == 1)
            }
        }
    }
}
