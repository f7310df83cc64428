import Foundation
@testable import MobiliseAPI
import MobiliseDomain
import MobiliseStore
import MobiliseTesting
import Postgres
import Testing

/// The milestone job's passes skip the campaigns whose figures cannot have changed since they were
/// last looked at (issue 23: at the bench's 1 s interval, ranking every active campaign every pass
/// cost signing), and look again as soon as anything they are computed from changes.
@Suite struct MilestonePassTests {
    /// Published instants a millisecond apart: every pass is of a new instant, as at the bench's 1 s.
    static let publication = Publication(interval: 0.001)

    static func pass(_ harness: ServiceHarness, _ memory: MilestoneMemory?, now: Date = Date()) async throws -> (lookedAt: Int, skipped: Int) {
        let pass = try await Milestones.detect(store: harness.store, publication: publication, now: now, memory: memory)
        return (pass.lookedAt, pass.skipped)
    }

    static func at(_ text: String) throws -> Date {
        try #require(ISO8601DateFormatter().date(from: text))
    }

    @Test func aQuietCampaignIsSkippedUntilWhatItsMilestonesComeFromChanges() async throws {
        try await ServiceHarness.run { harness in
            _ = try await harness.store.createOutboundEndpoint(
                organisationID: harness.acme.id,
                OutboundEndpointDraft(kind: .slack, url: "https://hooks.example.com/milestones", events: [.milestoneSignatures]),
                secret: nil, actor: Actor("setup"))
            let signed = try await harness.launchedCampaign()
            _ = try await harness.launchedCampaign(slug: "quiet")
            let memory = MilestoneMemory()
            let tuesday = try Self.at("2026-12-08T09:00:00Z")
            // Both are looked at first; once a look has seen figures of an instant after the marker
            // was first read (at most one more pass), a quiet campaign is skipped.
            #expect(try await Self.pass(harness, memory, now: tuesday).lookedAt == 2)
            _ = try await Self.pass(harness, memory, now: tuesday)
            #expect(try await Self.pass(harness, memory, now: tuesday) == (lookedAt: 0, skipped: 2))
            // Without the memory (as before): every campaign, every pass.
            #expect(try await Self.pass(harness, nil, now: tuesday) == (lookedAt: 2, skipped: 0))

            // A signature: its campaign is looked at again (every pass while it is being signed,
            // then skipped once quiet), the other is not.
            let employee = try await harness.token("in-1", [.employee])
            #expect(try await harness.call(.put, "/v1/campaigns/\(signed)/signature", token: employee).status.code < 300)
            #expect(try await Self.pass(harness, memory, now: tuesday) == (lookedAt: 1, skipped: 1))
            try await waitUntil("the signed campaign is quiet again", timeout: .seconds(60), interval: .milliseconds(200)) {
                try await Self.pass(harness, memory, now: tuesday) == (lookedAt: 0, skipped: 2)
            }
            // A withdrawal too.
            #expect(try await harness.call(.delete, "/v1/campaigns/\(signed)/signature", token: employee).status.code < 300)
            #expect(try await Self.pass(harness, memory, now: tuesday) == (lookedAt: 1, skipped: 1))
            try await waitUntil("the campaign is quiet again", timeout: .seconds(60), interval: .milliseconds(200)) {
                try await Self.pass(harness, memory, now: tuesday) == (lookedAt: 0, skipped: 2)
            }
            // New milestone settings: both.
            try await harness.store.setMilestoneSettings(
                organisationID: harness.acme.id, MilestoneSettings(signatures: [1, 2], goalShares: [50]), actor: Actor("hr"))
            #expect(try await Self.pass(harness, memory, now: tuesday) == (lookedAt: 2, skipped: 0))
            _ = try await Self.pass(harness, memory, now: tuesday)
            // The workforce: an employee leaves, the headcount of every campaign changes.
            try await harness.store.pool.withConnection { connection in
                _ = try connection.execute("UPDATE employees SET active = false WHERE organisation_id = \(harness.acme.id) AND external_id = 'in-2'")
            }
            #expect(try await Self.pass(harness, memory, now: tuesday) == (lookedAt: 2, skipped: 0))
            _ = try await Self.pass(harness, memory, now: tuesday)
            // The campaign itself (a goal): that one.
            try await harness.store.pool.withConnection { connection in
                _ = try connection.execute("UPDATE campaigns SET goal_signatures = 5 WHERE organisation_id = \(harness.acme.id) AND slug = 'quiet'")
            }
            #expect(try await Self.pass(harness, memory, now: tuesday) == (lookedAt: 1, skipped: 1))
            _ = try await Self.pass(harness, memory, now: tuesday)
            #expect(try await Self.pass(harness, memory, now: tuesday) == (lookedAt: 0, skipped: 2))
        }
    }

    /// A skip never costs a digest: on a Monday every campaign is looked at once for its week's.
    @Test func theWeeklyDigestIsSentAlthoughTheCampaignIsQuiet() async throws {
        try await ServiceHarness.run { harness in
            _ = try await harness.store.createOutboundEndpoint(
                organisationID: harness.acme.id, OutboundEndpointDraft(kind: .slack, url: "https://hooks.example.com/digest", events: [.digestWeekly]),
                secret: nil, actor: Actor("setup"))
            _ = try await harness.launchedCampaign()
            let memory = MilestoneMemory()
            let tuesday = try Self.at("2026-12-08T09:00:00Z")
            for _ in 0..<3 { _ = try await Self.pass(harness, memory, now: tuesday) }
            #expect(try await Self.pass(harness, memory, now: tuesday) == (lookedAt: 0, skipped: 1))
            #expect(try await WeeklyDigestTests.digests(harness).isEmpty)
            // Monday: looked at once, its digest recorded, then skipped again that day.
            let monday = try Self.at("2026-12-14T06:00:00Z")
            #expect(try await Self.pass(harness, memory, now: monday) == (lookedAt: 1, skipped: 0))
            #expect(try await Self.pass(harness, memory, now: monday) == (lookedAt: 0, skipped: 1))
            #expect(try await WeeklyDigestTests.digests(harness).map(\.week) == ["2026-W51"])
            // The next Monday's.
            #expect(try await Self.pass(harness, memory, now: try Self.at("2026-12-21T06:00:00Z")) == (lookedAt: 1, skipped: 0))
            #expect(try await WeeklyDigestTests.digests(harness).map(\.week) == ["2026-W51", "2026-W52"])
        }
    }

    /// Within one published instant a signed campaign is ranked once (its leaders' figures are
    /// those of the instant), unless what its milestones come from besides its counts changes.
    @Test func aSignedCampaignIsLookedAtOncePerPublishedInstant() async throws {
        // An interval whose current instant began more than 10 s ago and ends in more than 2 minutes,
        // so that the passes below are of one instant, at least `settle` after it.
        let now = Date().timeIntervalSince1970
        let interval = try #require(stride(from: 3600.0, to: 600, by: -7).first { interval in
            let into = now.truncatingRemainder(dividingBy: interval)
            return into > 10 && interval - into > 120
        })
        let publication = Publication(interval: interval)
        try await ServiceHarness.run { harness in
            _ = try await harness.store.createOutboundEndpoint(
                organisationID: harness.acme.id,
                OutboundEndpointDraft(kind: .slack, url: "https://hooks.example.com/milestones", events: [.milestoneSignatures]),
                secret: nil, actor: Actor("setup"))
            let slug = try await harness.launchedCampaign()
            let memory = MilestoneMemory()
            let tuesday = try Self.at("2026-12-08T09:00:00Z")
            func pass() async throws -> (lookedAt: Int, skipped: Int) {
                let pass = try await Milestones.detect(store: harness.store, publication: publication, now: tuesday, memory: memory)
                return (pass.lookedAt, pass.skipped)
            }
            #expect(try await pass() == (lookedAt: 1, skipped: 0))
            for person in ["in-1", "in-2", "br-1"] {
                let employee = try await harness.token(person, [.employee])
                #expect(try await harness.call(.put, "/v1/campaigns/\(slug)/signature", token: employee).status.code < 300)
                #expect(try await pass() == (lookedAt: 0, skipped: 1))
            }
            // New settings: looked at again, in the same instant.
            try await harness.store.setMilestoneSettings(
                organisationID: harness.acme.id, MilestoneSettings(signatures: [1, 2], goalShares: [50]), actor: Actor("hr"))
            #expect(try await pass() == (lookedAt: 1, skipped: 0))
            #expect(try await pass() == (lookedAt: 0, skipped: 1))
            // Without the memory: every pass.
            #expect(try await Milestones.detect(store: harness.store, publication: publication, now: tuesday).lookedAt == 1)
        }
    }

    @Test func aCampaignIsLookedAtAgainAfterTheRefreshWhateverItsMarker() async throws {
        try await ServiceHarness.run { harness in
            _ = try await harness.store.createOutboundEndpoint(
                organisationID: harness.acme.id,
                OutboundEndpointDraft(kind: .slack, url: "https://hooks.example.com/milestones", events: [.milestoneSignatures]),
                secret: nil, actor: Actor("setup"))
            _ = try await harness.launchedCampaign()
            let memory = MilestoneMemory(refresh: 0)
            for _ in 0..<3 {
                #expect(try await Self.pass(harness, memory) == (lookedAt: 1, skipped: 0))
            }
        }
    }
}
