import Foundation
import MobiliseDomain
import MobiliseStore
import Postgres

/// A small organisation with a workforce and a campaign, for store tests.
struct Fixture {
    let store: MobiliseStore
    let organisation: Organisation
    let admin = Actor("hr-admin")

    static func make(_ store: MobiliseStore, privacyK: Int = 10, slug: String = "acme") async throws -> Fixture {
        let organisation = try await store.createOrganisation(slug: slug, name: "Acme", privacyK: privacyK)
        return Fixture(store: store, organisation: organisation)
    }

    /// Adds employees `prefix-0…` in `country` (active, male unless told otherwise).
    func hire(_ count: Int, in country: String, prefix: String? = nil, site: String? = nil, orgUnit: String? = nil,
              gender: Gender = .male, active: Bool = true) async throws -> [String] {
        let ids = (0..<count).map { "\(prefix ?? country.lowercased())-\($0)" }
        try await store.pool.execute("""
            INSERT INTO employees (organisation_id, external_id, country, site, org_unit, gender, active)
            SELECT \(organisation.id), id, \(country), \(site), \(orgUnit), \(gender.rawValue), \(active) FROM unnest(\(ids)::text[]) AS id
            """)
        return ids
    }

    /// A campaign that opened a month ago and closes in four months.
    func campaign(slug: String = "heforshe", audience: Audience = .everyone, goals: [String: CountryGoal] = [:],
                  successMinCountries: Int? = nil, launch: Bool = true, startsAt: Date? = nil) async throws -> Campaign {
        let now = Date()
        let draft = CampaignDraft(
            slug: slug, hashtag: "#HeForShe", title: ["en": "HeForShe at Acme"], pledgeText: ["en": "I commit to gender equality"],
            startsAt: startsAt ?? now.addingTimeInterval(-30 * 86_400), endsAt: now.addingTimeInterval(120 * 86_400),
            audience: audience, countryGoals: goals, successMinCountries: successMinCountries)
        let created = try await store.createCampaign(organisationID: organisation.id, draft, actor: admin)
        guard launch else { return created }
        return try await store.moveCampaign(organisationID: organisation.id, reference: created.slug, to: .active, actor: admin)
    }

    func sign(_ employee: String, _ campaign: Campaign, at: Date? = nil) async throws -> SigningResult {
        try await store.sign(organisationID: organisation.id, campaign: campaign.slug, employee: employee, at: at)
    }
}
