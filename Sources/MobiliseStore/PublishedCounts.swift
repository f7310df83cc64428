import Foundation
import MobiliseDomain
import Postgres

/// The hysteresis's memory of leaders' published figures (`published_counts`, migration 0020;
/// ``PublicationLedger``).
extension MobiliseStore {
    /// A ledger for one read of `campaignID`'s figures at `instants`: per instant, each group's
    /// value stored last at or before it (one statement for all of them).
    ///
    /// - Parameter current: the current published instant when the read is of it (values at it are
    ///   decided, and ``storePublications(organisationID:campaignID:ledger:)`` stores them); nil for
    ///   a read of a past instant only.
    static func publicationLedger(
        _ connection: PostgresConnection, organisationID: UUID, campaignID: UUID, current: Date?, instants: [Date],
        recordsEveryDecision: Bool = false
    ) throws -> PublicationLedger {
        let wanted = Array(Set(instants + (current.map { [$0] } ?? []))).sorted()
        var stored: [Date: [Data: StoredPublication]] = [:]
        for instant in wanted { stored[instant] = [:] }
        // Nothing was published before 1970; an instant that early (`as_of` of year 1, and its window's start a week
        // before, which PostgreSQL's text input cannot take) is answered without asking.
        let asked = wanted.filter { $0 >= Date(timeIntervalSince1970: 0) }
        for row in try connection.query("""
            SELECT DISTINCT ON (i.n, p.group_key) i.n, p.group_key, p.published_at, p.step, p.value
            FROM unnest(\(asked)::timestamptz[]) WITH ORDINALITY AS i(at, n)
            JOIN published_counts p ON p.organisation_id = \(organisationID) AND p.campaign_id = \(campaignID)
                                   AND p.published_at <= i.at
            ORDER BY i.n, p.group_key, p.published_at DESC
            """).rows {
            let (ordinal, key, at, step, value) = try row.decode((Int, Data, Date, Int, Int).self)
            guard ordinal >= 1, ordinal <= asked.count else { continue }
            stored[asked[ordinal - 1], default: [:]][key] = StoredPublication(instant: at, step: step, value: value)
        }
        return PublicationLedger(current: current, stored: stored, recordsEveryDecision: recordsEveryDecision)
    }

    /// Stores the values `ledger`'s read decided at the current published instant, in one prepared
    /// statement whatever their number (a ranking decides one value per country, `other` and total:
    /// the milestone job, ranking the signed campaign every second in `bench/outbox_during_signing`,
    /// stored them one `INSERT` each, 1,129 statements in a 10 s phase). The first read of an instant to
    /// store a group's value wins: a later one (another instance, the same moment) leaves it, and
    /// every read after reads it.
    ///
    /// A ledger that records every decision (an event's counts, read live, never at a past instant)
    /// keeps only its groups' latest row.
    public func storePublications(organisationID: UUID, campaignID: UUID, ledger: PublicationLedger?) async throws {
        guard let ledger else { return }
        // In key order, as the rows are inserted (and their index entries locked): two reads storing
        // the same groups at once take them in the same order.
        let rows = ledger.decided.sorted { $0.key.lexicographicallyPrecedes($1.key) }
        guard !rows.isEmpty else { return }
        let keys = rows.map(\.key), instants = rows.map(\.value.instant)
        let steps = rows.map(\.value.step), values = rows.map(\.value.value)
        if ledger.recordsEveryDecision {
            // One statement, so no transaction: the DELETE sees the rows as they were before the INSERT,
            // and removes only rows older than the instant it stores.
            let store: PostgresQuery = """
                WITH decided AS (
                    SELECT d.key AS group_key, d.published_at, d.step, d.value, d.n
                    FROM unnest(\(keys)::bytea[], \(instants)::timestamptz[], \(steps)::int8[], \(values)::int8[])
                         WITH ORDINALITY AS d (key, published_at, step, value, n)
                ), older AS (
                    DELETE FROM published_counts p USING decided
                    WHERE p.organisation_id = \(organisationID) AND p.campaign_id = \(campaignID)
                      AND p.group_key = decided.group_key AND p.published_at < decided.published_at
                )
                INSERT INTO published_counts (organisation_id, campaign_id, group_key, published_at, step, value)
                SELECT \(organisationID), \(campaignID), group_key, published_at, step, value FROM decided ORDER BY n
                ON CONFLICT (organisation_id, campaign_id, group_key, published_at) DO NOTHING
                """
            _ = try await pool.execute(store.prepared())
        } else {
            let store: PostgresQuery = """
                INSERT INTO published_counts (organisation_id, campaign_id, group_key, published_at, step, value)
                SELECT \(organisationID), \(campaignID), d.key, d.published_at, d.step, d.value
                FROM unnest(\(keys)::bytea[], \(instants)::timestamptz[], \(steps)::int8[], \(values)::int8[])
                     WITH ORDINALITY AS d (key, published_at, step, value, n)
                ORDER BY d.n
                ON CONFLICT (organisation_id, campaign_id, group_key, published_at) DO NOTHING
                """
            _ = try await pool.execute(store.prepared())
        }
    }
}
