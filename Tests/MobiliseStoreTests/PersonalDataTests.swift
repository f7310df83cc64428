import Foundation
import MobiliseDomain
import MobiliseStore
import MobiliseTesting
import Testing

@Suite struct PersonalDataTests {
    @Test func exportHoldsEverythingAndErasureKeepsSignaturesButLeavesTheWorkforce() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store, privacyK: 3)
            let org = fixture.organisation.id
            let india = try await fixture.hire(12, in: "IN", site: "Pune", orgUnit: "Energy Management")
            let brazil = try await fixture.hire(5, in: "BR", site: "São Paulo")
            let campaign = try await fixture.campaign()
            let now = Date()
            for (index, person) in (india.prefix(5) + brazil.prefix(2)).enumerated() {
                _ = try await fixture.sign(person, campaign, at: now - Double(index) * 3 * 86_400)
            }
            let subject = india[0]
            _ = try await store.createPost(organisationID: org, campaignID: campaign.id, author: subject, body: "I signed #HeForShe")
            let event = try await store.createEvent(
                organisationID: org, campaignID: campaign.id,
                EventDraft(title: "Pune town hall", kind: .city, country: "IN", city: "Pune", startsAt: now + 86_400,
                           endsAt: now + 90_000, capacity: nil, hostExternalID: india[1]),
                actor: fixture.admin)
            _ = try await store.rsvp(organisationID: org, eventID: event.id, employee: subject)
            // A paper sheet that names the subject (typed in by HR; not yet confirmed).
            _ = try await store.enterPaperBatch(
                organisationID: org, campaign: campaign.slug,
                PaperEntryDraft(reference: "sheet-7", channel: .paper, eventID: nil, signedAt: nil, externalIDs: [subject, india[2]], unidentified: 1),
                actor: fixture.admin, by: .hrAdmin)

            let export = try #require(try await store.exportPersonalData(organisationID: org, externalID: subject))
            #expect(export.employee.externalID == subject)
            #expect(export.signatures.map(\.campaign) == ["heforshe"])
            #expect(export.posts.map(\.body) == ["I signed #HeForShe"])
            #expect(export.rsvps.map(\.eventTitle) == ["Pune town hall"])
            #expect(export.paperEntries.map { "\($0.campaign) \($0.batch) \($0.batchStatus) \($0.channel)" } == ["heforshe sheet-7 pending paper"])
            #expect(try await store.exportPersonalData(organisationID: org, externalID: india[3])?.paperEntries.isEmpty == true)
            #expect(export.reminders.isEmpty && export.remindersOptedOutAt == nil)

            // What the signatures say: per country, the signatures and their weeks.
            func signatureFigures() async throws -> [String] {
                var lines: [String] = []
                let ranking = try await store.ranking(organisationID: org, campaign: campaign.slug, metric: .signatures, viewer: .hrAdmin)
                for row in ranking.ranking.rows.sorted(by: { $0.key < $1.key }) {
                    lines.append("\(row.key) \(row.signatures) \(row.last7Days) \(row.previous7Days)")
                }
                let timeline = try await store.timeline(organisationID: org, campaign: campaign.slug, viewer: .hrAdmin)
                lines.append("\(timeline.weeks) \(timeline.series.sorted { $0.key < $1.key }) \(timeline.total)")
                let breakdown = try await store.countryBreakdown(organisationID: org, campaign: campaign.slug, country: "IN", viewer: .hrAdmin)
                lines.append("\(breakdown.bySite.rows.map { "\($0.key) \($0.signatures)" }) \(breakdown.byOrgUnit.rows.map { "\($0.key) \($0.signatures)" })")
                return lines
            }
            func eligible() async throws -> [String: Int] {
                let ranking = try await store.ranking(organisationID: org, campaign: campaign.slug, metric: .signatures, viewer: .hrAdmin)
                return Dictionary(uniqueKeysWithValues: ranking.ranking.rows.map { ($0.key, $0.eligible) })
            }
            let before = try await signatureFigures()
            let eligibleBefore = try await eligible()

            let pseudonym = try #require(try await store.eraseEmployee(organisationID: org, externalID: subject, actor: fixture.admin))
            #expect(pseudonym.hasPrefix("erased-"))
            #expect(try await store.employee(organisationID: org, externalID: subject) == nil)
            #expect(try await store.exportPersonalData(organisationID: org, externalID: subject) == nil)
            let leftovers = try await store.pool.query("""
                SELECT (SELECT count(*) FROM posts WHERE body LIKE 'I signed%') + (SELECT count(*) FROM event_rsvps)
                     + (SELECT count(*) FROM employees WHERE external_id = \(subject))
                """).scalar(Int.self)
            #expect(leftovers == 0)
            // The signature stays, anonymised: same country, same week, same site and unit.
            let after = try await signatureFigures()
            #expect(after == before)
            for (old, new) in zip(before, after) where old != new { Issue.record("changed:\n\(old)\n\(new)") }
            // The person is no longer employed: inactive, without gender, site or unit, out of the headcount.
            let erased = try #require(try await store.employee(organisationID: org, externalID: pseudonym))
            #expect(!erased.active && erased.gender == .undisclosed && erased.site == nil && erased.orgUnit == nil)
            #expect(erased.country == "IN" && erased.email == nil && erased.displayName == nil)
            var expected = eligibleBefore
            expected["IN"]? -= 1
            #expect(try await eligible() == expected)
            #expect(try await store.verifyCounts(organisationID: org, campaign: campaign.slug).isEmpty)
            let audit = try await store.auditLog(organisationID: org)
            #expect(audit.first?.action == "employee.erase" && audit.first?.subject == pseudonym)
            #expect(!audit.contains { $0.actor == subject || $0.subject == subject })
            #expect(try await store.eraseEmployee(organisationID: org, externalID: subject, actor: fixture.admin) == nil)
        }
    }
}
