#!/usr/bin/env python3
"""Runs sqlmap against the parameterised routes of a live Mobilise service (used by bench/sqlmap.sh).

  sqlmap_targets.py BASE_URL TOKEN OUTDIR [extra sqlmap options...]

TOKEN must carry the roles hr_admin, leader and employee, with `sub` an active employee of its
organisation. The script finds real ids through the API first (a campaign, a draft campaign it
creates, a post, an event, an employee it imports to be erased), so every injected value reaches
the query it would reach in normal use. One sqlmap run per route; every path parameter, query
parameter and JSON body value of the route is an injection point. Prints one line per route and a
JSON summary; exit status 0 when sqlmap found nothing injectable and no request answered 5xx.
"""
import json, os, re, subprocess, sys, time, urllib.error, urllib.request

base, token, outdir = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
extra = sys.argv[4:]
import sqlmap  # installed by bench/sqlmap.sh
SQLMAP = os.path.join(os.path.dirname(sqlmap.__file__), "sqlmap.py")


def call(method, path, body=None, content_type="application/json"):
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    request = urllib.request.Request(base + path, data=data, method=method, headers={"Authorization": f"Bearer {token}"})
    if data is not None:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read().decode()
            return response.status, (json.loads(text) if text.startswith(("{", "[")) else text)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


# --- real ids to aim at
status, campaigns = call("GET", "/v1/campaigns")
active = [c["slug"] for c in campaigns.get("campaigns", []) if c["status"] == "active"] if status == 200 else []
assert active, f"no active campaign: GET /v1/campaigns answered {status} {campaigns}"
campaign = active[0]
now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 30 * 86400))
draft = f"sqlmap-draft-{int(time.time())}"
status, _ = call("POST", "/v1/campaigns", {
    "slug": draft, "hashtag": "#SqlMap", "title": {"en": "sqlmap draft"}, "pledge_text": {"en": "I commit"},
    "starts_at": now, "ends_at": later})
assert status == 201, f"creating the draft campaign: {status} {_}"
status, post = call("POST", f"/v1/campaigns/{campaign}/posts", {"body": "A story to moderate #sqlmap"})
assert status == 201, f"creating a post: {status} {post}"
pending_id = post["id"]
status, _ = call("POST", f"/v1/posts/{pending_id}/approve")
assert status == 200, f"approving the post: {status} {_}"
status, feed = call("GET", f"/v1/campaigns/{campaign}/posts?limit=50")
with_media = [p["id"] for p in feed.get("posts", []) if p.get("media")] if status == 200 else []
post_id = pending_id
media_id = with_media[0] if with_media else pending_id
status, events = call("GET", f"/v1/campaigns/{campaign}/events")
if status == 200 and events["events"]:
    event_id = events["events"][0]["id"]
else:
    status, event = call("POST", f"/v1/campaigns/{campaign}/events", {
        "title": "sqlmap event", "kind": "online", "country": "FR", "starts_at": now, "ends_at": later, "host": "sqlmap"})
    event_id = event["id"] if status == 201 else "00000000-0000-0000-0000-000000000000"
victim = f"sqlmap-victim-{int(time.time())}"
status, _ = call("POST", "/v1/employees/import?mode=upsert",
                 f"external_id,country,display_name\n{victim},FR,Victim\n".encode(), "text/csv")
assert status == 200, f"importing the employee to erase: {status} {_}"

placeholders = {campaign: "{id}", draft: "{id}", post_id: "{post}", media_id: "{post}", event_id: "{event}", victim: "{employee}", "FR": "{country}"}


def marker_names(path, body):
    """The names of the values marked with * in the path (a path template or a query key) and in the body (JSON keys)."""
    in_path = [value.split("=", 1)[0] if "=" in value else placeholders.get(value, value)
               for value in re.findall(r"([^/?&*]+)\*", path)]
    if body and not body.startswith("{"):  # CSV: the marked cells of the second line, named by the header
        header, row = body.splitlines()[:2]
        return in_path, [name for name, cell in zip(header.split(","), row.split(",")) if cell.endswith("*")]
    return in_path, re.findall(r'"([a-z_]+)": (?:\[)?"[^"]*\*"', body or "")


def marked(value, prefix=""):
    """JSON text with * after every string value: each one an injection point."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {marked(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(marked(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value)[:-1] + '*"'
    return json.dumps(value)


# (name, method, path with * after each injected value, body with * after each injected value or None:
# JSON, or CSV for the import). Not scanned: the dashboard's pages and assets, /v1/me (no parameter).
# The import is scanned with every cell of a CSV row injected (its rate limit per organisation is
# lifted by bench/sqlmap.sh: MOBILISE_IMPORT_RATE_LIMIT); mode=upsert never deactivates anybody.
targets = [
    ("GET campaign", "GET", f"/v1/campaigns/{campaign}*", None),
    ("PUT signature", "PUT", f"/v1/campaigns/{campaign}*/signature", "{}"),
    ("GET signature", "GET", f"/v1/campaigns/{campaign}*/signature", None),
    ("GET rankings", "GET", f"/v1/campaigns/{campaign}*/rankings?metric=participation*&as_of={now}*&min_eligible=1*", None),
    ("GET country", "GET", f"/v1/campaigns/{campaign}*/countries/FR*?as_of={now}*", None),
    ("GET timeline", "GET", f"/v1/campaigns/{campaign}*/timeline?interval=week*", None),
    ("GET counts/verify", "GET", f"/v1/campaigns/{campaign}*/counts/verify", None),
    ("GET employees", "GET", "/v1/employees?country=FR*&limit=5*", None),
    ("GET posts", "GET", f"/v1/campaigns/{campaign}*/posts?status=pending*&limit=5*", None),
    ("GET events", "GET", f"/v1/campaigns/{campaign}*/events?upcoming=true*", None),
    ("GET audit", "GET", "/v1/audit?limit=5*", None),
    ("POST posts (JSON)", "POST", f"/v1/campaigns/{campaign}*/posts", marked({"body": "My story #HeForShe"})),
    ("POST reports", "POST", f"/v1/posts/{post_id}*/reports", None),
    ("POST reject (JSON)", "POST", f"/v1/posts/{post_id}*/reject", marked({"reason": "off topic"})),
    ("GET media", "GET", f"/v1/posts/{media_id}*/media", None),
    ("POST campaigns (JSON)", "POST", "/v1/campaigns", marked({
        "slug": "sqlmap-new", "hashtag": "#SqlMapNew", "default_language": "en", "title": {"en": "New"},
        "pledge_text": {"en": "I commit"}, "starts_at": now, "ends_at": later,
        "audience": {"countries": ["FR"], "genders": ["female"], "org_units": ["Energy"]}})),
    ("PATCH campaign (JSON)", "PATCH", f"/v1/campaigns/{draft}*", marked({"title": {"en": "Renamed"}, "hashtag": "#Renamed"})),
    ("POST events (JSON)", "POST", f"/v1/campaigns/{campaign}*/events", marked({
        "title": "Meet-up", "kind": "city", "country": "FR", "city": "Lyon", "starts_at": later, "ends_at": later,
        "capacity": 10, "host": "E1"})),
    ("PUT rsvp", "PUT", f"/v1/events/{event_id}*/rsvp", None),
    ("POST check-ins (JSON)", "POST", f"/v1/events/{event_id}*/check-ins", marked({"external_ids": [victim]})),
    ("DELETE employee", "DELETE", f"/v1/employees/{victim}*", None),
    ("POST import (CSV)", "POST", "/v1/employees/import?mode=upsert*",
     "external_id,email,display_name,country,site,org_unit,gender\n"
     "sqlmap-csv-1*,csv1@example.com*,Injected Name*,FR*,Lyon*,Energy*,female*\n"),
]

os.makedirs(outdir, exist_ok=True)
results = []
for name, method, path, body in targets:
    url = base + path
    content = "" if body is None else "\nContent-Type: " + ("application/json" if body.startswith("{") else "text/csv")
    args = [sys.executable, SQLMAP, "-u", url, "--method", method, "--headers", f"Authorization: Bearer {token}{content}",
            "--batch", "--dbms", "PostgreSQL", "--flush-session", "--output-dir", outdir, "--disable-coloring",
            "--level", os.environ.get("SQLMAP_LEVEL", "1"), "--risk", os.environ.get("SQLMAP_RISK", "1"), "--threads", "1", "--timeout", "15", "--retries", "1",
            # Never ask (batch) and never crawl, never touch anything but this service.
            "--skip-waf", "--skip=User-Agent,Referer,Host"] + extra
    if body is not None:
        args += ["--data", body]
    if method in ("DELETE", "POST") and re.search(r"/(reports|employees/[^/]*)$", path.replace("*", "")) or path.endswith("/media"):
        # The first request changes what the next ones see (an erased employee, a report already
        # made, a post without media): compare 404 pages too instead of stopping at the first one.
        args += ["--ignore-code", "404"]
    started = time.time()
    run = subprocess.run(args, capture_output=True, text=True)
    seconds = time.time() - started
    out = run.stdout
    injectable = "identified the following injection point" in out or re.search(r"parameter '.*' is vulnerable", out) is not None
    # sqlmap calls the marked values '#1*', '#2*', … in order and JSON values by their key.
    names = marker_names(path, body)
    tested = []
    for place, parameter in re.findall(r"testing for SQL injection on ((?:\(custom\) )?\S+) parameter '([^']+)'", out):
        marker = re.fullmatch(r"(?:JSON )?#(\d+)\*", parameter)
        in_body = "URI" not in place and bool(names[1])
        pool = names[1] if in_body else names[0]
        label = pool[int(marker.group(1)) - 1] if marker and int(marker.group(1)) <= len(pool) else parameter
        label = ("body." if in_body else "") + label
        if label not in tested: tested.append(label)
    codes = dict((int(c), int(n)) for c, n in re.findall(r"(\d{3}) \([^)]*\) - (\d+) times", out))
    requests = re.search(r"fetched data logged|(\d+) HTTP\(s\) requests", out)
    server_errors = sum(n for c, n in codes.items() if c >= 500)
    clean = not injectable and server_errors == 0 and ("do not appear to be injectable" in out or "not injectable" in out)
    results.append({"route": name, "method": method, "path": path.replace("*", ""), "parameters": tested,
                    "injectable": injectable, "http_codes": codes, "server_errors": server_errors,
                    "clean": clean, "seconds": round(seconds, 1), "exit": run.returncode})
    open(os.path.join(outdir, re.sub(r"[^a-z0-9]+", "-", name.lower()) + ".log"), "w").write(out + run.stderr)
    print(f"{'ok ' if clean else 'BAD'} {name:24s} {len(tested)} injection points ({', '.join(tested)}); "
          f"codes {codes}; {seconds:.0f} s" + ("" if clean else f" — see {outdir}"), flush=True)

summary = {"routes": len(results), "injection_points": sum(len(r["parameters"]) for r in results),
           "injectable": [r["route"] for r in results if r["injectable"]],
           "server_errors": sum(r["server_errors"] for r in results),
           "unclean": [r["route"] for r in results if not r["clean"]],
           "seconds": round(sum(r["seconds"] for r in results)), "results": results}
json.dump(summary, open(os.path.join(outdir, "summary.json"), "w"), indent=1)
print(f"sqlmap: {summary['routes']} routes, {summary['injection_points']} injection points, "
      f"{len(summary['injectable'])} injectable, {summary['server_errors']} answers 5xx, {summary['seconds']} s")
sys.exit(0 if not summary["unclean"] else 1)
