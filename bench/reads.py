#!/usr/bin/env python3
"""Sequential GETs over one keep-alive connection: reads.py PORT PATH TOKEN ITERATIONS -> JSON on stdout."""
import http.client, json, sys, time

port, path, token, n = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
conn = http.client.HTTPConnection("127.0.0.1", port)
headers = {"Authorization": f"Bearer {token}"}
for _ in range(min(20, n)):  # warm-up, not measured
    conn.request("GET", path, headers=headers); r = conn.getresponse(); r.read()
times, bad = [], 0
for _ in range(n):
    t = time.perf_counter()
    conn.request("GET", path, headers=headers)
    r = conn.getresponse(); body = r.read()
    times.append((time.perf_counter() - t) * 1000)
    if r.status != 200: bad += 1
times.sort()
pct = lambda p: times[min(len(times) - 1, int(round(p / 100 * (len(times) - 1))))]
print(json.dumps({"n": n, "non_200": bad, "p50_ms": round(pct(50), 3), "p99_ms": round(pct(99), 3),
                  "max_ms": round(times[-1], 3), "last_status": r.status, "bytes": len(body)}))
