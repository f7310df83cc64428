import Foundation
import MobiliseDomain
import MobiliseStore
import MobiliseTesting
import Testing

@Suite struct RankingStoreTests {
    let day: TimeInterval = 86_400

    @Test func handComputedRankingForASmallWorkforce() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store, privacyK: 5)
            let org = fixture.organisation.id
            let india = try await fixture.hire(10, in: "IN")
            let brazil = try await fixture.hire(8, in: "BR")
            let france = try await fixture.hire(6, in: "FR")
            let malta = try await fixture.hire(3, in: "MT")
            let campaign = try await fixture.campaign(goals: ["IN": .signatures(8), "BR": .participation(0.5)], successMinCountries: 1)
            for person in india.prefix(6) + brazil.prefix(6) + france.prefix(3) + malta.prefix(3) { _ = try await fixture.sign(person, campaign) }

            let admin = try await store.ranking(organisationID: org, campaign: campaign.slug, metric: .participation, viewer: .hrAdmin)
            // Rates: MT 3/3, BR 6/8, FR 3/6, IN 6/10; by Wilson lower bound: BR .4093, IN .3127, MT .4385?, FR .1876
            let rows = admin.ranking.rows
            let bounds = Dictionary(uniqueKeysWithValues: rows.map { ($0.key, $0.rateLowerBound ?? -1) })
            #expect(abs((bounds["IN"] ?? 0) - 0.31267376792119533) < 1e-9)
            #expect(abs((bounds["MT"] ?? 0) - 0.4385029643606803) < 1e-9)
            #expect(rows.map(\.key) == rows.sorted { ($0.rateLowerBound ?? 0) > ($1.rateLowerBound ?? 0) }.map(\.key))
            #expect(rows.map(\.rank) == [1, 2, 3, 4])
            let brazilRow = try #require(rows.first { $0.key == "BR" })
            #expect(brazilRow.signatures == 6 && brazilRow.eligible == 8 && brazilRow.participation == 0.75)
            #expect(brazilRow.goal == 4 && brazilRow.goalProgress == 1.5)
            #expect(rows.first { $0.key == "IN" }?.goalProgress == 0.75)
            #expect(admin.countriesMeetingGoal == 1 && admin.successMet == true)
            #expect(admin.ranking.total?.signatures == 18 && admin.ranking.total?.eligible == 27)

            // A leader sees Malta (3 < k = 5) folded into `other`.
            let leader = try await store.ranking(organisationID: org, campaign: campaign.slug, metric: .signatures, viewer: .leader, publication: nil)
            #expect(!leader.ranking.rows.contains { $0.key == "MT" })
            #expect(leader.ranking.other?.eligible ?? 0 >= 5)
            let shown = leader.ranking.rows.reduce(0) { $0 + $1.signatures }
            #expect((leader.ranking.total?.signatures ?? 0) - shown == leader.ranking.other?.signatures)
        }
    }

    @Test func asOfReproducesAnEarlierRankingExactly() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store, privacyK: 1)
            let org = fixture.organisation.id
            let india = try await fixture.hire(6, in: "IN")
            let brazil = try await fixture.hire(4, in: "BR")
            let campaign = try await fixture.campaign()
            let now = Date()
            // Signatures spread over the last three weeks, and one withdrawal.
            _ = try await fixture.sign(india[0], campaign, at: now - 20 * day)
            _ = try await fixture.sign(india[1], campaign, at: now - 10 * day)
            _ = try await fixture.sign(brazil[0], campaign, at: now - 9 * day)
            _ = try await fixture.sign(india[2], campaign, at: now - 3 * day)
            _ = try await store.withdraw(organisationID: org, campaign: campaign.slug, employee: india[1], at: now - 2 * day)
            _ = try await fixture.sign(brazil[1], campaign)

            let before = try await store.ranking(organisationID: org, campaign: campaign.slug, metric: .momentum, viewer: .hrAdmin)
            #expect(before.ranking.rows.map { "\($0.key) \($0.signatures) \($0.last7Days) \($0.previous7Days)" }
                    == ["BR 2 1 1", "IN 2 0 1"])

            // Later: more signing, a withdrawal and a re-signing. The earlier instant still answers the same.
            _ = try await fixture.sign(india[3], campaign)
            _ = try await store.withdraw(organisationID: org, campaign: campaign.slug, employee: brazil[1])
            _ = try await fixture.sign(india[1], campaign)
            let replay = try await store.ranking(organisationID: org, campaign: campaign.slug, metric: .momentum, viewer: .hrAdmin, asOf: before.asOf)
            #expect(replay == before)
            let current = try await store.ranking(organisationID: org, campaign: campaign.slug, metric: .momentum, viewer: .hrAdmin)
            #expect(current.ranking.rows.map { "\($0.key) \($0.signatures)" } == ["IN 4", "BR 1"])
            // Long ago, before anything was signed: nothing to show.
            let early = try await store.ranking(organisationID: org, campaign: campaign.slug, metric: .signatures, viewer: .hrAdmin, asOf: now - 25 * day)
            #expect(early.ranking.rows.allSatisfy { $0.signatures == 0 })
            #expect(try await store.verifyCounts(organisationID: org, campaign: campaign.slug).isEmpty)
        }
    }

    @Test func countsThatDriftAreReportedByTheCheck() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store)
            let people = try await fixture.hire(3, in: "IN")
            let campaign = try await fixture.campaign()
            for person in people { _ = try await fixture.sign(person, campaign) }
            try await store.pool.execute("""
                UPDATE signature_total_counts SET counts = mobilise_counts_add(counts, ARRAY[ARRAY[mobilise_country_position('IN')], ARRAY[1]])
                WHERE ctid = (SELECT ctid FROM signature_total_counts LIMIT 1)
                """)
            let problems = try await store.verifyCounts(organisationID: fixture.organisation.id, campaign: campaign.slug)
            #expect(problems.map { "\($0.table) \($0.country) \($0.counted) \($0.actual)" } == ["signature_totals IN 4 3"])
        }
    }

    @Test func drillDownBySiteAndOrgUnitFollowsThePrivacyRule() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store, privacyK: 5)
            let org = fixture.organisation.id
            let pune = try await fixture.hire(8, in: "IN", prefix: "pune", site: "Pune", orgUnit: "Energy Management/Buildings")
            let bangalore = try await fixture.hire(6, in: "IN", prefix: "blr", site: "Bangalore", orgUnit: "Industrial Automation")
            let chennai = try await fixture.hire(2, in: "IN", prefix: "che", site: "Chennai", orgUnit: "Industrial Automation")
            let malta = try await fixture.hire(3, in: "MT")
            _ = try await fixture.hire(10, in: "BR")  // folded with Malta, so that `other` covers k
            let campaign = try await fixture.campaign()
            for person in pune.prefix(5) + bangalore.prefix(2) + chennai.prefix(1) + malta.prefix(1) { _ = try await fixture.sign(person, campaign) }

            let admin = try await store.countryBreakdown(organisationID: org, campaign: campaign.slug, country: "IN", viewer: .hrAdmin)
            #expect(admin.country.signatures == 8 && admin.country.eligible == 16)
            #expect(admin.bySite.rows.map { "\($0.key) \($0.signatures)/\($0.eligible)" } == ["Pune 5/8", "Bangalore 2/6", "Chennai 1/2"])
            #expect(admin.byOrgUnit.rows.map { "\($0.key) \($0.signatures)/\($0.eligible)" }
                    == ["Energy Management/Buildings 5/8", "Industrial Automation 3/8"])
            #expect(admin.weekly.last?.signatures == 8)

            // A leader: Chennai (2 < 5) is folded, and with it the smallest shown site so `other` reaches k.
            let leader = try await store.countryBreakdown(organisationID: org, campaign: campaign.slug, country: "IN", viewer: .leader, publication: nil)
            #expect(leader.bySite.rows.map(\.key) == ["Pune"])
            #expect(leader.bySite.other?.eligible == 8 && leader.bySite.other?.signatures == 3)
            let tooSmall = await #expect(throws: MobiliseError.self) {
                try await store.countryBreakdown(organisationID: org, campaign: campaign.slug, country: "MT", viewer: .leader, publication: nil)
            }
            #expect(tooSmall?.code == .countryNotShown)
        }
    }

    /// Which weeks a timeline lists must not say when someone acted: every week from the campaign's
    /// start to now is listed, whether or not anyone in the country signed in it, so that one
    /// person signing (or signing and withdrawing) in a quiet week adds no week.
    @Test func everyWeekIsListedSoNoWeekSaysThatSomeoneActed() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store, privacyK: 3)
            let org = fixture.organisation.id
            let croatia = try await fixture.hire(6, in: "HR")
            let campaign = try await fixture.campaign(startsAt: Date() - 30 * day)
            for person in croatia.prefix(3) { _ = try await fixture.sign(person, campaign, at: Date() - 22 * day) }
            func weeks() async throws -> (country: [Date], timeline: [Date]) {
                let country = try await store.countryBreakdown(organisationID: org, campaign: campaign.slug, country: "HR", viewer: .leader, publication: nil)
                let timeline = try await store.timeline(organisationID: org, campaign: campaign.slug, viewer: .leader, publication: nil)
                return (country.weekly.map(\.week), timeline.weeks)
            }
            let before = try await weeks()
            #expect(before.country == before.timeline)
            #expect(zip(before.country, before.country.dropFirst()).allSatisfy { $1.timeIntervalSince($0) == 7 * day },
                    "not one week after another: \(before.country)")
            #expect(before.country.count >= 5 && before.country.count <= 6, "\(before.country)")  // 30 days ago to this week
            _ = try await fixture.sign(croatia[3], campaign)
            _ = try await fixture.sign(croatia[4], campaign)
            _ = try await store.withdraw(organisationID: org, campaign: campaign.slug, employee: croatia[4])
            let after = try await weeks()
            #expect(after.country == before.country && after.timeline == before.timeline)
            let admin = try await store.countryBreakdown(organisationID: org, campaign: campaign.slug, country: "HR", viewer: .hrAdmin)
            #expect(admin.weekly.map(\.week) == before.country && admin.weekly.last?.signatures == 4)
        }
    }

    @Test func weeklyTimelineIsCumulativeAndFoldsSmallCountriesForLeaders() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store, privacyK: 3)
            let org = fixture.organisation.id
            let india = try await fixture.hire(5, in: "IN")
            let malta = try await fixture.hire(1, in: "MT")
            _ = try await fixture.hire(4, in: "BR")
            let campaign = try await fixture.campaign()
            let now = Date()
            _ = try await fixture.sign(india[0], campaign, at: now - 15 * day)
            _ = try await fixture.sign(india[1], campaign, at: now - 8 * day)
            _ = try await fixture.sign(india[2], campaign)
            _ = try await fixture.sign(malta[0], campaign)
            let admin = try await store.timeline(organisationID: org, campaign: campaign.slug, viewer: .hrAdmin)
            #expect(admin.series["IN"]?.last == 3 && admin.series["MT"]?.last == 1)
            #expect(admin.total.last == 4)
            #expect(admin.series["IN"] == admin.series["IN"]?.sorted())  // cumulative never decreases here
            #expect(admin.weeks == admin.weeks.sorted() && admin.weeks.count >= 3)
            let leader = try await store.timeline(organisationID: org, campaign: campaign.slug, viewer: .leader, publication: nil)
            // Malta (1 < k) is folded, and Brazil with it so that `other` covers k; India stays.
            #expect(Array(leader.series.keys) == ["IN"])
            #expect(leader.other?.last == 1)
            #expect(leader.total.last == 4)
        }
    }
}

extension RankingStoreTests {
    /// Nothing a leader reads tells the folded countries apart: not the goals count, not the
    /// success rule, not the drill-down's refusal.
    @Test func leadersAreNotToldWhichFoldedCountriesMeetTheirGoals() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store, privacyK: 3)
            let org = fixture.organisation.id
            let india = try await fixture.hire(5, in: "IN")
            _ = try await fixture.hire(4, in: "BR")
            let malta = try await fixture.hire(1, in: "MT")
            let luxembourg = try await fixture.hire(1, in: "LU")
            let campaign = try await fixture.campaign(goals: ["IN": .signatures(2), "MT": .signatures(1)], successMinCountries: 2)
            for person in india.prefix(2) + malta + luxembourg { _ = try await fixture.sign(person, campaign) }
            // Luxembourg's only employee leaves; her signature stays, in a country with nobody eligible.
            try await store.pool.execute("UPDATE employees SET active = false WHERE organisation_id = \(org) AND external_id = \(luxembourg[0])")

            let admin = try await store.ranking(organisationID: org, campaign: campaign.slug, metric: .signatures, viewer: .hrAdmin)
            #expect(admin.countriesMeetingGoal == 2 && admin.successMet == true)
            // Malta (1 < k) is folded: its goal is neither counted nor allowed to decide the rule.
            let leader = try await store.ranking(organisationID: org, campaign: campaign.slug, metric: .signatures, viewer: .leader, publication: nil)
            #expect(leader.ranking.rows.map(\.key) == ["IN"])
            #expect(leader.countriesMeetingGoal == 1)
            #expect(leader.successMet == nil)

            // A leader gets one answer, word for word, for a country with no employee left (signed
            // or not), one that never had any, and one folded into `other`.
            func refusal(_ country: String, _ viewer: Viewer = .leader) async -> MobiliseError? {
                do {
                    _ = try await store.countryBreakdown(organisationID: org, campaign: campaign.slug, country: country, viewer: viewer)
                    return nil
                } catch let error as MobiliseError { return error } catch { return MobiliseError(.invalid, code: ErrorCode(rawValue: "\(error)"), "") }
            }
            let folded = await refusal("MT")
            #expect(folded?.code == .countryNotShown && folded?.kind == .notFound)
            #expect(await refusal("LU") == folded)
            #expect(await refusal("DE") == folded)
            // HR admins see every country: only an absent one is refused.
            #expect(await refusal("MT", .hrAdmin) == nil)
            #expect(await refusal("DE", .hrAdmin)?.code == .countryNotFound)
        }
    }

    /// A leader's weekly total is what the series and `other` add up to: the comings and goings of
    /// a country that shows in neither (its only employee signed, withdrew and left) stay out of it.
    @Test func aLeadersTimelineTotalIsTheSumOfWhatItShows() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store, privacyK: 2)
            let org = fixture.organisation.id
            let india = try await fixture.hire(3, in: "IN")
            let luxembourg = try await fixture.hire(1, in: "LU")
            let campaign = try await fixture.campaign()
            let now = Date()
            _ = try await fixture.sign(india[0], campaign, at: now - 15 * day)
            _ = try await fixture.sign(luxembourg[0], campaign, at: now - 15 * day)
            _ = try await store.withdraw(organisationID: org, campaign: campaign.slug, employee: luxembourg[0], at: now - 8 * day)
            try await store.pool.execute("UPDATE employees SET active = false WHERE organisation_id = \(org) AND external_id = \(luxembourg[0])")
            _ = try await fixture.sign(india[1], campaign)

            let leader = try await store.timeline(organisationID: org, campaign: campaign.slug, viewer: .leader, publication: nil)
            #expect(leader.other == nil && Array(leader.series.keys) == ["IN"])
            let shown = leader.weeks.indices.map { week in leader.series.values.reduce(0) { $0 + $1[week] } }
            // Every week from the campaign's start (0 before the first signature, and a quiet week
            // repeats the one before): India's 1 from its first signing, then 2.
            let seen = leader.total.drop { $0 == 0 }
            #expect(leader.total == shown && seen.first == 1 && seen.last == 2 && seen.allSatisfy { $0 == 1 || $0 == 2 }, "\(leader.total)")
            // HR sees Luxembourg's week of signing in the total: 2, then 1 after the withdrawal, then 2.
            let admin = try await store.timeline(organisationID: org, campaign: campaign.slug, viewer: .hrAdmin)
            let counted = admin.total.drop { $0 == 0 }
            #expect(counted.first == 2 && counted.contains(1) && counted.last == 2 && admin.weeks == leader.weeks, "\(admin.total)")
        }
    }
}

extension RankingStoreTests {
    /// Reading a country's breakdowns just before and just after a signature must not place the
    /// signer in a site × org unit group of fewer than k: a small group counts in `other` of both
    /// breakdowns, never in a site row and an org unit row at once.
    @Test func crossingTheTwoBreakdownsNeverIsolatesASmallGroup() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store, privacyK: 3)
            let org = fixture.organisation.id
            let puneSales = try await fixture.hire(4, in: "IN", prefix: "ps", site: "Pune", orgUnit: "Sales")
            let puneLegal = try await fixture.hire(1, in: "IN", prefix: "pl", site: "Pune", orgUnit: "Legal")
            _ = try await fixture.hire(4, in: "IN", prefix: "ds", site: "Delhi", orgUnit: "Sales")
            _ = try await fixture.hire(3, in: "IN", prefix: "dl", site: "Delhi", orgUnit: "Legal")
            let campaign = try await fixture.campaign()
            // Every site (Pune 5, Delhi 7) and every unit (Sales 8, Legal 4) covers k on its own.
            func read() async throws -> (site: [String: Int], unit: [String: Int]) {
                let breakdown = try await store.countryBreakdown(organisationID: org, campaign: campaign.slug, country: "IN", viewer: .leader, publication: nil)
                func figures(_ ranking: Ranking) -> [String: Int] {
                    var figures = Dictionary(uniqueKeysWithValues: ranking.rows.map { ($0.key, $0.signatures) })
                    figures["other"] = ranking.other?.signatures
                    return figures
                }
                return (figures(breakdown.bySite), figures(breakdown.byOrgUnit))
            }
            func changed(_ before: [String: Int], _ after: [String: Int]) -> [String] {
                Set(before.keys).union(after.keys).filter { before[$0] != after[$0] }.sorted()
            }

            let before = try await read()
            _ = try await fixture.sign(puneLegal[0], campaign)
            let after = try await read()
            // The only person of Pune × Legal: seen in both `other` rows, not in Pune and Legal.
            #expect(changed(before.site, after.site) == ["other"])
            #expect(changed(before.unit, after.unit) == ["other"])

            _ = try await fixture.sign(puneSales[0], campaign)
            let later = try await read()
            // Pune × Sales covers 4 ≥ k: its rows may show the change.
            #expect(changed(after.site, later.site) == ["Pune"])
            #expect(changed(after.unit, later.unit) == ["Sales"])
            // HR sees every site and unit, unfolded.
            let admin = try await store.countryBreakdown(organisationID: org, campaign: campaign.slug, country: "IN", viewer: .hrAdmin)
            #expect(admin.bySite.rows.map { "\($0.key) \($0.signatures)/\($0.eligible)" }.sorted() == ["Delhi 0/7", "Pune 2/5"])
            #expect(admin.byOrgUnit.rows.map { "\($0.key) \($0.signatures)/\($0.eligible)" }.sorted() == ["Legal 1/4", "Sales 1/8"])
        }
    }
}
