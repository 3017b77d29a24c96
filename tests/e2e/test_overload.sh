#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Overload, provoked for real against nginx (named bt-overload-web by a
# port rule, so other nginx on the host never mix in):
#   1. ring buffer overrun: 64 KiB rings (shared and per CPU), wrk at full speed, and the
#      observer stopped (SIGSTOP) for 1.5 s mid-burst, as a host too busy to
#      schedule it would: ringbuf_full drops are counted, /metrics answers
#      during the burst, only "GET 200" is ever counted for a burst of
#      GET 200s (no mis-pairing), and a known set of requests afterwards is
#      counted exactly;
#   2. connection map full: capture.max_connections 64 and 1000 keep-alive
#      connections, each used twice: the evictions are counted
#      (biothings_observer_connections_evicted_total), bt_conns holds at
#      most 64 entries, nothing but "GET 204" is counted, and a fresh set of
#      requests afterwards is counted exactly;
#   3. over 100k connections opened and closed (wrk with Connection: close):
#      no bt_conns entry of nginx's port is left, the counts add up, and the
#      observer's anonymous memory (RssAnon) comes back: the second 50k
#      connections add at most 4 MiB (a leak of 80 bytes per connection
#      would add more), everything at most 24 MiB over the warmed-up start
#      (allocator arenas and SQLite page caches settle within that; see
#      docs/reliability.md).
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
bt_init overload
bt_need_cmd wrk nginx

OBS=19790
NGX=18790
SVC=bt-overload-web
BASE=http://127.0.0.1:$NGX
CONNS=1000
MAP=64

# 1000 sockets in one client and up to 1000 in one nginx worker
ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge $((CONNS + 200)) ] ||
	bt_fail "open files limit $(ulimit -n) is below $((CONNS + 200))"

cat >"$BT_TMP/observer.yaml" <<EOF
services:
  - name: $SVC
    match: {port: $NGX}
EOF

M=$BT_TMP/m.prom
scrape() { bt_scrape "$M" || bt_check_fail "scrape of /metrics failed"; }
val() { bt_promq sum "$M" "$@"; } # val METRIC [FILTER...] on the last scrape
server_counts() { # "METHOD STATUS n" of SVC on the last scrape
	bt_promq group "$M" http_server_request_duration_seconds_count \
		http_request_method,http_response_status_code service_name="$SVC"
}
# get N PATH: N requests, one curl process, one keep-alive connection
get() {
	local args=() i
	for ((i = 0; i < $1; i++)); do args+=(-o /dev/null "$BASE$2"); done
	curl -s "${args[@]}" || bt_check_fail "curl $2 failed"
}
# Entries of the pinned connection map with NGX as local or remote port.
conns_of_port() {
	bpftool -j map dump pinned "$BT_PIN_DIR/$(bt_conns_map)" 2>/dev/null | "$BT_PY" -c '
import json, sys
port = int(sys.argv[1])
n = 0
for e in json.load(sys.stdin):
    v = e.get("formatted", e).get("value")  # with BTF, the named fields are under "formatted"
    if isinstance(v, dict) and port in (v.get("lport"), v.get("rport")):
        n += 1
print(n)' "$NGX"
}
conns_all() {
	bpftool -j map dump pinned "$BT_PIN_DIR/$(bt_conns_map)" 2>/dev/null |
		"$BT_PY" -c 'import json, sys; print(len(json.load(sys.stdin)))'
}
# exact_after TITLE EXPECTED-FILE EXCLUDED-STATUS: the fresh set, exactly
exact_after() {
	bt_wait_counts "$1" "$2" http_server_request_duration_seconds_count \
		http_request_method,http_response_status_code service_name="$SVC" \
		"http_response_status_code!=$3" || bt_check_fail "$1: not counted exactly"
}

bt_nginx_start "$NGX"

# ---------------------------------------------------------------- 1. ring buffer
bt_log "---- 1. a burst through 64 KiB ring buffers, the observer stopped mid-burst"
bt_observer_start "$OBS" --config "$BT_TMP/observer.yaml" --ringbuf-size 64KiB --ringbuf-per-cpu 64KiB
: >"$BT_NGX_ACCESS"
wrk -t2 -c64 -d4s --timeout 2s "$BASE/small.txt" >"$BT_ART/wrk-burst.txt" 2>&1 &
WRK=$!
bt_track "$WRK" wrk
sleep 1
kill -STOP "$BT_OBS_PID"
sleep 1.5
kill -CONT "$BT_OBS_PID"
sleep 0.3
code=$(curl -s -o "$BT_TMP/during.prom" --max-time 3 -w '%{http_code}' "http://127.0.0.1:$OBS/metrics")
bt_log "/metrics during the burst: $code"
[ "$code" = 200 ] || bt_check_fail "/metrics did not answer during the burst (got '$code')"
wait "$WRK" || bt_check_fail "wrk exited with status $?"
sed 's/^/    /' "$BT_ART/wrk-burst.txt"
sleep 1
scrape
drops=$(val biothings_observer_events_dropped_total reason=ringbuf_full)
burst=$(wc -l <"$BT_NGX_ACCESS")
server_counts >"$BT_TMP/burst-counts.txt"
bt_log "burst: $burst requests served, ringbuf_full drops $drops, counted: $(tr '\n' ';' <"$BT_TMP/burst-counts.txt")"
[ "$drops" -gt 0 ] 2>/dev/null || bt_check_fail "a stalled reader and a 64 KiB ring dropped nothing (ringbuf_full=$drops)"
bt_alive "$BT_OBS_PID" || bt_fail "the observer died in the burst"
# every request of the burst was GET /small.txt -> 200: anything else is a mis-pairing
if grep -qv '^GET 200 ' "$BT_TMP/burst-counts.txt"; then
	bt_check_fail "the burst was counted with other methods or statuses: $(tr '\n' ';' <"$BT_TMP/burst-counts.txt")"
fi
n=$(awk '{ s += $3 } END { print s + 0 }' "$BT_TMP/burst-counts.txt")
if [ "$n" -eq 0 ] || [ "$n" -gt "$burst" ]; then
	bt_check_fail "burst counted $n of $burst requests"
fi

bt_log "after the burst: 30 x 418, 20 x 201, 10 x 404 must be counted exactly"
get 30 /status/418
get 20 /status/201
get 10 /status/404
printf 'GET 201 20\nGET 404 10\nGET 418 30\n' >"$BT_TMP/expected1.txt"
exact_after "after the overrun" "$BT_TMP/expected1.txt" 200
scrape
bt_log "ringbuf_full drops after the exact set: $(val biothings_observer_events_dropped_total reason=ringbuf_full) (were $drops)"
bt_observer_stop_checked

# ------------------------------------------------------------ 2. connection map
bt_log "---- 2. $CONNS keep-alive connections through a $MAP-entry connection map"
bt_observer_start "$OBS" --config "$BT_TMP/observer.yaml" --max-connections "$MAP" --gc-interval 1s
cat >"$BT_TMP/conns.py" <<'PY'
# N keep-alive connections, all open at once, each used ROUNDS times.
import resource, socket, sys
port, n, rounds = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft != resource.RLIM_INFINITY and soft < n + 64:
    resource.setrlimit(resource.RLIMIT_NOFILE, (n + 64, hard))
req = b"GET /status/204 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(n)]
got = {}
for _ in range(rounds):
    for s in socks:
        s.sendall(req)
    for s in socks:
        buf = b""
        while b"\r\n\r\n" not in buf:  # a 204 has no body
            d = s.recv(4096)
            if not d:
                sys.exit("connection closed before the answer")
            buf += d
        st = int(buf.split(b" ", 2)[1])
        got[st] = got.get(st, 0) + 1
for s in socks:
    s.close()
print(" ".join("%d:%d" % kv for kv in sorted(got.items())))
PY
out=$("$BT_PY" "$BT_TMP/conns.py" "$NGX" "$CONNS" 2) || bt_check_fail "the connection client failed: $out"
bt_log "client: $CONNS connections x 2 requests, answers $out"
[ "$out" = "204:$((CONNS * 2))" ] || bt_check_fail "client answers: expected 204:$((CONNS * 2)), got '$out'"
sleep 3 # three gc intervals: a census after the client closed everything
scrape
evicted=$(val biothings_observer_connections_evicted_total)
full=$(val biothings_observer_events_dropped_total reason=conn_map_full)
entries=$(conns_all)
bt_log "evicted $evicted, conn_map_full $full, bt_conns entries $entries (max $MAP)," \
	"tracked gauge $(val biothings_observer_connections_tracked)," \
	"opened $(val biothings_observer_connections_opened_total), closed $(val biothings_observer_connections_closed_total)"
# 2000 entries (a server and a client side per connection) through 64 slots
[ "$evicted" -ge $((CONNS - MAP)) ] 2>/dev/null ||
	bt_check_fail "evictions not counted: $evicted, expected at least $((CONNS - MAP))"
if [ -z "$entries" ] || [ "$entries" -gt "$MAP" ]; then
	bt_check_fail "bt_conns holds '$entries' entries, more than $MAP (or could not be read)"
fi
server_counts >"$BT_TMP/flood-counts.txt"
bt_log "counted during the flood: $(tr '\n' ';' <"$BT_TMP/flood-counts.txt")"
if grep -qv '^GET 204 ' "$BT_TMP/flood-counts.txt"; then
	bt_check_fail "the flood was counted with other methods or statuses: $(tr '\n' ';' <"$BT_TMP/flood-counts.txt")"
fi
n=$(awk '{ s += $3 } END { print s + 0 }' "$BT_TMP/flood-counts.txt")
[ "$n" -le $((CONNS * 2)) ] || bt_check_fail "the flood counted $n requests, more than the $((CONNS * 2)) sent"

bt_log "fresh connections after the evictions: 25 x 418, 15 x 201, one connection each"
for _ in $(seq 25); do get 1 /status/418; done
for _ in $(seq 15); do get 1 /status/201; done
printf 'GET 201 15\nGET 418 25\n' >"$BT_TMP/expected2.txt"
exact_after "after the evictions" "$BT_TMP/expected2.txt" 204
bt_observer_stop_checked

# ----------------------------------------------------------- 3. 100k connections
bt_log "---- 3. over 100k connections opened and closed"
bt_observer_start "$OBS" --config "$BT_TMP/observer.yaml" --gc-interval 1s
# the entry count below must be able to see an entry: one held connection first
"$BT_PY" -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n")
s.recv(4096)
time.sleep(30)' "$NGX" &
HOLD=$!
bt_track "$HOLD" holder
sleep 0.5
held=$(conns_of_port)
bt_log "bt_conns entries on port $NGX with one connection held open: '$held'"
if [ -z "$held" ] || [ "$held" -lt 1 ]; then
	bt_check_fail "bt_conns shows no entry of a connection held open on $NGX"
fi
kill "$HOLD"
wait "$HOLD" 2>/dev/null
: >"$BT_NGX_ACCESS"
WRK_RUNS=0
# churn N: at least N more requests, each on a connection of its own
churn() {
	local want i
	want=$(($(wc -l <"$BT_NGX_ACCESS") + $1))
	for ((i = 0; i < 30; i++)); do
		[ "$(wc -l <"$BT_NGX_ACCESS")" -ge "$want" ] && return 0
		wrk -t2 -c16 -d2s --timeout 2s -H 'Connection: close' "$BASE/small.txt" \
			>>"$BT_ART/wrk-churn.txt" 2>&1
		WRK_RUNS=$((WRK_RUNS + 1))
	done
	[ "$(wc -l <"$BT_NGX_ACCESS")" -ge "$want" ] || bt_fail "wrk made fewer than $1 connections in 60 s"
}
rss() { awk '/^RssAnon:/ { print $2 }' "/proc/$BT_OBS_PID/status"; }
churn 2000
sleep 3
rss0=$(rss)
warm=$(wc -l <"$BT_NGX_ACCESS")
churn 50000
sleep 3
rss1=$(rss)
churn 50000
sleep 3
rss2=$(rss)
total=$(wc -l <"$BT_NGX_ACCESS")
bt_log "RssAnon: ${rss0} kB after $warm warm-up connections, ${rss1} kB after 50k more, ${rss2} kB after" \
	"50k more ($total connections in $WRK_RUNS wrk runs)"
[ $((rss2 - rss1)) -le 4096 ] || bt_check_fail "RssAnon grew $((rss2 - rss1)) kB over the last 50k connections (bound 4096)"
[ $((rss2 - rss0)) -le 24576 ] || bt_check_fail "RssAnon grew $((rss2 - rss0)) kB over 100k connections (bound 24576)"
left=
for _ in $(seq 25); do
	left=$(conns_of_port)
	[ "$left" = 0 ] && break
	sleep 0.2
done
bt_log "bt_conns entries on port $NGX after the churn: expected 0, got '$left'"
[ "$left" = 0 ] || bt_check_fail "bt_conns kept $left entries of port $NGX after every connection closed"
# wrk leaves up to 16 requests in flight at each exit: those may count as
# unanswered rather than served
# (+1: the held connection's request, answered before the access log was emptied)
low=$((total + 1 - WRK_RUNS * 16))
printf 'GET 200 %s\n' "$low" >"$BT_TMP/low3.txt"
printf 'GET 200 %s\n' "$((total + 1))" >"$BT_TMP/high3.txt"
bt_wait_within "100k connections" "$BT_TMP/low3.txt" "$BT_TMP/high3.txt" \
	http_server_request_duration_seconds_count http_request_method,http_response_status_code \
	service_name="$SVC" || bt_check_fail "the churn was not counted"
scrape
bt_log "evicted $(val biothings_observer_connections_evicted_total), ringbuf_full $(val biothings_observer_events_dropped_total reason=ringbuf_full)"
bt_observer_stop_checked
bt_finish
