#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# nginx under wrk load: a keep-alive run on a small file, a run with a mix
# of methods, paths and statuses (mix.lua), a run pipelining 4 requests
# per write (pipeline.lua); then curl on /slow/, proxied to a python
# upstream that sleeps 3 to 180 ms, where nginx is a client too. nginx's access log per
# (method,status) must equal the observer's server-side counts, no event
# may be dropped, and the observer's p50/p90 must fall in the OTel bucket
# of the access log's $request_time quantile or a neighbouring one.
#
# Exactness at the end of a run: wrk exits with requests in flight. When
# nginx's write of such a response fails (the peer is gone) nginx still
# logs the request, with fewer $bytes_sent than a complete answer to the
# same (method, uri, status); the observer sees the failed write and may
# count it as incomplete instead; a request whose client left before the
# answer is logged as 499 and is unanswered for the observer. Those lines
# (normally a handful) widen the accepted range by their number; every
# other line must be matched exactly.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
bt_init nginx_wrk
bt_need_cmd wrk

OBS_PORT=19466
NGX_PORT=18082
PY_PORT=18182
BASE=http://127.0.0.1:$NGX_PORT
DUR=${BT_WRK_SECONDS:-5}

bt_pyserver_start "$PY_PORT"
bt_nginx_start "$NGX_PORT" "$PY_PORT"
bt_observer_start "$OBS_PORT"
: >"$BT_NGX_ACCESS"

# Requests are built in init(): wrk.format() needs wrk.host, which is not
# set yet while the script loads. No HEAD: wrk parses every answer as if
# it had a body, so a HEAD answer would desynchronise it.
cat >"$BT_TMP/mix.lua" <<'EOF'
-- A rotating mix of methods, paths and statuses on keep-alive connections.
local reqs
local i = 0
init = function(args)
  local body = string.rep("x", 4096)
  reqs = {
    wrk.format("GET", "/small.txt"),
    wrk.format("GET", "/status/404"),
    wrk.format("GET", "/status/201"),
    wrk.format("GET", "/status/204"),
    wrk.format("GET", "/status/304"),
    wrk.format("GET", "/status/503"),
    wrk.format("GET", "/gz/text.txt", { ["Accept-Encoding"] = "gzip" }),
    wrk.format("POST", "/post", { ["Content-Type"] = "application/octet-stream" }, body),
    wrk.format("PUT", "/status/201", { ["Content-Type"] = "text/plain" }, "put body"),
    wrk.format("DELETE", "/status/204", {}),
    wrk.format("GET", "/missing.txt"),
  }
end
request = function()
  i = i % #reqs + 1
  return reqs[i]
end
EOF

cat >"$BT_TMP/pipeline.lua" <<'EOF'
-- Pipelining, depth 4 (BT_PIPELINE_MAX): four requests per write.
init = function(args)
  local r = {}
  r[1] = wrk.format("GET", "/small.txt")
  r[2] = wrk.format("GET", "/status/404")
  r[3] = wrk.format("GET", "/gz/text.txt", { ["Accept-Encoding"] = "gzip" })
  r[4] = wrk.format("GET", "/status/201")
  req = table.concat(r)
end
request = function()
  return req
end
EOF

run_wrk() { # label args...
	local label=$1
	shift
	bt_log "wrk $label: wrk $*"
	wrk "$@" >"$BT_ART/wrk-$label.txt" 2>&1 || bt_check_fail "wrk $label exited with status $?"
	sed 's/^/    /' "$BT_ART/wrk-$label.txt"
}

run_wrk keepalive -t2 -c16 -d"${DUR}s" "$BASE/small.txt"
run_wrk mix -t2 -c16 -d"${DUR}s" -s "$BT_TMP/mix.lua" "$BASE/"
# Boundary framing (capture.framing: boundary) takes one request at a
# time per connection by design: pipelined requests are its documented
# limit, not something to count exactly.
if [ "${BT_CAPTURE_FRAMING:-full}" = boundary ]; then
	bt_log "wrk pipeline: not run with capture.framing boundary (no pipelining, docs/capture.md)"
else
	run_wrk pipeline -t2 -c8 -d"${DUR}s" -s "$BT_TMP/pipeline.lua" "$BASE/"
fi
# The slow requests come from curl, not wrk: every one of them completes,
# so nothing is left in flight for the exact counts of the proxy's side.
slow_pids=()
bt_log "slow: 4 curl processes x 48 keep-alive requests to /slow/{3,15,30,60,85,180}"
for _ in 1 2 3 4; do
	args=()
	for _ in $(seq 8); do
		for ms in 3 15 30 60 85 180; do
			args+=(-o /dev/null "$BASE/slow/$ms")
		done
	done
	curl -s "${args[@]}" &
	slow_pids+=($!)
done
for p in "${slow_pids[@]}"; do
	wait "$p" || bt_check_fail "curl on /slow/ exited with status $?"
done
sleep 0.5

log=$BT_NGX_ACCESS
bt_log "access log: $(wc -l <"$log") requests"
# Per (method, uri, status) the largest $bytes_sent is a complete answer;
# smaller ones are writes cut short by wrk's exit (see the header).
: >"$BT_TMP/low.txt"
: >"$BT_TMP/high.txt"
: >"$BT_TMP/cut.txt"
awk '
	{ key = $1 " " $4 " " $2; n[NR] = key; b[NR] = $6; m[NR] = $1 " " $2
	  if ($6 > full[key]) full[key] = $6 }
	END {
		for (i = 1; i <= NR; i++) {
			if (b[i] == full[n[i]] && m[i] !~ / 499$/) low[m[i]]++; else cut[m[i]]++
			high[m[i]]++
		}
		for (k in low) print k, low[k] > "'"$BT_TMP/low.txt"'"
		for (k in high) print k, high[k] > "'"$BT_TMP/high.txt"'"
		for (k in cut) print k, cut[k] > "'"$BT_TMP/cut.txt"'"
	}' "$log"
if [ -s "$BT_TMP/cut.txt" ]; then
	bt_log "access-log lines with a short \$bytes_sent (cut by wrk's exit):"
	sed 's/^/    /' "$BT_TMP/cut.txt"
fi
awk '{ print $3 }' "$log" >"$BT_TMP/request_time.txt"
awk '$4 ~ /^\/slow\// { print $3 }' "$log" >"$BT_TMP/request_time_slow.txt"
head -n 1000 "$log" >"$BT_ART/access-head.log"
bt_access_counts "$log" >"$BT_ART/access-counts.txt"

bt_wait_within "server nginx" "$BT_TMP/low.txt" "$BT_TMP/high.txt" \
	http_server_request_duration_seconds_count http_request_method,http_response_status_code \
	service_name=nginx || bt_check_fail "server-side counts for nginx differ from the access log"

# nginx as the proxy's client: what the upstream says it answered.
bt_wait_counts "client nginx (proxy)" "$BT_PYS_COUNTS" \
	http_client_request_duration_seconds_count http_request_method,http_response_status_code \
	service_name=nginx server_port="$PY_PORT" || bt_check_fail "client-side counts for nginx -> upstream differ"

bt_check_no_drops

bt_scrape "$BT_ART/metrics-final.prom"
bt_log "latency of all nginx requests:"
bt_promq latency "$BT_ART/metrics-final.prom" http_server_request_duration_seconds \
	"$BT_TMP/request_time.txt" 0.5,0.9 service_name=nginx ||
	bt_check_fail "observer latency quantiles disagree with nginx \$request_time"
bt_log "latency of the proxied /slow/ requests ($(wc -l <"$BT_TMP/request_time_slow.txt") of them):"
bt_promq latency "$BT_ART/metrics-final.prom" http_server_request_duration_seconds \
	"$BT_TMP/request_time_slow.txt" 0.5,0.9 service_name=nginx 'http_route=~/slow/.*' ||
	bt_check_fail "observer latency quantiles of /slow/ disagree with nginx \$request_time"

bt_promq series "$BT_ART/metrics-final.prom" biothings_http_requests_unanswered_total service_name=nginx | sed 's/^/    unanswered /'
bt_promq series "$BT_ART/metrics-final.prom" biothings_http_responses_incomplete_total service_name=nginx | sed 's/^/    incomplete /'

bt_observer_stop_checked
bt_finish
