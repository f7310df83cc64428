import Foundation

/// A condition that did not come true in time.
public struct ConditionTimeout: Error, CustomStringConvertible {
    public var what: String
    public var timeout: Duration
    public var description: String { "gave up after \(timeout) waiting until \(what)" }
}

/// Waits until `condition` holds, checking every `interval`; throws ``ConditionTimeout`` (saying
/// `what` was awaited) after `timeout`. Tests wait on a condition like this, never on a fixed sleep.
public func waitUntil(
    _ what: String = "the condition holds", timeout: Duration = .seconds(10), interval: Duration = .milliseconds(10),
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw ConditionTimeout(what: what, timeout: timeout) }
        try await Task.sleep(for: interval)
    }
}
