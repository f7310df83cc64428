import Foundation

/// The instants Mobilise accepts from its callers, the one rule for the API (query parameters, JSON
/// bodies) and the command line alike: a date (`2026-09-01`, midnight UTC) or an RFC 3339 date-time
/// (`2026-09-01T09:30:00Z`, `2026-09-01T09:30:00.250+02:00`), of years 1 to 9999 in UTC.
///
/// Parsed here, by arithmetic on the proleptic Gregorian calendar, not by Foundation's ISO 8601
/// parser: that one also reads longer years (instants hundreds of thousands of years away are past
/// what PostgreSQL and the microsecond arithmetic can hold), and it counts the first centuries in the
/// Julian calendar, so that it refused `0001-01-01T00:00:00Z`.
public enum Instants {
    /// 0001-01-01T00:00:00Z.
    public static let earliest = Date(timeIntervalSince1970: -62_135_596_800)
    /// 9999-12-31T23:59:59.999Z.
    public static let latest = Date(timeIntervalSince1970: 253_402_300_799.999)

    /// Whether `date` lies within years 1 to 9999.
    public static func isSupported(_ date: Date) -> Bool { (earliest...latest).contains(date) }

    /// How an accepted instant is written, for messages.
    public static let examples = "2026-09-01 or 2026-09-01T09:00:00Z"

    /// The one sentence for a value that is not an instant, after the name of the parameter, field
    /// or option when there is one: `as_of: '2026-13-01' is not a date or …`.
    public static func notAnInstant(_ value: some StringProtocol, name: String? = nil) -> String {
        (name.map { "\($0): " } ?? "") + "'\(value)' is not a date or an RFC 3339 date and time of years 1 to 9999; write it like \(examples)"
    }

    /// `text` as an instant, or nil when it is not one (see ``Instants``).
    public static func parse(_ text: some StringProtocol) -> Date? {
        var scanner = Scanner(Array(text.utf8))
        guard let year = scanner.digits(4), scanner.skip("-"), let month = scanner.digits(2), scanner.skip("-"),
              let day = scanner.digits(2), (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day), year >= 1
        else { return nil }
        var seconds = Double(daysFromEpoch(year: year, month: month, day: day)) * 86_400
        if !scanner.atEnd {
            guard scanner.skip("T") || scanner.skip("t") || scanner.skip(" "),
                  let hour = scanner.digits(2), scanner.skip(":"), let minute = scanner.digits(2), scanner.skip(":"),
                  let second = scanner.digits(2), hour <= 23, minute <= 59, second <= 60  // 60: a leap second
            else { return nil }
            var fraction = 0.0
            if scanner.skip(".") {
                guard let digits = scanner.fraction() else { return nil }
                fraction = digits
            }
            var offset = 0
            if scanner.skip("Z") || scanner.skip("z") {
            } else if let sign = scanner.sign() {
                guard let hours = scanner.digits(2), scanner.skip(":"), let minutes = scanner.digits(2), hours <= 23, minutes <= 59
                else { return nil }
                offset = sign * (hours * 3_600 + minutes * 60)
            } else {
                return nil
            }
            guard scanner.atEnd else { return nil }
            seconds += Double(hour * 3_600 + minute * 60 + second - offset) + fraction
        }
        let date = Date(timeIntervalSince1970: seconds)
        return isSupported(date) ? date : nil
    }

    /// The instant of a ranking's `as_of` (`--as-of`): an instant (see ``parse(_:)``) not after
    /// `now`, since no figure is known yet for the future.
    /// - Throws: ``MobiliseError`` `.invalid` `invalid_parameter`, with the same sentence everywhere.
    public static func asOf(_ text: some StringProtocol, name: String = "as_of", now: Date = Date()) throws -> Date {
        guard let date = parse(text) else { throw MobiliseError(.invalid, code: .invalidParameter, notAnInstant(text, name: name)) }
        guard date <= now else {
            throw MobiliseError(
                .invalid, code: .invalidParameter,
                "\(name): '\(text)' is in the future; figures are known up to now (leave \(name) out for the latest)")
        }
        return date
    }

    /// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (Howard Hinnant's algorithm).
    static func daysFromEpoch(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Reads ASCII digits and punctuation off the front of a string's bytes.
    private struct Scanner {
        let bytes: [UInt8]
        var position = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { position == bytes.count }

        mutating func skip(_ character: Unicode.Scalar) -> Bool {
            guard position < bytes.count, bytes[position] == UInt8(ascii: character) else { return false }
            position += 1
            return true
        }

        /// Exactly `count` digits as a number.
        mutating func digits(_ count: Int) -> Int? {
            guard position + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[position..<position + count] {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            position += count
            return value
        }

        /// One or more digits after a decimal point, as a fraction of a second (digits past the
        /// ninth are read and ignored).
        mutating func fraction() -> Double? {
            var value = 0.0
            var scale = 1.0
            let start = position
            while position < bytes.count, bytes[position] >= UInt8(ascii: "0"), bytes[position] <= UInt8(ascii: "9") {
                if position - start < 9 {
                    scale /= 10
                    value += Double(bytes[position] - UInt8(ascii: "0")) * scale
                }
                position += 1
            }
            return position > start ? value : nil
        }

        /// `+` as 1, `-` as -1.
        mutating func sign() -> Int? {
            if skip("+") { return 1 }
            if skip("-") { return -1 }
            return nil
        }
    }
}
