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
        let text = try cell.text(accepting: AcceptedTypes.bool, as: Bool.self)
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
        self = try cell.text(accepting: AcceptedTypes.text, as: String.self,
                             userDefined: true)
    }
}

/// Integers read from any integer column, with a range check.
public protocol PostgresInteger: PostgresCodable, FixedWidthInteger, CustomStringConvertible {}

extension PostgresInteger {
    public var postgresBind: PostgresBind { textBind }
    public init(postgresCell cell: PostgresCell) throws {
        let text = try cell.text(accepting: AcceptedTypes.integer, as: Self.self)
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
        let text = try cell.text(accepting: AcceptedTypes.double, as: Double.self)
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
        let text = try cell.text(accepting: AcceptedTypes.decimal, as: Decimal.self)
        if text == "NaN" { self = .nan; return }
        guard let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else {
            throw cell.malformed(as: Decimal.self)
        }
        self = value
    }
}

extension UUID: PostgresCodable {
    public static var postgresType: PostgresType { .uuid }
    public var postgresBind: PostgresBind { PostgresBind(type: .uuid, bytes: UUIDText.format(self)) }
    public init(postgresCell cell: PostgresCell) throws {
        let bytes = try cell.bytes(accepting: AcceptedTypes.uuid, as: UUID.self)
        guard let value = UUIDText.parse(bytes) else { throw cell.malformed(as: UUID.self) }
        self = value
    }
}

extension Date: PostgresCodable {
    public static var postgresType: PostgresType { .timestamptz }
    /// Microsecond precision, like PostgreSQL's timestamps.
    public var postgresBind: PostgresBind { PostgresBind(type: .timestamptz, text: PostgresTimestamp.format(self)) }
    /// Reads timestamptz (any offset), timestamp (taken as UTC) and date (midnight UTC).
    public init(postgresCell cell: PostgresCell) throws {
        let bytes = try cell.bytes(accepting: AcceptedTypes.date, as: Date.self)
        guard let value = PostgresTimestamp.parse(bytes) else { throw cell.malformed(as: Date.self) }
        self = value
    }
}

/// `[Data]` binds as `bytea[]`: each element in bytea's hex text form (`\x…`), since an array is
/// sent as text while a lone `Data` is sent in binary.
extension Data: PostgresArrayElement {
    public static var postgresArrayType: PostgresType { .byteaArray }
    public var postgresArrayElementText: [UInt8]? {
        var text: [UInt8] = [UInt8(ascii: "\\"), UInt8(ascii: "x")]
        text.reserveCapacity(2 + count * 2)
        for byte in self {
            text.append(hexDigits[Int(byte >> 4)])
            text.append(hexDigits[Int(byte & 0x0F)])
        }
        return text
    }
}

extension Data: PostgresCodable {
    public static var postgresType: PostgresType { .bytea }
    /// Sent in binary format, so zero bytes and any length go through untouched.
    public var postgresBind: PostgresBind { PostgresBind(type: .bytea, bytes: [UInt8](self), isBinary: true) }
    public init(postgresCell cell: PostgresCell) throws {
        let bytes = try cell.bytes(accepting: AcceptedTypes.bytea, as: Data.self)
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

/// The column types each decoder reads, made once (not a new set for every cell).
enum AcceptedTypes {
    static let bool: Set<PostgresType> = [.bool]
    static let text: Set<PostgresType> = [.text, .varchar, .bpchar, .name, .unknown, .json, .jsonb]
    static let integer: Set<PostgresType> = [.int2, .int4, .int8, .oid]
    static let double: Set<PostgresType> = [.float4, .float8, .numeric, .int2, .int4, .int8]
    static let decimal: Set<PostgresType> = [.numeric, .int2, .int4, .int8]
    static let uuid: Set<PostgresType> = [.uuid]
    static let date: Set<PostgresType> = [.timestamptz, .timestamp, .date]
    static let bytea: Set<PostgresType> = [.bytea]
    static let json: Set<PostgresType> = [.json, .jsonb]
}

/// UUIDs in PostgreSQL's text form (`a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11`), converted by hand:
/// Foundation's `UUID(uuidString:)` and `uuidString` go through `sscanf` and `snprintf`.
enum UUIDText {
    /// The 36 lowercase bytes.
    static func format(_ uuid: UUID) -> [UInt8] {
        withUnsafeBytes(of: uuid.uuid) { raw in
            var text = [UInt8]()
            text.reserveCapacity(36)
            for (index, byte) in raw.enumerated() {
                if index == 4 || index == 6 || index == 8 || index == 10 { text.append(UInt8(ascii: "-")) }
                text.append(hexDigits[Int(byte >> 4)])
                text.append(hexDigits[Int(byte & 0x0F)])
            }
            return text
        }
    }

    /// Parses the canonical 8-4-4-4-12 form (either case); nil for anything else.
    static func parse(_ text: [UInt8]) -> UUID? {
        guard text.count == 36 else { return nil }
        var bytes: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let parsed = withUnsafeMutableBytes(of: &bytes) { out -> Bool in
            var position = 0
            for index in 0..<16 {
                if position == 8 || position == 13 || position == 18 || position == 23 {
                    guard text[position] == UInt8(ascii: "-") else { return false }
                    position += 1
                }
                guard let high = hexValue(text[position]), let low = hexValue(text[position + 1]) else { return false }
                out[index] = high << 4 | low
                position += 2
            }
            return true
        }
        return parsed ? UUID(uuid: bytes) : nil
    }
}

/// Lowercase hexadecimal digits, by value.
private let hexDigits = Array("0123456789abcdef".utf8)

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

    /// The JSON text PostgreSQL is sent (keys sorted, slashes unescaped), for a value bound as
    /// `text` and cast to `jsonb` in SQL (an element of an array passed to `unnest`, say).
    public var text: String { String(decoding: json, as: UTF8.self) }

    public static var postgresType: PostgresType { .jsonb }
    public var postgresBind: PostgresBind { PostgresBind(type: .jsonb, bytes: json) }

    public init(postgresCell cell: PostgresCell) throws {
        let bytes = try cell.bytes(accepting: AcceptedTypes.json, as: JSONB<Value>.self)
        do {
            self.value = try JSONDecoder().decode(Value.self, from: Data(bytes))
        } catch {
            throw cell.malformed(as: Value.self, reason: String(describing: error))
        }
        self.json = bytes
    }
}
