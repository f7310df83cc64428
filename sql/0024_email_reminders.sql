-- E-mail reminder waves (issue 23): HR schedules a wave for a campaign; it is planned at once, in
-- one transaction, into one message per person in the audience who has not signed, has an e-mail
-- address and has not opted out. Each message waits for a local hour in its person's time zone,
-- and the sender (`EmailSender`, SMTP) delivers it at least once, with retries and a final state.
--
-- Why not the webhook outbox's tables (0018)? Their messages are one event delivered to one
-- endpoint and their log names each delivery to HR; an e-mail is addressed to one person, and HR
-- may only see a wave's counts (managers never learn who was reminded). The claim, lease and retry
-- design is the same.

-- Who asked not to get reminder e-mails (one-click unsubscribe, RFC 8058). Kept per organisation
-- and employee: every later wave of every campaign skips them.
CREATE TABLE email_opt_outs (
    organisation_id  uuid NOT NULL,
    employee_id      uuid NOT NULL,
    opted_out_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- The wave whose message carried the link (its report counts opt-outs).
    wave_id          uuid,
    PRIMARY KEY (organisation_id, employee_id),
    FOREIGN KEY (organisation_id, employee_id) REFERENCES employees (organisation_id, id) ON DELETE CASCADE
);

CREATE TABLE reminder_waves (
    organisation_id  uuid NOT NULL,
    id               uuid NOT NULL DEFAULT gen_random_uuid(),
    campaign_id      uuid NOT NULL,
    -- The day and hour each message is sent on, in its person's local time.
    send_on          date NOT NULL,
    local_hour       smallint NOT NULL CHECK (local_hour BETWEEN 0 AND 23),
    -- Counted at planning: people in the audience who had not signed and were left out, by reason.
    skipped_opted_out integer NOT NULL DEFAULT 0,
    skipped_no_email  integer NOT NULL DEFAULT 0,
    created_by       text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (organisation_id, id),
    -- A wave scheduled twice for one day is refused (409), not sent twice.
    UNIQUE (organisation_id, campaign_id, send_on),
    FOREIGN KEY (organisation_id, campaign_id) REFERENCES campaigns (organisation_id, id) ON DELETE CASCADE
);

CREATE TABLE email_messages (
    organisation_id  uuid NOT NULL,
    id               uuid NOT NULL DEFAULT gen_random_uuid(),
    wave_id          uuid NOT NULL,
    -- The address and name are read from `employees` when the message is sent (an erased or
    -- changed address is never used from a copy): the row holds no personal data of its own.
    employee_id      uuid NOT NULL,
    -- The message's language (a catalogue language; chosen at planning from the person's country
    -- and the campaign's languages).
    language         text NOT NULL,
    -- The one-click unsubscribe link's token: 32 random bytes (two v4 UUIDs, 244 random bits). It
    -- can only opt its person out of reminders; it is in the message, so it is kept as is.
    unsubscribe_token bytea NOT NULL CHECK (length(unsubscribe_token) = 32),
    -- pending → sending (claimed, leased) → sent | pending (retry later) | failed (attempts used up,
    -- or the server refused for good: 5xx) | skipped (signed or opted out before it was sent, or
    -- no address any more).
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'skipped')),
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- Not before the local hour; then as the retry backoff says.
    next_attempt_at  timestamptz NOT NULL,
    lease_until      timestamptz,
    lease_token      uuid,
    -- The SMTP server's last answer or the connection's error (never shown to HR: it may name the address).
    last_error       text CHECK (length(last_error) <= 1000),
    last_reply_code  integer,
    skip_reason      text CHECK (skip_reason IN ('signed', 'opted_out', 'no_email')),
    sent_at          timestamptz,
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (organisation_id, id),
    -- Never two messages of one wave to one person.
    UNIQUE (organisation_id, wave_id, employee_id),
    -- Unique with the organisation (what Citus distributes by: a unique key must hold it); 244
    -- random bits do not collide across organisations either.
    UNIQUE (organisation_id, unsubscribe_token),
    FOREIGN KEY (organisation_id, wave_id) REFERENCES reminder_waves (organisation_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organisation_id, employee_id) REFERENCES employees (organisation_id, id) ON DELETE CASCADE
);

-- The sender's claim: due messages, oldest first; small, as sent ones leave it.
CREATE INDEX email_messages_due ON email_messages (next_attempt_at) WHERE status IN ('pending', 'sending');
-- The unsubscribe link carries only the token: looked up without the organisation.
CREATE INDEX email_messages_unsubscribe ON email_messages (unsubscribe_token);
