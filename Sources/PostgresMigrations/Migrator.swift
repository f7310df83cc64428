import Crypto
import Foundation
import Logging
import Postgres

/// One migration: a numbered SQL file.
public struct Migration: Sendable, Hashable {
    /// The number the file name starts with (`0003` in `0003_employees.sql`).
    public let version: Int
    /// The file name.
    public let name: String
    public let sql: String
    /// SHA-256 of the file, in hex: how an edited, already applied file is caught.
    public let checksum: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
        self.checksum = SHA256.hash(data: Data(sql.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Migrations from `(file name, contents)` pairs; names must look like `0001_description.sql`,
    /// with distinct numbers.
    public static func fromFiles(_ files: [(name: String, contents: String)]) throws -> [Migration] {
        var migrations: [Migration] = []
        for file in files {
            guard let prefix = file.name.split(separator: "_").first, let version = Int(prefix), file.name.hasSuffix(".sql") else {
                throw MigrationError(message: "migration file '\(file.name)' must be named NNNN_description.sql")
            }
            if let clash = migrations.first(where: { $0.version == version }) {
                throw MigrationError(message: "migration files '\(clash.name)' and '\(file.name)' have the same number \(version)")
            }
            migrations.append(Migration(version: version, name: file.name, sql: file.contents))
        }
        return migrations.sorted { $0.version < $1.version }
    }
}

/// Why migrating stopped.
public struct MigrationError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
}

/// What a migration run did.
public struct MigrationReport: Sendable {
    /// Applied by this run, in order.
    public var applied: [Migration]
    /// Already applied before this run.
    public var alreadyApplied: Int
}

/// The database's schema against one program's migrations (``Migrator/schemaState(_:)``).
public struct SchemaState: Sendable, Equatable {
    /// Migrations this program has that the database lacks.
    public var pending: Int
    /// Migrations the database has that this program does not know (their names, in order): a newer
    /// version migrated it, so this one may no longer be able to write what it expects to.
    public var unknown: [String]

    public init(pending: Int, unknown: [String]) {
        self.pending = pending
        self.unknown = unknown
    }
}

/// Applies pending migrations in order, each in its own transaction, and records them in
/// `schema_migrations` (version, name, checksum, time).
///
/// - It holds an advisory lock while it works, so service instances starting at once apply each
///   file exactly once: the second waits, then finds nothing left to do.
/// - It refuses to run when a file that was already applied has been edited, or when the database
///   has migrations this program does not know (it is older than the schema): migrations only go
///   forward, so a change is a new file.
/// - Files must not contain `BEGIN`/`COMMIT` themselves.
public struct Migrator: Sendable {
    public let migrations: [Migration]
    private let logger: Logger

    /// The advisory lock key (`pg_advisory_lock`) held while migrating.
    public static let lockKey: Int64 = 0x4D6F_6269_6C69_7365  // "Mobilise"

    public init(migrations: [Migration], logger: Logger) {
        self.migrations = migrations.sorted { $0.version < $1.version }
        self.logger = logger
    }

    /// Applies every pending migration.
    @discardableResult
    public func migrate(_ pool: PostgresPool) async throws -> MigrationReport {
        let migrations = self.migrations
        let logger = self.logger
        return try await pool.withConnection { connection in
            try connection.execute("SELECT pg_advisory_lock(\(Self.lockKey))")
            defer { _ = try? connection.execute("SELECT pg_advisory_unlock(\(Self.lockKey))") }
            try connection.execute("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    integer PRIMARY KEY,
                    name       text NOT NULL,
                    checksum   text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """)
            let applied = try Self.appliedRecords(connection)
            try Self.verify(applied: applied, against: migrations)
            var report = MigrationReport(applied: [], alreadyApplied: applied.count)
            for migration in migrations where applied[migration.version] == nil {
                logger.info("applying migration", metadata: ["migration": "\(migration.name)"])
                do {
                    try connection.transaction { connection in
                        try connection.executeScript(migration.sql)
                        try connection.execute("""
                            INSERT INTO schema_migrations (version, name, checksum)
                            VALUES (\(migration.version), \(migration.name), \(migration.checksum))
                            """)
                    }
                } catch let error as PostgresError {
                    throw MigrationError(message: "migration \(migration.name) failed: \(error)")
                }
                report.applied.append(migration)
            }
            return report
        }
    }

    /// How the database's schema stands against this program's migrations: what is pending, and
    /// what a newer version applied that this one does not know.
    public func schemaState(_ pool: PostgresPool) async throws -> SchemaState {
        let applied = try await Self.appliedRecords(pool)
        let known = Set(migrations.map(\.version))
        return SchemaState(
            pending: migrations.filter { applied[$0.version] == nil }.count,
            unknown: applied.keys.sorted().filter { !known.contains($0) }.compactMap { applied[$0]?.name })
    }

    /// Each known migration with the time it was applied (nil when pending).
    public func status(_ pool: PostgresPool) async throws -> [(migration: Migration, appliedAt: Date?)] {
        let applied = try await Self.appliedRecords(pool)
        return migrations.map { ($0, applied[$0.version]?.appliedAt) }
    }

    /// A row of `schema_migrations`.
    private struct AppliedRecord {
        var name: String
        var checksum: String
        var appliedAt: Date
    }

    /// What `schema_migrations` records, by version (nothing before the first migration made it).
    private static func appliedRecords(_ pool: PostgresPool) async throws -> [Int: AppliedRecord] {
        try await pool.withConnection { connection in
            let exists = try connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL").scalar(Bool.self) ?? false
            return exists ? try appliedRecords(connection) : [:]
        }
    }

    private static func appliedRecords(_ connection: PostgresConnection) throws -> [Int: AppliedRecord] {
        var records: [Int: AppliedRecord] = [:]
        for row in try connection.query("SELECT version, name, checksum, applied_at FROM schema_migrations").rows {
            let (version, name, checksum, time) = try row.decode((Int, String, String, Date).self)
            records[version] = AppliedRecord(name: name, checksum: checksum, appliedAt: time)
        }
        return records
    }

    private static func verify(applied: [Int: AppliedRecord], against migrations: [Migration]) throws {
        let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        for (version, record) in applied.sorted(by: { $0.key < $1.key }) {
            guard let migration = known[version] else {
                throw MigrationError(message: "the database has migration \(record.name), which this program does not know: it was migrated by a newer version of Mobilise")
            }
            guard migration.checksum == record.checksum else {
                throw MigrationError(message: "migration \(migration.name) was edited after it was applied (checksum \(record.checksum.prefix(12))… in the database, \(migration.checksum.prefix(12))… now). Migrations only go forward: restore the file and add the change as a new migration.")
            }
        }
    }
}
