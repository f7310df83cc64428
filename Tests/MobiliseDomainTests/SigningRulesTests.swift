import Foundation
import MobiliseDomain
import Testing

/// The signing rules alone; `GroupCommitTests` holds the two signing paths to them against PostgreSQL.
@Suite struct SigningRulesTests {
    let start = Date(timeIntervalSince1970: 1_900_000_000)
    let eventID = UUID()

    func campaign(_ status: CampaignStatus = .active, audience: Audience = Audience(genders: [.male])) -> Campaign {
        Campaign(id: UUID(), organisationID: UUID(), slug: "heforshe", hashtag: "HeForShe", defaultLanguage: "en",
                 title: ["en": "HeForShe"], pledgeText: ["en": "I commit"], status: status, startsAt: start,
                 endsAt: start.addingTimeInterval(86_400), audience: audience, goalSignatures: nil, goalParticipation: nil,
                 countryGoals: [:], successMinCountries: nil)
    }

    func request(channel: SignatureChannel = .web, event: UUID? = nil, at offset: TimeInterval? = 60, hidingDrafts: Bool = false) -> SigningRules.Request {
        SigningRules.Request(externalID: "E1", channel: channel, eventID: event, at: offset.map { start.addingTimeInterval($0) },
                             hidingDrafts: hidingDrafts)
    }

    func code(_ request: SigningRules.Request, _ campaign: Campaign, _ signer: SigningRules.Signer?, eventCampaign: UUID? = nil) -> String? {
        SigningRules.refusal(request, campaign: campaign, signer: signer, eventCampaign: eventCampaign)?.error.code.rawValue
    }

    @Test func anActiveEmployeeInTheAudienceMaySignAnOpenCampaign() {
        let open = campaign()
        #expect(code(request(), open, .active(admitted: true)) == nil)
        #expect(code(request(channel: .event, event: eventID), open, .active(admitted: true), eventCampaign: open.id) == nil)
    }

    @Test func theSignerComesFirstThenTheCampaignThenTheAudienceThenTheRequest() {
        let closed = campaign(.closed)
        let open = campaign()
        // Everything wrong at once: the unknown employee is said first.
        #expect(code(request(channel: .event), closed, .unknown) == "employee_not_found")
        #expect(code(request(channel: .event), closed, .inactive) == "employee_inactive")
        #expect(code(request(channel: .event), closed, .active(admitted: false)) == "campaign_not_active")
        #expect(code(request(channel: .event, at: -60), open, .active(admitted: false)) == "campaign_not_started")
        #expect(code(request(channel: .event), open, .active(admitted: false)) == "not_in_audience")
        #expect(code(request(channel: .event), open, .active(admitted: true)) == "event_required")
        #expect(code(request(channel: .event, event: eventID), open, .active(admitted: true), eventCampaign: UUID()) == "unknown_event")
        #expect(code(request(event: eventID), open, .active(admitted: true), eventCampaign: nil) == "unknown_event")
    }

    @Test func theDatesAreCheckedOnlyWhenTheTimeIsKnown() {
        let open = campaign()
        #expect(code(request(at: -1), open, .active(admitted: true)) == "campaign_not_started")
        #expect(code(request(at: 86_400), open, .active(admitted: true)) == "campaign_ended")
        #expect(code(request(at: 86_399), open, .active(admitted: true)) == nil)
        #expect(code(request(at: nil), open, .active(admitted: true)) == nil)
    }

    @Test func aDraftIsHiddenFromThoseWhoNeverSeeDrafts() {
        let draft = campaign(.draft)
        #expect(code(request(hidingDrafts: true), draft, .active(admitted: true)) == "campaign_not_found")
        #expect(code(request(), draft, .active(admitted: true)) == "campaign_not_active")
    }

    @Test func withoutASignerOnlyTheRulesThatNeedNoEmployeeApply() {
        let open = campaign()
        #expect(code(request(), open, nil) == nil)
        #expect(code(request(channel: .event), open, nil) == "event_required")
        #expect(code(request(), campaign(.archived), nil) == "campaign_not_active")
        #expect(SigningRules.refusal(request(), campaign: campaign(.archived), signer: nil, eventCampaign: nil)?.stage == .campaign)
    }

    @Test func anEmployeeRecordBecomesASignerByTheCampaignsAudience() {
        let men = Audience(genders: [.male], orgUnits: ["Energy"])
        #expect(SigningRules.Signer(active: nil, gender: .male, country: "IN", orgUnit: "Energy", audience: men) == .unknown)
        #expect(SigningRules.Signer(active: false, gender: .male, country: "IN", orgUnit: "Energy", audience: men) == .inactive)
        #expect(SigningRules.Signer(active: true, gender: .male, country: "IN", orgUnit: "Energy/Buildings", audience: men)
            == .active(admitted: true))
        #expect(SigningRules.Signer(active: true, gender: .male, country: "IN", orgUnit: "EnergyX", audience: men) == .active(admitted: false))
        #expect(SigningRules.Signer(active: true, gender: .female, country: "IN", orgUnit: "Energy", audience: men) == .active(admitted: false))
        #expect(SigningRules.Signer(found: true, active: true, admitted: false) == .active(admitted: false))
        #expect(SigningRules.Signer(found: false, active: true, admitted: true) == .unknown)
    }
}
