import Foundation
import MobiliseTesting
import Testing

/// What a new operator of the `mobilise` command ran into (issue 18), each run as a process.
@Suite struct NewUserCommandTests {
    static func mobilise(_ arguments: [String], url: String, environment: [String: String] = [:]) async throws -> CommandRunner.Output {
        try await CampaignCommandTests.mobilise(arguments, url: url, environment: environment)
    }

    /// A temporary file holding `text`, removed by the caller.
    static func file(_ text: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("new-user-\(UUID().uuidString).csv")
        try Data(text.utf8).write(to: url)
        return url
    }

    @Test func employeeEraseAsksThenSaysWhatGoesAndWhatStays() async throws {
        let url = try await TestDatabase.createDatabase(migrated: true)
        #expect(try await Self.mobilise(["org", "create", "acme", "--name", "Acme"], url: url).status == 0)
        let staff = try Self.file("external_id,country,gender,site\nJ DOE,FR,male,Paris\nÉMILE-1,FR,male,Lyon\n")
        defer { try? FileManager.default.removeItem(at: staff) }
        #expect(try await Self.mobilise(["import", "employees", staff.path, "--org", "acme"], url: url).status == 0)

        // Not a terminal and no --yes: nothing is erased.
        let unconfirmed = try await Self.mobilise(["employee", "erase", "ÉMILE-1", "--org", "acme"], url: url)
        #expect(unconfirmed.status == 1)
        #expect(unconfirmed.standardError.contains("nothing was erased") && unconfirmed.standardError.contains("--yes"))

        let erased = try await Self.mobilise(["employee", "erase", "ÉMILE-1", "--org", "acme", "--yes"], url: url)
        #expect(erased.status == 0, "\(erased.standardError)")
        #expect(erased.standardOutput.contains("erased employee 'ÉMILE-1' of acme"))
        #expect(erased.standardOutput.contains("Kept: their signatures, anonymised"))
        #expect(erased.standardOutput.contains("Removed: the HR id, email, name and manager"))

        let again = try await Self.mobilise(["employee", "erase", "ÉMILE-1", "--org", "acme", "--yes"], url: url)
        #expect(again.status == 1)
        #expect(again.standardError.contains("no employee 'ÉMILE-1' in acme"))
    }

    /// `--mode` and `--as-of` are read as the API reads `mode` and `as_of`, with the same sentences.
    @Test func modeAndAsOfAreReadAsTheAPIReadsThem() async throws {
        let url = try await TestDatabase.createDatabase(migrated: true)
        #expect(try await Self.mobilise(["org", "create", "acme", "--name", "Acme"], url: url).status == 0)
        let staff = try Self.file("external_id,country\nE1,FR\nE2,IN\n")
        defer { try? FileManager.default.removeItem(at: staff) }
        for mode in ["full_sync", "full-sync", "upsert"] {
            let imported = try await Self.mobilise(["import", "employees", staff.path, "--org", "acme", "--mode", mode], url: url)
            #expect(imported.status == 0, "\(mode): \(imported.standardError)")
        }
        let future = try await Self.mobilise(["rankings", "heforshe", "--org", "acme", "--as-of", "2999-01-01"], url: url)
        #expect(future.status == 64)
        #expect(future.standardError.contains("--as-of: '2999-01-01' is in the future; figures are known up to now"))
        let malformed = try await Self.mobilise(["rankings", "heforshe", "--org", "acme", "--as-of", "2026-13-01"], url: url)
        #expect(malformed.status == 64)
        #expect(malformed.standardError.contains("--as-of: '2026-13-01' is not a date or an RFC 3339 date and time of years 1 to 9999"))
    }

    /// The README's order works on a fresh database: commands that need the schema apply it first.
    @Test func aFreshDatabaseWorksWithoutMigratingFirst() async throws {
        let url = try await TestDatabase.createDatabase(migrated: false)
        let created = try await Self.mobilise(["org", "create", "acme", "--name", "Acme"], url: url)
        #expect(created.status == 0, "\(created.standardError)")
        #expect(created.standardOutput.contains("created organisation acme"))
        let status = try await Self.mobilise(["migrate", "--status"], url: url)
        #expect(status.status == 0 && !status.standardOutput.contains("pending"), "\(status.standardOutput)")
    }

    /// A missing workforce file is an error (exit status 1, as the README says), not a usage mistake.
    @Test func importingAMissingFileExitsWith1() async throws {
        let url = try await TestDatabase.createDatabase(migrated: true)
        let missing = try await Self.mobilise(["import", "employees", "/nonexistent/missing.csv", "--org", "acme"], url: url)
        #expect(missing.status == 1)
        #expect(missing.standardError.contains("There is no file '/nonexistent/missing.csv'") && missing.standardError.contains("Nothing was imported"))
        #expect(missing.standardOutput.isEmpty)
    }

    /// `migrate --status` reports on an empty folder without creating a database there.
    @Test func migrateStatusInAnEmptyFolderCreatesNothing() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mobilise-empty-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let status = try await CommandRunner.run(
            CommandRunner.mobilise, ["migrate", "--status", "--data-dir", folder.path], environment: ["DATABASE_URL": ""])
        #expect(status.status == 0, "\(status.standardError)")
        #expect(status.standardOutput.contains("There is no database yet in"))
        #expect(status.standardOutput.contains("pending: 0001_organisations.sql"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }

    /// After `serve` made its development secret, `token` signs with it (as `serve` verifies), and
    /// says where it looked when there is none.
    @Test func tokenFindsTheDevelopmentSecretServeKeeps() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mobilise-dev-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: folder) }
        let arguments = ["token", "--org", "demo", "--sub", "hr-1", "--role", "hr_admin", "--data-dir", folder.path]
        let noSecret = ["MOBILISE_JWT_SECRET": "", "DATABASE_URL": ""]
        let none = try await CommandRunner.run(CommandRunner.mobilise, arguments, environment: noSecret)
        #expect(none.status == 1)
        #expect(none.standardError.contains("no development secret in \(folder.path)/dev-jwt-secret"), "\(none.standardError)")

        // As `serve` leaves it on the embedded database without MOBILISE_JWT_SECRET.
        let secret = String(repeating: "5e", count: 32)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data(secret.utf8).write(to: folder.appendingPathComponent("dev-jwt-secret"))
        let minted = try await CommandRunner.run(CommandRunner.mobilise, arguments, environment: noSecret)
        #expect(minted.status == 0, "\(minted.standardError)")
        let parts = minted.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".")
        try #require(parts.count == 3)
        let verified = try await CommandRunner.run("/usr/bin/env", [
            "python3", "-c", """
            import base64, hashlib, hmac, sys
            head, body, sig = sys.argv[1].split(".")
            mac = hmac.new(sys.argv[2].encode(), (head + "." + body).encode(), hashlib.sha256).digest()
            print("verified" if base64.urlsafe_b64encode(mac).rstrip(b"=").decode() == sig else "wrong")
            """, parts.joined(separator: "."), secret,
        ])
        #expect(verified.standardOutput.contains("verified"), "\(verified.standardOutput) \(verified.standardError)")

        // With a database URL, `serve` needs MOBILISE_JWT_SECRET: so does `token`.
        let external = try await CommandRunner.run(
            CommandRunner.mobilise, arguments, environment: ["MOBILISE_JWT_SECRET": "", "DATABASE_URL": "postgresql://localhost/x"])
        #expect(external.status == 1 && external.standardError.contains("MOBILISE_JWT_SECRET is not set."))
    }

    /// A small import's output: the report alone on standard output; on standard error, no
    /// percentage for a file read at once and no log line of the library.
    @Test func aSmallImportPrintsItsReportAndNothingOddAroundIt() async throws {
        let url = try await TestDatabase.createDatabase(migrated: true)
        #expect(try await Self.mobilise(["org", "create", "acme", "--name", "Acme"], url: url).status == 0)
        let staff = try Self.file("external_id,country\nE1,FR\nE2,IN\nE3,BR\n")
        defer { try? FileManager.default.removeItem(at: staff) }
        let imported = try await Self.mobilise(["import", "employees", staff.path, "--org", "acme"], url: url, environment: ["MOBILISE_LOG_LEVEL": ""])
        #expect(imported.status == 0, "\(imported.standardError)")
        #expect(imported.standardOutput == "read 3 rows: 3 new, 0 changed, 0 unchanged, 0 deactivated, 0 rejected\n")
        #expect(imported.standardError == "file read; loading 3 rows into the database\n", "\(imported.standardError)")
    }
}
