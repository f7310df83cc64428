import Foundation
import MobiliseDomain
import MobiliseStore
import MobiliseTesting
import Testing

/// Provisioning (SCIM) writes beside the file import: the same employees, one lock.
@Suite struct ProvisioningTests {
    static func record(_ externalID: String, country: String = "FR") -> ProvisioningRecord {
        ProvisioningRecord(row: WorkforceRow(line: 0, externalID: externalID, country: country), identity: IdentityAttributes(clientID: "idp-\(externalID)"))
    }

    @Test func creationsDuringAnImportWaitForItAndThenMeetItsEmployees() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store)
            let organisation = fixture.organisation.id
            let file = "external_id,country\n" + (0..<20_000).map { "e-\($0),IN\n" }.joined()
            async let imported = store.importEmployees(organisationID: organisation, csv: Array(file.utf8), mode: .upsert, actor: fixture.admin)
            // Once the import's transaction is under way (its staging table is being filled or merged)…
            try await waitUntil("the import's transaction runs", interval: .milliseconds(2)) {
                try await store.pool.query("""
                    SELECT count(*) FROM pg_stat_activity
                    WHERE datname = current_database() AND query LIKE '%workforce_staging%' AND state <> 'idle' AND pid <> pg_backend_pid()
                    """).scalar(Int.self) == 1
            }
            // … creations of employees the file holds, and of others.
            let names = (0..<10).map { "e-\($0 * 1000)" } + (0..<10).map { "x-\($0)" }
            let outcomes = await withTaskGroup(of: (String, String).self) { group in
                for name in names {
                    group.addTask {
                        do {
                            _ = try await store.createProvisionedEmployee(organisationID: organisation, Self.record(name), actor: Actor("scim:t"))
                            return (name, "created")
                        } catch let error as MobiliseError {
                            return (name, error.code.rawValue)
                        } catch {
                            return (name, "\(error)")
                        }
                    }
                }
                return await group.reduce(into: [String: String]()) { $0[$1.0] = $1.1 }
            }
            let report = try await imported
            // They waited for the import's lock: the file's employees were there by then, the others not.
            #expect(report.inserted == 20_000 && report.updated == 0 && report.rejectedCount == 0, "\(report)")
            #expect(names.allSatisfy { outcomes[$0] == ($0.hasPrefix("e-") ? "user_name_taken" : "created") }, "\(outcomes)")
            let count = try await store.pool.query("SELECT count(*) FROM employees WHERE organisation_id = \(organisation)").scalar(Int.self)
            #expect(count == 20_010)
            let written = try await store.auditLog(organisationID: organisation, limit: 500).filter { $0.action == "employees.provision" }.count
            #expect(written == 10, "one audit entry per write that happened")
        }
    }

    @Test func aLeaverByProvisioningLeavesAsAFullSyncLeaverDoes() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store)
            let organisation = fixture.organisation.id
            _ = try await store.importEmployees(
                organisationID: organisation, csv: Array("external_id,country\na-1,FR\na-2,FR\n".utf8), mode: .upsert, actor: fixture.admin)
            _ = try await store.importEmployees(
                organisationID: organisation, csv: Array("external_id,country\na-2,FR\n".utf8), mode: .fullSync, actor: fixture.admin)
            let a2 = try #require(try await store.employee(organisationID: organisation, externalID: "a-2"))
            let changed = try await store.updateProvisionedEmployee(organisationID: organisation, id: a2.id, operation: "update", actor: Actor("scim:t")) {
                var record = $0.record
                record.row.active = false
                return record
            }
            #expect(changed?.employee.active == false)
            let leftOn = try await store.pool.query("""
                SELECT external_id, left_on::text FROM employees WHERE organisation_id = \(organisation) ORDER BY external_id
                """).rows.map { try $0.decode((String, String?).self) }
            #expect(leftOn.count == 2 && leftOn[0].1 != nil && leftOn[0].1 == leftOn[1].1, "both left today: \(leftOn)")
            #expect(try await store.updateProvisionedEmployee(organisationID: organisation, id: UUID(), operation: "update", actor: Actor("t")) { $0.record } == nil)
        }
    }
    @Test func provisioningCommitsWithoutWaitingForTheDiskWhileImportsAndErasuresWait() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store)
            let organisation = fixture.organisation.id
            // What synchronous_commit was in each transaction that wrote employees, and where the value came
            // from (this test's database only). The test cluster runs with synchronous_commit off for speed
            // ("command line"); a transaction that turns it off itself shows "session".
            try await store.pool.execute("CREATE TABLE commit_modes (at timestamptz NOT NULL DEFAULT clock_timestamp(), operation text, mode text)")
            try await store.pool.execute("""
                CREATE FUNCTION record_commit_mode() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO commit_modes (operation, mode) SELECT TG_OP, setting || '/' || source FROM pg_settings WHERE name = 'synchronous_commit';
                    RETURN NULL;
                END $$
                """)
            try await store.pool.execute("""
                CREATE TRIGGER record_commit_mode AFTER INSERT OR UPDATE ON employees
                FOR EACH STATEMENT EXECUTE FUNCTION record_commit_mode()
                """)
            func modes() async throws -> [String] {
                let modes = try await store.pool.query("SELECT DISTINCT mode FROM commit_modes ORDER BY mode").rows.map { try $0.decode(String.self, column: "mode") }
                try await store.pool.execute("DELETE FROM commit_modes")
                return modes
            }

            _ = try await store.importEmployees(
                organisationID: organisation, csv: Array("external_id,country\na-1,FR\n".utf8), mode: .upsert, actor: fixture.admin)
            var seen = try await modes()
            #expect(!seen.isEmpty && !seen.contains("off/session"), "the file import keeps the server's durability: \(seen)")

            let created = try await store.createProvisionedEmployee(organisationID: organisation, Self.record("s-1"), actor: Actor("scim:t"))
            seen = try await modes()
            #expect(seen == ["off/session"], "a SCIM creation does not wait for the fsync: \(seen)")
            _ = try await store.updateProvisionedEmployee(organisationID: organisation, id: created.employee.id, operation: "update", actor: Actor("scim:t")) {
                var record = $0.record
                record.row.site = "Lyon"
                return record
            }
            seen = try await modes()
            #expect(seen == ["off/session"], "nor does a SCIM change: \(seen)")

            #expect(try await store.deleteProvisionedEmployee(organisationID: organisation, id: created.employee.id, actor: Actor("scim:t")))
            seen = try await modes()
            #expect(!seen.isEmpty && !seen.contains("off/session"), "a SCIM delete erases personal data: durable, as every erasure: \(seen)")
            // The setting was the transaction's own: the pool's connections are back to the server's.
            let sources = try await store.pool.query("SELECT source FROM pg_settings WHERE name = 'synchronous_commit'").scalar(String.self)
            #expect(sources != "session")
        }
    }
}
