import Foundation
import MobiliseDomain
import Testing

/// Parses `text` fed in chunks of `chunkSize` bytes, to prove chunk boundaries never matter.
private func parse(_ text: String, chunkSize: Int = 1, limits: CSVParser.Limits = CSVParser.Limits()) -> [CSVParser.Output] {
    parse(Array(text.utf8), chunkSize: chunkSize, limits: limits)
}

private func parse(_ bytes: [UInt8], chunkSize: Int = 1, limits: CSVParser.Limits = CSVParser.Limits()) -> [CSVParser.Output] {
    var parser = CSVParser(limits: limits)
    var outputs: [CSVParser.Output] = []
    var start = 0
    while start < bytes.count {
        let end = min(start + chunkSize, bytes.count)
        parser.feed(bytes[start..<end]) { outputs.append($0) }
        start = end
    }
    parser.finish { outputs.append($0) }
    return outputs
}

private func read(_ text: String) throws -> [WorkforceCSVItem] {
    try WorkforceCSVReader.read(Array(text.utf8))
}

private func rows(_ items: [WorkforceCSVItem]) -> [WorkforceRow] {
    items.compactMap { if case .row(let row) = $0 { row } else { nil } }
}

private func rejections(_ items: [WorkforceCSVItem]) -> [WorkforceRejection] {
    items.compactMap { if case .rejected(let rejection) = $0 { rejection } else { nil } }
}

@Suite struct CSVParserTests {
    @Test(arguments: [1, 2, 3, 7, 4096])
    func quotedFieldsHoldCommasDoubledQuotesAndNewlines(chunkSize: Int) {
        let text = "a,b,c\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\nplain,,end\n"
        #expect(parse(text, chunkSize: chunkSize) == [
            .record(line: 1, fields: ["a", "b", "c"]),
            .record(line: 2, fields: ["x, y", "say \"hi\"", "two\nlines"]),
            .record(line: 4, fields: ["plain", "", "end"]),
        ])
    }

    @Test(arguments: [1, 2, 4096])
    func aByteOrderMarkIsSkippedEvenWhenSplitAcrossChunks(chunkSize: Int) {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("id,name\n1,é\n".utf8)
        #expect(parse(bytes, chunkSize: chunkSize) == [
            .record(line: 1, fields: ["id", "name"]),
            .record(line: 2, fields: ["1", "é"]),
        ])
    }

    @Test func aFileShorterThanAByteOrderMarkIsData() {
        #expect(parse("ab") == [.record(line: 1, fields: ["ab"])])
        #expect(parse([0xEF, 0xBB]) == [.malformed(line: 1, reason: "field 1 is not valid UTF-8 (save the file as UTF-8)")])
    }

    @Test(arguments: [1, 5, 4096])
    func crlfLineEndsAndAMissingTrailingNewline(chunkSize: Int) {
        let text = "a,b\r\n1,2\r\n\"multi\r\nline\",3\r\nlast,4"
        #expect(parse(text, chunkSize: chunkSize) == [
            .record(line: 1, fields: ["a", "b"]),
            .record(line: 2, fields: ["1", "2"]),
            .record(line: 3, fields: ["multi\r\nline", "3"]),
            .record(line: 5, fields: ["last", "4"]),
        ])
    }

    @Test func blankLinesAreSkippedButCounted() {
        #expect(parse("a\n\n\r\nb\n\n") == [.record(line: 1, fields: ["a"]), .record(line: 4, fields: ["b"])])
        #expect(parse("") == [])
        #expect(parse("a,\n") == [.record(line: 1, fields: ["a", ""])])
        #expect(parse("\"\"\n") == [.record(line: 1, fields: [""])])
    }

    @Test func aQuoteLeftOpenAtTheEndIsARejectionForItsLine() {
        #expect(parse("a,b\n1,\"open\nstill open\n") == [
            .record(line: 1, fields: ["a", "b"]),
            .malformed(line: 2, reason: "a quoted field opened on line 2 is never closed (a stray \" in the file?)"),
        ])
    }

    @Test func textAfterAClosingQuoteRejectsTheRecordOnly() {
        #expect(parse("\"a\"b,c\nd,e\n") == [
            .malformed(line: 1, reason: "field 1 has text after its closing quote (a quote inside a quoted field must be doubled: \"\")"),
            .record(line: 2, fields: ["d", "e"]),
        ])
    }

    @Test func invalidUTF8RejectsTheRecordOnly() {
        let bytes = Array("a,b\n".utf8) + [0x31, 0x2C, 0xFF, 0xFE, 0x0A] + Array("2,ok\n".utf8)
        #expect(parse(bytes, chunkSize: 3) == [
            .record(line: 1, fields: ["a", "b"]),
            .malformed(line: 2, reason: "field 2 is not valid UTF-8 (save the file as UTF-8)"),
            .record(line: 3, fields: ["2", "ok"]),
        ])
    }

    @Test func aHugeFieldIsRejectedWithoutBeingKept() {
        let limits = CSVParser.Limits(maxFieldBytes: 1024, maxFields: 8)
        let huge = String(repeating: "x", count: 1_000_000)
        #expect(parse("a,\(huge)\nb,small\n", chunkSize: 65_536, limits: limits) == [
            .malformed(line: 1, reason: "field 2 is longer than the limit of 1024 bytes"),
            .record(line: 2, fields: ["b", "small"]),
        ])
        // The default limit is 64 KiB.
        let outputs = parse("\"\(String(repeating: "y", count: 70_000))\"\n", chunkSize: 65_536)
        #expect(outputs == [.malformed(line: 1, reason: "field 1 is longer than the limit of 65536 bytes")])
    }

    @Test func tooManyFieldsIsARejection() {
        let limits = CSVParser.Limits(maxFields: 4)
        #expect(parse("1,2,3,4,5,6\n1,2\n", limits: limits) == [
            .malformed(line: 1, reason: "the record has more than 4 fields"),
            .record(line: 2, fields: ["1", "2"]),
        ])
    }
}

@Suite struct WorkforceCSVTests {
    static let header = "external_id,email,display_name,country,gender,site,org_unit,manager_external_id,active\n"

    @Test func readsAndNormalisesAGoodRow() throws {
        let items = try read(Self.header + " E1 , ana@example.com ,\"Souza, Ana\",br,Female,São Paulo,Energy/Buildings,M9,no\nE2,,,fr,,,,,\n")
        #expect(rows(items) == [
            WorkforceRow(line: 2, externalID: "E1", email: "ana@example.com", displayName: "Souza, Ana", country: "BR",
                         site: "São Paulo", orgUnit: "Energy/Buildings", gender: .female, managerExternalID: "M9", active: false),
            WorkforceRow(line: 3, externalID: "E2", country: "FR"),
        ])
    }

    @Test func columnsMayComeInAnyOrderAndOptionalOnesMayBeMissing() throws {
        let items = try read("country , external_id\nIN,E1\n")
        #expect(rows(items) == [WorkforceRow(line: 2, externalID: "E1", country: "IN")])
    }

    @Test func badValuesAreRejectedWithSentencesAndLines() throws {
        let text = Self.header + """
            E1,,,FR,M,,,,
            E2,not-an-email,,FR,,,,,
            E3,,,Atlantis,,,,,maybe
            ,,,,,,,,
            E5,,,US,,,,
            E6,a@b.co,,us,male,,,,1

            """
        let items = try read(text)
        #expect(rejections(items).map(\.description) == [
            "line 2: unknown gender 'M' (expected female, male, non_binary or undisclosed)",
            "line 3: email 'not-an-email' does not look like an email address",
            "line 4: country 'Atlantis' is not a country: give an ISO 3166-1 alpha-2 code (FR), an alpha-3 code (FRA) or the English name (France); "
                + "active 'maybe' is not a yes/no value (expected true, false, 1, 0, yes or no)",
            "line 5: external_id is empty; country is empty (an ISO 3166-1 alpha-2 code is required, e.g. FR)",
            "line 6: expected 9 fields as in the header, found 8",
        ])
        #expect(rows(items) == [WorkforceRow(line: 7, externalID: "E6", email: "a@b.co", country: "US", gender: .male)])
    }

    @Test func aPersonsLanguageAndTimeZoneAreCheckedAndNormalised() throws {
        let text = """
            external_id,country,preferred_language,time_zone
            E1,US,fr-ca,america/chicago
            E2,US,PT_br,
            E3,US,,Asia/Tokyo
            E4,US,zh-hant-TW,Europe/Kiev
            E5,US,français,Europe/Paris
            E6,US,en,GMT+1
            E7,US,x-klingon,Mars/Olympus_Mons
            E8,US,\(String(repeating: "a", count: 8))-\(String(repeating: "b", count: 30)),UTC

            """
        let items = try read(text)
        #expect(rows(items) == [
            WorkforceRow(line: 2, externalID: "E1", country: "US", preferredLanguage: "fr-CA", timeZone: "America/Chicago"),
            WorkforceRow(line: 3, externalID: "E2", country: "US", preferredLanguage: "pt-BR"),
            WorkforceRow(line: 4, externalID: "E3", country: "US", timeZone: "Asia/Tokyo"),
            WorkforceRow(line: 5, externalID: "E4", country: "US", preferredLanguage: "zh-Hant-TW", timeZone: "Europe/Kiev"),
        ])
        #expect(rejections(items).map(\.description) == [
            "line 6: preferred_language 'français' is not a language tag (BCP 47, e.g. fr, pt-BR or zh-Hans)",
            "line 7: time_zone 'GMT+1' is not a time zone of the IANA database (e.g. Europe/Paris or America/Chicago)",
            "line 8: preferred_language 'x-klingon' is not a language tag (BCP 47, e.g. fr, pt-BR or zh-Hans); "
                + "time_zone 'Mars/Olympus_Mons' is not a time zone of the IANA database (e.g. Europe/Paris or America/Chicago)",
            "line 9: preferred_language is 39 characters long (the limit is 35)",
        ])
    }

    @Test func aPersonsLanguageResolvesToACatalogueLanguageOrNone() {
        let cases: [(String, String?)] = [
            ("fr", "fr"), ("fr-CA", "fr"), ("pt", "pt-BR"), ("pt-PT", "pt-BR"), ("zh", "zh-Hans"), ("zh-CN", "zh-Hans"),
            ("zh-Hans-SG", "zh-Hans"), ("zh-TW", nil), ("zh-Hant", nil), ("en-US", "en"), ("en_GB", "en"), ("it", nil),
            ("hi-IN", "hi"), ("ZH-HANS", "zh-Hans"), ("not a tag", nil),
        ]
        for (tag, expected) in cases { #expect(PersonLocale.catalogueLanguage(tag) == expected, "\(tag)") }
        #expect(PersonLocale.suggestedTimeZones.allSatisfy { PersonLocale.timeZone($0) == $0 })
    }

    @Test func fieldLengthLimitsAreEnforcedInCharacters() throws {
        let longName = String(repeating: "é", count: 201)
        let longID = String(repeating: "i", count: 201)
        let items = try read("external_id,country,display_name\nE1,FR,\(longName)\n\(longID),FR,ok\nE3,FR,\(String(repeating: "é", count: 200))\n")
        #expect(rejections(items).map(\.description) == [
            "line 2: display_name is 201 characters long (the limit is 200)",
            "line 3: external_id is 201 characters long (the limit is 200)",
        ])
        #expect(rows(items).map(\.externalID) == ["E3"])
    }

    @Test func repeatsOfAnExternalIDAreRejectedWithTheFirstLine() throws {
        let items = try read("external_id,country,gender\nE1,FR,\nE2,FR,\nE1,DE,\nE3,FR,bad\nE3,FR,\nE1,FR,\n")
        #expect(rejections(items).map(\.description) == [
            "line 4: external_id 'E1' already appears on line 2",
            "line 5: unknown gender 'bad' (expected female, male, non_binary or undisclosed)",
            "line 6: external_id 'E3' already appears on line 5",
            "line 7: external_id 'E1' already appears on line 2",
        ])
        #expect(rows(items).map(\.externalID) == ["E1", "E2"])
    }

    @Test func lineNumbersFollowQuotedFieldsThatSpanLines() throws {
        let text = "external_id,country,display_name\r\nE1,FR,\"one\r\ntwo\r\nthree\"\r\nE2,XX,x\r\nE3,FR,\"open"
        let items = try read(text)
        #expect(rows(items).map(\.line) == [2, 5])
        #expect(rows(items).first?.displayName == "one\r\ntwo\r\nthree")
        #expect(rejections(items) == [
            WorkforceRejection(line: 6, error: "a quoted field opened on line 6 is never closed (a stray \" in the file?)"),
        ])
    }

    @Test func invalidUTF8AndNULAreRejectionsNotCrashes() throws {
        let bytes = Array("external_id,country,display_name\nE1,FR,".utf8) + [0xC3, 0x28] + Array("\nE2,FR,a\u{0}b\nE3,FR,ok".utf8)
        let items = try WorkforceCSVReader.read(bytes)
        #expect(rejections(items).map(\.description) == [
            "line 2: field 3 is not valid UTF-8 (save the file as UTF-8)",
            "line 3: display_name contains a NUL character",
        ])
        #expect(rows(items).map(\.externalID) == ["E3"])
    }

    /// A NUL inside a field (`a\0b`) once reached the database as `a`. Every column refuses it,
    /// on the all-ASCII fast path and on the general one, quoted or not, with the line's number.
    @Test func aNULInAnyFieldRejectsItsLine() throws {
        let columns = ["external_id", "email", "display_name", "country", "gender", "site", "org_unit", "manager_external_id", "active"]
        let good = ["E0", "e@acme.example", "Ana", "FR", "female", "Paris", "Energy", "E9", "true"]
        var text = columns.joined(separator: ",") + "\n"
        var expected: [String] = []
        var line = 2
        for (position, column) in columns.enumerated() {
            for (variant, value) in ["a\u{0}b", "\u{0}", "ab\u{0}", "\"q\u{0}uoted\"", "Zoë\u{0}x"].enumerated() {
                var fields = good
                fields[0] = "E\(position)-\(variant)"
                fields[position] = value
                text += fields.joined(separator: ",") + "\n"
                expected.append("line \(line): \(column)")
                line += 1
            }
        }
        text += good.joined(separator: ",") + "\n"
        let items = try read(text)
        let found = rejections(items).map(\.description)
        #expect(found.count == expected.count, "\(found)")
        for (reason, prefix) in zip(found, expected) {
            #expect(reason.hasPrefix(prefix) && reason.contains("NUL"), "\(reason) (expected \(prefix) … NUL)")
        }
        #expect(rows(items).map(\.externalID) == ["E0"])
    }

    @Test func aWrongHeaderFailsTheWholeFile() throws {
        func headerError(_ text: String) -> MobiliseError? {
            #expect(throws: MobiliseError.self) { try read(text) }
        }
        let unknown = headerError("external_id,country,shoe_size,Email\nE1,FR,42,x\n")
        #expect(unknown?.code == .invalidHeader)
        #expect(unknown?.kind == .invalid)
        #expect(unknown?.message.hasPrefix("the header names unknown columns 'shoe_size', 'Email' (expected: external_id, email,") == true)
        let missing = headerError("external_id,email\nE1,a@b.co\n")
        #expect(missing?.message.hasPrefix("the header lacks the required column 'country'") == true)
        #expect(headerError("external_id,country,\nA,FR,\n")?.message.hasPrefix("the header names unknown column an unnamed column (position 3)") == true)
        #expect(headerError("external_id,country,country\n")?.message == "the header names 'country' more than once")
        #expect(headerError("")?.message.hasPrefix("the file is empty") == true)
        #expect(headerError("\u{FEFF}")?.code == .invalidHeader)
        #expect(headerError("external_id,\"country\n")?.message.hasPrefix("the header on line 1 cannot be read") == true)
    }

    @Test func aByteOrderMarkBeforeTheHeaderIsIgnored() throws {
        let items = try WorkforceCSVReader.read([0xEF, 0xBB, 0xBF] + Array("external_id,country\r\nE1,fr\r\n".utf8))
        #expect(rows(items) == [WorkforceRow(line: 2, externalID: "E1", country: "FR")])
    }

    @Test func activeAndGenderAcceptTheirSpellings() throws {
        let text = "external_id,country,active,gender\nA,FR,TRUE,non_binary\nB,FR,0,undisclosed\nC,FR,Yes,MALE\nD,FR,false,\n"
        let parsed = rows(try read(text))
        #expect(parsed.map(\.active) == [true, false, true, false])
        #expect(parsed.map(\.gender) == [.nonBinary, .undisclosed, .male, .undisclosed])
    }

    @Test func tooManyRowsFailsTheFile() throws {
        var reader = WorkforceCSVReader(limits: WorkforceCSV.Limits(maxRows: 2))
        let error = #expect(throws: MobiliseError.self) {
            try reader.feed(Array("external_id,country\nA,FR\nB,FR\nC,FR\n".utf8)) { _ in }
        }
        #expect(error?.code == .tooManyRows)
        #expect(error?.kind == .tooLarge)
    }

    @Test func emailsThatLookLikeEmails() {
        #expect(WorkforceCSV.looksLikeEmail("ana.souza+hr@se.example.com"))
        #expect(!WorkforceCSV.looksLikeEmail("ana@localhost"))
        #expect(!WorkforceCSV.looksLikeEmail("ana@@example.com"))
        #expect(!WorkforceCSV.looksLikeEmail("ana souza@example.com"))
        #expect(!WorkforceCSV.looksLikeEmail("@example.com"))
        #expect(!WorkforceCSV.looksLikeEmail("ana@example..com"))
    }
}
