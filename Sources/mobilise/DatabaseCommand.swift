import ArgumentParser
import EmbeddedPostgres

/// `mobilise db start|stop|status`: the embedded PostgreSQL server.
struct DatabaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Start, stop or inspect the embedded PostgreSQL server (data under ./.mobilise by default).",
        subcommands: [Start.self, Stop.self, Status.self]
    )

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start the embedded server (initialising it on first use) and leave it running.")
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let logger = MobiliseCommand.bootstrapLogging()
            let server = database.embeddedServer(logger: logger)
            try await server.start()
            try await DatabaseOptions.createDatabaseIfMissing(DatabaseOptions.embeddedDatabase, on: server, logger: logger)
            print("PostgreSQL is running. Connect with: psql \"\(server.connectionString(database: DatabaseOptions.embeddedDatabase))\"")
        }
    }

    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the embedded server.")
        @OptionGroup var database: DatabaseOptions
        @Flag(help: "Stop at once, without waiting for clients (crash-like; recovery runs at next start).")
        var immediate = false

        func run() async throws {
            let logger = MobiliseCommand.bootstrapLogging()
            let server = database.embeddedServer(logger: logger)
            guard case .running = try await server.status() else {
                print("PostgreSQL is not running.")
                return
            }
            try await server.stop(mode: immediate ? .immediate : .fast)
            print("PostgreSQL stopped.")
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Say whether the embedded server is running. Exit status 0 when running, 3 when not.")
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let logger = MobiliseCommand.bootstrapLogging()
            let server = database.embeddedServer(logger: logger)
            switch try await server.status() {
            case .running(let pid):
                print("running (pid \(pid)), data in \(server.configuration.dataDirectory)")
                print("connect with: psql \"\(server.connectionString(database: DatabaseOptions.embeddedDatabase))\"")
            case .stopped:
                print("stopped, data in \(server.configuration.dataDirectory)")
                throw ExitCode(3)
            case .notInitialized:
                print("not initialised: `mobilise db start` creates it in \(server.configuration.dataDirectory)")
                throw ExitCode(3)
            }
        }
    }
}
