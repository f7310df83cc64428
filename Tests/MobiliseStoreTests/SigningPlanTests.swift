import Foundation
import MobiliseDomain
@testable import MobiliseStore
import MobiliseTesting
import Postgres
import Synchronization
import Testing

/// The signing path's statements are prepared once per connection and keep one generic plan. Made
/// while the tables are empty or tiny (a campaign's launch), that plan must still be the right one
/// when the tables are large: index scans only, never a hash over a sequential scan of `signatures`,
/// and each look-up on every column of its unique index.
@Suite struct SigningPlanTests {
    /// `signatures` analysed empty, as a careful operator leaves a database before a launch, then 160
    /// rows when the connection first prepares the batch (a launch's first seconds: the primary key
    /// (organisation_id, id) is one page and the unique index three, and a generic plan made then
    /// looked "the signature as it was" up by the organisation alone in the primary key), then more
    /// than 512 kB of rows. The batch is planned anew at each batch while the table is small
    /// (``MobiliseStore/batchPlans``), and the generic plan it keeps afterwards looks up by key.
    @Test func theBatchKeepsAGenericPlanOnlyOnceSignaturesIsLargeAndItLooksUpByKey() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store)
            let organisation = fixture.organisation.id
            let people = try await fixture.hire(36, in: "FR")
            let campaign = try await fixture.campaign()
            // Expectations are checked here, not on the connection's thread (where no test is current).
            let campaigns = CampaignCache()
            let (small, size, large, plan) = try await store.pool.withConnection { connection -> ([Int], Int, Int, String) in
                try connection.execute("ANALYZE signatures")
                try Self.addSignatures(connection, organisation, campaign, prefix: "early", count: 160)
                try Self.signAlone(connection, fixture, campaign, people[0..<12], campaigns)
                let whenTiny = try Self.preparedBatch(connection).genericPlans
                try Self.signAlone(connection, fixture, campaign, people[12..<24], campaigns)
                let stillSmall = try Self.preparedBatch(connection).genericPlans
                try Self.addSignatures(connection, organisation, campaign, prefix: "later", count: 5_000)
                let size = try connection.query("SELECT pg_relation_size('signatures')").scalar(Int.self) ?? 0
                try Self.signAlone(connection, fixture, campaign, people[24..<36], campaigns)
                let (name, parameters, genericPlans) = try Self.preparedBatch(connection)
                // The cached generic plan, as it will run whatever the tables hold later.
                return ([whenTiny, stillSmall], size, genericPlans, try connection.genericPlan(ofPrepared: name, parameters: parameters))
            }
            #expect(small == [0, 0], "a generic plan was made while signatures was small")
            // Once the size check has chosen the generic plan, later batches no longer make it.
            let pastCustomPlans = campaigns.signaturesPastCustomPlans.load(ordering: .relaxed)
            #expect(pastCustomPlans)
            #expect(size >= 524_288, "signatures grew to \(size) bytes only")
            #expect(large > 0, "the batch statement never used its generic plan")
            #expect(!plan.contains("Seq Scan on signatures"), "\(plan)")
            #expect(!plan.contains("Hash Join") && !plan.contains("Merge Join"), "\(plan)")
            // The employee and "the signature as it was" are found by every column of their unique
            // index, not by the organisation alone (which scans all its rows, per request, as they grow).
            let lines = plan.split(separator: "\n")
            let lookups = lines.indices.filter {
                lines[$0].contains("Scan using") && (lines[$0].contains(" on signatures ") || lines[$0].contains(" on employees "))
            }
            #expect(!lookups.isEmpty, "\(plan)")
            for index in lookups {
                let condition = lines[(index + 1)...].first { $0.contains("Index Cond:") } ?? ""
                let keys = lines[index].contains("on employees") ? ["external_id"] : ["campaign_id", "employee_id"]
                #expect(keys.allSatisfy(condition.contains), "\(plan)")
            }
        }
    }

    /// Signs each of `people` in a batch of one on `connection`.
    private static func signAlone(_ connection: PostgresConnection, _ fixture: Fixture, _ campaign: Campaign,
                                  _ people: ArraySlice<String>, _ campaigns: CampaignCache) throws {
        for person in people {
            let request = SigningRequest(organisationID: fixture.organisation.id, campaign: campaign.slug, employee: person,
                                         channel: .web, eventID: nil, at: nil, hideDrafts: false)
            let outcomes = try SignatureBatch(requests: [request], campaigns: campaigns).run(connection)
            guard case .signed(let result) = outcomes.first, result.created else {
                throw SigningFailed(description: "\(person) was not signed: \(outcomes)")
            }
        }
    }

    /// `count` more employees, each with a signature of `campaign`, written with SQL.
    private static func addSignatures(_ connection: PostgresConnection, _ organisation: UUID, _ campaign: Campaign,
                                      prefix: String, count: Int) throws {
        try connection.execute("""
            INSERT INTO employees (organisation_id, external_id, country)
            SELECT \(organisation), \(prefix) || '-' || n, 'FR' FROM generate_series(1, \(count)) AS n
            """)
        try connection.execute("""
            INSERT INTO signatures (organisation_id, campaign_id, employee_id, country, channel, signed_at)
            SELECT organisation_id, \(campaign.id), id, country, 'web', now() FROM employees
            WHERE organisation_id = \(organisation) AND external_id LIKE \(prefix + "-%")
            """)
    }

    /// The batch statement prepared on `connection`: its name, its number of parameters, and how many
    /// times it ran its generic plan.
    private static func preparedBatch(_ connection: PostgresConnection) throws -> (name: String, parameters: Int, genericPlans: Int) {
        let prepared = try connection.query("""
            SELECT name, cardinality(parameter_types) AS parameters, generic_plans FROM pg_prepared_statements
            WHERE statement LIKE '%INSERT INTO signatures%'
            """)
        guard prepared.count == 1 else { throw SigningFailed(description: "\(prepared.count) batch statements prepared") }
        return try prepared[0].decode((String, Int, Int).self)
    }

    struct SigningFailed: Error, CustomStringConvertible { var description: String }
}
