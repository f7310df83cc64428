import Foundation

/// A type whose values can be elements of a PostgreSQL array parameter or column.
public protocol PostgresArrayElement: PostgresCodable {
    /// The array type (`text[]` for `String`).
    static var postgresArrayType: PostgresType { get }
    /// The element in an array literal's text (before quoting), nil for NULL: by default what the
    /// value binds as, which is its text form for every type sent as text.
    var postgresArrayElementText: [UInt8]? { get }
}

extension PostgresArrayElement {
    public var postgresArrayElementText: [UInt8]? { postgresBind.bytes }
}

extension String: PostgresArrayElement { public static var postgresArrayType: PostgresType { .textArray } }
extension Int: PostgresArrayElement { public static var postgresArrayType: PostgresType { .int8Array } }
extension Int64: PostgresArrayElement { public static var postgresArrayType: PostgresType { .int8Array } }
extension Int32: PostgresArrayElement { public static var postgresArrayType: PostgresType { .int4Array } }
extension Int16: PostgresArrayElement { public static var postgresArrayType: PostgresType { .int2Array } }
extension Bool: PostgresArrayElement { public static var postgresArrayType: PostgresType { .boolArray } }
extension Double: PostgresArrayElement { public static var postgresArrayType: PostgresType { .float8Array } }
extension UUID: PostgresArrayElement { public static var postgresArrayType: PostgresType { .uuidArray } }
extension Date: PostgresArrayElement { public static var postgresArrayType: PostgresType { .timestamptzArray } }

/// Arrays with NULL elements: `[String?]` binds as `text[]`, nil as `NULL`.
extension Optional: PostgresArrayElement where Wrapped: PostgresArrayElement {
    public static var postgresArrayType: PostgresType { Wrapped.postgresArrayType }
    public var postgresArrayElementText: [UInt8]? { self?.postgresArrayElementText }
}

/// One-dimensional arrays, in PostgreSQL's text format: `{"a","b",NULL}`.
///
/// Use them with `= ANY(…)`: `WHERE country = ANY(\(["IN", "BR"]))`.
extension Array: PostgresEncodable where Element: PostgresArrayElement {
    public static var postgresType: PostgresType { Element.postgresArrayType }
    public var postgresBind: PostgresBind {
        var text: [UInt8] = [UInt8(ascii: "{")]
        for (index, element) in enumerated() {
            if index > 0 { text.append(UInt8(ascii: ",")) }
            guard let bytes = element.postgresArrayElementText else {
                text += Array<UInt8>("NULL".utf8)
                continue
            }
            text.append(UInt8(ascii: "\""))
            for byte in bytes {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { text.append(UInt8(ascii: "\\")) }
                text.append(byte)
            }
            text.append(UInt8(ascii: "\""))
        }
        text.append(UInt8(ascii: "}"))
        return PostgresBind(type: Element.postgresArrayType, bytes: text)
    }
}

extension Array: PostgresDecodable where Element: PostgresDecodable {
    public init(postgresCell cell: PostgresCell) throws {
        let bytes = try cell.bytes(accepting: nil, as: [Element].self)
        guard let elementType = PostgresArrayText.elementType(of: cell.type) else {
            throw cell.mismatch(as: [Element].self)
        }
        guard let elements = PostgresArrayText.parse(bytes) else { throw cell.malformed(as: [Element].self) }
        self = try elements.map { element in
            try Element(postgresCell: PostgresCell(
                bytes: element, type: elementType, columnName: cell.columnName, columnIndex: cell.columnIndex))
        }
    }
}

/// Parsing of the text form of one-dimensional arrays.
enum PostgresArrayText {
    static func elementType(of arrayType: PostgresType) -> PostgresType? {
        switch arrayType {
        case .textArray: .text
        case .varcharArray: .varchar
        case .int8Array: .int8
        case .int4Array: .int4
        case .int2Array: .int2
        case .boolArray: .bool
        case .float8Array: .float8
        case .uuidArray: .uuid
        case .byteaArray: .bytea
        case .timestamptzArray: .timestamptz
        default: nil
        }
    }

    /// The elements of `{a,"b c",NULL}` (nil elements for NULL), or nil when malformed or
    /// multi-dimensional.
    static func parse(_ bytes: [UInt8]) -> [[UInt8]?]? {
        var index = 0
        // Arrays with non-default bounds start with a dimension decoration: "[0:2]={…}".
        if bytes.first == UInt8(ascii: "[") {
            guard let equals = bytes.firstIndex(of: UInt8(ascii: "=")) else { return nil }
            index = equals + 1
        }
        guard index < bytes.count, bytes[index] == UInt8(ascii: "{"), bytes.last == UInt8(ascii: "}") else {
            return nil
        }
        index += 1
        let end = bytes.count - 1
        var elements: [[UInt8]?] = []
        if index == end { return elements }
        while index <= end {
            var element: [UInt8] = []
            var quoted = false
            if bytes[index] == UInt8(ascii: "{") { return nil }
            if bytes[index] == UInt8(ascii: "\"") {
                quoted = true
                index += 1
                while index < end, bytes[index] != UInt8(ascii: "\"") {
                    if bytes[index] == UInt8(ascii: "\\") { index += 1 }
                    guard index < end else { return nil }
                    element.append(bytes[index])
                    index += 1
                }
                guard index < end else { return nil }
                index += 1  // closing quote
            } else {
                while index < end, bytes[index] != UInt8(ascii: ",") {
                    element.append(bytes[index])
                    index += 1
                }
            }
            let isNull = !quoted && element.count == 4 && String(decoding: element, as: UTF8.self).uppercased() == "NULL"
            elements.append(isNull ? nil : element)
            if index == end { break }
            guard bytes[index] == UInt8(ascii: ",") else { return nil }
            index += 1
        }
        return elements
    }
}
