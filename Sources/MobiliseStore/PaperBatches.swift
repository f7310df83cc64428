import Foundation
import MobiliseDomain
import Postgres

/// Who enters a paper batch: an HR admin, or the host of the batch's event.
public enum PaperAuthority: String, Sendable {
    case hrAdmin = "hr_admin"
    case host
}

/// The answer to an entry: the batch as it stands, and whether this call added the entry (false: the
/// same person sent the same entry again, and nothing changed).
public struct PaperEntryResult: Sendable, Equatable {
    public var batch: PaperBatch
    public var created: Bool
}

/// Paper and event signatures entered twice (double entry): see `sql/0021_posters_and_paper.sql`.
///
/// Every entry locks its batch's row first (`FOR UPDATE`), so two people typing the same sheet at the
/// same moment are served one after the other and the second sees the first's entry. A batch that
/// becomes confirmed signs its named signers through the ordinary signing function
/// (``MobiliseStore/sign(_:organisationID:campaign:employee:channel:eventID:at:hideDrafts:)``) in the
/// same transaction: the batch never counts without its signatures, nor its signatures without it.
extension MobiliseStore {
    /// Records `actor`'s entry of a batch of `campaign` (the batch is created by its first entry).
    ///
    /// - The same person sending the same entry again is answered with the batch, unchanged
    ///   (`created == false`); a different entry by the same person is refused (`paper_entry_conflict`):
    ///   a second entry must come from someone else.
    /// - When two entries by different people agree, the batch is confirmed and counted; when two or
    ///   more disagree, it is `disputed` until a further entry agrees with one of them or an HR admin
    ///   decides (``decidePaperBatch(organisationID:campaign:reference:entryID:actor:)``).
    /// - A confirmed batch takes no other entry (`paper_batch_confirmed`); the same entry again is
    ///   answered with the batch (a re-submission counts nothing twice).
    /// - A host may enter only batches of their own event (`forbidden`).
    ///
    /// Refusals: `campaign_not_found`; `campaign_not_active` unless the campaign is active;
    /// `unknown_event` for an event of another campaign; the draft's own (``PaperEntryDraft/validated()``).
    public func enterPaperBatch(
        organisationID: UUID, campaign reference: String, _ draft: PaperEntryDraft, actor: Actor, by authority: PaperAuthority
    ) async throws -> PaperEntryResult {
        let draft = try draft.validated()
        return try await pool.withTransaction(attempts: 3) { connection in
            let campaign = try Self.campaign(connection, organisationID: organisationID, reference: reference)
            guard campaign.status == .active else {
                throw MobiliseError(.unprocessable, code: .campaignNotActive,
                                    "this campaign is \(campaign.status.rawValue): paper signatures are entered while it is active")
            }
            // Said now rather than at confirmation, where every signer of the sheet would be refused for it.
            let signedAt = draft.signedAt ?? Date()
            if signedAt < campaign.startsAt {
                throw MobiliseError(.unprocessable, code: .campaignNotStarted,
                                    "this campaign opens for signing at \(campaign.startsAt): a sheet signed before then cannot be counted")
            }
            if signedAt >= campaign.endsAt {
                throw MobiliseError(.unprocessable, code: .campaignEnded,
                                    "this campaign closed for signing at \(campaign.endsAt): a sheet signed after then cannot be counted")
            }
            if let eventID = draft.eventID {
                let event = try connection.query("""
                    SELECT campaign_id, host_external_id FROM events WHERE organisation_id = \(organisationID) AND id = \(eventID)
                    """).rows.first
                guard let event, try event.decode(UUID.self, column: "campaign_id") == campaign.id else {
                    throw MobiliseError(.unprocessable, code: .unknownEvent, "no event \(eventID) in this campaign")
                }
                if authority == .host, try event.decode(String.self, column: "host_external_id") != actor.identity {
                    throw MobiliseError(.forbidden, code: .forbidden, "only the event's host or an HR admin enters its signatures")
                }
            } else if authority == .host {
                throw MobiliseError(.forbidden, code: .forbidden, "a host enters the signatures of their own event: name it (event_id)")
            }
            // Create the batch if it is new, then lock it: entries of one batch are served one at a time.
            try connection.execute("""
                INSERT INTO paper_batches (organisation_id, campaign_id, reference) VALUES (\(organisationID), \(campaign.id), \(draft.reference))
                ON CONFLICT (organisation_id, campaign_id, reference) DO NOTHING
                """)
            guard var batch = try Self.paperBatch(connection, organisationID: organisationID, campaignID: campaign.id,
                                                  reference: draft.reference, lock: true) else {
                throw PostgresError(kind: .client, message: "the paper batch just inserted was not found")
            }
            if let mine = batch.entries.first(where: { $0.enteredBy == actor.identity }) {
                guard mine.content.agrees(with: draft) else {
                    throw MobiliseError(.conflict, code: .paperEntryConflict,
                                        "you already entered batch '\(draft.reference)' differently: a second entry must come from someone else")
                }
                return PaperEntryResult(batch: batch, created: false)
            }
            if batch.status == .confirmed {
                if let counted = batch.entries.first(where: { $0.id == batch.outcome?.entryID }), counted.content.agrees(with: draft) {
                    return PaperEntryResult(batch: batch, created: false)
                }
                throw MobiliseError(.conflict, code: .paperBatchConfirmed,
                                    "batch '\(draft.reference)' is already confirmed and counted, with other content: ask an HR admin")
            }
            let entryID = try connection.query("""
                INSERT INTO paper_entries (organisation_id, batch_id, entered_by, channel, event_id, signed_at, external_ids, unidentified)
                VALUES (\(organisationID), \(batch.id), \(actor.identity), \(draft.channel.rawValue), \(draft.eventID), \(draft.signedAt),
                        \(draft.externalIDs), \(draft.unidentified))
                RETURNING id
                """).scalar(UUID.self)
            try MobiliseStore.audit(connection, organisationID: organisationID, actor: actor, action: "paper.entry", subject: batch.id.uuidString,
                                    details: ["campaign_id": campaign.id.uuidString, "reference": draft.reference, "by": authority.rawValue,
                                              "named": String(draft.externalIDs.count), "unidentified": String(draft.unidentified),
                                              "entry_id": entryID?.uuidString ?? ""])
            guard let reread = try Self.paperBatch(connection, organisationID: organisationID, campaignID: campaign.id, reference: draft.reference)
            else { throw PostgresError(kind: .client, message: "the paper batch disappeared") }
            batch = reread
            if let agreed = PaperBatch.agreement(among: batch.entries) {
                try Self.confirmPaperBatch(connection, organisationID: organisationID, campaign: campaign, batch: batch, entry: agreed,
                                           how: "agreement", actor: actor)
            } else if batch.entries.count >= 2 {
                try connection.execute("""
                    UPDATE paper_batches SET status = 'disputed' WHERE organisation_id = \(organisationID) AND id = \(batch.id)
                    """)
            }
            guard let final = try Self.paperBatch(connection, organisationID: organisationID, campaignID: campaign.id, reference: draft.reference)
            else { throw PostgresError(kind: .client, message: "the paper batch disappeared") }
            return PaperEntryResult(batch: final, created: true)
        }
    }

    /// An HR admin's decision on a batch the entries disagree on: `entryID`, one of its entries, is
    /// the one that counts. Refusals: `paper_batch_not_found`, `paper_entry_not_found`,
    /// `paper_batch_confirmed` (already counted), `campaign_not_active`.
    public func decidePaperBatch(
        organisationID: UUID, campaign reference: String, reference batchReference: String, entryID: UUID, actor: Actor
    ) async throws -> PaperBatch {
        try await pool.withTransaction(attempts: 3) { connection in
            let campaign = try Self.campaign(connection, organisationID: organisationID, reference: reference)
            guard let batch = try Self.paperBatch(connection, organisationID: organisationID, campaignID: campaign.id,
                                                  reference: batchReference, lock: true) else {
                throw MobiliseError(.notFound, code: .paperBatchNotFound, "no paper batch '\(batchReference)' in this campaign")
            }
            guard batch.status != .confirmed else {
                throw MobiliseError(.conflict, code: .paperBatchConfirmed, "batch '\(batchReference)' is already confirmed and counted")
            }
            guard campaign.status == .active else {
                throw MobiliseError(.unprocessable, code: .campaignNotActive,
                                    "this campaign is \(campaign.status.rawValue): paper signatures are counted while it is active")
            }
            guard let entry = batch.entries.first(where: { $0.id == entryID }) else {
                throw MobiliseError(.notFound, code: .paperEntryNotFound, "batch '\(batchReference)' has no entry \(entryID)")
            }
            try Self.confirmPaperBatch(connection, organisationID: organisationID, campaign: campaign, batch: batch, entry: entry,
                                       how: "decision", actor: actor)
            guard let final = try Self.paperBatch(connection, organisationID: organisationID, campaignID: campaign.id, reference: batchReference)
            else { throw PostgresError(kind: .client, message: "the paper batch disappeared") }
            return final
        }
    }

    /// A campaign's batches, newest first, optionally only those in `status`, each with its entries.
    public func paperBatches(organisationID: UUID, campaign reference: String, status: PaperBatchStatus? = nil, limit: Int = 200)
        async throws -> [PaperBatch] {
        try await pool.withConnection { connection in
            let campaign = try Self.campaign(connection, organisationID: organisationID, reference: reference)
            let references = try connection.query("""
                SELECT reference FROM paper_batches
                WHERE organisation_id = \(organisationID) AND campaign_id = \(campaign.id)
                  AND (\(status?.rawValue)::text IS NULL OR status = \(status?.rawValue))
                ORDER BY created_at DESC, reference LIMIT \(min(max(limit, 1), 500))
                """).column(String.self)
            return try references.compactMap {
                try Self.paperBatch(connection, organisationID: organisationID, campaignID: campaign.id, reference: $0)
            }
        }
    }

    /// The campaign's paper and event tally: confirmed batches by event, and how many wait for a
    /// second entry or a third look. The anonymous tally is its own figure, never in participation.
    public func paperTally(organisationID: UUID, campaign reference: String) async throws -> PaperTally {
        try await pool.withConnection { connection in
            let campaign = try Self.campaign(connection, organisationID: organisationID, reference: reference)
            let lines = try connection.query("""
                SELECT e.event_id, count(*)::bigint AS batches, sum(b.signed)::bigint AS signed, sum(b.already_signed)::bigint AS already,
                       sum(cardinality(b.refused_ids) + b.refused_erased)::bigint AS refused, sum(b.anonymous)::bigint AS anonymous
                FROM paper_batches b
                JOIN paper_entries e ON e.organisation_id = b.organisation_id AND e.id = b.confirmed_entry
                WHERE b.organisation_id = \(organisationID) AND b.campaign_id = \(campaign.id) AND b.status = 'confirmed'
                GROUP BY e.event_id ORDER BY e.event_id NULLS FIRST
                """).rows.map { row in
                    PaperTally.Line(
                        eventID: try row.decode(UUID?.self, column: "event_id"), batches: try row.decode(Int.self, column: "batches"),
                        signed: try row.decode(Int.self, column: "signed"), alreadySigned: try row.decode(Int.self, column: "already"),
                        refused: try row.decode(Int.self, column: "refused"), anonymous: try row.decode(Int.self, column: "anonymous"))
                }
            let waiting = try connection.query("""
                SELECT count(*) FILTER (WHERE status = 'pending')::bigint, count(*) FILTER (WHERE status = 'disputed')::bigint
                FROM paper_batches WHERE organisation_id = \(organisationID) AND campaign_id = \(campaign.id)
                """)[0]
            return PaperTally(lines: lines, pending: try waiting.decode(Int.self, at: 0), disputed: try waiting.decode(Int.self, at: 1))
        }
    }

    // MARK: - Inside a transaction

    /// Counts `entry` for `batch`: signs each named signer through the ordinary signing function (its
    /// rules, its journal and counts), puts unknown HR ids and unidentified signers in the anonymous
    /// tally, and records the outcome and an audit entry (counts only).
    static func confirmPaperBatch(
        _ connection: PostgresConnection, organisationID: UUID, campaign: Campaign, batch: PaperBatch, entry: PaperEntry, how: String,
        actor: Actor
    ) throws {
        let content = entry.content
        var signed = 0, already = 0, unknown = 0
        var refused: [String] = []
        for typed in content.externalIDs {
            do {
                let externalID = try employeeID(connection, organisationID: organisationID, typed: typed)
                let result = try sign(connection, organisationID: organisationID, campaign: campaign.id.uuidString, employee: externalID,
                                      channel: content.channel, eventID: content.eventID, at: content.signedAt)
                if result.created { signed += 1 } else { already += 1 }
            } catch let error as MobiliseError where error.code == .employeeNotFound {
                unknown += 1
            } catch is MobiliseError {
                // The rules refused before writing anything (inactive, outside the audience, outside the dates).
                refused.append(typed)
            }
        }
        let anonymous = unknown + content.unidentified
        try connection.execute("""
            UPDATE paper_batches
            SET status = 'confirmed', confirmed_entry = \(entry.id), confirmed_how = \(how), confirmed_by = \(actor.identity),
                confirmed_at = now(), signed = \(signed), already_signed = \(already), refused_ids = \(refused), anonymous = \(anonymous)
            WHERE organisation_id = \(organisationID) AND id = \(batch.id)
            """)
        try audit(connection, organisationID: organisationID, actor: actor, action: "paper.confirm", subject: batch.id.uuidString,
                  details: ["campaign_id": campaign.id.uuidString, "reference": batch.reference, "how": how, "entry_id": entry.id.uuidString,
                            "signed": String(signed), "already_signed": String(already), "refused": String(refused.count),
                            "anonymous": String(anonymous)])
    }

    /// The HR id an id typed from a sheet names: itself when an employee has it, else the same id in
    /// upper or lower case when an employee has that (handwriting typed as `se000003` for
    /// `SE000003`), else itself (then unknown). Each look-up uses the employees' key.
    static func employeeID(_ connection: PostgresConnection, organisationID: UUID, typed: String) throws -> String {
        let candidates = [typed, typed.uppercased(), typed.lowercased()]
        for (position, candidate) in candidates.enumerated() where !candidates[..<position].contains(candidate) {
            if try connection.query("""
                SELECT 1 FROM employees WHERE organisation_id = \(organisationID) AND external_id = \(candidate)
                """).count == 1 { return candidate }
        }
        return typed
    }

    /// A batch and its entries (in order of entry), nil when there is none; `lock` takes its row lock.
    static func paperBatch(
        _ connection: PostgresConnection, organisationID: UUID, campaignID: UUID, reference: String, lock: Bool = false
    ) throws -> PaperBatch? {
        guard let row = try connection.query("""
            SELECT id, status, created_at, confirmed_entry, confirmed_how, confirmed_by, confirmed_at, signed, already_signed,
                   refused_ids, refused_erased, anonymous
            FROM paper_batches WHERE organisation_id = \(organisationID) AND campaign_id = \(campaignID) AND reference = \(reference)
            \(unsafeSQL: lock ? "FOR UPDATE" : "")
            """).decode(BatchRow.self).first else { return nil }
        let entries = try connection.query("""
            SELECT id, entered_by, entered_at, channel, event_id, signed_at, external_ids, unidentified
            FROM paper_entries WHERE organisation_id = \(organisationID) AND batch_id = \(row.id)
            ORDER BY entered_at, id
            """).decode(EntryRow.self).map { entry in
                PaperEntry(id: entry.id, enteredBy: entry.entered_by, enteredAt: entry.entered_at, content: PaperEntryDraft(
                    reference: reference, channel: entry.channel, eventID: entry.event_id, signedAt: entry.signed_at,
                    externalIDs: entry.external_ids, unidentified: entry.unidentified))
            }
        var outcome: PaperOutcome?
        if let entryID = row.confirmed_entry, let at = row.confirmed_at {
            outcome = PaperOutcome(
                signed: row.signed ?? 0, alreadySigned: row.already_signed ?? 0, refusedIDs: row.refused_ids ?? [],
                anonymous: row.anonymous ?? 0, how: row.confirmed_how ?? "", confirmedBy: row.confirmed_by ?? "", confirmedAt: at,
                entryID: entryID)
            outcome?.refusedErased = row.refused_erased
        }
        return PaperBatch(id: row.id, campaignID: campaignID, reference: reference, status: PaperBatchStatus(rawValue: row.status) ?? .pending,
                          createdAt: row.created_at, entries: entries, outcome: outcome)
    }

    private struct BatchRow: Decodable {
        var id: UUID
        var status: String
        var created_at: Date
        var confirmed_entry: UUID?
        var confirmed_how: String?
        var confirmed_by: String?
        var confirmed_at: Date?
        var signed: Int?
        var already_signed: Int?
        var refused_ids: [String]?
        var refused_erased: Int
        var anonymous: Int?
    }

    private struct EntryRow: Decodable {
        var id: UUID
        var entered_by: String
        var entered_at: Date
        var channel: SignatureChannel
        var event_id: UUID?
        var signed_at: Date?
        var external_ids: [String]
        var unidentified: Int
    }
}
