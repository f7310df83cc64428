-- wrk script for deploy/multi/run: every request signs as a different employee, and every
-- acknowledged signature (201 or 200) is written down, one employee per line, to a file per thread.
-- Environment: MULTI_TOKENS (file, "EMPLOYEE TOKEN" per line), MULTI_PATH (the signature path),
-- MULTI_THREADS (wrk's -t), MULTI_OUT (folder for ack-N.txt and summary.json).
-- wrk does not say which request a response answers, so the employee travels in an X-Employee
-- header that HAProxy copies into the response (see haproxy.cfg.in): the record never guesses.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  entries = {}
  local step = tonumber(os.getenv("MULTI_THREADS") or "1")
  local i = 0
  for line in io.lines(os.getenv("MULTI_TOKENS")) do
    if i % step == tid then
      local employee, token = line:match("^(%S+) (%S+)$")
      entries[#entries + 1] = {employee, token}
    end
    i = i + 1
  end
  next_entry = 1
  acked, unanswered, refused, sent = 0, 0, 0, 0
  s500, s502, s503 = 0, 0, 0
  target = os.getenv("MULTI_PATH")
  ackfile = io.open(os.getenv("MULTI_OUT") .. "/ack-" .. tid .. ".txt", "w")
  ackfile:setvbuf("line")
end

function request()
  if next_entry > #entries then
    wrk.thread:stop()
    return wrk.format("GET", "/healthz")
  end
  local e = entries[next_entry]
  next_entry = next_entry + 1
  sent = sent + 1
  return wrk.format("PUT", target, {
    ["Authorization"] = "Bearer " .. e[2], ["Content-Type"] = "application/json", ["X-Employee"] = e[1]}, "{}")
end

function response(status, headers, body)
  local employee = headers["x-employee"] or headers["X-Employee"]
  if (status == 201 or status == 200) and employee and employee ~= "" then
    acked = acked + 1
    ackfile:write(employee, "\n")
  elseif status >= 500 then
    unanswered = unanswered + 1
    if status == 500 then s500 = s500 + 1 elseif status == 502 then s502 = s502 + 1 elseif status == 503 then s503 = s503 + 1 end
  else
    refused = refused + 1
  end
end

function done(summary, latency, requests)
  local a, u, r, s, e500, e502, e503 = 0, 0, 0, 0, 0, 0, 0
  for _, t in ipairs(threads) do
    a = a + t:get("acked"); u = u + t:get("unanswered"); r = r + t:get("refused"); s = s + t:get("sent")
    e500 = e500 + t:get("s500"); e502 = e502 + t:get("s502"); e503 = e503 + t:get("s503")
  end
  local f = io.open(os.getenv("MULTI_OUT") .. "/summary.json", "w")
  f:write(string.format(
    '{"duration_s": %.2f, "requests": %d, "acked": %d, "answered_5xx": %d, "s500": %d, "s502": %d, "s503": %d, "other": %d, "sent": %d, ' ..
    '"socket_errors": %d, "p50_ms": %.1f, "p99_ms": %.1f, "max_ms": %.1f}\n',
    summary.duration / 1e6, summary.requests, a, u, e500, e502, e503, r, s,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
  f:close()
end
