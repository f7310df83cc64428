import CLibPQ
import Foundation

/// The rows a statement returned.
///
/// It owns libpq's result and frees it when the last reference goes. A result is read-only once
/// made, and libpq allows reading one from several threads, hence `@unchecked Sendable`.
public final class PostgresResult: @unchecked Sendable {
    private let handle: OpaquePointer
    /// Column names, in order.
    public let columns: [String]
    /// Column types, in order.
    public let columnTypes: [PostgresType]
    /// Each column's format, in order: text unless the query asked for binary results.
    public let columnFormats: [PostgresFormat]
    private let columnIndexes: [String: Int]
    /// Number of rows.
    public let count: Int
    /// Rows inserted, updated, deleted, copied… by the statement (0 when it reports none).
    public let affectedRows: Int

    init(taking handle: OpaquePointer) {
        self.handle = handle
        let columnCount = Int(PQnfields(handle))
        var columns: [String] = []
        var types: [PostgresType] = []
        var formats: [PostgresFormat] = []
        var indexes: [String: Int] = [:]
        for column in 0..<columnCount {
            let name = PQfname(handle, Int32(column)).map { String(cString: $0) } ?? ""
            columns.append(name)
            types.append(PostgresType(rawValue: PQftype(handle, Int32(column))))
            formats.append(PQfformat(handle, Int32(column)) == 1 ? .binary : .text)
            if indexes[name] == nil { indexes[name] = column }
        }
        self.columns = columns
        self.columnTypes = types
        self.columnFormats = formats
        self.columnIndexes = indexes
        self.count = Int(PQntuples(handle))
        self.affectedRows = PQcmdTuples(handle).flatMap { Int(String(cString: $0)) } ?? 0
    }

    deinit { PQclear(handle) }

    /// The row at `index`.
    public subscript(index: Int) -> PostgresRow { PostgresRow(result: self, index: index) }

    /// All rows.
    public var rows: [PostgresRow] { (0..<count).map { PostgresRow(result: self, index: $0) } }

    /// Every row decoded as `T` (a Decodable type whose keys are column names).
    public func decode<T: Decodable>(_ type: T.Type) throws -> [T] {
        try (0..<count).map { try self[$0].decode(T.self) }
    }

    /// The first column of every row.
    public func column<T: PostgresDecodable>(_ type: T.Type) throws -> [T] {
        try (0..<count).map { try self[$0].decode(T.self, at: 0) }
    }

    /// The first column of the first row (nil when there is no row).
    public func scalar<T: PostgresDecodable>(_ type: T.Type) throws -> T? {
        count == 0 ? nil : try self[0].decode(T.self, at: 0)
    }

    func index(ofColumn name: String) -> Int? { columnIndexes[name] }

    func cell(row: Int, column: Int) -> PostgresCell {
        let isNull = PQgetisnull(handle, Int32(row), Int32(column)) == 1
        var bytes: [UInt8]?
        if !isNull, let value = PQgetvalue(handle, Int32(row), Int32(column)) {
            let length = Int(PQgetlength(handle, Int32(row), Int32(column)))
            bytes = value.withMemoryRebound(to: UInt8.self, capacity: length) {
                Array(UnsafeBufferPointer(start: $0, count: length))
            }
        }
        return PostgresCell(bytes: bytes, type: columnTypes[column], columnName: columns[column], columnIndex: column,
                            format: columnFormats[column])
    }
}

/// One row of a ``PostgresResult``.
public struct PostgresRow: Sendable {
    let result: PostgresResult
    let index: Int

    /// The cell in the column named `column`; throws when there is no such column.
    public func cell(_ column: String) throws -> PostgresCell {
        guard let columnIndex = result.index(ofColumn: column) else {
            throw PostgresError(kind: .decoding, message: "no column named '\(column)' in the result (columns: \(result.columns.joined(separator: ", ")))")
        }
        return result.cell(row: index, column: columnIndex)
    }

    /// The cell at a column position; throws when out of range.
    public func cell(at column: Int) throws -> PostgresCell {
        guard column >= 0, column < result.columns.count else {
            throw PostgresError(kind: .decoding, message: "no column at position \(column) (the result has \(result.columns.count))")
        }
        return result.cell(row: index, column: column)
    }

    /// The value of the column named `column`.
    public func decode<T: PostgresDecodable>(_ type: T.Type, column: String) throws -> T {
        try T(postgresCell: cell(column))
    }

    /// The value at a column position.
    public func decode<T: PostgresDecodable>(_ type: T.Type, at column: Int) throws -> T {
        try T(postgresCell: cell(at: column))
    }

    /// The value of the column named `column`, nil for NULL. (The same as decoding `T?`, without
    /// going through `Optional`'s generic conformance, whose metadata look-up at every cell cost as
    /// much as reading a binary value.)
    public func decode<T: PostgresDecodable>(_ type: T?.Type, column: String) throws -> T? {
        let cell = try cell(column)
        return cell.isNull ? nil : try T(postgresCell: cell)
    }

    /// The value at a column position, nil for NULL (as the `column:` form above).
    public func decode<T: PostgresDecodable>(_ type: T?.Type, at column: Int) throws -> T? {
        let cell = try cell(at: column)
        return cell.isNull ? nil : try T(postgresCell: cell)
    }

    /// The first columns, in order, as a tuple: `let (id, name) = try row.decode((UUID, String).self)`.
    public func decode<each T: PostgresDecodable>(_ types: (repeat each T).Type) throws -> (repeat each T) {
        var position = 0
        func next<U: PostgresDecodable>(_ type: U.Type) throws -> U {
            defer { position += 1 }
            return try decode(U.self, at: position)
        }
        return (repeat try next((each T).self))
    }

    /// The row as a Decodable type: each property is read from the column of the same name
    /// (or its snake_case form: `displayName` from `display_name`).
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try T(from: RowDecoder(row: self))
    }

    /// Column names of the row.
    public var columns: [String] { result.columns }
}

/// How a result's values are written: PostgreSQL's text format, or its binary format (asked for with
/// ``PostgresQuery/binaryResults()``).
public enum PostgresFormat: Sendable, Hashable {
    case text
    case binary
}

/// One value of a row, as the server sent it.
public struct PostgresCell: Sendable {
    /// The bytes, nil for NULL, in the cell's `format`.
    public let bytes: [UInt8]?
    public let type: PostgresType
    public let columnName: String
    public let columnIndex: Int
    public let format: PostgresFormat

    public init(bytes: [UInt8]?, type: PostgresType, columnName: String, columnIndex: Int, format: PostgresFormat = .text) {
        self.bytes = bytes
        self.type = type
        self.columnName = columnName
        self.columnIndex = columnIndex
        self.format = format
    }

    public var isNull: Bool { bytes == nil }

    /// The bytes in text format, after checking the column's type is one of `accepting` (any type
    /// when nil). A binary cell is read only when its type's binary form is its text (text, varchar,
    /// char, name, json); for any other type it is a decoding error, never the binary bytes taken as
    /// text (read those with ``sentBytes(accepting:as:userDefined:)``).
    public func bytes<T>(accepting types: [PostgresType]?, as swiftType: T.Type, userDefined: Bool = false) throws -> [UInt8] {
        try check(types?.contains(type) ?? true, as: swiftType, userDefined: userDefined)
        return try textFormatBytes(as: swiftType)
    }

    /// The bytes as the server sent them, in the cell's `format`, after the same type check.
    public func sentBytes<T>(accepting types: [PostgresType]?, as swiftType: T.Type, userDefined: Bool = false) throws -> [UInt8] {
        try check(types?.contains(type) ?? true, as: swiftType, userDefined: userDefined)
        return try nonNullBytes(as: swiftType)
    }

    /// The value as text, after the same type check and format check as ``bytes(accepting:as:userDefined:)``.
    public func text<T>(accepting types: [PostgresType]?, as swiftType: T.Type, userDefined: Bool = false) throws -> String {
        String(decoding: try bytes(accepting: types, as: swiftType, userDefined: userDefined), as: UTF8.self)
    }

    private func check<T>(_ accepted: Bool, as swiftType: T.Type, userDefined: Bool) throws {
        if !accepted, !(userDefined && type.isUserDefined) { throw mismatch(as: swiftType) }
    }

    private func nonNullBytes<T>(as swiftType: T.Type) throws -> [UInt8] {
        guard let bytes else {
            throw PostgresError(kind: .decoding, message: "column '\(columnName)' is NULL but was decoded as non-optional \(swiftType)")
        }
        return bytes
    }

    private func textFormatBytes<T>(as swiftType: T.Type) throws -> [UInt8] {
        let bytes = try nonNullBytes(as: swiftType)
        if format == .binary, !AcceptedTypes.textInBinary.contains(type) { throw unreadableBinary(as: swiftType) }
        return bytes
    }

    /// The error for a column whose type cannot become `swiftType`.
    public func mismatch<T>(as swiftType: T.Type) -> PostgresError {
        PostgresError(kind: .decoding, message: "column '\(columnName)' has type \(type), which cannot be decoded as \(swiftType)")
    }

    /// The error for a binary cell whose type's binary format `swiftType` cannot read.
    public func unreadableBinary<T>(as swiftType: T.Type) -> PostgresError {
        PostgresError(kind: .decoding, message: "column '\(columnName)' (\(type)) came in binary format, which \(swiftType) cannot read: ask for text results or cast the column to text")
    }

    /// The error for a value that does not parse as `swiftType` (the value itself is not included).
    public func malformed<T>(as swiftType: T.Type, reason: String? = nil) -> PostgresError {
        PostgresError(kind: .decoding, message: "column '\(columnName)' (\(type)) holds a value that is not a valid \(swiftType)" + (reason.map { ": \($0)" } ?? ""))
    }
}
