import Foundation
import Hummingbird
import Synchronization

/// How many requests the service works on at once, at most.
///
/// A request past the limit is not queued: it is answered at once with 503 and `Retry-After`, so
/// a crowd far larger than the database pool costs the service a small, fixed amount of memory
/// per connection rather than a growing queue of requests each holding its body and its task.
final class InFlightLimit: Sendable {
    let limit: Int
    private let count = Atomic<Int>(0)

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Requests in progress now.
    var current: Int { count.load(ordering: .relaxed) }

    /// Takes a place; false when every place is taken (then nothing was taken).
    func enter() -> Bool {
        if count.wrappingAdd(1, ordering: .acquiringAndReleasing).newValue <= limit { return true }
        count.wrappingSubtract(1, ordering: .acquiringAndReleasing)
        return false
    }

    func leave() {
        count.wrappingSubtract(1, ordering: .acquiringAndReleasing)
    }
}

/// Sheds load: past ``InFlightLimit/limit`` requests in progress, answers 503 `overloaded` with
/// `Retry-After: 1` without running the route. Health, readiness and metrics are never shed, so
/// operators and load balancers still see the service while it is saturated.
///
/// A streamed response (the live counter, media) holds its place only until its head is ready.
struct LoadSheddingMiddleware: RouterMiddleware {
    typealias Context = MobiliseRequestContext
    let inFlight: InFlightLimit
    let metrics: ServiceMetrics

    static let exempt: Set<String> = ["/healthz", "/readyz", "/metrics"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if Self.exempt.contains(request.uri.path) { return try await next(request, context) }
        guard inFlight.enter() else {
            metrics.requestsShed.increment()
            throw APIError(
                .serviceUnavailable, code: .overloaded,
                "the service is at capacity (\(inFlight.limit) requests in progress); try again shortly",
                headers: [.retryAfter: "1"])
        }
        defer { inFlight.leave() }
        return try await next(request, context)
    }
}

/// How many live streams are open: at most ``perCaller`` for one person (a leader with the
/// dashboard open in a few tabs), and ``limit`` for the whole service. Streams re-read the figures
/// on every change (at most four times a second, shared between the streams of a campaign), and
/// each holds a notification subscription: work that the in-flight limit, which a stream leaves
/// once its head is sent, does not see.
final class LiveStreamSlots: Sendable {
    struct Caller: Hashable, Sendable {
        var organisation: UUID
        var subject: String
    }

    let limit: Int
    let perCaller: Int
    private let open = Mutex<(total: Int, byCaller: [Caller: Int])>((0, [:]))

    init(limit: Int, perCaller: Int = 4) {
        self.limit = max(1, limit)
        self.perCaller = max(1, perCaller)
    }

    /// A slot for `caller`, given back when the lease goes away (the stream ended, or its response
    /// was dropped unsent); nil when the caller or the service has none left.
    func lease(for caller: Caller) -> Lease? {
        let taken = open.withLock { open in
            let mine = open.byCaller[caller, default: 0]
            guard open.total < limit, mine < perCaller else { return false }
            open.total += 1
            open.byCaller[caller] = mine + 1
            return true
        }
        return taken ? Lease(slots: self, caller: caller) : nil
    }

    final class Lease: Sendable {
        let slots: LiveStreamSlots
        let caller: Caller
        init(slots: LiveStreamSlots, caller: Caller) {
            self.slots = slots
            self.caller = caller
        }
        deinit { slots.close(for: caller) }
    }

    private func close(for caller: Caller) {
        open.withLock { open in
            open.total -= 1
            let mine = open.byCaller[caller, default: 1] - 1
            open.byCaller[caller] = mine > 0 ? mine : nil
        }
    }

    /// Streams open now.
    var current: Int { open.withLock { $0.total } }
}
