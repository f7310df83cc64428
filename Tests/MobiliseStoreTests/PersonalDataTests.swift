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

@Suite struct PaperErasureTests {
    /// Erasure takes a person's HR id out of paper sheets (sql/0028): out of every entry's HR ids
    /// into its signers without one, out of a confirmed batch's refused ids into a count; neither
    /// their HR id nor their pseudonym stays; the tally counts what it counted; two entries that
    /// agreed still agree, and a sheet still pending is confirmed by a second entry typed without it.
    @Test func erasureRemovesTheHRIdFromPaperSheetsAndTheTallyStays() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store, privacyK: 1)
            let org = fixture.organisation.id
            let india = try await fixture.hire(6, in: "IN")
            let campaign = try await fixture.campaign()
            let second = Actor("hr-second")
            // india[5] has left by the time the sheet is counted: refused.
            _ = try await store.importEmployees(
                organisationID: org, csv: Array("external_id,country,active\n\(india[5]),IN,false\n".utf8), mode: .upsert, actor: fixture.admin)
            let sheet = PaperEntryDraft(reference: "sheet-1", channel: .paper, eventID: nil, signedAt: nil,
                                        externalIDs: [india[0], india[1], india[5]].sorted(), unidentified: 0)
            _ = try await store.enterPaperBatch(organisationID: org, campaign: campaign.slug, sheet, actor: fixture.admin, by: .hrAdmin)
            let confirmed = try await store.enterPaperBatch(organisationID: org, campaign: campaign.slug, sheet, actor: second, by: .hrAdmin)
            #expect(confirmed.batch.status == .confirmed && confirmed.batch.outcome?.refusedIDs == [india[5]])
            _ = try await store.enterPaperBatch(
                organisationID: org, campaign: campaign.slug,
                PaperEntryDraft(reference: "sheet-2", channel: .paper, eventID: nil, signedAt: nil, externalIDs: [india[0], india[3]].sorted(),
                                unidentified: 1),
                actor: fixture.admin, by: .hrAdmin)
            let tallyBefore = try await store.paperTally(organisationID: org, campaign: campaign.slug)
            #expect(tallyBefore.signed == 2 && tallyBefore.refused == 1 && tallyBefore.pending == 1)

            let pseudonyms = [
                try #require(try await store.eraseEmployee(organisationID: org, externalID: india[0], actor: fixture.admin)),
                try #require(try await store.eraseEmployee(organisationID: org, externalID: india[5], actor: fixture.admin)),
            ]
            let gone = [india[0], india[5]] + pseudonyms
            let left = try await store.pool.query("""
                SELECT (SELECT count(*) FROM paper_entries WHERE external_ids && \(gone)::text[])
                     + (SELECT count(*) FROM paper_batches WHERE refused_ids && \(gone)::text[])
                """).scalar(Int.self)
            #expect(left == 0, "an erased person's HR id or pseudonym stays on a sheet")
            #expect(try await store.paperTally(organisationID: org, campaign: campaign.slug) == tallyBefore)

            let batches = try await store.paperBatches(organisationID: org, campaign: campaign.slug)
            let first = try #require(batches.first { $0.reference == "sheet-1" })
            #expect(first.entries.map(\.content.externalIDs) == [[india[1]], [india[1]]])
            #expect(first.entries.map(\.content.unidentified) == [2, 2] && first.discrepancies.externalIDs.isEmpty)
            #expect(first.outcome?.refusedIDs == [] && first.outcome?.refusedErased == 1 && first.outcome?.signed == 2)
            let pending = try #require(batches.first { $0.reference == "sheet-2" })
            #expect(pending.entries.map(\.content.externalIDs) == [[india[3]]] && pending.entries.map(\.content.unidentified) == [2])

            // The second entry of the pending sheet, typed after the erasure: it agrees, and counts.
            let agreed = try await store.enterPaperBatch(
                organisationID: org, campaign: campaign.slug,
                PaperEntryDraft(reference: "sheet-2", channel: .paper, eventID: nil, signedAt: nil, externalIDs: [india[3]], unidentified: 2),
                actor: second, by: .hrAdmin)
            #expect(agreed.batch.status == .confirmed && agreed.batch.outcome?.signed == 1 && agreed.batch.outcome?.anonymous == 2)
        }
    }
}
