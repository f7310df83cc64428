import Foundation
import Postgres

/// The signing batch's statement (``SignatureBatch``), the one source of it: the service sends it
/// on one PostgreSQL, and `deploy/citus/distribute.sql`'s `mobilise_sign_batch` (the same statement
/// on an organisation's shards, run on its worker) is generated from it
/// (``citusFunction``; `SignBatchSourceTests` fails when the file and this differ, and rewrites the
/// file with `MOBILISE_WRITE_GENERATED=1`).
///
/// One statement looks up the employees, inserts the signatures, journals them and adds to the
/// counts, in data-modifying CTEs. Its nine parameters and six tables are given as SQL text: bound
/// values and the tables themselves for the service; `$1`…`$9` and `format` placeholders for the
/// function, whose answer the service reads the same way (by position).
struct SignBatchStatement {
    /// The organisation (uuid) and the batch's distinct campaigns (uuid[]).
    var organisation: PostgresQuery
    var campaignIDs: PostgresQuery
    /// One element per request: campaign (uuid[]), employee's external id (text[]), channel
    /// (text[]), event (uuid[]), when signed (timestamptz[], null for now), whether it may be written (boolean[]).
    var rowCampaigns: PostgresQuery
    var externalIDs: PostgresQuery
    var channels: PostgresQuery
    var eventIDs: PostgresQuery
    var ats: PostgresQuery
    var writable: PostgresQuery
    /// Which of the counters' slots this batch adds to (bigint).
    var slot: PostgresQuery
    var campaigns = "campaigns"
    var employees = "employees"
    var signatures = "signatures"
    var signatureEvents = "signature_events"
    var signatureDaily = "signature_daily_counts"
    var signatureTotals = "signature_total_counts"
    /// The reference table, named by its local shard on a Citus worker: by its distributed name the
    /// worker plans the join as a distributed query, one more transaction to the other nodes per batch.
    var organisations = "organisations"
    /// `signature_events.id` and its value, given on a shard (where the identity column has no default).
    var journalIDColumn = ""
    var journalIDValue = ""

    var query: PostgresQuery {
        """
        WITH open AS (
            SELECT id, starts_at, ends_at, audience_genders, audience_countries, audience_org_units FROM \(unsafeSQL: campaigns)
            WHERE organisation_id = \(organisation) AND id = ANY(\(campaignIDs)) AND status = 'active'
            FOR SHARE
        ), input AS (
            SELECT * FROM unnest(\(rowCampaigns), \(externalIDs), \(channels), \(eventIDs), \(ats), \(writable))
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
                   \(unsafeSQL: Self.columnsAsTheyWere)
            FROM input i
            -- Each look-up is a LATERAL subquery kept apart by OFFSET 0, so that it is an index scan on
            -- every key column of its unique index whatever the statistics were when the statement was
            -- prepared: as plain joins, a plan made while the tables looked empty (a launch after
            -- ANALYZE) scanned the organisation's rows for each request (BENCHMARKS.md section 6).
            LEFT JOIN LATERAL (SELECT * FROM \(unsafeSQL: employees) e0
                               WHERE e0.organisation_id = \(organisation) AND e0.external_id = i.external_id OFFSET 0) e ON true
            LEFT JOIN open o ON o.id = i.campaign_id
            LEFT JOIN LATERAL (SELECT * FROM \(unsafeSQL: signatures) s0
                               WHERE s0.organisation_id = \(organisation) AND s0.campaign_id = i.campaign_id
                                 AND s0.employee_id = e.id OFFSET 0) s ON true
        ), changed AS (
            INSERT INTO \(unsafeSQL: signatures) AS signatures (organisation_id, campaign_id, employee_id, country, site, org_unit, channel, event_id, signed_at)
            SELECT \(organisation), campaign_id, employee_id, country, site, org_unit, channel, event_id, coalesce(at, now())
            FROM signer
            WHERE writable AND active AND admitted AND in_window
            ORDER BY campaign_id, employee_id
            ON CONFLICT (organisation_id, campaign_id, employee_id) DO UPDATE
                SET country = EXCLUDED.country, site = EXCLUDED.site, org_unit = EXCLUDED.org_unit, channel = EXCLUDED.channel,
                    event_id = EXCLUDED.event_id, signed_at = EXCLUDED.signed_at, withdrawn_at = NULL
                WHERE signatures.withdrawn_at IS NOT NULL
            RETURNING employee_id, \(unsafeSQL: MobiliseStore.signatureColumns)
        ), journal AS (
            INSERT INTO \(unsafeSQL: signatureEvents) (\(unsafeSQL: journalIDColumn)organisation_id, campaign_id, signature_id, at, delta, country)
            SELECT \(unsafeSQL: journalIDValue)\(organisation), campaign_id, id, signed_at, 1, country FROM changed
        ), daily_change AS (
            -- Each campaign's change on each day (in the organisation's time zone), as mobilise_counts_add
            -- takes it: [positions, amounts].
            SELECT campaign_id, day, ARRAY[array_agg(place), array_agg(n)] AS change
            FROM (SELECT ch.campaign_id, (ch.signed_at AT TIME ZONE org.time_zone)::date AS day,
                         mobilise_country_position(ch.country) AS place, count(*)::integer AS n
                  FROM changed ch, (SELECT time_zone FROM \(unsafeSQL: organisations) WHERE id = \(organisation)) org
                  GROUP BY 1, 2, 3 ORDER BY 1, 2, 3) c
            GROUP BY campaign_id, day
        ), daily AS (
            -- One row per campaign and day (sql/0036): every country's change in one array.
            INSERT INTO \(unsafeSQL: signatureDaily) AS d (organisation_id, campaign_id, day, slot, counts)
            SELECT \(organisation), campaign_id, day, \(slot), mobilise_counts_add(NULL, change) FROM daily_change
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
            INSERT INTO \(unsafeSQL: signatureTotals) AS t (organisation_id, campaign_id, slot, counts)
            SELECT \(organisation), campaign_id, \(slot), mobilise_counts_add(NULL, change) FROM totals_change
            ORDER BY 2
            ON CONFLICT (organisation_id, campaign_id, slot) DO UPDATE
                SET counts = mobilise_counts_add(t.counts, (SELECT c.change FROM totals_change c WHERE c.campaign_id = EXCLUDED.campaign_id))
        )
        -- One row per request (the signature as it was before this statement, if any), then one per
        -- signature this statement wrote: matched in Swift by employee, not by a join of the two CTEs
        -- (without an index, that join compares every pair).
        SELECT i.ord, i.employee_id IS NOT NULL AS found, coalesce(i.active, false) AS active, i.admitted, i.open,
               coalesce(i.in_window, false) AS in_window, false AS created, i.employee_id, \(unsafeSQL: Self.columnsOfSigner)
        FROM signer i
        UNION ALL
        SELECT 0, true, true, true, true, true, true, ch.employee_id, \(unsafeSQL: Self.columnsAsWritten) FROM changed ch
        """
    }

    /// ``MobiliseStore/signatureColumns`` of `signatures s` (named `was_…` in the statement's
    /// `signer`), of `signer i`, and of the statement's `changed ch`, built once.
    private static let columnsAsTheyWere = columns(of: "s", as: "was_")
    private static let columnsOfSigner = columns(of: "i", prefix: "was_")
    private static let columnsAsWritten = columns(of: "ch")

    private static func columns(of alias: String, prefix: String = "", as rename: String? = nil) -> String {
        MobiliseStore.signatureColumns.split(separator: ",").map { column in
            let name = column.trimmingCharacters(in: .whitespaces)
            return "\(alias).\(prefix)\(name)" + (rename.map { " AS \($0)\(name)" } ?? "")
        }.joined(separator: ", ")
    }

    /// Where `deploy/citus/distribute.sql` holds ``citusFunction`` (the lines between these two).
    static let citusFunctionBegin = "-- BEGIN mobilise_sign_batch: generated from Sources/MobiliseStore/SignBatchStatement.swift, do not edit"
    static let citusFunctionEnd = "-- END mobilise_sign_batch"

    /// `mobilise_sign_batch(org, …)` for `deploy/citus/distribute.sql`: the statement above on the
    /// organisation's own shards (named with `mobilise_shard`, as distribute.sql's headcount triggers
    /// do), with the parameters of the call as `$1`…`$9` (`format`'s `%n$s` for the tables).
    static var citusFunction: String {
        func parameter(_ n: Int) -> PostgresQuery { PostgresQuery(unsafeSQL: "$\(n)") }
        let statement = SignBatchStatement(
            organisation: parameter(1), campaignIDs: parameter(2), rowCampaigns: parameter(3), externalIDs: parameter(4),
            channels: parameter(5), eventIDs: parameter(6), ats: parameter(7), writable: parameter(8), slot: parameter(9),
            campaigns: "%1$s", employees: "%2$s", signatures: "%3$s", signatureEvents: "%4$s", signatureDaily: "%5$s",
            signatureTotals: "%6$s", organisations: "%9$s", journalIDColumn: "%7$s", journalIDValue: "%8$s")
        let body = statement.query.sql.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.isEmpty ? "" : "        " + $0 }.joined(separator: "\n")
        return """
            \(citusFunctionBegin)
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
            \(body)$q$,
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
            \(citusFunctionEnd)
            """
    }
}
