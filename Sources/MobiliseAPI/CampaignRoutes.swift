import Foundation
import Hummingbird
import MobiliseDomain
import MobiliseStore

/// Campaigns, their lifecycle, and the caller's signature.
struct CampaignRoutes {
    let environment: APIEnvironment
    var store: MobiliseStore { environment.store }

    func register(on v1: RouterGroup<AuthenticatedContext>) {
        v1.get("campaigns", use: list)
        v1.post("campaigns", use: create)
        v1.get("campaigns/:id", use: show)
        v1.patch("campaigns/:id", use: update)
        v1.post("campaigns/:id/launch") { try await move($1, to: .active) }
        v1.post("campaigns/:id/close") { try await move($1, to: .closed) }
        v1.post("campaigns/:id/archive") { try await move($1, to: .archived) }
        v1.put("campaigns/:id/signature", use: sign)
        v1.get("campaigns/:id/signature", use: signature)
        v1.delete("campaigns/:id/signature", use: withdraw)
    }

    /// HR and leaders: every campaign. Employees: active campaigns open to them, with `signed` (and `withdrawn_at`).
    /// Newest first, a page at a time (`cursor`, `limit`).
    @Sendable func list(_ request: Request, context: AuthenticatedContext) async throws -> CampaignList {
        let caller = context.identity
        let organisation = caller.organisation.id
        let limit = try request.integer("limit", in: 1...100) ?? 100
        let cursor = request.query("cursor")
        if caller.has(.leader) {
            let page = try await store.campaigns(organisationID: organisation, after: cursor, limit: limit)
            var campaigns: [CampaignResponse] = []
            for campaign in page.campaigns {
                // `signed` also for a leader who is an employee too.
                let signature = caller.has(.employee)
                    ? try await store.signature(organisationID: organisation, campaign: campaign.id.uuidString, employee: caller.subject) : nil
                campaigns.append(CampaignResponse(campaign, signed: caller.has(.employee) ? (signature?.isCurrent ?? false) : nil,
                                                   withdrawnAt: signature?.withdrawnAt))
            }
            return CampaignList(campaigns: campaigns, nextCursor: page.nextCursor)
        }
        let employee = try await environment.activeEmployee(caller)
        let page = try await store.campaigns(organisationID: organisation, status: .active, admitting: employee, after: cursor, limit: limit)
        var campaigns: [CampaignResponse] = []
        for campaign in page.campaigns {
            let signature = try await store.signature(organisationID: organisation, campaign: campaign.id.uuidString, employee: caller.subject)
            campaigns.append(CampaignResponse(campaign, signed: signature?.isCurrent ?? false, withdrawnAt: signature?.withdrawnAt))
        }
        return CampaignList(campaigns: campaigns, nextCursor: page.nextCursor)
    }

    /// Leaders and HR admins: any campaign. Others: an active employee in its audience (403 otherwise).
    @Sendable func show(_ request: Request, context: AuthenticatedContext) async throws -> CampaignResponse {
        let caller = context.identity
        let campaign = try await environment.readableCampaign(caller, reference: try context.campaignReference())
        guard caller.has(.employee) else { return CampaignResponse(campaign) }
        let signature = try await store.signature(organisationID: caller.organisation.id, campaign: campaign.id.uuidString, employee: caller.subject)
        return CampaignResponse(campaign, signed: signature?.isCurrent ?? false, withdrawnAt: signature?.withdrawnAt)
    }

    @Sendable func create(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let caller = context.identity
        try caller.require(.hrAdmin)
        let input = try await request.json(CampaignInput.self, context: context, limit: environment.configuration.maxBodySize)
        let campaign = try await store.createCampaign(organisationID: caller.organisation.id, try input.draft(), actor: caller.actor)
        return try jsonResponse(CampaignResponse(campaign), status: .created)
    }

    @Sendable func update(_ request: Request, context: AuthenticatedContext) async throws -> CampaignResponse {
        let caller = context.identity
        try caller.require(.hrAdmin)
        let reference = try context.campaignReference()
        let current = try await store.campaign(organisationID: caller.organisation.id, reference: reference)
        let input = try await request.json(CampaignInput.self, context: context, limit: environment.configuration.maxBodySize)
        let updated = try await store.updateCampaign(
            organisationID: caller.organisation.id, reference: current.id.uuidString, try input.draft(over: current), actor: caller.actor)
        return CampaignResponse(updated)
    }

    func move(_ context: AuthenticatedContext, to status: CampaignStatus) async throws -> CampaignResponse {
        let caller = context.identity
        try caller.require(.hrAdmin)
        return CampaignResponse(try await store.moveCampaign(
            organisationID: caller.organisation.id, reference: try context.campaignReference(), to: status, actor: caller.actor))
    }

    /// 201 the first time (or when signing again after a withdrawal), 200 with the same signature after.
    @Sendable func sign(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        // The hot path: no look-up of its own. The employee, the campaign and every rule are checked
        // inside the signing batch (see MobiliseStore.sign), and refusals mapped as elsewhere.
        let caller = context.identity
        let (channel, eventID) = try await Self.signingInput(request, context: context, limiter: environment.employeeLimiter)
        let result: SigningResult
        do {
            result = try await store.sign(
                organisationID: caller.organisation.id, campaign: try context.campaignReference(), employee: caller.subject, channel: channel,
                eventID: eventID, hidingDrafts: !caller.has(.leader))
        } catch let error as MobiliseError where error.code == .employeeNotFound {
            throw APIEnvironment.notAnEmployee
        }
        if result.created { environment.metrics.signaturesRecorded.increment() }
        return Response(status: result.created ? .created : .ok, headers: [.contentType: "application/json; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(bytes: SignatureResponse(result.signature).json)))
    }

    /// Everything the signing route checks before the database: the role, the caller's rate limit
    /// (429 with `Retry-After`), the body and its channel. The no-database ceiling of the benchmark
    /// (``SigningCeiling``) runs the same, so the two stay alike.
    static func signingInput(
        _ request: Request, context: AuthenticatedContext, limiter: RateLimiter<EmployeeKey>
    ) async throws -> (channel: SignatureChannel, eventID: UUID?) {
        let caller = context.identity
        try caller.require(.employee)
        try limiter.check(EmployeeKey(organisation: caller.organisation.id, subject: caller.subject), what: "requests")
        let input = try await request.optionalJSON(SignInput.self, context: context, limit: 4096, emptyObject: SignInput())
        let channel = input?.channel ?? .web
        guard channel.isSelfService else {
            throw APIError.badRequest(.invalidChannel, """
                channel is 'web', 'mobile', 'poster' or 'qr': signatures made on paper or on an event's sheet are entered \
                by HR or the event's host with POST /v1/campaigns/{id}/paper-batches
                """)
        }
        let eventID = input?.eventId
        if eventID != nil, channel != .poster, channel != .qr {
            throw APIError.badRequest(.invalidChannel, "event_id comes with channel 'poster' or 'qr' (the event's poster or QR code)")
        }
        return (channel, eventID)
    }

    @Sendable func signature(_ request: Request, context: AuthenticatedContext) async throws -> SignatureResponse {
        let caller = context.identity
        _ = try await environment.activeEmployee(caller)
        let campaign = try await environment.visibleCampaign(caller, reference: try context.campaignReference())
        guard let signature = try await store.signature(
            organisationID: caller.organisation.id, campaign: campaign.id.uuidString, employee: caller.subject)
        else { throw APIError(.notFound, code: .signatureNotFound, "you have not signed this campaign") }
        return SignatureResponse(signature)
    }

    @Sendable func withdraw(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let caller = context.identity
        _ = try await environment.activeEmployee(caller)
        let campaign = try await environment.visibleCampaign(caller, reference: try context.campaignReference())
        guard try await store.withdraw(
            organisationID: caller.organisation.id, campaign: campaign.id.uuidString, employee: caller.subject) != nil
        else { throw APIError(.notFound, code: .signatureNotFound, "you have not signed this campaign") }
        return Response(status: .noContent)
    }
}
