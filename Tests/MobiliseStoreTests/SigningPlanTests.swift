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
            // Expectations are checked here, not on the connection's thread (where no test is current).
            let (genericPlans, plan) = try await store.pool.withConnection { connection -> (Int, String) in
                // Statistics that say `signatures` is empty, as a careful operator leaves a database
                // before a launch; then twelve batches of one on the same connection: the prepared
                // batch statement settles on its generic plan.
                try connection.execute("ANALYZE signatures")
                let campaigns = CampaignCache()
                for person in people {
                    let request = SigningRequest(organisationID: fixture.organisation.id, campaign: campaign.slug, employee: person,
                                                 channel: .web, eventID: nil, at: nil, hideDrafts: false)
                    let outcomes = try SignatureBatch(requests: [request], campaigns: campaigns).run(connection)
                    guard case .signed(let result) = outcomes.first, result.created else {
                        throw SigningFailed(description: "\(person) was not signed: \(outcomes)")
                    }
                }
                let prepared = try connection.query("""
                    SELECT name, cardinality(parameter_types) AS parameters, generic_plans FROM pg_prepared_statements
                    WHERE statement LIKE '%INSERT INTO signatures%'
                    """)
                guard prepared.count == 1 else { throw SigningFailed(description: "\(prepared.count) batch statements prepared") }
                let (name, parameters, genericPlans) = try prepared[0].decode((String, Int, Int).self)
                // The cached generic plan, as it will run whatever the tables hold later.
                return (genericPlans, try connection.genericPlan(ofPrepared: name, parameters: parameters))
            }
            #expect(genericPlans > 0, "the batch statement never used its generic plan")
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

    struct SigningFailed: Error, CustomStringConvertible { var description: String }
}
