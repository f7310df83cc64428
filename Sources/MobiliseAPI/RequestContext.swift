import Foundation
import Hummingbird
import MobiliseDomain

/// Who is calling, from a verified token.
public struct Identity: Sendable {
    public var organisation: Organisation
    /// The token's `sub`: an HR id.
    public var subject: String
    public var roles: Set<Role>
    /// When the token or session cookie that authenticated the request expires: a long answer
    /// (the live stream) ends then, so a credential never outlives itself.
    public var expires: Date

    /// The actor recorded in the audit log.
    var actor: Actor { Actor(subject) }

    /// Whether the caller has `role` (`hr_admin` includes `leader`).
    func has(_ role: Role) -> Bool {
        roles.contains(role) || (role == .leader && roles.contains(.hrAdmin))
    }

    /// Throws 403 unless the caller has one of `roles`.
    func require(_ roles: Role...) throws {
        guard roles.contains(where: has) else {
            throw APIError(.forbidden, code: "forbidden", "this needs the role \(roles.map(\.rawValue).joined(separator: " or "))")
        }
    }

    /// Rankings: HR admins see everything, leaders see folded figures.
    func rankingViewer() throws -> Viewer {
        if has(.hrAdmin) { return .hrAdmin }
        try require(.leader)
        return .leader
    }
}

/// The request context: Hummingbird's core storage plus the caller's identity.
public struct MobiliseRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by ``AuthenticationMiddleware`` on every `/v1` route.
    public var identity: Identity?
    /// Set by ``SCIMMiddleware`` on every `/scim/v2` route.
    public var scimClient: SCIMClient?

    public init(source: Source) {
        coreContext = .init(source: source)
    }

    /// JSON bodies are small; uploads and imports set their own limits.
    public var maxUploadSize: Int { 1 << 20 }

    public var requestDecoder: JSONDecoder { JSONCoding.decoder }
    public var responseEncoder: JSONEncoder { JSONCoding.encoder }

    /// The verified caller (the authentication middleware guarantees it on `/v1`).
    func caller() throws -> Identity {
        guard let identity else { throw APIError(.unauthorized, code: "unauthorized", "a bearer token is required") }
        return identity
    }
}

/// snake_case keys and RFC 3339 UTC timestamps, both ways.
enum JSONCoding {
    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(timestamp(date))
        }
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = parseTimestamp(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not an RFC 3339 timestamp")
            }
            return date
        }
        return decoder
    }

    /// An encoder for types whose coding keys are all written out in snake_case already (the
    /// ranking bodies): the same output as ``encoder`` without converting every key of every row,
    /// which was a tenth of a ranking read's CPU.
    static var literalKeysEncoder: JSONEncoder {
        let encoder = encoder
        encoder.keyEncodingStrategy = .useDefaultKeys
        return encoder
    }

    /// `2015-06-01T09:30:00Z`, with milliseconds when the instant has them. Format styles, made once,
    /// not an `ISO8601DateFormatter` per call: that cost about 60 µs a date, a tenth of a ranking read's CPU.
    static func timestamp(_ date: Date) -> String {
        let whole = date.timeIntervalSince1970.rounded(.down) == date.timeIntervalSince1970
        return date.formatted(whole ? wholeSeconds : milliseconds)
    }

    private static let wholeSeconds = Date.ISO8601FormatStyle(timeZone: .gmt)
    private static let milliseconds = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)

    /// RFC 3339 with or without fractional seconds, years 1 to 9999 (``Instants``).
    static func parseTimestamp(_ text: String) -> Date? {
        guard Instants.hasFourDigitYear(text) else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let date = formatter.date(from: text) ?? {
            formatter.formatOptions = [.withInternetDateTime]
            return formatter.date(from: text)
        }()
        return date.flatMap { Instants.isSupported($0) ? $0 : nil }
    }
}
