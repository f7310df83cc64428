import Foundation
import HTTPTypes
import MobiliseDomain
import MobiliseTesting
import Testing

/// Issue 19's adaptive attacker in a quiet group: a leader who watches a small country's published
/// figure until it crosses a rounding boundary (one colleague's signing took it up, or one
/// withdrawal took it down), then asks one employee to withdraw (or to sign) right after, and
/// guesses "they did" when the figure moves back. With rounding alone the figure moves back every
/// time the employee acts (PRIVACY.md, "The adaptive attacker"); with the hysteresis a figure that
/// has just moved needs more than one change to move again.
///
/// The quiet colleagues' activity is the test's: it uses the campaign's fixed publication key to
/// bring the Netherlands' count right under a boundary in a few published instants (the attacker
/// never sees the key: he only reads the figure). Where a falling figure turns down, the first
/// sign trial finds out by walking down one colleague at a time; later ones go straight there.
@Suite struct AdaptiveAttackTests {
    static let environment = ["MOBILISE_LEADER_PUBLISH_INTERVAL": "100ms"]
    static let trials = 60

    @Test func anAdaptiveLeaderCannotTellWhoUndidACrossingInAQuietGroup() async throws {
        try await ServiceHarness.run(environment: Self.environment) { service in
            let attack = try await AttackSetup.make(service)
            let key = try await service.store.pool.query("""
                SELECT publication_key FROM campaigns c JOIN organisations o ON o.id = c.organisation_id
                WHERE o.slug = 'initech' AND c.slug = \(attack.slug)
                """)[0].decode(Data.self, at: 0)
            let step = Publication.granularity(groupSize: attack.country.count)
            let offset = CountRounding(key: key).offset(group: Ranking.countryGroupName("NL"), step: step)
            // The boundary the figure crosses: the shifted count (count + offset) reaching `top`.
            let top = (offset / step + 2) * step
            var signed: [String] = []
            var unsigned = attack.country
            var coin = SplitMix64(seed: 1919)

            func sign(_ people: [String]) async throws {
                for person in people {
                    let reply = try await service.call(.put, "/v1/campaigns/\(attack.slug)/signature", token: try await attack.employee(person))
                    #expect(reply.status == .created, "\(reply.text)")
                    unsigned.removeAll { $0 == person }
                    signed.append(person)
                }
            }
            func withdraw(_ people: [String]) async throws {
                for person in people {
                    let reply = try await service.call(.delete, "/v1/campaigns/\(attack.slug)/signature", token: try await attack.employee(person))
                    #expect(reply.status == .ok || reply.status == .noContent, "\(reply.status) \(reply.text)")
                    signed.removeAll { $0 == person }
                    unsigned.append(person)
                }
            }
            /// Brings the count to `count` (colleagues sign or withdraw), then waits for the next publication.
            func moveTo(_ count: Int) async throws {
                if count > signed.count { try await sign(Array(unsigned.prefix(count - signed.count))) }
                if count < signed.count { try await withdraw(Array(signed.suffix(signed.count - count))) }
                try await attack.waitForPublication(after: Date())
            }
            /// What the attacker reads: the Netherlands' published signatures.
            func figure() async throws -> Int {
                let reply = try await service.call(.get, "/v1/campaigns/\(attack.slug)/rankings", token: attack.leader)
                let rows = reply.json["rows"] as? [[String: any Sendable]] ?? []
                return try #require(rows.first { $0["country"] as? String == "NL" }?["signatures"] as? Int, "\(reply.text)")
            }
            /// Takes the figure down (well under the boundary), then right under it, then one colleague over it.
            func riseOverTheBoundary() async throws -> (before: Int, after: Int) {
                try await moveTo(top - step - offset)
                _ = try await figure()
                try await moveTo(top - 1 - offset)
                let before = try await figure()
                try await moveTo(top - offset)
                return (before, try await figure())
            }

            var withdrawing = PrivacyOverTimeTests.Score()
            var signing = PrivacyOverTimeTests.Score()
            var fallsAt: Int?  // How far under the boundary a falling figure turns down, learnt once.
            var crossingsNotSeen = 0
            while withdrawing.trials < Self.trials || signing.trials < Self.trials {
                if withdrawing.trials <= signing.trials {
                    // The figure just rose: will one signer's withdrawal take it back?
                    let (before, crossed) = try await riseOverTheBoundary()
                    guard crossed > before else { crossingsNotSeen += 1; continue }
                    let acts = Bool.random(using: &coin)
                    if acts, let person = signed.randomElement(using: &coin) { try await withdraw([person]) }
                    try await attack.waitForPublication(after: Date())
                    withdrawing.trials += 1
                    if (try await figure() != crossed) == acts { withdrawing.leaderRight += 1 }
                } else {
                    // The figure just fell: will one employee's signing take it back up?
                    _ = try await riseOverTheBoundary()
                    var before = try await figure()
                    if let fallsAt {
                        try await moveTo(top - offset - fallsAt + 1)
                        before = try await figure()
                        try await moveTo(top - offset - fallsAt)
                    } else {
                        var count = top - offset
                        while try await figure() == before, count > 0 {
                            count -= 1
                            try await moveTo(count)
                        }
                        fallsAt = top - offset - count
                    }
                    let fell = try await figure()
                    guard fell < before else { crossingsNotSeen += 1; continue }
                    let acts = Bool.random(using: &coin)
                    if acts, let person = unsigned.randomElement(using: &coin) { try await sign([person]) }
                    try await attack.waitForPublication(after: Date())
                    signing.trials += 1
                    if (try await figure() != fell) == acts { signing.leaderRight += 1 }
                }
                #expect(crossingsNotSeen < 10, "the quiet colleagues' activity should make the figure cross")
                if crossingsNotSeen >= 10 { return }
            }
            print("[privacy] adaptive attack, 50-person country, \(Self.trials) trials each, interval 100ms: "
                  + "withdrawal after a rise: leader accuracy \(withdrawing.leaderAccuracy); "
                  + "signing after a fall: leader accuracy \(signing.leaderAccuracy); the figure falls \(fallsAt ?? -1) under its boundary")
            #expect(withdrawing.leaderAccuracy <= 0.65)
            #expect(signing.leaderAccuracy <= 0.65)
        }
    }
}

/// Issue 19: counts that are not signatures are held to the same published instants. A leader's
/// RSVP counts do not move within an interval, whatever happens; they move at the next instant;
/// HR admins see them exact and live.
@Suite struct CountsAtInstantsTests {
    @Test func aLeadersRSVPCountsMoveOnlyAtPublishedInstants() async throws {
        // Long enough for 25 RSVPs and four reads on a machine busy with the rest of the test run.
        try await ServiceHarness.run(environment: ["MOBILISE_LEADER_PUBLISH_INTERVAL": "8s"]) { service in
            let attack = try await AttackSetup.make(service)
            let start = Date().addingTimeInterval(3_600)
            let created = try await service.call(.post, "/v1/campaigns/\(attack.slug)/events", token: attack.hr, json: """
                {"title": "Town hall", "kind": "city", "country": "DE", "city": "Berlin", "starts_at": "\(rfc3339(start))",
                 "ends_at": "\(rfc3339(start.addingTimeInterval(7_200)))", "host": "de-0"}
                """)
            let event = try #require(created.json["id"] as? String, "\(created.text)")
            func going(_ token: String) async throws -> Int {
                let list = try await service.call(.get, "/v1/campaigns/\(attack.slug)/events", token: token)
                return try #require((list.json["events"] as? [[String: any Sendable]])?.first?["going"] as? Int, "\(list.text)")
            }
            func instant() async throws -> String {
                try #require(try await service.call(.get, "/v1/campaigns/\(attack.slug)/live", token: attack.leader).json["as_of"] as? String)
            }
            var people = (1..<250).map { "de-\($0)" }
            var held = false
            for _ in 0..<5 where !held {
                // Tokens made before the interval starts: the interval holds only the RSVPs.
                var tokens: [String] = []
                for person in people.prefix(25) { tokens.append(try await attack.employee(person)) }
                people.removeFirst(25)
                try await attack.waitForPublication(after: Date())
                let (before, exactBefore, when) = (try await going(attack.leader), try await going(attack.hr), try await instant())
                for token in tokens {
                    #expect(try await service.call(.put, "/v1/events/\(event)/rsvp", token: token).status == .ok)
                }
                let (during, exactDuring) = (try await going(attack.leader), try await going(attack.hr))
                // Only when the interval did not end meanwhile (a slow machine): else try again.
                guard try await instant() == when else { continue }
                held = true
                #expect(exactDuring == exactBefore + 25)
                #expect(during == before, "a leader's RSVP count moved within a published interval: \(before) → \(during)")
                // At the next instant it moves (25 is more than a step and its margin).
                try await attack.waitForPublication(after: Date())
                #expect(try await going(attack.leader) != before)
            }
            #expect(held, "no interval was long enough to hold 25 RSVPs")
        }
    }
}

/// Issue 19: every surface a leader can read goes through the publication. The test walks every
/// GET of the OpenAPI document the service serves, as a leader (with `as_of` too where the
/// leadership answers take it), then one employee of the Netherlands signs, and walks again within
/// the same published interval: no answer may have moved.
@Suite struct LeaderSurfacesTests {
    @Test func noLeaderSurfaceMovesWithinAPublishedInterval() async throws {
        try await ServiceHarness.run(environment: ["MOBILISE_LEADER_PUBLISH_INTERVAL": "1h"]) { service in
            let attack = try await AttackSetup.make(service)
            let start = Date().addingTimeInterval(3_600)
            let created = try await service.call(.post, "/v1/campaigns/\(attack.slug)/events", token: attack.hr, json: """
                {"title": "Town hall", "kind": "city", "country": "NL", "city": "Amsterdam", "starts_at": "\(rfc3339(start))",
                 "ends_at": "\(rfc3339(start.addingTimeInterval(7_200)))", "host": "nl-0"}
                """)
            let event = try #require(created.json["id"] as? String, "\(created.text)")
            let document = try await service.call(.get, "/openapi.yaml").text
            // Every GET of the document whose parameters the test can fill.
            var paths: [String] = []
            var current: String?
            for line in document.split(separator: "\n", omittingEmptySubsequences: false) {
                if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") { current = String(line.dropFirst(2).dropLast()) }
                else if line == "    get:", let path = current { paths.append(path) }
                else if !line.hasPrefix(" "), !line.isEmpty { current = nil }
            }
            #expect(paths.contains("/v1/campaigns/{id}/rankings") && paths.contains("/v1/campaigns/{id}/live"))
            let fill = ["{id}": attack.slug, "{country}": "NL", "{event}": event]
            var walked: [String] = []
            for path in paths {
                var filled = path
                for (name, value) in fill { filled = filled.replacingOccurrences(of: name, with: value) }
                guard !filled.contains("{") else { continue }
                walked.append(filled)
            }
            // The leadership answers as of an instant too (the latest, and one asked a moment ago).
            for path in walked where path.contains("/rankings") || path.contains("/countries/") {
                walked.append(path + "?as_of=" + rfc3339(Date()))
            }

            /// What a leader reads: each answer he may have (200), without what moves with the
            /// clock whatever happens and without what carries no figure (pages and request counters).
            func walk() async throws -> [String: String] {
                var answers: [String: String] = [:]
                for path in walked {
                    let reply = try await service.call(.get, path, token: attack.leader)
                    guard reply.status == .ok else { continue }
                    let type = reply.headers[.contentType] ?? ""
                    if type.hasPrefix("text/html") || path.hasSuffix(".js") || path.hasSuffix(".css") { continue }
                    // The scraper's, not a leader's: MOBILISE_METRICS_TOKEN closes it, and without it
                    // it must be reachable by the scraper only (README, configuration).
                    if path == "/metrics" { continue }
                    answers[path] = AttackSetup.withoutInstants(reply.text)
                }
                return answers
            }
            func instant() async throws -> String {
                try #require(try await service.call(.get, "/v1/campaigns/\(attack.slug)/live", token: attack.leader).json["as_of"] as? String)
            }
            var people = attack.country
            var checked = false
            for _ in 0..<3 where !checked {
                let when = try await instant()
                let before = try await walk()
                let person = people.removeFirst()
                let reply = try await service.call(.put, "/v1/campaigns/\(attack.slug)/signature", token: try await attack.employee(person))
                #expect(reply.status == .created, "\(reply.text)")
                let after = try await walk()
                guard try await instant() == when else { continue }  // the hour turned meanwhile: again
                checked = true
                #expect(before.count >= 8, "\(before.keys.sorted())")
                for (path, answer) in before.sorted(by: { $0.key < $1.key }) {
                    #expect(after[path] == answer, "a leader's \(path) moved after one signature within a published interval")
                }
            }
            #expect(checked)
        }
    }
}
