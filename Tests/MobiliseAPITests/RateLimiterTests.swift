@testable import MobiliseAPI
import Testing

@Suite struct RateLimiterTests {
    @Test func aLaunchDayCrowdIsNotRescannedOnEveryRequest() {
        // More distinct employees within the window than the pruning threshold, all recent (none
        // can be dropped): a pass per request would make every signing request scan them all.
        let limiter = RateLimiter<String>(capacity: 10, per: .seconds(60))
        let start = ContinuousClock.now
        let callers = 3 * RateLimiterPruning.minimumSize
        var refused = 0
        for index in 0..<callers where limiter.take("employee-\(index)", now: start + .milliseconds(index / 1000)) != nil {
            refused += 1
        }
        #expect(refused == 0)
        let footprint = limiter.footprint
        #expect(footprint.buckets == callers)
        #expect(footprint.prunes <= 2, "one pass per doubling of the crowd, not one per request")
    }

    @Test func callersIdleForAWholeWindowAreForgotten() {
        let limiter = RateLimiter<String>(capacity: 10, per: .seconds(60))
        let start = ContinuousClock.now
        for index in 0..<RateLimiterPruning.minimumSize { _ = limiter.take("employee-\(index)", now: start) }
        // A window later every bucket is full again: the next pass drops them all.
        #expect(limiter.take("latecomer", now: start + .seconds(61)) == nil)
        #expect(limiter.footprint.buckets == 1)
        #expect(limiter.footprint.prunes == 1)
    }

    @Test func aCallerOverTheLimitIsToldWhenToComeBack() {
        let limiter = RateLimiter<String>(capacity: 10, per: .seconds(60))
        let start = ContinuousClock.now
        for _ in 0..<10 { #expect(limiter.take("busy", now: start) == nil) }
        #expect(limiter.take("busy", now: start) == 6, "one token every 6 s")
        #expect(limiter.take("busy", now: start + .seconds(6)) == nil)
        #expect(limiter.take("someone-else", now: start) == nil)
    }

    @Test func aBucketKeepsItsCountWhenTheClockIsRebased() {
        // A bucket's instant is kept in 32 bits of hundredths of a second, counted from an epoch set
        // one refill time before the first request and moved forward before the count overflows.
        let limiter = RateLimiter<String>(capacity: 10, per: .seconds(60))
        let start = ContinuousClock.now
        #expect(limiter.take("early", now: start) == nil)
        let overflow = start - .seconds(60) + .milliseconds(Int64(UInt32.max) * 10)
        for _ in 0..<10 { #expect(limiter.take("busy", now: overflow - .seconds(1)) == nil) }
        #expect(limiter.take("busy", now: overflow - .seconds(1)) == 6)
        // Past the overflow: 4 s after it ran out, still 2 s short of its next token (one every
        // 6 s); 7 s after, it has one, then none again.
        #expect(limiter.take("busy", now: overflow + .seconds(3)) == 2)
        #expect(limiter.take("busy", now: overflow + .seconds(6)) == nil)
        #expect(limiter.take("busy", now: overflow + .seconds(6)) == 5)
        // The long-idle caller's bucket was full: the rebase dropped it, and it starts afresh.
        #expect(limiter.footprint.buckets == 1)
        #expect(limiter.take("early", now: overflow + .seconds(6)) == nil)
    }
}
