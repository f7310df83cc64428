-- bench/batch_parts variant (measuring only): signature_events without its two indexes (its primary key and signature_events_time).
\ir ../restore.sql
DROP INDEX signature_events_time;
ALTER TABLE signature_events DROP CONSTRAINT signature_events_pkey;
