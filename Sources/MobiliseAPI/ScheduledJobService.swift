import Foundation
import Logging
import MobiliseStore
import ServiceLifecycle

/// A job every instance schedules and one instance runs: every ``interval`` (first after
/// ``initialDelay``, once migrations have run) the instance claims the period's run in the database
/// (``MobiliseStore/claimScheduledRun(job:period:instance:)``, a lease in `scheduled_runs`) and runs
/// ``work`` only when the claim is its own, so that three instances behind a load balancer compact
/// the counts once an hour, not three times.
///
/// The lease covers nine tenths of the interval: instances whose timers fire at different moments
/// within a period all find it claimed but the first, and the next period's timer (which never fires
/// early) finds it free again. A failure is logged and the job retried at the next interval.
struct ScheduledJobService: Service {
    /// The job's name in `scheduled_runs` (the same on every instance).
    let name: String
    let store: MobiliseStore
    var initialDelay: Duration
    var interval: Duration
    /// Who claims a run (host and process id), as recorded in `scheduled_runs.claimed_by`.
    var instance: String = ScheduledJobService.thisInstance
    let logger: Logger
    let work: @Sendable () async throws -> Void

    func run() async throws {
        var wait = initialDelay
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let pause = wait
            try? await cancelWhenGracefulShutdown { try await sleepInShortSteps(for: pause) }
            if Task.isCancelled || Task.isShuttingDownGracefully { return }
            wait = interval
            do {
                try await cancelWhenGracefulShutdown { _ = try await runIfClaimed() }
            } catch is CancellationError {
                return
            } catch {
                logger.warning("a scheduled job failed; retrying at its next interval", metadata: ["job": "\(name)", "error": "\(error)"])
            }
        }
    }

    /// Claims this period's run and, when the claim is this instance's, runs the job: whether it ran.
    func runIfClaimed() async throws -> Bool {
        guard try await store.claimScheduledRun(job: name, period: interval * 9 / 10, instance: instance) else {
            logger.debug("a scheduled job ran on another instance this period", metadata: ["job": "\(name)"])
            return false
        }
        try await work()
        return true
    }

    /// This host's name and this process's id.
    static let thisInstance: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        let host = gethostname(&buffer, buffer.count) == 0 ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "unknown"
        return "\(host):\(ProcessInfo.processInfo.processIdentifier)"
    }()
}

extension ScheduledJobService {
    /// Folds past days of the daily signature counts into one row per country and day, hourly, so
    /// that a ranking read stays O(countries) however long a campaign runs. See
    /// ``MobiliseStore/compactDailyCounts(olderThanDays:)``. Until it runs, rankings are only a
    /// little slower, never wrong.
    static func countCompaction(
        store: MobiliseStore, logger: Logger, initialDelay: Duration = .seconds(30), interval: Duration = .seconds(3600)
    ) -> ScheduledJobService {
        ScheduledJobService(name: "count-compaction", store: store, initialDelay: initialDelay, interval: interval, logger: logger) {
            _ = try await store.compactDailyCounts()
        }
    }
}
