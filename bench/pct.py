#!/usr/bin/env python3
"""p50/p99 (ms) of pgbench -l log files (3rd field: latency in microseconds): pct.py FILE... -> JSON."""
import json, sys
lat = []
for path in sys.argv[1:]:
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3: lat.append(int(parts[2]))
lat.sort()
p = lambda q: lat[min(len(lat) - 1, int(round(q / 100 * (len(lat) - 1))))] / 1000 if lat else None
print(json.dumps({"n": len(lat), "p50_ms": p(50), "p99_ms": p(99)}))
