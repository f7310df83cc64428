-- The durable outbox (issue 23): what Mobilise tells the places people work in (webhooks,
-- Microsoft Teams, Slack), written in the same transaction as what caused it, delivered at least
-- once by the sender (`OutboxSender`) with retries, exponential backoff and a final state.
--
-- Three layers:
--   outbound_endpoints  where an organisation wants to be told (HR admins manage them);
--   outbox_events       what happened (one row per event, unique per organisation and dedupe key,
--                       so a milestone seen by two instances or two runs is one event);
--   outbox_messages     one delivery of an event to an endpoint, with its state; and
--   outbox_attempts     each attempt at it (the delivery log HR reads).

CREATE TABLE outbound_endpoints (
    organisation_id  uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    id               uuid NOT NULL DEFAULT gen_random_uuid(),
    -- webhook: Standard Webhooks (signed JSON); teams: an Adaptive Card for a Workflows or incoming
    -- webhook URL; slack: Block Kit for an incoming webhook URL.
    kind             text NOT NULL CHECK (kind IN ('webhook', 'teams', 'slack')),
    url              text NOT NULL CHECK (length(url) BETWEEN 8 AND 2000),
    description      text CHECK (length(description) <= 500),
    -- The event types the endpoint receives (`campaign.launched`, `milestone.signatures`, …).
    events           text[] NOT NULL CHECK (cardinality(events) >= 1),
    -- The Standard Webhooks signing key (24–64 random bytes; shown once as `whsec_` + base64). Kept
    -- as is because the service must sign with it (an HMAC key cannot be stored hashed), like the
    -- single sign-on client secret (0015): protected by the database's access control and backups.
    -- Teams and Slack URLs carry their own secret in the URL, so they have none.
    secret           bytea CHECK (secret IS NULL OR length(secret) BETWEEN 24 AND 64),
    enabled          boolean NOT NULL DEFAULT true,
    created_by       text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organisation_id, id),
    CONSTRAINT outbound_endpoints_webhook_secret CHECK ((kind = 'webhook') = (secret IS NOT NULL))
);

-- Which milestones an organisation is told about (defaults when it has no row).
CREATE TABLE outbound_settings (
    organisation_id       uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    -- Round numbers of signatures (leaders' published figures).
    milestone_signatures  integer[] NOT NULL DEFAULT '{1000,10000,100000,1000000}',
    -- Percentages of the campaign's signature goal.
    milestone_goal_shares integer[] NOT NULL DEFAULT '{25,50,75,100}',
    PRIMARY KEY (organisation_id)
);

CREATE TABLE outbox_events (
    organisation_id  uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    id               uuid NOT NULL DEFAULT gen_random_uuid(),
    type             text NOT NULL CHECK (length(type) BETWEEN 1 AND 100),
    -- One event per key: `campaign.launched:<campaign>`, `milestone.signatures:<campaign>:1000`, …
    dedupe_key       text NOT NULL CHECK (length(dedupe_key) BETWEEN 1 AND 300),
    -- What every format is made from. Figures in it are as leaders see them (published, rounded);
    -- nothing in it names a signer.
    payload          jsonb NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (organisation_id, id),
    UNIQUE (organisation_id, dedupe_key)
);

CREATE TABLE outbox_messages (
    organisation_id  uuid NOT NULL,
    id               uuid NOT NULL DEFAULT gen_random_uuid(),
    event_id         uuid NOT NULL,
    endpoint_id      uuid NOT NULL,
    -- pending → delivering (claimed, leased) → delivered | pending (retry later) | failed (attempts
    -- used up) | refused (the URL is not allowed: the outbound-URL policy). A lease that expires
    -- (the instance died mid-send) makes the message claimable again: at least once.
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'delivering', 'delivered', 'failed', 'refused')),
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    lease_until      timestamptz,
    -- Who holds the lease: a claim's own token, so a sender whose lease expired cannot overwrite
    -- the outcome of the one that claimed the message after it.
    lease_token      uuid,
    last_error       text CHECK (length(last_error) <= 1000),
    last_status_code integer,
    delivered_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (organisation_id, id),
    UNIQUE (organisation_id, event_id, endpoint_id),
    FOREIGN KEY (organisation_id, event_id) REFERENCES outbox_events (organisation_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organisation_id, endpoint_id) REFERENCES outbound_endpoints (organisation_id, id) ON DELETE CASCADE
);

-- The sender's claim: due messages, oldest first; small, as delivered ones leave it.
CREATE INDEX outbox_messages_due ON outbox_messages (next_attempt_at) WHERE status IN ('pending', 'delivering');
-- The delivery log, newest first.
CREATE INDEX outbox_messages_log ON outbox_messages (organisation_id, created_at DESC, id DESC);

CREATE TABLE outbox_attempts (
    organisation_id  uuid NOT NULL,
    id               bigint GENERATED ALWAYS AS IDENTITY,
    message_id       uuid NOT NULL,
    at               timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- delivered | retry | failed | refused
    outcome          text NOT NULL CHECK (outcome IN ('delivered', 'retry', 'failed', 'refused')),
    status_code      integer,
    error            text CHECK (length(error) <= 1000),
    duration_ms      integer,
    PRIMARY KEY (organisation_id, id),
    FOREIGN KEY (organisation_id, message_id) REFERENCES outbox_messages (organisation_id, id) ON DELETE CASCADE
);
CREATE INDEX outbox_attempts_message ON outbox_attempts (organisation_id, message_id, id);
