-- bench/wrk_post.lua — wrk script: POST one fixed body with a bearer token.
-- Environment: BENCH_BODY (file), BENCH_PATH (request path), BENCH_TOKEN, BENCH_CTYPE.
local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
wrk.body = f:read("*a")
f:close()
wrk.method = "POST"
wrk.path = os.getenv("BENCH_PATH")
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
wrk.headers["Content-Type"] = os.getenv("BENCH_CTYPE") or "application/json"

local codes = {}
function response(status, headers, body)
	codes[status] = (codes[status] or 0) + 1
end

function done(summary, latency, requests)
	-- one line the bench script parses: requests/s, p50 and p99 latency (ms), non-2xx count
	local bad = summary.errors.status
	io.write(string.format("wrk: rps=%.1f p50_ms=%.2f p99_ms=%.2f non2xx=%d requests=%d\n",
		summary.requests / (summary.duration / 1e6),
		latency:percentile(50) / 1000, latency:percentile(99) / 1000,
		bad, summary.requests))
end
