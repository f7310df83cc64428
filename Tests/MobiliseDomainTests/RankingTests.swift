import Foundation
import MobiliseDomain
import Testing

/// Rankings computed by hand (Wilson bounds from an independent computation of the formula).
@Suite struct RankingTests {
    let end = Date(timeIntervalSince1970: 1_446_336_000)  // 2015-11-01
    let asOf = Date(timeIntervalSince1970: 1_445_731_200)  // 2015-10-25: 7 days before the end

    @Test func wilsonLowerBoundMatchesTheFormula() throws {
        let cases: [(Int, Int, Double)] = [
            (6, 10, 0.31267376792119533), (3, 3, 0.4385029643606803), (3000, 5000, 0.5863491971175294),
            (50, 100, 0.40383152963549296), (0, 20, 0.0), (12, 12, 0.757505990446902),
        ]
        for (successes, trials, expected) in cases {
            let bound = try #require(Ranking.wilsonLowerBound(successes: successes, trials: trials))
            #expect(abs(bound - expected) < 1e-9, "\(successes)/\(trials)")
        }
        #expect(Ranking.wilsonLowerBound(successes: 3, trials: 0) == nil)
    }

    @Test func aSmallOfficeAtFullRateDoesNotOutrankALargeCountry() {
        let groups = [
            GroupFigures(key: "LU", name: "Luxembourg", signatures: 3, eligible: 3),
            GroupFigures(key: "IN", name: "India", signatures: 3000, eligible: 5000),
        ]
        let ranking = Ranking.rank(groups, metric: .participation, viewer: .hrAdmin, privacyK: 1, campaignEndsAt: end, asOf: asOf)
        #expect(ranking.rows.map(\.key) == ["IN", "LU"])
        #expect(ranking.rows[1].participation == 1.0)
    }

    /// Momentum has participation's protection from tiny groups: a 10-person office where 3 signed
    /// this week does not lead a country where 1,000 of 5,000 did; a loss is drawn towards zero too.
    @Test func aSmallOfficeWithAGoodWeekDoesNotLeadMomentum() throws {
        let groups = [
            GroupFigures(key: "LU", name: "Luxembourg", signatures: 3, eligible: 10, last7Days: 3),
            GroupFigures(key: "IN", name: "India", signatures: 1_000, eligible: 5_000, last7Days: 1_000),
            GroupFigures(key: "MT", name: "Malta", signatures: 0, eligible: 10, last7Days: -2),
            GroupFigures(key: "BR", name: "Brazil", signatures: 0, eligible: 5_000, last7Days: -200),
        ]
        let ranking = Ranking.rank(groups, metric: .momentum, viewer: .hrAdmin, privacyK: 1, campaignEndsAt: end, asOf: asOf)
        // Losses are drawn towards zero too; Malta's 2 of 10 still weighs more than Brazil's 200 of 5,000.
        #expect(ranking.rows.map(\.key) == ["IN", "LU", "BR", "MT"])
        let luxembourg = try #require(ranking.rows.first { $0.key == "LU" })
        #expect(luxembourg.momentum == 0.3)
        #expect(abs((luxembourg.momentumLowerBound ?? 0) - (Ranking.wilsonLowerBound(successes: 3, trials: 10) ?? 1)) < 1e-12)
        let brazil = try #require(ranking.rows.first { $0.key == "BR" })
        #expect(brazil.momentumLowerBound == Ranking.wilsonLowerBound(successes: 200, trials: 5_000).map { -$0 })
        #expect(GroupFigures(key: "AQ", name: "Nowhere", signatures: 1, eligible: 0, last7Days: 1).isPresent)
        let empty = Ranking.rank([GroupFigures(key: "AQ", name: "Nowhere", signatures: 1, eligible: 0, last7Days: 1)], metric: .momentum,
                                 viewer: .hrAdmin, privacyK: 1, campaignEndsAt: end, asOf: asOf)
        #expect(empty.rows.first?.momentumLowerBound == nil)
    }

    @Test func tiesShareARankAndTheNextRankSkips() {
        let groups = [
            GroupFigures(key: "FR", name: "France", signatures: 50, eligible: 100),
            GroupFigures(key: "BR", name: "Brazil", signatures: 80, eligible: 100),
            GroupFigures(key: "US", name: "United States", signatures: 50, eligible: 200),
            GroupFigures(key: "DE", name: "Germany", signatures: 50, eligible: 90),
            GroupFigures(key: "AQ", name: "Nowhere", signatures: 0, eligible: 0),
            GroupFigures(key: "IT", name: "Italy", signatures: 10, eligible: 40),
        ]
        let ranking = Ranking.rank(groups, metric: .signatures, viewer: .hrAdmin, privacyK: 10, campaignEndsAt: end, asOf: asOf)
        // 80; then 50, 50, 50 tied (listed by country code), then 10 at rank 5. AQ has neither: left out.
        #expect(ranking.rows.map(\.key) == ["BR", "DE", "FR", "US", "IT"])
        #expect(ranking.rows.map(\.rank) == [1, 2, 2, 2, 5])
        #expect(ranking.other == nil)
        #expect(ranking.total?.signatures == 240 && ranking.total?.eligible == 530)
    }

    @Test func tiedRowsListBySignaturesThenCode() {
        // Equal momentum (10 new of 100 each, the same bound), different signatures.
        let groups = [
            GroupFigures(key: "AA", name: "A", signatures: 30, eligible: 100, last7Days: 10),
            GroupFigures(key: "BB", name: "B", signatures: 90, eligible: 100, last7Days: 10),
        ]
        let ranking = Ranking.rank(groups, metric: .momentum, viewer: .hrAdmin, privacyK: 1, campaignEndsAt: end, asOf: asOf)
        #expect(ranking.rows.map(\.key) == ["BB", "AA"])
        #expect(ranking.rows.map(\.rank) == [1, 1])
    }

    @Test func leadersSeeSmallCountriesFoldedIntoOther() {
        let groups = [
            GroupFigures(key: "IN", name: "India", signatures: 60, eligible: 100),
            GroupFigures(key: "BR", name: "Brazil", signatures: 30, eligible: 50),
            GroupFigures(key: "LU", name: "Luxembourg", signatures: 4, eligible: 6),
            GroupFigures(key: "MT", name: "Malta", signatures: 2, eligible: 5),
        ]
        let leader = Ranking.rank(groups, metric: .signatures, viewer: .leader, privacyK: 10, campaignEndsAt: end, asOf: asOf)
        #expect(leader.rows.map(\.key) == ["IN", "BR"])
        #expect(leader.other?.signatures == 6 && leader.other?.eligible == 11)
        #expect(leader.total?.signatures == 96)
        let admin = Ranking.rank(groups, metric: .signatures, viewer: .hrAdmin, privacyK: 10, campaignEndsAt: end, asOf: asOf)
        #expect(admin.rows.count == 4 && admin.other == nil)
    }

    @Test func aTooSmallOtherPullsInTheSmallestShownCountry() {
        // Only MT is below k, and alone it covers 5 < 10: subtracting the shown rows from the total
        // would reveal it, so the smallest shown country (BE, 12) joins it.
        let groups = [
            GroupFigures(key: "IN", name: "India", signatures: 60, eligible: 100),
            GroupFigures(key: "BE", name: "Belgium", signatures: 7, eligible: 12),
            GroupFigures(key: "FR", name: "France", signatures: 9, eligible: 20),
            GroupFigures(key: "MT", name: "Malta", signatures: 2, eligible: 5),
        ]
        let ranking = Ranking.rank(groups, metric: .signatures, viewer: .leader, privacyK: 10, campaignEndsAt: end, asOf: asOf)
        #expect(ranking.rows.map(\.key) == ["IN", "FR"])
        #expect(ranking.other?.eligible == 17 && ranking.other?.signatures == 9)
        let shownSum = ranking.rows.reduce(0) { $0 + $1.signatures }
        #expect((ranking.total?.signatures ?? 0) - shownSum == ranking.other?.signatures)
    }

    @Test func aWholeOrganisationBelowKShowsNoFigures() {
        let groups = [GroupFigures(key: "FR", name: "France", signatures: 2, eligible: 4)]
        let ranking = Ranking.rank(groups, metric: .signatures, viewer: .leader, privacyK: 10, campaignEndsAt: end, asOf: asOf)
        #expect(ranking.rows.isEmpty)
        #expect(ranking.total == nil)
        #expect(ranking.other == nil)
    }

    @Test func goalsProgressAndPace() throws {
        let groups = [
            GroupFigures(key: "IN", name: "India", signatures: 300, eligible: 1000, last7Days: 70, goal: .signatures(500)),
            GroupFigures(key: "FR", name: "France", signatures: 90, eligible: 200, last7Days: 14, goal: .participation(0.3)),
            GroupFigures(key: "US", name: "United States", signatures: 10, eligible: 100),
        ]
        let ranking = Ranking.rank(groups, metric: .goalProgress, viewer: .hrAdmin, privacyK: 1, campaignEndsAt: end, asOf: asOf)
        #expect(ranking.rows.map(\.key) == ["FR", "IN", "US"])  // 90/60 = 1.5, 300/500 = 0.6, no goal last
        let france = ranking.rows[0]
        #expect(france.goal == 60 && france.goalProgress == 1.5 && france.neededPerDay == 0)
        let india = ranking.rows[1]
        #expect(india.goal == 500)
        #expect(abs((india.neededPerDay ?? 0) - 200.0 / 7) < 1e-9)  // 200 missing over 7 days left
        #expect(india.currentPerDay == 10)
        #expect(ranking.rows[2].goal == nil && ranking.rows[2].goalProgress == nil)
    }

    @Test func minEligibleFiltersRows() {
        let groups = [
            GroupFigures(key: "IN", name: "India", signatures: 60, eligible: 100),
            GroupFigures(key: "BR", name: "Brazil", signatures: 30, eligible: 50),
        ]
        let ranking = Ranking.rank(groups, metric: .signatures, viewer: .hrAdmin, privacyK: 1, minEligible: 60, campaignEndsAt: end, asOf: asOf)
        #expect(ranking.rows.map(\.key) == ["IN"])
        #expect(ranking.total?.signatures == 90)
    }
}

@Suite struct CampaignRuleTests {
    @Test func onlyForwardTransitionsAreAllowed() {
        #expect(CampaignStatus.draft.canMove(to: .active))
        #expect(CampaignStatus.active.canMove(to: .closed))
        #expect(CampaignStatus.closed.canMove(to: .archived))
        #expect(!CampaignStatus.draft.canMove(to: .closed))
        #expect(!CampaignStatus.active.canMove(to: .draft))
        #expect(!CampaignStatus.archived.canMove(to: .active))
        #expect(!CampaignStatus.closed.canMove(to: .active))
    }

    @Test func audienceMatchesGenderCountryAndOrgUnitPrefix() {
        let audience = Audience(genders: [.male], countries: ["IN", "BR"], orgUnits: ["Energy Management"])
        #expect(audience.admits(gender: .male, country: "IN", orgUnit: "Energy Management/Buildings"))
        #expect(audience.admits(gender: .male, country: "BR", orgUnit: "Energy Management"))
        #expect(!audience.admits(gender: .male, country: "IN", orgUnit: "Energy Managementally"))
        #expect(!audience.admits(gender: .female, country: "IN", orgUnit: "Energy Management"))
        #expect(!audience.admits(gender: .male, country: "FR", orgUnit: "Energy Management"))
        #expect(!audience.admits(gender: .male, country: "IN", orgUnit: nil))
        #expect(Audience.everyone.admits(gender: .undisclosed, country: "FR", orgUnit: nil))
    }

    @Test func draftsAreValidated() throws {
        let start = Date(timeIntervalSince1970: 1_433_116_800)
        let valid = CampaignDraft(slug: "heforshe", hashtag: "#HeForShe", title: ["en": "HeForShe", "fr": "ElleLui"],
                                  pledgeText: ["en": "I commit"], startsAt: start, endsAt: start + 86_400 * 150,
                                  countryGoals: ["IN": .signatures(5000), "FR": .participation(0.3)])
        try valid.validate()
        var broken = valid
        broken.slug = "Bad Slug"
        #expect(throws: MobiliseError.self) { try broken.validate() }
        broken = valid
        broken.hashtag = "HeForShe"
        #expect(throws: MobiliseError.self) { try broken.validate() }
        broken = valid
        broken.endsAt = start
        #expect(throws: MobiliseError.self) { try broken.validate() }
        broken = valid
        broken.pledgeText = ["fr": "Je m'engage"]
        #expect(throws: MobiliseError.self) { try broken.validate() }
        broken = valid
        broken.countryGoals = ["india": .signatures(5)]
        #expect(throws: MobiliseError.self) { try broken.validate() }
        broken = valid
        broken.countryGoals = ["IN": .participation(1.5)]
        #expect(throws: MobiliseError.self) { try broken.validate() }
    }
}
