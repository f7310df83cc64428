import Foundation
import MobiliseDomain
import Postgres

/// Events, RSVPs with a waiting list, and attendance check-in.
///
/// Every change to an event's RSVPs first locks the event's row (`SELECT … FOR UPDATE`) in its
/// transaction. Changes to one event are therefore served one at a time, in the order they got the
/// lock: that keeps `going` within the capacity however many employees answer at once, and makes
/// `requested_at` the fair order of the waiting list.
extension MobiliseStore {
    /// Creates an event of a campaign that is not closed or archived, hosted by an active employee,
    /// and records it in the audit log.
    ///
    /// Refusals: `.invalid` for a draft that breaks a rule (see ``EventDraft/validated()``) or an
    /// unknown country (`unknown_country`); `.notFound` when the campaign is not the organisation's;
    /// `.unprocessable` when the campaign is closed or archived (`campaign_not_open`) or the host is
    /// not an active employee (`host_not_found`, `host_inactive`).
    public func createEvent(organisationID: UUID, campaignID: UUID, _ draft: EventDraft, actor: Actor) async throws -> Event {
        let draft = try draft.validated()
        return try await pool.withTransaction { connection in
            // Share-locked so the campaign cannot close while one of its events is being added.
            let status = try connection.query("""
                SELECT status FROM campaigns WHERE organisation_id = \(organisationID) AND id = \(campaignID) FOR SHARE
                """).scalar(String.self)
            guard let status else {
                throw MobiliseError(.notFound, code: .campaignNotFound, "no such campaign in this organisation")
            }
            guard status == "draft" || status == "active" else {
                throw MobiliseError(.unprocessable, code: .campaignNotOpen, "the campaign is \(status): it takes no new events")
            }
            guard try connection.query("SELECT 1 FROM countries WHERE alpha2 = \(draft.country)").count == 1 else {
                throw MobiliseError(.invalid, code: .unknownCountry, "'\(draft.country)' is not a known country code")
            }
            let hostActive = try connection.query("""
                SELECT active FROM employees WHERE organisation_id = \(organisationID) AND external_id = \(draft.hostExternalID)
                """).scalar(Bool.self)
            guard let hostActive else {
                throw MobiliseError(.unprocessable, code: .hostNotFound, "the host '\(draft.hostExternalID)' is not an employee of the organisation")
            }
            guard hostActive else {
                throw MobiliseError(.unprocessable, code: .hostInactive, "the host '\(draft.hostExternalID)' is no longer an active employee")
            }
            let row = try connection.query("""
                INSERT INTO events (organisation_id, campaign_id, title, kind, country, city, starts_at, ends_at, capacity, host_external_id)
                VALUES (\(organisationID), \(campaignID), \(draft.title), \(draft.kind.rawValue), \(draft.country), \(draft.city),
                        \(draft.startsAt), \(draft.endsAt), \(draft.capacity), \(draft.hostExternalID))
                RETURNING id
                """)[0]
            let id = try row.decode(UUID.self, column: "id")
            var details = [
                "campaign_id": campaignID.uuidString, "title": draft.title, "kind": draft.kind.rawValue, "country": draft.country,
                "starts_at": draft.startsAt.formatted(.iso8601), "ends_at": draft.endsAt.formatted(.iso8601),
                "host": draft.hostExternalID,
            ]
            if let capacity = draft.capacity { details["capacity"] = String(capacity) }
            try MobiliseStore.audit(connection, organisationID: organisationID, actor: actor, action: "event.create",
                                    subject: id.uuidString, details: details)
            // Read back, so the times are exactly those stored (to the microsecond).
            guard let event = try Self.fetchEvent(connection, organisationID: organisationID, eventID: id) else {
                throw PostgresError(kind: .client, message: "the event just inserted was not found")
            }
            return event
        }
    }

    /// A campaign's events by start time, with their counts (never who is coming), a page at a time.
    /// - Parameters:
    ///   - upcomingOnly: leave out events that have ended.
    ///   - after: the `nextCursor` of the previous page (opaque), nil for the first page.
    ///   - limit: events per page, 1 to 200 (clamped).
    /// - Returns: the page and the cursor of the next one (nil on the last page).
    public func events(
        organisationID: UUID, campaignID: UUID, upcomingOnly: Bool = false, after cursor: String? = nil, limit: Int = 100
    ) async throws -> (events: [Event], nextCursor: String?) {
        let limit = min(max(limit, 1), 200)
        let position = try cursor.map(PageCursor.init(encoded:)) ?? .oldestFirst
        return try await pool.withConnection { connection in
            guard try connection.query("""
                SELECT 1 FROM campaigns WHERE organisation_id = \(organisationID) AND id = \(campaignID)
                """).count == 1 else {
                throw MobiliseError(.notFound, code: .campaignNotFound, "no such campaign in this organisation")
            }
            let events = try connection.query("""
                \(unsafeSQL: Self.eventSelect)
                WHERE e.organisation_id = \(organisationID) AND e.campaign_id = \(campaignID)
                  AND (NOT \(upcomingOnly) OR e.ends_at > now())
                  AND (e.starts_at, e.id) > (\(position.instant), \(position.id))
                GROUP BY e.organisation_id, e.id
                ORDER BY e.starts_at, e.id
                LIMIT \(limit + 1)
                """).rows.map(Self.decodeEvent)
            let page = PageCursor.page(events, limit: limit) { PageCursor(instant: $0.startsAt, id: $0.id) }
            return (page.rows, page.next)
        }
    }

    /// One event of the organisation, with its counts; `.notFound` when there is none.
    public func event(organisationID: UUID, eventID: UUID) async throws -> Event {
        let found = try await pool.withConnection { connection in
            try Self.fetchEvent(connection, organisationID: organisationID, eventID: eventID)
        }
        guard let found else { throw Self.eventNotFound }
        return found
    }

    /// Answers "I'm coming": `going` while the event has room, else `waiting` with a place in the
    /// queue. Asking again returns the current status and changes nothing.
    ///
    /// Events are open to every active employee of the organisation, whatever the campaign's signing
    /// audience (a HeForShe breakfast welcomes the women who are not asked to sign).
    ///
    /// Refusals: `.notFound` for an unknown event or employee, and for an event of a draft campaign
    /// (employees never see drafts); `.forbidden` when the employee is not active (`employee_inactive`);
    /// `.unprocessable` when the campaign is closed or archived (`campaign_not_active`) or the event
    /// has ended (`event_over`).
    public func rsvp(organisationID: UUID, eventID: UUID, employee externalID: String) async throws -> RSVPStatus {
        try await pool.withTransaction(attempts: 3) { connection in
            let event = try Self.lockEvent(connection, organisationID: organisationID, eventID: eventID)
            let employee = try Self.employee(connection, organisationID: organisationID, externalID: externalID)
            guard employee.active else {
                throw MobiliseError(.forbidden, code: .employeeInactive, "'\(externalID)' is no longer an active employee")
            }
            guard event.campaignStatus != .draft else { throw Self.eventNotFound }
            guard event.campaignStatus == .active else {
                throw MobiliseError(.unprocessable, code: .campaignNotActive, "this campaign is \(event.campaignStatus.rawValue): its events take no RSVPs")
            }
            if let current = try Self.rsvpStatus(connection, organisationID: organisationID, eventID: eventID, employeeID: employee.id) {
                return current
            }
            guard !event.isOver else { throw MobiliseError(.unprocessable, code: .eventOver, "the event has ended") }
            let going = try Self.goingCount(connection, organisationID: organisationID, eventID: eventID)
            let hasRoom = event.capacity.map { going < $0 } ?? true
            try connection.execute("""
                INSERT INTO event_rsvps (organisation_id, event_id, employee_id, status)
                VALUES (\(organisationID), \(eventID), \(employee.id), \(hasRoom ? "going" : "waiting"))
                """)
            guard let status = try Self.rsvpStatus(connection, organisationID: organisationID, eventID: eventID, employeeID: employee.id) else {
                throw PostgresError(kind: .client, message: "the RSVP just inserted was not found")
            }
            return status
        }
    }

    /// Withdraws an employee's RSVP. When it had a place, the first waiting active employee gets it
    /// (returned, to be notified). Without an RSVP nothing happens (`cancelled` is nil).
    ///
    /// Refusals: `.notFound` for an unknown event or employee; `.conflict` once checked in
    /// (`already_checked_in`: attendance is a record); `.unprocessable` after the event (`event_over`).
    public func cancelRSVP(organisationID: UUID, eventID: UUID, employee externalID: String) async throws -> RSVPCancellation {
        try await pool.withTransaction(attempts: 3) { connection in
            let event = try Self.lockEvent(connection, organisationID: organisationID, eventID: eventID)
            let employee = try Self.employee(connection, organisationID: organisationID, externalID: externalID)
            let checkedIn = try connection.query("""
                SELECT checked_in_at IS NOT NULL FROM event_rsvps
                WHERE organisation_id = \(organisationID) AND event_id = \(eventID) AND employee_id = \(employee.id)
                """).scalar(Bool.self)
            guard let checkedIn else { return RSVPCancellation(cancelled: nil, promoted: nil) }
            guard !checkedIn else {
                throw MobiliseError(.conflict, code: .alreadyCheckedIn, "the attendee has been checked in: the RSVP stays")
            }
            guard !event.isOver else { throw MobiliseError(.unprocessable, code: .eventOver, "the event has ended") }
            let cancelled = try Self.rsvpStatus(connection, organisationID: organisationID, eventID: eventID, employeeID: employee.id)
            try connection.execute("""
                DELETE FROM event_rsvps WHERE organisation_id = \(organisationID) AND event_id = \(eventID) AND employee_id = \(employee.id)
                """)
            var promoted: EmployeeReference?
            if cancelled == .going, let capacity = event.capacity,
               try Self.goingCount(connection, organisationID: organisationID, eventID: eventID) < capacity {
                // Employees who left while waiting are passed over (their RSVP stays, unpromoted).
                promoted = try connection.query("""
                    WITH first AS (
                        SELECT r.employee_id, e.external_id FROM event_rsvps r
                        JOIN employees e ON e.organisation_id = r.organisation_id AND e.id = r.employee_id
                        WHERE r.organisation_id = \(organisationID) AND r.event_id = \(eventID) AND r.status = 'waiting' AND e.active
                        ORDER BY r.requested_at, r.employee_id
                        LIMIT 1
                    )
                    UPDATE event_rsvps r SET status = 'going' FROM first
                    WHERE r.organisation_id = \(organisationID) AND r.event_id = \(eventID) AND r.employee_id = first.employee_id
                    RETURNING r.employee_id, first.external_id
                    """).rows.first.map { row in
                    EmployeeReference(id: try row.decode(UUID.self, column: "employee_id"),
                                      externalID: try row.decode(String.self, column: "external_id"))
                }
            }
            return RSVPCancellation(cancelled: cancelled, promoted: promoted)
        }
    }

    /// Checks attendees in, in bulk: the event's host at the door, or an HR admin recording
    /// attendance (the HTTP layer decides who is which; ``CheckInRules`` says what each may do).
    ///
    /// Each HR id is checked in once: checking in again keeps the first time. A `going` RSVP is
    /// checked in. Someone on the waiting list, and (HR admins only) a walk-in without an RSVP, is
    /// checked in as `going` only while a place is free, in the order given: check-in never takes
    /// `going` past the capacity (the others are `full`). A host checks in only those who RSVP'd:
    /// any other id is `notRegistered`. Unknown and inactive ids are reported in the result, not
    /// thrown. One audit entry (`event.check_in`) records the batch's counts.
    ///
    /// Refusals: `.notFound` `event_not_found`; `.tooLarge` `batch_too_large` beyond
    /// ``CheckInRules/maximumBatch(for:)``; `.unprocessable` `check_in_not_open`, `check_in_closed`
    /// outside the check-in window (``CheckInRules/refusal(at:startsAt:endsAt:for:)``).
    public func checkIn(
        organisationID: UUID, eventID: UUID, externalIDs: [String], actor: Actor, by authority: CheckInAuthority
    ) async throws -> CheckInReport {
        let maximum = CheckInRules.maximumBatch(for: authority)
        guard externalIDs.count <= maximum else {
            throw MobiliseError(.tooLarge, code: .batchTooLarge, "at most \(maximum) attendees per check-in batch (got \(externalIDs.count))")
        }
        var seen: Set<String> = []
        let ids = externalIDs.filter { seen.insert($0).inserted }
        return try await pool.withTransaction(attempts: 3) { connection in
            let event = try Self.lockEvent(connection, organisationID: organisationID, eventID: eventID)
            if let refusal = CheckInRules.refusal(at: event.now, startsAt: event.startsAt, endsAt: event.endsAt, for: authority) {
                throw refusal
            }
            var going = try Self.goingCount(connection, organisationID: organisationID, eventID: eventID)
            let rows = try connection.query("""
                SELECT x.external_id, e.id AS employee_id, e.active, r.status, r.checked_in_at IS NOT NULL AS checked_in
                FROM unnest(\(ids)::text[]) WITH ORDINALITY AS x (external_id, n)
                LEFT JOIN employees e ON e.organisation_id = \(organisationID) AND e.external_id = x.external_id
                LEFT JOIN event_rsvps r ON r.organisation_id = \(organisationID) AND r.event_id = \(eventID) AND r.employee_id = e.id
                ORDER BY x.n
                """).rows
            var results: [CheckInResult] = []
            var withRSVP: [UUID] = []
            var walkIns: [UUID] = []
            for row in rows {
                let externalID = try row.decode(String.self, column: "external_id")
                let outcome: CheckInOutcome
                if let employeeID = try row.decode(UUID?.self, column: "employee_id") {
                    let status = try row.decode(String?.self, column: "status")
                    let hasRoom = event.capacity.map { going < $0 } ?? true
                    if status != nil, try row.decode(Bool.self, column: "checked_in") {
                        outcome = .alreadyCheckedIn
                    } else if try !row.decode(Bool.self, column: "active") {
                        outcome = .inactive
                    } else if status == "going" {
                        outcome = .checkedIn
                        withRSVP.append(employeeID)
                    } else if status == nil, authority == .host {
                        outcome = .notRegistered
                    } else if !hasRoom {
                        outcome = .full
                    } else if status == nil {
                        outcome = .walkIn
                        walkIns.append(employeeID)
                        going += 1
                    } else {
                        outcome = .checkedIn  // from the waiting list, into a free place
                        withRSVP.append(employeeID)
                        going += 1
                    }
                } else {
                    outcome = .unknown
                }
                results.append(CheckInResult(externalID: externalID, outcome: outcome))
            }
            try connection.execute("""
                UPDATE event_rsvps SET status = 'going', checked_in_at = now()
                WHERE organisation_id = \(organisationID) AND event_id = \(eventID) AND employee_id = ANY(\(withRSVP))
                  AND checked_in_at IS NULL
                """)
            try connection.execute("""
                INSERT INTO event_rsvps (organisation_id, event_id, employee_id, status, checked_in_at)
                SELECT \(organisationID), \(eventID), walk_in, 'going', now() FROM unnest(\(walkIns)::uuid[]) AS walk_in
                """)
            let report = CheckInReport(results)
            var details = report.auditDetails
            details["by"] = authority.rawValue
            try MobiliseStore.audit(connection, organisationID: organisationID, actor: actor, action: "event.check_in",
                                    subject: eventID.uuidString, details: details)
            return report
        }
    }

    /// The campaign and country of an event of the organisation, for recording a signature made
    /// there (channel `event`); nil when there is no such event. Runs on the caller's connection,
    /// inside its transaction.
    public static func eventForSigning(_ connection: PostgresConnection, organisationID: UUID, eventID: UUID) throws -> EventSigningContext? {
        try connection.query("""
            SELECT campaign_id, country FROM events WHERE organisation_id = \(organisationID) AND id = \(eventID)
            """).rows.first.map { row in
            EventSigningContext(campaignID: try row.decode(UUID.self, column: "campaign_id"),
                                country: try row.decode(String.self, column: "country"))
        }
    }

    // MARK: - Helpers

    private static let eventNotFound = MobiliseError(.notFound, code: .eventNotFound, "no such event in this organisation")

    /// Events with their counts; the caller adds WHERE and GROUP BY e.organisation_id, e.id.
    private static let eventSelect = """
        SELECT e.id, e.organisation_id, e.campaign_id, e.title, e.kind, e.country, e.city, e.starts_at, e.ends_at,
               e.capacity, e.host_external_id, e.created_at,
               count(r.employee_id) FILTER (WHERE r.status = 'going') AS going,
               count(r.employee_id) FILTER (WHERE r.status = 'waiting') AS waiting,
               count(r.employee_id) FILTER (WHERE r.checked_in_at IS NOT NULL) AS checked_in
        FROM events e
        LEFT JOIN event_rsvps r ON r.organisation_id = e.organisation_id AND r.event_id = e.id
        """

    private static func fetchEvent(_ connection: PostgresConnection, organisationID: UUID, eventID: UUID) throws -> Event? {
        try connection.query("""
            \(unsafeSQL: eventSelect)
            WHERE e.organisation_id = \(organisationID) AND e.id = \(eventID)
            GROUP BY e.organisation_id, e.id
            """).rows.first.map(decodeEvent)
    }

    private static func decodeEvent(_ row: PostgresRow) throws -> Event {
        let kindText = try row.decode(String.self, column: "kind")
        guard let kind = EventKind(rawValue: kindText) else { throw try row.cell("kind").malformed(as: EventKind.self) }
        return Event(
            id: try row.decode(UUID.self, column: "id"),
            organisationID: try row.decode(UUID.self, column: "organisation_id"),
            campaignID: try row.decode(UUID.self, column: "campaign_id"),
            title: try row.decode(String.self, column: "title"),
            kind: kind,
            country: try row.decode(String.self, column: "country"),
            city: try row.decode(String?.self, column: "city"),
            startsAt: try row.decode(Date.self, column: "starts_at"),
            endsAt: try row.decode(Date.self, column: "ends_at"),
            capacity: try row.decode(Int?.self, column: "capacity"),
            hostExternalID: try row.decode(String.self, column: "host_external_id"),
            createdAt: try row.decode(Date.self, column: "created_at"),
            counts: EventCounts(
                going: try row.decode(Int.self, column: "going"),
                waiting: try row.decode(Int.self, column: "waiting"),
                checkedIn: try row.decode(Int.self, column: "checked_in")))
    }

    /// Locks the event's row until the end of the transaction; `.notFound` when there is none.
    /// `now` is the transaction's time, as the database gives it.
    private static func lockEvent(
        _ connection: PostgresConnection, organisationID: UUID, eventID: UUID
    ) throws -> (campaignStatus: CampaignStatus, capacity: Int?, isOver: Bool, startsAt: Date, endsAt: Date, now: Date) {
        let rows = try connection.query("""
            SELECT c.status, e.capacity, e.ends_at <= now() AS is_over, e.starts_at, e.ends_at, now() AS now
            FROM events e JOIN campaigns c ON c.organisation_id = e.organisation_id AND c.id = e.campaign_id
            WHERE e.organisation_id = \(organisationID) AND e.id = \(eventID)
            FOR UPDATE OF e
            """).rows
        guard let row = rows.first else { throw eventNotFound }
        return (try row.decode(CampaignStatus.self, column: "status"), try row.decode(Int?.self, column: "capacity"),
                try row.decode(Bool.self, column: "is_over"), try row.decode(Date.self, column: "starts_at"),
                try row.decode(Date.self, column: "ends_at"), try row.decode(Date.self, column: "now"))
    }

    /// The employee with this HR id; `.notFound` when there is none.
    private static func employee(
        _ connection: PostgresConnection, organisationID: UUID, externalID: String
    ) throws -> (id: UUID, active: Bool) {
        let rows = try connection.query("""
            SELECT id, active FROM employees WHERE organisation_id = \(organisationID) AND external_id = \(externalID)
            """).rows
        guard let row = rows.first else {
            throw MobiliseError(.notFound, code: .employeeNotFound, "no employee '\(externalID)' in this organisation")
        }
        return (try row.decode(UUID.self, column: "id"), try row.decode(Bool.self, column: "active"))
    }

    /// An employee's RSVP status, with the waiting position counted by (requested_at, employee_id).
    private static func rsvpStatus(
        _ connection: PostgresConnection, organisationID: UUID, eventID: UUID, employeeID: UUID
    ) throws -> RSVPStatus? {
        let rows = try connection.query("""
            SELECT r.status,
                   (SELECT count(*) FROM event_rsvps w
                    WHERE w.organisation_id = r.organisation_id AND w.event_id = r.event_id AND w.status = 'waiting'
                      AND (w.requested_at, w.employee_id) <= (r.requested_at, r.employee_id)) AS position
            FROM event_rsvps r
            WHERE r.organisation_id = \(organisationID) AND r.event_id = \(eventID) AND r.employee_id = \(employeeID)
            """).rows
        guard let row = rows.first else { return nil }
        switch try row.decode(String.self, column: "status") {
        case "going": return .going
        case "waiting": return .waiting(position: try row.decode(Int.self, column: "position"))
        default: throw try row.cell("status").malformed(as: RSVPStatus.self)
        }
    }

    private static func goingCount(_ connection: PostgresConnection, organisationID: UUID, eventID: UUID) throws -> Int {
        try connection.query("""
            SELECT count(*) FROM event_rsvps WHERE organisation_id = \(organisationID) AND event_id = \(eventID) AND status = 'going'
            """).scalar(Int.self) ?? 0
    }
}
