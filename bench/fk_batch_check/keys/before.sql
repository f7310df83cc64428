-- bench/pg_batch_cost variant (issue 25): the schema as sql/0006 declares it (restores the foreign keys the
-- other variant drops). Usage: bench/pg_batch_cost bench/fk_batch_check/keys bench/fk_batch_check/once-per-batch
DROP TRIGGER IF EXISTS proto_signatures_ins ON signatures;
DROP TRIGGER IF EXISTS proto_signatures_upd ON signatures;
DROP TRIGGER IF EXISTS proto_events_ins ON signature_events;
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'signatures_country_fkey') THEN
    ALTER TABLE signatures ADD CONSTRAINT signatures_organisation_id_campaign_id_fkey FOREIGN KEY (organisation_id, campaign_id) REFERENCES campaigns (organisation_id, id) ON DELETE CASCADE,
      ADD CONSTRAINT signatures_organisation_id_employee_id_fkey FOREIGN KEY (organisation_id, employee_id) REFERENCES employees (organisation_id, id) ON DELETE CASCADE,
      ADD CONSTRAINT signatures_country_fkey FOREIGN KEY (country) REFERENCES countries (alpha2);
    ALTER TABLE signature_events ADD CONSTRAINT signature_events_organisation_id_campaign_id_fkey FOREIGN KEY (organisation_id, campaign_id) REFERENCES campaigns (organisation_id, id) ON DELETE CASCADE;
  END IF;
END $$;
