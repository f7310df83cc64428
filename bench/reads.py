#!/usr/bin/env python3
"""Sequential GETs over one keep-alive connection.

reads.py PORT PATH TOKEN ITERATIONS [PATH2 ...] -> one JSON line per path on stdout.
With several paths, each iteration reads every path in turn (side by side: all see the same load).
"""
import http.client, json, sys, time

port, path, token, n = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
paths = [path] + sys.argv[5:]
conn = http.client.HTTPConnection("127.0.0.1", port)
headers = {"Authorization": f"Bearer {token}"}
for _ in range(min(20, n)):  # warm-up, not measured
    for p in paths:
        conn.request("GET", p, headers=headers); r = conn.getresponse(); r.read()
times = {p: [] for p in paths}
bad = {p: 0 for p in paths}
last = {}
for _ in range(n):
    for p in paths:
        t = time.perf_counter()
        conn.request("GET", p, headers=headers)
        r = conn.getresponse(); body = r.read()
        times[p].append((time.perf_counter() - t) * 1000)
        if r.status != 200: bad[p] += 1
        last[p] = (r.status, len(body))
for p in paths:
    ts = sorted(times[p])
    pct = lambda q: ts[min(len(ts) - 1, int(round(q / 100 * (len(ts) - 1))))]
    print(json.dumps({"path": p, "n": n, "non_200": bad[p], "p50_ms": round(pct(50), 3), "p99_ms": round(pct(99), 3),
                      "max_ms": round(ts[-1], 3), "last_status": last[p][0], "bytes": last[p][1]}))
