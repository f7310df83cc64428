-- bench/batch_parts variant (measuring only): what the batch costs with only its look-ups, the signatures and
-- their journal rows: no counts (statement.py) and no sql/0037 key checks (their triggers dropped). Not a
-- schema anyone could run (the counts are what rankings read): the floor of the write set, for planning.
\ir ../restore.sql
DROP TRIGGER signatures_parents_insert ON signatures;
DROP TRIGGER signatures_parents_update ON signatures;
DROP TRIGGER signature_events_parents_insert ON signature_events;
