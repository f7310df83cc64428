"""An identity provider's first push: N users created one request at a time over one keep-alive
connection, as Entra ID and Okta do (with --lookup, each creation is preceded by the
`filter=userName eq "…"` look-up Entra ID makes first). Prints a JSON line of figures.

    python3 bench/scim_push.py http://127.0.0.1:8080 <SCIM token> 100000 [--lookup]
"""

import http.client
import json
import sys
import time
import urllib.parse

COUNTRIES = ["IN", "BR", "US", "FR", "CN", "DE", "MX", "ZA", "AU", "GB", "ES", "IT", "JP", "CA", "EG"]
UNITS = ["Energy Management/Buildings", "Industrial Automation/Process", "Digital", "Field Services"]


def user(i: int) -> bytes:
    return json.dumps({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "externalId": f"idp-{i:07d}", "userName": f"E{i:07d}", "active": True, "displayName": f"Person {i}",
        "name": {"givenName": "Person", "familyName": str(i)},
        "emails": [{"primary": True, "type": "work", "value": f"e{i}@bench.example"}],
        "addresses": [{"type": "work", "country": COUNTRIES[i % len(COUNTRIES)]}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "employeeNumber": str(i), "department": UNITS[i % len(UNITS)]},
    }).encode()


def main() -> None:
    base, token, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    lookup = "--lookup" in sys.argv[4:]
    url = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json", "Accept": "application/scim+json"}
    latencies = []
    failures = 0
    started = time.perf_counter()
    for i in range(count):
        t0 = time.perf_counter()
        if lookup:
            query = urllib.parse.quote(f'userName eq "E{i:07d}"')
            connection.request("GET", f"/scim/v2/Users?filter={query}", headers=headers)
            found = connection.getresponse()
            body = json.loads(found.read())
            if found.status != 200 or body.get("totalResults") != 0:
                failures += 1
        connection.request("POST", "/scim/v2/Users", body=user(i), headers=headers)
        response = connection.getresponse()
        response.read()
        if response.status != 201:
            failures += 1
            if failures <= 3:
                print(f"user {i}: {response.status}", file=sys.stderr)
        latencies.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - started
    connection.request("GET", "/scim/v2/Users?count=0", headers=headers)
    total = json.loads(connection.getresponse().read()).get("totalResults")
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    print(json.dumps({
        "users": count, "lookup": lookup, "seconds": round(elapsed, 2), "users_per_s": round(count / elapsed, 1),
        "ms_p50": round(pct(0.50), 2), "ms_p99": round(pct(0.99), 2), "ms_max": round(latencies[-1] * 1000, 2),
        "failures": failures, "total_results": total,
    }))


if __name__ == "__main__":
    main()
