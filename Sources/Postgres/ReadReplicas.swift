import Logging
import ServiceLifecycle
import Synchronization

/// Sends read-only work to streaming-replication standbys, and everything else stays on the primary.
///
/// A standby serves reads while it is reachable, in recovery, and no more than ``maxLag`` behind the
/// primary (checked every ``checkInterval``); reads go round-robin over those, and to the primary
/// when there are none. A read that fails on a standby because the connection is gone is run again
/// on the primary at once, and the standby is taken out of rotation until it checks healthy again.
///
/// It is a `Service`: in a `ServiceGroup` it runs the checks until shutdown, then closes the
/// standbys' pools (the primary's pool is the caller's).
public final class PostgresReadReplicas: Sendable, Service {
    /// What is known of one standby.
    public struct Status: Sendable, Equatable {
        public var name: String
        public var healthy: Bool
        /// Seconds behind the primary at the last check (0 when caught up); nil when unknown.
        public var lagSeconds: Double?
        /// Reads served since start.
        public var reads: Int
    }

    public let maxLag: Duration
    public let checkInterval: Duration
    private let primary: PostgresPool
    private let replicas: [(name: String, pool: PostgresPool)]
    private let state: Mutex<(statuses: [Status], next: Int, primaryReads: Int)>
    private let logger: Logger

    /// - Parameters:
    ///   - replicas: one pool per standby, in the order of `DATABASE_REPLICA_URLS`.
    public init(primary: PostgresPool, replicas: [PostgresPool], maxLag: Duration = .seconds(10), checkInterval: Duration = .seconds(2), logger: Logger) {
        self.primary = primary
        self.replicas = replicas.enumerated().map { ("replica-\($0.offset)", $0.element) }
        self.maxLag = maxLag
        self.checkInterval = checkInterval
        self.logger = logger
        state = Mutex((self.replicas.map { Status(name: $0.name, healthy: false, lagSeconds: nil, reads: 0) }, 0, 0))
    }

    /// Each standby's health, lag and reads.
    public var statuses: [Status] { state.withLock { $0.statuses } }

    /// Reads served by the primary because no standby could.
    public var primaryReads: Int { state.withLock { $0.primaryReads } }

    /// Runs a read-only transaction on a healthy standby, else on the primary.
    ///
    /// - Parameter retryOnPrimary: errors from a standby that may only mean it is behind (say, "not
    ///   found" for something just created): the read is run again on the primary.
    public func withReadTransaction<T: Sendable>(
        isolation: IsolationLevel = .repeatableRead, retryOnPrimary: @Sendable (any Error) -> Bool = { _ in false },
        _ body: @escaping @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        if let (index, pool) = pickReplica() {
            do {
                return try await pool.withTransaction(isolation: isolation, body)
            } catch let error as PostgresError where error.isConnectionFailure || error.kind == .pool {
                markUnhealthy(index, because: error)
            } catch where retryOnPrimary(error) {
                logger.debug("read replica may be behind; reading from the primary", metadata: ["db.replica": "\(replicas[index].name)"])
            }
        }
        state.withLock { $0.primaryReads += 1 }
        return try await primary.withTransaction(isolation: isolation, body)
    }

    /// Checks every standby once: reachable, in recovery, and how far behind the primary.
    public func checkNow() async {
        let primaryPosition = try? await primary.query("SELECT pg_current_wal_lsn()::text").scalar(String.self)
        for (index, replica) in replicas.enumerated() {
            var healthy = false
            var lag: Double?
            do {
                let row = try await replica.pool.query("""
                    SELECT pg_is_in_recovery(),
                           pg_wal_lsn_diff(\(primaryPosition)::pg_lsn, pg_last_wal_replay_lsn())::float8,
                           extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8
                    """, timeout: .seconds(2))[0]
                let (inRecovery, bytesBehind, sinceReplay) = try row.decode((Bool, Double?, Double?).self)
                if let bytesBehind, bytesBehind <= 0 { lag = 0 } else { lag = sinceReplay }
                let limit = Double(maxLag.components.seconds)
                healthy = inRecovery && (lag.map { $0 <= limit } ?? false)
            } catch {
                logger.debug("read replica check failed", metadata: ["db.replica": "\(replica.name)", "error": "\(error)"])
            }
            let wasHealthy = state.withLock { state in
                defer {
                    state.statuses[index].healthy = healthy
                    state.statuses[index].lagSeconds = lag
                }
                return state.statuses[index].healthy
            }
            if wasHealthy != healthy {
                logger.info(healthy ? "read replica in rotation" : "read replica out of rotation",
                            metadata: ["db.replica": "\(replica.name)", "db.lag_seconds": "\(lag.map { String($0) } ?? "unknown")"])
            }
        }
    }

    /// Checks the standbys every ``checkInterval`` until shutdown, then closes their pools.
    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            await checkNow()
            let interval = checkInterval
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
        for replica in replicas { await replica.pool.close() }
    }

    private func pickReplica() -> (Int, PostgresPool)? {
        state.withLock { state -> (Int, PostgresPool)? in
            let count = state.statuses.count
            for step in 0..<count {
                let index = (state.next + step) % count
                if state.statuses[index].healthy {
                    state.next = index + 1
                    state.statuses[index].reads += 1
                    return (index, replicas[index].pool)
                }
            }
            return nil
        }
    }

    private func markUnhealthy(_ index: Int, because error: PostgresError) {
        state.withLock { $0.statuses[index].healthy = false }
        logger.warning("read replica failed; reading from the primary", metadata: ["db.replica": "\(replicas[index].name)", "error": "\(error)"])
    }
}
