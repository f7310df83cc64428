-- wrk script: every request signs as a different employee.
-- Environment: BENCH_TOKENS (file, one bearer token per line), BENCH_PATH (the signature path),
-- BENCH_OFFSET (first token to use), BENCH_RESULT (JSON summary written by done()), and optionally
-- BENCH_STATUS_FILE (the answers other than 201 and 200, one "status count" line per thread and status).
-- Thread t of n takes tokens offset+t, offset+t+n, ...; when a thread runs out it stops
-- (so no employee is asked twice and the run ends when every token is used or time is up), unless
-- BENCH_WRAP=1: then it starts its tokens again. Only for the no-database ceiling, which keeps no
-- signatures (each employee is asked at most a few times a run, within the rate limit): stopped early,
-- its rate would be capped at the tokens over the run's duration (wrk divides by the whole duration).
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  tokens = {}
  local path = os.getenv("BENCH_TOKENS")
  local offset = tonumber(os.getenv("BENCH_OFFSET") or "0")
  local step = tonumber(os.getenv("BENCH_THREADS") or "1")
  local i = 0
  for line in io.lines(path) do
    if i >= offset and (i - offset) % step == tid then tokens[#tokens + 1] = line end
    i = i + 1
  end
  next_token = 1
  created, existing, other, sent = 0, 0, 0, 0
  statuses = {}
  target = os.getenv("BENCH_PATH")
  wrap = os.getenv("BENCH_WRAP") == "1"
end

function request()
  if wrap and next_token > #tokens then next_token = 1 end
  if next_token > #tokens then
    wrk.thread:stop()
    -- wrk still needs a request string; this one is never sent once the thread stops.
    return wrk.format("GET", "/healthz")
  end
  local t = tokens[next_token]
  next_token = next_token + 1
  sent = sent + 1
  return wrk.format("PUT", target, {["Authorization"] = "Bearer " .. t, ["Content-Type"] = "application/json"}, "{}")
end

function response(status, headers, body)
  if status == 201 then created = created + 1
  elseif status == 200 then existing = existing + 1
  else
    -- The other answers by status (rare: built only for them), as text: wrk hands only plain values between threads.
    other = other + 1
    statuses[status] = (statuses[status] or 0) + 1
    local text = ""
    for code, n in pairs(statuses) do text = text .. code .. " " .. n .. "\n" end
    status_text = text
  end
end

function done(summary, latency, requests)
  local c, e, o, s = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("created"); e = e + t:get("existing"); o = o + t:get("other"); s = s + t:get("sent")
  end
  local f = io.open(os.getenv("BENCH_RESULT"), "w")
  f:write(string.format(
    '{"duration_us": %d, "requests": %d, "created": %d, "existing": %d, "other": %d, "sent": %d, ' ..
    '"socket_errors": %d, "p50_ms": %.3f, "p90_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f, "mean_ms": %.3f}\n',
    summary.duration, summary.requests, c, e, o, s,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, latency.mean / 1000))
  f:close()
  local status_file = os.getenv("BENCH_STATUS_FILE")
  if status_file then
    local sf = io.open(status_file, "w")
    for _, t in ipairs(threads) do
      local text = t:get("status_text")
      if text then sf:write(text) end
    end
    sf:close()
  end
end
