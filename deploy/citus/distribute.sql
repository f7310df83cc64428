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

-- schema_migrations stays a local table on the coordinator, where `mobilise migrate` runs;
-- scheduled_runs (which instance runs this hour's scheduled jobs) too: the service connects to the
-- coordinator, so every instance claims its runs there.

COMMIT;

-- Check: every table of the schema but schema_migrations and scheduled_runs is now known to Citus.
SELECT logicalrelid::regclass AS "table", partmethod, partkey IS NOT NULL AS sharded, colocationid
FROM pg_dist_partition ORDER BY colocationid, 1;
