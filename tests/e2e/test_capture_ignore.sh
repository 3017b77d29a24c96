#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# capture.ignore: connections of processes a rule names are left alone in
# the kernel, by task name or by cgroup (one that existed at start and one
# made later, found by the periodic rescan), while the same requests seen
# from the server, which no rule names, are all counted. Every ignored
# connection is counted once in biothings_observer_connections_ignored_total,
# and the rule tables are visible to bpftool.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
bt_init capture_ignore

OBS_PORT=19473
PORT=18089
IGN_COMM=bt-ign-client

bt_pyserver_start "$PORT"
bt_cgroup_make "bt-test-ignore-early-$$"
CG_EARLY=$BT_CGROUP
cp "$(command -v curl)" "$BT_TMP/$IGN_COMM"
cat >"$BT_TMP/config.yaml" <<YAML
capture:
  gc_interval: 1s
  ignore:
    - comm: $IGN_COMM
    - cgroup: "/bt-test-ignore-*-$$"
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

# the server sees every request: no rule names it
printf 'GET 200 14\n' >"$BT_TMP/expected-server.txt"
bt_wait_counts "server side" "$BT_TMP/expected-server.txt" \
	http_server_request_duration_seconds_count http_request_method,http_response_status_code \
	service_name="$BT_PY_SERVICE" || bt_check_fail "the server did not count all 14 requests"
# the clients: only the 3 plain curl requests
printf 'curl 3\n' >"$BT_TMP/expected-client.txt"
bt_wait_counts "client side" "$BT_TMP/expected-client.txt" \
	http_client_request_duration_seconds_count service_name \
	server_port="$PORT" || bt_check_fail "ignored clients were recorded (or plain curl was not)"

bt_scrape "$BT_TMP/final.prom"
n=$(bt_promq sum "$BT_TMP/final.prom" biothings_observer_connections_ignored_total)
bt_log "connections ignored by rule: $n"
[ "$n" = 11 ] || bt_check_fail "expected 11 connections ignored (4 by name, 7 by cgroup), got $n"

# the tables behind it, as bpftool shows them
bpftool -j map dump pinned "$BT_PIN_DIR/bt_ignore_comms" >"$BT_ART/comms.json" ||
	bt_check_fail "bpftool cannot dump bt_ignore_comms"
bpftool -j map dump pinned "$BT_PIN_DIR/bt_ignore_cgroups" >"$BT_ART/cgroups.json" ||
	bt_check_fail "bpftool cannot dump bt_ignore_cgroups"
python3 - "$BT_ART" "$IGN_COMM" "$(stat -c %i "$CG_EARLY")" "$(stat -c %i "$CG_LATE")" <<'PY' ||
import json, sys
art, comm, early, late = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
comms = [e["formatted"] for e in json.load(open(f"{art}/comms.json"))]
cgs = [e["formatted"] for e in json.load(open(f"{art}/cgroups.json"))]
print("    bt_ignore_comms:", comms)
print("    bt_ignore_cgroups:", cgs)
names = ["".join(chr(c) for c in e["key"] if c) if isinstance(e["key"], list) else e["key"]
         for e in comms]
assert names == [comm] and comms[0]["value"] == 1, "comm table"
assert sorted(int(e["key"]) for e in cgs) == sorted([early, late]), "cgroup ids"
assert all(int(e["value"]) == 2 for e in cgs), "cgroup masks"
PY
	bt_check_fail "the rule tables are not what the config says"
bt_check_no_drops
bt_observer_stop_checked
bt_finish
