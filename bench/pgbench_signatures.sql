-- One durable signature per transaction into `signatures` itself: the same insert as a signing, with
-- every key, check and index of the schema (the foreign keys to the employee, the campaign and the
-- country included), as pgbench's transaction. Each transaction takes the next (campaign, employee)
-- pair that bench/run prepared in bench_targets, so no two transactions sign the same pair.
INSERT INTO signatures (organisation_id, campaign_id, employee_id, country, site, org_unit, channel, signed_at)
SELECT organisation_id, campaign_id, employee_id, country, site, org_unit, 'web', now()
FROM bench_targets WHERE n = (SELECT nextval('bench_target_seq'));
