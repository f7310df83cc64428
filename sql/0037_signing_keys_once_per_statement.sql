-- The signing write's foreign keys, checked once per statement instead of once per row (issue 25,
-- BENCHMARKS.md section 6: the four per-row checks were 28% of PostgreSQL's instructions per
-- signature; one check per statement saves 19%). The same guarantees as sql/0006's declarative keys:
--   * no `signatures` row whose campaign, employee or country does not exist, and no
--     `signature_events` row whose campaign does not exist: checked after each statement that
--     inserts such rows or changes their keys, every parent locked FOR KEY SHARE as PostgreSQL's
--     RI check locks it, so a concurrent delete of the parent waits for the signing transaction
--     (and then cascades to its rows), or the signing waits for the delete (and then fails);
--   * ON DELETE CASCADE from campaigns (signatures, signature_events) and employees (signatures);
--   * NO ACTION: a country, or a campaign's or employee's key, cannot go while signatures use it.
-- Every path that writes these tables is covered, since the checks are triggers on the tables.

ALTER TABLE signatures
    DROP CONSTRAINT signatures_organisation_id_campaign_id_fkey,
    DROP CONSTRAINT signatures_organisation_id_employee_id_fkey,
    DROP CONSTRAINT signatures_country_fkey;
ALTER TABLE signature_events DROP CONSTRAINT signature_events_organisation_id_campaign_id_fkey;

-- Child side: each distinct parent of the statement's rows, looked up and locked once.
CREATE FUNCTION mobilise_signatures_parents() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE missing text;
BEGIN
    SELECT format('campaign %s', n.campaign_id) INTO missing
    FROM (SELECT DISTINCT organisation_id, campaign_id FROM checked_rows) n
    WHERE NOT EXISTS (SELECT 1 FROM (SELECT 1 FROM campaigns c
                                     WHERE c.organisation_id = n.organisation_id AND c.id = n.campaign_id
                                     FOR KEY SHARE OF c) l)
    LIMIT 1;
    IF missing IS NULL THEN
        SELECT format('employee %s', n.employee_id) INTO missing
        FROM (SELECT DISTINCT organisation_id, employee_id FROM checked_rows) n
        WHERE NOT EXISTS (SELECT 1 FROM (SELECT 1 FROM employees e
                                         WHERE e.organisation_id = n.organisation_id AND e.id = n.employee_id
                                         FOR KEY SHARE OF e) l)
        LIMIT 1;
    END IF;
    IF missing IS NULL THEN
        SELECT format('country %s', n.country) INTO missing
        FROM (SELECT DISTINCT country FROM checked_rows) n
        WHERE NOT EXISTS (SELECT 1 FROM (SELECT 1 FROM countries k WHERE k.alpha2 = n.country FOR KEY SHARE OF k) l)
        LIMIT 1;
    END IF;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'insert or update on table "signatures" violates its foreign key: % does not exist', missing
            USING ERRCODE = 'foreign_key_violation', TABLE = 'signatures';
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION mobilise_signature_events_parents() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE missing uuid;
BEGIN
    SELECT n.campaign_id INTO missing
    FROM (SELECT DISTINCT organisation_id, campaign_id FROM checked_rows) n
    WHERE NOT EXISTS (SELECT 1 FROM (SELECT 1 FROM campaigns c
                                     WHERE c.organisation_id = n.organisation_id AND c.id = n.campaign_id
                                     FOR KEY SHARE OF c) l)
    LIMIT 1;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'insert or update on table "signature_events" violates its foreign key: campaign % does not exist', missing
            USING ERRCODE = 'foreign_key_violation', TABLE = 'signature_events';
    END IF;
    RETURN NULL;
END
$$;

-- Transition tables allow one event per trigger and no column list: an update checks every row it
-- updated (a withdrawal's or a re-signing's), which costs one look-up per distinct parent.
CREATE TRIGGER signatures_parents_insert AFTER INSERT ON signatures
    REFERENCING NEW TABLE AS checked_rows FOR EACH STATEMENT EXECUTE FUNCTION mobilise_signatures_parents();
CREATE TRIGGER signatures_parents_update AFTER UPDATE ON signatures
    REFERENCING NEW TABLE AS checked_rows FOR EACH STATEMENT EXECUTE FUNCTION mobilise_signatures_parents();
CREATE TRIGGER signature_events_parents_insert AFTER INSERT ON signature_events
    REFERENCING NEW TABLE AS checked_rows FOR EACH STATEMENT EXECUTE FUNCTION mobilise_signature_events_parents();
CREATE TRIGGER signature_events_parents_update AFTER UPDATE ON signature_events
    REFERENCING NEW TABLE AS checked_rows FOR EACH STATEMENT EXECUTE FUNCTION mobilise_signature_events_parents();

-- Parent side: ON DELETE CASCADE, as the declarative keys did.
CREATE FUNCTION mobilise_campaign_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM signatures WHERE organisation_id = OLD.organisation_id AND campaign_id = OLD.id;
    DELETE FROM signature_events WHERE organisation_id = OLD.organisation_id AND campaign_id = OLD.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER campaigns_cascade_signatures AFTER DELETE ON campaigns
    FOR EACH ROW EXECUTE FUNCTION mobilise_campaign_deleted();

CREATE FUNCTION mobilise_employee_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM signatures WHERE organisation_id = OLD.organisation_id AND employee_id = OLD.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER employees_cascade_signatures AFTER DELETE ON employees
    FOR EACH ROW EXECUTE FUNCTION mobilise_employee_deleted();

-- NO ACTION: a country, or a campaign's or employee's key, may not go while signatures use it.
CREATE FUNCTION mobilise_country_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.alpha2 = OLD.alpha2 THEN RETURN NULL; END IF;
    END IF;
    IF EXISTS (SELECT 1 FROM signatures WHERE country = OLD.alpha2) THEN
        RAISE EXCEPTION 'update or delete on table "countries" violates a foreign key of "signatures": % is still used', OLD.alpha2
            USING ERRCODE = 'foreign_key_violation', TABLE = 'countries';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER countries_kept_for_signatures AFTER UPDATE OR DELETE ON countries
    FOR EACH ROW EXECUTE FUNCTION mobilise_country_kept();

CREATE FUNCTION mobilise_campaign_key_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.organisation_id = OLD.organisation_id AND NEW.id = OLD.id THEN RETURN NULL; END IF;
    IF EXISTS (SELECT 1 FROM signatures WHERE organisation_id = OLD.organisation_id AND campaign_id = OLD.id)
       OR EXISTS (SELECT 1 FROM signature_events WHERE organisation_id = OLD.organisation_id AND campaign_id = OLD.id) THEN
        RAISE EXCEPTION 'update on table "campaigns" violates a foreign key of "signatures": campaign % is still used', OLD.id
            USING ERRCODE = 'foreign_key_violation', TABLE = 'campaigns';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER campaigns_key_kept_for_signatures AFTER UPDATE OF organisation_id, id ON campaigns
    FOR EACH ROW EXECUTE FUNCTION mobilise_campaign_key_kept();

CREATE FUNCTION mobilise_employee_key_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.organisation_id = OLD.organisation_id AND NEW.id = OLD.id THEN RETURN NULL; END IF;
    IF EXISTS (SELECT 1 FROM signatures WHERE organisation_id = OLD.organisation_id AND employee_id = OLD.id) THEN
        RAISE EXCEPTION 'update on table "employees" violates a foreign key of "signatures": employee % is still used', OLD.id
            USING ERRCODE = 'foreign_key_violation', TABLE = 'employees';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER employees_key_kept_for_signatures AFTER UPDATE OF organisation_id, id ON employees
    FOR EACH ROW EXECUTE FUNCTION mobilise_employee_key_kept();
