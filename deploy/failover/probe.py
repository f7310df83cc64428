#!/usr/bin/env python3
"""Signing probe for deploy/failover/run: every INTERVAL seconds, one employee signs (a new one each
time) through the service, and each answer is written down as one JSON line: the time it was sent,
how long it took, the status, Retry-After, the error code. It stops by itself after DURATION seconds
or when the stop file appears. Arguments: base URL, tokens file ("EMPLOYEE TOKEN" per line), signing
path, output file, duration (s), stop file."""
import http.client
import json
import sys
import time
import urllib.parse

base, tokens_file, path, out_file, duration, stop_file = sys.argv[1:7]
INTERVAL = 0.1
url = urllib.parse.urlsplit(base)
entries = [line.split() for line in open(tokens_file) if line.strip()]
deadline = time.time() + float(duration)
with open(out_file, "w", buffering=1) as out:
    for employee, token in entries:
        now = time.time()
        if now >= deadline:
            break
        try:
            open(stop_file).close()
            break
        except FileNotFoundError:
            pass
        record = {"t": now, "employee": employee}
        try:
            conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
            conn.request("PUT", path, body="{}", headers={
                "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            response = conn.getresponse()
            body = response.read()
            record["status"] = response.status
            record["retry_after"] = response.getheader("Retry-After")
            if response.status >= 400:
                try:
                    record["code"] = json.loads(body).get("error", {}).get("code")
                except (ValueError, AttributeError):
                    record["code"] = None
            conn.close()
        except OSError as error:
            record["status"] = 0
            record["error"] = str(error)
        record["took"] = round(time.time() - now, 3)
        out.write(json.dumps(record) + "\n")
        time.sleep(max(0.0, INTERVAL - (time.time() - now)))
