#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Health, SLA and performance end to end. nginx (named bt-health-web by a
# port rule) serves a stream this test controls: 200s, 404s, 5xx from
# /status/NNN and slow answers through tests/e2e/pyserver.py (/slow/MS,
# over the 500 ms latency target). Then:
#   - /health/sla gives availability = good/total exactly (good: not 5xx and
#     under the target), the error rate, burn rates and budget from the same
#     counts, compliant false, the fast-burn page firing; the gauges in
#     /metrics carry the same availability; /health is 200 and degraded;
#   - /performance/summary counts every request of the stream by route, the
#     slow route over the 600 ms warning; /performance/endpoint answers for
#     a raw path and for the route itself (URL-encoded);
#   - every endpoint answers valid JSON; bad parameters get a 400 JSON error;
#   - restarted on the same state dir with a check on a closed port and a
#     memory threshold no host meets, /health answers 503 unhealthy, the
#     30-day counts and the history from before the restart are still there,
#     and POST /health/component/NAME/test reports the check unhealthy;
#   - after a SIGKILL, nothing counted more than one history interval (1 s)
#     before the kill is lost.
set -uo pipefail
export BT_READY_TIMEOUT=${BT_READY_TIMEOUT:-30}
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
bt_init health

OBS=19740
NGX=18740
PYS=18741
CLOSED=18742 # nothing listens here
SVC=bt-health-web
BT_KEEP_STATE=1

write_config() { # write_config [extra yaml]
	cat >"$BT_TMP/observer.yaml" <<EOF
services:
  - name: $SVC
    match: {port: $NGX}
sla:
  objective: 0.999
  latency_target: 500ms
performance:
  api_warning: 600ms
  api_critical: 5s
history:
  interval: 1s
${1:-}
EOF
}

URL=http://127.0.0.1:$NGX
get() { curl -s -o /dev/null --max-time 10 "$URL$1" || bt_check_fail "GET $1 failed"; }
code_of() { curl -s -o "$BT_TMP/body.json" -w '%{http_code}' --max-time 10 "${@:2}" "http://127.0.0.1:$OBS$1"; }
valid_json() { "$BT_PY" -c 'import json,sys; json.load(open(sys.argv[1]))' "$BT_TMP/body.json" 2>/dev/null; }
expect_code() { # expect_code CODE PATH [curl args]: and a JSON body
	local want=$1 path=$2 got
	shift 2
	got=$(code_of "$path" "$@")
	[ "$got" = "$want" ] || bt_check_fail "$path: expected $want, got $got: $(head -c 300 "$BT_TMP/body.json")"
	valid_json || bt_check_fail "$path: body is not JSON: $(head -c 300 "$BT_TMP/body.json")"
	bt_log "$path -> $got $(head -c 160 "$BT_TMP/body.json")"
}
# jcheck PATH PYTHON: runs PYTHON with j = the JSON of GET PATH; a failed assert is a failed check
jcheck() {
	curl -s --max-time 10 "http://127.0.0.1:$OBS$1" >"$BT_TMP/j.json"
	"$BT_PY" - "$BT_TMP/j.json" "$2" <<'PY' || bt_check_fail "$1: $2"
import json, sys
j = json.load(open(sys.argv[1]))
try:
    exec(sys.argv[2])
except AssertionError as e:
    print('assertion failed:', e, '\n', json.dumps(j)[:1500])
    sys.exit(1)
PY
}
# wait_for PATH PYEXPR: polls until PYEXPR (j = the JSON) is true, up to BT_SETTLE + 10 s
wait_for() {
	local i
	for ((i = 0; i < (BT_SETTLE + 10) * 5; i++)); do
		curl -s --max-time 5 "http://127.0.0.1:$OBS$1" >"$BT_TMP/w.json" 2>/dev/null &&
			"$BT_PY" -c "import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if ($2) else 1)" \
				"$BT_TMP/w.json" 2>/dev/null && return 0
		sleep 0.2
	done
	bt_check_fail "$1: not true within $((BT_SETTLE + 10))s: $2 (last: $(head -c 400 "$BT_TMP/w.json"))"
	return 1
}

write_config
bt_pyserver_start "$PYS"
bt_nginx_start "$NGX" "$PYS"
bt_observer_start "$OBS" --config "$BT_TMP/observer.yaml"
T_START=$(date +%s)

bt_log "a request stream with a known answer: 52 requests, 45 good"
for i in $(seq 1 40); do get /small.txt; done
for i in 1 2 3 4 5; do get /status/404; done # client errors are good
for i in 1 2 3; do get /status/500; done
for i in 1 2; do get /status/503; done
for i in 1 2; do get /slow/700; done # 200, but slower than the 500 ms target
TOTAL=52
GOOD=45
ERRORS=5
SLA="/health/sla?service=$SVC"
wait_for "$SLA" "j['services'][0]['requests']['1h'] >= $TOTAL"

bt_log "SLA figures from the stream"
jcheck "$SLA" "
s = j['services'][0]
assert s['service'] == '$SVC'
assert j['objective'] == 0.999 and j['latency_target_ms'] == 500
for w in ('1h', '24h', '7d', '30d'):
    assert s['requests'][w] == $TOTAL, ('requests', w, s['requests'])
    assert s['good'][w] == $GOOD, ('good', w, s['good'])
    assert s['availability'][w] == $GOOD / $TOTAL, ('availability', w, s['availability'][w])
burn = ($TOTAL - $GOOD) / $TOTAL / (1 - 0.999)
for w in ('5m', '30m', '1h', '2h', '6h', '24h', '3d'):
    assert abs(s['burn_rates'][w] - burn) < 1e-9 * burn, ('burn', w, s['burn_rates'][w], burn)
assert abs(s['error_budget_remaining'] - (1 - burn)) < 1e-9 * burn, s['error_budget_remaining']
assert s['error_rate']['value'] == $ERRORS / $TOTAL and s['error_rate']['ok'] is False
assert abs(s['error_rate']['target'] - 0.001) < 1e-12
assert s['p95_ms']['value'] is not None and s['p95_ms']['target'] == 500
assert s['availability_ok'] is False and s['compliant'] is False
assert [a['firing'] for a in s['alerts']] == [True, True, True, True], s['alerts']
"
expect_code 404 "/health/sla?service=no-such-service"
jcheck /business/sla-compliance "
mine = [s for s in j['services'] if s['service'] == '$SVC']
assert len(mine) == 1 and mine[0]['compliant'] is False
assert mine[0]['availability_30d'] == $GOOD / $TOTAL
assert j['services_total'] >= 1 and j['services_compliant'] < j['services_total']
assert j['compliant'] is False and j['worst'] is not None
assert j['overall']['requests_30d'] >= $TOTAL
"

bt_log "the gauges say the same"
ok=
for ((i = 0; i < (BT_SETTLE + 10) * 5; i++)); do
	bt_scrape "$BT_TMP/m.prom"
	v=$(bt_promq series "$BT_TMP/m.prom" biothings_sla_availability_ratio "service_name=$SVC" window=1h | awk '{print $NF}')
	if [ -n "$v" ] && "$BT_PY" -c "import sys; sys.exit(0 if float('$v') == $GOOD / $TOTAL else 1)"; then
		ok=1
		break
	fi
	sleep 0.2
done
[ -n "$ok" ] || bt_check_fail "biothings_sla_availability_ratio{window=1h} of $SVC: '$v', expected $GOOD/$TOTAL"
for f in biothings_sla_error_budget_remaining_ratio biothings_sla_burn_rate; do
	grep -q "^$f{.*service_name=\"$SVC\"" "$BT_TMP/m.prom" || bt_check_fail "$f of $SVC missing"
done
[ "$(bt_promq series "$BT_TMP/m.prom" biothings_health_status | awk '{s += $NF} END {print s}')" = 1 ] ||
	bt_check_fail "biothings_health_status is not a state set: $(bt_promq series "$BT_TMP/m.prom" biothings_health_status)"

bt_log "/health: serving, degraded by the burning service"
expect_code 200 /health
jcheck /health "
assert j['status'] in ('healthy', 'degraded')
assert any('$SVC' in r for r in j['reasons']), j['reasons']
assert j['status'] == 'degraded'
"

bt_log "performance by route"
jcheck "/performance/summary?service=$SVC" "
r = [x for x in j['routes'] if x['service'] == '$SVC']
assert sum(x['requests'] for x in r) == $TOTAL, r
assert sum(x['errors'] for x in r) == $ERRORS
slow = [x for x in r if x['route'].startswith('/slow')]
assert len(slow) == 1 and slow[0]['requests'] == 2, slow
assert slow[0]['over_warning'] == 2 and slow[0]['over_critical'] == 0, slow
assert slow[0]['level'] == 'warning' and slow[0]['p50_ms'] >= 600, slow
small = [x for x in r if x['route'] == '/small.txt']
assert len(small) == 1 and small[0]['requests'] == 40 and small[0]['error_rate'] == 0, small
assert small[0]['p99_ms'] < 500 and small[0]['level'] == 'ok'
assert j['thresholds']['api'] == {'warning_ms': 600, 'critical_ms': 5000}, j['thresholds']
"
jcheck "/performance/summary" "assert len(j['upstreams']) >= 1 and 0 < j['window_s'] <= 300"
SLOW_ROUTE=$("$BT_PY" -c "import json; j=json.load(open('$BT_TMP/j.json')); print([x['route'] for x in j['routes'] if x['service']=='$SVC' and x['route'].startswith('/slow')][0])" 2>/dev/null)
bt_log "slow route: $SLOW_ROUTE"
jcheck "/performance/endpoint/slow/700?service=$SVC" "
assert j['route'] == '$SLOW_ROUTE' and j['path'] == '/slow/700'
assert j['requests'] == 2 and j['services'][0]['service'] == '$SVC'
assert sum(m['requests'] for m in j['services'][0]['per_minute']) == 2
"
ENC=$("$BT_PY" -c "import urllib.parse,sys; print(urllib.parse.quote(sys.argv[1], safe=''))" "$SLOW_ROUTE")
jcheck "/performance/endpoint/$ENC?service=$SVC" "assert j['route'] == '$SLOW_ROUTE' and j['requests'] == 2"
expect_code 404 /performance/endpoint/no/such/route/anywhere/here

bt_log "every endpoint answers JSON"
sleep 2 # two history intervals: snapshots exist
for p in /health /health/detailed /health/history /health/sla /business/sla-compliance \
	/performance/summary "/performance/summary?window=1h" /metrics/current /metrics/history \
	"/metrics/history?step=1m&from=$T_START"; do
	expect_code 200 "$p"
done
jcheck /health/detailed "
assert j['status'] in ('healthy', 'degraded')
assert any(s['service'] == '$SVC' for s in j['services'])
assert j['observer']['history_store'] == 'ok'
assert isinstance(j['components'], list)
"
jcheck /metrics/current "assert j['requests']['count'] >= $TOTAL and j['services'] >= 1"
jcheck "/metrics/history?from=$T_START&step=1" "
assert len(j['points']) >= 2, j
assert sum(p['requests'] for p in j['points']) >= $TOTAL
assert j['step_s'] == 1 and j['interval_s'] == 1
"
jcheck /health/history "assert j['count'] >= 1 and j['transitions'][0]['previous'] in ('unknown', 'healthy', 'degraded', 'unhealthy')"

bt_log "bad parameters"
for p in "/health?x=1" "/health/history?limit=0" "/health/history?limit=abc" "/health/history?from=yesterday" \
	"/health/history?from=2000&to=1000" "/health/sla?bogus=1" "/metrics/history?step=0" \
	"/metrics/history?step=100ms" "/metrics/history?from=0&step=1" "/performance/summary?window=2h" \
	"/performance/summary?window=0" "/performance/endpoint/x?window=abc" "/metrics/current?a=b"; do
	expect_code 400 "$p"
done
expect_code 404 /health/component/x/test -X POST
expect_code 405 /health/detailed -X POST

bt_log "restart on the same state: a closed port and an impossible memory threshold"
bt_observer_stop_checked
write_config "resources:
  memory_warning: 0.00005
  memory_critical: 0.0001
checks:
  - {name: closed-port, type: tcp, target: 127.0.0.1:$CLOSED, interval: 1s, timeout: 500ms}"
T_RESTART=$(date +%s)
bt_observer_start "$OBS" --config "$BT_TMP/observer.yaml"
jcheck "$SLA" "
s = j['services'][0]
assert s['requests']['30d'] == $TOTAL and s['good']['30d'] == $GOOD, s['requests']
assert s['availability']['30d'] == $GOOD / $TOTAL
"
wait_for /health/detailed "j['status'] == 'unhealthy'"
expect_code 503 /health
jcheck /health "
assert j['status'] == 'unhealthy'
assert any('memory' in r for r in j['reasons']) or any('closed-port' in r for r in j['reasons']), j
"
jcheck "/health/history?to=$T_RESTART" "assert j['count'] >= 1, 'no history from before the restart'"
jcheck "/metrics/history?from=$T_START&to=$T_RESTART&step=1" "assert sum(p['requests'] for p in j['points']) >= $TOTAL"
wait_for /health/history "any(t['status'] == 'unhealthy' for t in j['transitions'])"
expect_code 200 /health/component/closed-port/test -X POST
jcheck /health/detailed "assert [c['status'] for c in j['components'] if c['name'] == 'closed-port'] == ['unhealthy'], j['components']"
code=$(code_of /health/component/closed-port/test -X POST)
"$BT_PY" -c "import json; j=json.load(open('$BT_TMP/body.json')); assert j['status']=='unhealthy' and j['error'], j" ||
	bt_check_fail "component test: $code $(cat "$BT_TMP/body.json")"

bt_log "SIGKILL loses at most one history interval"
for i in $(seq 1 10); do get /small.txt; done
wait_for "$SLA" "j['services'][0]['requests']['30d'] == $((TOTAL + 10))"
sleep 2.5 # more than two history intervals: the minutes are written
kill -KILL "$BT_OBS_PID"
wait "$BT_OBS_PID" 2>/dev/null
BT_OBS_PID=
bt_observer_start "$OBS" --config "$BT_TMP/observer.yaml"
jcheck "$SLA" "assert j['services'][0]['requests']['30d'] == $((TOTAL + 10)), j['services'][0]['requests']"
bt_observer_stop_checked
bt_finish
