#!/usr/bin/env bash
# SQL-injection scan of Mobilise's parameterised routes with sqlmap (PyPI), with a valid bearer token.
#
#   bench/sqlmap.sh                          build `mobilise` (debug), serve the demo organisation on a
#                                            throwaway embedded PostgreSQL, scan it, stop everything
#   bench/sqlmap.sh BASE_URL TOKEN [opts…]   scan a running service; TOKEN: roles hr_admin, leader and
#                                            employee, `sub` an active employee (the scan writes: it
#                                            creates a draft campaign, posts, events, erases an
#                                            employee it imported itself — never point it at production)
#
# Every path parameter, query parameter and JSON body value of 22 routes (and every cell of an imported CSV row) is an injection point
# (bench/sqlmap_targets.py lists them); sqlmap runs at level 3, risk 2, PostgreSQL payloads only
# (boolean, error, UNION, stacked and time-based). Options after TOKEN go to every sqlmap run.
# Results: bench/out/sqlmap/ (one log per route, summary.json). Exit status 0: nothing injectable
# and no 5xx answer; 1: something found; other: could not run.
# MOBILISE_BIN: a built `mobilise` to serve with (default: `swift build --product mobilise`).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
OUT=${SQLMAP_OUT:-$HERE/out/sqlmap}
rm -rf "$OUT"; mkdir -p "$OUT"

if ! python3 -c 'import sqlmap' >/dev/null 2>&1; then
    echo "installing sqlmap from PyPI…" >&2
    python3 -m pip install --quiet 'sqlmap>=1.8,<2'
fi

if [[ $# -ge 2 ]]; then
    url=$1 token=$2; shift 2
    exec python3 "$HERE/sqlmap_targets.py" "$url" "$token" "$OUT" "$@"
fi
[[ $# -eq 0 ]] || { echo "usage: $0 [BASE_URL TOKEN [sqlmap options…]]" >&2; exit 64; }

# --- our own service: the demo organisation on a throwaway cluster
if [[ -z ${MOBILISE_BIN:-} ]]; then
    echo "building mobilise…" >&2
    (cd "$ROOT" && swift build --product mobilise 2>&1 | tail -1) >&2
    MOBILISE_BIN=$(cd "$ROOT" && swift build --show-bin-path)/mobilise
fi
WORK=$(mktemp -d /tmp/mobilise-sqlmap.XXXXXX)
DATA=$WORK/data
SERVE_PID=""
cleanup() {
    [[ -n $SERVE_PID ]] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null || true
    local target; target=$(readlink -f "$DATA/postgres" 2>/dev/null || true)
    "$MOBILISE_BIN" db stop --data-dir "$DATA" --immediate >/dev/null 2>&1 || true
    rm -rf "$WORK"
    # The cluster may have been placed under /var/lib/mobilise/clusters (see README): remove that one only.
    [[ -n $target && $target == /var/lib/mobilise/clusters/* ]] && rm -rf "$target" || true
}
trap cleanup EXIT

export MOBILISE_JWT_SECRET=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
export MOBILISE_RATE_LIMIT=100000000
export MOBILISE_IMPORT_RATE_LIMIT=100000000  # the scan sends a few hundred imports
export MOBILISE_LOG_LEVEL=${MOBILISE_LOG_LEVEL:-error}
echo "loading the demo organisation (scale 0.1)…" >&2
"$MOBILISE_BIN" demo --scale 0.1 --data-dir "$DATA" > "$OUT/demo.txt"
# The demo's employee (has not signed yet) gets every role, so one token reaches every route.
SUB=$(sed -n 's/^  employee[^:]*: [^,]*, \([^ ]*\) (.*/\1/p' "$OUT/demo.txt" | head -1)
ORG=$(sed -n "s/.*organisation '\([^']*\)'.*/\1/p" "$OUT/demo.txt" | head -1)
[[ -n $SUB && -n $ORG ]] || { echo "could not read the demo's employee from $OUT/demo.txt" >&2; exit 2; }
TOKEN=$(python3 "$HERE/gen.py" token "$ORG" "$SUB" hr_admin leader employee)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$MOBILISE_BIN" serve --data-dir "$DATA" --port "$PORT" > "$OUT/serve.log" 2>&1 &
SERVE_PID=$!
for _ in $(seq 1 150); do curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null
python3 "$HERE/sqlmap_targets.py" "http://127.0.0.1:$PORT" "$TOKEN" "$OUT"
