-- bench/batch_parts variant (measuring only): without sql/0037's AFTER UPDATE statement trigger on signatures, which the
-- batch's INSERT … ON CONFLICT DO UPDATE fires with an empty transition table when it updates nothing.
\ir ../restore.sql
DROP TRIGGER signatures_parents_update ON signatures;
