import MobiliseTesting
import Postgres
import Testing

/// The schema must stay distributable by organisation (Citus, `deploy/citus/`): every tenant table
/// carries `organisation_id`, has it in its primary key and in every unique constraint, and every
/// foreign key between tenant tables includes it, so that a row and everything it references live
/// on the same shard. These tests read the catalog of a freshly migrated database, so a new
/// migration that breaks the rule fails here, naming the table and constraint.
@Suite struct TenantKeyTests {
    /// Tables that are not owned by one organisation: the tenants themselves, reference data and
    /// the migrator's bookkeeping, the e-mail sending slots all instances share (sql/0028).
    static let sharedTables: Set<String> = ["countries", "organisations", "schema_migrations", "scheduled_runs", "email_send_slots"]

    @Test func everyTableOtherThanTheSharedOnesHasAnOrganisationColumn() async throws {
        try await TestDatabase.withDatabase { pool in
            let missing = try await pool.query("""
                SELECT c.relname::text FROM pg_class c
                WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
                  AND NOT EXISTS (SELECT 1 FROM pg_attribute a
                                  WHERE a.attrelid = c.oid AND a.attname = 'organisation_id' AND NOT a.attisdropped)
                ORDER BY 1
                """).column(String.self)
            #expect(Set(missing) == Self.sharedTables, "tables without organisation_id: \(missing)")
        }
    }

    @Test func primaryKeysAndUniqueConstraintsOfTenantTablesIncludeTheOrganisation() async throws {
        try await TestDatabase.withDatabase { pool in
            let tenantTables = try await Self.tenantTables(pool)
            #expect(tenantTables.count >= 10, "expected the tenant tables, found \(tenantTables)")

            // Unique indexes too, not only constraints: CREATE UNIQUE INDEX makes no pg_constraint row
            // but binds Citus just the same.
            let offending = try await pool.query("""
                SELECT t.relname::text, i.relname::text, x.indisprimary
                FROM pg_index x
                JOIN pg_class t ON t.oid = x.indrelid
                JOIN pg_class i ON i.oid = x.indexrelid
                WHERE t.relnamespace = current_schema()::regnamespace AND x.indisunique
                  AND t.relname = ANY(\(tenantTables))
                  AND NOT EXISTS (SELECT 1 FROM pg_attribute a
                                  WHERE a.attrelid = t.oid AND a.attname = 'organisation_id'
                                    AND a.attnum = ANY(x.indkey::smallint[]))
                ORDER BY 1, 2
                """).rows.map { try $0.decode((String, String, Bool).self) }
            #expect(offending.isEmpty, "unique keys without organisation_id: \(offending.map { "\($0.0).\($0.1)" })")

            let withoutPrimaryKey = try await pool.query("""
                SELECT c.relname::text FROM pg_class c
                WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = ANY(\(tenantTables))
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p')
                ORDER BY 1
                """).column(String.self)
            #expect(withoutPrimaryKey.isEmpty, "tenant tables without a primary key: \(withoutPrimaryKey)")
        }
    }

    @Test func foreignKeysBetweenTenantTablesIncludeTheOrganisation() async throws {
        try await TestDatabase.withDatabase { pool in
            let tenantTables = try await Self.tenantTables(pool)
            // Both sides must use organisation_id, and at the same position (it is the shard key on both).
            let foreignKeys = try await pool.query("""
                SELECT k.conname::text, s.relname::text, d.relname::text,
                       array_position(k.conkey, sa.attnum) IS NOT NULL
                         AND array_position(k.conkey, sa.attnum) = array_position(k.confkey, da.attnum)
                FROM pg_constraint k
                JOIN pg_class s ON s.oid = k.conrelid
                JOIN pg_class d ON d.oid = k.confrelid
                JOIN pg_attribute sa ON sa.attrelid = s.oid AND sa.attname = 'organisation_id'
                JOIN pg_attribute da ON da.attrelid = d.oid AND da.attname = 'organisation_id'
                WHERE k.contype = 'f' AND s.relname = ANY(\(tenantTables)) AND d.relname = ANY(\(tenantTables))
                ORDER BY 1
                """).rows.map { try $0.decode((String, String, String, Bool).self) }
            #expect(foreignKeys.count >= 10, "expected the foreign keys between tenant tables, found \(foreignKeys.map(\.0))")
            let offending = foreignKeys.filter { !$0.3 }.map { "\($0.0) (\($0.1) → \($0.2))" }
            #expect(offending.isEmpty, "foreign keys between tenant tables without organisation_id: \(offending)")

            // A tenant table may reference only tenant tables, organisations (by organisation_id) and
            // countries (reference data): nothing that would cross tenants.
            let others = try await pool.query("""
                SELECT k.conname::text, s.relname::text, d.relname::text,
                       (SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_attribute a
                        WHERE a.attrelid = s.oid AND a.attnum = ANY(k.conkey))
                FROM pg_constraint k
                JOIN pg_class s ON s.oid = k.conrelid
                JOIN pg_class d ON d.oid = k.confrelid
                WHERE k.contype = 'f' AND s.relname = ANY(\(tenantTables)) AND NOT d.relname = ANY(\(tenantTables))
                ORDER BY 1
                """).rows.map { try $0.decode((String, String, String, [String]).self) }
            for (name, source, target, columns) in others {
                switch target {
                case "organisations":
                    #expect(columns == ["organisation_id"], "\(name) (\(source) → organisations) uses \(columns)")
                case "countries":
                    break
                default:
                    Issue.record("\(name): \(source) references \(target), which is neither a tenant table nor reference data")
                }
            }
        }
    }

    /// Tables of the current schema with an `organisation_id` column.
    static func tenantTables(_ pool: PostgresPool) async throws -> [String] {
        try await pool.query("""
            SELECT c.relname::text FROM pg_class c
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'organisation_id' AND NOT a.attisdropped
            WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
            ORDER BY 1
            """).column(String.self)
    }
}
