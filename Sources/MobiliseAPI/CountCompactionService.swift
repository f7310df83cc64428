import Logging
import MobiliseStore
import ServiceLifecycle

/// Folds past days of the daily signature counts into one row per country and day, every
/// ``interval`` (first after ``initialDelay``, once migrations have run), so that a ranking read
/// stays O(countries) however long a campaign runs. See ``MobiliseStore/compactDailyCounts(olderThanDays:)``.
///
/// Every instance runs it; that is harmless (a second run finds nothing left to fold). A failure is
/// logged and retried at the next interval: until then rankings are only a little slower, never wrong.
struct CountCompactionService: Service {
    let store: MobiliseStore
    var initialDelay: Duration = .seconds(30)
    var interval: Duration = .seconds(3600)
    let logger: Logger

    func run() async throws {
        var wait = initialDelay
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let pause = wait
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
            if Task.isCancelled || Task.isShuttingDownGracefully { return }
            wait = interval
            do {
                try await cancelWhenGracefulShutdown { _ = try await store.compactDailyCounts() }
            } catch is CancellationError {
                return
            } catch {
                logger.warning("compacting the daily signature counts failed; retrying later", metadata: ["error": "\(error)"])
            }
        }
    }
}
