-- wrk script shared by benchmarks/load_api.py and benchmarks/soak.py (through benchmarks/wrk.py).
-- Requests rotate over PATHS; every UNIQUE_EVERY-th request (0: never) gets a unique suffix, so
-- the query has never been seen and no cache answers it. benchmarks/wrk.py fills in the two
-- placeholders and parses the WRK_RESULT line.
local paths = {__PATHS__}
local unique_every = __UNIQUE_EVERY__
local counter = 0
local next_id = 0
function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
end
function request()
  counter = counter + 1
  local path = paths[(counter % #paths) + 1]
  if unique_every > 0 and counter % unique_every == 0 then path = path .. "%20" .. tid .. "u" .. counter end
  return wrk.format("GET", path)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK_RESULT %d %d %d %d %d %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max, e.status,
    e.connect, e.read + e.write, e.timeout))
end
