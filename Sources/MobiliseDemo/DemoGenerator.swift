import Foundation
import MobiliseDomain

/// One employee of the demo workforce, as the HR file lists them.
struct DemoEmployee: Sendable, Equatable {
    var externalID: String
    var displayName: String
    var country: String
    var gender: Gender
    var site: String
    var orgUnit: String
    var manager: String?
    var active: Bool

    var email: String { externalID.lowercased() + "@demo-electric.example" }
}

/// A signing the demo makes, relative to the load time.
struct PlannedSigning: Sendable, Equatable {
    var employee: String
    /// Seconds after the campaign's start.
    var offset: TimeInterval
    var channel: SignatureChannel
    /// Index into ``DemoData/events`` when signed at an event.
    var event: Int?
    /// Seconds after the campaign's start at which the signature is withdrawn.
    var withdrawnOffset: TimeInterval?
    /// Seconds after the campaign's start at which it is signed again after the withdrawal.
    var resignedOffset: TimeInterval?
}

/// A story to post, and what moderation does with it.
struct PlannedStory: Sendable, Equatable {
    enum Decision: Sendable, Equatable {
        case approve
        case leavePending
        case reject(reason: String)
    }

    var author: String
    var body: String
    var decision: Decision
}

/// Everything the demo loads, computed without the database from the seed, the scale and the
/// campaign's length (the signing window).
struct DemoPlan: Sendable {
    var employees: [DemoEmployee]
    var signings: [PlannedSigning]
    var stories: [PlannedStory]
    /// Per event template: who is checked in (past events) or answers the RSVP (upcoming ones).
    var attendees: [[String]]
    /// Per event template: the HR id of its host.
    var hosts: [String]
    /// The country goals in signatures, for the countries whose goal is a number.
    var signatureGoals: [String: Int]

    static let hrAdmin = "SE000001"
    static let leader = "SE000002"
    static let unsignedEmployee = "SE000003"

    /// The plan for `seed` at `scale`, signatures spread over `window` seconds after the start;
    /// `eventOffsets` gives each event template's start, in seconds after the campaign's start.
    static func make(seed: UInt64, scale: Double, window: TimeInterval, eventOffsets: [TimeInterval]) -> DemoPlan {
        var rng = SplitMix64(seed: seed)
        var employees: [DemoEmployee] = []
        var number = 0
        func nextID() -> String {
            number += 1
            let digits = String(number)
            return "SE" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
        }

        // The three demo identities come first, with fixed ids.
        employees.append(DemoEmployee(externalID: nextID(), displayName: "Claire Moreau", country: "FR", gender: .female,
                                      site: "Rueil-Malmaison", orgUnit: "Corporate/Human Resources", manager: leader, active: true))
        employees.append(DemoEmployee(externalID: nextID(), displayName: "Jean-Pascal Laurent", country: "FR", gender: .male,
                                      site: "Rueil-Malmaison", orgUnit: "Corporate/Executive Committee", manager: nil, active: true))
        employees.append(DemoEmployee(externalID: nextID(), displayName: "Arjun Iyer", country: "IN", gender: .male,
                                      site: "Bangalore", orgUnit: "Energy Management/Buildings", manager: nil, active: true))

        let unitWeights = DemoData.orgUnits.map(\.weight)
        var heads: [String: String] = [:]
        for country in DemoData.countries {
            let count = max(1, Int((Double(country.headcount) * scale).rounded()))
            let siteWeights = country.sites.indices.map { 1.0 / Double($0 + 1) }
            var siteHeads: [String: String] = [:]
            for index in 0..<count {
                let id = nextID()
                // The first employees head the country and its sites; heads are always active.
                let site = index < country.sites.count ? country.sites[index] : country.sites[rng.weighted(siteWeights)]
                let isHead = siteHeads[site] == nil
                let roll = rng.unit()
                let gender: Gender = roll < 0.70 ? .male : roll < 0.98 ? .female : roll < 0.985 ? .nonBinary : .undisclosed
                let either = rng.chance(0.5) ? country.names.male : country.names.female
                let names = gender == .male ? country.names.male : gender == .female ? country.names.female : either
                let first = rng.pick(names)
                let name = first + " " + rng.pick(country.names.last)
                let unit = DemoData.orgUnits[rng.weighted(unitWeights)].path
                let active = isHead || !rng.chance(0.015)
                let manager: String? = index == 0 ? leader : isHead ? heads[country.code] : siteHeads[site]
                if index == 0 { heads[country.code] = id }
                if isHead { siteHeads[site] = id }
                employees.append(DemoEmployee(externalID: id, displayName: name, country: country.code, gender: gender,
                                              site: site, orgUnit: unit, manager: manager, active: active))
            }
        }
        employees[2].manager = heads["IN"]

        // Who signs: per country, a share of the active men (the campaign's audience).
        var men: [String: [String]] = [:]
        for employee in employees where employee.active && employee.gender == .male && employee.externalID != unsignedEmployee {
            men[employee.country, default: []].append(employee.externalID)
        }
        let rates = signingRates(men: men.mapValues(\.count), scale: scale)
        let events = DemoData.events
        var signings: [PlannedSigning] = []
        var signersByCountry: [String: [String]] = [:]
        var eventSigners: [[String]] = Array(repeating: [], count: events.count)
        for country in DemoData.countries {
            let pool = men[country.code] ?? []
            guard !pool.isEmpty else { continue }
            var candidates = rng.shuffled(pool)
            if let leaderIndex = candidates.firstIndex(of: leader) {
                candidates.swapAt(0, leaderIndex)
            }
            let current = min(pool.count, Int((Double(pool.count) * (rates[country.code] ?? 0)).rounded()))
            let withdrawn = min(pool.count - current, Int((Double(current) * 0.012).rounded()))
            let resigned = Int((Double(current) * 0.008).rounded())
            let isLeader = DemoData.leaders.contains(country.code)
            let middle = (isLeader ? 0.40 : 0.50 + (rng.unit() - 0.4) * 0.15) * window
            let spread = 0.13 * window
            func when() -> TimeInterval { sCurve(rng.unit(), middle: middle, spread: spread, window: window) }
            func channel() -> SignatureChannel {
                let roll = rng.unit()
                return roll < 0.65 ? .web : roll < 0.95 ? .mobile : .paper
            }

            // Signers at the country's past events come from the plain signers.
            let plain = max(0, current - resigned - 1)
            var nextAtEvent = current - resigned - 1
            for (index, event) in events.enumerated() where event.country == country.code && eventOffsets[index] < window {
                let share = event.kind == "village" ? 0.025 : event.kind == "online" ? 0.01 : 0.04
                let wanted = min(event.capacity ?? Int.max, Int((Double(plain) * share).rounded()))
                let duration = Double(event.hours) * 3600
                for _ in 0..<wanted where nextAtEvent >= 1 {
                    let id = candidates[nextAtEvent]
                    nextAtEvent -= 1
                    let offset = min(eventOffsets[index] + rng.unit() * duration, window)
                    signings.append(PlannedSigning(employee: id, offset: offset, channel: .event, event: index))
                    eventSigners[index].append(id)
                }
            }
            for position in 0..<(current + withdrawn) {
                if position > nextAtEvent && position < current - resigned { continue }
                let id = candidates[position]
                if position >= current - resigned {
                    // Signed, withdrew, signed again (current) or withdrew for good (the last `withdrawn`).
                    let times = [when(), when(), when()].sorted()
                    let again = position < current
                    signings.append(PlannedSigning(employee: id, offset: times[0], channel: channel(), event: nil,
                                                   withdrawnOffset: times[1], resignedOffset: again ? times[2] : nil))
                } else {
                    signings.append(PlannedSigning(employee: id, offset: when(), channel: channel(), event: nil))
                }
            }
            signersByCountry[country.code] = Array(candidates.prefix(current))
        }

        // Who else comes: walk-ins at past events, RSVPs to upcoming ones (never the demo identities).
        let identities: Set<String> = [hrAdmin, leader, unsignedEmployee]
        var activeByCountry: [String: [String]] = [:]
        for employee in employees where employee.active && !identities.contains(employee.externalID) {
            activeByCountry[employee.country, default: []].append(employee.externalID)
        }
        var attendees: [[String]] = []
        var hosts: [String] = []
        for (index, event) in events.enumerated() {
            hosts.append(heads[event.country] ?? leader)
            let local = activeByCountry[event.country] ?? []
            if eventOffsets[index] < window {
                let signers = Set(eventSigners[index])
                let others = rng.shuffled(local.filter { !signers.contains($0) })
                let walkIns = Int((Double(eventSigners[index].count) * 0.3).rounded())
                attendees.append(eventSigners[index] + others.prefix(walkIns))
            } else {
                let wanted = min(local.count, (event.capacity ?? 26) + 4)
                attendees.append(Array(rng.shuffled(local).prefix(wanted)))
            }
        }

        // Stories: approved ones in several languages, two pending, one rejected.
        var stories: [PlannedStory] = []
        let allSigners = DemoData.countries.flatMap { signersByCountry[$0.code] ?? [] }.filter { !identities.contains($0) }
        let sites = Dictionary(uniqueKeysWithValues: employees.map { ($0.externalID, $0.site) })
        func author(from countries: [String]) -> String? {
            let local = countries.flatMap { signersByCountry[$0] ?? [] }.filter { !identities.contains($0) }
            return local.isEmpty ? (allSigners.isEmpty ? nil : rng.pick(allSigners)) : rng.pick(local)
        }
        let approved = max(DemoData.stories.count, Int((140 * scale).rounded()))
        for index in 0..<approved {
            let template = DemoData.stories[index % DemoData.stories.count]
            guard let writer = author(from: template.countries) else { break }
            let body = index < DemoData.stories.count ? template.body : "\(sites[writer] ?? ""): \(template.body)"
            stories.append(PlannedStory(author: writer, body: body, decision: .approve))
        }
        for body in DemoData.pendingStories {
            guard let writer = author(from: ["BR", "US"]) else { break }
            stories.append(PlannedStory(author: writer, body: body, decision: .leavePending))
        }
        if let writer = author(from: ["GB"]) {
            stories.append(PlannedStory(author: writer, body: DemoData.rejectedStory.body,
                                        decision: .reject(reason: DemoData.rejectedStory.reason)))
        }

        let goals = [
            "IN": max(1, Int((3_600 * scale).rounded())),
            "BR": max(1, Int((1_400 * scale).rounded())),
        ]
        return DemoPlan(employees: employees, signings: signings, stories: stories, attendees: attendees, hosts: hosts,
                        signatureGoals: goals)
    }

    /// Participation per country: the leaders' fixed rates; the others scaled together so that the
    /// whole drive reaches about 23,000 signatures at scale 1.0, each capped at
    /// ``DemoData/maximumOtherRate`` so that the four leaders stay ahead.
    static func signingRates(men: [String: Int], scale: Double) -> [String: Double] {
        var rates: [String: Double] = [:]
        var leading = 0.0
        for code in DemoData.leaders {
            let rate = DemoData.leaderRates[code] ?? 0.9
            rates[code] = rate
            leading += (Double(men[code] ?? 0) * rate).rounded()
        }
        let target = 23_100 * scale
        let others = DemoData.countries.filter { !DemoData.leaders.contains($0.code) }
        let base = others.reduce(0.0) { $0 + Double(men[$1.code] ?? 0) * $1.baseRate }
        let factor = base > 0 ? max(0, target - leading) / base : 0
        for country in others {
            rates[country.code] = min(DemoData.maximumOtherRate, country.baseRate * factor)
        }
        return rates
    }

    /// Inverse of a logistic S-curve truncated to [0, window]: maps a uniform draw to a time.
    static func sCurve(_ u: Double, middle: Double, spread: Double, window: Double) -> TimeInterval {
        func logistic(_ t: Double) -> Double { 1 / (1 + exp(-(t - middle) / spread)) }
        let low = logistic(0)
        let high = logistic(window)
        let level = min(max(low + u * (high - low), 1e-12), 1 - 1e-12)
        return min(max(middle - spread * log(1 / level - 1), 0), window)
    }

    /// The workforce file, as the HR system would export it.
    func csv() -> [UInt8] {
        var text = "external_id,email,display_name,country,gender,site,org_unit,manager_external_id,active\n"
        for employee in employees {
            let fields = [
                employee.externalID, employee.email, employee.displayName, employee.country, employee.gender.rawValue,
                employee.site, employee.orgUnit, employee.manager ?? "", employee.active ? "true" : "false",
            ]
            text += fields.map(Self.csvField).joined(separator: ",") + "\n"
        }
        return Array(text.utf8)
    }

    private static func csvField(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
