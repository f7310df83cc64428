import Foundation
import MobiliseDomain
import Testing

/// Workforce files as HR systems export them: encodings, delimiters, column mappings, countries.
/// (XLSX workbooks made with openpyxl are read in the API's tests, which can run Python.)
@Suite struct HRFileTests {
    static func workday() throws -> WorkforceColumnMapping {
        try WorkforceColumnMapping([
        (source: "Employee ID", column: "external_id"), (source: "Legal Name", column: "display_name"),
        (source: "Country", column: "country"), (source: "Location", column: "site"),
        (source: "Supervisory Organization", column: "org_unit"),
        ])
    }

    /// The converted file as the workforce reader reads it.
    static func read(_ bytes: [UInt8], mapping: WorkforceColumnMapping? = nil) throws -> (items: [WorkforceCSVItem], format: HRFile.Format) {
        let (csv, format) = try HRFile.convert(bytes, mapping: mapping)
        return (try WorkforceCSVReader.read(csv, knownCountries: ["FR", "DE", "US", "CI", "VN", "GB", "BR"]), format)
    }

    static func rows(_ items: [WorkforceCSVItem]) -> [WorkforceRow] {
        items.compactMap { if case .row(let row) = $0 { row } else { nil } }
    }

    @Test func aWindows1252SemicolonExportWithWorkdayNamesIsRead() throws {
        // What Excel writes as "CSV (semicolon)" on a French Windows: Windows-1252, ';', CRLF.
        let text = "Employee ID;Legal Name;Country;Location;Supervisory Organization;Cost Center\r\n"
            + "1001;José Müller;FRA;Grenoble;Energy Management;CC-1\r\n"
            + "1002;\"Zoë; \u{201C}the boss\u{201D}\";Germany;Berlin;Digital;CC-2\r\n"
        var bytes: [UInt8] = []
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x201C: bytes.append(0x93)
            case 0x201D: bytes.append(0x94)
            default: bytes.append(UInt8(scalar.value))  // Latin-1 range
            }
        }
        let (items, format) = try Self.read(bytes, mapping: try Self.workday())
        #expect(format == .csv(encoding: .windows1252, delimiter: UInt8(ascii: ";")))
        #expect(Self.rows(items) == [
            WorkforceRow(line: 2, externalID: "1001", displayName: "José Müller", country: "FR", site: "Grenoble", orgUnit: "Energy Management"),
            WorkforceRow(line: 3, externalID: "1002", displayName: "Zoë; \u{201C}the boss\u{201D}", country: "DE", site: "Berlin", orgUnit: "Digital"),
        ])
    }

    @Test func aMappingMayNameAPersonsLanguageAndTimeZone() throws {
        let mapping = try WorkforceColumnMapping([
            (source: "Employee ID", column: "external_id"), (source: "Country", column: "country"),
            (source: "Preferred Language", column: "preferred_language"), (source: "Time Zone", column: "time_zone"),
        ])
        let text = "Employee ID,Country,Preferred Language,Time Zone,Cost Center\r\n1001,USA,es_US,America/Chicago,CC-1\r\n1002,US,,,CC-2\r\n"
        let (items, _) = try Self.read(Array(text.utf8), mapping: mapping)
        #expect(Self.rows(items) == [
            WorkforceRow(line: 2, externalID: "1001", country: "US", preferredLanguage: "es-US", timeZone: "America/Chicago"),
            WorkforceRow(line: 3, externalID: "1002", country: "US"),
        ])
    }

    @Test func utf16FromExcelWithTabsIsRead() throws {
        // Excel's "Unicode Text": UTF-16LE with a BOM, tab separated.
        let text = "external_id\tcountry\tdisplay_name\r\nE1\tCôte d'Ivoire\tAya\r\nE2\tViet Nam\tLinh\r\nE3\tusa\tSam\r\n"
        let bytes: [UInt8] = [0xFF, 0xFE] + text.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        let (items, format) = try Self.read(bytes)
        #expect(format == .csv(encoding: .utf16LE, delimiter: 9))
        #expect(Self.rows(items).map(\.country) == ["CI", "VN", "US"])
        #expect(Self.rows(items).map(\.displayName) == ["Aya", "Linh", "Sam"])

        let bigEndian: [UInt8] = [0xFE, 0xFF] + text.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        #expect(try Self.read(bigEndian).format == .csv(encoding: .utf16BE, delimiter: 9))
    }

    @Test func mobilisesOwnUTF8CSVStaysOnTheFastPath() throws {
        let plain = Array("external_id,country\nE1,FR\n".utf8)
        #expect(HRFile.isPlainWorkforceCSV(prefix: plain, mapping: nil))
        #expect(HRFile.isPlainWorkforceCSV(prefix: [0xEF, 0xBB, 0xBF] + plain, mapping: nil))
        #expect(!HRFile.isPlainWorkforceCSV(prefix: plain, mapping: try Self.workday()), "a mapping always converts")
        #expect(!HRFile.isPlainWorkforceCSV(prefix: Array("external_id;country\n".utf8), mapping: nil))
        #expect(!HRFile.isPlainWorkforceCSV(prefix: Array("Employee ID,Country\n".utf8), mapping: nil))
        #expect(!HRFile.isPlainWorkforceCSV(prefix: [0xFF, 0xFE] + Array("e\0".utf8), mapping: nil))
    }

    @Test func theStreamPassesMobilisesCSVThroughAndConvertsTheRest() async throws {
        struct Chunks: AsyncSequence {
            let parts: [[UInt8]]
            struct AsyncIterator: AsyncIteratorProtocol {
                var parts: [[UInt8]]
                mutating func next() async -> [UInt8]? { parts.isEmpty ? nil : parts.removeFirst() }
            }
            func makeAsyncIterator() -> AsyncIterator { AsyncIterator(parts: parts) }
        }
        func collect(_ parts: [[UInt8]], mapping: WorkforceColumnMapping?) async throws -> (passthrough: Int, converted: Int, bytes: [UInt8]) {
            var passthrough = 0, converted = 0, bytes: [UInt8] = []
            for try await chunk in WorkforceFileChunks(Chunks(parts: parts), mapping: mapping) {
                if case .passthrough = chunk { passthrough += 1 } else { converted += 1 }
                // The CSV parser's fast loop reads contiguous bytes: both kinds of chunk must offer them.
                #expect(chunk.withContiguousStorageIfAvailable { $0.count } == Array(chunk).count)
                bytes += Array(chunk)
            }
            return (passthrough, converted, bytes)
        }
        let plain = try await collect([Array("external_id,coun".utf8), Array("try\nE1,FR\n".utf8), Array("E2,DE\n".utf8)], mapping: nil)
        #expect(plain.passthrough == 3 && plain.converted == 0)
        #expect(plain.bytes == Array("external_id,country\nE1,FR\nE2,DE\n".utf8))
        let mapped = try await collect([Array("Employee ID,Country\n1,FRA\n".utf8)], mapping: try Self.workday())
        #expect(mapped.passthrough == 0 && mapped.converted == 1)
        #expect(mapped.bytes == Array("external_id,country\n1,FRA\n".utf8))
    }

    @Test func recordsKeepTheirLineNumbersAcrossQuotedLineBreaksAndBlankLines() throws {
        let text = "Employee ID;Country;Legal Name\n\n7;FR;\"two\nlines\"\n8;Atlantis;x\n"
        let (items, _) = try Self.read(Array(text.utf8), mapping: try Self.workday())
        #expect(Self.rows(items).map(\.line) == [3])
        #expect(items.contains(.rejected(WorkforceRejection(
            line: 5, error: "country 'Atlantis' is not a country: give an ISO 3166-1 alpha-2 code (FR), an alpha-3 code (FRA) or the English name (France)"))))
    }

    @Test func aMappedColumnMissingFromTheFileSaysWhichColumnsItHas() throws {
        #expect {
            try HRFile.convert(Array("Worker;Country\n1;FR\n".utf8), mapping: try Self.workday())
        } throws: { error in
            let message = (error as? MobiliseError)?.message ?? ""
            return message.contains("'Employee ID' (mapped to external_id)") && message.contains("Worker, Country")
        }
    }

    @Test func aMappingNamesOnlyMobilisesColumnsOnce() {
        #expect(throws: MobiliseError.self) { try WorkforceColumnMapping([(source: "ID", column: "employee_number")]) }
        #expect(throws: MobiliseError.self) {
            try WorkforceColumnMapping([(source: "ID", column: "external_id"), (source: "id", column: "email")])
        }
        #expect(throws: MobiliseError.self) {
            try WorkforceColumnMapping([(source: "A", column: "country"), (source: "B", column: "country")])
        }
    }

    @Test func countriesByAlpha3OrEnglishName() {
        let cases: [(String, String?)] = [
            ("FRA", "FR"), ("fra", "FR"), ("France", "FR"), ("  germany ", "DE"), ("Côte d'Ivoire", "CI"), ("Cote dIvoire", "CI"),
            ("Viet Nam", "VN"), ("Vietnam", "VN"), ("United States of America", "US"), ("USA", "US"), ("United Kingdom", "GB"),
            ("Korea, Republic of", "KR"), ("South Korea", "KR"), ("Türkiye", "TR"), ("Turkey", "TR"), ("Kosovo", "XK"),
            ("Atlantis", nil), ("", nil), ("F", nil),
        ]
        for (text, expected) in cases {
            #expect(CountryNames.alpha2(for: text) == expected, "\(text)")
        }
    }

    @Test func aZipThatIsNotAWorkbookIsRefusedCleanly() {
        // The zip signature followed by rubbish.
        #expect {
            try HRFile.convert([0x50, 0x4B, 0x03, 0x04] + Array(repeating: 0x41, count: 200), mapping: nil)
        } throws: { error in
            (error as? MobiliseError)?.code == .invalidXlsx
        }
    }
}
