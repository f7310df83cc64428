-- Distributes Mobilise's schema over a Citus cluster, sharded by organisation.
-- Run once, on the coordinator, in the `mobilise` database, after `mobilise migrate` has created
-- the tables and before the service takes traffic (README.md beside this file):
--
--   psql "$COORDINATOR_URL" -v ON_ERROR_STOP=1 -f deploy/citus/distribute.sql
--
-- Not part of the migrations: a plain PostgreSQL server (tests, single-server installs) has no
-- create_distributed_table. Tables added by later migrations must be added here too (the test
-- Tests/MigrationTests/TenantKeyTests.swift keeps every tenant table distributable).

CREATE EXTENSION IF NOT EXISTS citus;

BEGIN;
-- Distributing tables linked by foreign keys in one transaction needs sequential shard commands.
SET LOCAL citus.multi_shard_modify_mode TO 'sequential';
-- Citus distributes a table with triggers (and creates each trigger on every shard, where it fires)
-- only with this on; the triggers are made safe for it below. It is needed when a trigger is
-- created on a distributed table (here, or by a later migration), not when triggers fire.
SET LOCAL citus.enable_unsafe_triggers TO on;

-- Foreign keys between tenant tables: Citus distributes one table at a time, and refuses a foreign
-- key from a table not yet distributed to one that is ("foreign keys from reference tables and
-- local tables to distributed tables are not supported"). So they are set aside here, every table
-- is distributed, and they are created again, unchanged, at the end: on co-located distributed
-- tables with the distribution column in both sides, Citus enforces them shard by shard.
CREATE TEMP TABLE mobilise_tenant_foreign_keys ON COMMIT DROP AS
SELECT conrelid::regclass::text AS table_name, conname AS name, pg_get_constraintdef(oid) AS definition
FROM pg_constraint
WHERE contype = 'f' AND connamespace = 'public'::regnamespace
  AND confrelid::regclass::text NOT IN ('countries', 'organisations');
DO $$
DECLARE fk record;
BEGIN
    FOR fk IN SELECT * FROM mobilise_tenant_foreign_keys LOOP
        EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', fk.table_name, fk.name);
    END LOOP;
END
$$;

-- Reference tables: one full copy on every node, so every shard joins them locally.
-- countries: ISO reference data shared by all organisations.
SELECT create_reference_table('countries');
-- organisations: the tenants themselves. Not distributed by id: its UNIQUE (slug) constraint
-- (the token's `org` claim is a slug, unique across all organisations) does not contain id, and
-- Citus only enforces unique constraints that include the distribution column. A tenant row is
-- small and rarely written, every request looks one up by slug, and foreign keys from the
-- distributed tables to a reference table are allowed: a reference table fits.
SELECT create_reference_table('organisations');

-- Tenant tables, all sharded by organisation_id and co-located with employees, so that one
-- organisation's rows of every table live on the same node: joins, foreign keys and transactions
-- within one organisation stay on that node. Parents before children (foreign keys).
SELECT create_distributed_table('employees',              'organisation_id');
SELECT create_distributed_table('campaigns',              'organisation_id', colocate_with => 'employees');
SELECT create_distributed_table('campaign_country_goals', 'organisation_id', colocate_with => 'employees');
SELECT create_distributed_table('audit_log',              'organisation_id', colocate_with => 'employees');
SELECT create_distributed_table('events',                 'organisation_id', colocate_with => 'employees');
SELECT create_distributed_table('event_rsvps',            'organisation_id', colocate_with => 'employees');
SELECT create_distributed_table('signatures',             'organisation_id', colocate_with => 'employees');
SELECT create_distributed_table('signature_events',       'organisation_id', colocate_with => 'employees');
SELECT create_distributed_table('signature_totals',       'organisation_id', colocate_with => 'employees');
SELECT create_distributed_table('signature_daily',        'organisation_id', colocate_with => 'employees');
SELECT create_distributed_table('campaign_headcount',     'organisation_id', colocate_with => 'employees');
SELECT create_distributed_table('posts',                  'organisation_id', colocate_with => 'employees');
SELECT create_distributed_table('post_reports',           'organisation_id', colocate_with => 'employees');
SELECT create_distributed_table('audit_counters',         'organisation_id', colocate_with => 'employees');
SELECT create_distributed_table('sessions',               'organisation_id', colocate_with => 'employees');
SELECT create_distributed_table('sign_in_codes',          'organisation_id', colocate_with => 'employees');
SELECT create_distributed_table('scim_users',             'organisation_id', colocate_with => 'employees');
SELECT create_distributed_table('scim_tokens',            'organisation_id', colocate_with => 'employees');
SELECT create_distributed_table('leader_views',           'organisation_id', colocate_with => 'employees');
SELECT create_distributed_table('sso_providers',          'organisation_id', colocate_with => 'employees');
SELECT create_distributed_table('sso_logins',             'organisation_id', colocate_with => 'employees');
SELECT create_distributed_table('workforce_column_mappings', 'organisation_id', colocate_with => 'employees');

-- The tenant tables' foreign keys again (see the top), but one: Citus refuses ON DELETE SET NULL on
-- a foreign key that includes the distribution column, even with PostgreSQL 15's column list
-- (signatures → events: SET NULL (event_id) keeps organisation_id). That key comes back without the
-- action, and a trigger on events (mobilise_event_deleted, below) does what it did: a deleted event's signatures lose their
-- event_id, in the same statement, on the same shard.
DO $$
DECLARE fk record;
BEGIN
    FOR fk IN SELECT * FROM mobilise_tenant_foreign_keys LOOP
        EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I %s', fk.table_name, fk.name,
                       replace(fk.definition, ' ON DELETE SET NULL (event_id)', ''));
    END LOOP;
END
$$;

-- The triggers that keep campaign_headcount (sql/0008), and the one above on events, fire on a
-- worker, inside the shard statement the coordinator sent. There, as written for one PostgreSQL,
-- they fail twice: their row lock on `organisations` (a reference table) needs every node's copy
-- through new connections that wait behind the coordinator's own transaction ("distributed
-- deadlock"), and their statements on campaigns and campaign_headcount are distributed queries
-- nested in a shard statement, which Citus refuses (and which, when allowed with
-- citus.allow_nested_distributed_execution, crashed a worker at COMMIT PREPARED here, Citus 13.2.2).
-- So on Citus they are replaced by versions that do the same work on the organisation's own
-- shards, which are on the very worker where the trigger fires (all tenant tables are co-located):
-- plain local statements in the trigger's transaction. The organisation's row lock becomes a
-- transaction-scoped advisory lock on that worker, keyed by the organisation: it serialises the
-- same writers (imports, campaign creation, audience changes) until commit, as the row lock did;
-- the importer still takes its row lock on the coordinator first.

-- The name of the shard of `tbl` that holds an organisation's rows (on a worker, its local shard).
CREATE OR REPLACE FUNCTION mobilise_shard(tbl regclass, org uuid) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT shard_name(tbl, get_shard_id_for_distribution_column(tbl, org))
$$;

CREATE OR REPLACE FUNCTION mobilise_campaign_headcount() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(2024, hashtext(NEW.organisation_id::text));
    -- mobilise_recount_headcount on the local shards; the audience is NEW's.
    EXECUTE format('DELETE FROM %s WHERE organisation_id = $1 AND campaign_id = $2',
                   mobilise_shard('campaign_headcount', NEW.organisation_id))
        USING NEW.organisation_id, NEW.id;
    EXECUTE format($q$
        INSERT INTO %s (organisation_id, campaign_id, country, eligible)
        SELECT $1, $2, e.country, count(*)
        FROM %s e
        WHERE e.organisation_id = $1 AND e.active
          AND mobilise_audience_admits($3, $4, $5, e.gender, e.country, e.org_unit)
        GROUP BY e.country$q$,
        mobilise_shard('campaign_headcount', NEW.organisation_id), mobilise_shard('employees', NEW.organisation_id))
        USING NEW.organisation_id, NEW.id, NEW.audience_genders, NEW.audience_countries, NEW.audience_org_units;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION mobilise_employees_headcount() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    orgs uuid[];
    group_countries text[];
    group_genders text[];
    group_units text[];
    changes integer[];
    org uuid;
BEGIN
    -- The netting is sql/0008's, unchanged.
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
        RETURN NULL;
    END IF;
    FOR org IN SELECT DISTINCT o FROM unnest(orgs) AS o ORDER BY 1 LOOP
        PERFORM pg_advisory_xact_lock(2024, hashtext(org::text));
    END LOOP;
    FOR org IN SELECT DISTINCT o FROM unnest(orgs) AS o ORDER BY 1 LOOP
        EXECUTE format($q$
            INSERT INTO %s AS h (organisation_id, campaign_id, country, eligible)
            SELECT c.organisation_id, c.id, g.country, sum(g.n)
            FROM unnest($1, $2, $3, $4, $5) AS g(organisation_id, country, gender, org_unit, n)
            JOIN %s c ON c.organisation_id = g.organisation_id
             AND mobilise_audience_admits(c.audience_genders, c.audience_countries, c.audience_org_units, g.gender, g.country, g.org_unit)
            WHERE g.organisation_id = $6
            GROUP BY 1, 2, 3
            HAVING sum(g.n) <> 0
            ORDER BY 1, 2, 3
            ON CONFLICT (organisation_id, campaign_id, country) DO UPDATE SET eligible = h.eligible + EXCLUDED.eligible$q$,
            mobilise_shard('campaign_headcount', org), mobilise_shard('campaigns', org))
            USING orgs, group_countries, group_genders, group_units, changes, org;
    END LOOP;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION mobilise_event_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('UPDATE %s SET event_id = NULL WHERE organisation_id = $1 AND event_id = $2',
                   mobilise_shard('signatures', OLD.organisation_id))
        USING OLD.organisation_id, OLD.id;
    RETURN OLD;
END
$$;
CREATE TRIGGER events_clear_signatures BEFORE DELETE ON events FOR EACH ROW EXECUTE FUNCTION mobilise_event_deleted();

-- schema_migrations stays a local table on the coordinator, where `mobilise migrate` runs;
-- scheduled_runs (which instance runs this hour's scheduled jobs) too: the service connects to the
-- coordinator, so every instance claims its runs there.

COMMIT;

-- Check: every table of the schema but schema_migrations and scheduled_runs is now known to Citus.
SELECT logicalrelid::regclass AS "table", partmethod, partkey IS NOT NULL AS sharded, colocationid
FROM pg_dist_partition ORDER BY colocationid, 1;
