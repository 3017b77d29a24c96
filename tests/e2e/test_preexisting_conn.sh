#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# A keep-alive connection older than the observer: a python client makes 3
# requests to nginx (/status/418) before the observer starts and 5 to a
# unique /preexisting-<random> path (200) after, on the same connection.
# The observer must count exactly those 5 on both sides: nothing from
# before its start, no 418, nothing mis-paired, nothing twice.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
bt_init preexisting_conn

OBS_PORT=19470
NGX_PORT=18086
UNIQUE=/preexisting-$RANDOM$RANDOM

bt_nginx_start "$NGX_PORT"
SERVICE=$BT_PY_SERVICE

"$BT_PY" "$BT_E2E_DIR/pyclient.py" --port "$NGX_PORT" --counts "$BT_TMP/client-exact.txt" \
	--loose "$BT_TMP/client-loose.txt" --preexisting "$UNIQUE" --before 3 --after 5 \
	--ready "$BT_TMP/ready" --go "$BT_TMP/go" >"$BT_ART/client.log" 2>&1 &
CLIENT=$!
bt_track "$CLIENT" pyclient
for ((i = 0; i < 100; i++)); do
	[ -e "$BT_TMP/ready" ] && break
	bt_alive "$CLIENT" || break
	sleep 0.1
done
[ -e "$BT_TMP/ready" ] || bt_fail "client did not make its first requests: $(cat "$BT_ART/client.log")"
bt_log "client pid $CLIENT made 3 requests before the observer:"
sed 's/^/    /' "$BT_ART/client.log"
ss -tnp "dport = :$NGX_PORT" | sed 's/^/    /'

bt_observer_start "$OBS_PORT"
# Let start-up finish seeding connections that already exist.
sleep 1
: >"$BT_NGX_ACCESS"
touch "$BT_TMP/go"
wait "$CLIENT"
rc=$?
sed -n '4,$p' "$BT_ART/client.log" | sed 's/^/    /'
[ "$rc" -eq 0 ] || bt_check_fail "client failed (status $rc)"
sleep 0.3

bt_access_counts "$BT_NGX_ACCESS" >"$BT_TMP/access-counts.txt"
echo "GET 200 5" >"$BT_TMP/expected.txt"
bt_promq compare "access log after start" "$BT_TMP/expected.txt" "$BT_TMP/access-counts.txt" ||
	bt_check_fail "nginx did not log exactly 5 requests after the start (test harness problem)"

bt_wait_counts "server nginx" "$BT_TMP/expected.txt" \
	http_server_request_duration_seconds_count http_request_method,http_response_status_code \
	service_name=nginx || bt_check_fail "server side: not exactly the 5 requests made after start"
bt_wait_counts "client $SERVICE" "$BT_TMP/expected.txt" \
	http_client_request_duration_seconds_count http_request_method,http_response_status_code \
	service_name="$SERVICE" server_port="$NGX_PORT" || bt_check_fail "client side: not exactly the 5 requests made after start"

bt_scrape "$BT_ART/metrics-final.prom"
bt_log "nginx routes:"
bt_promq group "$BT_ART/metrics-final.prom" http_server_request_duration_seconds_count \
	http_route,http_response_status_code service_name=nginx | sed 's/^/    /'
# When the route keeps the raw path it must carry all 5 and nothing else.
n=$(bt_promq sum "$BT_ART/metrics-final.prom" http_server_request_duration_seconds_count \
	service_name=nginx http_route="$UNIQUE")
if [ "$n" != 0 ]; then
	bt_log "route $UNIQUE: expected 5, got $n"
	[ "$n" = 5 ] || bt_check_fail "route $UNIQUE counted $n times"
fi
bt_check_no_drops
bt_observer_stop_checked
bt_finish
