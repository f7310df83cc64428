import Foundation

// Workforce files as HR systems export them (Workday, SuccessFactors, Excel): any of the usual
// encodings and delimiters, an XLSX workbook, the HR system's own column names (through the
// organisation's saved column mapping), turned into Mobilise's own CSV before the workforce
// reader (WorkforceCSV.swift) reads it. A file that already is Mobilise's CSV (UTF-8, commas,
// Mobilise's column names) and an organisation without a mapping skip all of this: it streams
// through the measured fast path untouched.

/// How an organisation's HR export names Mobilise's columns: `"Employee ID" → external_id`.
///
/// ```swift
/// let workday = try WorkforceColumnMapping(["Employee ID": "external_id", "Country": "country",
///                                           "Supervisory Organization": "org_unit", "Location": "site"])
/// ```
///
/// With a mapping, a column of the file that is neither mapped nor one of Mobilise's own names is
/// ignored (an export has many columns Mobilise does not need); names are compared ignoring case
/// and surrounding spaces.
public struct WorkforceColumnMapping: Sendable, Equatable {
    /// Source column name → Mobilise column, in the order given.
    public let entries: [(source: String, column: String)]

    public init(_ entries: [(source: String, column: String)]) throws {
        var seenSources = Set<String>(), seenColumns = Set<String>()
        guard entries.count <= 64 else {
            throw MobiliseError(.invalid, code: .invalidColumnMapping, "a column mapping has at most 64 entries")
        }
        for entry in entries {
            let source = entry.source.trimmingCharacters(in: .whitespaces)
            guard !source.isEmpty, source.count <= 200 else {
                throw MobiliseError(.invalid, code: .invalidColumnMapping, "a source column name is 1 to 200 characters")
            }
            guard WorkforceCSV.columns.contains(entry.column) else {
                throw MobiliseError(.invalid, code: .invalidColumnMapping,
                                    "'\(source)' maps to '\(entry.column)', which is not a Mobilise column (expected one of: "
                                        + WorkforceCSV.columns.joined(separator: ", ") + ")")
            }
            guard seenSources.insert(source.lowercased()).inserted else {
                throw MobiliseError(.invalid, code: .invalidColumnMapping, "the source column '\(source)' is mapped twice")
            }
            guard seenColumns.insert(entry.column).inserted else {
                throw MobiliseError(.invalid, code: .invalidColumnMapping, "two source columns map to '\(entry.column)'")
            }
        }
        self.entries = entries.map { (source: $0.source.trimmingCharacters(in: .whitespaces), column: $0.column) }
    }

    public init(_ dictionary: [String: String]) throws {
        try self.init(dictionary.sorted { $0.key < $1.key }.map { (source: $0.key, column: $0.value) })
    }

    /// The Mobilise column a file's header cell stands for: mapped, or Mobilise's own name; nil: ignored.
    func column(for header: String) -> String? {
        let name = header.trimmingCharacters(in: .whitespaces)
        if let mapped = entries.first(where: { $0.source.caseInsensitiveCompare(name) == .orderedSame }) { return mapped.column }
        return WorkforceCSV.columns.contains(name) ? name : nil
    }

    public static func == (a: WorkforceColumnMapping, b: WorkforceColumnMapping) -> Bool {
        a.entries.map(\.source) == b.entries.map(\.source) && a.entries.map(\.column) == b.entries.map(\.column)
    }
}

/// Recognises and converts HR exports (see the top of this file).
public enum HRFile {
    /// What a file turned out to be.
    public enum Format: Sendable, Equatable, CustomStringConvertible {
        case csv(encoding: TextEncoding, delimiter: UInt8)
        case xlsx

        public var description: String {
            switch self {
            case .xlsx: "XLSX workbook"
            case .csv(let encoding, let delimiter):
                "CSV (\(encoding.rawValue), \(delimiter == 9 ? "tab" : String(UnicodeScalar(delimiter))) separated)"
            }
        }
    }

    public enum TextEncoding: String, Sendable, Equatable {
        case utf8 = "UTF-8", utf8BOM = "UTF-8 with BOM", utf16LE = "UTF-16LE", utf16BE = "UTF-16BE", windows1252 = "Windows-1252"
    }

    /// Limits on what a conversion may hold (the file itself is bounded by the import's size limit).
    public struct Limits: Sendable {
        /// Largest uncompressed part of an XLSX workbook (the sheet, the shared strings).
        public var maxXLSXPartBytes: Int
        /// Largest ratio of an XLSX part's uncompressed to compressed size past 1 MiB (a zip bomb
        /// expands thousands of times; spreadsheets' XML, some tens).
        public var maxCompressionRatio: Int

        public init(maxXLSXPartBytes: Int = 512 << 20, maxCompressionRatio: Int = 200) {
            self.maxXLSXPartBytes = maxXLSXPartBytes
            self.maxCompressionRatio = maxCompressionRatio
        }
    }

    /// Whether a file starting with `prefix` can stream into the workforce reader as it is: UTF-8
    /// (with or without BOM), its header line made of Mobilise's own column names separated by
    /// commas, and no mapping to apply. `prefix` must hold the whole header line (or the whole file).
    public static func isPlainWorkforceCSV(prefix: some Collection<UInt8>, mapping: WorkforceColumnMapping?) -> Bool {
        guard mapping == nil else { return false }
        var bytes = Array(prefix.prefix(64 << 10))
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        guard let end = bytes.firstIndex(where: { $0 == 0x0A || $0 == 0x0D }) ?? (prefix.count < 64 << 10 ? bytes.endIndex : nil),
              let line = String(validating: bytes[..<end], as: UTF8.self)
        else { return false }
        let names = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        return !names.isEmpty && names.allSatisfy { WorkforceCSV.columns.contains($0) }
    }

    /// Converts a whole HR export into Mobilise's CSV (UTF-8, commas, Mobilise's column names; each
    /// record on the same line number as in the file, or for a workbook, as its spreadsheet row).
    public static func convert(_ bytes: [UInt8], mapping: WorkforceColumnMapping?, limits: Limits = Limits()) throws -> (csv: [UInt8], format: Format) {
        if isZip(bytes) {
            let rows = try XLSXReader.firstSheet(bytes, limits: limits)
            return (try write(rows, mapping: mapping), .xlsx)
        }
        let (text, encoding) = try decode(bytes)
        let delimiter = detectDelimiter(text)
        let records = try records(text, delimiter: delimiter)
        return (try write(records, mapping: mapping), .csv(encoding: encoding, delimiter: delimiter))
    }

    /// Whether the bytes start as a zip archive does (a local file header, or the end record of an empty one).
    public static func isZip(_ bytes: some Collection<UInt8>) -> Bool {
        bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) || bytes.starts(with: [0x50, 0x4B, 0x05, 0x06])
    }

    // MARK: - Encodings

    /// The file's text: a BOM says UTF-8 or UTF-16; otherwise valid UTF-8 is UTF-8, UTF-16 without a
    /// BOM is recognised by its NUL bytes, and anything else is Windows-1252 (what Excel writes as
    /// "CSV" on Western European Windows).
    static func decode(_ bytes: [UInt8]) throws -> (String, TextEncoding) {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]), let text = String(validating: bytes.dropFirst(3), as: UTF8.self) {
            return (text, .utf8BOM)
        }
        if bytes.starts(with: [0xFF, 0xFE]) { return (try utf16(bytes.dropFirst(2), littleEndian: true), .utf16LE) }
        if bytes.starts(with: [0xFE, 0xFF]) { return (try utf16(bytes.dropFirst(2), littleEndian: false), .utf16BE) }
        if let text = String(validating: bytes, as: UTF8.self) {
            if bytes.count >= 4, bytes.contains(0) {
                // UTF-16 without a BOM: ASCII text has a NUL in every other byte.
                let evenNULs = stride(from: 0, to: min(bytes.count, 4096), by: 2).filter { bytes[$0] == 0 }.count
                let oddNULs = stride(from: 1, to: min(bytes.count, 4096), by: 2).filter { bytes[$0] == 0 }.count
                if oddNULs > evenNULs * 4 { return (try utf16(bytes[...], littleEndian: true), .utf16LE) }
                if evenNULs > oddNULs * 4 { return (try utf16(bytes[...], littleEndian: false), .utf16BE) }
            }
            return (text, .utf8)
        }
        return (windows1252(bytes), .windows1252)
    }

    private static func utf16(_ bytes: ArraySlice<UInt8>, littleEndian: Bool) throws -> String {
        guard bytes.count % 2 == 0 else {
            throw MobiliseError(.invalid, code: .invalidEncoding, "the file says it is UTF-16 but has an odd number of bytes")
        }
        var units: [UInt16] = []
        units.reserveCapacity(bytes.count / 2)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let a = UInt16(bytes[index]), b = UInt16(bytes[index + 1])
            units.append(littleEndian ? a | b << 8 : a << 8 | b)
            index += 2
        }
        var text = ""
        var iterator = units.makeIterator()
        var decoder = UTF16()
        loop: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): text.unicodeScalars.append(scalar)
            case .emptyInput: break loop
            case .error:
                throw MobiliseError(.invalid, code: .invalidEncoding, "the file says it is UTF-16 but holds an invalid character")
            }
        }
        return text
    }

    /// Windows-1252: Latin-1 with printable characters in 0x80–0x9F (€, curly quotes, Š, Ž…).
    static func windows1252(_ bytes: [UInt8]) -> String {
        let high: [UInt32] = [
            0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
            0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178,
        ]
        var scalars = String.UnicodeScalarView()
        for byte in bytes {
            let value = (0x80...0x9F).contains(byte) ? high[Int(byte) - 0x80] : UInt32(byte)
            scalars.append(Unicode.Scalar(value) ?? "\u{FFFD}")
        }
        return String(scalars)
    }

    // MARK: - Delimiters and records

    /// The delimiter of the header line: the most frequent of comma, semicolon (Excel in much of
    /// Europe), tab and pipe outside quotes; a comma when none appears.
    static func detectDelimiter(_ text: String) -> UInt8 {
        var counts: [UInt8: Int] = [0x2C: 0, 0x3B: 0, 0x09: 0, 0x7C: 0]
        var quoted = false
        for byte in text.utf8 {
            if byte == 0x22 { quoted.toggle(); continue }
            if !quoted, byte == 0x0A || byte == 0x0D { break }
            if !quoted, counts[byte] != nil { counts[byte, default: 0] += 1 }
        }
        let best = counts.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }
        return (best?.value ?? 0) > 0 ? best?.key ?? 0x2C : 0x2C
    }

    /// A record and the line it starts on.
    struct Record {
        var line: Int
        var fields: [String]
    }

    /// RFC 4180 records with `delimiter`; a record that cannot be read is left for the workforce
    /// reader to reject (its text is written back as it was).
    static func records(_ text: String, delimiter: UInt8) throws -> [Record] {
        var records: [Record] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var quoted = false, afterQuote = false, hasContent = false
        var line = 1, recordLine = 1
        var previousCR = false
        func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
        }
        for byte in text.utf8 {
            defer { previousCR = byte == 0x0D }
            if quoted {
                if byte == 0x22 { quoted = false; afterQuote = true; continue }
                if byte == 0x0A || byte == 0x0D {
                    if !(byte == 0x0A && previousCR) { line += 1 }
                }
                field.append(byte)
                continue
            }
            switch byte {
            case 0x22:
                if afterQuote { field.append(0x22) }  // a doubled quote
                quoted = true
                afterQuote = false
                if !hasContent { hasContent = true; recordLine = line }
            case delimiter:
                afterQuote = false
                if !hasContent { hasContent = true; recordLine = line }
                endField()
            case 0x0A, 0x0D:
                afterQuote = false
                if byte == 0x0A && previousCR { continue }
                if hasContent {
                    endField()
                    records.append(Record(line: recordLine, fields: fields))
                    fields.removeAll(keepingCapacity: true)
                    hasContent = false
                }
                line += 1
            default:
                afterQuote = false
                if !hasContent { hasContent = true; recordLine = line }
                field.append(byte)
            }
        }
        if hasContent || quoted {
            endField()
            records.append(Record(line: recordLine, fields: fields))
        }
        return records
    }

    // MARK: - Mobilise's CSV

    /// Writes `records` (the first is the header) as Mobilise's CSV: mapped column names, unmapped
    /// columns dropped when there is a mapping, each record on its original line.
    static func write(_ records: [Record], mapping: WorkforceColumnMapping?) throws -> [UInt8] {
        guard let header = records.first else { return [] }
        // Which source positions are kept, under which name.
        var kept: [(position: Int, name: String)] = []
        for (position, cell) in header.fields.enumerated() {
            if let mapping {
                if let column = mapping.column(for: cell) { kept.append((position, column)) }
            } else {
                kept.append((position, cell.trimmingCharacters(in: .whitespaces)))
            }
        }
        if let mapping {
            let missing = mapping.entries.filter { entry in
                !header.fields.contains { $0.trimmingCharacters(in: .whitespaces).caseInsensitiveCompare(entry.source) == .orderedSame }
            }.filter { WorkforceCSV.requiredColumns.contains($0.column) }
            if !missing.isEmpty {
                throw MobiliseError(.invalid, code: .invalidHeader,
                                    "the file has no column " + missing.map { "'\($0.source)' (mapped to \($0.column))" }.joined(separator: " or ")
                                        + "; its columns are: " + header.fields.prefix(40).joined(separator: ", "))
            }
        }
        var out: [UInt8] = []
        var line = header.line
        out.append(contentsOf: Array(repeating: 0x0A, count: max(0, header.line - 1)))
        for record in records {
            while line < record.line { out.append(0x0A); line += 1 }
            let fields: [String]
            if record.line == header.line {
                fields = kept.map(\.name)
            } else if record.fields.count == header.fields.count || mapping != nil {
                fields = kept.map { $0.position < record.fields.count ? record.fields[$0.position] : "" }
            } else {
                fields = record.fields  // the reader reports the wrong number of fields
            }
            for (index, value) in fields.enumerated() {
                if index > 0 { out.append(0x2C) }
                appendField(value, to: &out)
            }
            out.append(0x0A)
            line += 1 + record.fieldsNewlines
        }
        return out
    }

    private static func appendField(_ value: String, to out: inout [UInt8]) {
        let bytes = Array(value.utf8)
        guard bytes.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) else {
            out.append(contentsOf: bytes)
            return
        }
        out.append(0x22)
        for byte in bytes {
            if byte == 0x22 { out.append(0x22) }
            out.append(byte)
        }
        out.append(0x22)
    }
}

extension HRFile.Record {
    /// Line breaks inside the record's quoted fields (kept, so that later records keep their lines).
    var fieldsNewlines: Int {
        fields.reduce(0) { total, field in
            var count = 0, previousCR = false
            for byte in field.utf8 {
                if byte == 0x0D || (byte == 0x0A && !previousCR) { count += 1 }
                previousCR = byte == 0x0D
            }
            return total + count
        }
    }
}
