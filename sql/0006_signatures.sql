-- Signatures (pledges) and the counts that rankings read.
--
-- Design (after alphagov/e-petitions, which learned it under real surges): a signature is a row;
-- rankings never scan those rows. They read small count tables kept up to date in the same
-- transaction as each change:
--   signature_totals  current signatures per (campaign, country, slot)
--   signature_daily   net change per (campaign, country, day, slot), days in the organisation's time zone
-- Each change adds to one of 16 slots picked at random, so concurrent signers of one country do
-- not queue on a single hot counter row; readers sum the slots (16 × countries rows).
-- signature_events keeps every change with its instant, so a ranking "as of" any past instant
-- can be reproduced exactly, and the counts can be recomputed and checked.

CREATE TABLE signatures (
    organisation_id  uuid NOT NULL,
    id               uuid NOT NULL DEFAULT gen_random_uuid(),
    campaign_id      uuid NOT NULL,
    employee_id      uuid NOT NULL,
    -- Where the employee worked when signing: a later relocation does not move the signature.
    country          text NOT NULL REFERENCES countries (alpha2),
    site             text,
    org_unit         text,
    channel          text NOT NULL CHECK (channel IN ('web', 'mobile', 'event', 'paper')),
    event_id         uuid,
    signed_at        timestamptz NOT NULL,
    withdrawn_at     timestamptz CHECK (withdrawn_at >= signed_at),
    PRIMARY KEY (organisation_id, id),
    -- One signature per employee per campaign: signing again returns it, re-signing reuses it.
    UNIQUE (organisation_id, campaign_id, employee_id),
    FOREIGN KEY (organisation_id, campaign_id) REFERENCES campaigns (organisation_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organisation_id, employee_id) REFERENCES employees (organisation_id, id) ON DELETE CASCADE,
    -- Deleting an event keeps its signatures (channel stays 'event').
    FOREIGN KEY (organisation_id, event_id) REFERENCES events (organisation_id, id) ON DELETE SET NULL (event_id)
);

CREATE INDEX signatures_country ON signatures (organisation_id, campaign_id, country) WHERE withdrawn_at IS NULL;

-- Every time a signature became current (+1) or stopped being current (-1), in the country it counts in.
CREATE TABLE signature_events (
    organisation_id  uuid NOT NULL,
    id               bigint GENERATED ALWAYS AS IDENTITY,
    campaign_id      uuid NOT NULL,
    signature_id     uuid NOT NULL,
    at               timestamptz NOT NULL,
    delta            smallint NOT NULL CHECK (delta IN (-1, 1)),
    country          text NOT NULL,
    PRIMARY KEY (organisation_id, id),
    FOREIGN KEY (organisation_id, campaign_id) REFERENCES campaigns (organisation_id, id) ON DELETE CASCADE
);

CREATE INDEX signature_events_time ON signature_events (organisation_id, campaign_id, at);

CREATE TABLE signature_totals (
    organisation_id  uuid NOT NULL,
    campaign_id      uuid NOT NULL,
    country          text NOT NULL,
    slot             smallint NOT NULL CHECK (slot BETWEEN 0 AND 15),
    current          integer NOT NULL,
    PRIMARY KEY (organisation_id, campaign_id, country, slot),
    FOREIGN KEY (organisation_id, campaign_id) REFERENCES campaigns (organisation_id, id) ON DELETE CASCADE
);

CREATE TABLE signature_daily (
    organisation_id  uuid NOT NULL,
    campaign_id      uuid NOT NULL,
    country          text NOT NULL,
    day              date NOT NULL,
    slot             smallint NOT NULL CHECK (slot BETWEEN 0 AND 15),
    delta            integer NOT NULL,
    PRIMARY KEY (organisation_id, campaign_id, country, day, slot),
    FOREIGN KEY (organisation_id, campaign_id) REFERENCES campaigns (organisation_id, id) ON DELETE CASCADE
);
