import Foundation
import Synchronization

/// Token buckets per key (an employee, an organisation): `capacity` requests, refilled evenly over
/// `interval`. Buckets idle long enough to be full again are dropped, so memory stays bounded by
/// the number of recent callers (at most twice it).
///
/// A launch-day minute can bring a whole workforce, so a bucket is small: 8 bytes, filed under the
/// key's 64-bit hash (the key itself is not kept). Two keys share a bucket only when their hashes
/// collide, about one chance in 30 million for a million callers in the same minute.
package final class RateLimiter<Key: Hashable & Sendable>: Sendable {
    private struct Bucket {
        var tokens: Float
        /// When `tokens` was counted, in hundredths of a second after ``State/epoch``.
        var updated: UInt32
    }

    private struct State {
        var buckets: [Int: Bucket] = [:]
        /// Set by the first request; moved forward before the hundredths outgrow `UInt32` (after about 497 days).
        var epoch: ContinuousClock.Instant?
        /// The size at which full buckets are dropped next: twice what a pass left, so that a
        /// launch-day crowd of recent callers (all kept) costs one pass per doubling, not one per request.
        var pruneAt = RateLimiterPruning.minimumSize
        var prunes = 0
    }

    private let capacity: Double
    private let refillPerSecond: Double
    private let state = Mutex(State())

    /// `capacity` requests per `interval` in all, for a service of `instances` instances.
    ///
    /// Several instances behind a load balancer (issue 24) each keep their own buckets, so each is
    /// given its share, `capacity / instances`, refilled at that share of the rate: a caller gets the
    /// configured limit in all, never `instances` times it, and no request pays for a shared counter
    /// (a round trip to PostgreSQL or another store on every signing would have cost more than the
    /// 5% that signing may lose; see README, "Several instances"). The price: a caller whose requests
    /// all land on one instance gets only that instance's share. HAProxy's `roundrobin` and
    /// `leastconn` spread each caller's requests evenly, so a caller at the limit is served it. A
    /// share below one request is raised to one (a burst of `instances` at most across the service).
    /// The share is kept between 1 and 1,000,000 (a bucket counts its tokens in a `Float`).
    package init(capacity: Int, per interval: Duration, instances: Int = 1) {
        let share = Double(max(capacity, 1)) / Double(max(instances, 1))
        self.capacity = min(max(share, 1), 1_000_000)
        self.refillPerSecond = min(share, 1_000_000) / max(Self.seconds(interval), 0.001)
    }

    /// Takes one request's token; when none is left, the seconds until the next one.
    package func take(_ key: Key, now: ContinuousClock.Instant = .now) -> Int? {
        state.withLock { state in
            var ticks = Self.hundredths(now - (state.epoch ?? now))
            if state.epoch == nil || ticks >= Int64(UInt32.max) {
                rebase(&state, now: now)
                ticks = Self.hundredths(now - (state.epoch ?? now))
            }
            let stamp = UInt32(clamping: max(ticks, 0))
            if state.buckets.count >= state.pruneAt { prune(&state, now: stamp) }
            let hash = key.hashValue
            let bucket = state.buckets[hash] ?? Bucket(tokens: Float(capacity), updated: stamp)
            let elapsed = Double(stamp >= bucket.updated ? stamp - bucket.updated : 0) / 100
            var tokens = min(capacity, Double(bucket.tokens) + elapsed * refillPerSecond)
            defer { state.buckets[hash] = Bucket(tokens: Float(tokens), updated: stamp) }
            // The tolerance absorbs the rounding of a `Float` and of the division: a caller who comes
            // back exactly when told is served, and is not told one second too many.
            guard tokens >= 1 - Self.tolerance else { return max(1, Int(((1 - tokens) / refillPerSecond - Self.tolerance).rounded(.up))) }
            tokens -= 1
            return nil
        }
    }

    private static var tolerance: Double { 1e-4 }

    /// How many buckets are kept, and how many pruning passes ran (for tests).
    package var footprint: (buckets: Int, prunes: Int) {
        state.withLock { ($0.buckets.count, $0.prunes) }
    }

    /// Hundredths of a second in which an empty bucket fills up again.
    private var refillTicks: Double { capacity / refillPerSecond * 100 }

    private func prune(_ state: inout State, now: UInt32) {
        let full = refillTicks
        state.buckets = state.buckets.filter { Double(now >= $0.value.updated ? now - $0.value.updated : 0) < full }
        state.pruneAt = max(RateLimiterPruning.minimumSize, 2 * state.buckets.count)
        state.prunes += 1
    }

    /// Moves the epoch to one refill time before `now`: buckets older than that are full (dropped),
    /// the others keep their instants, counted from the new epoch.
    private func rebase(_ state: inout State, now: ContinuousClock.Instant) {
        let full = Duration.seconds(capacity / refillPerSecond)
        let epoch = now - full
        if let old = state.epoch {
            var kept: [Int: Bucket] = [:]
            for (hash, bucket) in state.buckets {
                let updated = old + .milliseconds(Int64(bucket.updated) * 10)
                guard updated > epoch else { continue }
                kept[hash] = Bucket(tokens: bucket.tokens, updated: UInt32(clamping: Self.hundredths(updated - epoch)))
            }
            state.buckets = kept
        }
        state.epoch = epoch
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    private static func hundredths(_ duration: Duration) -> Int64 {
        duration.components.seconds * 100 + duration.components.attoseconds / 10_000_000_000_000_000
    }

    /// Throws 429 with `Retry-After` when `key` is over its limit.
    package func check(_ key: Key, what: String) throws {
        if let wait = take(key) {
            throw APIError(.tooManyRequests, code: .rateLimited, "too many \(what); try again in \(wait) s",
                           headers: [.retryAfter: String(wait)])
        }
    }
}

enum RateLimiterPruning {
    /// Below this many buckets nothing is dropped.
    static let minimumSize = 100_000
}

/// Whom the per-employee limits count: an employee of an organisation (no string is built per request).
package struct EmployeeKey: Hashable, Sendable {
    var organisation: UUID
    var subject: String

    package init(organisation: UUID, subject: String) {
        self.organisation = organisation
        self.subject = subject
    }
}
