/// The longest timer the service sets at once.
///
/// A test run (2 cores, load average above 10) stalled for half an hour with every task suspended:
/// gdb showed no thread running Swift code, and `/proc/PID/fdinfo` showed libdispatch's only armed
/// timerfd due in 30 minutes, that of a one-hour `Task.sleep` (a live stream waiting for its
/// credential's expiry); the many shorter sleeps set after it (heartbeats, waits of 50 ms) never
/// woke. Whatever the cause in libdispatch's timer loop, no sleep here is set further ahead than
/// this, so that such a stall, should it strike, lasts seconds, not an hour.
let longestTimer: Duration = .seconds(longestTimerSeconds)
/// ``longestTimer`` in seconds, to clamp a `TimeInterval` before it becomes a `Duration` (a token's
/// `exp` may be centuries away: `Duration.seconds` of that overflows).
let longestTimerSeconds: Double = 10

/// Sleeps for `duration` in steps of at most ``longestTimer``.
func sleepInShortSteps(for duration: Duration) async throws {
    let end = ContinuousClock.now.advanced(by: duration)
    while true {
        let remaining = ContinuousClock.now.duration(to: end)
        guard remaining > .zero else { return }
        try await Task.sleep(for: min(remaining, longestTimer))
    }
}
