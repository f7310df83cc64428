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
        // The creations must start while the import's transaction runs. On a loaded machine the
        // import can commit before a poll sees its transaction (seen once with the whole suite on 2
        // cores): then the scenario runs again, on a fresh database.
        for attempt in 1...3 {
            if try await creationsDuringAnImport(lastAttempt: attempt == 3) { return }
        }
    }

    /// One run of the scenario above; false when the import committed before its transaction was seen.
    private func creationsDuringAnImport(lastAttempt: Bool) async throws -> Bool {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store)
            let organisation = fixture.organisation.id
            let file = "external_id,country\n" + (0..<20_000).map { "e-\($0),IN\n" }.joined()
            async let imported = store.importEmployees(organisationID: organisation, csv: Array(file.utf8), mode: .upsert, actor: fixture.admin)
            // Once the import's transaction is under way (its staging table is being filled or merged)…
            var committed = false
            try await waitUntil("the import's transaction runs", interval: .milliseconds(2)) {
                let (running, employees) = try await store.pool.query("""
                    SELECT (SELECT count(*) FROM pg_stat_activity
                            WHERE datname = current_database() AND query LIKE '%workforce_staging%' AND state <> 'idle'
                              AND pid <> pg_backend_pid()),
                           (SELECT count(*) FROM employees WHERE organisation_id = \(organisation))
                    """).rows[0].decode((Int, Int).self)
                committed = running == 0 && employees >= 20_000
                return running == 1 || committed
            }
            if committed {
                _ = try await imported
                if lastAttempt { Issue.record("the import committed before its transaction was seen, three times") }
                return lastAttempt
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
            return true
        }
    }

    /// A push fills `employees` one creation at a time: the store analyzes it after the 128th,
    /// 256th, … creation, so that plans (PostgreSQL's foreign-key checks among them) stop reading
    /// one employee by the organisation alone before autovacuum's first ANALYZE.
    @Test func aPushBringsTheEmployeesStatisticsUpToDate() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store)
            let analyses: @Sendable () async throws -> Int = {
                try await store.pool.query("SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'employees'").scalar(Int.self) ?? -1
            }
            let before = try await analyses()
            for i in 0..<127 {
                _ = try await store.createProvisionedEmployee(organisationID: fixture.organisation.id, Self.record("p-\(i)"), actor: Actor("scim:t"))
            }
            #expect(try await analyses() == before)
            _ = try await store.createProvisionedEmployee(organisationID: fixture.organisation.id, Self.record("p-127"), actor: Actor("scim:t"))
            try await waitUntil("employees analyzed after the 128th creation") { try await analyses() == before + 1 }
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

    @Test func aCreationIsWrittenWholeOrNotAtAllAndAnswersWhatWasWritten() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store)
            let organisation = fixture.organisation.id
            let boss = try await store.createProvisionedEmployee(organisationID: organisation, Self.record("boss-1"), actor: Actor("scim:t"))
            var record = Self.record("c-1")
            record.row.email = "c1@acme.example"
            record.row.orgUnit = "Digital"
            record.row.managerExternalID = boss.employee.id.uuidString  // named by id, kept as the HR id
            record.identity.givenName = "Chloe"
            let created = try await store.createProvisionedEmployee(organisationID: organisation, record, actor: Actor("scim:t"))
            // What the answer says is what a read finds.
            let read = try #require(try await store.provisionedEmployee(organisationID: organisation, id: created.employee.id))
            #expect(created == read)
            #expect(created.employee.managerExternalID == "boss-1" && created.managerID == boss.employee.id)
            #expect(created.identity.givenName == "Chloe" && created.identity.clientID == "idp-c-1")
            // Someone who is their own manager (an identity provider may say so of its top).
            var top = Self.record("top-1")
            top.row.managerExternalID = "top-1"
            let selfManaged = try await store.createProvisionedEmployee(organisationID: organisation, top, actor: Actor("scim:t"))
            #expect(selfManaged.managerID == selfManaged.employee.id)
            #expect(try await store.provisionedEmployee(organisationID: organisation, id: selfManaged.employee.id) == selfManaged)
            // One audit entry each, naming the columns written.
            let entries = try await store.auditLog(organisationID: organisation).filter { $0.action == "employees.provision" }
            #expect(entries.count == 3)
            let entry = try #require(entries.first { $0.subject == created.employee.id.uuidString.lowercased() })
            #expect(entry.actor == "scim:t" && entry.details["operation"] == "create")
            #expect(entry.details["changed"] == "external_id,email,country,org_unit,gender,manager_external_id,active,client_id,given_name")

            // A taken HR id, an unknown country: nothing written, not even an audit entry.
            func counts() async throws -> [Int] {
                let counted = try await store.pool.query("""
                    SELECT (SELECT count(*) FROM employees WHERE organisation_id = \(organisation))::int,
                           (SELECT count(*) FROM scim_users WHERE organisation_id = \(organisation))::int,
                           (SELECT count(*) FROM audit_log WHERE organisation_id = \(organisation))::int
                    """).rows[0].decode((Int, Int, Int).self)
                return [counted.0, counted.1, counted.2]
            }
            let before = try await counts()
            var taken = Self.record("c-1")
            taken.row.site = "Lyon"
            do {
                _ = try await store.createProvisionedEmployee(organisationID: organisation, taken, actor: Actor("scim:t"))
                Issue.record("a taken HR id was accepted")
            } catch let error as MobiliseError {
                #expect(error.code == .userNameTaken)
            }
            do {
                _ = try await store.createProvisionedEmployee(organisationID: organisation, Self.record("c-2", country: "ZZ"), actor: Actor("scim:t"))
                Issue.record("an unknown country was accepted")
            } catch let error as MobiliseError {
                #expect(error.code == .unknownCountry)
            }
            #expect(try await counts() == before)
            #expect(try await store.provisionedEmployee(organisationID: organisation, id: created.employee.id)?.employee.site == nil,
                    "the employee with that HR id is left as it was")
            // The pool's connection is usable again, outside any transaction.
            #expect(try await store.pool.query("SELECT 1").scalar(Int.self) == 1)
        }
    }

    @Test func aReplacementOrPatchIsWrittenWholeOrNotAtAllAndAnswersWhatWasWritten() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store)
            let organisation = fixture.organisation.id
            let actor = Actor("scim:t")
            let boss = try await store.createProvisionedEmployee(organisationID: organisation, Self.record("boss-1"), actor: actor)
            let other = try await store.createProvisionedEmployee(organisationID: organisation, Self.record("other-1"), actor: actor)
            let created = try await store.createProvisionedEmployee(organisationID: organisation, Self.record("r-1"), actor: actor)
            let id = created.employee.id
            func entries() async throws -> [AuditEntry] {
                try await store.auditLog(organisationID: organisation).filter { $0.action == "employees.provision" && $0.subject == id.uuidString.lowercased() }
            }
            /// Employees, kept identities, audit entries, and when an employee or identity was last written.
            func counts() async throws -> [String] {
                let counted = try await store.pool.query("""
                    SELECT (SELECT count(*) FROM employees WHERE organisation_id = \(organisation))::int,
                           (SELECT count(*) FROM scim_users WHERE organisation_id = \(organisation))::int,
                           (SELECT count(*) FROM audit_log WHERE organisation_id = \(organisation))::int,
                           (SELECT max(updated_at)::text FROM employees WHERE organisation_id = \(organisation)),
                           (SELECT max(updated_at)::text FROM scim_users WHERE organisation_id = \(organisation))
                    """).rows[0].decode((Int, Int, Int, String, String).self)
                return [String(counted.0), String(counted.1), String(counted.2), counted.3, counted.4]
            }

            // A replacement that renames, moves, names the manager by id and changes what the client keeps.
            var replacement = Self.record("r-2", country: "IN")
            replacement.row.email = "r2@acme.example"
            replacement.row.managerExternalID = boss.employee.id.uuidString
            replacement.identity.givenName = "Ravi"
            let replacing = replacement
            let answer = try await store.updateProvisionedEmployee(organisationID: organisation, id: id, operation: "replace", actor: actor) { _ in
                replacing
            }
            let replaced = try #require(answer)
            #expect(replaced.employee.externalID == "r-2" && replaced.employee.country == "IN" && replaced.employee.email == "r2@acme.example")
            #expect(replaced.employee.managerExternalID == "boss-1" && replaced.managerID == boss.employee.id)
            #expect(replaced.identity.givenName == "Ravi" && replaced.identity.clientID == "idp-r-2")
            #expect(replaced.created == created.created && replaced.lastModified > created.lastModified)
            // What the answer says is what a read finds.
            #expect(try await store.provisionedEmployee(organisationID: organisation, id: id) == replaced)
            var audited = try await entries()
            #expect(audited.count == 2 && audited[0].details["operation"] == "replace" && audited[0].actor == "scim:t")
            #expect(audited[0].details["changed"] == "external_id,email,country,manager_external_id,client_id,given_name")

            // The same again: nothing written but the audit entry, which names nothing; the answer is unchanged.
            let before = try await counts()
            let again = try await store.updateProvisionedEmployee(organisationID: organisation, id: id, operation: "replace", actor: actor) { _ in
                replacing
            }
            #expect(again == replaced)
            let after = try await counts()
            #expect(after[2] == String((Int(before[2]) ?? 0) + 1), "one audit entry")
            #expect(after[0] == before[0] && after[1] == before[1] && after[3] == before[3] && after[4] == before[4], "nothing else written")
            audited = try await entries()
            #expect(audited.count == 3 && audited[0].details["changed"] == "")

            // A patch that makes them their own manager under a new HR id, and a leaver.
            let patched = try #require(try await store.updateProvisionedEmployee(
                organisationID: organisation, id: id, operation: "update", actor: actor) { current in
                var record = current.record
                record.row.externalID = "r-3"
                record.row.managerExternalID = "r-3"
                record.row.active = false
                return record
            })
            #expect(patched.employee.externalID == "r-3" && patched.managerID == id && !patched.employee.active)
            #expect(try await store.provisionedEmployee(organisationID: organisation, id: id) == patched)
            let leftOn = try await store.pool.query("""
                SELECT left_on IS NOT NULL FROM employees WHERE organisation_id = \(organisation) AND id = \(id)
                """).scalar(Bool.self)
            #expect(leftOn == true, "a leaver by provisioning left today")
            #expect(try await entries()[0].details["changed"] == "external_id,manager_external_id,active")
            // Coming back clears the date; the old HR id names nobody.
            let back = try #require(try await store.updateProvisionedEmployee(
                organisationID: organisation, id: id, operation: "update", actor: actor) { current in
                var record = current.record
                record.row.externalID = "r-4"
                record.row.active = true
                return record
            })
            #expect(back.employee.managerExternalID == "r-3" && back.managerID == nil && back.employee.active)
            #expect(try await store.provisionedEmployee(organisationID: organisation, id: id) == back)

            // Refused: another employee's HR id, an unknown country, a change that throws. Nothing written.
            let unchanged = try await counts()
            var taken = back.record
            taken.row.externalID = other.employee.externalID
            taken.row.site = "Lyon"
            do {
                _ = try await store.updateProvisionedEmployee(organisationID: organisation, id: id, operation: "replace", actor: actor) { [taken] _ in taken }
                Issue.record("a taken HR id was accepted")
            } catch let error as MobiliseError {
                #expect(error.code == .userNameTaken)
            }
            var nowhere = back.record
            nowhere.row.country = "ZZ"
            do {
                _ = try await store.updateProvisionedEmployee(organisationID: organisation, id: id, operation: "replace", actor: actor) { [nowhere] _ in nowhere }
                Issue.record("an unknown country was accepted")
            } catch let error as MobiliseError {
                #expect(error.code == .unknownCountry)
            }
            struct Refused: Error {}
            await #expect(throws: Refused.self) {
                _ = try await store.updateProvisionedEmployee(organisationID: organisation, id: id, operation: "update", actor: actor) { _ in
                    throw Refused()
                }
            }
            #expect(try await counts() == unchanged)
            #expect(try await store.provisionedEmployee(organisationID: organisation, id: id) == back)
            #expect(try await store.provisionedEmployee(organisationID: organisation, id: other.employee.id) == other)
            // No transaction is left open on the pool's connections.
            #expect(try await store.pool.query("SELECT 1").scalar(Int.self) == 1)
            let open = try await store.pool.query("""
                SELECT count(*) FROM pg_stat_activity
                WHERE datname = current_database() AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()
                """).scalar(Int.self)
            #expect(open == 0)
        }
    }

    @Test func aSCIMTokenIsRememberedBrieflyAndForgottenWhenRevoked() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store)
            let organisation = fixture.organisation.id
            let hash = Data((0..<32).map { _ in UInt8.random(in: 0...255) })
            let token = try await store.createSCIMToken(organisationID: organisation, secretHash: hash, description: nil, actor: Actor("hr"))
            #expect(try await store.useSCIMToken(organisationID: organisation, secretHash: hash) == token.id)
            #expect(try await store.useSCIMToken(organisationID: UUID(), secretHash: hash) == nil, "another organisation's")

            // Deleted behind the store's back (the command line, another instance): still taken until the entry expires…
            store.scimTokenCache.lifetime = .seconds(3600)
            #expect(try await store.useSCIMToken(organisationID: organisation, secretHash: hash) == token.id)
            try await store.pool.execute("DELETE FROM scim_tokens WHERE id = \(token.id)")
            #expect(try await store.useSCIMToken(organisationID: organisation, secretHash: hash) == token.id,
                    "a push does not look its token up with every request")
            // … and refused once it has: changing the lifetime forgets every entry; then one that expires.
            store.scimTokenCache.lifetime = .milliseconds(50)
            #expect(try await store.useSCIMToken(organisationID: organisation, secretHash: hash) == nil)
            let second = try await store.createSCIMToken(organisationID: organisation, secretHash: hash, description: nil, actor: Actor("hr"))
            #expect(try await store.useSCIMToken(organisationID: organisation, secretHash: hash) == second.id)
            try await waitUntil("the deleted token's entry expires") {
                try await store.pool.execute("DELETE FROM scim_tokens WHERE id = \(second.id)")
                return try await store.useSCIMToken(organisationID: organisation, secretHash: hash) == nil
            }

            // Revoked through the store: refused at once, however long entries last.
            store.scimTokenCache.lifetime = .seconds(3600)
            let third = try await store.createSCIMToken(organisationID: organisation, secretHash: hash, description: nil, actor: Actor("hr"))
            #expect(try await store.useSCIMToken(organisationID: organisation, secretHash: hash) == third.id)
            #expect(try await store.revokeSCIMToken(organisationID: organisation, id: third.id, actor: Actor("hr")))
            #expect(try await store.useSCIMToken(organisationID: organisation, secretHash: hash) == nil)
        }
    }
}
