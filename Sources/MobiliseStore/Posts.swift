import Foundation
import MobiliseDomain
import Postgres

extension MobiliseStore {
    /// Creates a post, pending moderation.
    ///
    /// The body is trimmed and its hashtags extracted; media is recognised from its bytes (see
    /// ``MediaUpload/validated()``) and stored with its SHA-256.
    ///
    /// - Parameters:
    ///   - author: the author's HR id (the `sub` of their token).
    ///   - at: when it was posted, for loaders that replay a past campaign (the demo); nil (what the
    ///     API passes) is now. A time in the future is taken as now.
    /// - Throws: ``MobiliseError``: the body's and media's refusals; `.notFound` `employee_not_found`,
    ///   `.forbidden` `employee_inactive` unless the author is an active employee; `.notFound` `campaign_not_found`;
    ///   `.unprocessable` `campaign_not_active`.
    public func createPost(
        organisationID: UUID, campaignID: UUID, author: String, body: String, media: MediaUpload? = nil, at: Date? = nil
    ) async throws -> Post {
        let file = try media?.validated()
        let text = try PostText.normalisedBody(body, hasMedia: file != nil)
        let hashtags = PostText.hashtags(in: text)
        return try await pool.withTransaction { connection in
            let authorID = try Self.activeEmployeeID(connection, organisationID: organisationID, externalID: author)
            let status = try connection.query("""
                SELECT status FROM campaigns WHERE organisation_id = \(organisationID) AND id = \(campaignID)
                """).scalar(String.self)
            guard let status else { throw Self.campaignNotFound(campaignID) }
            guard status == "active" else {
                throw MobiliseError(.unprocessable, code: .campaignNotActive, "the campaign is \(status): posts are taken only while it is active")
            }
            let id = try connection.query("""
                INSERT INTO posts (organisation_id, campaign_id, author_id, body, hashtags, media, media_type, media_size, media_sha256,
                                   created_at)
                VALUES (\(organisationID), \(campaignID), \(authorID), \(text), \(hashtags),
                        \(file?.bytes), \(file?.info.type.rawValue), \(file?.info.size), \(file?.info.sha256),
                        least(coalesce(\(at)::timestamptz, clock_timestamp()), clock_timestamp()))
                RETURNING id
                """).scalar(UUID.self)
            guard let id else { throw PostgresError(kind: .client, message: "INSERT … RETURNING returned no row") }
            return try Self.fetchPost(connection, organisationID: organisationID, postID: id)
        }
    }

    /// One post, whatever its status (for its author and moderators; the caller decides who may
    /// see a post that is not visible in the feed).
    public func post(organisationID: UUID, postID: UUID) async throws -> Post {
        try await pool.withConnection { connection in
            try Self.fetchPost(connection, organisationID: organisationID, postID: postID)
        }
    }

    /// A campaign's feed: approved posts not hidden by reports, newest first.
    ///
    /// ```swift
    /// var page = try await store.feed(organisationID: org, campaignID: campaign)
    /// while let next = page.nextCursor { page = try await store.feed(organisationID: org, campaignID: campaign, after: next) }
    /// ```
    ///
    /// - Parameters:
    ///   - after: the `nextCursor` of the previous page (opaque), nil for the first page.
    ///   - limit: posts per page, 1 to 100 (clamped); 20 by default.
    /// - Returns: the page and the cursor of the next one (nil on the last page).
    /// - Throws: ``MobiliseError`` `.notFound` `campaign_not_found`, `.invalid` `invalid_cursor`.
    public func feed(
        organisationID: UUID, campaignID: UUID, after cursor: String? = nil, limit: Int = 20
    ) async throws -> (posts: [Post], nextCursor: String?) {
        let limit = min(max(limit, 1), 100)
        let position = try cursor.map(PageCursor.init(encoded:)) ?? .newestFirst
        return try await pool.withConnection { connection in
            guard try connection.query("""
                SELECT 1 FROM campaigns WHERE organisation_id = \(organisationID) AND id = \(campaignID)
                """).count == 1 else { throw Self.campaignNotFound(campaignID) }
            let posts = try connection.query("""
                SELECT \(unsafeSQL: Self.postColumns) FROM \(unsafeSQL: Self.postSource)
                WHERE p.organisation_id = \(organisationID) AND p.campaign_id = \(campaignID)
                  AND p.status = 'approved' AND p.hidden_at IS NULL
                  AND (p.created_at, p.id) < (\(position.instant), \(position.id))
                ORDER BY p.created_at DESC, p.id DESC
                LIMIT \(limit + 1)
                """).rows.map(Self.decodePost)
            let page = PageCursor.page(posts, limit: limit) { PageCursor(instant: $0.createdAt, id: $0.id) }
            return (page.rows, page.next)
        }
    }

    /// Posts for moderators, a page at a time.
    ///
    /// ```swift
    /// var page = try await store.moderationQueue(organisationID: org, list: .hidden)
    /// while let next = page.nextCursor { page = try await store.moderationQueue(organisationID: org, list: .hidden, after: next) }
    /// ```
    ///
    /// - Parameters:
    ///   - campaignID: one campaign, or nil for all.
    ///   - list: which posts (see ``ModerationList``); the queue of posts awaiting a decision by default.
    ///   - after: the `nextCursor` of the previous page (opaque), nil for the first page.
    ///   - limit: posts per page, 1 to 500 (clamped).
    /// - Returns: the page and the cursor of the next one (nil on the last page).
    /// - Throws: ``MobiliseError`` `.invalid` `invalid_cursor`.
    public func moderationQueue(
        organisationID: UUID, campaignID: UUID? = nil, list: ModerationList = .queue, after cursor: String? = nil, limit: Int = 100
    ) async throws -> (posts: [Post], nextCursor: String?) {
        let limit = min(max(limit, 1), 500)
        // Program-chosen SQL text, never user input. Decided posts come most recently decided
        // first; the others oldest first, a hidden post by when it was hidden.
        let newestFirst = list == .approved || list == .rejected
        let (key, order, comparison) = newestFirst
            ? ("p.decided_at", "DESC", "<") : ("coalesce(p.hidden_at, p.created_at)", "ASC", ">")
        let filter = switch list {
        case .queue: "(p.status = 'pending' OR p.hidden_at IS NOT NULL)"
        case .pending: "p.status = 'pending'"
        case .hidden: "p.hidden_at IS NOT NULL"
        case .approved: "p.status = 'approved' AND p.hidden_at IS NULL"
        case .rejected: "p.status = 'rejected'"
        }
        let position = try cursor.map(PageCursor.init(encoded:)) ?? (newestFirst ? .newestFirst : .oldestFirst)
        return try await pool.withConnection { connection in
            let posts = try connection.query("""
                SELECT \(unsafeSQL: Self.postColumns) FROM \(unsafeSQL: Self.postSource)
                WHERE p.organisation_id = \(organisationID)
                  AND (\(campaignID)::uuid IS NULL OR p.campaign_id = \(campaignID))
                  AND \(unsafeSQL: filter)
                  AND (\(unsafeSQL: key), p.id) \(unsafeSQL: comparison) (\(position.instant), \(position.id))
                ORDER BY \(unsafeSQL: key) \(unsafeSQL: order), p.id \(unsafeSQL: order)
                LIMIT \(limit + 1)
                """).rows.map(Self.decodePost)
            let page = PageCursor.page(posts, limit: limit) { post in
                PageCursor(instant: (newestFirst ? post.decidedAt : post.hiddenAt) ?? post.createdAt, id: post.id)
            }
            return (page.rows, page.next)
        }
    }

    /// Approves a pending post, or one hidden by reports (it becomes visible again and its
    /// reports are cleared). Recorded in the audit log as `post.approve`.
    ///
    /// - Throws: ``MobiliseError`` `.notFound` `post_not_found`; `.conflict` `post_already_decided`
    ///   when the post is neither pending nor hidden.
    @discardableResult
    public func approvePost(organisationID: UUID, postID: UUID, moderator: Actor) async throws -> Post {
        try await decide(organisationID: organisationID, postID: postID, moderator: moderator, approve: true, reason: nil)
    }

    /// Rejects a pending post, or one hidden by reports, giving the author a reason. Recorded in
    /// the audit log as `post.reject`.
    ///
    /// - Throws: ``MobiliseError`` `.invalid` `reason_required`; `.notFound` `post_not_found`;
    ///   `.conflict` `post_already_decided` when the post is neither pending nor hidden.
    @discardableResult
    public func rejectPost(organisationID: UUID, postID: UUID, moderator: Actor, reason: String) async throws -> Post {
        let reason = try PostText.normalisedReason(reason)
        return try await decide(organisationID: organisationID, postID: postID, moderator: moderator, approve: false, reason: reason)
    }

    /// Reports an approved post on behalf of an employee. Each employee counts once (reporting
    /// again changes nothing); when the reports since the last approval reach the organisation's
    /// `report_threshold`, the post is hidden from the feed until a moderator decides again.
    ///
    /// - Parameter reporter: the reporting employee's HR id.
    /// - Throws: ``MobiliseError`` `.notFound` `employee_not_found`, `.forbidden` `employee_inactive`;
    ///   `.notFound` `post_not_found` (also for posts that are not approved: employees cannot see them);
    ///   `.unprocessable` `own_post` when the reporter wrote the post (a report is someone else's
    ///   judgement: an author's own would hide their post with fewer real reports).
    @discardableResult
    public func reportPost(organisationID: UUID, postID: UUID, reporter: String) async throws -> PostReportOutcome {
        try await pool.withTransaction { connection in
            let reporterID = try Self.activeEmployeeID(connection, organisationID: organisationID, externalID: reporter)
            // Locking the post serialises its reporters: the count below then sees every report
            // committed before, so the report that reaches the threshold is the one that hides it.
            let rows = try connection.query("""
                SELECT status, author_id, hidden_at IS NOT NULL AS hidden FROM posts
                WHERE organisation_id = \(organisationID) AND id = \(postID) FOR UPDATE
                """)
            guard rows.count == 1, try rows[0].decode(String.self, column: "status") == PostStatus.approved.rawValue else {
                throw Self.postNotFound(postID)
            }
            guard try rows[0].decode(UUID.self, column: "author_id") != reporterID else {
                throw MobiliseError(.unprocessable, code: .ownPost, "you cannot report your own post")
            }
            var hidden = try rows[0].decode(Bool.self, column: "hidden")
            let recorded = try connection.execute("""
                INSERT INTO post_reports (organisation_id, post_id, employee_id)
                VALUES (\(organisationID), \(postID), \(reporterID))
                ON CONFLICT DO NOTHING
                """) == 1
            let (count, threshold) = try connection.query("""
                SELECT (SELECT count(*) FROM post_reports WHERE organisation_id = \(organisationID) AND post_id = \(postID)),
                       (SELECT report_threshold FROM organisations WHERE id = \(organisationID))
                """)[0].decode((Int, Int).self)
            if !hidden, count >= threshold {
                try connection.execute("""
                    UPDATE posts SET hidden_at = now() WHERE organisation_id = \(organisationID) AND id = \(postID)
                    """)
                hidden = true
            }
            return PostReportOutcome(recorded: recorded, reportCount: count, hidden: hidden)
        }
    }

    /// Sets how many employees' reports hide an approved post (3 unless set). Posts already
    /// reported are re-checked at their next report. Recorded in the audit log.
    ///
    /// - Throws: ``MobiliseError`` `.invalid` `invalid_report_threshold` below 1;
    ///   `.notFound` `organisation_not_found`.
    public func setReportThreshold(organisationID: UUID, _ threshold: Int, actor: Actor) async throws {
        guard threshold >= 1, threshold <= 1_000_000 else {
            throw MobiliseError(.invalid, code: .invalidReportThreshold, "the report threshold is a number of employees from 1 to 1000000")
        }
        try await pool.withTransaction { connection in
            let previous = try connection.query("""
                SELECT report_threshold FROM organisations WHERE id = \(organisationID) FOR UPDATE
                """).scalar(Int.self)
            guard let previous else {
                throw MobiliseError(.notFound, code: .organisationNotFound, "no organisation \(organisationID.uuidString)")
            }
            try connection.execute("UPDATE organisations SET report_threshold = \(threshold) WHERE id = \(organisationID)")
            try MobiliseStore.audit(
                connection, organisationID: organisationID, actor: actor, action: "organisation.report_threshold",
                subject: organisationID.uuidString, details: ["from": String(previous), "to": String(threshold)])
        }
    }

    /// A post's media, bytes included, for serving (whatever the post's status: the caller decides
    /// who may see it).
    ///
    /// - Throws: ``MobiliseError`` `.notFound` `post_not_found` or `media_not_found`.
    public func media(organisationID: UUID, postID: UUID) async throws -> MediaFile {
        try await pool.withConnection { connection in
            let rows = try connection.query("""
                SELECT media, media_type, media_size, media_sha256 FROM posts
                WHERE organisation_id = \(organisationID) AND id = \(postID)
                """)
            guard rows.count == 1 else { throw Self.postNotFound(postID) }
            guard let bytes = try rows[0].decode(Data?.self, column: "media") else {
                throw MobiliseError(.notFound, code: .mediaNotFound, "post \(postID.uuidString) has no photo or video")
            }
            guard let info = try Self.decodeMediaInfo(rows[0]) else {
                throw PostgresError(kind: .decoding, message: "post media without its type, size or checksum")
            }
            return MediaFile(info: info, bytes: bytes)
        }
    }

    // MARK: - Moderation

    private func decide(organisationID: UUID, postID: UUID, moderator: Actor, approve: Bool, reason: String?) async throws -> Post {
        try await pool.withTransaction { connection in
            let rows = try connection.query("""
                SELECT status, hidden_at IS NOT NULL AS hidden, campaign_id, moderator FROM posts
                WHERE organisation_id = \(organisationID) AND id = \(postID) FOR UPDATE
                """)
            guard rows.count == 1 else { throw Self.postNotFound(postID) }
            let status = try rows[0].decode(String.self, column: "status")
            let hidden = try rows[0].decode(Bool.self, column: "hidden")
            let campaignID = try rows[0].decode(UUID.self, column: "campaign_id")
            guard status == PostStatus.pending.rawValue || (status == PostStatus.approved.rawValue && hidden) else {
                let by = try rows[0].decode(String?.self, column: "moderator").map { " by \($0)" } ?? ""
                throw MobiliseError(.conflict, code: .postAlreadyDecided, "the post was already \(status)\(by); only pending or reported posts can be decided")
            }
            let reports = try connection.query("""
                SELECT count(*) FROM post_reports WHERE organisation_id = \(organisationID) AND post_id = \(postID)
                """).scalar(Int.self) ?? 0
            if approve {
                try connection.execute("""
                    UPDATE posts SET status = 'approved', moderator = \(moderator.identity), moderation_reason = NULL,
                                     decided_at = now(), hidden_at = NULL
                    WHERE organisation_id = \(organisationID) AND id = \(postID)
                    """)
                try connection.execute("DELETE FROM post_reports WHERE organisation_id = \(organisationID) AND post_id = \(postID)")
            } else {
                try connection.execute("""
                    UPDATE posts SET status = 'rejected', moderator = \(moderator.identity), moderation_reason = \(reason),
                                     decided_at = now(), hidden_at = NULL
                    WHERE organisation_id = \(organisationID) AND id = \(postID)
                    """)
            }
            var details = [
                "campaign_id": campaignID.uuidString, "previous_status": hidden ? "approved_hidden" : status,
                "reports": String(reports),
            ]
            if let reason { details["reason"] = reason }
            // A first approval is told to the organisation's webhooks and channels (the outbox). Posts
            // keep no consent to be named, so the message never names the author.
            if approve, status == PostStatus.pending.rawValue {
                let campaign = try Self.campaign(connection, organisationID: organisationID, reference: campaignID.uuidString)
                var facts = Self.campaignFacts(campaign)
                facts["post_id"] = .string(postID.uuidString.lowercased())
                try Self.enqueueOutboundEvent(
                    connection, organisationID: organisationID, type: .storyApproved,
                    dedupeKey: "story.approved:\(postID.uuidString.lowercased())", data: facts)
            }
            try MobiliseStore.audit(
                connection, organisationID: organisationID, actor: moderator, action: approve ? "post.approve" : "post.reject",
                subject: postID.uuidString, details: details)
            return try Self.fetchPost(connection, organisationID: organisationID, postID: postID)
        }
    }

    // MARK: - Reading posts

    /// The columns a ``Post`` is read from, over ``postSource``.
    private static let postColumns = """
        p.id, p.organisation_id, p.campaign_id, p.author_id, e.external_id AS author_external_id, p.body, p.hashtags,
        p.media_type, p.media_size, p.media_sha256, p.status, p.moderator, p.moderation_reason, p.decided_at,
        p.hidden_at, p.created_at,
        (SELECT count(*) FROM post_reports r WHERE r.organisation_id = p.organisation_id AND r.post_id = p.id) AS report_count
        """

    private static let postSource = "posts p JOIN employees e ON e.organisation_id = p.organisation_id AND e.id = p.author_id"

    private static func fetchPost(_ connection: PostgresConnection, organisationID: UUID, postID: UUID) throws -> Post {
        let rows = try connection.query("""
            SELECT \(unsafeSQL: postColumns) FROM \(unsafeSQL: postSource)
            WHERE p.organisation_id = \(organisationID) AND p.id = \(postID)
            """)
        guard rows.count == 1 else { throw postNotFound(postID) }
        return try decodePost(rows[0])
    }

    private static func decodePost(_ row: PostgresRow) throws -> Post {
        let statusText = try row.decode(String.self, column: "status")
        guard let status = PostStatus(rawValue: statusText) else {
            throw PostgresError(kind: .decoding, message: "column 'status' holds an unknown post status '\(statusText)'")
        }
        return Post(
            id: try row.decode(UUID.self, column: "id"),
            organisationID: try row.decode(UUID.self, column: "organisation_id"),
            campaignID: try row.decode(UUID.self, column: "campaign_id"),
            authorID: try row.decode(UUID.self, column: "author_id"),
            authorExternalID: try row.decode(String.self, column: "author_external_id"),
            body: try row.decode(String.self, column: "body"),
            hashtags: try row.decode([String].self, column: "hashtags"),
            media: try decodeMediaInfo(row),
            status: status,
            moderator: try row.decode(String?.self, column: "moderator"),
            moderationReason: try row.decode(String?.self, column: "moderation_reason"),
            decidedAt: try row.decode(Date?.self, column: "decided_at"),
            hiddenAt: try row.decode(Date?.self, column: "hidden_at"),
            reportCount: try row.decode(Int.self, column: "report_count"),
            createdAt: try row.decode(Date.self, column: "created_at"))
    }

    private static func decodeMediaInfo(_ row: PostgresRow) throws -> MediaInfo? {
        guard let typeText = try row.decode(String?.self, column: "media_type") else { return nil }
        guard let type = MediaType(rawValue: typeText),
              let size = try row.decode(Int?.self, column: "media_size"),
              let sha256 = try row.decode(String?.self, column: "media_sha256")
        else { throw PostgresError(kind: .decoding, message: "post media with an unknown type, or without its size or checksum") }
        return MediaInfo(type: type, size: size, sha256: sha256)
    }

    // MARK: - Rules

    /// The id of the active employee with this HR id.
    private static func activeEmployeeID(_ connection: PostgresConnection, organisationID: UUID, externalID: String) throws -> UUID {
        let rows = try connection.query("""
            SELECT id, active FROM employees WHERE organisation_id = \(organisationID) AND external_id = \(externalID)
            """)
        guard rows.count == 1 else {
            throw MobiliseError(.notFound, code: .employeeNotFound, "no employee '\(externalID.prefix(200))' in this organisation")
        }
        let (id, active) = try rows[0].decode((UUID, Bool).self)
        guard active else {
            throw MobiliseError(.forbidden, code: .employeeInactive, "'\(externalID.prefix(200))' is no longer an active employee")
        }
        return id
    }

    private static func campaignNotFound(_ id: UUID) -> MobiliseError {
        MobiliseError(.notFound, code: .campaignNotFound, "no campaign \(id.uuidString) in the organisation")
    }

    private static func postNotFound(_ id: UUID) -> MobiliseError {
        MobiliseError(.notFound, code: .postNotFound, "no post \(id.uuidString) in the organisation")
    }
}
