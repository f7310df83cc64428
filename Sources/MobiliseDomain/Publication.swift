import Crypto
import Foundation

/// How a leader's figures are published, so that no leader can verify what one person did by
/// reading them before and after (PRIVACY.md derives and measures it).
///
/// 1. **Published instants.** A leader's figures are those of the last instant that is a whole
///    multiple of ``interval`` since 1970 (UTC); an `as_of` snaps to the instant at or before it.
///    Figures change only at those instants, the same on every instance.
/// 2. **Rounded counts.** Each group's cumulative signature count is published rounded down to a
///    step ``granularity(groupSize:)`` (20 below 1,000 eligible; above, the largest of 10, 20, 50,
///    100 that is at most 1% of the group), after adding a secret offset in `0..<step` drawn once
///    per campaign and group (an HMAC of the campaign's publication key and the group's name). One
///    more signature changes the published figure with probability 1/step, and the boundaries
///    cannot be known. The offset never changes, so reading the same count again, at any later
///    instant or through any other surface, gives the same figure: averaging many readings learns
///    nothing.
/// 3. **Every figure from the rounded counts.** `last_7_days` and `previous_7_days` are differences
///    of the rounded cumulative count at the window bounds, rates and goals are computed from the
///    rounded count; timelines are the rounded count at each week's end. Combining figures adds
///    nothing to the rounded counts themselves.
///
/// HR admins are not given this: their figures stay exact.
public struct Publication: Sendable, Equatable {
    /// Seconds between two published instants.
    public var interval: TimeInterval

    /// Ten minutes: a launch-day burst shows within ten minutes, and a minute-level experiment
    /// cannot be run.
    public static let defaultInterval: TimeInterval = 600

    public init(interval: TimeInterval = Publication.defaultInterval) {
        self.interval = max(interval, 0.001)
    }

    /// The published instant at or before `date`.
    public func instant(atOrBefore date: Date) -> Date {
        let steps = (date.timeIntervalSince1970 / interval).rounded(.down)
        return Date(timeIntervalSince1970: steps * interval)
    }

    /// The published instant after `date`.
    public func instant(after date: Date) -> Date {
        instant(atOrBefore: date).addingTimeInterval(interval)
    }

    /// Reads a duration such as `15m`, `2s`, `500ms`, `1h` or `90` (seconds); nil when it is not one
    /// or not positive.
    public static func parseInterval(_ text: String) -> TimeInterval? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(suffix: String, seconds: Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        var number = Substring(trimmed)
        var scale = 1.0
        for unit in units where trimmed.hasSuffix(unit.suffix) {
            number = trimmed.dropLast(unit.suffix.count)
            scale = unit.seconds
            break
        }
        guard !number.isEmpty, number.allSatisfy({ $0.isNumber || $0 == "." }), let value = Double(number), value > 0,
              value.isFinite else { return nil }
        return value * scale
    }

    /// The step a group's counts are rounded to: 20 for groups under 1,000 eligible employees; from
    /// 1,000 on, the largest of 10, 20, 50 and 100 that is at most 1% of the group, so that every
    /// count, and every difference of two counts, stays within 1% of the group.
    public static func granularity(groupSize: Int) -> Int {
        guard groupSize >= 1_000 else { return smallGroupStep }
        return [100, 50, 20, 10].first { $0 * 100 <= groupSize } ?? 10
    }

    /// The step of groups under 1,000 eligible employees.
    public static let smallGroupStep = 20
}

/// Rounds one campaign's counts for leaders (see ``Publication``). Made from the campaign's
/// publication key, a secret kept in the database and never shown.
public struct CountRounding: Sendable {
    private let key: SymmetricKey

    public init(key: Data) {
        self.key = SymmetricKey(data: key)
    }

    /// The group's secret offset for `step`, in `0..<step`.
    public func offset(group: String, step: Int) -> Int {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(group.utf8), using: key)
        let value = mac.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return Int(value % UInt64(max(step, 1)))
    }

    /// The published value of the cumulative count `count` of `group`, a group of `groupSize`
    /// eligible employees: `count` plus the group's offset, rounded down to the step. A value that
    /// rounding alone took past the headcount (less than a step above it) is shown as the
    /// headcount: that is decided on the published value and the headcount, both already seen, so
    /// it tells nothing more.
    public func published(_ count: Int, group: String, groupSize: Int) -> Int {
        let step = Publication.granularity(groupSize: groupSize)
        let shifted = max(count, 0) + offset(group: group, step: step)
        let rounded = shifted / step * step
        return groupSize > 0 && rounded > groupSize && rounded < groupSize + step ? groupSize : rounded
    }

    /// A group's figures as a leader sees them: the cumulative count now, at the start of the last
    /// 7 days' window and at the start of the 7 days before, each published, and the windows as
    /// their differences. Eligible employees (the headcount) and goals are not changed.
    public func published(_ figures: GroupFigures, group: String) -> GroupFigures {
        let now = figures.signatures
        let weekAgo = now - figures.last7Days
        let twoWeeksAgo = weekAgo - figures.previous7Days
        let size = figures.eligible
        let (a, b, c) = (published(now, group: group, groupSize: size), published(weekAgo, group: group, groupSize: size),
                         published(twoWeeksAgo, group: group, groupSize: size))
        var result = figures
        result.signatures = a
        result.last7Days = a - b
        result.previous7Days = b - c
        return result
    }
}
