import Foundation
import MobiliseDomain
@testable import MobiliseStore
import MobiliseTesting
import Postgres
import Testing

/// On Citus the hourly count compaction runs `deploy/citus/distribute.sql`'s own
/// `mobilise_compact_signature_daily` (sql/0036's, a SQL function, cannot be planned there: issue 24).
/// This runs that text on one PostgreSQL in place of sql/0036's and checks that it folds as the
/// migration's does: on the organisation's shard (`mobilise_shard` stubbed to name the table itself,
/// as a worker names its local shard) and through the coordinator (no shard beside it: a call Citus
/// did not send on).
@Suite struct CitusCompactionTests {
    /// The function's text between distribute.sql's BEGIN and END lines.
    static func citusFunction() throws -> String {
        let text = try String(contentsOf: SignBatchSourceTests.distributeSQL, encoding: .utf8)
        let begin = try #require(text.range(of: "-- BEGIN mobilise_compact_signature_daily\n"), "distribute.sql lost its BEGIN line")
        let end = try #require(text.range(of: "-- END mobilise_compact_signature_daily", range: begin.upperBound..<text.endIndex),
                               "distribute.sql lost its END line")
        return String(text[begin.upperBound..<end.lowerBound])
    }

    @Test(arguments: [true, false])
    func distributeSQLsCompactionFoldsPastSlotsAsTheMigrationsDoes(onTheShard: Bool) async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store)
            let org = fixture.organisation.id
            let people = try await fixture.hire(40, in: "IN") + (try await fixture.hire(20, in: "BR"))
            let campaign = try await fixture.campaign()
            let now = Date()
            for (index, person) in people.enumerated() {
                _ = try await fixture.sign(person, campaign, at: now - Double(index % 6) * 86_400 - Double(index) * 60)
            }
            // Each signing lands on one of 16 slots at random: every past day has several (day, slot) rows.
            try await store.pool.withConnection { connection in
                let shard = onTheShard ? "tbl::text" : "'no_such_shard'"
                try connection.execute(PostgresQuery(unsafeSQL: """
                    CREATE FUNCTION mobilise_shard(tbl regclass, org uuid) RETURNS text LANGUAGE sql STABLE AS $$ SELECT \(shard) $$
                    """))
                try connection.execute(PostgresQuery(unsafeSQL: try Self.citusFunction()))
            }
            let language = try await store.pool.query("""
                SELECT l.lanname FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang WHERE p.proname = 'mobilise_compact_signature_daily'
                """).scalar(String.self)
            #expect(language == "plpgsql", "distribute.sql's version replaced sql/0036's")

            func sums() async throws -> [String] {
                try await store.pool.query("""
                    SELECT country || ' ' || day || ' ' || sum(delta) FROM signature_daily
                    WHERE organisation_id = \(org) AND campaign_id = \(campaign.id) GROUP BY country, day ORDER BY country, day
                    """).rows.map { try $0.decode(String.self, at: 0) }
            }
            let pastSlots = {
                try await store.pool.query("""
                    SELECT count(*) FROM signature_daily_counts d JOIN organisations o ON o.id = d.organisation_id
                    WHERE d.organisation_id = \(org) AND d.campaign_id = \(campaign.id) AND d.slot <> 0
                      AND d.day < (now() AT TIME ZONE o.time_zone)::date
                    """).scalar(Int.self) ?? -1
            }
            let before = try await sums()
            let toFold = try await pastSlots()
            #expect(toFold > 5)

            #expect(try await store.compactDailyCounts(olderThanDays: 0) == toFold)
            #expect(try await pastSlots() == 0)
            #expect(try await sums() == before, "every (country, day) keeps its sum")
            #expect(try await store.verifyCounts(organisationID: org, campaign: campaign.slug).isEmpty)
            #expect(try await store.compactDailyCounts(olderThanDays: 0) == 0, "a second run finds nothing")
        }
    }
}
