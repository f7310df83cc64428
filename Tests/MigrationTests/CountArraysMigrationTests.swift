import Foundation
import Logging
import MobiliseDomain
import MobiliseSchema
import MobiliseStore
import MobiliseTesting
import Postgres
import PostgresMigrations
import Testing

/// `0035_signature_totals_by_campaign.sql` and `0036_signature_daily_by_campaign.sql`: an installation
/// migrated before them (0037 included, as the ones running today are) keeps every count, and its
/// views show the rows the tables held.
@Suite struct CountArraysMigrationTests {
    let logger = Logger(label: "test")

    @Test func countsWrittenBeforeTheArraysReadTheSameAfter() async throws {
        try await TestDatabase.withDatabase(migrated: false) { pool in
            let all = try MobiliseSchema.migrations()
            try await Migrator(migrations: all.filter { $0.version != 35 && $0.version != 36 }, logger: logger).migrate(pool)
            let store = MobiliseStore(pool: pool, logger: logger)
            let org = try await store.createOrganisation(slug: "acme", name: "Acme", privacyK: 1).id
            let now = Date()
            let campaign = try await store.createCampaign(
                organisationID: org,
                CampaignDraft(slug: "heforshe", hashtag: "#HeForShe", title: ["en": "HeForShe"], pledgeText: ["en": "I commit"],
                              startsAt: now - 10 * 86_400, endsAt: now + 86_400, audience: .everyone),
                actor: Actor("hr"))
            // Counts as the code before 0035 wrote them: a row per country and slot (and day), first and
            // last codes of the alphabet among them, a zero, a negative day (withdrawals), a folded day.
            try await pool.execute("""
                INSERT INTO signature_totals (organisation_id, campaign_id, country, slot, current)
                VALUES (\(org), \(campaign.id), 'AD', 0, 3), (\(org), \(campaign.id), 'IN', 0, 40), (\(org), \(campaign.id), 'IN', 15, 2),
                       (\(org), \(campaign.id), 'ZW', 7, 0), (\(org), \(campaign.id), 'FR', 7, 11)
                """)
            try await pool.execute("""
                INSERT INTO signature_daily (organisation_id, campaign_id, country, day, slot, delta)
                VALUES (\(org), \(campaign.id), 'AD', current_date - 3, 0, 3), (\(org), \(campaign.id), 'IN', current_date - 3, 0, 45),
                       (\(org), \(campaign.id), 'IN', current_date - 1, 4, -3), (\(org), \(campaign.id), 'FR', current_date, 4, 11),
                       (\(org), \(campaign.id), 'ZW', current_date, 9, 0)
                """)
            let totals = "SELECT country || ' ' || slot || ' ' || current FROM signature_totals ORDER BY country, slot"
            let daily = "SELECT country || ' ' || (current_date - day) || ' ' || slot || ' ' || delta FROM signature_daily ORDER BY country, day, slot"
            let totalsBefore = try await pool.query(PostgresQuery(unsafeSQL: totals)).column(String.self)
            let dailyBefore = try await pool.query(PostgresQuery(unsafeSQL: daily)).column(String.self)
            #expect(totalsBefore.count == 5 && dailyBefore.count == 5)

            let report = try await MobiliseSchema.migrator(logger: logger).migrate(pool)
            #expect(report.applied.map(\.version) == [35, 36])
            #expect(try await pool.query(PostgresQuery(unsafeSQL: totals)).column(String.self) == totalsBefore)
            #expect(try await pool.query(PostgresQuery(unsafeSQL: daily)).column(String.self) == dailyBefore)
            // One row per campaign and slot (and day) now.
            #expect(try await pool.query("SELECT count(*) FROM signature_total_counts").scalar(Int.self) == 3)
            #expect(try await pool.query("SELECT count(*) FROM signature_daily_counts").scalar(Int.self) == 4)
            // A country's place is its code: every code of `countries` has its own, and comes back.
            #expect(try await pool.query("""
                SELECT count(*) FROM countries
                WHERE mobilise_country_position(alpha2) NOT BETWEEN 1 AND 676 OR mobilise_country_at(mobilise_country_position(alpha2)) <> alpha2
                """).scalar(Int.self) == 0)
            #expect(try await pool.query("SELECT count(DISTINCT mobilise_country_position(alpha2)) = count(*) FROM countries").scalar(Bool.self) == true)
        }
    }

    @Test func addingAndMergingCountsKeepsEveryOtherCountry() async throws {
        try await TestDatabase.withDatabase { (pool: PostgresPool) async throws -> Void in
            let text = { (sql: String) async throws -> String? in
                try await pool.query(PostgresQuery(unsafeSQL: "SELECT (\(sql))::text")).scalar(String.self)
            }
            // From nothing: positions 3 and 5 (the others NULL, the array from 1).
            #expect(try await text("mobilise_counts_add(NULL, ARRAY[ARRAY[5, 3], ARRAY[2, 7]])") == "{NULL,NULL,7,NULL,2}")
            // Adding to a position below, within and above the array's range.
            #expect(try await text("mobilise_counts_add('{NULL,NULL,7,NULL,2}', ARRAY[ARRAY[1, 3, 8], ARRAY[1, -7, 4]])")
                    == "{1,NULL,0,NULL,2,NULL,NULL,4}")
            #expect(try await text("mobilise_counts_add('{1,2}', '{}')") == "{1,2}")
            #expect(try await text("mobilise_counts_merge('{1,NULL,3}', '{NULL,5,-3,4}')") == "{1,5,0,4}")
            #expect(try await text("mobilise_counts_merge(NULL, '{NULL,5}')") == "{NULL,5}")
            #expect(try await text("mobilise_counts_merge('{2}', NULL)") == "{2}")
            #expect(try await text("(SELECT mobilise_counts_sum(a) FROM (VALUES ('{1,NULL}'::integer[]), ('{NULL,NULL,3}'), ('{2}')) v (a))")
                    == "{3,NULL,3}")
        }
    }
}
