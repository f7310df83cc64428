-- bench/pg_batch_cost variant: the schema as before sql/0037 (the declarative keys of sql/0006, no statement triggers).
-- Usage: bench/pg_batch_cost bench/fk_batch_check/declarative bench/fk_batch_check/per-statement
DROP TRIGGER IF EXISTS signatures_parents_insert ON signatures;
DROP TRIGGER IF EXISTS signatures_parents_update ON signatures;
DROP TRIGGER IF EXISTS signature_events_parents_insert ON signature_events;
DROP TRIGGER IF EXISTS signature_events_parents_update ON signature_events;
DROP TRIGGER IF EXISTS campaigns_cascade_signatures ON campaigns;
DROP TRIGGER IF EXISTS employees_cascade_signatures ON employees;
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'signatures_country_fkey') THEN
    ALTER TABLE signatures
      ADD CONSTRAINT signatures_organisation_id_campaign_id_fkey FOREIGN KEY (organisation_id, campaign_id) REFERENCES campaigns (organisation_id, id) ON DELETE CASCADE,
      ADD CONSTRAINT signatures_organisation_id_employee_id_fkey FOREIGN KEY (organisation_id, employee_id) REFERENCES employees (organisation_id, id) ON DELETE CASCADE,
      ADD CONSTRAINT signatures_country_fkey FOREIGN KEY (country) REFERENCES countries (alpha2);
    ALTER TABLE signature_events ADD CONSTRAINT signature_events_organisation_id_campaign_id_fkey FOREIGN KEY (organisation_id, campaign_id) REFERENCES campaigns (organisation_id, id) ON DELETE CASCADE;
  END IF;
END $$;
