import Foundation
import MobiliseDomain
@testable import MobiliseStore
import MobiliseTesting
import Postgres
import Testing

/// The signing path's statements are prepared once per connection and keep one generic plan. Made
/// while the tables are empty (a campaign's launch), that plan must still be the right one when the
/// tables are large: index scans only, never a hash over a sequential scan of `signatures`.
@Suite struct SigningPlanTests {
    @Test func theBatchPlanMadeOnEmptyTablesUsesIndexesOnly() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store)
            let people = try await fixture.hire(12, in: "FR")
            let campaign = try await fixture.campaign()
            try await store.pool.withConnection { connection in
                // Twelve batches of one on the same connection, on empty signature tables: the
                // prepared batch statement settles on its generic plan.
                let campaigns = CampaignCache()
                for person in people {
                    let request = SigningRequest(organisationID: fixture.organisation.id, campaign: campaign.slug, employee: person,
                                                 channel: .web, eventID: nil, at: nil, hideDrafts: false)
                    let outcomes = try SignatureBatch(requests: [request], campaigns: campaigns).run(connection)
                    guard case .signed(let result) = outcomes.first, result.created else {
                        Issue.record("\(person) was not signed: \(outcomes)")
                        return
                    }
                }
                let prepared = try connection.query("""
                    SELECT name, cardinality(parameter_types) AS parameters, generic_plans FROM pg_prepared_statements
                    WHERE statement LIKE '%INSERT INTO signatures%'
                    """)
                try #require(prepared.count == 1)
                let (name, parameters, genericPlans) = try prepared[0].decode((String, Int, Int).self)
                #expect(genericPlans > 0, "the batch statement never used its generic plan")
                // The cached generic plan, as it will run whatever the tables hold later.
                let plan = try connection.transaction { connection in
                    try connection.execute("SET LOCAL plan_cache_mode = force_generic_plan")
                    let arguments = Array(repeating: "NULL", count: parameters).joined(separator: ", ")
                    return try connection.query(PostgresQuery(unsafeSQL: "EXPLAIN EXECUTE \(name)(\(arguments))"))
                        .column(String.self).joined(separator: "\n")
                }
                #expect(!plan.contains("Seq Scan on signatures"), "\(plan)")
                #expect(!plan.contains("Hash Join") && !plan.contains("Merge Join"), "\(plan)")
            }
        }
    }
}
