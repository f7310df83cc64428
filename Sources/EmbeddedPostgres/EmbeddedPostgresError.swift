/// Why the embedded PostgreSQL launcher could not do what was asked.
public struct EmbeddedPostgresError: Error, CustomStringConvertible, Sendable {
    /// The broad kind of failure, for callers that want to react to some of them.
    public enum Kind: Sendable, Equatable {
        /// No directory holding `initdb`, `pg_ctl` and `postgres` was found.
        case binariesNotFound
        /// Running as root, but there is no `postgres` OS user to run the server as.
        case noServerUser
        /// The data directory cannot be used (unreachable, not empty, not a cluster, …).
        case unusableDataDirectory
        /// A helper program (`initdb`, `pg_ctl`, …) failed.
        case commandFailed
        /// The server was started but did not accept connections in time.
        case serverNotReady
    }

    /// The broad kind of failure.
    public let kind: Kind
    /// A human-readable explanation, including what to do about it where we know.
    public let message: String

    /// Creates an error of the given kind with a human-readable message.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
