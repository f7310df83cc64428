#!/usr/bin/env bash
# Summarises a whole-machine `perf record -a` taken during a signing level (bench/run with BENCH_PERF=1):
# the CPU share of each process, then the hottest functions of the service (by its pid) and of PostgreSQL,
# with Swift symbols demangled. Usage: perf_summary.sh PERF_DATA SERVICE_PID
set -eu  # no pipefail: `head` closing its pipe early is how these summaries are cut
data=$1; pid=$2
demangle() { if command -v swift >/dev/null; then swift demangle --simplified; else cat; fi; }
echo "## CPU samples by process (whole machine)"
perf report -i "$data" --no-children --sort comm --stdio 2>/dev/null | grep -v '^#' | grep -v '^$' | head -15
echo
# The same by role: the service's threads (tids under /proc/PID/task, read while it runs), PostgreSQL,
# wrk, idle, the rest. One line, read by report.py.
perf report -i "$data" --no-children --sort pid --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | {
  declare -A share=([service]=0 [postgres]=0 [wrk]=0 [idle]=0 [other]=0)
  while read -r percent thread; do
    tid=${thread%%:*}; comm=${thread#*:}; value=${percent%\%}
    if [[ -d /proc/$pid/task/$tid ]]; then role=service
    elif [[ $comm == postgres* ]]; then role=postgres
    elif [[ $comm == wrk* ]]; then role=wrk
    elif [[ $tid == 0 ]]; then role=idle
    else role=other; fi
    share[$role]=$(python3 -c "print(round(${share[$role]} + $value, 2))")
  done
  echo "roles: service=${share[service]} postgres=${share[postgres]} wrk=${share[wrk]} idle=${share[idle]} other=${share[other]}"
}
echo
echo "## The service (pid $pid): samples by shared object"
perf report -i "$data" --no-children --pid "$pid" --sort dso --stdio 2>/dev/null | grep -v '^#' | grep -v '^$' | head -12
echo
echo "## The service (pid $pid): hottest functions"
perf report -i "$data" --no-children --pid "$pid" --sort sym --stdio 2>/dev/null | grep -v '^#' | grep -v '^$' | head -45 | demangle | cut -c1-180
echo
echo "## PostgreSQL backends: hottest functions"
perf report -i "$data" --no-children --comm postgres --sort sym --stdio 2>/dev/null | grep -v '^#' | grep -v '^$' | head -30 | cut -c1-160
