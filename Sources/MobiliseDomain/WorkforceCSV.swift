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
    private var field: [UInt8] = []
    private var fieldTooLong = false
    private var fields: [String] = []
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
        let handled: Void? = try chunk.withContiguousStorageIfAvailable { buffer in
            for byte in buffer { try consume(byte, emit) }
        }
        if handled == nil {
            for byte in chunk { try consume(byte, emit) }
        }
    }

    /// Ends the input: emits the last record when the file has no trailing newline, or a
    /// rejection when a quoted field was never closed.
    public mutating func finish(_ emit: (Output) throws -> Void) rethrows {
        if !pastStart {
            // A file shorter than a BOM: what was held back is data.
            pastStart = true
            for byte in Self.bom.prefix(bomMatched) { try process(byte, emit) }
        }
        switch state {
        case .quoted:
            let reason = "a quoted field opened on line \(quoteLine) is never closed (a stray \" in the file?)"
            reset()
            try emit(.malformed(line: recordLine, reason: reason))
        case .fieldStart where !recordHasContent:
            break
        default:
            endField()
            try endRecord(emit)
        }
    }

    /// Reads a whole input at once (for small inputs and tests).
    public static func parse(_ bytes: some Sequence<UInt8>, limits: Limits = Limits()) -> [Output] {
        var parser = CSVParser(limits: limits)
        var outputs: [Output] = []
        parser.feed(bytes) { outputs.append($0) }
        parser.finish { outputs.append($0) }
        return outputs
    }

    @inline(__always)
    private mutating func consume(_ byte: UInt8, _ emit: (Output) throws -> Void) rethrows {
        if pastStart {
            try process(byte, emit)
            return
        }
        // Skip a UTF-8 byte order mark at the very start, even when split across chunks.
        if byte == Self.bom[bomMatched] {
            bomMatched += 1
            if bomMatched == Self.bom.count { pastStart = true }
            return
        }
        pastStart = true
        for held in Self.bom.prefix(bomMatched) { try process(held, emit) }
        try process(byte, emit)
    }

    private static let quote = UInt8(ascii: "\"")
    private static let comma = UInt8(ascii: ",")
    private static let cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n")

    @inline(__always)
    private mutating func process(_ byte: UInt8, _ emit: (Output) throws -> Void) rethrows {
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
                    try endRecord(emit)
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
                try endRecord(emit)
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
                try endRecord(emit)
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
        if field.count < limits.maxFieldBytes {
            field.append(byte)
        } else if !fieldTooLong {
            fieldTooLong = true
            note("field \(fieldCount + 1) is longer than the limit of \(limits.maxFieldBytes) bytes")
        }
    }

    private mutating func note(_ reason: String) {
        if problem == nil { problem = reason }
    }

    private mutating func endField() {
        fieldCount += 1
        defer {
            field.removeAll(keepingCapacity: field.count <= 4096)
            fieldTooLong = false
        }
        guard problem == nil else { return }
        guard fieldCount <= limits.maxFields else {
            note("the record has more than \(limits.maxFields) fields")
            fields.removeAll()
            return
        }
        guard let text = String(validating: field, as: UTF8.self) else {
            note("field \(fieldCount) is not valid UTF-8 (save the file as UTF-8)")
            return
        }
        fields.append(text)
    }

    private mutating func endRecord(_ emit: (Output) throws -> Void) rethrows {
        let output: Output = if let problem {
            .malformed(line: recordLine, reason: problem)
        } else {
            .record(line: recordLine, fields: fields)
        }
        reset()
        try emit(output)
    }

    private mutating func reset() {
        state = .fieldStart
        field.removeAll(keepingCapacity: field.count <= 4096)
        fieldTooLong = false
        fields.removeAll(keepingCapacity: true)
        fieldCount = 0
        problem = nil
        recordHasContent = false
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
                throw MobiliseError(.invalid, code: "invalid_header",
                                    "the header names unknown column\(unknown.count == 1 ? "" : "s") \(list) (\(expected))")
            }
            if !repeated.isEmpty {
                let list = repeated.map { "'\($0)'" }.joined(separator: ", ")
                throw MobiliseError(.invalid, code: "invalid_header", "the header names \(list) more than once")
            }
            let missing = WorkforceCSV.columns.filter { WorkforceCSV.requiredColumns.contains($0) && positions[$0] == nil }
            if !missing.isEmpty {
                let list = missing.map { "'\($0)'" }.joined(separator: " and ")
                throw MobiliseError(.invalid, code: "invalid_header",
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
            var problems: [String] = []
            func value(_ column: String) -> String? {
                guard let position = positions[column] else { return nil }
                let value = fields[position].trimmingCharacters(in: .whitespacesAndNewlines)
                if value.isEmpty { return nil }
                if value.utf8.contains(0) {
                    problems.append("\(column) contains a NUL character")
                    return nil
                }
                if let limit = WorkforceCSV.maxLength[column], value.unicodeScalars.count > limit {
                    problems.append("\(column) is \(value.unicodeScalars.count) characters long (the limit is \(limit))")
                    return nil
                }
                return value
            }

            let externalID = value("external_id")
            if externalID == nil, !problems.contains(where: { $0.hasPrefix("external_id") }) {
                problems.append("external_id is empty")
            }
            let email = value("email")
            if let email, !WorkforceCSV.looksLikeEmail(email) {
                problems.append("email \(WorkforceCSV.quoted(email)) does not look like an email address")
            }
            let displayName = value("display_name")
            var country = ""
            if let raw = value("country") {
                if raw.utf8.count == 2, raw.utf8.allSatisfy({ (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }) {
                    country = raw.uppercased()
                } else {
                    problems.append("country \(WorkforceCSV.quoted(raw)) is not an ISO 3166-1 alpha-2 code (two letters, e.g. FR)")
                }
            } else if !problems.contains(where: { $0.hasPrefix("country") }) {
                problems.append("country is empty (an ISO 3166-1 alpha-2 code is required, e.g. FR)")
            }
            var gender = Gender.undisclosed
            if let raw = value("gender") {
                if let known = Gender(rawValue: raw.lowercased()) {
                    gender = known
                } else {
                    problems.append("unknown gender \(WorkforceCSV.quoted(raw)) (expected female, male, non_binary or undisclosed)")
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
                default: problems.append("active \(WorkforceCSV.quoted(raw)) is not a yes/no value (expected true, false, 1, 0, yes or no)")
                }
            }
            guard problems.isEmpty, let externalID else {
                return .failure(WorkforceRejection(line: line, error: problems.joined(separator: "; ")))
            }
            return .success(WorkforceRow(
                line: line, externalID: externalID, email: email, displayName: displayName, country: country, site: site,
                orgUnit: orgUnit, gender: gender, managerExternalID: manager, active: active))
        }
    }

    /// A plausible email address: one `@` between a local part and a dotted domain, no spaces,
    /// no control characters, none of `<>(),;:"[]\`.
    public static func looksLikeEmail(_ text: String) -> Bool {
        let forbidden: Set<Unicode.Scalar> = ["<", ">", "(", ")", ",", ";", ":", "\"", "[", "]", "\\", "@"]
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        let local = parts[0], domain = parts[1]
        guard !local.isEmpty, !domain.isEmpty, local.utf8.count <= 64 else { return false }
        for scalar in text.unicodeScalars where scalar != "@" {
            if scalar.properties.isWhitespace || scalar.value < 0x20 || scalar.value == 0x7F || forbidden.contains(scalar) {
                return false
            }
        }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        return labels.count >= 2 && labels.allSatisfy { !$0.isEmpty && !$0.hasPrefix("-") && !$0.hasSuffix("-") }
    }

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
/// the id first appeared. A header that is missing or wrong throws `invalid_header` (the whole file
/// is refused); more than ``WorkforceCSV/Limits/maxRows`` rows throws `too_many_rows`.
public struct WorkforceCSVReader {
    /// The bounds this reader enforces.
    public let limits: WorkforceCSV.Limits
    private var parser: CSVParser
    /// The file's header, once read.
    public private(set) var header: WorkforceCSV.Header?
    private var firstLines: [String: Int] = [:]
    /// Data records read so far (the header excluded), good or rejected.
    public private(set) var recordsRead = 0

    public init(limits: WorkforceCSV.Limits = WorkforceCSV.Limits()) {
        self.limits = limits
        self.parser = CSVParser(limits: limits.parser)
    }

    /// Reads a chunk, calling `emit` for every complete record.
    public mutating func feed(_ chunk: some Sequence<UInt8>, _ emit: (WorkforceCSVItem) throws -> Void) throws {
        var outputs: [CSVParser.Output] = []
        // Records are collected per chunk and then handled, as the parser is borrowed while it runs.
        parser.feed(chunk) { outputs.append($0) }
        for output in outputs { try handle(output, emit) }
    }

    /// Ends the input (the last record may lack its newline); throws `invalid_header` for a file
    /// without a header.
    public mutating func finish(_ emit: (WorkforceCSVItem) throws -> Void) throws {
        var outputs: [CSVParser.Output] = []
        parser.finish { outputs.append($0) }
        for output in outputs { try handle(output, emit) }
        if header == nil {
            throw MobiliseError(.invalid, code: "invalid_header",
                                "the file is empty: its first line must be the header (\(WorkforceCSV.columns.joined(separator: ",")))")
        }
    }

    /// Reads a whole file at once (for small inputs and tests).
    public static func read(_ bytes: some Sequence<UInt8>, limits: WorkforceCSV.Limits = WorkforceCSV.Limits()) throws -> [WorkforceCSVItem] {
        var reader = WorkforceCSVReader(limits: limits)
        var items: [WorkforceCSVItem] = []
        try reader.feed(bytes) { items.append($0) }
        try reader.finish { items.append($0) }
        return items
    }

    private mutating func handle(_ output: CSVParser.Output, _ emit: (WorkforceCSVItem) throws -> Void) throws {
        guard let header else {
            switch output {
            case .record(_, let fields):
                header = try WorkforceCSV.Header(fields)
            case .malformed(let line, let reason):
                throw MobiliseError(.invalid, code: "invalid_header", "the header on line \(line) cannot be read: \(reason)")
            }
            return
        }
        recordsRead += 1
        guard recordsRead <= limits.maxRows else {
            throw MobiliseError(.tooLarge, code: "too_many_rows", "the file has more than \(limits.maxRows) rows, the most one import takes")
        }
        switch output {
        case .malformed(let line, let reason):
            try emit(.rejected(WorkforceRejection(line: line, error: reason)))
        case .record(let line, let fields):
            if let id = header.externalID(of: fields) {
                if let first = firstLines[id] {
                    try emit(.rejected(WorkforceRejection(
                        line: line, error: "external_id \(WorkforceCSV.quoted(id)) already appears on line \(first)")))
                    return
                }
                firstLines[id] = line
            }
            switch header.row(from: fields, line: line) {
            case .success(let row): try emit(.row(row))
            case .failure(let rejection): try emit(.rejected(rejection))
            }
        }
    }
}
