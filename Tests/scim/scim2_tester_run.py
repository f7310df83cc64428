"""Runs scim2-tester (PyPI) against a live SCIM service and prints one JSON line per check.

    python3 Tests/scim/scim2_tester_run.py http://127.0.0.1:8080/scim/v2 <SCIM token>

Exits 0 when the run itself completed (whatever the checks found), 3 when scim2-tester or
scim2-client's httpx2 engine is missing. SCIMConformanceTests reads the lines.
"""

import json
import sys

try:
    import scim2_tester
    from httpx2 import Client
    from scim2_client.engines.httpx2 import SyncSCIMClient
    from scim2_tester import check_server
except ImportError as error:
    print(f"missing: {error}", file=sys.stderr)
    sys.exit(3)


def main() -> None:
    base, token = sys.argv[1], sys.argv[2]
    print(json.dumps({"version": getattr(scim2_tester, "__version__", None) or _version()}))
    with Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
        results = check_server(SyncSCIMClient(http))
    for result in results:
        print(json.dumps({
            "status": result.status.name,
            "title": result.title,
            "resource_type": result.resource_type,
            "reason": result.reason,
            "tags": sorted(result.tags),
        }, default=str))


def _version() -> str:
    from importlib.metadata import version

    return version("scim2-tester")


if __name__ == "__main__":
    main()
