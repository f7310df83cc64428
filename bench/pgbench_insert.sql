-- One durable insert per transaction into a copy of the signatures table (same columns, defaults,
-- checks, primary key, unique and partial indexes; no foreign keys), as pgbench's transaction: the
-- stricter of the two limits bench/run measures (see pgbench_signatures.sql for the other).
INSERT INTO bench_signatures (organisation_id, campaign_id, employee_id, country, site, org_unit, channel, signed_at)
VALUES ('00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000002', gen_random_uuid(),
        'IN', 'IN-site-1', '/ops/in', 'web', now());
