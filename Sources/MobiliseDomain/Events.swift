import Foundation

/// Where an event takes place.
public enum EventKind: String, Sendable, Codable, CaseIterable {
    /// In a city: a venue in town.
    case city
    /// In a village: a small local gathering.
    case village
    /// Online: no city needed.
    case online
    /// On one of the organisation's sites (a plant, an office).
    case site
}

/// What an HR admin or a host asks for when creating an event; ``validated()`` checks it.
public struct EventDraft: Sendable, Codable, Equatable {
    public var title: String
    public var kind: EventKind
    /// ISO 3166-1 alpha-2 (the store checks that the country exists).
    public var country: String
    /// Required unless the event is online.
    public var city: String?
    public var startsAt: Date
    /// Strictly after `startsAt`.
    public var endsAt: Date
    /// Places for `going` attendees; nil for no limit.
    public var capacity: Int?
    /// The host's HR id: an active employee of the organisation.
    public var hostExternalID: String

    public init(
        title: String, kind: EventKind, country: String, city: String?, startsAt: Date, endsAt: Date,
        capacity: Int?, hostExternalID: String
    ) {
        self.title = title
        self.kind = kind
        self.country = country
        self.city = city
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.capacity = capacity
        self.hostExternalID = hostExternalID
    }

    /// The draft with its text trimmed and the country upper-cased, or the first rule it breaks
    /// (a ``MobiliseError`` of kind `.invalid` naming the field).
    public func validated() throws(MobiliseError) -> EventDraft {
        var draft = self
        draft.title = title.trimmingCharacters(in: .whitespacesAndNewlines)
        draft.country = country.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
        draft.city = city?.trimmingCharacters(in: .whitespacesAndNewlines)
        if draft.city?.isEmpty == true { draft.city = nil }
        draft.hostExternalID = hostExternalID.trimmingCharacters(in: .whitespacesAndNewlines)

        guard !draft.title.isEmpty, draft.title.count <= 200 else {
            throw MobiliseError(.invalid, code: .invalidTitle, "an event title is 1 to 200 characters")
        }
        guard draft.country.count == 2, draft.country.unicodeScalars.allSatisfy({ ("A"..."Z").contains($0) }) else {
            throw MobiliseError(.invalid, code: .invalidCountry, "'\(country)' is not an ISO 3166-1 alpha-2 country code")
        }
        if draft.kind != .online, draft.city == nil {
            throw MobiliseError(.invalid, code: .cityRequired, "a \(draft.kind.rawValue) event needs a city (only online events may have none)")
        }
        if let city = draft.city, city.count > 200 {
            throw MobiliseError(.invalid, code: .invalidCity, "a city name is at most 200 characters")
        }
        guard Instants.isSupported(draft.startsAt), Instants.isSupported(draft.endsAt) else {
            throw MobiliseError(.invalid, code: .invalidTimeRange, "an event's start and end must lie within years 1 to 9999")
        }
        guard draft.endsAt > draft.startsAt else {
            throw MobiliseError(.invalid, code: .invalidTimeRange, "an event must end after it starts")
        }
        if let capacity = draft.capacity, capacity < 1 {
            throw MobiliseError(.invalid, code: .invalidCapacity, "the capacity is at least 1 (or none, for no limit)")
        }
        guard !draft.hostExternalID.isEmpty, draft.hostExternalID.count <= 200 else {
            throw MobiliseError(.invalid, code: .invalidHost, "the host is the HR id of an employee")
        }
        return draft
    }
}

/// How many people an event has, never who (privacy: names are not listed).
public struct EventCounts: Sendable, Codable, Equatable {
    /// RSVPs with a place, checked in or not.
    public var going: Int
    /// RSVPs on the waiting list.
    public var waiting: Int
    /// Attendees checked in (all of them `going`).
    public var checkedIn: Int

    public init(going: Int, waiting: Int, checkedIn: Int) {
        self.going = going
        self.waiting = waiting
        self.checkedIn = checkedIn
    }

    /// No RSVP yet.
    public static let zero = EventCounts(going: 0, waiting: 0, checkedIn: 0)
}

/// An internal event of a campaign, with its attendance counts.
public struct Event: Sendable, Codable, Equatable, Identifiable {
    public var id: UUID
    public var organisationID: UUID
    public var campaignID: UUID
    public var title: String
    public var kind: EventKind
    /// ISO 3166-1 alpha-2.
    public var country: String
    /// Nil only for online events.
    public var city: String?
    public var startsAt: Date
    public var endsAt: Date
    /// Nil: no limit.
    public var capacity: Int?
    /// The host's HR id.
    public var hostExternalID: String
    public var createdAt: Date
    public var counts: EventCounts

    public init(
        id: UUID, organisationID: UUID, campaignID: UUID, title: String, kind: EventKind, country: String,
        city: String?, startsAt: Date, endsAt: Date, capacity: Int?, hostExternalID: String, createdAt: Date,
        counts: EventCounts
    ) {
        self.id = id
        self.organisationID = organisationID
        self.campaignID = campaignID
        self.title = title
        self.kind = kind
        self.country = country
        self.city = city
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.capacity = capacity
        self.hostExternalID = hostExternalID
        self.createdAt = createdAt
        self.counts = counts
    }
}

/// Where an employee stands for an event.
///
/// In JSON: `{"status": "going"}` or `{"status": "waiting", "position": 2}`.
public enum RSVPStatus: Sendable, Equatable, Hashable, Codable {
    /// Has a place.
    case going
    /// On the waiting list; `position` 1 is the next to get a place.
    case waiting(position: Int)

    private enum CodingKeys: String, CodingKey { case status, position }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(String.self, forKey: .status) {
        case "going": self = .going
        case "waiting": self = .waiting(position: try container.decode(Int.self, forKey: .position))
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .status, in: container, debugDescription: "unknown RSVP status '\(other)'")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .going:
            try container.encode("going", forKey: .status)
        case .waiting(let position):
            try container.encode("waiting", forKey: .status)
            try container.encode(position, forKey: .position)
        }
    }
}

/// An employee, by both ids: the store's and the HR system's (for notifications).
public struct EmployeeReference: Sendable, Codable, Equatable, Hashable {
    public var id: UUID
    /// The HR system's id.
    public var externalID: String

    public init(id: UUID, externalID: String) {
        self.id = id
        self.externalID = externalID
    }
}

/// What cancelling an RSVP did.
public struct RSVPCancellation: Sendable, Codable, Equatable {
    /// The status the cancelled RSVP had; nil when there was none (nothing was done).
    public var cancelled: RSVPStatus?
    /// The first waiting employee, who got the freed place (to be notified).
    public var promoted: EmployeeReference?

    public init(cancelled: RSVPStatus?, promoted: EmployeeReference?) {
        self.cancelled = cancelled
        self.promoted = promoted
    }
}

/// Who checks attendees in. The event's host is an ordinary employee at the door, so a host's
/// batch is held to what the door needs (see ``CheckInRules``); an HR admin records attendance.
public enum CheckInAuthority: String, Sendable, Codable, CaseIterable {
    /// An HR admin: large batches, walk-ins recorded, and attendance recorded after the event too.
    case hrAdmin = "hr_admin"
    /// The event's host (an active employee): small batches, only people who RSVP'd to the event,
    /// only from shortly before the event until shortly after it.
    case host
}

/// The rules of check-in, for ``CheckInAuthority``.
public enum CheckInRules {
    /// Check-in opens this long before an event starts (doors open early), for everyone.
    public static let opensBeforeStart: TimeInterval = 3600
    /// A host may check people in until this long after the event ends (a paper list typed in the
    /// same evening). HR admins may record attendance at any time after check-in opens.
    public static let hostClosesAfterEnd: TimeInterval = 12 * 3600
    /// The most HR ids in one host's batch: a door checks people in a few at a time.
    public static let hostBatch = 50
    /// The most HR ids in one HR admin's batch.
    public static let hrAdminBatch = 10_000

    /// The most HR ids one batch of `authority` takes.
    public static func maximumBatch(for authority: CheckInAuthority) -> Int {
        authority == .host ? hostBatch : hrAdminBatch
    }

    /// Why a batch of `authority` cannot be checked in `now` for an event from `startsAt` to
    /// `endsAt`, or nil when it can: `.unprocessable` `check_in_not_open` before
    /// ``opensBeforeStart`` ahead of the start, `check_in_closed` for a host past
    /// ``hostClosesAfterEnd`` after the end.
    public static func refusal(at now: Date, startsAt: Date, endsAt: Date, for authority: CheckInAuthority) -> MobiliseError? {
        let opens = startsAt.addingTimeInterval(-opensBeforeStart)
        if now < opens {
            return MobiliseError(.unprocessable, code: .checkInNotOpen,
                                 "check-in opens \(hours(opensBeforeStart)) before the event starts, at \(opens.formatted(.iso8601))")
        }
        let closes = endsAt.addingTimeInterval(hostClosesAfterEnd)
        if authority == .host, now > closes {
            return MobiliseError(.unprocessable, code: .checkInClosed,
                                 "check-in at the door closed \(hours(hostClosesAfterEnd)) after the event ended, at \(closes.formatted(.iso8601)); HR admins can still record attendance")
        }
        return nil
    }

    private static func hours(_ interval: TimeInterval) -> String {
        let hours = Int(interval / 3600)
        return hours == 1 ? "1 hour" : "\(hours) hours"
    }
}

/// What checking in did for one HR id of a batch.
public enum CheckInOutcome: String, Sendable, Codable, CaseIterable {
    /// Checked in now: the employee had a place, or took a free one from the waiting list.
    case checkedIn = "checked_in"
    /// Checked in now without an RSVP (by an HR admin): a `going` RSVP was created in a free place.
    case walkIn = "walk_in"
    /// Was already checked in; the first time is kept.
    case alreadyCheckedIn = "already_checked_in"
    /// Not checked in: on the waiting list, or a walk-in, while every place was taken (check-in
    /// never takes `going` past the capacity).
    case full
    /// Not checked in: a host's batch named an active employee without an RSVP to the event
    /// (hosts check in only those who RSVP'd).
    case notRegistered = "not_registered"
    /// No employee with this HR id in the organisation.
    case unknown
    /// The employee is no longer active: not checked in.
    case inactive
}

/// One HR id of a check-in batch and what happened to it.
public struct CheckInResult: Sendable, Codable, Equatable {
    public var externalID: String
    public var outcome: CheckInOutcome

    public init(externalID: String, outcome: CheckInOutcome) {
        self.externalID = externalID
        self.outcome = outcome
    }
}

/// The result of a check-in batch: each id's outcome, and counts.
public struct CheckInReport: Sendable, Codable, Equatable {
    /// Each distinct HR id of the batch, in the order given, with its outcome.
    public private(set) var results: [CheckInResult]

    /// A report from each id's outcome; an id given twice keeps its first outcome.
    public init(_ results: [CheckInResult]) {
        var seen: Set<String> = []
        self.results = results.filter { seen.insert($0.externalID).inserted }
    }

    /// Checked in by this batch, walk-ins included.
    public var checkedIn: Int { count(.checkedIn) + count(.walkIn) }
    /// Of which walk-ins (no RSVP before).
    public var walkIns: Int { count(.walkIn) }
    /// Already checked in before this batch (their first time is kept).
    public var alreadyCheckedIn: Int { count(.alreadyCheckedIn) }
    /// Not checked in for want of a free place.
    public var full: Int { count(.full) }
    /// Not checked in for any other reason: unknown, inactive, or (a host's batch) without an RSVP.
    /// What a host is told, as one count, so that a host learns nothing about ids without an RSVP.
    public var refused: Int { count(.unknown) + count(.inactive) + count(.notRegistered) }
    /// HR ids not found in the organisation.
    public var unknown: [String] { ids(.unknown) }
    /// HR ids of employees no longer active (not checked in).
    public var inactive: [String] { ids(.inactive) }

    /// The outcome for one HR id of the batch.
    public func outcome(for externalID: String) -> CheckInOutcome? {
        results.first { $0.externalID == externalID }?.outcome
    }

    /// The counts as audit-log details (counts only, never ids).
    public var auditDetails: [String: String] {
        [
            "checked_in": String(checkedIn), "walk_ins": String(walkIns), "already_checked_in": String(alreadyCheckedIn),
            "full": String(full), "not_registered": String(count(.notRegistered)), "unknown": String(unknown.count),
            "inactive": String(inactive.count),
        ]
    }

    private func count(_ outcome: CheckInOutcome) -> Int { results.lazy.filter { $0.outcome == outcome }.count }

    private func ids(_ outcome: CheckInOutcome) -> [String] { results.filter { $0.outcome == outcome }.map(\.externalID) }
}

/// What the signing code needs to record a signature made at an event (channel `event`).
public struct EventSigningContext: Sendable, Equatable {
    public var campaignID: UUID
    /// The event's country (ISO alpha-2).
    public var country: String

    public init(campaignID: UUID, country: String) {
        self.campaignID = campaignID
        self.country = country
    }
}
