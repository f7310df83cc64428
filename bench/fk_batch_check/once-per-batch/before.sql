-- bench/pg_batch_cost variant (issue 25): a PROTOTYPE for measuring only, not a migration. The four per-row
-- foreign-key checks of the signing write (signatures -> campaigns, employees, countries; signature_events ->
-- campaigns) replaced by one check per statement: AFTER ... FOR EACH STATEMENT triggers with transition
-- tables that look up (and lock FOR KEY SHARE, as the RI check does) each distinct parent once. It has
-- none of the parent side (ON DELETE CASCADE, NO ACTION on countries and on key updates) nor Citus:
-- see BENCHMARKS.md section 6 for what a real change would need.
ALTER TABLE signatures DROP CONSTRAINT signatures_organisation_id_campaign_id_fkey,
  DROP CONSTRAINT signatures_organisation_id_employee_id_fkey, DROP CONSTRAINT signatures_country_fkey;
ALTER TABLE signature_events DROP CONSTRAINT signature_events_organisation_id_campaign_id_fkey;
CREATE OR REPLACE FUNCTION proto_signatures_parents() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM (SELECT DISTINCT organisation_id, campaign_id FROM new_rows) n
             WHERE NOT EXISTS (SELECT 1 FROM (SELECT 1 FROM campaigns c WHERE c.organisation_id = n.organisation_id AND c.id = n.campaign_id FOR KEY SHARE) l)) THEN
    RAISE foreign_key_violation USING MESSAGE = 'signature for a missing campaign';
  END IF;
  IF EXISTS (SELECT 1 FROM (SELECT DISTINCT organisation_id, employee_id FROM new_rows) n
             WHERE NOT EXISTS (SELECT 1 FROM (SELECT 1 FROM employees e WHERE e.organisation_id = n.organisation_id AND e.id = n.employee_id FOR KEY SHARE) l)) THEN
    RAISE foreign_key_violation USING MESSAGE = 'signature for a missing employee';
  END IF;
  IF EXISTS (SELECT 1 FROM (SELECT DISTINCT country FROM new_rows) n
             WHERE NOT EXISTS (SELECT 1 FROM (SELECT 1 FROM countries k WHERE k.alpha2 = n.country FOR KEY SHARE) l)) THEN
    RAISE foreign_key_violation USING MESSAGE = 'signature for a missing country';
  END IF;
  RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION proto_events_parents() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM (SELECT DISTINCT organisation_id, campaign_id FROM new_rows) n
             WHERE NOT EXISTS (SELECT 1 FROM (SELECT 1 FROM campaigns c WHERE c.organisation_id = n.organisation_id AND c.id = n.campaign_id FOR KEY SHARE) l)) THEN
    RAISE foreign_key_violation USING MESSAGE = 'journal row for a missing campaign';
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER proto_signatures_ins AFTER INSERT ON signatures REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION proto_signatures_parents();
CREATE TRIGGER proto_signatures_upd AFTER UPDATE ON signatures REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION proto_signatures_parents();
CREATE TRIGGER proto_events_ins AFTER INSERT ON signature_events REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION proto_events_parents();
