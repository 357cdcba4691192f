-- wrk script for bench/bench_gateway.py: POST one non-streaming chat completion per request.
-- Env: WRK_MODEL (model name, default "echo"), WRK_AUTH (optional "Bearer ..." header value).
-- done() prints one JSON line (latencies in microseconds) that the Python driver parses.
local model = os.getenv("WRK_MODEL") or "echo"
local auth = os.getenv("WRK_AUTH")

wrk.method = "POST"
wrk.path = "/v1/chat/completions"
wrk.headers["Content-Type"] = "application/json"
if auth and auth ~= "" then
  wrk.headers["Authorization"] = auth
end
wrk.body = '{"model":"' .. model .. '","messages":[{"role":"user","content":'
  .. '"Salam, how is the weather in Agadir today?"}],"max_tokens":16}'

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"mean_us":%.1f,'
      .. '"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d,"status_errors":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.mean, e.connect, e.read, e.write, e.timeout, e.status))
end
