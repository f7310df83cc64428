-- Scheduled jobs run once across instances (issue 24). Every `mobilise serve` instance schedules
-- the same jobs (the compaction of the daily counts, and later the outbox and reminder waves); the
-- first instance whose timer fires claims the run with one conditional upsert on this table, and
-- the others, finding the row claimed less than a period ago, skip it. A lease, not a lock held
-- while the job runs: an instance killed mid-run leaves nothing to release, and the next period's
-- claim goes to whichever instance is alive (the jobs are idempotent, so a run cut short is simply
-- done again then).
CREATE TABLE scheduled_runs (
    job         text PRIMARY KEY CHECK (length(job) BETWEEN 1 AND 100),
    claimed_at  timestamptz NOT NULL,
    -- Which instance claimed the last run (host and process id: for an operator reading the table).
    claimed_by  text NOT NULL CHECK (length(claimed_by) <= 200)
);
