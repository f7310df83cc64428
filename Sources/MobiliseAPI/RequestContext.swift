import Foundation
import Hummingbird
import MobiliseDomain
import NIOCore

/// Who is calling, from a verified token.
public struct Identity: Sendable {
    public var organisation: Organisation
    /// The token's `sub`: an HR id.
    public var subject: String
    public var roles: Set<Role>
    /// When the token or session cookie that authenticated the request expires: a long answer
    /// (the live stream) ends then, so a credential never outlives itself.
    public var expires: Date
    /// The browser session that authenticated the request, when a session cookie did (a bearer
    /// token has none): a long answer checks that it has not been ended by signing out.
    var session: SessionReference?

    /// The actor recorded in the audit log.
    var actor: Actor { Actor(subject) }

    /// Whether the caller has `role` (`hr_admin` includes `leader`).
    func has(_ role: Role) -> Bool {
        roles.contains(role) || (role == .leader && roles.contains(.hrAdmin))
    }

    /// Throws 403 unless the caller has one of `roles`.
    func require(_ roles: Role...) throws {
        guard roles.contains(where: has) else {
            throw APIError(.forbidden, code: .forbidden, "this needs the role \(roles.map(\.rawValue).joined(separator: " or "))")
        }
    }

    /// Rankings: HR admins see everything, leaders see folded figures.
    func rankingViewer() throws -> Viewer {
        if has(.hrAdmin) { return .hrAdmin }
        try require(.leader)
        return .leader
    }
}

/// A session kept by the service (``SessionRoutes``): its organisation and the hash of its secret.
struct SessionReference: Sendable {
    var organisationID: UUID
    var secretHash: Data
}

/// The request context of every route: Hummingbird's core storage, the connection, and what the
/// authentication middlewares found.
public struct MobiliseRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by ``AuthenticationMiddleware`` on every `/v1` route, which then runs in an
    /// ``AuthenticatedContext`` where it is never missing.
    public var identity: Identity?
    /// The connection the request came on: a long answer (the live stream) watches it, to end as
    /// soon as the client goes away (``ConnectionCloseWatcher``).
    let channel: any Channel
    /// Set by ``SCIMMiddleware`` on every `/scim/v2` route.
    public var scimClient: SCIMClient?

    public init(source: Source) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// JSON bodies are small; uploads and imports set their own limits.
    public var maxUploadSize: Int { 1 << 20 }

    public var requestDecoder: JSONDecoder { JSONCoding.decoder }
    public var responseEncoder: JSONEncoder { JSONCoding.encoder }
}

/// The context of every `/v1` route: the caller is known. Made from the parent context after
/// ``AuthenticationMiddleware`` has verified the credential, so no handler asks again.
public struct AuthenticatedContext: ChildRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The verified caller.
    public let identity: Identity
    /// The connection the request came on (see ``MobiliseRequestContext/channel``).
    let channel: any Channel

    public init(context: MobiliseRequestContext) throws {
        // The middleware before this group refuses every request without a credential; this
        // guard keeps a route registered on the wrong group from ever running anonymously.
        guard let identity = context.identity else {
            throw APIError(.unauthorized, code: .unauthorized, "a bearer token is required")
        }
        coreContext = context.coreContext
        self.identity = identity
        channel = context.channel
    }

    public var maxUploadSize: Int { 1 << 20 }
    public var requestDecoder: JSONDecoder { JSONCoding.decoder }
    public var responseEncoder: JSONEncoder { JSONCoding.encoder }
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
            guard let date = Instants.parse(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: Instants.notAnInstant(text))
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
}

/// Percent-decodes the path parameters of the routes it guards, once for every route: the router
/// matches the path as sent, so `DELETE /v1/employees/%C3%89MILE-1` names the employee `ÉMILE-1`
/// (and `A%2FB` the employee `A/B`) in every handler and every error message. A parameter that is
/// not valid percent-encoded UTF-8 answers 400.
struct PathParameterDecoding: RouterMiddleware {
    typealias Context = MobiliseRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard context.parameters.contains(where: { $0.value.contains("%") }) else { return try await next(request, context) }
        var decoded: [(key: Substring, value: Substring)] = []
        for (key, value) in context.parameters {
            guard let text = value.removingPercentEncoding else {
                throw APIError.badRequest(.malformedPath, "the path segment '\(value)' is not valid percent-encoded UTF-8")
            }
            decoded.append((key, text[...]))
        }
        var context = context
        context.coreContext.parameters = Parameters(decoded)
        return try await next(request, context)
    }
}
