import Crypto
import Foundation

/// Where an organisation is told about its campaigns: a signed webhook, a Teams or a Slack channel.
public enum OutboundKind: String, Sendable, Codable, CaseIterable {
    /// Standard Webhooks: JSON signed with `webhook-id`, `webhook-timestamp`, `webhook-signature`.
    case webhook
    /// Microsoft Teams: an Adaptive Card posted to a Workflows or incoming-webhook URL.
    case teams
    /// Slack: Block Kit posted to an incoming-webhook URL.
    case slack
}

/// What the outbox tells endpoints about.
public enum OutboundEventType: String, Sendable, Codable, CaseIterable {
    case campaignLaunched = "campaign.launched"
    case campaignClosed = "campaign.closed"
    /// A round number of signatures (1,000, 10,000, …) in the leaders' published figures.
    case milestoneSignatures = "milestone.signatures"
    /// A share of the campaign's signature goal (25%, 50%, …) in the published figures.
    case milestoneGoalShare = "milestone.goal_share"
    /// A country meeting its goal in the published figures.
    case milestoneCountryGoal = "milestone.country_goal"
    case storyApproved = "story.approved"
    case digestWeekly = "digest.weekly"
    /// Sent when HR asks for it (`POST /v1/webhooks/{id}/test`), to check an endpoint.
    case ping = "ping"
}

/// One event as it is stored in the outbox (`outbox_events`): its type, and the facts every format
/// is made from. Figures in ``data`` are as leaders see them; nothing in it names a signer.
public struct OutboundEvent: Sendable, Equatable {
    public var id: UUID
    public var type: OutboundEventType
    public var createdAt: Date
    /// String, number and boolean facts (`campaign`, `title`, `signatures`, `threshold`, …).
    public var data: [String: OutboundValue]

    public init(id: UUID, type: OutboundEventType, createdAt: Date, data: [String: OutboundValue]) {
        self.id = id
        self.type = type
        self.createdAt = createdAt
        self.data = data
    }
}

/// A fact in an event's payload.
public enum OutboundValue: Sendable, Equatable, Codable {
    case string(String)
    case int(Int)
    case bool(Bool)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        }
    }

    /// 10040 → "10,040" (chat cards' figures, whatever the server's locale).
    static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var result = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { result.append(",") }
            result.append(digit)
        }
        return value < 0 ? "-" + result : result
    }

    var text: String {
        switch self {
        case .string(let value): value
        case .int(let value): Self.grouped(value)
        case .bool(let value): value ? "yes" : "no"
        }
    }
}

/// Turns an event into what each kind of endpoint is sent: pure, so formats are tested without a network.
public enum OutboundFormat {
    /// The request body for `kind`.
    public static func body(_ event: OutboundEvent, kind: OutboundKind) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        switch kind {
        case .webhook: return try encoder.encode(WebhookPayload(event))
        case .teams: return try JSONSerialization.data(withJSONObject: teamsMessage(event), options: [.sortedKeys, .withoutEscapingSlashes])
        case .slack: return try JSONSerialization.data(withJSONObject: slackMessage(event), options: [.sortedKeys, .withoutEscapingSlashes])
        }
    }

    /// The Standard Webhooks payload shape: `type`, `timestamp`, `data`.
    struct WebhookPayload: Encodable {
        var type: String
        var timestamp: Date
        var data: [String: OutboundValue]

        init(_ event: OutboundEvent) {
            type = event.type.rawValue
            timestamp = event.createdAt
            data = event.data
        }
    }

    /// A one-line summary: the Slack `text` fallback and the card's title.
    public static func headline(_ event: OutboundEvent) -> String {
        let title = event.data["title"]?.text ?? event.data["campaign"]?.text ?? "a campaign"
        switch event.type {
        case .campaignLaunched: return "\(title) is open for signatures"
        case .campaignClosed: return "\(title) has closed"
        case .milestoneSignatures: return "\(title) passed \(event.data["threshold"]?.text ?? "a milestone") signatures"
        case .milestoneGoalShare: return "\(title) reached \(event.data["share"]?.text ?? "a share")% of its goal"
        case .milestoneCountryGoal: return "\(event.data["country_name"]?.text ?? "A country") met its goal in \(title)"
        case .storyApproved: return "A new story in \(title)"
        case .digestWeekly: return "This week in \(title)"
        case .ping: return "Mobilise test message"
        }
    }

    /// The facts shown under the headline, in a stable order (labels are English: chat channels are
    /// the organisation's own, whose language HR chooses by the card's text, not per reader).
    static func facts(_ event: OutboundEvent) -> [(String, String)] {
        let labels: [(String, String)] = [
            ("signatures", "Signatures"), ("threshold", "Milestone"), ("share", "Share of goal (%)"), ("goal", "Goal"),
            ("country_name", "Country"), ("last_7_days", "Last 7 days"), ("author", "Author"), ("excerpt", "Story"),
            ("as_of", "As of"),
        ]
        return labels.compactMap { key, label in event.data[key].map { (label, $0.text) } }
    }

    /// An Adaptive Card (schema 1.5) in the envelope Teams' Workflows and incoming webhooks take.
    static func teamsMessage(_ event: OutboundEvent) -> [String: Any] {
        var body: [[String: Any]] = [
            ["type": "TextBlock", "text": headline(event), "weight": "Bolder", "size": "Medium", "wrap": true],
        ]
        let facts = facts(event)
        if !facts.isEmpty {
            body.append(["type": "FactSet", "facts": facts.map { ["title": $0.0, "value": $0.1] }])
        }
        var card: [String: Any] = [
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard", "version": "1.5", "body": body,
        ]
        if case .string(let link)? = event.data["url"] {
            card["actions"] = [["type": "Action.OpenUrl", "title": "Open", "url": link]]
        }
        return [
            "type": "message",
            "attachments": [["contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": NSNull(), "content": card]],
        ]
    }

    /// Block Kit for a Slack incoming webhook: a header, the facts, and `text` for notifications.
    static func slackMessage(_ event: OutboundEvent) -> [String: Any] {
        let headline = headline(event)
        var blocks: [[String: Any]] = [
            ["type": "header", "text": ["type": "plain_text", "text": String(headline.prefix(150)), "emoji": false]],
        ]
        let facts = facts(event)
        if !facts.isEmpty {
            blocks.append([
                "type": "section",
                "fields": facts.prefix(10).map { ["type": "mrkdwn", "text": "*\(slackEscaped($0.0))*\n\(slackEscaped($0.1))"] },
            ])
        }
        blocks.append(["type": "context", "elements": [["type": "mrkdwn", "text": "Mobilise · \(event.type.rawValue)"]]])
        // The top-level `text` is read as mrkdwn: escaped, so a title's "<…>" is never a link.
        return ["text": slackEscaped(headline), "blocks": blocks]
    }

    /// Slack's three control characters in mrkdwn text.
    static func slackEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}

/// Signs webhooks the Standard Webhooks way (standardwebhooks.com): `webhook-signature` is `v1,` and
/// the base64 HMAC-SHA256, keyed with the endpoint's secret, of `id.timestamp.body`.
public struct StandardWebhookSigner: Sendable {
    public let key: SymmetricKey

    public init(secret: Data) { key = SymmetricKey(data: secret) }

    /// From the text form `whsec_<base64>`; nil when it is not one.
    public init?(text: String) {
        guard text.hasPrefix("whsec_"), let data = Data(base64Encoded: String(text.dropFirst(6))), data.count >= 24 else { return nil }
        self.init(secret: data)
    }

    /// A new random secret (32 bytes) and its text form, shown once.
    public static func newSecret() -> (secret: Data, text: String) {
        let data = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        return (data, text(of: data))
    }

    /// `whsec_` and the secret in base64.
    public static func text(of secret: Data) -> String { "whsec_" + secret.base64EncodedString() }

    /// The `webhook-signature` header's value.
    public func signature(id: String, timestamp: Int, body: Data) -> String {
        var content = Data("\(id).\(timestamp).".utf8)
        content.append(body)
        let mac = HMAC<SHA256>.authenticationCode(for: content, using: key)
        return "v1," + Data(mac).base64EncodedString()
    }

    /// The three headers of a signed request.
    public func headers(id: String, timestamp: Int, body: Data) -> [(name: String, value: String)] {
        [("webhook-id", id), ("webhook-timestamp", String(timestamp)), ("webhook-signature", signature(id: id, timestamp: timestamp, body: body))]
    }
}

/// When the outbox tries a message again: exponential backoff with full jitter, capped, and a final
/// state after ``maxAttempts`` attempts.
public struct RetryPolicy: Sendable, Equatable {
    /// The first retry's delay (before jitter).
    public var base: Duration
    /// No delay is longer than this.
    public var cap: Duration
    /// After this many attempts a message is `failed` (HR may replay it).
    public var maxAttempts: Int

    /// 10 s, doubling, at most an hour apart, 12 attempts: about 10 hours of retries in all.
    public init(base: Duration = .seconds(10), cap: Duration = .seconds(3600), maxAttempts: Int = 12) {
        self.base = base
        self.cap = cap
        self.maxAttempts = max(1, maxAttempts)
    }

    /// The delay before the attempt after `attempts` failed ones: a random point between half and
    /// all of `min(cap, base · 2^(attempts − 1))` (half-jitter: several instances' retries of one
    /// endpoint spread out, and no delay collapses to zero). Nil when no attempt is left.
    public func delay<G: RandomNumberGenerator>(afterAttempts attempts: Int, using generator: inout G) -> Duration? {
        guard attempts < maxAttempts else { return nil }
        let exponent = min(max(attempts - 1, 0), 40)
        let baseSeconds = Double(base.components.seconds) + Double(base.components.attoseconds) / 1e18
        let capSeconds = Double(cap.components.seconds) + Double(cap.components.attoseconds) / 1e18
        let ceiling = min(capSeconds, baseSeconds * pow(2, Double(exponent)))
        let seconds = ceiling / 2 + Double.random(in: 0...(ceiling / 2), using: &generator)
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }

    public func delay(afterAttempts attempts: Int) -> Duration? {
        var generator = SystemRandomNumberGenerator()
        return delay(afterAttempts: attempts, using: &generator)
    }
}
