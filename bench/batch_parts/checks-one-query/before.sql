-- bench/batch_parts variant (measuring only): sql/0037's check of the signatures' parents as one query (the three
-- look-ups in a COALESCE, each run only if the one before found nothing missing), and nothing done for an empty
-- transition table.
\ir ../restore.sql
CREATE OR REPLACE FUNCTION bench_signatures_parents_one_query() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE missing text;
BEGIN
    SELECT coalesce(
        (SELECT format('campaign %s', n.campaign_id)
         FROM (SELECT DISTINCT organisation_id, campaign_id FROM checked_rows) n
         WHERE NOT EXISTS (SELECT 1 FROM (SELECT 1 FROM campaigns c
                                          WHERE c.organisation_id = n.organisation_id AND c.id = n.campaign_id
                                          FOR KEY SHARE OF c) l)
         LIMIT 1),
        (SELECT format('employee %s', n.employee_id)
         FROM (SELECT DISTINCT organisation_id, employee_id FROM checked_rows) n
         WHERE NOT EXISTS (SELECT 1 FROM (SELECT 1 FROM employees e
                                          WHERE e.organisation_id = n.organisation_id AND e.id = n.employee_id
                                          FOR KEY SHARE OF e) l)
         LIMIT 1),
        (SELECT format('country %s', n.country)
         FROM (SELECT DISTINCT country FROM checked_rows) n
         WHERE NOT EXISTS (SELECT 1 FROM (SELECT 1 FROM countries k WHERE k.alpha2 = n.country FOR KEY SHARE OF k) l)
         LIMIT 1)) INTO missing;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'signature with a missing parent: %', missing USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END
$$;
CREATE OR REPLACE TRIGGER signatures_parents_insert AFTER INSERT ON signatures
    REFERENCING NEW TABLE AS checked_rows FOR EACH STATEMENT EXECUTE FUNCTION bench_signatures_parents_one_query();
CREATE OR REPLACE TRIGGER signatures_parents_update AFTER UPDATE ON signatures
    REFERENCING NEW TABLE AS checked_rows FOR EACH STATEMENT EXECUTE FUNCTION bench_signatures_parents_one_query();
