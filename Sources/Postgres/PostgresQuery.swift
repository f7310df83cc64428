import Foundation

/// A PostgreSQL type, by its OID.
public struct PostgresType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// No type given: the server infers it from where the parameter is used.
    public static let unspecified = PostgresType(rawValue: 0)
    public static let bool = PostgresType(rawValue: 16)
    public static let bytea = PostgresType(rawValue: 17)
    public static let name = PostgresType(rawValue: 19)
    public static let int8 = PostgresType(rawValue: 20)
    public static let int2 = PostgresType(rawValue: 21)
    public static let int4 = PostgresType(rawValue: 23)
    public static let text = PostgresType(rawValue: 25)
    public static let oid = PostgresType(rawValue: 26)
    public static let json = PostgresType(rawValue: 114)
    public static let float4 = PostgresType(rawValue: 700)
    public static let float8 = PostgresType(rawValue: 701)
    public static let unknown = PostgresType(rawValue: 705)
    public static let boolArray = PostgresType(rawValue: 1000)
    public static let byteaArray = PostgresType(rawValue: 1001)
    public static let int2Array = PostgresType(rawValue: 1005)
    public static let int4Array = PostgresType(rawValue: 1007)
    public static let textArray = PostgresType(rawValue: 1009)
    public static let bpchar = PostgresType(rawValue: 1042)
    public static let varchar = PostgresType(rawValue: 1043)
    public static let varcharArray = PostgresType(rawValue: 1015)
    public static let int8Array = PostgresType(rawValue: 1016)
    public static let float8Array = PostgresType(rawValue: 1022)
    public static let date = PostgresType(rawValue: 1082)
    public static let timestamp = PostgresType(rawValue: 1114)
    public static let timestamptz = PostgresType(rawValue: 1184)
    public static let timestamptzArray = PostgresType(rawValue: 1185)
    public static let numeric = PostgresType(rawValue: 1700)
    public static let uuid = PostgresType(rawValue: 2950)
    public static let uuidArray = PostgresType(rawValue: 2951)
    public static let jsonb = PostgresType(rawValue: 3802)

    /// Types created by users (enums, domains, extensions such as citext) have OIDs from 16384 up.
    public var isUserDefined: Bool { rawValue >= 16384 }

    public var description: String {
        switch self {
        case .unspecified: "unspecified"
        case .bool: "bool"
        case .bytea: "bytea"
        case .name: "name"
        case .int8: "int8"
        case .int2: "int2"
        case .int4: "int4"
        case .text: "text"
        case .oid: "oid"
        case .json: "json"
        case .float4: "float4"
        case .float8: "float8"
        case .unknown: "unknown"
        case .boolArray: "bool[]"
        case .int2Array: "int2[]"
        case .int4Array: "int4[]"
        case .textArray: "text[]"
        case .bpchar: "bpchar"
        case .varchar: "varchar"
        case .varcharArray: "varchar[]"
        case .int8Array: "int8[]"
        case .float8Array: "float8[]"
        case .date: "date"
        case .timestamp: "timestamp"
        case .timestamptz: "timestamptz"
        case .timestamptzArray: "timestamptz[]"
        case .numeric: "numeric"
        case .uuid: "uuid"
        case .uuidArray: "uuid[]"
        case .jsonb: "jsonb"
        default: isUserDefined ? "user-defined type \(rawValue)" : "type \(rawValue)"
        }
    }
}

/// One bound parameter: its type and its bytes (nil for NULL), in PostgreSQL's text format
/// unless `isBinary`.
public struct PostgresBind: Sendable, Hashable {
    public var type: PostgresType
    public var bytes: [UInt8]?
    public var isBinary: Bool

    public init(type: PostgresType, bytes: [UInt8]?, isBinary: Bool = false) {
        self.type = type
        self.bytes = bytes
        self.isBinary = isBinary
    }

    /// A parameter in text format.
    public init(type: PostgresType, text: String) {
        self.init(type: type, bytes: Array(text.utf8))
    }

    /// SQL NULL of the given type.
    public static func null(_ type: PostgresType) -> PostgresBind { PostgresBind(type: type, bytes: nil) }
}

/// A statement and its parameters.
///
/// Write queries with string interpolation: every interpolated value becomes a `$n` parameter, so
/// a user's text can never change the SQL.
///
/// ```swift
/// let rows = try connection.query("SELECT name FROM employees WHERE country = \(country)")
/// ```
///
/// Trusted SQL text that cannot be a parameter (an identifier chosen by the program, never by a
/// user) goes through the explicitly named ``StringInterpolation/appendInterpolation(unsafeSQL:)``.
public struct PostgresQuery: Sendable, Hashable, ExpressibleByStringInterpolation {
    /// SQL text and parameter positions, kept apart so that a query can be embedded in another
    /// (``StringInterpolation/appendInterpolation(_:)-(PostgresQuery)``) with its parameters renumbered.
    enum Piece: Sendable, Hashable {
        case text(String)
        /// The parameter at this index of `binds`.
        case bind(Int)
    }

    private var pieces: [Piece]
    public private(set) var binds: [PostgresBind]
    /// Whether connections keep this statement prepared (see ``prepared()``).
    public private(set) var isPrepared = false

    /// The same query, marked to be prepared once per connection and then only executed: the
    /// server parses and plans it once per connection instead of at every use (and, after a few
    /// executions, may keep one generic plan). For the hot statements of a program, whose text is the
    /// same every time and only the parameters vary; a connection keeps at most
    /// ``PostgresConnection/maxPreparedStatements`` of them, and runs the others unprepared.
    ///
    /// A server-side pooler in transaction mode (PgBouncer before 1.21) does not keep prepared
    /// statements: do not mark queries when running behind one.
    public func prepared() -> PostgresQuery {
        var query = self
        query.isPrepared = true
        return query
    }

    /// Whether the server sends this query's rows in binary format (see ``binaryResults()``).
    public private(set) var resultsInBinary = false

    /// The same query, with its rows asked for in PostgreSQL's binary format instead of text: the
    /// server skips its output functions (`timestamptz_out` is costly) and the decoders read fixed-size
    /// values instead of parsing text. Every ``PostgresDecodable`` type of this library reads the binary
    /// form of the column types it reads in text, except `numeric`, arrays and user-defined types
    /// (enums, extensions), which fail with a decoding error: ask for those as text (the default), or
    /// cast them to `text` in the statement. For hot statements whose columns are integers, booleans,
    /// uuids, text and timestamps.
    public func binaryResults() -> PostgresQuery {
        var query = self
        query.resultsInBinary = true
        return query
    }

    /// The SQL text, with `$1`, `$2`, … where the parameters go.
    public var sql: String {
        var text = ""
        for piece in pieces {
            switch piece {
            case .text(let literal): text += literal
            case .bind(let index): text += "$\(index + 1)"
            }
        }
        return text
    }

    /// A query from SQL text that the program trusts, with explicit parameters for its `$n`.
    public init(unsafeSQL sql: String, binds: [PostgresBind] = []) {
        self.pieces = [.text(sql)]
        self.binds = binds
    }

    public init(stringLiteral value: String) {
        self.init(unsafeSQL: value)
    }

    public init(stringInterpolation: StringInterpolation) {
        self.pieces = stringInterpolation.pieces
        self.binds = stringInterpolation.binds
    }

    public struct StringInterpolation: StringInterpolationProtocol {
        var pieces: [Piece] = []
        var binds: [PostgresBind] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            pieces.reserveCapacity(2 * interpolationCount + 1)
            binds.reserveCapacity(interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) {
            pieces.append(.text(literal))
        }

        /// A value, bound as the next `$n` parameter.
        public mutating func appendInterpolation(_ value: some PostgresEncodable) {
            append(value.postgresBind)
        }

        /// An optional value: NULL when nil.
        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value?) {
            append(value?.postgresBind ?? .null(Value.postgresType))
        }

        /// Another query, embedded with its parameters renumbered: how a shared condition is reused.
        /// (Its text must come from interpolation; a query made with `unsafeSQL:` and explicit binds
        /// keeps its own `$n` numbers and cannot be embedded after other parameters.)
        public mutating func appendInterpolation(_ fragment: PostgresQuery) {
            let offset = binds.count
            binds += fragment.binds
            for piece in fragment.pieces {
                switch piece {
                case .text(let text): pieces.append(.text(text))
                case .bind(let index): pieces.append(.bind(index + offset))
                }
            }
        }

        /// An identifier (table, column, channel), double-quoted so it is always read as one name.
        public mutating func appendInterpolation(identifier: String) {
            pieces.append(.text(PostgresQuery.quoteIdentifier(identifier)))
        }

        /// SQL text pasted as is. Only for text the program itself wrote, never for user input.
        public mutating func appendInterpolation(unsafeSQL: String) {
            pieces.append(.text(unsafeSQL))
        }

        mutating func append(_ bind: PostgresBind) {
            pieces.append(.bind(binds.count))
            binds.append(bind)
        }
    }

    /// `name` as a double-quoted identifier, with embedded quotes doubled.
    public static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

extension PostgresQuery: CustomStringConvertible {
    /// The SQL text only: bound values are never printed.
    public var description: String { sql }
}
