#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# --log-format ecs end to end: what Filebeat or Fluent Bit would ship. The
# observer runs with its log on stdout in ECS; a python http server takes
# SQL injection, XSS and sensitive-path requests (one security event each,
# none for the benign ones), POST /costs/track/llm pushes the daily budget
# over its limit and then past critical (two audit lines), a config file
# and an exec matching logs.audit_exec add their audit lines. Then every
# line of the log must be one JSON object (no repeated key) with the ECS
# base fields, only ECS names or labels.*, and the fields of its category:
# security lines are alerts with the type as event.action and rule.name,
# a numeric severity, source.ip and the observed service; audit lines
# carry http.*/url.*/source.* (API writes), labels.* (budget), file.path
# (config) or process.* (exec). Counts are exact.
set -uo pipefail
export BT_READY_TIMEOUT=${BT_READY_TIMEOUT:-30}
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
bt_init log_ecs
export BT_OBS_LOG_FORMAT=ecs

OBS=19770
APP=18770
cat >"$BT_TMP/observer.yaml" <<EOF
budgets:
  daily_usd: 10
  daily_critical_usd: 20
  monthly_usd: 1000000
logs:
  audit_exec: /usr/bin/sleep
EOF
bt_observer_start "$OBS" --config "$BT_TMP/observer.yaml"
bt_pyserver_start "$APP"
URL=http://127.0.0.1:$APP

get() { curl -s -o /dev/null --max-time 5 --path-as-is "$@"; }

bt_log "benign requests: no security event"
for q in "O%27Brien" "order+by+relevance" "1+and+2"; do get "$URL/search?q=$q"; done
get "$URL/status/200"

bt_log "SQL injection, XSS and a sensitive path"
SQLI=("/search?q=%27%20OR%20%271%27%3D%271" "/search?id=1%20UNION%20SELECT%20NULL%2Cversion()--"
	"/item?id=1%3BDROP%20TABLE%20users")
XSS=("/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
SENS=("/.env")
for p in "${SQLI[@]}" "${XSS[@]}" "${SENS[@]}"; do get "$URL$p"; done

bt_log "an exec the audit trail watches"
/usr/bin/sleep 2

bt_log "spend past the daily budget (10 USD) and past critical (20 USD)"
track() { # track COST ID
	local code
	code=$(curl -s -o "$BT_TMP/track.out" -w '%{http_code}' --max-time 5 \
		-H 'Content-Type: application/json' --data-binary \
		"{\"provider\":\"openai\",\"model\":\"gpt-4o\",\"input_tokens\":10,\"output_tokens\":1,\"cost_usd\":$1,\"id\":\"$2\"}" \
		"http://127.0.0.1:$OBS/costs/track/llm")
	[ "$code" = 201 ] || bt_check_fail "POST /costs/track/llm cost $1: $code $(cat "$BT_TMP/track.out")"
}
track 15 ecs1
track 10 ecs2

printf 'sql_injection high %s\nxss high %s\nsensitive_path_access medium %s\n' \
	"${#SQLI[@]}" "${#XSS[@]}" "${#SENS[@]}" >"$BT_TMP/expected.txt"
bt_wait_counts "security events" "$BT_TMP/expected.txt" biothings_security_events_total type,severity ||
	bt_check_fail "security events differ"
printf 'daily exceeded 1\ndaily critical 1\n' >"$BT_TMP/trans.txt"
bt_wait_counts "budget transitions" "$BT_TMP/trans.txt" biothings_llm_budget_transitions_total period,status ||
	bt_check_fail "budget transitions differ"
bt_check_no_drops
bt_observer_stop_checked

cp "$BT_OBS_LOG" "$BT_ART/observer-ecs.log"
"$BT_PY" - "$BT_ART/observer-ecs.log" "$BT_PY_SERVICE" "$BT_TMP/observer.yaml" "${#SQLI[@]}" <<'PY' || bt_check_fail "the ECS log does not hold what it should"
import json, re, sys

path, py_service, config, n_sqli = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
# Every name the renderer may write (docs/logging.md); anything else must be a label.
ECS = {'@timestamp', 'log.level', 'message', 'ecs.version', 'service.name', 'event.kind',
       'event.category', 'event.type', 'event.action', 'event.dataset', 'event.module',
       'event.severity', 'event.outcome', 'event.reason', 'rule.name', 'tags',
       'process.pid', 'process.name', 'process.executable', 'process.parent.pid',
       'user.id', 'user.name', 'source.address', 'source.ip', 'source.port',
       'destination.address', 'destination.ip', 'destination.port', 'service.target.name',
       'http.request.method', 'http.response.status_code', 'url.path', 'url.query',
       'url.original', 'url.full', 'file.path', 'error.code', 'error.message',
       'trace.id', 'span.id'}
CATEGORIES = {'api', 'authentication', 'configuration', 'file', 'iam', 'intrusion_detection',
              'network', 'process', 'web'}
TYPES = {'access', 'change', 'connection', 'denied', 'end', 'info', 'start'}
problems = []


def check(cond, what, e):
    if not cond:
        problems.append('%s: %s' % (what, json.dumps(e)[:400]))


def base(e):
    check(re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z', e.get('@timestamp', '')),
          '@timestamp', e)
    check(e.get('log.level') in ('debug', 'info', 'warn', 'error'), 'log.level', e)
    check(isinstance(e.get('message'), str), 'message', e)
    check(e.get('ecs.version') == '8.11.0', 'ecs.version', e)
    check(e.get('service.name') == 'biothings-observer', 'service.name', e)
    check(e.get('event.kind') in ('alert', 'event'), 'event.kind', e)
    check(e.get('event.module') == 'biothings_observer', 'event.module', e)
    check(re.fullmatch(r'[a-z0-9_-]{1,64}', e.get('event.action', '')), 'event.action', e)
    for k, v in e.items():
        if k.startswith('labels.'):
            check(re.fullmatch(r'labels\.[A-Za-z0-9_]+', k) and isinstance(v, str), 'label ' + k, e)
        else:
            check(k in ECS, 'not an ECS name: ' + k, e)
    if 'event.category' in e:
        check(set(e['event.category']) <= CATEGORIES and e['event.category'], 'category', e)
        check(set(e['event.type']) <= TYPES and e['event.type'], 'type', e)
    check('tags' not in e, 'cut line (tags: truncated)', e)


def no_dup(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError('repeated key in %s' % keys)
    return dict(pairs)


lines = []
for n, raw in enumerate(open(path, encoding='utf-8'), 1):
    try:
        lines.append(json.loads(raw, object_pairs_hook=no_dup))
    except ValueError as err:
        problems.append('line %d is not one JSON object (%s): %r' % (n, err, raw[:200]))
by = {}
for e in lines:
    base(e)
    by.setdefault(e.get('event.dataset'), []).append(e)
check(set(by) <= {'biothings_observer.' + c for c in
                  ('system', 'security', 'business', 'performance', 'audit')}, 'datasets', by.keys())

sec = {}
for e in by.get('biothings_observer.security', []):
    sec.setdefault(e['event.action'], []).append(e)
    check(e['event.kind'] == 'alert' and e.get('rule.name') == e['event.action'], 'alert', e)
    check('intrusion_detection' in e.get('event.category', []), 'security category', e)
    check(e.get('event.severity') in (21, 47, 73, 99), 'event.severity', e)
for t, n, sev in (('sql_injection', n_sqli, 73), ('xss', 1, 73), ('sensitive_path_access', 1, 47)):
    got = sec.pop(t, [])
    check(len(got) == n, '%d %s lines, want %d' % (len(got), t, n), got)
    for e in got:
        check(e.get('source.ip') == '127.0.0.1' and e.get('source.address') == '127.0.0.1', 'source', e)
        check(e.get('http.request.method') == 'GET', 'method', e)
        check(e.get('service.target.name') == py_service, 'service.target.name', e)
        check(e.get('event.severity') == sev and 'web' in e['event.category'], 'web alert', e)
        check(isinstance(e.get('event.reason'), str) and e['event.reason'], 'event.reason', e)
        check('process.pid' not in e and 'user.id' not in e, 'no process for an HTTP event', e)
check(not sec, 'unexpected security events', sec)

audit = {}
for e in by.get('biothings_observer.audit', []):
    audit.setdefault(e['event.action'], []).append(e)
    check(e['event.kind'] == 'event', 'audit kind', e)
writes = audit.pop('api-write', [])
check(len(writes) == 2, '%d api-write lines, want 2' % len(writes), writes)
for e in writes:
    check(e.get('event.category') == ['api'] and e.get('event.type') == ['change'], 'api class', e)
    check(e.get('http.request.method') == 'POST' and e.get('url.path') == '/costs/track/llm', 'request', e)
    check(e.get('http.response.status_code') == 201 and e.get('event.outcome') == 'success', 'status', e)
    check(e.get('source.ip') == '127.0.0.1' and isinstance(e.get('source.port'), int), 'client', e)
budget = audit.pop('budget-status-changed', [])
got = [(e.get('labels.period'), e.get('labels.from'), e.get('labels.to')) for e in budget]
check(got == [('daily', 'ok', 'exceeded'), ('daily', 'exceeded', 'critical')], 'budget lines %s' % got, budget)
for e in budget:
    check(e.get('log.level') == 'warn' and 'event.category' not in e, 'budget class', e)
    check(re.fullmatch(r'\d+\.\d{4}', e.get('labels.spend_usd', '')), 'spend label', e)
conf = audit.pop('config-loaded', [])
check(len(conf) == 1 and conf[0].get('file.path') == config and
      conf[0].get('event.category') == ['configuration'], 'config-loaded', conf)
execs = audit.pop('process-exec', [])
check(any(e.get('process.executable') == '/usr/bin/sleep' and e.get('process.name') == 'sleep' and
          isinstance(e.get('process.pid'), int) and e.get('event.type') == ['start'] and
          e.get('user.id') == '0' for e in execs), 'process-exec of sleep', execs)
check(not audit, 'unexpected audit lines', audit)

system = by.get('biothings_observer.system', [])
for e in system:
    check(e.get('event.category') == ['process'] and isinstance(e.get('process.pid'), int), 'system', e)
acts = [e['event.action'] for e in system]
check('observing' in acts and 'stopped' in acts, 'start and stop lines %s' % acts, system)
for e in system:
    if e['event.action'] in ('observing', 'stopped'):
        check(e['event.type'] == (['start'] if e['event.action'] == 'observing' else ['end']) and
              e.get('process.name') == 'biothings-observer', 'lifecycle', e)

print('%d lines: %s' % (len(lines), {k: len(v) for k, v in by.items()}))
for p in problems[:40]:
    print('  ' + p)
sys.exit(1 if problems else 0)
PY
bt_finish
