import Foundation
import MobiliseDomain
import Postgres

/// Everything Mobilise keeps about one employee (GDPR access).
public struct PersonalDataExport: Sendable, Encodable {
    public struct SignatureRecord: Sendable, Encodable {
        public var campaign: String
        public var signature: Signature
        /// Every time the signature was signed or withdrawn, oldest first (the signature itself
        /// keeps only its latest state).
        public var history: [SignatureChange]
    }
    public struct SignatureChange: Sendable, Encodable, Equatable {
        public enum Change: String, Sendable, Encodable { case signed, withdrawn }
        public var at: Date
        public var change: Change
        /// The country it counted in.
        public var country: String
    }
    public struct PostRecord: Sendable, Encodable {
        public var id: UUID
        public var campaign: String
        public var body: String
        public var status: String
        public var createdAt: Date
        public var mediaType: String?
    }
    public struct RSVPRecord: Sendable, Encodable {
        public var eventID: UUID
        public var eventTitle: String
        public var status: String
        public var checkedInAt: Date?
    }
    public struct AuditRecord: Sendable, Encodable {
        public var at: Date
        public var action: String
        public var subject: String?
    }

    /// A paper or event sheet entry (double entry, issue 23) that names the employee by HR id.
    public struct PaperEntryRecord: Sendable, Encodable {
        public var campaign: String
        public var batch: String
        public var batchStatus: String
        public var channel: String
        public var eventID: UUID?
        public var signedAt: Date?
        public var enteredAt: Date
    }
    /// A reminder e-mail planned for the employee.
    public struct ReminderRecord: Sendable, Encodable {
        public var campaign: String
        public var sendOn: String
        public var language: String
        public var status: String
        public var sentAt: Date?
    }

    public var exportedAt: Date
    public var employee: Employee
    public var signatures: [SignatureRecord]
    public var posts: [PostRecord]
    public var postsReported: [UUID]
    public var rsvps: [RSVPRecord]
    /// Admin actions the employee took (for HR staff).
    public var actions: [AuditRecord]
    /// What an identity provider keeps here about the employee beyond the HR fields (SCIM), if any.
    public var identityProvider: IdentityAttributes?
    /// Paper and event sheet entries that name the employee.
    public var paperEntries: [PaperEntryRecord] = []
    /// Reminder e-mails planned for the employee, and when they opted out of them.
    public var reminders: [ReminderRecord] = []
    public var remindersOptedOutAt: Date?
}

extension MobiliseStore {
    /// Everything stored about the employee with this HR id, nil when there is none.
    public func exportPersonalData(organisationID: UUID, externalID: String) async throws -> PersonalDataExport? {
        guard let employee = try await employee(organisationID: organisationID, externalID: externalID) else { return nil }
        return try await pool.withTransaction(isolation: .repeatableRead) { connection in
            // Each signature's changes, from the journal the rankings' past figures come from.
            var history: [UUID: [PersonalDataExport.SignatureChange]] = [:]
            for row in try connection.query("""
                SELECT e.signature_id, e.at, e.delta, e.country
                FROM signatures s
                JOIN signature_events e ON e.organisation_id = s.organisation_id AND e.campaign_id = s.campaign_id AND e.signature_id = s.id
                WHERE s.organisation_id = \(organisationID) AND s.employee_id = \(employee.id)
                ORDER BY e.at, e.id
                """).rows {
                let (signature, at, delta, country) = try row.decode((UUID, Date, Int, String).self)
                history[signature, default: []].append(.init(at: at, change: delta > 0 ? .signed : .withdrawn, country: country))
            }
            let signatures = try connection.query("""
                SELECT c.slug, s.id, s.campaign_id, s.country, s.site, s.org_unit, s.channel, s.event_id, s.signed_at, s.withdrawn_at
                FROM signatures s JOIN campaigns c ON c.organisation_id = s.organisation_id AND c.id = s.campaign_id
                WHERE s.organisation_id = \(organisationID) AND s.employee_id = \(employee.id) ORDER BY s.signed_at
                """).rows.map { row in
                let signature = try row.decode(SignatureRow.self).signature
                return PersonalDataExport.SignatureRecord(
                    campaign: try row.decode(String.self, column: "slug"), signature: signature, history: history[signature.id] ?? [])
            }
            let posts = try connection.query("""
                SELECT p.id, c.slug, p.body, p.status, p.created_at, p.media_type
                FROM posts p JOIN campaigns c ON c.organisation_id = p.organisation_id AND c.id = p.campaign_id
                WHERE p.organisation_id = \(organisationID) AND p.author_id = \(employee.id) ORDER BY p.created_at
                """).rows.map { row in
                let (id, campaign, body, status, created, media) = try row.decode((UUID, String, String, String, Date, String?).self)
                return PersonalDataExport.PostRecord(id: id, campaign: campaign, body: body, status: status, createdAt: created, mediaType: media)
            }
            let reported = try connection.query("""
                SELECT post_id FROM post_reports WHERE organisation_id = \(organisationID) AND employee_id = \(employee.id) ORDER BY post_id
                """).column(UUID.self)
            let rsvps = try connection.query("""
                SELECT r.event_id, e.title, r.status, r.checked_in_at
                FROM event_rsvps r JOIN events e ON e.organisation_id = r.organisation_id AND e.id = r.event_id
                WHERE r.organisation_id = \(organisationID) AND r.employee_id = \(employee.id) ORDER BY e.starts_at
                """).rows.map { row in
                let (event, title, status, checkedIn) = try row.decode((UUID, String, String, Date?).self)
                return PersonalDataExport.RSVPRecord(eventID: event, eventTitle: title, status: status, checkedInAt: checkedIn)
            }
            let actions = try connection.query("""
                SELECT at, action, subject FROM audit_log WHERE organisation_id = \(organisationID) AND actor = \(externalID) ORDER BY id
                """).rows.map { row in
                let (at, action, subject) = try row.decode((Date, String, String?).self)
                return PersonalDataExport.AuditRecord(at: at, action: action, subject: subject)
            }
            let identity = try connection.query("""
                SELECT \(unsafeSQL: Self.identityColumns) FROM scim_users s
                WHERE s.organisation_id = \(organisationID) AND s.employee_id = \(employee.id)
                """).rows.first.map(Self.identity(from:))
            var export = PersonalDataExport(
                exportedAt: Date(), employee: employee, signatures: signatures, posts: posts, postsReported: reported, rsvps: rsvps,
                actions: actions, identityProvider: identity)
            export.paperEntries = try connection.query("""
                SELECT c.slug, b.reference, b.status, p.channel, p.event_id, p.signed_at, p.entered_at
                FROM paper_entries p
                JOIN paper_batches b ON b.organisation_id = p.organisation_id AND b.id = p.batch_id
                JOIN campaigns c ON c.organisation_id = b.organisation_id AND c.id = b.campaign_id
                WHERE p.organisation_id = \(organisationID) AND \(externalID) = ANY(p.external_ids)
                ORDER BY p.entered_at, p.id
                """).rows.map { row in
                let (campaign, batch, status, channel, event, signedAt, enteredAt) = try row.decode((String, String, String, String, UUID?, Date?, Date).self)
                return PersonalDataExport.PaperEntryRecord(
                    campaign: campaign, batch: batch, batchStatus: status, channel: channel, eventID: event, signedAt: signedAt, enteredAt: enteredAt)
            }
            export.reminders = try connection.query("""
                SELECT c.slug, to_char(w.send_on, 'YYYY-MM-DD'), m.language, m.status, m.sent_at
                FROM email_messages m
                JOIN reminder_waves w ON w.organisation_id = m.organisation_id AND w.id = m.wave_id
                JOIN campaigns c ON c.organisation_id = w.organisation_id AND c.id = w.campaign_id
                WHERE m.organisation_id = \(organisationID) AND m.employee_id = \(employee.id)
                ORDER BY w.send_on, m.id
                """).rows.map { row in
                let (campaign, sendOn, language, status, sentAt) = try row.decode((String, String, String, String, Date?).self)
                return PersonalDataExport.ReminderRecord(campaign: campaign, sendOn: sendOn, language: language, status: status, sentAt: sentAt)
            }
            export.remindersOptedOutAt = try connection.query("""
                SELECT opted_out_at FROM email_opt_outs WHERE organisation_id = \(organisationID) AND employee_id = \(employee.id)
                """).scalar(Date.self)
            return export
        }
    }

    /// Erases an employee (GDPR): their identifiers (HR id, email, name, manager) are replaced by a
    /// pseudonym, their posts, reports, RSVPs, browser sessions and sign-in links are deleted, and
    /// their name leaves the audit log. The row is deactivated and loses its gender, site, org unit and dates, so the employee leaves
    /// every campaign's eligible headcount as a leaver of an import does (the database's triggers
    /// take them out, now and for campaigns created later); the country stays. Their signatures
    /// stay, unlinked from any identity, counted in the same country and week. The HR system must
    /// drop them as well, or the next import brings them back as a new employee.
    ///
    /// - Returns: the pseudonym, or nil when there is no such employee.
    @discardableResult
    public func eraseEmployee(organisationID: UUID, externalID: String, actor: Actor) async throws -> String? {
        try await pool.withTransaction { connection in
            guard let id = try connection.query("""
                SELECT id FROM employees
                WHERE organisation_id = \(organisationID) AND external_id = \(externalID) AND erased_at IS NULL FOR UPDATE
                """).scalar(UUID.self) else { return nil }
            let pseudonym = try Self.erase(connection, organisationID: organisationID, id: id, externalID: externalID)
            try Self.audit(connection, organisationID: organisationID, actor: actor, action: "employee.erase", subject: pseudonym)
            return pseudonym
        }
    }

    /// Erases the employee `id` (whose HR id is `externalID`, locked by the caller) inside the
    /// caller's transaction, as ``eraseEmployee(organisationID:externalID:actor:)`` says; the caller
    /// writes the audit entry. Returns the pseudonym.
    static func erase(_ connection: PostgresConnection, organisationID: UUID, id: UUID, externalID: String) throws -> String {
        let pseudonym = "erased-" + UUID().uuidString.lowercased()
        try connection.execute("DELETE FROM posts WHERE organisation_id = \(organisationID) AND author_id = \(id)")
        try connection.execute("DELETE FROM post_reports WHERE organisation_id = \(organisationID) AND employee_id = \(id)")
        try connection.execute("DELETE FROM event_rsvps WHERE organisation_id = \(organisationID) AND employee_id = \(id)")
        try connection.execute("DELETE FROM scim_users WHERE organisation_id = \(organisationID) AND employee_id = \(id)")
        // Their browser sessions and unused sign-in links name them: gone too (signed out everywhere).
        try connection.execute("DELETE FROM sessions WHERE organisation_id = \(organisationID) AND subject = \(externalID)")
        try connection.execute("DELETE FROM sign_in_codes WHERE organisation_id = \(organisationID) AND subject = \(externalID)")
        try connection.execute("""
            UPDATE employees SET external_id = \(pseudonym), email = NULL, display_name = NULL, manager_external_id = NULL,
                hired_on = NULL, left_on = NULL, active = false, gender = 'undisclosed', site = NULL, org_unit = NULL,
                preferred_language = NULL, time_zone = NULL, erased_at = now(), updated_at = now()
            WHERE organisation_id = \(organisationID) AND id = \(id)
            """)
        try connection.execute("""
            UPDATE employees SET manager_external_id = NULL WHERE organisation_id = \(organisationID) AND manager_external_id = \(externalID)
            """)
        try connection.execute("""
            UPDATE audit_log SET actor = \(pseudonym) WHERE organisation_id = \(organisationID) AND actor = \(externalID)
            """)
        try connection.execute("""
            UPDATE events SET host_external_id = \(pseudonym) WHERE organisation_id = \(organisationID) AND host_external_id = \(externalID)
            """)
        try connection.execute("""
            UPDATE audit_log SET details = jsonb_set(details, '{host}', to_jsonb(\(pseudonym)))
            WHERE organisation_id = \(organisationID) AND details->>'host' = \(externalID)
            """)
        try connection.execute("""
            UPDATE posts SET moderator = \(pseudonym) WHERE organisation_id = \(organisationID) AND moderator = \(externalID)
            """)
        try connection.execute("""
            UPDATE leader_views SET viewer = \(pseudonym) WHERE organisation_id = \(organisationID) AND viewer = \(externalID)
            """)
        // Paper batches (sql/0021, 0028): a sheet's HR ids lose theirs, counted instead among the
        // sheet's signers without an HR id (the sheet's total stays; two entries that agreed still
        // agree; a confirmed batch's counts are kept as they were counted); a confirmed batch's
        // refused ids likewise, into `refused_erased`. Who typed or confirmed a batch gets the pseudonym.
        try connection.execute("""
            UPDATE paper_entries SET
                unidentified = unidentified + CASE WHEN \(externalID) = ANY(external_ids) THEN 1 ELSE 0 END,
                external_ids = array_remove(external_ids, \(externalID)),
                entered_by = CASE WHEN entered_by = \(externalID) THEN \(pseudonym) ELSE entered_by END
            WHERE organisation_id = \(organisationID) AND (\(externalID) = ANY(external_ids) OR entered_by = \(externalID))
            """)
        try connection.execute("""
            UPDATE paper_batches SET
                refused_erased = refused_erased + CASE WHEN \(externalID) = ANY(refused_ids) THEN 1 ELSE 0 END,
                refused_ids = array_remove(refused_ids, \(externalID)),
                confirmed_by = CASE WHEN confirmed_by = \(externalID) THEN \(pseudonym) ELSE confirmed_by END
            WHERE organisation_id = \(organisationID) AND (\(externalID) = ANY(refused_ids) OR confirmed_by = \(externalID))
            """)
        return pseudonym
    }
}
