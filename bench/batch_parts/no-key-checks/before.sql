-- bench/batch_parts variant (measuring only): no check of the signing write's parents at all (sql/0037's
-- statement triggers on signatures and signature_events dropped): what those checks cost in all.
\ir ../restore.sql
DROP TRIGGER signatures_parents_insert ON signatures;
DROP TRIGGER signature_events_parents_insert ON signature_events;
