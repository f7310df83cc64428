"""bench/batch_parts: measurement-only rewrites of the batch statement (one line on stdin, as bench/pg_batch_cost
prepares it), by variant: `python3 statement.py VARIANT < prepare.sql`."""
import sys


def cut(text, start, end):
    """Removes text from `start` up to (not including) `end`; both must occur once."""
    a = text.index(start)
    b = text.index(end, a)
    assert text.count(start) == 1, start
    return text[:a] + text[b:]


variant = sys.argv[1]
s = sys.stdin.read().rstrip("\n")
if variant == "no-daily":        # without the daily counts' upsert (one row per campaign and day since sql/0036)
    s = cut(s, "), daily_change AS (", "), totals_change AS (")
elif variant == "no-totals":     # without the totals' upsert (one row per campaign since sql/0035)
    s = cut(s, "), totals_change AS (", ") SELECT i.ord")
elif variant == "no-journal":    # without the signature_events row
    s = cut(s, "), journal AS (", "), daily_change AS (")
elif variant == "floor-signature-journal":  # only the look-ups, the signature and its journal row (no counts)
    s = cut(s, "), daily_change AS (", ") SELECT i.ord")
elif variant == "floor-signature":  # only the look-ups and the signature (no journal, no counts)
    s = cut(s, "), journal AS (", ") SELECT i.ord")
elif variant == "one-result-set":  # the answer without its second row set (the signatures as written)
    s = s[:s.index(" UNION ALL SELECT 0,")]
elif variant == "result-as-text":  # the answer's rows turned into text, as the service receives them
    head, tail = s.split(") SELECT i.ord", 1)
    s = head + ") SELECT count(r.*::text) FROM (SELECT i.ord" + tail + ") r"
elif variant == "no-was-lookup":  # without looking up each signer's signature as it was (the answer's was_ columns NULL)
    old = "AND s0.employee_id = e.id OFFSET 0) s ON true"
    assert s.count(old) == 1
    s = s.replace(old, "AND s0.employee_id = e.id AND false OFFSET 0) s ON true")
elif variant == "was-after-insert":  # the signature as it was looked up in the answer, only for signers the statement did not write
    lookup = ("LEFT JOIN LATERAL (SELECT * FROM signatures s0 WHERE s0.organisation_id = $1 AND s0.campaign_id = i.campaign_id "
              "AND s0.employee_id = e.id OFFSET 0) s ON true")
    columns = ("s.id AS was_id, s.campaign_id AS was_campaign_id, s.country AS was_country, s.site AS was_site, s.org_unit AS was_org_unit, "
               "s.channel AS was_channel, s.event_id AS was_event_id, s.signed_at AS was_signed_at, s.withdrawn_at AS was_withdrawn_at ")
    answer = ("i.was_id, i.was_campaign_id, i.was_country, i.was_site, i.was_org_unit, i.was_channel, i.was_event_id, i.was_signed_at, "
              "i.was_withdrawn_at FROM signer i UNION ALL")
    for old in (lookup, columns, answer):
        assert s.count(old) == 1, old
    s = s.replace(" " + lookup, "")
    s = s.replace(", " + columns, " ")
    s = s.replace(answer, "s.id, s.campaign_id, s.country, s.site, s.org_unit, s.channel, s.event_id, s.signed_at, s.withdrawn_at "
                  "FROM signer i LEFT JOIN LATERAL (SELECT * FROM signatures s0 WHERE (i.campaign_id, i.employee_id) NOT IN "
                  "(SELECT campaign_id, employee_id FROM changed) AND s0.organisation_id = $1 AND s0.campaign_id = i.campaign_id "
                  "AND s0.employee_id = i.employee_id OFFSET 0) s ON true UNION ALL")
else:
    sys.exit(f"unknown variant {variant}")
print(s)
