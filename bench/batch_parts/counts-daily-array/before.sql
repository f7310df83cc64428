-- bench/batch_parts variant (measuring only): the daily counts as the totals are since sql/0035, one row per
-- (campaign, day, slot) with every country's count in an array (statement.py's counts-daily-array writes it).
\ir ../restore.sql
CREATE TABLE IF NOT EXISTS signature_daily_b (organisation_id uuid NOT NULL, campaign_id uuid NOT NULL, day date NOT NULL,
    slot smallint NOT NULL, counts integer[] NOT NULL, PRIMARY KEY (organisation_id, campaign_id, day, slot));
-- A campaign under way: every slot's row of today exists (as base's zero rows), every country counted once.
INSERT INTO signature_daily_b SELECT o.id, c.id, (now() AT TIME ZONE o.time_zone)::date, s,
    mobilise_counts_add(NULL, (SELECT ARRAY[array_agg(mobilise_country_position(alpha2)), array_agg(0)] FROM countries))
    FROM organisations o JOIN campaigns c ON c.organisation_id = o.id, generate_series(0, 15) s ON CONFLICT DO NOTHING;
