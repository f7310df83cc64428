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
    static func audit(
        _ connection: PostgresConnection, organisationID: UUID, actor: Actor, action: String, subject: String?,
        details: [String: String] = [:]
    ) throws {
        try connection.execute("""
            INSERT INTO audit_log (organisation_id, actor, action, subject, details)
            VALUES (\(organisationID), \(actor.identity), \(action), \(subject), \(try JSONB(details)))
            """)
    }

    /// The audit log, newest first, `limit` entries older than the `before` cursor (an entry id).
    public func auditLog(organisationID: UUID, before cursor: Int64? = nil, limit: Int = 50) async throws -> [AuditEntry] {
        let limit = min(max(limit, 1), 500)
        return try await pool.withConnection { connection in
            try connection.query("""
                SELECT id, at, actor, action, subject, details FROM audit_log
                WHERE organisation_id = \(organisationID) AND (\(cursor)::bigint IS NULL OR id < \(cursor))
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
