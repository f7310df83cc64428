"""An identity provider's first push: N users created one request at a time over one keep-alive
connection, as Entra ID and Okta do (with --lookup, each creation is preceded by the
`filter=userName eq "…"` look-up Entra ID makes first). With --repush, the same N users are then
pushed again, one replacement (`PUT`, as Okta does) each, and with --patch one `PATCH` each (Entra
ID's dialect: `"op": "Replace"` of a few attributes). Prints a JSON line of figures: per phase, the
wall time, the latencies, and the CPU time the client, the service and the cluster used (from
/proc, when their pids are given), per user.

    python3 bench/scim_push.py http://127.0.0.1:8080 <SCIM token> 100000 [--lookup] [--repush] [--patch]
                               [--service-pid=PID] [--postmaster-pid=PID]

The client is kept cheap, as an identity provider is a fast client and the figure is the service's:
each request is written whole (head and body) into one reusable buffer and sent with one write on
one keep-alive connection; the answer is read with its status and Content-Length and nothing else
parsed (the creation's `Location` gives the id the re-push addresses).
"""

import json
import os
import resource
import socket
import sys
import time
import urllib.parse

COUNTRIES = ["IN", "BR", "US", "FR", "CN", "DE", "MX", "ZA", "AU", "GB", "ES", "IT", "JP", "CA", "EG"]
UNITS = ["Energy Management/Buildings", "Industrial Automation/Process", "Digital", "Field Services"]
CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def user(i: int, generation: int = 0) -> bytes:
    """User i; a later generation (the re-push) moves them to another department and renames them."""
    suffix = f" ({generation})" if generation else ""
    return json.dumps({
        "schemas": [CORE, ENTERPRISE],
        "externalId": f"idp-{i:07d}", "userName": f"E{i:07d}", "active": True, "displayName": f"Person {i}{suffix}",
        "name": {"givenName": "Person", "familyName": str(i)},
        "emails": [{"primary": True, "type": "work", "value": f"e{i}@bench.example"}],
        "addresses": [{"type": "work", "country": COUNTRIES[i % len(COUNTRIES)]}],
        ENTERPRISE: {"employeeNumber": str(i), "department": UNITS[(i + generation) % len(UNITS)]},
    }, separators=(",", ":")).encode()


def patch(i: int) -> bytes:
    """Entra ID's update of one user: capitalised ops, a department and a display name."""
    return json.dumps({
        "schemas": [PATCH_OP],
        "Operations": [
            {"op": "Replace", "path": "displayName", "value": f"Person {i} (patched)"},
            {"op": "Replace", "path": f"{ENTERPRISE}:department", "value": UNITS[(i + 2) % len(UNITS)]},
        ],
    }, separators=(",", ":")).encode()


class Client:
    """One keep-alive HTTP/1.1 connection; one write per request, answers read by Content-Length."""

    def __init__(self, base: str, token: str) -> None:
        url = urllib.parse.urlsplit(base)
        self.socket = socket.create_connection((url.hostname, url.port), timeout=60)
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.file = self.socket.makefile("rb")
        self.head = (f"Host: {url.hostname}:{url.port}\r\nAuthorization: Bearer {token}\r\n"
                     "Accept: application/scim+json\r\n").encode()

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, dict[bytes, bytes], bytes]:
        line = f"{method} {path} HTTP/1.1\r\n".encode()
        if body is None:
            self.socket.sendall(line + self.head + b"\r\n")
        else:
            self.socket.sendall(b"".join((line, self.head, b"Content-Type: application/scim+json\r\nContent-Length: ",
                                          str(len(body)).encode(), b"\r\n\r\n", body)))
        status = int(self.file.readline().split(b" ", 2)[1])
        headers = {}
        while True:
            header = self.file.readline()
            if header in (b"\r\n", b"\n", b""):
                break
            name, _, value = header.partition(b":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get(b"content-length", b"0"))
        return status, headers, self.file.read(length) if length else b""


def ticks(pid: int, children: bool = False) -> int:
    """User + system clock ticks of a process (and of its children that exited, if asked)."""
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    # Fields after the command: state is index 0, so utime (14th field) is index 11.
    return int(fields[11]) + int(fields[12]) + ((int(fields[13]) + int(fields[14])) if children else 0)


def cluster_ticks(postmaster: int) -> int:
    """The postmaster, its live children and those that exited."""
    total = ticks(postmaster, children=True)
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parent = int(open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if parent == postmaster:
                total += ticks(int(entry))
    return total


class Phase:
    """Times one phase: wall clock, per-request latencies, failures, CPU of each party."""

    def __init__(self, service_pid: int | None, postmaster_pid: int | None) -> None:
        self.service_pid, self.postmaster_pid = service_pid, postmaster_pid
        self.latencies: list[float] = []
        self.failures = 0

    def __enter__(self) -> "Phase":
        self.cpu = self.sample()
        self.started = time.perf_counter()
        return self

    def sample(self) -> tuple[float, int, int]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return (usage.ru_utime + usage.ru_stime,
                ticks(self.service_pid) if self.service_pid else 0,
                cluster_ticks(self.postmaster_pid) if self.postmaster_pid else 0)

    def __exit__(self, *_: object) -> None:
        self.elapsed = time.perf_counter() - self.started
        after = self.sample()
        hz = os.sysconf("SC_CLK_TCK")
        self.client_s = after[0] - self.cpu[0]
        self.service_s = (after[1] - self.cpu[1]) / hz if self.service_pid else None
        self.postgres_s = (after[2] - self.cpu[2]) / hz if self.postmaster_pid else None

    def figures(self, users: int) -> dict:
        latencies = sorted(self.latencies)

        def pct(p: float) -> float:
            return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 2)

        def per_user(seconds: float | None) -> float | None:
            return None if seconds is None else round(seconds / users * 1e6)

        return {
            "seconds": round(self.elapsed, 2), "users_per_s": round(users / self.elapsed, 1),
            "ms_p50": pct(0.50), "ms_p99": pct(0.99), "ms_max": round(latencies[-1] * 1000, 2), "failures": self.failures,
            # Mean ms per request in each tenth of the phase, in order: where in the push the time goes.
            "ms_mean_by_tenth": [round(sum(part) / len(part) * 1000, 2) for part in
                                 (self.latencies[k * len(self.latencies) // 10:(k + 1) * len(self.latencies) // 10] for k in range(10)) if part],
            # CPU µs per user of each party (on 2 cores shared with whatever else runs).
            "cpu_us_per_user": {"client": per_user(self.client_s), "service": per_user(self.service_s),
                                "postgres": per_user(self.postgres_s)},
        }


def main() -> None:
    base, token, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    options = sys.argv[4:]
    lookup, repush, patching = "--lookup" in options, "--repush" in options, "--patch" in options
    pids = {name: int(value) for name, _, value in (o[2:].partition("=") for o in options if o.endswith(tuple("0123456789")))}
    service_pid, postmaster_pid = pids.get("service-pid"), pids.get("postmaster-pid")
    client = Client(base, token)
    ids: list[bytes] = []

    def note_failure(phase: Phase, i: int, status: int, what: str) -> None:
        phase.failures += 1
        if phase.failures <= 3:
            print(f"{what} user {i}: {status}", file=sys.stderr)

    with Phase(service_pid, postmaster_pid) as created:
        for i in range(count):
            body = user(i)
            t0 = time.perf_counter()
            if lookup:
                query = urllib.parse.quote(f'userName eq "E{i:07d}"')
                status, _, found = client.request("GET", f"/scim/v2/Users?filter={query}")
                if status != 200 or json.loads(found).get("totalResults") != 0:
                    note_failure(created, i, status, "look-up of")
            status, headers, _ = client.request("POST", "/scim/v2/Users", body)
            created.latencies.append(time.perf_counter() - t0)
            if status != 201:
                note_failure(created, i, status, "creation of")
            ids.append(headers.get(b"location", b"").rsplit(b"/", 1)[-1])
    result = {"users": count, "lookup": lookup, **created.figures(count)}

    def again(name: str, method: str, body) -> None:
        with Phase(service_pid, postmaster_pid) as phase:
            for i in range(count):
                payload = body(i)
                t0 = time.perf_counter()
                status, _, _ = client.request(method, f"/scim/v2/Users/{ids[i].decode()}", payload)
                phase.latencies.append(time.perf_counter() - t0)
                if status != 200:
                    note_failure(phase, i, status, name)
        result[name] = phase.figures(count)

    if repush:
        again("replace", "PUT", lambda i: user(i, generation=1))
    if patching:
        again("patch", "PATCH", patch)
    status, _, listed = client.request("GET", "/scim/v2/Users?count=0")
    result["total_results"] = json.loads(listed).get("totalResults") if status == 200 else None
    print(json.dumps(result))


if __name__ == "__main__":
    main()
