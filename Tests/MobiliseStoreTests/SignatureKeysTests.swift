import Foundation
import MobiliseDomain
import MobiliseStore
import MobiliseTesting
import Postgres
import Testing

/// The signing write's foreign keys, checked once per statement (sql/0037) instead of per row: the
/// same guarantees as the declarative keys of sql/0006. Each test fails without the triggers.
@Suite struct SignatureKeysTests {
    private static func refused(_ pool: PostgresPool, _ query: PostgresQuery) async -> Bool {
        do {
            _ = try await pool.execute(query)
            return false
        } catch let error as PostgresError {
            return error.isForeignKeyViolation
        } catch {
            return false
        }
    }

    private static func employeeID(_ pool: PostgresPool, _ organisation: UUID, _ externalID: String) async throws -> UUID {
        try #require(try await pool.query(
            "SELECT id FROM employees WHERE organisation_id = \(organisation) AND external_id = \(externalID)").scalar(UUID.self))
    }

    @Test func aSignatureOrJournalRowWithAMissingParentIsRefused() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store, privacyK: 1)
            let pool = store.pool
            let org = fixture.organisation.id
            _ = try await fixture.hire(1, in: "FR")
            let employee = try await Self.employeeID(pool, org, "fr-0")
            let campaign = try await fixture.campaign().id
            let nowhere = UUID()
            func insert(campaign: UUID, employee: UUID, country: String) -> PostgresQuery {
                """
                INSERT INTO signatures (organisation_id, campaign_id, employee_id, country, channel, signed_at)
                VALUES (\(org), \(campaign), \(employee), \(country), 'web', now())
                """
            }
            #expect(await Self.refused(pool, insert(campaign: nowhere, employee: employee, country: "FR")), "a missing campaign")
            #expect(await Self.refused(pool, insert(campaign: campaign, employee: nowhere, country: "FR")), "a missing employee")
            #expect(await Self.refused(pool, insert(campaign: campaign, employee: employee, country: "ZZ")), "a missing country")
            #expect(await Self.refused(pool, """
                INSERT INTO signature_events (organisation_id, campaign_id, signature_id, at, delta, country)
                VALUES (\(org), \(nowhere), \(UUID()), now(), 1, 'FR')
                """), "a journal row for a missing campaign")
            // Another organisation's campaign is not this organisation's.
            let other = try await store.createOrganisation(slug: "other", name: "Other", privacyK: 1)
            #expect(await Self.refused(pool, """
                INSERT INTO signatures (organisation_id, campaign_id, employee_id, country, channel, signed_at)
                VALUES (\(other.id), \(campaign), \(employee), 'FR', 'web', now())
                """), "a campaign and an employee of another organisation")
            // An update that moves a signature to a missing parent is refused too.
            _ = try await fixture.sign("fr-0", try await fixture.campaign(slug: "heforshe-2"))
            #expect(await Self.refused(pool, "UPDATE signatures SET country = 'ZZ' WHERE organisation_id = \(org)"))
            #expect(await Self.refused(pool, "UPDATE signatures SET campaign_id = \(nowhere) WHERE organisation_id = \(org)"))
            // And the good row goes in.
            #expect(try await pool.execute(insert(campaign: campaign, employee: employee, country: "FR")) == 1)
        }
    }

    @Test func deletingACampaignOrAnEmployeeCascadesToItsSignatures() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store, privacyK: 1)
            let pool = store.pool
            let org = fixture.organisation.id
            let people = try await fixture.hire(3, in: "FR")
            let campaign = try await fixture.campaign()
            let kept = try await fixture.campaign(slug: "kept")
            for person in people {
                _ = try await fixture.sign(person, campaign)
                _ = try await fixture.sign(person, kept)
            }
            func signatures(_ campaign: Campaign) async throws -> Int {
                try await pool.query("SELECT count(*) FROM signatures WHERE organisation_id = \(org) AND campaign_id = \(campaign.id)")
                    .scalar(Int.self) ?? -1
            }
            func journal(_ campaign: Campaign) async throws -> Int {
                try await pool.query("SELECT count(*) FROM signature_events WHERE organisation_id = \(org) AND campaign_id = \(campaign.id)")
                    .scalar(Int.self) ?? -1
            }
            #expect(try await signatures(campaign) == 3)
            let first = try await Self.employeeID(pool, org, people[0])
            _ = try await pool.execute("DELETE FROM employees WHERE organisation_id = \(org) AND id = \(first)")
            #expect(try await signatures(campaign) == 2, "the employee's signatures went with the employee")
            #expect(try await signatures(kept) == 2)
            _ = try await pool.execute("DELETE FROM campaigns WHERE organisation_id = \(org) AND id = \(campaign.id)")
            #expect(try await signatures(campaign) == 0, "the campaign's signatures went with it")
            #expect(try await journal(campaign) == 0, "and its journal")
            #expect(try await signatures(kept) == 2, "another campaign's stay")
            #expect(try await journal(kept) == 3)
        }
    }

    @Test func aParentUsedBySignaturesKeepsItsKey() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store, privacyK: 1)
            let pool = store.pool
            let org = fixture.organisation.id
            _ = try await fixture.hire(1, in: "LU")
            let campaign = try await fixture.campaign()
            _ = try await fixture.sign("lu-0", campaign)
            // The employee moves: only the signature still uses Luxembourg.
            _ = try await pool.execute("UPDATE employees SET country = 'BE' WHERE organisation_id = \(org)")
            #expect(await Self.refused(pool, "DELETE FROM countries WHERE alpha2 = 'LU'"), "a country signatures use stays")
            #expect(await Self.refused(pool, "UPDATE campaigns SET id = \(UUID()) WHERE organisation_id = \(org) AND id = \(campaign.id)"))
            #expect(await Self.refused(pool, "UPDATE employees SET id = \(UUID()) WHERE organisation_id = \(org)"))
        }
    }

    @Test func aCampaignDeletedWhileABatchSignsWaitsThenCascades() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store, privacyK: 1)
            let pool = store.pool
            let org = fixture.organisation.id
            _ = try await fixture.hire(2, in: "FR")
            let employee = try await Self.employeeID(pool, org, "fr-0")
            let campaign = try await fixture.campaign()
            // A signing transaction still open (its check has locked the campaign FOR KEY SHARE)
            // while the campaign is deleted: the delete waits, then takes the new signature with it.
            let (deletion, waited) = try await pool.withConnection { connection -> (Task<Int, any Error>, Bool) in
                try connection.execute("BEGIN")
                try connection.execute("""
                    INSERT INTO signatures (organisation_id, campaign_id, employee_id, country, channel, signed_at)
                    VALUES (\(org), \(campaign.id), \(employee), 'FR', 'web', now())
                    """)
                let deletion = Task { try await pool.execute("DELETE FROM campaigns WHERE organisation_id = \(org) AND id = \(campaign.id)") }
                let waited = try connection.waitUntilAnotherBackendWaitsForUs()
                try connection.execute("COMMIT")
                return (deletion, waited)
            }
            #expect(waited, "the delete should have waited for the signing transaction")
            #expect(try await deletion.value == 1)
            #expect(try await pool.query("SELECT count(*) FROM signatures WHERE organisation_id = \(org)").scalar(Int.self) == 0)

            // The other way round: a campaign being deleted (not yet committed) while someone signs
            // it: the signing waits, then fails, and leaves no signature.
            let second = try await fixture.campaign(slug: "second")
            let (signing, waitedToo) = try await pool.withConnection { connection -> (Task<SigningResult, any Error>, Bool) in
                try connection.execute("BEGIN")
                try connection.execute("DELETE FROM campaigns WHERE organisation_id = \(org) AND id = \(second.id)")
                let signing = Task { try await fixture.sign("fr-1", second) }
                let waited = try connection.waitUntilAnotherBackendWaitsForUs()
                try connection.execute("COMMIT")
                return (signing, waited)
            }
            #expect(waitedToo, "the signing should have waited for the delete")
            await #expect(throws: (any Error).self) { _ = try await signing.value }
            #expect(try await pool.query("SELECT count(*) FROM signatures WHERE organisation_id = \(org)").scalar(Int.self) == 0)
        }
    }
}
