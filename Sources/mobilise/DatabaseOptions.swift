import ArgumentParser
import EmbeddedPostgres
import Foundation
import Logging
import Postgres

/// Reads the process environment.
enum Environment {
    static func value(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
        return value
    }
}

/// Where the database is: an existing server (`--database-url` or `DATABASE_URL`), or else the
/// embedded one under the data directory.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: ArgumentHelp(
        "PostgreSQL connection URL or key=value string (default: $DATABASE_URL; without either, the embedded server).",
        valueName: "url"))
    var databaseURL: String?

    @Option(name: .customLong("data-dir"), help: ArgumentHelp(
        "Folder of the embedded server's data (default: $MOBILISE_DATA_DIR, else ./.mobilise).", valueName: "path"))
    var dataDirectory: String?

    /// The URL to use, if an external server is configured.
    var externalURL: String? { databaseURL ?? Environment.value("DATABASE_URL") }

    /// The embedded server of the data directory.
    func embeddedServer(logger: Logger) -> EmbeddedPostgres {
        let root = dataDirectory ?? Environment.value("MOBILISE_DATA_DIR") ?? ".mobilise"
        let absolute = URL(fileURLWithPath: root).standardizedFileURL.appendingPathComponent("postgres").path
        return EmbeddedPostgres(configuration: .init(dataDirectory: absolute), logger: logger)
    }

    /// The database Mobilise uses inside the embedded server.
    static let embeddedDatabase = "mobilise"

    static func createDatabaseIfMissing(_ name: String, on server: EmbeddedPostgres, logger: Logger) async throws {
        let admin = PostgresPool(
            configuration: .init(connection: try PostgresConfiguration(server.connectionString(database: "postgres")), maxConnections: 1),
            logger: logger)
        do {
            let exists = try await admin.query("SELECT count(*) FROM pg_database WHERE datname = \(name)").scalar(Int.self) == 1
            if !exists { try await admin.execute("CREATE DATABASE \(identifier: name)") }
        } catch {
            await admin.close()
            throw error
        }
        await admin.close()
    }

    /// The connection string of the configured database. With the embedded server, starts it when it
    /// is not running (returning it then, so the caller can stop it) and creates Mobilise's database.
    func database(logger: Logger) async throws -> (connectionString: String, startedServer: EmbeddedPostgres?) {
        if let url = externalURL { return (url, nil) }
        let server = embeddedServer(logger: logger)
        var started: EmbeddedPostgres?
        if case .running = try await server.status() {} else {
            try await server.start()
            started = server
        }
        try await Self.createDatabaseIfMissing(Self.embeddedDatabase, on: server, logger: logger)
        return (server.connectionString(database: Self.embeddedDatabase), started)
    }

    /// Runs `body` with a pool on the configured database. With the embedded server, starts it
    /// when it is not running, and stops it afterwards if this call started it.
    func withPool<T: Sendable>(logger: Logger, _ body: (PostgresPool) async throws -> T) async throws -> T {
        let (connectionString, startedServer) = try await database(logger: logger)
        let pool = PostgresPool(
            configuration: .init(connection: try PostgresConfiguration(connectionString, applicationName: "mobilise"), maxConnections: 2),
            logger: logger)
        do {
            let result = try await body(pool)
            await pool.close()
            try await startedServer?.stop()
            return result
        } catch {
            await pool.close()
            try? await startedServer?.stop()
            throw error
        }
    }
}
