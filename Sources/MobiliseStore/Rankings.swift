import Foundation
import MobiliseDomain
import Postgres

/// A campaign's per-country ranking at an instant.
public struct CampaignRanking: Sendable, Equatable {
    public var campaignID: UUID
    /// The instant the figures are for: for a leader, the last published instant at or before the one asked.
    public var asOf: Date
    /// True for a leader's figures: published at intervals and rounded (``Publication``).
    public var approximate: Bool
    public var ranking: Ranking
    /// Countries whose goal is met, among the countries the viewer is shown (a leader never
    /// counts those folded into `other`: the count would tell them apart).
    public var countriesMeetingGoal: Int
    /// Whether the success rule ("goal met in at least N countries") holds; nil without a rule,
    /// and for a leader when the answer would depend on countries folded into `other`.
    public var successMet: Bool?
}

/// One country seen from inside: by site, by org unit, and week by week.
public struct CountryBreakdown: Sendable, Equatable {
    /// The instant the figures are for (for a leader, the last published instant).
    public var asOf: Date
    /// True for a leader's figures: published at intervals and rounded (``Publication``).
    public var approximate: Bool
    public var country: RankingRow
    public var bySite: Ranking
    public var byOrgUnit: Ranking
    public var weekly: [WeeklyPoint]
}

/// Cumulative signatures at the end of an ISO week (weeks start on Monday).
public struct WeeklyPoint: Sendable, Equatable {
    public var week: Date
    public var signatures: Int
}

/// Cumulative signatures per week for each shown country, the folded `other` group and the total.
public struct Timeline: Sendable, Equatable {
    /// The instant the last values are for (for a leader, the last published instant).
    public var asOf: Date
    /// True for a leader's figures: published at intervals and rounded (``Publication``).
    public var approximate: Bool
    public var weeks: [Date]
    /// Country code → cumulative signatures, one value per week.
    public var series: [String: [Int]]
    /// The folded small countries (leaders only).
    public var other: [Int]?
    public var total: [Int]
}

/// A difference between the maintained counts and what the signature and employee rows say.
public struct CountDiscrepancy: Sendable, Equatable {
    /// `signature_totals`, `signature_daily` or `campaign_headcount` (eligible employees).
    public var table: String
    public var country: String
    /// For `signature_daily`, the day.
    public var day: String?
    public var counted: Int
    public var actual: Int
}

extension MobiliseStore {
    /// Ranks a campaign's countries by `metric`, as of `asOf` (default now), for `viewer`.
    /// Reads the count tables only: the cost grows with the number of countries, not of signatures.
    ///
    /// - Parameter fromPrimary: read the primary even when read replicas are configured (for
    ///   figures that must include a commit just notified, like the live counter).
    /// - Parameter publication: how a leader's figures are published (``Publication``): as of the
    ///   last published instant at or before `asOf`, rounded. HR admins' figures are exact. Nil gives
    ///   a leader folded but exact figures: for tests of the folding alone, never for a leader's eyes.
    public func ranking(
        organisationID: UUID, campaign reference: String, metric: RankingMetric, viewer: Viewer, asOf: Date? = nil,
        minEligible: Int = 0, fromPrimary: Bool = false, publication: Publication? = Publication()
    ) async throws -> CampaignRanking {
        let body: @Sendable (PostgresConnection) throws -> (CampaignRanking, PublicationLedger?) = { connection in
            let context = try RankingContext(
                connection, organisationID: organisationID, campaign: reference, asOf: asOf,
                publication: viewer == .leader ? publication : nil)
            let figures = try context.countryFigures(connection)
            let publish = context.rounding.map(Ranking.countryPublish)
            let ranking = Ranking.rank(
                figures, metric: metric, viewer: viewer, privacyK: context.privacyK, minEligible: minEligible,
                campaignEndsAt: context.campaign.endsAt, asOf: context.asOf, publish: publish)
            // Goals are counted over the countries this viewer is shown (before `minEligible`, which
            // only hides rows the viewer may see), never over those folded into `other`.
            let shown = minEligible == 0 ? ranking : Ranking.rank(
                figures, metric: metric, viewer: viewer, privacyK: context.privacyK,
                campaignEndsAt: context.campaign.endsAt, asOf: context.asOf, publish: publish)
            let meeting = shown.rows.filter { row in row.goal.map { row.signatures >= $0 } ?? false }.count
            let shownKeys = Set(shown.rows.map(\.key))
            let foldedGoals = figures.contains { $0.goal != nil && $0.isPresent && !shownKeys.contains($0.key) }
            return (CampaignRanking(
                campaignID: context.campaign.id, asOf: context.asOf, approximate: context.rounding != nil,
                ranking: ranking, countriesMeetingGoal: meeting,
                successMet: context.campaign.successMinCountries.flatMap { needed in
                    meeting >= needed ? true : foldedGoals ? nil : false
                }), context.rounding?.ledger)
        }
        let (result, ledger) = if fromPrimary {
            try await pool.withTransaction(isolation: .repeatableRead, body)
        } else {
            try await withReadTransaction(body)
        }
        try await storePublications(organisationID: organisationID, campaignID: result.campaignID, ledger: ledger)
        return result
    }

    /// One country by site and by org unit, with its weekly timeline. A leader may not open a
    /// country that the ranking folds (fewer than k employees, or folded to protect one that has).
    ///
    /// - Throws: ``MobiliseError`` `.notFound`: for a leader, `country_not_shown` whether the country
    ///   is folded or has no figures at all (one answer, word for word, so that a leader cannot tell
    ///   a small country from an absent one); for an HR admin, who sees every country,
    ///   `country_not_found`.
    public func countryBreakdown(
        organisationID: UUID, campaign reference: String, country: String, viewer: Viewer, asOf: Date? = nil,
        publication: Publication? = Publication()
    ) async throws -> CountryBreakdown {
        let (breakdown, campaignID, ledger) = try await withReadTransaction { connection in
            var context = try RankingContext(
                connection, organisationID: organisationID, campaign: reference, asOf: asOf,
                publication: viewer == .leader ? publication : nil)
            let points = try context.weekly(connection).filter { $0.key == country }
            let weeks = try context.everyWeek(connection, changed: points.map(\.week))
            try context.publishWeeks(connection, weeks)
            let figures = try context.countryFigures(connection)
            let ranking = Ranking.rank(figures, metric: .signatures, viewer: viewer, privacyK: context.privacyK,
                                       campaignEndsAt: context.campaign.endsAt, asOf: context.asOf,
                                       publish: context.rounding.map(Ranking.countryPublish))
            guard let row = ranking.rows.first(where: { $0.key == country }) else {
                switch viewer {
                case .leader: throw Self.countryNotShown(privacyK: context.privacyK)
                case .hrAdmin: throw MobiliseError(.notFound, code: .countryNotFound, "no employees or signatures in \(country) for this campaign")
                }
            }
            let (bySite, byOrgUnit) = Ranking.breakdowns(
                try context.cells(connection, country: country), viewer: viewer, privacyK: context.privacyK,
                campaignEndsAt: context.campaign.endsAt, asOf: context.asOf, country: country, rounding: context.rounding)
            let eligible = figures.first { $0.key == country }?.eligible ?? 0
            var cumulative = 0
            var changes = points[...]
            let weekly = weeks.map { week in
                while let point = changes.first, point.week <= week {
                    cumulative = point.cumulative
                    changes = changes.dropFirst()
                }
                return WeeklyPoint(week: week, signatures: context.rounding?.published(
                    cumulative, group: Ranking.countryGroupName(country), groupSize: eligible,
                    at: context.weekEnd(week)) ?? cumulative)
            }
            return (CountryBreakdown(
                asOf: context.asOf, approximate: context.rounding != nil, country: row, bySite: bySite, byOrgUnit: byOrgUnit,
                weekly: weekly), context.campaign.id, context.rounding?.ledger)
        }
        try await storePublications(organisationID: organisationID, campaignID: campaignID, ledger: ledger)
        return breakdown
    }

    /// A leader's answer for a country not shown on its own, folded or absent alike (it names
    /// neither the country nor which of the two it is).
    static func countryNotShown(privacyK: Int) -> MobiliseError {
        MobiliseError(.notFound, code: .countryNotShown,
                      "this country is not shown on its own: it has no figures for this campaign, or they would cover fewer than \(privacyK) employees")
    }

    /// Cumulative signatures per ISO week, per country, up to now. For a leader, the countries the
    /// ranking folds form one `other` series. Every series, `other` and `total` hold one value per
    /// week. A leader of an organisation under k, who may see no figure, gets no week at all (the
    /// shape of a campaign nobody has signed yet): even the weeks would say when someone signed.
    ///
    /// For a leader every value is the published count (``Publication``) of its series at the end of
    /// its week, the last one as of the last published instant: the same figures as the ranking's.
    public func timeline(
        organisationID: UUID, campaign reference: String, viewer: Viewer, publication: Publication? = Publication()
    ) async throws -> Timeline {
        let (timeline, campaignID, ledger) = try await withReadTransaction { connection in
            var context = try RankingContext(
                connection, organisationID: organisationID, campaign: reference, asOf: nil,
                publication: viewer == .leader ? publication : nil)
            let figures = try context.countryFigures(connection)
            let ranking = Ranking.rank(figures, metric: .signatures, viewer: viewer, privacyK: context.privacyK,
                                       campaignEndsAt: context.campaign.endsAt, asOf: context.asOf)
            let approximate = context.rounding != nil
            guard ranking.total != nil else {
                return (Timeline(asOf: context.asOf, approximate: approximate, weeks: [], series: [:], other: nil, total: []),
                        context.campaign.id, PublicationLedger?.none)
            }
            let shown = Set(ranking.rows.map(\.key))
            let points = try context.weekly(connection)
            let weeks = try context.everyWeek(connection, changed: points.map(\.week))
            try context.publishWeeks(connection, weeks)
            let ends = weeks.map(context.weekEnd)
            let index = Dictionary(uniqueKeysWithValues: weeks.enumerated().map { ($1, $0) })
            var weeklyChange: [String: [Int]] = [:]
            var otherChange = ranking.other == nil ? nil : [Int](repeating: 0, count: weeks.count)
            var totalChange = [Int](repeating: 0, count: weeks.count)
            // For a leader the total is the sum of the series and `other`: a country in neither (no
            // employees and no current signature now, its past signer gone) is left out of it too,
            // or subtracting the series from the total would show its changes.
            let inOther = ranking.other == nil ? Set<String>() : Set(figures.map(\.key)).subtracting(shown)
            for point in points {
                guard let position = index[point.week] else { continue }
                if shown.contains(point.key) {
                    weeklyChange[point.key, default: [Int](repeating: 0, count: weeks.count)][position] += point.change
                } else if inOther.contains(point.key) {
                    otherChange?[position] += point.change
                } else if viewer == .leader {
                    continue
                }
                totalChange[position] += point.change
            }
            func cumulative(_ values: [Int]) -> [Int] { values.reduce(into: []) { $0.append(($0.last ?? 0) + $1) } }
            // A leader's values are published as the ranking's rows, `other` and total are.
            let eligible = Dictionary(figures.map { ($0.key, $0.eligible) }, uniquingKeysWith: +)
            let rounding = context.rounding
            func published(_ values: [Int], group: String, size: Int) -> [Int] {
                guard let rounding else { return values }
                return zip(values, ends).map { rounding.published($0, group: group, groupSize: size, at: $1) }
            }
            var series: [String: [Int]] = [:]
            for (key, changes) in weeklyChange {
                series[key] = published(cumulative(changes), group: Ranking.countryGroupName(key), size: eligible[key] ?? 0)
            }
            let otherGroup = "countries:" + figures.filter { $0.isPresent && !shown.contains($0.key) }.map(\.key).sorted()
                .joined(separator: ",")
            return (Timeline(
                asOf: context.asOf, approximate: approximate, weeks: weeks, series: series,
                other: otherChange.map { published(cumulative($0), group: otherGroup, size: ranking.other?.eligible ?? 0) },
                total: published(cumulative(totalChange), group: "total", size: ranking.total?.eligible ?? 0)),
                context.campaign.id, context.rounding?.ledger)
        }
        try await storePublications(organisationID: organisationID, campaignID: campaignID, ledger: ledger)
        return timeline
    }

    /// Recomputes the counts from the signature rows and events, and the eligible headcount from
    /// the employees, and lists every difference (empty when the counts are exact). The headcount
    /// check counts the whole workforce: O(employees), unlike a ranking read.
    public func verifyCounts(organisationID: UUID, campaign reference: String) async throws -> [CountDiscrepancy] {
        try await pool.withTransaction(isolation: .repeatableRead) { connection in
            let campaign = try Self.campaign(connection, organisationID: organisationID, reference: reference)
            var discrepancies: [CountDiscrepancy] = []
            for row in try connection.query("""
                WITH counted AS (
                    SELECT country, sum(current)::bigint AS n FROM signature_totals
                    WHERE organisation_id = \(organisationID) AND campaign_id = \(campaign.id) GROUP BY country
                ), actual AS (
                    SELECT country, count(*) AS n FROM signatures
                    WHERE organisation_id = \(organisationID) AND campaign_id = \(campaign.id) AND withdrawn_at IS NULL GROUP BY country
                )
                SELECT coalesce(c.country, a.country) AS country, coalesce(c.n, 0) AS counted, coalesce(a.n, 0) AS actual
                FROM counted c FULL JOIN actual a ON a.country = c.country
                WHERE coalesce(c.n, 0) <> coalesce(a.n, 0)
                """).rows {
                discrepancies.append(CountDiscrepancy(
                    table: "signature_totals", country: try row.decode(String.self, column: "country"), day: nil,
                    counted: try row.decode(Int.self, column: "counted"), actual: try row.decode(Int.self, column: "actual")))
            }
            for row in try connection.query("""
                WITH counted AS (
                    SELECT country, day, sum(delta)::bigint AS n FROM signature_daily
                    WHERE organisation_id = \(organisationID) AND campaign_id = \(campaign.id) GROUP BY country, day
                ), actual AS (
                    SELECT e.country, (e.at AT TIME ZONE o.time_zone)::date AS day, sum(e.delta)::bigint AS n
                    FROM signature_events e JOIN organisations o ON o.id = e.organisation_id
                    WHERE e.organisation_id = \(organisationID) AND e.campaign_id = \(campaign.id) GROUP BY 1, 2
                )
                SELECT coalesce(c.country, a.country) AS country, coalesce(c.day, a.day)::text AS day,
                       coalesce(c.n, 0) AS counted, coalesce(a.n, 0) AS actual
                FROM counted c FULL JOIN actual a ON a.country = c.country AND a.day = c.day
                WHERE coalesce(c.n, 0) <> coalesce(a.n, 0)
                """).rows {
                discrepancies.append(CountDiscrepancy(
                    table: "signature_daily", country: try row.decode(String.self, column: "country"),
                    day: try row.decode(String.self, column: "day"),
                    counted: try row.decode(Int.self, column: "counted"), actual: try row.decode(Int.self, column: "actual")))
            }
            // The maintained headcount against a count of the employees (the audience rule written
            // independently of the database's own, in `audienceFilter`).
            for row in try connection.query("""
                WITH counted AS (
                    SELECT country, eligible::bigint AS n FROM campaign_headcount
                    WHERE organisation_id = \(organisationID) AND campaign_id = \(campaign.id)
                ), actual AS (
                    SELECT country, count(*) AS n FROM employees e
                    WHERE organisation_id = \(organisationID) AND active AND \(RankingContext.audienceFilter(campaign.audience)) GROUP BY country
                )
                SELECT coalesce(c.country, a.country) AS country, coalesce(c.n, 0) AS counted, coalesce(a.n, 0) AS actual
                FROM counted c FULL JOIN actual a ON a.country = c.country
                WHERE coalesce(c.n, 0) <> coalesce(a.n, 0)
                ORDER BY 1
                """).rows {
                discrepancies.append(CountDiscrepancy(
                    table: "campaign_headcount", country: try row.decode(String.self, column: "country"), day: nil,
                    counted: try row.decode(Int.self, column: "counted"), actual: try row.decode(Int.self, column: "actual")))
            }
            return discrepancies
        }
    }
}

/// What every ranking query needs: the campaign, the organisation's k and time zone, and the instant.
struct RankingContext {
    let organisationID: UUID
    let campaign: Campaign
    let privacyK: Int
    let timeZone: String
    /// The instant the figures are for.
    let asOf: Date
    /// True when `asOf` is now: the running totals answer, nothing is recomputed.
    let isNow: Bool
    /// True when `asOf` is a published instant of the last two intervals: the running totals
    /// answer, less the changes since (``publishedCountryFigures(_:)``).
    let isRecentPublication: Bool
    /// For a leader, how counts are published (``Publication``); nil for exact figures.
    private(set) var rounding: CountRounding?
    /// For a leader: the publication key, and the published instant now when `asOf` is it (the
    /// hysteresis decides values at it; ``PublicationLedger``).
    private let publicationKey: Data?
    private let currentInstant: Date?
    /// For a leader: `asOf` and the starts of its two 7-day windows.
    private let instants: PublishedInstants?

    /// - Parameter publication: for a leader: the figures are those of the last published instant
    ///   at or before the one asked (or now), and rounded with the campaign's publication key.
    init(
        _ connection: PostgresConnection, organisationID: UUID, campaign reference: String, asOf requested: Date?,
        publication: Publication? = nil
    ) throws {
        self.organisationID = organisationID
        campaign = try MobiliseStore.campaign(connection, organisationID: organisationID, reference: reference)
        let settings = try connection.query("""
            SELECT o.privacy_k, o.time_zone, now(), c.publication_key
            FROM organisations o JOIN campaigns c ON c.organisation_id = o.id
            WHERE o.id = \(organisationID) AND c.id = \(campaign.id)
            """)[0]
        let (k, zone, now, key) = try settings.decode((Int, String, Date, Data).self)
        privacyK = k
        timeZone = zone
        if let publication {
            let instant = publication.instant(atOrBefore: min(requested ?? now, now))
            asOf = instant
            isNow = false
            isRecentPublication = now.timeIntervalSince(instant) <= 2 * publication.interval
            // The windows start at midnight in the organisation's time zone, six and thirteen days before as_of's day.
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: zone) ?? TimeZone(identifier: "UTC") ?? calendar.timeZone
            let day = calendar.startOfDay(for: instant)
            let last = calendar.date(byAdding: .day, value: -6, to: day) ?? day.addingTimeInterval(-6 * 86_400)
            let previous = calendar.date(byAdding: .day, value: -13, to: day) ?? day.addingTimeInterval(-13 * 86_400)
            let instants = PublishedInstants(asOf: instant, lastWeekStart: last, previousWeekStart: previous)
            let current = instant == publication.instant(atOrBefore: now) ? instant : nil
            self.instants = instants
            publicationKey = key
            currentInstant = current
            rounding = CountRounding(
                key: key,
                ledger: try MobiliseStore.publicationLedger(
                    connection, organisationID: organisationID, campaignID: campaign.id, current: current,
                    instants: [instant, last, previous]),
                instants: instants)
        } else if let requested, requested < now {
            asOf = requested
            isNow = false
            isRecentPublication = false
            rounding = nil
            publicationKey = nil
            currentInstant = nil
            instants = nil
        } else {
            asOf = now
            isNow = true
            isRecentPublication = false
            rounding = nil
            publicationKey = nil
            currentInstant = nil
            instants = nil
        }
    }

    /// For a leader's read that also publishes weekly values: the rounding, with the hysteresis's
    /// memory at the end of each of `weeks` too (``weekEnd(_:)``). Call it before publishing anything.
    mutating func publishWeeks(_ connection: PostgresConnection, _ weeks: [Date]) throws {
        guard let publicationKey, let instants else { return }
        rounding = CountRounding(
            key: publicationKey,
            ledger: try MobiliseStore.publicationLedger(
                connection, organisationID: organisationID, campaignID: campaign.id, current: currentInstant,
                instants: [instants.asOf, instants.lastWeekStart, instants.previousWeekStart] + weeks.map(weekEnd)),
            instants: instants)
    }

    /// Every ISO week (as ``weekly(_:)`` names them) from the campaign's start to `asOf`, whether or
    /// not anything changed in it: which weeks had a change would tell a leader when someone in a
    /// country signed or withdrew, even while the rounded figures stood still. Weeks of `changed`
    /// before the start are included; after the campaign's end the weeks stop there, unless
    /// something changed since (a withdrawal), and then they run to `asOf` too.
    func everyWeek(_ connection: PostgresConnection, changed: [Date]) throws -> [Date] {
        guard let row = try connection.query("""
            SELECT date_trunc('week', (\(campaign.startsAt)::timestamptz AT TIME ZONE \(timeZone))::date)::date::timestamp AT TIME ZONE 'UTC',
                   date_trunc('week', (\(min(asOf, campaign.endsAt))::timestamptz AT TIME ZONE \(timeZone))::date)::date::timestamp AT TIME ZONE 'UTC',
                   date_trunc('week', (\(asOf)::timestamptz AT TIME ZONE \(timeZone))::date)::date::timestamp AT TIME ZONE 'UTC'
            """).rows.first else { return [] }
        let (start, end, now) = try row.decode((Date, Date, Date).self)
        let first = min(start, changed.min() ?? start)
        let last = (changed.max() ?? end) > end ? now : end
        // Weeks are UTC midnights (see weekly(_:)): a week is exactly seven days later.
        return Array(stride(from: first.timeIntervalSince1970, through: last.timeIntervalSince1970, by: 7 * 86_400)
            .map { Date(timeIntervalSince1970: $0) })
    }

    /// The instant a weekly value is of: the end of its ISO week (the next Monday's midnight in the
    /// organisation's time zone), or `asOf` for the week that holds it.
    func weekEnd(_ week: Date) -> Date {
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC") ?? utc.timeZone
        var local = Calendar(identifier: .gregorian)
        local.timeZone = TimeZone(identifier: timeZone) ?? utc.timeZone
        let next = week.addingTimeInterval(7 * 86_400)
        let day = utc.dateComponents([.year, .month, .day], from: next)
        return min(local.date(from: day) ?? next, asOf)
    }

    /// Per-country signatures, eligible headcount, 7-day windows and goals.
    ///
    /// The headcount comes from `campaign_headcount`, which the database keeps up to date as the
    /// workforce and the campaign's audience change (`sql/0008_campaign_headcount.sql`): one row
    /// per country, never a count of the employees. It is today's headcount, also for a past `asOf`.
    func countryFigures(_ connection: PostgresConnection) throws -> [GroupFigures] {
        if isNow { return try currentCountryFigures(connection) }
        if isRecentPublication { return try currentCountryFigures(connection, lessChangesAfterAsOf: true) }
        return try pastCountryFigures(connection)
    }

    /// Now: one statement over the maintained counts, O(countries). It reads each country's
    /// headcount row, the campaign's 16 totals slots, and the last 14 days of its daily counts (16
    /// slots for today and yesterday, one row per earlier day once compacted; see
    /// ``MobiliseStore/compactDailyCounts(olderThanDays:)``), each row every country's count (sql/0035–0036,
    /// through the views `signature_totals` and `signature_daily`).
    ///
    /// - Parameter lessChangesAfterAsOf: for a published instant a moment ago: the running totals
    ///   less the changes journalled after `asOf` (their events, O(changes since)). Every change
    ///   after `asOf` is on `asOf`'s day or later, so the 7-day windows, which run from `asOf`'s
    ///   day on, lose them too and the windows before are untouched.
    private func currentCountryFigures(_ connection: PostgresConnection, lessChangesAfterAsOf: Bool = false) throws -> [GroupFigures] {
        // Far in the future when nothing is taken away: no event is after it.
        let since = lessChangesAfterAsOf ? asOf : Date.distantFuture
        let goalCountries = Array(campaign.countryGoals.keys)
        // Windows are whole days in the organisation's time zone: today and the six days before it,
        // then the seven before those.
        return try connection.query("""
            WITH bounds AS MATERIALIZED (
                SELECT (\(asOf)::timestamptz AT TIME ZONE \(timeZone))::date AS day
            ), headcount AS (
                SELECT country, eligible FROM campaign_headcount
                WHERE organisation_id = \(organisationID) AND campaign_id = \(campaign.id) AND eligible <> 0
            ), totals AS (
                SELECT country, sum(current)::bigint AS signatures FROM signature_totals
                WHERE organisation_id = \(organisationID) AND campaign_id = \(campaign.id) GROUP BY country
            ), windows AS (
                SELECT d.country,
                       sum(d.delta) FILTER (WHERE d.day > b.day - 7)::bigint AS last_7_days,
                       sum(d.delta) FILTER (WHERE d.day <= b.day - 7)::bigint AS previous_7_days
                FROM signature_daily d, bounds b
                WHERE d.organisation_id = \(organisationID) AND d.campaign_id = \(campaign.id)
                  AND d.day > (SELECT day - 14 FROM bounds)
                GROUP BY d.country
            ), since AS (
                SELECT country, sum(delta)::bigint AS change FROM signature_events
                WHERE organisation_id = \(organisationID) AND campaign_id = \(campaign.id) AND at > \(since)
                GROUP BY country
            ), codes AS (
                SELECT country FROM headcount UNION SELECT country FROM totals
                UNION SELECT unnest(\(goalCountries)::text[])
            )
            SELECT k.country, coalesce(c.name, k.country), coalesce(h.eligible, 0),
                   coalesce(t.signatures, 0) - coalesce(s.change, 0),
                   coalesce(w.last_7_days, 0) - coalesce(s.change, 0), coalesce(w.previous_7_days, 0)
            FROM codes k
            LEFT JOIN headcount h ON h.country = k.country
            LEFT JOIN totals t ON t.country = k.country
            LEFT JOIN windows w ON w.country = k.country
            LEFT JOIN since s ON s.country = k.country
            LEFT JOIN countries c ON c.alpha2 = k.country
            ORDER BY k.country
            """).rows.map { row in
            let (code, name, eligible, signatures, last, previous) = try row.decode((String, String, Int, Int, Int, Int).self)
            return GroupFigures(
                key: code, name: name, signatures: signatures, eligible: eligible, last7Days: last, previous7Days: previous,
                goal: campaign.countryGoals[code])
        }
    }

    /// A past instant: the daily counts before `asOf`'s day and that day's events up to `asOf`
    /// (O(countries × days of the campaign) rows, plus one day of events).
    private func pastCountryFigures(_ connection: PostgresConnection) throws -> [GroupFigures] {
        var eligible: [String: Int] = [:]
        for row in try connection.query("""
            SELECT country, eligible FROM campaign_headcount
            WHERE organisation_id = \(organisationID) AND campaign_id = \(campaign.id) AND eligible <> 0
            """).rows {
            let (country, count) = try row.decode((String, Int).self)
            eligible[country] = count
        }
        // Windows are whole days in the organisation's time zone: as_of's day and the six before it,
        // then the seven before those. As_of's own day counts only up to as_of.
        let counts = try connection.query("""
            WITH bounds AS (
                SELECT (\(asOf)::timestamptz AT TIME ZONE \(timeZone))::date AS day
            ), history AS (
                SELECT d.country, d.day, d.delta FROM signature_daily d, bounds b
                WHERE d.organisation_id = \(organisationID) AND d.campaign_id = \(campaign.id) AND d.day < b.day
                UNION ALL
                SELECT e.country, b.day, e.delta FROM signature_events e, bounds b
                WHERE e.organisation_id = \(organisationID) AND e.campaign_id = \(campaign.id)
                  AND e.at >= (b.day::timestamp AT TIME ZONE \(timeZone)) AND e.at <= \(asOf)
            )
            SELECT country,
                   sum(delta) FILTER (WHERE h.day > b.day - 7)::bigint AS last_7_days,
                   sum(delta) FILTER (WHERE h.day <= b.day - 7 AND h.day > b.day - 14)::bigint AS previous_7_days,
                   sum(delta)::bigint AS signatures
            FROM history h, bounds b
            GROUP BY country
            """)
        var windows: [String: (last: Int, previous: Int, total: Int)] = [:]
        for row in counts.rows {
            let (country, last, previous, total) = try row.decode((String, Int?, Int?, Int?).self)
            windows[country] = (last ?? 0, previous ?? 0, total ?? 0)
        }
        let signatures = windows.mapValues(\.total)
        let codes = Array(Set(eligible.keys).union(signatures.keys).union(campaign.countryGoals.keys)).sorted()
        var names: [String: String] = [:]
        for row in try connection.query("SELECT alpha2, name FROM countries WHERE alpha2 = ANY(\(codes))").rows {
            let (code, name) = try row.decode((String, String).self)
            names[code] = name
        }
        return codes.map { code in
            GroupFigures(
                key: code, name: names[code] ?? code, signatures: signatures[code] ?? 0, eligible: eligible[code] ?? 0,
                last7Days: windows[code]?.last ?? 0, previous7Days: windows[code]?.previous ?? 0, goal: campaign.countryGoals[code])
        }
    }

    /// Inside one country, by `column` (`site` or `org_unit`), from the signature rows as of `asOf`.
    /// For a past `asOf` this uses each signature's latest state (a signature withdrawn and given
    /// again since counts from its latest signing): exact for now, close for the past.
    /// One country's site × org unit cells (see ``Ranking/breakdowns(_:viewer:privacyK:campaignEndsAt:asOf:)``):
    /// eligible employees by where they work now, signatures by where they signed.
    func cells(_ connection: PostgresConnection, country: String) throws -> [CrossCell] {
        struct Key: Hashable { var site, orgUnit: String }
        var cells: [Key: GroupFigures] = [:]
        for row in try connection.query("""
            SELECT coalesce(site, ''), coalesce(org_unit, ''), count(*) FROM employees e
            WHERE organisation_id = \(organisationID) AND active AND country = \(country) AND \(audienceFilter)
            GROUP BY 1, 2
            """).rows {
            let (site, orgUnit, count) = try row.decode((String, String, Int).self)
            cells[Key(site: site, orgUnit: orgUnit)] = GroupFigures(key: "", name: "", signatures: 0, eligible: count)
        }
        for row in try connection.query("""
            SELECT coalesce(site, ''), coalesce(org_unit, ''), count(*),
                   count(*) FILTER (WHERE (signed_at AT TIME ZONE \(timeZone))::date > (\(asOf)::timestamptz AT TIME ZONE \(timeZone))::date - 7)
            FROM signatures
            WHERE organisation_id = \(organisationID) AND campaign_id = \(campaign.id) AND country = \(country)
              AND signed_at <= \(asOf) AND (withdrawn_at IS NULL OR withdrawn_at > \(asOf))
            GROUP BY 1, 2
            """).rows {
            let (site, orgUnit, count, recent) = try row.decode((String, String, Int, Int).self)
            cells[Key(site: site, orgUnit: orgUnit), default: GroupFigures(key: "", name: "", signatures: 0, eligible: 0)].signatures = count
            cells[Key(site: site, orgUnit: orgUnit)]?.last7Days = recent
        }
        return cells.map { CrossCell(site: $0.key.site, orgUnit: $0.key.orgUnit, figures: $0.value) }
            .sorted { ($0.site, $0.orgUnit) < ($1.site, $1.orgUnit) }
    }

    /// Net change per country per ISO week (weeks start on Monday, in the organisation's time zone).
    ///
    /// Up to `asOf` itself: the daily counts before its day and that day's events up to it (for now,
    /// every daily count up to today).
    func weekly(_ connection: PostgresConnection) throws -> [(key: String, week: Date, change: Int, cumulative: Int)] {
        var cumulative: [String: Int] = [:]
        let query: PostgresQuery = isNow ? """
            SELECT country, date_trunc('week', day)::date::timestamp AT TIME ZONE 'UTC' AS week, sum(delta)::bigint
            FROM signature_daily WHERE organisation_id = \(organisationID) AND campaign_id = \(campaign.id)
              AND day <= (\(asOf)::timestamptz AT TIME ZONE \(timeZone))::date
            GROUP BY 1, 2 ORDER BY 2, 1
            """ : """
            WITH bounds AS (
                SELECT (\(asOf)::timestamptz AT TIME ZONE \(timeZone))::date AS day
            ), history AS (
                SELECT d.country, d.day, d.delta FROM signature_daily d, bounds b
                WHERE d.organisation_id = \(organisationID) AND d.campaign_id = \(campaign.id) AND d.day < b.day
                UNION ALL
                SELECT e.country, b.day, e.delta FROM signature_events e, bounds b
                WHERE e.organisation_id = \(organisationID) AND e.campaign_id = \(campaign.id)
                  AND e.at >= (b.day::timestamp AT TIME ZONE \(timeZone)) AND e.at <= \(asOf)
            )
            SELECT country, date_trunc('week', day)::date::timestamp AT TIME ZONE 'UTC' AS week, sum(delta)::bigint
            FROM history GROUP BY 1, 2 ORDER BY 2, 1
            """
        return try connection.query(query).rows.map { row in
            let (country, week, change) = try row.decode((String, Date, Int).self)
            cumulative[country, default: 0] += change
            return (country, week, change, cumulative[country] ?? 0)
        }
    }

    /// The campaign's audience as a condition on `employees e`.
    var audienceFilter: PostgresQuery { Self.audienceFilter(campaign.audience) }

    /// An audience as a condition on `employees e` (the rule of ``Audience/admits(gender:country:orgUnit:)``;
    /// the database's `mobilise_audience_admits` states it again for the maintained headcount).
    static func audienceFilter(_ audience: Audience) -> PostgresQuery {
        let genders = audience.genders.map(\.rawValue)
        let countries = audience.countries
        let units = audience.orgUnits
        return """
            (cardinality(\(genders)::text[]) = 0 OR e.gender = ANY(\(genders)::text[]))
            AND (cardinality(\(countries)::text[]) = 0 OR e.country = ANY(\(countries)::text[]))
            AND (cardinality(\(units)::text[]) = 0 OR EXISTS (
                SELECT 1 FROM unnest(\(units)::text[]) AS unit WHERE e.org_unit = unit OR starts_with(e.org_unit, unit || '/')))
            """
    }
}
