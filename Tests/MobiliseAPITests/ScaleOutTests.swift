import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
@testable import MobiliseAPI
import MobiliseDomain
import MobiliseSchema
import MobiliseStore
import MobiliseTesting
import Postgres
import PostgresMigrations
import Synchronization
import Testing

/// Issue 24: what was per process must be right across several instances of the service behind a
/// load balancer. Each instance here is a live HTTP server with its own store and connection pool
/// (as a separate process would have), all over one database.
@Suite struct ScaleOutTests {
    // MARK: - Rate limit

    /// Three limiters of a three-instance service, each called in turn (as a round-robin load
    /// balancer calls them): together they serve the configured limit, not three times it, and
    /// refill at the configured rate.
    @Test func instancesTogetherServeTheConfiguredLimit() {
        let limiters = (0..<3).map { _ in RateLimiter<String>(capacity: 6, per: .seconds(60), instances: 3) }
        let start = ContinuousClock.now
        var served = 0
        for request in 0..<30 where limiters[request % 3].take("in-1", now: start) == nil { served += 1 }
        #expect(served == 6, "a caller at one instance after another is served the limit in all")
        // A minute later the buckets are full again: six more, not eighteen.
        served = 0
        for request in 0..<30 where limiters[request % 3].take("in-1", now: start + .seconds(60)) == nil { served += 1 }
        #expect(served == 6)
        // One instance alone (the old behaviour, `instances: 1`) would have served all six on its own.
        let alone = RateLimiter<String>(capacity: 6, per: .seconds(60))
        #expect((0..<6).allSatisfy { _ in alone.take("in-1", now: start) == nil })
    }

    /// A share below one request is one: a limit of 2 across 3 instances still lets a caller in.
    @Test func aShareBelowOneRequestIsOne() {
        let limiter = RateLimiter<String>(capacity: 2, per: .seconds(60), instances: 3)
        let start = ContinuousClock.now
        #expect(limiter.take("in-1", now: start) == nil)
        #expect(limiter.take("in-1", now: start) != nil)
        // Refilled at the share's rate: 2/3 of a request a minute, one request after 90 s.
        #expect(limiter.take("in-1", now: start + .seconds(89)) != nil)
        #expect(limiter.take("in-1", now: start + .seconds(91)) == nil)
    }

    /// Over HTTP: an employee signing again and again through three instances, taken in turn, is
    /// answered 429 once the configured limit is used up, not after three times it.
    @Test func theSigningLimitHoldsAcrossThreeInstances() async throws {
        try await ServiceHarness.runInstances(3, ratePerMinute: 6) { instances in
            let slug = try await instances[0].launchedCampaign()
            let token = try await instances[0].token("in-1", [.employee])
            var served = 0
            var refused = 0
            for request in 0..<18 {
                let reply = try await instances[request % 3].call(.put, "/v1/campaigns/\(slug)/signature", token: token)
                if reply.status == .tooManyRequests {
                    refused += 1
                    #expect(reply.headers[.retryAfter] != nil)
                } else {
                    #expect(reply.status == .created || reply.status == .ok, "\(reply.text)")
                    served += 1
                }
            }
            // Six (each instance's share is two); one more per instance only if the test ran so long
            // that a share refilled (one every 30 s). Without the shares: all 18.
            #expect(served >= 6 && served <= 9, "served \(served) of 18")
            #expect(refused == 18 - served)
        }
    }

    // MARK: - Live streams

    /// A live stream on one instance hears of a signature taken by another (LISTEN/NOTIFY
    /// through PostgreSQL: the instances share nothing else).
    @Test func aLiveStreamOnOneInstanceSeesASignatureTakenOnAnother() async throws {
        try await ServiceHarness.runInstances(2) { instances in
            let slug = try await instances[0].launchedCampaign()
            // An HR admin's stream: exact and live (a leader's changes only at published instants, PRIVACY.md).
            let leader = try await instances[0].token("hr-1", [.hrAdmin])
            let port = try #require(instances[0].client.port)
            let curl = try CurlStream(url: "http://127.0.0.1:\(port)/v1/campaigns/\(slug)/live",
                                      headers: ["Accept: text/event-stream", "Authorization: Bearer \(leader)"])
            defer { curl.stop() }
            #expect(try await curl.wait(for: #""signatures":0"#), "\(curl.text)")
            for employee in ["in-1", "br-1"] {
                let signed = try await instances[1].call(.put, "/v1/campaigns/\(slug)/signature", token: try await instances[1].token(employee, [.employee]))
                #expect(signed.status == .created)
            }
            #expect(try await curl.wait(for: #""signatures":2"#), "\(curl.text)")
        }
    }

    // MARK: - Scheduled jobs

    /// Two instances whose timers fire at once: one claims the period's run and runs the job, the
    /// other skips it; the next period's run is claimed once again.
    @Test func aScheduledJobRunsOnceAcrossInstances() async throws {
        try await Self.withTwoInstances { store, other in
            let runs = Atomic<Int>(0)
            let jobs = [(store, "instance-a"), (other, "instance-b")].map { store, instance in
                ScheduledJobService(
                    name: "count-compaction", store: store, initialDelay: .zero, interval: .seconds(3600), instance: instance,
                    logger: Logger(label: "test-job")
                ) { runs.wrappingAdd(1, ordering: .relaxed) }
            }
            for round in 0..<3 {
                let ran = try await withThrowingTaskGroup(of: Bool.self) { group in
                    for job in jobs { group.addTask { try await job.runIfClaimed() } }
                    return try await group.reduce(into: [Bool]()) { $0.append($1) }
                }
                // The first time both fire, one runs the job; later in the same period, neither.
                #expect(ran.filter { $0 }.count == (round == 0 ? 1 : 0), "round \(round): \(ran)")
            }
            #expect(runs.load(ordering: .relaxed) == 1, "within one period the job ran once in all")

            // An hour later (the lease moved back, as the clock would have moved on): once again.
            try await store.pool.execute("UPDATE scheduled_runs SET claimed_at = claimed_at - interval '1 hour'")
            let ran = try await withThrowingTaskGroup(of: Bool.self) { group in
                for job in jobs { group.addTask { try await job.runIfClaimed() } }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(ran.filter { $0 }.count == 1)
            #expect(runs.load(ordering: .relaxed) == 2)
            let claimedBy = try await store.pool.query("SELECT claimed_by FROM scheduled_runs WHERE job = 'count-compaction'").scalar(String.self)
            #expect(claimedBy == "instance-a" || claimedBy == "instance-b")
        }
    }

    /// The count compaction itself, as the service schedules it: two instances try at once, the
    /// compaction runs on one of them.
    @Test func theCountCompactionServiceRunsOnOneOfTwoInstances() async throws {
        try await Self.withTwoInstances { store, other in
            let runs = Atomic<Int>(0)
            let services = [(store, "instance-a"), (other, "instance-b")].map { store, instance in
                ScheduledJobService(
                    name: "count-compaction", store: store, initialDelay: .zero, interval: .seconds(3600), instance: instance,
                    logger: Logger(label: "test-job")
                ) {
                    _ = try await store.compactDailyCounts()
                    runs.wrappingAdd(1, ordering: .relaxed)
                }
            }
            let ran = try await withThrowingTaskGroup(of: Bool.self) { group in
                for service in services { group.addTask { try await service.runIfClaimed() } }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(ran.count == 2 && ran.filter { $0 }.count == 1, "both tried, one ran: \(ran)")
            #expect(runs.load(ordering: .relaxed) == 1)
        }
    }
}

extension ScaleOutTests {
    /// Two stores (two instances' pools) over one fresh database.
    static func withTwoInstances(_ body: @Sendable (MobiliseStore, MobiliseStore) async throws -> Void) async throws {
        try await TestDatabase.withStore { store in
            let other = MobiliseStore(
                pool: PostgresPool(configuration: store.pool.configuration, logger: Logger(label: "test-other")), logger: Logger(label: "test-other"))
            do {
                try await body(store, other)
            } catch {
                await other.pool.close()
                throw error
            }
            await other.pool.close()
        }
    }
}

extension ServiceHarness {
    /// `count` instances of the service, each a live server with its own store (its own pool and
    /// listening connection) over one fresh database set up as ``run(ratePerMinute:jwksFile:issuer:audience:maxImportSize:importsPerHour:maxConcurrentImports:metricsToken:_:)``
    /// sets it up; every instance is told the number of instances (`MOBILISE_INSTANCES`).
    static func runInstances(
        _ count: Int, ratePerMinute: Int = 1000, _ body: @escaping @Sendable ([ServiceHarness]) async throws -> Void
    ) async throws {
        try await TestDatabase.withStore { store in
            let acme = try await store.createOrganisation(slug: "acme", name: "Acme", privacyK: 3)
            let globex = try await store.createOrganisation(slug: "globex", name: "Globex", privacyK: 3)
            _ = try await store.importEmployees(organisationID: acme.id, csv: Array(workforce.utf8), mode: .upsert, actor: Actor("setup"))
            var configuration = APIConfiguration(jwtSecret: secret, ratePerMinute: ratePerMinute)
            configuration.instances = count
            let stores = [store] + (1..<max(count, 1)).map { index in
                MobiliseStore(
                    pool: PostgresPool(configuration: store.pool.configuration, logger: Logger(label: "test-instance-\(index)")),
                    logger: Logger(label: "test-instance-\(index)"))
            }
            let issuer = try await TokenIssuer(secret: secret)
            let verifier = try await TokenVerifier(configuration: configuration)
            let migrator = try MobiliseSchema.migrator(logger: Logger(label: "test-service"))
            do {
                try await serve(stores[...], configuration: configuration, verifier: verifier, migrator: migrator, clients: []) { clients in
                    try await body(zip(stores, clients).map { store, client in
                        ServiceHarness(store: store, acme: acme, globex: globex, client: client, issuer: issuer)
                    })
                }
            } catch {
                for other in stores.dropFirst() { await other.pool.close() }
                throw error
            }
            for other in stores.dropFirst() { await other.pool.close() }
        }
    }

    /// Serves each store on a live server of its own, nested, and runs `body` with their clients.
    private static func serve(
        _ stores: ArraySlice<MobiliseStore>, configuration: APIConfiguration, verifier: TokenVerifier, migrator: Migrator,
        clients: [any TestClientProtocol], _ body: @escaping @Sendable ([any TestClientProtocol]) async throws -> Void
    ) async throws {
        guard let store = stores.first else { return try await body(clients) }
        let router = MobiliseService.router(store: store, configuration: configuration, verifier: verifier, migrator: migrator)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: Logger(label: "test-service"))
        let rest = stores.dropFirst()
        try await app.test(.live) { client in
            try await serve(rest, configuration: configuration, verifier: verifier, migrator: migrator, clients: clients + [client], body)
        }
    }
}
