import Foundation
import MobiliseDomain
import Postgres

/// Workforce files as HR systems export them: the organisation's column mapping (sql/0015).
extension MobiliseStore {
    /// The organisation's column mapping, if it has one.
    public func workforceColumnMapping(organisationID: UUID) async throws -> WorkforceColumnMapping? {
        let row = try await pool.withConnection { connection in
            try connection.query("""
                SELECT source_columns, target_columns FROM workforce_column_mappings WHERE organisation_id = \(organisationID)
                """).rows.first.map { row in
                (try row.decode([String].self, column: "source_columns"), try row.decode([String].self, column: "target_columns"))
            }
        }
        guard let row else { return nil }
        return try WorkforceColumnMapping(zip(row.0, row.1).map { (source: $0, column: $1) })
    }

    /// Sets (replaces) the organisation's column mapping. Audited.
    public func setWorkforceColumnMapping(organisationID: UUID, _ mapping: WorkforceColumnMapping, actor: Actor) async throws {
        guard !mapping.entries.isEmpty else {
            throw MobiliseError(.invalid, code: .invalidColumnMapping, "a column mapping maps at least one column")
        }
        let sources = mapping.entries.map(\.source), targets = mapping.entries.map(\.column)
        try await pool.withTransaction { connection in
            try connection.execute("""
                INSERT INTO workforce_column_mappings (organisation_id, source_columns, target_columns, updated_by)
                VALUES (\(organisationID), \(sources), \(targets), \(actor.identity))
                ON CONFLICT (organisation_id) DO UPDATE SET
                    source_columns = EXCLUDED.source_columns, target_columns = EXCLUDED.target_columns,
                    updated_by = EXCLUDED.updated_by, updated_at = now()
                """)
            try Self.audit(connection, organisationID: organisationID, actor: actor, action: "workforce.column_mapping.set", subject: nil,
                           details: Dictionary(uniqueKeysWithValues: zip(sources.prefix(20), targets.prefix(20))))
        }
    }

    /// Removes the organisation's column mapping. Audited. False when there was none.
    public func removeWorkforceColumnMapping(organisationID: UUID, actor: Actor) async throws -> Bool {
        try await pool.withTransaction { connection in
            guard try connection.execute("DELETE FROM workforce_column_mappings WHERE organisation_id = \(organisationID)") > 0
            else { return false }
            try Self.audit(connection, organisationID: organisationID, actor: actor, action: "workforce.column_mapping.remove", subject: nil)
            return true
        }
    }
}
