import Foundation

// The workforce file (the HR system's export): a CSV with a header row, read as a stream of bytes so
// that a file of any size is never held whole in memory. Two layers:
//
// - `CSVParser` splits bytes into records (RFC 4180: quoted fields, doubled quotes, newlines inside
//   quotes, CRLF or LF, optional BOM, optional trailing newline), each with the physical line it
//   starts on. A record it cannot read (invalid UTF-8, a broken quote, a field over the size limit)
//   becomes a rejection for that line, never a crash.
// - `WorkforceCSVReader` reads the header, then turns each record into a `WorkforceRow` or a
//   `WorkforceRejection` with a sentence a person can act on ("unknown gender 'M' (expected …)").
//
// Whether a country code exists is the store's business (the `countries` table); everything else
// is checked here.

// MARK: - Records

/// Splits CSV bytes into records, incrementally: feed chunks as they arrive, get records as soon as
/// they are complete.
///
/// ```swift
/// var parser = CSVParser()
/// for chunk in chunks { parser.feed(chunk) { output in … } }
/// parser.finish { output in … }
/// ```
///
/// Memory is bounded by the limits: at most ``Limits/maxFields`` fields of at most
/// ``Limits/maxFieldBytes`` bytes are kept for the record being read.
///
/// The parser works on bytes: a record is kept as its fields' bytes one after the other (no String
/// per field), and the workforce reader checks those bytes directly; ``feed(_:_:)`` makes Strings
/// only for its callers.
public struct CSVParser {
    /// Bounds on what one record may hold.
    public struct Limits: Sendable, Equatable {
        /// Largest field, in bytes (UTF-8). Default 64 KiB.
        public var maxFieldBytes: Int
        /// Most fields in one record. Default 64.
        public var maxFields: Int

        public init(maxFieldBytes: Int = 64 * 1024, maxFields: Int = 64) {
            self.maxFieldBytes = max(1, maxFieldBytes)
            self.maxFields = max(1, maxFields)
        }
    }

    /// What the parser produces: a record, or a record it could not read.
    public enum Output: Sendable, Equatable {
        /// A record's fields (not trimmed), and the 1-based line it starts on.
        case record(line: Int, fields: [String])
        /// A record that could not be read, with why.
        case malformed(line: Int, reason: String)
    }

    private enum State {
        /// At the start of a field (also the start of a record).
        case fieldStart
        /// Inside an unquoted field.
        case unquoted
        /// Inside a quoted field.
        case quoted
        /// Just read a quote inside a quoted field: a doubled quote or the closing one.
        case quoteInQuoted
    }

    /// The bounds this parser enforces.
    public let limits: Limits
    private var state = State.fieldStart
    /// The record being read: its fields' bytes, one after the other (dropped once it has a problem).
    private var record: [UInt8] = []
    /// Where each finished field of the record ends in `record`.
    private var recordEnds: [Int] = []
    /// Where the field being read starts in `record`.
    private var fieldStart = 0
    /// Bytes of the field being read (kept or not).
    private var fieldLength = 0
    /// All the bytes of the field being read OR'ed together (bit 7 set: not ASCII).
    private var fieldBits: UInt8 = 0
    private var recordASCII = true
    private var fieldTooLong = false
    private var fieldCount = 0
    private var problem: String?
    private var recordHasContent = false
    private var recordLine = 1
    private var quoteLine = 1
    private var line = 1
    private var lastWasCR = false
    private var bomMatched = 0
    private var pastStart = false
    private static let bom: [UInt8] = [0xEF, 0xBB, 0xBF]

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Reads a chunk of bytes, calling `emit` for every record it completes.
    public mutating func feed(_ chunk: some Sequence<UInt8>, _ emit: (Output) throws -> Void) rethrows {
        var batch = CSVBatch()
        scan(chunk, into: &batch)
        for index in batch.records.indices { try emit(batch.output(index)) }
    }

    /// Ends the input: emits the last record when the file has no trailing newline, or a
    /// rejection when a quoted field was never closed.
    public mutating func finish(_ emit: (Output) throws -> Void) rethrows {
        var batch = CSVBatch()
        finish(into: &batch)
        for index in batch.records.indices { try emit(batch.output(index)) }
    }

    /// Reads a whole input at once (for small inputs and tests).
    public static func parse(_ bytes: some Sequence<UInt8>, limits: Limits = Limits()) -> [Output] {
        var parser = CSVParser(limits: limits)
        var outputs: [Output] = []
        parser.feed(bytes) { outputs.append($0) }
        parser.finish { outputs.append($0) }
        return outputs
    }

    /// Reads a chunk, appending the records it completes to `batch`.
    mutating func scan(_ chunk: some Sequence<UInt8>, into batch: inout CSVBatch) {
        let handled: Void? = chunk.withContiguousStorageIfAvailable { buffer in
            var index = 0
            while !pastStart, index < buffer.count {
                consumeAtStart(buffer[index], &batch)
                index += 1
            }
            while index < buffer.count {
                process(buffer[index], &batch)
                index += 1
            }
        }
        if handled == nil {
            for byte in chunk {
                if pastStart { process(byte, &batch) } else { consumeAtStart(byte, &batch) }
            }
        }
    }

    /// Ends the input, appending the last record (or the rejection of an unclosed quote) to `batch`.
    mutating func finish(into batch: inout CSVBatch) {
        if !pastStart {
            // A file shorter than a BOM: what was held back is data.
            pastStart = true
            for byte in Self.bom.prefix(bomMatched) { process(byte, &batch) }
        }
        switch state {
        case .quoted:
            let reason = "a quoted field opened on line \(quoteLine) is never closed (a stray \" in the file?)"
            reset()
            batch.appendMalformed(line: recordLine, reason: reason)
        case .fieldStart where !recordHasContent:
            break
        default:
            endField()
            endRecord(&batch)
        }
    }

    /// Skips a UTF-8 byte order mark at the very start, even when split across chunks.
    private mutating func consumeAtStart(_ byte: UInt8, _ batch: inout CSVBatch) {
        if byte == Self.bom[bomMatched] {
            bomMatched += 1
            if bomMatched == Self.bom.count { pastStart = true }
            return
        }
        pastStart = true
        for held in Self.bom.prefix(bomMatched) { process(held, &batch) }
        process(byte, &batch)
    }

    private static let quote = UInt8(ascii: "\"")
    private static let comma = UInt8(ascii: ",")
    private static let cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n")

    @inline(__always)
    private mutating func process(_ byte: UInt8, _ batch: inout CSVBatch) {
        let isNewline = byte == Self.cr || byte == Self.lf
        // The LF of a CRLF that already ended a record (or a line inside quotes) is part of that line end.
        let continuesCRLF = byte == Self.lf && lastWasCR
        defer {
            if isNewline, !continuesCRLF { line += 1 }
            lastWasCR = byte == Self.cr
        }
        switch state {
        case .fieldStart:
            if isNewline {
                if continuesCRLF { return }
                if recordHasContent {
                    endField()
                    endRecord(&batch)
                }
                // Otherwise a blank line: skipped.
                return
            }
            startContent()
            if byte == Self.quote {
                state = .quoted
                quoteLine = line
            } else if byte == Self.comma {
                endField()
            } else {
                append(byte)
                state = .unquoted
            }
        case .unquoted:
            if byte == Self.comma {
                endField()
                state = .fieldStart
            } else if isNewline {
                endField()
                endRecord(&batch)
            } else {
                append(byte)
            }
        case .quoted:
            if byte == Self.quote {
                state = .quoteInQuoted
            } else {
                append(byte)
            }
        case .quoteInQuoted:
            if byte == Self.quote {
                append(byte)
                state = .quoted
            } else if byte == Self.comma {
                endField()
                state = .fieldStart
            } else if isNewline {
                endField()
                endRecord(&batch)
            } else {
                note("field \(fieldCount + 1) has text after its closing quote (a quote inside a quoted field must be doubled: \"\")")
                append(byte)
                state = .unquoted
            }
        }
    }

    private mutating func startContent() {
        if !recordHasContent {
            recordHasContent = true
            recordLine = line
        }
    }

    @inline(__always)
    private mutating func append(_ byte: UInt8) {
        // Once the record has a problem it is a rejection: its bytes no longer matter.
        guard problem == nil else { return }
        if fieldLength < limits.maxFieldBytes {
            record.append(byte)
            fieldBits |= byte
            fieldLength += 1
        } else if !fieldTooLong {
            fieldTooLong = true
            note("field \(fieldCount + 1) is longer than the limit of \(limits.maxFieldBytes) bytes")
        }
    }

    /// Records the record's first problem, and drops its bytes.
    private mutating func note(_ reason: String) {
        guard problem == nil else { return }
        problem = reason
        record.removeAll(keepingCapacity: record.capacity <= 1 << 20)
        recordEnds.removeAll(keepingCapacity: true)
    }

    private mutating func endField() {
        fieldCount += 1
        defer {
            fieldStart = record.count
            fieldLength = 0
            fieldBits = 0
            fieldTooLong = false
        }
        guard problem == nil else { return }
        guard fieldCount <= limits.maxFields else {
            note("the record has more than \(limits.maxFields) fields")
            return
        }
        if fieldBits & 0x80 != 0 {
            recordASCII = false
            guard String(validating: record[fieldStart...], as: UTF8.self) != nil else {
                note("field \(fieldCount) is not valid UTF-8 (save the file as UTF-8)")
                return
            }
        }
        recordEnds.append(record.count)
    }

    private mutating func endRecord(_ batch: inout CSVBatch) {
        if let problem {
            batch.appendMalformed(line: recordLine, reason: problem)
        } else {
            batch.append(line: recordLine, bytes: record, ends: recordEnds, ascii: recordASCII)
        }
        reset()
    }

    private mutating func reset() {
        state = .fieldStart
        record.removeAll(keepingCapacity: record.capacity <= 1 << 20)
        recordEnds.removeAll(keepingCapacity: true)
        fieldStart = 0
        fieldLength = 0
        fieldBits = 0
        recordASCII = true
        fieldTooLong = false
        fieldCount = 0
        problem = nil
        recordHasContent = false
    }
}

/// Records completed while reading a chunk, as bytes: every field's bytes one after the other,
/// and where each field ends. The workforce reader checks fields in place; ``output(_:)`` makes
/// the public ``CSVParser/Output`` with Strings.
struct CSVBatch {
    struct Record {
        var line: Int
        /// Why the record cannot be read; nil for a good record.
        var problem: String?
        /// The record's first field is `fieldEnds[firstField]`'s; it starts at `start`.
        var firstField: Int
        var fieldCount: Int
        var start: Int
        /// Every byte of every field is ASCII.
        var ascii: Bool
    }

    var bytes: [UInt8] = []
    var fieldEnds: [Int] = []
    var records: [Record] = []

    mutating func append(line: Int, bytes recordBytes: [UInt8], ends: [Int], ascii: Bool) {
        let base = bytes.count
        records.append(Record(line: line, problem: nil, firstField: fieldEnds.count, fieldCount: ends.count, start: base, ascii: ascii))
        bytes.append(contentsOf: recordBytes)
        for end in ends { fieldEnds.append(base + end) }
    }

    mutating func appendMalformed(line: Int, reason: String) {
        records.append(Record(line: line, problem: reason, firstField: fieldEnds.count, fieldCount: 0, start: bytes.count, ascii: true))
    }

    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: bytes.capacity <= 4 << 20)
        fieldEnds.removeAll(keepingCapacity: true)
        records.removeAll(keepingCapacity: true)
    }

    /// Where field `field` (0-based) of record `record` lies in `bytes`.
    @inline(__always)
    func range(_ record: Record, _ field: Int) -> Range<Int> {
        let end = fieldEnds[record.firstField + field]
        let start = field == 0 ? record.start : fieldEnds[record.firstField + field - 1]
        return start..<end
    }

    /// A record's fields as Strings (valid UTF-8: the parser checked).
    func fields(_ record: Record) -> [String] {
        (0..<record.fieldCount).map { String(decoding: bytes[range(record, $0)], as: UTF8.self) }
    }

    func output(_ index: Int) -> CSVParser.Output {
        let record = records[index]
        if let problem = record.problem { return .malformed(line: record.line, reason: problem) }
        return .record(line: record.line, fields: fields(record))
    }
}

// MARK: - Workforce rows

/// One employee as the workforce file describes them, checked and normalised.
public struct WorkforceRow: Sendable, Equatable {
    /// The line of the file the row starts on.
    public var line: Int
    public var externalID: String
    public var email: String?
    public var displayName: String?
    /// Upper-case ISO 3166-1 alpha-2 (that it exists is checked by the store).
    public var country: String
    public var site: String?
    public var orgUnit: String?
    public var gender: Gender
    public var managerExternalID: String?
    public var active: Bool

    public init(
        line: Int, externalID: String, email: String? = nil, displayName: String? = nil, country: String,
        site: String? = nil, orgUnit: String? = nil, gender: Gender = .undisclosed, managerExternalID: String? = nil,
        active: Bool = true
    ) {
        self.line = line
        self.externalID = externalID
        self.email = email
        self.displayName = displayName
        self.country = country
        self.site = site
        self.orgUnit = orgUnit
        self.gender = gender
        self.managerExternalID = managerExternalID
        self.active = active
    }
}

/// A line of the workforce file that was not loaded, and why.
public struct WorkforceRejection: Error, Sendable, Equatable, CustomStringConvertible {
    /// The 1-based line the record starts on.
    public var line: Int
    /// What is wrong, as a sentence for a person (without the line number).
    public var error: String

    public init(line: Int, error: String) {
        self.line = line
        self.error = error
    }

    /// `line 12: unknown gender 'M' (…)`.
    public var description: String { "line \(line): \(error)" }
}

/// How an import treats employees that are not in the file.
public enum ImportMode: String, Sendable, CaseIterable {
    /// Insert new employees, update changed ones; employees missing from the file are left alone.
    case upsert
    /// As upsert, and deactivate active employees missing from the file. Refused when any line of
    /// the file is rejected, or when the file has no rows, so that a broken export cannot
    /// deactivate part of the workforce.
    case fullSync = "full_sync"

    /// The mode of this name, the same for the API (`?mode=`) and the command line (`--mode`): its
    /// raw value, or `full-sync`, accepted as another spelling of `full_sync`.
    public init?(name: some StringProtocol) {
        switch name {
        case "upsert": self = .upsert
        case "full_sync", "full-sync": self = .fullSync
        default: return nil
        }
    }

    /// The sentence for a name that is not a mode.
    public static let expected = "mode is upsert or full_sync (full-sync is accepted too)"
}

/// What an import did.
public struct ImportReport: Sendable, Equatable {
    public var mode: ImportMode
    /// Data records read (the header excluded), loaded or rejected.
    public var rowsRead: Int
    /// New employees.
    public var inserted: Int
    /// Existing employees with at least one changed value.
    public var updated: Int
    /// Existing employees the file describes exactly as they are.
    public var unchanged: Int
    /// Active employees missing from the file, now inactive (full sync only).
    public var deactivated: Int
    /// Rejected lines in line order: all of them, or the first ``maxListedRejections``.
    public var rejected: [WorkforceRejection]
    /// How many lines were rejected in all (may exceed `rejected.count`).
    public var rejectedCount: Int
    /// A dry run: what the import would do; nothing was changed.
    public var dryRun = false
    /// Active employees before the import (full sync only, else 0): what ``deactivated`` is a share of.
    public var activeBefore = 0
    /// A full sync deactivating more than the guard's share of ``activeBefore``: a dry run's report
    /// says so, and the import itself is held until confirmed (``ImportOptions``).
    public var confirmationRequired = false

    /// At most this many rejections are listed in a report or an error.
    public static let maxListedRejections = 1000

    public init(
        mode: ImportMode, rowsRead: Int, inserted: Int, updated: Int, unchanged: Int, deactivated: Int,
        rejected: [WorkforceRejection], rejectedCount: Int
    ) {
        self.mode = mode
        self.rowsRead = rowsRead
        self.inserted = inserted
        self.updated = updated
        self.unchanged = unchanged
        self.deactivated = deactivated
        self.rejected = rejected
        self.rejectedCount = rejectedCount
    }
}

/// The columns of the workforce file, and what a value of each may be.
public enum WorkforceCSV {
    /// The column names, in their usual order.
    public static let columns = [
        "external_id", "email", "display_name", "country", "gender", "site", "org_unit", "manager_external_id", "active",
    ]
    /// Columns every file must have.
    public static let requiredColumns: Set<String> = ["external_id", "country"]

    /// Longest value, in characters (Unicode scalars, as PostgreSQL's `length` counts), per column.
    public static let maxLength: [String: Int] = [
        "external_id": 200, "email": 320, "display_name": 200, "site": 200, "org_unit": 1000,
        "manager_external_id": 200,
    ]

    /// Bounds on a whole file.
    public struct Limits: Sendable, Equatable {
        public var parser: CSVParser.Limits
        /// Most data rows in one file. Default 1,000,000.
        public var maxRows: Int

        public init(parser: CSVParser.Limits = CSVParser.Limits(), maxRows: Int = 1_000_000) {
            self.parser = parser
            self.maxRows = max(1, maxRows)
        }
    }

    /// A header row, checked: where each known column is.
    public struct Header: Sendable, Equatable {
        /// The position of each column present.
        public let positions: [String: Int]
        /// Fields every record must have.
        public let fieldCount: Int

        /// Checks a header row: names trimmed then matched exactly; every column known, none twice,
        /// the required ones present. Throws `invalid_header` otherwise.
        public init(_ names: [String]) throws {
            var positions: [String: Int] = [:]
            var unknown: [String] = []
            var repeated: [String] = []
            for (position, raw) in names.enumerated() {
                let name = raw.trimmingCharacters(in: .whitespacesAndNewlines)
                if name.isEmpty {
                    unknown.append("an unnamed column (position \(position + 1))")
                } else if !WorkforceCSV.columns.contains(name) {
                    unknown.append(WorkforceCSV.quoted(name))
                } else if positions[name] != nil {
                    if !repeated.contains(name) { repeated.append(name) }
                } else {
                    positions[name] = position
                }
            }
            let expected = "expected: " + WorkforceCSV.columns.joined(separator: ", ")
            if !unknown.isEmpty {
                let list = unknown.joined(separator: ", ")
                throw MobiliseError(.invalid, code: .invalidHeader,
                                    "the header names unknown column\(unknown.count == 1 ? "" : "s") \(list) (\(expected))")
            }
            if !repeated.isEmpty {
                let list = repeated.map { "'\($0)'" }.joined(separator: ", ")
                throw MobiliseError(.invalid, code: .invalidHeader, "the header names \(list) more than once")
            }
            let missing = WorkforceCSV.columns.filter { WorkforceCSV.requiredColumns.contains($0) && positions[$0] == nil }
            if !missing.isEmpty {
                let list = missing.map { "'\($0)'" }.joined(separator: " and ")
                throw MobiliseError(.invalid, code: .invalidHeader,
                                    "the header lacks the required column\(missing.count == 1 ? "" : "s") \(list) (\(expected))")
            }
            self.positions = positions
            self.fieldCount = names.count
        }

        /// The external id of a record, when it has one usable for duplicate detection.
        public func externalID(of fields: [String]) -> String? {
            guard fields.count == fieldCount, let position = positions["external_id"] else { return nil }
            let value = fields[position].trimmingCharacters(in: .whitespacesAndNewlines)
            guard !value.isEmpty, value.unicodeScalars.count <= WorkforceCSV.maxLength["external_id", default: 200] else { return nil }
            return value
        }

        /// Checks one record: a row, or a rejection naming every problem found.
        public func row(from fields: [String], line: Int) -> Result<WorkforceRow, WorkforceRejection> {
            guard fields.count == fieldCount else {
                return .failure(WorkforceRejection(
                    line: line, error: "expected \(fieldCount) field\(fieldCount == 1 ? "" : "s") as in the header, found \(fields.count)"))
            }
            return WorkforceCSV.row(line: line) { column in positions[column].map { fields[$0] } }
        }
    }

    /// Checks one employee described column by column, by a line of the file or by any other source
    /// (a SCIM client): a row, or a rejection naming every problem found. The one place where the
    /// workforce's rules are written.
    ///
    /// - Parameters:
    ///   - field: the raw text of a column (untrimmed), nil when the source has no such column.
    ///   - name: how messages name a column (a SCIM client knows `userName`, not `external_id`).
    public static func row(
        line: Int, name: (String) -> String = { $0 }, field: (String) -> String?
    ) -> Result<WorkforceRow, WorkforceRejection> {
        var problems: [String] = []
        func value(_ column: String) -> String? {
            guard let raw = field(column) else { return nil }
            let value = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if value.isEmpty { return nil }
            if value.utf8.contains(0) {
                problems.append("\(name(column)) contains a NUL character")
                return nil
            }
            if let limit = maxLength[column], value.unicodeScalars.count > limit {
                problems.append("\(name(column)) is \(value.unicodeScalars.count) characters long (the limit is \(limit))")
                return nil
            }
            return value
        }

        let externalID = value("external_id")
        if externalID == nil, !problems.contains(where: { $0.hasPrefix(name("external_id")) }) {
            problems.append("\(name("external_id")) is empty")
        }
        let email = value("email")
        if let email, !looksLikeEmail(email) {
            problems.append("\(name("email")) \(quoted(email)) does not look like an email address")
        }
        let displayName = value("display_name")
        var country = ""
        if let raw = value("country") {
            if raw.utf8.count == 2, raw.utf8.allSatisfy({ (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }) {
                country = raw.uppercased()
            } else if let code = CountryNames.alpha2(for: raw) {
                // HR systems export alpha-3 codes (FRA) or English names (France): only rows that
                // are not already alpha-2 come here, so the fast path is untouched.
                country = code
            } else {
                problems.append("\(name("country")) \(quoted(raw)) is not a country: give an ISO 3166-1 alpha-2 code (FR), "
                                + "an alpha-3 code (FRA) or the English name (France)")
            }
        } else if !problems.contains(where: { $0.hasPrefix(name("country")) }) {
            problems.append("\(name("country")) is empty (an ISO 3166-1 alpha-2 code is required, e.g. FR)")
        }
        var gender = Gender.undisclosed
        if let raw = value("gender") {
            if let known = Gender(rawValue: raw.lowercased()) {
                gender = known
            } else {
                problems.append("unknown \(name("gender")) \(quoted(raw)) (expected female, male, non_binary or undisclosed)")
            }
        }
        let site = value("site")
        let orgUnit = value("org_unit")
        let manager = value("manager_external_id")
        var active = true
        if let raw = value("active") {
            switch raw.lowercased() {
            case "true", "1", "yes": active = true
            case "false", "0", "no": active = false
            default: problems.append("\(name("active")) \(quoted(raw)) is not a yes/no value (expected true, false, 1, 0, yes or no)")
            }
        }
        guard problems.isEmpty, let externalID else {
            return .failure(WorkforceRejection(line: line, error: problems.joined(separator: "; ")))
        }
        return .success(WorkforceRow(
            line: line, externalID: externalID, email: email, displayName: displayName, country: country, site: site,
            orgUnit: orgUnit, gender: gender, managerExternalID: manager, active: active))
    }

    /// A plausible email address: one `@` between a local part and a dotted domain, no spaces,
    /// no control characters, none of `<>(),;:"[]\`.
    public static func looksLikeEmail(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        let local = parts[0], domain = parts[1]
        guard !local.isEmpty, !domain.isEmpty, local.utf8.count <= 64 else { return false }
        for scalar in text.unicodeScalars where scalar != "@" {
            if scalar.properties.isWhitespace || scalar.value < 0x20 || scalar.value == 0x7F || forbiddenInEmail.contains(scalar) {
                return false
            }
        }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        return labels.count >= 2 && labels.allSatisfy { !$0.isEmpty && !$0.hasPrefix("-") && !$0.hasSuffix("-") }
    }

    private static let forbiddenInEmail: Set<Unicode.Scalar> = ["<", ">", "(", ")", ",", ";", ":", "\"", "[", "]", "\\", "@"]

    /// A value for a message: single-quoted, shortened when long.
    static func quoted(_ value: String) -> String {
        let shown = value.count > 40 ? String(value.prefix(40)) + "…" : value
        return "'\(shown)'"
    }
}

/// One item read from the workforce file.
public enum WorkforceCSVItem: Sendable, Equatable {
    case row(WorkforceRow)
    case rejected(WorkforceRejection)
}

/// Reads a workforce file incrementally: the header first, then one ``WorkforceCSVItem`` per record.
///
/// ```swift
/// var reader = WorkforceCSVReader()
/// for try await chunk in upload { try reader.feed(chunk) { item in … } }
/// try reader.finish { item in … }
/// ```
///
/// Besides checking each record, it rejects every repeat of an external id with the line where
/// the id first appeared, and, given the known country codes, every unknown one. A header that is
/// missing or wrong throws `invalid_header` (the whole file is refused); more than
/// ``WorkforceCSV/Limits/maxRows`` rows throws `too_many_rows`.
///
/// A record whose bytes are all ASCII is checked on its bytes, without a String per field; any
/// other record, and any record the byte checks do not accept, goes through
/// ``WorkforceCSV/Header/row(from:line:)``, which writes the rejections. Both accept exactly the
/// same records with the same values (a fuzz test compares them).
public struct WorkforceCSVReader {
    /// The bounds this reader enforces.
    public let limits: WorkforceCSV.Limits
    private var parser: CSVParser
    private var batch = CSVBatch()
    /// The file's header, once read.
    public private(set) var header: WorkforceCSV.Header?
    private var columns = ColumnPositions()
    private var firstLines: [String: Int] = [:]
    private let countries: CountryCodes?
    /// Data records read so far (the header excluded), good or rejected.
    public private(set) var recordsRead = 0

    /// - Parameter knownCountries: the country codes that exist (upper-case alpha-2); rows with
    ///   another code are rejected ("unknown country code"). Nil: any two letters pass.
    public init(limits: WorkforceCSV.Limits = WorkforceCSV.Limits(), knownCountries: Set<String>? = nil) {
        self.limits = limits
        self.parser = CSVParser(limits: limits.parser)
        self.countries = knownCountries.map(CountryCodes.init)
    }

    /// Reads a chunk, calling `emit` for every complete record.
    public mutating func feed(_ chunk: some Sequence<UInt8>, _ emit: (WorkforceCSVItem) throws -> Void) throws {
        try withoutActuallyEscaping(emit) { emit in
            var sink = ItemSink(emit: emit)
            try feed(chunk, into: &sink)
        }
    }

    /// Ends the input (the last record may lack its newline); throws `invalid_header` for a file
    /// without a header.
    public mutating func finish(_ emit: (WorkforceCSVItem) throws -> Void) throws {
        try withoutActuallyEscaping(emit) { emit in
            var sink = ItemSink(emit: emit)
            try finish(into: &sink)
        }
    }

    /// Reads a chunk, adding its good rows to `staging` in COPY's text format and its rejected
    /// lines to `staging`'s rejections (the store's way: no value per row, no String per field).
    public mutating func feed(_ chunk: some Sequence<UInt8>, into staging: inout WorkforceStaging) throws {
        try feed(chunk, into: &staging.sink)
    }

    /// Ends the input, as ``finish(_:)``, into `staging`.
    public mutating func finish(into staging: inout WorkforceStaging) throws {
        try finish(into: &staging.sink)
    }

    /// Reads a whole file at once (for small inputs and tests).
    public static func read(
        _ bytes: some Sequence<UInt8>, limits: WorkforceCSV.Limits = WorkforceCSV.Limits(), knownCountries: Set<String>? = nil
    ) throws -> [WorkforceCSVItem] {
        var reader = WorkforceCSVReader(limits: limits, knownCountries: knownCountries)
        var items: [WorkforceCSVItem] = []
        try reader.feed(bytes) { items.append($0) }
        try reader.finish { items.append($0) }
        return items
    }

    private mutating func feed<Sink: WorkforceSink>(_ chunk: some Sequence<UInt8>, into sink: inout Sink) throws {
        defer { batch.removeAll() }
        parser.scan(chunk, into: &batch)
        try drain(into: &sink)
    }

    private mutating func finish<Sink: WorkforceSink>(into sink: inout Sink) throws {
        defer { batch.removeAll() }
        parser.finish(into: &batch)
        try drain(into: &sink)
        if header == nil {
            throw MobiliseError(.invalid, code: .invalidHeader,
                                "the file is empty: its first line must be the header (\(WorkforceCSV.columns.joined(separator: ",")))")
        }
    }

    private mutating func drain<Sink: WorkforceSink>(into sink: inout Sink) throws {
        for index in batch.records.indices { try handle(batch.records[index], &sink) }
    }

    private mutating func handle<Sink: WorkforceSink>(_ record: CSVBatch.Record, _ sink: inout Sink) throws {
        guard let header else {
            if let problem = record.problem {
                throw MobiliseError(.invalid, code: .invalidHeader, "the header on line \(record.line) cannot be read: \(problem)")
            }
            let checked = try WorkforceCSV.Header(batch.fields(record))
            header = checked
            columns = ColumnPositions(checked)
            return
        }
        recordsRead += 1
        guard recordsRead <= limits.maxRows else {
            throw MobiliseError(.tooLarge, code: .tooManyRows, "the file has more than \(limits.maxRows) rows, the most one import takes")
        }
        if let problem = record.problem {
            try sink.reject(WorkforceRejection(line: record.line, error: problem))
            return
        }
        if record.ascii, record.fieldCount == header.fieldCount, let row = checkBytes(record) {
            let id = String(decoding: batch.bytes[row.externalID], as: UTF8.self)
            if let first = firstLines.updateValue(record.line, forKey: id) {
                firstLines[id] = first
                try sink.reject(WorkforceRejection(
                    line: record.line, error: "external_id \(WorkforceCSV.quoted(id)) already appears on line \(first)"))
                return
            }
            if let countries, !countries.contains(row.country.0, row.country.1) {
                try sink.reject(Self.unknownCountry(line: record.line, String(decoding: [row.country.0, row.country.1], as: UTF8.self)))
                return
            }
            try sink.accept(row, line: record.line, bytes: batch.bytes)
            return
        }
        // Everything else: checked on Strings, which names every problem.
        let fields = batch.fields(record)
        if let id = header.externalID(of: fields) {
            if let first = firstLines[id] {
                try sink.reject(WorkforceRejection(
                    line: record.line, error: "external_id \(WorkforceCSV.quoted(id)) already appears on line \(first)"))
                return
            }
            firstLines[id] = record.line
        }
        switch header.row(from: fields, line: record.line) {
        case .success(let row):
            let code = Array(row.country.utf8)
            if let countries, code.count != 2 || !countries.contains(code[0], code[1]) {
                try sink.reject(Self.unknownCountry(line: record.line, row.country))
            } else {
                try sink.accept(row)
            }
        case .failure(let rejection):
            try sink.reject(rejection)
        }
    }

    static func unknownCountry(line: Int, _ code: String) -> WorkforceRejection {
        WorkforceRejection(line: line, error: "unknown country code '\(code)' (not an ISO 3166-1 alpha-2 code)")
    }

    // MARK: Checking bytes

    /// The row an all-ASCII record describes, when ``WorkforceCSV/Header/row(from:line:)`` would
    /// accept it; nil when it would not, or might not (the String path then decides and explains).
    /// Each check below is that function's, for ASCII: whitespace is 09–0D and 20, one byte is
    /// one character.
    private func checkBytes(_ record: CSVBatch.Record) -> BytesRow? {
        let bytes = batch.bytes
        func value(_ position: Int, limit: Int?) -> Range<Int>?? {
            guard position >= 0 else { return .some(nil) }
            var range = batch.range(record, position)
            while range.lowerBound < range.upperBound, Self.isSpace(bytes[range.lowerBound]) { range = (range.lowerBound + 1)..<range.upperBound }
            while range.lowerBound < range.upperBound, Self.isSpace(bytes[range.upperBound - 1]) { range = range.lowerBound..<(range.upperBound - 1) }
            if range.isEmpty { return .some(nil) }
            if let limit, range.count > limit { return nil }
            if bytes[range].contains(0) { return nil }
            return .some(range)
        }
        guard let externalIDValue = value(columns.externalID, limit: 200), let externalID = externalIDValue,
              let email = value(columns.email, limit: 320),
              let displayName = value(columns.displayName, limit: 200),
              let countryValue = value(columns.country, limit: nil), let country = countryValue, country.count == 2,
              let gender = value(columns.gender, limit: nil),
              let site = value(columns.site, limit: 200),
              let orgUnit = value(columns.orgUnit, limit: 1000),
              let manager = value(columns.manager, limit: 200),
              let active = value(columns.active, limit: nil)
        else { return nil }
        if let email, !Self.looksLikeEmail(bytes[email]) { return nil }
        let first = bytes[country.lowerBound], second = bytes[country.lowerBound + 1]
        guard Self.isLetter(first), Self.isLetter(second) else { return nil }
        var row = BytesRow(
            externalID: externalID, email: email, displayName: displayName, country: (first & 0xDF, second & 0xDF),
            site: site, orgUnit: orgUnit, gender: .undisclosed, manager: manager, active: true)
        if let gender {
            guard let known = Gender.allCases.first(where: { Self.equalsLowercased(bytes[gender], $0.rawValue) }) else { return nil }
            row.gender = known
        }
        if let active {
            let text = bytes[active]
            if ["true", "1", "yes"].contains(where: { Self.equalsLowercased(text, $0) }) {
                row.active = true
            } else if ["false", "0", "no"].contains(where: { Self.equalsLowercased(text, $0) }) {
                row.active = false
            } else {
                return nil
            }
        }
        return row
    }

    @inline(__always) static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }
    @inline(__always) static func isLetter(_ byte: UInt8) -> Bool { (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) }

    /// ASCII `text`, lower-cased, is `word`.
    static func equalsLowercased(_ text: ArraySlice<UInt8>, _ word: String) -> Bool {
        guard text.count == word.utf8.count else { return false }
        return zip(text, word.utf8).allSatisfy { pair in
            let byte = pair.0
            return ((0x41...0x5A).contains(byte) ? byte | 0x20 : byte) == pair.1
        }
    }

    /// ``WorkforceCSV/looksLikeEmail(_:)`` on ASCII bytes.
    static func looksLikeEmail(_ text: ArraySlice<UInt8>) -> Bool {
        let at = UInt8(ascii: "@"), dot = UInt8(ascii: "."), dash = UInt8(ascii: "-")
        guard let sign = text.firstIndex(of: at), text[(sign + 1)...].firstIndex(of: at) == nil else { return false }
        let local = text[..<sign], domain = text[(sign + 1)...]
        guard !local.isEmpty, !domain.isEmpty, local.count <= 64 else { return false }
        for byte in text where byte != at {
            if isSpace(byte) || byte < 0x20 || byte == 0x7F || forbiddenInEmail.contains(byte) { return false }
        }
        // Labels between dots: at least two, none empty, none starting or ending with a dash.
        var labels = 0
        var start = domain.startIndex
        while true {
            let end = domain[start...].firstIndex(of: dot) ?? domain.endIndex
            let label = domain[start..<end]
            guard let firstByte = label.first, let lastByte = label.last, firstByte != dash, lastByte != dash else { return false }
            labels += 1
            if end == domain.endIndex { break }
            start = end + 1
        }
        return labels >= 2
    }

    private static let forbiddenInEmail: [UInt8] = Array("<>(),;:\"[]\\".utf8)
}

/// Where each workforce column is in a record (-1: absent).
private struct ColumnPositions {
    var externalID = -1, email = -1, displayName = -1, country = -1, gender = -1, site = -1, orgUnit = -1, manager = -1, active = -1

    init() {}

    init(_ header: WorkforceCSV.Header) {
        func position(_ name: String) -> Int { header.positions[name] ?? -1 }
        externalID = position("external_id")
        email = position("email")
        displayName = position("display_name")
        country = position("country")
        gender = position("gender")
        site = position("site")
        orgUnit = position("org_unit")
        manager = position("manager_external_id")
        active = position("active")
    }
}

/// A row checked on its bytes: where each (trimmed) value lies in the batch, nil when empty.
struct BytesRow {
    var externalID: Range<Int>
    var email, displayName: Range<Int>?
    /// Upper-cased.
    var country: (UInt8, UInt8)
    var site, orgUnit: Range<Int>?
    var gender: Gender
    var manager: Range<Int>?
    var active: Bool
}

/// The known country codes, as a table of two-letter codes.
private struct CountryCodes {
    private var known = [Bool](repeating: false, count: 26 * 26)

    init(_ codes: Set<String>) {
        for code in codes {
            let bytes = Array(code.utf8)
            guard bytes.count == 2, (0x41...0x5A).contains(bytes[0]), (0x41...0x5A).contains(bytes[1]) else { continue }
            known[Int(bytes[0] - 0x41) * 26 + Int(bytes[1] - 0x41)] = true
        }
    }

    /// Whether the upper-case code `first second` is known.
    func contains(_ first: UInt8, _ second: UInt8) -> Bool {
        guard (0x41...0x5A).contains(first), (0x41...0x5A).contains(second) else { return false }
        return known[Int(first - 0x41) * 26 + Int(second - 0x41)]
    }
}

/// Where the reader puts what it reads.
protocol WorkforceSink {
    mutating func accept(_ row: BytesRow, line: Int, bytes: [UInt8]) throws
    mutating func accept(_ row: WorkforceRow) throws
    mutating func reject(_ rejection: WorkforceRejection) throws
}

/// Items, for ``WorkforceCSVReader/feed(_:_:)``.
private struct ItemSink: WorkforceSink {
    let emit: (WorkforceCSVItem) throws -> Void

    func accept(_ row: BytesRow, line: Int, bytes: [UInt8]) throws {
        func text(_ range: Range<Int>?) -> String? { range.map { String(decoding: bytes[$0], as: UTF8.self) } }
        try emit(.row(WorkforceRow(
            line: line, externalID: String(decoding: bytes[row.externalID], as: UTF8.self), email: text(row.email),
            displayName: text(row.displayName), country: String(decoding: [row.country.0, row.country.1], as: UTF8.self),
            site: text(row.site), orgUnit: text(row.orgUnit), gender: row.gender, managerExternalID: text(row.manager),
            active: row.active)))
    }

    func accept(_ row: WorkforceRow) throws { try emit(.row(row)) }
    func reject(_ rejection: WorkforceRejection) throws { try emit(.rejected(rejection)) }
}

/// A workforce file's good rows in PostgreSQL's COPY text format, ready for
/// `COPY … (line, external_id, email, display_name, country, site, org_unit, gender,
/// manager_external_id, active) FROM STDIN`, and its rejected lines.
///
/// Filled by ``WorkforceCSVReader/feed(_:into:)``: good rows are written as bytes straight from
/// the file's, escaped (backslash, tab, newline, carriage return), `\N` for an empty value.
public struct WorkforceStaging: Sendable {
    fileprivate var sink = CopySink()

    public init() {}

    /// The COPY data.
    public var copyData: [UInt8] { sink.data }
    /// Good rows in ``copyData``.
    public var rows: Int { sink.rows }
    /// Rejected lines in line order: all of them, or the first ``ImportReport/maxListedRejections``.
    public var rejected: [WorkforceRejection] { sink.rejected }
    /// How many lines were rejected in all.
    public var rejectedCount: Int { sink.rejectedCount }
    /// The columns of ``copyData``, in order.
    public static let columns =
        ["line", "external_id", "email", "display_name", "country", "site", "org_unit", "gender", "manager_external_id", "active"]
}

private struct CopySink: WorkforceSink, Sendable {
    var data: [UInt8] = []
    var rows = 0
    var rejected: [WorkforceRejection] = []
    var rejectedCount = 0

    private static let tab = UInt8(ascii: "\t"), newline = UInt8(ascii: "\n"), backslash = UInt8(ascii: "\\")

    mutating func accept(_ row: BytesRow, line: Int, bytes: [UInt8]) throws {
        rows += 1
        appendLine(line)
        bytes.withUnsafeBufferPointer { bytes in
            func value(_ range: Range<Int>?) -> UnsafeBufferPointer<UInt8>? {
                range.map { UnsafeBufferPointer(rebasing: bytes[$0]) }
            }
            data.append(Self.tab)
            append(value(row.externalID))
            data.append(Self.tab)
            append(value(row.email))
            data.append(Self.tab)
            append(value(row.displayName))
            data.append(Self.tab)
            data.append(row.country.0)
            data.append(row.country.1)
            data.append(Self.tab)
            append(value(row.site))
            data.append(Self.tab)
            append(value(row.orgUnit))
            data.append(Self.tab)
            data.append(contentsOf: row.gender.rawValue.utf8)
            data.append(Self.tab)
            append(value(row.manager))
        }
        data.append(Self.tab)
        data.append(row.active ? UInt8(ascii: "t") : UInt8(ascii: "f"))
        data.append(Self.newline)
    }

    mutating func accept(_ row: WorkforceRow) throws {
        rows += 1
        appendLine(row.line)
        for field in [row.externalID, row.email, row.displayName, row.country, row.site, row.orgUnit, row.gender.rawValue,
                      row.managerExternalID] {
            data.append(Self.tab)
            if var field {
                field.withUTF8 { append($0) }
            } else {
                append(nil)
            }
        }
        data.append(Self.tab)
        data.append(row.active ? UInt8(ascii: "t") : UInt8(ascii: "f"))
        data.append(Self.newline)
    }

    mutating func reject(_ rejection: WorkforceRejection) throws {
        rejectedCount += 1
        if rejected.count < ImportReport.maxListedRejections { rejected.append(rejection) }
    }

    private mutating func appendLine(_ line: Int) {
        data.append(contentsOf: String(line).utf8)
    }

    /// A value: `\N` for nil, else its bytes with backslash, tab, newline and carriage return escaped.
    private mutating func append(_ value: UnsafeBufferPointer<UInt8>?) {
        guard let value else {
            data.append(Self.backslash)
            data.append(UInt8(ascii: "N"))
            return
        }
        guard value.contains(where: { $0 == Self.backslash || $0 == Self.tab || $0 == Self.newline || $0 == 0x0D }) else {
            data.append(contentsOf: value)
            return
        }
        for byte in value {
            switch byte {
            case Self.backslash: data.append(Self.backslash); data.append(Self.backslash)
            case Self.tab: data.append(Self.backslash); data.append(UInt8(ascii: "t"))
            case Self.newline: data.append(Self.backslash); data.append(UInt8(ascii: "n"))
            case 0x0D: data.append(Self.backslash); data.append(UInt8(ascii: "r"))
            default: data.append(byte)
            }
        }
    }
}
