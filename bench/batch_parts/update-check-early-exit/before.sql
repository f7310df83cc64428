-- bench/batch_parts variant (measuring only): sql/0037's AFTER UPDATE statement trigger on signatures
-- returns at once when its transition table is empty (the batch's INSERT … ON CONFLICT DO UPDATE fires it
-- when it updates nothing), instead of running its three look-ups over no rows.
\ir ../restore.sql
DO $$
DECLARE definition text := pg_get_functiondef('mobilise_signatures_parents'::regproc);
BEGIN
    definition := replace(definition, 'mobilise_signatures_parents()', 'mobilise_signatures_parents_early()');
    definition := replace(definition, E'BEGIN\n', E'BEGIN\n    IF NOT EXISTS (SELECT 1 FROM checked_rows) THEN RETURN NULL; END IF;\n');
    EXECUTE definition;
END $$;
CREATE OR REPLACE TRIGGER signatures_parents_update AFTER UPDATE ON signatures
    REFERENCING NEW TABLE AS checked_rows FOR EACH STATEMENT EXECUTE FUNCTION mobilise_signatures_parents_early();
