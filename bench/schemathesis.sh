#!/usr/bin/env bash
# Contract test of a running Mobilise service against its own OpenAPI document, with schemathesis
# (PyPI). It starts nothing: give it the service's base URL and an HR admin's bearer token.
#
#   bench/schemathesis.sh http://127.0.0.1:8080 "$HR_TOKEN" [more schemathesis options]
#
# Checks: no 5xx (not_a_server_error) and every response conforming to the schema
# (response_schema_conformance). Defaults: deterministic generation (no example database: the same
# run every time), 20 examples per operation, the examples, coverage and fuzzing phases, one worker. Later options override these (e.g. --max-examples=200 for a long run).
# Exit status: schemathesis's (0: nothing found; 1: failures found; other: could not run).
set -euo pipefail

if [ $# -lt 2 ]; then
    echo "usage: $0 BASE_URL HR_TOKEN [schemathesis options…]" >&2
    exit 64
fi
url=${1%/}
token=$2
shift 2

# The module entry point works wherever pip put the console script (PATH, pyenv shims or not).
if ! python3 -c 'import schemathesis' >/dev/null 2>&1; then
    echo "installing schemathesis from PyPI…" >&2
    python3 -m pip install --quiet 'schemathesis>=4.0,<5'
fi

# schemathesis keeps a `.schemathesis/` folder where it runs: in a folder of its own, removed afterwards,
# never in the work tree.
workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT
cd "$workdir"
python3 -m schemathesis.cli run "$url/openapi.yaml" \
    --url "$url" \
    --header "Authorization: Bearer $token" \
    --checks not_a_server_error,response_schema_conformance \
    --phases examples,coverage,fuzzing \
    --max-examples 20 \
    --generation-deterministic \
    --workers 1 \
    --request-timeout 10 \
    --no-color \
    "$@"
