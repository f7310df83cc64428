import Foundation
import MobiliseDomain

/// The service's settings. Every one has an environment variable (documented in the README).
public struct APIConfiguration: Sendable {
    /// HS256 secrets shorter than this are refused (a short HMAC key is guessable).
    public static let minimumSecretBytes = 32

    /// HS256 secret for bearer tokens (`MOBILISE_JWT_SECRET`).
    public var jwtSecret: String?
    /// A JWKS file with the RS256/ES256 public keys of the identity provider (`MOBILISE_JWKS_FILE`).
    public var jwksFile: String?
    /// When set, tokens must carry this `iss` (`MOBILISE_JWT_ISSUER`): an identity provider signs
    /// tokens for many applications, so set it (and the audience) with a JWKS.
    public var jwtIssuer: String?
    /// When set, tokens' `aud` must include it (`MOBILISE_JWT_AUDIENCE`).
    public var jwtAudience: String?
    /// Largest JSON body, in bytes (`MOBILISE_MAX_BODY`, default 1 MiB).
    public var maxBodySize: Int
    /// Largest story upload, media included (default 11 MiB: 10 MiB of media plus the text).
    public var maxPostSize: Int
    /// Largest workforce file (`MOBILISE_MAX_IMPORT`, default 256 MiB). Mobilise's own CSV is streamed, never held
    /// whole; another encoding, delimiter, an XLSX workbook or a column mapping is read whole to be converted.
    public var maxImportSize: Int
    /// Signing and posting requests allowed per employee per minute (`MOBILISE_RATE_LIMIT`, default 30).
    public var ratePerMinute: Int
    /// Imports allowed per organisation per hour (`MOBILISE_IMPORT_RATE_LIMIT`, default 20); beyond
    /// it an import gets 429 with `Retry-After`.
    public var importsPerHour: Int
    /// Requests in progress at most (`MOBILISE_MAX_IN_FLIGHT`, default 256); past it, requests are
    /// answered 503 `overloaded` with `Retry-After` at once instead of queueing. Health, readiness
    /// and metrics are not counted.
    public var maxInFlight: Int
    /// Live streams open at once at most (`MOBILISE_MAX_LIVE_STREAMS`, default 512), and at most
    /// four per person; past either, a new stream gets 429 `too_many_streams` with `Retry-After`.
    public var maxLiveStreams = 512
    /// Workforce imports running at once, across organisations (`MOBILISE_MAX_IMPORTS`, default 2):
    /// each holds its file's good rows in memory (up to `maxImportSize`) until they are loaded.
    /// Past it, 429 `import_busy` with `Retry-After`.
    public var maxConcurrentImports = 2
    /// The bearer token `/metrics` asks for (`MOBILISE_METRICS_TOKEN`); unset, `/metrics` is open
    /// and must be reachable by the scraper only.
    public var metricsToken: String?
    /// How leaders' figures are published (`MOBILISE_LEADER_PUBLISH_INTERVAL`, a duration such as
    /// `15m`, `2s` or `500ms`; default 10 minutes): as of the last published instant, rounded
    /// (``Publication``, PRIVACY.md). HR admins' figures are exact and live.
    public var leaderPublication = Publication()
    /// The origins whose pages may frame the employee widget (`MOBILISE_WIDGET_ORIGINS`: origins
    /// separated by spaces or commas, e.g. `https://intranet.acme.com https://*.acme.com`). Its
    /// `frame-ancestors`; empty (the default), no site may frame it. No other page may ever be framed.
    public var widgetOrigins: [String] = []
    /// The share of the active workforce a full sync may deactivate without `confirm_deactivations`
    /// (`MOBILISE_FULL_SYNC_GUARD`, `0.1` or `10%`, default 10%).
    public var fullSyncGuard = ImportOptions.defaultDeactivationGuard
    /// How many instances of the service run behind the load balancer (`MOBILISE_INSTANCES`,
    /// default 1). Each instance enforces this share of the per-employee and per-organisation rate
    /// limits, so that together they enforce the configured limits; set it to the number of
    /// instances, the same on every one.
    public var instances = 1
    /// The outbox's sender and its outbound-URL policy (`MOBILISE_OUTBOX_*`, `MOBILISE_OUTBOUND_*`).
    public var outbox = OutboxConfiguration()
    /// E-mail reminders: the SMTP server, sender and rate (`MOBILISE_SMTP_*`). A setting that
    /// cannot be read leaves e-mail off here; `mobilise serve` refuses to start with it.
    public var email = EmailConfiguration()

    public init(
        jwtSecret: String? = nil, jwksFile: String? = nil, maxBodySize: Int = 1 << 20, maxPostSize: Int = 11 << 20,
        maxImportSize: Int = 256 << 20, ratePerMinute: Int = 30, importsPerHour: Int = 20, maxInFlight: Int = 256
    ) {
        self.jwtSecret = jwtSecret
        self.jwksFile = jwksFile
        self.maxBodySize = maxBodySize
        self.maxPostSize = maxPostSize
        self.maxImportSize = maxImportSize
        self.ratePerMinute = ratePerMinute
        self.importsPerHour = importsPerHour
        self.maxInFlight = max(1, maxInFlight)
    }

    /// The address people and identity providers reach the service at, behind a proxy or a load
    /// balancer (`MOBILISE_PUBLIC_URL`, e.g. `https://mobilise.example.com` or
    /// `https://intranet.example.com/mobilise`): every absolute link the service makes starts with
    /// it (the single sign-on redirect URI, SCIM's `meta.location` and discovery URIs). Unset: the
    /// scheme and `Host` of each request (with `X-Forwarded-Proto`).
    public var publicURL: String?
    /// The key material that seals secrets kept in the database (the OpenID client secret, webhooks'
    /// signing keys): `MOBILISE_SECRETS_KEY`; unset, `MOBILISE_JWT_SECRET` is used. To change it,
    /// move the old value to ``previousSecretsKeys`` (README, rotating the secrets key).
    public var secretsKey: String?
    /// Keys being retired (`MOBILISE_SECRETS_KEY_PREVIOUS`, several separated by spaces): secrets
    /// sealed under them still open, and are sealed again under ``secretsKey``.
    public var previousSecretsKeys: [String] = []

    /// Reads the configuration from environment variables.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> APIConfiguration {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        var configuration = APIConfiguration(jwtSecret: value("MOBILISE_JWT_SECRET"), jwksFile: value("MOBILISE_JWKS_FILE"))
        configuration.jwtIssuer = value("MOBILISE_JWT_ISSUER")
        configuration.jwtAudience = value("MOBILISE_JWT_AUDIENCE")
        if let size = value("MOBILISE_MAX_BODY").flatMap(Int.init) { configuration.maxBodySize = size }
        if let size = value("MOBILISE_MAX_IMPORT").flatMap(Int.init) { configuration.maxImportSize = size }
        if let rate = value("MOBILISE_RATE_LIMIT").flatMap(Int.init) { configuration.ratePerMinute = rate }
        if let limit = value("MOBILISE_MAX_IN_FLIGHT").flatMap(Int.init), limit > 0 { configuration.maxInFlight = limit }
        if let rate = value("MOBILISE_IMPORT_RATE_LIMIT").flatMap(Int.init) { configuration.importsPerHour = rate }
        if let limit = value("MOBILISE_MAX_LIVE_STREAMS").flatMap(Int.init), limit > 0 { configuration.maxLiveStreams = limit }
        if let limit = value("MOBILISE_MAX_IMPORTS").flatMap(Int.init), limit > 0 { configuration.maxConcurrentImports = limit }
        configuration.metricsToken = value("MOBILISE_METRICS_TOKEN")
        if let interval = value("MOBILISE_LEADER_PUBLISH_INTERVAL").flatMap(Publication.parseInterval) {
            configuration.leaderPublication = Publication(interval: interval)
        }
        configuration.widgetOrigins = (try? widgetOrigins(value("MOBILISE_WIDGET_ORIGINS") ?? "")) ?? []
        if let share = value("MOBILISE_FULL_SYNC_GUARD").flatMap(ImportOptions.share) { configuration.fullSyncGuard = share }
        if let count = value("MOBILISE_INSTANCES").flatMap(Int.init), count > 0 { configuration.instances = count }
        configuration.publicURL = value("MOBILISE_PUBLIC_URL").flatMap { try? publicURL($0) }
        configuration.secretsKey = value("MOBILISE_SECRETS_KEY")
        configuration.previousSecretsKeys = (value("MOBILISE_SECRETS_KEY_PREVIOUS") ?? "").split(separator: " ").map(String.init)
        configuration.outbox = OutboxConfiguration.fromEnvironment(environment)
        configuration.email = (try? EmailConfiguration.fromEnvironment(environment)) ?? EmailConfiguration()
        return configuration
    }

    /// What may be put in a `frame-ancestors` directive: `http(s)://host[:port]`, the host's first
    /// label possibly `*`, the port possibly `*` (nothing that could end the directive or the header).
    public static func widgetOrigins(_ text: String) throws -> [String] {
        let pattern = #"^https?://(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:([0-9]{1,5}|\*))?$"#
        return try text.split(whereSeparator: { $0 == " " || $0 == "," }).map { origin in
            guard origin.range(of: pattern, options: .regularExpression) != nil else {
                throw InvalidWidgetOrigin(origin: String(origin))
            }
            return String(origin).lowercased()
        }
    }

    /// `MOBILISE_PUBLIC_URL` checked: `http(s)://host[:port][/path]`, without a query, a fragment,
    /// credentials or a trailing slash (removed).
    public static func publicURL(_ text: String) throws -> String {
        let trimmed = text.hasSuffix("/") ? String(text.dropLast()) : text
        guard let components = URLComponents(string: trimmed), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty,
              components.query == nil, components.fragment == nil, components.user == nil, components.password == nil,
              trimmed.utf8.count <= 500, !trimmed.contains(where: { $0.isWhitespace })
        else {
            throw InvalidPublicURL(text: text)
        }
        return trimmed
    }

    /// A `MOBILISE_PUBLIC_URL` that is not such an address.
    public struct InvalidPublicURL: Error, CustomStringConvertible {
        public var text: String
        public var description: String {
            "MOBILISE_PUBLIC_URL: '\(text)' is not an address such as https://mobilise.example.com (http or https, a host, "
                + "optional port and path, no query)"
        }
    }

    /// A `MOBILISE_WIDGET_ORIGINS` entry that is not an origin.
    public struct InvalidWidgetOrigin: Error, CustomStringConvertible {
        public var origin: String
        public var description: String {
            "MOBILISE_WIDGET_ORIGINS: '\(origin)' is not an origin such as https://intranet.example.com (scheme, host, optional port)"
        }
    }
}
