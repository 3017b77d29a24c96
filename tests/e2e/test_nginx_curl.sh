#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# nginx served to one curl process that reuses its keep-alive connection
# for GET, HEAD, POST (100 KB bodies), PUT, DELETE, every status nginx can
# return, a 1 MB sendfile body and gzip-chunked bodies. The observer's
# per-(method,status) counts must equal nginx's access log exactly on the
# server side (service_name="nginx") and curl's own record of what it got
# on the client side (service_name="curl").
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
bt_init nginx_curl

OBS_PORT=19465
NGX_PORT=18081
BASE=http://127.0.0.1:$NGX_PORT
CODES="200 201 204 301 302 304 400 404 418 500 503"

bt_nginx_start "$NGX_PORT"
bt_observer_start "$OBS_PORT"
: >"$BT_NGX_ACCESS"

# One curl process; --next starts a new group of options but keeps the
# connection pool, so requests share connections except where nginx closes
# them (400 and 500 answers).
W='%{method} %{http_code}\n'
args=(-s -w "$W")
for u in / /small.txt /big.bin /missing.txt /small.txt /big.bin; do
	args+=(-o /dev/null "$BASE$u")
done
for c in $CODES; do
	args+=(-o /dev/null "$BASE/status/$c")
done
args+=(--next -s -w "$W" -H 'Accept-Encoding: gzip')
for _ in 1 2 3; do
	args+=(-o /dev/null "$BASE/gz/text.txt")
done
args+=(--next -s -w "$W" -I)
for u in /small.txt /big.bin /status/204 /missing.txt /status/302; do
	args+=(-o /dev/null "$BASE$u")
done
args+=(--next -s -w "$W" --data-binary "@$BT_POST_FILE")
for _ in 1 2 3; do
	args+=(-o /dev/null "$BASE/post")
done
args+=(--next -s -w "$W" -d 'a=1&b=2' -o /dev/null "$BASE/status/201")
args+=(--next -s -w "$W" -X PUT --data-binary @"$BT_NGX_PREFIX/html/small.txt" -o /dev/null "$BASE/status/201")
args+=(--next -s -w "$W" -X DELETE -o /dev/null "$BASE/status/204")
args+=(--next -s -w "$W" -o /dev/null "$BASE/big.bin" -o /dev/null "$BASE/status/200")

bt_log "curl: $(($(printf '%s\n' "${args[@]}" | grep -c '^http://'))) requests in one process"
curl "${args[@]}" >"$BT_TMP/curl-w.txt" || bt_check_fail "curl exited with status $?"
awk '{ c[$1 " " $2]++ } END { for (k in c) print k, c[k] }' "$BT_TMP/curl-w.txt" | sort >"$BT_TMP/curl-counts.txt"

# nginx writes the access log line after the response: give it a moment.
sleep 0.3
bt_access_counts "$BT_NGX_ACCESS" >"$BT_TMP/access-counts.txt"
cp "$BT_NGX_ACCESS" "$BT_ART/access.log"
bt_log "access log: $(wc -l <"$BT_NGX_ACCESS") requests"

# The test itself: curl and nginx must agree before the observer is judged.
bt_promq compare "curl-vs-nginx-log" "$BT_TMP/curl-counts.txt" "$BT_TMP/access-counts.txt" ||
	bt_check_fail "curl's -w output and nginx's access log disagree (test harness problem)"

bt_wait_counts "server nginx" "$BT_TMP/access-counts.txt" \
	http_server_request_duration_seconds_count http_request_method,http_response_status_code \
	service_name=nginx || bt_check_fail "server-side counts for nginx differ from the access log"

bt_wait_counts "client curl" "$BT_TMP/curl-counts.txt" \
	http_client_request_duration_seconds_count http_request_method,http_response_status_code \
	service_name=curl server_port="$NGX_PORT" || bt_check_fail "client-side counts for curl differ"

# The peer as dialled: curl connected to 127.0.0.1, nothing else.
bt_scrape "$BT_ART/metrics-final.prom"
bt_promq group "$BT_ART/metrics-final.prom" http_client_request_duration_seconds_count \
	server_address,server_port service_name=curl server_port="$NGX_PORT" >"$BT_TMP/peers.txt"
echo "127.0.0.1 $NGX_PORT $(wc -l <"$BT_TMP/curl-w.txt")" >"$BT_TMP/peers-expected.txt"
bt_promq compare "client peer" "$BT_TMP/peers-expected.txt" "$BT_TMP/peers.txt" ||
	bt_check_fail "client-side server_address/server_port labels are not 127.0.0.1:$NGX_PORT"
bt_check_no_drops
bt_observer_stop_checked
bt_finish
