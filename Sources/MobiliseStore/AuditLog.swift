import Foundation
import MobiliseDomain
import Postgres

/// One admin action.
public struct AuditEntry: Sendable, Equatable {
    public var id: Int64
    public var at: Date
    public var actor: String
    public var action: String
    public var subject: String?
    public var details: [String: String]
}

extension MobiliseStore {
    /// Records an admin action, inside the caller's transaction so the entry exists exactly when
    /// the action took effect.
    ///
    /// Entries are numbered per organisation (1, 2, 3, …) from its row of `audit_counters`, which
    /// stays locked until the caller's transaction ends: one organisation's audited actions commit
    /// one after another in the order of their numbers (so a cursor never skips an entry that commits
    /// later), and no organisation learns from the numbers how much another one does (sql/0009).
    /// Call it as late in the transaction as possible: the lock is held from here to the commit.
    static func audit(
        _ connection: PostgresConnection, organisationID: UUID, actor: Actor, action: String, subject: String?,
        details: [String: String] = [:]
    ) throws {
        try connection.execute("""
            WITH next AS (\(nextAuditEntryNumber(organisationID: organisationID)))
            INSERT INTO audit_log (organisation_id, id, actor, action, subject, details)
            SELECT \(organisationID), next.last_id, \(actor.identity), \(action), \(subject), \(try JSONB(details)) FROM next
            """)
    }

    /// Takes the organisation's next audit entry number (`RETURNING last_id`), for a `next AS (…)`
    /// step of a statement that writes its own audit entry as ``audit(_:organisationID:actor:action:subject:details:)``
    /// does; with `onlyIfRowIn`, only when that step of the statement has a row.
    static func nextAuditEntryNumber(organisationID: UUID, onlyIfRowIn step: String? = nil) -> PostgresQuery {
        """
        INSERT INTO audit_counters AS c (organisation_id, last_id)
        SELECT \(organisationID), 1\(unsafeSQL: step.map { " FROM \($0)" } ?? "")
        ON CONFLICT (organisation_id) DO UPDATE SET last_id = c.last_id + 1
        RETURNING last_id
        """
    }

    /// The audit log, newest first, `limit` entries older than the `before` cursor (an entry id),
    /// optionally only the entries whose action starts with `action` (`employees.import`, or
    /// `campaign.` for every campaign action) and those of one `actor`.
    public func auditLog(
        organisationID: UUID, before cursor: Int64? = nil, action: String? = nil, actor: String? = nil, limit: Int = 50
    ) async throws -> [AuditEntry] {
        let limit = min(max(limit, 1), 500)
        return try await pool.withConnection { connection in
            try connection.query("""
                SELECT id, at, actor, action, subject, details FROM audit_log
                WHERE organisation_id = \(organisationID) AND (\(cursor)::bigint IS NULL OR id < \(cursor))
                  AND (\(action)::text IS NULL OR starts_with(action, \(action)))
                  AND (\(actor)::text IS NULL OR actor = \(actor))
                ORDER BY id DESC LIMIT \(limit)
                """).rows.map { row in
                AuditEntry(
                    id: try row.decode(Int64.self, column: "id"), at: try row.decode(Date.self, column: "at"),
                    actor: try row.decode(String.self, column: "actor"), action: try row.decode(String.self, column: "action"),
                    subject: try row.decode(String?.self, column: "subject"),
                    details: try row.decode(JSONB<[String: String]>.self, column: "details").value)
            }
        }
    }
}
