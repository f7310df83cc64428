import Foundation
import Postgres

extension MobiliseStore {
    /// Claims this period's run of `job` for `instance`: true when no instance claimed it within the
    /// last `period` (the caller then runs the job), false when another did (the caller skips it).
    ///
    /// One conditional upsert on `scheduled_runs` (migration 0017), so that instances whose timers
    /// fire at the same moment cannot both win: PostgreSQL serialises the two writes of the row, and
    /// the second sees the first's claim. The claim is a lease, never released: a run cut short by a
    /// crash is done again next period by whichever instance is alive.
    public func claimScheduledRun(job: String, period: Duration, instance: String) async throws -> Bool {
        let milliseconds = period.components.seconds * 1000 + period.components.attoseconds / 1_000_000_000_000_000
        return try await pool.query("""
            INSERT INTO scheduled_runs AS run (job, claimed_at, claimed_by)
            VALUES (\(job), clock_timestamp(), \(String(instance.prefix(200))))
            ON CONFLICT (job) DO UPDATE SET claimed_at = EXCLUDED.claimed_at, claimed_by = EXCLUDED.claimed_by
            WHERE run.claimed_at <= EXCLUDED.claimed_at - make_interval(secs => \(Double(milliseconds) / 1000))
            RETURNING 1
            """).rows.count == 1
    }
}
