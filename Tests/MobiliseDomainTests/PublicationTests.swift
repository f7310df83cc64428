import Foundation
import MobiliseDomain
import Testing

@Suite struct PublicationTests {
    @Test func intervalsAreReadAsDurations() {
        #expect(Publication.parseInterval("15m") == 900)
        #expect(Publication.parseInterval("2s") == 2)
        #expect(Publication.parseInterval("500ms") == 0.5)
        #expect(Publication.parseInterval("1h") == 3600)
        #expect(Publication.parseInterval("90") == 90)
        for bad in ["", "m", "0s", "-5m", "5 minutes", "1e3s", "inf"] { #expect(Publication.parseInterval(bad) == nil, "\(bad)") }
    }

    @Test func instantsSnapToTheLastPublishedOne() {
        let publication = Publication(interval: 600)
        let date = Date(timeIntervalSince1970: 1_800_000_123.5)
        #expect(publication.instant(atOrBefore: date) == Date(timeIntervalSince1970: 1_800_000_000))
        #expect(publication.instant(after: date) == Date(timeIntervalSince1970: 1_800_000_600))
        #expect(publication.instant(atOrBefore: Date(timeIntervalSince1970: 1_800_000_600)) == Date(timeIntervalSince1970: 1_800_000_600))
    }

    @Test func theStepIsTwentyForSmallGroupsAndAtMostOnePercentFromAThousand() {
        #expect(Publication.granularity(groupSize: 10) == 20)
        #expect(Publication.granularity(groupSize: 999) == 20)
        #expect(Publication.granularity(groupSize: 1_000) == 10)
        #expect(Publication.granularity(groupSize: 1_999) == 10)
        #expect(Publication.granularity(groupSize: 2_000) == 20)
        #expect(Publication.granularity(groupSize: 5_000) == 50)
        #expect(Publication.granularity(groupSize: 101_000) == 100)
        for size in stride(from: 1_000, through: 200_000, by: 37) {
            #expect(Publication.granularity(groupSize: size) * 100 <= size)
        }
    }

    @Test func aPublishedCountIsStableAndWithinOneStepBelowTheCountPlusItsOffset() {
        let rounding = CountRounding(key: Data("key".utf8))
        for size in [10, 50, 1_000, 4_321, 50_000] {
            let step = Publication.granularity(groupSize: size)
            let offset = rounding.offset(group: "country:NL", step: step)
            #expect((0..<step).contains(offset))
            for count in stride(from: 0, through: size, by: max(1, size / 97)) {
                let shown = rounding.published(count, group: "country:NL", groupSize: size)
                #expect(shown == rounding.published(count, group: "country:NL", groupSize: size))
                #expect(shown <= size && shown % step == 0 || shown == size)
                #expect(abs(shown - count) < step)
                if size >= 1_000 { #expect(Double(abs(shown - count)) <= 0.01 * Double(size)) }
            }
        }
        // Another key or another group: another offset (over many, they spread over the step).
        let offsets = Set((0..<200).map { CountRounding(key: Data("key \($0)".utf8)).offset(group: "country:NL", step: 20) })
        #expect(offsets.count == 20)
    }

    /// A group at 0% or 100% is published as the others are: "none" and "all" shown do not mean
    /// that nobody or everybody signed.
    @Test func groupsAtNoneOrAllAreRoundedToo() {
        let keys = (0..<400).map { CountRounding(key: Data("key \($0)".utf8)) }
        // Three of twelve signed: shown as none for some campaigns, as all for others.
        let three = keys.map { $0.published(3, group: "g", groupSize: 12) }
        #expect(three.contains(0) && three.contains(12))
        // All twelve signed: shown as none for some campaigns.
        #expect(keys.map { $0.published(12, group: "g", groupSize: 12) }.contains(0))
    }

    /// The windows are differences of published cumulative counts, so combining them with the
    /// count tells nothing more than the counts.
    @Test func windowsAreDifferencesOfPublishedCounts() {
        let rounding = CountRounding(key: Data("k".utf8))
        let figures = GroupFigures(key: "IN", name: "India", signatures: 730, eligible: 2_000, last7Days: 120, previous7Days: 80)
        let shown = rounding.published(figures, group: "country:IN")
        let (now, weekAgo, twoWeeksAgo) = (
            rounding.published(730, group: "country:IN", groupSize: 2_000), rounding.published(610, group: "country:IN", groupSize: 2_000),
            rounding.published(530, group: "country:IN", groupSize: 2_000))
        #expect(shown.signatures == now && shown.last7Days == now - weekAgo && shown.previous7Days == weekAgo - twoWeeksAgo)
        #expect(shown.eligible == 2_000)
    }

    /// The attack of the issue, simulated on the mechanism itself over many campaigns' keys (the
    /// HTTP test runs it on one): PRIVACY.md's table. A person counts in `figures` published groups.
    @Test func theAttackersAccuracyOverManyKeys() {
        struct Case {
            var name: String
            var groups: [(name: String, size: Int, start: Int)]
        }
        let cases = [
            Case(name: "one-site country of 50 in an organisation of 500", groups: [("country:NL", 50, 0), ("total", 500, 150)]),
            Case(name: "two-site, two-unit country of 50 in an organisation of 500",
                 groups: [("country:NL", 50, 0), ("site", 25, 0), ("unit", 25, 0), ("total", 500, 150)]),
            Case(name: "two-site, two-unit country of 50 in an organisation of 1,500",
                 groups: [("country:NL", 50, 0), ("site", 25, 0), ("unit", 25, 0), ("total", 1_500, 400)]),
        ]
        var generator = SplitMix64(seed: 2026)
        for test in cases {
            var (right, trials) = (0, 0)
            for keyIndex in 0..<300 {
                let rounding = CountRounding(key: Data("campaign \(keyIndex)".utf8))
                var counts = test.groups.map(\.start)
                // 60 signing trials, then 60 withdrawals of someone who signed.
                for phase in [1, -1] {
                    if phase == -1 { counts = zip(counts, test.groups).map { max($0, $1.size * 9 / 10) } }
                    for _ in 0..<60 {
                        let acts = Bool.random(using: &generator)
                        let before = zip(counts, test.groups).map { rounding.published($0, group: $1.name, groupSize: $1.size) }
                        if acts { counts = counts.map { $0 + phase } }
                        let after = zip(counts, test.groups).map { rounding.published($0, group: $1.name, groupSize: $1.size) }
                        if (before != after) == acts { right += 1 }
                        trials += 1
                    }
                }
            }
            let accuracy = Double(right) / Double(trials)
            print("[privacy] simulated attack, \(test.name): accuracy \(accuracy) over \(trials) trials (300 keys)")
            #expect(accuracy <= 0.65, "\(test.name)")
        }
    }
}

/// The hysteresis (issue 19's adaptive attacker; PRIVACY.md).
@Suite struct HysteresisTests {
    @Test func theMarginIsHalfAStepAndKeepsLargeGroupsWithinOnePercent() {
        #expect(Publication.margin(groupSize: 50) == 10)
        #expect(Publication.margin(groupSize: 999) == 10)
        #expect(Publication.margin(groupSize: 1_000) == 1)
        #expect(Publication.margin(groupSize: 1_400) == 5)
        #expect(Publication.margin(groupSize: 2_000) == 1)
        #expect(Publication.margin(groupSize: 14_900) == 50)
        for size in stride(from: 1_000, through: 200_000, by: 7) {
            let (step, margin) = (Publication.granularity(groupSize: size), Publication.margin(groupSize: size))
            #expect(margin >= 1 && margin <= step / 2)
            // The largest error of a published count (or of a difference of two) is step − 1 + margin.
            #expect(100 * (step - 1 + margin) <= size, "\(size)")
        }
    }

    @Test func aFigureThatJustMovedNeedsMoreThanOneChangeToMoveBack() {
        let (step, margin) = (20, 10)
        var value = Publication.hysteresis(previous: nil, shifted: 39, step: step, margin: margin)
        #expect(value == 20)
        value = Publication.hysteresis(previous: value, shifted: 40, step: step, margin: margin)
        #expect(value == 40)
        // One withdrawal right after the rise: nothing moves; it takes margin + 1.
        for shifted in stride(from: 39, through: 30, by: -1) {
            #expect(Publication.hysteresis(previous: value, shifted: shifted, step: step, margin: margin) == 40)
        }
        value = Publication.hysteresis(previous: value, shifted: 29, step: step, margin: margin)
        #expect(value == 20)
        // One signing right after the fall: nothing moves until the next boundary.
        for shifted in 29...39 { #expect(Publication.hysteresis(previous: value, shifted: shifted, step: step, margin: margin) == 20) }
        // Large moves land where rounding down would (up) or within the band (down).
        #expect(Publication.hysteresis(previous: 20, shifted: 95, step: step, margin: margin) == 80)
        #expect(Publication.hysteresis(previous: 80, shifted: 3, step: step, margin: margin) == 0)
        #expect(Publication.hysteresis(previous: 80, shifted: 11, step: step, margin: margin) == 20)
    }

    @Test func everyPublishedValueStaysWithinStepMinusOnePlusMarginOfTheCount() {
        var random = SplitMix64(seed: 3)
        for size in [50, 800, 1_000, 1_400, 2_500, 10_400, 100_000] {
            let rounding = CountRounding(key: Data("bounds-\(size)".utf8))
            let (step, margin) = (Publication.granularity(groupSize: size), Publication.margin(groupSize: size))
            let offset = rounding.offset(group: "g", step: step)
            var (count, value): (Int, Int?) = (size / 3, nil)
            for _ in 0..<5_000 {
                count = min(max(count + Int.random(in: -3...4, using: &random), 0), size)
                let next = Publication.hysteresis(previous: value, shifted: count + offset, step: step, margin: margin)
                value = next
                #expect(abs(next - count) <= step - 1 + margin, "\(size): \(next) for \(count)")
            }
        }
    }

    @Test func aLedgerDecidesTheCurrentInstantOnceAndLooksThePastUp() {
        let rounding = CountRounding(key: Data("ledger".utf8))
        let step = 20
        let offset = rounding.offset(group: "country:NL", step: step)
        let (past, earlier, now) = (Date(timeIntervalSince1970: 1_000), Date(timeIntervalSince1970: 500), Date(timeIntervalSince1970: 2_000))
        let stored = StoredPublication(instant: past, step: step, value: 40)
        let key = PublicationLedger.key("country:NL")
        let ledger = PublicationLedger(current: now, stored: [now: [key: stored], past: [key: stored], earlier: [:]])
        let reading = CountRounding(key: Data("ledger".utf8), ledger: ledger)
        // Now: one under the boundary the figure rose over stays at it, and nothing is stored anew.
        #expect(reading.published(40 - offset - 1, group: "country:NL", groupSize: 50, at: now) == 40)
        #expect(ledger.decided.isEmpty)
        // The past: the stored value whatever the count; before any, the count rounded down.
        #expect(reading.published(0, group: "country:NL", groupSize: 50, at: past) == 40)
        #expect(reading.published(25 - offset, group: "country:NL", groupSize: 50, at: earlier) == 20)
        // A fall is decided once, stored, and read the same for the rest of the read.
        let fresh = PublicationLedger(current: now, stored: [now: [key: stored]])
        let again = CountRounding(key: Data("ledger".utf8), ledger: fresh)
        #expect(again.published(29 - offset, group: "country:NL", groupSize: 50, at: now) == 20)
        #expect(fresh.decided == [key: StoredPublication(instant: now, step: step, value: 20)])
        #expect(again.published(35 - offset, group: "country:NL", groupSize: 50, at: now) == 20)
    }
}
