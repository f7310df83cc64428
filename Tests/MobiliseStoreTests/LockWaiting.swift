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
