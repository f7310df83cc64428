import Foundation

// The COPY sink of the workforce import: good rows written in PostgreSQL's COPY text format as the
// reader accepts them (straight from the file's bytes for plain-ASCII rows), rejections kept for
// the report.

/// A workforce file's good rows in PostgreSQL's COPY text format, ready for
/// `COPY … (line, external_id, email, display_name, country, site, org_unit, gender,
/// manager_external_id, active, preferred_language, time_zone) FROM STDIN`, and its rejected lines.
///
/// Filled by ``WorkforceCSVReader/feed(_:into:)``: good rows are written as bytes straight from
/// the file's, escaped (backslash, tab, newline, carriage return), `\N` for an empty value.
public struct WorkforceStaging: Sendable {
    var sink = CopySink()

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
        ["line", "external_id", "email", "display_name", "country", "site", "org_unit", "gender", "manager_external_id", "active",
         "preferred_language", "time_zone"]
}

struct CopySink: WorkforceSink, Sendable {
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
        appendLocale(row.preferredLanguage, row.timeZone)
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
        appendLocale(row.preferredLanguage, row.timeZone)
        data.append(Self.newline)
    }

    /// The last two columns: a language tag and a time zone (letters, digits, `-`, `_`, `/`, `+`: nothing to escape).
    private mutating func appendLocale(_ language: String?, _ timeZone: String?) {
        for field in [language, timeZone] {
            data.append(Self.tab)
            if var field {
                field.withUTF8 { append($0) }
            } else {
                append(nil)
            }
        }
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
