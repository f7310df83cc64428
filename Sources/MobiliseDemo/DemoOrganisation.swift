import Foundation
import MobiliseDomain
import MobiliseStore
import Postgres
import Synchronization

/// Someone to sign in as in the demo: an employee and the roles their token should carry.
public struct DemoIdentity: Sendable, Equatable {
    /// The employee's HR id: the `sub` of their token.
    public var externalID: String
    public var displayName: String
    public var country: String
    /// Role names as tokens carry them (`employee`, `leader`, `hr_admin`).
    public var roles: [String]

    public init(externalID: String, displayName: String, country: String, roles: [String]) {
        self.externalID = externalID
        self.displayName = displayName
        self.country = country
        self.roles = roles
    }
}

/// What the demo organisation holds, read back from the database.
public struct DemoSummary: Sendable, Equatable {
    public var organisation: Organisation
    /// The slug of the #HeForShe campaign.
    public var campaignSlug: String
    /// False when the organisation already existed and nothing was loaded.
    public var created: Bool
    public var employees: Int
    public var activeEmployees: Int
    public var countries: Int
    /// Current signatures.
    public var signatures: Int
    /// Signatures withdrawn and not given again.
    public var withdrawn: Int
    /// Current signatures given at an event.
    public var signedAtEvents: Int
    public var approvedStories: Int
    public var pendingStories: Int
    public var rejectedStories: Int
    public var pastEvents: Int
    public var upcomingEvents: Int
    /// An HR admin (roles `hr_admin`).
    public var hrAdmin: DemoIdentity
    /// A leader who follows the rankings (roles `leader`); he signed.
    public var leader: DemoIdentity
    /// An employee in the audience who has not signed yet (roles `employee`).
    public var employee: DemoIdentity
}

/// The demo organisation: a Schneider Electric-like workforce (about 147,000 employees in 74
/// countries at scale 1.0) and its 2015 #HeForShe drive, replayed so that it started five months
/// ago and ends in a month. The campaign asks men to sign: about 23,000 of some 101,000 eligible men
/// have signed (about 23%), week by week, India, Brazil, the USA and France leading; the campaign's
/// goal (30% of its eligible men) is not reached yet. Stories in several languages, dated across
/// the five months, each naming a place in its author's country; events in cities and villages.
///
/// Everything is drawn from a SplitMix64 generator seeded with `seed`: the same seed gives the same
/// employees, signers, events and stories. Only the timestamps move, being relative to the load.
///
/// ```swift
/// let summary = try await DemoOrganisation.load(into: store, scale: 0.02)
/// print(summary.signatures, summary.hrAdmin.externalID)
/// ```
public struct DemoOrganisation: Sendable {
    /// The campaign's slug.
    public static let campaignSlug = "heforshe"
    /// The actor the loader's admin actions are recorded under.
    public static let actor = Actor("demo:loader")

    /// Creates the demo organisation `slug` unless it exists; when it does, returns its summary and
    /// changes nothing.
    ///
    /// The workforce goes through ``MobiliseStore/importEmployees(organisationID:csv:mode:actor:progress:)``
    /// (a generated HR file) and the signatures through the store's signing rules, so the counts are
    /// exact. If a load fails midway, the partial organisation stays: delete it, or use another slug.
    ///
    /// - Parameters:
    ///   - scale: the share of the full demo's headcount, signatures and stories (tests use 0.02).
    ///   - progress: told, in a sentence, what the loader is doing.
    public static func load(
        into store: MobiliseStore, slug: String = "demo", seed: UInt64 = 2015, scale: Double = 1.0,
        progress: (@Sendable (String) -> Void)? = nil
    ) async throws -> DemoSummary {
        guard scale > 0, scale <= 5 else {
            throw MobiliseError(.invalid, code: .invalidScale, "the demo's scale is above 0 and at most 5 (1.0 is about 147,000 employees; an HR file takes at most 1,000,000 rows)")
        }
        do {
            let existing = try await store.organisation(slug: slug)
            return try await summary(of: existing, store: store, created: false)
        } catch let error as MobiliseError where error.code == .organisationNotFound {}

        let now = Date()
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let today = calendar.startOfDay(for: now)
        let startsAt = calendar.date(byAdding: .month, value: -5, to: today) ?? today.addingTimeInterval(-153 * 86_400)
        let endsAt = calendar.date(byAdding: .month, value: 1, to: today) ?? today.addingTimeInterval(31 * 86_400)
        // Signatures stop a few minutes before now, so that nothing is in the future.
        let window = now.timeIntervalSince(startsAt) - 600
        let eventStarts = DemoData.events.map { today.addingTimeInterval(Double($0.day) * 86_400 + Double($0.hour) * 3_600) }
        let plan = DemoPlan.make(seed: seed, scale: scale, window: window, eventOffsets: eventStarts.map { $0.timeIntervalSince(startsAt) })

        let organisation = try await store.createOrganisation(
            slug: slug, name: "Demo Electric", privacyK: 10, timeZone: "Europe/Paris")
        let org = organisation.id

        progress?("importing \(plan.employees.count) employees (the generated HR file)")
        let report = try await store.importEmployees(organisationID: org, csv: plan.csv(), mode: .upsert, actor: actor)
        guard report.rejectedCount == 0 else {
            throw MobiliseError(.unprocessable, code: .demoImportFailed,
                                "the demo's HR file had rejected lines: " + report.rejected.prefix(5).map(\.description).joined(separator: "; "))
        }

        progress?("creating and launching the #HeForShe campaign")
        var countryGoals: [String: CountryGoal] = plan.signatureGoals.mapValues { .signatures($0) }
        countryGoals["US"] = .participation(0.35)
        countryGoals["FR"] = .participation(0.35)
        let draft = CampaignDraft(
            slug: campaignSlug, hashtag: "#HeForShe", defaultLanguage: "en",
            title: [
                "en": "HeForShe: men for gender equality", "fr": "HeForShe : les hommes s'engagent pour l'égalité",
                "pt-BR": "ElesPorElas: homens pela igualdade de gênero", "hi": "HeForShe: लैंगिक समानता के लिए पुरुष",
            ],
            pledgeText: [
                "en": "I am one of billions of men who believe that equality for women is a basic human right that benefits us all. I commit to take action against gender discrimination and violence in order to build a more just and equal world.",
                "fr": "Je fais partie des milliards d'hommes qui pensent que l'égalité pour les femmes est un droit humain fondamental qui nous profite à tous. Je m'engage à agir contre la discrimination et la violence fondées sur le genre, pour un monde plus juste et plus égal.",
                "pt-BR": "Sou um dos bilhões de homens que acreditam que a igualdade para as mulheres é um direito humano básico que beneficia a todos nós. Eu me comprometo a agir contra a discriminação e a violência de gênero para construir um mundo mais justo e igualitário.",
                "hi": "मैं उन अरबों पुरुषों में से एक हूँ जो मानते हैं कि महिलाओं के लिए समानता एक बुनियादी मानव अधिकार है जिससे हम सभी को लाभ होता है। मैं एक अधिक न्यायपूर्ण और समान दुनिया बनाने के लिए लैंगिक भेदभाव और हिंसा के विरुद्ध कदम उठाने का संकल्प लेता हूँ।",
            ],
            startsAt: startsAt, endsAt: endsAt, audience: Audience(genders: [.male]), goalParticipation: 0.3,
            countryGoals: countryGoals, successMinCountries: 3)
        let campaign = try await store.createCampaign(organisationID: org, draft, actor: actor)
        _ = try await store.moveCampaign(organisationID: org, reference: campaign.slug, to: .active, actor: actor)

        progress?("creating \(DemoData.events.count) events in cities and villages")
        var eventIDs: [UUID] = []
        for (index, template) in DemoData.events.enumerated() {
            let event = try await store.createEvent(
                organisationID: org, campaignID: campaign.id,
                EventDraft(title: template.title, kind: EventKind(rawValue: template.kind) ?? .city, country: template.country,
                           city: template.city, startsAt: eventStarts[index],
                           endsAt: eventStarts[index].addingTimeInterval(Double(template.hours) * 3_600),
                           capacity: template.capacity, hostExternalID: plan.hosts[index]),
                actor: actor)
            eventIDs.append(event.id)
        }

        // First signatures, in time order within each of two halves of the countries that sign side
        // by side (two countries never share a counter row, so the halves never wait on each other);
        // then withdrawals; then signing again.
        let countries = Dictionary(uniqueKeysWithValues: plan.employees.map { ($0.externalID, $0.country) })
        var halves: [[BulkSigning]] = [[], []]
        for code in DemoData.countries.map(\.code) {
            let mine = plan.signings.filter { countries[$0.employee] == code }
            guard !mine.isEmpty else { continue }
            let half = halves[0].count <= halves[1].count ? 0 : 1
            halves[half] += mine.map { signing in
                BulkSigning(employee: signing.employee, channel: signing.channel, eventID: signing.event.map { eventIDs[$0] },
                            at: startsAt.addingTimeInterval(signing.offset))
            }
        }
        let total = plan.signings.count
        progress?("signing \(total) pledges over five months")
        let done = SigningCounter(total: total, progress: progress)
        let (first, second) = (Self.chronological(halves[0]), Self.chronological(halves[1]))
        async let left = store.signInBulk(organisationID: org, campaign: campaign.slug, first,
                                          batchSize: 500, progress: { done.add($0, from: 0) })
        async let right = store.signInBulk(organisationID: org, campaign: campaign.slug, second,
                                           batchSize: 500, progress: { done.add($0, from: 1) })
        try requireNoRefusals(try await left, what: "signing")
        try requireNoRefusals(try await right, what: "signing")
        let withdrawals = plan.signings.filter { $0.withdrawnOffset != nil }
        progress?("withdrawing \(withdrawals.count) signatures (some sign again later)")
        for signing in withdrawals {
            guard let offset = signing.withdrawnOffset else { continue }
            _ = try await store.withdraw(organisationID: org, campaign: campaign.slug, employee: signing.employee,
                                         at: startsAt.addingTimeInterval(offset))
        }
        let again = plan.signings.compactMap { signing in
            signing.resignedOffset.map { BulkSigning(employee: signing.employee, channel: .web, at: startsAt.addingTimeInterval($0)) }
        }
        try requireNoRefusals(try await store.signInBulk(organisationID: org, campaign: campaign.slug, again), what: "signing again")

        progress?("checking attendees in at past events, taking RSVPs for upcoming ones")
        for (index, eventID) in eventIDs.enumerated() where !plan.attendees[index].isEmpty {
            if eventStarts[index] < now {
                _ = try await store.checkIn(organisationID: org, eventID: eventID, externalIDs: plan.attendees[index], actor: actor, by: .hrAdmin)
            } else {
                for attendee in plan.attendees[index] {
                    _ = try await store.rsvp(organisationID: org, eventID: eventID, employee: attendee)
                }
            }
        }

        progress?("posting \(plan.stories.count) stories and moderating them")
        for story in plan.stories {
            let post = try await store.createPost(organisationID: org, campaignID: campaign.id, author: story.author, body: story.body,
                                                  at: startsAt.addingTimeInterval(story.offset))
            switch story.decision {
            case .approve: try await store.approvePost(organisationID: org, postID: post.id, moderator: Actor(DemoPlan.hrAdmin))
            case .leavePending: break
            case .reject(let reason):
                try await store.rejectPost(organisationID: org, postID: post.id, moderator: Actor(DemoPlan.hrAdmin), reason: reason)
            }
        }
        return try await summary(of: organisation, store: store, created: true)
    }

    private static func chronological(_ signings: [BulkSigning]) -> [BulkSigning] {
        signings.sorted { ($0.at ?? .distantPast, $0.employee) < ($1.at ?? .distantPast, $1.employee) }
    }

    private static func requireNoRefusals(_ report: BulkSigningReport, what: String) throws {
        guard let refusal = report.refused.first else { return }
        throw MobiliseError(.unprocessable, code: .demoSigningRefused,
                            "\(report.refused.count) demo signings were refused while \(what); the first: \(refusal.error)")
    }

    /// The organisation's figures and identities, read from the database.
    private static func summary(of organisation: Organisation, store: MobiliseStore, created: Bool) async throws -> DemoSummary {
        let org = organisation.id
        let slug = campaignSlug
        let ids = [DemoPlan.hrAdmin, DemoPlan.leader, DemoPlan.unsignedEmployee]
        let figures = try await store.pool.withConnection { connection in
            let counts = try connection.query("""
                WITH c AS (SELECT id FROM campaigns WHERE organisation_id = \(org) AND slug = \(slug))
                SELECT
                  (SELECT count(*) FROM employees WHERE organisation_id = \(org)) AS employees,
                  (SELECT count(*) FROM employees WHERE organisation_id = \(org) AND active) AS active_employees,
                  (SELECT count(DISTINCT country) FROM employees WHERE organisation_id = \(org)) AS countries,
                  (SELECT count(*) FROM signatures s, c WHERE s.organisation_id = \(org) AND s.campaign_id = c.id
                      AND s.withdrawn_at IS NULL) AS signatures,
                  (SELECT count(*) FROM signatures s, c WHERE s.organisation_id = \(org) AND s.campaign_id = c.id
                      AND s.withdrawn_at IS NOT NULL) AS withdrawn,
                  (SELECT count(*) FROM signatures s, c WHERE s.organisation_id = \(org) AND s.campaign_id = c.id
                      AND s.withdrawn_at IS NULL AND s.channel = 'event') AS signed_at_events,
                  (SELECT count(*) FROM posts p, c WHERE p.organisation_id = \(org) AND p.campaign_id = c.id
                      AND p.status = 'approved') AS approved,
                  (SELECT count(*) FROM posts p, c WHERE p.organisation_id = \(org) AND p.campaign_id = c.id
                      AND p.status = 'pending') AS pending,
                  (SELECT count(*) FROM posts p, c WHERE p.organisation_id = \(org) AND p.campaign_id = c.id
                      AND p.status = 'rejected') AS rejected,
                  (SELECT count(*) FROM events e, c WHERE e.organisation_id = \(org) AND e.campaign_id = c.id
                      AND e.starts_at < now()) AS past_events,
                  (SELECT count(*) FROM events e, c WHERE e.organisation_id = \(org) AND e.campaign_id = c.id
                      AND e.starts_at >= now()) AS upcoming_events
                """)[0].decode(DemoCounts.self)
            let people = try connection.query("""
                SELECT external_id, coalesce(display_name, external_id), country FROM employees
                WHERE organisation_id = \(org) AND external_id = ANY(\(ids))
                """).rows.map { try $0.decode((String, String, String).self) }
            return (counts, people.map { PersonRow(externalID: $0.0, name: $0.1, country: $0.2) })
        }
        let (counts, people) = figures
        func identity(_ id: String, _ role: String) throws -> DemoIdentity {
            guard let person = people.first(where: { $0.externalID == id }) else {
                throw MobiliseError(.notFound, code: .notADemoOrganisation,
                                    "organisation '\(organisation.slug)' has no employee \(id): it was not created by the demo loader")
            }
            return DemoIdentity(externalID: id, displayName: person.name, country: person.country, roles: [role])
        }
        return DemoSummary(
            organisation: organisation, campaignSlug: slug, created: created, employees: counts.employees,
            activeEmployees: counts.activeEmployees, countries: counts.countries, signatures: counts.signatures,
            withdrawn: counts.withdrawn, signedAtEvents: counts.signedAtEvents, approvedStories: counts.approved,
            pendingStories: counts.pending, rejectedStories: counts.rejected, pastEvents: counts.pastEvents,
            upcomingEvents: counts.upcomingEvents,
            hrAdmin: try identity(DemoPlan.hrAdmin, "hr_admin"), leader: try identity(DemoPlan.leader, "leader"),
            employee: try identity(DemoPlan.unsignedEmployee, "employee"))
    }

    /// Adds up the progress of the signing halves, and reports every 5,000.
    private final class SigningCounter: Sendable {
        private let total: Int
        private let progress: (@Sendable (String) -> Void)?
        private let state = Mutex((done: [0, 0], reported: 0))

        init(total: Int, progress: (@Sendable (String) -> Void)?) {
            self.total = total
            self.progress = progress
        }

        func add(_ done: Int, from half: Int) {
            let message: String? = state.withLock { state in
                state.done[half] = done
                let sum = state.done[0] + state.done[1]
                guard sum / 5_000 > state.reported / 5_000 || sum == total else { return nil }
                state.reported = sum
                return "signed \(sum) of \(total)"
            }
            if let message { progress?(message) }
        }
    }

    private struct DemoCounts: Decodable, Sendable {
        var employees, activeEmployees, countries, signatures, withdrawn, signedAtEvents: Int
        var approved, pending, rejected, pastEvents, upcomingEvents: Int
    }

    private struct PersonRow: Sendable {
        var externalID: String
        var name: String
        var country: String
    }
}
