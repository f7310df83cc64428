-- bench/batch_parts variant (measuring only): signatures without its per-row foreign key to events (event_id, NULL for web signatures).
\ir ../restore.sql
ALTER TABLE signatures DROP CONSTRAINT signatures_organisation_id_event_id_fkey;
