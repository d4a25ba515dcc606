-- wrk script: POST the request body named by the REQUEST environment variable and report the
-- latency percentiles (microseconds) and the status counts as one JSON line.
local file = io.open(os.getenv("REQUEST"), "rb")
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"


done = function(summary, latency, requests)
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "throughput": %.1f, "p50_us": %d, "p99_us": %d, ' ..
    '"p999_us": %d, "max_us": %d, "non_2xx": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout))
end
