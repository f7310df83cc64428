import Foundation

/// Timestamps in PostgreSQL's ISO text form, converted with integer calendar arithmetic
/// (no Calendar or DateFormatter: exact, locale-free and fast).
enum PostgresTimestamp {
    /// `2015-06-01 09:30:00.123456+00`, rounded to the microsecond. An instant whose microseconds
    /// do not fit 64 bits (hundreds of thousands of years away, past PostgreSQL's own range) is
    /// written `infinity` or `-infinity` instead of trapping; callers check their input's range.
    static func format(_ date: Date) -> String {
        if date == .distantFuture { return "infinity" }
        if date == .distantPast { return "-infinity" }
        let scaled = (date.timeIntervalSince1970 * 1_000_000).rounded()
        guard let micros = Int64(exactly: scaled) else {
            return scaled > 0 ? "infinity" : "-infinity"
        }
        let (days, microOfDay) = micros.floorDivided(by: 86_400_000_000)
        let (year, month, day) = civil(fromDays: days)
        let seconds = microOfDay / 1_000_000
        let fraction = microOfDay % 1_000_000
        var text = "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2)) "
        text += "\(pad(seconds / 3600, 2)):\(pad(seconds / 60 % 60, 2)):\(pad(seconds % 60, 2))"
        if fraction != 0 { text += "." + pad(fraction, 6) }
        return text + "+00"
    }

    /// Parses `YYYY-MM-DD[ HH:MM:SS[.ffffff]][±HH[:MM[:SS]]]`, `infinity` and `-infinity`.
    static func parse(_ text: [UInt8]) -> Date? {
        if text.elementsEqual("infinity".utf8) { return .distantFuture }
        if text.elementsEqual("-infinity".utf8) { return .distantPast }
        var scanner = DigitScanner(text)
        guard let year = scanner.number(), scanner.skip("-"), let month = scanner.number(), scanner.skip("-"),
              let day = scanner.number(), (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        // Microseconds since 1970 fit 64 bits until year 294,247 (PostgreSQL's dates go further).
        guard year <= 294_000 else { return nil }
        var micros = Int64(days(fromCivil: year, month, day)) * 86_400_000_000
        if scanner.skip(" ") || scanner.skip("T") {
            guard let hour = scanner.number(), scanner.skip(":"), let minute = scanner.number(), scanner.skip(":"),
                  let second = scanner.number()
            else { return nil }
            micros += Int64(hour * 3600 + minute * 60 + second) * 1_000_000
            if scanner.skip(".") {
                let (fraction, digits) = scanner.numberWithDigits()
                guard digits > 0, digits <= 6 else { return nil }
                var scaled = Int64(fraction)
                for _ in digits..<6 { scaled *= 10 }
                micros += scaled
            }
            if let sign = scanner.sign() {
                guard let offsetHours = scanner.number() else { return nil }
                var offset = offsetHours * 3600
                if scanner.skip(":"), let minutes = scanner.number() { offset += minutes * 60 }
                if scanner.skip(":"), let seconds = scanner.number() { offset += seconds }
                micros -= Int64(sign * offset) * 1_000_000
            }
        }
        if scanner.skip(" BC") { return nil }  // dates before year 1 are out of scope
        guard scanner.atEnd else { return nil }
        return Date(timeIntervalSince1970: Double(micros) / 1_000_000)
    }

    /// A timestamp or timestamptz in binary format (microseconds since 2000-01-01 00:00 UTC, the
    /// largest and smallest values for ±infinity), read as ``parse(_:)`` reads its text: nil before
    /// year 1 or after year 294,000.
    static func date(microsecondsSince2000 micros: Int64) -> Date? {
        if micros == .max { return .distantFuture }
        if micros == .min { return .distantPast }
        // PostgreSQL's latest timestamps (year 294,276) overflow 64 bits as microseconds since 1970.
        let (since1970, overflow) = micros.addingReportingOverflow(epoch2000)
        guard !overflow, since1970 >= earliestMicros, since1970 < endMicros else { return nil }
        return Date(timeIntervalSince1970: Double(since1970) / 1_000_000)
    }

    /// A date in binary format (days since 2000-01-01, the largest and smallest values for ±infinity),
    /// as midnight UTC.
    static func date(daysSince2000 days: Int32) -> Date? {
        if days == .max { return .distantFuture }
        if days == .min { return .distantPast }
        // Within the range above, so that the product fits 64 bits.
        let days1970 = Int64(days) + epoch2000 / 86_400_000_000
        guard days1970 >= earliestMicros / 86_400_000_000, days1970 < endMicros / 86_400_000_000 else { return nil }
        return Date(timeIntervalSince1970: Double(days1970 * 86_400_000_000) / 1_000_000)
    }

    /// 2000-01-01 00:00 UTC (PostgreSQL's epoch) in microseconds since 1970.
    private static let epoch2000 = Int64(days(fromCivil: 2000, 1, 1)) * 86_400_000_000
    /// The range ``parse(_:)`` reads: from year 1 to the end of year 294,000, in microseconds since 1970.
    private static let earliestMicros = Int64(days(fromCivil: 1, 1, 1)) * 86_400_000_000
    private static let endMicros = Int64(days(fromCivil: 294_001, 1, 1)) * 86_400_000_000

    private static func pad(_ value: some BinaryInteger, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    /// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func days(fromCivil year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civil(fromDays days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = Int(days) + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

private struct DigitScanner {
    let bytes: [UInt8]
    var index = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { index == bytes.count }

    mutating func skip(_ literal: StaticString) -> Bool {
        let (matches, count) = literal.withUTF8Buffer { literalBytes in
            (bytes.count - index >= literalBytes.count && (0..<literalBytes.count).allSatisfy { bytes[index + $0] == literalBytes[$0] },
             literalBytes.count)
        }
        if matches { index += count }
        return matches
    }

    mutating func number() -> Int? {
        let (value, digits) = numberWithDigits()
        return digits > 0 ? value : nil
    }

    mutating func numberWithDigits() -> (Int, Int) {
        var value = 0
        var digits = 0
        while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9"), digits < 18 {
            value = value * 10 + Int(bytes[index] - UInt8(ascii: "0"))
            digits += 1
            index += 1
        }
        return (value, digits)
    }

    mutating func sign() -> Int? {
        if skip("+") { return 1 }
        if skip("-") { return -1 }
        return nil
    }
}

extension Int64 {
    /// Division rounding toward negative infinity, with a non-negative remainder.
    func floorDivided(by divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let quotient = self / divisor
        let remainder = self % divisor
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }
}
