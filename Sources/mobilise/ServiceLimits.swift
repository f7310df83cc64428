import ArgumentParser
import Foundation
import MobiliseStore

/// How long `serve` lets things take (a statement, a wait for a database connection, the drain on
/// SIGTERM) and how many signatures it writes in one transaction at most. Read from the environment
/// (documented in the README's service configuration).
struct ServiceLimits: Sendable {
    /// `MOBILISE_STATEMENT_TIMEOUT`: a statement running longer is cancelled on the server and the
    /// request answered 503 `database_timeout`. Default none (the workforce import is one COPY of the
    /// whole file: a limit also bounds how long an import may take).
    var statementTimeout: Duration?
    /// `MOBILISE_DB_ACQUIRE_TIMEOUT`: how long a request waits for a free database connection before
    /// it is answered 503 `database_unavailable` with `Retry-After`. Default 5 s.
    var acquireTimeout: Duration = .seconds(5)
    /// `MOBILISE_SHUTDOWN_TIMEOUT`: after SIGTERM or SIGINT, how long in-flight requests may take to
    /// finish before they are cancelled. Default 30 s.
    var shutdownTimeout: Duration = .seconds(30)
    /// `MOBILISE_SIGNING_BATCH`: the most signatures written in one transaction (``GroupCommit/maxBatch``).
    /// Default nil: 24 on PostgreSQL, 256 on a Citus coordinator. Larger batches cost the database less
    /// per signature; smaller ones answer a long queue's first callers sooner.
    var signingBatch: Int?

    static func fromEnvironment() throws -> ServiceLimits {
        var limits = ServiceLimits()
        if let text = Environment.value("MOBILISE_STATEMENT_TIMEOUT") {
            let timeout = try parse(text, name: "MOBILISE_STATEMENT_TIMEOUT")
            limits.statementTimeout = timeout == .zero ? nil : timeout
        }
        if let text = Environment.value("MOBILISE_DB_ACQUIRE_TIMEOUT") {
            limits.acquireTimeout = try parse(text, name: "MOBILISE_DB_ACQUIRE_TIMEOUT")
        }
        if let text = Environment.value("MOBILISE_SHUTDOWN_TIMEOUT") {
            limits.shutdownTimeout = try parse(text, name: "MOBILISE_SHUTDOWN_TIMEOUT")
        }
        if let text = Environment.value("MOBILISE_SIGNING_BATCH") {
            guard let size = Int(text.trimmingCharacters(in: .whitespaces)), (1...10_000).contains(size) else {
                throw ValidationError("MOBILISE_SIGNING_BATCH is a number of signatures from 1 to 10000, not '\(text)'")
            }
            limits.signingBatch = size
        }
        return limits
    }

    /// `"2"`, `"2s"`, `"1.5s"` or `"500ms"`.
    static func parse(_ text: String, name: String) throws -> Duration {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let (number, scale): (Substring, Double) =
            if trimmed.hasSuffix("ms") { (trimmed.dropLast(2), 0.001) }
            else if trimmed.hasSuffix("s") { (trimmed.dropLast(), 1) }
            else { (Substring(trimmed), 1) }
        guard let value = Double(number), value.isFinite, value >= 0, value * scale <= 86_400 else {
            throw ValidationError("\(name) is a duration in seconds (\"2\", \"1.5s\") or milliseconds (\"500ms\"), not '\(text)'")
        }
        return .milliseconds(Int64((value * scale * 1000).rounded()))
    }
}
