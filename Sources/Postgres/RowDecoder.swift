import Foundation

/// Decodes a row into a Decodable type, one property per column.
struct RowDecoder: Decoder {
    let row: PostgresRow
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(RowContainer<Key>(row: row))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw PostgresError(kind: .decoding, message: "a row decodes into a keyed type (a struct), not an array")
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        throw PostgresError(kind: .decoding, message: "a row decodes into a keyed type (a struct), not a single value")
    }
}

private struct RowContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let row: PostgresRow
    var codingPath: [any CodingKey] { [] }
    var allKeys: [Key] { row.columns.compactMap { Key(stringValue: $0) } }

    /// The column for a key: its exact name, else its snake_case form.
    private func column(for key: Key) -> String {
        let name = key.stringValue
        if row.result.index(ofColumn: name) != nil { return name }
        return Self.snakeCase(name)
    }

    static func snakeCase(_ name: String) -> String {
        var result = ""
        for character in name {
            if character.isUppercase {
                if !result.isEmpty { result.append("_") }
                result += character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result
    }

    func contains(_ key: Key) -> Bool { row.result.index(ofColumn: column(for: key)) != nil }

    func decodeNil(forKey key: Key) throws -> Bool { try row.cell(column(for: key)).isNull }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let cell = try row.cell(column(for: key))
        if let decodable = T.self as? any PostgresDecodable.Type, let value = try decodable.init(postgresCell: cell) as? T {
            return value
        }
        // A Codable property that is not a column type is read from a json/jsonb column.
        let bytes = try cell.jsonBytes(as: T.self)
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch {
            throw cell.malformed(as: T.self, reason: String(describing: error))
        }
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        throw PostgresError(kind: .decoding, message: "nested containers are not supported for column '\(key.stringValue)'")
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        throw PostgresError(kind: .decoding, message: "nested containers are not supported for column '\(key.stringValue)'")
    }

    func superDecoder() throws -> any Decoder { RowDecoder(row: row) }
    func superDecoder(forKey key: Key) throws -> any Decoder { RowDecoder(row: row) }
}
