import Foundation
import Logging
import MobiliseDomain
@testable import MobiliseStore
import MobiliseTesting
import Postgres
import Testing

/// An identity provider's writes of one employee are statements prepared once per connection that
/// keep one generic plan. Made while the tables look empty (a new cluster, an ANALYZE before a first
/// push), that plan must still read one employee by its key when the organisation has 100,000: never
/// by the organisation alone, which scans all its employees per request (BENCHMARKS.md section 7).
@Suite struct SCIMPlanTests {
    @Test func provisioningPlansMadeOnEmptyTablesReadOneEmployeeByItsKey() async throws {
        // One connection: the statements the store prepares are then those this test inspects.
        try await TestDatabase.withDatabase(maxConnections: 1) { pool in
            let store = MobiliseStore(pool: pool, logger: Logger(label: "test-store"))
            let fixture = try await Fixture.make(store)
            let organisation = fixture.organisation.id
            // Statistics that say the tables are empty, then creations (each with the one before as
            // its manager, named by id as Entra ID does), replacements and patches of each: the
            // prepared statements settle on their generic plans.
            try await pool.execute("ANALYZE employees, scim_users, audit_log, audit_counters")
            var people: [ProvisionedEmployee] = []
            for n in 0..<12 {
                var record = ProvisioningRecord(
                    row: WorkforceRow(line: 0, externalID: "p-\(n)", country: "FR"), identity: IdentityAttributes(clientID: "idp-\(n)"))
                record.row.managerExternalID = people.last?.employee.id.uuidString
                people.append(try await store.createProvisionedEmployee(organisationID: organisation, record, actor: Actor("scim:t")))
            }
            #expect(people.dropFirst().enumerated().allSatisfy { $0.element.managerID == people[$0.offset].employee.id })
            for person in people {
                for operation in ["replace", "update"] {
                    let written = try await store.updateProvisionedEmployee(
                        organisationID: organisation, id: person.employee.id, operation: operation, actor: Actor("scim:t")
                    ) { current in
                        var record = current.record
                        record.row.displayName = "\(operation)d \(current.employee.externalID)"
                        return record
                    }
                    #expect(written?.employee.displayName == "\(operation)d \(person.employee.externalID)")
                    #expect(written?.managerID == person.managerID)
                }
            }
            let plans = try await pool.withConnection { connection -> [(String, String)] in
                let prepared = try connection.query("""
                    SELECT name, cardinality(parameter_types) AS parameters, generic_plans, statement FROM pg_prepared_statements
                    WHERE statement LIKE '%scim_users%' ORDER BY name
                    """)
                return try prepared.rows.map { row in
                    let (name, parameters, generic) = try row.decode((String, Int, Int).self)
                    let statement = try row.decode(String.self, column: "statement")
                    guard generic > 0 else { throw PlanProblem(description: "never used its generic plan: \(statement)") }
                    // The cached generic plan, as it will run whatever the tables hold later.
                    let plan = try connection.transaction { connection in
                        try connection.execute("SET LOCAL plan_cache_mode = force_generic_plan")
                        let arguments = Array(repeating: "NULL", count: parameters).joined(separator: ", ")
                        return try connection.query(PostgresQuery(unsafeSQL: "EXPLAIN EXECUTE \(name)(\(arguments))"))
                            .column(String.self).joined(separator: "\n")
                    }
                    return (statement, plan)
                }
            }
            // The creation, the replacement's statement, and the read that locks the employee first.
            #expect(plans.count >= 3, "\(plans.map(\.0))")
            for (statement, plan) in plans {
                #expect(!plan.contains("Seq Scan on employees") && !plan.contains("Seq Scan on scim_users"), "\(plan)")
                // Each index scan of employees or scim_users matches more than the organisation: the
                // employee's id or HR id (a scan of the organisation alone reads all its employees).
                let lines = plan.split(separator: "\n")
                for index in lines.indices where lines[index].contains("Index") && lines[index].contains("Scan using")
                    && (lines[index].contains(" on employees ") || lines[index].contains(" on scim_users ")) {
                    let condition = lines[(index + 1)...].first { $0.contains("Index Cond:") } ?? ""
                    #expect(condition.contains(" AND "), "\(lines[index]) \(condition)\n\(plan)\n\(statement.prefix(300))")
                }
            }
        }
    }

    struct PlanProblem: Error, CustomStringConvertible { var description: String }
}
