#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# The Prometheus and Alertmanager files of deploy/ pass their own tools
# and do what they say:
#   - promtool check rules / check config, and promtool test rules: every
#     alert is expected both firing and silent (monitoring.py coverage);
#     every alert carries severity, family, summary, description, runbook;
#     every metric the rules and dashboards read exists (or is listed as
#     pending in deploy/grafana/pending-metrics.txt);
#   - the Kubernetes scrape job, run by a real Prometheus on pods fed
#     through file_sd with the labels Kubernetes discovery would give,
#     keeps exactly the observer pods, on the annotated port and path, as
#     job biothings-observer named after their node;
#   - the rendered Alertmanager config passes amtool check-config (with
#     defaults and with hostile values), routes critical and warning
#     alerts to their receivers, and a real Alertmanager inhibits a
#     warning by its critical twin and by a cluster-wide critical alert,
#     and nothing else;
#   - the dashboards' structure, and the compose file's;
#   - and each check fails on a broken copy, so a pass means something.
# It starts no observer: only promtool, prometheus and alertmanager, on
# loopback.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
bt_init prom_rules
bt_need_cmd promtool amtool prometheus
AM_BIN=$(command -v prometheus-alertmanager || command -v alertmanager) || bt_skip "alertmanager not installed"
"$BT_PY" -c 'import yaml' 2>/dev/null || bt_skip "python3 yaml module not installed"

D=$BT_ROOT/deploy
MON=$BT_E2E_DIR/monitoring.py
PROM_PORT=19652
AM_PORT=19653

# run TITLE CMD...: runs CMD, keeps its output in the artifacts, records a
# failed check on a non-zero exit.
run() {
	local title=$1 log
	shift
	log=$BT_ART/$(echo "$title" | tr -c 'a-zA-Z0-9\n' '_').log
	if "$@" >"$log" 2>&1; then
		bt_log "ok: $title"
	else
		bt_check_fail "$title (exit $?):"
		tail -n 40 "$log" | sed 's/^/    /'
	fi
}

# must_fail TITLE CMD...: CMD must exit non-zero (a check proven able to fail).
must_fail() {
	local title=$1
	shift
	if "$@" >"$BT_ART/must-fail.log" 2>&1; then
		bt_check_fail "expected a failure: $title"
	else
		bt_log "ok: fails as it should: $title"
	fi
}

bt_log "rules, configs and their unit tests"
run "promtool check rules" promtool check rules "$D"/prometheus/rules/*.yml
run "promtool check config prometheus.yml" promtool check config "$D/prometheus/prometheus.yml"
run "promtool test rules" promtool test rules "$D"/prometheus/tests/*.yml
run "alert labels and annotations" "$BT_PY" "$MON" alerts "$D/prometheus/rules"
run "every alert fires and stays silent in a test" "$BT_PY" "$MON" coverage "$D/prometheus/rules" "$D/prometheus/tests"
run "metric names exist" "$BT_PY" "$MON" names "$BT_ROOT/user" "$D/grafana/pending-metrics.txt" \
	"$D/prometheus/rules" "$D/grafana/dashboards"
run "dashboards structure" "$BT_PY" "$MON" dashboards "$D/grafana/dashboards" biothings-prometheus
run "docker-compose.yml structure" "$BT_PY" "$MON" compose "$D/docker-compose.yml"
for f in "$D"/grafana/provisioning/*/*.yml; do
	run "provisioning $(basename "$(dirname "$f")") parses" "$BT_PY" -c 'import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); assert d["apiVersion"] == 1, d' "$f"
done
grep -q 'uid: biothings-prometheus' "$D/grafana/provisioning/datasources/biothings.yml" ||
	bt_check_fail "the datasource uid is not the dashboards' default (biothings-prometheus)"

bt_log "the checks fail on broken copies"
B=$BT_TMP/broken
mkdir -p "$B/rules" "$B/tests" "$B/dash"
cp "$D"/prometheus/rules/*.yml "$B/rules/"
sed -i 's/expr: up{job="biothings-observer"} == 0/expr: up{job="biothings-observer"} === 0/' "$B/rules/alerts-system.yml"
must_fail "promtool check rules on a syntax error" promtool check rules "$B/rules/alerts-system.yml"
cp "$D"/prometheus/rules/*.yml "$B/rules/"
sed -i '0,/for: 30s/s//for: 45s/' "$B/rules/alerts-system.yml"
cp "$D/prometheus/tests/system.yml" "$B/tests/" # its ../rules/ is now $B/rules
must_fail "promtool test rules when ObserverDown waits 45 s" promtool test rules "$B/tests/system.yml"
cp "$D"/prometheus/rules/*.yml "$B/rules/"
sed -i '0,/          runbook: /s//          no_runbook: /' "$B/rules/alerts-llm.yml"
must_fail "an alert without runbook" "$BT_PY" "$MON" alerts "$B/rules"
cp "$D"/prometheus/rules/*.yml "$B/rules/"
"$BT_PY" - "$D/prometheus/tests" "$B/tests" <<'PY'
import os, sys, yaml
src, dst = sys.argv[1:]
for f in os.listdir(src):
    d = yaml.safe_load(open(os.path.join(src, f)))
    for t in d['tests']:  # forget every firing expectation of the memory warning
        t['alert_rule_test'] = [c for c in t.get('alert_rule_test', [])
                                if not (c['alertname'] == 'BioThingsHostMemoryHigh' and c['exp_alerts'])]
    yaml.safe_dump(d, open(os.path.join(dst, f), 'w'))
PY
must_fail "coverage when no test fires BioThingsHostMemoryHigh" "$BT_PY" "$MON" coverage "$B/rules" "$B/tests"
cp "$D"/grafana/dashboards/*.json "$B/dash/"
# shellcheck disable=SC2016 # a literal $service
sed -i '0,/service_name=~\\"\$service\\"/s//service_name=\\"$service\\"/' "$B/dash/system-overview.json"
must_fail "a dashboard matching a variable with =" "$BT_PY" "$MON" dashboards "$B/dash" biothings-prometheus
cp "$D"/grafana/dashboards/*.json "$B/dash/"
sed -i '0,/biothings_llm_requests_total/s//biothings_llm_request_total/' "$B/dash/agent-performance.json"
must_fail "a dashboard with a misspelt metric" "$BT_PY" "$MON" names "$BT_ROOT/user" \
	"$D/grafana/pending-metrics.txt" "$D/prometheus/rules" "$B/dash"
printf 'biothings_llm_requests_total #99\n' >>"$B/pending.txt"
cat "$D/grafana/pending-metrics.txt" >>"$B/pending.txt"
must_fail "a pending metric the observer already defines" "$BT_PY" "$MON" names "$BT_ROOT/user" \
	"$B/pending.txt" "$D/prometheus/rules" "$D/grafana/dashboards"

bt_log "the Kubernetes scrape job on fake pods"
K=$BT_TMP/k8s
mkdir -p "$K"
if promtool check config "$D/prometheus/prometheus-kubernetes.yml" >"$BT_ART/k8s-check.log" 2>&1; then
	bt_log "ok: promtool check config prometheus-kubernetes.yml"
elif grep -q 'kubernetes_sd_configs not found' "$BT_ART/k8s-check.log"; then
	bt_log "this promtool has no Kubernetes discovery (Debian's build): the job is checked through file_sd"
else
	bt_check_fail "promtool check config prometheus-kubernetes.yml: $(cat "$BT_ART/k8s-check.log")"
fi
"$BT_PY" - "$D/prometheus/prometheus-kubernetes.yml" "$K" "$AM_PORT" <<'PY' || bt_fail "could not write the file_sd copy"
import json, os, sys, yaml
src, out, am = sys.argv[1:]
d = yaml.safe_load(open(src))
n = 0
for sc in d['scrape_configs']:
    if 'kubernetes_sd_configs' in sc:
        del sc['kubernetes_sd_configs']
        sc['file_sd_configs'] = [{'files': [os.path.join(out, 'pods.json')], 'refresh_interval': '1s'}]
        n += 1
assert n == 1, 'expected one kubernetes job, found %d' % n
d['alerting']['alertmanagers'][0]['static_configs'][0]['targets'] = ['127.0.0.1:' + am]
d['global']['scrape_interval'] = d['global']['evaluation_interval'] = '1s'
d['global']['scrape_timeout'] = '1s'
yaml.safe_dump(d, open(os.path.join(out, 'prometheus.yml'), 'w'))
# What role: pod discovery gives for each pod (only the labels the job reads).
def pod(addr, node, name, ann, app):
    l = {'__meta_kubernetes_namespace': 'biothings-observer', '__meta_kubernetes_pod_name': name,
         '__meta_kubernetes_pod_node_name': node}
    for k, v in ann.items():
        l['__meta_kubernetes_pod_annotation_prometheus_io_' + k] = v
    if app:
        l['__meta_kubernetes_pod_label_app_kubernetes_io_name'] = app
    return {'targets': [addr], 'labels': l}
json.dump([
    pod('10.0.0.5:8080', 'node-1', 'obs-a', {'scrape': 'true', 'port': '9464', 'path': '/metrics'}, 'biothings-observer'),
    pod('10.0.0.6', 'node-2', 'web', {'scrape': 'true', 'port': '9999'}, 'other-app'),
    pod('10.0.0.7:9464', 'node-3', 'obs-c', {}, 'biothings-observer'),
    pod('10.0.0.8:9464', 'node-4', 'obs-d', {'scrape': 'true', 'path': '/prometheus/metrics'}, 'biothings-observer'),
], open(os.path.join(out, 'pods.json'), 'w'))
PY
mkdir -p "$K/rules"
cp "$D"/prometheus/rules/*.yml "$K/rules/"
run "promtool check config on the file_sd copy" promtool check config "$K/prometheus.yml"
prometheus --config.file="$K/prometheus.yml" --storage.tsdb.path="$K/data" \
	--web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn >"$BT_ART/prometheus-k8s.log" 2>&1 &
bt_track $! prometheus
want="instance=node-1 job=biothings-observer namespace=biothings-observer node=node-1 pod=obs-a http://10.0.0.5:9464/metrics
instance=node-4 job=biothings-observer namespace=biothings-observer node=node-4 pod=obs-d http://10.0.0.8:9464/prometheus/metrics
dropped 2"
got=
for ((i = 0; i < 200; i++)); do
	got=$(curl -s --max-time 2 "http://127.0.0.1:$PROM_PORT/api/v1/targets" | "$BT_PY" -c '
import json, sys
d = json.load(sys.stdin)["data"]
for t in sorted(d["activeTargets"], key=lambda t: t["scrapeUrl"]):
    print(" ".join("%s=%s" % kv for kv in sorted(t["labels"].items())), t["scrapeUrl"])
print("dropped", len(d["droppedTargets"]))' 2>/dev/null)
	[ "$got" = "$want" ] && break
	sleep 0.1
done
bt_log "kubernetes job targets:"
printf '%s\n' "$got" | sed 's/^/    /'
[ "$got" = "$want" ] || bt_check_fail "kubernetes job: expected
$want"
rules_bad=$(curl -s --max-time 2 "http://127.0.0.1:$PROM_PORT/api/v1/rules" | "$BT_PY" -c '
import json, sys
d = json.load(sys.stdin)["data"]
print(sum(len(g["rules"]) for g in d["groups"]), [r["name"] for g in d["groups"] for r in g["rules"] if r["health"] == "err"])')
bt_log "rules loaded by that prometheus (count, failing): $rules_bad"
case $rules_bad in "0 "* | *"'"*) bt_check_fail "rules did not load or fail to evaluate: $rules_bad" ;; esac

bt_log "alertmanager: render, check, route"
A=$BT_TMP/am
# Notifications must go nowhere real: closed local ports.
export BT_SLACK_WEBHOOK_URL=http://127.0.0.1:9/slack BT_SMTP_SMARTHOST=127.0.0.1:9
run "render.sh" "$D/alertmanager/render.sh" "$A"
run "amtool check-config (rendered)" amtool check-config "$A/alertmanager.yml"
out=$(amtool template render --template.glob="$A/biothings.tmpl" \
	--template.text='{{ template "bt.title" . }}|{{ template "bt.text" . }}' 2>&1)
case $out in *"|"*"Runbook:"*) bt_log "ok: notification templates render" ;;
*) bt_check_fail "amtool template render: $out" ;;
esac
route() { amtool config routes test --config.file="$A/alertmanager.yml" "$@" 2>/dev/null; }
for c in "critical severity=critical family=host_cpu instance=node-a" \
	"warnings severity=warning family=host_cpu instance=node-a" \
	"warnings alertname=SomethingElse"; do
	read -ra w <<<"$c"
	r=$(route "${w[@]:1}")
	[ "$r" = "${w[0]}" ] || bt_check_fail "route of ${w[*]:1}: expected ${w[0]}, got '$r'"
done
run "render.sh with every default" env -u BT_SLACK_WEBHOOK_URL -u BT_SMTP_SMARTHOST \
	"$D/alertmanager/render.sh" "$A/defaults"
run "amtool check-config (defaults)" amtool check-config "$A/defaults/alertmanager.yml"
BT_SMTP_PASSWORD='p"a\ss' BT_SLACK_CHANNEL_WARNING="#a'b" "$D/alertmanager/render.sh" "$A/hostile" 2>/dev/null ||
	bt_check_fail "render.sh refused quotes and a backslash"
amtool check-config "$A/hostile/alertmanager.yml" >/dev/null 2>&1 || bt_check_fail "hostile values broke the YAML"
v=$("$BT_PY" -c 'import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); print(d["global"]["smtp_auth_password"])' "$A/hostile/alertmanager.yml")
[ "$v" = 'p"a\ss' ] || bt_check_fail "the SMTP password came out as '$v'"
must_fail "render.sh with a newline in a value" env BT_SMTP_PASSWORD="$(printf 'a\nb')" "$D/alertmanager/render.sh" "$A/nl"
must_fail "render.sh with BT_SMTP_REQUIRE_TLS=yes" env BT_SMTP_REQUIRE_TLS=yes "$D/alertmanager/render.sh" "$A/tls"

bt_log "alertmanager: inhibition on a live instance"
"$AM_BIN" --config.file="$A/alertmanager.yml" --storage.path="$A/data" \
	--web.listen-address="127.0.0.1:$AM_PORT" --cluster.listen-address= --log.level=warn \
	>"$BT_ART/alertmanager.log" 2>&1 &
bt_track $! alertmanager
for ((i = 0; i < 100; i++)); do
	curl -sf -o /dev/null --max-time 1 "http://127.0.0.1:$AM_PORT/-/ready" && break
	sleep 0.1
done
alert() { # alert name k=v...
	local n=$1 l k
	shift
	l="\"alertname\":\"$n\""
	for k in "$@"; do l="$l,\"${k%%=*}\":\"${k#*=}\""; done
	printf '{"labels":{%s},"annotations":{"summary":"test"}}' "$l"
}
body="[$(alert BioThingsHostCPUCritical severity=critical family=host_cpu instance=node-a),
$(alert BioThingsHostCPUHigh severity=warning family=host_cpu instance=node-a),
$(alert BioThingsHostCPUHigh severity=warning family=host_cpu instance=node-b),
$(alert BioThingsErrorBudgetBurn severity=critical family=error_budget service_name=api long_window=1h),
$(alert BioThingsErrorBudgetBurn severity=warning family=error_budget service_name=api long_window=1d),
$(alert BioThingsErrorBudgetBurn severity=warning family=error_budget service_name=web long_window=1d),
$(alert BioThingsLLMDailyCostCritical severity=critical family=llm_spend scope=cluster),
$(alert BioThingsLLMBudgetHigh severity=warning family=llm_spend instance=node-c period=daily),
$(alert OtherCritical severity=critical instance=node-b),
$(alert OtherWarning severity=warning instance=node-b)]"
curl -sf --max-time 5 -H 'Content-Type: application/json' -d "$body" \
	"http://127.0.0.1:$AM_PORT/api/v2/alerts" >/dev/null || bt_check_fail "posting alerts to alertmanager failed"
want="BioThingsErrorBudgetBurn severity=critical service_name=api active
BioThingsErrorBudgetBurn severity=warning service_name=api suppressed
BioThingsErrorBudgetBurn severity=warning service_name=web active
BioThingsHostCPUCritical severity=critical instance=node-a active
BioThingsHostCPUHigh severity=warning instance=node-a suppressed
BioThingsHostCPUHigh severity=warning instance=node-b active
BioThingsLLMBudgetHigh severity=warning instance=node-c suppressed
BioThingsLLMDailyCostCritical severity=critical active
OtherCritical severity=critical instance=node-b active
OtherWarning severity=warning instance=node-b active"
for ((i = 0; i < 50; i++)); do
	got=$(curl -s --max-time 2 "http://127.0.0.1:$AM_PORT/api/v2/alerts" | "$BT_PY" -c '
import json, sys
out = []
for a in json.load(sys.stdin):
    l = a["labels"]
    out.append(" ".join([l["alertname"], "severity=" + l["severity"]] +
                        ["%s=%s" % (k, l[k]) for k in ("instance", "service_name") if k in l] + [a["status"]["state"]]))
print("\n".join(sorted(out)))' 2>/dev/null)
	[ "$got" = "$want" ] && break
	sleep 0.1
done
bt_log "alertmanager states:"
printf '%s\n' "$got" | sed 's/^/    /'
[ "$got" = "$want" ] || bt_check_fail "inhibition: expected
$want"

bt_finish
