-- Workforce imports as jobs readable by id (issue 20): an HR admin's upload returns at once with an
-- id (`Prefer: respond-async`), the import goes on on the server after the request ends, and
-- `GET /v1/imports/{id}` tells its state, progress and, at the end, its report. The console finds
-- the organisation's running import again after a reload or in another tab.
--
-- A running job's row is written every second (its progress, and `heartbeat_at`): a job whose
-- heartbeat stops (the instance running it was restarted, killed or lost) is marked failed by the
-- next reader, so that nothing stays "running" forever, whichever instance asks.
CREATE TABLE import_jobs (
    organisation_id  uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    id               uuid NOT NULL DEFAULT gen_random_uuid(),
    actor            text NOT NULL,
    file_name        text CHECK (length(file_name) <= 255),
    mode             text NOT NULL CHECK (mode IN ('upsert', 'full_sync')),
    dry_run          boolean NOT NULL,
    -- uploading: the file is arriving (its lines are checked as they come); validating: the file has
    -- arrived, its last lines are being read; merging: the rows are written in one transaction;
    -- held: a full sync past the guard changed nothing and waits for a confirmed import; done; failed.
    state            text NOT NULL DEFAULT 'uploading'
                     CHECK (state IN ('uploading', 'validating', 'merging', 'held', 'done', 'failed')),
    bytes_received   bigint NOT NULL DEFAULT 0,
    rows_read        integer NOT NULL DEFAULT 0,
    rows_merged      integer NOT NULL DEFAULT 0,
    -- The report, when done (or held: what it would deactivate).
    inserted         integer,
    updated          integer,
    unchanged        integer,
    deactivated      integer,
    rejected_count   integer,
    active_before    integer,
    deactivation_guard double precision,
    confirmation_required boolean,
    -- Why it failed or is held: the API's error code and sentence.
    error_code       text,
    error_message    text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    heartbeat_at     timestamptz NOT NULL DEFAULT now(),
    finished_at      timestamptz,
    CHECK ((state IN ('held', 'done', 'failed')) = (finished_at IS NOT NULL)),
    PRIMARY KEY (organisation_id, id)
);

-- The organisation's imports, newest first (the console's "running import" and "last imports").
CREATE INDEX import_jobs_recent ON import_jobs (organisation_id, created_at DESC, id DESC);
-- The jobs still running, for the heartbeat check.
CREATE INDEX import_jobs_running ON import_jobs (heartbeat_at) WHERE finished_at IS NULL;

-- The rejected lines of a finished job (as many as a report lists), read a page at a time by line.
CREATE TABLE import_job_rejections (
    organisation_id  uuid NOT NULL,
    job_id           uuid NOT NULL,
    line             integer NOT NULL,
    reason           text NOT NULL,
    PRIMARY KEY (organisation_id, job_id, line),
    FOREIGN KEY (organisation_id, job_id) REFERENCES import_jobs (organisation_id, id) ON DELETE CASCADE
);
