import Foundation
import Logging
import MobiliseDomain
@testable import MobiliseStore
import MobiliseTesting
import Postgres
import Synchronization
import Testing

/// Group commit: concurrent signings are written together, each answered after its batch commits.
///
/// The tests hold the campaign's row with `FOR UPDATE` in a transaction of their own: the writers'
/// batches then wait on it (they lock the campaign `FOR SHARE`), so everything submitted meanwhile
/// is queued, deterministically, and written when the row is let go.
@Suite struct GroupCommitTests {
    /// Holds `SELECT … FOR UPDATE` on a campaign row until told to commit (optionally closing the campaign first).
    final class CampaignRowLock: Sendable {
        enum Release: Int { case hold, commit, closeAndCommit }
        /// Shared with the transaction's body: how to end it, and whether the row is locked yet.
        private final class Signals: Sendable {
            let release = Atomic<Int>(Release.hold.rawValue)
            let locked = Atomic<Bool>(false)
        }
        private let signals = Signals()
        private let task: Task<Void, any Error>

        init(pool: PostgresPool, campaign: UUID) async throws {
            let signals = signals
            task = Task {
                try await pool.withTransaction { connection in
                    try connection.execute("SELECT 1 FROM campaigns WHERE id = \(campaign) FOR UPDATE")
                    signals.locked.store(true, ordering: .sequentiallyConsistent)
                    // On the connection's own thread: waiting here blocks no Swift task.
                    while signals.release.load(ordering: .sequentiallyConsistent) == Release.hold.rawValue { usleep(1000) }
                    if signals.release.load(ordering: .sequentiallyConsistent) == Release.closeAndCommit.rawValue {
                        try connection.execute("UPDATE campaigns SET status = 'closed' WHERE id = \(campaign)")
                    }
                }
            }
            try await waitUntil { signals.locked.load(ordering: .sequentiallyConsistent) }
        }

        func release(_ how: Release) async throws {
            signals.release.store(how.rawValue, ordering: .sequentiallyConsistent)
            try await task.value
        }
    }

    /// Waits until `submitted` signings were received and every batch being written waits on the
    /// row lock (the rest are queued), then lets the lock go; lets it go on failure too, so that a
    /// failing test does not leave the writers blocked.
    func releaseWhenQueued(_ store: MobiliseStore, submitted: Int, lock: CampaignRowLock, _ how: CampaignRowLock.Release = .commit) async throws {
        do {
            try await waitUntil {
                let statistics = store.groupCommitStatistics
                guard statistics.submitted >= submitted, statistics.writing > 0 else { return false }
                let blocked = try await store.pool.query("""
                    SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'
                    """).scalar(Int.self) ?? 0
                return blocked == statistics.writing
            }
        } catch {
            try await lock.release(.commit)
            throw error
        }
        try await lock.release(how)
    }

    @Test func concurrentSignersAreWrittenInAFewBatchesWithExactCounts() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store)
            let org = fixture.organisation.id
            let people = try await fixture.hire(200, in: "IN") + fixture.hire(100, in: "BR")
            let campaign = try await fixture.campaign()
            let before = store.groupCommitStatistics
            let lock = try await CampaignRowLock(pool: store.pool, campaign: campaign.id)
            // Each employee signs twice at once: exactly one of the two creates the signature.
            let signing = Task {
                try await withThrowingTaskGroup(of: (String, Bool).self) { group in
                    for person in people + people {
                        group.addTask { (person, try await fixture.sign(person, campaign).created) }
                    }
                    var created: [String: Int] = [:]
                    for try await (person, wasCreated) in group where wasCreated { created[person, default: 0] += 1 }
                    return created
                }
            }
            try await releaseWhenQueued(store, submitted: before.submitted + 600, lock: lock)
            let created = try await signing.value

            #expect(created.count == 300 && created.values.allSatisfy { $0 == 1 })
            let batches = store.groupCommitStatistics.batches - before.batches
            // Two batches waited on the lock; the 600 - 2 or more queued meanwhile take 25 more at most (24 each).
            #expect(batches <= 27, "600 signings took \(batches) batches")
            #expect(try await store.pool.query("SELECT count(*) FROM signatures WHERE withdrawn_at IS NULL").scalar(Int.self) == 300)
            #expect(try await store.pool.query("SELECT count(*) FROM signature_events").scalar(Int.self) == 300)
            let ranking = try await store.ranking(organisationID: org, campaign: campaign.slug, metric: .signatures, viewer: .hrAdmin)
            #expect(ranking.ranking.rows.map { "\($0.key):\($0.signatures)" } == ["IN:200", "BR:100"])
            #expect(try await store.verifyCounts(organisationID: org, campaign: campaign.slug).isEmpty)
            // Totals are added once per campaign and batch (one row, every country in it: sql/0035), not once per signature.
            let totalsRows = try await store.pool.query("SELECT count(*) FROM signature_total_counts").scalar(Int.self) ?? 0
            #expect(totalsRows >= 1 && totalsRows <= batches)
            let countries = try await store.pool.query("SELECT cardinality(array_remove(counts, NULL)) FROM signature_total_counts").column(Int.self)
            #expect(countries.allSatisfy { $0 <= 2 }, "each row holds IN and BR at most: \(countries)")
        }
    }

    @Test func aRowTheDatabaseRefusesFailsOnlyItsOwnRequest() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store)
            let people = try await fixture.hire(50, in: "FR")
            let campaign = try await fixture.campaign()
            // A rule the batch cannot know in advance, for one employee only.
            try await store.pool.execute("""
                CREATE FUNCTION refuse_fr_7() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF NEW.employee_id = (SELECT id FROM employees WHERE external_id = 'fr-7') THEN
                        RAISE EXCEPTION 'refused for the test' USING ERRCODE = 'check_violation';
                    END IF;
                    RETURN NEW;
                END $$
                """)
            try await store.pool.execute("""
                CREATE TRIGGER refuse_fr_7 BEFORE INSERT ON signatures FOR EACH ROW EXECUTE FUNCTION refuse_fr_7()
                """)
            let before = store.groupCommitStatistics
            let lock = try await CampaignRowLock(pool: store.pool, campaign: campaign.id)
            let signing = Task {
                try await withThrowingTaskGroup(of: (String, Result<SigningResult, any Error>).self) { group in
                    for person in people {
                        group.addTask { (person, await outcome { try await fixture.sign(person, campaign) }) }
                    }
                    return try await group.reduce(into: [String: Result<SigningResult, any Error>]()) { $0[$1.0] = $1.1 }
                }
            }
            try await releaseWhenQueued(store, submitted: before.submitted + 50, lock: lock)
            let results = try await signing.value

            for person in people where person != "fr-7" {
                #expect((try? results[person]?.get().created) == true, "\(person) should have signed")
            }
            guard case .failure(let error as PostgresError)? = results["fr-7"] else {
                Issue.record("fr-7 should have failed with the trigger's error, got \(String(describing: results["fr-7"]))")
                return
            }
            #expect(error.code == .checkViolation)
            #expect(try await store.pool.query("SELECT count(*) FROM signatures").scalar(Int.self) == 49)
            #expect(try await store.verifyCounts(organisationID: fixture.organisation.id, campaign: campaign.slug).isEmpty)
        }
    }

    @Test func aCampaignClosedWhileSigningsWaitTakesNoneOfThem() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store)
            let people = try await fixture.hire(40, in: "US")
            let campaign = try await fixture.campaign()
            // Cached as active by a first signature.
            #expect(try await fixture.sign(people[0], campaign).created)
            let before = store.groupCommitStatistics
            let lock = try await CampaignRowLock(pool: store.pool, campaign: campaign.id)
            let signing = Task {
                try await withThrowingTaskGroup(of: Result<SigningResult, any Error>.self) { group in
                    for person in people.dropFirst() {
                        group.addTask { await outcome { try await fixture.sign(person, campaign) } }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
            }
            try await releaseWhenQueued(store, submitted: before.submitted + 39, lock: lock, .closeAndCommit)
            let results = try await signing.value

            #expect(results.count == 39)
            for result in results {
                guard case .failure(let error as MobiliseError) = result else {
                    Issue.record("a signing after the close was not refused: \(result)")
                    continue
                }
                #expect(error.code == .campaignNotActive)
            }
            #expect(try await store.pool.query("SELECT count(*) FROM signatures").scalar(Int.self) == 1)
            #expect(try await store.verifyCounts(organisationID: fixture.organisation.id, campaign: campaign.slug).isEmpty)
        }
    }

    @Test func refusalsInABatchKeepTheirCodesAndTheRestSign() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store)
            let women = try await fixture.hire(3, in: "IN", prefix: "w", gender: .female)
            let men = try await fixture.hire(3, in: "IN", prefix: "m")
            let leavers = try await fixture.hire(2, in: "IN", prefix: "gone", active: false)
            let campaign = try await fixture.campaign(audience: Audience(genders: [.male]))
            let before = store.groupCommitStatistics
            let lock = try await CampaignRowLock(pool: store.pool, campaign: campaign.id)
            let everyone = women + men + leavers + ["nobody"]
            let signing = Task {
                try await withThrowingTaskGroup(of: (String, Result<SigningResult, any Error>).self) { group in
                    for person in everyone {
                        group.addTask { (person, await outcome { try await fixture.sign(person, campaign) }) }
                    }
                    return try await group.reduce(into: [String: Result<SigningResult, any Error>]()) { $0[$1.0] = $1.1 }
                }
            }
            try await releaseWhenQueued(store, submitted: before.submitted + everyone.count, lock: lock)
            let results = try await signing.value

            func code(_ person: String) -> String? {
                guard case .failure(let error as MobiliseError)? = results[person] else { return nil }
                return error.code.rawValue
            }
            for person in men { #expect((try? results[person]?.get().created) == true) }
            for person in women { #expect(code(person) == "not_in_audience") }
            for person in leavers { #expect(code(person) == "employee_inactive") }
            #expect(code("nobody") == "employee_not_found")
            #expect(try await store.pool.query("SELECT count(*) FROM signatures").scalar(Int.self) == 3)
        }
    }

    /// A campaign whose end passed while it stayed active: signing at the database's now is refused
    /// as ended, whatever the audience and whether one signed already, as signing alone does.
    @Test func aCampaignPastItsEndIsRefusedAsEndedBeforeTheAudience() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store)
            _ = try await fixture.hire(2, in: "IN", prefix: "man")
            _ = try await fixture.hire(1, in: "IN", prefix: "woman", gender: .female)
            let campaign = try await fixture.campaign(audience: Audience(genders: [.male]))
            // Signed while open (which also caches the campaign as active).
            #expect(try await fixture.sign("man-0", campaign).created)
            try await store.pool.execute("UPDATE campaigns SET ends_at = now() - interval '1 minute' WHERE id = \(campaign.id)")
            for person in ["man-0", "man-1", "woman-0"] {
                let result = await outcome { try await fixture.sign(person, campaign) }
                guard case .failure(let error as MobiliseError) = result else {
                    Issue.record("\(person): \(result)")
                    continue
                }
                #expect(error.code == .campaignEnded, "\(person)")
            }
            #expect(try await store.pool.query("SELECT count(*) FROM signatures").scalar(Int.self) == 1)
        }
    }

    /// A long queue is written as several batches of at most 24 (the default), one after the other,
    /// so that its first callers are answered while the rest are written, instead of one batch that
    /// holds every caller until it commits (BENCHMARKS.md section 6, tenth pass).
    @Test func aLongQueueIsWrittenInBatchesOfAtMost24() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store)
            let people = try await fixture.hire(120, in: "FR")
            let campaign = try await fixture.campaign()
            let before = store.groupCommitStatistics
            let lock = try await CampaignRowLock(pool: store.pool, campaign: campaign.id)
            let signing = Task {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for person in people { group.addTask { _ = try await fixture.sign(person, campaign) } }
                    try await group.waitForAll()
                }
            }
            try await releaseWhenQueued(store, submitted: before.submitted + people.count, lock: lock)
            try await signing.value
            // Each batch commits as one transaction: its rows share their xmin.
            let sizes = try await store.pool.query("SELECT count(*) FROM signatures GROUP BY xmin::text").column(Int.self)
            #expect(sizes.reduce(0, +) == people.count)
            #expect(sizes.allSatisfy { $0 <= 24 }, "batch sizes \(sizes.sorted())")
            #expect(sizes.count >= 5, "120 signings in \(sizes.count) batches")
        }
    }

    /// Unless set, a batch holds at most 24 signatures on PostgreSQL and 256 on a Citus coordinator,
    /// where each batch has a large fixed cost (deploy/citus/README.md).
    @Test func theBatchLimitIs24OnPostgreSQLAnd256OnCitusUnlessSet() {
        #expect(GroupCommit().batchLimit(onCitus: false) == 24)
        #expect(GroupCommit().batchLimit(onCitus: true) == 256)
        #expect(GroupCommit(maxBatch: 100).batchLimit(onCitus: false) == 100)
        #expect(GroupCommit(maxBatch: 100).batchLimit(onCitus: true) == 100)
        #expect(GroupCommit(maxBatch: 0).batchLimit(onCitus: false) == 1)
    }

    /// A writer keeps its connection while batches keep coming, but not against another caller of
    /// the pool: with a pool of one connection, a query asked for in the middle of a burst is served
    /// after the batch being written, not after the whole burst.
    ///
    /// The burst is 2,000 signings queued at once behind one writer. On a busy machine the last of
    /// them wait longer than the default 10 s, and the queue rightly fails those (as
    /// `DatabaseFaultTests.waitingForAConnectionIsBounded` checks): this test is about the order, so
    /// its pool lets them wait.
    @Test func aBurstOfSigningDoesNotStarveTheRestOfASmallPool() async throws {
        try await TestDatabase.withDatabase(maxConnections: 1, acquireTimeout: .seconds(600)) { pool in
            let store = MobiliseStore(pool: pool, groupCommit: GroupCommit(maxBatch: 10), logger: Logger(label: "test-store"))
            let fixture = try await Fixture.make(store)
            let people = try await fixture.hire(2_000, in: "FR")
            let campaign = try await fixture.campaign()
            let signing = Task {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for person in people { group.addTask { _ = try await fixture.sign(person, campaign) } }
                    try await group.waitForAll()
                }
            }
            try await waitUntil("the burst is queued behind a writer") {
                let statistics = store.groupCommitStatistics
                return statistics.writing > 0 && statistics.queued >= 500
            }
            #expect(try await pool.query("SELECT 1").scalar(Int.self) == 1)
            let queuedWhenServed = store.groupCommitStatistics.queued
            try await signing.value
            #expect(queuedWhenServed > 0, "the query waited for the whole burst")
            #expect(try await pool.query("SELECT count(*) FROM signatures").scalar(Int.self) == people.count)
        }
    }

    /// Several rules broken at once: a batch answers what signing alone answers, in the rules' order
    /// (unknown or inactive employee, then the campaign's dates, then the audience, then the event).
    @Test func aBatchAppliesTheRulesInTheSameOrderAsSigningAlone() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store)
            let org = fixture.organisation.id
            _ = try await fixture.hire(1, in: "IN", prefix: "in-unit", orgUnit: "Energy/Buildings")
            _ = try await fixture.hire(1, in: "IN", prefix: "unit", orgUnit: "Energy")
            _ = try await fixture.hire(1, in: "IN", prefix: "lookalike", orgUnit: "EnergyX")
            _ = try await fixture.hire(1, in: "IN", prefix: "woman", orgUnit: "Energy", gender: .female)
            _ = try await fixture.hire(1, in: "IN", prefix: "gone-woman", orgUnit: "Energy", gender: .female, active: false)
            _ = try await fixture.hire(4, in: "IN", prefix: "man", orgUnit: "Energy")
            let campaign = try await fixture.campaign(audience: Audience(genders: [.male], orgUnits: ["Energy"]))
            let early = campaign.startsAt.addingTimeInterval(-86_400)
            struct Signing: Sendable {
                var name: String
                var employee: String
                var channel: SignatureChannel = .web
                var at: Date?
            }
            let signings = [
                Signing(name: "in a sub-unit", employee: "in-unit-0"),
                Signing(name: "in the unit", employee: "unit-0"),
                Signing(name: "in a unit that only starts alike", employee: "lookalike-0"),
                Signing(name: "inactive and outside the audience", employee: "gone-woman-0"),
                Signing(name: "outside the audience, event without its id", employee: "woman-0", channel: .event),
                Signing(name: "event without its id", employee: "man-0", channel: .event),
                Signing(name: "before the start, outside the audience", employee: "woman-0", at: early),
                Signing(name: "unknown, before the start", employee: "nobody", at: early),
                Signing(name: "twice, the first refused", employee: "man-1", channel: .event),
                Signing(name: "twice, the second fine", employee: "man-1"),
                Signing(name: "twice fine, first", employee: "man-2"),
                Signing(name: "twice fine, second", employee: "man-2"),
            ]
            let before = store.groupCommitStatistics
            let lock = try await CampaignRowLock(pool: store.pool, campaign: campaign.id)
            let signing = Task {
                try await withThrowingTaskGroup(of: (String, Result<SigningResult, any Error>).self) { group in
                    for signing in signings {
                        group.addTask {
                            (signing.name, await outcome {
                                try await store.sign(organisationID: org, campaign: campaign.slug, employee: signing.employee,
                                                     channel: signing.channel, at: signing.at)
                            })
                        }
                    }
                    return try await group.reduce(into: [String: Result<SigningResult, any Error>]()) { $0[$1.0] = $1.1 }
                }
            }
            try await releaseWhenQueued(store, submitted: before.submitted + signings.count, lock: lock)
            let results = try await signing.value
            #expect(store.groupCommitStatistics.batches - before.batches <= 2, "the signings were not written together")

            func answer(_ name: String) -> String {
                switch results[name] {
                case .success(let result)?: result.created ? "created" : "existing"
                case .failure(let error as MobiliseError)?: error.code.rawValue
                case let other: "\(String(describing: other))"
                }
            }
            #expect(answer("in a sub-unit") == "created")
            #expect(answer("in the unit") == "created")
            #expect(answer("in a unit that only starts alike") == "not_in_audience")
            #expect(answer("inactive and outside the audience") == "employee_inactive")
            #expect(answer("outside the audience, event without its id") == "not_in_audience")
            #expect(answer("event without its id") == "event_required")
            #expect(answer("before the start, outside the audience") == "campaign_not_started")
            #expect(answer("unknown, before the start") == "employee_not_found")
            #expect(answer("twice, the first refused") == "event_required")
            #expect(answer("twice, the second fine") == "created")
            #expect(Set([answer("twice fine, first"), answer("twice fine, second")]) == ["created", "existing"])
            let twice = try [results["twice fine, first"]?.get().signature.id, results["twice fine, second"]?.get().signature.id]
            #expect(twice[0] != nil && twice[0] == twice[1])
            #expect(try await store.pool.query("SELECT count(*) FROM signatures").scalar(Int.self) == 4)
            #expect(try await store.verifyCounts(organisationID: org, campaign: campaign.slug).isEmpty)

            // Each refused signing, through the path that signs one request in a transaction of its
            // own (what a batch falls back to), gets the same answer.
            for signing in signings where !["created", "existing"].contains(answer(signing.name)) {
                let request = SigningRequest(organisationID: org, campaign: campaign.slug, employee: signing.employee,
                                             channel: signing.channel, eventID: nil, at: signing.at, hideDrafts: false)
                let alone = await outcome {
                    try await store.pool.withTransaction { connection in try MobiliseStore.sign(connection, request) }
                }
                guard case .failure(let error as MobiliseError) = alone else {
                    Issue.record("\(signing.name): alone it gave \(alone)")
                    continue
                }
                #expect(error.code.rawValue == answer(signing.name), "\(signing.name)")
            }
        }
    }
}

/// The result of `body`, error included.
extension GroupCommitTests {
    /// A batch of two organisations' signings is written as one transaction per organisation (each
    /// statement then filters every table by one organisation: on Citus, it goes to one worker), and
    /// each request is answered in its place.
    @Test func aBatchMixingOrganisationsIsWrittenOnceForEachAndAnsweredInOrder() async throws {
        try await TestDatabase.withStore { store in
            let first = try await Fixture.make(store)
            let second = try await Fixture.make(store, slug: "globex")
            let french = try await first.hire(2, in: "FR")
            let germans = try await second.hire(2, in: "DE")
            let campaigns = (first: try await first.campaign(), second: try await second.campaign())
            func request(_ fixture: Fixture, _ campaign: Campaign, _ employee: String) -> SigningRequest {
                SigningRequest(organisationID: fixture.organisation.id, campaign: campaign.slug, employee: employee, channel: .web,
                               eventID: nil, at: nil, hideDrafts: false)
            }
            let requests = [
                request(first, campaigns.first, french[0]), request(second, campaigns.second, germans[0]),
                request(first, campaigns.first, french[1]), request(second, campaigns.second, "nobody"),
                request(second, campaigns.second, germans[1]),
            ]
            let results = try await store.pool.withConnection {
                MobiliseStore.signBatch(requests, connection: $0, campaigns: CampaignCache())
            }

            #expect(results.count == 5)
            let expected: [(UUID, String)?] = [(campaigns.first.id, "FR"), (campaigns.second.id, "DE"), (campaigns.first.id, "FR"), nil,
                                               (campaigns.second.id, "DE")]
            for (result, expected) in zip(results, expected) {
                if let (campaign, country) = expected {
                    let signed = try? result.get()
                    #expect(signed?.created == true && signed?.signature.campaignID == campaign && signed?.signature.country == country)
                } else if case .failure(let error as MobiliseError) = result {
                    #expect(error.code.rawValue == "employee_not_found")
                } else {
                    Issue.record("signing an unknown employee did not fail: \(result)")
                }
            }
            // One transaction per organisation: each organisation's rows share one transaction id, different from the other's.
            let transactions = try await store.pool.query("""
                SELECT organisation_id, count(DISTINCT xmin::text) FROM signatures GROUP BY 1 ORDER BY 1
                """).rows.map { try $0.decode((UUID, Int).self) }
            #expect(transactions.count == 2 && transactions.allSatisfy { $0.1 == 1 })
            #expect(try await store.pool.query("SELECT count(DISTINCT xmin::text) FROM signatures").scalar(Int.self) == 2)
            #expect(try await store.verifyCounts(organisationID: first.organisation.id, campaign: campaigns.first.slug).isEmpty)
            #expect(try await store.verifyCounts(organisationID: second.organisation.id, campaign: campaigns.second.slug).isEmpty)
        }
    }
}

func outcome<T>(_ body: () async throws -> T) async -> Result<T, any Error> {
    do { return .success(try await body()) } catch { return .failure(error) }
}
