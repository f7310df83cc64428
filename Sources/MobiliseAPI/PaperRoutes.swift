import Foundation
import Hummingbird
import MobiliseDomain
import MobiliseStore

/// Paper and event signatures entered twice (double entry), their third look, and the tally.
///
/// HR admins enter any batch of a campaign; an event's host (an active employee) enters the
/// batches of their own event and is answered with the batch's status and discrepancies only, never
/// with who had signed already or was refused.
struct PaperRoutes {
    let environment: APIEnvironment
    var store: MobiliseStore { environment.store }

    func register(on v1: RouterGroup<AuthenticatedContext>) {
        v1.post("campaigns/:id/paper-batches", use: enter)
        v1.get("campaigns/:id/paper-batches", use: list)
        v1.post("campaigns/:id/paper-batches/:reference/decision", use: decide)
        v1.get("campaigns/:id/paper-tally", use: tally)
    }

    /// 201 when the entry was added, 200 when the same person sent the same entry again.
    @Sendable func enter(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let caller = context.identity
        try environment.employeeLimiter.check(EmployeeKey(organisation: caller.organisation.id, subject: caller.subject), what: "requests")
        let authority: PaperAuthority
        if caller.has(.hrAdmin) {
            authority = .hrAdmin
        } else if caller.has(.employee) {
            _ = try await environment.activeEmployee(caller)  // a host who has left enters nothing
            authority = .host
        } else {
            throw APIError(.forbidden, code: .forbidden, "only HR admins and an event's host enter paper signatures")
        }
        let input = try await request.json(PaperEntryInput.self, context: context, limit: environment.configuration.maxBodySize)
        let result = try await store.enterPaperBatch(
            organisationID: caller.organisation.id, campaign: try context.campaignReference(), input.draft, actor: caller.actor, by: authority)
        return try jsonResponse(PaperBatchResponse(result.batch, for: authority), status: result.created ? .created : .ok)
    }

    /// HR admins: the campaign's batches, newest first (`?status=pending|disputed|confirmed`).
    @Sendable func list(_ request: Request, context: AuthenticatedContext) async throws -> PaperBatchList {
        let caller = context.identity
        try caller.require(.hrAdmin)
        var status: PaperBatchStatus?
        if let text = request.query("status") {
            guard let value = PaperBatchStatus(rawValue: text) else {
                throw APIError.badRequest(.invalidParameter, "'status' is pending, disputed or confirmed")
            }
            status = value
        }
        let batches = try await store.paperBatches(
            organisationID: caller.organisation.id, campaign: try context.campaignReference(), status: status,
            limit: try request.integer("limit", in: 1...500) ?? 200)
        return PaperBatchList(batches: batches.map { PaperBatchResponse($0, for: .hrAdmin) })
    }

    /// HR admins: the third look at a disputed (or pending) batch: the entry that counts.
    @Sendable func decide(_ request: Request, context: AuthenticatedContext) async throws -> PaperBatchResponse {
        let caller = context.identity
        try caller.require(.hrAdmin)
        let reference = try context.parameters.require("reference")  // percent-decoded by the router
        let input = try await request.json(PaperDecisionInput.self, context: context, limit: 4096)
        let batch = try await store.decidePaperBatch(
            organisationID: caller.organisation.id, campaign: try context.campaignReference(), reference: reference, entryID: input.entryId,
            actor: caller.actor)
        return PaperBatchResponse(batch, for: .hrAdmin)
    }

    /// HR admins: confirmed batches' counts by event, the anonymous tally apart, and what waits.
    @Sendable func tally(_ request: Request, context: AuthenticatedContext) async throws -> PaperTallyResponse {
        let caller = context.identity
        try caller.require(.hrAdmin)
        return PaperTallyResponse(try await store.paperTally(organisationID: caller.organisation.id, campaign: try context.campaignReference()))
    }
}

struct PaperEntryInput: Decodable {
    var reference: String
    var channel: SignatureChannel?
    var eventId: UUID?
    var signedAt: Date?
    var externalIds: [String]?
    var unidentified: Int?

    var draft: PaperEntryDraft {
        PaperEntryDraft(reference: reference, channel: channel ?? (eventId == nil ? .paper : .event), eventID: eventId, signedAt: signedAt,
                        externalIDs: externalIds ?? [], unidentified: unidentified ?? 0)
    }
}

struct PaperDecisionInput: Decodable {
    var entryId: UUID
}

struct PaperBatchResponse: ResponseEncodable {
    struct Entry: Encodable {
        var id: UUID
        var enteredBy: String
        var enteredAt: Date
        var channel: SignatureChannel
        var eventId: UUID?
        var signedAt: Date?
        var externalIds: [String]
        var unidentified: Int
    }

    struct Outcome: Encodable {
        var entryId: UUID
        var how: String
        var confirmedBy: String
        var confirmedAt: Date
        var signed: Int
        var alreadySigned: Int
        var refused: [String]
        var anonymous: Int
        /// Refused signers erased since: their HR ids left `refused`.
        var refusedErased: Int
    }

    struct Discrepancies: Encodable {
        var externalIds: [String]
        var fields: [String]
    }

    var id: UUID
    var campaignId: UUID
    var reference: String
    var status: PaperBatchStatus
    var createdAt: Date
    var entries: [Entry]
    var discrepancies: Discrepancies
    /// HR admins only: a host is not told who had signed already or was refused.
    var outcome: Outcome?

    init(_ batch: PaperBatch, for authority: PaperAuthority) {
        id = batch.id
        campaignId = batch.campaignID
        reference = batch.reference
        status = batch.status
        createdAt = batch.createdAt
        entries = batch.entries.map {
            Entry(id: $0.id, enteredBy: $0.enteredBy, enteredAt: $0.enteredAt, channel: $0.content.channel, eventId: $0.content.eventID,
                  signedAt: $0.content.signedAt, externalIds: $0.content.externalIDs, unidentified: $0.content.unidentified)
        }
        let found = batch.discrepancies
        discrepancies = Discrepancies(externalIds: found.externalIDs, fields: found.fields)
        if authority == .hrAdmin, let outcome = batch.outcome {
            self.outcome = Outcome(entryId: outcome.entryID, how: outcome.how, confirmedBy: outcome.confirmedBy, confirmedAt: outcome.confirmedAt,
                                   signed: outcome.signed, alreadySigned: outcome.alreadySigned, refused: outcome.refusedIDs,
                                   anonymous: outcome.anonymous, refusedErased: outcome.refusedErased)
        }
    }
}

struct PaperBatchList: ResponseEncodable {
    var batches: [PaperBatchResponse]
}

struct PaperTallyResponse: ResponseEncodable {
    struct Line: Encodable {
        var eventId: UUID?
        var batches: Int
        var signed: Int
        var alreadySigned: Int
        var refused: Int
        var anonymous: Int
    }

    /// Named signatures counted from confirmed batches (they are ordinary signatures: in participation).
    var signed: Int
    var alreadySigned: Int
    var refused: Int
    /// Signers not in the HR file: a separate tally, never in participation.
    var anonymous: Int
    var confirmed: Int
    var pending: Int
    var disputed: Int
    var byEvent: [Line]

    init(_ tally: PaperTally) {
        signed = tally.signed
        alreadySigned = tally.alreadySigned
        refused = tally.refused
        anonymous = tally.anonymous
        confirmed = tally.confirmed
        pending = tally.pending
        disputed = tally.disputed
        byEvent = tally.lines.map {
            Line(eventId: $0.eventID, batches: $0.batches, signed: $0.signed, alreadySigned: $0.alreadySigned, refused: $0.refused,
                 anonymous: $0.anonymous)
        }
    }
}
