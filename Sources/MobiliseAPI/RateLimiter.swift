import Foundation
import Synchronization

/// Token buckets per key (an employee, an organisation): `capacity` requests, refilled evenly over
/// `interval`. Buckets idle long enough to be full again are dropped, so memory stays bounded by
/// the number of recent callers.
final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    private let capacity: Double
    private let refillPerSecond: Double
    private let buckets = Mutex<[String: Bucket]>([:])

    init(capacity: Int, per interval: Duration) {
        self.capacity = Double(max(capacity, 1))
        let seconds = Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
        self.refillPerSecond = self.capacity / max(seconds, 0.001)
    }

    /// Takes one request's token; when none is left, the seconds until the next one.
    func take(_ key: String, now: ContinuousClock.Instant = .now) -> Int? {
        buckets.withLock { buckets in
            if buckets.count > 100_000 { prune(&buckets, now: now) }
            var bucket = buckets[key] ?? Bucket(tokens: capacity, updated: now)
            let elapsed = now - bucket.updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(capacity, bucket.tokens + seconds * refillPerSecond)
            bucket.updated = now
            defer { buckets[key] = bucket }
            guard bucket.tokens >= 1 else { return Int(((1 - bucket.tokens) / refillPerSecond).rounded(.up)) }
            bucket.tokens -= 1
            return nil
        }
    }

    private func prune(_ buckets: inout [String: Bucket], now: ContinuousClock.Instant) {
        let full = Duration.seconds(capacity / refillPerSecond)
        buckets = buckets.filter { now - $0.value.updated < full }
    }

    /// Throws 429 with `Retry-After` when `key` is over its limit.
    func check(_ key: String, what: String) throws {
        if let wait = take(key) {
            throw APIError(.tooManyRequests, code: "rate_limited", "too many \(what); try again in \(wait) s",
                           headers: [.retryAfter: String(wait)])
        }
    }
}
