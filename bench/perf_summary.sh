#!/usr/bin/env bash
# Summarises a whole-machine `perf record -a` taken during a signing level (bench/run with BENCH_PERF=1):
# the CPU share of each process, then the hottest functions of the service (by its pid) and of PostgreSQL,
# with Swift symbols demangled. Usage: perf_summary.sh PERF_DATA SERVICE_PID
set -eu  # no pipefail: `head` closing its pipe early is how these summaries are cut
data=$1; pid=$2
demangle() { if command -v swift >/dev/null; then swift demangle --simplified; else cat; fi; }
echo "## CPU samples by process (whole machine)"
perf report -i "$data" --no-children --sort comm --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -15
echo
# The same by role: the service's threads (tids under /proc/PID/task, read while it runs), PostgreSQL,
# wrk, idle, the rest. One line, read by report.py. Then the service's threads, from the same report.
threads=$(perf report -i "$data" --no-children --sort pid --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' || true)
service_threads=""
declare -A share=([service]=0 [postgres]=0 [wrk]=0 [idle]=0 [other]=0)
while read -r percent thread; do
  [[ -n $thread ]] || continue
  tid=${thread%%:*}; comm=${thread#*:}; value=${percent%\%}
  if [[ -d /proc/$pid/task/$tid ]]; then role=service; service_threads+="    $percent  $thread"$'\n'
  elif [[ $comm == postgres ]]; then role=postgres  # not the service's connection threads, "postgres-N"
  elif [[ $comm == wrk* ]]; then role=wrk
  elif [[ $tid == 0 ]]; then role=idle
  else role=other; fi
  share[$role]=$(python3 -c "print(round(${share[$role]} + $value, 2))")
done <<< "$threads"
echo "roles: service=${share[service]} postgres=${share[postgres]} wrk=${share[wrk]} idle=${share[idle]} other=${share[other]}"
echo
echo "## The service (pid $pid): samples by thread (its connection threads are named after their pool: postgres-N)"
printf '%s' "$service_threads" | head -12
echo
echo "## The service (pid $pid): samples by shared object"
perf report -i "$data" --no-children --pid "$pid" --sort dso --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -12
echo
echo "## The service (pid $pid): hottest functions"
perf report -i "$data" --no-children --pid "$pid" --sort sym --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -45 | demangle | cut -c1-180
echo
echo "## PostgreSQL backends: hottest functions"
perf report -i "$data" --no-children --comm postgres --sort sym --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -30 | cut -c1-160
echo
# With call graphs (bench/run records with -g): the service's CPU by part, each the inclusive share of
# the service's samples of the functions that do that part (a synchronous caller's share includes what
# it calls; async callers are not on the stack, so only synchronous parts are named here).
echo "## The service (pid $pid): CPU by part (inclusive % of the service's samples; needs call graphs)"
perf report -i "$data" --children --percentage relative --pid "$pid" --sort sym --stdio -g none 2>/dev/null \
  | grep -v '^#' | grep -v '^$' | demangle | python3 -c '
import re, sys
parts = [  # (part, patterns of demangled symbols, "|"-separated alternatives; the largest inclusive share
           # of a match is taken per pattern of a "&&"-list, and those are added: separate async jobs)
    ("request log line + metrics (the middleware defer)", r"defer #1 \(\) in ObservabilityMiddleware\.handle"),
    ("request log line (format + queue)", r"BufferedLogHandler\.log\(event:"),
    ("request log: the writer thread", r"BufferedLogOutput\.run\(\)"),
    ("String(format:) anywhere", r"String\.init\(format:|String\(format:"),
    ("request metrics", r"ServiceMetrics\.(requests|latency)|DurationHistogram\.record|Counter\.increment"),
    ("token verification (jwt-kit: its actor, then the signer)", r"JWTKeyCollection\.verifyToken&&JWTSigner\.verify<"),
    ("rate limiter", r"RateLimiter\.(take|check)"),
    ("the batch: synchronous work (its connection thread)", r"closure #1 in SigningQueue\.write"),
    ("Swift runtime: generic metadata look-ups", r"ConcurrentReadableHashMap.*GenericCacheEntry.*getOr"),
    ("security headers", r"SecurityHeadersMiddleware\.add"),
    ("body decoding", r"optionalJSON"),
    ("answer JSON", r"SignatureResponse\.json"),
    ("libpq (the batch on its connection thread)", r"^PQ|pqPutMsg|pqGetc|pqParseInput3|PQconsumeInput"),
    ("kernel: network send/receive", r"tcp_sendmsg|tcp_recvmsg|sock_write_iter|sock_read_iter"),
    ("epoll wait / scheduler", r"epoll_wait|schedule$|__schedule"),
]
rows = []
for line in sys.stdin:
    m = re.match(r"\s*([\d.]+)%\s+([\d.]+)%\s+\S+\s+\[.\]\s+(.*)", line) or re.match(r"\s*([\d.]+)%\s+([\d.]+)%\s+\[.\]\s+(.*)", line)
    if m: rows.append((float(m.group(1)), float(m.group(2)), m.group(3).strip()))
for part, patterns in parts:
    total, names = 0.0, []
    for pattern in patterns.split("&&"):
        best = max((r for r in rows if re.search(pattern, r[2])), default=None)
        if best: total += best[0]; names.append(best[2][:60])
    joined = " + ".join(names) or "(no sample)"
    print(f"{part:55s} {total:6.2f}%  {joined}")
'
