import Foundation
import MobiliseTesting
import Testing

/// `mobilise import employees --dry-run` and the full-sync guard, run as a process.
@Suite struct ImportGuardCommandTests {
    @Test func aDryRunChangesNothingAndAFullSyncPastTheGuardWaitsForItsNumber() async throws {
        let url = try await TestDatabase.createDatabase(migrated: true)
        #expect(try await NewUserCommandTests.mobilise(["org", "create", "acme", "--name", "Acme"], url: url).status == 0)
        let ten = try NewUserCommandTests.file("external_id,country,active\n" + (1...10).map { "E\($0),FR,true\n" }.joined())
        let seven = try NewUserCommandTests.file("external_id,country\n" + (1...7).map { "E\($0),FR\n" }.joined())
        defer {
            try? FileManager.default.removeItem(at: ten)
            try? FileManager.default.removeItem(at: seven)
        }
        #expect(try await NewUserCommandTests.mobilise(["import", "employees", ten.path, "--org", "acme"], url: url).status == 0)

        let dry = try await NewUserCommandTests.mobilise(
            ["import", "employees", seven.path, "--org", "acme", "--mode", "full_sync", "--dry-run"], url: url)
        #expect(dry.status == 0, "\(dry.standardError)")
        #expect(dry.standardOutput.contains("dry run: nothing was changed"), "\(dry.standardOutput)")
        #expect(dry.standardOutput.contains("3 deactivated"), "\(dry.standardOutput)")
        #expect(dry.standardOutput.contains("--confirm-deactivations 3"), "\(dry.standardOutput)")

        // Not confirmed, or confirmed for fewer: refused, nothing changed (the dry run says the same again).
        for extra in [[], ["--confirm-deactivations", "2"]] {
            let refused = try await NewUserCommandTests.mobilise(
                ["import", "employees", seven.path, "--org", "acme", "--mode", "full_sync"] + extra, url: url)
            #expect(refused.status == 1, "\(extra): \(refused.standardOutput)")
            #expect(refused.standardError.contains("would deactivate 3 of the 10 active employees"), "\(refused.standardError)")
        }
        let again = try await NewUserCommandTests.mobilise(
            ["import", "employees", seven.path, "--org", "acme", "--mode", "full_sync", "--dry-run"], url: url)
        #expect(again.standardOutput.contains("3 deactivated"), "\(again.standardOutput)")

        let confirmed = try await NewUserCommandTests.mobilise(
            ["import", "employees", seven.path, "--org", "acme", "--mode", "full_sync", "--confirm-deactivations", "3"], url: url)
        #expect(confirmed.status == 0, "\(confirmed.standardError)")
        #expect(confirmed.standardOutput.contains("3 deactivated") && !confirmed.standardOutput.contains("dry run"), "\(confirmed.standardOutput)")

        // The three come back (the file says active); a guard of 50% then lets the same share
        // through unconfirmed; a malformed share is a usage error.
        #expect(try await NewUserCommandTests.mobilise(["import", "employees", ten.path, "--org", "acme"], url: url).status == 0)
        let loose = try await NewUserCommandTests.mobilise(
            ["import", "employees", seven.path, "--org", "acme", "--mode", "full_sync", "--full-sync-guard", "50%"], url: url)
        #expect(loose.status == 0 && loose.standardOutput.contains("3 deactivated"), "\(loose.standardOutput) \(loose.standardError)")
        let malformed = try await NewUserCommandTests.mobilise(
            ["import", "employees", seven.path, "--org", "acme", "--full-sync-guard", "lots"], url: url)
        #expect(malformed.status == 64 && malformed.standardError.contains("--full-sync-guard"), "\(malformed.standardError)")
    }
}
