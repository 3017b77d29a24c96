#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# capture.framing: boundary end to end. The kernel is told (bt_config as
# bpftool dumps it) and /metrics says so. One raw client connection to nginx carries GET, a
# 200 KB POST that nginx answers before reading it all, 404s with and
# without a body, HEAD, 204, PUT and a query, then is held open: the last
# request is not reported yet (boundary framing reports a request when
# the next one starts or the connection closes), every other one is, on
# both sides; quiet for capture.framing_idle, the sweep reports the last
# one too, once per side. Closed: nothing is reported twice, every
# request is there with its status, and the request and response bytes
# of both sides equal exactly what the client sent and read. Nothing
# dropped, no parse error.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
bt_init boundary

OBS_PORT=19475
NGX_PORT=18475
M=$BT_TMP/m.prom
HELD=$BT_TMP/held.json
RELEASE=$BT_TMP/release

bt_nginx_start "$NGX_PORT"
IDLE=3
bt_observer_start "$OBS_PORT" --capture-framing boundary --framing-idle "${IDLE}s"

framing=$(bpftool -j map dump pinned "$BT_PIN_DIR/bt_config" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["formatted"]["value"]["framing"])')
[ "$framing" = 1 ] || bt_fail "bt_config.framing is $framing in the kernel, expected 1 (boundary)"
bt_scrape "$M" || bt_fail "scrape failed"
[ "$(bt_promq sum "$M" biothings_observer_capture_framing_info framing=boundary)" = 1 ] ||
	bt_check_fail "biothings_observer_capture_framing_info{framing=\"boundary\"} is not 1"

"$BT_PY" "$BT_E2E_DIR/boundary_client.py" "$NGX_PORT" "$HELD" "$RELEASE" 2>"$BT_ART/client.err" &
CLIENT=$!
bt_track "$CLIENT" boundary-client
for _ in $(seq 100); do
	[ -f "$HELD" ] && break
	kill -0 "$CLIENT" 2>/dev/null || break
	sleep 0.1
done
[ -f "$HELD" ] || bt_fail "client did not finish its exchanges: $(cat "$BT_ART/client.err")"
cp "$HELD" "$BT_ART/client.json"
read -r N sent received < <(python3 -c 'import json,sys
j = json.load(open(sys.argv[1])); print(j["requests"], j["sent"], j["received"])' "$HELD")
python3 -c 'import json,sys
for k, v in sorted(json.load(open(sys.argv[1]))["counts"].items()): print(k, v)' "$HELD" >"$BT_TMP/expected.txt"

count() { bt_promq sum "$M" "$@"; }
# wait_reported WANT TRIES: scrape until both sides report WANT requests
# or TRIES scrapes 0.2 s apart have passed; leaves server and client set.
wait_reported() {
	local i
	for ((i = 0; i < $2; i++)); do
		bt_scrape "$M" || bt_fail "scrape failed"
		server=$(count http_server_request_duration_seconds_count service_name=nginx)
		client=$(count http_client_request_duration_seconds_count server_port="$NGX_PORT")
		[ "$server" = "$1" ] && [ "$client" = "$1" ] && return
		sleep 0.2
	done
}
wait_reported $((N - 1)) 25
bt_log "held open after $N requests: server side $server, client side $client reported"
[ "$server" = $((N - 1)) ] || bt_check_fail "server side reported $server of $N while the last is held, expected $((N - 1))"
[ "$client" = $((N - 1)) ] || bt_check_fail "client side reported $client of $N while the last is held, expected $((N - 1))"

# Quiet for capture.framing_idle: the daemon's sweep reports the held
# answer on each side, once, with the connection still open.
wait_reported "$N" $((IDLE * 5 + 15))
swept=$(count biothings_observer_boundary_swept_total)
bt_log "quiet for ${IDLE}s, still open: server side $server, client side $client reported, swept $swept"
[ "$server" = "$N" ] || bt_check_fail "server side reported $server of $N after ${IDLE}s quiet, expected $N"
[ "$client" = "$N" ] || bt_check_fail "client side reported $client of $N after ${IDLE}s quiet, expected $N"
[ "$swept" = 2 ] || bt_check_fail "boundary_swept_total is $swept, expected 2 (one held answer per side)"

touch "$RELEASE"
wait "$CLIENT" || bt_check_fail "client failed: $(cat "$BT_ART/client.err")"
bt_wait_counts "server nginx" "$BT_TMP/expected.txt" \
	http_server_request_duration_seconds_count http_request_method,http_response_status_code \
	service_name=nginx || bt_check_fail "server-side counts differ from the client's"
bt_wait_counts "client" "$BT_TMP/expected.txt" \
	http_client_request_duration_seconds_count http_request_method,http_response_status_code \
	server_port="$NGX_PORT" || bt_check_fail "client-side counts differ from the client's own"

bt_scrape "$M"
cp "$M" "$BT_ART/metrics-final.prom"
for role in server client; do
	if [ $role = server ]; then f=(service_name=nginx); else f=('service_name=~python.*'); fi
	rq=$(count biothings_http_request_bytes_total role=$role "${f[@]}")
	rs=$(count biothings_http_response_bytes_total role=$role "${f[@]}")
	bt_log "$role side: request bytes $rq (sent $sent), response bytes $rs (read $received)"
	[ "$rq" = "$sent" ] || bt_check_fail "$role side counted $rq request bytes, the client sent $sent"
	[ "$rs" = "$received" ] || bt_check_fail "$role side counted $rs response bytes, the client read $received"
done
bt_check_no_drops
bt_observer_stop_checked
bt_finish
