import Foundation
import MobiliseDomain
import MobiliseTesting
import Testing

/// The `mobilise` command, run as a separate process the way an operator runs it.
@Suite struct CommandTests {
    @Test func printsItsVersion() async throws {
        let output = try await CommandRunner.run(CommandRunner.mobilise, ["--version"])
        #expect(output.status == 0)
        #expect(output.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == "0.1.0")
    }

    @Test func migratesAnExistingServerOnceThenReportsUpToDate() async throws {
        let url = try await TestDatabase.createDatabase(migrated: false)
        let first = try await CommandRunner.run(CommandRunner.mobilise, ["migrate", "--database-url", url])
        #expect(first.status == 0, "\(first.standardError)")
        #expect(first.standardOutput.contains("applied 0001_organisations.sql"))
        let second = try await CommandRunner.run(CommandRunner.mobilise, ["migrate"], environment: ["DATABASE_URL": url])
        #expect(second.status == 0)
        #expect(second.standardOutput.contains("up to date"))
        let status = try await CommandRunner.run(CommandRunner.mobilise, ["migrate", "--status", "--database-url", url])
        #expect(status.standardOutput.contains("applied") && !status.standardOutput.contains("pending"))
    }

    /// A database a newer version migrated: `migrate --status` names what this version does not
    /// know, and commands refuse to work on it (as `serve` and `migrate` do), saying why.
    @Test func aDatabaseMigratedByANewerVersionIsNamedAndRefused() async throws {
        try await TestDatabase.withDatabase { pool in
            let url = pool.configuration.connection.connectionString
            _ = try await pool.execute(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES (9999, '9999_from_a_newer_version', 'x')")
            let status = try await CommandRunner.run(CommandRunner.mobilise, ["migrate", "--status", "--database-url", url])
            #expect(status.status == 0, "\(status.standardError)")
            #expect(status.standardOutput.contains("applied by a newer version of Mobilise, unknown to this one: 9999_from_a_newer_version"))
            let list = try await CommandRunner.run(CommandRunner.mobilise, ["campaign", "list", "--org", "acme", "--database-url", url])
            #expect(list.status == 1)
            #expect(list.standardError.contains("9999_from_a_newer_version, which this program does not know"), "\(list.standardError)")
        }
    }

    @Test func aBadDatabaseURLFailsWithLibpqsMessage() async throws {
        let output = try await CommandRunner.run(CommandRunner.mobilise, ["migrate", "--database-url", "postgresql://[broken"])
        #expect(output.status != 0)
        #expect(output.standardError.contains("invalid connection string"))
    }

    /// `db start` from a folder the server's OS user cannot enter (as root: a 0700 folder, like /root).
    @Test func embeddedServerStartsStopsAndReports() async throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("mobilise-cli-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let dataDir = home.appendingPathComponent("data").path
        defer {
            // As root the cluster was relocated where the postgres user can reach it: remove that too.
            if let relocated = try? FileManager.default.destinationOfSymbolicLink(atPath: dataDir + "/postgres") {
                try? FileManager.default.removeItem(atPath: relocated)
            }
            try? FileManager.default.removeItem(at: home)
        }
        let mobilise = CommandRunner.mobilise

        let before = try await CommandRunner.run(mobilise, ["db", "status", "--data-dir", dataDir])
        #expect(before.status == 3)
        let start = try await CommandRunner.run(mobilise, ["db", "start", "--data-dir", dataDir], directory: home.path)
        #expect(start.status == 0, "\(start.standardError)")
        let running = try await CommandRunner.run(mobilise, ["db", "status", "--data-dir", dataDir])
        #expect(running.status == 0)
        #expect(running.standardOutput.contains("running"))
        let migrate = try await CommandRunner.run(mobilise, ["migrate", "--data-dir", dataDir])
        #expect(migrate.status == 0, "\(migrate.standardError)")
        let stop = try await CommandRunner.run(mobilise, ["db", "stop", "--data-dir", dataDir])
        #expect(stop.status == 0)
        let after = try await CommandRunner.run(mobilise, ["db", "status", "--data-dir", dataDir])
        #expect(after.status == 3)
        #expect(after.standardOutput.contains("stopped"))
    }
}

/// One wire contract: the CLI offers exactly the domain's ranking metrics, by their API names.
@Suite struct WireContractTests {
    @Test func theRankingsCommandOffersTheDomainsMetrics() async throws {
        let help = try await CommandRunner.run(CommandRunner.mobilise, ["rankings", "--help"])
        let flattened = help.standardOutput.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        let listed = try #require(flattened.range(of: #"\(values: ([a-z_, ]+);"#, options: .regularExpression).map { String(flattened[$0]) })
        let values = listed.dropFirst("(values: ".count).dropLast().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(values == RankingMetric.allCases.map(\.rawValue), "\(listed)")
    }
}
