import Foundation
import MobiliseDomain
import Postgres

/// A reminder wave and how it went: counts only (HR never learns who was reminded).
public struct ReminderWave: Sendable, Equatable {
    public var id: UUID
    public var campaignID: UUID
    public var campaign: String
    /// The local day (`YYYY-MM-DD`) and hour each message is sent at, in its person's time zone.
    public var sendOn: String
    public var localHour: Int
    public var createdBy: String
    public var createdAt: Date
    public var counts: Counts

    public struct Counts: Sendable, Equatable {
        /// Messages planned (people in the audience who had not signed, had an address and had not opted out).
        public var planned: Int
        /// Waiting for their local hour, or for a retry.
        public var pending: Int
        /// Of those pending, how many had a failed attempt and will be tried again.
        public var retrying: Int
        public var sent: Int
        /// Attempts used up, or refused for good by the SMTP server.
        public var failed: Int
        /// Not sent: the person signed, or opted out, before their hour.
        public var skippedSigned: Int
        public var skippedOptedOut: Int
        /// Left out when planning: opted out earlier, or no e-mail address in the HR file.
        public var excludedOptedOut: Int
        public var excludedNoEmail: Int
        /// People who opted out through this wave's link.
        public var optedOut: Int
    }
}

/// A reminder the sender claimed: everything needed to write and send it, and its lease.
public struct ClaimedEmail: Sendable {
    public var organisationID: UUID
    public var id: UUID
    public var leaseToken: UUID
    public var attempts: Int
    public var address: String
    public var name: String?
    public var language: String
    public var unsubscribeToken: Data
    public var organisationName: String
    public var campaign: String
    public var campaignTitle: String
    public var hashtag: String
}

/// How one attempt at an e-mail ended.
public enum EmailOutcome: Sendable, Equatable {
    case sent(replyCode: Int)
    /// Retry after the delay; give up (`failed`) when nil.
    case failed(replyCode: Int?, error: String, retryAfter: Duration?)
}

extension MobiliseStore {
    /// Plans a reminder wave for a campaign, in one transaction: the wave, and one pending message
    /// per active employee in the campaign's audience who has not signed (or withdrew), has an
    /// e-mail address and has not opted out, due at `localHour` on `sendOn` in the person's own
    /// time zone (`employees.time_zone`, from the HR file or SCIM), else that of their country of
    /// work (``ReminderLocale``; the organisation's time zone for a country without one), in the
    /// person's own language when a catalogue has it (``PersonLocale/catalogueLanguage(_:)``),
    /// else the language of that country (else the campaign's default language if the catalogue
    /// has it, else English). A wave for a day that already has one is refused
    /// (409 `reminder_wave_exists`); so is a wave for a campaign that is not active.
    public func scheduleReminderWave(
        organisationID: UUID, campaign reference: String, sendOn: String, localHour: Int, actor: Actor
    ) async throws -> ReminderWave {
        let zones = ReminderLocale.allTimeZones
        return try await pool.withTransaction { connection in
            let campaign = try Self.campaign(connection, organisationID: organisationID, reference: reference)
            guard campaign.status == .active else {
                throw MobiliseError(.conflict, code: .campaignNotActive,
                                    "reminders are sent for an active campaign; this one is \(campaign.status.rawValue.withIndefiniteArticle)")
            }
            let fallbackLanguage = ReminderCatalogue.languages.contains(campaign.defaultLanguage) ? campaign.defaultLanguage : "en"
            var countries: [String] = []
            var languages: [String] = []
            for (country, _) in zip(zones.countries, zones.zones) {
                countries.append(country)
                languages.append(ReminderLocale.language(country: country) ?? fallbackLanguage)
            }
            let waveID: UUID
            do {
                let inserted = try connection.query("""
                    INSERT INTO reminder_waves (organisation_id, campaign_id, send_on, local_hour, created_by)
                    VALUES (\(organisationID), \(campaign.id), \(sendOn)::date, \(localHour), \(actor.identity))
                    RETURNING id
                    """).scalar(UUID.self)
                guard let inserted else { throw PostgresError(kind: .client, message: "INSERT … RETURNING returned no row") }
                waveID = inserted
            } catch let error as PostgresError where error.isUniqueViolation {
                throw MobiliseError(.conflict, code: .reminderWaveExists,
                                    "campaign '\(campaign.slug)' already has a reminder wave on \(sendOn): see GET /v1/campaigns/\(campaign.slug)/reminder-waves")
            }
            // The people's own languages, each resolved once to a catalogue's (or none: the country's).
            var tags: [String] = []
            var spoken: [String] = []
            for tag in try connection.query("""
                SELECT DISTINCT preferred_language FROM employees
                WHERE organisation_id = \(organisationID) AND preferred_language IS NOT NULL
                """).column(String.self) {
                if let language = PersonLocale.catalogueLanguage(tag) {
                    tags.append(tag)
                    spoken.append(language)
                }
            }
            let audience = RankingContext.audienceFilter(campaign.audience)
            // Everyone in the audience who has not signed, with why each would be left out.
            let counts = try connection.query("""
                WITH candidates AS (
                    SELECT e.id, e.country, e.preferred_language, e.time_zone, e.email IS NULL OR e.email = '' AS no_email,
                           EXISTS (SELECT 1 FROM email_opt_outs o WHERE o.organisation_id = e.organisation_id AND o.employee_id = e.id) AS opted_out
                    FROM employees e
                    WHERE e.organisation_id = \(organisationID) AND e.active AND \(audience)
                      AND NOT EXISTS (SELECT 1 FROM signatures s WHERE s.organisation_id = e.organisation_id
                                      AND s.campaign_id = \(campaign.id) AND s.employee_id = e.id AND s.withdrawn_at IS NULL)
                ), places AS (
                    SELECT z.country, z.zone, l.language
                    FROM unnest(\(zones.countries)::text[], \(zones.zones)::text[]) AS z (country, zone)
                    JOIN unnest(\(countries)::text[], \(languages)::text[]) AS l (country, language) USING (country)
                    -- A zone this server's time zone data lacks falls back to the organisation's.
                    WHERE z.zone IN (SELECT name FROM pg_timezone_names)
                ), spoken AS (
                    SELECT * FROM unnest(\(tags)::text[], \(spoken)::text[]) AS s (tag, language)
                ), zones AS (
                    -- A person's zone this server's time zone data lacks falls back to their country's.
                    SELECT name FROM pg_timezone_names
                ), planned AS (
                    INSERT INTO email_messages (organisation_id, wave_id, employee_id, language, unsubscribe_token, next_attempt_at)
                    SELECT \(organisationID), \(waveID), c.id, coalesce(s.language, p.language, \(fallbackLanguage)),
                           decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex'),
                           ((\(sendOn)::date + make_time(\(localHour)::int, 0, 0)) AT TIME ZONE coalesce(z.name, p.zone, o.time_zone))
                    FROM candidates c
                    JOIN organisations o ON o.id = \(organisationID)
                    LEFT JOIN places p ON p.country = c.country
                    LEFT JOIN spoken s ON s.tag = c.preferred_language
                    LEFT JOIN zones z ON z.name = c.time_zone
                    WHERE NOT c.no_email AND NOT c.opted_out
                    RETURNING 1
                )
                SELECT (SELECT count(*) FROM planned) AS planned,
                       count(*) FILTER (WHERE opted_out) AS opted_out,
                       count(*) FILTER (WHERE no_email AND NOT opted_out) AS no_email
                FROM candidates
                """)
            let optedOut = try counts[0].decode(Int.self, column: "opted_out")
            let noEmail = try counts[0].decode(Int.self, column: "no_email")
            try connection.execute("""
                UPDATE reminder_waves SET skipped_opted_out = \(optedOut), skipped_no_email = \(noEmail)
                WHERE organisation_id = \(organisationID) AND id = \(waveID)
                """)
            try Self.audit(connection, organisationID: organisationID, actor: actor, action: "reminder.schedule", subject: campaign.slug,
                           details: ["wave": waveID.uuidString.lowercased(), "send_on": sendOn, "local_hour": String(localHour)])
            return try Self.reminderWave(connection, organisationID: organisationID, id: waveID)
        }
    }

    /// A wave's report (counts only).
    public func reminderWave(organisationID: UUID, id: UUID) async throws -> ReminderWave {
        try await pool.withConnection { try Self.reminderWave($0, organisationID: organisationID, id: id) }
    }

    /// A campaign's waves, newest day first.
    public func reminderWaves(organisationID: UUID, campaign reference: String) async throws -> [ReminderWave] {
        try await pool.withConnection { connection in
            let campaign = try Self.campaign(connection, organisationID: organisationID, reference: reference)
            return try connection.query("""
                \(unsafeSQL: Self.waveSelect)
                WHERE w.organisation_id = \(organisationID) AND w.campaign_id = \(campaign.id)
                ORDER BY w.send_on DESC, w.created_at DESC LIMIT 1000
                """).rows.map(Self.decodeWave)
        }
    }

    static func reminderWave(_ connection: PostgresConnection, organisationID: UUID, id: UUID) throws -> ReminderWave {
        let rows = try connection.query("""
            \(unsafeSQL: Self.waveSelect)
            WHERE w.organisation_id = \(organisationID) AND w.id = \(id)
            """)
        guard rows.count == 1 else {
            throw MobiliseError(.notFound, code: .reminderWaveNotFound, "no reminder wave '\(id.uuidString.lowercased())' in this organisation")
        }
        return try decodeWave(rows[0])
    }

    static let waveSelect = """
        SELECT w.id, w.campaign_id, c.slug, to_char(w.send_on, 'YYYY-MM-DD') AS send_on, w.local_hour, w.created_by, w.created_at,
               w.skipped_opted_out, w.skipped_no_email, m.planned, m.pending, m.retrying, m.sent, m.failed, m.skipped_signed,
               m.skipped_opted_out AS late_opted_out,
               (SELECT count(*) FROM email_opt_outs o WHERE o.organisation_id = w.organisation_id AND o.wave_id = w.id) AS opted_out
        FROM reminder_waves w
        JOIN campaigns c ON c.organisation_id = w.organisation_id AND c.id = w.campaign_id
        CROSS JOIN LATERAL (
            SELECT count(*) AS planned,
                   count(*) FILTER (WHERE status IN ('pending', 'sending')) AS pending,
                   count(*) FILTER (WHERE status IN ('pending', 'sending') AND attempts > 0 AND last_error IS NOT NULL) AS retrying,
                   count(*) FILTER (WHERE status = 'sent') AS sent,
                   count(*) FILTER (WHERE status = 'failed') AS failed,
                   count(*) FILTER (WHERE status = 'skipped' AND skip_reason = 'signed') AS skipped_signed,
                   count(*) FILTER (WHERE status = 'skipped' AND skip_reason <> 'signed') AS skipped_opted_out
            FROM email_messages e WHERE e.organisation_id = w.organisation_id AND e.wave_id = w.id
        ) m
        """

    static func decodeWave(_ row: PostgresRow) throws -> ReminderWave {
        ReminderWave(
            id: try row.decode(UUID.self, column: "id"), campaignID: try row.decode(UUID.self, column: "campaign_id"),
            campaign: try row.decode(String.self, column: "slug"), sendOn: try row.decode(String.self, column: "send_on"),
            localHour: try row.decode(Int.self, column: "local_hour"), createdBy: try row.decode(String.self, column: "created_by"),
            createdAt: try row.decode(Date.self, column: "created_at"),
            counts: .init(
                planned: try row.decode(Int.self, column: "planned"), pending: try row.decode(Int.self, column: "pending"),
                retrying: try row.decode(Int.self, column: "retrying"), sent: try row.decode(Int.self, column: "sent"),
                failed: try row.decode(Int.self, column: "failed"), skippedSigned: try row.decode(Int.self, column: "skipped_signed"),
                skippedOptedOut: try row.decode(Int.self, column: "late_opted_out"),
                excludedOptedOut: try row.decode(Int.self, column: "skipped_opted_out"),
                excludedNoEmail: try row.decode(Int.self, column: "skipped_no_email"),
                optedOut: try row.decode(Int.self, column: "opted_out")))
    }

    // MARK: - Unsubscribing

    /// The language of the message a token came in (for the unsubscribe page), nil for an unknown token.
    public func unsubscribeLanguage(token: Data) async throws -> String? {
        try await pool.withConnection { connection in
            try connection.query("SELECT language FROM email_messages WHERE unsubscribe_token = \(token)").scalar(String.self)
        }
    }

    /// One-click unsubscribe (RFC 8058): opts the token's person out of every later reminder of
    /// their organisation. False for an unknown token. Opting out twice is opting out.
    public func optOutOfReminders(token: Data) async throws -> Bool {
        try await pool.withTransaction { connection in
            let rows = try connection.query("""
                SELECT organisation_id, employee_id, wave_id FROM email_messages WHERE unsubscribe_token = \(token)
                """)
            guard rows.count == 1 else { return false }
            let (organisationID, employeeID, waveID) = try rows[0].decode((UUID, UUID, UUID).self)
            try connection.execute("""
                INSERT INTO email_opt_outs (organisation_id, employee_id, wave_id) VALUES (\(organisationID), \(employeeID), \(waveID))
                ON CONFLICT (organisation_id, employee_id) DO NOTHING
                """)
            return true
        }
    }

    // MARK: - The sender's side

    /// Claims up to `limit` due reminders for `lease` (as ``claimDueMessages(limit:lease:)`` does
    /// for webhooks: `FOR UPDATE SKIP LOCKED`, a lease token per claim, an attempt counted per
    /// claim). Due messages whose person signed, opted out or lost their address since planning
    /// are marked `skipped` in the same transaction and not returned.
    public func claimDueEmails(limit: Int, lease: Duration) async throws -> [ClaimedEmail] {
        let seconds = Double(lease.components.seconds) + Double(lease.components.attoseconds) / 1e18
        let token = UUID()
        return try await pool.withTransaction { connection in
            try connection.query("""
                WITH due AS (
                    SELECT m.organisation_id, m.id,
                           CASE WHEN EXISTS (SELECT 1 FROM signatures s WHERE s.organisation_id = m.organisation_id
                                             AND s.campaign_id = w.campaign_id AND s.employee_id = m.employee_id AND s.withdrawn_at IS NULL)
                                THEN 'signed'
                                WHEN EXISTS (SELECT 1 FROM email_opt_outs o WHERE o.organisation_id = m.organisation_id AND o.employee_id = m.employee_id)
                                THEN 'opted_out'
                                WHEN e.email IS NULL OR e.email = '' OR NOT e.active THEN 'no_email'
                           END AS skip
                    FROM email_messages m
                    JOIN reminder_waves w ON w.organisation_id = m.organisation_id AND w.id = m.wave_id
                    JOIN employees e ON e.organisation_id = m.organisation_id AND e.id = m.employee_id
                    WHERE m.status IN ('pending', 'sending') AND m.next_attempt_at <= clock_timestamp()
                      AND (m.status = 'pending' OR m.lease_until < clock_timestamp())
                    ORDER BY m.next_attempt_at
                    LIMIT \(max(1, limit))
                    FOR UPDATE OF m SKIP LOCKED
                ), skipped AS (
                    UPDATE email_messages m SET status = 'skipped', skip_reason = due.skip, lease_token = NULL, lease_until = NULL
                    FROM due WHERE due.skip IS NOT NULL AND m.organisation_id = due.organisation_id AND m.id = due.id
                    RETURNING 1
                ), claimed AS (
                    UPDATE email_messages m SET status = 'sending', attempts = m.attempts + 1, lease_token = \(token),
                        lease_until = clock_timestamp() + make_interval(secs => \(seconds)),
                        next_attempt_at = clock_timestamp() + make_interval(secs => \(seconds))
                    FROM due WHERE due.skip IS NULL AND m.organisation_id = due.organisation_id AND m.id = due.id
                    RETURNING m.organisation_id, m.id, m.attempts, m.wave_id, m.employee_id, m.language, m.unsubscribe_token
                )
                SELECT claimed.organisation_id, claimed.id, claimed.attempts, claimed.language, claimed.unsubscribe_token,
                       e.email, e.display_name, o.name AS organisation_name, c.slug, c.title, c.default_language, c.hashtag
                FROM claimed
                JOIN employees e ON e.organisation_id = claimed.organisation_id AND e.id = claimed.employee_id
                JOIN organisations o ON o.id = claimed.organisation_id
                JOIN reminder_waves w ON w.organisation_id = claimed.organisation_id AND w.id = claimed.wave_id
                JOIN campaigns c ON c.organisation_id = w.organisation_id AND c.id = w.campaign_id
                """).rows.map { row in
                let language = try row.decode(String.self, column: "language")
                let titles = try row.decode(JSONB<[String: String]>.self, column: "title").value
                let defaultLanguage = try row.decode(String.self, column: "default_language")
                return ClaimedEmail(
                    organisationID: try row.decode(UUID.self, column: "organisation_id"), id: try row.decode(UUID.self, column: "id"),
                    leaseToken: token, attempts: try row.decode(Int.self, column: "attempts"),
                    address: try row.decode(String.self, column: "email"), name: try row.decode(String?.self, column: "display_name"),
                    language: language, unsubscribeToken: try row.decode(Data.self, column: "unsubscribe_token"),
                    organisationName: try row.decode(String.self, column: "organisation_name"),
                    campaign: try row.decode(String.self, column: "slug"),
                    campaignTitle: titles[language] ?? titles[defaultLanguage] ?? "",
                    hashtag: try row.decode(String.self, column: "hashtag"))
            }
        }
    }

    /// Records how an attempt ended, if the claim is still the sender's. Returns whether it was recorded.
    @discardableResult
    public func recordEmailDelivery(_ message: ClaimedEmail, outcome: EmailOutcome) async throws -> Bool {
        var status = "sent"
        var code: Int?
        var error: String?
        var retrySeconds: Double?
        switch outcome {
        case .sent(let replyCode):
            code = replyCode
        case .failed(let replyCode, let text, let retryAfter):
            code = replyCode
            error = String(text.prefix(1000))
            if let retryAfter {
                status = "pending"
                retrySeconds = Double(retryAfter.components.seconds) + Double(retryAfter.components.attoseconds) / 1e18
            } else {
                status = "failed"
            }
        }
        let (finalStatus, finalCode, finalError, finalRetry) = (status, code, error, retrySeconds)
        return try await pool.withConnection { connection in
            try connection.execute("""
                UPDATE email_messages SET status = \(finalStatus), lease_token = NULL, lease_until = NULL,
                    last_error = \(finalError), last_reply_code = \(finalCode),
                    sent_at = CASE WHEN \(finalStatus) = 'sent' THEN clock_timestamp() END,
                    next_attempt_at = CASE WHEN \(finalRetry)::float8 IS NULL THEN next_attempt_at
                                           ELSE clock_timestamp() + make_interval(secs => \(finalRetry)) END
                WHERE organisation_id = \(message.organisationID) AND id = \(message.id) AND lease_token = \(message.leaseToken)
                """) == 1
        }
    }
}

extension MobiliseStore {
    /// Whether any reminder is due (a cheap look before reserving sending slots).
    public func hasDueEmails() async throws -> Bool {
        try await pool.withConnection { connection in
            try connection.query("""
                SELECT EXISTS (SELECT 1 FROM email_messages
                               WHERE status IN ('pending', 'sending') AND next_attempt_at <= clock_timestamp())
                """).scalar(Bool.self) ?? false
        }
    }

    /// Reserves `count` sending slots `spacing` apart, after every slot reserved so far by any
    /// instance (sql/0028, `email_send_slots`): the configured rate holds for all instances
    /// together. Returns how long to wait until the first slot (zero when it is now).
    public func reserveEmailSlots(count: Int, spacing: Duration) async throws -> Duration {
        let total = (Double(spacing.components.seconds) + Double(spacing.components.attoseconds) / 1e18) * Double(max(count, 1))
        let wait = try await pool.withConnection { connection in
            try connection.query("""
                INSERT INTO email_send_slots AS s (id, next_slot) VALUES (true, clock_timestamp() + make_interval(secs => \(total)))
                ON CONFLICT (id) DO UPDATE SET next_slot = greatest(s.next_slot, clock_timestamp()) + make_interval(secs => \(total))
                RETURNING (extract(epoch FROM s.next_slot - clock_timestamp()) - \(total))::float8
                """).scalar(Double.self) ?? 0
        }
        return wait > 0 ? .milliseconds(Int64((wait * 1000).rounded(.up))) : .zero
    }
}
