-- E-mail leftovers (issue 23).
--
-- 1. Each person's own language and time zone. Reminder e-mails went in the language and at the
--    local hour of the person's country of work; a French engineer in Germany, or someone in
--    Chicago (the United States' zone is New York's), got theirs in the wrong language or at the
--    wrong hour. Both come from the HR file (`preferred_language`, `time_zone`) or SCIM
--    (`preferredLanguage`, `timezone`), checked by the workforce's rules (WorkforceCSV.row): a
--    well-formed BCP 47 tag, kept as given (a reminder uses the catalogue's language for it, else
--    the country's); an IANA zone name (a zone the server's time zone data lacks falls back to the
--    country's). NULL: the country decides, as before. Personal data: erasure clears them.
--    No CHECK constraint: adding one would read the whole table under an exclusive lock; the
--    lengths are bounded where the values are checked.
ALTER TABLE employees
    ADD COLUMN preferred_language text,
    ADD COLUMN time_zone text;

-- 2. Erasure and paper batches. Erasure used to replace an erased person's HR id on paper sheets
--    (paper_entries.external_ids, paper_batches.refused_ids) by their pseudonym, which still names
--    their (erased) employee row. It now removes it: from a sheet's HR ids into its count of
--    signers without an HR id (`unidentified`: the sheet's total stays, and two entries that agreed
--    still agree), and from a confirmed batch's refused ids into `refused_erased` (the tally's
--    refused count stays; confirmed counts are never recomputed from the entries).
ALTER TABLE paper_batches ADD COLUMN refused_erased integer NOT NULL DEFAULT 0 CHECK (refused_erased >= 0);

-- Sheets erased before this migration: their pseudonyms leave as above. An erased employee's
-- pseudonym is their external_id (erased_at set); nothing else in these arrays can match one.
WITH erased AS (
    SELECT organisation_id, external_id FROM employees WHERE erased_at IS NOT NULL
), entries AS (
    SELECT p.organisation_id, p.id, array_agg(x.id ORDER BY x.n) FILTER (WHERE e.external_id IS NULL) AS kept,
           count(e.external_id) AS removed
    FROM paper_entries p
    CROSS JOIN LATERAL unnest(p.external_ids) WITH ORDINALITY AS x (id, n)
    LEFT JOIN erased e ON e.organisation_id = p.organisation_id AND e.external_id = x.id
    GROUP BY p.organisation_id, p.id
    HAVING count(e.external_id) > 0
)
UPDATE paper_entries p SET external_ids = coalesce(entries.kept, '{}'), unidentified = p.unidentified + entries.removed
FROM entries WHERE p.organisation_id = entries.organisation_id AND p.id = entries.id;

WITH erased AS (
    SELECT organisation_id, external_id FROM employees WHERE erased_at IS NOT NULL
), batches AS (
    SELECT b.organisation_id, b.id, array_agg(x.id ORDER BY x.n) FILTER (WHERE e.external_id IS NULL) AS kept,
           count(e.external_id) AS removed
    FROM paper_batches b
    CROSS JOIN LATERAL unnest(b.refused_ids) WITH ORDINALITY AS x (id, n)
    LEFT JOIN erased e ON e.organisation_id = b.organisation_id AND e.external_id = x.id
    GROUP BY b.organisation_id, b.id
    HAVING count(e.external_id) > 0
)
UPDATE paper_batches b SET refused_ids = coalesce(batches.kept, '{}'), refused_erased = b.refused_erased + batches.removed
FROM batches WHERE b.organisation_id = batches.organisation_id AND b.id = batches.id;

-- 3. The e-mail sending rate across instances. MOBILISE_SMTP_RATE was each instance's: two
--    instances sent twice as fast as the SMTP provider allows. Now every sender reserves its
--    batch's sending slots here before claiming it (EmailSender): slots 1/rate apart, after
--    every slot any instance reserved, so that all instances together keep to the rate. One row,
--    updated once per batch (every 2 s at the default 5 a second): no contention worth the name.
--    Not per organisation: the rate is the SMTP server's.
CREATE TABLE email_send_slots (
    id         boolean PRIMARY KEY DEFAULT true CHECK (id),
    -- The first free slot: no message is sent before it by anyone but the slots' holders.
    next_slot  timestamptz NOT NULL
);
