import Foundation

/// Where a post stands in moderation: `pending → approved | rejected`.
public enum PostStatus: String, Sendable, Codable, CaseIterable {
    case pending, approved, rejected
}

/// The lists of posts moderators read.
public enum ModerationList: String, Sendable, CaseIterable {
    /// Posts awaiting a decision: the pending ones and the approved ones hidden by reports, oldest first.
    case queue
    /// Pending posts, oldest first.
    case pending
    /// Approved posts hidden from the feed by reports, the first hidden first.
    case hidden
    /// Approved posts the feed shows, most recently decided first.
    case approved
    /// Rejected posts, most recently decided first.
    case rejected
}

/// A story, opinion or selfie an employee shared in a campaign. Its media's bytes are not here
/// (only what is known about them); they are served on their own.
public struct Post: Sendable, Codable, Equatable, Identifiable {
    public var id: UUID
    public var organisationID: UUID
    public var campaignID: UUID
    /// The author's employee id, and their HR id.
    public var authorID: UUID
    public var authorExternalID: String
    /// Trimmed text, possibly empty when media is attached.
    public var body: String
    /// Lower-cased with their `#`, de-duplicated, in order of first appearance.
    public var hashtags: [String]
    public var media: MediaInfo?
    public var status: PostStatus
    /// Who decided, why (always given for a rejection) and when; nil while pending.
    public var moderator: String?
    public var moderationReason: String?
    public var decidedAt: Date?
    /// When reports hid this approved post from the feed; nil when not hidden.
    public var hiddenAt: Date?
    /// Reports since the last approval.
    public var reportCount: Int
    public var createdAt: Date

    /// Shown in the feed: approved and not hidden by reports.
    public var isVisible: Bool { status == .approved && hiddenAt == nil }

    public init(
        id: UUID, organisationID: UUID, campaignID: UUID, authorID: UUID, authorExternalID: String, body: String,
        hashtags: [String], media: MediaInfo?, status: PostStatus, moderator: String?, moderationReason: String?,
        decidedAt: Date?, hiddenAt: Date?, reportCount: Int, createdAt: Date
    ) {
        self.id = id
        self.organisationID = organisationID
        self.campaignID = campaignID
        self.authorID = authorID
        self.authorExternalID = authorExternalID
        self.body = body
        self.hashtags = hashtags
        self.media = media
        self.status = status
        self.moderator = moderator
        self.moderationReason = moderationReason
        self.decidedAt = decidedAt
        self.hiddenAt = hiddenAt
        self.reportCount = reportCount
        self.createdAt = createdAt
    }
}

/// What a report did.
public struct PostReportOutcome: Sendable, Equatable {
    /// False when this employee had already reported the post (nothing changed).
    public var recorded: Bool
    /// Reports since the post's last approval.
    public var reportCount: Int
    /// Whether the post is now hidden from the feed.
    public var hidden: Bool

    public init(recorded: Bool, reportCount: Int, hidden: Bool) {
        self.recorded = recorded
        self.reportCount = reportCount
        self.hidden = hidden
    }
}

/// The rules for a post's text.
public enum PostText {
    /// The longest body, in Unicode code points (as PostgreSQL's `length` counts).
    public static let maximumLength = 5000
    /// The longest moderation reason, in code points.
    public static let maximumReasonLength = 1000
    /// The longest hashtag kept, in Unicode code points after the `#` (composed form): a letter
    /// followed by combining marks counts each mark, so a tag stays within 400 bytes.
    public static let maximumHashtagLength = 100

    /// The body as stored: trimmed, 1 to ``maximumLength`` code points, or empty when media is attached.
    ///
    /// - Throws: ``MobiliseError`` `.invalid` with code `body_required` or `body_too_long`, or
    ///   `invalid_body` for text holding a NUL character.
    public static func normalisedBody(_ body: String, hasMedia: Bool) throws -> String {
        let trimmed = body.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty, !hasMedia {
            throw MobiliseError(.invalid, code: .bodyRequired, "a post needs some text, or a photo or video")
        }
        let length = trimmed.unicodeScalars.count
        guard length <= maximumLength else {
            throw MobiliseError(.invalid, code: .bodyTooLong, "a post is at most \(maximumLength) characters; this one has \(length)")
        }
        guard !trimmed.unicodeScalars.contains("\u{0}") else {
            throw MobiliseError(.invalid, code: .invalidBody, "the text holds a NUL character")
        }
        return trimmed
    }

    /// A moderator's reason as stored: trimmed, 1 to ``maximumReasonLength`` code points.
    public static func normalisedReason(_ reason: String) throws -> String {
        let trimmed = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else {
            throw MobiliseError(.invalid, code: .reasonRequired, "rejecting a post needs a reason the author can read")
        }
        guard trimmed.unicodeScalars.count <= maximumReasonLength, !trimmed.unicodeScalars.contains("\u{0}") else {
            throw MobiliseError(.invalid, code: .invalidReason, "a reason is at most \(maximumReasonLength) characters of text")
        }
        return trimmed
    }

    /// The hashtags of `text`: lower-cased with their `#`, de-duplicated, in order of first appearance.
    ///
    /// A hashtag is a `#` followed by letters, digits and underscores of any script, with at least
    /// one letter (`#1` is a rank, not a tag). The `#` must not follow a letter, digit, underscore
    /// or `&` (`C#`, `a#b`, `&#39;` are not tags). The tag ends at the first other character
    /// (punctuation, space, emoji). Tags longer than ``maximumHashtagLength`` code points are ignored.
    ///
    /// ```swift
    /// PostText.hashtags(in: "Proud to sign #HeForShe! #heforshe #ÉgalitéFH")  // ["#heforshe", "#égalitéfh"]
    /// ```
    public static func hashtags(in text: String) -> [String] {
        var tags: [String] = []
        var seen: Set<String> = []
        var previous: Character?
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            let startsTag = character == "#" && !(previous.map { isTagCharacter($0) || $0 == "&" } ?? false)
            guard startsTag else {
                previous = character
                index = text.index(after: index)
                continue
            }
            var end = text.index(after: index)
            var hasLetter = false
            while end < text.endIndex, isTagCharacter(text[end]) {
                if text[end].isLetter { hasLetter = true }
                end = text.index(after: end)
            }
            let name = text[text.index(after: index)..<end]
            if hasLetter {
                // Composed form first, so "é" typed as e + accent and as one code point are one tag.
                let composed = String(name).precomposedStringWithCanonicalMapping.lowercased()
                if composed.unicodeScalars.count <= maximumHashtagLength, seen.insert("#" + composed).inserted {
                    tags.append("#" + composed)
                }
            }
            previous = text[text.index(before: end)]
            index = end
        }
        return tags
    }

    /// Letters and decimal digits of any script, and `_`.
    private static func isTagCharacter(_ character: Character) -> Bool {
        if character == "_" || character.isLetter { return true }
        return character.unicodeScalars.first?.properties.numericType == .decimal
    }
}
