import Foundation
import MobiliseDomain
import Testing

// Seeded property tests of the parsers the domain owns: the workforce CSV (parser and reader) and
// media sniffing. Every case is drawn from a fixed seed, so a failure names its seed and case and
// reproduces exactly.

// MARK: - CSV

/// Physical lines of `bytes` as the parser counts them: CR, LF and CRLF each end one line.
private func physicalLines(_ bytes: [UInt8]) -> Int {
    var lines = 1
    var previousCR = false
    for byte in bytes {
        if byte == 0x0A, previousCR {
            previousCR = false
            continue
        }
        if byte == 0x0A || byte == 0x0D { lines += 1 }
        previousCR = byte == 0x0D
    }
    return lines
}

private func line(of output: CSVParser.Output) -> Int {
    switch output {
    case .record(let line, _), .malformed(let line, _): line
    }
}

/// Parses `bytes` in random chunks (the way an upload arrives).
private func parseInChunks(_ bytes: [UInt8], limits: CSVParser.Limits, random: inout SplitMix64) -> [CSVParser.Output] {
    var parser = CSVParser(limits: limits)
    var outputs: [CSVParser.Output] = []
    var start = 0
    while start < bytes.count {
        let end = min(bytes.count, start + random.int(1...max(1, bytes.count / 3 + 1)))
        parser.feed(bytes[start..<end]) { outputs.append($0) }
        start = end
    }
    parser.finish { outputs.append($0) }
    return outputs
}

/// Bytes that matter to CSV, weighted towards the interesting ones.
private func csvNoise(_ count: Int, random: inout SplitMix64) -> [UInt8] {
    let special: [UInt8] = [0x22, 0x2C, 0x0D, 0x0A, 0x22, 0x2C, 0x0A, 0xEF, 0xBB, 0xBF, 0x00, 0xFF, 0xC3, 0xA9, 0xED, 0xA0, 0x80, 0x20]
    return (0..<count).map { _ in
        random.chance(0.4) ? random.pick(special) : (random.chance(0.8) ? UInt8(random.int(0x61...0x7A)) : UInt8(random.int(0...255)))
    }
}

/// The invariants every parse keeps, whatever the input.
private func checkInvariants(_ outputs: [CSVParser.Output], input: [UInt8], limits: CSVParser.Limits, _ context: String) {
    let lines = physicalLines(input)
    var previous = 0
    for output in outputs {
        let line = line(of: output)
        #expect((1...lines).contains(line), "\(context): line \(line) outside 1...\(lines)")
        #expect(line > previous, "\(context): line \(line) after \(previous)")
        previous = line
        switch output {
        case .record(_, let fields):
            #expect(!fields.isEmpty && fields.count <= limits.maxFields, "\(context): \(fields.count) fields")
            #expect(fields.allSatisfy { $0.utf8.count <= limits.maxFieldBytes }, "\(context): a field over the limit")
        case .malformed(_, let reason):
            #expect(!reason.isEmpty, "\(context)")
        }
    }
}

@Suite struct CSVFuzzTests {
    @Test func randomBytesNeverCrashAndKeepLinesInRange() {
        var random = SplitMix64(seed: 0xC5F0_0001)
        for index in 0..<3000 {
            let input = csvNoise(random.int(0...600), random: &random)
            let limits = CSVParser.Limits(maxFieldBytes: random.int(1...80), maxFields: random.int(1...12))
            let whole = CSVParser.parse(input, limits: limits)
            checkInvariants(whole, input: input, limits: limits, "case \(index)")
            // Chunk boundaries (even inside a BOM or a CRLF) never change the result.
            #expect(parseInChunks(input, limits: limits, random: &random) == whole, "case \(index): chunked parse differs")
        }
    }

    /// Records of random fields (with quotes, commas, newlines, accents and sometimes invalid
    /// UTF-8), written as RFC 4180 CSV: each comes back exactly, or as a rejection on its own line
    /// when it holds invalid UTF-8; the records around it are unaffected.
    @Test func wellQuotedRecordsRoundTripAndInvalidUTF8IsRejectedOnItsLine() {
        var random = SplitMix64(seed: 0xC5F0_0002)
        let pieces: [[UInt8]] = [
            Array("a".utf8), Array("Zoë".utf8), Array("\"".utf8), Array(",".utf8), Array("\n".utf8), Array("\r\n".utf8),
            Array(" ".utf8), Array("'; DROP TABLE employees; --".utf8), Array("日本".utf8), Array("x".utf8),
        ]
        // Each stays invalid whatever surrounds it.
        let invalid: [[UInt8]] = [[0xFF], [0xC3, 0x28], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xF8, 0x88, 0x80, 0x80, 0x80], [0xFE]]
        for index in 0..<2500 {
            var input: [UInt8] = random.chance(0.1) ? [0xEF, 0xBB, 0xBF] : []
            var expected: [CSVParser.Output] = []
            var line = 1
            for _ in 0..<random.int(1...8) {
                let start = line
                var fields: [[UInt8]] = []
                var broken = false
                for _ in 0..<random.int(1...6) {
                    var field: [UInt8] = []
                    for _ in 0..<random.int(0...5) {
                        if random.chance(0.03) {
                            field += random.pick(invalid)
                            broken = true
                        } else {
                            field += random.pick(pieces)
                        }
                    }
                    fields.append(field)
                }
                for (position, field) in fields.enumerated() {
                    if position > 0 { input.append(0x2C) }
                    input.append(0x22)
                    for byte in field {
                        input.append(byte)
                        if byte == 0x22 { input.append(0x22) }
                    }
                    input.append(0x22)
                    line += physicalLines(field) - 1
                }
                input += random.chance(0.5) ? [0x0A] : [0x0D, 0x0A]
                line += 1
                expected.append(broken
                    ? .malformed(line: start, reason: "")
                    : .record(line: start, fields: fields.map { String(decoding: $0, as: UTF8.self) }))
            }
            let outputs = parseInChunks(input, limits: CSVParser.Limits(), random: &random)
            #expect(outputs.count == expected.count, "case \(index)")
            for (output, wanted) in zip(outputs, expected) {
                switch (output, wanted) {
                case (.malformed(let line, let reason), .malformed(let wantedLine, _)):
                    #expect(line == wantedLine && reason.contains("UTF-8"), "case \(index): \(output)")
                default:
                    #expect(output == wanted, "case \(index)")
                }
            }
        }
    }

    @Test func brokenQuotesAreRejectionsWithinTheFile() {
        var random = SplitMix64(seed: 0xC5F0_0003)
        for index in 0..<2500 {
            var input = Array("external_id,country,display_name\n".utf8)
            for row in 0..<random.int(1...10) {
                input += Array("e-\(row),FR,\"Name, \"\"quoted\"\" \(row)\"\n".utf8)
            }
            // Insert, delete or double quotes at random places.
            for _ in 0..<random.int(1...4) {
                let position = random.int(0...input.count - 1)
                switch random.int(0...2) {
                case 0: input.insert(0x22, at: position)
                case 1: if input[position] == 0x22 || random.chance(0.3) { input.remove(at: position) }
                default: input.insert(contentsOf: [0x22, 0x22, 0x22], at: position)
                }
                if input.isEmpty { input = [0x22] }
            }
            let limits = CSVParser.Limits()
            let outputs = parseInChunks(input, limits: limits, random: &random)
            checkInvariants(outputs, input: input, limits: limits, "case \(index)")
            checkReader(input, limits: WorkforceCSV.Limits(), "case \(index)")
        }
    }

    @Test func hugeFieldsAreRejectedAndTheNextRecordStillReads() {
        var random = SplitMix64(seed: 0xC5F0_0004)
        for index in 0..<2500 {
            let limit = random.int(1...64)
            let size = limit + random.int(1...(limit * 40))
            let quoted = random.chance(0.5)
            let huge = quoted ? "\"" + String(repeating: "ab,\n", count: size / 4 + 1) + "\"" : String(repeating: "z", count: size)
            let text = "first,1\n\(huge),2\nlast,3\n"
            let limits = CSVParser.Limits(maxFieldBytes: limit, maxFields: 8)
            let outputs = parseInChunks(Array(text.utf8), limits: limits, random: &random)
            checkInvariants(outputs, input: Array(text.utf8), limits: limits, "case \(index)")
            guard outputs.count == 3 else {
                Issue.record("case \(index): \(outputs.count) outputs")
                continue
            }
            if case .malformed(let line, let reason) = outputs[1] {
                #expect(line == 2 && reason.contains("longer than the limit of \(limit) bytes"), "case \(index)")
            } else {
                Issue.record("case \(index): a \(size)-byte field passed a \(limit)-byte limit")
            }
            let lastLine = 3 + (quoted ? huge.filter { $0 == "\n" }.count : 0)
            #expect(outputs[2] == .record(line: lastLine, fields: ["last", "3"]) || limit < 4, "case \(index): \(outputs[2])")
        }
        // One field of 8 MiB against the default limit (64 KiB): refused, memory bounded by the limit.
        let field = [UInt8](repeating: 0x41, count: 8 << 20)
        let outputs = CSVParser.parse(Array("a,b\n".utf8) + field + Array(",x\nc,d\n".utf8))
        #expect(outputs.count == 3)
        if case .malformed(let line, _) = outputs[1] { #expect(line == 2) } else { Issue.record("8 MiB field accepted") }
        #expect(outputs[2] == .record(line: 3, fields: ["c", "d"]))
    }

    @Test func manyColumnsAreRejectedUpToAMillion() throws {
        var random = SplitMix64(seed: 0xC5F0_0005)
        for index in 0..<2500 {
            let maxFields = random.int(1...64)
            let columns = random.int(1...(maxFields * 3))
            let record = (0..<columns).map { "c\($0)" }.joined(separator: ",")
            let limits = CSVParser.Limits(maxFieldBytes: 64, maxFields: maxFields)
            let outputs = CSVParser.parse(Array("\(record)\nok\n".utf8), limits: limits)
            checkInvariants(outputs, input: Array("\(record)\nok\n".utf8), limits: limits, "case \(index)")
            if columns <= maxFields {
                #expect(outputs.first == .record(line: 1, fields: (0..<columns).map { "c\($0)" }), "case \(index)")
            } else if case .malformed(1, let reason)? = outputs.first {
                #expect(reason.contains("more than \(maxFields) fields"), "case \(index)")
            } else {
                Issue.record("case \(index): \(columns) columns passed a limit of \(maxFields)")
            }
            #expect(outputs.last == .record(line: 2, fields: ["ok"]), "case \(index)")
        }
        // A million columns, as a header and as a data row: a typed refusal, never a crash.
        let million = [UInt8](repeating: 0x2C, count: 1_000_000)
        #expect(throws: MobiliseError.self) { _ = try WorkforceCSVReader.read(million + [0x0A]) }
        let items = try WorkforceCSVReader.read(Array("external_id,country\n".utf8) + million + Array("\ne-1,FR\n".utf8))
        #expect(items.count == 2)
        if case .rejected(let rejection)? = items.first { #expect(rejection.line == 2) } else { Issue.record("a million columns accepted") }
    }

    /// The reader on random files with a valid header and random rows: rows or rejections with
    /// lines inside the file, or a typed error; never a crash.
    @Test func readerOnRandomFilesAnswersRowsRejectionsOrATypedError() {
        var random = SplitMix64(seed: 0xC5F0_0006)
        let headers = [
            "external_id,email,display_name,country,gender,site,org_unit,manager_external_id,active",
            "external_id,country", "country,external_id,gender", "external_id", "external_id,country,country", "",
        ]
        let values = ["e-1", "e-2", "FR", "fr", "F", "FRA", "female", "M", "yes", "maybe", "a@b.example", "not-an-email",
                      "\"q,uoted\"", "\"", "\u{0}", "  ", "Zoë", String(repeating: "n", count: 300)]
        for index in 0..<2500 {
            var input: [UInt8] = Array(random.pick(headers).utf8) + [0x0A]
            for _ in 0..<random.int(0...12) {
                if random.chance(0.15) {
                    input += csvNoise(random.int(1...40), random: &random)
                } else {
                    input += Array((0..<random.int(1...9)).map { _ in random.pick(values) }.joined(separator: ",").utf8)
                }
                input += random.chance(0.8) ? [0x0A] : [0x0D, 0x0A]
            }
            let maxRows = random.int(1...15)
            checkReader(input, limits: WorkforceCSV.Limits(maxRows: maxRows), "case \(index)")
        }
    }
}

/// The reader's invariants on `input`: items whose lines are inside the file and increasing, rows
/// with an id and a two-letter country, or a ``MobiliseError`` (nothing else).
private func checkReader(_ input: [UInt8], limits: WorkforceCSV.Limits, _ context: String) {
    let lines = physicalLines(input)
    do {
        let items = try WorkforceCSVReader.read(input, limits: limits)
        #expect(items.count <= limits.maxRows, "\(context)")
        var previous = 1
        for item in items {
            switch item {
            case .row(let row):
                #expect(row.line > previous && row.line <= lines, "\(context): row on line \(row.line) of \(lines)")
                #expect(!row.externalID.isEmpty && row.country.utf8.count == 2, "\(context)")
                previous = row.line
            case .rejected(let rejection):
                #expect(rejection.line > previous && rejection.line <= lines, "\(context): rejection on line \(rejection.line) of \(lines)")
                #expect(!rejection.error.isEmpty, "\(context)")
                previous = rejection.line
            }
        }
    } catch let error as MobiliseError {
        #expect(["invalid_header", "too_many_rows"].contains(error.code.rawValue), "\(context): \(error)")
    } catch {
        Issue.record("\(context): untyped error \(error)")
    }
}

// MARK: - Media

/// The documented checks of each kind, written again independently of the sniffer: a file the
/// sniffer accepts as a type must pass that type's checks.
private enum MediaChecks {
    static func be32(_ b: [UInt8], _ at: Int) -> Int { Int(b[at]) << 24 | Int(b[at + 1]) << 16 | Int(b[at + 2]) << 8 | Int(b[at + 3]) }
    static func le32(_ b: [UInt8], _ at: Int) -> Int { Int(b[at + 3]) << 24 | Int(b[at + 2]) << 16 | Int(b[at + 1]) << 8 | Int(b[at]) }

    static func passes(_ type: MediaType, _ b: [UInt8]) -> Bool {
        switch type {
        case .jpeg:
            return jpeg(b)
        case .png:
            guard b.count >= 45, Array(b[0..<8]) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] else { return false }
            guard Array(b[8..<16]) == [0, 0, 0, 13] + Array("IHDR".utf8) else { return false }
            return Array(b[(b.count - 12)...]) == [0, 0, 0, 0] + Array("IEND".utf8) + [0xAE, 0x42, 0x60, 0x82]
        case .webp:
            guard b.count >= 20, Array(b[0..<4]) == Array("RIFF".utf8), Array(b[8..<12]) == Array("WEBP".utf8) else { return false }
            guard le32(b, 4) + 8 == b.count else { return false }
            return ["VP8 ", "VP8L", "VP8X"].contains(String(decoding: b[12..<16], as: UTF8.self))
        case .mp4:
            guard b.count >= 16, Array(b[4..<8]) == Array("ftyp".utf8) else { return false }
            let ftyp = be32(b, 0)
            guard ftyp >= 16, ftyp <= b.count, (ftyp - 16) % 4 == 0 else { return false }
            let brands = [8] + stride(from: 16, to: ftyp, by: 4).map { $0 }
            let known: Set<String> = ["isom", "iso2", "iso3", "iso4", "iso5", "iso6", "iso7", "iso8", "iso9",
                                      "mp41", "mp42", "avc1", "M4V ", "M4A ", "dash", "mmp4", "MSNV", "f4v "]
            guard brands.contains(where: { known.contains(String(decoding: b[$0..<($0 + 4)], as: UTF8.self)) }) else { return false }
            var offset = ftyp
            var movie = false
            while offset < b.count {
                guard b.count - offset >= 8 else { return false }
                var size = be32(b, offset)
                if size == 1 {
                    guard b.count - offset >= 16 else { return false }
                    let high = be32(b, offset + 8)
                    guard high == 0 else { return false }  // more than 4 GiB: longer than any test file
                    size = be32(b, offset + 12)
                    guard size >= 16 else { return false }
                } else if size == 0 {
                    size = b.count - offset
                } else if size < 8 {
                    return false
                }
                guard size <= b.count - offset else { return false }
                if Array(b[(offset + 4)..<(offset + 8)]) == Array("moov".utf8) { movie = true }
                offset += size
            }
            return movie
        }
    }
}

extension MediaChecks {
    /// SOI; then segments tiling the file up to EOI: a marker after optional FF fill, standalone
    /// (01, D0–D7) or with a length ≥ 2 inside the file; SOFn (C0–CF but C4, C8, CC) with
    /// Nf ≥ 1, X > 0 and length 8 + 3·Nf before any SOS; SOS with Ns 1…4 and length 6 + 2·Ns,
    /// then entropy data in which FF is followed only by 00, D0–D7 or FF until the next marker;
    /// at least one SOS before EOI; anything after EOI.
    static func jpeg(_ b: [UInt8]) -> Bool {
        guard b.count >= 4, b[0] == 0xFF, b[1] == 0xD8, b[2] == 0xFF, b[3] >= 0xC0, b[3] != 0xFF else { return false }
        var i = 2
        var frame = false, scan = false
        while true {
            guard i < b.count, b[i] == 0xFF else { return false }
            while i < b.count && b[i] == 0xFF { i += 1 }
            guard i < b.count else { return false }
            let code = b[i]
            i += 1
            if code == 0xD9 { return scan }
            if code == 0x01 || (0xD0...0xD7).contains(code) { continue }
            guard code >= 0xC0, code != 0xD8, code != 0xFF else { return false }
            guard i + 2 <= b.count else { return false }
            let length = Int(b[i]) << 8 | Int(b[i + 1])
            guard length >= 2, i + length <= b.count else { return false }
            if (0xC0...0xCF).contains(code), ![0xC4, 0xC8, 0xCC].contains(code) {
                guard length >= 8, b[i + 7] >= 1, length == 8 + 3 * Int(b[i + 7]), (Int(b[i + 5]) << 8 | Int(b[i + 6])) > 0 else { return false }
                frame = true
            }
            i += length
            if code == 0xDA {
                let components = Int(b[i - length + 2])
                guard frame, length >= 3, (1...4).contains(components), length == 6 + 2 * components else { return false }
                scan = true
                while true {
                    guard i + 1 < b.count else { return false }
                    if b[i] != 0xFF { i += 1; continue }
                    let next = b[i + 1]
                    if next == 0x00 || (0xD0...0xD7).contains(next) { i += 2 } else if next == 0xFF { i += 1 } else { break }
                }
            }
        }
    }
}

/// Valid files of each kind with random content, for truncation and glue.
private enum MediaFactory {
    static func be32(_ value: Int) -> [UInt8] { [UInt8(value >> 24 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }
    static func le32(_ value: Int) -> [UInt8] { be32(value).reversed() }

    static func make(_ type: MediaType, _ random: inout SplitMix64) -> [UInt8] {
        switch type {
        case .jpeg:
            // SOI, APP0, a frame header of 1 to 3 components, sometimes a comment, then one or two
            // scans (a restart marker or a table between them), each with entropy data whose every
            // FF is escaped, and EOI.
            func entropy() -> [UInt8] {
                var data: [UInt8] = []
                for byte in random.bytes(random.int(0...200)) {
                    data.append(byte)
                    if byte == 0xFF { data.append(0x00) }
                }
                if random.chance(0.3) { data += [0xFF, UInt8(0xD0 + random.int(0...7))] + random.bytes(3).map { $0 == 0xFF ? 0 : $0 } }
                return data
            }
            let components = random.int(1...3)
            var file: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10] + Array("JFIF".utf8) + [0, 1, 1, 0, 0, 1, 0, 1, 0, 0]
            if random.chance(0.3) {
                let text = random.bytes(random.int(0...20))
                file += [0xFF, 0xFE] + be32(text.count + 2).suffix(2) + text
            }
            file += [0xFF, random.pick([0xC0, 0xC1, 0xC2]), 0, UInt8(8 + 3 * components), 8, 0, UInt8(random.int(1...255)), 0, UInt8(random.int(1...255)), UInt8(components)]
            for id in 1...components { file += [UInt8(id), 0x11, 0] }
            for index in 0..<random.int(1...2) {
                if index > 0 { file += [0xFF, 0xC4, 0, 4, 0, 0] }  // a (truncated) Huffman table segment
                file += [0xFF, 0xDA, 0, UInt8(6 + 2 * components), UInt8(components)]
                for id in 1...components { file += [UInt8(id), 0] }
                file += [0, 63, 0] + entropy()
            }
            return file + [0xFF, 0xD9]
        case .png:
            let data = random.bytes(random.int(0...200))
            return pngSignature + [0, 0, 0, 13] + Array("IHDR".utf8) + random.bytes(13) + random.bytes(4)
                + be32(data.count) + Array("IDAT".utf8) + data + random.bytes(4)
                + [0, 0, 0, 0] + Array("IEND".utf8) + [0xAE, 0x42, 0x60, 0x82]
        case .webp:
            let chunk = random.pick(["VP8 ", "VP8L", "VP8X"])
            let payload = random.bytes(random.int(4...200))
            let body = Array("WEBP".utf8) + Array(chunk.utf8) + le32(payload.count) + payload
            return Array("RIFF".utf8) + le32(body.count) + body
        case .mp4:
            let brands = random.chance(0.5) ? Array("isom".utf8) + Array("mp41".utf8) : Array("avc1".utf8)
            var file = be32(16 + brands.count) + Array("ftyp".utf8) + Array("mp42".utf8) + [0, 0, 2, 0] + brands
            var boxes = [("moov", random.bytes(random.int(0...60)))]
            for _ in 0..<random.int(0...3) { boxes.insert((random.pick(["mdat", "free", "udta"]), random.bytes(random.int(0...80))), at: random.int(0...boxes.count)) }
            for (type, payload) in boxes { file += be32(8 + payload.count) + Array(type.utf8) + payload }
            return file
        }
    }

    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
}

@Suite struct MediaFuzzTests {
    /// Sniffing and validation of `bytes`: never a crash; accepted only when the type's checks
    /// pass; refused only with the documented typed errors.
    private func check(_ bytes: [UInt8], claimed: String? = nil, _ context: String) -> MediaType? {
        let type = MediaType.sniff(Data(bytes))
        if let type {
            #expect(MediaChecks.passes(type, bytes), "\(context): accepted as \(type.rawValue) without passing its checks")
        }
        do {
            let file = try MediaUpload(bytes: Data(bytes), claimedType: claimed).validated()
            // What is kept is the file without its metadata, still of the same type.
            #expect(file.info.type == type && file.info.size == file.bytes.count, "\(context)")
            #expect(type.map { file.bytes == MediaMetadata.stripped(Data(bytes), type: $0) } == true, "\(context)")
            #expect(file.bytes.count <= bytes.count, "\(context): cleaning made the file larger")
        } catch let error as MobiliseError {
            let codes = ["media_empty", "media_too_large", "media_malformed", "unsupported_media_type", "media_type_mismatch"]
            #expect(codes.contains(error.code.rawValue), "\(context): \(error)")
            #expect(type == nil || error.code == .mediaTypeMismatch, "\(context): sniffed \(String(describing: type)) but refused: \(error)")
        } catch {
            Issue.record("\(context): untyped error \(error)")
        }
        return type
    }

    @Test func generatedFilesAreAcceptedAndTheirTruncationsOnlyWhenComplete() {
        var random = SplitMix64(seed: 0x3ED1_0001)
        var cases = 0
        for index in 0..<600 {
            let type = MediaType.allCases[index % MediaType.allCases.count]
            let file = MediaFactory.make(type, &random)
            #expect(check(file, "case \(index) whole \(type)") == type, "case \(index): a valid \(type.rawValue) refused")
            // Every strict prefix of a PNG, WebP or JPEG is cut short and refused; an MP4 cut at a
            // box boundary with its moov is a complete file.
            for _ in 0..<4 {
                let length = random.int(0...(file.count - 1))
                let prefix = Array(file[..<length])
                let sniffed = check(prefix, "case \(index) prefix \(length) of \(type)")
                if type != .mp4 { #expect(sniffed == nil, "case \(index): a \(length)-byte prefix of a \(file.count)-byte \(type.rawValue) accepted") }
                cases += 1
            }
        }
        for sample in [Samples.jpeg, Samples.png, Samples.webp, Samples.mp4] {
            for length in 0..<sample.count { _ = check(Array(sample.prefix(length)), "sample prefix \(length)"); cases += 1 }
        }
        #expect(cases >= 2000)
    }

    @Test func polyglotsMutationsAndRandomPrefixesAreNeverMisread() {
        var random = SplitMix64(seed: 0x3ED1_0002)
        let magics: [[UInt8]] = [[0xFF, 0xD8, 0xFF], MediaFactory.pngSignature, Array("RIFF".utf8),
                                 [0, 0, 0, 0x18] + Array("ftyp".utf8), Array("GIF89a".utf8), Array("%PDF-1.7\n".utf8),
                                 Array("PK\u{3}\u{4}".utf8), Array("<html><script>".utf8), []]
        let claims: [String?] = [nil, "", "image/jpeg", "image/PNG; charset=x", "image/jpg", "video/mp4", "text/html", "application/octet-stream", "\u{0}"]
        for index in 0..<3000 {
            let type = MediaType.allCases[random.int(0...3)]
            var bytes: [UInt8]
            switch index % 4 {
            case 0:  // Two files glued (a polyglot), or a file with random data after it.
                bytes = MediaFactory.make(type, &random)
                bytes += random.chance(0.5) ? MediaFactory.make(MediaType.allCases[random.int(0...3)], &random) : random.bytes(random.int(1...64))
            case 1:  // A valid file with a few bytes changed.
                bytes = MediaFactory.make(type, &random)
                for _ in 0..<random.int(1...4) { bytes[random.int(0...(bytes.count - 1))] = UInt8(random.int(0...255)) }
            case 2:  // A magic number then noise.
                bytes = random.pick(magics) + random.bytes(random.int(0...120))
            default:  // Another format's header in front of a valid file.
                bytes = random.pick(magics) + MediaFactory.make(type, &random)
            }
            _ = check(bytes, claimed: random.pick(claims), "case \(index)")
        }
    }
}
