// The per-employee rate limiter measured alone (issue 25): what one signing pays for
// `RateLimiter.take` at the service's default (30 requests a minute per employee).
//
//   swift build -c release --product rate-limiter-bench && .build/release/rate-limiter-bench [EMPLOYEES]
//
// Cases: a launch-day crowd (EMPLOYEES distinct employees, default 200,000, each once, as
// `bench/run`'s launch day: every bucket new, a pruning pass per doubling past 100,000); the same
// employees again within the minute (every bucket found); one employee over and over (past the
// limit: the refused path that builds the wait); and the crowd from two threads at once (the lock
// shared). Keys are made before the clock starts. Prints nanoseconds per call (best of 5 rounds).
import Foundation
import MobiliseAPI
import Synchronization

@main
struct RateLimiterBench {
    static func main() {
        let employees = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 200_000
        let organisation = UUID()
        let keys = (0..<employees).map { EmployeeKey(organisation: organisation, subject: String(format: "E%07d", $0 + 1)) }

        /// Nanoseconds per call of `body` over `count` calls, the best of `rounds` (a fresh limiter each round).
        func measure(_ name: String, calls count: Int, rounds: Int = 5, _ body: (RateLimiter<EmployeeKey>) -> Int) {
            var best = Double.infinity
            var refused = 0
            var footprint = (buckets: 0, prunes: 0)
            for _ in 0..<rounds {
                let limiter = RateLimiter<EmployeeKey>(capacity: 30, per: .seconds(60))
                let start = ContinuousClock.now
                refused = body(limiter)
                let elapsed = ContinuousClock.now - start
                let nanoseconds = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
                best = min(best, nanoseconds / Double(count))
                footprint = limiter.footprint
            }
            print(name.padding(toLength: 58, withPad: " ", startingAt: 0) + String(format: " %9.1f ns/call", best)
                + "  (\(count) calls, \(refused) refused, \(footprint.buckets) buckets, \(footprint.prunes) prunes)")
        }

        print("rate limiter at the default (30 a minute per employee), \(employees) employees, best of 5")
        measure("launch day: each employee once (new buckets)", calls: employees) { limiter in
            var refused = 0
            for key in keys where limiter.take(key) != nil { refused += 1 }
            return refused
        }
        measure("each employee twice within the minute (second finds it)", calls: 2 * employees) { limiter in
            var refused = 0
            for _ in 0..<2 { for key in keys where limiter.take(key) != nil { refused += 1 } }
            return refused
        }
        let hot = 1_000_000
        measure("one employee \(hot) times (refused after 30)", calls: hot) { limiter in
            var refused = 0
            for _ in 0..<hot where limiter.take(keys[0]) != nil { refused += 1 }
            return refused
        }
        measure("launch day from 2 threads at once (the lock shared)", calls: employees) { limiter in
            let refused = Mutex(0)
            DispatchQueue.concurrentPerform(iterations: 2) { thread in
                var count = 0
                for index in stride(from: thread, to: keys.count, by: 2) where limiter.take(keys[index]) != nil { count += 1 }
                refused.withLock { $0 += count }
            }
            return refused.withLock { $0 }
        }
    }
}
