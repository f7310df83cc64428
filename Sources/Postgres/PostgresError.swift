/// A five-character SQLSTATE error code, as reported by the server.
///
/// Codes are constants on a struct rather than an enum, so codes PostgreSQL adds later don't break
/// the API. Match an error against a code directly in a `catch` clause:
///
/// ```swift
/// do { try connection.execute("INSERT INTO employees …") }
/// catch SQLState.uniqueViolation { … }
/// ```
///
/// See <https://www.postgresql.org/docs/current/errcodes-appendix.html>.
public struct SQLState: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }

    /// The two-character class (`"23"` for integrity constraint violations).
    public var errorClass: String { String(rawValue.prefix(2)) }
    public var description: String { rawValue }

    public static let uniqueViolation = SQLState("23505")
    public static let foreignKeyViolation = SQLState("23503")
    public static let notNullViolation = SQLState("23502")
    public static let checkViolation = SQLState("23514")
    public static let exclusionViolation = SQLState("23P01")
    public static let serializationFailure = SQLState("40001")
    public static let deadlockDetected = SQLState("40P01")
    public static let queryCanceled = SQLState("57014")
    public static let adminShutdown = SQLState("57P01")
    public static let crashShutdown = SQLState("57P02")
    public static let cannotConnectNow = SQLState("57P03")
    public static let lockNotAvailable = SQLState("55P03")
    public static let undefinedTable = SQLState("42P01")
    public static let undefinedColumn = SQLState("42703")
    public static let duplicateObject = SQLState("42710")
    public static let duplicateDatabase = SQLState("42P04")
    public static let syntaxError = SQLState("42601")
    public static let invalidTextRepresentation = SQLState("22P02")
    public static let characterNotInRepertoire = SQLState("22021")
    public static let stringDataRightTruncation = SQLState("22001")
    public static let numericValueOutOfRange = SQLState("22003")
    public static let raiseException = SQLState("P0001")

    /// Lets a `catch SQLState.uniqueViolation` clause match a ``PostgresError`` with that code.
    public static func ~= (pattern: SQLState, error: any Error) -> Bool {
        (error as? PostgresError)?.code == pattern
    }
}

/// An error from the server, the connection, or decoding a value.
///
/// Its `description` never includes bound values: the server's `detail` (which repeats key values,
/// such as `Key (email)=(…) already exists`) is left out, and so is the value that data exceptions
/// quote in their message. The full text is in ``message`` and ``detail`` for code that needs it.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    /// Where the error came from.
    public enum Kind: Sendable, Hashable {
        /// The server refused or failed a statement; ``code`` says why.
        case server
        /// The connection could not be made, or was lost.
        case connection
        /// A statement ran longer than its timeout and was cancelled.
        case timeout
        /// A value could not be decoded into the requested Swift type.
        case decoding
        /// A statement of a pipeline that was not run because an earlier one failed.
        case pipelineAborted
        /// No connection became free in time, or the pool is closed.
        case pool
        /// The client was used in a way libpq refused (for example a COPY protocol error).
        case client
    }

    public var kind: Kind
    /// SQLSTATE, for server errors (and for timeouts: `57014`).
    public var code: SQLState?
    /// The primary message, as the server or libpq wrote it.
    public var message: String
    /// The server's detail, which may contain values: not part of `description`.
    public var detail: String?
    public var hint: String?
    public var constraint: String?
    public var schema: String?
    public var table: String?
    public var column: String?
    /// The SQL text of the statement (never its bound values).
    public var query: String?

    public init(
        kind: Kind, code: SQLState? = nil, message: String, detail: String? = nil, hint: String? = nil,
        constraint: String? = nil, schema: String? = nil, table: String? = nil, column: String? = nil,
        query: String? = nil
    ) {
        self.kind = kind
        self.code = code
        self.message = message
        self.detail = detail
        self.hint = hint
        self.constraint = constraint
        self.schema = schema
        self.table = table
        self.column = column
        self.query = query
    }

    public var isUniqueViolation: Bool { code == .uniqueViolation }
    public var isForeignKeyViolation: Bool { code == .foreignKeyViolation }
    /// True for serialization failures and deadlocks: the transaction may succeed when retried.
    public var isTransient: Bool { code == .serializationFailure || code == .deadlockDetected }
    /// True when the connection is gone (or the server is shutting down or starting up, or reports a
    /// connection exception, class 08): a new connection may work.
    public var isConnectionFailure: Bool {
        kind == .connection || code == .adminShutdown || code == .crashShutdown || code == .cannotConnectNow
            || code?.errorClass == "08"
    }

    public var description: String {
        var text = "PostgresError.\(kind)"
        if let code { text += " [\(code)]" }
        text += ": " + redactedMessage
        if let constraint { text += " (constraint \(constraint))" }
        if let hint { text += " Hint: \(hint)" }
        return text
    }

    /// The message without a quoted input value: data exceptions (class 22) end their message with the
    /// offending input, as in `invalid input syntax for type integer: "abc"`.
    private var redactedMessage: String {
        guard code?.errorClass == "22", let colon = message.range(of: ": \"", options: .backwards),
              message.hasSuffix("\"")
        else { return message }
        return message[..<colon.lowerBound] + ": \"…\""
    }

    /// Everything, detail and query included: for a developer's eyes, never for logs.
    public var expandedDescription: String {
        var text = description
        if let detail { text += " Detail: \(detail)" }
        if let query { text += " Query: \(query)" }
        return text
    }
}
