import Foundation
import MobiliseDomain
@testable import MobiliseStore
import MobiliseTesting
import Postgres
import Testing

/// The signing batch's statement has one source (``SignBatchStatement``): the service sends it, and
/// `deploy/citus/distribute.sql`'s `mobilise_sign_batch` is generated from it (issue 24). These fail
/// when the two drift apart.
@Suite struct SignBatchSourceTests {
    static let distributeSQL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("deploy/citus/distribute.sql")

    /// distribute.sql holds exactly ``SignBatchStatement/citusFunction`` between its markers. After a
    /// change of the statement, `MOBILISE_WRITE_GENERATED=1 swift test --filter SignBatchSourceTests`
    /// writes it there (then review the diff and run `deploy/citus/check`).
    @Test func distributeSQLsFunctionIsGeneratedFromTheServicesStatement() throws {
        let text = try String(contentsOf: Self.distributeSQL, encoding: .utf8)
        let begin = try #require(text.range(of: SignBatchStatement.citusFunctionBegin), "distribute.sql lost its BEGIN marker")
        let endMarker = try #require(text.range(of: SignBatchStatement.citusFunctionEnd, range: begin.upperBound..<text.endIndex),
                                     "distribute.sql lost its END marker")
        let generated = SignBatchStatement.citusFunction
        let current = String(text[begin.lowerBound..<endMarker.upperBound])
        if current != generated, ProcessInfo.processInfo.environment["MOBILISE_WRITE_GENERATED"] == "1" {
            try (text[..<begin.lowerBound] + generated + text[endMarker.upperBound...])
                .write(to: Self.distributeSQL, atomically: true, encoding: .utf8)
            return
        }
        #expect(current == generated, """
            deploy/citus/distribute.sql's mobilise_sign_batch differs from SignBatchStatement: regenerate it with \
            MOBILISE_WRITE_GENERATED=1 swift test --filter SignBatchSourceTests
            """)
        // format() reads % and the body is quoted with $q$: the statement must hold neither.
        let plain = SignBatchStatement(
            organisation: "$1", campaignIDs: "$2", rowCampaigns: "$3", externalIDs: "$4", channels: "$5", eventIDs: "$6", ats: "$7",
            writable: "$8", slot: "$9").query.sql
        #expect(!plain.contains("%") && !plain.contains("$q$") && !plain.contains("$fn$"))
    }

    /// The generated function runs and signs as the service's statement does, on one PostgreSQL: with
    /// no shard beside it (`mobilise_shard` stubbed, as on a coordinator that did not delegate the
    /// call) it runs the statement on the tables themselves.
    @Test func theGeneratedFunctionSignsOnTheTablesThemselves() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store)
            let people = try await fixture.hire(3, in: "FR")
            let campaign = try await fixture.campaign()
            try await store.pool.withConnection { connection in
                try connection.execute("""
                    CREATE FUNCTION mobilise_shard(tbl regclass, org uuid) RETURNS text LANGUAGE sql STABLE AS $$ SELECT 'no_such_shard' $$
                    """)
                try connection.execute(PostgresQuery(unsafeSQL: SignBatchStatement.citusFunction))
                let rows = try connection.query("""
                    SELECT ord, found, created, employee_id IS NOT NULL AS employee, country FROM mobilise_sign_batch(
                        \(fixture.organisation.id), \([campaign.id]), \([campaign.id, campaign.id, campaign.id]),
                        \([people[0], people[1], "nobody"]), \(["web", "web", "web"]), \([UUID?](repeating: nil, count: 3)),
                        \([Date?](repeating: nil, count: 3)), \([true, true, true]), 0)
                    ORDER BY created, ord
                    """).rows.map { try $0.decode((Int, Bool, Bool, Bool, String?).self) }
                // One row per request (the third's employee not found), then one per signature written.
                #expect(rows.map(\.0) == [1, 2, 3, 0, 0])
                #expect(rows.map(\.1) == [true, true, false, true, true])
                #expect(rows.map(\.2) == [false, false, false, true, true])
                #expect(rows.suffix(2).allSatisfy { $0.3 && $0.4 == "FR" })
            }
            let counts: (Int, Int, Int, Int) = try await store.pool.withConnection { connection in
                try connection.query("""
                    SELECT (SELECT count(*) FROM signatures WHERE organisation_id = \(fixture.organisation.id)),
                           (SELECT count(*) FROM signature_events WHERE organisation_id = \(fixture.organisation.id)),
                           (SELECT sum(current)::int8 FROM signature_totals WHERE organisation_id = \(fixture.organisation.id)),
                           (SELECT sum(delta)::int8 FROM signature_daily WHERE organisation_id = \(fixture.organisation.id))
                    """).rows[0].decode((Int, Int, Int, Int).self)
            }
            // The signatures, their journal, the totals and the daily counts: two each.
            #expect([counts.0, counts.1, counts.2, counts.3] as [Int] == [2, 2, 2, 2])
        }
    }
}
