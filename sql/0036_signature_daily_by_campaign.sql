-- The daily net changes as one row per (campaign, day, slot) holding every country's change, as sql/0035
-- made the totals (issue 25): a signing batch updated one daily row per country it signed in, and now
-- one per campaign and day. A bench/batch_parts prototype of both (`counts-array2`) measured
-- 13–14% fewer PostgreSQL instructions per signature than the per-country rows (BENCHMARKS.md section 6).
--
-- `counts` is indexed as the totals' (mobilise_country_position). The view `signature_daily` keeps the
-- rows every reader knows: (organisation, campaign, country, day, slot, delta). The primary key leads
-- with (organisation, campaign, day), so a ranking's last 14 days are one index range, as
-- sql/0008's signature_daily_recent made them.

-- `counts` plus every element of `more` (NULL where `more` has none): for folding whole rows, where
-- mobilise_counts_add takes a batch's few changes. (PL/pgSQL holds an array parameter expanded, so
-- each element is read in constant time.)
CREATE FUNCTION mobilise_counts_merge(counts integer[], more integer[]) RETURNS integer[]
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    IF more IS NULL OR cardinality(more) = 0 THEN
        RETURN counts;
    END IF;
    IF counts IS NULL OR cardinality(counts) = 0 THEN
        counts := ARRAY[NULL::integer];
    END IF;
    FOR i IN array_lower(more, 1) .. array_upper(more, 1) LOOP
        IF more[i] IS NOT NULL THEN
            counts[i] := coalesce(counts[i], 0) + more[i];
        END IF;
    END LOOP;
    RETURN counts;
END
$$;

-- The element-wise sum of count arrays.
CREATE AGGREGATE mobilise_counts_sum(integer[]) (SFUNC = mobilise_counts_merge, STYPE = integer[]);

CREATE TABLE signature_daily_counts (
    organisation_id  uuid NOT NULL,
    campaign_id      uuid NOT NULL,
    day              date NOT NULL,
    slot             smallint NOT NULL CHECK (slot BETWEEN 0 AND 15),
    -- Net change by country on that day, at mobilise_country_position(country).
    counts           integer[] NOT NULL,
    PRIMARY KEY (organisation_id, campaign_id, day, slot),
    FOREIGN KEY (organisation_id, campaign_id) REFERENCES campaigns (organisation_id, id) ON DELETE CASCADE
);

INSERT INTO signature_daily_counts (organisation_id, campaign_id, day, slot, counts)
SELECT organisation_id, campaign_id, day, slot,
       mobilise_counts_add(NULL, ARRAY[array_agg(mobilise_country_position(country) ORDER BY country),
                                       array_agg(delta ORDER BY country)])
FROM signature_daily
GROUP BY organisation_id, campaign_id, day, slot;

DROP TABLE signature_daily;

CREATE VIEW signature_daily AS
    SELECT d.organisation_id, d.campaign_id, mobilise_country_at(c.place) AS country, d.day, d.slot, c.delta
    FROM signature_daily_counts d, unnest(d.counts) WITH ORDINALITY AS c (delta, place)
    WHERE c.delta IS NOT NULL;

-- sql/0008's compaction, on the rows above: the slots 1–15 of a campaign's days before `before` are
-- added into slot 0 and deleted, in one statement (a signing that writes one of those rows meanwhile
-- waits for it, then inserts a fresh row: nothing is lost). Every (country, day) sum stays the same.
-- Returns how many (day, slot) rows were folded away.
CREATE OR REPLACE FUNCTION mobilise_compact_signature_daily(org uuid, campaign uuid, before date) RETURNS bigint LANGUAGE sql VOLATILE AS $$
    WITH moved AS (
        DELETE FROM signature_daily_counts
        WHERE organisation_id = org AND campaign_id = campaign AND day < before AND slot <> 0
        RETURNING day, counts
    ), folded AS (
        INSERT INTO signature_daily_counts AS d (organisation_id, campaign_id, day, slot, counts)
        SELECT org, campaign, day, 0, mobilise_counts_sum(counts) FROM moved GROUP BY day
        ORDER BY day
        ON CONFLICT (organisation_id, campaign_id, day, slot) DO UPDATE SET counts = mobilise_counts_merge(d.counts, EXCLUDED.counts)
        RETURNING 1
    )
    SELECT count(*) FROM moved;
$$;
