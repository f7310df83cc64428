-- bench/batch_parts variant (measuring only): the count tables with fillfactor 50 (room on each page for HOT updates).
\ir ../restore.sql
ALTER TABLE signature_daily_counts SET (fillfactor = 50);
ALTER TABLE signature_total_counts SET (fillfactor = 50);
