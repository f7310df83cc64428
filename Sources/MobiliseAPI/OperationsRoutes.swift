import Foundation
import Hummingbird
import MobiliseStore

/// Health, readiness, metrics and the API's description: no token needed.
struct OperationsRoutes {
    let environment: APIEnvironment

    func register(on router: Router<MobiliseRequestContext>) {
        router.get("healthz") { _, _ in textResponse("{\"status\":\"ok\"}\n", contentType: "application/json") }
        router.get("readyz", use: ready)
        router.get("metrics") { request, _ in
            let scraper = try checkScraper(request)
            return textResponse(environment.metrics.exposition(database: environment.store.databaseGauges,
                                                                inFlight: environment.inFlight, includingActivity: scraper),
                         contentType: "text/plain; version=0.0.4")
        }
        router.get("openapi.yaml") { _, _ in
            textResponse(OpenAPIDocument.yaml, contentType: "application/yaml; charset=utf-8")
        }
    }

    /// With `MOBILISE_METRICS_TOKEN` set, `/metrics` answers only `Authorization: Bearer <that token>`
    /// (compared in constant time) and the answer includes the activity counters (true). Unset,
    /// anyone may read the operations gauges, never the activity counters (false): those move by
    /// one at each person's request, a figure no privacy threshold covers (``ServiceMetrics``).
    func checkScraper(_ request: Request) throws -> Bool {
        guard let token = environment.configuration.metricsToken else { return false }
        let expected = Array("Bearer \(token)".utf8)
        let given = Array((request.headers[.authorization] ?? "").utf8)
        var difference = expected.count ^ given.count
        for index in expected.indices { difference |= Int(expected[index] ^ (index < given.count ? given[index] : 0)) }
        guard difference == 0 else {
            throw AuthenticationMiddleware.unauthorized(
                .invalidToken, "/metrics needs the scrape token (MOBILISE_METRICS_TOKEN)", challenge: #"Bearer realm="mobilise-metrics""#)
        }
        return true
    }

    /// 200 when the database answers and its schema is exactly this version's, 503 otherwise: with
    /// migrations pending, or with migrations of a newer version (which an older instance may no
    /// longer be able to write to, so a load balancer takes it out of rotation during an upgrade).
    /// Checked at most once a second (``ReadinessProbe``): the endpoint needs no token and is never shed.
    @Sendable func ready(_ request: Request, context: MobiliseRequestContext) async throws -> Response {
        let (migrator, store) = (environment.migrator, environment.store)
        switch await environment.readiness.status({
            do {
                let schema = try await store.schemaState(migrator)
                if !schema.unknown.isEmpty { return .schemaNewer(schema.unknown) }
                return schema.pending == 0 ? .ready : .migrationsPending(schema.pending)
            } catch {
                return .databaseUnavailable
            }
        }) {
        case .ready:
            return textResponse("{\"status\":\"ready\"}\n", contentType: "application/json")
        case .migrationsPending(let count):
            return textResponse("{\"status\":\"migrations_pending\",\"pending\":\(count)}\n", contentType: "application/json",
                                status: .serviceUnavailable)
        case .schemaNewer(let unknown):
            let body = try JSONSerialization.data(withJSONObject: ["status": "schema_newer", "unknown": unknown], options: [.sortedKeys])
            return textResponse(String(decoding: body, as: UTF8.self) + "\n", contentType: "application/json", status: .serviceUnavailable)
        case .databaseUnavailable:
            return textResponse("{\"status\":\"database_unavailable\"}\n", contentType: "application/json", status: .serviceUnavailable)
        }
    }
}

/// The readiness answer, shared by every caller of `/readyz`: callers that come while a check
/// runs wait for it, and its answer serves the next ``maxAge``; so a flood of unauthenticated
/// readiness requests costs at most one pooled connection, once per ``maxAge``.
actor ReadinessProbe {
    enum Status: Sendable, Equatable {
        case ready, migrationsPending(Int), schemaNewer([String]), databaseUnavailable
    }

    let maxAge: Duration
    private var last: (status: Status, at: ContinuousClock.Instant)?
    private var running: Task<Status, Never>?

    init(maxAge: Duration = .seconds(1)) {
        self.maxAge = maxAge
    }

    func status(_ check: @escaping @Sendable () async -> Status) async -> Status {
        if let last, ContinuousClock.now - last.at < maxAge { return last.status }
        if let running { return await running.value }
        let task = Task { await check() }
        running = task
        let status = await task.value
        last = (status, .now)
        running = nil
        return status
    }
}

/// `openapi.yaml`, compiled into the binary.
public enum OpenAPIDocument {
    public static let yaml = String(decoding: PackageResources.openapi_yaml, as: UTF8.self)
}
