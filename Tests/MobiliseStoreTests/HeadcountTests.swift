import Foundation
import MobiliseDomain
import MobiliseStore
import MobiliseTesting
import Postgres
import Testing

/// The eligible headcount a ranking shows is maintained by the database (`campaign_headcount`,
/// sql/0008) rather than counted at each read. Each test changes the workforce or the audience the
/// way the service does, then compares every country's `eligible` with a count made from scratch
/// in Swift (the employees listed one by one, filtered with `Audience.admits`).
@Suite struct HeadcountTests {
    private static let header = "external_id,email,display_name,country,gender,site,org_unit,manager_external_id,active\n"

    private func importCSV(_ fixture: Fixture, _ lines: [String], mode: ImportMode = .upsert) async throws {
        let report = try await fixture.store.importEmployees(
            organisationID: fixture.organisation.id, csv: Array((Self.header + lines.joined(separator: "\n") + "\n").utf8),
            mode: mode, actor: fixture.admin)
        #expect(report.rejectedCount == 0, "rejected: \(report.rejected)")
    }

    /// Eligible employees per country, from the employee list and the domain's audience rule.
    private func scratchCount(_ fixture: Fixture, _ campaign: Campaign) async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        var cursor: String?
        while true {
            let page = try await fixture.store.employees(organisationID: fixture.organisation.id, after: cursor, limit: 1000)
            for employee in page where employee.active
                && campaign.audience.admits(gender: employee.gender, country: employee.country, orgUnit: employee.orgUnit) {
                counts[employee.country, default: 0] += 1
            }
            guard let last = page.last, page.count == 1000 else { break }
            cursor = last.externalID
        }
        return counts
    }

    /// Eligible per country as an HR admin's ranking shows it (countries with none left out).
    private func rankedEligible(_ fixture: Fixture, _ campaign: Campaign) async throws -> [String: Int] {
        let ranking = try await fixture.store.ranking(
            organisationID: fixture.organisation.id, campaign: campaign.slug, metric: .participation, viewer: .hrAdmin)
        return Dictionary(uniqueKeysWithValues: ranking.ranking.rows.filter { $0.eligible > 0 }.map { ($0.key, $0.eligible) })
    }

    private func expectExact(_ fixture: Fixture, _ campaigns: [Campaign], _ when: String) async throws {
        for campaign in campaigns {
            let scratch = try await scratchCount(fixture, campaign)
            let ranked = try await rankedEligible(fixture, campaign)
            #expect(ranked == scratch, "\(campaign.slug) \(when)")
            let differences = try await fixture.store.verifyCounts(organisationID: fixture.organisation.id, campaign: campaign.slug)
            #expect(differences.isEmpty, "\(campaign.slug) \(when): \(differences)")
        }
    }

    @Test func importsFullSyncsAndMovesKeepTheHeadcountExact() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store, privacyK: 1)
            try await importCSV(fixture, [
                "E1,,,IN,female,,Energy/Buildings,,", "E2,,,IN,male,,Energy,,", "E3,,,BR,female,,Energy/Grid,,",
                "E4,,,FR,female,,Finance,,", "E5,,,FR,non_binary,,Energy,,", "E6,,,BR,male,,,,",
            ])
            let everyone = try await fixture.campaign(slug: "everyone")
            let women = try await fixture.campaign(slug: "women-energy", audience: Audience(genders: [.female], orgUnits: ["Energy"]))
            let france = try await fixture.campaign(slug: "france", audience: Audience(countries: ["FR"]))
            let all = [everyone, women, france]
            #expect(try await rankedEligible(fixture, everyone) == ["IN": 2, "BR": 2, "FR": 2])
            #expect(try await rankedEligible(fixture, women) == ["IN": 1, "BR": 1])
            try await expectExact(fixture, all, "after the first import")

            // An upsert: newcomers, a move to another country, a change of gender and of org unit,
            // someone leaving (active=false), and a line that changes nothing.
            try await importCSV(fixture, [
                "E7,,,IN,female,,Energy/Buildings/Lyon,,", "E8,,,DE,female,,Energy,,",
                "E1,,,BR,female,,Energy/Buildings,,", "E2,,,IN,female,,Energy,,", "E3,,,BR,female,,Finance,,",
                "E4,,,FR,female,,Finance,,false", "E6,,,BR,male,,,,",
            ])
            #expect(try await rankedEligible(fixture, women) == ["IN": 2, "BR": 1, "DE": 1])
            try await expectExact(fixture, all, "after an upsert")

            // A full sync: everyone missing from the file leaves.
            try await importCSV(fixture, ["E1,,,BR,female,,Energy/Buildings,,", "E5,,,FR,non_binary,,Energy,,", "E8,,,DE,female,,Energy,,"],
                                mode: .fullSync)
            #expect(try await rankedEligible(fixture, everyone) == ["BR": 1, "FR": 1, "DE": 1])
            try await expectExact(fixture, all, "after a full sync")

            // Coming back.
            try await importCSV(fixture, ["E4,,,FR,female,,Finance,,true", "E2,,,IN,female,,Energy,,true"])
            try await expectExact(fixture, all, "after two came back")
        }
    }

    @Test func aCampaignCreatedAfterTheWorkforceAndAnAudienceChangeAreCountedFromTheEmployees() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store, privacyK: 1)
            _ = try await fixture.hire(5, in: "IN", orgUnit: "Energy/Grid", gender: .female)
            _ = try await fixture.hire(4, in: "IN", prefix: "in-men", orgUnit: "Energy", gender: .male)
            _ = try await fixture.hire(3, in: "FR", orgUnit: "Finance", gender: .female)
            _ = try await fixture.hire(2, in: "FR", prefix: "fr-gone", gender: .female, active: false)
            let draft = try await fixture.campaign(slug: "draft", audience: Audience(genders: [.female]), launch: false)
            #expect(try await rankedEligible(fixture, draft) == ["IN": 5, "FR": 3])
            try await expectExact(fixture, [draft], "at creation")

            for audience in [Audience(orgUnits: ["Energy"]), Audience(countries: ["FR"]), Audience(genders: [.male], orgUnits: ["Energy/Grid"]), .everyone] {
                let changed = CampaignDraft(
                    slug: draft.slug, hashtag: draft.hashtag, title: draft.title, pledgeText: draft.pledgeText,
                    startsAt: draft.startsAt, endsAt: draft.endsAt, audience: audience)
                let updated = try await store.updateCampaign(
                    organisationID: fixture.organisation.id, reference: draft.slug, changed, actor: fixture.admin)
                #expect(updated.audience == audience)
                try await expectExact(fixture, [updated], "after the audience became \(audience)")
            }
            #expect(try await rankedEligible(fixture, draft) == ["IN": 9, "FR": 3])
        }
    }

    @Test func aCampaignCreatedWhileEmployeesAreAddedCountsThemOnceCommitted() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store, privacyK: 1)
            _ = try await fixture.hire(2, in: "FR")
            let org = fixture.organisation.id
            // Employees added in a transaction still open while the campaign is created: its count,
            // made from a snapshot without them, would miss them but for the organisation's lock.
            let (creation, waited) = try await store.pool.withConnection { connection -> (Task<Campaign, any Error>, Bool) in
                try connection.execute("BEGIN")
                try connection.execute("""
                    INSERT INTO employees (organisation_id, external_id, country) SELECT \(org), 'late-' || g, 'IN' FROM generate_series(1, 5) g
                    """)
                let creation = Task { try await fixture.campaign(slug: "meanwhile") }
                let waited = try connection.waitUntilAnotherBackendWaitsForUs()
                try connection.execute("COMMIT")
                return (creation, waited)
            }
            #expect(waited, "creating the campaign should have waited for the employees' transaction")
            let campaign = try await creation.value
            #expect(try await rankedEligible(fixture, campaign) == ["FR": 2, "IN": 5])
            try await expectExact(fixture, [campaign], "created while employees were being added")
        }
    }

    @Test func anImportWhileACampaignIsCreatedCountsForItOnceCommitted() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store, privacyK: 1)
            _ = try await fixture.hire(2, in: "FR")
            let org = fixture.organisation.id
            // The campaign is created in a transaction still open while an import runs: the import's
            // triggers, from a snapshot without the campaign, would not count for it but for the lock.
            let (importing, waited) = try await store.pool.withConnection { connection -> (Task<ImportReport, any Error>, Bool) in
                try connection.execute("BEGIN")
                try connection.execute("""
                    INSERT INTO campaigns (organisation_id, slug, hashtag, title, pledge_text, starts_at, ends_at)
                    VALUES (\(org), 'meanwhile', '#HeForShe', '{"en": "t"}', '{"en": "p"}', now(), now() + interval '30 days')
                    """)
                let importing = Task {
                    try await store.importEmployees(
                        organisationID: org, csv: Array((Self.header + "N1,,,IN,female,,,,\nN2,,,IN,male,,,,\nN3,,,BR,male,,,,\n").utf8),
                        mode: .upsert, actor: fixture.admin)
                }
                let waited = try connection.waitUntilAnotherBackendWaitsForUs()
                try connection.execute("COMMIT")
                return (importing, waited)
            }
            #expect(waited, "the import should have waited for the campaign's transaction")
            #expect(try await importing.value.inserted == 3)
            let campaign = try await store.campaign(organisationID: org, reference: "meanwhile")
            #expect(try await rankedEligible(fixture, campaign) == ["FR": 2, "IN": 2, "BR": 1])
            try await expectExact(fixture, [campaign], "with an import during its creation")
        }
    }

    /// An erased employee leaves the headcount as a leaver of an import does, also of campaigns
    /// created afterwards; their signature still counts.
    @Test func erasureTakesTheEmployeeOutOfTheHeadcountLikeALeaver() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store, privacyK: 1)
            let india = try await fixture.hire(4, in: "IN", gender: .female)
            _ = try await fixture.hire(3, in: "BR", gender: .female)
            let campaign = try await fixture.campaign(audience: Audience(genders: [.female]))
            _ = try await fixture.sign(india[0], campaign)
            #expect(try await rankedEligible(fixture, campaign) == ["IN": 4, "BR": 3])
            let pseudonym = try await store.eraseEmployee(organisationID: fixture.organisation.id, externalID: india[0], actor: fixture.admin)
            #expect(pseudonym != nil)
            #expect(try await rankedEligible(fixture, campaign) == ["IN": 3, "BR": 3])
            let later = try await fixture.campaign(slug: "later", audience: Audience(genders: [.female]))
            #expect(try await rankedEligible(fixture, later) == ["IN": 3, "BR": 3])
            let ranking = try await store.ranking(organisationID: fixture.organisation.id, campaign: campaign.slug, metric: .signatures, viewer: .hrAdmin)
            #expect(ranking.ranking.rows.first { $0.key == "IN" }?.signatures == 1)
            try await expectExact(fixture, [campaign, later], "after an erasure")
        }
    }

    @Test func theCountsCheckReportsAHeadcountThatDrifted() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store, privacyK: 1)
            _ = try await fixture.hire(3, in: "IN")
            let campaign = try await fixture.campaign()
            #expect(try await store.verifyCounts(organisationID: fixture.organisation.id, campaign: campaign.slug).isEmpty)
            // Tamper with the maintained figure, as a bug would.
            try await store.pool.execute("UPDATE campaign_headcount SET eligible = eligible + 2 WHERE campaign_id = \(campaign.id)")
            let differences = try await store.verifyCounts(organisationID: fixture.organisation.id, campaign: campaign.slug)
            #expect(differences.map { "\($0.table) \($0.country) \($0.counted) \($0.actual)" } == ["campaign_headcount IN 5 3"])
            #expect(try await rankedEligible(fixture, campaign) == ["IN": 5], "the ranking reads the maintained figure, not a count")
        }
    }

    @Test func compactingPastDaysChangesNoFigure() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store, privacyK: 1)
            let org = fixture.organisation.id
            let india = try await fixture.hire(60, in: "IN")
            let brazil = try await fixture.hire(40, in: "BR")
            let campaign = try await fixture.campaign()
            let now = Date()
            // Signatures over the last 20 days (many per day, so several slots per day), withdrawals, re-signing.
            for (index, person) in (india + brazil).enumerated() {
                _ = try await fixture.sign(person, campaign, at: now - Double(index % 20) * 86_400 - Double(index) * 60)
            }
            for person in india[10..<15] { _ = try await store.withdraw(organisationID: org, campaign: campaign.slug, employee: person, at: now - 3 * 86_400) }
            let slotRows = { try await store.pool.query("SELECT count(*) FROM signature_daily WHERE campaign_id = \(campaign.id)").scalar(Int.self) ?? 0 }
            let rowsBefore = try await slotRows()

            let metrics: [RankingMetric] = [.signatures, .participation, .momentum]
            let instants: [Date?] = [nil, now - 2 * 86_400, now - 9 * 86_400, now - 15 * 86_400]
            func snapshot() async throws -> [String] {
                var figures: [String] = []
                for metric in metrics {
                    for instant in instants {
                        let ranking = try await store.ranking(organisationID: org, campaign: campaign.slug, metric: metric, viewer: .hrAdmin, asOf: instant)
                        figures.append(ranking.ranking.rows.map { "\($0.key) \($0.rank) \($0.signatures) \($0.eligible) \($0.last7Days) \($0.previous7Days)" }
                            .joined(separator: ", "))
                    }
                }
                let timeline = try await store.timeline(organisationID: org, campaign: campaign.slug, viewer: .hrAdmin)
                figures.append("\(timeline.series.sorted { $0.key < $1.key }) \(timeline.total)")
                return figures
            }
            let before = try await snapshot()

            let folded = try await store.compactDailyCounts(olderThanDays: 0)
            #expect(folded > 0)
            let rowsAfter = try await slotRows()
            #expect(rowsAfter < rowsBefore)
            // Only today keeps more than one row per country.
            let pastSlots = try await store.pool.query("""
                SELECT count(*) FROM signature_daily d JOIN organisations o ON o.id = d.organisation_id
                WHERE d.campaign_id = \(campaign.id) AND d.slot <> 0 AND d.day < (now() AT TIME ZONE o.time_zone)::date
                """).scalar(Int.self)
            #expect(pastSlots == 0)
            #expect(try await snapshot() == before)
            #expect(try await store.verifyCounts(organisationID: org, campaign: campaign.slug).isEmpty)
            #expect(try await store.compactDailyCounts(olderThanDays: 0) == 0, "a second run finds nothing")

            // Signing still works on a compacted past day (a late paper form), and counts.
            _ = try await fixture.sign(india[10], campaign, at: now - 86_400)
            #expect(try await store.verifyCounts(organisationID: org, campaign: campaign.slug).isEmpty)
        }
    }
}
