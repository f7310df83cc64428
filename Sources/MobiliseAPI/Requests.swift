import Foundation
import Hummingbird
import NIOCore
import MobiliseDomain

// Request bodies and query parameters.

/// A text given as one string (the default language) or per language.
enum LocalizedText: Decodable {
    case single(String)
    case byLanguage([String: String])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self = .single(text)
        } else {
            self = .byLanguage(try container.decode([String: String].self))
        }
    }

    func texts(defaultLanguage: String) -> [String: String] {
        switch self {
        case .single(let text): [defaultLanguage: text]
        case .byLanguage(let texts): texts
        }
    }
}

/// `POST /v1/campaigns` and `PATCH /v1/campaigns/{id}` (where every field is optional).
struct CampaignInput: Decodable {
    struct Translation: Decodable {
        var title: String?
        var pledgeText: String?
    }
    var slug: String?
    var hashtag: String?
    var defaultLanguage: String?
    var title: LocalizedText?
    var pledgeText: LocalizedText?
    var translations: [String: Translation]?
    var startsAt: Date?
    var endsAt: Date?
    var audience: AudienceBody?
    var goalSignatures: Int?
    var goalParticipation: Double?
    var countryGoals: [String: CountryGoalBody]?
    var successMinCountries: Int?

    /// A complete draft: the fields given, else those of `base` (for PATCH); missing required
    /// fields are a 422 naming them.
    func draft(over base: Campaign? = nil) throws -> CampaignDraft {
        let language = defaultLanguage ?? base?.defaultLanguage ?? "en"
        var titles = title?.texts(defaultLanguage: language) ?? base?.title ?? [:]
        var pledges = pledgeText?.texts(defaultLanguage: language) ?? base?.pledgeText ?? [:]
        for (tag, translation) in translations ?? [:] {
            if let title = translation.title { titles[tag] = title }
            if let pledge = translation.pledgeText { pledges[tag] = pledge }
        }
        var missing: [String] = []
        if slug ?? base?.slug == nil { missing.append("slug") }
        if hashtag ?? base?.hashtag == nil { missing.append("hashtag") }
        if titles.isEmpty { missing.append("title") }
        if pledges.isEmpty { missing.append("pledge_text") }
        if startsAt ?? base?.startsAt == nil { missing.append("starts_at") }
        if endsAt ?? base?.endsAt == nil { missing.append("ends_at") }
        guard missing.isEmpty, let slug = slug ?? base?.slug, let hashtag = hashtag ?? base?.hashtag,
              let startsAt = startsAt ?? base?.startsAt, let endsAt = endsAt ?? base?.endsAt
        else {
            throw APIError(.unprocessableContent, code: .missingFields, "missing: \(missing.joined(separator: ", "))")
        }
        var goals = base?.countryGoals ?? [:]
        if let countryGoals {
            goals = [:]
            for (country, goal) in countryGoals { goals[country] = try goal.goal(for: country) }
        }
        return CampaignDraft(
            slug: slug, hashtag: hashtag, defaultLanguage: language, title: titles, pledgeText: pledges, startsAt: startsAt,
            endsAt: endsAt, audience: audience?.audience ?? base?.audience ?? .everyone,
            goalSignatures: goalSignatures ?? base?.goalSignatures, goalParticipation: goalParticipation ?? base?.goalParticipation,
            countryGoals: goals, successMinCountries: successMinCountries ?? base?.successMinCountries)
    }
}

struct SignInput: Decodable {
    var channel: SignatureChannel?
    /// The event whose poster or QR code the employee came from (channels `poster` and `qr` only).
    var eventId: UUID?
}

struct PostInput: Decodable {
    var body: String
}

struct RejectInput: Decodable {
    var reason: String
}

struct EventInput: Decodable {
    var title: String
    var kind: EventKind
    var country: String
    var city: String?
    var startsAt: Date
    var endsAt: Date
    var capacity: Int?
    /// The host's HR id.
    var host: String

    var draft: EventDraft {
        EventDraft(title: title, kind: kind, country: country, city: city, startsAt: startsAt, endsAt: endsAt,
                   capacity: capacity, hostExternalID: host)
    }
}

struct CheckInInput: Decodable {
    var externalIds: [String]
}

extension Request {
    /// The body decoded as JSON, with a clear 400 for malformed JSON and 415 for another type.
    func json<T: Decodable>(_ type: T.Type, context: some RequestContext, limit: Int) async throws -> T {
        if let contentType = headers[.contentType], !contentType.lowercased().hasPrefix("application/json") {
            throw APIError(.unsupportedMediaType, code: .unsupportedMediaType, "send the body as application/json")
        }
        let buffer = try await collectBody(limit: limit)
        guard buffer.readableBytes > 0 else { throw APIError.badRequest(.missingBody, "this request needs a JSON body") }
        return try JSONCoding.decodeText(T.self, from: buffer)
    }

    /// The body as JSON when there is one, else nil.
    func optionalJSON<T: Decodable>(_ type: T.Type, context: some RequestContext, limit: Int, emptyObject: T? = nil) async throws -> T? {
        let buffer = try await collectBody(limit: limit)
        guard buffer.readableBytes > 0 else { return nil }
        if let contentType = headers[.contentType], !contentType.lowercased().hasPrefix("application/json") {
            throw APIError(.unsupportedMediaType, code: .unsupportedMediaType, "send the body as application/json")
        }
        // `{}`, what most clients send to a body-less PUT, needs no decoder when the caller says what it means.
        if let emptyObject, buffer.readableBytesView.elementsEqual("{}".utf8) { return emptyObject }
        return try JSONCoding.decodeText(T.self, from: buffer)
    }

    /// The whole body, refused with 413 past `limit` bytes.
    func collectBody(limit: Int) async throws -> ByteBuffer {
        do {
            return try await body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, code: .tooLarge, "the body is larger than \(limit) bytes")
        }
    }

    /// A query parameter, or nil.
    func query(_ name: String) -> String? {
        uri.queryParameters[name[...]].map(String.init)
    }

    /// An integer query parameter within `range`, 400 otherwise.
    func integer(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = query(name) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw APIError.badRequest(.invalidParameter, "'\(name)' must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// A ranking's `as_of`: an instant not in the future (``Instants/asOf(_:name:now:)``), 400 otherwise.
    func asOf() throws -> Date? {
        try query("as_of").map { try Instants.asOf($0) }
    }
}

extension JSONCoding {
    /// A JSON body decoded, refused with 400 `invalid_text` when a string in it (a value or a key)
    /// holds a NUL character, which no text of the API may contain.
    static func decodeText<T: Decodable>(_ type: T.Type, from buffer: ByteBuffer) throws -> T {
        let bytes = buffer.readableBytesView
        if containsEscapedNUL(bytes) { throw APIError.nulInText }
        return try decoder.decode(T.self, from: Data(bytes))
    }

    /// Whether JSON text escapes U+0000 (`\u0000`) in a string. A raw NUL is not valid JSON (the
    /// decoder refuses it); `\\u0000` is a backslash followed by the letters `u0000`.
    static func containsEscapedNUL(_ bytes: some Collection<UInt8>) -> Bool {
        let backslash = UInt8(ascii: "\\"), u = UInt8(ascii: "u"), zero = UInt8(ascii: "0")
        var index = bytes.startIndex
        while index != bytes.endIndex {
            guard bytes[index] == backslash else {
                index = bytes.index(after: index)
                continue
            }
            let escaped = bytes.index(after: index)
            guard escaped != bytes.endIndex else { return false }
            if bytes[escaped] == u, bytes[bytes.index(after: escaped)...].prefix(4).elementsEqual(repeatElement(zero, count: 4)) {
                return true
            }
            index = bytes.index(after: escaped)  // past the escaped character (`\\`, `\"`, `\u`…)
        }
        return false
    }
}

extension AuthenticatedContext {
    /// A path parameter that must be a UUID (404 when it is not: no such thing).
    func uuid(_ name: String, what: String, notFound: ErrorCode) throws -> UUID {
        guard let value = parameters.get(name), let id = UUID(uuidString: value) else {
            throw APIError(.notFound, code: notFound, "no such \(what)")
        }
        return id
    }

    func campaignReference() throws -> String {
        try parameters.require("id")
    }
}
