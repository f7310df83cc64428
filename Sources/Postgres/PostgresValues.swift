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
        if cell.format == .binary {
            let bytes = try cell.sentBytes(accepting: AcceptedTypes.bool, as: Bool.self)
            guard bytes.count == 1, bytes[0] <= 1 else { throw cell.malformed(as: Bool.self) }
            self = bytes[0] == 1
            return
        }
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
    /// Reads text, varchar, char, name, json, jsonb and user-defined types (enums, citext) as text
    /// (user-defined types only in text format: their binary form is theirs to define).
    public init(postgresCell cell: PostgresCell) throws {
        if cell.format == .binary, cell.type == .jsonb {
            self = String(decoding: try cell.jsonBytes(as: String.self), as: UTF8.self)
            return
        }
        self = try cell.text(accepting: AcceptedTypes.text, as: String.self,
                             userDefined: true)
    }
}

/// Integers read from any integer column, with a range check.
public protocol PostgresInteger: PostgresCodable, FixedWidthInteger, CustomStringConvertible {}

extension PostgresInteger {
    public var postgresBind: PostgresBind { textBind }
    public init(postgresCell cell: PostgresCell) throws {
        if cell.format == .binary {
            guard let value = Self(exactly: try BinaryValue.integer(cell, as: Self.self)) else { throw cell.malformed(as: Self.self) }
            self = value
            return
        }
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
        if cell.format == .binary {
            self = try BinaryValue.double(cell)
            return
        }
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
    /// Reads numeric and the integer types; in binary format the integer types only.
    public init(postgresCell cell: PostgresCell) throws {
        if cell.format == .binary {
            guard AcceptedTypes.integer.contains(cell.type) else {
                _ = try cell.sentBytes(accepting: AcceptedTypes.decimal, as: Decimal.self)
                throw cell.unreadableBinary(as: Decimal.self)
            }
            self = Decimal(try BinaryValue.integer(cell, as: Decimal.self))
            return
        }
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
        let bytes = try cell.sentBytes(accepting: AcceptedTypes.uuid, as: UUID.self)
        if cell.format == .binary {
            // The 16 bytes in order.
            guard bytes.count == 16 else { throw cell.malformed(as: UUID.self) }
            self = UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                               bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
            return
        }
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
        let bytes = try cell.sentBytes(accepting: AcceptedTypes.date, as: Date.self)
        let value: Date? =
            switch (cell.format, cell.type, bytes.count) {
            case (.text, _, _): PostgresTimestamp.parse(bytes)
            case (.binary, .timestamptz, 8), (.binary, .timestamp, 8):
                PostgresTimestamp.date(microsecondsSince2000: Int64(truncatingIfNeeded: BinaryValue.bigEndian(bytes)))
            case (.binary, .date, 4): PostgresTimestamp.date(daysSince2000: Int32(truncatingIfNeeded: BinaryValue.bigEndian(bytes)))
            default: nil
            }
        guard let value else { throw cell.malformed(as: Date.self) }
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
        let bytes = try cell.sentBytes(accepting: AcceptedTypes.bytea, as: Data.self)
        if cell.format == .binary {
            self = Data(bytes)
            return
        }
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

/// The column types each decoder reads, made once (not a new array for every cell); arrays, whose
/// look-up of a few elements costs less than a Set's hashing.
enum AcceptedTypes {
    static let bool: [PostgresType] = [.bool]
    static let text: [PostgresType] = [.text, .varchar, .bpchar, .name, .unknown, .json, .jsonb]
    static let integer: [PostgresType] = [.int8, .int4, .int2, .oid]
    static let double: [PostgresType] = [.float8, .float4, .numeric, .int2, .int4, .int8]
    static let decimal: [PostgresType] = [.numeric, .int2, .int4, .int8]
    static let uuid: [PostgresType] = [.uuid]
    static let date: [PostgresType] = [.timestamptz, .timestamp, .date]
    static let bytea: [PostgresType] = [.bytea]
    static let json: [PostgresType] = [.json, .jsonb]
    /// The types whose binary format is their text's bytes.
    static let textInBinary: [PostgresType] = [.text, .varchar, .bpchar, .name, .unknown, .json]
}

/// Reading PostgreSQL's binary format (each type's `…send` function): integers and floats big-endian.
enum BinaryValue {
    /// `bytes` as one big-endian number (at most 8 bytes).
    static func bigEndian(_ bytes: [UInt8]) -> UInt64 {
        var value: UInt64 = 0
        for byte in bytes { value = value << 8 | UInt64(byte) }
        return value
    }

    /// The value of an int2, int4, int8 or oid cell in binary format.
    static func integer<T>(_ cell: PostgresCell, as swiftType: T.Type) throws -> Int64 {
        let bytes = try cell.sentBytes(accepting: AcceptedTypes.integer, as: swiftType)
        let value = bigEndian(bytes)
        switch (cell.type, bytes.count) {
        case (.int2, 2): return Int64(Int16(truncatingIfNeeded: value))
        case (.int4, 4): return Int64(Int32(truncatingIfNeeded: value))
        case (.int8, 8): return Int64(bitPattern: value)
        case (.oid, 4): return Int64(value)
        default: throw cell.malformed(as: swiftType)
        }
    }

    /// The value of a float8, float4 or integer cell in binary format (numeric's is not read).
    static func double(_ cell: PostgresCell) throws -> Double {
        let bytes = try cell.sentBytes(accepting: AcceptedTypes.double, as: Double.self)
        switch (cell.type, bytes.count) {
        case (.float8, 8): return Double(bitPattern: bigEndian(bytes))
        case (.float4, 4):
            // As its shortest decimal, like the text the server writes for it (0.1, not 0.100000001490116).
            let float = Float(bitPattern: UInt32(truncatingIfNeeded: bigEndian(bytes)))
            return float.isFinite ? Double(float.description) ?? Double(float) : Double(float)
        case (.numeric, _): throw cell.unreadableBinary(as: Double.self)
        default: return Double(try integer(cell, as: Double.self))
        }
    }
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

extension PostgresCell {
    /// The JSON text of a json or jsonb cell in either format (jsonb's binary form is a version
    /// byte, 1, then the text).
    func jsonBytes<T>(as swiftType: T.Type) throws -> [UInt8] {
        let bytes = try sentBytes(accepting: AcceptedTypes.json, as: swiftType)
        guard format == .binary, type == .jsonb else { return bytes }
        guard bytes.first == 1 else { throw malformed(as: swiftType, reason: "unknown jsonb binary version") }
        return Array(bytes.dropFirst())
    }
}

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
        let bytes = try cell.jsonBytes(as: JSONB<Value>.self)
        do {
            self.value = try JSONDecoder().decode(Value.self, from: Data(bytes))
        } catch {
            throw cell.malformed(as: Value.self, reason: String(describing: error))
        }
        self.json = bytes
    }
}
