import Foundation
import MobiliseDomain
import MobiliseStore
import MobiliseTesting
import Postgres
import Testing

/// The e-mail sender's claim (issue 24): one organisation at a time (so that it runs on Citus, where
/// `email_messages` is sharded by organisation), yet the same messages as one claim over all of them:
/// the oldest due first, whatever organisation they belong to, each claimed once.
@Suite struct EmailClaimTests {
    @Test func aClaimTakesTheOldestDueMessagesAcrossOrganisationsOnce() async throws {
        try await TestDatabase.withStore { store in
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = "yyyy-MM-dd"
            let tomorrow = formatter.string(from: Date().addingTimeInterval(86_400))
            var organisations: [UUID] = []
            for slug in ["acme", "globex"] {
                let fixture = try await Fixture.make(store, slug: slug)
                _ = try await fixture.hire(3, in: "FR")
                try await store.pool.execute("""
                    UPDATE employees SET email = external_id || '@example.com' WHERE organisation_id = \(fixture.organisation.id)
                    """)
                let campaign = try await fixture.campaign()
                let wave = try await store.scheduleReminderWave(
                    organisationID: fixture.organisation.id, campaign: campaign.slug, sendOn: tomorrow, localHour: 9, actor: fixture.admin)
                #expect(wave.counts.planned == 3)
                organisations.append(fixture.organisation.id)
            }
            // Due minutes ago, the two organisations' messages interleaved: acme's 10, 8 and 6
            // minutes ago, globex's 9, 7 and 5.
            for (offset, organisation) in organisations.enumerated() {
                try await store.pool.execute("""
                    UPDATE email_messages m SET next_attempt_at = now() - make_interval(mins => (10 - \(offset) - 2 * o.n)::int)
                    FROM (SELECT id, row_number() OVER (ORDER BY id)::int - 1 AS n FROM email_messages WHERE organisation_id = \(organisation)) o
                    WHERE m.organisation_id = \(organisation) AND m.id = o.id
                    """)
            }
            let first = try await store.claimDueEmails(limit: 4, lease: .seconds(60))
            // The four oldest: two of each organisation (one claim over all would take the same).
            #expect(first.count == 4)
            #expect(first.filter { $0.organisationID == organisations[0] }.count == 2)
            #expect(first.filter { $0.organisationID == organisations[1] }.count == 2)
            let rest = try await store.claimDueEmails(limit: 10, lease: .seconds(60))
            #expect(rest.count == 2)
            #expect(Set((first + rest).map(\.id)).count == 6)
            #expect(try await store.claimDueEmails(limit: 10, lease: .seconds(60)).isEmpty)
        }
    }
}
