import Foundation

/// What rankings are ordered by.
public enum RankingMetric: String, Sendable, Codable, CaseIterable {
    /// Current signatures.
    case signatures
    /// The lower bound of the 95% Wilson interval of signatures / eligible: a 3-person office at
    /// 100% does not outrank a 5,000-person country at 60% on noise.
    case participation
    /// Net new signatures in the last 7 days per eligible employee.
    case momentum
    /// Signatures / the country's goal.
    case goalProgress = "goal_progress"
}

/// Who asks: HR admins see every row; leaders see small groups folded (see ``Ranking/rank(_:metric:viewer:privacyK:minEligible:campaignEndsAt:asOf:)``).
public enum Viewer: Sendable, Equatable {
    case hrAdmin
    case leader
}

/// The raw figures of one group (a country, a site, an org unit) before ranking.
public struct GroupFigures: Sendable, Equatable {
    /// The group's key (an ISO alpha-2 code for countries).
    public var key: String
    public var name: String
    /// Current signatures counted in this group.
    public var signatures: Int
    /// Active employees in the group who are in the campaign's audience.
    public var eligible: Int
    /// Net change in current signatures over the 7 days ending with as_of's day.
    public var last7Days: Int
    /// The same over the 7 days before.
    public var previous7Days: Int
    public var goal: CountryGoal?

    public init(key: String, name: String, signatures: Int, eligible: Int, last7Days: Int = 0, previous7Days: Int = 0, goal: CountryGoal? = nil) {
        self.key = key
        self.name = name
        self.signatures = signatures
        self.eligible = eligible
        self.last7Days = last7Days
        self.previous7Days = previous7Days
        self.goal = goal
    }
}

/// One ranked row.
public struct RankingRow: Sendable, Equatable {
    public var rank: Int
    public var key: String
    public var name: String
    public var signatures: Int
    public var eligible: Int
    /// signatures / eligible; nil when nobody is eligible.
    public var participation: Double?
    /// Lower bound of the 95% Wilson score interval; nil when nobody is eligible.
    public var rateLowerBound: Double?
    public var last7Days: Int
    public var previous7Days: Int
    /// The goal as a number of signatures; nil without a goal.
    public var goal: Int?
    /// signatures / goal; nil without a goal.
    public var goalProgress: Double?
    /// Signatures per day still needed to reach the goal by the end date (0 once reached).
    public var neededPerDay: Double?
    /// The last 7 days' pace, in signatures per day.
    public var currentPerDay: Double

    /// last7Days / eligible.
    public var momentum: Double? { eligible > 0 ? Double(last7Days) / Double(eligible) : nil }

    /// The value the row is ranked by.
    public func value(of metric: RankingMetric) -> Double? {
        switch metric {
        case .signatures: Double(signatures)
        case .participation: rateLowerBound
        case .momentum: momentum
        case .goalProgress: goalProgress
        }
    }
}

/// A ranking of groups, with the organisation's totals and, for leaders, the folded `other` row.
public struct Ranking: Sendable, Equatable {
    public var metric: RankingMetric
    public var rows: [RankingRow]
    /// Small groups folded together (leaders only); `nil` when nothing was folded.
    public var other: RankingRow?
    /// All groups together (`nil` for a leader when the whole covers fewer than k employees).
    public var total: RankingRow?

    /// z for a 95% two-sided interval.
    public static let z = 1.959964

    /// The lower bound of the Wilson score interval for `successes` out of `trials`.
    public static func wilsonLowerBound(successes: Int, trials: Int, z: Double = Ranking.z) -> Double? {
        guard trials > 0 else { return nil }
        let n = Double(trials)
        let p = min(Double(max(successes, 0)) / n, 1)
        let z2 = z * z
        let centre = p + z2 / (2 * n)
        let margin = z * ((p * (1 - p) / n + z2 / (4 * n * n)).squareRoot())
        return max(0, (centre - margin) / (1 + z2 / n))
    }

    /// Ranks `groups`.
    ///
    /// - Groups with neither eligible employees nor signatures are left out, and so are groups with
    ///   fewer than `minEligible` eligible employees.
    /// - Ties share a rank and the next rank skips (1, 2, 2, 4); tied rows are listed by signatures
    ///   descending, then key ascending. Rows with no value for the metric come last, tied.
    /// - For a leader, groups with fewer than `privacyK` eligible employees are folded into `other`;
    ///   if `other` itself covers fewer than k, the smallest shown groups join it until it reaches k,
    ///   so that subtracting the shown rows from the total never isolates a small group. When even
    ///   everything together covers fewer than k, nothing is shown: no rows, no `other`, no total.
    public static func rank(
        _ groups: [GroupFigures], metric: RankingMetric, viewer: Viewer, privacyK: Int, minEligible: Int = 0,
        campaignEndsAt: Date, asOf: Date
    ) -> Ranking {
        let present = groups.filter { $0.eligible > 0 || $0.signatures > 0 }
        let totalFigures = sum(present, key: "total", name: "Total")
        var shown = present
        var folded: [GroupFigures] = []
        if viewer == .leader {
            folded = shown.filter { $0.eligible < privacyK }
            shown.removeAll { $0.eligible < privacyK }
            if !folded.isEmpty {
                // Fold the smallest shown groups in until the folded group covers k employees.
                shown.sort { ($0.eligible, $0.key) < ($1.eligible, $1.key) }
                while folded.reduce(0, { $0 + $1.eligible }) < privacyK, !shown.isEmpty {
                    folded.append(shown.removeFirst())
                }
            }
        }
        shown = shown.filter { $0.eligible >= minEligible }
        var rows = shown.map { row(for: $0, rank: 0, campaignEndsAt: campaignEndsAt, asOf: asOf) }
        rows.sort { lhs, rhs in
            let (left, right) = (lhs.value(of: metric), rhs.value(of: metric))
            if left != right {
                switch (left, right) {
                case let (l?, r?): return l > r
                case (_?, nil): return true
                default: return false
                }
            }
            if lhs.signatures != rhs.signatures { return lhs.signatures > rhs.signatures }
            return lhs.key < rhs.key
        }
        for index in rows.indices {
            let tied = index > 0 && rows[index].value(of: metric) == rows[index - 1].value(of: metric)
            rows[index].rank = tied ? rows[index - 1].rank : index + 1
        }
        // A folded group that still covers fewer than k (the whole organisation is that small) is not shown.
        let otherFigures = sum(folded, key: "other", name: "Other")
        let other = folded.isEmpty || otherFigures.eligible < privacyK
            ? nil : row(for: otherFigures, rank: 0, campaignEndsAt: campaignEndsAt, asOf: asOf)
        let hideTotal = viewer == .leader && totalFigures.eligible < privacyK
        let total = hideTotal ? nil : row(for: totalFigures, rank: 0, campaignEndsAt: campaignEndsAt, asOf: asOf)
        return Ranking(metric: metric, rows: rows, other: other, total: total)
    }

    /// The sum of several groups (their goals are not summed: a folded row has no goal).
    static func sum(_ groups: [GroupFigures], key: String, name: String) -> GroupFigures {
        GroupFigures(
            key: key, name: name,
            signatures: groups.reduce(0) { $0 + $1.signatures }, eligible: groups.reduce(0) { $0 + $1.eligible },
            last7Days: groups.reduce(0) { $0 + $1.last7Days }, previous7Days: groups.reduce(0) { $0 + $1.previous7Days })
    }

    static func row(for group: GroupFigures, rank: Int, campaignEndsAt: Date, asOf: Date) -> RankingRow {
        let target = group.goal?.target(eligible: group.eligible)
        let daysLeft = max(campaignEndsAt.timeIntervalSince(asOf) / 86_400, 0)
        let needed: Double? = target.map { target in
            let missing = Double(max(target - group.signatures, 0))
            if missing == 0 { return 0 }
            return daysLeft > 0 ? missing / daysLeft : .infinity
        }
        return RankingRow(
            rank: rank, key: group.key, name: group.name, signatures: group.signatures, eligible: group.eligible,
            participation: group.eligible > 0 ? Double(group.signatures) / Double(group.eligible) : nil,
            rateLowerBound: wilsonLowerBound(successes: group.signatures, trials: group.eligible),
            last7Days: group.last7Days, previous7Days: group.previous7Days,
            goal: target, goalProgress: target.map { $0 > 0 ? Double(group.signatures) / Double($0) : 1 },
            neededPerDay: needed, currentPerDay: Double(group.last7Days) / 7)
    }
}
