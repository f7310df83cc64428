import Foundation
@testable import MobiliseAPI
import MobiliseDomain
import MobiliseStore
import MobiliseTesting
import Postgres
import Testing

/// The weekly digest (`digest.weekly`): on Mondays (UTC), one event per campaign and ISO week
/// however often the job runs, carrying only what a leader's dashboard shows (no total where the
/// organisation's audience is smaller than k).
@Suite struct WeeklyDigestTests {
    static func at(_ text: String) throws -> Date {
        try #require(ISO8601DateFormatter().date(from: text))
    }

    @Test func oneDigestPerCampaignAndWeekWithTheLeadersFiguresOnly() async throws {
        try await ServiceHarness.run { harness in
            // Both organisations are told about digests (an endpoint each; nothing is sent here).
            for organisation in [harness.acme.id, harness.globex.id] {
                _ = try await harness.store.createOutboundEndpoint(
                    organisationID: organisation,
                    OutboundEndpointDraft(kind: .slack, url: "https://hooks.example.com/digest", events: [.digestWeekly]),
                    secret: nil, actor: Actor("setup"))
            }
            let slug = try await harness.launchedCampaign()
            for person in ["in-1", "in-2", "br-1", "mt-1"] {
                let token = try await harness.token(person, [.employee])
                #expect(try await harness.call(.put, "/v1/campaigns/\(slug)/signature", token: token).status.code < 300)
            }
            // Globex: one employee, k = 3: its leaders see no total, and neither does its digest.
            let globexHR = try await harness.token("g-hr", [.hrAdmin], organisation: "globex")
            let start = rfc3339(Date().addingTimeInterval(-86_400))
            let end = rfc3339(Date().addingTimeInterval(30 * 86_400))
            let created = try await harness.call(.post, "/v1/campaigns", token: globexHR, json: """
                {"slug": "small", "hashtag": "#Small", "title": "Small", "pledge_text": "I commit", "starts_at": "\(start)", "ends_at": "\(end)"}
                """)
            #expect(created.status == .created, "\(created.text)")
            #expect(try await harness.call(.post, "/v1/campaigns/small/launch", token: globexHR).status == .ok)
            let globexSigner = try await harness.token("g-1", [.employee], organisation: "globex")
            #expect(try await harness.call(.put, "/v1/campaigns/small/signature", token: globexSigner).status.code < 300)

            let publication = APIConfiguration().leaderPublication
            // A Tuesday: no digest. Monday twice, the next Monday once: one per week.
            try await Milestones.detect(store: harness.store, publication: publication, now: try Self.at("2026-12-08T09:00:00Z"))
            #expect(try await Self.digests(harness).isEmpty)
            try await Milestones.detect(store: harness.store, publication: publication, now: try Self.at("2026-12-07T06:00:00Z"))
            try await Milestones.detect(store: harness.store, publication: publication, now: try Self.at("2026-12-07T23:00:00Z"))
            var digests = try await Self.digests(harness)
            #expect(digests.count == 2, "\(digests)")
            #expect(Set(digests.map(\.organisation)) == [harness.acme.id, harness.globex.id])
            #expect(digests.allSatisfy { $0.week == "2026-W50" })
            try await Milestones.detect(store: harness.store, publication: publication, now: try Self.at("2026-12-14T06:00:00Z"))
            digests = try await Self.digests(harness)
            #expect(digests.count == 4)
            #expect(digests.filter { $0.organisation == harness.acme.id }.map(\.week).sorted() == ["2026-W50", "2026-W51"])

            // Acme's figure is the one its leaders are shown; Globex's (1 employee < k) is left out.
            let leader = try await harness.token("lead-1", [.leader])
            let ranking = try await harness.call(.get, "/v1/campaigns/\(slug)/rankings", token: leader)
            let shown = (ranking.json["total"] as? [String: any Sendable])?["signatures"] as? Int
            #expect(shown != nil)
            for digest in digests where digest.organisation == harness.acme.id {
                #expect(digest.data["signatures"] as? Int == shown, "\(digest.data)")
                for name in ["Arjun", "Vikram", "João", "Marco", "in-1"] { #expect(!digest.text.contains(name)) }
            }
            for digest in digests where digest.organisation == harness.globex.id {
                #expect(digest.data["signatures"] == nil && digest.data["last_7_days"] == nil, "\(digest.data)")
            }
            // Each digest is one delivery to its organisation's endpoint.
            let deliveries = try await harness.store.outboxMessages(organisationID: harness.acme.id).messages
            #expect(deliveries.filter { $0.eventType == "digest.weekly" }.count == 2)
        }
    }

    struct Digest {
        var organisation: UUID
        var week: String
        var text: String
        var data: [String: any Sendable]
    }

    static func digests(_ harness: ServiceHarness) async throws -> [Digest] {
        let rows = try await harness.store.pool.withConnection { connection in
            try connection.query("SELECT organisation_id, payload::text FROM outbox_events WHERE type = 'digest.weekly' ORDER BY created_at")
                .rows.map { try $0.decode((UUID, String).self) }
        }
        return rows.map { organisation, text in
            let data = (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: any Sendable]) ?? [:]
            return Digest(organisation: organisation, week: data["week"] as? String ?? "", text: text, data: data)
        }
    }
}
