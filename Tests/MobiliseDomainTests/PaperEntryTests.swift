import Foundation
import MobiliseDomain
import Testing

/// Double entry's pure rules: the canonical form two typings of a sheet are compared in, what makes
/// them agree, and what a third look is shown.
@Suite struct PaperEntryTests {
    static func draft(_ ids: [String], unidentified: Int = 0, channel: SignatureChannel = .paper, event: UUID? = nil,
                      at: Date? = nil) -> PaperEntryDraft {
        PaperEntryDraft(reference: " sheet 1 ", channel: channel, eventID: event, signedAt: at, externalIDs: ids, unidentified: unidentified)
    }

    @Test func typingsOfTheSameSheetInAnotherOrderAgree() throws {
        let first = try Self.draft(["in-2", " in-1", "in-1"]).validated()
        let second = try Self.draft(["in-1", "in-2"]).validated()
        #expect(first.reference == "sheet 1" && first.externalIDs == ["in-1", "in-2"])
        #expect(first.agrees(with: second))
        #expect(!first.agrees(with: try Self.draft(["in-1", "in-2"], unidentified: 1).validated()))
        #expect(!first.agrees(with: try Self.draft(["in-1"]).validated()))
        // Times compare at PostgreSQL's precision (the microsecond).
        let at = Date(timeIntervalSince1970: 1_800_000_000.123_456_7)
        #expect(try Self.draft(["a"], at: at).validated().agrees(with: try Self.draft(["a"], at: at.addingTimeInterval(0.000_000_04)).validated()))
    }

    @Test func aDraftIsRefusedWithASentenceThatSaysWhatToDo() {
        #expect(throws: MobiliseError.self) { try Self.draft([]).validated() }
        #expect(throws: MobiliseError.self) { try Self.draft(["in-1", " "]).validated() }
        #expect(throws: MobiliseError.self) { try Self.draft(["in-1"], channel: .web).validated() }
        #expect(throws: MobiliseError.self) { try Self.draft(["in-1"], channel: .event).validated() }
        #expect(throws: MobiliseError.self) { try Self.draft((0...1000).map { "e\($0)" }).validated() }
        #expect(throws: MobiliseError.self) { try Self.draft(["in-1"], unidentified: -1).validated() }
        #expect((try? Self.draft([], unidentified: 3).validated()) != nil, "a sheet of visitors only")
    }

    @Test func theFirstTwoAgreeingEntriesCountAndDisagreementsAreListed() throws {
        func entry(_ who: String, _ ids: [String], unidentified: Int = 0) throws -> PaperEntry {
            PaperEntry(id: UUID(), enteredBy: who, enteredAt: Date(), content: try Self.draft(ids, unidentified: unidentified).validated())
        }
        let a = try entry("hr-1", ["in-1", "in-2"])
        let b = try entry("hr-2", ["in-1", "in-3"], unidentified: 1)
        let c = try entry("hr-3", ["in-2", "in-1"])
        #expect(PaperBatch.agreement(among: [a, b]) == nil)
        #expect(PaperBatch.agreement(among: [a, b, c])?.id == a.id)
        let batch = PaperBatch(id: UUID(), campaignID: UUID(), reference: "sheet 1", status: .disputed, createdAt: Date(), entries: [a, b],
                               outcome: nil)
        #expect(batch.discrepancies == PaperDiscrepancies(externalIDs: ["in-2", "in-3"], fields: ["unidentified"]))
    }

    @Test func channelsRecordedWithAnEvent() {
        #expect(SignatureChannel.web.recorded(withEvent: true) == .event)
        #expect(SignatureChannel.mobile.recorded(withEvent: false) == .mobile)
        #expect(SignatureChannel.poster.recorded(withEvent: true) == .poster)
        #expect(SignatureChannel.qr.recorded(withEvent: true) == .qr)
        #expect(SignatureChannel.paper.recorded(withEvent: true) == .paper)
        #expect(SignatureChannel.allCases.filter(\.isSelfService) == [.web, .mobile, .poster, .qr])
    }
}
