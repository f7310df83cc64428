import Foundation
import MobiliseDomain
import MobiliseStore
import MobiliseTesting
import Synchronization
import Testing

private let header = "external_id,email,display_name,country,gender,site,org_unit,manager_external_id,active\n"

private func importCSV(
    _ store: MobiliseStore, _ organisation: Organisation, _ text: String, mode: ImportMode = .upsert
) async throws -> ImportReport {
    try await store.importEmployees(organisationID: organisation.id, csv: Array(text.utf8), mode: mode, actor: Actor("hr:admin"))
}

private func activeIDs(_ store: MobiliseStore, _ organisation: Organisation) async throws -> [String] {
    try await store.employees(organisationID: organisation.id, limit: 1000).filter(\.active).map(\.externalID)
}

/// The highest row count a progress callback reported.
private final class ProgressRecorder: Sendable {
    private let value = Mutex(0)
    func record(_ rows: Int) { value.withLock { $0 = max($0, rows) } }
    var latest: Int { value.withLock { $0 } }
}

@Suite struct WorkforceImportTests {
    /// A NUL inside a field (`a\0b`) must reject its line, never be stored cut at the NUL.
    @Test func aNULInAFieldRejectsTheLineAndStoresNothingOfIt() async throws {
        try await TestDatabase.withStore { store in
            let organisation = try await store.createOrganisation(slug: "acme", name: "Acme")
            let text = header + "E1,,a\u{0}b,FR,,,,,\nE2,,Zoë\u{0}x,FR,,,,,\nE3,,,FR,,Pa\u{0}ris,,,\n\"E4\u{0}\",,,FR,,,,,\nE5,,ok,FR,,,,,\n"
            let report = try await importCSV(store, organisation, text)
            #expect(report.rejected.map(\.line) == [2, 3, 4, 5], "\(report.rejected)")
            #expect(report.rejected.allSatisfy { $0.error.contains("NUL") }, "\(report.rejected)")
            #expect(try await activeIDs(store, organisation) == ["E5"])
            let names = try await store.pool.query("SELECT display_name FROM employees WHERE display_name IS NOT NULL").column(String.self)
            #expect(names == ["ok"])
        }
    }

    @Test func goodLinesAreLoadedAndBadOnesRejectedWithTheirLines() async throws {
        try await TestDatabase.withStore { store in
            let organisation = try await store.createOrganisation(slug: "acme", name: "Acme")
            let text = header + """
                E1,ana@example.com,"Souza, Ana",br,female,São Paulo,Energy/Buildings,M1,true
                E2,,,FR,M,,,,
                E3,,,xx,,,,,
                E4,,"multi
                line name",in,male,,,,
                E1,,,FR,,,,,
                E5,,,FR,,,
                E6,bad-email,,FR,,,,,
                E7,,,de,non_binary,,,,no

                """
            let report = try await importCSV(store, organisation, text)
            #expect(report.rejected.map(\.description) == [
                "line 3: unknown gender 'M' (expected female, male, non_binary or undisclosed)",
                "line 4: unknown country code 'XX' (not an ISO 3166-1 alpha-2 code)",
                "line 7: external_id 'E1' already appears on line 2",
                "line 8: expected 9 fields as in the header, found 7",
                "line 9: email 'bad-email' does not look like an email address",
            ])
            #expect(report.rejectedCount == 5)
            #expect(report.rowsRead == 8)
            #expect(report.inserted == 3 && report.updated == 0 && report.unchanged == 0 && report.deactivated == 0)

            #expect(try await activeIDs(store, organisation) == ["E1", "E4"])
            let ana = try #require(try await store.employee(organisationID: organisation.id, externalID: "E1"))
            #expect(ana.email == "ana@example.com" && ana.displayName == "Souza, Ana" && ana.country == "BR")
            #expect(ana.site == "São Paulo" && ana.orgUnit == "Energy/Buildings" && ana.managerExternalID == "M1")
            #expect(ana.gender == .female && ana.active && ana.organisationID == organisation.id)
            #expect(try await store.employee(organisationID: organisation.id, externalID: "E4")?.displayName == "multi\nline name")
            let inactive = try #require(try await store.employee(organisationID: organisation.id, externalID: "E7"))
            #expect(!inactive.active && inactive.gender == .nonBinary && inactive.country == "DE")
            for missing in ["E2", "E3", "E5", "E6"] {
                #expect(try await store.employee(organisationID: organisation.id, externalID: missing) == nil)
            }
        }
    }

    @Test func aSecondImportCountsInsertedUpdatedAndUnchanged() async throws {
        try await TestDatabase.withStore { store in
            let organisation = try await store.createOrganisation(slug: "acme", name: "Acme")
            let first = try await importCSV(store, organisation, header + "A,a@x.com,Ana,FR,,,,,\nB,,Bo,FR,,,,,\nC,,Cy,DE,,,,,\n")
            #expect(first.inserted == 3 && first.updated == 0 && first.unchanged == 0)
            let before = try #require(try await store.employee(organisationID: organisation.id, externalID: "A"))

            // B changes site, D is new; A and C are as they were (case and spaces normalised away).
            let second = try await importCSV(
                store, organisation, "country,external_id,display_name,email,site\nfr, A ,Ana,a@x.com,\nFR,B,Bo,,Lyon\nDE,C,Cy,,\nES,D,Di,,\n")
            #expect(second.inserted == 1 && second.updated == 1 && second.unchanged == 2 && second.deactivated == 0)
            #expect(second.rejected.isEmpty)
            #expect(try await store.employee(organisationID: organisation.id, externalID: "B")?.site == "Lyon")
            #expect(try await store.employee(organisationID: organisation.id, externalID: "A") == before)

            // Columns missing from a file leave those values alone.
            let third = try await importCSV(store, organisation, "external_id,country\nA,FR\nB,DE\n")
            #expect(third.inserted == 0 && third.updated == 1 && third.unchanged == 1)
            #expect(try await store.employee(organisationID: organisation.id, externalID: "A") == before)
            let movedB = try await store.employee(organisationID: organisation.id, externalID: "B")
            #expect(movedB?.country == "DE" && movedB?.site == "Lyon" && movedB?.displayName == "Bo")
        }
    }

    @Test func unchangedEmployeesAreNotWrittenAgainAndOtherOrganisationsAreNotTouched() async throws {
        try await TestDatabase.withStore { store in
            let acme = try await store.createOrganisation(slug: "acme", name: "Acme")
            let globex = try await store.createOrganisation(slug: "globex", name: "Globex")
            let file = header + "A,a@x.com,Ana,FR,female,Paris,HR,,true\nB,,Bo,FR,,,,,\nC,,Cy,DE,,,,,no\n"
            _ = try await importCSV(store, acme, file)
            _ = try await importCSV(store, globex, file)
            // A row's version: a rewrite, even with equal values, gives it a new ctid and xmin.
            func versions(_ organisation: Organisation) async throws -> [String: String] {
                let rows = try await store.pool.query("""
                    SELECT external_id, ctid::text || '/' || xmin::text || '/' || updated_at::text AS version FROM employees
                    WHERE organisation_id = \(organisation.id)
                    """).rows
                return Dictionary(uniqueKeysWithValues: try rows.map {
                    (try $0.decode(String.self, column: "external_id"), try $0.decode(String.self, column: "version"))
                })
            }
            let acmeBefore = try await versions(acme)
            let globexBefore = try await versions(globex)

            let same = try await importCSV(store, acme, file, mode: .fullSync)
            #expect(same.unchanged == 3 && same.inserted == 0 && same.updated == 0 && same.deactivated == 0)
            #expect(try await versions(acme) == acmeBefore)

            // Only B changes (case and spaces elsewhere are normalised away, so A and C are as they were).
            let changed = try await importCSV(store, acme, header + " A ,a@x.com,Ana,fr,FEMALE,Paris,HR,,yes\nB,,Bo,FR,,Lyon,,,\nC,,Cy,DE,,,,,0\n")
            #expect(changed.updated == 1 && changed.unchanged == 2)
            let acmeAfter = try await versions(acme)
            #expect(acmeAfter["A"] == acmeBefore["A"] && acmeAfter["C"] == acmeBefore["C"])
            #expect(acmeAfter["B"] != acmeBefore["B"])
            #expect(try await versions(globex) == globexBefore)
            #expect(try await store.employee(organisationID: globex.id, externalID: "B")?.site == nil)
        }
    }

    @Test func fullSyncDeactivatesLeaversAndReactivatesReturners() async throws {
        try await TestDatabase.withStore { store in
            let organisation = try await store.createOrganisation(slug: "acme", name: "Acme", timeZone: "Asia/Kolkata")
            _ = try await importCSV(store, organisation, header + "A,,,FR,,,,,\nB,,,FR,,,,,\nC,,,IN,,,,,\n")

            let sync = try await importCSV(store, organisation, header + "A,,,FR,,,,,\nB,,,FR,,,,,\n", mode: .fullSync)
            #expect(sync.deactivated == 1 && sync.unchanged == 2 && sync.inserted == 0 && sync.updated == 0)
            #expect(try await activeIDs(store, organisation) == ["A", "B"])
            let leftOn = try await store.pool.query("""
                SELECT left_on = (now() AT TIME ZONE 'Asia/Kolkata')::date FROM employees
                WHERE organisation_id = \(organisation.id) AND external_id = 'C'
                """).scalar(Bool.self)
            #expect(leftOn == true)

            let again = try await importCSV(store, organisation, header + "A,,,FR,,,,,\nB,,,FR,,,,,\n", mode: .fullSync)
            #expect(again.deactivated == 0 && again.unchanged == 2)

            // C comes back (an update), and B leaves.
            let back = try await importCSV(store, organisation, header + "A,,,FR,,,,,\nC,,,IN,,,,,\n", mode: .fullSync)
            #expect(back.updated == 1 && back.deactivated == 1 && back.unchanged == 1)
            #expect(try await activeIDs(store, organisation) == ["A", "C"])
            let cleared = try await store.pool.query("""
                SELECT left_on IS NULL FROM employees WHERE organisation_id = \(organisation.id) AND external_id = 'C'
                """).scalar(Bool.self)
            #expect(cleared == true)
        }
    }

    @Test func fullSyncWithARejectedLineIsRefusedAndChangesNothing() async throws {
        try await TestDatabase.withStore { store in
            let organisation = try await store.createOrganisation(slug: "acme", name: "Acme")
            _ = try await importCSV(store, organisation, header + "A,,Ana,FR,,,,,\nB,,,FR,,,,,\nC,,,IN,,,,,\n")
            let snapshot = try await store.employees(organisationID: organisation.id)
            let auditBefore = try await store.auditLog(organisationID: organisation.id).count

            // A rejected by the file's own checks: refused before anything is loaded.
            let parsed = await #expect(throws: MobiliseError.self) {
                try await importCSV(store, organisation, header + "A,,Ann,FR,,,,,\nB,,,FR,X,,,,\n", mode: .fullSync)
            }
            #expect(parsed?.code == .fullSyncRefused && parsed?.kind == .unprocessable)
            #expect(parsed?.message.contains("line 3: unknown gender 'X'") == true)

            // An unknown country is found in the staging step: refused there, and rolled back.
            let staged = await #expect(throws: MobiliseError.self) {
                try await importCSV(store, organisation, header + "A,,Ann,FR,,,,,\nB,,,QQ,,,,,\nD,,,FR,,,,,\n", mode: .fullSync)
            }
            #expect(staged?.code == .fullSyncRefused)
            #expect(staged?.message.contains("line 3: unknown country code 'QQ'") == true)

            // A header-only file would deactivate everyone.
            let empty = await #expect(throws: MobiliseError.self) { try await importCSV(store, organisation, header, mode: .fullSync) }
            #expect(empty?.code == .fullSyncRefused)

            #expect(try await store.employees(organisationID: organisation.id) == snapshot)
            #expect(try await store.auditLog(organisationID: organisation.id).count == auditBefore)

            // Upsert of the same file applies the good lines.
            let upsert = try await importCSV(store, organisation, header + "A,,Ann,FR,,,,,\nB,,,QQ,,,,,\nD,,,FR,,,,,\n")
            #expect(upsert.updated == 1 && upsert.inserted == 1 && upsert.rejected.map(\.line) == [3])
            #expect(try await activeIDs(store, organisation) == ["A", "B", "C", "D"])
        }
    }

    @Test func aWrongHeaderOrAnUnknownOrganisationChangesNothing() async throws {
        try await TestDatabase.withStore { store in
            let organisation = try await store.createOrganisation(slug: "acme", name: "Acme")
            let header = await #expect(throws: MobiliseError.self) {
                try await importCSV(store, organisation, "external_id,country,salary\nA,FR,1\n")
            }
            #expect(header?.code == .invalidHeader)
            let missing = await #expect(throws: MobiliseError.self) {
                try await store.importEmployees(
                    organisationID: UUID(), csv: Array("external_id,country\nA,FR\n".utf8), mode: .upsert, actor: .operatorCLI)
            }
            #expect(missing?.code == .organisationNotFound && missing?.kind == .notFound)
            #expect(try await store.employees(organisationID: organisation.id).isEmpty)
            #expect(try await store.auditLog(organisationID: organisation.id).isEmpty)
        }
    }

    @Test func theImportIsRecordedInTheAuditLog() async throws {
        try await TestDatabase.withStore { store in
            let organisation = try await store.createOrganisation(slug: "acme", name: "Acme")
            _ = try await importCSV(store, organisation, header + "A,,,FR,,,,,\nB,,,FR,X,,,,\n")
            let entries = try await store.auditLog(organisationID: organisation.id)
            let entry = try #require(entries.first)
            #expect(entries.count == 1)
            #expect(entry.action == "employees.import" && entry.actor == "hr:admin" && entry.subject == nil)
            #expect(entry.details == [
                "mode": "upsert", "rows": "2", "inserted": "1", "updated": "0", "unchanged": "0", "deactivated": "0",
                "rejected": "1",
            ])
        }
    }

    @Test func aHundredThousandRowFileImportsInChunks() async throws {
        try await TestDatabase.withStore { store in
            let organisation = try await store.createOrganisation(slug: "big", name: "Big")
            let countries = ["IN", "BR", "US", "FR", "CN", "DE", "ES", "MX"]
            let genders = ["female", "male", "non_binary", "undisclosed", ""]
            var bytes: [UInt8] = Array(header.utf8)
            bytes.reserveCapacity(12_000_000)
            for index in 0..<100_000 {
                let line = "E\(index),person\(index)@example.com,\"Person, \(index)\",\(countries[index % countries.count]),"
                    + "\(genders[index % genders.count]),Site \(index % 37),Unit/\(index % 11),E\(index / 10),\(index % 50 == 0 ? "no" : "yes")\r\n"
                bytes += line.utf8
            }
            // Odd-sized chunks, so records and CRLFs are split across them.
            let chunkSize = 10_007
            let stream = AsyncStream<ArraySlice<UInt8>> { continuation in
                var start = 0
                while start < bytes.count {
                    let end = min(start + chunkSize, bytes.count)
                    continuation.yield(bytes[start..<end])
                    start = end
                }
                continuation.finish()
            }
            let lastProgress = ProgressRecorder()
            let report = try await store.importEmployees(
                organisationID: organisation.id, csv: stream, mode: .fullSync, actor: .operatorCLI,
                progress: { rows in lastProgress.record(rows) })
            #expect(report.inserted == 100_000 && report.rejectedCount == 0 && report.rowsRead == 100_000)
            #expect(lastProgress.latest == 100_000)
            let (total, active, india) = try await store.pool.query("""
                SELECT count(*), count(*) FILTER (WHERE active), count(*) FILTER (WHERE country = 'IN')
                FROM employees WHERE organisation_id = \(organisation.id)
                """)[0].decode((Int, Int, Int).self)
            #expect(total == 100_000 && active == 98_000 && india == 12_500)
            let sample = try await store.employee(organisationID: organisation.id, externalID: "E99999")
            #expect(sample?.displayName == "Person, 99999" && sample?.managerExternalID == "E9999" && sample?.country == "MX")
        }
    }

    @Test func employeesArePagedByExternalIDAndFilteredByCountry() async throws {
        try await TestDatabase.withStore { store in
            let organisation = try await store.createOrganisation(slug: "acme", name: "Acme")
            let other = try await store.createOrganisation(slug: "other", name: "Other")
            _ = try await importCSV(store, organisation, header + "e1,,,FR,,,,,\ne2,,,DE,,,,,\ne3,,,FR,,,,,\ne4,,,FR,,,,,no\ne5,,,FR,,,,,\n")
            _ = try await importCSV(store, other, header + "e0,,,FR,,,,,\n")

            let firstPage = try await store.employees(organisationID: organisation.id, country: "fr", limit: 2)
            #expect(firstPage.map(\.externalID) == ["e1", "e3"])
            let secondPage = try await store.employees(organisationID: organisation.id, country: "FR", after: "e3", limit: 2)
            #expect(secondPage.map(\.externalID) == ["e4", "e5"])
            #expect(try await store.employees(organisationID: organisation.id, country: "FR", after: "e5", limit: 2).isEmpty)
            #expect(try await store.employees(organisationID: organisation.id).map(\.externalID) == ["e1", "e2", "e3", "e4", "e5"])
            #expect(try await store.employee(organisationID: organisation.id, externalID: "e0") == nil)
            #expect(try await store.employee(organisationID: other.id, externalID: "e0")?.organisationID == other.id)
        }
    }
}
