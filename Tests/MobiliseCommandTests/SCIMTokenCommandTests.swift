import Foundation
import MobiliseTesting
import Postgres
import Testing

/// `mobilise scim-token`: made, listed and revoked from the command line.
@Suite struct SCIMTokenCommandTests {
    @Test func anOperatorMakesATokenShownOnceListsAndRevokesIt() async throws {
        let url = try await TestDatabase.createDatabase(migrated: true)
        #expect(try await CampaignCommandTests.mobilise(["org", "create", "acme", "--name", "Acme"], url: url).status == 0)
        let created = try await CampaignCommandTests.mobilise(["scim-token", "create", "--org", "acme", "--description", "Entra ID"], url: url)
        #expect(created.status == 0, "\(created.standardError)")
        let token = created.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(token.count == 64 && created.standardError.contains("shown once"))

        // Stored hashed: the SHA-256 of the token's random part (after the organisation's 16 bytes).
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        let secret = try #require(Data(base64Encoded: base64)).suffix(32)
        let pool = PostgresPool(configuration: .init(connection: try PostgresConfiguration(url), maxConnections: 1), logger: .init(label: "test"))
        let matching = try await pool.query("SELECT count(*) FROM scim_tokens WHERE secret_hash = sha256(\(Data(secret)))").scalar(Int.self)
        let id = try await pool.query("SELECT id FROM scim_tokens").scalar(UUID.self)
        await pool.close()
        #expect(matching == 1)

        let listed = try await CampaignCommandTests.mobilise(["scim-token", "list", "--org", "acme"], url: url)
        #expect(listed.status == 0 && listed.standardOutput.contains("last used never") && listed.standardOutput.contains("Entra ID"))
        #expect(!listed.standardOutput.contains(token))
        let tokenID = try #require(id).uuidString.lowercased()
        let revoked = try await CampaignCommandTests.mobilise(["scim-token", "revoke", "--org", "acme", tokenID], url: url)
        #expect(revoked.status == 0 && revoked.standardOutput.contains("revoked \(tokenID)"), "\(revoked.standardError)")
        #expect(try await CampaignCommandTests.mobilise(["scim-token", "list", "--org", "acme"], url: url).standardOutput.isEmpty)
        let again = try await CampaignCommandTests.mobilise(["scim-token", "revoke", "--org", "acme", tokenID], url: url)
        #expect(again.status != 0 && again.standardError.contains("no SCIM token"))
    }
}
