import Foundation
import Logging
@testable import MobiliseAPI
import MobiliseDomain
import MobiliseStore
import MobiliseTesting
import Postgres
import Synchronization
import Testing

/// What keeps the outbox from slowing signing (issue 23): a pass of milestones recorded in one
/// statement, leaving out those seen before; the sender yielding while the instance signs, bounded
/// so that deliveries go on. Kept connections are in ``WebhookSecretAndPinningTests``.
@Suite(.serialized) struct OutboxPacingTests {
    /// A yes/no the test sets and child tasks read.
    final class Flag: Sendable {
        let value = Mutex(false)
        var isSet: Bool { value.withLock { $0 } }
        func set() { value.withLock { $0 = true } }
    }

    /// A count child tasks add to.
    final class Count: Sendable {
        let value = Mutex(0)
        var current: Int { value.withLock { $0 } }
        func add() { value.withLock { $0 += 1 } }
    }

    static func count(_ harness: ServiceHarness, _ sql: PostgresQuery) async throws -> Int {
        try await harness.store.pool.withConnection { try $0.query(sql).scalar(Int.self) } ?? -1
    }

    static func milestones(_ numbers: ClosedRange<Int>, prefix: String = "pacing") -> [(type: OutboundEventType, key: String, data: [String: OutboundValue])] {
        numbers.map { n in (type: .milestoneSignatures, key: "\(prefix):\(n)", data: ["threshold": .int(n * 1000), "campaign": .string("c")]) }
    }

    @Test func aPassOfMilestonesIsRecordedInOneGoLeavingOutThoseSeenBefore() async throws {
        try await WebhookReceiver.with { receiver in
            try await ServiceHarness.run(environment: OutboxTests.environment) { harness in
                let created = try await OutboxTests.createWebhook(harness, url: receiver.url("/ok"), events: ["milestone.signatures"])
                try receiver.setSecret(try #require(created.json["secret"] as? String))
                _ = try await OutboxTests.createWebhook(harness, kind: "teams", url: receiver.url("/teams"), events: ["milestone.signatures"])
                // A third endpoint that takes other events gets nothing.
                _ = try await OutboxTests.createWebhook(harness, kind: "slack", url: receiver.url("/slack"), events: ["campaign.launched"])
                let store = harness.store
                #expect(try await store.enqueueOutboundEvents(organisationID: harness.acme.id, Self.milestones(1...2)) == 2)
                #expect(try await Self.count(harness, "SELECT count(*) FROM outbox_messages") == 4)
                // The next pass sees both again and a third: only the third is new.
                #expect(try await store.enqueueOutboundEvents(organisationID: harness.acme.id, Self.milestones(1...3)) == 1)
                #expect(try await store.enqueueOutboundEvents(organisationID: harness.acme.id, Self.milestones(1...3)) == 0)
                #expect(try await Self.count(harness, "SELECT count(*) FROM outbox_events") == 3)
                #expect(try await Self.count(harness, "SELECT count(*) FROM outbox_messages") == 6)
                // The payload is kept as given, and the one-at-a-time path agrees on the key.
                #expect(try await Self.count(harness, "SELECT (payload->>'threshold')::int FROM outbox_events WHERE dedupe_key = 'pacing:3'") == 3000)
                #expect(try await store.enqueueOutboundEvent(
                    organisationID: harness.acme.id, type: .milestoneSignatures, dedupeKey: "pacing:3", data: [:]) == false)
                // Another organisation's same keys are its own.
                #expect(try await store.enqueueOutboundEvents(organisationID: harness.globex.id, Self.milestones(1...3)) == 3)
                // And they are delivered, each once.
                try await OutboxTests.deliver(harness, until: "the milestones are delivered") { receiver.requests().count == 6 }
                let received = receiver.requests()
                #expect(received.filter { $0.path == "/ok" }.allSatisfy { $0.verified == true })
                #expect(received.allSatisfy { ($0.problems ?? []).isEmpty })
            }
        }
    }

    @Test func whileBusyTheSenderClaimsSmallBatchesAndPausesOtherwiseItGoesFlatOut() async throws {
        try await TestDatabase.withStore { store in
            let busy = Flag()
            let configuration = OutboxConfiguration.fromEnvironment([:])
            let sender = OutboxSender(store: store, configuration: configuration, sealer: nil, logger: Logger(label: "test-outbox"),
                                      busy: { busy.isSet })
            #expect(sender.nextBatch().limit == configuration.batchSize && sender.nextBatch().pause == nil)
            busy.set()
            let yield = try #require(configuration.yield)
            #expect(sender.nextBatch().limit == yield.batchSize && yield.batchSize < configuration.batchSize)
            #expect(sender.nextBatch().pause == yield.pause)
            // MOBILISE_OUTBOX_YIELD=off: flat out whatever the instance does.
            let off = OutboxConfiguration.fromEnvironment(["MOBILISE_OUTBOX_YIELD": "off"])
            #expect(off.yield == nil)
            let flatOut = OutboxSender(store: store, configuration: off, sealer: nil, logger: Logger(label: "test-outbox"), busy: { true })
            #expect(flatOut.nextBatch().limit == off.batchSize && flatOut.nextBatch().pause == nil)
        }
    }

    /// While busy, at most the yield's rate: batches of 5 start a second apart at the default 5 a
    /// second, the batch's own time included (a slow batch is not followed by a full pause, so a
    /// slow receiver does not lower the rate further), and within a batch the messages start 200 ms
    /// apart (evenly, not 5 requests at once); `MOBILISE_OUTBOX_YIELD=<rate>` sets it.
    @Test func whileBusyTheSenderKeepsToItsRate() throws {
        let yield = try #require(OutboxConfiguration.fromEnvironment([:]).yield)
        #expect(yield.rate == 5 && yield.batchSize == 5)
        #expect(yield.pause == .seconds(1))
        #expect(yield.spacing == .milliseconds(200) && yield.spacing * yield.batchSize == yield.pause)
        #expect(yield.rest(after: .milliseconds(30)) == .milliseconds(970))
        #expect(yield.rest(after: .milliseconds(1_250)) == .zero)
        let ten = try #require(OutboxConfiguration.fromEnvironment(["MOBILISE_OUTBOX_YIELD": "10"]).yield)
        #expect(ten.rate == 10 && ten.pause == .milliseconds(500) && ten.spacing == .milliseconds(100))
        let fast = try #require(OutboxConfiguration.fromEnvironment(["MOBILISE_OUTBOX_YIELD": "1000"]).yield)
        #expect(fast.pause == .milliseconds(5))
        // Nonsense keeps the default; never a rate of zero (that would starve the outbox).
        for nonsense in ["-3", "fast", "nan", "inf"] {
            #expect(OutboxConfiguration.fromEnvironment(["MOBILISE_OUTBOX_YIELD": nonsense]).yield == OutboxYield(), "\(nonsense)")
        }
        #expect(OutboxYield(rate: 0).rate == 5)
    }

    /// The default signal: signatures submitted since it was last asked (or queued, or being written).
    @Test func theInstanceIsBusyWhileSignaturesComeIn() async throws {
        try await ServiceHarness.run(environment: OutboxTests.environment) { harness in
            let slug = try await harness.launchedCampaign()
            let busy = OutboxSender.busySigning(store: harness.store)
            #expect(busy() == false)
            #expect(busy() == false)
            let reply = try await harness.call(.put, "/v1/campaigns/\(slug)/signature", token: try await harness.token("in-1", [.employee]))
            #expect(reply.status.code < 300)
            #expect(busy() == true)
            #expect(busy() == false)
        }
    }

    /// Yielding never starves the outbox: with employees signing all the while, the running sender
    /// (its default signal, its default pacing) still delivers every message, each once.
    @Test func deliveriesAllArriveWhileTheInstanceSigns() async throws {
        try await WebhookReceiver.with { receiver in
            try await ServiceHarness.run(environment: OutboxTests.environment) { harness in
                let created = try await OutboxTests.createWebhook(harness, url: receiver.url("/ok"), events: ["milestone.signatures"])
                try receiver.setSecret(try #require(created.json["secret"] as? String))
                let slug = try await harness.launchedCampaign()
                let total = 40
                #expect(try await harness.store.enqueueOutboundEvents(organisationID: harness.acme.id, Self.milestones(1...total)) == total)

                let signal = OutboxSender.busySigning(store: harness.store)
                let busyAnswers = Count()
                var environment = OutboxTests.environment
                environment["MOBILISE_OUTBOX_POLL"] = "20ms"
                let sender = OutboxSender(
                    store: harness.store, configuration: .fromEnvironment(environment), sealer: OutboxTests.harnessSealer,
                    logger: Logger(label: "test-outbox"),
                    busy: {
                        let busy = signal()
                        if busy { busyAnswers.add() }
                        return busy
                    })
                var tokens: [String] = []
                for person in ["in-1", "in-2", "in-3", "in-4", "in-5", "in-6", "br-1", "br-2"] {
                    tokens.append(try await harness.token(person, [.employee]))
                }
                let stop = Flag()
                let signatures = Count()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for token in tokens {
                        group.addTask {
                            // Signing and withdrawing, again and again, until every message is delivered.
                            while !stop.isSet {
                                do {
                                    let signed = try await harness.call(.put, "/v1/campaigns/\(slug)/signature", token: token)
                                    if signed.status.code < 300 { signatures.add() }
                                    _ = try await harness.call(.delete, "/v1/campaigns/\(slug)/signature", token: token)
                                } catch where stop.isSet {
                                    return
                                }
                            }
                        }
                    }
                    // The sender starts once signing is under way (a slow first batch could otherwise let every
                    // message go out before any signature, and the test would say nothing about pacing).
                    try await waitUntil("the employees are signing", timeout: .seconds(60), interval: .milliseconds(10)) { signatures.current > 0 }
                    group.addTask { try await sender.run() }
                    try await waitUntil("every message is delivered while employees sign", timeout: .seconds(120), interval: .milliseconds(50)) {
                        try await Self.count(harness, "SELECT count(*) FROM outbox_messages WHERE status = 'delivered'") == total
                    }
                    #expect(!stop.isSet)
                    stop.set()
                    group.cancelAll()
                    try await group.waitForAll()
                }
                #expect(signatures.current > 0)
                #expect(busyAnswers.current > 0, "the sender never saw the instance busy")
                let received = receiver.requests()
                #expect(Set(received.compactMap { $0.headers["webhook-id"] }).count == total)
                #expect(received.allSatisfy { $0.verified == true })
            }
        }
    }
}
