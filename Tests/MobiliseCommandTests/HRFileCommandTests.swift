import Foundation
import MobiliseTesting
import Testing

/// `mobilise import employees` takes the files the API takes: a semicolon CSV in Windows-1252 with
/// the HR system's column names, through a mapping saved by `--save-mapping` and kept for the next run.
@Suite struct HRFileCommandTests {
    @Test func aWorkdayExportIsImportedThroughASavedMapping() async throws {
        let url = try await TestDatabase.createDatabase(migrated: true)
        #expect(try await CampaignCommandTests.mobilise(["org", "create", "acme", "--name", "Acme"], url: url).status == 0)
        let text = "Employee ID;Legal Name;Country;Cost Center\r\n1001;Jos\u{E9} M\u{FC}ller;FRA;CC-1\r\n1002;Zo\u{EB};Germany;CC-2\r\n"
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("workday-\(UUID().uuidString).csv")
        try Data(text.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) }).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }

        let imported = try await CampaignCommandTests.mobilise([
            "import", "employees", file.path, "--org", "acme", "--save-mapping", "Employee ID=external_id",
            "--save-mapping", "Legal Name=display_name", "--save-mapping", "Country=country",
        ], url: url)
        #expect(imported.status == 0, "\(imported.standardOutput)\n\(imported.standardError)")
        #expect(imported.standardOutput.contains("read 2 rows: 2 new"), "\(imported.standardOutput)")

        // The mapping is kept: the same file again changes nothing.
        let again = try await CampaignCommandTests.mobilise(["import", "employees", file.path, "--org", "acme"], url: url)
        #expect(again.status == 0 && again.standardOutput.contains("2 unchanged"), "\(again.standardOutput)\n\(again.standardError)")

        let bad = try await CampaignCommandTests.mobilise(
            ["import", "employees", file.path, "--org", "acme", "--save-mapping", "Employee ID"], url: url)
        #expect(bad.status != 0 && bad.standardError.contains("is not SOURCE=column"), "\(bad.standardError)")
    }
}
