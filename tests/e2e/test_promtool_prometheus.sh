#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# The exposition is what Prometheus accepts: `promtool check metrics`
# finds nothing to say about /metrics (nor /prometheus/metrics) after
# traffic, and a real prometheus scraping the observer every second sees
# the target up on both paths and stores http_server_request_duration_seconds
# series from nginx.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
bt_init promtool_prometheus
bt_need_cmd promtool prometheus

OBS_PORT=19468
NGX_PORT=18084
PROM_PORT=19098
BASE=http://127.0.0.1:$NGX_PORT

bt_nginx_start "$NGX_PORT"
bt_observer_start "$OBS_PORT"

# Traffic that fills every family: statuses, methods, a client side.
urls=()
for u in /small.txt /status/404 /status/500 /status/201 /gz/text.txt /big.bin; do
	urls+=(-o /dev/null "$BASE$u")
done
curl -s "${urls[@]}" || bt_check_fail "curl traffic failed"
curl -s -o /dev/null -I "$BASE/small.txt"
curl -s -o /dev/null --data-binary "@$BT_POST_FILE" "$BASE/post"
sleep 1

for path in /metrics /prometheus/metrics; do
	f=$BT_ART/scrape$(echo "$path" | tr / _).prom
	bt_scrape "$f" "$path" || bt_check_fail "scrape of $path failed"
	out=$(promtool check metrics <"$f" 2>&1)
	rc=$?
	bt_log "promtool check metrics on $path: exit $rc, $(printf '%s' "$out" | wc -l) line(s) of output"
	[ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/    /'
	if [ "$rc" -ne 0 ] || [ -n "$out" ]; then
		bt_check_fail "promtool check metrics on $path: exit $rc with output"
	fi
done
n=$(bt_promq sum "$BT_ART/scrape_metrics.prom" http_server_request_duration_seconds_count service_name=nginx)
bt_log "nginx requests in the exposition: $n"
[ "${n:-0}" -gt 0 ] 2>/dev/null || bt_check_fail "no nginx series in /metrics after traffic"

cat >"$BT_TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: biothings
    static_configs:
      - targets: ['127.0.0.1:$OBS_PORT']
  - job_name: biothings-alt
    metrics_path: /prometheus/metrics
    static_configs:
      - targets: ['127.0.0.1:$OBS_PORT']
EOF
promtool check config "$BT_TMP/prometheus.yml" >/dev/null || bt_fail "promtool rejects the test's own prometheus.yml"

prometheus --config.file="$BT_TMP/prometheus.yml" --storage.tsdb.path="$BT_TMP/tsdb" \
	--web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn >"$BT_ART/prometheus.log" 2>&1 &
PROM_PID=$!
bt_track "$PROM_PID" prometheus

# query EXPR -> the JSON answer of the instant-query API.
query() {
	curl -s --max-time 5 -G "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$1"
}
# values EXPR -> "value" of each series, one a line.
values() {
	query "$1" | python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
except ValueError:
    sys.exit(0)
for r in d.get("data", {}).get("result", []):
    print(r["metric"].get("service_name", "-"), r["value"][1])'
}

up=
t0=$(date +%s%N)
for ((i = 0; i < 300; i++)); do
	bt_alive "$PROM_PID" || bt_fail "prometheus exited: $(tail -n 20 "$BT_ART/prometheus.log")"
	up=$(values 'up{job="biothings"} + on() up{job="biothings-alt"}' | awk '{ print $2 }')
	[ "$up" = 2 ] && break
	sleep 0.1
done
bt_log "prometheus: up{job=biothings} + up{job=biothings-alt}: expected 2, got '${up}' after $((($(date +%s%N) - t0) / 1000000)) ms"
[ "$up" = 2 ] || {
	bt_check_fail "prometheus does not see both observer targets up"
	curl -s "http://127.0.0.1:$PROM_PORT/api/v1/targets" | sed 's/^/    /'
}

series=
for ((i = 0; i < 100; i++)); do
	series=$(values 'http_server_request_duration_seconds_count{job="biothings",service_name="nginx"}')
	[ -n "$series" ] && break
	sleep 0.1
done
bt_log "prometheus: http_server_request_duration_seconds_count{service_name=\"nginx\"} series:"
printf '%s\n' "$series" | sed 's/^/    /'
[ -n "$series" ] || bt_check_fail "prometheus stored no nginx series"
bt_log "prometheus: sum: $(values 'sum(http_server_request_duration_seconds_count{job="biothings",service_name="nginx"})')"

kill -TERM "$PROM_PID"
bt_wait_gone "$PROM_PID" 10 || kill -KILL "$PROM_PID"
bt_observer_stop_checked
bt_finish
