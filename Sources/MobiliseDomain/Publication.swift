import Crypto
import Foundation
import Synchronization

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

    /// The hysteresis margin of a group's published figure (issue 19's adaptive attacker): once a
    /// figure has moved up to a value `V` (in the offset's frame), it goes back down only when the
    /// shifted count falls below `V − margin`; once it has moved down, it goes up again only at the
    /// next multiple of the step. So right after any change of the figure it takes `margin + 1`
    /// changes of the count in the same direction to move it again: one person's signing or
    /// withdrawal right after a crossing never shows.
    ///
    /// Half a step for groups under 1,000 (10). From 1,000 on, half a step when it fits, else as
    /// much as keeps every figure within 1% of the group (the error is at most `step − 1 + margin`),
    /// and at least 1.
    public static func margin(groupSize: Int) -> Int {
        let step = granularity(groupSize: groupSize)
        guard groupSize >= 1_000 else { return step / 2 }
        return max(1, min(step / 2, groupSize / 100 - step + 1))
    }

    /// One step of the hysteresis (``margin(groupSize:)``): the value to publish given the value
    /// published last (`previous`, a multiple of `step`; nil when there is none) and the shifted
    /// count now (the count plus the group's offset). Without a previous value: the shifted count
    /// rounded down to the step.
    public static func hysteresis(previous: Int?, shifted: Int, step: Int, margin: Int) -> Int {
        let step = max(step, 1)
        let shifted = max(shifted, 0)
        guard let previous else { return shifted / step * step }
        if shifted >= previous + step { return shifted / step * step }
        if shifted < previous - margin { return (shifted + margin) / step * step }
        return previous
    }
}

/// A group's published value as stored (`published_counts`, migration 0020): the value in the
/// offset's frame (before the headcount clamp), the step it was decided with and the published
/// instant it was decided at.
public struct StoredPublication: Sendable, Equatable {
    public var instant: Date
    public var step: Int
    public var value: Int

    public init(instant: Date, step: Int, value: Int) {
        self.instant = instant
        self.step = step
        self.value = value
    }
}

/// The hysteresis's memory for one read of one campaign's figures: the values stored last at or
/// before each instant the read needs, and the values this read decided at the current published
/// instant (to be stored once it is done: ``decided``).
///
/// A value at a past instant is the one stored last at or before it (what leaders were shown
/// then), or, before any value was stored for the group, the shifted count rounded down. A value
/// at the current instant is decided once, from the one stored before, and stored: every later
/// read of that instant, on any instance, gets the same.
public final class PublicationLedger: Sendable {
    /// The current published instant: values at it are decided; nil when the read decides nothing.
    public let current: Date?
    private let stored: [Date: [Data: StoredPublication]]
    private let fresh = Mutex<[Data: StoredPublication]>([:])

    /// - Parameter stored: per instant the read needs (the current one included), group key
    ///   (``key(_:)``) → the value stored last at or before it.
    /// - Parameter recordsEveryDecision: store every value decided at the current instant, changed
    ///   or not, so that the figure stays that value until the next instant even when the counts
    ///   it comes from are live, not of the instant (an event's RSVP counts: no history to read
    ///   them back at an instant).
    public init(current: Date?, stored: [Date: [Data: StoredPublication]], recordsEveryDecision: Bool = false) {
        self.current = current
        self.stored = stored
        self.recordsEveryDecision = recordsEveryDecision
    }

    /// True when every value decided is stored, changed or not (see ``init(current:stored:recordsEveryDecision:)``).
    public let recordsEveryDecision: Bool

    /// The key a group's values are stored under: the SHA-256 of its name (a drill-down row's name
    /// lists its cells and can be long).
    public static func key(_ group: String) -> Data { Data(SHA256.hash(data: Data(group.utf8))) }

    /// The values decided by this read at the current instant, by group key, to be stored.
    public var decided: [Data: StoredPublication] { fresh.withLock { $0 } }

    /// The published value (in the offset's frame) of `group` at `instant` for the shifted count.
    func value(group name: String, at instant: Date, shifted: Int, step: Int, margin: Int) -> Int {
        let group = Self.key(name)
        let known = stored[instant]?[group].flatMap { $0.step == step ? $0 : nil }
        guard let current, instant == current else {
            return known?.value ?? Publication.hysteresis(previous: nil, shifted: shifted, step: step, margin: margin)
        }
        if let known, known.instant == current { return known.value }
        return fresh.withLock { fresh in
            if let decided = fresh[group], decided.step == step { return decided.value }
            let value = Publication.hysteresis(previous: known?.value, shifted: shifted, step: step, margin: margin)
            if recordsEveryDecision || known?.value != value {
                fresh[group] = StoredPublication(instant: current, step: step, value: value)
            }
            return value
        }
    }
}

/// The instants of one leader read's figures: the figure's own, and the starts of its two 7-day
/// windows (whole days in the organisation's time zone), at which ``CountRounding`` looks up the
/// published values the windows are differences of.
public struct PublishedInstants: Sendable, Equatable {
    public var asOf: Date
    public var lastWeekStart: Date
    public var previousWeekStart: Date

    public init(asOf: Date, lastWeekStart: Date, previousWeekStart: Date) {
        self.asOf = asOf
        self.lastWeekStart = lastWeekStart
        self.previousWeekStart = previousWeekStart
    }
}

/// Rounds one campaign's counts for leaders (see ``Publication``). Made from the campaign's
/// publication key, a secret kept in the database and never shown.
public struct CountRounding: Sendable {
    private let key: SymmetricKey
    /// The hysteresis's memory (nil: no memory, every value the shifted count rounded down).
    public let ledger: PublicationLedger?
    /// The instants of the read's figures (for ``published(_:group:)``).
    public let instants: PublishedInstants?

    public init(key: Data, ledger: PublicationLedger? = nil, instants: PublishedInstants? = nil) {
        self.key = SymmetricKey(data: key)
        self.ledger = ledger
        self.instants = instants
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
    ///
    /// - Parameter instant: the published instant the count is of; with a ``ledger``, the value
    ///   follows the hysteresis (``Publication/margin(groupSize:)``). Nil: the count rounded down.
    public func published(_ count: Int, group: String, groupSize: Int, at instant: Date? = nil) -> Int {
        let step = Publication.granularity(groupSize: groupSize)
        let margin = Publication.margin(groupSize: groupSize)
        let shifted = max(count, 0) + offset(group: group, step: step)
        let rounded = if let ledger, let instant {
            ledger.value(group: group, at: instant, shifted: shifted, step: step, margin: margin)
        } else {
            shifted / step * step
        }
        return groupSize > 0 && rounded > groupSize && rounded < groupSize + step + margin ? groupSize : rounded
    }

    /// A group's figures as a leader sees them: the cumulative count now, at the start of the last
    /// 7 days' window and at the start of the 7 days before, each published, and the windows as
    /// their differences. Eligible employees (the headcount) and goals are not changed.
    public func published(_ figures: GroupFigures, group: String) -> GroupFigures {
        let now = figures.signatures
        let weekAgo = now - figures.last7Days
        let twoWeeksAgo = weekAgo - figures.previous7Days
        let size = figures.eligible
        let (a, b, c) = (published(now, group: group, groupSize: size, at: instants?.asOf),
                         published(weekAgo, group: group, groupSize: size, at: instants?.lastWeekStart),
                         published(twoWeeksAgo, group: group, groupSize: size, at: instants?.previousWeekStart))
        var result = figures
        result.signatures = a
        result.last7Days = a - b
        result.previous7Days = b - c
        return result
    }
}
