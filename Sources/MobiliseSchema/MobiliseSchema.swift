import Logging
import PostgresMigrations

/// Mobilise's database schema: the migration files of `sql/`, compiled into the program.
public enum MobiliseSchema {
    /// All migrations, in order.
    public static func migrations() throws -> [Migration] {
        try Migration.fromFiles(EmbeddedSQL.files)
    }

    /// A migrator for the schema.
    public static func migrator(logger: Logger) throws -> Migrator {
        Migrator(migrations: try migrations(), logger: logger)
    }
}
