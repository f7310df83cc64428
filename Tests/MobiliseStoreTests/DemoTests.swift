import Foundation
import MobiliseDemo
import MobiliseDomain
import MobiliseStore
import MobiliseTesting
import Testing

/// The demo organisation, loaded into real databases at a small scale.
///
/// (These tests live here because this target reaches `MobiliseDemo` through the `mobilise`
/// executable; `MobiliseStoreTests` does not depend on it.)
@Suite struct DemoTests {
    /// About 3,000 employees: the proportions are those of scale 1.0 (about 147,000).
    static let scale = 0.02

    @Test func theDemoLoadsWithIndiaBrazilTheUSAndFranceLeadingAndExactCounts() async throws {
        try await TestDatabase.withStore { store in
            let summary = try await DemoOrganisation.load(into: store, scale: Self.scale)
            #expect(summary.created)
            #expect(summary.countries >= 60)
            #expect((2_700...3_200).contains(summary.employees), "\(summary.employees) employees")
            #expect(summary.activeEmployees < summary.employees)
            #expect((400...520).contains(summary.signatures), "\(summary.signatures) signatures")
            #expect(summary.withdrawn > 0 && summary.signedAtEvents > 0)
            #expect(summary.approvedStories >= 17 && summary.pendingStories == 2 && summary.rejectedStories == 1)
            #expect(summary.pastEvents > 0 && summary.upcomingEvents > 0)
            #expect(summary.hrAdmin.roles == ["hr_admin"] && summary.leader.roles == ["leader"] && summary.employee.roles == ["employee"])

            let org = summary.organisation.id
            let campaign = try await store.campaign(organisationID: org, reference: summary.campaignSlug)
            #expect(campaign.status == .active && campaign.hashtag == "#HeForShe")
            #expect(Set(campaign.title.keys) == ["en", "fr", "pt-BR", "hi"])
            #expect(campaign.audience.genders == [.male] && campaign.successMinCountries == 3)
            #expect(Set(campaign.countryGoals.keys) == ["IN", "BR", "US", "FR"])
            #expect(campaign.startsAt < Date() && campaign.endsAt > Date())

            // The four leaders are the top four by participation, by construction.
            let ranking = try await store.ranking(organisationID: org, campaign: summary.campaignSlug, metric: .participation, viewer: .hrAdmin)
            #expect(Set(ranking.ranking.rows.prefix(4).map(\.key)) == ["IN", "BR", "US", "FR"])
            #expect(ranking.ranking.total?.signatures == summary.signatures)
            // Small countries are folded for a leader.
            let folded = try await store.ranking(organisationID: org, campaign: summary.campaignSlug, metric: .participation, viewer: .leader, publication: nil)
            #expect(folded.ranking.other != nil)

            #expect(try await store.verifyCounts(organisationID: org, campaign: summary.campaignSlug).isEmpty)
            #expect(try await store.signature(organisationID: org, campaign: summary.campaignSlug, employee: summary.employee.externalID) == nil)
            #expect(try await store.signature(organisationID: org, campaign: summary.campaignSlug, employee: summary.leader.externalID)?.isCurrent == true)

            // Loading again changes nothing.
            let audit = try await store.auditLog(organisationID: org, limit: 500).count
            var again = try await DemoOrganisation.load(into: store, scale: Self.scale)
            #expect(!again.created)
            again.created = true
            #expect(again == summary)
            #expect(try await store.auditLog(organisationID: org, limit: 500).count == audit)
        }
    }

    /// The seeds' story (`shared/seeds/`): the campaign asks men to sign, and more than 23,000 did
    /// out of a much larger workforce; the drive is under way, not over.
    @Test func theDemoTellsTheSeedsStoryAMinorityOfMenSignedAndTheGoalIsAhead() async throws {
        try await TestDatabase.withStore { store in
            let summary = try await DemoOrganisation.load(into: store, scale: Self.scale)
            let org = summary.organisation.id
            let campaign = try await store.campaign(organisationID: org, reference: summary.campaignSlug)
            let ranking = try await store.ranking(organisationID: org, campaign: summary.campaignSlug, metric: .participation, viewer: .hrAdmin)
            let total = try #require(ranking.ranking.total)

            // The audience is the men (about 70% of the workforce): low double digits of them signed,
            // a minority of the whole workforce.
            let ofWorkforce = Double(summary.signatures) / Double(summary.activeEmployees)
            #expect((0.12...0.20).contains(ofWorkforce), "\(summary.signatures) signatures, \(summary.activeEmployees) active employees")
            let participation = try #require(total.participation)
            #expect((0.10...0.25).contains(participation), "participation \(participation)")

            // The campaign's goal is visibly ahead, and the success rule (goals met in 3 countries) does not hold yet.
            let goal = try #require(campaign.goalParticipation)
            #expect(participation < goal * 0.9, "participation \(participation), goal \(goal)")
            #expect(ranking.successMet == false && ranking.countriesMeetingGoal < 3)

            // India, Brazil, the USA and France lead by signatures too, well ahead of everybody else.
            let bySignatures = try await store.ranking(organisationID: org, campaign: summary.campaignSlug, metric: .signatures, viewer: .hrAdmin)
            #expect(Set(bySignatures.ranking.rows.prefix(4).map(\.key)) == ["IN", "BR", "US", "FR"])
            let leading = ranking.ranking.rows.filter { ["IN", "BR", "US", "FR"].contains($0.key) }.compactMap(\.participation)
            #expect(leading.count == 4 && leading.allSatisfy { $0 < 0.4 }, "the leaders are ahead, not done: \(leading)")

            // Stories are dated across the campaign's five months.
            var posts: [Post] = []
            for list in [ModerationList.approved, .hidden, .pending, .rejected] {
                posts += try await store.moderationQueue(organisationID: org, campaignID: campaign.id, list: list, limit: 500).posts
            }
            try #require(posts.count == summary.approvedStories + summary.pendingStories + summary.rejectedStories)
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
            let now = Date()
            for month in 0..<5 {
                let from = try #require(calendar.date(byAdding: .month, value: month, to: campaign.startsAt))
                let to = min(try #require(calendar.date(byAdding: .month, value: month + 1, to: campaign.startsAt)), now)
                #expect(posts.contains { $0.status == .approved && $0.createdAt >= from && $0.createdAt < to },
                        "no approved story in the campaign's month \(month + 1)")
            }

            // Each story names a place (a site or an event's city) and every place it names is in its author's country.
            var employees: [Employee] = []
            var cursor: String?
            repeat {
                let page = try await store.employees(organisationID: org, after: cursor, limit: 1000)
                employees += page
                cursor = page.count == 1000 ? page.last?.externalID : nil
            } while cursor != nil
            var placeCountries: [String: Set<String>] = [:]
            for employee in employees {
                if let site = employee.site { placeCountries[site, default: []].insert(employee.country) }
            }
            for event in try await store.events(organisationID: org, campaignID: campaign.id, limit: 200).events {
                if let city = event.city { placeCountries[city, default: []].insert(event.country) }
            }
            let countryOf = Dictionary(uniqueKeysWithValues: employees.map { ($0.externalID, $0.country) })
            for post in posts {
                let country = try #require(countryOf[post.authorExternalID])
                let named = placeCountries.filter { post.body.contains($0.key) }
                #expect(!named.isEmpty, "a story from \(country) names no place: \(post.body)")
                for (place, countries) in named {
                    #expect(countries.contains(country), "a story from \(country) names \(place) (\(countries.sorted())): \(post.body)")
                }
            }
        }
    }

    @Test func theSameSeedGivesTheSameWorkforceAndSignatures() async throws {
        let first = try await TestDatabase.withStore { try await Self.snapshot($0, seed: 7) }
        let second = try await TestDatabase.withStore { try await Self.snapshot($0, seed: 7) }
        #expect(first.employees.count > 1_000)
        #expect(first.employees == second.employees)
        #expect(first.signatures == second.signatures)
        #expect(first.signatures.values.reduce(0, +) > 0)
    }

    /// The employees (without their database ids) and the signatures per country.
    struct Snapshot: Sendable {
        var employees: [String]
        var signatures: [String: Int]
    }

    static func snapshot(_ store: MobiliseStore, seed: UInt64) async throws -> Snapshot {
        let summary = try await DemoOrganisation.load(into: store, slug: "demo", seed: seed, scale: scale)
        let org = summary.organisation.id
        var employees: [String] = []
        var cursor: String?
        while true {
            let page = try await store.employees(organisationID: org, after: cursor, limit: 1000)
            employees += page.map { e in
                [e.externalID, e.email ?? "", e.displayName ?? "", e.country, e.site ?? "", e.orgUnit ?? "", e.gender.rawValue,
                 e.managerExternalID ?? "", String(e.active)].joined(separator: "|")
            }
            guard let last = page.last, page.count == 1000 else { break }
            cursor = last.externalID
        }
        let ranking = try await store.ranking(organisationID: org, campaign: summary.campaignSlug, metric: .signatures, viewer: .hrAdmin)
        return Snapshot(employees: employees, signatures: Dictionary(uniqueKeysWithValues: ranking.ranking.rows.map { ($0.key, $0.signatures) }))
    }
}
