-- wrk script for the reliability runs: cycles through a mix of search requests and counts, over
-- all wrk threads, the responses that are not 2xx, the 503s and the 503s without Retry-After.
-- Env: DELAY_MS (default 0) paces each connection (a fixed rate of connections * 1000 / DELAY_MS
-- requests per second at most). Prints one line `RESULT key=value ...` for the calling script.

local paths = {
  "/v1/search?q=kuoro",
  "/v1/search?q=liikuntaa%20lapsille&lang=fi",
  "/v1/search?municipality=Helsinki&facets=theme,municipality",
  "/v1/search?near=60.17,24.94&radius_km=20&sort=distance",
  "/v1/suggest?q=kuo",
  "/v1/search?q=vertaistuki&type=activity&limit=20",
  "/v1/search?theme=culture&offset=20",
}
local threads = {}
local delay_ms = tonumber(os.getenv("DELAY_MS") or "0")

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non2xx = 0
  s503 = 0
  s503_no_retry = 0
  i = math.random(#paths)
end

function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end

if delay_ms > 0 then
  function delay()
    return delay_ms
  end
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
  if status == 503 then
    s503 = s503 + 1
    if headers["retry-after"] == nil and headers["Retry-After"] == nil then
      s503_no_retry = s503_no_retry + 1
    end
  end
end

function done(summary, latency, requests)
  local n, u, r = 0, 0, 0
  for _, t in ipairs(threads) do
    n = n + t:get("non2xx")
    u = u + t:get("s503")
    r = r + t:get("s503_no_retry")
  end
  local e = summary.errors
  local socket_errors = e.connect + e.read + e.write + e.timeout
  io.write(string.format(
    "RESULT requests=%d seconds=%.1f rps=%.1f non2xx=%d s503=%d s503_no_retry_after=%d socket_errors=%d p50_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    n, u, r, socket_errors,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
