import Foundation

/// The rules a signature must meet, and the order in which they refuse one: the one home of what
/// both signing paths apply (a signing alone, and the group-commit batch).
///
/// The batch has the database establish what it knows of each signer (found, active, admitted by the
/// audience) in the same statement that writes, and applies these rules to the answer; signing
/// alone reads the employee first. Either way the refusal is the first rule broken, in ``Stage``
/// order: an unknown or inactive employee, then the campaign (hidden, not active, outside its dates),
/// then the audience, then the request itself (the event channel without its event, an event of
/// another campaign).
public enum SigningRules {
    /// What is known of the person signing.
    public enum Signer: Sendable, Equatable {
        /// No employee with the HR id in the organisation.
        case unknown
        /// An employee no longer active.
        case inactive
        /// An active employee, and whether the campaign's audience admits them.
        case active(admitted: Bool)

        /// The signer as known from an employee record (nil when there is none).
        public init(active: Bool?, gender: Gender, country: String, orgUnit: String?, audience: Audience) {
            switch active {
            case nil: self = .unknown
            case false?: self = .inactive
            case true?: self = .active(admitted: audience.admits(gender: gender, country: country, orgUnit: orgUnit))
            }
        }

        /// The signer as the batch statement reports it (found, active, admitted).
        public init(found: Bool, active: Bool, admitted: Bool) {
            self = !found ? .unknown : !active ? .inactive : .active(admitted: admitted)
        }
    }

    /// The order in which rules are applied: a refusal of an earlier stage wins over a later one.
    public enum Stage: Int, Sendable, Comparable {
        case signer, campaign, audience, request

        public static func < (lhs: Stage, rhs: Stage) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// Why a signature is refused.
    public enum Refusal: Error, Sendable, Equatable {
        case employeeNotFound(externalID: String)
        case employeeInactive(externalID: String)
        /// A draft, to someone who may not know it exists (an employee): answered as not found.
        case campaignHidden(slug: String)
        case campaignNotActive(CampaignStatus)
        case campaignNotStarted(opens: Date)
        case campaignEnded(closed: Date)
        case notInAudience
        case eventRequired
        case unknownEvent(UUID)

        public var stage: Stage {
            switch self {
            case .employeeNotFound, .employeeInactive: .signer
            case .campaignHidden, .campaignNotActive, .campaignNotStarted, .campaignEnded: .campaign
            case .notInAudience: .audience
            case .eventRequired, .unknownEvent: .request
            }
        }

        /// The refusal as the library reports it: a kind, a stable code and a sentence.
        public var error: MobiliseError {
            switch self {
            case .employeeNotFound(let externalID):
                MobiliseError(.notFound, code: .employeeNotFound, "no employee '\(externalID)' in this organisation")
            case .employeeInactive(let externalID):
                MobiliseError(.forbidden, code: .employeeInactive, "employee '\(externalID)' is not active")
            case .campaignHidden(let slug):
                MobiliseError(.notFound, code: .campaignNotFound, "no campaign '\(slug)' in this organisation")
            case .campaignNotActive(let status):
                MobiliseError(.unprocessable, code: .campaignNotActive, "this campaign is \(status.rawValue), not open for signing")
            case .campaignNotStarted(let opens):
                MobiliseError(.unprocessable, code: .campaignNotStarted, "this campaign opens for signing at \(opens)")
            case .campaignEnded(let closed):
                MobiliseError(.unprocessable, code: .campaignEnded, "this campaign closed for signing at \(closed)")
            case .notInAudience:
                MobiliseError(.forbidden, code: .notInAudience, "this campaign is not open to you")
            case .eventRequired:
                MobiliseError(.invalid, code: .eventRequired, "a signature with channel 'event' names its event")
            case .unknownEvent(let eventID):
                MobiliseError(.unprocessable, code: .unknownEvent, "no event \(eventID) in this campaign")
            }
        }
    }

    /// One signing as the rules see it.
    public struct Request: Sendable {
        public var externalID: String
        public var channel: SignatureChannel
        public var eventID: UUID?
        /// When the signature is given; nil when the database will say (the dates are then its to check).
        public var at: Date?
        /// Whether a draft answers "not found" (to employees, who never see drafts).
        public var hidingDrafts: Bool

        public init(externalID: String, channel: SignatureChannel, eventID: UUID?, at: Date?, hidingDrafts: Bool) {
            self.externalID = externalID
            self.channel = channel
            self.eventID = eventID
            self.at = at
            self.hidingDrafts = hidingDrafts
        }
    }

    /// The first rule `request` breaks, or nil when it may be signed.
    ///
    /// - Parameters:
    ///   - signer: what is known of the employee; nil when not known yet (the batch's first pass,
    ///     before its statement looks the employees up): the signer's and the audience's rules are then skipped.
    ///   - eventCampaign: the campaign of the request's event, nil when there is no such event (unused without an event).
    public static func refusal(_ request: Request, campaign: Campaign, signer: Signer?, eventCampaign: UUID?) -> Refusal? {
        switch signer {
        case .unknown?: return .employeeNotFound(externalID: request.externalID)
        case .inactive?: return .employeeInactive(externalID: request.externalID)
        case .active?, nil: break
        }
        if let refusal = campaignRefusal(campaign, at: request.at, hidingDrafts: request.hidingDrafts) { return refusal }
        if case .active(admitted: false)? = signer { return .notInAudience }
        if request.channel == .event, request.eventID == nil { return .eventRequired }
        if let eventID = request.eventID, eventCampaign != campaign.id { return .unknownEvent(eventID) }
        return nil
    }

    /// The campaign's own rule: active, and open at `at` when it is known.
    public static func campaignRefusal(_ campaign: Campaign, at: Date?, hidingDrafts: Bool) -> Refusal? {
        if hidingDrafts, campaign.status == .draft { return .campaignHidden(slug: campaign.slug) }
        guard campaign.status == .active else { return .campaignNotActive(campaign.status) }
        if let at {
            guard at >= campaign.startsAt else { return .campaignNotStarted(opens: campaign.startsAt) }
            guard at < campaign.endsAt else { return .campaignEnded(closed: campaign.endsAt) }
        }
        return nil
    }
}

extension SignatureChannel {
    /// The channel a signature is recorded with when it names an event (`withEvent`): a web or mobile
    /// signing that names an event is recorded as made at the event (`event`); paper, poster and QR
    /// signatures keep their own channel and carry the event beside it.
    public func recorded(withEvent: Bool) -> SignatureChannel {
        switch self {
        case .web, .mobile: withEvent ? .event : self
        case .event, .paper, .poster, .qr: self
        }
    }

    /// The channels an employee's own signing may give (the public API): web, mobile, and the two a
    /// poster's or QR code's link passes on.
    public var isSelfService: Bool {
        switch self {
        case .web, .mobile, .poster, .qr: true
        case .event, .paper: false
        }
    }
}
