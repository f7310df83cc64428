import Foundation

/// The instants Mobilise accepts from its callers: years 1 to 9999, as RFC 3339 writes them (four
/// digits). Foundation's ISO 8601 parser also reads longer years, and instants hundreds of thousands
/// of years away are past what PostgreSQL and the microsecond arithmetic can hold.
public enum Instants {
    /// 0001-01-01T00:00:00Z.
    public static let earliest = Date(timeIntervalSince1970: -62_135_596_800)
    /// 9999-12-31T23:59:59.999Z.
    public static let latest = Date(timeIntervalSince1970: 253_402_300_799.999)

    /// Whether `date` lies within years 1 to 9999.
    public static func isSupported(_ date: Date) -> Bool { (earliest...latest).contains(date) }

    /// Whether `text` starts like an RFC 3339 date: a four-digit year, then `-`.
    public static func hasFourDigitYear(_ text: some StringProtocol) -> Bool {
        let head = Array(text.utf8.prefix(5))
        return head.count == 5 && head[4] == UInt8(ascii: "-")
            && head[0..<4].allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }
}
