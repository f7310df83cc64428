import Foundation

/// One person's typing of a paper sheet or an event's signing sheet (double entry: see ``PaperBatch``).
public struct PaperEntryDraft: Sendable, Equatable {
    /// The most HR ids one entry may carry.
    public static let maximumIDs = 1000
    /// The most signers without an HR id one entry may declare.
    public static let maximumUnidentified = 10_000

    /// The batch's name, the same for everyone who types it (e.g. "Lyon canteen, sheet 3").
    public var reference: String
    /// `paper` or `event`.
    public var channel: SignatureChannel
    public var eventID: UUID?
    /// When the sheet was signed; nil: when the batch is confirmed.
    public var signedAt: Date?
    /// The HR ids on the sheet.
    public var externalIDs: [String]
    /// Signers who gave no HR id.
    public var unidentified: Int

    public init(reference: String, channel: SignatureChannel, eventID: UUID?, signedAt: Date?, externalIDs: [String], unidentified: Int) {
        self.reference = reference
        self.channel = channel
        self.eventID = eventID
        self.signedAt = signedAt
        self.externalIDs = externalIDs
        self.unidentified = unidentified
    }

    /// The draft checked and put in its canonical form: the reference and ids trimmed, the ids distinct
    /// and sorted, the time rounded to the microsecond (as PostgreSQL keeps it), so that two people's
    /// typings of the same sheet compare equal.
    public func validated() throws -> PaperEntryDraft {
        func invalid(_ code: ErrorCode, _ message: String) -> MobiliseError { MobiliseError(.invalid, code: code, message) }
        var draft = self
        draft.reference = reference.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1 ... 100).contains(draft.reference.count) else {
            throw invalid(.invalidValue, "reference names the sheet in 1 to 100 characters (the same for both people who type it in)")
        }
        guard channel == .paper || channel == .event else {
            throw invalid(.invalidChannel, "a paper batch's channel is 'paper' or 'event'")
        }
        if channel == .event, eventID == nil {
            throw invalid(.eventRequired, "a batch with channel 'event' names its event (event_id)")
        }
        guard (0 ... Self.maximumUnidentified).contains(unidentified) else {
            throw invalid(.invalidValue, "unidentified is a number of signers from 0 to \(Self.maximumUnidentified)")
        }
        let ids = externalIDs.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        if let empty = ids.firstIndex(where: \.isEmpty) {
            throw invalid(.invalidValue, "external_ids[\(empty)] is empty: leave out a line without an HR id and count it in unidentified")
        }
        draft.externalIDs = Array(Set(ids)).sorted()
        guard draft.externalIDs.count <= Self.maximumIDs else {
            throw MobiliseError(.tooLarge, code: .batchTooLarge, "at most \(Self.maximumIDs) HR ids per batch (got \(draft.externalIDs.count)): split the sheets")
        }
        guard !draft.externalIDs.isEmpty || unidentified > 0 else {
            throw invalid(.invalidValue, "a batch has at least one signer: external_ids or unidentified")
        }
        draft.signedAt = signedAt.map { Date(timeIntervalSince1970: ($0.timeIntervalSince1970 * 1_000_000).rounded() / 1_000_000) }
        return draft
    }

    /// Whether two entries of a batch say the same thing (the reference aside).
    public func agrees(with other: PaperEntryDraft) -> Bool {
        channel == other.channel && eventID == other.eventID && signedAt == other.signedAt
            && externalIDs == other.externalIDs && unidentified == other.unidentified
    }
}

/// One person's entry of a batch, as stored.
public struct PaperEntry: Sendable, Equatable {
    public var id: UUID
    /// The HR id of who typed it.
    public var enteredBy: String
    public var enteredAt: Date
    public var content: PaperEntryDraft

    public init(id: UUID, enteredBy: String, enteredAt: Date, content: PaperEntryDraft) {
        self.id = id
        self.enteredBy = enteredBy
        self.enteredAt = enteredAt
        self.content = content
    }
}

/// Where a batch stands.
public enum PaperBatchStatus: String, Sendable, Codable, CaseIterable {
    /// Fewer than two entries.
    case pending
    /// Two or more entries, no two agreeing: a third look is needed (a third entry, or an HR decision).
    case disputed
    /// Counted.
    case confirmed
}

/// What a confirmed batch counted.
public struct PaperOutcome: Sendable, Equatable {
    /// Named signers signed by this batch.
    public var signed: Int
    /// Named signers who had already signed (online or in another batch): not counted twice.
    public var alreadySigned: Int
    /// HR ids of employees the signing rules refused (no longer active, outside the audience).
    public var refusedIDs: [String]
    /// Unknown HR ids plus signers without one: the anonymous tally, never in participation.
    public var anonymous: Int
    /// Refused signers erased since (GDPR): their HR ids left ``refusedIDs``, counted here.
    public var refusedErased = 0
    /// `agreement` (two entries agreed) or `decision` (an HR admin chose the entry).
    public var how: String
    public var confirmedBy: String
    public var confirmedAt: Date
    public var entryID: UUID

    public init(signed: Int, alreadySigned: Int, refusedIDs: [String], anonymous: Int, how: String, confirmedBy: String,
                confirmedAt: Date, entryID: UUID) {
        self.signed = signed
        self.alreadySigned = alreadySigned
        self.refusedIDs = refusedIDs
        self.anonymous = anonymous
        self.how = how
        self.confirmedBy = confirmedBy
        self.confirmedAt = confirmedAt
        self.entryID = entryID
    }
}

/// A sheet (or bundle) of paper or event signatures, typed in by two different people: it counts
/// only once two entries agree. See `sql/0021_posters_and_paper.sql`.
public struct PaperBatch: Sendable, Equatable {
    public var id: UUID
    public var campaignID: UUID
    public var reference: String
    public var status: PaperBatchStatus
    public var createdAt: Date
    public var entries: [PaperEntry]
    public var outcome: PaperOutcome?

    public init(id: UUID, campaignID: UUID, reference: String, status: PaperBatchStatus, createdAt: Date, entries: [PaperEntry],
                outcome: PaperOutcome?) {
        self.id = id
        self.campaignID = campaignID
        self.reference = reference
        self.status = status
        self.createdAt = createdAt
        self.entries = entries
        self.outcome = outcome
    }

    /// The first two entries (in order of entry) that agree, if any: the one entered first counts.
    public static func agreement(among entries: [PaperEntry]) -> PaperEntry? {
        for (index, entry) in entries.enumerated() {
            if entries[(index + 1)...].contains(where: { $0.content.agrees(with: entry.content) && $0.enteredBy != entry.enteredBy }) {
                return entry
            }
        }
        return nil
    }

    /// What the entries disagree on, for the third look: the HR ids not in every entry, and the other
    /// fields whose values differ. Empty when fewer than two entries, or when they all agree.
    public var discrepancies: PaperDiscrepancies {
        guard entries.count >= 2 else { return PaperDiscrepancies(externalIDs: [], fields: []) }
        let sets = entries.map { Set($0.content.externalIDs) }
        let all = sets.reduce(Set<String>()) { $0.union($1) }
        let common = sets.dropFirst().reduce(sets[0]) { $0.intersection($1) }
        var fields: [String] = []
        let contents = entries.map(\.content)
        if Set(contents.map(\.channel)).count > 1 { fields.append("channel") }
        if Set(contents.map { $0.eventID?.uuidString ?? "" }).count > 1 { fields.append("event_id") }
        if Set(contents.map { $0.signedAt?.timeIntervalSince1970 ?? -1 }).count > 1 { fields.append("signed_at") }
        if Set(contents.map(\.unidentified)).count > 1 { fields.append("unidentified") }
        return PaperDiscrepancies(externalIDs: all.subtracting(common).sorted(), fields: fields)
    }
}

/// Where the entries of a batch differ.
public struct PaperDiscrepancies: Sendable, Equatable {
    /// HR ids that some entries have and others do not.
    public var externalIDs: [String]
    /// The other fields that differ (`channel`, `event_id`, `signed_at`, `unidentified`).
    public var fields: [String]

    public init(externalIDs: [String], fields: [String]) {
        self.externalIDs = externalIDs
        self.fields = fields
    }

    public var isEmpty: Bool { externalIDs.isEmpty && fields.isEmpty }
}

/// A campaign's paper and event tally: confirmed batches' counts, and the anonymous tally apart.
public struct PaperTally: Sendable, Equatable {
    public struct Line: Sendable, Equatable {
        /// nil: sheets not tied to an event.
        public var eventID: UUID?
        public var batches: Int
        public var signed: Int
        public var alreadySigned: Int
        public var refused: Int
        public var anonymous: Int

        public init(eventID: UUID?, batches: Int, signed: Int, alreadySigned: Int, refused: Int, anonymous: Int) {
            self.eventID = eventID
            self.batches = batches
            self.signed = signed
            self.alreadySigned = alreadySigned
            self.refused = refused
            self.anonymous = anonymous
        }
    }

    /// Confirmed batches by event (nil first).
    public var lines: [Line]
    public var pending: Int
    public var disputed: Int

    public init(lines: [Line], pending: Int, disputed: Int) {
        self.lines = lines
        self.pending = pending
        self.disputed = disputed
    }

    public var signed: Int { lines.reduce(0) { $0 + $1.signed } }
    public var alreadySigned: Int { lines.reduce(0) { $0 + $1.alreadySigned } }
    public var refused: Int { lines.reduce(0) { $0 + $1.refused } }
    public var anonymous: Int { lines.reduce(0) { $0 + $1.anonymous } }
    public var confirmed: Int { lines.reduce(0) { $0 + $1.batches } }
}
