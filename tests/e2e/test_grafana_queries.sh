#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Every panel of the five Grafana dashboards works on live data. The
# observer watches a workload on loopback: a python application with
# 2xx, 4xx, 5xx, an unknown method and business API calls; four LLM
# agents calling the HTTPS mock providers (plain, streamed, rate-limited);
# tracked batch spend that puts the daily budget at 85 %. The no-Docker
# path of deploy/setup-monitoring.sh runs Prometheus (the shipped config
# and recording and alert rules, scraping every second) and Alertmanager.
# Then:
#   - every panel query (template variables as ".*", short ranges) is
#     run through Prometheus' HTTP API: any error fails, and so does a
#     dashboard where most panels that read no pending metric
#     (deploy/grafana/pending-metrics.txt) return nothing;
#   - no pending metric is exported yet (else its line must go);
#   - every rule evaluates without error on this data;
#   - setup-monitoring.sh status, logs, restart and stop do what they say.
set -uo pipefail
export BT_READY_TIMEOUT=${BT_READY_TIMEOUT:-30}
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
bt_init grafana_queries
# shellcheck source=tests/e2e/llm/lib_llm.sh
. "$BT_E2E_DIR/llm/lib_llm.sh"
bt_need_cmd prometheus openssl
command -v prometheus-alertmanager >/dev/null || command -v alertmanager >/dev/null ||
	bt_skip "alertmanager not installed"
"$BT_PY" -c 'import yaml' 2>/dev/null || bt_skip "python3 yaml module not installed"

OBS=19640
PROM=19641
AM=19642
APP=18670
D=$BT_ROOT/deploy
MON_SH=$D/setup-monitoring.sh
export BT_MON_MODE=native BT_MON_DIR=$BT_TMP/monitoring BT_OBSERVER_ADDR=127.0.0.1:$OBS
export BT_PROMETHEUS_ADDR=127.0.0.1:$PROM BT_ALERTMANAGER_ADDR=127.0.0.1:$AM BT_MON_SCRAPE_INTERVAL=1s
# Alertmanager must notify nobody: closed local ports.
export BT_SLACK_WEBHOOK_URL=http://127.0.0.1:9/slack BT_SMTP_SMARTHOST=127.0.0.1:9

export BT_LLM_CONFIG_EXTRA="  agent_types:
    - header: X-Agent-Type
budgets:
  daily_usd: 100
  monthly_usd: 10000
business:
  events:
    - {event: experiment_started, method: POST, path: /api/experiments, status: 201}
    - {event: experiment_completed, method: POST, path: '/api/experiments/{id}/complete', status: 2xx}
    - {event: experiment_failed, method: POST, path: '/api/experiments/{id}/complete', status: 5xx}
    - {event: publication_published, method: POST, path: /api/publications, status: 201}
    - {event: discovery_made, method: POST, path: /api/discoveries, status: 2xx}"
bt_llm_start "$OBS" 18660
bt_pyserver_start "$APP"

# mon CMD...: setup-monitoring.sh with its output in the artifacts.
mon() {
	"$MON_SH" "$@" >>"$BT_ART/setup-monitoring.log" 2>&1
}
# Our Prometheus and Alertmanager, for lib.sh's cleanup if the test dies.
track_monitoring() {
	local f
	for f in "$BT_MON_DIR"/run/*.pid; do
		[ -s "$f" ] && bt_track "$(cat "$f")" "$(basename "$f" .pid)"
	done
}

bt_log "monitoring stack (native) on 127.0.0.1:$PROM and :$AM"
mon start || bt_fail "setup-monitoring.sh start failed: $(tail -n 20 "$BT_ART/setup-monitoring.log")"
track_monitoring

llm() { # llm AGENT PROVIDER PATH BODY [curl args]
	local agent=$1 prov=$2 path=$3 body=$4 auth
	shift 4
	case $prov in
	anthropic) auth=(-H "x-api-key: $BT_LLM_XKEY" -H 'anthropic-version: 2023-06-01') ;;
	gemini) auth=(-H "x-goog-api-key: $BT_LLM_GKEY") ;;
	*) auth=(-H "Authorization: Bearer $BT_LLM_BEARER") ;;
	esac
	curl -s --cacert "$BT_CA" -o /dev/null --max-time 20 -H 'Content-Type: application/json' \
		-H "X-Mock-Client: $agent" -H "X-Agent-Type: $agent" "${auth[@]}" --data-binary "$body" "$@" \
		"${BT_LLM_URL[$prov]}$path"
}
app() { curl -s -o /dev/null --max-time 5 "$@"; }

# One round of everything; run twice, so that every counter grows after
# Prometheus first saw it (increase() needs two samples).
workload() {
	local i u=http://127.0.0.1:$APP
	for i in 1 2 3; do
		app "$u/cl/100"
		app "$u/status/200"
		app "$u/slow/30"
	done
	for c in 500 503 401 403 404; do app "$u/status/$c"; done
	app -X BREW "$u/pot"
	# Requests a security analyser (issue #6) should flag.
	app --path-as-is "$u/status/404?q=1%27%20OR%20%271%27=%271"
	app --path-as-is "$u/../../etc/passwd"
	app -X POST --data-binary '{}' "$u/api/experiments?status=201"
	app -X POST --data-binary '{}' "$u/api/experiments/7/complete"
	app -X POST --data-binary '{}' "$u/api/experiments/8/complete?status=500"
	app -X POST --data-binary '{}' "$u/api/publications?status=201"
	app -X POST --data-binary '{}' "$u/api/discoveries"
	llm literature openai /v1/chat/completions '{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}'
	llm literature openai /v1/chat/completions \
		'{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[]}' -N
	llm planner anthropic /v1/messages \
		'{"model":"claude-sonnet-4-5","max_tokens":100,"stream":true,"messages":[]}' -N
	llm planner anthropic /v1/messages '{"model":"claude-sonnet-4-5","max_tokens":100,"messages":[]}' \
		-H 'X-Mock-Scenario: 429'
	llm reviewer gemini /v1beta/models/gemini-2.5-flash:generateContent \
		'{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}'
	llm router openrouter /api/v1/chat/completions '{"model":"openai/gpt-4o-mini","messages":[]}'
	# A stream cut short: an unparsed exchange (stream_cut).
	llm router openai /v1/chat/completions \
		'{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[]}' -N \
		-H 'X-Mock-Scenario: drop'
}

q() { # q EXPR -> the number of series with a numeric value
	curl -s --max-time 5 -G "http://127.0.0.1:$PROM/api/v1/query" --data-urlencode "query=$1" |
		"$BT_PY" -c '
import json, sys
try:
    r = json.load(sys.stdin)["data"]["result"]
except (ValueError, KeyError):
    r = []
print(sum(1 for s in r if s["value"][1] not in ("NaN", "+Inf", "-Inf")))'
}
# wait_q TITLE EXPR: until EXPR has a series (30 s at most).
wait_q() {
	local i
	for ((i = 0; i < 150; i++)); do
		[ "$(q "$2")" -gt 0 ] && return 0
		sleep 0.2
	done
	bt_check_fail "prometheus: $1: no series of $2 within 30 s"
}

# Round 1 only once Prometheus scrapes the observer, round 2 only once it
# has seen round 1: a counter's first value is no increase.
wait_q "observer target up" 'up{job="biothings-observer"} == 1'
bt_log "workload, round 1"
workload
curl -s -o /dev/null --max-time 5 -H 'Content-Type: application/json' \
	-d '{"provider":"openai","model":"gpt-4o","input_tokens":1000,"output_tokens":10,"agent_type":"batch","cost_usd":85,"id":"grafana-1"}' \
	"http://127.0.0.1:$OBS/costs/track/llm"
wait_q "round 1 scraped" 'sum(biothings_business_events_total) >= 5 and sum(gen_ai_server_time_to_first_token_seconds_count) >= 2 and sum(biothings_llm_requests_total{status="429"}) >= 1'
bt_log "workload, round 2"
workload

# Until Prometheus has scraped round 2 and evaluated the rules on it.
ready=
for ((i = 0; i < 150; i++)); do
	if [ "$(q 'biothings:llm_requests:rate5m > 0')" -gt 0 ] &&
		[ "$(q 'biothings:http_server_error_ratio:rate5m > 0')" -gt 0 ] &&
		[ "$(q 'increase(biothings_business_events_total[5m]) > 0')" -gt 0 ] &&
		[ "$(q 'increase(biothings_llm_cost_usd_total[5m]) > 0')" -gt 0 ]; then
		ready=1
		break
	fi
	sleep 0.2
done
if [ -z "$ready" ]; then
	bt_check_fail "prometheus did not get the workload's series within 30 s"
	for e in 'biothings:llm_requests:rate5m > 0' 'biothings:http_server_error_ratio:rate5m > 0' \
		'increase(biothings_business_events_total[5m]) > 0' 'increase(biothings_llm_cost_usd_total[5m]) > 0'; do
		bt_log "    $e: $(q "$e") series"
	done
fi
sleep 2

bt_log "every panel query of every dashboard"
"$BT_PY" "$BT_E2E_DIR/monitoring.py" queries "$D/grafana/dashboards" "http://127.0.0.1:$PROM" \
	"$D/grafana/pending-metrics.txt" >"$BT_ART/queries.txt" 2>&1
rc=$?
sed 's/^/    /' "$BT_ART/queries.txt"
[ $rc -eq 0 ] || bt_check_fail "dashboard queries: see above"

bt_log "the query check fails on broken dashboards"
B=$BT_TMP/broken
mkdir -p "$B/syntax" "$B/empty"
cp "$D"/grafana/dashboards/cost-analysis.json "$B/syntax/"
sed -i '0,/"expr": "biothings:llm_spend_usd:sum/s//"expr": "biothings:llm_spend_usd:sum((/' "$B/syntax/cost-analysis.json"
"$BT_PY" "$BT_E2E_DIR/monitoring.py" queries "$B/syntax" "http://127.0.0.1:$PROM" \
	"$D/grafana/pending-metrics.txt" >"$BT_ART/queries-syntax.txt" 2>&1 &&
	bt_check_fail "a query with a syntax error passed"
cp "$D"/grafana/dashboards/cost-analysis.json "$B/empty/"
sed -i 's/biothings_llm_/biothings_nothing_/g; s/biothings:llm_/biothings:nothing_/g' "$B/empty/cost-analysis.json"
"$BT_PY" "$BT_E2E_DIR/monitoring.py" queries "$B/empty" "http://127.0.0.1:$PROM" \
	"$D/grafana/pending-metrics.txt" >"$BT_ART/queries-empty.txt" 2>&1 &&
	bt_check_fail "a dashboard of metrics that do not exist passed"
grep -q 'most panels return no data' "$BT_ART/queries-empty.txt" ||
	bt_check_fail "the empty dashboard failed for another reason: $(tail -n 3 "$BT_ART/queries-empty.txt")"

bt_log "pending metrics are not exported yet"
bt_scrape "$BT_ART/final.prom"
while read -r m issue _; do
	case $m in '' | '#'*) continue ;; esac
	if grep -q "^# TYPE $m " "$BT_ART/final.prom"; then
		bt_check_fail "$m ($issue) is exported now: remove it from deploy/grafana/pending-metrics.txt"
	fi
done <"$D/grafana/pending-metrics.txt"

bt_log "rules on live data"
curl -s --max-time 5 "http://127.0.0.1:$PROM/api/v1/rules" >"$BT_ART/rules.json"
"$BT_PY" - "$BT_ART/rules.json" <<'PY' || bt_check_fail "a rule failed to evaluate"
import json, sys
d = json.load(open(sys.argv[1]))["data"]["groups"]
rules = [r for g in d for r in g["rules"]]
bad = [(r["name"], r.get("lastError")) for r in rules if r["health"] != "ok"]
print("    %d rules in %d groups, %d not ok %s" % (len(rules), len(d), len(bad), bad))
sys.exit(1 if bad or len(rules) < 30 else 0)
PY

bt_log "setup-monitoring.sh status, logs, restart, stop"
mon status || bt_check_fail "status: exit $? while everything runs"
grep -q "observer target: 127.0.0.1:$OBS up" "$BT_ART/setup-monitoring.log" ||
	bt_check_fail "status does not report the observer target up"
[ -n "$("$MON_SH" logs prometheus)" ] || bt_check_fail "logs prometheus printed nothing"
"$MON_SH" logs grafana >/dev/null 2>&1 && bt_check_fail "logs grafana succeeded without Docker"
old=$(cat "$BT_MON_DIR/run/prometheus.pid")
mon restart || bt_check_fail "restart failed"
track_monitoring
new=$(cat "$BT_MON_DIR/run/prometheus.pid")
[ "$old" != "$new" ] || bt_check_fail "restart kept prometheus pid $old"
bt_alive "$old" && bt_check_fail "the old prometheus $old survived restart"
mon status || bt_check_fail "status after restart: exit $?"
pids=$(cat "$BT_MON_DIR"/run/*.pid)
mon stop || bt_check_fail "stop failed"
for p in $pids; do
	bt_wait_gone "$p" 5 || bt_check_fail "pid $p still runs after stop"
done
mon status
rc=$?
[ $rc -eq 3 ] || bt_check_fail "status after stop: expected exit 3, got $rc"
bt_log "setup-monitoring.sh output:"
sed 's/^/    /' "$BT_ART/setup-monitoring.log" | tail -n 30

bt_observer_stop_checked
bt_finish
