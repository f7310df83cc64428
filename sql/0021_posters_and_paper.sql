-- Posters and QR codes, and paper and event signatures entered twice.
--
-- 1. Two more channels a signature can come by: `poster` (the QR code on a printed poster) and `qr`
--    (a QR code on its own: a slide, a badge, a flyer). Either may name the event it was shown at.
ALTER TABLE signatures DROP CONSTRAINT signatures_channel_check;
ALTER TABLE signatures ADD CONSTRAINT signatures_channel_check
    CHECK (channel IN ('web', 'mobile', 'event', 'paper', 'poster', 'qr'));

-- 2. Paper forms and event sheets, typed in twice ("double entry").
--
-- A batch is one sheet (or one bundle of sheets) of a campaign, named by the people who type it in
-- (`reference`, e.g. "Lyon canteen 3"). Each person's typing of it is an entry; a person has at most one
-- entry per batch. The batch counts only once two entries by different people agree exactly (the
-- same HR ids, channel, event, date and number of unidentified signers): then the agreed entry's
-- named signers are signed through the ordinary signing function, in the same transaction, and
-- the rest go to the anonymous tally. Until then nothing of the batch counts anywhere.
CREATE TABLE paper_batches (
    organisation_id  uuid NOT NULL,
    id               uuid NOT NULL DEFAULT gen_random_uuid(),
    campaign_id      uuid NOT NULL,
    reference        text NOT NULL CHECK (length(reference) BETWEEN 1 AND 100),
    -- pending: fewer than two entries; disputed: two or more that do not agree (a third look is
    -- needed: a third entry, or an HR admin's decision); confirmed: counted.
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'disputed', 'confirmed')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    -- Set when confirmed: which entry counted (one of the batch's paper_entries; no foreign key, so that
    -- deleting a campaign cascades through both tables in any order), how (two agreeing entries, or an HR decision), by whom.
    confirmed_entry  uuid,
    confirmed_how    text CHECK (confirmed_how IN ('agreement', 'decision')),
    confirmed_by     text,
    confirmed_at     timestamptz,
    -- The outcome (counts; the refused HR ids are for HR, who typed them in).
    signed           integer,
    already_signed   integer,
    refused_ids      text[],
    -- Signers not in the HR file (unknown HR ids) and signers without an HR id: a separate tally,
    -- never counted in participation (they are not signatures of employees).
    anonymous        integer,
    CHECK ((status = 'confirmed') = (confirmed_at IS NOT NULL)),
    PRIMARY KEY (organisation_id, id),
    UNIQUE (organisation_id, campaign_id, reference),
    FOREIGN KEY (organisation_id, campaign_id) REFERENCES campaigns (organisation_id, id) ON DELETE CASCADE
);

CREATE INDEX paper_batches_status ON paper_batches (organisation_id, campaign_id, status);

CREATE TABLE paper_entries (
    organisation_id  uuid NOT NULL,
    id               uuid NOT NULL DEFAULT gen_random_uuid(),
    batch_id         uuid NOT NULL,
    -- Who typed it (an HR admin's or the event host's HR id): two entries must come from two people.
    entered_by       text NOT NULL,
    entered_at       timestamptz NOT NULL DEFAULT now(),
    channel          text NOT NULL CHECK (channel IN ('paper', 'event')),
    event_id         uuid,
    -- When the sheet was signed (the date on it); NULL: when the batch is confirmed.
    signed_at        timestamptz,
    -- The HR ids on the sheet, distinct and sorted (so that equal sheets compare equal).
    external_ids     text[] NOT NULL,
    -- Signers who gave no HR id (visitors, contractors, an illegible line).
    unidentified     integer NOT NULL DEFAULT 0 CHECK (unidentified >= 0),
    PRIMARY KEY (organisation_id, id),
    UNIQUE (organisation_id, batch_id, entered_by),
    FOREIGN KEY (organisation_id, batch_id) REFERENCES paper_batches (organisation_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organisation_id, event_id) REFERENCES events (organisation_id, id) ON DELETE SET NULL (event_id)
);
