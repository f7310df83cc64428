import Foundation
import Postgres

extension PostgresConnection {
    /// Waits (up to 10 s) until another backend waits for a lock this connection holds: how a race
    /// test knows its second transaction has reached the lock. Polls on the connection's own
    /// thread (a synchronous call), not the cooperative pool.
    func waitUntilAnotherBackendWaitsForUs() throws -> Bool {
        for _ in 0..<500 {
            let waiting = try query("""
                SELECT count(*) FROM pg_locks WHERE NOT granted AND pg_backend_pid() = ANY (pg_blocking_pids(pid))
                """).scalar(Int.self) ?? 0
            if waiting > 0 { return true }
            usleep(20_000)
        }
        return false
    }
}

extension PostgresConnection {
    /// The cached generic plan of the prepared statement `name` (taking `parameters` values), as
    /// EXPLAIN prints it: the plan it will run whatever the tables hold later.
    func genericPlan(ofPrepared name: String, parameters: Int) throws -> String {
        try transaction { connection in
            try connection.execute("SET LOCAL plan_cache_mode = force_generic_plan")
            let arguments = Array(repeating: "NULL", count: parameters).joined(separator: ", ")
            return try connection.query(PostgresQuery(unsafeSQL: "EXPLAIN EXECUTE \(name)(\(arguments))"))
                .column(String.self).joined(separator: "\n")
        }
    }
}
