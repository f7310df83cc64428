import Foundation
import MobiliseDomain
import Testing

@Suite struct EventRuleTests {
    let start = Date(timeIntervalSince1970: 1_900_000_000)

    func draft(kind: EventKind = .city, country: String = "FR", city: String? = "Grenoble", hours: Double = 2, capacity: Int? = 10) -> EventDraft {
        EventDraft(title: "  HeForShe breakfast ", kind: kind, country: country, city: city, startsAt: start,
                   endsAt: start.addingTimeInterval(hours * 3600), capacity: capacity, hostExternalID: " E1 ")
    }

    func code(_ draft: EventDraft) -> String? {
        do {
            _ = try draft.validated()
            return nil
        } catch {
            return error.code.rawValue
        }
    }

    @Test func aValidDraftIsTrimmedAndItsCountryUpperCased() throws {
        let valid = try draft(country: "fr", city: " Grenoble ").validated()
        #expect(valid.title == "HeForShe breakfast")
        #expect(valid.country == "FR")
        #expect(valid.city == "Grenoble")
        #expect(valid.hostExternalID == "E1")
    }

    @Test func onlyOnlineEventsMayHaveNoCity() throws {
        #expect(code(draft(kind: .city, city: nil)) == "city_required")
        #expect(code(draft(kind: .village, city: "   ")) == "city_required")
        #expect(code(draft(kind: .site, city: nil)) == "city_required")
        #expect(try draft(kind: .online, city: "").validated().city == nil)
    }

    @Test func refusesBrokenRules() {
        var untitled = draft()
        untitled.title = "   "
        #expect(code(untitled) == "invalid_title")
        #expect(code(draft(country: "FRA")) == "invalid_country")
        #expect(code(draft(country: "F1")) == "invalid_country")
        #expect(code(draft(hours: 0)) == "invalid_time_range")
        #expect(code(draft(hours: -1)) == "invalid_time_range")
        #expect(code(draft(capacity: 0)) == "invalid_capacity")
        #expect(code(draft(capacity: nil)) == nil)
        var hostless = draft()
        hostless.hostExternalID = ""
        #expect(code(hostless) == "invalid_host")
    }

    @Test func aCheckInReportCountsOutcomesAndKeepsTheFirstOfARepeatedID() {
        let report = CheckInReport([
            CheckInResult(externalID: "a", outcome: .checkedIn),
            CheckInResult(externalID: "b", outcome: .walkIn),
            CheckInResult(externalID: "c", outcome: .alreadyCheckedIn),
            CheckInResult(externalID: "ghost", outcome: .unknown),
            CheckInResult(externalID: "left", outcome: .inactive),
            CheckInResult(externalID: "waiting", outcome: .full),
            CheckInResult(externalID: "stranger", outcome: .notRegistered),
            CheckInResult(externalID: "a", outcome: .alreadyCheckedIn),
        ])
        #expect(report.results.map(\.externalID) == ["a", "b", "c", "ghost", "left", "waiting", "stranger"])
        #expect(report.checkedIn == 2)
        #expect(report.walkIns == 1)
        #expect(report.alreadyCheckedIn == 1)
        #expect(report.full == 1)
        #expect(report.refused == 3)
        #expect(report.unknown == ["ghost"])
        #expect(report.inactive == ["left"])
        #expect(report.outcome(for: "a") == .checkedIn)
        #expect(report.auditDetails == ["checked_in": "2", "walk_ins": "1", "already_checked_in": "1", "full": "1", "not_registered": "1",
                                        "unknown": "1", "inactive": "1"])
    }

    @Test func anRSVPStatusEncodesAsAStatusAndAPosition() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(String(decoding: try encoder.encode(RSVPStatus.going), as: UTF8.self) == #"{"status":"going"}"#)
        let waiting = try encoder.encode(RSVPStatus.waiting(position: 3))
        #expect(String(decoding: waiting, as: UTF8.self) == #"{"position":3,"status":"waiting"}"#)
        #expect(try JSONDecoder().decode(RSVPStatus.self, from: waiting) == .waiting(position: 3))
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(RSVPStatus.self, from: Data(#"{"status":"maybe"}"#.utf8)) }
    }

    /// Check-in opens an hour before the start for everyone, and closes 12 hours after the end for
    /// a host only; batches are 50 ids for a host, 10,000 for HR.
    @Test func theCheckInWindowAndBatchSizes() {
        let end = start.addingTimeInterval(7200)
        func code(_ offset: TimeInterval, from instant: Date, _ authority: CheckInAuthority) -> String? {
            CheckInRules.refusal(at: instant.addingTimeInterval(offset), startsAt: start, endsAt: end, for: authority)?.code.rawValue
        }
        for authority in CheckInAuthority.allCases {
            #expect(code(-3601, from: start, authority) == "check_in_not_open")
            #expect(code(-3600, from: start, authority) == nil)
            #expect(code(0, from: end, authority) == nil)
        }
        #expect(code(12 * 3600, from: end, .host) == nil)
        #expect(code(12 * 3600 + 1, from: end, .host) == "check_in_closed")
        #expect(code(365 * 86_400, from: end, .hrAdmin) == nil)
        #expect(CheckInRules.refusal(at: start.addingTimeInterval(-7200), startsAt: start, endsAt: end, for: .host)?.kind == .unprocessable)
        #expect(CheckInRules.maximumBatch(for: .host) == 50 && CheckInRules.maximumBatch(for: .hrAdmin) == 10_000)
    }
}
