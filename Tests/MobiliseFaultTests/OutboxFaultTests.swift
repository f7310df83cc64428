import EmbeddedPostgres
import Foundation
import Logging
import MobiliseAPI
import MobiliseStore
import MobiliseTesting
import Postgres
import Testing

/// Issue 23: the outbox survives SIGKILL of the service and a restart of the database. The service
/// is the `mobilise` binary; the receiver a real HTTP server on loopback that verifies signatures
/// with the `standardwebhooks` package.
@Suite(.serialized) struct OutboxFaultTests {
    /// The service is killed (SIGKILL) while it is sending a webhook (the receiver holds the first
    /// request of each message unanswered), then PostgreSQL is stopped `--immediate` and started
    /// again, then the service: the message, claimed but never recorded as delivered, is sent again
    /// once its lease expires, with the same `webhook-id`, and ends delivered. At least once.
    @Test func aMessageBeingSentWhenTheServiceIsKilledIsDeliveredAfterRestarts() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("mobilise-outbox-\(UUID().uuidString.prefix(8))").path
        let mobilise = CommandRunner.mobilise
        let started = try await CommandRunner.run(mobilise, ["db", "start", "--data-dir", root])
        try #require(started.status == 0, "\(started.standardError)")
        let server = EmbeddedPostgres(configuration: .init(dataDirectory: root + "/postgres"), logger: Logger(label: "fault-tests"))
        let pool = PostgresPool(
            configuration: .init(connection: try PostgresConfiguration(server.connectionString(database: "mobilise"), applicationName: "fault-tests"),
                                 maxConnections: 2),
            logger: Logger(label: "fault-tests"))
        let receiver = try await WebhookReceiver.start()
        let environment = [
            "MOBILISE_OUTBOUND_ALLOW_PRIVATE": "1", "MOBILISE_OUTBOUND_ALLOW_HTTP": "1", "MOBILISE_OUTBOX_POLL": "100ms",
            "MOBILISE_OUTBOX_TIMEOUT": "5s", "MOBILISE_OUTBOX_RETRY_BASE": "200ms",
        ]
        var service: ServiceProcess?
        do {
            let first = try await ServiceProcess.start(arguments: ["--data-dir", root], environment: environment)
            service = first
            let store = MobiliseStore(pool: pool, logger: Logger(label: "fault-setup"))
            _ = try await store.createOrganisation(slug: "acme", name: "Acme", privacyK: 1)
            let issuer = try await TokenIssuer(secret: ServiceProcess.secret)
            let hr = try await issuer.token(subject: "hr-1", organisation: "acme", roles: [.hrAdmin])
            let webhook = try await HTTP.request(port: first.port, .post, "/v1/webhooks", token: hr, body: """
                {"url": "\(receiver.url("/hang-once"))", "events": ["campaign.launched"]}
                """)
            try #require(webhook.status == 201, "\(webhook.text)")
            try receiver.setSecret(try #require(webhook.json["secret"] as? String))
            let now = Date()
            let created = try await HTTP.request(port: first.port, .post, "/v1/campaigns", token: hr, body: """
                {"slug": "outbox", "hashtag": "#Outbox", "title": "Outbox", "pledge_text": "I commit",
                 "starts_at": "\(rfc3339(now.addingTimeInterval(-86_400)))", "ends_at": "\(rfc3339(now.addingTimeInterval(86_400)))"}
                """)
            try #require(created.status == 201, "\(created.text)")
            let launched = try await HTTP.request(port: first.port, .post, "/v1/campaigns/outbox/launch", token: hr)
            try #require(launched.status == 200, "\(launched.text)")

            try await waitUntil("the service is sending the launch", timeout: .seconds(60), interval: .milliseconds(20)) {
                receiver.requests().contains { $0.hung }
            }
            first.signal(SIGKILL)
            _ = await first.waitForExit()
            service = nil

            let stop = try await CommandRunner.run(mobilise, ["db", "stop", "--data-dir", root, "--immediate"])
            try #require(stop.status == 0, "\(stop.standardError)")
            let restart = try await CommandRunner.run(mobilise, ["db", "start", "--data-dir", root])
            try #require(restart.status == 0, "\(restart.standardError)")

            let second = try await ServiceProcess.start(arguments: ["--data-dir", root], environment: environment)
            service = second
            try await waitUntil("the launch is delivered after the restarts", timeout: .seconds(90), interval: .milliseconds(50)) {
                receiver.requests().contains { $0.verified == true }
            }
            let received = receiver.requests()
            #expect(received.count == 2, "\(received.map(\.path))")
            #expect(Set(received.compactMap { $0.headers["webhook-id"] }).count == 1, "a retry must carry the message's webhook-id")
            #expect(received.last?.json["type"] as? String == "campaign.launched")
            try await waitUntil("the delivery log says delivered", timeout: .seconds(30), interval: .milliseconds(50)) {
                let log = try await HTTP.request(port: second.port, .get, "/v1/webhook-deliveries", token: hr)
                let delivery = (log.json["deliveries"] as? [[String: any Sendable]])?.first
                return delivery?["status"] as? String == "delivered" && delivery?["attempts"] as? Int == 2
            }
        } catch {
            if let service { print("[faults] service log:\n\(service.logTail)") }
            await service?.stop()
            receiver.stop()
            await pool.close()
            await removeCluster(root)
            throw error
        }
        await service?.stop()
        receiver.stop()
        await pool.close()
        await removeCluster(root)
    }

    private func removeCluster(_ root: String) async {
        _ = try? await CommandRunner.run(CommandRunner.mobilise, ["db", "stop", "--data-dir", root, "--immediate"])
        if let relocated = try? FileManager.default.destinationOfSymbolicLink(atPath: root + "/postgres") {
            try? FileManager.default.removeItem(atPath: relocated)
        }
        try? FileManager.default.removeItem(atPath: root)
    }
}
