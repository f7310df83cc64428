import Logging
import MobiliseSchema
import MobiliseTesting
import Postgres
import PostgresMigrations
import Testing

@Suite struct MigrationTests {
    let logger = Logger(label: "test")

    @Test func schemaFilesAreEmbeddedInOrder() throws {
        let migrations = try MobiliseSchema.migrations()
        #expect(migrations.map(\.name).prefix(3) == ["0001_organisations.sql", "0002_countries.sql", "0003_employees.sql"])
        #expect(migrations.map(\.version) == migrations.map(\.version).sorted())
    }

    @Test func applyingTwiceIsANoOp() async throws {
        try await TestDatabase.withDatabase(migrated: false) { pool in
            let migrator = try MobiliseSchema.migrator(logger: logger)
            let first = try await migrator.migrate(pool)
            #expect(first.applied.count == migrator.migrations.count)
            let second = try await migrator.migrate(pool)
            #expect(second.applied.isEmpty)
            #expect(second.alreadyApplied == migrator.migrations.count)
            let recorded = try await pool.query("SELECT count(*) FROM schema_migrations").scalar(Int.self)
            #expect(recorded == migrator.migrations.count)
        }
    }

    @Test func countriesHoldTheWholeISOList() async throws {
        try await TestDatabase.withDatabase { pool in
            #expect(try await pool.query("SELECT count(*) FROM countries").scalar(Int.self) == 250)  // 249 ISO + XK
            let india = try await pool.query("SELECT alpha3, numeric, name FROM countries WHERE alpha2 = 'IN'")[0]
            let (alpha3, numeric, name) = try india.decode((String, String, String).self)
            #expect(alpha3 == "IND" && numeric == "356" && name == "India")
        }
    }

    @Test func anEditedAppliedMigrationIsRefused() async throws {
        try await TestDatabase.withDatabase(migrated: false) { pool in
            let original = [Migration(version: 1, name: "0001_a.sql", sql: "CREATE TABLE a (x int);")]
            try await Migrator(migrations: original, logger: logger).migrate(pool)
            let edited = [Migration(version: 1, name: "0001_a.sql", sql: "CREATE TABLE a (x bigint);")]
            let error = await #expect(throws: MigrationError.self) { try await Migrator(migrations: edited, logger: logger).migrate(pool) }
            #expect(error?.message.contains("edited") == true)
        }
    }

    @Test func aFailingMigrationLeavesNothingBehind() async throws {
        try await TestDatabase.withDatabase(migrated: false) { pool in
            let migrations = [
                Migration(version: 1, name: "0001_ok.sql", sql: "CREATE TABLE ok (x int);"),
                Migration(version: 2, name: "0002_bad.sql", sql: "CREATE TABLE half (x int); SELECT * FROM missing;"),
            ]
            await #expect(throws: MigrationError.self) { try await Migrator(migrations: migrations, logger: logger).migrate(pool) }
            let tables = try await pool.query("SELECT to_regclass('ok') IS NOT NULL, to_regclass('half') IS NOT NULL")[0]
            let (ok, half) = try tables.decode((Bool, Bool).self)
            #expect(ok && !half)
            #expect(try await pool.query("SELECT array_agg(version) FROM schema_migrations").scalar([Int].self) == [1])
        }
    }

    @Test func twoMigratorsAtOnceApplyEachFileOnce() async throws {
        try await TestDatabase.withDatabase(migrated: false) { pool in
            // Each file logs itself into a table that has no unique key: a second application would show.
            try await pool.execute("CREATE TABLE applications (name text NOT NULL)")
            let migrations = (1...5).map { version in
                Migration(version: version, name: "000\(version)_m.sql",
                          sql: "SELECT pg_sleep(0.05); INSERT INTO applications VALUES ('\(version)'); CREATE TABLE t\(version) (x int);")
            }
            let other = PostgresPool(configuration: pool.configuration, logger: logger)
            async let first = Migrator(migrations: migrations, logger: logger).migrate(pool)
            async let second = Migrator(migrations: migrations, logger: logger).migrate(other)
            let reports = try await [first, second]
            await other.close()
            #expect(reports.map(\.applied.count).sorted() == [0, 5])
            let counts = try await pool.query("SELECT name, count(*) FROM applications GROUP BY name")
            #expect(counts.count == 5)
            for row in counts.rows { #expect(try row.decode(Int.self, at: 1) == 1) }
        }
    }

    @Test func migrationNamesAreChecked() {
        #expect(throws: MigrationError.self) { try Migration.fromFiles([(name: "schema.sql", contents: "")]) }
        #expect(throws: MigrationError.self) {
            try Migration.fromFiles([(name: "0001_a.sql", contents: ""), (name: "0001_b.sql", contents: "")])
        }
    }
}
