import Foundation

/// What rankings are ordered by.
public enum RankingMetric: String, Sendable, Codable, CaseIterable {
    /// Current signatures.
    case signatures
    /// The lower bound of the 95% Wilson interval of signatures / eligible: a 3-person office at
    /// 100% does not outrank a 5,000-person country at 60% on noise.
    case participation
    /// Net new signatures in the last 7 days per eligible employee, ranked by the lower bound of
    /// its 95% Wilson interval (``RankingRow/momentumLowerBound``): a 10-person office where 3 signed
    /// this week does not outrank a 5,000-person country where 1,000 did, on noise.
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

    /// Whether the group counts at all: it has eligible employees or signatures.
    public var isPresent: Bool { eligible > 0 || signatures > 0 }
}

/// One cell of a country's site × org unit table (an empty string for none).
public struct CrossCell: Sendable, Equatable {
    public var site: String
    public var orgUnit: String
    public var figures: GroupFigures

    public init(site: String, orgUnit: String, figures: GroupFigures) {
        self.site = site
        self.orgUnit = orgUnit
        self.figures = figures
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
    /// What the momentum ranking ranks by: the same protection from tiny groups as participation's,
    /// the lower bound of the 95% Wilson interval of last7Days out of eligible; for a net loss, the
    /// same bound of the loss, negated. Both draw a small group's rate towards zero. Nil when nobody
    /// is eligible.
    public var momentumLowerBound: Double? {
        guard let bound = Ranking.wilsonLowerBound(successes: abs(last7Days), trials: eligible) else { return nil }
        return last7Days < 0 ? -bound : bound
    }

    /// The value the row is ranked by.
    public func value(of metric: RankingMetric) -> Double? {
        switch metric {
        case .signatures: Double(signatures)
        case .participation: rateLowerBound
        case .momentum: momentumLowerBound
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
    ///
    /// - Parameter alreadyFolded: groups the caller folded itself (see ``breakdowns(_:viewer:privacyK:campaignEndsAt:asOf:)``):
    ///   a leader sees them only within `other`, other viewers as rows; they count in the total.
    ///
    /// - Parameter publish: for a leader, how each figure is published (``CountRounding``): applied
    ///   to every shown row, to `other` (with the keys of the groups folded into it) and to the
    ///   total, each computed from the exact figures first; nil leaves the figures exact.
    public static func rank(
        _ groups: [GroupFigures], metric: RankingMetric, viewer: Viewer, privacyK: Int, minEligible: Int = 0,
        campaignEndsAt: Date, asOf: Date, alreadyFolded: [GroupFigures] = [], publish: Publish? = nil
    ) -> Ranking {
        let present = groups.filter(\.isPresent)
        let presentFolded = alreadyFolded.filter(\.isPresent)
        var totalFigures = sum(present + presentFolded, key: "total", name: "Total")
        var (shown, folded) = (present + presentFolded, [GroupFigures]())
        if viewer == .leader {
            (shown, folded) = fold(present, alreadyFolded: presentFolded, privacyK: privacyK, eligible: \.eligible) {
                ($0.eligible, $0.key) < ($1.eligible, $1.key)
            }
        }
        shown = shown.filter { $0.eligible >= minEligible }
        var otherFigures = sum(folded, key: "other", name: "Other")
        if let publish {
            shown = shown.map { publish($0, .row) }
            otherFigures = publish(otherFigures, .other(folded: folded.map(\.key)))
            totalFigures = publish(totalFigures, .total)
        }
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
        let other = folded.isEmpty || otherFigures.eligible < privacyK
            ? nil : row(for: otherFigures, rank: 0, campaignEndsAt: campaignEndsAt, asOf: asOf)
        let hideTotal = viewer == .leader && totalFigures.eligible < privacyK
        let total = hideTotal ? nil : row(for: totalFigures, rank: 0, campaignEndsAt: campaignEndsAt, asOf: asOf)
        return Ranking(metric: metric, rows: rows, other: other, total: total)
    }

    /// A country's two breakdowns, by site and by org unit, from its site × org unit cells.
    ///
    /// Two breakdowns of the same people can be crossed: a change seen in one site row and in one
    /// org unit row at once (two reads a moment apart) belongs to the people of both. So for a
    /// leader the cells are folded, not the rows: a cell of fewer than `privacyK` employees counts
    /// in the `other` row of both breakdowns (with the smallest other cells, until `other` covers
    /// k), and every shown row is made of cells of at least k. A change then shows either in a site
    /// row and an org unit row whose common cell covers k, or in both `other` rows together.
    ///
    /// - Parameter rounding: for a leader, the campaign's ``CountRounding``: each row, `other` and the
    ///   total are published as the group of cells they cover (``cellGroupName(country:cells:all:)``),
    ///   so that a site row and an org unit row of the very same people are one figure, not two
    ///   chances to see a change. The total is the whole country, the same figure as its ranking row.
    public static func breakdowns(
        _ cells: [CrossCell], viewer: Viewer, privacyK: Int, campaignEndsAt: Date, asOf: Date,
        country: String = "", rounding: CountRounding? = nil
    ) -> (bySite: Ranking, byOrgUnit: Ranking) {
        let present = cells.filter(\.figures.isPresent)
        var (shown, folded) = (present, [CrossCell]())
        if viewer == .leader {
            (shown, folded) = fold(shown, privacyK: privacyK, eligible: \.figures.eligible) {
                ($0.figures.eligible, $0.site, $0.orgUnit) < ($1.figures.eligible, $1.site, $1.orgUnit)
            }
        }
        let other = folded.isEmpty ? [] : [sum(folded.map(\.figures), key: "other", name: "Other")]
        let otherName = cellGroupName(country: country, cells: folded, all: present)
        func breakdown(_ key: KeyPath<CrossCell, String>, unnamed: String) -> Ranking {
            let grouped = Dictionary(grouping: shown, by: { $0[keyPath: key] })
            let groups = grouped.map { key, cells in
                sum(cells.map(\.figures), key: key, name: key.isEmpty ? unnamed : key)
            }
            var publish: Publish?
            if let rounding {
                publish = { figures, kind in
                    switch kind {
                    case .row:
                        return rounding.published(
                            figures, group: cellGroupName(country: country, cells: grouped[figures.key] ?? [], all: present))
                    case .other: return rounding.published(figures, group: otherName)
                    case .total: return rounding.published(figures, group: countryGroupName(country))
                    }
                }
            }
            return rank(groups, metric: .signatures, viewer: viewer, privacyK: privacyK, campaignEndsAt: campaignEndsAt,
                        asOf: asOf, alreadyFolded: other, publish: publish)
        }
        return (breakdown(\.site, unnamed: "(no site)"), breakdown(\.orgUnit, unnamed: "(no org unit)"))
    }

    /// Which figure ``rank(_:metric:viewer:privacyK:minEligible:campaignEndsAt:asOf:alreadyFolded:publish:)`` is publishing.
    public enum PublishedGroup: Sendable, Equatable {
        /// A shown row (its own key).
        case row
        /// The folded groups, with their keys.
        case other(folded: [String])
        /// Everything.
        case total
    }

    /// How a leader's figures are published: the exact figures of a group in, the published ones out.
    public typealias Publish = (GroupFigures, PublishedGroup) -> GroupFigures

    /// The name a country's figures are published under (its ranking row, its timeline, the total
    /// of its breakdowns).
    public static func countryGroupName(_ country: String) -> String { "country:\(country)" }

    /// The name of the published figure of some of a country's cells: the country's own when they
    /// are all of them, else one made of the cells, so that the same people are always the same figure.
    static func cellGroupName(country: String, cells: [CrossCell], all: [CrossCell]) -> String {
        func names(_ cells: [CrossCell]) -> [String] { cells.map { "\($0.site)\u{1F}\($0.orgUnit)" }.sorted() }
        let these = names(cells)
        if these == names(all) { return countryGroupName(country) }
        return "cells:\(country):" + these.joined(separator: "\u{1E}")
    }

    /// The publication of a campaign's per-country figures: each country as itself, `other` as the
    /// set of countries folded into it, the total as the whole organisation.
    public static func countryPublish(_ rounding: CountRounding) -> Publish {
        { figures, kind in
            switch kind {
            case .row: return rounding.published(figures, group: countryGroupName(figures.key))
            case .other(let folded): return rounding.published(figures, group: "countries:" + folded.sorted().joined(separator: ","))
            case .total: return rounding.published(figures, group: "total")
            }
        }
    }

    /// A leader's split of `items`: those under k are folded (with `alreadyFolded`); if something
    /// is folded, the smallest shown items join it until the folded ones cover k employees.
    static func fold<Item>(
        _ items: [Item], alreadyFolded: [Item] = [], privacyK: Int, eligible: KeyPath<Item, Int>,
        smallestFirst: (Item, Item) -> Bool
    ) -> (shown: [Item], folded: [Item]) {
        var folded = alreadyFolded + items.filter { $0[keyPath: eligible] < privacyK }
        var shown = items.filter { $0[keyPath: eligible] >= privacyK }
        if !folded.isEmpty {
            shown.sort(by: smallestFirst)
            while folded.reduce(0, { $0 + $1[keyPath: eligible] }) < privacyK, !shown.isEmpty {
                folded.append(shown.removeFirst())
            }
        }
        return (shown, folded)
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
