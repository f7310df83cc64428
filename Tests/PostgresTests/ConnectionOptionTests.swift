import EmbeddedPostgres
import Foundation
import Logging
import MobiliseTesting
@testable import Postgres
import Testing

@Suite struct ConnectionOptionTests {
    /// `connect_timeout=3` in MOBILISE_DATABASE_URL used to be overridden by the configuration's
    /// 10 seconds (and the keepalives and application name by the service's own): what the
    /// connection string says wins now.
    @Test func optionsInTheConnectionStringWinOverTheDefaults() async throws {
        try await TestDatabase.withDatabase(migrated: false) { pool in
            let configuration = try PostgresConfiguration(
                pool.configuration.connection.connectionString + " connect_timeout=3 keepalives_idle=7 application_name=from-the-url",
                applicationName: "mobilise-tests", connectTimeout: .seconds(10))
            let other = PostgresPool(configuration: .init(connection: configuration, maxConnections: 1), logger: Logger(label: "test"))
            let (timeout, idle, name) = try await other.withConnection { connection in
                (connection.option("connect_timeout"), connection.option("keepalives_idle"),
                 try connection.query("SHOW application_name").scalar(String.self))
            }
            await other.close()
            #expect(timeout == "3")
            #expect(idle == "7")
            #expect(name == "from-the-url")
        }
    }

    @Test func withoutThemTheDefaultsApply() async throws {
        try await TestDatabase.withDatabase(migrated: false) { pool in
            let configuration = try PostgresConfiguration(
                pool.configuration.connection.connectionString, applicationName: "mobilise-tests", connectTimeout: .seconds(4))
            let other = PostgresPool(configuration: .init(connection: configuration, maxConnections: 1), logger: Logger(label: "test"))
            let (timeout, idle, encoding) = try await other.withConnection { connection in
                (connection.option("connect_timeout"), connection.option("keepalives_idle"),
                 try connection.query("SHOW client_encoding").scalar(String.self))
            }
            await other.close()
            #expect(timeout == "4")
            #expect(idle == "30")
            #expect(encoding == "UTF8")
        }
    }
}
