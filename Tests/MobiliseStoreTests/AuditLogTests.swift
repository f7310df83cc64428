import Foundation
import Logging
import MobiliseDomain
import MobiliseSchema
import MobiliseStore
import MobiliseTesting
import Postgres
import PostgresMigrations
import Testing

/// The audit log is numbered per organisation: one tenant's HR never sees the ids move because
/// another tenant acted.
@Suite struct AuditLogTests {
    @Test func eachOrganisationNumbersItsOwnEntriesWhateverOthersDo() async throws {
        try await TestDatabase.withStore { store in
            let acme = try await store.createOrganisation(slug: "acme", name: "Acme")
            let globex = try await store.createOrganisation(slug: "globex", name: "Globex")
            let actor = Actor("hr")
            func campaign(_ organisation: Organisation, _ slug: String) async throws {
                let now = Date()
                _ = try await store.createCampaign(organisationID: organisation.id, CampaignDraft(
                    slug: slug, hashtag: "#HeForShe", title: ["en": slug], pledgeText: ["en": "I commit"],
                    startsAt: now, endsAt: now.addingTimeInterval(86_400)), actor: actor)
            }
            try await campaign(acme, "a1")
            for index in 0..<5 { try await campaign(globex, "g\(index)") }
            try await campaign(acme, "a2")

            #expect(try await store.auditLog(organisationID: acme.id).map(\.id) == [2, 1], "Globex's five entries showed in Acme's ids")
            #expect(try await store.auditLog(organisationID: globex.id).map(\.id) == [5, 4, 3, 2, 1])
            // The cursor pages within the organisation.
            #expect(try await store.auditLog(organisationID: globex.id, before: 3, limit: 10).map(\.id) == [2, 1])
        }
    }

    @Test func concurrentActionsOfOneOrganisationGetDistinctConsecutiveIds() async throws {
        try await TestDatabase.withStore { store in
            let acme = try await store.createOrganisation(slug: "acme", name: "Acme")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<16 {
                    group.addTask {
                        let now = Date()
                        _ = try await store.createCampaign(organisationID: acme.id, CampaignDraft(
                            slug: "c\(index)", hashtag: "#HeForShe", title: ["en": "C"], pledgeText: ["en": "I commit"],
                            startsAt: now, endsAt: now.addingTimeInterval(86_400)), actor: Actor("hr"))
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await store.auditLog(organisationID: acme.id).map(\.id) == Array((1...16).reversed()))
        }
    }

    /// Migration 0009 renumbers the entries written with the old shared sequence, keeping their order.
    @Test func theMigrationRenumbersExistingEntriesPerOrganisationInTheirOrder() async throws {
        try await TestDatabase.withDatabase(migrated: false) { pool in
            let logger = Logger(label: "test")
            let all = try MobiliseSchema.migrations()
            let before = all.filter { $0.version < 9 }
            #expect(before.count == 8)
            try await Migrator(migrations: before, logger: logger).migrate(pool)
            try await pool.execute("""
                INSERT INTO organisations (id, slug, name) VALUES
                    ('00000000-0000-0000-0000-00000000000a', 'acme', 'Acme'), ('00000000-0000-0000-0000-00000000000b', 'globex', 'Globex')
                """)
            for (org, action) in [("a", "a-first"), ("b", "b-first"), ("b", "b-second"), ("a", "a-second"), ("b", "b-third"), ("a", "a-third")] {
                try await pool.execute("""
                    INSERT INTO audit_log (organisation_id, actor, action) VALUES (\(UUID(uuidString: "00000000-0000-0000-0000-00000000000" + org)), 'hr', \(action))
                    """)
            }
            try await Migrator(migrations: all, logger: logger).migrate(pool)
            let rows = try await pool.query("""
                SELECT o.slug, a.id, a.action FROM audit_log a JOIN organisations o ON o.id = a.organisation_id ORDER BY o.slug, a.id
                """).rows.map { try $0.decode((String, Int64, String).self) }
            #expect(rows.map { "\($0.0) \($0.1) \($0.2)" } == [
                "acme 1 a-first", "acme 2 a-second", "acme 3 a-third", "globex 1 b-first", "globex 2 b-second", "globex 3 b-third",
            ])
            // The next entry continues each organisation's numbering.
            let store = MobiliseStore(pool: pool, logger: logger)
            let acmeID = try #require(UUID(uuidString: "00000000-0000-0000-0000-00000000000a"))
            let now = Date()
            _ = try await store.createCampaign(organisationID: acmeID, CampaignDraft(
                slug: "next", hashtag: "#HeForShe", title: ["en": "Next"], pledgeText: ["en": "I commit"],
                startsAt: now, endsAt: now.addingTimeInterval(86_400)), actor: Actor("hr"))
            #expect(try await store.auditLog(organisationID: acmeID).first?.id == 4)
        }
    }
}
