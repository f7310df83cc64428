import Foundation
import HTTPTypes
import MobiliseAPI
import MobiliseDomain
import MobiliseStore
import MobiliseTesting
import Testing

/// Issue 19: a leader cannot verify what one person did by reading the figures before and after.
///
/// The attack, over HTTP against the real service and PostgreSQL: a leader reads every figure he
/// may (rankings in every metric, the CSV, the country's drill-down, the timeline, the live
/// counter), an employee of a 50-person country signs or not (a seeded coin toss), the leader waits
/// for the next published instant and reads everything again, and guesses "signed" when anything
/// changed. The same for withdrawals. The same trials read with an HR admin's exact figures (what
/// every leader saw before this issue) are the control: there the attack is right every time.
@Suite struct PrivacyOverTimeTests {
    /// Short, so that the test waits a quarter of a second per trial (the default is ten minutes).
    static let environment = ["MOBILISE_LEADER_PUBLISH_INTERVAL": "250ms"]
    static let trials = 60

    struct Score {
        var trials = 0
        var leaderRight = 0
        var exactRight = 0
        var leaderAccuracy: Double { Double(leaderRight) / Double(max(trials, 1)) }
        var exactAccuracy: Double { Double(exactRight) / Double(max(trials, 1)) }
    }

    @Test func aLeaderCannotTellWhetherOneEmployeeSignedOrWithdrew() async throws {
        try await ServiceHarness.run(environment: Self.environment) { service in
            let attack = try await AttackSetup.make(service)
            var coin = SplitMix64(seed: 19)
            var unsigned = attack.country
            var signing = Score()
            for _ in 0..<Self.trials {
                let person = try #require(unsigned.randomElement(using: &coin))
                let acts = Bool.random(using: &coin)
                try await attack.trial(acts: acts, score: &signing) {
                    let reply = try await service.call(.put, "/v1/campaigns/\(attack.slug)/signature", token: try await attack.employee(person))
                    #expect(reply.status == .created, "\(reply.text)")
                    unsigned.removeAll { $0 == person }
                }
            }
            // Enough signers for the withdrawals, signed before the first reading of that part.
            for person in unsigned.prefix(max(0, 45 - (attack.country.count - unsigned.count))) {
                let reply = try await service.call(.put, "/v1/campaigns/\(attack.slug)/signature", token: try await attack.employee(person))
                #expect(reply.status == .created, "\(reply.text)")
                unsigned.removeAll { $0 == person }
            }
            var signed = attack.country.filter { !unsigned.contains($0) }
            try await attack.waitForPublication(after: Date())
            var withdrawing = Score()
            for _ in 0..<Self.trials {
                let person = try #require(signed.randomElement(using: &coin))
                let acts = Bool.random(using: &coin)
                try await attack.trial(acts: acts, score: &withdrawing) {
                    let reply = try await service.call(.delete, "/v1/campaigns/\(attack.slug)/signature", token: try await attack.employee(person))
                    #expect(reply.status == .ok || reply.status == .noContent, "\(reply.status) \(reply.text)")
                    signed.removeAll { $0 == person }
                }
            }
            print("[privacy] 50-person country, \(Self.trials) trials each, interval 250ms: "
                  + "signing: leader accuracy \(signing.leaderAccuracy), exact figures \(signing.exactAccuracy); "
                  + "withdrawal: leader accuracy \(withdrawing.leaderAccuracy), exact figures \(withdrawing.exactAccuracy)")
            // The control: on exact figures (every leader's before this issue) the attack never fails.
            #expect(signing.exactAccuracy == 1.0)
            #expect(withdrawing.exactAccuracy == 1.0)
            // The rule: no better than 0.65 (a coin toss is 0.5).
            #expect(signing.leaderAccuracy <= 0.65)
            #expect(withdrawing.leaderAccuracy <= 0.65)
        }
    }

    /// Usefulness: for groups of 1,000 eligible or more, every figure a leader sees is within 1% of
    /// the truth (counts within 1% of the group, rates within one percentage point), and HR admins
    /// see the exact figures.
    @Test func aLeadersFiguresForLargeGroupsAreWithinOnePercentAndHRsAreExact() async throws {
        try await ServiceHarness.run(environment: Self.environment) { service in
            let organisation = try await service.store.createOrganisation(slug: "megacorp", name: "Megacorp", privacyK: 10)
            let sizes = ["IN": 1_200, "BR": 2_500, "US": 10_400]
            var csv = "external_id,country,site,org_unit\n"
            for (country, size) in sizes.sorted(by: { $0.key < $1.key }) {
                for index in 0..<size { csv += "\(country)-\(index),\(country),Site \(index % 3),Unit \(index % 4)\n" }
            }
            _ = try await service.store.importEmployees(organisationID: organisation.id, csv: Array(csv.utf8), mode: .upsert, actor: Actor("setup"))
            let hr = try await service.issuer.token(subject: "hr-m", organisation: "megacorp", roles: [.hrAdmin])
            let leader = try await service.issuer.token(subject: "boss-m", organisation: "megacorp", roles: [.leader])
            let slug = try await AttackSetup.campaign(service, hr: hr, goals: #"{"IN": {"participation": 0.5}, "US": {"signatures": 5000}}"#)
            // Signatures spread over the last 20 days: the 7-day windows have figures of their own.
            var coin = SplitMix64(seed: 7)
            var signings: [BulkSigning] = []
            for (country, size) in sizes {
                for index in 0..<size where Double.random(in: 0..<1, using: &coin) < 0.37 {
                    signings.append(BulkSigning(employee: "\(country)-\(index)", at: Date().addingTimeInterval(-Double.random(in: 60...(20 * 86_400), using: &coin))))
                }
            }
            let report = try await service.store.signInBulk(organisationID: organisation.id, campaign: slug, signings)
            #expect(report.created == signings.count && report.refused.isEmpty)
            let attack = AttackSetup(service: service, slug: slug, leader: leader, hr: hr, organisation: "megacorp", country: [])
            try await attack.waitForPublication(after: Date())

            for metric in RankingMetric.allCases {
                let exact = try await service.call(.get, "/v1/campaigns/\(slug)/rankings?metric=\(metric.rawValue)", token: hr).json
                let shown = try await service.call(.get, "/v1/campaigns/\(slug)/rankings?metric=\(metric.rawValue)", token: leader).json
                #expect(exact["approximate"] as? Bool == false && shown["approximate"] as? Bool == true)
                let exactRows = Dictionary(uniqueKeysWithValues: (exact["rows"] as? [[String: any Sendable]] ?? []).map { ($0["country"] as? String ?? "", $0) })
                for row in (shown["rows"] as? [[String: any Sendable]] ?? []) + [shown["total"] as? [String: any Sendable] ?? [:]] {
                    let key = row["country"] as? String ?? "total"
                    let truth = try #require(key == "total" ? exact["total"] as? [String: any Sendable] : exactRows[key], "\(key)")
                    let eligible = try #require(truth["eligible"] as? Int)
                    #expect(row["eligible"] as? Int == eligible)
                    for field in ["signatures", "last_7_days", "previous_7_days"] {
                        let (a, b) = (try #require(row[field] as? Int), try #require(truth[field] as? Int))
                        #expect(Double(abs(a - b)) <= 0.01 * Double(eligible), "\(key) \(field): \(a) shown, \(b) true")
                    }
                    for field in ["participation", "momentum"] {
                        let (a, b) = (try #require(row[field] as? Double), try #require(truth[field] as? Double))
                        #expect(abs(a - b) <= 0.01, "\(key) \(field): \(a) shown, \(b) true")
                    }
                }
            }
            // HR's figures are the exact counts.
            let exact = try await service.call(.get, "/v1/campaigns/\(slug)/rankings", token: hr).json
            #expect((exact["total"] as? [String: any Sendable])?["signatures"] as? Int == signings.count)
            // The timeline and the live counter are the same published figures.
            let timeline = try await service.call(.get, "/v1/campaigns/\(slug)/timeline", token: leader).json
            let exactTimeline = try await service.call(.get, "/v1/campaigns/\(slug)/timeline", token: hr).json
            let (shownTotal, trueTotal) = (try #require(timeline["total"] as? [Int]), try #require(exactTimeline["total"] as? [Int]))
            #expect(shownTotal.count == trueTotal.count)
            for (a, b) in zip(shownTotal, trueTotal) { #expect(Double(abs(a - b)) <= 0.01 * Double(sizes.values.reduce(0, +))) }
            let live = try await service.call(.get, "/v1/campaigns/\(slug)/live", token: leader).json
            #expect(live["approximate"] as? Bool == true)
            #expect(abs((live["signatures"] as? Int ?? -1_000_000) - signings.count) <= sizes.values.reduce(0, +) / 100)
        }
    }

    /// HR admins see who looked at leader figures, per leader, campaign, surface and hour, a page at
    /// a time; leaders may not.
    @Test func hrAdminsSeeTheAccessLogOfLeaderViewsAggregatedByHour() async throws {
        try await ServiceHarness.run(environment: Self.environment) { service in
            let slug = try await service.launchedCampaign()
            let leader = try await service.token("lead-1", [.leader])
            let other = try await service.token("lead-2", [.leader])
            let hr = try await service.token("hr-1", [.hrAdmin])
            for _ in 0..<3 { #expect(try await service.call(.get, "/v1/campaigns/\(slug)/rankings", token: leader).status == .ok) }
            #expect(try await service.call(.get, "/v1/campaigns/\(slug)/rankings.csv", token: leader).status == .ok)
            #expect(try await service.call(.get, "/v1/campaigns/\(slug)/timeline", token: other).status == .ok)
            #expect(try await service.call(.get, "/v1/campaigns/\(slug)/countries/IN", token: other).status == .ok)
            #expect(try await service.call(.get, "/v1/campaigns/\(slug)/live", token: other).status == .ok)
            // HR admins' own reads are not leader views.
            #expect(try await service.call(.get, "/v1/campaigns/\(slug)/rankings", token: hr).status == .ok)

            #expect(try await service.call(.get, "/v1/leader-views", token: leader).status == .forbidden)
            var lines: [[String: any Sendable]] = []
            var cursor: String?
            repeat {
                let reply = try await service.call(.get, "/v1/leader-views?limit=2" + (cursor.map { "&cursor=\($0)" } ?? ""), token: hr)
                #expect(reply.status == .ok, "\(reply.text)")
                let page = try #require(reply.json["views"] as? [[String: any Sendable]])
                #expect(page.count <= 2)
                lines += page
                cursor = reply.json["next_cursor"] as? String
            } while cursor != nil
            let summary = Set(lines.map { "\($0["viewer"] as? String ?? "") \($0["surface"] as? String ?? "") \($0["views"] as? Int ?? 0)" })
            #expect(summary == ["lead-1 rankings 3", "lead-1 rankings.csv 1", "lead-2 timeline 1", "lead-2 country 1", "lead-2 live 1"])
            #expect(lines.allSatisfy { $0["campaign"] as? String == slug && $0["hour"] is String })
            #expect(try await service.call(.get, "/v1/leader-views?cursor=garbage", token: hr).status == .badRequest)
        }
    }
}

extension PrivacyOverTimeTests {
    /// RSVP counts as leaders see them are published as the rankings' counts are: one more RSVP
    /// shows only when it crosses the group's secret boundary; employees and HR admins see them exact.
    @Test func aLeaderSeesAnEventsCountsRounded() async throws {
        try await ServiceHarness.run(environment: Self.environment) { service in
            let slug = try await service.launchedCampaign()
            let event = try await service.event(slug, host: "in-3")
            for person in ["in-1", "in-2", "br-1"] {
                #expect(try await service.call(.put, "/v1/events/\(event)/rsvp", token: try await service.token(person, [.employee])).status == .ok)
            }
            func going(_ token: String) async throws -> Int? {
                let list = try await service.call(.get, "/v1/campaigns/\(slug)/events", token: token)
                return (list.json["events"] as? [[String: any Sendable]])?.first?["going"] as? Int
            }
            #expect(try await going(try await service.token("hr-1", [.hrAdmin])) == 3)
            #expect(try await going(try await service.token("in-4", [.employee])) == 3)
            let key = try await service.store.pool.query("""
                SELECT publication_key FROM campaigns WHERE organisation_id = \(service.acme.id) AND slug = \(slug)
                """)[0].decode(Data.self, at: 0)
            let expected = CountRounding(key: key).published(3, group: "event:\(event.lowercased()):going", groupSize: 0)
            #expect(try await going(try await service.token("lead-1", [.leader])) == expected)
            #expect(expected % Publication.granularity(groupSize: 0) == 0)
        }
    }
}

/// The attack's organisation, campaign and readings.
struct AttackSetup: Sendable {
    let service: ServiceHarness
    let slug: String
    let leader: String
    let hr: String
    let organisation: String
    /// The 50 employees of the small country.
    let country: [String]

    /// Initech (k = 10): 50 employees in the Netherlands (one site, one unit), 250 in Germany and
    /// 200 in France on three sites and four units each; a launched campaign open to everyone,
    /// with its publication key fixed so the test draws the same offsets at every run.
    static func make(_ service: ServiceHarness) async throws -> AttackSetup {
        let organisation = try await service.store.createOrganisation(slug: "initech", name: "Initech", privacyK: 10)
        var csv = "external_id,country,site,org_unit\n"
        let country = (0..<50).map { "nl-\($0)" }
        for id in country { csv += "\(id),NL,Amsterdam,Operations\n" }
        for index in 0..<250 { csv += "de-\(index),DE,Site \(index % 3),Unit \(index % 4)\n" }
        for index in 0..<200 { csv += "fr-\(index),FR,Site \(index % 3),Unit \(index % 4)\n" }
        _ = try await service.store.importEmployees(organisationID: organisation.id, csv: Array(csv.utf8), mode: .upsert, actor: Actor("setup"))
        let hr = try await service.issuer.token(subject: "hr-i", organisation: "initech", roles: [.hrAdmin])
        let leader = try await service.issuer.token(subject: "boss", organisation: "initech", roles: [.leader])
        let slug = try await campaign(service, hr: hr, goals: #"{"NL": {"participation": 0.5}}"#)
        // A fixed key (a real one is drawn by the database): the same offsets at every run.
        try await service.store.pool.execute("""
            UPDATE campaigns SET publication_key = decode('6d6f62696c6973652d69737375652d31392d707269766163792d6f7665722d74', 'hex')
            WHERE organisation_id = \(organisation.id) AND slug = \(slug)
            """)
        return AttackSetup(service: service, slug: slug, leader: leader, hr: hr, organisation: "initech", country: country)
    }

    /// A campaign created by `hr` and launched, open to everyone, started 30 days ago.
    static func campaign(_ service: ServiceHarness, hr: String, goals: String) async throws -> String {
        let created = try await service.call(.post, "/v1/campaigns", token: hr, json: """
            {"slug": "pledge", "hashtag": "#Pledge", "title": "Pledge", "pledge_text": "I commit",
             "starts_at": "\(rfc3339(Date().addingTimeInterval(-30 * 86_400)))", "ends_at": "\(rfc3339(Date().addingTimeInterval(60 * 86_400)))",
             "country_goals": \(goals), "success_min_countries": 1, "goal_participation": 0.3}
            """)
        guard created.status == .created else { throw ServiceHarness.HarnessError(reply: created) }
        let launched = try await service.call(.post, "/v1/campaigns/pledge/launch", token: hr)
        guard launched.status == .ok else { throw ServiceHarness.HarnessError(reply: launched) }
        return "pledge"
    }

    func employee(_ id: String) async throws -> String {
        try await service.issuer.token(subject: id, organisation: organisation, roles: [.employee])
    }

    /// Everything a leader may read of the campaign, without what changes with the clock whatever
    /// happened: the instants (`as_of`) and the pace still needed per day to meet a goal by the end.
    func leaderView() async throws -> [String] {
        var paths = RankingMetric.allCases.map { "/v1/campaigns/\(slug)/rankings?metric=\($0.rawValue)" }
        paths += ["/v1/campaigns/\(slug)/rankings.csv", "/v1/campaigns/\(slug)/countries/NL", "/v1/campaigns/\(slug)/timeline",
                  "/v1/campaigns/\(slug)/live"]
        return try await read(paths, token: leader)
    }

    /// The same campaign's exact figures (an HR admin's, every leader's before issue 19).
    func exactView() async throws -> [String] {
        try await read(["/v1/campaigns/\(slug)/rankings", "/v1/campaigns/\(slug)/countries/NL", "/v1/campaigns/\(slug)/live"], token: hr)
    }

    private func read(_ paths: [String], token: String) async throws -> [String] {
        var view: [String] = []
        for path in paths {
            let reply = try await service.call(.get, path, token: token)
            guard reply.status == .ok else { throw ServiceHarness.HarnessError(reply: reply) }
            view.append(Self.withoutInstants(reply.text))
        }
        return view
    }

    static func withoutInstants(_ text: String) -> String {
        func strip(_ value: Any) -> Any {
            if let object = value as? [String: Any] {
                return object.filter { $0.key != "as_of" && $0.key != "needed_per_day" }.mapValues(strip)
            }
            if let array = value as? [Any] { return array.map(strip) }
            return value
        }
        guard let json = try? JSONSerialization.jsonObject(with: Data(text.utf8)),
              let data = try? JSONSerialization.data(withJSONObject: strip(json), options: [.sortedKeys]) else { return text }
        return String(decoding: data, as: UTF8.self)
    }

    /// Waits until a leader's figures are published as of an instant at or after `instant`.
    func waitForPublication(after instant: Date) async throws {
        try await waitUntil("the next publication", timeout: .seconds(30), interval: .milliseconds(20)) {
            let reply = try await service.call(.get, "/v1/campaigns/\(slug)/live", token: leader)
            guard let text = reply.json["as_of"] as? String, let asOf = Instants.parse(text) else { return false }
            return asOf >= instant
        }
    }

    /// One trial: read, act (or not), wait for the next publication, read again, guess "acted"
    /// when anything changed.
    func trial(acts: Bool, score: inout PrivacyOverTimeTests.Score, _ action: () async throws -> Void) async throws {
        let (leaderBefore, exactBefore) = (try await leaderView(), try await exactView())
        if acts { try await action() }
        try await waitForPublication(after: Date())
        let (leaderAfter, exactAfter) = (try await leaderView(), try await exactView())
        score.trials += 1
        if (leaderBefore != leaderAfter) == acts { score.leaderRight += 1 }
        if (exactBefore != exactAfter) == acts { score.exactRight += 1 }
    }
}
