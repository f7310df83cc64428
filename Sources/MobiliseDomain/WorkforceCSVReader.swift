import Foundation

// Reading a workforce file: records from `CSVParser` to rows or rejections, under the rules of
// `WorkforceCSV` (see `WorkforceCSV.swift`), to a sink: items for callers, or COPY data for the
// store (`WorkforceCopySink.swift`).

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
        let hint = CountryNames.suggestion(for: code).map { "; did you mean \($0)?" } ?? ""
        return WorkforceRejection(line: line, error: "unknown country code '\(code)' (not an ISO 3166-1 alpha-2 code\(hint))")
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
              let active = value(columns.active, limit: nil),
              let language = value(columns.language, limit: PersonLocale.maxLanguageLength),
              let timeZone = value(columns.timeZone, limit: PersonLocale.maxTimeZoneLength)
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
        // A person's language and time zone: rare enough in a file to be checked as Strings.
        if let language {
            guard let tag = PersonLocale.language(String(decoding: bytes[language], as: UTF8.self)) else { return nil }
            row.preferredLanguage = tag
        }
        if let timeZone {
            guard let zone = PersonLocale.timeZone(String(decoding: bytes[timeZone], as: UTF8.self)) else { return nil }
            row.timeZone = zone
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
    var language = -1, timeZone = -1

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
        language = position("preferred_language")
        timeZone = position("time_zone")
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
    /// Normalised (checked as Strings; nil when empty).
    var preferredLanguage: String? = nil
    var timeZone: String? = nil
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
            active: row.active, preferredLanguage: row.preferredLanguage, timeZone: row.timeZone)))
    }

    func accept(_ row: WorkforceRow) throws { try emit(.row(row)) }
    func reject(_ rejection: WorkforceRejection) throws { try emit(.rejected(rejection)) }
}
