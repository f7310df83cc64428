import Foundation
import Logging
import MobiliseDomain
import MobiliseSchema
import MobiliseStore
import MobiliseTesting
import Postgres
import PostgresMigrations
import Testing

/// `0011_erased_employees.sql`: employees erased before erasure deactivated them leave the workforce.
@Suite struct ErasureMigrationTests {
    let logger = Logger(label: "test")

    @Test func employeesErasedBeforeMigration11LeaveTheHeadcount() async throws {
        try await TestDatabase.withDatabase(migrated: false) { pool in
            let all = try MobiliseSchema.migrations()
            try await Migrator(migrations: all.filter { $0.version < 11 }, logger: logger).migrate(pool)
            let store = MobiliseStore(pool: pool, logger: logger)
            let org = try await store.createOrganisation(slug: "acme", name: "Acme", privacyK: 1).id
            try await pool.execute("""
                INSERT INTO employees (organisation_id, external_id, country, gender, site, org_unit)
                SELECT \(org), id, 'IN', 'female', 'Pune', 'Energy' FROM unnest(ARRAY['IN-1', 'IN-2', 'IN-3']) AS id
                """)
            // An employee whose HR id merely looks like a pseudonym, never erased.
            let lookalike = "erased-00000000-0000-0000-0000-000000000000"
            try await pool.execute("INSERT INTO employees (organisation_id, external_id, country, gender) VALUES (\(org), \(lookalike), 'IN', 'male')")
            let now = Date()
            let campaign = try await store.createCampaign(
                organisationID: org,
                CampaignDraft(slug: "heforshe", hashtag: "#HeForShe", title: ["en": "HeForShe"], pledgeText: ["en": "I commit"],
                              startsAt: now - 86_400, endsAt: now + 86_400, audience: .everyone),
                actor: Actor("hr"))
            // An erasure as the code before 0011 left it, written by hand (today's store writes columns
            // of later migrations): the pseudonym and the audit entry, the row still active and keeping
            // its gender, site and org unit.
            let pseudonym = "erased-" + UUID().uuidString.lowercased()
            try await pool.execute("""
                UPDATE employees SET external_id = \(pseudonym), email = NULL, display_name = NULL
                WHERE organisation_id = \(org) AND external_id = 'IN-1'
                """)
            try await pool.execute("""
                WITH next AS (
                    INSERT INTO audit_counters AS c (organisation_id, last_id) VALUES (\(org), 1)
                    ON CONFLICT (organisation_id) DO UPDATE SET last_id = c.last_id + 1 RETURNING last_id
                )
                INSERT INTO audit_log (organisation_id, id, actor, action, subject) SELECT \(org), last_id, 'hr', 'employee.erase', \(pseudonym) FROM next
                """)
            func eligible() async throws -> Int? {
                try await pool.query("""
                    SELECT eligible FROM campaign_headcount WHERE organisation_id = \(org) AND campaign_id = \(campaign.id) AND country = 'IN'
                    """).scalar(Int.self)
            }
            #expect(try await eligible() == 4)

            let report = try await MobiliseSchema.migrator(logger: logger).migrate(pool)
            #expect(report.applied.map(\.name).contains("0011_erased_employees.sql"))
            let erased = try #require(try await store.employee(organisationID: org, externalID: pseudonym))
            #expect(!erased.active && erased.gender == .undisclosed && erased.site == nil && erased.orgUnit == nil)
            #expect(try await store.employee(organisationID: org, externalID: lookalike)?.active == true)
            #expect(try await store.employee(organisationID: org, externalID: "IN-2")?.site == "Pune")
            #expect(try await eligible() == 3)
            #expect(try await store.verifyCounts(organisationID: org, campaign: campaign.slug).isEmpty)
        }
    }
}
