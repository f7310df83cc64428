-- Browser sessions that sign-out really ends, the single-use codes of one-click sign-in links, and
-- an audit log numbered per organisation.
--
-- Sessions. Until now a session cookie was the token's identity re-signed with a key of its own:
-- signing out only asked the browser to forget it, and the same value kept working until it
-- expired. A session is now a row: the cookie carries the organisation's id and 32 random bytes,
-- the row keeps only the SHA-256 of those bytes, and signing out sets ended_at, after which the
-- cookie authenticates nothing, on every instance.
--
-- Sign-in codes. A one-click link used to carry a bearer token in its fragment, which the browser's
-- history keeps (an 8-hour API token). The link now carries a code that opens one session, once,
-- within minutes of being made: it is deleted when it is exchanged.
--
-- Both are keyed by (organisation_id, secret_hash): the organisation is part of every credential,
-- so a look-up is a primary-key read on the organisation's shard (deploy/citus). Rows past their
-- expiry are deleted by the store whenever it creates one of the same organisation.

CREATE TABLE sessions (
    organisation_id  uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    -- SHA-256 of the random part of the cookie; the cookie itself is never stored.
    secret_hash      bytea NOT NULL CHECK (length(secret_hash) = 32),
    -- The identity the session stands for: the token's `sub` (an HR id) and roles.
    subject          text NOT NULL,
    roles            text[] NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL,
    -- Set by sign-out (or by a newer session replacing this one in the same browser).
    ended_at         timestamptz,
    PRIMARY KEY (organisation_id, secret_hash)
);
CREATE INDEX sessions_by_subject ON sessions (organisation_id, subject);

CREATE TABLE sign_in_codes (
    organisation_id     uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    secret_hash         bytea NOT NULL CHECK (length(secret_hash) = 32),
    subject             text NOT NULL,
    roles               text[] NOT NULL,
    -- The code itself is valid until expires_at; the session it opens lasts until session_expires_at
    -- at most (never longer than the credential the code was made from).
    expires_at          timestamptz NOT NULL,
    session_expires_at  timestamptz NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organisation_id, secret_hash)
);
CREATE INDEX sign_in_codes_by_subject ON sign_in_codes (organisation_id, subject);

-- The audit log's ids came from one identity sequence shared by every organisation, so one tenant's
-- HR saw the ids jump whenever another tenant acted. Each organisation now numbers its own entries
-- 1, 2, 3, … from a counter row that the entry's transaction updates (and so holds until it commits:
-- entries of one organisation are numbered in the order their actions commit, and a cursor never
-- skips one that commits later). Existing entries are renumbered per organisation, in their order.
CREATE TABLE audit_counters (
    organisation_id  uuid PRIMARY KEY REFERENCES organisations (id) ON DELETE CASCADE,
    last_id          bigint NOT NULL CHECK (last_id >= 0)
);

ALTER TABLE audit_log ALTER COLUMN id DROP IDENTITY;
-- Two steps, so that no intermediate value collides with a row not yet renumbered.
UPDATE audit_log SET id = -id;
UPDATE audit_log AS a SET id = n.position
FROM (SELECT organisation_id, id, row_number() OVER (PARTITION BY organisation_id ORDER BY id DESC) AS position
      FROM audit_log) AS n
WHERE a.organisation_id = n.organisation_id AND a.id = n.id;
INSERT INTO audit_counters (organisation_id, last_id)
SELECT organisation_id, max(id) FROM audit_log GROUP BY organisation_id;
