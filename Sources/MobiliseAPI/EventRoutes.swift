import Foundation
import Hummingbird
import MobiliseDomain
import MobiliseStore

/// Events: listing, creating, RSVPs and check-in.
struct EventRoutes {
    let environment: APIEnvironment
    var store: MobiliseStore { environment.store }

    func register(on v1: RouterGroup<AuthenticatedContext>) {
        v1.get("campaigns/:id/events", use: list)
        v1.post("campaigns/:id/events", use: create)
        v1.put("events/:event/rsvp", use: rsvp)
        v1.delete("events/:event/rsvp", use: cancel)
        v1.post("events/:event/check-ins", use: checkIn)
    }

    /// Upcoming events first; `?upcoming=false` for all. Counts only, never who is going. For those
    /// who may read the campaign (``APIEnvironment/readableCampaign(_:reference:)``). A page at a time
    /// (`cursor`, `limit`).
    @Sendable func list(_ request: Request, context: AuthenticatedContext) async throws -> EventList {
        let caller = context.identity
        let campaign = try await environment.readableCampaign(caller, reference: try context.campaignReference())
        let upcomingOnly = request.query("upcoming") != "false"
        let page = try await store.events(
            organisationID: caller.organisation.id, campaignID: campaign.id, upcomingOnly: upcomingOnly, after: request.query("cursor"),
            limit: try request.integer("limit", in: 1...200) ?? 100)
        var events = page.events.map(EventResponse.init)
        // A leader (not an HR admin) sees each count rounded as the rankings' are and held to the
        // same published instants (PRIVACY.md): an RSVP asked for does not show as a +1.
        if caller.has(.leader), !caller.has(.hrAdmin) {
            let rounding = try await store.countRounding(
                organisationID: caller.organisation.id, campaignID: campaign.id, publication: environment.configuration.leaderPublication)
            events = events.map { $0.published(by: rounding) }
            try await store.storePublications(organisationID: caller.organisation.id, campaignID: campaign.id, ledger: rounding.ledger)
        }
        return EventList(events: events, nextCursor: page.nextCursor)
    }

    @Sendable func create(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let caller = context.identity
        try caller.require(.hrAdmin)
        let campaign = try await store.campaign(organisationID: caller.organisation.id, reference: try context.campaignReference())
        let input = try await request.json(EventInput.self, context: context, limit: environment.configuration.maxBodySize)
        let event = try await store.createEvent(organisationID: caller.organisation.id, campaignID: campaign.id, input.draft, actor: caller.actor)
        return try jsonResponse(EventResponse(event), status: .created)
    }

    @Sendable func rsvp(_ request: Request, context: AuthenticatedContext) async throws -> RSVPResponse {
        let caller = context.identity
        _ = try await environment.activeEmployee(caller)
        return RSVPResponse(try await store.rsvp(
            organisationID: caller.organisation.id, eventID: try context.uuid("event", what: "event", notFound: .eventNotFound), employee: caller.subject))
    }

    @Sendable func cancel(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let caller = context.identity
        _ = try await environment.activeEmployee(caller)
        _ = try await store.cancelRSVP(
            organisationID: caller.organisation.id, eventID: try context.uuid("event", what: "event", notFound: .eventNotFound), employee: caller.subject)
        return Response(status: .noContent)
    }

    /// Bulk check-in by an HR admin or the event's host (an active employee). Rate-limited per
    /// caller like signing and posting. A host is answered with counts only (see ``CheckInResponse``).
    @Sendable func checkIn(_ request: Request, context: AuthenticatedContext) async throws -> CheckInResponse {
        let caller = context.identity
        try environment.employeeLimiter.check(EmployeeKey(organisation: caller.organisation.id, subject: caller.subject), what: "requests")
        let eventID = try context.uuid("event", what: "event", notFound: .eventNotFound)
        let event = try await store.event(organisationID: caller.organisation.id, eventID: eventID)
        let authority: CheckInAuthority
        if caller.has(.hrAdmin) {
            authority = .hrAdmin
        } else if caller.has(.employee), event.hostExternalID == caller.subject {
            _ = try await environment.activeEmployee(caller)  // a host who has left checks no one in
            authority = .host
        } else {
            throw APIError(.forbidden, code: .forbidden, "only HR admins and the event's host check people in")
        }
        let input = try await request.json(CheckInInput.self, context: context, limit: environment.configuration.maxBodySize)
        let report = try await store.checkIn(
            organisationID: caller.organisation.id, eventID: eventID, externalIDs: input.externalIds, actor: caller.actor, by: authority)
        return CheckInResponse(report, for: authority)
    }
}
