import Foundation
import Hummingbird
import MobiliseDomain
import MobiliseStore

/// HR admins manage where their organisation is told about its campaigns (webhooks, Teams and Slack
/// channels), read the delivery log and replay a delivery.
struct WebhookRoutes {
    let environment: APIEnvironment
    var store: MobiliseStore { environment.store }
    var policy: OutboundURLPolicy { environment.configuration.outbox.policy }

    func register(on v1: RouterGroup<AuthenticatedContext>) {
        v1.post("webhooks", use: create)
        v1.get("webhooks", use: list)
        v1.get("webhooks/:webhook", use: show)
        v1.put("webhooks/:webhook", use: update)
        v1.delete("webhooks/:webhook", use: delete)
        v1.get("webhook-milestones", use: milestones)
        v1.put("webhook-milestones", use: setMilestones)
        v1.get("webhook-deliveries", use: deliveries)
        v1.get("webhook-deliveries/:delivery", use: delivery)
        v1.post("webhook-deliveries/:delivery/replay", use: replay)
        v1.post("webhook-deliveries/replay", use: replayRange)
    }

    struct EndpointInput: Decodable {
        var kind: String?
        var url: String
        var description: String?
        var events: [String]
        var enabled: Bool?
    }

    struct EndpointResponse: ResponseEncodable {
        var id: UUID
        var kind: String
        var url: String
        var description: String?
        var events: [String]
        var enabled: Bool
        var createdBy: String
        var createdAt: Date
        /// The signing secret (`whsec_…`): only in the answer that creates a webhook.
        var secret: String?

        init(_ endpoint: OutboundEndpoint, secret: String? = nil) {
            id = endpoint.id
            kind = endpoint.kind.rawValue
            url = endpoint.url
            description = endpoint.description
            events = endpoint.events.map(\.rawValue)
            enabled = endpoint.enabled
            createdBy = endpoint.createdBy
            createdAt = endpoint.createdAt
            self.secret = secret
        }
    }

    struct EndpointList: ResponseEncodable {
        var webhooks: [EndpointResponse]
    }

    /// The draft, its URL checked by the outbound-URL policy (422 `outbound_url_refused`).
    func makeDraft(_ input: EndpointInput, kind: OutboundKind) throws -> OutboundEndpointDraft {
        do {
            try policy.check(input.url)
        } catch let refusal as OutboundURLPolicy.Refusal {
            throw APIError(.unprocessableContent, code: .outboundURLRefused, "url: \(refusal.description)")
        }
        var events: [OutboundEventType] = []
        for name in input.events {
            guard let type = OutboundEventType(rawValue: name), type != .ping else {
                let known = OutboundEventType.allCases.filter { $0 != .ping }.map(\.rawValue).joined(separator: ", ")
                throw APIError(.unprocessableContent, code: .invalidEvents, "events: '\(name.prefix(100))' is not one of \(known)")
            }
            if !events.contains(type) { events.append(type) }
        }
        guard !events.isEmpty else {
            throw APIError(.unprocessableContent, code: .invalidEvents, "events: name at least one event type")
        }
        if let description = input.description, description.count > 500 {
            throw APIError(.unprocessableContent, code: .invalidDescription, "description: at most 500 characters")
        }
        return OutboundEndpointDraft(kind: kind, url: input.url, description: input.description, events: events, enabled: input.enabled ?? true)
    }

    /// `POST /v1/webhooks`: 201; a webhook's answer carries its signing secret, shown this once.
    @Sendable func create(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let caller = context.identity
        try caller.require(.hrAdmin)
        let input = try await request.json(EndpointInput.self, context: context, limit: context.maxUploadSize)
        guard let kind = OutboundKind(rawValue: input.kind ?? "webhook") else {
            throw APIError(.unprocessableContent, code: .invalidValue, "kind: one of webhook, teams, slack")
        }
        let draft = try makeDraft(input, kind: kind)
        let secret = kind == .webhook ? StandardWebhookSigner.newSecret() : nil
        // The signing key is kept sealed (SecretSealer, as the OpenID client secret): the database never holds it in plain text.
        var sealed: Data?
        if let secret {
            guard let sealer = SecretSealer(configuration: environment.configuration, purpose: .webhookSigningKey) else {
                throw APIError(.serviceUnavailable, code: .secretsKeyMissing,
                               "this service has no key to keep the webhook's signing key with: set MOBILISE_SECRETS_KEY (or MOBILISE_JWT_SECRET)")
            }
            sealed = try sealer.seal(secret.secret, organisationID: caller.organisation.id)
        }
        let endpoint = try await store.createOutboundEndpoint(
            organisationID: caller.organisation.id, draft, secret: sealed, actor: caller.actor)
        return try jsonResponse(EndpointResponse(endpoint, secret: secret?.text), status: .created)
    }

    @Sendable func list(_ request: Request, context: AuthenticatedContext) async throws -> EndpointList {
        let caller = context.identity
        try caller.require(.hrAdmin)
        return EndpointList(webhooks: try await store.outboundEndpoints(organisationID: caller.organisation.id).map { EndpointResponse($0) })
    }

    @Sendable func show(_ request: Request, context: AuthenticatedContext) async throws -> EndpointResponse {
        let caller = context.identity
        try caller.require(.hrAdmin)
        return EndpointResponse(try await store.outboundEndpoint(organisationID: caller.organisation.id, id: try endpointID(context)))
    }

    /// `PUT /v1/webhooks/{id}`: replaces URL, description, events and `enabled` (kind and secret stay).
    @Sendable func update(_ request: Request, context: AuthenticatedContext) async throws -> EndpointResponse {
        let caller = context.identity
        try caller.require(.hrAdmin)
        let id = try endpointID(context)
        let current = try await store.outboundEndpoint(organisationID: caller.organisation.id, id: id)
        let input = try await request.json(EndpointInput.self, context: context, limit: context.maxUploadSize)
        let draft = try makeDraft(input, kind: current.kind)
        return EndpointResponse(try await store.updateOutboundEndpoint(organisationID: caller.organisation.id, id: id, draft, actor: caller.actor))
    }

    @Sendable func delete(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let caller = context.identity
        try caller.require(.hrAdmin)
        let id = try endpointID(context)
        guard try await store.deleteOutboundEndpoint(organisationID: caller.organisation.id, id: id, actor: caller.actor) else {
            throw APIError(.notFound, code: .webhookNotFound, "no webhook '\(id.uuidString.lowercased())' in this organisation")
        }
        return Response(status: .noContent)
    }

    struct MilestonesBody: ResponseEncodable, Decodable {
        var signatures: [Int]
        var goalShares: [Int]
    }

    @Sendable func milestones(_ request: Request, context: AuthenticatedContext) async throws -> MilestonesBody {
        let caller = context.identity
        try caller.require(.hrAdmin)
        let settings = try await store.milestoneSettings(organisationID: caller.organisation.id)
        return MilestonesBody(signatures: settings.signatures, goalShares: settings.goalShares)
    }

    /// `PUT /v1/webhook-milestones`: round numbers of signatures and percentages of the goal.
    @Sendable func setMilestones(_ request: Request, context: AuthenticatedContext) async throws -> MilestonesBody {
        let caller = context.identity
        try caller.require(.hrAdmin)
        let input = try await request.json(MilestonesBody.self, context: context, limit: context.maxUploadSize)
        guard input.signatures.count <= 50, input.signatures.allSatisfy({ $0 >= 1 }) else {
            throw APIError(.unprocessableContent, code: .invalidValue, "signatures: at most 50 whole numbers, each at least 1")
        }
        guard input.goalShares.count <= 100, input.goalShares.allSatisfy({ (1...100).contains($0) }) else {
            throw APIError(.unprocessableContent, code: .invalidValue, "goal_shares: percentages from 1 to 100")
        }
        try await store.setMilestoneSettings(
            organisationID: caller.organisation.id, MilestoneSettings(signatures: input.signatures, goalShares: input.goalShares),
            actor: caller.actor)
        let settings = try await store.milestoneSettings(organisationID: caller.organisation.id)
        return MilestonesBody(signatures: settings.signatures, goalShares: settings.goalShares)
    }

    struct DeliveryResponse: ResponseEncodable {
        var id: UUID
        var eventId: UUID
        var eventType: String
        var webhookId: UUID
        var webhookKind: String
        var status: String
        var attempts: Int
        var nextAttemptAt: Date?
        var lastError: String?
        var lastStatusCode: Int?
        var deliveredAt: Date?
        var createdAt: Date
        var log: [AttemptResponse]?

        init(_ message: OutboxMessage, log: [OutboxAttempt]? = nil) {
            id = message.id
            eventId = message.eventID
            eventType = message.eventType
            webhookId = message.endpointID
            webhookKind = message.endpointKind.rawValue
            status = message.status.rawValue
            attempts = message.attempts
            nextAttemptAt = message.nextAttemptAt
            lastError = message.lastError
            lastStatusCode = message.lastStatusCode
            deliveredAt = message.deliveredAt
            createdAt = message.createdAt
            self.log = log?.map(AttemptResponse.init)
        }
    }

    struct AttemptResponse: Encodable {
        var at: Date
        var outcome: String
        var statusCode: Int?
        var error: String?
        var durationMs: Int?

        init(_ attempt: OutboxAttempt) {
            at = attempt.at
            outcome = attempt.outcome
            statusCode = attempt.statusCode
            error = attempt.error
            durationMs = attempt.durationMilliseconds
        }
    }

    struct DeliveryList: ResponseEncodable {
        var deliveries: [DeliveryResponse]
        var nextCursor: String?
    }

    /// `GET /v1/webhook-deliveries`: newest first, `status`, `webhook`, `cursor`, `limit` (1–200).
    @Sendable func deliveries(_ request: Request, context: AuthenticatedContext) async throws -> DeliveryList {
        let caller = context.identity
        try caller.require(.hrAdmin)
        let limit = try request.integer("limit", in: 1...200) ?? 50
        var status: OutboxStatus?
        if let text = request.query("status") {
            guard let value = OutboxStatus(rawValue: text) else {
                throw APIError(.badRequest, code: .invalidParameter, "'status' must be one of \(OutboxStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            status = value
        }
        var endpoint: UUID?
        if let text = request.query("webhook") {
            guard let id = UUID(uuidString: text) else { throw APIError(.badRequest, code: .invalidParameter, "'webhook' must be a webhook's id") }
            endpoint = id
        }
        let page = try await store.outboxMessages(
            organisationID: caller.organisation.id, status: status, endpointID: endpoint, after: request.query("cursor"), limit: limit)
        return DeliveryList(deliveries: page.messages.map { DeliveryResponse($0) }, nextCursor: page.nextCursor)
    }

    /// `GET /v1/webhook-deliveries/{id}`: the delivery and its attempts.
    @Sendable func delivery(_ request: Request, context: AuthenticatedContext) async throws -> DeliveryResponse {
        let caller = context.identity
        try caller.require(.hrAdmin)
        let found = try await store.outboxMessage(organisationID: caller.organisation.id, id: try deliveryID(context))
        return DeliveryResponse(found.message, log: found.attempts)
    }

    /// `POST /v1/webhook-deliveries/{id}/replay`: sends it again, due now, with a fresh budget of attempts.
    @Sendable func replay(_ request: Request, context: AuthenticatedContext) async throws -> DeliveryResponse {
        let caller = context.identity
        try caller.require(.hrAdmin)
        return DeliveryResponse(try await store.replayOutboxMessage(organisationID: caller.organisation.id, id: try deliveryID(context), actor: caller.actor))
    }

    struct ReplayRangeInput: Decodable {
        /// `failed` (the default), `refused` or `delivered`.
        var status: [String]?
        var webhook: String?
        var from: String?
        var to: String?
    }

    struct ReplayRangeResponse: ResponseEncodable {
        var replayed: Int
        /// True when the limit was reached: call again for the rest.
        var more: Bool
    }

    /// At most this many deliveries are replayed by one call.
    static let replayRangeLimit = 10_000

    /// `POST /v1/webhook-deliveries/replay`: sends again every delivery of the given final statuses
    /// (default `failed`), of one webhook or all, created in `[from, to)`; at most 10,000 a call.
    @Sendable func replayRange(_ request: Request, context: AuthenticatedContext) async throws -> ReplayRangeResponse {
        let caller = context.identity
        try caller.require(.hrAdmin)
        let input = try await request.json(ReplayRangeInput.self, context: context, limit: 64 << 10)
        let replayable: [OutboxStatus] = [.failed, .refused, .delivered]
        var statuses: [OutboxStatus] = []
        for text in input.status ?? ["failed"] {
            guard let status = OutboxStatus(rawValue: text), replayable.contains(status) else {
                throw APIError(.unprocessableContent, code: .invalidValue, "status: each one of failed, refused, delivered")
            }
            if !statuses.contains(status) { statuses.append(status) }
        }
        guard !statuses.isEmpty else { throw APIError(.unprocessableContent, code: .invalidValue, "status: name at least one of failed, refused, delivered") }
        var endpoint: UUID?
        if let text = input.webhook {
            guard let id = UUID(uuidString: text) else { throw APIError(.unprocessableContent, code: .invalidValue, "webhook: a webhook's id") }
            endpoint = id
        }
        func instant(_ name: String, _ text: String?) throws -> Date? {
            guard let text else { return nil }
            guard let date = ISO8601DateFormatter().date(from: text) else {
                throw APIError(.unprocessableContent, code: .invalidValue, "\(name): an instant such as 2026-03-09T00:00:00Z")
            }
            return date
        }
        let (from, to) = (try instant("from", input.from), try instant("to", input.to))
        let replayed = try await store.replayOutboxMessages(
            organisationID: caller.organisation.id, statuses: statuses, endpointID: endpoint, from: from, to: to,
            limit: Self.replayRangeLimit, actor: caller.actor)
        return ReplayRangeResponse(replayed: replayed, more: replayed == Self.replayRangeLimit)
    }

    func endpointID(_ context: AuthenticatedContext) throws -> UUID {
        let text = try context.parameters.require("webhook")
        guard let id = UUID(uuidString: text) else { throw APIError(.notFound, code: .webhookNotFound, "no webhook '\(text.prefix(100))' in this organisation") }
        return id
    }

    func deliveryID(_ context: AuthenticatedContext) throws -> UUID {
        let text = try context.parameters.require("delivery")
        guard let id = UUID(uuidString: text) else { throw APIError(.notFound, code: .deliveryNotFound, "no delivery '\(text.prefix(100))' in this organisation") }
        return id
    }
}
