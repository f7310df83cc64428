import EmbeddedPostgres
import Foundation
import Logging
import MobiliseSchema
import MobiliseStore
import Postgres

/// Real databases for tests.
///
/// The first use in a test process starts one throwaway PostgreSQL cluster in a temporary folder
/// (fsync off, removed when the process exits, even if it is killed) and migrates a template
/// database. Each test then gets a database of its own, cloned from the template, so tests never
/// see each other's rows and can run in parallel, in one process or several.
///
/// ```swift
/// @Test func signing() async throws {
///     try await TestDatabase.withDatabase { pool in … }
/// }
/// ```
public enum TestDatabase {
    /// Runs `body` with a pool on a fresh database, dropped afterwards.
    /// - Parameters:
    ///   - migrated: clone the migrated template (true) or start from an empty database.
    ///   - acquireTimeout: how long a caller waits for a connection (and a signing for its writer).
    public static func withDatabase<T: Sendable>(
        migrated: Bool = true, maxConnections: Int = 8, acquireTimeout: Duration = .seconds(10),
        _ body: (PostgresPool) async throws -> T
    ) async throws -> T {
        let cluster = try await TestCluster.shared.start()
        let name = try await cluster.createDatabase(migrated: migrated)
        let pool = PostgresPool(
            configuration: .init(
                connection: try cluster.configuration(database: name), maxConnections: maxConnections, acquireTimeout: acquireTimeout),
            logger: Logger(label: "test"))
        do {
            let result = try await body(pool)
            await pool.close()
            try await cluster.dropDatabase(name)
            return result
        } catch {
            await pool.close()
            try? await cluster.dropDatabase(name)
            throw error
        }
    }

    /// The connection string of a fresh database (not dropped: for tests that start processes).
    public static func createDatabase(migrated: Bool = true) async throws -> String {
        let cluster = try await TestCluster.shared.start()
        let name = try await cluster.createDatabase(migrated: migrated)
        return cluster.server.connectionString(database: name)
    }

    /// The test cluster's server, started on first use.
    public static func server() async throws -> EmbeddedPostgres {
        try await TestCluster.shared.start().server
    }
}

/// The process's test cluster.
actor TestCluster {
    static let shared = TestCluster()

    final class Running: Sendable {
        let server: EmbeddedPostgres
        let admin: PostgresPool

        init(server: EmbeddedPostgres) throws {
            self.server = server
            self.admin = PostgresPool(
                // Every test of the process creates its database through here: callers queue rather than fail.
                configuration: .init(connection: try PostgresConfiguration(server.connectionString(database: "postgres")),
                                     maxConnections: 4, acquireTimeout: .seconds(600)),
                logger: Logger(label: "test-admin"))
        }

        func configuration(database: String) throws -> PostgresConfiguration {
            try PostgresConfiguration(server.connectionString(database: database), applicationName: "mobilise-tests")
        }

        func createDatabase(migrated: Bool) async throws -> String {
            let name = "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
            let template = migrated ? TestCluster.template : "template0"
            // FILE_COPY clones a small template faster than WAL_LOG (fsync is off in the test cluster).
            try await admin.execute("CREATE DATABASE \(identifier: name) TEMPLATE \(identifier: template) STRATEGY = FILE_COPY")
            return name
        }

        func dropDatabase(_ name: String) async throws {
            try await admin.execute("DROP DATABASE IF EXISTS \(identifier: name) WITH (FORCE)")
        }
    }

    static let template = "mobilise_template"
    private var running: Running?
    private var starting: Task<Running, any Error>?

    func start() async throws -> Running {
        if let running { return running }
        if let starting { return try await starting.value }
        let task = Task { try await Self.launch() }
        starting = task
        do {
            let value = try await task.value
            running = value
            return value
        } catch {
            starting = nil
            throw error
        }
    }

    private static func launch() async throws -> Running {
        let directory = "/tmp/mobilise-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let server = EmbeddedPostgres(
            // Swift Testing runs every test of the process at once, each with its own pools (and some
            // with a service's): PostgreSQL's default of 100 connections is not enough for them all.
            configuration: .init(dataDirectory: directory, durable: false, settings: ["max_connections": "500"], ephemeral: true),
            logger: Logger(label: "test-cluster"))
        try await server.start()
        let running = try Running(server: server)
        try await running.admin.execute("CREATE DATABASE \(identifier: template)")
        let templatePool = PostgresPool(
            configuration: .init(connection: try running.configuration(database: template), maxConnections: 1),
            logger: Logger(label: "test-template"))
        do {
            try await MobiliseSchema.migrator(logger: Logger(label: "test-migrations")).migrate(templatePool)
        } catch {
            await templatePool.close()
            throw error
        }
        await templatePool.close()
        return running
    }
}

extension TestDatabase {
    /// Runs `body` with the campaign library on a fresh migrated database.
    public static func withStore<T: Sendable>(_ body: (MobiliseStore) async throws -> T) async throws -> T {
        try await withDatabase { pool in try await body(MobiliseStore(pool: pool, logger: Logger(label: "test-store"))) }
    }
}
