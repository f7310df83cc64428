import Foundation
import Hummingbird
import MobiliseDomain
import MobiliseStore
import NIOCore

/// Stories: posting, the feed, reports and moderation.
struct PostRoutes {
    let environment: APIEnvironment
    var store: MobiliseStore { environment.store }

    func register(on v1: RouterGroup<AuthenticatedContext>) {
        v1.post("campaigns/:id/posts", use: create)
        v1.get("campaigns/:id/posts", use: list)
        v1.post("posts/:post/reports", use: report)
        v1.post("posts/:post/approve", use: approve)
        v1.post("posts/:post/reject", use: reject)
        v1.get("posts/:post/media", use: media)
    }

    /// JSON `{"body": …}`, or multipart with a `body` field and one `media` file. 201, pending moderation.
    @Sendable func create(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let caller = context.identity
        let author = try await environment.activeEmployee(caller)
        try environment.employeeLimiter.check(EmployeeKey(organisation: caller.organisation.id, subject: caller.subject), what: "requests")
        let campaign = try await environment.visibleCampaign(caller, reference: try context.campaignReference())
        // Leaders and HR admins post to any campaign (as they read any); others to those whose audience they are in.
        if !caller.has(.leader) { try APIEnvironment.requireAudience(of: campaign, admits: author) }
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        var text = ""
        var upload: MediaUpload?
        if contentType.hasPrefix("multipart/form-data") {
            guard let boundary = MultipartForm.boundary(from: request.headers[.contentType] ?? "") else {
                throw APIError.badRequest(.malformedMultipart, "the multipart Content-Type has no boundary")
            }
            let form = try await MultipartForm.read(request.body, boundary: boundary, limit: environment.configuration.maxPostSize)
            for part in form.parts {
                switch part.name {
                case "body": text = String(decoding: part.data, as: UTF8.self)
                case "media":
                    guard upload == nil else { throw APIError.badRequest(.tooManyFiles, "a story carries one media file") }
                    upload = MediaUpload(bytes: part.data, claimedType: part.contentType)
                default: throw APIError.badRequest(.unknownField, "unexpected form field '\(part.name)' (expected body and media)")
                }
            }
        } else {
            text = try await request.json(PostInput.self, context: context, limit: environment.configuration.maxBodySize).body
        }
        let post = try await store.createPost(
            organisationID: caller.organisation.id, campaignID: campaign.id, author: caller.subject, body: text, media: upload)
        return try jsonResponse(PostResponse(post), status: .created)
    }

    /// The approved feed, for those who may read the campaign (``APIEnvironment/readableCampaign(_:reference:)``);
    /// HR may ask for a moderation list, `?status=queue|pending|hidden|approved|rejected`. Every list
    /// pages with `cursor` (the previous page's `next_cursor`).
    @Sendable func list(_ request: Request, context: AuthenticatedContext) async throws -> PostPage {
        let caller = context.identity
        let campaign = try await environment.readableCampaign(caller, reference: try context.campaignReference())
        let limit = try request.integer("limit", in: 1...100) ?? 20
        if let status = request.query("status") {
            try caller.require(.hrAdmin)
            guard let list = ModerationList(rawValue: status) else {
                throw APIError.badRequest(
                    .invalidParameter, "status is one of \(ModerationList.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let page = try await store.moderationQueue(
                organisationID: caller.organisation.id, campaignID: campaign.id, list: list, after: request.query("cursor"), limit: limit)
            return PostPage(posts: page.posts.map(PostResponse.init), nextCursor: page.nextCursor)
        }
        let page = try await store.feed(organisationID: caller.organisation.id, campaignID: campaign.id, after: request.query("cursor"), limit: limit)
        return PostPage(posts: page.posts.map(PostResponse.init), nextCursor: page.nextCursor)
    }

    @Sendable func report(_ request: Request, context: AuthenticatedContext) async throws -> ReportResponse {
        let caller = context.identity
        _ = try await environment.activeEmployee(caller)
        let postID = try context.uuid("post", what: "post", notFound: .postNotFound)
        try await requireAudience(caller, of: try await store.post(organisationID: caller.organisation.id, postID: postID))
        let outcome = try await store.reportPost(organisationID: caller.organisation.id, postID: postID, reporter: caller.subject)
        return ReportResponse(recorded: outcome.recorded, hidden: outcome.hidden)
    }

    @Sendable func approve(_ request: Request, context: AuthenticatedContext) async throws -> PostResponse {
        let caller = context.identity
        try caller.require(.hrAdmin)
        return PostResponse(try await store.approvePost(
            organisationID: caller.organisation.id, postID: try context.uuid("post", what: "post", notFound: .postNotFound), moderator: caller.actor))
    }

    @Sendable func reject(_ request: Request, context: AuthenticatedContext) async throws -> PostResponse {
        let caller = context.identity
        try caller.require(.hrAdmin)
        let input = try await request.json(RejectInput.self, context: context, limit: environment.configuration.maxBodySize)
        return PostResponse(try await store.rejectPost(
            organisationID: caller.organisation.id, postID: try context.uuid("post", what: "post", notFound: .postNotFound), moderator: caller.actor,
            reason: input.reason))
    }

    static let postNotFound = APIError(.notFound, code: .postNotFound, "no such post")

    /// Refuses a post of a campaign whose feed the caller may not read (outside its audience, say), as if
    /// there were no such post: its id tells nothing more than the feed would.
    private func requireAudience(_ caller: Identity, of post: Post) async throws {
        do {
            _ = try await environment.readableCampaign(caller, reference: post.campaignID.uuidString)
        } catch let error as APIError where error.status == .forbidden || error.status == .notFound {
            throw Self.postNotFound
        } catch let error as MobiliseError where error.kind == .forbidden || error.kind == .notFound {
            throw Self.postNotFound
        }
    }

    static let mediaCacheControl = "private, max-age=60, must-revalidate"

    /// A post's media: a visible post's to whoever may read its campaign's feed, HR's and the author's always.
    @Sendable func media(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let caller = context.identity
        let postID = try context.uuid("post", what: "post", notFound: .postNotFound)
        let post = try await store.post(organisationID: caller.organisation.id, postID: postID)
        if !caller.has(.hrAdmin), post.authorExternalID != caller.subject {
            guard post.isVisible else { throw Self.postNotFound }
            try await requireAudience(caller, of: post)
        }
        let file = try await store.media(organisationID: caller.organisation.id, postID: postID)
        // Kept a minute at most, then revalidated (a 304 when unchanged): a story hidden after a
        // report or erased leaves the browsers' caches within a minute, not a day.
        let eTag = "\"\(file.info.sha256)\""
        var headers: HTTPFields = [.contentType: file.info.type.rawValue, .cacheControl: Self.mediaCacheControl, .eTag: eTag]
        if request.headers[.ifNoneMatch] == eTag { return Response(status: .notModified, headers: headers) }
        headers[.contentLength] = String(file.bytes.count)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: file.bytes)))
    }
}
