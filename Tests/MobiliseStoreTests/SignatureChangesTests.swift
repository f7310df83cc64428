import Foundation
import MobiliseDomain
import MobiliseStore
import MobiliseTesting
import Postgres
import Testing

/// What a live reader hears from the store: each committed signing names its campaign, and a lost
/// listening connection says that changes may have been missed, so every reader re-reads.
@Suite struct SignatureChangesTests {
    @Test func signingNamesItsCampaignAndALostListenerAsksEveryoneToReRead() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store)
            let people = try await fixture.hire(2, in: "FR")
            let campaign = try await fixture.campaign()
            var changes = try await store.signatureChanges().makeAsyncIterator()

            _ = try await fixture.sign(people[0], campaign)
            let signed = await changes.next()
            #expect(signed == .campaign(campaign.id))
            #expect(signed?.concerns(campaign.id) == true && signed?.concerns(UUID()) == false)

            // The listening connection is ended by the server (a restart, a failover, an admin).
            let ended = try await store.pool.query("""
                SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
                WHERE pid <> pg_backend_pid() AND datname = current_database() AND query ILIKE 'LISTEN%'
                """).scalar(Int.self)
            #expect(ended == 1)
            let afterLoss = await changes.next()
            #expect(afterLoss == .possiblyMissed)
            #expect(afterLoss?.concerns(campaign.id) == true && afterLoss?.concerns(UUID()) == true)

            // And changes flow again.
            _ = try await fixture.sign(people[1], campaign)
            #expect(await changes.next() == .campaign(campaign.id))
        }
    }
}
