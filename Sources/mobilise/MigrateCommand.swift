import ArgumentParser
import MobiliseSchema

/// `mobilise migrate`: applies pending schema migrations.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending schema migrations (safe to run from several instances at once)."
    )

    @OptionGroup var database: DatabaseOptions

    @Flag(help: "List the migrations and whether each is applied, without applying anything.")
    var status = false

    func run() async throws {
        let logger = MobiliseCommand.bootstrapLogging()
        let migrator = try MobiliseSchema.migrator(logger: logger)
        // Reporting creates nothing: an embedded server not initialised yet has no database to ask.
        if status, database.externalURL == nil {
            let server = database.embeddedServer(logger: logger)
            if case .notInitialized = try await server.status() {
                print("There is no database yet in \(server.configuration.dataDirectory): every migration is pending.")
                for migration in migrator.migrations { print("pending: \(migration.name)") }
                print("`mobilise migrate` creates it and applies them (so does any command that needs the schema).")
                return
            }
        }
        try await database.withPool(logger: logger) { pool in
            if status {
                for entry in try await migrator.status(pool) {
                    print("\(entry.appliedAt.map { "applied \($0)" } ?? "pending"): \(entry.migration.name)")
                }
                for name in try await migrator.schemaState(pool).unknown {
                    print("applied by a newer version of Mobilise, unknown to this one: \(name)")
                }
                return
            }
            let report = try await migrator.migrate(pool)
            if report.applied.isEmpty {
                print("The schema is up to date (\(report.alreadyApplied) migrations applied).")
            } else {
                for migration in report.applied { print("applied \(migration.name)") }
                print("\(report.applied.count) migrations applied, \(report.alreadyApplied) were already.")
            }
        }
    }
}
