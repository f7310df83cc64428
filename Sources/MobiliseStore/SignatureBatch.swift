import Foundation
import MobiliseDomain
import Postgres

/// One signing as the batch writer takes it.
struct SigningRequest: Sendable {
    var organisationID: UUID
    var campaign: String
    var employee: String
    var channel: SignatureChannel
    var eventID: UUID?
    /// When the signature was given; nil for the database's now.
    var at: Date?
    /// Whether a draft campaign answers "not found" rather than "not active" (employees never see drafts).
    var hideDrafts: Bool
}

extension MobiliseStore {
    /// Signs many requests together: one round trip to look up their employees, and one pipelined
    /// transaction that inserts every signature, journals them, and adds to each country's daily and
    /// total counts once per batch. Returns one result per request, in order; nothing is answered
    /// before the batch commits.
    ///
    /// The same rules as ``sign(organisationID:campaign:employee:channel:eventID:at:)``: a refusal
    /// fails only its own request. When the database refuses the batch for a reason that belongs to
    /// one row (a constraint, say, because an employee was erased meanwhile), each request of the batch
    /// is signed alone so that only that row fails. A deadlock or serialization failure retries the batch.
    static func signBatch(_ requests: [SigningRequest], pool: PostgresPool, campaigns: CampaignCache) async -> [Result<SigningResult, any Error>] {
        var outcomes: [SignatureBatch.Outcome]
        var attempt = 1
        while true {
            do {
                let batch = SignatureBatch(requests: requests, campaigns: campaigns)
                outcomes = try await pool.withConnection { connection in try batch.run(connection) }
                break
            } catch let error as PostgresError where error.isTransient && attempt < 3 {
                attempt += 1
                try? await Task.sleep(for: .milliseconds(Int.random(in: 1...10) * attempt))
            } catch let error as PostgresError where error.isRowError {
                outcomes = Array(repeating: .alone, count: requests.count)
                break
            } catch {
                return Array(repeating: .failure(error), count: requests.count)
            }
        }
        var results: [Result<SigningResult, any Error>] = []
        results.reserveCapacity(requests.count)
        for (request, outcome) in zip(requests, outcomes) {
            switch outcome {
            case .signed(let result): results.append(.success(result))
            case .refused(let error): results.append(.failure(error))
            case .alone:
                do {
                    let result = try await pool.withTransaction(attempts: 3) { connection in
                        try Self.sign(connection, request)
                    }
                    results.append(.success(result))
                } catch {
                    results.append(.failure(error))
                }
            }
        }
        return results
    }
}

extension PostgresError {
    /// A server error caused by the data of a statement (classes 22 and 23: bad value, constraint),
    /// as opposed to the connection or the server being unavailable.
    var isRowError: Bool {
        guard kind == .server, let code else { return false }
        return code.errorClass == "22" || code.errorClass == "23"
    }
}

/// The work of one batch on one connection (see ``MobiliseStore/signBatch(_:pool:campaigns:)``).
struct SignatureBatch: Sendable {
    enum Outcome: Sendable {
        case signed(SigningResult)
        case refused(MobiliseError)
        /// Left to be signed alone: the batch could not tell (the campaign closed meanwhile, a
        /// concurrent change of the same signature, the edge of the campaign's dates).
        case alone
    }

    let requests: [SigningRequest]
    let campaigns: CampaignCache

    private struct CampaignKey: Hashable {
        var organisationID: UUID
        var reference: String
    }

    /// One accepted request, as written.
    private struct Row {
        var index: Int
        var organisationID: UUID
        var campaign: Campaign
        var employee: MobiliseStore.Signer
        var channel: SignatureChannel
        var eventID: UUID?
        var at: Date?
    }

    func run(_ connection: PostgresConnection) throws -> [Outcome] {
        var outcomes = [Outcome?](repeating: nil, count: requests.count)

        var campaignsByKey: [CampaignKey: Result<Campaign, MobiliseError>] = [:]
        for request in requests {
            let key = CampaignKey(organisationID: request.organisationID, reference: request.campaign)
            if campaignsByKey[key] != nil { continue }
            campaignsByKey[key] = try lookUpCampaign(connection, key)
        }
        let employees = try MobiliseStore.signers(connection, requests.map { ($0.organisationID, $0.employee) })
        var eventCampaigns: [UUID: UUID?] = [:]

        var rows: [Row] = []
        var firstIndex: [MobiliseStore.SignatureKey: Int] = [:]
        var duplicates: [(index: Int, of: Int)] = []
        for (index, request) in requests.enumerated() {
            do {
                let campaign = try campaignsByKey[CampaignKey(organisationID: request.organisationID, reference: request.campaign)]?.get()
                guard let campaign else { throw PostgresError(kind: .client, message: "a campaign of the batch was not looked up") }
                let employee = try MobiliseStore.Signer.checked(
                    employees[MobiliseStore.SignerReference(organisationID: request.organisationID, externalID: request.employee)],
                    externalID: request.employee)
                try MobiliseStore.checkSigning(campaign: campaign, employee: employee, at: request.at, channel: request.channel,
                                               eventID: request.eventID, hideDrafts: request.hideDrafts)
                if let eventID = request.eventID {
                    if eventCampaigns[eventID] == nil {
                        eventCampaigns[eventID] = try MobiliseStore.eventForSigning(
                            connection, organisationID: request.organisationID, eventID: eventID)?.campaignID
                    }
                    try MobiliseStore.checkEvent(eventID, of: eventCampaigns[eventID] ?? nil, campaign: campaign)
                }
                let key = MobiliseStore.SignatureKey(campaignID: campaign.id, employeeID: employee.id)
                if let first = firstIndex[key] {
                    duplicates.append((index, first))
                    continue
                }
                firstIndex[key] = index
                rows.append(Row(index: index, organisationID: request.organisationID, campaign: campaign, employee: employee,
                                channel: request.eventID == nil ? request.channel : .event, eventID: request.eventID, at: request.at))
            } catch let refusal as MobiliseError {
                outcomes[index] = .refused(refusal)
            }
        }

        if !rows.isEmpty {
            for (position, outcome) in try write(connection, rows).enumerated() {
                outcomes[rows[position].index] = outcome
            }
        }
        for (index, first) in duplicates {
            switch outcomes[first] {
            case .signed(let result)?: outcomes[index] = .signed(SigningResult(signature: result.signature, created: false))
            case let other?: outcomes[index] = other
            case nil: outcomes[index] = .alone
            }
        }
        return outcomes.map { $0 ?? .alone }
    }

    /// The campaign from the cache, or read (and cached when active). Refusals are results, not errors.
    private func lookUpCampaign(_ connection: PostgresConnection, _ key: CampaignKey) throws -> Result<Campaign, MobiliseError> {
        if let cached = campaigns.campaign(organisationID: key.organisationID, reference: key.reference) { return .success(cached) }
        do {
            let campaign = try MobiliseStore.campaign(connection, organisationID: key.organisationID, reference: key.reference)
            campaigns.store(campaign, reference: key.reference)
            return .success(campaign)
        } catch let refusal as MobiliseError {
            return .failure(refusal)
        }
    }

    /// Writes the accepted rows in one pipelined transaction: the signatures, their journal, the
    /// daily and total counts (one row per country and batch), and a notification per campaign.
    private func write(_ connection: PostgresConnection, _ rows: [Row]) throws -> [Outcome] {
        let slot = Int.random(in: 0..<16)
        let campaignIDs = Array(Set(rows.map(\.campaign.id)))
        let write: PostgresQuery = """
            WITH open AS (
                SELECT organisation_id, id, starts_at, ends_at FROM campaigns
                WHERE id = ANY(\(campaignIDs)) AND status = 'active'
                FOR SHARE
            ), input AS (
                SELECT * FROM unnest(\(rows.map(\.organisationID)), \(rows.map(\.campaign.id)), \(rows.map(\.employee.id)),
                                     \(rows.map(\.employee.country)), \(rows.map(\.employee.site)), \(rows.map(\.employee.orgUnit)),
                                     \(rows.map(\.channel.rawValue)), \(rows.map(\.eventID)), \(rows.map(\.at)))
                    WITH ORDINALITY AS i (organisation_id, campaign_id, employee_id, country, site, org_unit, channel, event_id, at, ord)
            ), changed AS (
                INSERT INTO signatures (organisation_id, campaign_id, employee_id, country, site, org_unit, channel, event_id, signed_at)
                SELECT i.organisation_id, i.campaign_id, i.employee_id, i.country, i.site, i.org_unit, i.channel, i.event_id,
                       coalesce(i.at, now())
                FROM input i JOIN open o ON o.organisation_id = i.organisation_id AND o.id = i.campaign_id
                WHERE coalesce(i.at, now()) >= o.starts_at AND coalesce(i.at, now()) < o.ends_at
                ORDER BY i.organisation_id, i.campaign_id, i.employee_id
                ON CONFLICT (organisation_id, campaign_id, employee_id) DO UPDATE
                    SET country = EXCLUDED.country, site = EXCLUDED.site, org_unit = EXCLUDED.org_unit, channel = EXCLUDED.channel,
                        event_id = EXCLUDED.event_id, signed_at = EXCLUDED.signed_at, withdrawn_at = NULL
                    WHERE signatures.withdrawn_at IS NOT NULL
                RETURNING organisation_id, employee_id, \(unsafeSQL: MobiliseStore.signatureColumns)
            ), journal AS (
                INSERT INTO signature_events (organisation_id, campaign_id, signature_id, at, delta, country)
                SELECT organisation_id, campaign_id, id, signed_at, 1, country FROM changed
            ), daily AS (
                INSERT INTO signature_daily (organisation_id, campaign_id, country, day, slot, delta)
                SELECT ch.organisation_id, ch.campaign_id, ch.country, (ch.signed_at AT TIME ZONE org.time_zone)::date, \(slot), count(*)
                FROM changed ch JOIN organisations org ON org.id = ch.organisation_id
                GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
                ON CONFLICT (organisation_id, campaign_id, country, day, slot) DO UPDATE SET delta = signature_daily.delta + EXCLUDED.delta
            ), totals AS (
                INSERT INTO signature_totals (organisation_id, campaign_id, country, slot, current)
                SELECT organisation_id, campaign_id, country, \(slot), count(*) FROM changed
                GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
                ON CONFLICT (organisation_id, campaign_id, country, slot) DO UPDATE SET current = signature_totals.current + EXCLUDED.current
            )
            SELECT i.ord, o.id IS NOT NULL AS open, ch.id IS NOT NULL AS created, \(unsafeSQL: Self.pickedColumns)
            FROM input i
            LEFT JOIN open o ON o.organisation_id = i.organisation_id AND o.id = i.campaign_id
            LEFT JOIN changed ch ON ch.organisation_id = i.organisation_id AND ch.campaign_id = i.campaign_id AND ch.employee_id = i.employee_id
            LEFT JOIN signatures s ON s.organisation_id = i.organisation_id AND s.campaign_id = i.campaign_id AND s.employee_id = i.employee_id
            ORDER BY i.ord
            """
        let notify: PostgresQuery = """
            SELECT pg_notify(\(MobiliseStore.signatureChannel), id::text) FROM unnest(\(campaignIDs)) AS id
            """
        let results = try connection.pipeline([MobiliseStore.indexPlans, write.prepared(), notify.prepared()], mode: .transaction)
        for result in results { if case .failure(let error) = result, error.kind != .pipelineAborted { throw error } }
        let written = try results[1].get().rows.map(WrittenRow.init(row:))
        guard written.count == rows.count else {
            throw PostgresError(kind: .client, message: "the batch answered \(written.count) rows for \(rows.count) signatures")
        }
        return zip(rows, written).map { row, written in
            if !written.open { campaigns.forget(row.campaign) }
            guard let id = written.id, let country = written.country, let channel = written.channel, let signedAt = written.signed_at
            else { return .alone }
            let signature = Signature(id: id, campaignID: row.campaign.id, country: country, site: written.site, orgUnit: written.org_unit,
                                      channel: channel, eventID: written.event_id, signedAt: signedAt, withdrawnAt: written.withdrawn_at)
            if written.created { return .signed(SigningResult(signature: signature, created: true)) }
            // Already current before this batch: nothing changed. Otherwise the campaign closed, the
            // dates ended, or another session changed the same signature meanwhile: sign it alone.
            return written.open && signature.withdrawnAt == nil ? .signed(SigningResult(signature: signature, created: false)) : .alone
        }
    }

    /// The signature columns of the batch's answer: as the batch wrote them (`ch`), else as they were (`s`).
    /// Built once from the constant column list.
    private static let pickedColumns = MobiliseStore.signatureColumns.split(separator: ",")
        .map { $0.trimmingCharacters(in: .whitespaces) }
        .map { "CASE WHEN ch.id IS NULL THEN s.\($0) ELSE ch.\($0) END AS \($0)" }
        .joined(separator: ", ")

    /// A row of the batch statement's answer: the signature as this batch left it (or as it was).
    private struct WrittenRow {
        var ord: Int
        var open: Bool
        var created: Bool
        var id: UUID?
        var campaign_id: UUID?
        var country: String?
        var site: String?
        var org_unit: String?
        var channel: SignatureChannel?
        var event_id: UUID?
        var signed_at: Date?
        var withdrawn_at: Date?

        /// Read by position: `ord, open, created`, then ``MobiliseStore/signatureColumns`` in their order.
        init(row: PostgresRow) throws {
            (ord, open, created, id, campaign_id, country, site, org_unit, channel, event_id, signed_at, withdrawn_at) =
                try row.decode((Int, Bool, Bool, UUID?, UUID?, String?, String?, String?, SignatureChannel?, UUID?, Date?, Date?).self)
        }
    }
}
