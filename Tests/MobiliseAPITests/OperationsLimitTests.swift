import Foundation
import Synchronization
import MobiliseTesting
import Testing

@testable import MobiliseAPI

/// The limits that keep unauthenticated probes and long-lived streams from using up the database.
@Suite struct OperationsLimitTests {
    /// Fifty concurrent readiness requests share one check, and its answer serves the next ones.
    @Test func readinessIsCheckedOnceForManyCallers() async {
        let probe = ReadinessProbe(maxAge: .seconds(3600))
        let checks = Atomic<Int>(0)
        let started = AsyncStream<Void>.makeStream()
        let release = AsyncStream<Void>.makeStream()
        let check: @Sendable () async -> ReadinessProbe.Status = {
            checks.wrappingAdd(1, ordering: .relaxed)
            started.continuation.yield()
            for await _ in release.stream { break }  // held until every caller is waiting
            return .migrationsPending(2)
        }
        let answers = await withTaskGroup(of: ReadinessProbe.Status.self) { group in
            group.addTask { await probe.status(check) }
            for await _ in started.stream { break }
            for _ in 1..<50 { group.addTask { await probe.status(check) } }
            release.continuation.yield()
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(answers.count == 50 && answers.allSatisfy { $0 == .migrationsPending(2) })
        #expect(await probe.status(check) == .migrationsPending(2))
        #expect(checks.load(ordering: .relaxed) == 1)
    }

    /// A person gets four live streams, the service `limit`; a slot comes back with its lease.
    @Test func liveStreamSlotsArePerPersonAndInAll() {
        let slots = LiveStreamSlots(limit: 6)
        let organisation = UUID()
        let lead = LiveStreamSlots.Caller(organisation: organisation, subject: "lead-1")
        var leases = (0..<4).compactMap { _ in slots.lease(for: lead) }
        #expect(leases.count == 4)
        #expect(slots.lease(for: lead) == nil)
        // Another person still gets some, until the service's limit.
        let other = LiveStreamSlots.Caller(organisation: organisation, subject: "lead-2")
        let theirs = (0..<3).compactMap { _ in slots.lease(for: other) }
        #expect(theirs.count == 2 && slots.current == 6)
        leases.removeLast()
        #expect(slots.current == 5)
        #expect(slots.lease(for: lead) != nil)
        #expect(slots.current == 5)  // the lease above was dropped at once
    }

    /// With a scrape token configured, `/metrics` answers only that token.
    @Test func metricsAskForTheScrapeTokenWhenOneIsSet() async throws {
        try await ServiceHarness.run(metricsToken: "scrape-secret") { service in
            #expect(try await service.call(.get, "/metrics").status == .unauthorized)
            #expect(try await service.call(.get, "/metrics", token: "scrape-secreT").status == .unauthorized)
            #expect(try await service.call(.get, "/metrics", token: "scrape-secret-and-more").status == .unauthorized)
            _ = try await service.call(.get, "/v1/me")
            let scraped = try await service.call(.get, "/metrics", token: "scrape-secret")
            #expect(scraped.status == .ok && scraped.text.contains("mobilise_db_pool_connections_open"), "\(scraped.text.prefix(200))")
            // The scraper alone sees the counters a person's request moves.
            #expect(scraped.text.contains(#"mobilise_http_requests_total{route="/v1/me",method="GET",status="401"}"#))
            #expect(scraped.text.contains("mobilise_signatures_recorded_total"))
            // Health and readiness stay open.
            #expect(try await service.call(.get, "/readyz").status == .ok)
        }
    }

    /// Without a scrape token, `/metrics` stays open for the machine's gauges, but nothing in it
    /// moves when one person signs: polling it while a colleague signs must not tell who did.
    @Test func openMetricsDoNotMoveWhenSomeoneSigns() async throws {
        try await ServiceHarness.run { service in
            let slug = try await service.launchedCampaign()
            let employee = try await service.token("in-1", [.employee])
            let before = try await service.call(.get, "/metrics")
            #expect(before.status == .ok && before.text.contains("mobilise_db_pool_connections_open"))
            let signed = try await service.call(.put, "/v1/campaigns/\(slug)/signature", token: employee)
            #expect(signed.status == .created || signed.status == .ok, "\(signed.text)")
            let after = try await service.call(.get, "/metrics")
            for text in [before.text, after.text] {
                #expect(!text.contains("mobilise_signatures_recorded_total"))
                #expect(!text.contains("mobilise_http_requests_total"))
                #expect(!text.contains("mobilise_http_request_duration_seconds"))
                #expect(text.contains("MOBILISE_METRICS_TOKEN"))
            }
            // What is served is the machine's state, the same before and after the signature once idle.
            func counters(_ text: String) -> [Substring] {
                text.split(separator: "\n").filter { !$0.hasPrefix("#") && ($0.contains("_total") || $0.contains("_count")) }
            }
            #expect(counters(before.text) == counters(after.text), "\(after.text)")
        }
    }

    /// Streams woken by one change share one read: a read that started after the change serves every
    /// stream that saw it, and a later change starts a new read.
    @Test func liveStreamsShareTheirReadsAfterAChange() async throws {
        let reads = LiveReads()
        let key = LiveReads.Key(organisation: UUID(), campaign: UUID(), viewer: .leader)
        let bodies = Atomic<Int>(0)
        let release = AsyncStream<Void>.makeStream()
        let snapshot = LiveRoutes.Snapshot(campaignId: key.campaign, signatures: 12, eligible: 40, participation: 0.3, last7Days: 5, asOf: Date(), approximate: true)
        let body: @Sendable () async throws -> LiveRoutes.Snapshot = {
            bodies.wrappingAdd(1, ordering: .relaxed)
            for await _ in release.stream { break }
            return snapshot
        }
        let change = ContinuousClock.now
        let answers = try await withThrowingTaskGroup(of: LiveRoutes.Snapshot.self) { group in
            for _ in 0..<20 { group.addTask { try await reads.read(key, startedAfter: change, body) } }
            do {
                // Generous: the suites running alongside can keep this one off the cooperative pool for a while.
                try await waitUntil("the first read started", timeout: .seconds(120)) { bodies.load(ordering: .relaxed) == 1 }
            } catch {
                // The group waits for its readers before it throws, and they wait for the shared read:
                // end the read, or a failure here would hang the whole test run.
                release.continuation.finish()
                throw error
            }
            release.continuation.yield()
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(answers.count == 20 && answers.allSatisfy { $0 == snapshot })
        let started = await reads.started
        #expect(bodies.load(ordering: .relaxed) == 1 && started == 1)
        // A change after that read started needs a read of its own.
        release.continuation.yield()
        _ = try await reads.read(key, startedAfter: .now, body)
        #expect(bodies.load(ordering: .relaxed) == 2)
    }
}
