#!/usr/bin/env bash
# Summarises a whole-machine `perf record -a` taken during a signing level (bench/run with BENCH_PERF=1):
# the CPU share of each process, then the hottest functions of the service (by its pid) and of PostgreSQL,
# with Swift symbols demangled. Usage: perf_summary.sh PERF_DATA SERVICE_PID
set -euo pipefail
data=$1; pid=$2
demangle() { if command -v swift >/dev/null; then swift demangle --simplified; else cat; fi; }
echo "## CPU samples by process (whole machine)"
perf report -i "$data" --no-children --sort comm --stdio 2>/dev/null | grep -v '^#' | grep -v '^$' | head -15
echo
echo "## The service (pid $pid): samples by shared object"
perf report -i "$data" --no-children --pid "$pid" --sort dso --stdio 2>/dev/null | grep -v '^#' | grep -v '^$' | head -12
echo
echo "## The service (pid $pid): hottest functions"
perf report -i "$data" --no-children --pid "$pid" --sort sym --stdio 2>/dev/null | grep -v '^#' | grep -v '^$' | head -45 | demangle | cut -c1-180
echo
echo "## PostgreSQL backends: hottest functions"
perf report -i "$data" --no-children --comm postgres --sort sym --stdio 2>/dev/null | grep -v '^#' | grep -v '^$' | head -30 | cut -c1-160
