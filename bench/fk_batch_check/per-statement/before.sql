-- bench/pg_batch_cost variant: the schema as sql/0037 leaves it (keys checked once per statement; its functions stay in place).
ALTER TABLE signatures DROP CONSTRAINT IF EXISTS signatures_organisation_id_campaign_id_fkey,
  DROP CONSTRAINT IF EXISTS signatures_organisation_id_employee_id_fkey, DROP CONSTRAINT IF EXISTS signatures_country_fkey;
ALTER TABLE signature_events DROP CONSTRAINT IF EXISTS signature_events_organisation_id_campaign_id_fkey;
CREATE OR REPLACE TRIGGER signatures_parents_insert AFTER INSERT ON signatures
    REFERENCING NEW TABLE AS checked_rows FOR EACH STATEMENT EXECUTE FUNCTION mobilise_signatures_parents();
CREATE OR REPLACE TRIGGER signatures_parents_update AFTER UPDATE ON signatures
    REFERENCING NEW TABLE AS checked_rows FOR EACH STATEMENT EXECUTE FUNCTION mobilise_signatures_parents();
CREATE OR REPLACE TRIGGER signature_events_parents_insert AFTER INSERT ON signature_events
    REFERENCING NEW TABLE AS checked_rows FOR EACH STATEMENT EXECUTE FUNCTION mobilise_signature_events_parents();
CREATE OR REPLACE TRIGGER signature_events_parents_update AFTER UPDATE ON signature_events
    REFERENCING NEW TABLE AS checked_rows FOR EACH STATEMENT EXECUTE FUNCTION mobilise_signature_events_parents();
CREATE OR REPLACE TRIGGER campaigns_cascade_signatures AFTER DELETE ON campaigns FOR EACH ROW EXECUTE FUNCTION mobilise_campaign_deleted();
CREATE OR REPLACE TRIGGER employees_cascade_signatures AFTER DELETE ON employees FOR EACH ROW EXECUTE FUNCTION mobilise_employee_deleted();
