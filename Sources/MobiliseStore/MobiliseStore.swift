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
    public let pool: PostgresPool
    let logger: Logger

    public init(pool: PostgresPool, logger: Logger) {
        self.pool = pool
        self.logger = logger
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
