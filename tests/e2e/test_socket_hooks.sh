#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# What the socket-layer hooks (capture.hooks: socket, the default) do their
# own way. (1) The observer attaches no syscall tracepoint (bpftool perf
# list, by its pid): one would put every syscall of every task on the
# kernel's slow path. The same binary with --capture-hooks syscall does
# attach them and not the socket programs. (2) A request whose server
# resets the connection is counted unanswered on both sides, each under
# its own name: a reset does not end a connection (it may reach the
# socket while its owner is inside a send on it), the socket's
# destruction does. (3) A connection whose last reference is dropped by
# another process than the one that used it (a request sent, the fd
# handed to a child, `sleep`, which exits): the close runs in the child,
# and the unanswered request must still carry the process met at the
# first send. (4) A keep-alive connection older than the observer and busy
# while it starts is counted on both sides: the listening ports are known
# before the first program runs. (5) So is one to a server that started
# listening after the observer, pushed out of a full map and met again.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
bt_init socket_hooks
bt_need_cmd curl bpftool

OBS_PORT=19624
RST_PORT=18624
N=3
[ "$(bt_hooks)" = socket ] || bt_skip "tests capture.hooks: socket (this run has $(bt_hooks))"

# syscall_tps PID: the syscalls:* tracepoints PID has attached
syscall_tps() {
	bpftool --json perf list | python3 -c '
import json, sys
pid = int(sys.argv[1])
print(sum(1 for e in json.load(sys.stdin)
          if e.get("pid") == pid and e.get("fd_type") == "tracepoint"
          and e.get("tracepoint", "").startswith(("sys_enter_", "sys_exit_"))))' "$1"
}

# ---- 1. the hooks each mode attaches
bt_observer_start "$OBS_PORT" --capture-hooks syscall
n=$(syscall_tps "$BT_OBS_PID")
bt_scrape "$BT_TMP/m-syscall.prom"
sk=$(bt_promq sum "$BT_TMP/m-syscall.prom" biothings_observer_probe_up 'probe=~bt_sk_.*')
bt_log "capture.hooks syscall: $n syscall tracepoints, socket programs up: ${sk:-0}"
[ "$n" -ge 10 ] || bt_check_fail "the syscall hooks attached only $n syscall tracepoints"
[ "${sk:-0}" = 0 ] || bt_check_fail "the syscall hooks also attached socket programs"
bt_promq sum "$BT_TMP/m-syscall.prom" biothings_observer_capture_hooks_info hooks=syscall | grep -qx 1 ||
	bt_check_fail "biothings_observer_capture_hooks_info{hooks=\"syscall\"} is not 1"
bt_observer_stop_checked

bt_observer_start "$OBS_PORT"
n=$(syscall_tps "$BT_OBS_PID")
bt_scrape "$BT_TMP/m-socket.prom"
sk=$(bt_promq sum "$BT_TMP/m-socket.prom" biothings_observer_probe_up 'probe=~bt_sk_.*')
bt_log "default hooks: $n syscall tracepoints, socket programs up: ${sk:-0}"
[ "$n" = 0 ] || bt_check_fail "the socket hooks attached $n syscall tracepoints"
[ "${sk:-0}" = 4 ] ||
	bt_check_fail "socket programs up: ${sk:-0}, expected bt_sk_send, bt_sk_recv, bt_sk_state, bt_sk_destroy"
grep -q 'hooks=socket' "$BT_OBS_LOG" || bt_check_fail "the start-up line does not say hooks=socket"
bt_promq sum "$BT_TMP/m-socket.prom" biothings_observer_capture_hooks_info hooks=socket | grep -qx 1 ||
	bt_check_fail "biothings_observer_capture_hooks_info{hooks=\"socket\"} is not 1"

# ---- 2. a server that resets after reading each request
# (it serves until killed: the port probe below is a connection too)
"$BT_PY" - "$RST_PORT" >"$BT_ART/rstserver.log" 2>&1 <<'EOF' &
import socket, struct, sys
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", int(sys.argv[1])))
srv.listen(8)
while True:
    c, _ = srv.accept()
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = c.recv(4096)
        if not chunk:
            break
        data += chunk
    if b"/held" in data:  # no answer: wait for the client to go, then close
        while c.recv(4096):
            pass
        c.close()
        continue
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()  # linger 0: a reset, sent from this process
EOF
RST_PID=$!
bt_track "$RST_PID" rstserver
bt_wait_port "$RST_PORT" 10 || bt_fail "reset server did not listen: $(cat "$BT_ART/rstserver.log")"
for i in $(seq 1 "$N"); do
	curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$RST_PORT/reset-$i" &&
		bt_check_fail "request $i was answered: the server should have reset it"
done

# ---- 3. the last reference dropped by a child
"$BT_PY" - "$RST_PORT" <<'EOF' || bt_check_fail "the held request could not be sent"
import socket, subprocess, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /held HTTP/1.1\r\nHost: x\r\n\r\n")
child = subprocess.Popen(["sleep", "0.5"], pass_fds=[s.fileno()])
s.close()  # the child holds the last reference; its exit closes the socket
sys.exit(child.wait())
EOF
PYNAME=$(basename "$BT_PY")
cat >"$BT_TMP/unanswered.txt" <<EOF
curl client $N
$PYNAME client 1
$PYNAME server $((N + 1))
EOF
bt_wait_counts "unanswered" "$BT_TMP/unanswered.txt" biothings_http_requests_unanswered_total \
	service_name,role 'service_name=~curl|python.*|sleep' ||
	bt_check_fail "reset requests are not counted under each side's own name"
bt_scrape "$BT_ART/metrics-final.prom"

# ---- 4. a connection busy while the observer starts
# A keep-alive client older than the observer sends a request every 2 ms
# throughout its start. Its server side is met mid-stream by the first
# send or receive after the programs attach: the listening ports must be
# known by then (they are seeded before attaching), or the server's
# socket is taken for a client's and none of its requests is counted.
bt_observer_stop_checked
PY_PORT=18625
bt_pyserver_start "$PY_PORT"
"$BT_PY" - "$PY_PORT" "$BT_TMP/busy.stop" >"$BT_ART/busy.log" 2>&1 <<'EOF' &
import http.client, os, sys, time
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
n = 0
while not os.path.exists(sys.argv[2]):
    c.request("GET", "/status/299")
    c.getresponse().read()
    n += 1
    time.sleep(0.002)
print("requests", n, flush=True)
EOF
BUSY=$!
bt_track "$BUSY" busyclient
sleep 0.5
bt_observer_start "$OBS_PORT"
sleep 1
touch "$BT_TMP/busy.stop"
wait "$BUSY"
bt_scrape "$BT_TMP/m-busy.prom"
srv=$(bt_promq sum "$BT_TMP/m-busy.prom" http_server_request_duration_seconds_count \
	service_name="$PYNAME" http_response_status_code=299)
cli=$(bt_promq sum "$BT_TMP/m-busy.prom" http_client_request_duration_seconds_count \
	service_name="$PYNAME" http_response_status_code=299)
bt_log "busy connection: $(cat "$BT_ART/busy.log"); counted after the start: server $srv, client $cli"
[ "${cli:-0}" -ge 50 ] || bt_check_fail "the busy connection's client side was not picked up ($cli)"
[ "${srv:-0}" -ge 50 ] || bt_check_fail "the busy connection's server side was not taken for a server's ($srv)"

# ---- 5. a listener newer than the observer, a connection evicted
# With room for 16 connections, a keep-alive connection to a server that
# started listening after the observer is pushed out of the map by 20
# others held open at once (40 entries); its next requests are met
# mid-stream, and its server side must be taken for a server's from the
# port the kernel marked at listen().
bt_observer_stop_checked
bt_observer_start "$OBS_PORT" --max-connections 16
NEW_PORT=18626
"$BT_PY" "$BT_E2E_DIR/pyserver.py" --port "$NEW_PORT" --counts "$BT_TMP/new-counts.txt" \
	>"$BT_ART/newserver.log" 2>&1 &
bt_track $! newserver
bt_wait_port "$NEW_PORT" 10 || bt_fail "the new server did not listen: $(cat "$BT_ART/newserver.log")"
"$BT_PY" - "$NEW_PORT" "$PY_PORT" <<'EOF' || bt_check_fail "the evicting client failed"
import http.client, socket, sys
held = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
held.request("GET", "/status/298"); held.getresponse().read()
others = []
for _ in range(20):
    c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[2]))
    c.request("GET", "/cl/1"); c.getresponse().read()
    others.append(c)
for c in others:
    c.close()
for _ in range(3):
    held.request("GET", "/status/298"); held.getresponse().read()
EOF
for ((i = 0; i <= BT_SETTLE * 5; i++)); do
	bt_scrape "$BT_TMP/m-evict.prom"
	srv=$(bt_promq sum "$BT_TMP/m-evict.prom" http_server_request_duration_seconds_count \
		service_name="$PYNAME" http_response_status_code=298)
	[ "${srv:-0}" -ge 4 ] && break
	sleep 0.2
done
seeded=$(bt_promq sum "$BT_TMP/m-evict.prom" biothings_observer_connections_seeded_total)
bt_log "evicted connection: server side counted $srv of 4, connections met mid-stream $seeded"
[ "${seeded:-0}" -ge 1 ] || bt_check_fail "no connection was met mid-stream: nothing evicted?"
[ "${srv:-0}" -ge 4 ] || bt_check_fail "the evicted connection's server side was not taken for a server's ($srv of 4)"

bt_observer_stop_checked
bt_finish
