-- Privacy that holds over time (issue 19; PRIVACY.md derives and measures it).
--
-- A leader's counts are published rounded down to a step after adding a secret offset drawn per
-- campaign and group. The offsets come from this key, an HMAC key drawn once per campaign by the
-- database's strong random source (gen_random_uuid), kept here, never shown to anyone: it must never
-- change (a new key draws new offsets, a second chance to see a change), and every instance of
-- the service must draw the same offsets.
ALTER TABLE campaigns ADD COLUMN publication_key bytea NOT NULL
    DEFAULT (uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()));

-- Who looked at which leader figures, when: one row per organisation, hour, viewer, campaign and
-- surface (rankings, rankings.csv, country, timeline, live), counting the reads, so that a launch
-- day with dashboards open everywhere adds a handful of rows, not one per request. HR admins read
-- it (GET /v1/leader-views); HR admins' own reads are not counted (their figures are exact anyway,
-- and they can read everything).
CREATE TABLE leader_views (
    organisation_id  uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    hour             timestamptz NOT NULL,
    viewer           text NOT NULL CHECK (length(viewer) BETWEEN 1 AND 400),
    campaign_id      uuid NOT NULL,
    surface          text NOT NULL CHECK (surface IN ('rankings', 'rankings.csv', 'country', 'timeline', 'live')),
    views            integer NOT NULL CHECK (views >= 1),
    first_at         timestamptz NOT NULL,
    last_at          timestamptz NOT NULL,
    -- The key orders the HR list (newest hour first) and makes each read one upsert.
    PRIMARY KEY (organisation_id, hour, viewer, campaign_id, surface),
    FOREIGN KEY (organisation_id, campaign_id) REFERENCES campaigns (organisation_id, id) ON DELETE CASCADE
);
