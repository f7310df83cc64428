import Foundation
import MobiliseDomain
import MobiliseStore
import MobiliseTesting
import Postgres
import Testing

/// An organisation with an active campaign and employees e1…e5 (active) and "gone" (inactive).
private struct PostWorld {
    let store: MobiliseStore
    let organisation: UUID
    let campaign: UUID
    static let hr = Actor("hr-1")

    static func make(_ store: MobiliseStore, slug: String = "acme") async throws -> PostWorld {
        let organisation = try await store.createOrganisation(slug: slug, name: "Acme").id
        let campaign = try await insertCampaign(store, organisation: organisation, slug: "heforshe", status: "active")
        for id in ["e1", "e2", "e3", "e4", "e5"] { try await insertEmployee(store, organisation: organisation, externalID: id) }
        try await insertEmployee(store, organisation: organisation, externalID: "gone", active: false)
        return PostWorld(store: store, organisation: organisation, campaign: campaign)
    }

    static func insertCampaign(_ store: MobiliseStore, organisation: UUID, slug: String, status: String) async throws -> UUID {
        let id = try await store.pool.query("""
            INSERT INTO campaigns (organisation_id, slug, hashtag, title, pledge_text, status, starts_at, ends_at)
            VALUES (\(organisation), \(slug), '#HeForShe', '{"en": "HeForShe"}'::jsonb, '{"en": "I pledge"}'::jsonb, \(status),
                    now() - interval '1 day', now() + interval '30 days')
            RETURNING id
            """).scalar(UUID.self)
        return try #require(id)
    }

    static func insertEmployee(_ store: MobiliseStore, organisation: UUID, externalID: String, active: Bool = true) async throws {
        try await store.pool.execute("""
            INSERT INTO employees (organisation_id, external_id, country, active) VALUES (\(organisation), \(externalID), 'FR', \(active))
            """)
    }

    func post(_ body: String = "Proud to sign #HeForShe", by author: String = "e1", media: MediaUpload? = nil) async throws -> Post {
        try await store.createPost(organisationID: organisation, campaignID: campaign, author: author, body: body, media: media)
    }

    func approved(_ body: String = "Proud to sign #HeForShe", by author: String = "e1") async throws -> Post {
        let post = try await post(body, by: author)
        return try await store.approvePost(organisationID: organisation, postID: post.id, moderator: Self.hr)
    }

    func feedIDs(limit: Int = 100) async throws -> [UUID] {
        try await store.feed(organisationID: organisation, campaignID: campaign, limit: limit).posts.map(\.id)
    }

    func report(_ post: Post, by reporter: String) async throws -> PostReportOutcome {
        try await store.reportPost(organisationID: organisation, postID: post.id, reporter: reporter)
    }
}

/// The MobiliseError an async call throws, or nil.
private func refusal(_ body: () async throws -> Void) async -> MobiliseError? {
    do {
        try await body()
        return nil
    } catch let error as MobiliseError {
        return error
    } catch {
        return MobiliseError(.invalid, code: ErrorCode(rawValue: "unexpected: \(error)"), "")
    }
}

/// A 1×1 PNG.
private let png = Data([
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0B, 0x49, 0x44, 0x41,
    0x54, 0x78, 0x9C, 0x63, 0x60, 0x00, 0x02, 0x00, 0x00, 0x05, 0x00, 0x01, 0x7A, 0x5E, 0xAB, 0x3F, 0x00, 0x00, 0x00, 0x00,
    0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
])

@Suite struct PostTests {
    @Test func createsAPendingPostWithItsHashtags() async throws {
        try await TestDatabase.withStore { store in
            let world = try await PostWorld.make(store)
            let post = try await world.post("  Proud to sign #HeForShe with #Équipe and #heforshe!\n", by: "e2")
            #expect(post.status == .pending)
            #expect(post.body == "Proud to sign #HeForShe with #Équipe and #heforshe!")
            #expect(post.hashtags == ["#heforshe", "#équipe"])
            #expect(post.authorExternalID == "e2")
            #expect(post.campaignID == world.campaign)
            #expect(post.organisationID == world.organisation)
            #expect(post.media == nil)
            #expect(post.moderator == nil && post.decidedAt == nil && post.hiddenAt == nil)
            #expect(post.reportCount == 0)
            #expect(try await store.post(organisationID: world.organisation, postID: post.id) == post)
            // Not in the feed until approved.
            #expect(try await world.feedIDs().isEmpty)
            #expect(await refusal { _ = try await world.post("   ") }?.code == .bodyRequired)
        }
    }

    @Test func approvesAndRejectsOnceAndRefusesDecidingTwice() async throws {
        try await TestDatabase.withStore { store in
            let world = try await PostWorld.make(store)
            let org = world.organisation
            let first = try await world.post("first")
            let approved = try await store.approvePost(organisationID: org, postID: first.id, moderator: PostWorld.hr)
            #expect(approved.status == .approved)
            #expect(approved.moderator == "hr-1")
            #expect(approved.decidedAt != nil)
            #expect(approved.isVisible)

            let again = await refusal { try await store.approvePost(organisationID: org, postID: first.id, moderator: PostWorld.hr) }
            #expect(again?.kind == .conflict)
            #expect(again?.code == .postAlreadyDecided)
            let rejectApproved = await refusal {
                try await store.rejectPost(organisationID: org, postID: first.id, moderator: PostWorld.hr, reason: "changed my mind")
            }
            #expect(rejectApproved?.kind == .conflict)

            let second = try await world.post("second")
            let noReason = await refusal { try await store.rejectPost(organisationID: org, postID: second.id, moderator: PostWorld.hr, reason: "  ") }
            #expect(noReason?.code == .reasonRequired)
            let rejected = try await store.rejectPost(organisationID: org, postID: second.id, moderator: Actor("hr-2"), reason: " Off topic ")
            #expect(rejected.status == .rejected)
            #expect(rejected.moderationReason == "Off topic")
            #expect(rejected.moderator == "hr-2")
            #expect(!rejected.isVisible)
            #expect(await refusal { try await store.approvePost(organisationID: org, postID: second.id, moderator: PostWorld.hr) }?.kind == .conflict)
            #expect(await refusal {
                try await store.rejectPost(organisationID: org, postID: second.id, moderator: PostWorld.hr, reason: "again")
            }?.kind == .conflict)

            // Every decision is in the audit log; refused ones are not.
            let log = try await store.auditLog(organisationID: org)
            #expect(log.count == 2)
            let approval = try #require(log.first { $0.action == "post.approve" })
            #expect(approval.subject == first.id.uuidString)
            #expect(approval.actor == "hr-1")
            #expect(approval.details["campaign_id"] == world.campaign.uuidString)
            #expect(approval.details["previous_status"] == "pending")
            let rejection = try #require(log.first { $0.action == "post.reject" })
            #expect(rejection.subject == second.id.uuidString)
            #expect(rejection.actor == "hr-2")
            #expect(rejection.details["reason"] == "Off topic")
        }
    }

    @Test func feedShowsApprovedPostsOnlyNewestFirst() async throws {
        try await TestDatabase.withStore { store in
            let world = try await PostWorld.make(store)
            let old = try await world.approved("old")
            let pending = try await world.post("pending")
            let rejected = try await world.post("rejected")
            try await store.rejectPost(organisationID: world.organisation, postID: rejected.id, moderator: PostWorld.hr, reason: "no")
            let new = try await world.approved("new")
            // A post in another campaign stays in its own feed.
            let other = try await PostWorld.insertCampaign(store, organisation: world.organisation, slug: "other", status: "active")
            let elsewhere = try await store.createPost(organisationID: world.organisation, campaignID: other, author: "e1", body: "elsewhere")
            try await store.approvePost(organisationID: world.organisation, postID: elsewhere.id, moderator: PostWorld.hr)

            let feed = try await store.feed(organisationID: world.organisation, campaignID: world.campaign)
            #expect(feed.posts.map(\.id) == [new.id, old.id])
            #expect(feed.nextCursor == nil)
            #expect(!feed.posts.map(\.id).contains(pending.id))
            #expect(try await store.feed(organisationID: world.organisation, campaignID: other).posts.map(\.id) == [elsewhere.id])

            // The moderation queue holds the pending post; decided posts are listed by status.
            #expect(try await store.moderationQueue(organisationID: world.organisation).posts.map(\.id) == [pending.id])
            #expect(try await store.moderationQueue(organisationID: world.organisation, list: .rejected).posts.map(\.id) == [rejected.id])
            #expect(try await store.moderationQueue(organisationID: world.organisation, campaignID: world.campaign, list: .approved).posts.map(\.id)
                == [new.id, old.id])
            #expect(try await store.moderationQueue(organisationID: world.organisation, campaignID: other).posts.isEmpty)
        }
    }

    @Test func feedPaginatesWithoutDuplicatesOrGaps() async throws {
        try await TestDatabase.withStore { store in
            let world = try await PostWorld.make(store)
            var expected: [UUID] = []
            for index in 0..<23 { expected.append(try await world.approved("post \(index)", by: "e\(index % 5 + 1)").id) }
            _ = try await world.post("still pending")
            expected.reverse()

            func walk(limit: Int) async throws -> (ids: [UUID], pages: Int) {
                var ids: [UUID] = []
                var cursor: String?
                var pages = 0
                repeat {
                    let page = try await store.feed(organisationID: world.organisation, campaignID: world.campaign, after: cursor, limit: limit)
                    #expect(page.posts.count <= limit)
                    ids += page.posts.map(\.id)
                    cursor = page.nextCursor
                    pages += 1
                } while cursor != nil && pages < 100
                return (ids, pages)
            }

            let byFive = try await walk(limit: 5)
            #expect(byFive.ids == expected)
            #expect(byFive.pages == 5)
            #expect(try await walk(limit: 23).pages == 1)
            #expect(try await walk(limit: 22).pages == 2)
            // Default 20, at most 100, at least 1.
            #expect(try await world.store.feed(organisationID: world.organisation, campaignID: world.campaign).posts.count == 20)
            #expect(try await world.feedIDs(limit: 1000).count == 23)
            #expect(try await world.feedIDs(limit: 0).count == 1)

            // Posts created at the same instant are still paged exactly once, by id.
            try await store.pool.execute("UPDATE posts SET created_at = '2025-03-08 09:00:00.123456+00'")
            let tied = try await walk(limit: 4)
            #expect(tied.ids.count == 23)
            #expect(Set(tied.ids) == Set(expected))
            #expect(tied.ids == tied.ids.sorted { $0.uuidString.lowercased() > $1.uuidString.lowercased() })

            let bad = await refusal { _ = try await store.feed(organisationID: world.organisation, campaignID: world.campaign, after: "not a cursor") }
            #expect(bad?.kind == .invalid)
            #expect(bad?.code == .invalidCursor)
            let unknown = await refusal { _ = try await store.feed(organisationID: world.organisation, campaignID: UUID()) }
            #expect(unknown?.code == .campaignNotFound)
        }
    }

    @Test func reportsHideAnApprovedPostAtTheThresholdUntilReapproved() async throws {
        try await TestDatabase.withStore { store in
            let world = try await PostWorld.make(store)
            let org = world.organisation
            let post = try await world.approved("controversial")
            let bystander = try await world.approved("harmless")

            #expect(try await world.report(post, by: "e2") == PostReportOutcome(recorded: true, reportCount: 1, hidden: false))
            #expect(try await world.report(post, by: "e3") == PostReportOutcome(recorded: true, reportCount: 2, hidden: false))
            #expect(try await world.feedIDs().contains(post.id))
            #expect(try await world.report(post, by: "e4") == PostReportOutcome(recorded: true, reportCount: 3, hidden: true))
            #expect(try await world.feedIDs() == [bystander.id])

            let hidden = try await store.post(organisationID: org, postID: post.id)
            #expect(hidden.status == .approved)
            #expect(hidden.hiddenAt != nil)
            #expect(hidden.reportCount == 3)
            #expect(try await store.moderationQueue(organisationID: org).posts.map(\.id) == [post.id])
            // More reports change nothing while hidden.
            #expect(try await world.report(post, by: "e5") == PostReportOutcome(recorded: true, reportCount: 4, hidden: true))

            // Approving again shows it and clears the reports; counting starts over.
            let reapproved = try await store.approvePost(organisationID: org, postID: post.id, moderator: PostWorld.hr)
            #expect(reapproved.isVisible)
            #expect(reapproved.reportCount == 0)
            #expect(Set(try await world.feedIDs()) == [post.id, bystander.id])
            #expect(try await store.moderationQueue(organisationID: org).posts.isEmpty)
            #expect(try await world.report(post, by: "e2") == PostReportOutcome(recorded: true, reportCount: 1, hidden: false))
            let audit = try await store.auditLog(organisationID: org).filter { $0.subject == post.id.uuidString }
            #expect(audit.first?.details["previous_status"] == "approved_hidden")
            #expect(audit.first?.details["reports"] == "4")

            // The organisation's threshold applies; a hidden post can also be rejected.
            #expect(await refusal { try await store.setReportThreshold(organisationID: org, 0, actor: PostWorld.hr) }?.code == .invalidReportThreshold)
            try await store.setReportThreshold(organisationID: org, 1, actor: PostWorld.hr)
            #expect(try await store.auditLog(organisationID: org).first?.action == "organisation.report_threshold")
            #expect(try await world.report(bystander, by: "e3").hidden)
            #expect(try await world.feedIDs() == [post.id])
            let rejected = try await store.rejectPost(organisationID: org, postID: bystander.id, moderator: PostWorld.hr, reason: "reported")
            #expect(rejected.status == .rejected)
            #expect(rejected.hiddenAt == nil)
            #expect(try await world.feedIDs() == [post.id])
            #expect(await refusal { try await store.approvePost(organisationID: org, postID: bystander.id, moderator: PostWorld.hr) }?.kind == .conflict)
        }
    }

    @Test func reportingTwiceIsIdempotent() async throws {
        try await TestDatabase.withStore { store in
            let world = try await PostWorld.make(store)
            let post = try await world.approved()
            #expect(try await world.report(post, by: "e2") == PostReportOutcome(recorded: true, reportCount: 1, hidden: false))
            #expect(try await world.report(post, by: "e2") == PostReportOutcome(recorded: false, reportCount: 1, hidden: false))
            #expect(try await world.report(post, by: "e2").reportCount == 1)
            #expect(try await store.post(organisationID: world.organisation, postID: post.id).reportCount == 1)
            // Only approved posts can be reported, only by active employees.
            let pending = try await world.post("pending")
            #expect(await refusal { _ = try await world.report(pending, by: "e2") }?.code == .postNotFound)
            #expect(await refusal { _ = try await world.report(post, by: "gone") }?.code == .employeeInactive)
            #expect(await refusal { _ = try await world.report(post, by: "stranger") }?.code == .employeeNotFound)
        }
    }

    /// An author's own report would hide their post with fewer real reports (two others and
    /// their own, at a threshold of 3): it is refused, and counts for nothing.
    @Test func anAuthorCannotReportTheirOwnPost() async throws {
        try await TestDatabase.withStore { store in
            let world = try await PostWorld.make(store)
            let post = try await world.approved(by: "e1")
            let own = await refusal { _ = try await world.report(post, by: "e1") }
            #expect(own?.code == .ownPost && own?.kind == .unprocessable)
            #expect(try await world.report(post, by: "e2") == PostReportOutcome(recorded: true, reportCount: 1, hidden: false))
            #expect(try await world.report(post, by: "e3") == PostReportOutcome(recorded: true, reportCount: 2, hidden: false))
            #expect(await refusal { _ = try await world.report(post, by: "e1") }?.code == .ownPost)
            #expect(try await store.post(organisationID: world.organisation, postID: post.id).isVisible)
        }
    }

    @Test func reportsRacingToTheThresholdHideThePost() async throws {
        try await TestDatabase.withStore { store in
            let world = try await PostWorld.make(store)
            let post = try await world.approved()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for reporter in ["e2", "e3", "e4"] { group.addTask { _ = try await world.report(post, by: reporter) } }
                try await group.waitForAll()
            }
            let after = try await store.post(organisationID: world.organisation, postID: post.id)
            #expect(after.reportCount == 3)
            #expect(after.hiddenAt != nil)
        }
    }

    @Test func refusesAuthorsWhoAreNotActiveEmployees() async throws {
        try await TestDatabase.withStore { store in
            let world = try await PostWorld.make(store)
            let inactive = await refusal { _ = try await world.post(by: "gone") }
            #expect(inactive?.kind == .forbidden)
            #expect(inactive?.code == .employeeInactive)
            let unknown = await refusal { _ = try await world.post(by: "nobody") }
            #expect(unknown?.kind == .notFound)
            #expect(unknown?.code == .employeeNotFound)
            // An employee of another organisation is a stranger here.
            let other = try await PostWorld.make(store, slug: "other")
            try await PostWorld.insertEmployee(store, organisation: other.organisation, externalID: "outsider")
            #expect(await refusal { _ = try await world.post(by: "outsider") }?.code == .employeeNotFound)
            #expect(try await store.moderationQueue(organisationID: world.organisation).posts.isEmpty)
        }
    }

    @Test func refusesPostsToCampaignsThatAreNotActiveOrNotFound() async throws {
        try await TestDatabase.withStore { store in
            let world = try await PostWorld.make(store)
            let org = world.organisation
            for status in ["draft", "closed", "archived"] {
                let campaign = try await PostWorld.insertCampaign(store, organisation: org, slug: status, status: status)
                let error = await refusal { _ = try await store.createPost(organisationID: org, campaignID: campaign, author: "e1", body: "hello") }
                #expect(error?.kind == .unprocessable, "\(status)")
                #expect(error?.code == .campaignNotActive, "\(status)")
            }
            let missing = await refusal { _ = try await store.createPost(organisationID: org, campaignID: UUID(), author: "e1", body: "hello") }
            #expect(missing?.kind == .notFound)
            #expect(missing?.code == .campaignNotFound)
            let other = try await PostWorld.make(store, slug: "other")
            let foreign = await refusal { _ = try await store.createPost(organisationID: org, campaignID: other.campaign, author: "e1", body: "hello") }
            #expect(foreign?.code == .campaignNotFound)
        }
    }

    @Test func storesMediaAndServesItWithItsChecksum() async throws {
        try await TestDatabase.withStore { store in
            let world = try await PostWorld.make(store)
            let org = world.organisation
            // A selfie needs no words.
            let selfie = try await world.post("  ", media: MediaUpload(bytes: png, claimedType: "image/png"))
            #expect(selfie.body == "")
            #expect(selfie.media == MediaInfo(type: .png, size: png.count, sha256: MediaUpload.sha256Hex(png)))
            let served = try await store.media(organisationID: org, postID: selfie.id)
            #expect(served.bytes == png)
            #expect(served.info == selfie.media)
            #expect(MediaUpload.sha256Hex(served.bytes) == served.info.sha256)

            // A larger file, with every byte value, goes through intact.
            var video = Data([0, 0, 0, 0x18]) + Data("ftypmp42".utf8) + Data([0, 0, 0, 0]) + Data("isommp42".utf8)
                + Data([0, 0, 0, 8]) + Data("moov".utf8)
            let payload = Data((0..<(3 * 1024 * 1024)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) })
            video += withUnsafeBytes(of: UInt32(payload.count + 8).bigEndian) { Data($0) } + Data("mdat".utf8) + payload
            let clip = try await world.post("My pledge in 10 seconds #HeForShe", media: MediaUpload(bytes: video, claimedType: "video/mp4"))
            #expect(clip.media?.type == .mp4)
            #expect(clip.media?.size == video.count)
            let servedClip = try await store.media(organisationID: org, postID: clip.id)
            #expect(servedClip.bytes == video)
            #expect(servedClip.info.sha256 == MediaUpload.sha256Hex(video))
            // The feed carries what is known about the media, not the bytes.
            try await store.approvePost(organisationID: org, postID: clip.id, moderator: PostWorld.hr)
            #expect(try await store.feed(organisationID: org, campaignID: world.campaign).posts.first?.media == clip.media)

            // Refused uploads create nothing.
            let text = await refusal { _ = try await world.post("look", media: MediaUpload(bytes: Data("not an image".utf8), claimedType: "image/png")) }
            #expect(text?.kind == .unsupportedMediaType)
            let mismatch = await refusal { _ = try await world.post("look", media: MediaUpload(bytes: png, claimedType: "image/jpeg")) }
            #expect(mismatch?.code == .mediaTypeMismatch)
            #expect(try await store.moderationQueue(organisationID: org).posts.map(\.id) == [selfie.id])

            let textOnly = try await world.post("words only")
            #expect(await refusal { _ = try await store.media(organisationID: org, postID: textOnly.id) }?.code == .mediaNotFound)
        }
    }

    @Test func anotherOrganisationsPostIsNotFound() async throws {
        try await TestDatabase.withStore { store in
            let world = try await PostWorld.make(store)
            let other = try await PostWorld.make(store, slug: "other")
            let post = try await world.post("mine", media: MediaUpload(bytes: png))
            let org = other.organisation
            let attempts: [(String, () async throws -> Void)] = [
                ("post", { _ = try await store.post(organisationID: org, postID: post.id) }),
                ("approve", { try await store.approvePost(organisationID: org, postID: post.id, moderator: PostWorld.hr) }),
                ("reject", { try await store.rejectPost(organisationID: org, postID: post.id, moderator: PostWorld.hr, reason: "x") }),
                ("media", { _ = try await store.media(organisationID: org, postID: post.id) }),
            ]
            for (name, attempt) in attempts {
                let error = await refusal(attempt)
                #expect(error?.kind == .notFound, "\(name)")
                #expect(error?.code == .postNotFound, "\(name)")
            }
            try await store.approvePost(organisationID: world.organisation, postID: post.id, moderator: PostWorld.hr)
            #expect(await refusal { _ = try await other.report(post, by: "e1") }?.code == .postNotFound)
            #expect(await refusal { _ = try await store.feed(organisationID: org, campaignID: world.campaign) }?.code == .campaignNotFound)
            #expect(try await store.moderationQueue(organisationID: org, list: .approved).posts.isEmpty)
            #expect(try await store.auditLog(organisationID: org).isEmpty)
            // Still the owner's, untouched.
            #expect(try await store.post(organisationID: world.organisation, postID: post.id).status == .approved)
        }
    }
}

extension PostTests {
    /// Moderators find the posts reports hid in a list of their own, and every moderation list
    /// pages with a cursor, without duplicates or gaps.
    @Test func hiddenPostsHaveTheirOwnListAndEveryListPages() async throws {
        try await TestDatabase.withStore { store in
            let world = try await PostWorld.make(store)
            let org = world.organisation
            try await store.setReportThreshold(organisationID: org, 1, actor: PostWorld.hr)
            var approved: [UUID] = [], hidden: [UUID] = [], pending: [UUID] = [], rejected: [UUID] = []
            for index in 0..<7 { approved.append(try await world.approved("approved \(index)").id) }
            for index in 0..<5 {
                let post = try await world.approved("hidden \(index)")
                #expect(try await world.report(post, by: "e2").hidden)
                hidden.append(post.id)
            }
            for index in 0..<6 { pending.append(try await world.post("pending \(index)").id) }
            for index in 0..<3 {
                let post = try await world.post("rejected \(index)")
                rejected.append(try await store.rejectPost(organisationID: org, postID: post.id, moderator: PostWorld.hr, reason: "no").id)
            }

            func walk(_ list: ModerationList, limit: Int) async throws -> [UUID] {
                var ids: [UUID] = []
                var cursor: String?
                var pages = 0
                repeat {
                    let page = try await store.moderationQueue(organisationID: org, campaignID: world.campaign, list: list, after: cursor, limit: limit)
                    #expect(page.posts.count <= limit)
                    ids += page.posts.map(\.id)
                    cursor = page.nextCursor
                    pages += 1
                } while cursor != nil && pages < 50
                return ids
            }
            for limit in [1, 2, 5, 100] {
                #expect(try await walk(.hidden, limit: limit) == hidden, "hidden by \(limit)")
                #expect(try await walk(.pending, limit: limit) == pending, "pending by \(limit)")
                #expect(try await walk(.approved, limit: limit) == approved.reversed(), "approved by \(limit)")
                #expect(try await walk(.rejected, limit: limit) == rejected.reversed(), "rejected by \(limit)")
                #expect(try await walk(.queue, limit: limit) == hidden + pending, "queue by \(limit)")
            }
            let bad = await refusal { _ = try await store.moderationQueue(organisationID: org, list: .hidden, after: "not a cursor") }
            #expect(bad?.code == .invalidCursor)
        }
    }
}
