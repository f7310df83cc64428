-- The current signatures' totals as one row per (campaign, slot) holding every country's count, instead
-- of one row per (campaign, country, slot) (issue 25).
--
-- A signing batch added to one total row per country it signed in (a dozen or more per batch at a
-- launch), and each row's INSERT … ON CONFLICT DO UPDATE costs PostgreSQL about 58,000 instructions
-- whatever it adds (the conflict check's index descent and heap fetch, the row lock, the update):
-- a batch now adds to one row per campaign. A bench/batch_parts prototype (`counts-array-totals`) measured 5–6%
-- fewer instructions per signature for the whole batch statement (BENCHMARKS.md section 6).
--
-- A country's place in `counts` is its alpha-2 code as a number (mobilise_country_position: AA = 1 …
-- ZZ = 676; `countries` allows no other codes), so that writing needs no look-up. A country never
-- counted on a row is NULL there, which an array stores as one bit. The view `signature_totals` keeps
-- the rows every reader knows: (organisation, campaign, country, slot, current).

CREATE FUNCTION mobilise_country_position(code text) RETURNS integer
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN (ascii(code) - 65) * 26 + ascii(substr(code, 2)) - 64;

CREATE FUNCTION mobilise_country_at(place bigint) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN chr(65 + ((place - 1) / 26)::integer) || chr(65 + ((place - 1) % 26)::integer);

-- `counts` plus a change given as a two-row array: positions (row 1) and the amounts to add there
-- (row 2). A NULL `counts` starts empty. (Element by element in PL/pgSQL, which keeps the array
-- expanded while it assigns: a few elements change per call, of up to 676.)
CREATE FUNCTION mobilise_counts_add(counts integer[], change integer[]) RETURNS integer[]
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    IF counts IS NULL OR cardinality(counts) = 0 THEN
        counts := ARRAY[NULL::integer];
    END IF;
    FOR i IN 1 .. coalesce(array_length(change, 2), 0) LOOP
        counts[change[1][i]] := coalesce(counts[change[1][i]], 0) + change[2][i];
    END LOOP;
    RETURN counts;
END
$$;

CREATE TABLE signature_total_counts (
    organisation_id  uuid NOT NULL,
    campaign_id      uuid NOT NULL,
    slot             smallint NOT NULL CHECK (slot BETWEEN 0 AND 15),
    -- Current signatures by country, at mobilise_country_position(country).
    counts           integer[] NOT NULL,
    PRIMARY KEY (organisation_id, campaign_id, slot),
    FOREIGN KEY (organisation_id, campaign_id) REFERENCES campaigns (organisation_id, id) ON DELETE CASCADE
);

INSERT INTO signature_total_counts (organisation_id, campaign_id, slot, counts)
SELECT organisation_id, campaign_id, slot,
       mobilise_counts_add(NULL, ARRAY[array_agg(mobilise_country_position(country) ORDER BY country),
                                       array_agg(current ORDER BY country)])
FROM signature_totals
GROUP BY organisation_id, campaign_id, slot;

DROP TABLE signature_totals;

CREATE VIEW signature_totals AS
    SELECT t.organisation_id, t.campaign_id, mobilise_country_at(c.place) AS country, t.slot, c.current
    FROM signature_total_counts t, unnest(t.counts) WITH ORDINALITY AS c (current, place)
    WHERE c.current IS NOT NULL;
