-- bench/batch_parts variant (measuring only): without signatures' partial index signatures_country.
\ir ../restore.sql
DROP INDEX signatures_country;
