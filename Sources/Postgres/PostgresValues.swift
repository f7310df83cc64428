import Foundation

/// A Swift value that can be sent as a query parameter.
public protocol PostgresEncodable: Sendable {
    /// The type given to the parameter (also used for NULL of this type).
    static var postgresType: PostgresType { get }
    /// The parameter's bytes.
    var postgresBind: PostgresBind { get }
}

/// A Swift value that can be read from a result column.
public protocol PostgresDecodable {
    /// Decodes the value from a cell; throws a ``PostgresError`` of kind `.decoding` naming the column
    /// and both types when the cell is NULL or holds another type.
    init(postgresCell cell: PostgresCell) throws
}

/// Both directions.
public typealias PostgresCodable = PostgresEncodable & PostgresDecodable

// MARK: - Text-format encodings

extension PostgresEncodable where Self: CustomStringConvertible {
    /// The value's `description`, in text format: right for numbers.
    var textBind: PostgresBind { PostgresBind(type: Self.postgresType, text: description) }
}

extension Bool: PostgresCodable {
    public static var postgresType: PostgresType { .bool }
    public var postgresBind: PostgresBind { PostgresBind(type: .bool, text: self ? "t" : "f") }
    public init(postgresCell cell: PostgresCell) throws {
        let text = try cell.text(accepting: [.bool], as: Bool.self)
        switch text {
        case "t", "true": self = true
        case "f", "false": self = false
        default: throw cell.malformed(as: Bool.self)
        }
    }
}

extension String: PostgresCodable {
    public static var postgresType: PostgresType { .text }
    public var postgresBind: PostgresBind { PostgresBind(type: .text, text: self) }
    /// Reads text, varchar, char, name, json and user-defined types (enums, citext) as text.
    public init(postgresCell cell: PostgresCell) throws {
        self = try cell.text(accepting: [.text, .varchar, .bpchar, .name, .unknown, .json, .jsonb], as: String.self,
                             userDefined: true)
    }
}

/// Integers read from any integer column, with a range check.
public protocol PostgresInteger: PostgresCodable, FixedWidthInteger, CustomStringConvertible {}

extension PostgresInteger {
    public var postgresBind: PostgresBind { textBind }
    public init(postgresCell cell: PostgresCell) throws {
        let text = try cell.text(accepting: [.int2, .int4, .int8, .oid], as: Self.self)
        guard let value = Self(text, radix: 10) else { throw cell.malformed(as: Self.self) }
        self = value
    }
}

extension Int: PostgresInteger { public static var postgresType: PostgresType { .int8 } }
extension Int64: PostgresInteger { public static var postgresType: PostgresType { .int8 } }
extension Int32: PostgresInteger { public static var postgresType: PostgresType { .int4 } }
extension Int16: PostgresInteger { public static var postgresType: PostgresType { .int2 } }

extension Double: PostgresCodable {
    public static var postgresType: PostgresType { .float8 }
    public var postgresBind: PostgresBind {
        let text: String =
            if isNaN { "NaN" } else if self == .infinity { "Infinity" } else if self == -.infinity { "-Infinity" }
            else { description }
        return PostgresBind(type: .float8, text: text)
    }
    public init(postgresCell cell: PostgresCell) throws {
        let text = try cell.text(accepting: [.float4, .float8, .numeric, .int2, .int4, .int8], as: Double.self)
        switch text {
        case "NaN": self = .nan
        case "Infinity": self = .infinity
        case "-Infinity": self = -.infinity
        default:
            guard let value = Double(text) else { throw cell.malformed(as: Double.self) }
            self = value
        }
    }
}

extension Decimal: PostgresCodable {
    public static var postgresType: PostgresType { .numeric }
    public var postgresBind: PostgresBind { PostgresBind(type: .numeric, text: isNaN ? "NaN" : description) }
    public init(postgresCell cell: PostgresCell) throws {
        let text = try cell.text(accepting: [.numeric, .int2, .int4, .int8], as: Decimal.self)
        if text == "NaN" { self = .nan; return }
        guard let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else {
            throw cell.malformed(as: Decimal.self)
        }
        self = value
    }
}

extension UUID: PostgresCodable {
    public static var postgresType: PostgresType { .uuid }
    public var postgresBind: PostgresBind { PostgresBind(type: .uuid, text: uuidString.lowercased()) }
    public init(postgresCell cell: PostgresCell) throws {
        let text = try cell.text(accepting: [.uuid], as: UUID.self)
        guard let value = UUID(uuidString: text) else { throw cell.malformed(as: UUID.self) }
        self = value
    }
}

extension Date: PostgresCodable {
    public static var postgresType: PostgresType { .timestamptz }
    /// Microsecond precision, like PostgreSQL's timestamps.
    public var postgresBind: PostgresBind { PostgresBind(type: .timestamptz, text: PostgresTimestamp.format(self)) }
    /// Reads timestamptz (any offset), timestamp (taken as UTC) and date (midnight UTC).
    public init(postgresCell cell: PostgresCell) throws {
        let text = try cell.text(accepting: [.timestamptz, .timestamp, .date], as: Date.self)
        guard let value = PostgresTimestamp.parse(text) else { throw cell.malformed(as: Date.self) }
        self = value
    }
}

extension Data: PostgresCodable {
    public static var postgresType: PostgresType { .bytea }
    /// Sent in binary format, so zero bytes and any length go through untouched.
    public var postgresBind: PostgresBind { PostgresBind(type: .bytea, bytes: [UInt8](self), isBinary: true) }
    public init(postgresCell cell: PostgresCell) throws {
        let bytes = try cell.bytes(accepting: [.bytea], as: Data.self)
        // Hex output format: \x followed by two hex digits per byte.
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "\\"), bytes[1] == UInt8(ascii: "x"),
              bytes.count % 2 == 0
        else { throw cell.malformed(as: Data.self) }
        var data = Data(capacity: (bytes.count - 2) / 2)
        var index = 2
        while index < bytes.count {
            guard let high = hexValue(bytes[index]), let low = hexValue(bytes[index + 1]) else {
                throw cell.malformed(as: Data.self)
            }
            data.append(high << 4 | low)
            index += 2
        }
        self = data
    }
}

private func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
    default: nil
    }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public static var postgresType: PostgresType { Wrapped.postgresType }
    public var postgresBind: PostgresBind { self?.postgresBind ?? .null(Wrapped.postgresType) }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public init(postgresCell cell: PostgresCell) throws {
        self = cell.isNull ? nil : try Wrapped(postgresCell: cell)
    }
}

// MARK: - Enums

extension PostgresEncodable where Self: RawRepresentable, RawValue: PostgresEncodable {
    /// String-backed enums are sent untyped, so they fit text columns and PostgreSQL enum types alike.
    public static var postgresType: PostgresType {
        RawValue.postgresType == .text ? .unspecified : RawValue.postgresType
    }
    public var postgresBind: PostgresBind {
        var bind = rawValue.postgresBind
        bind.type = Self.postgresType
        return bind
    }
}

extension PostgresDecodable where Self: RawRepresentable, RawValue: PostgresDecodable {
    public init(postgresCell cell: PostgresCell) throws {
        let raw = try RawValue(postgresCell: cell)
        guard let value = Self(rawValue: raw) else { throw cell.malformed(as: Self.self) }
        self = value
    }
}

// MARK: - JSON

/// A Codable value stored as JSONB (or read from json or jsonb).
///
/// ```swift
/// try connection.execute("UPDATE organisations SET settings = \(try JSONB(settings))")
/// let settings = try row.decode(JSONB<Settings>.self, column: "settings").value
/// ```
public struct JSONB<Value: Codable & Sendable>: PostgresCodable {
    public let value: Value
    private let json: [UInt8]

    /// Encodes `value` now, so a value JSON cannot represent fails here and not later.
    public init(_ value: Value) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        self.value = value
        self.json = try [UInt8](encoder.encode(value))
    }

    public static var postgresType: PostgresType { .jsonb }
    public var postgresBind: PostgresBind { PostgresBind(type: .jsonb, bytes: json) }

    public init(postgresCell cell: PostgresCell) throws {
        let bytes = try cell.bytes(accepting: [.json, .jsonb], as: JSONB<Value>.self)
        do {
            self.value = try JSONDecoder().decode(Value.self, from: Data(bytes))
        } catch {
            throw cell.malformed(as: Value.self, reason: String(describing: error))
        }
        self.json = bytes
    }
}
