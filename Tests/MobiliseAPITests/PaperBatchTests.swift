import Foundation
import HTTPTypes
import MobiliseDomain
import MobiliseTesting
import Testing

/// Paper and event signatures entered twice, over HTTP with real PostgreSQL: a batch counts only
/// once two different people's entries agree; disagreements wait for a third look; signers not in
/// the HR file go to an anonymous tally that never counts in participation.
@Suite struct PaperBatchTests {
    typealias JSON = [String: any Sendable]

    static func entry(_ reference: String, _ ids: [String], unidentified: Int = 0, event: String? = nil) -> String {
        let list = ids.map { "\"\($0)\"" }.joined(separator: ", ")
        let eventPart = event.map { #", "channel": "event", "event_id": "\#($0)""# } ?? ""
        return #"{"reference": "\#(reference)", "external_ids": [\#(list)], "unidentified": \#(unidentified)\#(eventPart)}"#
    }

    static func totalSignatures(_ service: ServiceHarness, _ slug: String) async throws -> Int? {
        let hr = try await service.token("hr-1", [.hrAdmin])
        let rankings = try await service.call(.get, "/v1/campaigns/\(slug)/rankings?metric=participation", token: hr)
        return (rankings.json["total"] as? JSON)?["signatures"] as? Int
    }

    @Test func aBatchCountsOnlyWhenTwoPeoplesEntriesAgreeAndUnknownIDsGoToTheAnonymousTally() async throws {
        try await ServiceHarness.run { service in
            let slug = try await service.launchedCampaign()
            let first = try await service.token("hr-1", [.hrAdmin])
            let second = try await service.token("lead-1", [.hrAdmin])
            let path = "/v1/campaigns/\(slug)/paper-batches"
            // in-6 signed online before the sheet was typed in.
            let online = try await service.call(.put, "/v1/campaigns/\(slug)/signature", token: try await service.token("in-6", [.employee]))
            #expect(online.status == .created)

            let sheet = ["in-1", "in-2", "in-6", "gone-1", "visitor-77"]
            let one = try await service.call(.post, path, token: first, json: Self.entry("Pune canteen 1", sheet, unidentified: 2))
            #expect(one.status == .created, "\(one.text)")
            #expect(one.json["status"] as? String == "pending" && one.json["outcome"] == nil)
            // One entry counts nothing.
            #expect(try await service.store.signature(organisationID: service.acme.id, campaign: slug, employee: "in-1") == nil)
            #expect(try await Self.totalSignatures(service, slug) == 1)

            // The second person types the same sheet (in another order, with stray spaces): it agrees.
            let two = try await service.call(.post, path, token: second, json: Self.entry(
                " Pune canteen 1 ", ["visitor-77", "gone-1 ", "in-6", "in-2", "in-1", "in-1"], unidentified: 2))
            #expect(two.status == .created, "\(two.text)")
            #expect(two.json["status"] as? String == "confirmed")
            let outcome = try #require(two.json["outcome"] as? JSON, "\(two.text)")
            #expect(outcome["how"] as? String == "agreement")
            #expect(outcome["signed"] as? Int == 2)
            #expect(outcome["already_signed"] as? Int == 1)
            #expect(outcome["refused"] as? [String] == ["gone-1"])
            #expect(outcome["anonymous"] as? Int == 3, "visitor-77 and the two unidentified")
            let signature = try await service.store.signature(organisationID: service.acme.id, campaign: slug, employee: "in-1")
            #expect(signature?.channel == .paper && signature?.isCurrent == true)
            // Participation counts employees' signatures only: 1 online + 2 from paper, not the anonymous 3.
            #expect(try await Self.totalSignatures(service, slug) == 3)

            // Idempotent re-submission, by either person: 200, the same batch, nothing counted twice.
            let again = try await service.call(.post, path, token: second, json: Self.entry("Pune canteen 1", sheet, unidentified: 2))
            #expect(again.status == .ok && again.json["status"] as? String == "confirmed", "\(again.text)")
            #expect((again.json["entries"] as? [Any])?.count == 2)
            #expect(try await service.call(.post, path, token: first, json: Self.entry("Pune canteen 1", sheet, unidentified: 2)).status == .ok)
            #expect(try await Self.totalSignatures(service, slug) == 3)
            // A third person with other content for a confirmed batch: refused, clearly.
            let late = try await service.call(.post, path, token: try await service.token("in-5", [.hrAdmin]),
                                              json: Self.entry("Pune canteen 1", ["in-3"]))
            #expect(late.status == .conflict && late.errorCode == "paper_batch_confirmed", "\(late.text)")

            let tally = try await service.call(.get, "/v1/campaigns/\(slug)/paper-tally", token: first)
            #expect(tally.status == .ok, "\(tally.text)")
            #expect(tally.json["signed"] as? Int == 2 && tally.json["anonymous"] as? Int == 3 && tally.json["already_signed"] as? Int == 1)
            #expect(tally.json["confirmed"] as? Int == 1 && tally.json["pending"] as? Int == 0 && tally.json["disputed"] as? Int == 0)

            // The audit log has the entries and the confirmation (counts only).
            let audit = try await service.call(.get, "/v1/audit?action=paper.", token: first)
            let actions = (audit.json["entries"] as? [JSON] ?? []).compactMap { $0["action"] as? String }
            #expect(actions.filter { $0 == "paper.entry" }.count == 2 && actions.contains("paper.confirm"), "\(audit.text)")
            #expect(!audit.text.contains("in-1\""), "no signer's HR id in the audit details")

            // Erasing a signer (GDPR) takes their HR id out of the sheets too.
            #expect(try await service.call(.delete, "/v1/employees/in-1", token: first).status == .noContent)
            let afterErasure = try await service.call(.get, path, token: first)
            #expect(afterErasure.status == .ok && !afterErasure.text.contains("\"in-1\"") && afterErasure.text.contains("in-2"), "\(afterErasure.text)")
        }
    }

    /// An HR id typed from a sheet in another case still names its employee (handwriting typed as
    /// `IN-3` for `in-3`) instead of going to the anonymous tally, and a sheet dated before the
    /// campaign opens is refused when it is entered, not confirmed with every signer refused.
    @Test func anIDTypedInAnotherCaseSignsItsEmployeeAndASheetBeforeTheStartIsRefused() async throws {
        try await ServiceHarness.run { service in
            let slug = try await service.launchedCampaign()
            let first = try await service.token("hr-1", [.hrAdmin])
            let second = try await service.token("lead-1", [.hrAdmin])
            let path = "/v1/campaigns/\(slug)/paper-batches"
            for token in [first, second] {
                let entered = try await service.call(.post, path, token: token, json: Self.entry("Lyon canteen 2", ["IN-3", "In-4", "visitor-9"]))
                #expect(entered.status == .created, "\(entered.text)")
            }
            let batches = try await service.call(.get, path, token: first)
            let outcome = (batches.json["batches"] as? [JSON])?.first?["outcome"] as? JSON
            #expect(outcome?["signed"] as? Int == 2 && outcome?["anonymous"] as? Int == 1, "\(batches.text)")
            for employee in ["in-3", "in-4"] {
                let signature = try await service.store.signature(organisationID: service.acme.id, campaign: slug, employee: employee)
                #expect(signature?.channel == .paper && signature?.isCurrent == true, "\(employee)")
            }

            let early = try await service.call(.post, path, token: first, json: #"{"reference": "Old sheet", "external_ids": ["in-5"], "unidentified": 0, "signed_at": "2000-01-03T09:00:00Z"}"#)
            #expect(early.status == .unprocessableContent && early.errorCode == "campaign_not_started", "\(early.text)")
        }
    }

    @Test func theSamePersonCannotEnterTwiceAndDisagreementsWaitForAThirdLook() async throws {
        try await ServiceHarness.run { service in
            let slug = try await service.launchedCampaign()
            let hr = try await service.token("hr-1", [.hrAdmin])
            let other = try await service.token("lead-1", [.hrAdmin])
            let third = try await service.token("in-5", [.hrAdmin])
            let path = "/v1/campaigns/\(slug)/paper-batches"

            #expect(try await service.call(.post, path, token: hr, json: Self.entry("sheet-2", ["in-3"])).status == .created)
            // The same person typing it again differently is no second entry.
            let twice = try await service.call(.post, path, token: hr, json: Self.entry("sheet-2", ["in-3", "in-4"]))
            #expect(twice.status == .conflict && twice.errorCode == "paper_entry_conflict", "\(twice.text)")

            // Someone else reads the sheet differently: disputed, with what differs.
            let disagree = try await service.call(.post, path, token: other, json: Self.entry("sheet-2", ["in-3", "in-4"], unidentified: 1))
            #expect(disagree.status == .created && disagree.json["status"] as? String == "disputed", "\(disagree.text)")
            let discrepancies = try #require(disagree.json["discrepancies"] as? JSON)
            #expect(discrepancies["external_ids"] as? [String] == ["in-4"])
            #expect(discrepancies["fields"] as? [String] == ["unidentified"])
            #expect(try await service.store.signature(organisationID: service.acme.id, campaign: slug, employee: "in-3") == nil)
            let disputed = try await service.call(.get, "\(path)?status=disputed", token: hr)
            #expect((disputed.json["batches"] as? [JSON])?.map { $0["reference"] as? String } == ["sheet-2"], "\(disputed.text)")

            // A third entry agreeing with the first settles it.
            let settled = try await service.call(.post, path, token: third, json: Self.entry("sheet-2", ["in-3"]))
            #expect(settled.json["status"] as? String == "confirmed", "\(settled.text)")
            #expect((settled.json["outcome"] as? JSON)?["signed"] as? Int == 1)
            #expect(try await service.store.signature(organisationID: service.acme.id, campaign: slug, employee: "in-3")?.channel == .paper)
            #expect(try await service.store.signature(organisationID: service.acme.id, campaign: slug, employee: "in-4") == nil)

            // Or an HR admin decides which entry counts.
            #expect(try await service.call(.post, path, token: hr, json: Self.entry("sheet-3", ["br-1"])).status == .created)
            let split = try await service.call(.post, path, token: other, json: Self.entry("sheet-3", ["br-2"]))
            #expect(split.json["status"] as? String == "disputed")
            let entries = try #require(split.json["entries"] as? [JSON])
            let chosen = try #require(entries.first { $0["entered_by"] as? String == "lead-1" }?["id"] as? String)
            let decisionPath = "\(path)/sheet-3/decision"
            let notHR = try await service.call(.post, decisionPath, token: try await service.token("lead-1", [.leader]),
                                               json: #"{"entry_id": "\#(chosen)"}"#)
            #expect(notHR.status == .forbidden)
            let stray = try await service.call(.post, decisionPath, token: hr, json: #"{"entry_id": "\#(UUID().uuidString)"}"#)
            #expect(stray.status == .notFound && stray.errorCode == "paper_entry_not_found")
            let decided = try await service.call(.post, decisionPath, token: hr, json: #"{"entry_id": "\#(chosen)"}"#)
            #expect(decided.status == .ok && decided.json["status"] as? String == "confirmed", "\(decided.text)")
            #expect((decided.json["outcome"] as? JSON)?["how"] as? String == "decision")
            #expect(try await service.store.signature(organisationID: service.acme.id, campaign: slug, employee: "br-2")?.channel == .paper)
            #expect(try await service.store.signature(organisationID: service.acme.id, campaign: slug, employee: "br-1") == nil)
            let twiceDecided = try await service.call(.post, decisionPath, token: hr, json: #"{"entry_id": "\#(chosen)"}"#)
            #expect(twiceDecided.status == .conflict && twiceDecided.errorCode == "paper_batch_confirmed")
            let missing = try await service.call(.post, "\(path)/no-such-sheet/decision", token: hr, json: #"{"entry_id": "\#(chosen)"}"#)
            #expect(missing.status == .notFound && missing.errorCode == "paper_batch_not_found")
        }
    }

    @Test func anEventsHostEntersItsSheetAndLearnsNoOutcome() async throws {
        try await ServiceHarness.run { service in
            let slug = try await service.launchedCampaign()
            let hr = try await service.token("hr-1", [.hrAdmin])
            let created = try await service.call(.post, "/v1/campaigns/\(slug)/events", token: hr, json: """
                {"title": "Valletta breakfast", "kind": "city", "country": "MT", "city": "Valletta",
                 "starts_at": "\(rfc3339(Date().addingTimeInterval(-3_600)))", "ends_at": "\(rfc3339(Date().addingTimeInterval(3_600)))",
                 "host": "mt-2"}
                """)
            let eventID = try #require(created.json["id"] as? String, "\(created.text)")
            let path = "/v1/campaigns/\(slug)/paper-batches"
            let host = try await service.token("mt-2", [.employee])

            // Not the host: refused; the host without naming the event: refused.
            let stranger = try await service.call(.post, path, token: try await service.token("mt-1", [.employee]),
                                                  json: Self.entry("door", ["mt-1"], event: eventID))
            #expect(stranger.status == .forbidden, "\(stranger.text)")
            #expect(try await service.call(.post, path, token: host, json: Self.entry("door", ["mt-1"])).status == .forbidden)

            let byHost = try await service.call(.post, path, token: host, json: Self.entry("door", ["mt-1", "guest-1"], event: eventID))
            #expect(byHost.status == .created && byHost.json["status"] as? String == "pending", "\(byHost.text)")
            let byHR = try await service.call(.post, path, token: hr, json: Self.entry("door", ["guest-1", "mt-1"], event: eventID))
            #expect(byHR.json["status"] as? String == "confirmed", "\(byHR.text)")
            let signature = try await service.store.signature(organisationID: service.acme.id, campaign: slug, employee: "mt-1")
            #expect(signature?.channel == .event && signature?.eventID?.uuidString.lowercased() == eventID.lowercased())
            // The host's re-submission is idempotent and tells them no outcome (who had signed, who was refused).
            let hostAgain = try await service.call(.post, path, token: host, json: Self.entry("door", ["mt-1", "guest-1"], event: eventID))
            #expect(hostAgain.status == .ok && hostAgain.json["status"] as? String == "confirmed" && hostAgain.json["outcome"] == nil)
            // Only HR reads the batches and the tally.
            #expect(try await service.call(.get, path, token: host).status == .forbidden)
            #expect(try await service.call(.get, "/v1/campaigns/\(slug)/paper-tally", token: host).status == .forbidden)
            let tally = try await service.call(.get, "/v1/campaigns/\(slug)/paper-tally", token: hr)
            let lines = try #require(tally.json["by_event"] as? [JSON])
            #expect(lines.count == 1 && (lines.first?["event_id"] as? String)?.lowercased() == eventID.lowercased())
            #expect(lines.first?["signed"] as? Int == 1 && lines.first?["anonymous"] as? Int == 1)
        }
    }
}
