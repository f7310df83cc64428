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

-- sql/0037 checks the signing write's keys once per statement, with triggers that read the parent
-- tables by name (and cascade from them): on a Citus worker those names are not the organisation's
-- shards. Citus enforces declarative foreign keys shard by shard, so on Citus the keys of sql/0006
-- come back (and are set aside and re-created with the others below) and the triggers go.
DROP TRIGGER IF EXISTS signatures_parents_insert ON signatures;
DROP TRIGGER IF EXISTS signatures_parents_update ON signatures;
DROP TRIGGER IF EXISTS signature_events_parents_insert ON signature_events;
DROP TRIGGER IF EXISTS signature_events_parents_update ON signature_events;
DROP TRIGGER IF EXISTS campaigns_cascade_signatures ON campaigns;
DROP TRIGGER IF EXISTS employees_cascade_signatures ON employees;
DROP TRIGGER IF EXISTS countries_kept_for_signatures ON countries;
DROP TRIGGER IF EXISTS campaigns_key_kept_for_signatures ON campaigns;
DROP TRIGGER IF EXISTS employees_key_kept_for_signatures ON employees;
ALTER TABLE signatures
    ADD CONSTRAINT signatures_organisation_id_campaign_id_fkey
        FOREIGN KEY (organisation_id, campaign_id) REFERENCES campaigns (organisation_id, id) ON DELETE CASCADE,
    ADD CONSTRAINT signatures_organisation_id_employee_id_fkey
        FOREIGN KEY (organisation_id, employee_id) REFERENCES employees (organisation_id, id) ON DELETE CASCADE,
    ADD CONSTRAINT signatures_country_fkey FOREIGN KEY (country) REFERENCES countries (alpha2);
ALTER TABLE signature_events ADD CONSTRAINT signature_events_organisation_id_campaign_id_fkey
    FOREIGN KEY (organisation_id, campaign_id) REFERENCES campaigns (organisation_id, id) ON DELETE CASCADE;

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
SELECT create_distributed_table('signature_total_counts', 'organisation_id', colocate_with => 'employees');
SELECT create_distributed_table('signature_daily_counts', 'organisation_id', colocate_with => 'employees');
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
-- sql/0020 and sql/0021: published counts, paper batches and their entries are per campaign.
SELECT create_distributed_table('published_counts',       'organisation_id', colocate_with => 'employees');
SELECT create_distributed_table('paper_batches',          'organisation_id', colocate_with => 'employees');
SELECT create_distributed_table('paper_entries',          'organisation_id', colocate_with => 'employees');
-- sql/0024: e-mail reminders (their foreign keys reach employees and campaigns, so they are
-- distributed; the sender's claim across organisations does not run on Citus yet: README.md).
SELECT create_distributed_table('email_opt_outs',         'organisation_id', colocate_with => 'employees');
SELECT create_distributed_table('reminder_waves',         'organisation_id', colocate_with => 'employees');
SELECT create_distributed_table('email_messages',         'organisation_id', colocate_with => 'employees');
-- sql/0026: import jobs and their rejected rows (added at the end of this work, not yet run on a cluster).
SELECT create_distributed_table('import_jobs',            'organisation_id', colocate_with => 'employees');
SELECT create_distributed_table('import_job_rejections',  'organisation_id', colocate_with => 'employees');

-- The outbox (sql/0018: outbound_endpoints, outbound_settings, outbox_events, outbox_messages,
-- outbox_attempts) stays on the coordinator, as Citus local tables (Citus made them so already,
-- since they reference organisations, a reference table; said here so that it does not depend on
-- that). Its sender claims due messages of every organisation at once (`FOR UPDATE SKIP LOCKED`,
-- then an UPDATE joined to them), which Citus cannot run across shards; and it is small (a row per
-- milestone, digest or test message and endpoint). Its writes join a transaction's distributed
-- writes as writes to the coordinator (the coordinator is in the metadata: citus_set_coordinator_host).
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['outbound_endpoints', 'outbound_settings', 'outbox_events', 'outbox_messages', 'outbox_attempts'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = t::regclass) THEN
            PERFORM citus_add_local_table_to_metadata(t, cascade_via_foreign_keys => true);
        END IF;
    END LOOP;
END
$$;

-- The tenant tables' foreign keys again (see the top), but two: Citus refuses ON DELETE SET NULL on
-- a foreign key that includes the distribution column, even with PostgreSQL 15's column list
-- (signatures → events and paper_entries → events: SET NULL (event_id) keeps organisation_id).
-- Those keys come back without the action, and a trigger on events (mobilise_event_deleted, below)
-- does what they did: a deleted event's signatures and paper entries lose their event_id, in the
-- same statement, on the same shard.
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
    EXECUTE format('UPDATE %s SET event_id = NULL WHERE organisation_id = $1 AND event_id = $2',
                   mobilise_shard('paper_entries', OLD.organisation_id))
        USING OLD.organisation_id, OLD.id;
    RETURN OLD;
END
$$;
CREATE TRIGGER events_clear_signatures BEFORE DELETE ON events FOR EACH ROW EXECUTE FUNCTION mobilise_event_deleted();

-- Signing. The service signs in batches of one organisation (Sources/MobiliseStore/SignatureBatch.swift):
-- one statement that looks up the employees, inserts the signatures, journals them and adds to the
-- counts, in data-modifying CTEs. Citus plans no INSERT in a CTE as one statement on one worker: it
-- would run each CTE apart, through the coordinator, and send the counts' inserts to every shard.
-- So on Citus the batch calls this function instead (the service looks for it once): the same
-- statement on the organisation's local shards, and a distributed function, so that the
-- coordinator sends the call whole to the worker that holds the organisation (force_delegation:
-- also inside the batch's transaction). One round trip to one worker, no two-phase commit.
-- It is generated from the service's statement (Sources/MobiliseStore/SignBatchStatement.swift, the
-- one source of both): Tests/MobiliseStoreTests/SignBatchSourceTests.swift fails when the text between
-- the BEGIN and END lines differs, and `MOBILISE_WRITE_GENERATED=1 swift test --filter SignBatchSourceTests`
-- writes it again.
-- signature_events.id is an identity column: on a shard it has no default, so the value comes from
-- the distributed table's sequence, which Citus gives each node its own range of.
-- BEGIN mobilise_sign_batch: generated from Sources/MobiliseStore/SignBatchStatement.swift, do not edit
CREATE OR REPLACE FUNCTION mobilise_sign_batch(
    org uuid, campaign_ids uuid[], row_campaigns uuid[], external_ids text[], channels text[], event_ids uuid[],
    ats timestamptz[], writable boolean[], slot bigint)
RETURNS TABLE (ord bigint, found boolean, active boolean, admitted boolean, open boolean, in_window boolean, created boolean,
               employee_id uuid, id uuid, campaign_id uuid, country text, site text, org_unit text, channel text, event_id uuid,
               signed_at timestamptz, withdrawn_at timestamptz)
LANGUAGE plpgsql AS $fn$
DECLARE
    -- On the organisation's worker (the call delegated), its shards; anywhere else (Citus did not
    -- send the call on: a session it left unable to delegate), the distributed tables themselves,
    -- through the coordinator: slower, but the same writes.
    here boolean := to_regclass(mobilise_shard('campaigns', org)) IS NOT NULL;
BEGIN
    RETURN QUERY EXECUTE format($q$
        WITH open AS (
            SELECT id, starts_at, ends_at, audience_genders, audience_countries, audience_org_units FROM %1$s
            WHERE organisation_id = $1 AND id = ANY($2) AND status = 'active'
            FOR SHARE
        ), input AS (
            SELECT * FROM unnest($3, $4, $5, $6, $7, $8)
                WITH ORDINALITY AS i (campaign_id, external_id, channel, event_id, at, writable, ord)
        ), signer AS (
            -- With the signature as it was before this statement (s): looked up here, in the one
            -- join Citus routes to the organisation's worker, not by a join of the answer with
            -- signatures, which Citus would plan by pulling all the organisation's signatures.
            SELECT i.*, e.id AS employee_id, e.country, e.site, e.org_unit, e.active, o.id IS NOT NULL AS open,
                   -- An audience of everyone skips the function (a call per row costs as much as an index look-up).
                   coalesce(CASE WHEN o.audience_genders = '{}' AND o.audience_countries = '{}' AND o.audience_org_units = '{}' THEN true
                                 ELSE mobilise_audience_admits(o.audience_genders, o.audience_countries, o.audience_org_units,
                                                               e.gender, e.country, e.org_unit) END AND e.id IS NOT NULL, false) AS admitted,
                   coalesce(i.at, now()) >= o.starts_at AND coalesce(i.at, now()) < o.ends_at AS in_window,
                   s.id AS was_id, s.campaign_id AS was_campaign_id, s.country AS was_country, s.site AS was_site, s.org_unit AS was_org_unit, s.channel AS was_channel, s.event_id AS was_event_id, s.signed_at AS was_signed_at, s.withdrawn_at AS was_withdrawn_at
            FROM input i
            -- Each look-up is a LATERAL subquery kept apart by OFFSET 0, so that it is an index scan on
            -- every key column of its unique index whatever the statistics were when the statement was
            -- prepared: as plain joins, a plan made while the tables looked empty (a launch after
            -- ANALYZE) scanned the organisation's rows for each request (BENCHMARKS.md section 6).
            LEFT JOIN LATERAL (SELECT * FROM %2$s e0
                               WHERE e0.organisation_id = $1 AND e0.external_id = i.external_id OFFSET 0) e ON true
            LEFT JOIN open o ON o.id = i.campaign_id
            LEFT JOIN LATERAL (SELECT * FROM %3$s s0
                               WHERE s0.organisation_id = $1 AND s0.campaign_id = i.campaign_id
                                 AND s0.employee_id = e.id OFFSET 0) s ON true
        ), changed AS (
            INSERT INTO %3$s AS signatures (organisation_id, campaign_id, employee_id, country, site, org_unit, channel, event_id, signed_at)
            SELECT $1, campaign_id, employee_id, country, site, org_unit, channel, event_id, coalesce(at, now())
            FROM signer
            WHERE writable AND active AND admitted AND in_window
            ORDER BY campaign_id, employee_id
            ON CONFLICT (organisation_id, campaign_id, employee_id) DO UPDATE
                SET country = EXCLUDED.country, site = EXCLUDED.site, org_unit = EXCLUDED.org_unit, channel = EXCLUDED.channel,
                    event_id = EXCLUDED.event_id, signed_at = EXCLUDED.signed_at, withdrawn_at = NULL
                WHERE signatures.withdrawn_at IS NOT NULL
            RETURNING employee_id, id, campaign_id, country, site, org_unit, channel, event_id, signed_at, withdrawn_at
        ), journal AS (
            INSERT INTO %4$s (%7$sorganisation_id, campaign_id, signature_id, at, delta, country)
            SELECT %8$s$1, campaign_id, id, signed_at, 1, country FROM changed
        ), daily_change AS (
            -- Each campaign's change on each day (in the organisation's time zone), as mobilise_counts_add
            -- takes it: [positions, amounts].
            SELECT campaign_id, day, ARRAY[array_agg(place), array_agg(n)] AS change
            FROM (SELECT ch.campaign_id, (ch.signed_at AT TIME ZONE org.time_zone)::date AS day,
                         mobilise_country_position(ch.country) AS place, count(*)::integer AS n
                  FROM changed ch, (SELECT time_zone FROM %9$s WHERE id = $1) org
                  GROUP BY 1, 2, 3 ORDER BY 1, 2, 3) c
            GROUP BY campaign_id, day
        ), daily AS (
            -- One row per campaign and day (sql/0036): every country's change in one array.
            INSERT INTO %5$s AS d (organisation_id, campaign_id, day, slot, counts)
            SELECT $1, campaign_id, day, $9, mobilise_counts_add(NULL, change) FROM daily_change
            ORDER BY 2, 3
            ON CONFLICT (organisation_id, campaign_id, day, slot) DO UPDATE
                SET counts = mobilise_counts_add(d.counts, (SELECT c.change FROM daily_change c
                                                            WHERE c.campaign_id = EXCLUDED.campaign_id AND c.day = EXCLUDED.day))
        ), totals_change AS (
            -- Each campaign's change to its totals.
            SELECT campaign_id, ARRAY[array_agg(place), array_agg(n)] AS change
            FROM (SELECT campaign_id, mobilise_country_position(country) AS place, count(*)::integer AS n FROM changed
                  GROUP BY 1, 2 ORDER BY 1, 2) c
            GROUP BY campaign_id
        ), totals AS (
            -- One row per campaign (sql/0035): every country's total in one array.
            INSERT INTO %6$s AS t (organisation_id, campaign_id, slot, counts)
            SELECT $1, campaign_id, $9, mobilise_counts_add(NULL, change) FROM totals_change
            ORDER BY 2
            ON CONFLICT (organisation_id, campaign_id, slot) DO UPDATE
                SET counts = mobilise_counts_add(t.counts, (SELECT c.change FROM totals_change c WHERE c.campaign_id = EXCLUDED.campaign_id))
        )
        -- One row per request (the signature as it was before this statement, if any), then one per
        -- signature this statement wrote: matched in Swift by employee, not by a join of the two CTEs
        -- (without an index, that join compares every pair).
        SELECT i.ord, i.employee_id IS NOT NULL AS found, coalesce(i.active, false) AS active, i.admitted, i.open,
               coalesce(i.in_window, false) AS in_window, false AS created, i.employee_id, i.was_id, i.was_campaign_id, i.was_country, i.was_site, i.was_org_unit, i.was_channel, i.was_event_id, i.was_signed_at, i.was_withdrawn_at
        FROM signer i
        UNION ALL
        SELECT 0, true, true, true, true, true, true, ch.employee_id, ch.id, ch.campaign_id, ch.country, ch.site, ch.org_unit, ch.channel, ch.event_id, ch.signed_at, ch.withdrawn_at FROM changed ch$q$,
        CASE WHEN here THEN mobilise_shard('campaigns', org) ELSE 'campaigns' END,
        CASE WHEN here THEN mobilise_shard('employees', org) ELSE 'employees' END,
        CASE WHEN here THEN mobilise_shard('signatures', org) ELSE 'signatures' END,
        CASE WHEN here THEN mobilise_shard('signature_events', org) ELSE 'signature_events' END,
        CASE WHEN here THEN mobilise_shard('signature_daily_counts', org) ELSE 'signature_daily_counts' END,
        CASE WHEN here THEN mobilise_shard('signature_total_counts', org) ELSE 'signature_total_counts' END,
        CASE WHEN here THEN 'id, ' ELSE '' END,
        CASE WHEN here THEN format('nextval(%L), ', pg_get_serial_sequence('public.signature_events', 'id')) ELSE '' END,
        CASE WHEN here THEN mobilise_shard('organisations', org) ELSE 'organisations' END)
    USING org, campaign_ids, row_campaigns, external_ids, channels, event_ids, ats, writable, slot;
END
$fn$;
-- END mobilise_sign_batch
SELECT create_distributed_function('mobilise_sign_batch(uuid, uuid[], uuid[], text[], text[], uuid[], timestamptz[], boolean[], bigint)',
                                   'org', colocate_with => 'employees', force_delegation => true);

-- Count compaction (sql/0036's mobilise_compact_signature_daily, run hourly by the service): as written
-- for one PostgreSQL (a LANGUAGE sql function whose data-modifying CTEs use its parameters), Citus
-- cannot plan it ("could not create distributed plan … parameters in SQL functions"). On Citus it is
-- this PL/pgSQL function, a distributed function like mobilise_sign_batch: the coordinator sends the
-- call to the worker that holds the organisation, where it folds on the organisation's own shard of
-- signature_daily_counts in the same one statement. Anywhere else (a call Citus did not send on), it locks
-- the rows it folds, adds them to slot 0 and deletes exactly those rows: the same result, through
-- the coordinator.
-- (Tests/MobiliseStoreTests/CitusCompactionTests.swift runs the text between the BEGIN and END lines on one
-- PostgreSQL, both ways, against sql/0036's results.)
-- BEGIN mobilise_compact_signature_daily
CREATE OR REPLACE FUNCTION mobilise_compact_signature_daily(org uuid, campaign uuid, before date) RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
    here text := mobilise_shard('signature_daily_counts', org);
    folded bigint;
    days date[];
    slots integer[];
BEGIN
    IF to_regclass(here) IS NOT NULL THEN
        EXECUTE format($q$
            WITH moved AS (
                DELETE FROM %1$s
                WHERE organisation_id = $1 AND campaign_id = $2 AND day < $3 AND slot <> 0
                RETURNING day, counts
            ), folded AS (
                INSERT INTO %1$s AS d (organisation_id, campaign_id, day, slot, counts)
                SELECT $1, $2, day, 0, mobilise_counts_sum(counts) FROM moved GROUP BY day
                ORDER BY day
                ON CONFLICT (organisation_id, campaign_id, day, slot) DO UPDATE SET counts = mobilise_counts_merge(d.counts, EXCLUDED.counts)
                RETURNING 1
            )
            SELECT count(*) FROM moved$q$, here)
        INTO folded USING org, campaign, before;
        RETURN folded;
    END IF;
    SELECT array_agg(l.day), array_agg(l.slot)
    INTO days, slots
    FROM (SELECT day, slot FROM signature_daily_counts
          WHERE organisation_id = org AND campaign_id = campaign AND day < before AND slot <> 0
          ORDER BY day, slot FOR UPDATE) l;
    IF days IS NULL THEN
        RETURN 0;
    END IF;
    INSERT INTO signature_daily_counts AS d (organisation_id, campaign_id, day, slot, counts)
    SELECT org, campaign, r.day, 0, mobilise_counts_sum(r.counts) FROM signature_daily_counts r
    WHERE r.organisation_id = org AND r.campaign_id = campaign AND (r.day, r.slot) IN (SELECT * FROM unnest(days, slots))
    GROUP BY r.day ORDER BY r.day
    ON CONFLICT (organisation_id, campaign_id, day, slot) DO UPDATE SET counts = mobilise_counts_merge(d.counts, EXCLUDED.counts);
    DELETE FROM signature_daily_counts
    WHERE organisation_id = org AND campaign_id = campaign
      AND (day, slot) IN (SELECT * FROM unnest(days, slots));
    RETURN cardinality(days);
END
$fn$;
-- END mobilise_compact_signature_daily
SELECT create_distributed_function('mobilise_compact_signature_daily(uuid, uuid, date)',
                                   'org', colocate_with => 'employees', force_delegation => true);

-- The signing path plans its statements once per connection (generic plans: MobiliseStore.indexPlans);
-- Citus plans a statement on distributed tables, or sends a function call on, only with the
-- parameters' values. The service reads this setting at each signing transaction (new sessions see it).
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I SET mobilise.plan_cache_mode = %L', current_database(), 'force_custom_plan');
END
$$;

-- schema_migrations stays a local table on the coordinator, where `mobilise migrate` runs;
-- scheduled_runs (which instance runs this hour's scheduled jobs) too: the service connects to the
-- coordinator, so every instance claims its runs there. So does email_send_slots (sql/0028: the
-- e-mail sending rate all instances share), for the same reason.

COMMIT;

-- Check: every table of the schema but schema_migrations and scheduled_runs is now known to Citus.
SELECT logicalrelid::regclass AS "table", partmethod, partkey IS NOT NULL AS sharded, colocationid
FROM pg_dist_partition ORDER BY colocationid, 1;
