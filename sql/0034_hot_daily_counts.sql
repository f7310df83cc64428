-- Issue 25: the daily counts' updates become HOT again.
--
-- 0008 made signature_daily_recent (organisation_id, campaign_id, day) INCLUDE (country, delta) so that
-- the ranking's 14-day read could be index-only, expecting the updates of `delta` to stay HOT. They do
-- not: for HOT, PostgreSQL counts an index's INCLUDE columns as indexed, so every signing batch's
-- `delta = delta + n` on a (campaign, country, day, slot) row wrote a new version with a new entry in
-- both of the table's indexes (the primary key and this one), and left two dead entries for vacuum.
-- Without `delta` in the index the update touches no index (HOT), and it is the common case: once a
-- campaign is under way every count row of the day exists, and each batch updates about one per
-- country it signs in. Measured with bench/pg_batch_cost (PostgreSQL's instructions per signature of
-- the batch statement, a campaign under way): 585,000 → 547,000 (−6.5%), and 577,000 → 550,000
-- (−4.7%) on a second cluster; see BENCHMARKS.md section 6.
--
-- The 14-day read keeps this index on (organisation_id, campaign_id, day), so it still reads only the
-- window's rows (days × countries × 16 slots at most); it now takes `country` and `delta` from the
-- table's pages. While a campaign is signed, today's rows are never all-visible, so that read fetched
-- them from the table anyway; for the older, vacuumed days it is a heap fetch per row found, on a small
-- table.
DROP INDEX signature_daily_recent;
CREATE INDEX signature_daily_recent ON signature_daily (organisation_id, campaign_id, day);
