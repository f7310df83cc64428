import Foundation
import Postgres

extension MobiliseStore {
    /// Folds, for every campaign, the 16 slots of each day of the daily counts older than
    /// `olderThanDays` days (in the organisation's time zone) into one row, and returns how many
    /// (day, slot) rows were folded away.
    ///
    /// Slots exist so that concurrent signers of one country do not queue on one counter row; once
    /// a day is over, nobody writes on it any more, and its 16 rows only make ranking reads longer
    /// (a ranking reads the last 14 days). Every (country, day) sum stays the same, so rankings now
    /// and as of any instant, timelines and ``verifyCounts(organisationID:campaign:)`` answer exactly
    /// as before. The default keeps yesterday's slots too, as a margin for a signing whose instant
    /// comes from a clock a little behind.
    ///
    /// Safe to run at any time and from several instances at once (a second run finds nothing to
    /// fold); the service runs it hourly. Each campaign is folded in its own short transaction.
    @discardableResult
    public func compactDailyCounts(olderThanDays: Int = 1) async throws -> Int {
        let campaigns = try await pool.query("""
            SELECT c.organisation_id, c.id, ((now() AT TIME ZONE o.time_zone)::date - \(olderThanDays)::integer)::text
            FROM campaigns c JOIN organisations o ON o.id = c.organisation_id
            ORDER BY c.organisation_id, c.id
            """).rows.map { try $0.decode((UUID, UUID, String).self) }
        var folded = 0
        // The day goes as text through to_date(), not `::date`: Citus 13.2 sends the call on to the
        // organisation's worker (deploy/citus/distribute.sql) and fails on a text parameter cast to a
        // date there ("cannot cast type cstring to date").
        for (organisationID, campaignID, before) in campaigns {
            try Task.checkCancellation()
            folded += try await pool.withTransaction { connection in
                try connection.query("""
                    SELECT mobilise_compact_signature_daily(\(organisationID), \(campaignID), to_date(\(before), 'YYYY-MM-DD'))
                    """).scalar(Int.self) ?? 0
            }
        }
        if folded > 0 {
            logger.info("compacted the daily signature counts", metadata: ["counts.folded_rows": "\(folded)"])
        }
        return folded
    }
}
