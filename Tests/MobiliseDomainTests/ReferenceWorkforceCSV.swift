import Foundation
import MobiliseDomain

// The workforce CSV parser and reader as they were before the byte-level rewrite (commit 49ca705),
// kept verbatim (renamed) as the reference the differential fuzz tests compare the fast ones with.
// Do not optimise this file: its value is that it is the old, obviously-correct code.

/// they are complete.
///
/// ```swift
/// var parser = ReferenceCSVParser()
/// for chunk in chunks { parser.feed(chunk) { output in … } }
/// parser.finish { output in … }
/// ```
///
/// Memory is bounded by the limits: at most ``Limits/maxFields`` fields of at most
/// ``Limits/maxFieldBytes`` bytes are kept for the record being read.
struct ReferenceCSVParser {
    typealias Limits = CSVParser.Limits
    typealias Output = CSVParser.Output

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
    let limits: Limits
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

    init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Reads a chunk of bytes, calling `emit` for every record it completes.
    mutating func feed(_ chunk: some Sequence<UInt8>, _ emit: (Output) throws -> Void) rethrows {
        let handled: Void? = try chunk.withContiguousStorageIfAvailable { buffer in
            for byte in buffer { try consume(byte, emit) }
        }
        if handled == nil {
            for byte in chunk { try consume(byte, emit) }
        }
    }

    /// Ends the input: emits the last record when the file has no trailing newline, or a
    /// rejection when a quoted field was never closed.
    mutating func finish(_ emit: (Output) throws -> Void) rethrows {
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
    static func parse(_ bytes: some Sequence<UInt8>, limits: Limits = Limits()) -> [Output] {
        var parser = ReferenceCSVParser(limits: limits)
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

struct ReferenceWorkforceReader {
    /// The bounds this reader enforces.
    let limits: WorkforceCSV.Limits
    private var parser: ReferenceCSVParser
    /// The file's header, once read.
    private(set) var header: WorkforceCSV.Header?
    private var firstLines: [String: Int] = [:]
    /// Data records read so far (the header excluded), good or rejected.
    private(set) var recordsRead = 0

    init(limits: WorkforceCSV.Limits = WorkforceCSV.Limits()) {
        self.limits = limits
        self.parser = ReferenceCSVParser(limits: limits.parser)
    }

    /// Reads a chunk, calling `emit` for every complete record.
    mutating func feed(_ chunk: some Sequence<UInt8>, _ emit: (WorkforceCSVItem) throws -> Void) throws {
        var outputs: [CSVParser.Output] = []
        // Records are collected per chunk and then handled, as the parser is borrowed while it runs.
        parser.feed(chunk) { outputs.append($0) }
        for output in outputs { try handle(output, emit) }
    }

    /// Ends the input (the last record may lack its newline); throws `invalid_header` for a file
    /// without a header.
    mutating func finish(_ emit: (WorkforceCSVItem) throws -> Void) throws {
        var outputs: [CSVParser.Output] = []
        parser.finish { outputs.append($0) }
        for output in outputs { try handle(output, emit) }
        if header == nil {
            throw MobiliseError(.invalid, code: .invalidHeader,
                                "the file is empty: its first line must be the header (\(WorkforceCSV.columns.joined(separator: ",")))")
        }
    }

    /// Reads a whole file at once (for small inputs and tests).
    static func read(_ bytes: some Sequence<UInt8>, limits: WorkforceCSV.Limits = WorkforceCSV.Limits()) throws -> [WorkforceCSVItem] {
        var reader = ReferenceWorkforceReader(limits: limits)
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
                throw MobiliseError(.invalid, code: .invalidHeader, "the header on line \(line) cannot be read: \(reason)")
            }
            return
        }
        recordsRead += 1
        guard recordsRead <= limits.maxRows else {
            throw MobiliseError(.tooLarge, code: .tooManyRows, "the file has more than \(limits.maxRows) rows, the most one import takes")
        }
        switch output {
        case .malformed(let line, let reason):
            try emit(.rejected(WorkforceRejection(line: line, error: reason)))
        case .record(let line, let fields):
            if let id = header.externalID(of: fields) {
                if let first = firstLines[id] {
                    try emit(.rejected(WorkforceRejection(
                        line: line, error: "external_id \(referenceQuoted(id)) already appears on line \(first)")))
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

/// `WorkforceCSV.quoted` (internal to the domain module), copied.
private func referenceQuoted(_ value: String) -> String {
    let shown = value.count > 40 ? String(value.prefix(40)) + "…" : value
    return "'\(shown)'"
}
