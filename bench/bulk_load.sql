-- bench/run --big: grows the organisation to 1,000,000 employees (150 countries, as in gen.py) and
-- gives campaign rank-big 1,000,000 signatures, written straight with SQL (not through the service).
-- The count tables are derived from the rows, so /counts/verify must say consistent.
-- psql variables: org (slug), have (employees already loaded).
\set ON_ERROR_STOP on
\timing on
SELECT id AS org_id, time_zone AS tz FROM organisations WHERE slug = :'org' \gset
SELECT id AS camp_id FROM campaigns WHERE organisation_id = :'org_id' AND slug = 'rank-big' \gset

CREATE TEMP TABLE cc AS
SELECT alpha2, row_number() OVER (ORDER BY alpha2) - 1 AS n FROM countries ORDER BY alpha2 LIMIT 150;

INSERT INTO employees (organisation_id, external_id, country, site, org_unit, gender)
SELECT :'org_id', 'B' || lpad(g::text, 7, '0'), cc.alpha2, cc.alpha2 || '-site-' || (g % 3), '/ops/' || lower(cc.alpha2),
       (ARRAY['male', 'female', 'non_binary', 'undisclosed'])[1 + g % 4]
FROM generate_series(1, greatest(0, 1000000 - :have)) g JOIN cc ON cc.n = (g::bigint * 7919) % 150;

INSERT INTO signatures (organisation_id, campaign_id, employee_id, country, site, org_unit, channel, signed_at)
SELECT organisation_id, :'camp_id', id, country, site, org_unit, 'web', now() - random() * interval '20 hours'
FROM employees WHERE organisation_id = :'org_id' AND active;

INSERT INTO signature_events (organisation_id, campaign_id, signature_id, at, delta, country)
SELECT organisation_id, campaign_id, id, signed_at, 1, country FROM signatures
WHERE organisation_id = :'org_id' AND campaign_id = :'camp_id';

INSERT INTO signature_totals (organisation_id, campaign_id, country, slot, current)
SELECT organisation_id, campaign_id, country, abs(hashtext(id::text)) % 16, count(*) FROM signatures
WHERE organisation_id = :'org_id' AND campaign_id = :'camp_id' AND withdrawn_at IS NULL
GROUP BY 1, 2, 3, 4;

INSERT INTO signature_daily (organisation_id, campaign_id, country, day, slot, delta)
SELECT organisation_id, campaign_id, country, (signed_at AT TIME ZONE :'tz')::date, abs(hashtext(id::text)) % 16, count(*) FROM signatures
WHERE organisation_id = :'org_id' AND campaign_id = :'camp_id'
GROUP BY 1, 2, 3, 4, 5;

ANALYZE employees; ANALYZE signatures; ANALYZE signature_events; ANALYZE signature_totals; ANALYZE signature_daily;
