-- SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
-- wrk script of bench/run.sh. Prints machine-readable lines ("BT key=value")
-- at the end: totals and a latency percentile curve for the chart. Two
-- optional knobs, both read from the environment so one script serves
-- every pass; each adds a Lua call per request, so they are left unset in
-- the throughput rounds:
--   BENCH_PATHS=N     cycle through N distinct paths /r/x<letters> that the
--                     route heuristic keeps as N distinct routes (letters
--                     only, at most 5 of them: no rule turns them into
--                     {id} or {token})
--   BENCH_DELAY_MS=D  wait before each next request on a connection, D ms
--                     on average, exponentially distributed: with C
--                     connections the requests arrive as a Poisson stream of
--                     about C * 1000 / D per second. A fixed D would keep
--                     the connections in step (they all start at once), so
--                     requests would come in bursts of C and their latency
--                     would measure the queue of a burst, not a request.
-- It must not send anything but plain keep-alive GETs: wrk cannot parse a
-- HEAD answer and the observer's exact counts depend on it.

local npaths = tonumber(os.getenv("BENCH_PATHS") or "0")
local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
local counter = 0

local function letters(n)
	local s = ""
	repeat
		s = string.char(97 + n % 26) .. s
		n = math.floor(n / 26)
	until n == 0
	return s
end

if npaths > 0 then
	request = function()
		counter = counter + 1
		return wrk.format("GET", "/r/x" .. letters(counter % npaths))
	end
end

if delay_ms > 0 then
	math.randomseed(os.time())
	delay = function()
		-- wrk takes whole milliseconds; rounding keeps the mean
		return math.floor(-math.log(1 - math.random()) * delay_ms + 0.5)
	end
end

done = function(s, lat, req)
	local e = s.errors
	io.write(string.format("BT requests=%d\nBT duration_us=%d\nBT bytes=%d\nBT errors=%d\n",
		s.requests, s.duration, s.bytes,
		e.connect + e.read + e.write + e.status + e.timeout))
	for _, p in ipairs({1, 5, 10, 20, 30, 40, 50, 60, 70, 75, 80, 85, 90, 95, 97, 98, 99, 99.5, 99.9, 99.99}) do
		io.write(string.format("BT p%g=%d\n", p, lat:percentile(p)))
	end
	io.write(string.format("BT max=%d\n", lat.max))
end
