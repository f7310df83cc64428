import Foundation
import Hummingbird
import MobiliseDomain
import MobiliseStore

/// Leadership's breakdowns: rankings (JSON, and CSV as a resource of its own), a country's
/// drill-down, the weekly timeline.
struct RankingRoutes {
    let environment: APIEnvironment
    var store: MobiliseStore { environment.store }

    func register(on v1: RouterGroup<AuthenticatedContext>) {
        v1.get("campaigns/:id/rankings", use: rankings)
        v1.get("campaigns/:id/rankings.csv", use: rankingsCSV)
        v1.get("campaigns/:id/countries/:country", use: country)
        v1.get("campaigns/:id/timeline", use: timeline)
        v1.get("campaigns/:id/counts/verify", use: verifyCounts)
        v1.get("leader-views", use: leaderViews)
    }

    /// JSON. The CSV is `rankings.csv`; `format=csv` or `Accept: text/csv` here still answer it, as
    /// before it had a resource of its own (undocumented: a client generated from the OpenAPI
    /// document expects JSON from this path).
    @Sendable func rankings(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let csv: Bool
        switch request.query("format") {
        case nil: csv = (request.headers[.accept] ?? "").lowercased().contains("text/csv")
        case "json": csv = false
        case "csv": csv = true
        case let format?:
            throw APIError.badRequest(
                .invalidParameter, "format '\(format)' is not one this resource answers: it answers JSON; the CSV is …/rankings.csv")
        }
        let body = try await ranking(request, context: context, surface: csv ? .rankingsCSV : .rankings)
        if csv { return Self.csvResponse(body) }
        return try jsonResponse(body, status: .ok, encoder: JSONCoding.literalKeysEncoder)
    }

    /// The ranking as CSV: the rows, then `other` (the same columns as the JSON rows, without `total`).
    @Sendable func rankingsCSV(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        Self.csvResponse(try await ranking(request, context: context, surface: .rankingsCSV))
    }

    static func csvResponse(_ body: RankingResponse) -> Response {
        textResponse(body.csv, contentType: "text/csv; charset=utf-8; header=present")
    }

    /// The ranking the query asks for (`metric`, `as_of`, `min_eligible`), for this caller.
    func ranking(_ request: Request, context: AuthenticatedContext, surface: LeaderSurface) async throws -> RankingResponse {
        let caller = context.identity
        let viewer = try caller.rankingViewer()
        var metric = RankingMetric.signatures
        if let name = request.query("metric") {
            guard let parsed = RankingMetric(rawValue: name) else {
                throw APIError.badRequest(.invalidParameter, "metric is one of \(RankingMetric.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            metric = parsed
        }
        let ranking = try await store.ranking(
            organisationID: caller.organisation.id, campaign: try context.campaignReference(), metric: metric, viewer: viewer,
            asOf: try request.asOf(), minEligible: try request.integer("min_eligible", in: 0...10_000_000) ?? 0,
            publication: environment.configuration.leaderPublication)
        try await environment.recordLeaderView(caller, viewer: viewer, campaignID: ranking.campaignID, surface: surface)
        return RankingResponse(ranking)
    }

    @Sendable func country(_ request: Request, context: AuthenticatedContext) async throws -> CountryResponse {
        let caller = context.identity
        let code = try context.parameters.require("country").uppercased()
        let viewer = try caller.rankingViewer()
        let campaign = try await store.campaign(organisationID: caller.organisation.id, reference: try context.campaignReference())
        try await environment.recordLeaderView(caller, viewer: viewer, campaignID: campaign.id, surface: .country)
        return CountryResponse(try await store.countryBreakdown(
            organisationID: caller.organisation.id, campaign: campaign.id.uuidString, country: code,
            viewer: viewer, asOf: try request.asOf(), publication: environment.configuration.leaderPublication))
    }

    @Sendable func timeline(_ request: Request, context: AuthenticatedContext) async throws -> TimelineResponse {
        let caller = context.identity
        let viewer = try caller.rankingViewer()
        guard (request.query("interval") ?? "week") == "week" else {
            throw APIError.badRequest(.invalidParameter, "interval is 'week' (the only interval so far)")
        }
        let campaign = try await store.campaign(organisationID: caller.organisation.id, reference: try context.campaignReference())
        try await environment.recordLeaderView(caller, viewer: viewer, campaignID: campaign.id, surface: .timeline)
        return TimelineResponse(try await store.timeline(
            organisationID: caller.organisation.id, campaign: campaign.id.uuidString, viewer: viewer,
            publication: environment.configuration.leaderPublication))
    }

    struct VerifyResponse: ResponseEncodable {
        struct Difference: Encodable {
            var table: String
            var country: String
            var day: String?
            var counted: Int
            var actual: Int
        }
        var consistent: Bool
        var differences: [Difference]
    }

    /// HR: recompute the counts from the signature rows (and the headcount from the employees) and report any difference.
    @Sendable func verifyCounts(_ request: Request, context: AuthenticatedContext) async throws -> VerifyResponse {
        let caller = context.identity
        try caller.require(.hrAdmin)
        let differences = try await store.verifyCounts(organisationID: caller.organisation.id, campaign: try context.campaignReference())
        return VerifyResponse(
            consistent: differences.isEmpty,
            differences: differences.map { .init(table: $0.table, country: $0.country, day: $0.day, counted: $0.counted, actual: $0.actual) })
    }
}

extension RankingRoutes {
    struct LeaderViewsPage: ResponseEncodable {
        struct Line: Encodable {
            var hour: Date
            var viewer: String
            var campaignId: UUID
            var campaign: String
            var surface: String
            var views: Int
            var firstAt: Date
            var lastAt: Date
        }
        var views: [Line]
        var nextCursor: String?

        // `next_cursor` is encoded even when null: clients test for it.
        enum CodingKeys: String, CodingKey { case views, nextCursor }
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(views, forKey: .views)
            try container.encode(nextCursor, forKey: .nextCursor)
        }
    }

    /// HR: the access log of leader views, newest hour first, a page at a time (`cursor`, `limit`),
    /// optionally of one campaign (`campaign`, an id or slug).
    @Sendable func leaderViews(_ request: Request, context: AuthenticatedContext) async throws -> LeaderViewsPage {
        let caller = context.identity
        try caller.require(.hrAdmin)
        let page = try await store.leaderViews(
            organisationID: caller.organisation.id, campaign: request.query("campaign"), cursor: request.query("cursor"),
            limit: try request.integer("limit", in: 1...500) ?? 100)
        return LeaderViewsPage(
            views: page.views.map {
                .init(hour: $0.hour, viewer: $0.viewer, campaignId: $0.campaignID, campaign: $0.campaignSlug, surface: $0.surface.rawValue,
                      views: $0.views, firstAt: $0.firstAt, lastAt: $0.lastAt)
            },
            nextCursor: page.next)
    }
}
