import Foundation
import MobiliseDomain
import MobiliseStore
import MobiliseTesting
import Testing

@Suite struct CampaignLifecycleTests {
    @Test func aCampaignMovesForwardOnlyAndDraftsAloneCanChange() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store)
            let org = fixture.organisation.id
            let draft = try await fixture.campaign(goals: ["IN": .signatures(5000), "FR": .participation(0.3)], launch: false)
            #expect(draft.status == .draft)
            #expect(draft.countryGoals == ["IN": .signatures(5000), "FR": .participation(0.3)])
            #expect(try await store.campaign(organisationID: org, reference: draft.id.uuidString) == draft)

            var changes = CampaignDraft(slug: "heforshe", hashtag: "#HeForShe", title: ["en": "HeForShe", "fr": "ElleLui"],
                                        pledgeText: ["en": "I commit"], startsAt: draft.startsAt, endsAt: draft.endsAt)
            let updated = try await store.updateCampaign(organisationID: org, reference: "heforshe", changes, actor: fixture.admin)
            #expect(updated.title["fr"] == "ElleLui" && updated.countryGoals.isEmpty)

            let refused = await #expect(throws: MobiliseError.self) {
                try await store.moveCampaign(organisationID: org, reference: "heforshe", to: .closed, actor: fixture.admin)
            }
            #expect(refused?.kind == .conflict && refused?.code == .invalidTransition)
            _ = try await store.moveCampaign(organisationID: org, reference: "heforshe", to: .active, actor: fixture.admin)
            changes.title["de"] = "ErFürSie"
            let locked = await #expect(throws: MobiliseError.self) {
                try await store.updateCampaign(organisationID: org, reference: "heforshe", changes, actor: fixture.admin)
            }
            #expect(locked?.code == .campaignNotDraft)
            _ = try await store.moveCampaign(organisationID: org, reference: "heforshe", to: .closed, actor: fixture.admin)
            let archived = try await store.moveCampaign(organisationID: org, reference: "heforshe", to: .archived, actor: fixture.admin)
            #expect(archived.status == .archived)
            await #expect(throws: MobiliseError.self) {
                try await store.moveCampaign(organisationID: org, reference: "heforshe", to: .active, actor: fixture.admin)
            }
            let actions = try await store.auditLog(organisationID: org).map(\.action)
            #expect(actions == ["campaign.archived", "campaign.closed", "campaign.active", "campaign.update", "campaign.create"])
        }
    }

    @Test func refusalsForDuplicatesUnknownCountriesAndMissingCampaigns() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store)
            _ = try await fixture.campaign(launch: false)
            let duplicate = await #expect(throws: MobiliseError.self) { try await fixture.campaign(launch: false) }
            #expect(duplicate?.kind == .conflict)
            let unknownCountry = await #expect(throws: MobiliseError.self) {
                try await fixture.campaign(slug: "other", goals: ["ZZ": .signatures(3)], launch: false)
            }
            #expect(unknownCountry?.code == .unknownCountry)
            // An audience is checked against the same list: UK (for GB) would otherwise admit no one.
            let unknownAudience = await #expect(throws: MobiliseError.self) {
                try await fixture.campaign(slug: "other", audience: Audience(countries: ["FR", "UK"]), launch: false)
            }
            #expect(unknownAudience?.code == .unknownCountry && unknownAudience?.message.contains("'UK'") == true
                    && unknownAudience?.message.contains("did you mean GB?") == true, "\(String(describing: unknownAudience))")
            let draft = try await fixture.campaign(slug: "other", audience: Audience(countries: ["FR", "GB"]), launch: false)
            var changes = CampaignDraft(slug: draft.slug, hashtag: draft.hashtag, title: draft.title, pledgeText: draft.pledgeText,
                                        startsAt: draft.startsAt, endsAt: draft.endsAt, audience: Audience(countries: ["ZZ"]))
            let unknownOnUpdate = await #expect(throws: MobiliseError.self) {
                try await store.updateCampaign(organisationID: fixture.organisation.id, reference: "other", changes, actor: fixture.admin)
            }
            #expect(unknownOnUpdate?.code == .unknownCountry)
            changes.audience = Audience(countries: ["GB"])
            let updated = try await store.updateCampaign(organisationID: fixture.organisation.id, reference: "other", changes, actor: fixture.admin)
            #expect(updated.audience.countries == ["GB"])
            let missing = await #expect(throws: MobiliseError.self) {
                try await store.campaign(organisationID: fixture.organisation.id, reference: "nope")
            }
            #expect(missing?.kind == .notFound)
            // Another organisation never sees it.
            let other = try await store.createOrganisation(slug: "globex", name: "Globex")
            await #expect(throws: MobiliseError.self) { try await store.campaign(organisationID: other.id, reference: "heforshe") }
        }
    }
}

@Suite struct SigningTests {
    @Test func signingIsIdempotentAndWithdrawalKeepsHistory() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store)
            let org = fixture.organisation.id
            let people = try await fixture.hire(3, in: "IN")
            let campaign = try await fixture.campaign()
            let first = try await fixture.sign(people[0], campaign)
            #expect(first.created && first.signature.isCurrent && first.signature.country == "IN")
            let again = try await fixture.sign(people[0], campaign)
            #expect(!again.created && again.signature == first.signature)
            #expect(try await store.pool.query("SELECT count(*) FROM signatures").scalar(Int.self) == 1)

            let withdrawn = try #require(try await store.withdraw(organisationID: org, campaign: campaign.slug, employee: people[0]))
            #expect(withdrawn.withdrawnAt != nil && withdrawn.id == first.signature.id)
            let twice = try await store.withdraw(organisationID: org, campaign: campaign.slug, employee: people[0])
            #expect(twice?.withdrawnAt == withdrawn.withdrawnAt)
            #expect(try await store.withdraw(organisationID: org, campaign: campaign.slug, employee: people[1]) == nil)

            let resigned = try await fixture.sign(people[0], campaign)
            #expect(resigned.created && resigned.signature.isCurrent && resigned.signature.id == first.signature.id)
            let stored = try await store.signature(organisationID: org, campaign: campaign.slug, employee: people[0])
            #expect(stored == resigned.signature)
            let events = try await store.pool.query("SELECT array_agg(delta ORDER BY id) FROM signature_events").scalar([Int].self)
            #expect(events == [1, -1, 1])
            #expect(try await store.verifyCounts(organisationID: org, campaign: campaign.slug).isEmpty)
        }
    }

    @Test func everyRefusalHasItsOwnCode() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store)
            let org = fixture.organisation.id
            let men = try await fixture.hire(2, in: "IN", orgUnit: "Energy Management/Buildings")
            let women = try await fixture.hire(1, in: "IN", prefix: "w", gender: .female)
            let gone = try await fixture.hire(1, in: "IN", prefix: "gone", active: false)
            let draft = try await fixture.campaign(slug: "draft", launch: false)
            let future = try await fixture.campaign(slug: "future", startsAt: Date().addingTimeInterval(86_400))
            let men_only = try await fixture.campaign(slug: "men", audience: Audience(genders: [.male], orgUnits: ["Energy Management"]))
            let other = try await fixture.campaign(slug: "other")

            func code(_ body: () async throws -> Void) async -> String? {
                do { try await body(); return nil } catch let error as MobiliseError { return error.code.rawValue } catch { return "\(error)" }
            }
            #expect(await code { _ = try await fixture.sign(men[0], draft) } == "campaign_not_active")
            #expect(await code { _ = try await fixture.sign(men[0], future) } == "campaign_not_started")
            #expect(await code { _ = try await fixture.sign(women[0], men_only) } == "not_in_audience")
            #expect(await code { _ = try await fixture.sign(gone[0], other) } == "employee_inactive")
            #expect(await code { _ = try await fixture.sign("nobody", other) } == "employee_not_found")
            #expect(await code {
                _ = try await store.sign(organisationID: org, campaign: "other", employee: men[0], channel: .event)
            } == "event_required")
            #expect(await code {
                _ = try await store.sign(organisationID: org, campaign: "other", employee: men[0], eventID: UUID())
            } == "unknown_event")
            #expect(await code { _ = try await fixture.sign(men[1], men_only) } == nil)
            _ = try await store.moveCampaign(organisationID: org, reference: "other", to: .closed, actor: fixture.admin)
            #expect(await code { _ = try await fixture.sign(men[0], other) } == "campaign_not_active")
            #expect(try await store.pool.query("SELECT count(*) FROM signatures").scalar(Int.self) == 1)
        }
    }

    @Test func aRelocationDoesNotMovePastSignatures() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store, privacyK: 1)
            let org = fixture.organisation.id
            let people = try await fixture.hire(2, in: "FR")
            let campaign = try await fixture.campaign()
            _ = try await fixture.sign(people[0], campaign)
            try await store.pool.execute("UPDATE employees SET country = 'DE' WHERE external_id = \(people[0])")
            let ranking = try await store.ranking(organisationID: org, campaign: campaign.slug, metric: .signatures, viewer: .hrAdmin)
            #expect(ranking.ranking.rows.map { "\($0.key):\($0.signatures)/\($0.eligible)" } == ["FR:1/1", "DE:0/1"])
            // Withdrawing takes it from the country it was counted in; signing again counts it where they work now.
            _ = try await store.withdraw(organisationID: org, campaign: campaign.slug, employee: people[0])
            _ = try await fixture.sign(people[0], campaign)
            let after = try await store.ranking(organisationID: org, campaign: campaign.slug, metric: .signatures, viewer: .hrAdmin)
            #expect(after.ranking.rows.map { "\($0.key):\($0.signatures)" } == ["DE:1", "FR:0"])
            #expect(try await store.verifyCounts(organisationID: org, campaign: campaign.slug).isEmpty)
        }
    }

    @Test func fiftyConcurrentSignersOfOneCountryLeaveTheCountsExact() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store)
            let org = fixture.organisation.id
            let people = try await fixture.hire(50, in: "IN")
            let campaign = try await fixture.campaign()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for person in people {
                    // Each signs twice at once, and every third withdraws and signs again.
                    group.addTask { _ = try await fixture.sign(person, campaign) }
                    group.addTask {
                        _ = try await fixture.sign(person, campaign)
                        if person.hasSuffix("0") || person.hasSuffix("3") || person.hasSuffix("6") {
                            _ = try await store.withdraw(organisationID: org, campaign: campaign.slug, employee: person)
                            _ = try await fixture.sign(person, campaign)
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await store.pool.query("SELECT count(*) FROM signatures WHERE withdrawn_at IS NULL").scalar(Int.self) == 50)
            let ranking = try await store.ranking(organisationID: org, campaign: campaign.slug, metric: .signatures, viewer: .hrAdmin)
            #expect(ranking.ranking.rows.first?.signatures == 50)
            #expect(try await store.verifyCounts(organisationID: org, campaign: campaign.slug).isEmpty)
        }
    }
}

@Suite struct EventSigningTests {
    @Test func signingAtAnEventRecordsTheChannelAndTheEvent() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store)
            let org = fixture.organisation.id
            let people = try await fixture.hire(2, in: "BR", prefix: "br")
            let campaign = try await fixture.campaign()
            let now = Date()
            let event = try await store.createEvent(
                organisationID: org, campaignID: campaign.id,
                EventDraft(title: "São Paulo town hall", kind: .city, country: "BR", city: "São Paulo",
                           startsAt: now - 3600, endsAt: now + 3600, capacity: 50, hostExternalID: people[1]),
                actor: fixture.admin)
            let signed = try await store.sign(organisationID: org, campaign: campaign.slug, employee: people[0], eventID: event.id)
            #expect(signed.signature.channel == .event && signed.signature.eventID == event.id)
        }
    }
}
