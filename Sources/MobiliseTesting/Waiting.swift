import Foundation

/// A condition that did not come true in time.
public struct ConditionTimeout: Error, CustomStringConvertible {
    public var timeout: Duration
    public var description: String { "condition not reached within \(timeout)" }
}

/// Waits until `condition` holds, checking every 10 ms; throws ``ConditionTimeout`` after `timeout`.
/// Tests wait on a condition like this, never on a fixed sleep.
public func waitUntil(timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw ConditionTimeout(timeout: timeout) }
        try await Task.sleep(for: .milliseconds(10))
    }
}
