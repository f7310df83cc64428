import Postgres
import PostgresMigrations
import ServiceLifecycle

/// A failure of the database itself, in the store's words, so that callers answer it without
/// knowing the database client: unavailable (no connection, the pool closed or exhausted), too
/// slow (the statement timeout), or a value the database cannot hold (SQLSTATE class 22: a date
/// outside its range, text it cannot store). Anything else is not a database failure callers
/// should explain: `nil`.
public enum StoreFailure: Sendable, Equatable {
    case unavailable
    case timeout
    case invalidValue

    public init?(_ error: any Error) {
        guard let error = error as? PostgresError else { return nil }
        if error.isConnectionFailure || error.kind == .pool {
            self = .unavailable
        } else if error.kind == .timeout {
            self = .timeout
        } else if error.code?.errorClass == "22" {
            self = .invalidValue
        } else {
            return nil
        }
    }
}

/// What the database gauges read now: the pool and the read replicas.
public struct DatabaseGauges: Sendable {
    public struct Replica: Sendable {
        public var name: String
        public var healthy: Bool
        /// Seconds behind the primary; nil when unknown.
        public var lagSeconds: Double?
        /// Reads served since start.
        public var reads: Int
    }

    public var open: Int
    public var inUse: Int
    public var waiting: Int
    public var replicas: [Replica]
    /// Replica-eligible reads the primary served (nil without read replicas).
    public var primaryFallbackReads: Int?
}

extension MobiliseStore {
    /// The pool's and the read replicas' gauges, read now.
    public var databaseGauges: DatabaseGauges {
        let statistics = pool.statistics
        return DatabaseGauges(
            open: statistics.open, inUse: statistics.inUse, waiting: statistics.waiting,
            replicas: (readReplicas?.statuses ?? []).map {
                DatabaseGauges.Replica(name: $0.name, healthy: $0.healthy, lagSeconds: $0.lagSeconds, reads: $0.reads)
            },
            primaryFallbackReads: readReplicas?.primaryReads)
    }
}

extension MobiliseStore {
    /// What runs beside a service using the store, until shutdown: the pool, and the read
    /// replicas' health checks when there are replicas.
    public var services: [any Service] {
        var services: [any Service] = [pool]
        if let readReplicas { services.append(readReplicas) }
        return services
    }

    /// Applies `migrator`'s pending migrations, then checks the read replicas once (so that the
    /// first reads know which replicas serve).
    public func migrate(_ migrator: Migrator) async throws {
        _ = try await migrator.migrate(pool)
        await readReplicas?.checkNow()
    }

    /// How the database's schema stands against `migrator`'s migrations (pending, and unknown to it).
    public func schemaState(_ migrator: Migrator) async throws -> SchemaState {
        try await migrator.schemaState(pool)
    }
}
