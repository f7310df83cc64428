#!/usr/bin/env python3
"""The single-signature path, timed (deploy/citus/check): withdrawals, then signing again.

single_path.py PORT TOKENS ACKED N -> one JSON line on stdout.

TOKENS has "EXTERNAL_ID TOKEN" lines (the check's tokens.txt), ACKED the external ids whose signature
was acknowledged. For the first N of them, one after the other over one keep-alive connection: DELETE
/v1/campaigns/sign/signature (a withdrawal: MobiliseStore.withdraw, a transaction of its own with the
count statement of the single-signature path), then PUT again (signing after a withdrawal, through
the batch). Latencies under no other load; the status codes counted.
"""
import http.client, json, sys, time

port, tokens_path, acked_path, n = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
tokens = dict(line.split(" ", 1) for line in open(tokens_path).read().splitlines() if " " in line)
acked = [line.strip() for line in open(acked_path) if line.strip() in tokens][:n]
conn = http.client.HTTPConnection("127.0.0.1", port)
times = {"withdraw": [], "sign_again": []}
statuses = {"withdraw": {}, "sign_again": {}}
for external_id in acked:
    headers = {"Authorization": f"Bearer {tokens[external_id]}", "Content-Type": "application/json"}
    for step, method, body in (("withdraw", "DELETE", None), ("sign_again", "PUT", "{}")):
        t = time.perf_counter()
        conn.request(method, "/v1/campaigns/sign/signature", body=body, headers=headers)
        r = conn.getresponse(); r.read()
        times[step].append((time.perf_counter() - t) * 1000)
        statuses[step][str(r.status)] = statuses[step].get(str(r.status), 0) + 1
out = {"n": len(acked)}
for step, ts in times.items():
    ts = sorted(ts) or [0.0]
    out[step] = {"p50_ms": round(ts[len(ts) // 2], 1), "max_ms": round(ts[-1], 1), "statuses": statuses[step]}
print(json.dumps(out))
