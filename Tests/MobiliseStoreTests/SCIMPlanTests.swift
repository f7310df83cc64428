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
                    return (statement, try connection.genericPlan(ofPrepared: name, parameters: parameters))
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

    /// Entra ID and Okta look a user up (`filter=userName eq "…"`) before creating it: 100,000
    /// look-ups in a first push. Each must read one employee through the key's index, never all the
    /// organisation's employees (as `COALESCE(column = value, false)` did, which no index serves),
    /// even when its plan was made on empty tables' statistics.
    @Test func aLookUpByKeyReadsOneEmployeeThroughTheKeysIndexWhateverTheStatistics() async throws {
        try await TestDatabase.withDatabase(maxConnections: 1) { pool in
            let store = MobiliseStore(pool: pool, logger: Logger(label: "test-store"))
            let fixture = try await Fixture.make(store)
            let organisation = fixture.organisation.id
            try await pool.execute("ANALYZE employees, scim_users, audit_log, audit_counters")
            for n in 0..<12 {
                let record = ProvisioningRecord(
                    row: WorkforceRow(line: 0, externalID: "p-\(n)", country: "FR", active: n != 7),
                    identity: IdentityAttributes(clientID: "idp-\(n)"))
                _ = try await store.createProvisionedEmployee(organisationID: organisation, record, actor: Actor("scim:t"))
            }
            // The look-ups, each several times (so that PostgreSQL's plan cache would settle on its
            // generic plan whatever the settings), with the one employee each must find.
            let lookUps: [(name: String, index: String, filter: (Int) -> EmployeeFilter, expected: (Int) -> [String])] = [
                ("userName eq", "employees_organisation_id_external_id_key",
                 { .compare(.externalID, .equal, .text("p-\($0)")) }, { ["p-\($0)"] }),
                ("userName eq and active eq", "employees_organisation_id_external_id_key",
                 { .and(.compare(.externalID, .equal, .text("p-\($0)")), .compare(.active, .equal, .bool(true))) },
                 { $0 == 7 ? [] : ["p-\($0)"] }),
            ]
            for lookUp in lookUps {
                for n in 0..<12 {
                    let (total, found) = try await store.provisionedEmployees(
                        organisationID: organisation, filter: lookUp.filter(n), offset: 0, limit: 100)
                    #expect(found.map(\.employee.externalID) == lookUp.expected(n) && total == found.count, "\(lookUp.name) \(n)")
                }
            }
            let plans = try await pool.withConnection { connection -> [String] in
                let prepared = try connection.query("""
                    SELECT name, cardinality(parameter_types) AS parameters FROM pg_prepared_statements
                    WHERE statement LIKE '%count(*) AS total%' ORDER BY name
                    """)
                return try prepared.rows.map { row in
                    let (name, parameters) = try row.decode((String, Int).self)
                    // The cached generic plan, as it will run however many employees there are later.
                    return try connection.genericPlan(ofPrepared: name, parameters: parameters)
                }
            }
            // One prepared statement per kind of look-up.
            #expect(plans.count == lookUps.count, "\(plans)")
            for plan in plans {
                #expect(!plan.contains("Seq Scan on employees") && !plan.contains("Seq Scan on scim_users"), "\(plan)")
                // Every index scan of employees or scim_users matches more than the organisation.
                let lines = plan.split(separator: "\n")
                for index in lines.indices where lines[index].contains("Index") && lines[index].contains("Scan using")
                    && (lines[index].contains(" on employees ") || lines[index].contains(" on scim_users ")) {
                    let condition = lines[(index + 1)...].first { $0.contains("Index Cond:") } ?? ""
                    #expect(condition.contains(" AND "), "\(lines[index]) \(condition)\n\(plan)")
                }
            }
            // And each kind of look-up reads its key's index by the key (the count and the page).
            for lookUp in lookUps {
                let reads = plans.map { plan in
                    let lines = plan.split(separator: "\n")
                    return lines.indices.filter { index in
                        lines[index].contains("Scan using \(lookUp.index) on ")
                            && (lines[(index + 1)...].first { $0.contains("Index Cond:") } ?? "").contains(
                                lookUp.index == "employees_pkey" ? "(id = " : "(external_id = $")
                    }.count
                }
                #expect(reads.contains { $0 >= 2 }, "\(lookUp.name): \(lookUp.index) read by the key in no plan:\n\(plans.joined(separator: "\n\n"))")
            }

            // `externalId eq` is planned with its value at each request (not prepared): with 2,000
            // employees, analyzed as the service does during a push (scim_users still with the
            // statistics of an empty table), it reads scim_users_by_external_id by the key, then the
            // employee by primary key (the count and the page), and finds its one.
            try await pool.execute("""
                WITH hired AS (
                    INSERT INTO employees (organisation_id, external_id, country)
                    SELECT \(organisation), 'q-' || n, 'FR' FROM generate_series(1, 2000) AS n RETURNING organisation_id, id, external_id)
                INSERT INTO scim_users (organisation_id, employee_id, external_id) SELECT organisation_id, id, 'idp-' || external_id FROM hired
                """)
            try await pool.execute("ANALYZE employees")
            let byClientID = EmployeeFilter.compare(.clientID, .equal, .text("idp-q-1234"))
            let (total, found) = try await store.provisionedEmployees(organisationID: organisation, filter: byClientID, offset: 0, limit: 100)
            #expect(total == 1 && found.map(\.employee.externalID) == ["q-1234"])
            let statement = MobiliseStore.provisionedEmployeesQuery(organisationID: organisation, filter: byClientID, offset: 0, limit: 100)
            let plan = try await pool.query("EXPLAIN \(statement)").column(String.self).joined(separator: "\n")
            let lines = plan.split(separator: "\n")
            let keyReads = lines.indices.filter { index in
                lines[index].contains("Scan using scim_users_by_external_id on scim_users")
                    && (lines[(index + 1)...].first { $0.contains("Index Cond:") } ?? "").contains("(external_id = ")
            }
            let employeeReads = lines.indices.filter { index in
                lines[index].contains("Scan using employees_pkey on employees")
                    && (lines[(index + 1)...].first { $0.contains("Index Cond:") } ?? "").contains("(id = ")
            }
            #expect(keyReads.count == 2 && employeeReads.count == 2, "\(plan)")
            #expect(!plan.contains("Seq Scan on employees") && !plan.contains("Seq Scan on scim_users"), "\(plan)")
        }
    }

    struct PlanProblem: Error, CustomStringConvertible { var description: String }
}
