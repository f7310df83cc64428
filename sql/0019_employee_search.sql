-- The HR console's employee search (GET /v1/employees, issue 20): pages that stay fast at
-- 1,000,000 employees, whether by HR-id prefix, name prefix or country.
--
-- Until now the search walked the unique (organisation_id, external_id) index in HR-id order and
-- filtered every row: `external_id LIKE 'E12%' OR lower(display_name) LIKE 'e12%'` cannot use that
-- index for the prefix (the cluster's collation is C.UTF-8, and PostgreSQL 15 turns LIKE 'abc%'
-- into an index range only under the "C" collation or a *_pattern_ops operator class), so a prefix
-- found late in the order read most of the table (163 ms p50, 398 ms p99 at 1,000,000).
--
-- The query (MobiliseStore.Workforce.employees) now orders and compares HR ids under COLLATE "C"
-- (byte order: the same order as C.UTF-8 for UTF-8 text) and asks each question in its own branch:
--   * HR-id prefix: a range of employees_search_id, already in page order;
--   * name prefix:  a common name fills its page within the next few thousand employees in id
--                   order (employees_search_id, filtered); a rare one is looked up in
--                   employees_search_name (lower(display_name) text_pattern_ops), its matches'
--                   ids sorted, the page read by id.
--                   The planner cannot tell the two apart (its estimate of a LIKE on an expression
--                   is a constant 0.5%), so the store tries the first, then the second;
--   * country:      employees_search_country, already in page order within the country.
-- Erased employees (erased_at set) are never listed, so the indexes leave them out.
-- Plain CREATE INDEX (migrations run in a transaction): writes to employees wait while it builds,
-- a few seconds at 1,000,000 rows.
-- Each includes the name and country, so that the name search's first steps read no table row
-- (index-only scans, once vacuum has marked the pages all-visible).
CREATE INDEX employees_search_id ON employees (organisation_id, external_id COLLATE "C")
    INCLUDE (country, display_name) WHERE erased_at IS NULL;
CREATE INDEX employees_search_name ON employees (organisation_id, lower(display_name) text_pattern_ops)
    INCLUDE (external_id, country, display_name) WHERE erased_at IS NULL AND display_name IS NOT NULL;
CREATE INDEX employees_search_country ON employees (organisation_id, country, external_id COLLATE "C")
    INCLUDE (display_name) WHERE erased_at IS NULL;
