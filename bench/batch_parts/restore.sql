-- bench/batch_parts: the schema as the migrations leave it (sql/0037's triggers and functions, every
-- index), undoing whatever another variant's before.sql changed. Each variant's before.sql runs this first.
CREATE OR REPLACE TRIGGER signatures_parents_insert AFTER INSERT ON signatures
    REFERENCING NEW TABLE AS checked_rows FOR EACH STATEMENT EXECUTE FUNCTION mobilise_signatures_parents();
CREATE OR REPLACE TRIGGER signatures_parents_update AFTER UPDATE ON signatures
    REFERENCING NEW TABLE AS checked_rows FOR EACH STATEMENT EXECUTE FUNCTION mobilise_signatures_parents();
CREATE OR REPLACE TRIGGER signature_events_parents_insert AFTER INSERT ON signature_events
    REFERENCING NEW TABLE AS checked_rows FOR EACH STATEMENT EXECUTE FUNCTION mobilise_signature_events_parents();
CREATE OR REPLACE TRIGGER signature_events_parents_update AFTER UPDATE ON signature_events
    REFERENCING NEW TABLE AS checked_rows FOR EACH STATEMENT EXECUTE FUNCTION mobilise_signature_events_parents();
CREATE INDEX IF NOT EXISTS signatures_country ON signatures (organisation_id, campaign_id, country) WHERE withdrawn_at IS NULL;
CREATE INDEX IF NOT EXISTS signature_events_time ON signature_events (organisation_id, campaign_id, at);
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'signatures_pkey') THEN
    ALTER TABLE signatures ADD CONSTRAINT signatures_pkey PRIMARY KEY (organisation_id, id);
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'signature_events_pkey') THEN
    ALTER TABLE signature_events ADD CONSTRAINT signature_events_pkey PRIMARY KEY (organisation_id, id);
  END IF;
END $$;
ALTER TABLE signature_daily_counts RESET (fillfactor);
ALTER TABLE signature_total_counts RESET (fillfactor);
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'signatures_organisation_id_event_id_fkey') THEN
    ALTER TABLE signatures ADD CONSTRAINT signatures_organisation_id_event_id_fkey FOREIGN KEY (organisation_id, event_id)
        REFERENCES events (organisation_id, id) ON DELETE SET NULL (event_id);
  END IF;
END $$;
