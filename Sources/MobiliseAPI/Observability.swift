import Foundation
import Hummingbird
import Logging
import MobiliseStore
import Prometheus
import Synchronization

/// The service's metrics, in registries of their own (no global state), served at `/metrics`.
///
/// Two registries, because of the privacy rule: the *activity* counters (signatures recorded,
/// requests and their latency by route) move by one at each person's request, so someone polling
/// them while a colleague signs learns that they did; no threshold covers them. They are served only
/// to the scrape token (`MOBILISE_METRICS_TOKEN`). The *operations* gauges (pool, requests in
/// progress, shedding, log drops, replicas) describe the machine, not anyone's act, and are served
/// to anyone who reaches `/metrics`.
public final class ServiceMetrics: Sendable {
    /// Pool, in-flight, shedding, log and replica figures: open to any scraper.
    public let operations = PrometheusCollectorRegistry()
    /// Figures that move with one person's request: only for the scrape token.
    public let activity = PrometheusCollectorRegistry()
    let signaturesRecorded: Counter
    let requestsShed: Counter

    public init() {
        signaturesRecorded = activity.makeCounter(descriptor: Self.name("signatures_recorded", unit: "total", "Signatures made current (new or re-signed)"))
        requestsShed = operations.makeCounter(descriptor: Self.name("http_requests_shed", unit: "total", "Requests answered 503 overloaded without being run"))
    }

    static func name(_ metric: String, unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "mobilise", metricName: metric, unitName: unit, helpText: help)
    }

    private struct RequestKey: Hashable {
        var route: String
        var method: String
        var status: Int
    }

    /// Ends an exposition made without the scrape token, saying what is left out and why.
    static let activityWithheld = "# Signing and per-route request counters are served only with MOBILISE_METRICS_TOKEN (privacy rule).\n"

    /// The per-request metrics already made, so a request costs one dictionary look-up rather than
    /// the registry's (which builds and checks the label set each time). Routes are the router's
    /// templates and statuses a small set, so these stay small.
    private let requestCounters = Mutex<[RequestKey: Counter]>([:])
    private let latencies = Mutex<[RequestKey: DurationHistogram]>([:])
    /// Beyond this many (odd methods a client made up), the registry is asked each time.
    private static let cachedKeys = 1024

    func requests(route: String, method: String, status: Int) -> Counter {
        let key = RequestKey(route: route, method: method, status: status)
        if let counter = requestCounters.withLock({ $0[key] }) { return counter }
        let counter = activity.makeCounter(descriptor: Self.name("http_requests", unit: "total", "HTTP requests by route, method and status"),
                                           labels: [("route", route), ("method", method), ("status", String(status))])
        requestCounters.withLock { if $0.count < Self.cachedKeys { $0[key] = counter } }
        return counter
    }

    func latency(route: String, method: String) -> DurationHistogram {
        let key = RequestKey(route: route, method: method, status: 0)
        if let histogram = latencies.withLock({ $0[key] }) { return histogram }
        let histogram = activity.makeDurationHistogram(
            descriptor: Self.name("http_request_duration", unit: "seconds", "HTTP request latency by route"),
            labels: [("route", route), ("method", method)],
            buckets: [.milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
                      .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5)])
        latencies.withLock { if $0.count < Self.cachedKeys { $0[key] = histogram } }
        return histogram
    }

    /// The Prometheus text exposition, with the pool's and the read replicas' gauges read now; the
    /// activity counters only when `includingActivity` (the caller showed the scrape token).
    func exposition(database: DatabaseGauges, inFlight: InFlightLimit, includingActivity: Bool) -> String {
        let registry = operations
        for replica in database.replicas {
            let labels = [("replica", replica.name)]
            registry.makeGauge(descriptor: Self.name("db_replica_lag", unit: "seconds", "Seconds a read replica is behind the primary (-1: unknown)"),
                               labels: labels).set(replica.lagSeconds ?? -1)
            registry.makeGauge(descriptor: Self.name("db_replica_healthy", unit: "", "1 when the replica serves reads"),
                               labels: labels).set(Int64(replica.healthy ? 1 : 0))
            registry.makeGauge(descriptor: Self.name("db_replica_reads", unit: "", "Reads served by the replica since start"),
                               labels: labels).set(Int64(replica.reads))
        }
        if let reads = database.primaryFallbackReads {
            registry.makeGauge(descriptor: Self.name("db_primary_fallback_reads", unit: "", "Replica-eligible reads served by the primary"))
                .set(Int64(reads))
        }
        registry.makeGauge(descriptor: Self.name("db_pool_connections_open", unit: "", "Open database connections")).set(Int64(database.open))
        registry.makeGauge(descriptor: Self.name("db_pool_connections_in_use", unit: "", "Database connections in use")).set(Int64(database.inUse))
        registry.makeGauge(descriptor: Self.name("db_pool_waiting", unit: "", "Callers waiting for a database connection")).set(Int64(database.waiting))
        registry.makeGauge(descriptor: Self.name("http_requests_in_flight", unit: "", "Requests in progress (health, readiness and metrics not counted)"))
            .set(Int64(inFlight.current))
        registry.makeGauge(descriptor: Self.name("http_requests_in_flight_limit", unit: "", "Requests in progress at most; past it, 503 overloaded"))
            .set(Int64(inFlight.limit))
        registry.makeGauge(descriptor: Self.name("log_lines_dropped", unit: "", "Log lines dropped since start because the log output did not keep up"))
            .set(Int64(BufferedLogOutput.standardError.dropped))
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        if includingActivity {
            activity.emit(into: &buffer)
        } else {
            buffer.append(contentsOf: Self.activityWithheld.utf8)
        }
        return String(decoding: buffer, as: UTF8.self)
    }
}

/// One log line per request (method, route template, status, duration, request id — never a token,
/// a body or a bound value) and the request metrics.
struct ObservabilityMiddleware: RouterMiddleware {
    typealias Context = MobiliseRequestContext
    let metrics: ServiceMetrics

    /// `12.3`: milliseconds, rounded to a tenth, as `String(format: "%.1f")` wrote them (which
    /// was a third of the request line's cost: issue 25's profile).
    static func milliseconds(_ elapsed: Duration) -> String {
        let (seconds, attoseconds) = elapsed.components
        guard seconds >= 0, attoseconds >= 0 else { return "0.0" }
        let tenths = seconds * 10_000 + (attoseconds + 50_000_000_000_000) / 100_000_000_000_000
        return "\(tenths / 10).\(tenths % 10)"
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var status = 500
        defer {
            let elapsed = ContinuousClock.now - start
            let route = context.endpointPath ?? "unmatched"
            let method = request.method.rawValue
            metrics.requests(route: route, method: method, status: status).increment()
            metrics.latency(route: route, method: method).record(elapsed)
            context.logger.info("request", metadata: [
                "http.method": "\(method)", "http.route": "\(route)", "http.status": "\(status)",
                "duration_ms": "\(Self.milliseconds(elapsed))",
            ])
        }
        do {
            let response = try await next(request, context)
            status = response.status.code
            return response
        } catch let error as any HTTPResponseError {
            status = error.status.code
            throw error
        }
    }
}
