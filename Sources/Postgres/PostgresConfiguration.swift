import CLibPQ

/// How to reach a PostgreSQL server.
///
/// The connection string is anything libpq accepts: a URL
/// (`postgresql://user:pass@host:5432/db?sslmode=require`, with `?host=/path/to/socket/dir` for a
/// Unix socket) or `key=value` pairs (`host=/var/run/postgresql dbname=mobilise`). See
/// <https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNSTRING>.
public struct PostgresConfiguration: Sendable {
    /// The connection string, as given (it may hold a password: never log it, log ``redacted``).
    public var connectionString: String
    /// Shown in `pg_stat_activity.application_name`.
    public var applicationName: String?
    /// How long connecting may take. Default 10 seconds.
    public var connectTimeout: Duration
    /// The longest a statement may run before it is cancelled, unless the call sets its own. Default none.
    public var statementTimeout: Duration?

    /// Checks the connection string's syntax now, so a typo fails at startup with libpq's message.
    public init(
        _ connectionString: String, applicationName: String? = nil, connectTimeout: Duration = .seconds(10),
        statementTimeout: Duration? = nil
    ) throws {
        self.connectionString = connectionString
        self.applicationName = applicationName
        self.connectTimeout = connectTimeout
        self.statementTimeout = statementTimeout
        _ = try Self.parse(connectionString)
    }

    /// The connection parameters, with the password left out: safe to log.
    public var redacted: String {
        let options = (try? Self.parse(connectionString)) ?? [:]
        return options.keys.sorted().filter { $0 != "password" }.map { "\($0)=\(options[$0] ?? "")" }
            .joined(separator: " ")
    }

    /// The parameters libpq reads from the string (only those that are set).
    static func parse(_ connectionString: String) throws -> [String: String] {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(connectionString, &errorMessage) else {
            let message = errorMessage.map { String(cString: $0) } ?? "out of memory"
            PQfreemem(errorMessage)
            throw PostgresError(kind: .connection, message: "invalid connection string: \(message.trimmed)")
        }
        defer { PQconninfoFree(options) }
        var result: [String: String] = [:]
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val { result[String(cString: keyword)] = String(cString: value) }
            option += 1
        }
        return result
    }
}

extension String {
    /// Without the trailing newline libpq puts at the end of its messages.
    var trimmed: String {
        var text = self
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return text
    }
}
