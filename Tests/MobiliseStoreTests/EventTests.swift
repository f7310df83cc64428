import Foundation
import MobiliseDomain
import MobiliseStore
import MobiliseTesting
import Postgres
import Testing

@Suite struct EventTests {
    let host = Actor("hr-admin")

    /// An organisation with an active campaign, an active host `host` and the given employees.
    struct Fixture {
        let organisationID: UUID
        let campaignID: UUID
    }

    func fixture(_ store: MobiliseStore, slug: String = "acme", employees: [String] = [], inactive: [String] = []) async throws -> Fixture {
        let organisation = try await store.createOrganisation(slug: slug, name: "Acme")
        let campaignID = try await insertCampaign(store, organisationID: organisation.id, status: "active")
        try await insertEmployees(store, organisationID: organisation.id, ["host"] + employees, active: true)
        try await insertEmployees(store, organisationID: organisation.id, inactive, active: false)
        return Fixture(organisationID: organisation.id, campaignID: campaignID)
    }

    func insertCampaign(_ store: MobiliseStore, organisationID: UUID, status: String, slug: String = "heforshe") async throws -> UUID {
        let id = try await store.pool.query("""
            INSERT INTO campaigns (organisation_id, slug, hashtag, title, pledge_text, status, starts_at, ends_at)
            VALUES (\(organisationID), \(slug), '#HeForShe', '{"en":"HeForShe"}'::jsonb, '{"en":"I pledge"}'::jsonb, \(status),
                    now() - interval '1 day', now() + interval '30 days')
            RETURNING id
            """).scalar(UUID.self)
        return try #require(id)
    }

    func insertEmployees(_ store: MobiliseStore, organisationID: UUID, _ externalIDs: [String], active: Bool) async throws {
        try await store.pool.execute("""
            INSERT INTO employees (organisation_id, external_id, country, active)
            SELECT \(organisationID), unnest(\(externalIDs)::text[]), 'FR', \(active)
            """)
    }

    func draft(
        _ title: String = "Breakfast", kind: EventKind = .city, country: String = "FR", city: String? = "Grenoble",
        startsIn hours: Double = 24, lasting duration: Double = 2, capacity: Int? = nil, host: String = "host"
    ) -> EventDraft {
        let start = Date().addingTimeInterval(hours * 3600)
        return EventDraft(title: title, kind: kind, country: country, city: city, startsAt: start,
                          endsAt: start.addingTimeInterval(duration * 3600), capacity: capacity, hostExternalID: host)
    }

    func expectRefusal(
        _ kind: MobiliseError.Kind, _ code: String, sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () async throws -> Void
    ) async {
        let error = await #expect(throws: MobiliseError.self, sourceLocation: sourceLocation) { try await body() }
        #expect(error?.kind == kind, sourceLocation: sourceLocation)
        #expect(error?.code.rawValue == code, sourceLocation: sourceLocation)
    }

    // MARK: - Events

    @Test func createsListsAndGetsEvents() async throws {
        try await TestDatabase.withStore { store in
            let f = try await fixture(store)
            let later = try await store.createEvent(
                organisationID: f.organisationID, campaignID: f.campaignID, draft("Town hall", startsIn: 48, capacity: 50), actor: host)
            let online = try await store.createEvent(
                organisationID: f.organisationID, campaignID: f.campaignID, draft("Webinar", kind: .online, country: "in", city: nil), actor: host)
            let past = try await store.createEvent(
                organisationID: f.organisationID, campaignID: f.campaignID, draft("Last week", startsIn: -170), actor: host)

            #expect(online.kind == .online)
            #expect(online.city == nil)
            #expect(online.country == "IN")
            #expect(online.capacity == nil)
            #expect(later.capacity == 50)
            #expect(later.counts == .zero)
            #expect(later.campaignID == f.campaignID)
            #expect(later.hostExternalID == "host")

            let all = try await store.events(organisationID: f.organisationID, campaignID: f.campaignID).events
            #expect(all.map(\.id) == [past.id, online.id, later.id])
            let upcoming = try await store.events(organisationID: f.organisationID, campaignID: f.campaignID, upcomingOnly: true).events
            #expect(upcoming.map(\.id) == [online.id, later.id])

            #expect(try await store.event(organisationID: f.organisationID, eventID: later.id) == later)
            #expect(all.last == later)
        }
    }

    @Test func refusesBadEvents() async throws {
        try await TestDatabase.withStore { store in
            let f = try await fixture(store, inactive: ["gone"])
            let org = f.organisationID
            let campaign = f.campaignID
            await expectRefusal(.unprocessable, "host_inactive") {
                _ = try await store.createEvent(organisationID: org, campaignID: campaign, draft(host: "gone"), actor: host)
            }
            await expectRefusal(.unprocessable, "host_not_found") {
                _ = try await store.createEvent(organisationID: org, campaignID: campaign, draft(host: "nobody"), actor: host)
            }
            await expectRefusal(.invalid, "unknown_country") {
                _ = try await store.createEvent(organisationID: org, campaignID: campaign, draft(country: "ZZ"), actor: host)
            }
            await expectRefusal(.invalid, "invalid_time_range") {
                _ = try await store.createEvent(organisationID: org, campaignID: campaign, draft(lasting: -1), actor: host)
            }
            await expectRefusal(.invalid, "city_required") {
                _ = try await store.createEvent(organisationID: org, campaignID: campaign, draft(kind: .village, city: nil), actor: host)
            }
            await expectRefusal(.invalid, "invalid_capacity") {
                _ = try await store.createEvent(organisationID: org, campaignID: campaign, draft(capacity: 0), actor: host)
            }
            for status in ["closed", "archived"] {
                let closed = try await insertCampaign(store, organisationID: org, status: status, slug: "old-\(status)")
                await expectRefusal(.unprocessable, "campaign_not_open") {
                    _ = try await store.createEvent(organisationID: org, campaignID: closed, draft(), actor: host)
                }
            }
            let draftCampaign = try await insertCampaign(store, organisationID: org, status: "draft", slug: "next")
            _ = try await store.createEvent(organisationID: org, campaignID: draftCampaign, draft(), actor: host)

            // Another organisation's campaign and event are not found.
            let other = try await fixture(store, slug: "other", employees: ["x1"])
            let theirs = try await store.createEvent(organisationID: other.organisationID, campaignID: other.campaignID, draft(), actor: host)
            await expectRefusal(.notFound, "campaign_not_found") {
                _ = try await store.createEvent(organisationID: org, campaignID: other.campaignID, draft(), actor: host)
            }
            await expectRefusal(.notFound, "campaign_not_found") {
                _ = try await store.events(organisationID: org, campaignID: other.campaignID)
            }
            await expectRefusal(.notFound, "event_not_found") { _ = try await store.event(organisationID: org, eventID: theirs.id) }
            await expectRefusal(.notFound, "event_not_found") {
                _ = try await store.rsvp(organisationID: org, eventID: theirs.id, employee: "host")
            }
            await expectRefusal(.notFound, "event_not_found") {
                _ = try await store.checkIn(organisationID: org, eventID: theirs.id, externalIDs: ["host"], actor: host, by: .hrAdmin)
            }
            // Their employee is not ours either.
            let ours = try await store.createEvent(organisationID: org, campaignID: campaign, draft(), actor: host)
            await expectRefusal(.notFound, "employee_not_found") {
                _ = try await store.rsvp(organisationID: org, eventID: ours.id, employee: "x1")
            }
            let events = try await store.events(organisationID: org, campaignID: campaign).events
            #expect(events.map(\.id) == [ours.id])
        }
    }

    // MARK: - RSVPs

    @Test func aFullEventKeepsAWaitingListAndPromotesOnCancellation() async throws {
        try await TestDatabase.withStore { store in
            let f = try await fixture(store, employees: ["e1", "e2", "e3", "e4"])
            let event = try await store.createEvent(
                organisationID: f.organisationID, campaignID: f.campaignID, draft(capacity: 2), actor: host)
            func rsvp(_ who: String) async throws -> RSVPStatus {
                try await store.rsvp(organisationID: f.organisationID, eventID: event.id, employee: who)
            }
            #expect(try await rsvp("e1") == .going)
            #expect(try await rsvp("e2") == .going)
            #expect(try await rsvp("e3") == .waiting(position: 1))
            #expect(try await rsvp("e4") == .waiting(position: 2))
            #expect(try await store.event(organisationID: f.organisationID, eventID: event.id).counts
                    == EventCounts(going: 2, waiting: 2, checkedIn: 0))

            let cancellation = try await store.cancelRSVP(organisationID: f.organisationID, eventID: event.id, employee: "e1")
            #expect(cancellation.cancelled == .going)
            #expect(cancellation.promoted?.externalID == "e3")
            let e3 = try await store.pool.query("""
                SELECT id FROM employees WHERE organisation_id = \(f.organisationID) AND external_id = 'e3'
                """).scalar(UUID.self)
            #expect(cancellation.promoted?.id == e3)
            #expect(try await rsvp("e3") == .going)
            #expect(try await rsvp("e4") == .waiting(position: 1))
            #expect(try await store.event(organisationID: f.organisationID, eventID: event.id).counts
                    == EventCounts(going: 2, waiting: 1, checkedIn: 0))

            // A waiting one leaving frees no place: nobody is promoted.
            let left = try await store.cancelRSVP(organisationID: f.organisationID, eventID: event.id, employee: "e4")
            #expect(left == RSVPCancellation(cancelled: .waiting(position: 1), promoted: nil))
            // A going one leaving with nobody waiting: nobody is promoted either.
            let alone = try await store.cancelRSVP(organisationID: f.organisationID, eventID: event.id, employee: "e2")
            #expect(alone == RSVPCancellation(cancelled: .going, promoted: nil))
            #expect(try await store.event(organisationID: f.organisationID, eventID: event.id).counts
                    == EventCounts(going: 1, waiting: 0, checkedIn: 0))
        }
    }

    @Test func promotionPassesOverEmployeesWhoLeftWhileWaiting() async throws {
        try await TestDatabase.withStore { store in
            let f = try await fixture(store, employees: ["e1", "leaver", "e3"])
            let event = try await store.createEvent(
                organisationID: f.organisationID, campaignID: f.campaignID, draft(capacity: 1), actor: host)
            for employee in ["e1", "leaver", "e3"] {
                _ = try await store.rsvp(organisationID: f.organisationID, eventID: event.id, employee: employee)
            }
            try await store.pool.execute("""
                UPDATE employees SET active = false WHERE organisation_id = \(f.organisationID) AND external_id = 'leaver'
                """)
            let cancellation = try await store.cancelRSVP(organisationID: f.organisationID, eventID: event.id, employee: "e1")
            #expect(cancellation.promoted?.externalID == "e3")
            #expect(try await store.rsvp(organisationID: f.organisationID, eventID: event.id, employee: "e3") == .going)
        }
    }

    @Test func rsvpAndCancelAreIdempotent() async throws {
        try await TestDatabase.withStore { store in
            let f = try await fixture(store, employees: ["e1", "e2", "e3"])
            let event = try await store.createEvent(
                organisationID: f.organisationID, campaignID: f.campaignID, draft(capacity: 1), actor: host)
            #expect(try await store.rsvp(organisationID: f.organisationID, eventID: event.id, employee: "e1") == .going)
            #expect(try await store.rsvp(organisationID: f.organisationID, eventID: event.id, employee: "e1") == .going)
            #expect(try await store.rsvp(organisationID: f.organisationID, eventID: event.id, employee: "e2") == .waiting(position: 1))
            #expect(try await store.rsvp(organisationID: f.organisationID, eventID: event.id, employee: "e2") == .waiting(position: 1))
            let rows = try await store.pool.query("SELECT count(*) FROM event_rsvps WHERE event_id = \(event.id)").scalar(Int.self)
            #expect(rows == 2)

            let first = try await store.cancelRSVP(organisationID: f.organisationID, eventID: event.id, employee: "e2")
            #expect(first.cancelled == .waiting(position: 1))
            let second = try await store.cancelRSVP(organisationID: f.organisationID, eventID: event.id, employee: "e2")
            #expect(second == RSVPCancellation(cancelled: nil, promoted: nil))
            let never = try await store.cancelRSVP(organisationID: f.organisationID, eventID: event.id, employee: "e3")
            #expect(never == RSVPCancellation(cancelled: nil, promoted: nil))
            #expect(try await store.event(organisationID: f.organisationID, eventID: event.id).counts
                    == EventCounts(going: 1, waiting: 0, checkedIn: 0))
        }
    }

    @Test func twentyConcurrentRSVPsFillFivePlacesAndQueueTheRestInOrder() async throws {
        try await TestDatabase.withStore { store in
            let employees = (1...20).map { "e\($0)" }
            let f = try await fixture(store, employees: employees)
            let event = try await store.createEvent(
                organisationID: f.organisationID, campaignID: f.campaignID, draft(capacity: 5), actor: host)
            let statuses = try await withThrowingTaskGroup(of: RSVPStatus.self) { group in
                for employee in employees {
                    group.addTask { try await store.rsvp(organisationID: f.organisationID, eventID: event.id, employee: employee) }
                }
                var statuses: [RSVPStatus] = []
                for try await status in group { statuses.append(status) }
                return statuses
            }
            #expect(statuses.filter { $0 == .going }.count == 5)
            let positions = statuses.compactMap { status -> Int? in
                if case .waiting(let position) = status { return position }
                return nil
            }
            #expect(positions.sorted() == Array(1...15))
            #expect(try await store.event(organisationID: f.organisationID, eventID: event.id).counts
                    == EventCounts(going: 5, waiting: 15, checkedIn: 0))
            // Fair: every place went to an earlier request than any waiting one.
            let fair = try await store.pool.query("""
                SELECT max(requested_at) FILTER (WHERE status = 'going') < min(requested_at) FILTER (WHERE status = 'waiting')
                FROM event_rsvps WHERE event_id = \(event.id)
                """).scalar(Bool.self)
            #expect(fair == true)
        }
    }

    @Test func refusesRSVPsToPastEventsAndFromInactiveEmployees() async throws {
        try await TestDatabase.withStore { store in
            let f = try await fixture(store, employees: ["e1"], inactive: ["gone"])
            let past = try await store.createEvent(
                organisationID: f.organisationID, campaignID: f.campaignID, draft(startsIn: -3, lasting: 2), actor: host)
            await expectRefusal(.unprocessable, "event_over") {
                _ = try await store.rsvp(organisationID: f.organisationID, eventID: past.id, employee: "e1")
            }
            let future = try await store.createEvent(
                organisationID: f.organisationID, campaignID: f.campaignID, draft(), actor: host)
            await expectRefusal(.forbidden, "employee_inactive") {
                _ = try await store.rsvp(organisationID: f.organisationID, eventID: future.id, employee: "gone")
            }
            await expectRefusal(.notFound, "employee_not_found") {
                _ = try await store.rsvp(organisationID: f.organisationID, eventID: future.id, employee: "nobody")
            }
            // An event under way still takes RSVPs.
            let ongoing = try await store.createEvent(
                organisationID: f.organisationID, campaignID: f.campaignID, draft(startsIn: -1, lasting: 2), actor: host)
            #expect(try await store.rsvp(organisationID: f.organisationID, eventID: ongoing.id, employee: "e1") == .going)
        }
    }

    @Test func rsvpsAreTakenOnlyWhileTheCampaignIsActiveButFromAnyEmployee() async throws {
        try await TestDatabase.withStore { store in
            let f = try await fixture(store, employees: ["e1", "e2"])
            let event = try await store.createEvent(organisationID: f.organisationID, campaignID: f.campaignID, draft(), actor: host)
            // The pledge is asked of employees in Germany only; its events still welcome a French employee.
            try await store.pool.execute("UPDATE campaigns SET audience_countries = '{DE}' WHERE id = \(f.campaignID)")
            #expect(try await store.rsvp(organisationID: f.organisationID, eventID: event.id, employee: "e1") == .going)
            try await store.pool.execute("UPDATE campaigns SET status = 'closed' WHERE id = \(f.campaignID)")
            await expectRefusal(.unprocessable, "campaign_not_active") {
                _ = try await store.rsvp(organisationID: f.organisationID, eventID: event.id, employee: "e2")
            }
            // Employees never see a draft campaign, nor its events.
            let draftCampaign = try await insertCampaign(store, organisationID: f.organisationID, status: "draft", slug: "next-year")
            let draftEvent = try await store.createEvent(
                organisationID: f.organisationID, campaignID: draftCampaign, draft(), actor: host)
            await expectRefusal(.notFound, "event_not_found") {
                _ = try await store.rsvp(organisationID: f.organisationID, eventID: draftEvent.id, employee: "e1")
            }
            let rsvps = try await store.pool.query("SELECT count(*) FROM event_rsvps").scalar(Int.self)
            #expect(rsvps == 1)
        }
    }

    // MARK: - Check-in

    @Test func checksInABatchWithWalkInsUnknownAndInactiveIDs() async throws {
        try await TestDatabase.withStore { store in
            let f = try await fixture(store, employees: ["e1", "e2", "walker", "walker2"], inactive: ["gone"])
            let org = f.organisationID
            // Starts in half an hour: check-in is open.
            let event = try await store.createEvent(organisationID: org, campaignID: f.campaignID, draft(startsIn: 0.5, capacity: 3), actor: host)
            for employee in ["e1", "e2"] { _ = try await store.rsvp(organisationID: org, eventID: event.id, employee: employee) }

            let door = Actor("hr-1")
            let report = try await store.checkIn(
                organisationID: org, eventID: event.id, externalIDs: ["e1", "walker", "walker2", "ghost", "gone", "e1"], actor: door, by: .hrAdmin)
            #expect(report.results.map(\.externalID) == ["e1", "walker", "walker2", "ghost", "gone"])
            #expect(report.outcome(for: "e1") == .checkedIn)
            #expect(report.outcome(for: "walker") == .walkIn)  // the last free place
            #expect(report.outcome(for: "walker2") == .full)
            #expect(report.checkedIn == 2)
            #expect(report.walkIns == 1)
            #expect(report.full == 1)
            #expect(report.alreadyCheckedIn == 0)
            #expect(report.unknown == ["ghost"])
            #expect(report.inactive == ["gone"])
            #expect(report.refused == 2)
            #expect(try await store.event(organisationID: org, eventID: event.id).counts
                    == EventCounts(going: 3, waiting: 0, checkedIn: 2))

            let firstTime = try await store.pool.query("""
                SELECT r.checked_in_at FROM event_rsvps r JOIN employees e ON e.organisation_id = r.organisation_id AND e.id = r.employee_id
                WHERE r.event_id = \(event.id) AND e.external_id = 'e1'
                """).scalar(Date.self)

            let repeated = try await store.checkIn(organisationID: org, eventID: event.id, externalIDs: ["e1", "walker", "e2"], actor: door, by: .hrAdmin)
            #expect(repeated.alreadyCheckedIn == 2)
            #expect(repeated.checkedIn == 1)
            #expect(repeated.outcome(for: "e2") == .checkedIn)
            let keptTime = try await store.pool.query("""
                SELECT r.checked_in_at FROM event_rsvps r JOIN employees e ON e.organisation_id = r.organisation_id AND e.id = r.employee_id
                WHERE r.event_id = \(event.id) AND e.external_id = 'e1'
                """).scalar(Date.self)
            #expect(firstTime != nil)
            #expect(keptTime == firstTime)
            #expect(try await store.event(organisationID: org, eventID: event.id).counts
                    == EventCounts(going: 3, waiting: 0, checkedIn: 3))

            // Checked in is a record: the RSVP can no longer be cancelled.
            await expectRefusal(.conflict, "already_checked_in") {
                _ = try await store.cancelRSVP(organisationID: org, eventID: event.id, employee: "e1")
            }

            let log = try await store.auditLog(organisationID: org)
            let checkIns = log.filter { $0.action == "event.check_in" }
            #expect(checkIns.count == 2)
            #expect(checkIns.allSatisfy { $0.subject == event.id.uuidString && $0.actor == "hr-1" })
            #expect(checkIns.last?.details == ["checked_in": "2", "walk_ins": "1", "already_checked_in": "0", "full": "1",
                                               "not_registered": "0", "unknown": "1", "inactive": "1", "by": "hr_admin"])
            #expect(checkIns.first?.details["already_checked_in"] == "2")
            let creation = log.first { $0.action == "event.create" && $0.subject == event.id.uuidString }
            #expect(creation?.actor == "hr-admin")
            #expect(creation?.details["campaign_id"] == f.campaignID.uuidString)
            #expect(creation?.details["capacity"] == "3")
        }
    }

    /// Issue 18 (10): walk-ins and the waiting list once took `going` past the capacity at the
    /// door, silently. Now they take a free place, in the order given, or are reported `full`.
    @Test func checkInNeverTakesGoingPastTheCapacity() async throws {
        try await TestDatabase.withStore { store in
            let f = try await fixture(store, employees: ["e1", "e2", "e3", "walker"])
            let org = f.organisationID
            let event = try await store.createEvent(organisationID: org, campaignID: f.campaignID, draft(startsIn: 0.5, capacity: 1), actor: host)
            for employee in ["e1", "e2", "e3"] { _ = try await store.rsvp(organisationID: org, eventID: event.id, employee: employee) }
            let door = Actor("hr-1")
            let full = try await store.checkIn(organisationID: org, eventID: event.id, externalIDs: ["e2", "walker"], actor: door, by: .hrAdmin)
            #expect(full.outcome(for: "e2") == .full && full.outcome(for: "walker") == .full && full.checkedIn == 0)
            #expect(try await store.event(organisationID: org, eventID: event.id).counts == EventCounts(going: 1, waiting: 2, checkedIn: 0))
            // One more place (capacity raised in the database): the first named takes it.
            try await store.pool.execute("UPDATE events SET capacity = 2 WHERE id = \(event.id)")
            let one = try await store.checkIn(organisationID: org, eventID: event.id, externalIDs: ["e3", "e2", "e1"], actor: door, by: .hrAdmin)
            #expect(one.outcome(for: "e3") == .checkedIn && one.outcome(for: "e2") == .full && one.outcome(for: "e1") == .checkedIn)
            #expect(try await store.event(organisationID: org, eventID: event.id).counts == EventCounts(going: 2, waiting: 1, checkedIn: 2))
        }
    }

    /// Issue 26 (1): the event's host is an ordinary employee. A host's batch is small, checks in
    /// only those who RSVP'd (no walk-in is created for anyone else), and only around the event.
    @Test func aHostChecksInOnlyThoseWhoRSVPdAroundTheEvent() async throws {
        try await TestDatabase.withStore { store in
            let f = try await fixture(store, employees: ["e1", "e2", "walker"], inactive: ["gone"])
            let org = f.organisationID
            let door = Actor("host")
            let now = try await store.createEvent(organisationID: org, campaignID: f.campaignID, draft(startsIn: 0.5, capacity: 5), actor: host)
            _ = try await store.rsvp(organisationID: org, eventID: now.id, employee: "e1")
            let report = try await store.checkIn(
                organisationID: org, eventID: now.id, externalIDs: ["e1", "walker", "ghost", "gone"], actor: door, by: .host)
            #expect(report.outcome(for: "e1") == .checkedIn)
            #expect(report.outcome(for: "walker") == .notRegistered)
            #expect(report.walkIns == 0 && report.refused == 3)
            #expect(try await store.event(organisationID: org, eventID: now.id).counts == EventCounts(going: 1, waiting: 0, checkedIn: 1))
            let walkerRSVPs = try await store.pool.query("""
                SELECT count(*) FROM event_rsvps r JOIN employees e ON e.organisation_id = r.organisation_id AND e.id = r.employee_id
                WHERE e.external_id = 'walker'
                """).scalar(Int.self)
            #expect(walkerRSVPs == 0)
            #expect(try await store.auditLog(organisationID: org).first { $0.action == "event.check_in" }?.details["by"] == "host")

            // At most 50 ids per host batch (10,000 for HR).
            await expectRefusal(.tooLarge, "batch_too_large") {
                _ = try await store.checkIn(organisationID: org, eventID: now.id, externalIDs: (0...50).map { "x\($0)" }, actor: door, by: .host)
            }
            _ = try await store.checkIn(organisationID: org, eventID: now.id, externalIDs: (0...50).map { "x\($0)" }, actor: door, by: .hrAdmin)

            // Not before an hour ahead of the start, for anyone.
            let tomorrow = try await store.createEvent(organisationID: org, campaignID: f.campaignID, draft(startsIn: 1.1), actor: host)
            for authority in CheckInAuthority.allCases {
                await expectRefusal(.unprocessable, "check_in_not_open") {
                    _ = try await store.checkIn(organisationID: org, eventID: tomorrow.id, externalIDs: ["e2"], actor: door, by: authority)
                }
            }
            // A host's door closes 12 hours after the end; HR admins still record attendance.
            let past = try await store.createEvent(organisationID: org, campaignID: f.campaignID, draft(startsIn: -14.1, lasting: 2), actor: host)
            await expectRefusal(.unprocessable, "check_in_closed") {
                _ = try await store.checkIn(organisationID: org, eventID: past.id, externalIDs: ["e2"], actor: door, by: .host)
            }
            let late = try await store.checkIn(organisationID: org, eventID: past.id, externalIDs: ["e2"], actor: Actor("hr-1"), by: .hrAdmin)
            #expect(late.outcome(for: "e2") == .walkIn)
            // Still open for a host 11 hours after the end.
            let recent = try await store.createEvent(organisationID: org, campaignID: f.campaignID, draft(startsIn: -13, lasting: 2), actor: host)
            #expect(try await store.checkIn(organisationID: org, eventID: recent.id, externalIDs: ["e2"], actor: door, by: .host).refused == 1)
            // Nothing of the refused batches was recorded.
            #expect(try await store.auditLog(organisationID: org).filter { $0.action == "event.check_in" }.count == 4)
        }
    }

    @Test func eventForSigningGivesTheCampaignAndCountry() async throws {
        try await TestDatabase.withStore { store in
            let f = try await fixture(store)
            let event = try await store.createEvent(
                organisationID: f.organisationID, campaignID: f.campaignID, draft(country: "BR", city: "São Paulo"), actor: host)
            let other = try await store.createOrganisation(slug: "other", name: "Other")
            let found = try await store.pool.withConnection { connection in
                (try MobiliseStore.eventForSigning(connection, organisationID: f.organisationID, eventID: event.id),
                 try MobiliseStore.eventForSigning(connection, organisationID: other.id, eventID: event.id))
            }
            #expect(found.0 == EventSigningContext(campaignID: f.campaignID, country: "BR"))
            #expect(found.1 == nil)
        }
    }
}
