import Foundation
import HTTPTypes
import MobiliseDomain
import MobiliseStore
import MobiliseTesting
import Testing

/// Workforce files as HR systems export them, through the API: an XLSX workbook made by openpyxl
/// with Workday's column names (through the saved column mapping), a zip bomb and a file that only
/// looks like a zip, each refused cleanly with nothing written.
@Suite struct HRFileImportTests {
    static let openpyxlAvailable = CommandRunner.succeeds("/usr/bin/env", ["python3", "-c", "import openpyxl"])

    static let required = ProcessInfo.processInfo.environment["MOBILISE_REQUIRE_MEDIA_TOOLS"] == "1"
    static let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    /// The files of Tests/hrfiles/make_hr_files.py, made in a fresh folder.
    static func makeFiles() async throws -> URL {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hrfiles-\(UUID().uuidString)")
        let output = try await CommandRunner.run(
            "/usr/bin/env", ["python3", root.appendingPathComponent("Tests/hrfiles/make_hr_files.py").path, folder.path])
        #expect(output.status == 0, "\(output.standardError)")
        return folder
    }

    static let workdayMapping = """
        {"columns": [{"source": "Employee ID", "column": "external_id"}, {"source": "Legal Name", "column": "display_name"},
                     {"source": "Supervisory Organization", "column": "org_unit"}, {"source": "Location", "column": "site"},
                     {"source": "Country", "column": "country"}]}
        """

    @Test(.enabled(if: openpyxlAvailable || required, "SKIPPED: openpyxl is missing (pip install openpyxl)"))
    func aWorkdayWorkbookIsImportedThroughTheSavedColumnMapping() async throws {
        let folder = try await Self.makeFiles()
        defer { try? FileManager.default.removeItem(at: folder) }
        try await ServiceHarness.run { service in
            let hr = try await service.token("hr-1", [.hrAdmin])
            let workbook = try [UInt8](Data(contentsOf: folder.appendingPathComponent("workday.xlsx")))

            // Without the mapping, Workday's names are not Mobilise's: the whole file is refused.
            let unmapped = try await service.call(.post, "/v1/employees/import", token: hr, raw: workbook, contentType: Self.xlsx)
            #expect(unmapped.status == .badRequest && unmapped.errorCode == "invalid_header", "\(unmapped.text)")

            let saved = try await service.call(.put, "/v1/workforce/column-mapping", token: hr, json: Self.workdayMapping)
            #expect(saved.status == .ok, "\(saved.text)")
            #expect(try await service.call(.get, "/v1/workforce/column-mapping", token: hr).text.contains("Supervisory Organization"))

            let reply = try await service.call(.post, "/v1/employees/import", token: hr, raw: workbook, contentType: Self.xlsx)
            #expect(reply.status == .ok, "\(reply.text)")
            #expect(reply.json["inserted"] as? Int == 4, "\(reply.text)")
            let rejected = reply.json["rejected"] as? [[String: any Sendable]] ?? []
            #expect(rejected.count == 1 && rejected.first?["line"] as? Int == 7, "the spreadsheet's row number: \(rejected)")
            #expect((rejected.first?["error"] as? String)?.contains("'Atlantis' is not a country") == true)

            let ana = try #require(try await service.store.employee(organisationID: service.acme.id, externalID: "50001"))
            #expect(ana.country == "BR" && ana.displayName == "Ana Souza" && ana.site == "São Paulo" && ana.orgUnit == "Energy Management")
            #expect(try await service.store.employee(organisationID: service.acme.id, externalID: "50002")?.country == "DE")
            #expect(try await service.store.employee(organisationID: service.acme.id, externalID: "50003")?.country == "CI")
            #expect(try await service.store.employee(organisationID: service.acme.id, externalID: "50004")?.country == "VN")

            // The mapping also takes the same export as semicolon CSV in Windows-1252.
            let csv = "Employee ID;Legal Name;Country\r\n50002;J\u{FC}rgen Wei\u{DF};DEU\r\n"
            let latin1 = csv.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) }
            let again = try await service.call(.post, "/v1/employees/import", token: hr, raw: latin1, contentType: "text/csv")
            #expect(again.status == .ok && again.json["unchanged"] as? Int == 1, "\(again.text)")
        }
    }

    @Test(.enabled(if: openpyxlAvailable || required, "SKIPPED: openpyxl is missing (pip install openpyxl)"))
    func aZipBombAndANonZipWorkbookAreRefusedWithNothingWritten() async throws {
        let folder = try await Self.makeFiles()
        defer { try? FileManager.default.removeItem(at: folder) }
        try await ServiceHarness.run { service in
            let hr = try await service.token("hr-1", [.hrAdmin])
            _ = try await service.call(.put, "/v1/workforce/column-mapping", token: hr, json: Self.workdayMapping)
            let before = try await service.store.employees(organisationID: service.acme.id, limit: 1000).count

            let bomb = try [UInt8](Data(contentsOf: folder.appendingPathComponent("bomb.xlsx")))
            let refused = try await service.call(.post, "/v1/employees/import", token: hr, raw: bomb, contentType: Self.xlsx)
            #expect(refused.status == .contentTooLarge && refused.errorCode == "xlsx_too_large", "\(refused.status) \(refused.text)")
            #expect(refused.text.contains("zip bomb"))

            let notZip = try [UInt8](Data(contentsOf: folder.appendingPathComponent("notzip.xlsx")))
            let broken = try await service.call(.post, "/v1/employees/import", token: hr, raw: notZip, contentType: Self.xlsx)
            #expect(broken.status == .badRequest && broken.errorCode == "invalid_xlsx", "\(broken.status) \(broken.text)")
            // Not a zip at all, sent as a workbook: refused as one, not read as text.
            let csvAsWorkbook = try await service.call(.post, "/v1/employees/import", token: hr,
                                                       raw: Array("Employee ID,Country\nz-1,FR\n".utf8), contentType: Self.xlsx)
            #expect(csvAsWorkbook.status == .badRequest && csvAsWorkbook.errorCode == "invalid_xlsx"
                    && csvAsWorkbook.text.contains("not a zip archive"), "\(csvAsWorkbook.text)")

            #expect(try await service.store.employees(organisationID: service.acme.id, limit: 1000).count == before)
        }
    }

    @Test func aColumnMappingNamesMobilisesColumnsAndOnlyHRAdminsSetIt() async throws {
        try await ServiceHarness.run { service in
            let hr = try await service.token("hr-1", [.hrAdmin])
            #expect(try await service.call(.get, "/v1/workforce/column-mapping", token: hr).errorCode == "column_mapping_not_found")
            let wrong = try await service.call(.put, "/v1/workforce/column-mapping", token: hr,
                                               json: #"{"columns": [{"source": "Employee ID", "column": "employee_number"}]}"#)
            #expect(wrong.status == .badRequest && wrong.errorCode == "invalid_column_mapping" && wrong.text.contains("external_id"))
            let leader = try await service.token("lead-1", [.leader])
            #expect(try await service.call(.put, "/v1/workforce/column-mapping", token: leader, json: Self.workdayMapping).status == .forbidden)
            #expect(try await service.call(.put, "/v1/workforce/column-mapping", token: hr, json: Self.workdayMapping).status == .ok)
            #expect(try await service.call(.delete, "/v1/workforce/column-mapping", token: hr).status == .noContent)
            // Back to Mobilise's own names: the fast path.
            let plain = try await service.call(.post, "/v1/employees/import", token: hr, raw: Array("external_id,country\nn-1,FRA\n".utf8),
                                               contentType: "text/csv")
            #expect(plain.status == .ok && plain.json["inserted"] as? Int == 1, "\(plain.text)")
            #expect(try await service.store.employee(organisationID: service.acme.id, externalID: "n-1")?.country == "FR")
        }
    }
}
