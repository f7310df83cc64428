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
    /// Signs many requests together on `connection` (its own thread: this blocks), in one pipelined
    /// transaction that looks up their employees, inserts every signature, journals them, and adds to
    /// each campaign's daily and total counts once per batch. Returns one result per request, in
    /// order; nothing is answered before the batch commits.
    ///
    /// The same rules as ``sign(organisationID:campaign:employee:channel:eventID:at:)``: a refusal
    /// fails only its own request. When the database refuses the batch for a reason that belongs to
    /// one row (a constraint, say, because an employee was erased meanwhile), each request of the batch
    /// is signed alone so that only that row fails. A deadlock or serialization failure retries the batch.
    ///
    /// A batch that mixes organisations is written as one batch per organisation, one after the
    /// other (each its own transaction): every statement of a batch then filters each table by one
    /// `organisation_id`, so that on Citus (sharded by organisation, `deploy/citus/`) it goes to the
    /// one worker that holds that organisation's shards instead of failing to plan.
    static func signBatch(_ requests: [SigningRequest], connection: PostgresConnection, campaigns: CampaignCache) -> [Result<SigningResult, any Error>] {
        var positions: [UUID: [Int]] = [:]
        var organisations: [UUID] = []
        for (index, request) in requests.enumerated() {
            if positions[request.organisationID] == nil { organisations.append(request.organisationID) }
            positions[request.organisationID, default: []].append(index)
        }
        guard organisations.count > 1 else { return signOrganisationBatch(requests, connection: connection, campaigns: campaigns) }
        var results = [Result<SigningResult, any Error>?](repeating: nil, count: requests.count)
        for organisation in organisations {
            let indices = positions[organisation] ?? []
            let answers = signOrganisationBatch(indices.map { requests[$0] }, connection: connection, campaigns: campaigns)
            for (index, answer) in zip(indices, answers) { results[index] = answer }
        }
        return results.compactMap { $0 }
    }

    /// ``signBatch(_:connection:campaigns:)`` for requests of one organisation.
    private static func signOrganisationBatch(
        _ requests: [SigningRequest], connection: PostgresConnection, campaigns: CampaignCache
    ) -> [Result<SigningResult, any Error>] {
        var outcomes: [SignatureBatch.Outcome]
        var attempt = 1
        while true {
            do {
                outcomes = try SignatureBatch(requests: requests, campaigns: campaigns).run(connection)
                break
            } catch let error as PostgresError where error.isTransient && attempt < 3 {
                attempt += 1
                // The connection's own thread, not Swift's pool: waiting here blocks no one else.
                usleep(UInt32(Int.random(in: 1...10) * attempt * 1000))
            } catch let error as PostgresError where error.isRowError {
                outcomes = Array(repeating: .alone, count: requests.count)
                break
            } catch {
                return Array(repeating: .failure(error), count: requests.count)
            }
        }
        return zip(requests, outcomes).map { request, outcome in
            switch outcome {
            case .signed(let result): return .success(result)
            case .refused(let error): return .failure(error)
            case .alone: return Result { try signAlone(request, connection: connection) }
            }
        }
    }

    /// One request in a transaction of its own, retried on a deadlock or serialization failure.
    private static func signAlone(_ request: SigningRequest, connection: PostgresConnection) throws -> SigningResult {
        var attempt = 1
        while true {
            do {
                return try connection.transaction { try Self.sign($0, request) }
            } catch let error as PostgresError where error.isTransient && attempt < 3 && !connection.isBroken {
                attempt += 1
                usleep(UInt32(Int.random(in: 1...10) * attempt * 1000))
            }
        }
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

/// The work of one batch on one connection (see ``MobiliseStore/signBatch(_:connection:campaigns:)``).
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

    /// Who signs which campaign: requests with the same key are one signature.
    private struct SignerKey: Hashable {
        var organisationID: UUID
        var campaignID: UUID
        var externalID: String
    }

    /// One request sent to the batch statement: written when `refusal` is nil and the database finds
    /// the employee active and in the audience; otherwise only looked up, so that the refusal follows
    /// the rules' order (an unknown employee first, whatever else is wrong).
    private struct Row {
        var index: Int
        var request: SigningRequest
        var campaign: Campaign
        /// The campaign of the request's event (nil without an event, or when there is no such event).
        var eventCampaign: UUID?
        /// The first rule broken that needs no employee, known before the database answers.
        var refusal: SigningRules.Refusal?

        var rules: SigningRules.Request {
            SigningRules.Request(externalID: request.employee, channel: request.channel, eventID: request.eventID, at: request.at,
                                 hidingDrafts: request.hideDrafts)
        }
    }

    func run(_ connection: PostgresConnection) throws -> [Outcome] {
        var outcomes = [Outcome?](repeating: nil, count: requests.count)

        var campaignsByKey: [CampaignKey: Result<Campaign, MobiliseError>] = [:]
        var eventCampaigns: [UUID: UUID?] = [:]
        var rows: [Row] = []
        var firstIndex: [SignerKey: Int] = [:]
        var duplicates: [(index: Int, of: Int)] = []
        for (index, request) in requests.enumerated() {
            let key = CampaignKey(organisationID: request.organisationID, reference: request.campaign)
            let found = try campaignsByKey[key] ?? lookUpCampaign(connection, key)
            campaignsByKey[key] = found
            let campaign: Campaign
            switch found {
            case .failure(let refusal):
                outcomes[index] = .refused(refusal)
                continue
            case .success(let value): campaign = value
            }
            var eventCampaign: UUID?
            if let eventID = request.eventID {
                if eventCampaigns[eventID] == nil {
                    eventCampaigns[eventID] = try MobiliseStore.eventForSigning(
                        connection, organisationID: request.organisationID, eventID: eventID)?.campaignID
                }
                eventCampaign = eventCampaigns[eventID] ?? nil
            }
            var row = Row(index: index, request: request, campaign: campaign, eventCampaign: eventCampaign)
            row.refusal = SigningRules.refusal(row.rules, campaign: campaign, signer: nil, eventCampaign: eventCampaign)
            if row.refusal == nil {
                // A second request of the same signature is answered with the first's (a statement cannot write a row twice).
                let signer = SignerKey(organisationID: request.organisationID, campaignID: campaign.id, externalID: request.employee)
                if let first = firstIndex[signer] {
                    duplicates.append((index, first))
                    continue
                }
                firstIndex[signer] = rows.count
            }
            rows.append(row)
        }

        if !rows.isEmpty {
            for (position, outcome) in try write(connection, rows).enumerated() {
                outcomes[rows[position].index] = outcome
            }
        }
        for (index, first) in duplicates {
            switch outcomes[rows[first].index] {
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

    /// Looks up every row's employee and writes the rows that may be signed, in one pipelined
    /// transaction and one round trip: the signatures, their journal, the daily and total counts (one
    /// row each per campaign and batch, every country in it), and a notification per campaign. The statement itself checks what
    /// needs the employee (found, active, in the audience) and that the campaign is still open.
    private func write(_ connection: PostgresConnection, _ rows: [Row]) throws -> [Outcome] {
        // One organisation per batch (``MobiliseStore/signBatch(_:connection:campaigns:)``): every
        // table below is filtered by it, so that Citus routes each part to that organisation's worker.
        guard let organisationID = rows.first?.request.organisationID else { return [] }
        let slot = Int.random(in: 0..<16)
        let campaignIDs = Array(Set(rows.map(\.campaign.id)))
        let requests = rows.map(\.request)
        // The statement's one source is SignBatchStatement (deploy/citus/distribute.sql's function is made from it).
        let write = SignBatchStatement(
            organisation: "\(organisationID)", campaignIDs: "\(campaignIDs)", rowCampaigns: "\(rows.map(\.campaign.id))",
            externalIDs: "\(requests.map(\.employee))", channels: "\(requests.map { $0.channel.recorded(withEvent: $0.eventID != nil).rawValue })",
            eventIDs: "\(requests.map(\.eventID))", ats: "\(requests.map(\.at))", writable: "\(rows.map { $0.refusal == nil })",
            slot: "\(slot)").query
        let notify: PostgresQuery = """
            SELECT pg_notify(\(MobiliseStore.signatureChannel), id::text) FROM unnest(\(campaignIDs)) AS id
            """
        // The size check of batchPlans only until it has chosen the generic plan once (a table does not shrink back).
        let sizeChecked = !campaigns.signaturesPastCustomPlans.load(ordering: .relaxed)
        let settings = sizeChecked ? MobiliseStore.batchPlans : MobiliseStore.indexPlans
        // The answer in binary format: PostgreSQL skips its output functions (uuids, timestamptz) and
        // the rows are read without parsing text (BENCHMARKS.md section 6, eighth pass).
        var statements = [settings, write.prepared().binaryResults(), notify.prepared()]
        if try signsThroughFunction(connection) {
            // On Citus, the same statement on the organisation's shards, in a function that the
            // coordinator sends whole to the worker holding them (deploy/citus/distribute.sql): one
            // round trip to one worker. (Citus sends a call on only when its arguments are values,
            // which a generic plan's parameters are not: see MobiliseStore.indexPlans.)
            let call: PostgresQuery = """
                SELECT * FROM mobilise_sign_batch(\(organisationID), \(campaignIDs), \(rows.map(\.campaign.id)), \(requests.map(\.employee)),
                    \(requests.map { $0.channel.recorded(withEvent: $0.eventID != nil).rawValue }), \(requests.map(\.eventID)),
                    \(requests.map(\.at)), \(rows.map { $0.refusal == nil }), \(slot))
                """
            statements = [settings, call.prepared().binaryResults(), notify.prepared()]
        }
        let results = try connection.pipeline(statements, mode: .transaction)
        for result in results { if case .failure(let error) = result, error.kind != .pipelineAborted { throw error } }
        if sizeChecked, try results[0].get().rows.first?.decode(String.self, column: "plan_cache_mode") == "force_generic_plan" {
            campaigns.signaturesPastCustomPlans.store(true, ordering: .relaxed)
        }
        var before = [WrittenRow?](repeating: nil, count: rows.count)
        var written: [MobiliseStore.SignatureKey: WrittenRow] = [:]
        for answer in try results[1].get().rows.map(WrittenRow.init(row:)) {
            if answer.created {
                guard let campaignID = answer.campaign_id, let employeeID = answer.employee_id else { continue }
                written[MobiliseStore.SignatureKey(campaignID: campaignID, employeeID: employeeID)] = answer
            } else if before.indices.contains(answer.ord - 1) {
                before[answer.ord - 1] = answer
            }
        }
        return zip(rows, before).map { row, before in
            guard let before else { return .alone }
            let written = before.employee_id.flatMap { written[MobiliseStore.SignatureKey(campaignID: row.campaign.id, employeeID: $0)] } ?? before
            let signer = SigningRules.Signer(found: before.found, active: before.active, admitted: before.admitted)
            let refusal = SigningRules.refusal(row.rules, campaign: row.campaign, signer: signer, eventCampaign: row.eventCampaign)
            if let refusal, refusal.stage < .audience { return .refused(refusal.error) }
            // Closed since it was cached: signing alone gives the refusal that applies now.
            guard before.open else {
                campaigns.forget(row.campaign)
                return .alone
            }
            // Signed at the database's now, outside the campaign's dates (the end passed while it
            // stayed active): signing alone gives the refusal, before the audience's, as it would.
            guard before.inWindow else { return .alone }
            if let refusal { return .refused(refusal.error) }
            guard let id = written.id, let country = written.country, let channel = written.channel, let signedAt = written.signed_at
            else { return .alone }
            let signature = Signature(id: id, campaignID: row.campaign.id, country: country, site: written.site, orgUnit: written.org_unit,
                                      channel: channel, eventID: written.event_id, signedAt: signedAt, withdrawnAt: written.withdrawn_at)
            if written.created { return .signed(SigningResult(signature: signature, created: true)) }
            // Already current before this batch: nothing changed. Otherwise another session changed
            // the same signature meanwhile: sign it alone.
            return signature.withdrawnAt == nil ? .signed(SigningResult(signature: signature, created: false)) : .alone
        }
    }

    /// Whether batches call `mobilise_sign_batch` (a Citus coordinator prepared by
    /// `deploy/citus/distribute.sql`) rather than send their statement: asked once per store.
    private func signsThroughFunction(_ connection: PostgresConnection) throws -> Bool {
        if let known = campaigns.signsThroughFunction.withLock({ $0 }) { return known }
        let found = try connection.query("""
            SELECT to_regprocedure('mobilise_sign_batch(uuid, uuid[], uuid[], text[], text[], uuid[], timestamptz[], boolean[], bigint)') IS NOT NULL
            """).scalar(Bool.self) ?? false
        campaigns.signsThroughFunction.withLock { $0 = found }
        return found
    }

    /// A row of the batch statement's answer: a request (`created` false, `ord` its position from 1,
    /// the signature as it was) or a signature the statement wrote (`created` true).
    private struct WrittenRow {
        var ord: Int
        var found: Bool
        var active: Bool
        var admitted: Bool
        var open: Bool
        var inWindow: Bool
        var created: Bool
        var employee_id: UUID?
        var id: UUID?
        var campaign_id: UUID?
        var country: String?
        var site: String?
        var org_unit: String?
        var channel: SignatureChannel?
        var event_id: UUID?
        var signed_at: Date?
        var withdrawn_at: Date?

        /// Read by position: `ord, found, active, admitted, open, in_window, created, employee_id`, then
        /// ``MobiliseStore/signatureColumns`` in their order. One column at a time: decoding the row as
        /// one tuple type made the runtime look that type's metadata up at every row, which cost about a
        /// quarter of the decoding (Benchmarks/ResultFormatBench, BENCHMARKS.md section 6).
        init(row: PostgresRow) throws {
            ord = try row.decode(Int.self, at: 0)
            found = try row.decode(Bool.self, at: 1)
            active = try row.decode(Bool.self, at: 2)
            admitted = try row.decode(Bool.self, at: 3)
            open = try row.decode(Bool.self, at: 4)
            inWindow = try row.decode(Bool.self, at: 5)
            created = try row.decode(Bool.self, at: 6)
            employee_id = try row.decode(UUID?.self, at: 7)
            id = try row.decode(UUID?.self, at: 8)
            campaign_id = try row.decode(UUID?.self, at: 9)
            country = try row.decode(String?.self, at: 10)
            site = try row.decode(String?.self, at: 11)
            org_unit = try row.decode(String?.self, at: 12)
            channel = try row.decode(SignatureChannel?.self, at: 13)
            event_id = try row.decode(UUID?.self, at: 14)
            signed_at = try row.decode(Date?.self, at: 15)
            withdrawn_at = try row.decode(Date?.self, at: 16)
        }
    }
}
