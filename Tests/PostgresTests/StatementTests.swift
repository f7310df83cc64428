import Foundation
import MobiliseTesting
import Postgres
import Testing

@Suite struct StatementTests {
    @Test func hostileStringIsStoredVerbatimAndTheTableSurvives() async throws {
        try await TestDatabase.withDatabase { pool in
            let hostile = "'); DROP TABLE employees; --"
            let stored = try await pool.withConnection { connection in
                let organisation = try connection.query("INSERT INTO organisations (slug, name) VALUES ('acme', \(hostile)) RETURNING id")
                    .scalar(UUID.self)
                try connection.execute("""
                    INSERT INTO employees (organisation_id, external_id, display_name, country)
                    VALUES (\(organisation), \(hostile), \(hostile), 'FR')
                    """)
                return try connection.query("SELECT display_name FROM employees WHERE external_id = \(hostile)").scalar(String.self)
            }
            #expect(stored == hostile)
            let tableStillThere = try await pool.query("SELECT to_regclass('employees') IS NOT NULL").scalar(Bool.self)
            #expect(tableStillThere == true)
        }
    }

    @Test func preparedQueriesArePreparedOncePerConnectionAndRunWithTheirOwnValues() async throws {
        try await TestDatabase.withDatabase(migrated: false) { pool in
            try await pool.withConnection { connection in
                func prepared() throws -> Int {
                    try connection.query("SELECT count(*) FROM pg_prepared_statements").scalar(Int.self) ?? -1
                }
                #expect(try prepared() == 0)
                for value in 1...7 {
                    let query: PostgresQuery = "SELECT \(value) * 2 AS doubled"
                    #expect(try connection.query(query.prepared()).scalar(Int.self) == value * 2)
                }
                #expect(try prepared() == 1)
                // The same text with other parameter types is another statement; unmarked queries never are.
                let text: PostgresQuery = "SELECT \("x") || 'y'"
                #expect(try connection.query(text.prepared()).scalar(String.self) == "xy")
                #expect(try connection.query("SELECT \(3) + 1").scalar(Int.self) == 4)
                #expect(try prepared() == 2)
                // In a pipeline, and in a pipeline whose transaction fails after it.
                let results = try connection.pipeline(
                    [("SELECT \(21) * 2 AS answer" as PostgresQuery).prepared(), "SELECT 1/0"], mode: .transaction)
                #expect(try results[0].get().scalar(Int.self) == 42)
                #expect(throws: PostgresError.self) { try results[1].get() }
                #expect(try prepared() == 3)
                // A statement the server refuses to prepare fails like any statement and leaves the connection usable.
                let broken: PostgresQuery = "SELEC \(1)"
                let error = #expect(throws: PostgresError.self) { try connection.query(broken.prepared()) }
                #expect(error?.kind == .server)
                #expect(try connection.query("SELECT 1").scalar(Int.self) == 1)
                #expect(try prepared() == 3)
            }
        }
    }

    @Test func aConnectionWhosePreparedStatementsWereDroppedIsReplaced() async throws {
        try await TestDatabase.withDatabase(migrated: false) { pool in
            let query: PostgresQuery = "SELECT \(20) + 1 AS total"
            let first = try await pool.withConnection { connection in
                #expect(try connection.query(query.prepared()).scalar(Int.self) == 21)
                try connection.execute("DEALLOCATE ALL")  // behind our back, as a pooler or a DISCARD would
                let error = #expect(throws: PostgresError.self) { try connection.query(query.prepared()) }
                #expect(error?.code?.rawValue == "26000")
                return connection.backendPID
            }
            // The pool gave that connection up: the next use gets a fresh one, where the query prepares again.
            let (pid, total) = try await pool.withConnection { connection in
                (connection.backendPID, try connection.query(query.prepared()).scalar(Int.self))
            }
            #expect(total == 21)
            #expect(pid != first)
        }
    }

    @Test func aConnectionPreparesAtMostItsLimitAndRunsTheRestUnprepared() async throws {
        try await TestDatabase.withDatabase(migrated: false) { pool in
            try await pool.withConnection { connection throws in
                let limit = PostgresConnection.maxPreparedStatements
                for index in 0..<(limit + 5) {
                    let query: PostgresQuery = "SELECT \(index) + \(unsafeSQL: String(index)) AS total"
                    #expect(try connection.query(query.prepared()).scalar(Int.self) == 2 * index)
                }
                #expect(try connection.query("SELECT count(*) FROM pg_prepared_statements").scalar(Int.self) == limit)
            }
        }
    }

    @Test func uniqueViolationCanBeMatchedAndHidesValues() async throws {
        try await TestDatabase.withDatabase { pool in
            try await pool.execute("INSERT INTO organisations (slug, name) VALUES ('acme', 'Acme')")
            do {
                try await pool.execute("INSERT INTO organisations (slug, name) VALUES ('acme', 'Acme again')")
                Issue.record("a duplicate slug was accepted")
            } catch SQLState.uniqueViolation {
                // matched by code in a catch clause
            }
            let error = await #expect(throws: PostgresError.self) {
                try await pool.execute("INSERT INTO organisations (slug, name) VALUES ('acme', 'Acme again')")
            }
            #expect(error?.isUniqueViolation == true)
            #expect(error?.constraint == "organisations_slug_key")
            #expect(error?.detail?.contains("acme") == true)
            #expect(error.map { "\($0)" }?.contains("acme") == false)  // the key value stays out of the description
        }
    }

    @Test func dataExceptionDescriptionLeavesTheInputOut() async throws {
        try await TestDatabase.withDatabase(migrated: false) { pool in
            let error = await #expect(throws: PostgresError.self) { try await pool.query("SELECT \("secret-value")::integer") }
            #expect(error?.code == .invalidTextRepresentation)
            #expect(error?.message.contains("secret-value") == true)
            #expect(error.map { "\($0)" }?.contains("secret-value") == false)
        }
    }

    @Test func transactionRollsBackWhenTheBodyThrows() async throws {
        struct Abort: Error {}
        try await TestDatabase.withDatabase { pool in
            await #expect(throws: Abort.self) {
                try await pool.withTransaction { connection in
                    try connection.execute("INSERT INTO organisations (slug, name) VALUES ('rolled-back', 'Gone')")
                    throw Abort()
                }
            }
            try await pool.withTransaction(isolation: .serializable) { connection in
                try connection.execute("INSERT INTO organisations (slug, name) VALUES ('kept', 'Kept')")
                // A nested transaction is a savepoint: its rollback keeps the outer work.
                _ = try? connection.transaction { inner in
                    try inner.execute("INSERT INTO organisations (slug, name) VALUES ('inner', 'Inner')")
                    throw Abort()
                }
            }
            let slugs = try await pool.query("SELECT slug FROM organisations ORDER BY slug").column(String.self)
            #expect(slugs == ["kept"])
        }
    }

    @Test func serializationFailuresAreRetried() async throws {
        try await TestDatabase.withDatabase { pool in
            try await pool.execute("CREATE TABLE counter (n integer NOT NULL)")
            try await pool.execute("INSERT INTO counter VALUES (0)")
            // 8 concurrent read-modify-write transactions at SERIALIZABLE collide; retries make all succeed.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        try await pool.withTransaction(isolation: .serializable, attempts: 50) { connection in
                            let value = try connection.query("SELECT n FROM counter").scalar(Int.self) ?? 0
                            try connection.execute("UPDATE counter SET n = \(value + 1)")
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await pool.query("SELECT n FROM counter").scalar(Int.self) == 8)
        }
    }

    @Test func scriptsRunSeveralStatements() async throws {
        try await TestDatabase.withDatabase(migrated: false) { pool in
            try await pool.withConnection { try $0.executeScript("CREATE TABLE a (x int); INSERT INTO a VALUES (1), (2);") }
            #expect(try await pool.query("SELECT sum(x) FROM a").scalar(Int.self) == 3)
            await #expect(throws: PostgresError.self) {
                try await pool.withConnection { try $0.executeScript("INSERT INTO a VALUES (3); SELECT * FROM missing;") }
            }
        }
    }

    @Test func textWithANulCharacterIsRefusedBeforeSending() async throws {
        try await TestDatabase.withDatabase(migrated: false) { pool in
            let error = await #expect(throws: PostgresError.self) { try await pool.query("SELECT \("a\u{0}b")") }
            #expect(error?.kind == .client)
        }
    }
}
