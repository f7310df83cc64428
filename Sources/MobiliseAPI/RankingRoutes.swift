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
        let body = try await ranking(request, context: context)
        if csv { return Self.csvResponse(body) }
        return try jsonResponse(body, status: .ok, encoder: JSONCoding.literalKeysEncoder)
    }

    /// The ranking as CSV: the rows, then `other` (the same columns as the JSON rows, without `total`).
    @Sendable func rankingsCSV(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        Self.csvResponse(try await ranking(request, context: context))
    }

    static func csvResponse(_ body: RankingResponse) -> Response {
        textResponse(body.csv, contentType: "text/csv; charset=utf-8; header=present")
    }

    /// The ranking the query asks for (`metric`, `as_of`, `min_eligible`), for this caller.
    func ranking(_ request: Request, context: AuthenticatedContext) async throws -> RankingResponse {
        let caller = context.identity
        let viewer = try caller.rankingViewer()
        var metric = RankingMetric.signatures
        if let name = request.query("metric") {
            guard let parsed = RankingMetric(rawValue: name) else {
                throw APIError.badRequest(.invalidParameter, "metric is one of \(RankingMetric.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            metric = parsed
        }
        return RankingResponse(try await store.ranking(
            organisationID: caller.organisation.id, campaign: try context.campaignReference(), metric: metric, viewer: viewer,
            asOf: try request.asOf(), minEligible: try request.integer("min_eligible", in: 0...10_000_000) ?? 0))
    }

    @Sendable func country(_ request: Request, context: AuthenticatedContext) async throws -> CountryResponse {
        let caller = context.identity
        let code = try context.parameters.require("country").uppercased()
        return CountryResponse(try await store.countryBreakdown(
            organisationID: caller.organisation.id, campaign: try context.campaignReference(), country: code,
            viewer: try caller.rankingViewer(), asOf: try request.asOf()))
    }

    @Sendable func timeline(_ request: Request, context: AuthenticatedContext) async throws -> TimelineResponse {
        let caller = context.identity
        let viewer = try caller.rankingViewer()
        guard (request.query("interval") ?? "week") == "week" else {
            throw APIError.badRequest(.invalidParameter, "interval is 'week' (the only interval so far)")
        }
        return TimelineResponse(try await store.timeline(
            organisationID: caller.organisation.id, campaign: try context.campaignReference(), viewer: viewer))
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
