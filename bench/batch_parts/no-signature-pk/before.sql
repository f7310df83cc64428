-- bench/batch_parts variant (measuring only): signatures without its primary key (organisation_id, id) on a random uuid.
\ir ../restore.sql
ALTER TABLE signatures DROP CONSTRAINT signatures_pkey;
