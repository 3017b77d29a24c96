#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# python3 on both ends (tests/e2e/pyserver.py and pyclient.py): keep-alive
# reuse, bodies, Expect: 100-continue, HEAD, 204/304, hand-written chunked
# answers with trailers, close-delimited answers, HTTP/1.0, headers sent
# one byte per send(), pipelined requests in one send(), and an answer cut
# short by the server closing. The observer's server-side counts for the
# python service must equal the server's own count of what it sent, and
# its client-side counts the client's count of what it got. The cut-short
# answer may be counted or not, but must show up in
# biothings_http_responses_incomplete_total on both sides.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
bt_init python_clients

OBS_PORT=19467
PY_PORT=18183

bt_pyserver_start "$PY_PORT"
SERVICE=$(basename "$(readlink "/proc/$BT_PYS_PID/exe")")
bt_log "expected service_name of the python processes: $SERVICE"
bt_observer_start "$OBS_PORT"

"$BT_PY" "$BT_E2E_DIR/pyclient.py" --port "$PY_PORT" \
	--counts "$BT_TMP/client-exact.txt" --loose "$BT_TMP/client-loose.txt" ||
	bt_check_fail "python client scenarios failed on the wire (see above)"
sleep 0.3

cp "$BT_PYS_COUNTS" "$BT_ART/server-counts.txt"
cp "$BT_TMP/client-exact.txt" "$BT_ART/client-exact.txt"
cp "$BT_TMP/client-loose.txt" "$BT_ART/client-loose.txt"
# Keys of the cut-short answer are the only loose ones (see pyclient.py).
cat "$BT_TMP/client-exact.txt" "$BT_TMP/client-loose.txt" >"$BT_TMP/client-high.txt"
awk 'NR == FNR { l[$1 " " $2] = $3; next }
	{ n = $3 - l[$1 " " $2]; if (n > 0) print $1, $2, n }' \
	"$BT_TMP/client-loose.txt" "$BT_PYS_COUNTS" >"$BT_TMP/server-low.txt"
bt_log "server's own counts:"
sed 's/^/    /' "$BT_PYS_COUNTS"

bt_promq compare "client-vs-server" "$BT_TMP/client-high.txt" "$BT_PYS_COUNTS" ||
	bt_check_fail "python client and server disagree (test harness problem)"

bt_wait_within "server $SERVICE" "$BT_TMP/server-low.txt" "$BT_PYS_COUNTS" \
	http_server_request_duration_seconds_count http_request_method,http_response_status_code \
	service_name="$SERVICE" || bt_check_fail "server-side counts for $SERVICE differ"

bt_wait_within "client $SERVICE" "$BT_TMP/client-exact.txt" "$BT_TMP/client-high.txt" \
	http_client_request_duration_seconds_count http_request_method,http_response_status_code \
	service_name="$SERVICE" server_port="$PY_PORT" || bt_check_fail "client-side counts for $SERVICE differ"

bt_scrape "$BT_ART/metrics-final.prom"
bt_log "incomplete responses:"
bt_promq series "$BT_ART/metrics-final.prom" biothings_http_responses_incomplete_total \
	service_name="$SERVICE" | sed 's/^/    /'
for role in server client; do
	n=$(bt_promq sum "$BT_ART/metrics-final.prom" biothings_http_responses_incomplete_total \
		service_name="$SERVICE" role="$role")
	bt_log "incomplete $role: expected >= 1, got $n"
	[ "$n" -ge 1 ] 2>/dev/null || bt_check_fail "the cut-short answer is missing from biothings_http_responses_incomplete_total{role=\"$role\"}"
done
bt_check_no_drops
bt_observer_stop_checked
bt_finish
