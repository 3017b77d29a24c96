#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Start, inspect, stop, crash and restart: the observer pins its maps
# under --pin-dir with BTF (bpftool shows named fields), loads programs
# named bt_*, exits 0 within 5 s of SIGTERM leaving no pins and no bt_*
# programs, and starts and serves again on the same pin dir after a
# kill -9 left stale pins behind.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
bt_init lifecycle

OBS_PORT=19469
PY_PORT=18185

# Ids of the loaded programs named bt_*, one a line. Ids, not a count:
# another observer on the host may load or unload its own meanwhile.
prog_ids() {
	bpftool prog show 2>/dev/null | awk '/ name bt_/ { sub(":", "", $1); print $1 }' | sort -n
}

# Ids in the list $1 (space-separated) that are still loaded after waiting
# up to 5 s for the kernel to free them.
still_loaded() {
	local i left
	for ((i = 0; i < 50; i++)); do
		left=$(comm -12 <(tr ' ' '\n' <<<"$1" | sort) <(prog_ids | sort) | tr '\n' ' ')
		[ -z "${left// /}" ] && break
		sleep 0.1
	done
	echo "${left% }"
}

# Field values named $2 anywhere in the JSON file $1, one a line.
json_field() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
def walk(o, name):
    if isinstance(o, dict):
        for k, v in o.items():
            if k == name and not isinstance(v, (dict, list)):
                print(v)
            walk(v, name)
    elif isinstance(o, list):
        for v in o:
            walk(v, name)
with open(sys.argv[1]) as f:
    walk(json.load(f), sys.argv[2])
EOF
}

baseline=$(prog_ids | tr '\n' ' ')
bt_log "bt_* programs before start: [${baseline% }]"
bt_pyserver_start "$PY_PORT"

# ---- run 1: inspect, then SIGTERM
bt_observer_start "$OBS_PORT"
# A keep-alive connection opened after start, held open so the connection map has it.
"$BT_PY" -c '
import http.client, sys, time
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
c.request("GET", "/cl/1"); c.getresponse().read()
print("holder connected", flush=True)
time.sleep(60)' "$PY_PORT" >"$BT_ART/holder.log" 2>&1 &
HOLDER=$!
bt_track "$HOLDER" holder
sleep 0.5

bt_log "pin dir $BT_PIN_DIR:"
find "$BT_PIN_DIR" | sed 's/^/    /'
# the socket hooks key connections by socket and name their process in
# owner_tgid; the syscall hooks key them by {tgid, fd}
CONNS=$(bt_conns_map) TGID=owner_tgid
[ "$CONNS" = bt_conns ] && TGID=tgid
conns=$(find "$BT_PIN_DIR" -name "$CONNS" | head -n 1)
if [ -z "$conns" ]; then
	bt_check_fail "no pinned map named $CONNS under $BT_PIN_DIR"
else
	bpftool map show pinned "$conns" | sed 's/^/    /'
	if bpftool -j map dump pinned "$conns" >"$BT_ART/$CONNS.json" 2>"$BT_TMP/dump.err"; then
		tgids=$(json_field "$BT_ART/$CONNS.json" "$TGID" | sort -u | tr '\n' ' ')
		bt_log "$CONNS: $(json_field "$BT_ART/$CONNS.json" conn_id | wc -l) entries; tgids: $tgids"
		case " $tgids " in
		*" $HOLDER "*) bt_log "$CONNS holds the client connection of pid $HOLDER" ;;
		*) bt_check_fail "$CONNS dump has no named $TGID field equal to the client pid $HOLDER" ;;
		esac
		case " $tgids " in
		*" $BT_PYS_PID "*) bt_log "$CONNS holds the server connection of pid $BT_PYS_PID" ;;
		*) bt_check_fail "$CONNS dump has no entry for the server pid $BT_PYS_PID" ;;
		esac
	else
		bt_check_fail "bpftool map dump pinned $conns failed: $(cat "$BT_TMP/dump.err")"
	fi
fi
cfg=$(find "$BT_PIN_DIR" -name bt_config | head -n 1)
if [ -n "$cfg" ] && bpftool -j map dump pinned "$cfg" >"$BT_ART/bt_config.json" 2>/dev/null; then
	self=$(json_field "$BT_ART/bt_config.json" self_tgid)
	bt_log "bt_config self_tgid: expected $BT_OBS_PID, got '$self'"
	[ "$self" = "$BT_OBS_PID" ] || bt_check_fail "bt_config.self_tgid is not the observer's pid"
else
	bt_check_fail "no dumpable pinned bt_config map under $BT_PIN_DIR"
fi

ours=$(comm -13 <(tr ' ' '\n' <<<"$baseline" | sort) <(prog_ids | sort) | tr '\n' ' ')
bt_log "bt_* programs loaded by the observer: $(wc -w <<<"$ours")"
bpftool prog show | grep ' name bt_' | sed 's/^/    /'
[ -n "${ours// /}" ] || bt_check_fail "bpftool prog show lists no bt_* programs of the observer"

kill -TERM "$HOLDER" 2>/dev/null
bt_observer_stop 5
bt_log "run 1 SIGTERM: expected exit 0 within 5 s, got status $BT_OBS_RC"
[ "$BT_OBS_RC" -eq 0 ] || bt_check_fail "exit status after SIGTERM: $BT_OBS_RC"
if [ -e "$BT_PIN_DIR" ] && [ -n "$(ls -A "$BT_PIN_DIR")" ]; then
	bt_check_fail "pin dir not empty after SIGTERM: $(find "$BT_PIN_DIR" | tr '\n' ' ')"
fi
left=$(still_loaded "$ours")
bt_log "observer's bt_* programs still loaded after SIGTERM: expected none, got [${left}]"
[ -z "$left" ] || bt_check_fail "bt_* programs remain after SIGTERM: ids $left"

# ---- run 2: SIGKILL, leaving whatever it pinned behind
bt_observer_start "$OBS_PORT"
ours=$(comm -13 <(tr ' ' '\n' <<<"$baseline" | sort) <(prog_ids | sort) | tr '\n' ' ')
kill -KILL "$BT_OBS_PID"
wait "$BT_OBS_PID" 2>/dev/null
bt_log "run 2 killed with SIGKILL; pin dir now: $(find "$BT_PIN_DIR" 2>/dev/null | wc -l) entries"
BT_OBS_PID=

# ---- run 3: same pin dir, must start, serve and count
bt_observer_start "$OBS_PORT"
ours="$ours $(comm -13 <(tr ' ' '\n' <<<"$baseline" | sort) <(prog_ids | sort) | tr '\n' ' ')"
curl -s -o /dev/null "http://127.0.0.1:$PY_PORT/cl/5" -o /dev/null "http://127.0.0.1:$PY_PORT/status/404"
echo "GET 200 1" >"$BT_TMP/expected.txt"
echo "GET 404 1" >>"$BT_TMP/expected.txt"
bt_wait_counts "after restart" "$BT_TMP/expected.txt" \
	http_client_request_duration_seconds_count http_request_method,http_response_status_code \
	service_name=curl server_port="$PY_PORT" || bt_check_fail "observer started over stale pins does not count"
bt_observer_stop 5
bt_log "run 3 SIGTERM: expected exit 0, got status $BT_OBS_RC"
[ "$BT_OBS_RC" -eq 0 ] || bt_check_fail "exit status after SIGTERM (run 3): $BT_OBS_RC"
if [ -e "$BT_PIN_DIR" ] && [ -n "$(ls -A "$BT_PIN_DIR")" ]; then
	bt_check_fail "pin dir not empty after run 3: $(find "$BT_PIN_DIR" | tr '\n' ' ')"
fi
left=$(still_loaded "$ours")
bt_log "bt_* programs of runs 2 and 3 still loaded at the end: expected none, got [${left}]"
[ -z "$left" ] || bt_check_fail "bt_* programs remain after the kill -9 and the last stop: ids $left"
bt_finish
