-- bench/run --big: grows the organisation to 1,000,000 employees (the 150 countries of gen.py) and
-- gives it 5,010,000 signatures, written straight with SQL (not through the service):
--   rank-big, rank-big-2 … rank-big-5   every active employee signs each (1,000,000 × 5: one campaign
--                                       cannot hold more signatures than there are employees)
--   rank-small                          10,000 signatures (employees picked by a hash, every country)
-- Signing instants are spread over the last 140 days, as in a five-month drive, so that
-- signature_daily holds what such a campaign accumulates (up to 16 slots per country and day).
-- The count tables are derived from the rows, so /counts/verify must say consistent. The campaigns
-- exist already (bench/run creates them); their eligible headcount (campaign_headcount) is kept
-- by the database's triggers as the employees are inserted.
-- psql variables: org (slug), have (employees already loaded).
\set ON_ERROR_STOP on
\timing on
SET synchronous_commit = off;
SET work_mem = '256MB';
SET maintenance_work_mem = '512MB';
SELECT id AS org_id, time_zone AS tz FROM organisations WHERE slug = :'org' \gset

-- The countries of the workforce already imported (gen.py's 150), so the organisation keeps 150;
-- the first 150 ISO codes when there is none.
CREATE TEMP TABLE cc AS
SELECT alpha2, row_number() OVER (ORDER BY alpha2) - 1 AS n
FROM (SELECT DISTINCT country AS alpha2 FROM employees WHERE organisation_id = :'org_id') c;
INSERT INTO cc SELECT alpha2, row_number() OVER (ORDER BY alpha2) - 1 FROM countries
WHERE NOT EXISTS (SELECT 1 FROM cc) ORDER BY alpha2 LIMIT 150;

INSERT INTO employees (organisation_id, external_id, country, site, org_unit, gender)
SELECT :'org_id', 'B' || lpad(g::text, 7, '0'), cc.alpha2, cc.alpha2 || '-site-' || (g % 3), '/ops/' || lower(cc.alpha2),
       (ARRAY['male', 'female', 'non_binary', 'undisclosed'])[1 + g % 4]
FROM generate_series(1, greatest(0, 1000000 - :have)) g JOIN cc ON cc.n = (g::bigint * 7919) % (SELECT count(*) FROM cc);

CREATE TEMP TABLE loaded AS
SELECT id, slug FROM campaigns
WHERE organisation_id = :'org_id' AND slug IN ('rank-small', 'rank-big', 'rank-big-2', 'rank-big-3', 'rank-big-4', 'rank-big-5');

-- Every big campaign: all active employees. rank-small: 10,000 of them, picked by a hash of their id.
INSERT INTO signatures (organisation_id, campaign_id, employee_id, country, site, org_unit, channel, signed_at)
SELECT e.organisation_id, l.id, e.id, e.country, e.site, e.org_unit, 'web', now() - random() * interval '140 days'
FROM loaded l
JOIN employees e ON e.organisation_id = :'org_id' AND e.active
WHERE l.slug <> 'rank-small';

INSERT INTO signatures (organisation_id, campaign_id, employee_id, country, site, org_unit, channel, signed_at)
SELECT e.organisation_id, l.id, e.id, e.country, e.site, e.org_unit, 'web', now() - random() * interval '140 days'
FROM loaded l,
     (SELECT * FROM employees WHERE organisation_id = :'org_id' AND active ORDER BY hashtext(id::text), id LIMIT 10000) e
WHERE l.slug = 'rank-small';

INSERT INTO signature_events (organisation_id, campaign_id, signature_id, at, delta, country)
SELECT s.organisation_id, s.campaign_id, s.id, s.signed_at, 1, s.country
FROM signatures s JOIN loaded l ON l.id = s.campaign_id
WHERE s.organisation_id = :'org_id';

INSERT INTO signature_total_counts (organisation_id, campaign_id, slot, counts)
SELECT organisation_id, campaign_id, slot, mobilise_counts_add(NULL, ARRAY[array_agg(mobilise_country_position(country)), array_agg(n)])
FROM (SELECT s.organisation_id, s.campaign_id, s.country, abs(hashtext(s.id::text)) % 16 AS slot, count(*)::integer AS n
      FROM signatures s JOIN loaded l ON l.id = s.campaign_id
      WHERE s.organisation_id = :'org_id' AND s.withdrawn_at IS NULL
      GROUP BY 1, 2, 3, 4) c
GROUP BY 1, 2, 3;

INSERT INTO signature_daily_counts (organisation_id, campaign_id, day, slot, counts)
SELECT organisation_id, campaign_id, day, slot, mobilise_counts_add(NULL, ARRAY[array_agg(mobilise_country_position(country)), array_agg(n)])
FROM (SELECT s.organisation_id, s.campaign_id, s.country, (s.signed_at AT TIME ZONE :'tz')::date AS day,
             abs(hashtext(s.id::text)) % 16 AS slot, count(*)::integer AS n
      FROM signatures s JOIN loaded l ON l.id = s.campaign_id
      WHERE s.organisation_id = :'org_id'
      GROUP BY 1, 2, 3, 4, 5) c
GROUP BY 1, 2, 3, 4;

-- What autovacuum would have done by the time such a campaign is five months old.
VACUUM ANALYZE signature_total_counts, signature_daily_counts, campaign_headcount;
ANALYZE employees; ANALYZE signatures; ANALYZE signature_events;
SELECT l.slug, count(*) AS signature_rows FROM signatures s JOIN loaded l ON l.id = s.campaign_id GROUP BY 1 ORDER BY 1;
SELECT l.slug, count(*) AS daily_rows FROM signature_daily d JOIN loaded l ON l.id = d.campaign_id GROUP BY 1 ORDER BY 1;
