-- Organisations: the tenants. Everything else belongs to exactly one organisation, and every
-- tenant-owned table carries organisation_id in its keys, so the schema can later be distributed
-- by organisation (Citus) without changing a key.

CREATE TABLE organisations (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- Short name used in URLs, tokens (the `org` claim) and the CLI.
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- Privacy threshold k: leadership never sees a figure covering fewer than k employees.
    privacy_k   integer NOT NULL DEFAULT 10 CHECK (privacy_k >= 1),
    -- IANA time zone in which the organisation's days and weeks are counted.
    time_zone   text NOT NULL DEFAULT 'UTC',
    created_at  timestamptz NOT NULL DEFAULT now()
);
