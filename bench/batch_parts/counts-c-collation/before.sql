-- bench/batch_parts variant (measuring only): the count tables' country compared bytewise (COLLATE "C") in their keys.
\ir ../restore.sql
ALTER TABLE signature_daily ALTER COLUMN country TYPE text COLLATE "C";
