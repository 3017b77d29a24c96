#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Per-CPU rings (bt_rings, biothings/events.h) keep one connection's
# records in order when its process changes CPU. A server (below) reads
# each request on one CPU and moves itself to the other CPU before it
# answers, so a request's head is sent on one CPU and its record on the
# other. The daemon's poll timer is at its 10 s maximum and the traffic is
# far below a wake-up batch: every record waits in its ring and the next
# poll drains all the rings at once. Two things keep a request's head
# before its record: the connection's records all go to one ring (that of
# the CPU that sent its first), and the daemon merges the rings by the
# records' timestamps. With neither (records in the ring of the CPU they
# were made on, rings drained one after the other) every request answered
# from a lower CPU than it was read on reached the daemon before its
# head: counted "no_bytes", or given the head of the request before it.
# Every other request carries SQL injection in its body (the rest are
# harmless). Checked: every request inspected, none without its bytes,
# one SQL injection event per attack and each on the attack's own path
# (GET /logs/security), nothing dropped, and bt_rings' slots as
# docs/capture.md says, with the rings per CPU (capture.ringbuf_per_cpu:
# auto, sized by the CPUs online) and with capture.ringbuf_per_cpu: 0.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
bt_init cpu_rings

OBS_PORT=19477
APP_PORT=18477
N=120 # requests, over 4 keep-alive connections one after the other
M=$BT_TMP/m.prom
CPUS=$("$BT_PY" -c 'import os; print(len(os.sched_getaffinity(0)))')
[ "$CPUS" -ge 2 ] || bt_skip "needs two CPUs to move a server between (this machine lets us use $CPUS)"

# One request at a time: read it (and its body) on one CPU, move to the
# next CPU, answer. The move is synchronous: sched_setaffinity returns on
# the new CPU.
cat >"$BT_TMP/mover.py" <<'EOF'
import os, socket, sys
cpus = sorted(os.sched_getaffinity(0))
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
print("ready", flush=True)
n = 0
while True:
    c, _ = s.accept()
    f = c.makefile("rb")
    while f.readline():
        length = 0
        for h in iter(f.readline, b"\r\n"):
            if not h:
                break
            if h.lower().startswith(b"content-length:"):
                length = int(h.split(b":")[1])
        f.read(length)
        n += 1
        os.sched_setaffinity(0, {cpus[n % len(cpus)]})
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    c.close()
EOF
"$BT_PY" "$BT_TMP/mover.py" "$APP_PORT" >"$BT_ART/mover.log" 2>&1 &
bt_track $! mover
bt_wait_port "$APP_PORT" || bt_fail "the moving server did not start"

rings() {
	bpftool -j map dump pinned "$BT_PIN_DIR/bt_rings" | "$BT_PY" -c '
import json, sys
print(" ".join(str(int.from_bytes(bytes(int(b, 16) for b in e["value"]), "little"))
               for e in json.load(sys.stdin)))'
}
shared_id() { bpftool -j map show pinned "$BT_PIN_DIR/bt_events" | "$BT_PY" -c 'import json, sys; print(json.load(sys.stdin)["id"])'; }

bt_observer_start "$OBS_PORT" --poll-interval 10s
slots=$(rings)
shared=$(shared_id)
bt_log "bt_rings slots: $slots (bt_events $shared)"
"$BT_PY" "$BT_E2E_DIR/ring_layout.py" "$shared" $slots ||
	bt_check_fail "bt_rings is not the shared ring then a ring per online CPU of the auto size"
grep -E "rings shared=32MiB per_cpu=(2MiB|1MiB|512KiB) cpu_rings=[0-9]+" "$BT_OBS_LOG" ||
	bt_check_fail "the observer did not say what rings it made"

bt_log "$N requests, every other one with SQL injection in its body, the server changing CPU before each answer"
"$BT_PY" - "$APP_PORT" "$N" <<'EOF' >"$BT_ART/client.log" 2>&1 || bt_fail "client failed: $(tail -3 "$BT_ART/client.log")"
import http.client, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
for i in range(n):
    if i % (n // 4) == 0:  # the server takes one connection at a time
        c = http.client.HTTPConnection("127.0.0.1", port)
    if i % 2:
        path, body = "/ok/%d" % i, "user=alice%d&note=hello" % i
    else:
        path, body = "/attack/%d" % i, "user=x%d' OR '1'='1&note=n%d" % (i, i)
    c.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})
    r = c.getresponse()
    r.read()
    assert r.status == 200, r.status
print("sent", n)
EOF
t0=$(date +%s)

inspected() { bt_promq sum "$M" biothings_security_inspected_requests_total "result=$1"; }
for _ in $(seq 150); do
	bt_scrape "$M" || bt_fail "scrape failed"
	got=$(inspected inspected)
	[ "${got%.*}" -ge "$N" ] 2>/dev/null && break
	sleep 0.1
done
sleep 1.2 # the inspection counts reach /metrics once a second
bt_scrape "$M" || bt_fail "scrape failed"
ins=$(inspected inspected)
nob=$(inspected no_bytes)
sqli=$(bt_promq sum "$M" biothings_security_events_total type=sql_injection)
bt_log "$(($(date +%s) - t0)) s after the client: inspected $ins, no_bytes $nob, sql_injection events $sqli (of $N)"
[ "${ins%.*}" = "$N" ] || bt_check_fail "inspected $ins of $N requests"
[ "${nob%.*}" = 0 ] || bt_check_fail "$nob requests reached the daemon before their bytes"
[ "${sqli%.*}" = $((N / 2)) ] || bt_check_fail "$sqli SQL injection events for $((N / 2)) attacks"
curl -sS "http://127.0.0.1:$OBS_PORT/logs/security?type=sql_injection&limit=1000" >"$BT_ART/events.json" ||
	bt_check_fail "GET /logs/security failed"
"$BT_PY" - "$BT_ART/events.json" "$N" <<'EOF' || bt_check_fail "SQL injection events on the wrong requests"
import json, sys
doc = json.load(open(sys.argv[1]))
events = doc["events"] if isinstance(doc, dict) else doc
paths = sorted(e["path"] for e in events)
want = sorted("/attack/%d" % i for i in range(0, int(sys.argv[2]), 2))
print("    events on %d paths; not an attack's: %s; attacks without one: %d"
      % (len(paths), [p for p in paths if p not in want][:5], len(set(want) - set(paths))))
sys.exit(paths != want)
EOF
bt_check_no_drops
bt_observer_stop_checked

bt_log "capture.ringbuf_per_cpu: 0 puts every CPU on the shared ring"
bt_observer_start "$OBS_PORT" --ringbuf-per-cpu 0
slots=$(rings)
shared=$(shared_id)
bt_log "bt_rings slots: $slots (bt_events $shared)"
for s in $slots; do
	[ "$s" = "$shared" ] || bt_check_fail "slot holds map $s, not bt_events ($shared)"
done
curl -s -o /dev/null -X POST --data "user=a' OR '1'='1" "http://127.0.0.1:$APP_PORT/login" ||
	bt_check_fail "request failed"
echo "sql_injection high 1" >"$BT_TMP/expected.txt"
bt_wait_counts "one request on the shared ring" "$BT_TMP/expected.txt" \
	biothings_security_events_total type,severity ||
	bt_check_fail "the request on the shared ring was not seen"
bt_observer_stop_checked
bt_finish
