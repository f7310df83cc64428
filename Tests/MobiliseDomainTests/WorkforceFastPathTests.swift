import Foundation
import MobiliseDomain
import Testing

// The byte-level parser and reader against the String-based ones they replaced (kept in
// ReferenceWorkforceCSV.swift): on random files they must answer exactly the same records, rows,
// rejections (sentences included) and errors; and the COPY data the store loads must hold exactly
// the rows the reader answers.

/// A file in random chunks, through the parser.
private func parsed(_ bytes: [UInt8], limits: CSVParser.Limits, random: inout SplitMix64) -> [CSVParser.Output] {
    var parser = CSVParser(limits: limits)
    var outputs: [CSVParser.Output] = []
    var start = 0
    while start < bytes.count {
        let end = min(bytes.count, start + random.int(1...max(1, bytes.count / 2 + 1)))
        parser.feed(bytes[start..<end]) { outputs.append($0) }
        start = end
    }
    parser.finish { outputs.append($0) }
    return outputs
}

/// What a reader answers for a file: its items, or its error.
private enum Answer: Equatable {
    case items([WorkforceCSVItem])
    case error(code: String, message: String)
}

private func answer(_ read: () throws -> [WorkforceCSVItem]) -> Answer {
    do { return .items(try read()) } catch let error as MobiliseError {
        return .error(code: error.code.rawValue, message: error.message)
    } catch {
        return .error(code: "untyped", message: "\(error)")
    }
}

/// The new reader over random chunks (items through `feed(_:_:)`).
private func readInChunks(_ bytes: [UInt8], limits: WorkforceCSV.Limits, knownCountries: Set<String>? = nil, random: inout SplitMix64) -> Answer {
    var sizes: [Int] = []
    var total = 0
    while total < bytes.count {
        let size = random.int(1...max(1, bytes.count / 2 + 1))
        sizes.append(size)
        total += size
    }
    return answer {
        var reader = WorkforceCSVReader(limits: limits, knownCountries: knownCountries)
        var items: [WorkforceCSVItem] = []
        var start = 0
        for size in sizes {
            let end = min(bytes.count, start + size)
            try reader.feed(bytes[start..<end]) { items.append($0) }
            start = end
        }
        try reader.finish { items.append($0) }
        return items
    }
}

/// Values that exercise every check, in ASCII (the byte path) and not (the String path).
private let tricky = [
    "e-1", "e-2", " e-1 ", "e-1\t", "E\u{212A}1", "EK1", "e-\u{0}", "", "  ", "\t", "\u{0B}x\u{0C}",
    "FR", "fr", "Fr", " de ", "F", "FRA", "F1", "ÉS", "XX",
    "female", "FEMALE", " Male ", "non_binary", "Non_Binary", "undisclosed", "robot", "f",
    "true", "TRUE", " yes ", "1", "0", "no", "No", "maybe", "",
    "a@b.example", "A.B@C.D", "a@b", "a@-b.c", "a@b-.c", "a@b..c", "a@b.c.", "@b.c", "a@", "a@@b.c", "a b@c.d",
    "a\t@b.c", "a<@b.c", "a@b.c\u{7F}", "zoë@b.c", "x@y.z\u{0085}", String(repeating: "l", count: 64) + "@b.c",
    String(repeating: "l", count: 65) + "@b.c",
    "\"q,uoted\"", "\"two\nlines\"", "\"tab\there\"", "back\\slash", "\"cr\rin\"", "Zoë", "\u{00A0}nbsp\u{00A0}",
    String(repeating: "n", count: 200), String(repeating: "n", count: 201), String(repeating: "é", count: 200),
    String(repeating: "é", count: 201), "\"", "a\"b", "\"a\"b\"",
    "fr-CA", "PT_br", "zh-hant-tw", "en-", "x-private", "de-u-co-phonebk", "Europe/Paris", "europe/paris", "GMT+1",
    "Nowhere/City", "America/Argentina/Buenos_Aires", "Ελληνικά",
]

private let headers = [
    "external_id,email,display_name,country,gender,site,org_unit,manager_external_id,active",
    "external_id,country", "country,external_id,gender,active", " external_id , country ,email", "external_id",
    "external_id,country,country", "site,org_unit,external_id,country,manager_external_id,display_name",
    "external_id,country,preferred_language,time_zone", "time_zone,external_id,email,country,preferred_language",
]

private func randomFile(_ random: inout SplitMix64) -> [UInt8] {
    var input: [UInt8] = random.chance(0.1) ? [0xEF, 0xBB, 0xBF] : []
    input += Array(random.pick(headers).utf8) + (random.chance(0.8) ? [0x0A] : [0x0D, 0x0A])
    for _ in 0..<random.int(0...14) {
        if random.chance(0.08) {
            input += (0..<random.int(1...30)).map { _ in random.pick([0x22, 0x2C, 0x0A, 0x0D, 0xFF, 0xC3, 0x61, 0x00, 0x20]) }
        } else {
            let count = random.chance(0.85) ? random.int(2...9) : random.int(1...12)
            input += Array((0..<count).map { _ in random.pick(tricky) }.joined(separator: ",").utf8)
        }
        input += random.chance(0.8) ? [0x0A] : [0x0D, 0x0A]
    }
    return input
}

@Suite struct WorkforceFastPathTests {
    @Test func theByteParserAnswersWhatTheStringParserAnswered() {
        var random = SplitMix64(seed: 0xFA57_0001)
        for index in 0..<4000 {
            let input = index % 2 == 0 ? randomFile(&random) : random.bytes(random.int(0...300)).map { $0 % 3 == 0 ? 0x22 : $0 }
            let limits = CSVParser.Limits(maxFieldBytes: random.int(1...300), maxFields: random.int(1...16))
            let expected = ReferenceCSVParser.parse(input, limits: limits)
            #expect(CSVParser.parse(input, limits: limits) == expected, "case \(index)")
            #expect(parsed(input, limits: limits, random: &random) == expected, "case \(index), in chunks")
        }
    }

    @Test func theByteReaderAnswersWhatTheStringReaderAnswered() {
        var random = SplitMix64(seed: 0xFA57_0002)
        for index in 0..<4000 {
            let input = randomFile(&random)
            let limits = WorkforceCSV.Limits(
                parser: CSVParser.Limits(maxFieldBytes: random.chance(0.2) ? random.int(1...80) : 64 * 1024),
                maxRows: random.chance(0.2) ? random.int(1...10) : 1_000_000)
            let expected = answer { try ReferenceWorkforceReader.read(input, limits: limits) }
            #expect(answer { try WorkforceCSVReader.read(input, limits: limits) } == expected, "case \(index): \(String(decoding: input, as: UTF8.self))")
            #expect(readInChunks(input, limits: limits, random: &random) == expected, "case \(index), in chunks")
        }
    }

    @Test func theCopyDataHoldsExactlyTheRowsTheReaderAnswers() throws {
        var random = SplitMix64(seed: 0xFA57_0003)
        let known: Set<String> = ["FR", "DE", "ES"]
        for index in 0..<2000 {
            let input = randomFile(&random)
            guard case .items(let items) = answer({ try WorkforceCSVReader.read(input, knownCountries: known) }) else { continue }
            var reader = WorkforceCSVReader(knownCountries: known)
            var staging = WorkforceStaging()
            var start = 0
            while start < input.count {
                let end = min(input.count, start + random.int(1...40))
                try reader.feed(input[start..<end], into: &staging)
                start = end
            }
            try reader.finish(into: &staging)
            let rows = items.compactMap { if case .row(let row) = $0 { row } else { nil } }
            let rejections = items.compactMap { if case .rejected(let rejection) = $0 { rejection } else { nil } }
            #expect(decodeCopy(staging.copyData) == rows.map(copyFields), "case \(index)")
            #expect(staging.rows == rows.count && staging.rejected == rejections && staging.rejectedCount == rejections.count, "case \(index)")
        }
    }

    /// UK is what people call GB: the rejection says which code is meant.
    @Test func anUnknownCodeThatIsAUsualNameSaysWhichCodeIsMeant() throws {
        let items = try WorkforceCSVReader.read(Array("external_id,country\na,UK\n".utf8), knownCountries: ["GB"])
        #expect(items == [
            .rejected(WorkforceRejection(line: 2, error: "unknown country code 'UK' (not an ISO 3166-1 alpha-2 code; did you mean GB?)")),
        ])
    }

    @Test func unknownCountriesAreRejectedInLineOrderAndStillClaimTheirID() throws {
        let file = "external_id,country\na,FR\nb,QQ\nc,zz\nb,FR\nd,de\ne,D\n"
        let items = try WorkforceCSVReader.read(Array(file.utf8), knownCountries: ["FR", "DE"])
        #expect(items == [
            .row(WorkforceRow(line: 2, externalID: "a", country: "FR")),
            .rejected(WorkforceRejection(line: 3, error: "unknown country code 'QQ' (not an ISO 3166-1 alpha-2 code)")),
            .rejected(WorkforceRejection(line: 4, error: "unknown country code 'ZZ' (not an ISO 3166-1 alpha-2 code)")),
            .rejected(WorkforceRejection(line: 5, error: "external_id 'b' already appears on line 3")),
            .row(WorkforceRow(line: 6, externalID: "d", country: "DE")),
            .rejected(WorkforceRejection(line: 7, error: "country 'D' is not a country: give an ISO 3166-1 alpha-2 code (FR), an alpha-3 code (FRA) or the English name (France)")),
        ])
    }

    @Test func copyDataEscapesTabsBackslashesAndLineBreaks() throws {
        let file = "external_id,display_name,country,site,active\n x-1 ,\"a\tb\\c\",fr,\"two\r\nlines\",NO\nzoë,Zoë,DE,,\n"
        var reader = WorkforceCSVReader()
        var staging = WorkforceStaging()
        try reader.feed(Array(file.utf8), into: &staging)
        try reader.finish(into: &staging)
        let expected = "2\tx-1\t\\N\ta\\tb\\\\c\tFR\ttwo\\r\\nlines\t\\N\tundisclosed\t\\N\tf\t\\N\t\\N\n"
            + "4\tzoë\t\\N\tZoë\tDE\t\\N\t\\N\tundisclosed\t\\N\tt\t\\N\t\\N\n"
        #expect(String(decoding: staging.copyData, as: UTF8.self) == expected)
        #expect(WorkforceStaging.columns.count == 12)
    }
}

/// A row as the staging table's columns, in COPY text (nil for NULL).
private func copyFields(_ row: WorkforceRow) -> [String?] {
    [String(row.line), row.externalID, row.email, row.displayName, row.country, row.site, row.orgUnit, row.gender.rawValue,
     row.managerExternalID, row.active ? "t" : "f", row.preferredLanguage, row.timeZone]
}

/// COPY text format back into fields: rows end with LF, fields are separated by tabs, `\N` is NULL.
private func decodeCopy(_ data: [UInt8]) -> [[String?]] {
    var rows: [[String?]] = []
    var fields: [String?] = []
    var field: [UInt8] = []
    var null = false
    var index = 0
    while index < data.count {
        let byte = data[index]
        switch byte {
        case 0x5C:
            index += 1
            switch data[index] {
            case UInt8(ascii: "N"): null = true
            case UInt8(ascii: "t"): field.append(0x09)
            case UInt8(ascii: "n"): field.append(0x0A)
            case UInt8(ascii: "r"): field.append(0x0D)
            default: field.append(data[index])
            }
        case 0x09, 0x0A:
            fields.append(null ? nil : String(decoding: field, as: UTF8.self))
            field = []
            null = false
            if byte == 0x0A {
                rows.append(fields)
                fields = []
            }
        default:
            field.append(byte)
        }
        index += 1
    }
    return rows
}
