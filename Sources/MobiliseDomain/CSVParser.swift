import Foundation

// The tokenizer of the workforce file (and of any CSV the service reads): bytes to records, as a
// stream, so that a file of any size is never held whole in memory. RFC 4180: quoted fields,
// doubled quotes, newlines inside quotes, CRLF or LF, optional BOM, optional trailing newline; each
// record with the physical line it starts on. A record it cannot read (invalid UTF-8, a broken
// quote, a field over the size limit) becomes a rejection for that line, never a crash.
//
// The other parts of the workforce file: `WorkforceCSV.swift` (the rules: what a row may hold),
// `WorkforceCSVReader.swift` (records to rows or rejections) and `WorkforceCopySink.swift` (good rows
// in COPY's text format, for the store).

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
