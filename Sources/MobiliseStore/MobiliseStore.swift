import Foundation
import Logging
import MobiliseDomain
import Postgres

/// The campaign library: everything Mobilise keeps, in PostgreSQL.
///
/// One value per process, shared by everything (it is `Sendable`); each capability lives in an
/// extension of its own file (organisations, workforce, campaigns, signatures, posts, events,
/// rankings, audit log). Methods take the organisation they act in explicitly: nothing of another
/// organisation is ever read or written.
public struct MobiliseStore: Sendable {
    /// The primary: every write, and every read that must see the caller's own writes.
    public let pool: PostgresPool
    /// Standbys for the read-heavy ranking traffic (rankings, drill-downs, timelines), if any.
    public let readReplicas: PostgresReadReplicas?
    let logger: Logger
    /// Where concurrent signings meet to be written together.
    let signing: SigningQueue
    /// The SCIM tokens found lately (``useSCIMToken(organisationID:secretHash:)``).
    public let scimTokenCache = SCIMTokenCache()
    /// When SCIM creations bring the planner's statistics of `employees` up to date.
    let employeeStatistics = EmployeeStatisticsSchedule()

    public init(pool: PostgresPool, readReplicas: PostgresReadReplicas? = nil, groupCommit: GroupCommit = GroupCommit(), logger: Logger) {
        self.pool = pool
        self.readReplicas = readReplicas
        self.logger = logger
        signing = SigningQueue(pool: pool, settings: groupCommit)
    }

    /// A read-only snapshot transaction, on a standby when there is a healthy one. "Not found" from a
    /// standby is asked again of the primary: a standby a little behind must never make something
    /// just created look missing.
    func withReadTransaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        if let readReplicas {
            return try await readReplicas.withReadTransaction(
                isolation: .repeatableRead, retryOnPrimary: { ($0 as? MobiliseError)?.kind == .notFound }, body)
        }
        return try await pool.withTransaction(isolation: .repeatableRead, body)
    }
}

/// Maps database errors that are really input errors to ``MobiliseError``.
extension PostgresError {
    /// A check or foreign-key violation names the constraint: say which value was refused.
    func asInputError(_ messages: [String: MobiliseError]) -> any Error {
        if let constraint, let mapped = messages[constraint] { return mapped }
        return self
    }
}
