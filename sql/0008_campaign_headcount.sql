-- Eligible headcount per campaign and country, kept up to date by the database itself, so that a
-- ranking read costs O(countries) instead of counting the workforce (O(employees)) at every read.
--
-- campaign_headcount holds, for every campaign, the number of active employees of each country
-- that the campaign's audience admits. It changes:
--   * when employees change (any writer: the workforce import, a full sync's deactivations, the
--     demo loader, plain SQL): statement-level triggers on `employees` read the statement's
--     transition tables, net the changes per (country, gender, org unit) and add them to every
--     campaign of the organisation whose audience admits that group. An update that changes none of
--     active, country, gender, org unit (an erasure, a new email) nets to nothing and writes nothing;
--   * when a campaign is created or its audience changes: the campaign's rows are recounted from
--     `employees` (O(employees), once, at that write).
--
-- Why a lock on the organisation's row. A campaign created while an import runs must not miss the
-- import's employees, nor the import miss the new campaign: each would otherwise work from a snapshot
-- without the other's uncommitted rows. Both writers take FOR NO KEY UPDATE on the organisation's row
-- (the import already does, first thing) before they read the other side, and the statements after it
-- take a fresh snapshot (READ COMMITTED, the isolation every writer of the store uses), so whichever
-- commits second counts what the first wrote. The same lock serialises every write to one
-- organisation's headcount rows, so these writers cannot deadlock on them.
--
-- Past instants: the headcount is today's (as before this table), also for rankings "as of" a past
-- instant; the signature figures of such rankings stay exact (signature_daily + signature_events).
--
-- mobilise_recount_headcount() recomputes a campaign from scratch; the counts check
-- (GET …/counts/verify) compares the table with a recount.

-- Whether a campaign's audience admits an employee: the same rule as Audience.admits in
-- MobiliseDomain (an empty list admits everyone; org units match as path prefixes).
CREATE FUNCTION mobilise_audience_admits(
    audience_genders text[], audience_countries text[], audience_org_units text[],
    gender text, country text, org_unit text
) RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (cardinality(audience_genders) = 0 OR gender = ANY (audience_genders))
       AND (cardinality(audience_countries) = 0 OR country = ANY (audience_countries))
       AND (cardinality(audience_org_units) = 0 OR EXISTS (
               SELECT 1 FROM unnest(audience_org_units) AS unit
               WHERE org_unit = unit OR starts_with(org_unit, unit || '/')))
$$;

CREATE TABLE campaign_headcount (
    organisation_id  uuid NOT NULL,
    campaign_id      uuid NOT NULL,
    country          text NOT NULL,
    -- Active employees of the country that the audience admits (rows may sit at 0).
    eligible         integer NOT NULL,
    PRIMARY KEY (organisation_id, campaign_id, country),
    FOREIGN KEY (organisation_id, campaign_id) REFERENCES campaigns (organisation_id, id) ON DELETE CASCADE
);

-- A campaign's headcount, recounted from the employees.
CREATE FUNCTION mobilise_recount_headcount(org uuid, campaign uuid) RETURNS void LANGUAGE sql VOLATILE AS $$
    DELETE FROM campaign_headcount WHERE organisation_id = org AND campaign_id = campaign;
    INSERT INTO campaign_headcount (organisation_id, campaign_id, country, eligible)
    SELECT c.organisation_id, c.id, e.country, count(*)
    FROM campaigns c
    JOIN employees e ON e.organisation_id = c.organisation_id AND e.active
     AND mobilise_audience_admits(c.audience_genders, c.audience_countries, c.audience_org_units, e.gender, e.country, e.org_unit)
    WHERE c.organisation_id = org AND c.id = campaign
    GROUP BY 1, 2, 3;
$$;

CREATE FUNCTION mobilise_campaign_headcount() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- See the top of this file: serialises with imports, then counts with a fresh snapshot.
    PERFORM 1 FROM organisations WHERE id = NEW.organisation_id FOR NO KEY UPDATE;
    PERFORM mobilise_recount_headcount(NEW.organisation_id, NEW.id);
    RETURN NULL;
END
$$;

CREATE TRIGGER campaigns_headcount_insert AFTER INSERT ON campaigns
    FOR EACH ROW EXECUTE FUNCTION mobilise_campaign_headcount();
CREATE TRIGGER campaigns_headcount_audience AFTER UPDATE OF audience_genders, audience_countries, audience_org_units ON campaigns
    FOR EACH ROW
    WHEN (OLD.audience_genders IS DISTINCT FROM NEW.audience_genders
          OR OLD.audience_countries IS DISTINCT FROM NEW.audience_countries
          OR OLD.audience_org_units IS DISTINCT FROM NEW.audience_org_units)
    EXECUTE FUNCTION mobilise_campaign_headcount();

-- Employees' changes, netted per (organisation, country, gender, org unit), added to every campaign
-- whose audience admits the group. The cost follows the statement's rows and the groups they fall
-- in, times the organisation's campaigns; never the whole workforce.
CREATE FUNCTION mobilise_employees_headcount() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    orgs uuid[];
    group_countries text[];
    group_genders text[];
    group_units text[];
    changes integer[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(organisation_id), array_agg(country), array_agg(gender), array_agg(org_unit), array_agg(n)
        INTO orgs, group_countries, group_genders, group_units, changes
        FROM (SELECT organisation_id, country, gender, org_unit, count(*)::integer AS n
              FROM new_rows WHERE active GROUP BY 1, 2, 3, 4) g;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(organisation_id), array_agg(country), array_agg(gender), array_agg(org_unit), array_agg(n)
        INTO orgs, group_countries, group_genders, group_units, changes
        FROM (SELECT organisation_id, country, gender, org_unit, -count(*)::integer AS n
              FROM old_rows WHERE active GROUP BY 1, 2, 3, 4) g;
    ELSE
        SELECT array_agg(organisation_id), array_agg(country), array_agg(gender), array_agg(org_unit), array_agg(n)
        INTO orgs, group_countries, group_genders, group_units, changes
        FROM (SELECT organisation_id, country, gender, org_unit, sum(n)::integer AS n
              FROM (SELECT organisation_id, country, gender, org_unit, -1 AS n FROM old_rows WHERE active
                    UNION ALL
                    SELECT organisation_id, country, gender, org_unit, 1 FROM new_rows WHERE active) c
              GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0) g;
    END IF;
    IF orgs IS NULL THEN
        RETURN NULL;  -- nothing that counts changed
    END IF;
    -- See the top of this file: serialises with campaign creation and audience changes.
    PERFORM 1 FROM organisations WHERE id = ANY (orgs) ORDER BY id FOR NO KEY UPDATE;
    INSERT INTO campaign_headcount AS h (organisation_id, campaign_id, country, eligible)
    SELECT c.organisation_id, c.id, g.country, sum(g.n)
    FROM unnest(orgs, group_countries, group_genders, group_units, changes) AS g(organisation_id, country, gender, org_unit, n)
    JOIN campaigns c ON c.organisation_id = g.organisation_id
     AND mobilise_audience_admits(c.audience_genders, c.audience_countries, c.audience_org_units, g.gender, g.country, g.org_unit)
    GROUP BY 1, 2, 3
    HAVING sum(g.n) <> 0
    ORDER BY 1, 2, 3
    ON CONFLICT (organisation_id, campaign_id, country) DO UPDATE SET eligible = h.eligible + EXCLUDED.eligible;
    RETURN NULL;
END
$$;

CREATE TRIGGER employees_headcount_insert AFTER INSERT ON employees
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION mobilise_employees_headcount();
CREATE TRIGGER employees_headcount_update AFTER UPDATE ON employees
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION mobilise_employees_headcount();
CREATE TRIGGER employees_headcount_delete AFTER DELETE ON employees
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION mobilise_employees_headcount();

-- The campaigns that exist already.
SELECT mobilise_recount_headcount(organisation_id, id) FROM campaigns;

-- The ranking's 7- and 14-day windows read the last 14 days of signature_daily; its primary key
-- leads with country, so without this index the read would scan every day of the campaign
-- (days × countries × 16 slots rows). INCLUDE lets the read be an index-only scan. Signing only
-- adds an entry for a new (country, day, slot); updates of `delta` stay HOT-eligible (not indexed).
CREATE INDEX signature_daily_recent ON signature_daily (organisation_id, campaign_id, day) INCLUDE (country, delta);

-- Slots spread concurrent signers of one country over 16 rows; once a day is over nobody signs on
-- it any more (a change counts on the day it happens), so its 16 rows can become one. This moves the
-- slots 1–15 of a campaign's days before `before` into slot 0, in one statement (a signing that
-- writes one of those rows meanwhile waits for it, then inserts a fresh row: nothing is lost). It
-- keeps every (country, day) sum, so rankings (now and as of any instant), timelines and the counts
-- check answer exactly as before; a ranking then reads 1 row per country and past day instead of 16.
-- The service runs it hourly (MobiliseStore.compactDailyCounts).
CREATE FUNCTION mobilise_compact_signature_daily(org uuid, campaign uuid, before date) RETURNS bigint LANGUAGE sql VOLATILE AS $$
    WITH moved AS (
        DELETE FROM signature_daily
        WHERE organisation_id = org AND campaign_id = campaign AND day < before AND slot <> 0
        RETURNING country, day, delta
    ), folded AS (
        INSERT INTO signature_daily AS d (organisation_id, campaign_id, country, day, slot, delta)
        SELECT org, campaign, country, day, 0, sum(delta) FROM moved GROUP BY country, day
        ORDER BY country, day
        ON CONFLICT (organisation_id, campaign_id, country, day, slot) DO UPDATE SET delta = d.delta + EXCLUDED.delta
        RETURNING 1
    )
    SELECT count(*) FROM moved;
$$;
