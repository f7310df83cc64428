import Foundation
import MobiliseDomain
import Postgres

/// An endpoint an organisation is told about its campaigns at (a webhook, a Teams or Slack channel).
public struct OutboundEndpoint: Sendable, Equatable {
    public var id: UUID
    public var kind: OutboundKind
    public var url: String
    public var description: String?
    public var events: [OutboundEventType]
    public var enabled: Bool
    public var createdBy: String
    public var createdAt: Date
}

/// What an HR admin gives to create or change an endpoint.
public struct OutboundEndpointDraft: Sendable, Equatable {
    public var kind: OutboundKind
    public var url: String
    public var description: String?
    public var events: [OutboundEventType]
    public var enabled: Bool

    public init(kind: OutboundKind, url: String, description: String? = nil, events: [OutboundEventType], enabled: Bool = true) {
        self.kind = kind
        self.url = url
        self.description = description
        self.events = events
        self.enabled = enabled
    }
}

/// The state of one delivery of an event to an endpoint.
public enum OutboxStatus: String, Sendable, Codable, CaseIterable, PostgresCodable {
    case pending, delivering, delivered, failed, refused
}

/// One delivery in the log HR reads.
public struct OutboxMessage: Sendable, Equatable {
    public var id: UUID
    public var eventID: UUID
    public var eventType: String
    public var endpointID: UUID
    public var endpointKind: OutboundKind
    public var status: OutboxStatus
    public var attempts: Int
    public var nextAttemptAt: Date?
    public var lastError: String?
    public var lastStatusCode: Int?
    public var deliveredAt: Date?
    public var createdAt: Date
}

/// One attempt at a delivery.
public struct OutboxAttempt: Sendable, Equatable {
    public var at: Date
    public var outcome: String
    public var statusCode: Int?
    public var error: String?
    public var durationMilliseconds: Int?
}

/// A message the sender claimed: everything needed to send it, and the lease it holds.
public struct ClaimedMessage: Sendable {
    public var organisationID: UUID
    public var id: UUID
    public var leaseToken: UUID
    public var attempts: Int
    public var event: OutboundEvent
    public var kind: OutboundKind
    public var url: String
    public var secret: Data?
}

/// One attempt's end, as the sender records it (``MobiliseStore/recordDeliveries(_:)``).
public struct DeliveryRecord: Sendable {
    public var message: ClaimedMessage
    public var outcome: DeliveryOutcome
    public var duration: Duration

    public init(message: ClaimedMessage, outcome: DeliveryOutcome, duration: Duration) {
        self.message = message
        self.outcome = outcome
        self.duration = duration
    }
}

/// How an attempt ended, as the sender reports it.
public enum DeliveryOutcome: Sendable, Equatable {
    case delivered(statusCode: Int)
    /// Failed; retry after the delay, or give up (`failed`) when nil.
    case failed(statusCode: Int?, error: String, retryAfter: Duration?)
    /// The outbound-URL policy refused the address (final).
    case refused(error: String)
}

/// A campaign the milestone job looks at, with the markers of what its milestones are computed from
/// (``MobiliseStore/milestoneCandidates(types:)``; nil when they could not be read).
public struct MilestoneCandidate: Sendable, Equatable {
    public var organisationID: UUID
    public var campaignID: UUID
    /// The campaign, its organisation, its milestone settings and its headcount.
    public var settings: String?
    /// Its signature counts (nil too when it was signed in the last seconds: it is looked at).
    public var counts: String?

    public init(organisationID: UUID, campaignID: UUID, settings: String?, counts: String?) {
        self.organisationID = organisationID
        self.campaignID = campaignID
        self.settings = settings
        self.counts = counts
    }
}

/// Milestone settings of an organisation.
public struct MilestoneSettings: Sendable, Equatable {
    public var signatures: [Int]
    public var goalShares: [Int]

    public init(signatures: [Int] = [1_000, 10_000, 100_000, 1_000_000], goalShares: [Int] = [25, 50, 75, 100]) {
        self.signatures = signatures
        self.goalShares = goalShares
    }
}

extension MobiliseStore {
    // MARK: - Writing events (inside the caller's transaction)

    /// Records an event and one pending message per enabled endpoint of the organisation that takes
    /// its type, in the caller's transaction: the messages exist exactly when what caused them
    /// committed. An event whose `dedupeKey` was recorded before is ignored (one message per
    /// milestone, however many instances or runs see it). Returns whether it was new.
    @discardableResult
    static func enqueueOutboundEvent(
        _ connection: PostgresConnection, organisationID: UUID, type: OutboundEventType, dedupeKey: String,
        data: [String: OutboundValue]
    ) throws -> Bool {
        let inserted = try connection.query("""
            WITH event AS (
                INSERT INTO outbox_events (organisation_id, type, dedupe_key, payload)
                VALUES (\(organisationID), \(type.rawValue), \(dedupeKey), \(try JSONB(data)))
                ON CONFLICT (organisation_id, dedupe_key) DO NOTHING
                RETURNING id
            ), messages AS (
                INSERT INTO outbox_messages (organisation_id, event_id, endpoint_id)
                SELECT \(organisationID), event.id, e.id FROM event
                JOIN outbound_endpoints e ON e.organisation_id = \(organisationID) AND e.enabled AND \(type.rawValue) = ANY(e.events)
                RETURNING 1
            )
            SELECT count(*) FROM event
            """).scalar(Int.self) ?? 0
        return inserted > 0
    }

    /// Records an event outside any other change (milestones, digests, a test message).
    @discardableResult
    public func enqueueOutboundEvent(
        organisationID: UUID, type: OutboundEventType, dedupeKey: String, data: [String: OutboundValue]
    ) async throws -> Bool {
        try await pool.withTransaction { connection in
            try Self.enqueueOutboundEvent(connection, organisationID: organisationID, type: type, dedupeKey: dedupeKey, data: data)
        }
    }

    /// Records several events of one organisation at once (what one pass of the milestone job
    /// found), each as ``enqueueOutboundEvent(organisationID:type:dedupeKey:data:)`` does: in one
    /// transaction and one statement, whatever their number. Events whose dedupe key was recorded
    /// before (a milestone reached in an earlier pass: most of them, every pass) are left out
    /// before anything is inserted. Returns how many were new.
    @discardableResult
    public func enqueueOutboundEvents(
        organisationID: UUID, _ events: [(type: OutboundEventType, key: String, data: [String: OutboundValue])]
    ) async throws -> Int {
        guard !events.isEmpty else { return 0 }
        let types = events.map(\.type.rawValue)
        let keys = events.map(\.key)
        // JSONB's own encoding, bound as one text[] that the statement unnests and casts to jsonb.
        let payloads = try events.map { try JSONB($0.data).text }
        return try await pool.withTransaction { connection in
            try connection.query("""
                WITH input AS (
                    SELECT i.type, i.dedupe_key, i.payload::jsonb AS payload, i.n
                    FROM unnest(\(types)::text[], \(keys)::text[], \(payloads)::text[]) WITH ORDINALITY AS i (type, dedupe_key, payload, n)
                    WHERE NOT EXISTS (
                        SELECT 1 FROM outbox_events known WHERE known.organisation_id = \(organisationID) AND known.dedupe_key = i.dedupe_key)
                ), event AS (
                    INSERT INTO outbox_events (organisation_id, type, dedupe_key, payload)
                    SELECT \(organisationID), input.type, input.dedupe_key, input.payload FROM input ORDER BY input.n
                    ON CONFLICT (organisation_id, dedupe_key) DO NOTHING
                    RETURNING id, type
                ), messages AS (
                    INSERT INTO outbox_messages (organisation_id, event_id, endpoint_id)
                    SELECT \(organisationID), event.id, e.id FROM event
                    JOIN outbound_endpoints e ON e.organisation_id = \(organisationID) AND e.enabled AND event.type = ANY(e.events)
                    RETURNING 1
                )
                SELECT count(*) FROM event
                """).scalar(Int.self) ?? 0
        }
    }

    /// The facts about a campaign every campaign event carries.
    static func campaignFacts(_ campaign: Campaign) -> [String: OutboundValue] {
        [
            "campaign": .string(campaign.slug), "campaign_id": .string(campaign.id.uuidString.lowercased()),
            "title": .string(campaign.title(in: nil)), "hashtag": .string(campaign.hashtag),
        ]
    }

    // MARK: - Endpoints

    /// Creates an endpoint. `secret` is the webhook signing key as it is to be kept, sealed by the
    /// caller (nil for Teams and Slack).
    public func createOutboundEndpoint(
        organisationID: UUID, _ draft: OutboundEndpointDraft, secret: Data?, actor: Actor
    ) async throws -> OutboundEndpoint {
        try await pool.withTransaction { connection in
            let id = try connection.query("""
                INSERT INTO outbound_endpoints (organisation_id, kind, url, description, events, secret, enabled, created_by)
                VALUES (\(organisationID), \(draft.kind.rawValue), \(draft.url), \(draft.description), \(draft.events.map(\.rawValue)),
                        \(secret), \(draft.enabled), \(actor.identity))
                RETURNING id
                """).scalar(UUID.self)
            guard let id else { throw PostgresError(kind: .client, message: "INSERT … RETURNING returned no row") }
            try Self.audit(connection, organisationID: organisationID, actor: actor, action: "webhook.create", subject: id.uuidString,
                           details: ["kind": draft.kind.rawValue])
            return try Self.outboundEndpoint(connection, organisationID: organisationID, id: id)
        }
    }

    /// Replaces an endpoint's URL, description, events and whether it is enabled (its kind and secret stay).
    public func updateOutboundEndpoint(organisationID: UUID, id: UUID, _ draft: OutboundEndpointDraft, actor: Actor) async throws -> OutboundEndpoint {
        try await pool.withTransaction { connection in
            let changed = try connection.execute("""
                UPDATE outbound_endpoints SET url = \(draft.url), description = \(draft.description),
                    events = \(draft.events.map(\.rawValue)), enabled = \(draft.enabled)
                WHERE organisation_id = \(organisationID) AND id = \(id)
                """)
            guard changed == 1 else { throw Self.endpointNotFound(id) }
            try Self.audit(connection, organisationID: organisationID, actor: actor, action: "webhook.update", subject: id.uuidString)
            return try Self.outboundEndpoint(connection, organisationID: organisationID, id: id)
        }
    }

    /// Deletes an endpoint and its deliveries. False when there was none.
    public func deleteOutboundEndpoint(organisationID: UUID, id: UUID, actor: Actor) async throws -> Bool {
        try await pool.withTransaction { connection in
            let deleted = try connection.execute("DELETE FROM outbound_endpoints WHERE organisation_id = \(organisationID) AND id = \(id)")
            if deleted == 1 {
                try Self.audit(connection, organisationID: organisationID, actor: actor, action: "webhook.delete", subject: id.uuidString)
            }
            return deleted == 1
        }
    }

    public func outboundEndpoint(organisationID: UUID, id: UUID) async throws -> OutboundEndpoint {
        try await pool.withConnection { try Self.outboundEndpoint($0, organisationID: organisationID, id: id) }
    }

    /// The organisation's endpoints, oldest first (an organisation has a handful).
    public func outboundEndpoints(organisationID: UUID) async throws -> [OutboundEndpoint] {
        try await pool.withConnection { connection in
            try connection.query("""
                SELECT id, kind, url, description, events, enabled, created_by, created_at FROM outbound_endpoints
                WHERE organisation_id = \(organisationID) ORDER BY created_at, id LIMIT 1000
                """).rows.map(Self.decodeEndpoint)
        }
    }

    static func outboundEndpoint(_ connection: PostgresConnection, organisationID: UUID, id: UUID) throws -> OutboundEndpoint {
        let rows = try connection.query("""
            SELECT id, kind, url, description, events, enabled, created_by, created_at FROM outbound_endpoints
            WHERE organisation_id = \(organisationID) AND id = \(id)
            """)
        guard rows.count == 1 else { throw endpointNotFound(id) }
        return try decodeEndpoint(rows[0])
    }

    static func decodeEndpoint(_ row: PostgresRow) throws -> OutboundEndpoint {
        OutboundEndpoint(
            id: try row.decode(UUID.self, column: "id"),
            kind: OutboundKind(rawValue: try row.decode(String.self, column: "kind")) ?? .webhook,
            url: try row.decode(String.self, column: "url"), description: try row.decode(String?.self, column: "description"),
            events: try row.decode([String].self, column: "events").compactMap(OutboundEventType.init(rawValue:)),
            enabled: try row.decode(Bool.self, column: "enabled"), createdBy: try row.decode(String.self, column: "created_by"),
            createdAt: try row.decode(Date.self, column: "created_at"))
    }

    static func endpointNotFound(_ id: UUID) -> MobiliseError {
        MobiliseError(.notFound, code: .webhookNotFound, "no webhook '\(id.uuidString.lowercased())' in this organisation")
    }

    // MARK: - Milestone settings

    public func milestoneSettings(organisationID: UUID) async throws -> MilestoneSettings {
        try await pool.withConnection { connection in
            let rows = try connection.query("""
                SELECT milestone_signatures, milestone_goal_shares FROM outbound_settings WHERE organisation_id = \(organisationID)
                """)
            guard rows.count == 1 else { return MilestoneSettings() }
            return MilestoneSettings(
                signatures: try rows[0].decode([Int].self, column: "milestone_signatures"),
                goalShares: try rows[0].decode([Int].self, column: "milestone_goal_shares"))
        }
    }

    public func setMilestoneSettings(organisationID: UUID, _ settings: MilestoneSettings, actor: Actor) async throws {
        let signatures = Array(Set(settings.signatures.filter { $0 > 0 })).sorted()
        let shares = Array(Set(settings.goalShares.filter { (1...100).contains($0) })).sorted()
        try await pool.withTransaction { connection in
            try connection.execute("""
                INSERT INTO outbound_settings (organisation_id, milestone_signatures, milestone_goal_shares)
                VALUES (\(organisationID), \(signatures), \(shares))
                ON CONFLICT (organisation_id) DO UPDATE SET milestone_signatures = EXCLUDED.milestone_signatures,
                    milestone_goal_shares = EXCLUDED.milestone_goal_shares
                """)
            try Self.audit(connection, organisationID: organisationID, actor: actor, action: "webhook.milestones", subject: nil)
        }
    }

    /// Organisations with at least one enabled endpoint taking one of `types`, with their active
    /// campaigns' references: what the milestone job looks at.
    public func campaignsWithOutboundSubscribers(types: [OutboundEventType]) async throws -> [(organisationID: UUID, campaignID: UUID)] {
        try await pool.withConnection { connection in
            // Two statements, not a join: on Citus the endpoints are a local table on the coordinator and
            // campaigns are distributed, which it does not join ("direct joins between distributed and
            // local tables are not supported"); the first is small (the subscribing organisations).
            let organisations = try connection.query("""
                SELECT DISTINCT organisation_id FROM outbound_endpoints WHERE enabled AND events && \(types.map(\.rawValue))
                """).rows.map { try $0.decode(UUID.self, at: 0) }
            guard !organisations.isEmpty else { return [] }
            return try connection.query("""
                SELECT organisation_id, id FROM campaigns
                WHERE status = 'active' AND organisation_id = ANY(\(organisations))
                ORDER BY organisation_id, id
                """).rows.map { try $0.decode((UUID, UUID).self) }.map { (organisationID: $0.0, campaignID: $0.1) }
        }
    }

    /// What the milestone job looks at (``campaignsWithOutboundSubscribers(types:)``), each campaign
    /// with markers of everything its milestones are computed from, and the database's clock.
    ///
    /// Each marker changes whenever a change to what it covers commits. ``MilestoneCandidate/settings``:
    /// the campaign's row (goals, status, publication key), its organisation's (k, time zone), its
    /// milestone settings and its headcount rows. ``MilestoneCandidate/counts``: its signature
    /// totals (every signing and withdrawal adds to one of those, whatever instant it is dated). A
    /// marker is its rows' versions' transaction ids, counted and summed: an update gives a row a
    /// newer (larger) one, so the sum moves on every change; reading it is O(countries × 16 slots)
    /// index entries, none of the journal. The counts marker is nil for a campaign signed in the
    /// last 5 seconds (one probe of the journal's index): it is looked at anyway, and its hot count
    /// rows' many versions cost as much to visit as its ranking (measured: 7–14 ms a pass when it
    /// was read for every campaign). Both are nil when the markers cannot be read (a database that
    /// does not give row versions, such as Citus' distributed tables): then every campaign is
    /// looked at every pass.
    public func milestoneCandidates(types: [OutboundEventType]) async throws -> (now: Date, campaigns: [MilestoneCandidate]) {
        let subscribed = try await campaignsWithOutboundSubscribers(types: types)
        guard !subscribed.isEmpty else { return (Date(), []) }
        let organisations = Array(Set(subscribed.map { $0.organisationID }))
        let markers: (now: Date, markers: [UUID: (String, String?)])?
        do {
            markers = try await pool.withConnection { connection in
                let rows = try connection.query("""
                    SELECT c.id, now() AS now,
                           c.xmin::text || '/' || o.xmin::text || '/' || coalesce(s.xmin::text, '-') || '/'
                           || (SELECT count(*) || ':' || coalesce(sum(h.xmin::text::bigint), 0) FROM campaign_headcount h
                               WHERE h.organisation_id = c.organisation_id AND h.campaign_id = c.id) AS settings,
                           -- A campaign signed in the last seconds is looked at anyway: its counts marker,
                           -- which visits every version of its hot count rows, is not read (NULL).
                           CASE WHEN NOT EXISTS (
                               SELECT 1 FROM signature_events e
                               WHERE e.organisation_id = c.organisation_id AND e.campaign_id = c.id AND e.at > now() - interval '5 seconds')
                           THEN (SELECT count(*) || ':' || coalesce(sum(t.xmin::text::bigint), 0) FROM signature_total_counts t
                                 WHERE t.organisation_id = c.organisation_id AND t.campaign_id = c.id) END AS counts
                    FROM campaigns c
                    JOIN organisations o ON o.id = c.organisation_id
                    LEFT JOIN outbound_settings s ON s.organisation_id = c.organisation_id
                    WHERE c.status = 'active' AND c.organisation_id = ANY(\(organisations))
                    """).rows
                var found: [UUID: (String, String?)] = [:]
                var now = Date()
                for row in rows {
                    let (id, instant, settings, counts) = try row.decode((UUID, Date, String, String?).self)
                    found[id] = (settings, counts)
                    now = instant
                }
                return (now: now, markers: found)
            }
        } catch let error as PostgresError where error.kind == .server {
            markers = nil
        }
        let now = markers?.now ?? Date()
        return (now, subscribed.map { campaign in
            let marker = markers?.markers[campaign.campaignID]
            return MilestoneCandidate(
                organisationID: campaign.organisationID, campaignID: campaign.campaignID, settings: marker?.0, counts: marker?.1)
        })
    }

    // MARK: - The sender's side

    /// Claims up to `limit` due messages for `lease`: pending ones whose next attempt is due, and
    /// those whose previous claim's lease expired (an instance died mid-send). `FOR UPDATE SKIP
    /// LOCKED` lets instances claim side by side without waiting on, or taking, each other's rows;
    /// the lease, committed before anything is sent, keeps a message from being sent by two
    /// instances at once. Each claim counts an attempt.
    ///
    /// The instant is the transaction's `now()`, not `clock_timestamp()`: Citus refuses volatile
    /// functions in an `UPDATE` of a table it manages (the outbox's are Citus local tables on the
    /// coordinator: deploy/citus/distribute.sql), and evaluates a stable one once, on the coordinator.
    /// The claim is its transaction's first statement, so `now()` is the moment it runs.
    ///
    /// The claim and the two statements of ``recordDeliveries(_:)`` are prepared (once per
    /// connection): planning them took as long as running them (0.35 ms a claim while signing ran,
    /// `bench/outbox_during_signing` with `BENCH_PGSS=1`), and the sender runs them every batch.
    public func claimDueMessages(limit: Int, lease: Duration) async throws -> [ClaimedMessage] {
        let seconds = Double(lease.components.seconds) + Double(lease.components.attoseconds) / 1e18
        let token = UUID()
        return try await pool.withTransaction { connection in
            let claim: PostgresQuery = """
                WITH due AS (
                    SELECT organisation_id, id FROM outbox_messages
                    WHERE status IN ('pending', 'delivering') AND next_attempt_at <= now()
                      AND (status = 'pending' OR lease_until < now())
                    ORDER BY next_attempt_at
                    LIMIT \(max(1, limit))
                    FOR UPDATE SKIP LOCKED
                ), claimed AS (
                    UPDATE outbox_messages m SET status = 'delivering', attempts = m.attempts + 1, lease_token = \(token),
                        lease_until = now() + make_interval(secs => \(seconds)),
                        next_attempt_at = now() + make_interval(secs => \(seconds))
                    FROM due WHERE m.organisation_id = due.organisation_id AND m.id = due.id
                    RETURNING m.organisation_id, m.id, m.attempts, m.event_id, m.endpoint_id
                )
                SELECT claimed.organisation_id, claimed.id, claimed.attempts, ev.id AS event_id, ev.type, ev.payload, ev.created_at,
                       ep.kind, ep.url, ep.secret
                FROM claimed
                JOIN outbox_events ev ON ev.organisation_id = claimed.organisation_id AND ev.id = claimed.event_id
                JOIN outbound_endpoints ep ON ep.organisation_id = claimed.organisation_id AND ep.id = claimed.endpoint_id
                """
            return try connection.query(claim.prepared()).rows.compactMap { row in
                guard let type = OutboundEventType(rawValue: try row.decode(String.self, column: "type")),
                      let kind = OutboundKind(rawValue: try row.decode(String.self, column: "kind")) else { return nil }
                return ClaimedMessage(
                    organisationID: try row.decode(UUID.self, column: "organisation_id"), id: try row.decode(UUID.self, column: "id"),
                    leaseToken: token, attempts: try row.decode(Int.self, column: "attempts"),
                    event: OutboundEvent(
                        id: try row.decode(UUID.self, column: "event_id"), type: type,
                        createdAt: try row.decode(Date.self, column: "created_at"),
                        data: try row.decode(JSONB<[String: OutboundValue]>.self, column: "payload").value),
                    kind: kind, url: try row.decode(String.self, column: "url"), secret: try row.decode(Data?.self, column: "secret"))
            }
        }
    }

    /// Records how an attempt ended, if the claim is still the sender's (a sender whose lease
    /// expired and whose message was claimed again records nothing: the newer claim decides).
    /// Returns whether it was recorded.
    @discardableResult
    public func recordDelivery(_ message: ClaimedMessage, outcome: DeliveryOutcome, duration: Duration) async throws -> Bool {
        try await recordDeliveries([DeliveryRecord(message: message, outcome: outcome, duration: duration)]) == 1
    }

    /// Records how a batch of attempts ended, in one transaction of two statements whatever the
    /// batch's size (the sender records a claimed batch at once, rather than taking a connection
    /// and committing per message), each only if its claim is still the sender's, as
    /// ``recordDelivery(_:outcome:duration:)`` does for one. Returns how many were recorded.
    @discardableResult
    public func recordDeliveries(_ records: [DeliveryRecord]) async throws -> Int {
        guard !records.isEmpty else { return 0 }
        var organisations: [UUID] = [], ids: [UUID] = [], tokens: [UUID] = [], statuses: [String] = [], outcomes: [String] = []
        var codes: [Int?] = [], errors: [String?] = [], nextAttempts: [Date] = [], delivered: [Date?] = [], milliseconds: [Int] = []
        let now = Date()
        for record in records {
            let (status, attemptOutcome, code, error, retrySeconds) = Self.recorded(record.outcome)
            organisations.append(record.message.organisationID)
            ids.append(record.message.id)
            tokens.append(record.message.leaseToken)
            statuses.append(status.rawValue)
            outcomes.append(attemptOutcome)
            codes.append(code)
            errors.append(error)
            nextAttempts.append(now.addingTimeInterval(retrySeconds ?? 0))
            delivered.append(status == .delivered ? now : nil)
            let duration = record.duration.components
            milliseconds.append(Int(clamping: duration.seconds * 1000 + duration.attoseconds / 1_000_000_000_000_000))
        }
        let (o, i, t, st, oc, c, e, n, d, ms) = (organisations, ids, tokens, statuses, outcomes, codes, errors, nextAttempts, delivered, milliseconds)
        return try await pool.withTransaction { connection in
            // A final state keeps no next attempt (it is read only while pending or delivering), so
            // one statement writes every row: a retry's instant is now plus its delay, anything
            // else's now. The instants come from the service's clock: Citus refuses now() (or
            // timestamptz + interval) given a column in an UPDATE of the outbox's tables.
            let record: PostgresQuery = """
                UPDATE outbox_messages m SET status = o.status, lease_token = NULL, lease_until = NULL,
                    last_error = o.error, last_status_code = o.code, delivered_at = o.delivered_at, next_attempt_at = o.next_attempt_at
                FROM unnest(\(o)::uuid[], \(i)::uuid[], \(t)::uuid[], \(st)::text[], \(c)::int8[], \(e)::text[], \(n)::timestamptz[],
                            \(d)::timestamptz[]) AS o (organisation_id, id, token, status, code, error, next_attempt_at, delivered_at)
                WHERE m.organisation_id = o.organisation_id AND m.id = o.id AND m.lease_token = o.token
                RETURNING m.id
                """
            let recorded = try connection.query(record.prepared()).column(UUID.self)
            guard !recorded.isEmpty else { return 0 }
            let attempts: PostgresQuery = """
                INSERT INTO outbox_attempts (organisation_id, message_id, outcome, status_code, error, duration_ms)
                SELECT a.organisation_id, a.id, a.outcome, a.code, a.error, a.ms
                FROM unnest(\(o)::uuid[], \(i)::uuid[], \(oc)::text[], \(c)::int8[], \(e)::text[], \(ms)::int8[])
                     WITH ORDINALITY AS a (organisation_id, id, outcome, code, error, ms, n)
                WHERE a.id = ANY(\(recorded)::uuid[])
                ORDER BY a.n
                """
            try connection.execute(attempts.prepared())
            return recorded.count
        }
    }

    /// The message's state, the attempt's outcome, status code, error and retry delay in seconds.
    static func recorded(_ outcome: DeliveryOutcome) -> (OutboxStatus, String, Int?, String?, Double?) {
        switch outcome {
        case .delivered(let statusCode):
            return (.delivered, "delivered", statusCode, nil, nil)
        case .failed(let statusCode, let message, let retryAfter):
            let error = String(message.prefix(1000))
            guard let retryAfter else { return (.failed, "failed", statusCode, error, nil) }
            return (.pending, "retry", statusCode, error, Double(retryAfter.components.seconds) + Double(retryAfter.components.attoseconds) / 1e18)
        case .refused(let message):
            return (.refused, "refused", nil, String(message.prefix(1000)), nil)
        }
    }

    // MARK: - Sealing stored secrets

    /// Every webhook signing key as stored (sealed, or plain when saved before sealing), for the
    /// service to seal at startup. An organisation has a handful of webhooks.
    public func storedWebhookSigningKeys() async throws -> [(organisationID: UUID, id: UUID, secret: Data)] {
        try await pool.withConnection { connection in
            try connection.query("""
                SELECT organisation_id, id, secret FROM outbound_endpoints WHERE secret IS NOT NULL ORDER BY organisation_id, id
                """).rows.map { try $0.decode((UUID, UUID, Data).self) }.map { (organisationID: $0.0, id: $0.1, secret: $0.2) }
        }
    }

    /// Replaces a stored signing key if it is still `old` (another instance may have sealed it
    /// first). Returns whether it did.
    @discardableResult
    public func replaceWebhookSigningKey(organisationID: UUID, id: UUID, from old: Data, to new: Data) async throws -> Bool {
        try await pool.withConnection { connection in
            try connection.execute("""
                UPDATE outbound_endpoints SET secret = \(new)
                WHERE organisation_id = \(organisationID) AND id = \(id) AND secret = \(old)
                """) == 1
        }
    }

    // MARK: - The delivery log

    /// The organisation's deliveries, newest first, a page at a time, optionally of one status or endpoint.
    public func outboxMessages(
        organisationID: UUID, status: OutboxStatus? = nil, endpointID: UUID? = nil, after cursor: String? = nil, limit: Int = 50
    ) async throws -> (messages: [OutboxMessage], nextCursor: String?) {
        let limit = min(max(limit, 1), 200)
        let position = try cursor.map(PageCursor.init(encoded:)) ?? .newestFirst
        return try await pool.withConnection { connection in
            let rows = try connection.query("""
                \(unsafeSQL: Self.messageSelect)
                WHERE m.organisation_id = \(organisationID) AND (\(status?.rawValue)::text IS NULL OR m.status = \(status?.rawValue))
                  AND (\(endpointID)::uuid IS NULL OR m.endpoint_id = \(endpointID))
                  AND (m.created_at, m.id) < (\(position.instant), \(position.id))
                ORDER BY m.created_at DESC, m.id DESC
                LIMIT \(limit + 1)
                """).rows.map(Self.decodeMessage)
            let page = PageCursor.page(rows, limit: limit) { PageCursor(instant: $0.createdAt, id: $0.id) }
            return (page.rows, page.next)
        }
    }

    /// One delivery and its attempts, oldest first.
    public func outboxMessage(organisationID: UUID, id: UUID) async throws -> (message: OutboxMessage, attempts: [OutboxAttempt]) {
        try await pool.withConnection { connection in
            let rows = try connection.query("""
                \(unsafeSQL: Self.messageSelect)
                WHERE m.organisation_id = \(organisationID) AND m.id = \(id)
                """)
            guard rows.count == 1 else { throw Self.messageNotFound(id) }
            let attempts = try connection.query("""
                SELECT at, outcome, status_code, error, duration_ms FROM outbox_attempts
                WHERE organisation_id = \(organisationID) AND message_id = \(id) ORDER BY id LIMIT 1000
                """).rows.map { row in
                OutboxAttempt(
                    at: try row.decode(Date.self, column: "at"), outcome: try row.decode(String.self, column: "outcome"),
                    statusCode: try row.decode(Int?.self, column: "status_code"), error: try row.decode(String?.self, column: "error"),
                    durationMilliseconds: try row.decode(Int?.self, column: "duration_ms"))
            }
            return (try Self.decodeMessage(rows[0]), attempts)
        }
    }

    /// Sends a delivery again: it becomes pending, due now, with a fresh budget of attempts (the log
    /// of earlier attempts stays). A delivery being sent right now cannot be replayed (409).
    public func replayOutboxMessage(organisationID: UUID, id: UUID, actor: Actor) async throws -> OutboxMessage {
        try await pool.withTransaction { connection in
            let rows = try connection.query("""
                SELECT status, lease_until > clock_timestamp() AS leased FROM outbox_messages
                WHERE organisation_id = \(organisationID) AND id = \(id) FOR UPDATE
                """)
            guard rows.count == 1 else { throw Self.messageNotFound(id) }
            if try rows[0].decode(String.self, column: "status") == OutboxStatus.delivering.rawValue,
               try rows[0].decode(Bool?.self, column: "leased") == true {
                throw MobiliseError(.conflict, code: .deliveryInProgress, "the message is being delivered now; replay it once this attempt ends")
            }
            try connection.execute("""
                UPDATE outbox_messages SET status = 'pending', attempts = 0, next_attempt_at = now(),
                    lease_token = NULL, lease_until = NULL
                WHERE organisation_id = \(organisationID) AND id = \(id)
                """)
            try Self.audit(connection, organisationID: organisationID, actor: actor, action: "webhook.replay", subject: id.uuidString)
            let message = try connection.query("""
                \(unsafeSQL: Self.messageSelect)
                WHERE m.organisation_id = \(organisationID) AND m.id = \(id)
                """)
            return try Self.decodeMessage(message[0])
        }
    }

    /// Sends again, in one go, the organisation's deliveries of `statuses` (ended ones: `failed`,
    /// `refused`, `delivered`), optionally of one endpoint and created in `[from, to)`: each becomes
    /// pending, due now, with a fresh budget of attempts (their logs stay), as ``replayOutboxMessage(organisationID:id:actor:)``
    /// does for one. At most `limit`, oldest first; returns how many. Audited once, with the count.
    public func replayOutboxMessages(
        organisationID: UUID, statuses: [OutboxStatus], endpointID: UUID? = nil, from: Date? = nil, to: Date? = nil, limit: Int,
        actor: Actor
    ) async throws -> Int {
        let final = statuses.filter { [.failed, .refused, .delivered].contains($0) }.map(\.rawValue)
        guard !final.isEmpty else { return 0 }
        return try await pool.withTransaction { connection in
            let replayed = try connection.query("""
                WITH chosen AS (
                    SELECT organisation_id, id FROM outbox_messages
                    WHERE organisation_id = \(organisationID) AND status = ANY(\(final))
                      AND (\(endpointID)::uuid IS NULL OR endpoint_id = \(endpointID))
                      AND (\(from)::timestamptz IS NULL OR created_at >= \(from))
                      AND (\(to)::timestamptz IS NULL OR created_at < \(to))
                    ORDER BY created_at, id
                    LIMIT \(max(1, limit))
                    FOR UPDATE SKIP LOCKED
                ), replayed AS (
                    -- now(), not clock_timestamp(): Citus refuses volatile functions in an UPDATE (deploy/citus/README.md).
                    UPDATE outbox_messages m SET status = 'pending', attempts = 0, next_attempt_at = now(),
                        lease_token = NULL, lease_until = NULL
                    FROM chosen WHERE m.organisation_id = chosen.organisation_id AND m.id = chosen.id
                    RETURNING 1
                )
                SELECT count(*) FROM replayed
                """).scalar(Int.self) ?? 0
            if replayed > 0 {
                try Self.audit(connection, organisationID: organisationID, actor: actor, action: "webhook.replay", subject: endpointID?.uuidString,
                               details: ["count": String(replayed), "statuses": final.joined(separator: ",")])
            }
            return replayed
        }
    }

    static let messageSelect = """
        SELECT m.id, m.event_id, ev.type, m.endpoint_id, ep.kind, m.status, m.attempts,
               CASE WHEN m.status IN ('pending', 'delivering') THEN m.next_attempt_at END AS next_attempt_at,
               m.last_error, m.last_status_code, m.delivered_at, m.created_at
        FROM outbox_messages m
        JOIN outbox_events ev ON ev.organisation_id = m.organisation_id AND ev.id = m.event_id
        JOIN outbound_endpoints ep ON ep.organisation_id = m.organisation_id AND ep.id = m.endpoint_id
        """

    static func decodeMessage(_ row: PostgresRow) throws -> OutboxMessage {
        OutboxMessage(
            id: try row.decode(UUID.self, column: "id"), eventID: try row.decode(UUID.self, column: "event_id"),
            eventType: try row.decode(String.self, column: "type"), endpointID: try row.decode(UUID.self, column: "endpoint_id"),
            endpointKind: OutboundKind(rawValue: try row.decode(String.self, column: "kind")) ?? .webhook,
            status: try row.decode(OutboxStatus.self, column: "status"), attempts: try row.decode(Int.self, column: "attempts"),
            nextAttemptAt: try row.decode(Date?.self, column: "next_attempt_at"),
            lastError: try row.decode(String?.self, column: "last_error"),
            lastStatusCode: try row.decode(Int?.self, column: "last_status_code"),
            deliveredAt: try row.decode(Date?.self, column: "delivered_at"), createdAt: try row.decode(Date.self, column: "created_at"))
    }

    static func messageNotFound(_ id: UUID) -> MobiliseError {
        MobiliseError(.notFound, code: .deliveryNotFound, "no delivery '\(id.uuidString.lowercased())' in this organisation")
    }
}
