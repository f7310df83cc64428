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
    static let scale = 0.05

    @Test func theDemoLoadsWithIndiaBrazilTheUSAndFranceLeadingAndExactCounts() async throws {
        try await TestDatabase.withStore { store in
            let summary = try await DemoOrganisation.load(into: store, scale: Self.scale)
            #expect(summary.created)
            #expect(summary.countries >= 60)
            #expect((1_800...2_300).contains(summary.employees), "\(summary.employees) employees")
            #expect(summary.activeEmployees < summary.employees)
            #expect((1_000...1_300).contains(summary.signatures), "\(summary.signatures) signatures")
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
            let folded = try await store.ranking(organisationID: org, campaign: summary.campaignSlug, metric: .participation, viewer: .leader)
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
