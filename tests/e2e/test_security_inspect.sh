#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Attacks that sit only in the headers or the body of a served request,
# never in its target, reach the request detectors through the kernel's
# copy of the request's first bytes (security.inspect_request_bytes).
# A small application server (tests/e2e/pyserver.py) takes the first
# payloads of every SQL injection corpus in a form body, a JSON body and a
# Cookie, four bodies that arrive in a later read than their headers, SQL
# injection in X-Forwarded-For and XSS in User-Agent (once 900 bytes into
# the request, past the framer's window, whose bytes the kernel otherwise
# reuses), Referer and a JSON body: each must be exactly one event. nikto's
# agent (curl) and sqlmap itself each raise exactly one scanner event naming
# the tool. The harmless corpus sent the same
# ways (about 2,600 requests) must raise none. A session cookie sent with
# the attacks never appears in the log, the stores or the API. With
# inspection off the same attacks raise nothing and nothing is copied.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
bt_init security_inspect
export BT_OBS_LOG_FORMAT=json

OBS=19498
APP=18781
CORPORA=$BT_ROOT/tests/data/security
SECRET=sess-$(openssl rand -hex 12)
CLIENT=$BT_E2E_DIR/inspect_client.py

bt_observer_start "$OBS"
bt_pyserver_start "$APP"

bt_log "harmless text in bodies and headers"
"$BT_PY" "$CLIENT" "$APP" benign "$CORPORA" >"$BT_TMP/benign.txt" ||
	bt_fail "benign client failed"
BENIGN=$(awk '/^sent/ { print $2 }' "$BT_TMP/benign.txt")
[ "${BENIGN:-0}" -gt 2000 ] || bt_check_fail "benign client sent only ${BENIGN:-0} requests"

bt_log "attacks in bodies and headers"
"$BT_PY" "$CLIENT" "$APP" attacks "$CORPORA" "$SECRET" >"$BT_TMP/sent.txt" ||
	bt_fail "attack client failed"
cat "$BT_TMP/sent.txt"
awk '{ print $1, "high", $2 }' "$BT_TMP/sent.txt" >"$BT_TMP/expected.txt"
bt_wait_counts "events from request bytes" "$BT_TMP/expected.txt" biothings_security_events_total \
	type,severity ||
	bt_check_fail "security events differ (benign traffic may have raised some)"

# the inspection counts reach /metrics once a second; a request byte for
# byte like one already found clean counts known_clean instead
SENT=$((BENIGN + $(awk '{ s += $2 } END { print s }' "$BT_TMP/sent.txt")))
inspected() {
	local a b
	a=$(bt_promq sum "$1" biothings_security_inspected_requests_total result=inspected)
	b=$(bt_promq sum "$1" biothings_security_inspected_requests_total result=known_clean)
	echo $((${a%.*} + ${b%.*}))
}
for _ in $(seq 15); do
	bt_scrape "$BT_TMP/m.prom"
	INSPECTED=$(inspected "$BT_TMP/m.prom")
	[ "${INSPECTED%.*}" -ge "$SENT" ] 2>/dev/null && break
	sleep 0.2
done
bt_log "inspected ${INSPECTED:-none} of at least $SENT requests"
[ "${INSPECTED%.*}" -ge "$SENT" ] 2>/dev/null || bt_check_fail "requests inspected: ${INSPECTED:-none} < $SENT"

curl -s --max-time 5 "http://127.0.0.1:$OBS/logs/security?limit=1000" >"$BT_ART/events.json"
"$BT_PY" - "$BT_ART/events.json" <<'PY' || bt_check_fail "GET /logs/security content"
import collections, json, sys
ev = json.load(open(sys.argv[1]))['events']
where = collections.Counter((e['type'], e['path'], e['detail'].split(' in ')[1].split(',')[0]) for e in ev)
print(sorted(where.items()))
assert where[('sql_injection', '/api/form', 'body')] == 21, where
assert where[('sql_injection', '/api/json', 'body')] == 21, where
assert where[('sql_injection', '/api/split', 'body')] == 4, where
assert where[('sql_injection', '/cl/10', 'header')] == 22, where
assert where[('xss', '/cl/10', 'header')] == 3 and where[('xss', '/api/json', 'body')] == 1, where
assert all(e['source'] == '127.0.0.1' and e['status'] == 200 for e in ev), ev
PY
bt_log "the same request again is known clean; the same attack again is raised again"
bt_scrape "$BT_TMP/r0.prom"
K0=$(bt_promq sum "$BT_TMP/r0.prom" biothings_security_inspected_requests_total result=known_clean)
X0=$(bt_promq sum "$BT_TMP/r0.prom" biothings_security_events_total type=xss)
for _ in $(seq 20); do
	curl -s -o /dev/null --max-time 5 -A "repeat-agent/1.0 ($SECRET)" "http://127.0.0.1:$APP/cl/10"
done
for _ in $(seq 3); do
	curl -s -o /dev/null --max-time 5 -A "<script>alert('$SECRET')</script>" "http://127.0.0.1:$APP/cl/10"
done
for _ in $(seq 25); do
	bt_scrape "$BT_TMP/r1.prom"
	K1=$(bt_promq sum "$BT_TMP/r1.prom" biothings_security_inspected_requests_total result=known_clean)
	X1=$(bt_promq sum "$BT_TMP/r1.prom" biothings_security_events_total type=xss)
	[ $((${X1%.*} - ${X0%.*})) -ge 3 ] && [ $((${K1%.*} - ${K0%.*})) -ge 19 ] && break
	sleep 0.2
done
bt_log "known_clean $K0 -> $K1, xss events $X0 -> $X1"
[ $((${K1%.*} - ${K0%.*})) -ge 19 ] ||
	bt_check_fail "19 of 20 identical clean requests should be known clean: $K0 -> $K1"
[ $((${X1%.*} - ${X0%.*})) -eq 3 ] ||
	bt_check_fail "3 identical attacks should raise 3 events: xss $X0 -> $X1"

bt_log "attack tools by their User-Agent: one scanner event per client and window"
command -v sqlmap >/dev/null || bt_fail "sqlmap missing (deploy/install-deps.sh --attack-tools)"
bt_scrape "$BT_TMP/t0.prom"
S0=$(bt_promq sum "$BT_TMP/t0.prom" biothings_security_events_total type=scanner)
[ "${S0%.*}" = 0 ] || bt_check_fail "scanner events before the tools ran: $S0"
# nikto's default agent, from a second loopback address (its own client)
for _ in $(seq 5); do
	curl -s -o /dev/null --max-time 5 --interface 127.0.0.2 \
		-A 'Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:Porttest)' \
		"http://127.0.0.1:$APP/cl/10"
done
# sqlmap itself, probing a page's parameter (its own agent, ~100 requests)
(cd "$BT_TMP" && timeout 120 sqlmap -u "http://127.0.0.1:$APP/search?q=1" --batch \
	--technique=B --threads=1 --output-dir="$BT_TMP/sqlmap" --disable-coloring) \
	>"$BT_ART/sqlmap.log" 2>&1 || bt_check_fail "sqlmap failed: $(tail -3 "$BT_ART/sqlmap.log")"
grep -q 'do not appear to be injectable' "$BT_ART/sqlmap.log" ||
	bt_check_fail "sqlmap did not finish its tests: $(tail -3 "$BT_ART/sqlmap.log")"
for _ in $(seq 25); do
	bt_scrape "$BT_TMP/t1.prom"
	S1=$(bt_promq sum "$BT_TMP/t1.prom" biothings_security_events_total type=scanner)
	[ "${S1%.*}" -ge 2 ] && break
	sleep 0.2
done
sleep 0.5 # a third event, if one were coming
curl -s --max-time 5 "http://127.0.0.1:$OBS/logs/security?limit=1000" >"$BT_ART/tool_events.json"
"$BT_PY" - "$BT_ART/tool_events.json" <<'PY' || bt_check_fail "scanner events from the tools"
import collections, json, sys
ev = [e for e in json.load(open(sys.argv[1]))['events'] if e['type'] == 'scanner']
got = collections.Counter((e['source'], e['detail']) for e in ev)
print(sorted(got.items()))
assert got == {('127.0.0.2', 'tool=nikto'): 1, ('127.0.0.1', 'tool=sqlmap'): 1}, got
assert all(e['severity'] == 'medium' and e['service'] for e in ev), ev
PY

cp "$BT_OBS_LOG" "$BT_TMP/obs.log"
if grep -rqaF -- "$SECRET" "$BT_ART/events.json" "$BT_TMP/obs.log" "$BT_STATE_DIR"; then
	bt_check_fail "the session cookie appears in what the observer wrote"
fi
bt_check_no_drops
bt_observer_stop_checked

bt_log "inspection off: the same attacks raise nothing"
bt_observer_start "$OBS" --inspect-request-bytes 0
"$BT_PY" "$CLIENT" "$APP" attacks "$CORPORA" "$SECRET" >/dev/null || bt_fail "attack client failed"
sleep 1
bt_scrape "$BT_TMP/off.prom"
[ "$(bt_promq sum "$BT_TMP/off.prom" biothings_security_events_total)" = 0 ] ||
	bt_check_fail "events raised with inspection off: $(grep '^biothings_security_events_total' "$BT_TMP/off.prom" | grep -v ' 0$')"
grep -q '^biothings_security_inspected_requests_total' "$BT_TMP/off.prom" &&
	bt_check_fail "requests inspected with inspection off"
bt_observer_stop_checked
bt_finish
