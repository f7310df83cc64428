import Foundation
import MobiliseDomain
import Postgres

/// The outcome of signing: the signature, and whether this call made it current (201) or found
/// it already current (200).
public struct SigningResult: Sendable, Equatable {
    public var signature: Signature
    public var created: Bool
}

extension MobiliseStore {
    /// The `NOTIFY` channel of signature changes; the payload is the campaign's id. Sent inside the
    /// changing transaction, so listeners hear of a change only once it is committed (and of many
    /// changes in one transaction once).
    public static let signatureChannel = "signatures"

    /// Signs the pledge for an employee.
    ///
    /// Idempotent: signing a current signature returns it unchanged (`created == false`); signing
    /// after a withdrawal makes the same signature current again, recording the employee's country,
    /// site and org unit of now. Refusals, each with its own code: unknown or inactive employee,
    /// campaign not active or outside its dates, employee outside the audience, event of another campaign.
    ///
    /// Concurrent calls are written together (group commit, see ``SigningQueue``): each returns once
    /// the transaction holding its signature has committed.
    ///
    /// - Parameters:
    ///   - at: when the signature was given; defaults to now (set for paper signatures and demo data).
    ///   - hidingDrafts: answer "campaign not found" for a draft, as to an employee, who never sees drafts.
    public func sign(
        organisationID: UUID, campaign reference: String, employee externalID: String, channel: SignatureChannel = .web,
        eventID: UUID? = nil, at: Date? = nil, hidingDrafts: Bool = false
    ) async throws -> SigningResult {
        try await signing.sign(SigningRequest(
            organisationID: organisationID, campaign: reference, employee: externalID, channel: channel, eventID: eventID, at: at,
            hideDrafts: hidingDrafts))
    }

    /// How signing calls have been batched so far (for metrics and tests).
    public var groupCommitStatistics: GroupCommitStatistics { signing.statistics }

    /// Withdraws an employee's signature. The row stays, with `withdrawnAt`, so history is exact.
    /// Returns nil when the employee never signed; withdrawing twice returns the withdrawn signature.
    public func withdraw(organisationID: UUID, campaign reference: String, employee externalID: String, at: Date? = nil) async throws -> Signature? {
        try await pool.withTransaction(attempts: 3) { connection in
            let campaign = try Self.campaign(connection, organisationID: organisationID, reference: reference)
            guard campaign.status == .active else {
                throw MobiliseError(.unprocessable, code: .campaignNotActive, "signatures can only change while the campaign is active")
            }
            let employee = try Self.signer(connection, organisationID: organisationID, externalID: externalID)
            // now() is this transaction's start: a signing that committed while it waited for the row can be
            // later, and a withdrawal never precedes its signature. Chosen here rather than with coalesce():
            // Citus refuses now() inside COALESCE or CASE in an UPDATE (deploy/citus/README.md).
            let withdrawnAt: PostgresQuery = at.map { "\($0)" } ?? "greatest(now(), signed_at)"
            let withdrawn = try connection.query("""
                UPDATE signatures SET withdrawn_at = \(withdrawnAt)
                WHERE organisation_id = \(organisationID) AND campaign_id = \(campaign.id) AND employee_id = \(employee.id)
                  AND withdrawn_at IS NULL
                RETURNING \(unsafeSQL: Self.signatureColumns)
                """).decode(SignatureRow.self).first
            if let withdrawn {
                try Self.count(connection, organisationID: organisationID, campaignID: campaign.id, signatureID: withdrawn.id,
                               country: withdrawn.country, at: withdrawn.withdrawn_at ?? withdrawn.signed_at, delta: -1)
                return withdrawn.signature
            }
            return try Self.signature(connection, organisationID: organisationID, campaignID: campaign.id, employeeID: employee.id)
        }
    }

    /// An employee's signature of a campaign (current or withdrawn), nil when they never signed.
    public func signature(organisationID: UUID, campaign reference: String, employee externalID: String) async throws -> Signature? {
        try await pool.withConnection { connection in
            let campaign = try Self.campaign(connection, organisationID: organisationID, reference: reference)
            guard let employeeID = try connection.query("""
                SELECT id FROM employees WHERE organisation_id = \(organisationID) AND external_id = \(externalID)
                """).scalar(UUID.self) else { return nil }
            return try Self.signature(connection, organisationID: organisationID, campaignID: campaign.id, employeeID: employeeID)
        }
    }

    // MARK: - Inside a transaction

    /// Signs one request alone, in the caller's transaction (the batch writer's fallback, and bulk rows with
    /// their own time).
    static func sign(_ connection: PostgresConnection, _ request: SigningRequest) throws -> SigningResult {
        try sign(connection, organisationID: request.organisationID, campaign: request.campaign, employee: request.employee,
                 channel: request.channel, eventID: request.eventID, at: request.at, hideDrafts: request.hideDrafts)
    }

    static func sign(
        _ connection: PostgresConnection, organisationID: UUID, campaign reference: String, employee externalID: String,
        channel: SignatureChannel, eventID: UUID?, at: Date?, hideDrafts: Bool = false
    ) throws -> SigningResult {
        let campaign = try campaign(connection, organisationID: organisationID, reference: reference)
        let record = try signerRecord(connection, organisationID: organisationID, externalID: externalID)
        let now = try at ?? (connection.query("SELECT now()").scalar(Date.self) ?? Date())
        let eventCampaign = try eventID.flatMap { try eventForSigning(connection, organisationID: organisationID, eventID: $0)?.campaignID }
        let request = SigningRules.Request(externalID: externalID, channel: channel, eventID: eventID, at: now, hidingDrafts: hideDrafts)
        let signer = record.map { $0.rulesSigner(for: campaign) } ?? .unknown
        if let refusal = SigningRules.refusal(request, campaign: campaign, signer: signer, eventCampaign: eventCampaign) { throw refusal.error }
        guard let employee = record else { throw SigningRules.Refusal.employeeNotFound(externalID: externalID).error }
        let recordedChannel = channel.recorded(withEvent: eventID != nil)
        // Insert, or make a withdrawn signature current again; a current one is left alone.
        let changed = try connection.query("""
            INSERT INTO signatures (organisation_id, campaign_id, employee_id, country, site, org_unit, channel, event_id, signed_at)
            VALUES (\(organisationID), \(campaign.id), \(employee.id), \(employee.country), \(employee.site), \(employee.orgUnit),
                    \(recordedChannel.rawValue), \(eventID), \(now))
            ON CONFLICT (organisation_id, campaign_id, employee_id) DO UPDATE
                SET country = EXCLUDED.country, site = EXCLUDED.site, org_unit = EXCLUDED.org_unit, channel = EXCLUDED.channel,
                    event_id = EXCLUDED.event_id, signed_at = EXCLUDED.signed_at, withdrawn_at = NULL
                WHERE signatures.withdrawn_at IS NOT NULL
            RETURNING \(unsafeSQL: signatureColumns)
            """).decode(SignatureRow.self).first
        if let changed {
            try count(connection, organisationID: organisationID, campaignID: campaign.id, signatureID: changed.id,
                      country: changed.country, at: changed.signed_at, delta: 1)
            return SigningResult(signature: changed.signature, created: true)
        }
        guard let existing = try signature(connection, organisationID: organisationID, campaignID: campaign.id, employeeID: employee.id) else {
            throw PostgresError(kind: .client, message: "a conflicting signature disappeared")
        }
        return SigningResult(signature: existing, created: false)
    }

    /// Records a change of current signatures: the event, the day's net change and the total, each
    /// on one of 16 slots so that concurrent signers do not wait on one counter row.
    static func count(_ connection: PostgresConnection, organisationID: UUID, campaignID: UUID, signatureID: UUID, country: String, at: Date, delta: Int) throws {
        let slot = Int.random(in: 0..<16)
        // The change as mobilise_counts_add takes it (sql/0035), written out at each use: Citus plans no
        // subquery in ON CONFLICT's SET.
        let change: PostgresQuery = "ARRAY[ARRAY[mobilise_country_position(\(country))], ARRAY[\(delta)::integer]]"
        try connection.execute("""
            WITH event AS (
                INSERT INTO signature_events (organisation_id, campaign_id, signature_id, at, delta, country)
                VALUES (\(organisationID), \(campaignID), \(signatureID), \(at), \(delta), \(country))
            ), daily AS (
                INSERT INTO signature_daily_counts AS d (organisation_id, campaign_id, day, slot, counts)
                SELECT \(organisationID), \(campaignID), (\(at) AT TIME ZONE time_zone)::date, \(slot), mobilise_counts_add(NULL, \(change))
                FROM organisations WHERE id = \(organisationID)
                ON CONFLICT (organisation_id, campaign_id, day, slot) DO UPDATE SET counts = mobilise_counts_add(d.counts, \(change))
            )
            INSERT INTO signature_total_counts AS t (organisation_id, campaign_id, slot, counts)
            VALUES (\(organisationID), \(campaignID), \(slot), mobilise_counts_add(NULL, \(change)))
            ON CONFLICT (organisation_id, campaign_id, slot) DO UPDATE SET counts = mobilise_counts_add(t.counts, \(change))
            """)
        try connection.execute("SELECT pg_notify(\(signatureChannel), \(campaignID.uuidString.lowercased()))")
    }

    /// Who signs: an employee's id and what the signature records of them.
    struct Signer {
        var id: UUID
        var country: String
        var site: String?
        var org_unit: String?
        var gender: Gender
        var active: Bool

        /// Read by position from the columns of ``signer(_:organisationID:externalID:)``.
        init(row: PostgresRow) throws {
            (id, country, site, org_unit, gender, active) = try row.decode((UUID, String, String?, String?, Gender, Bool).self)
        }

        var orgUnit: String? { org_unit }

        /// The signer as the signing rules see them, for `campaign`'s audience.
        func rulesSigner(for campaign: Campaign) -> SigningRules.Signer {
            SigningRules.Signer(active: active, gender: gender, country: country, orgUnit: org_unit, audience: campaign.audience)
        }
    }

    struct SignatureKey: Hashable {
        var campaignID: UUID
        var employeeID: UUID
    }

    /// The employee with this HR id, when active; refused as the signing rules refuse an unknown or inactive signer.
    static func signer(_ connection: PostgresConnection, organisationID: UUID, externalID: String) throws -> Signer {
        switch try signerRecord(connection, organisationID: organisationID, externalID: externalID) {
        case nil: throw SigningRules.Refusal.employeeNotFound(externalID: externalID).error
        case let signer? where !signer.active: throw SigningRules.Refusal.employeeInactive(externalID: externalID).error
        case let signer?: return signer
        }
    }

    /// The employee with this HR id, active or not; nil when there is none.
    static func signerRecord(_ connection: PostgresConnection, organisationID: UUID, externalID: String) throws -> Signer? {
        let query: PostgresQuery = """
            SELECT id, country, site, org_unit, gender, active FROM employees
            WHERE organisation_id = \(organisationID) AND external_id = \(externalID)
            """
        let results = try connection.pipeline([indexPlans, query.prepared()], mode: .transaction)
        for result in results { if case .failure(let error) = result, error.kind != .pipelineAborted { throw error } }
        return try results[1].get().rows.first.map(Signer.init(row:))
    }

    static let signatureColumns = "id, campaign_id, country, site, org_unit, channel, event_id, signed_at, withdrawn_at"

    /// Planner settings, for the rest of the transaction, under which the signing path's prepared
    /// statements are planned. A prepared statement keeps one generic plan per connection, built from
    /// the table statistics of that moment: at a campaign's launch `signatures` is empty, and its plan
    /// joined by hashing a sequential scan of `signatures` — kept while the table grew (a third of the
    /// throughput gone). Every look-up of the signing path is by key, so index scans and nested loops
    /// are the right plan at any size; these settings make them the only ones, and make a prepared
    /// statement use its generic plan from the first execution (with batches of one, PostgreSQL would
    /// otherwise find a custom plan cheaper and plan the batch statement anew every time). They last
    /// until the end of the transaction: inside a caller's transaction (withdrawing, signing alone),
    /// its later statements are planned the same way — they are key look-ups too.
    ///
    /// On Citus, `deploy/citus/distribute.sql` sets `mobilise.plan_cache_mode` to
    /// `force_custom_plan` for the database: Citus plans a statement on distributed tables (or sends a
    /// function call to a worker) only with its parameters' values, which a generic plan lacks.
    static let indexPlans = PostgresQuery(unsafeSQL: plannerSettings(planCacheMode: "'force_generic_plan'")).prepared()

    /// ``indexPlans`` for the signing batch (``SignatureBatch``), except that its statement is planned
    /// anew at each batch (custom plans) while `signatures` is under 512 kB (a few thousand rows), and
    /// keeps its generic plan only once the table is larger. On a table of a few pages the planner
    /// cannot tell the batch's look-up of "the signature as it was" (the unique index on organisation,
    /// campaign and employee) from a scan of the primary key on the organisation alone: made with
    /// `signatures` analysed empty and holding 160 rows (a launch's first seconds), the generic plan
    /// took the primary key, and every signer then read every signature of the organisation, until
    /// an ANALYZE of `signatures` replanned it (2.5 million instructions per signature instead of
    /// ~430,000 in `bench/pg_batch_cost` with batches of 8; BENCHMARKS.md section 6). Above a few
    /// hundred pages the unique index is the cheaper plan by far, whatever the statistics say.
    static let batchPlans = PostgresQuery(unsafeSQL: plannerSettings(planCacheMode: """
        CASE WHEN pg_relation_size('signatures') < 524288 THEN 'force_custom_plan' ELSE 'force_generic_plan' END
        """)).prepared()

    /// The planner settings of ``indexPlans`` with `planCacheMode` (an SQL expression) unless the
    /// database sets `mobilise.plan_cache_mode` (Citus).
    private static func plannerSettings(planCacheMode: String) -> String {
        """
        SELECT set_config('enable_seqscan', 'off', true), set_config('enable_hashjoin', 'off', true), \
        set_config('enable_mergejoin', 'off', true), \
        set_config('plan_cache_mode', coalesce(nullif(current_setting('mobilise.plan_cache_mode', true), ''), \
        \(planCacheMode)), true) AS plan_cache_mode
        """
    }

    /// A signatures row as the database returns it.
    struct SignatureRow: Decodable {
        var id: UUID
        var campaign_id: UUID
        var country: String
        var site: String?
        var org_unit: String?
        var channel: SignatureChannel
        var event_id: UUID?
        var signed_at: Date
        var withdrawn_at: Date?

        var signature: Signature {
            Signature(id: id, campaignID: campaign_id, country: country, site: site, orgUnit: org_unit, channel: channel,
                      eventID: event_id, signedAt: signed_at, withdrawnAt: withdrawn_at)
        }
    }

    static func signature(_ connection: PostgresConnection, organisationID: UUID, campaignID: UUID, employeeID: UUID) throws -> Signature? {
        try connection.query("""
            SELECT \(unsafeSQL: signatureColumns) FROM signatures
            WHERE organisation_id = \(organisationID) AND campaign_id = \(campaignID) AND employee_id = \(employeeID)
            """).decode(SignatureRow.self).first?.signature
    }
}

extension Gender: PostgresCodable {}
extension SignatureChannel: PostgresCodable {}
