#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# capture.ignore: connections of processes a rule names are left alone in
# the kernel, by task name or by cgroup (one that existed at start and one
# made later, found by the periodic rescan), while the same requests seen
# from the server, which no rule names, are all counted. A keep-alive
# connection a named process opened before the observer started is left
# alone too (met mid-stream by the socket hooks, seeded from /proc by the
# syscall hooks). Every ignored connection is counted once in
# biothings_observer_connections_ignored_total, and the rule tables are
# visible to bpftool.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
bt_init capture_ignore

OBS_PORT=19473
PORT=18089
IGN_COMM=bt-ign-client
HELD_COMM=bt-ign-held

bt_pyserver_start "$PORT"
# a client named HELD_COMM with a keep-alive connection open before the
# observer starts: one request now, two more once GO exists
cat >"$BT_TMP/held.py" <<'PY'
import http.client, os, sys, time
name, port, go = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open("/proc/self/comm", "w") as f:
    f.write(name)
c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
c.request("GET", "/cl/5")
c.getresponse().read()
print("ready", flush=True)
while not os.path.exists(go):
    time.sleep(0.05)
for i in (1, 2):
    c.request("GET", "/cl/%d" % i)
    c.getresponse().read()
PY
"$BT_PY" "$BT_TMP/held.py" "$HELD_COMM" "$PORT" "$BT_TMP/go" >"$BT_TMP/held.out" 2>"$BT_ART/held.err" &
HELD=$!
bt_track "$HELD" held-client
for ((i = 0; i < 50; i++)); do
	grep -q ready "$BT_TMP/held.out" && break
	sleep 0.1
done
grep -q ready "$BT_TMP/held.out" || bt_fail "the held client did not connect: $(cat "$BT_ART/held.err")"
bt_cgroup_make "bt-test-ignore-early-$$"
CG_EARLY=$BT_CGROUP
cp "$(command -v curl)" "$BT_TMP/$IGN_COMM"
cat >"$BT_TMP/config.yaml" <<YAML
capture:
  gc_interval: 1s
  ignore:
    - comm: $IGN_COMM
    - cgroup: "/bt-test-ignore-*-$$"
    - comm: $HELD_COMM
YAML
bt_observer_start "$OBS_PORT" --config "$BT_TMP/config.yaml"
grep -q "capture.ignore cgroups=1" "$BT_OBS_LOG" ||
	bt_check_fail "the start-up scan did not find cgroup $CG_EARLY: $(grep -i ignore "$BT_OBS_LOG")"

# get N PATH [CGROUP] [CLIENT]: N requests, one connection each, from curl
# or CLIENT, moved into CGROUP first when one is given.
get() {
	local n=$1 path=$2 cg=${3:-} client=${4:-curl} i
	for ((i = 0; i < n; i++)); do
		sh -c '[ -z "$1" ] || echo $$ >"$1/cgroup.procs" || exit 9
		       exec "$2" -sf -o /dev/null --max-time 5 "$3"' sh "$cg" "$client" \
			"http://127.0.0.1:$PORT$path" || bt_fail "request to $path failed ($?)"
	done
}

touch "$BT_TMP/go"
wait "$HELD" || bt_fail "the held client failed: $(cat "$BT_ART/held.err")"
get 3 /cl/1
get 4 /cl/2 "" "$BT_TMP/$IGN_COMM"
get 5 /cl/3 "$CG_EARLY"

bt_cgroup_make "bt-test-ignore-late-$$"
CG_LATE=$BT_CGROUP
printf '2\n' >"$BT_TMP/expected-cgroups.txt"
for ((i = 0; i < 50; i++)); do
	bt_scrape "$BT_TMP/g.prom"
	[ "$(bt_promq sum "$BT_TMP/g.prom" biothings_observer_ignored_cgroups)" = 2 ] && break
	sleep 0.2
done
bt_log "cgroups matched after $CG_LATE was made: $(bt_promq sum "$BT_TMP/g.prom" biothings_observer_ignored_cgroups)"
[ "$(bt_promq sum "$BT_TMP/g.prom" biothings_observer_ignored_cgroups)" = 2 ] ||
	bt_check_fail "the rescan did not find $CG_LATE"
get 2 /cl/4 "$CG_LATE"

# the server sees every request made while it runs (the held client's
# first came before): no rule names it
printf 'GET 200 16\n' >"$BT_TMP/expected-server.txt"
bt_wait_counts "server side" "$BT_TMP/expected-server.txt" \
	http_server_request_duration_seconds_count http_request_method,http_response_status_code \
	service_name="$BT_PY_SERVICE" || bt_check_fail "the server did not count all 16 requests"
# the clients: only the 3 plain curl requests
printf 'curl 3\n' >"$BT_TMP/expected-client.txt"
bt_wait_counts "client side" "$BT_TMP/expected-client.txt" \
	http_client_request_duration_seconds_count service_name \
	server_port="$PORT" || bt_check_fail "ignored clients were recorded (or plain curl was not)"

bt_scrape "$BT_TMP/final.prom"
n=$(bt_promq sum "$BT_TMP/final.prom" biothings_observer_connections_ignored_total)
bt_log "connections ignored by rule: $n"
[ "$n" = 12 ] || bt_check_fail "expected 12 connections ignored (5 by name, one of them held from before, 7 by cgroup), got $n"

# the tables behind it, as bpftool shows them
bpftool -j map dump pinned "$BT_PIN_DIR/bt_ignore_comms" >"$BT_ART/comms.json" ||
	bt_check_fail "bpftool cannot dump bt_ignore_comms"
bpftool -j map dump pinned "$BT_PIN_DIR/bt_ignore_cgroups" >"$BT_ART/cgroups.json" ||
	bt_check_fail "bpftool cannot dump bt_ignore_cgroups"
python3 - "$BT_ART" "$IGN_COMM" "$(stat -c %i "$CG_EARLY")" "$(stat -c %i "$CG_LATE")" "$HELD_COMM" <<'PY' ||
import json, sys
art, comm, early, late, held = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
comms = [e["formatted"] for e in json.load(open(f"{art}/comms.json"))]
cgs = [e["formatted"] for e in json.load(open(f"{art}/cgroups.json"))]
print("    bt_ignore_comms:", comms)
print("    bt_ignore_cgroups:", cgs)
names = ["".join(chr(c) for c in e["key"] if c) if isinstance(e["key"], list) else e["key"]
         for e in comms]
masks = {n: int(e["value"]) for n, e in zip(names, comms)}
assert masks == {comm: 1, held: 4}, "comm table (rule 0 and rule 2)"
assert sorted(int(e["key"]) for e in cgs) == sorted([early, late]), "cgroup ids"
assert all(int(e["value"]) == 2 for e in cgs), "cgroup masks"
PY
	bt_check_fail "the rule tables are not what the config says"
bt_check_no_drops
bt_observer_stop_checked
bt_finish
