import Foundation
@testable import MobiliseDomain
import MobiliseStore
import MobiliseTesting
import Postgres
import Testing

/// `published_counts` as ``MobiliseStore/storePublications(organisationID:campaignID:ledger:)`` writes
/// it: every value a read decided, the first store of an instant winning, and for a ledger that
/// records every decision only each group's latest row.
@Suite struct PublishedCountsTests {
    let instant = Date(timeIntervalSince1970: 1_800_000_000)
    let groups = (0..<40).map { "country:\($0)" }

    /// Every row of the campaign: group key → its (instant, step, value) rows, oldest first.
    func stored(_ store: MobiliseStore, _ organisationID: UUID, _ campaignID: UUID) async throws -> [Data: [StoredPublication]] {
        var rows: [Data: [StoredPublication]] = [:]
        for row in try await store.pool.query("""
            SELECT group_key, published_at, step, value FROM published_counts
            WHERE organisation_id = \(organisationID) AND campaign_id = \(campaignID) ORDER BY group_key, published_at
            """).rows {
            let (key, at, step, value) = try row.decode((Data, Date, Int, Int).self)
            rows[key, default: []].append(StoredPublication(instant: at, step: step, value: value))
        }
        return rows
    }

    @Test func aReadsDecisionsAreStoredAndTheFirstStoreOfAnInstantWins() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store)
            let campaign = try await fixture.campaign()
            let (org, id) = (fixture.organisation.id, campaign.id)
            let first = PublicationLedger(current: instant, stored: [:])
            for (n, group) in groups.enumerated() { _ = first.value(group: group, at: instant, shifted: 1_000 + 37 * n, step: 10, margin: 5) }
            #expect(first.decided.count == groups.count)
            try await store.storePublications(organisationID: org, campaignID: id, ledger: first)
            #expect(try await stored(store, org, id) == first.decided.mapValues { [$0] })

            // Another read of the same instant (another instance, the same moment) decided other
            // values: the first ones stay, and a new group is added.
            let second = PublicationLedger(current: instant, stored: [:])
            for group in groups + ["total"] { _ = second.value(group: group, at: instant, shifted: 5, step: 10, margin: 5) }
            try await store.storePublications(organisationID: org, campaignID: id, ledger: second)
            var expected = first.decided.mapValues { [$0] }
            expected[PublicationLedger.key("total")] = [StoredPublication(instant: instant, step: 10, value: 0)]
            #expect(try await stored(store, org, id) == expected)
        }
    }

    @Test func aLedgerThatRecordsEveryDecisionKeepsOnlyItsGroupsLatestRow() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store)
            let campaign = try await fixture.campaign()
            let (org, id) = (fixture.organisation.id, campaign.id)
            let earlier = PublicationLedger(current: instant, stored: [:])
            for group in groups { _ = earlier.value(group: group, at: instant, shifted: 100, step: 10, margin: 5) }
            try await store.storePublications(organisationID: org, campaignID: id, ledger: earlier)

            // A live read an instant later, of half the groups, deciding the same values: stored
            // (it records every decision), and those groups' earlier rows go; the others keep theirs.
            let later = instant.addingTimeInterval(600)
            let live = PublicationLedger(current: later, stored: [:], recordsEveryDecision: true)
            let (changed, kept) = (groups.prefix(20), groups.suffix(20))
            for group in changed { _ = live.value(group: group, at: later, shifted: 100, step: 10, margin: 5) }
            try await store.storePublications(organisationID: org, campaignID: id, ledger: live)
            let rows = try await stored(store, org, id)
            #expect(rows.count == groups.count)
            for group in changed { #expect(rows[PublicationLedger.key(group)] == [StoredPublication(instant: later, step: 10, value: 100)]) }
            for group in kept { #expect(rows[PublicationLedger.key(group)] == [StoredPublication(instant: instant, step: 10, value: 100)]) }
        }
    }
}
