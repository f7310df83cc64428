import Foundation
import Synchronization

/// Token buckets per key (an employee, an organisation): `capacity` requests, refilled evenly over
/// `interval`. Buckets idle long enough to be full again are dropped, so memory stays bounded by
/// the number of recent callers (at most twice it).
final class RateLimiter<Key: Hashable & Sendable>: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    private struct State {
        var buckets: [Key: Bucket] = [:]
        /// The size at which full buckets are dropped next: twice what a pass left, so that a
        /// launch-day crowd of recent callers (all kept) costs one pass per doubling, not one per request.
        var pruneAt = RateLimiterPruning.minimumSize
        var prunes = 0
    }

    private let capacity: Double
    private let refillPerSecond: Double
    private let state = Mutex(State())

    init(capacity: Int, per interval: Duration) {
        self.capacity = Double(max(capacity, 1))
        let seconds = Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
        self.refillPerSecond = self.capacity / max(seconds, 0.001)
    }

    /// Takes one request's token; when none is left, the seconds until the next one.
    func take(_ key: Key, now: ContinuousClock.Instant = .now) -> Int? {
        state.withLock { state in
            if state.buckets.count >= state.pruneAt { prune(&state, now: now) }
            var bucket = state.buckets[key] ?? Bucket(tokens: capacity, updated: now)
            let elapsed = now - bucket.updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(capacity, bucket.tokens + seconds * refillPerSecond)
            bucket.updated = now
            defer { state.buckets[key] = bucket }
            guard bucket.tokens >= 1 else { return Int(((1 - bucket.tokens) / refillPerSecond).rounded(.up)) }
            bucket.tokens -= 1
            return nil
        }
    }

    /// How many buckets are kept, and how many pruning passes ran (for tests).
    var footprint: (buckets: Int, prunes: Int) {
        state.withLock { ($0.buckets.count, $0.prunes) }
    }

    private func prune(_ state: inout State, now: ContinuousClock.Instant) {
        let full = Duration.seconds(capacity / refillPerSecond)
        state.buckets = state.buckets.filter { now - $0.value.updated < full }
        state.pruneAt = max(RateLimiterPruning.minimumSize, 2 * state.buckets.count)
        state.prunes += 1
    }

    /// Throws 429 with `Retry-After` when `key` is over its limit.
    func check(_ key: Key, what: String) throws {
        if let wait = take(key) {
            throw APIError(.tooManyRequests, code: "rate_limited", "too many \(what); try again in \(wait) s",
                           headers: [.retryAfter: String(wait)])
        }
    }
}

enum RateLimiterPruning {
    /// Below this many buckets nothing is dropped.
    static let minimumSize = 100_000
}

/// Whom the per-employee limits count: an employee of an organisation (no string is built per request).
struct EmployeeKey: Hashable, Sendable {
    var organisation: UUID
    var subject: String
}
