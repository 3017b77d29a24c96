#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# API safety (issue 9): hostile REST calls against a live observer.
#   1. Defaults, api.max_connections 8. A 9 or 40 KiB target -> 414 JSON
#      (ours), a 300 KiB one -> 414 (libmicrohttpd's), 4000 bytes -> still
#      routed; a 20 KiB header or two of 9 KiB -> 431 JSON (ours), one of
#      300 KiB -> 431 (libmicrohttpd's); Content-Length 65537 -> 413 JSON before the body
#      is read (65536 reaches the handler); a 2 MB chunked body -> 413 or the
#      connection closed; bad JSON -> 400 JSON; bad query -> 400 JSON; control
#      bytes -> 400; path traversal (raw ../, %2e%2e, %2E%2E%2F, under a prefix
#      route) -> 404 JSON, and with strace no file named passwd is touched.
#      40 idle connections: at most 8 (+3 racing accepts) held, the rest
#      closed at once; a scrape meanwhile fails fast instead of hanging;
#      afterwards /metrics is 200 and biothings_api_requests_refused_total
#      counts every reason.
#   2. Token file (0600), scope all: no token, another scheme, a wrong token
#      -> 401 + WWW-Authenticate: Bearer (error="invalid_token" for a wrong
#      one) + JSON; the right token -> 200 for reads and a write; the token
#      never appears in the observer's log (audit lines included).
#   3. $BIOTHINGS_API_TOKEN, scope writes: GET without a token 200, POST
#      without one 401, POST with it reaches the handler.
#   4. TLS with a test CA: https with --cacert works, plain http to the TLS
#      port fails, an unknown CA fails; TLS and a token together.
#   5. Refused at start: a certificate without its key, an empty token file.
set -uo pipefail
export BT_READY_TIMEOUT=${BT_READY_TIMEOUT:-30}
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
bt_init api-safety

OBS=19780
URL=http://127.0.0.1:$OBS
TOKEN=bt-e2e-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
AUTH="Authorization: Bearer $TOKEN"
BODY=$BT_TMP/body
HDRS=$BT_TMP/headers

# code_of URL [curl args]: the status (000: no HTTP answer); body in BODY, headers in HDRS.
code_of() {
	local url=$1
	shift
	rm -f "$BODY" "$HDRS"
	curl -s -o "$BODY" -D "$HDRS" -w '%{http_code}' --max-time 10 "$@" "$url" 2>/dev/null
}
is_json() { [ -s "$BODY" ] && "$BT_PY" -c 'import json,sys; json.load(open(sys.argv[1]))' "$BODY" 2>/dev/null; }
# expect WHAT CODES URL [curl args]: the status is one of CODES ("414|400")
expect() {
	local what=$1 codes=$2 url=$3 got
	shift 3
	got=$(code_of "$url" "$@")
	case "|$codes|" in
	*"|$got|"*) bt_log "$what: $got $(head -c 120 "$BODY" 2>/dev/null | tr -d '\n')" ;;
	*) bt_check_fail "$what: expected $codes, got $got: $(head -c 200 "$BODY" 2>/dev/null)" ;;
	esac
}
# expect_json WHAT CODE URL [curl args]: that status and a JSON {"error": ...} body
expect_json() {
	expect "$@"
	if ! is_json || ! grep -q '"error"' "$BODY"; then
		bt_check_fail "$1: no JSON error body: $(head -c 200 "$BODY" 2>/dev/null)"
	fi
}
header_of() { tr -d '\r' <"$HDRS" | grep -i "^$1:" | head -n1 | cut -d' ' -f2-; }
expect_401() { # expect_401 WHAT CHALLENGE URL [curl args]
	local what=$1 want=$2 url=$3
	shift 3
	expect_json "$what" 401 "$url" "$@"
	[ "$(header_of WWW-Authenticate)" = "$want" ] ||
		bt_check_fail "$what: WWW-Authenticate '$(header_of WWW-Authenticate)', want '$want'"
}
long() { head -c "$1" /dev/zero | tr '\0' "${2:-a}"; }
refused() { # refused REASON: biothings_api_requests_refused_total{reason=REASON}
	bt_promq sum "$BT_TMP/m.prom" biothings_api_requests_refused_total "reason=$1" 2>/dev/null
}
TRACK_OK='{"provider": "openai", "model": "gpt-4o", "input_tokens": 10, "output_tokens": 5}'

# obs_start PROBE_CURL_ARGS -- OBSERVER_ARGS: bt_observer_start for a listener that plain
# unauthenticated HTTP cannot probe (a token, TLS): ready when the probe gets 200.
obs_start() {
	local probe=() i code
	while [ "$1" != -- ]; do
		probe+=("$1")
		shift
	done
	shift
	# shellcheck disable=SC2034 # read by lib.sh (bt_scrape)
	BT_OBS_PORT=$OBS
	BT_OBS_STARTS=$((BT_OBS_STARTS + 1))
	BT_OBS_LOG=$BT_ART/observer.$BT_OBS_STARTS.log
	BT_STATE_DIR=$(mktemp -d "$BT_TMP/state.XXXXXX")
	BT_PIN_DIRS+=("$BT_PIN_DIR")
	bt_log "starting observer on 127.0.0.1:$OBS $*"
	"$BT_OBSERVER" --listen "127.0.0.1:$OBS" --pin-dir "$BT_PIN_DIR" --state-dir "$BT_STATE_DIR" \
		--log-level info --log-format json "$@" >"$BT_OBS_LOG" 2>&1 &
	BT_OBS_PID=$!
	bt_track "$BT_OBS_PID" observer
	for ((i = 0; i < BT_READY_TIMEOUT * 10; i++)); do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "${probe[@]}" 2>/dev/null)
		[ "$code" = 200 ] && return 0
		bt_alive "$BT_OBS_PID" || bt_fail "observer exited before serving: $(tail -n 5 "$BT_OBS_LOG")"
		sleep 0.1
	done
	bt_fail "observer not ready within ${BT_READY_TIMEOUT}s (last probe code '$code')"
}

# Fails the check if the token appears anywhere in the observer's log.
token_not_logged() {
	if grep -qF "$TOKEN" "$BT_OBS_LOG"; then
		bt_check_fail "the token appears in $BT_OBS_LOG"
	else
		bt_log "token absent from the log ($(wc -l <"$BT_OBS_LOG") lines)"
	fi
}

# ------------------------------------------------------------- 1. limits
cat >"$BT_TMP/limits.yaml" <<EOF
api:
  max_connections: 8
EOF
BT_OBS_LOG_FORMAT=json bt_observer_start "$OBS" --config "$BT_TMP/limits.yaml"

bt_log "the index: every endpoint once"
curl -s --max-time 5 "http://127.0.0.1:$OBS/" >"$BT_TMP/index.json"
"$BT_PY" - "$BT_TMP/index.json" <<'PY' || bt_check_fail "GET / endpoint list"
import collections, json, sys
eps = json.load(open(sys.argv[1]))['endpoints']
twice = [e for e, n in collections.Counter(eps).items() if n > 1]
assert not twice, twice
for e in ('GET /metrics', 'GET /health', 'GET /health/sla', 'GET /logs/security', 'GET /costs/summary'):
    assert e in eps, (e, eps)
PY

bt_log "request target and header sizes"
expect_json "9 KiB path" 414 "$URL/costs/$(long 9216)"
expect_json "9 KiB query" 414 "$URL/costs/summary?from=$(long 9216)"
expect_json "40 KiB path" 414 "$URL/$(long 40960)"
# Past 128 KiB an argument is too long for execve (and a curl config line):
# the long path goes over a raw socket, the long header from a file.
got=$("$BT_PY" - "$URL" <<'PY'
import socket, sys, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
s = socket.create_connection((u.hostname, u.port), timeout=10)
s.sendall(b"GET /" + b"a" * 307200 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
print(s.recv(64).split(b" ")[1].decode())
PY
)
case $got in
414 | 400) bt_log "300 KiB path (past MHD's memory): $got" ;;
*) bt_check_fail "300 KiB path: expected 414 or 400, got $got" ;;
esac
printf 'X-Pad: %s\n' "$(long 307200)" >"$BT_TMP/long-header.txt"
expect_json "4000-byte path is routed" 404 "$URL/$(long 4000)"
expect_json "20 KiB header" 431 "$URL/metrics" -H "X-Pad: $(long 20480)"
expect_json "two 9 KiB headers" 431 "$URL/metrics" -H "X-A: $(long 9216)" -H "X-B: $(long 9216)"
expect "300 KiB header (past MHD's memory)" "431|400" "$URL/metrics" -H @"$BT_TMP/long-header.txt"
expect "8 KiB header is fine" 200 "$URL/metrics" -H "X-Pad: $(long 8192)"

bt_log "bodies"
long 65537 ' ' >"$BT_TMP/over.json"
long 65536 ' ' >"$BT_TMP/max.json"
long 2097152 ' ' >"$BT_TMP/huge.json"
expect_json "Content-Length 65537" 413 "$URL/costs/track/llm" --data-binary @"$BT_TMP/over.json"
expect_json "Content-Length 65536 reaches the handler" 400 "$URL/costs/track/llm" \
	--data-binary @"$BT_TMP/max.json"
# No Content-Length to refuse it by: read and dropped up to 1 MiB, then the connection closes.
expect "2 MB chunked body" "413|000" "$URL/costs/track/llm" -H 'Transfer-Encoding: chunked' \
	-H 'Expect:' --data-binary @"$BT_TMP/huge.json"
expect_json "100 KB chunked body" 413 "$URL/costs/track/llm" -H 'Transfer-Encoding: chunked' \
	-H 'Expect:' --data-binary @"$BT_TMP/over.json"
expect_json "bad JSON" 400 "$URL/costs/track/llm" -H 'Content-Type: application/json' -d '{"provider": '
expect_json "not an object" 400 "$URL/costs/track/llm" -d '[1,2,3]'
expect_json "unknown query key" 400 "$URL/costs/summary?bogus=1"
expect_json "control byte in the path" 400 "$URL/costs/summary%0a"
expect_json "GET on a POST route" 405 "$URL/costs/track/llm"

bt_log "path traversal"
if command -v strace >/dev/null 2>&1; then
	# accept4: proof that strace sees the API threads at all
	strace -f -qq -e trace=%file,accept,accept4 -o "$BT_TMP/strace.txt" -p "$BT_OBS_PID" \
		2>/dev/null &
	STRACE_PID=$!
	bt_track "$STRACE_PID" strace
	sleep 1
	bt_alive "$STRACE_PID" || STRACE_PID=
fi
for p in "/../../etc/passwd" "/costs/../../../etc/passwd" "/%2e%2e/%2e%2e/etc/passwd" \
	"/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd" "/logs/..%2f..%2f..%2fetc%2fpasswd" \
	"/performance/endpoint/..%2F..%2Fetc%2Fpasswd" "/health/component/../../etc/passwd/test" \
	"/./etc/passwd" "/metrics/.."; do
	expect_json "GET $p" 404 "$URL$p" --path-as-is
done
expect_json "POST traversal" 404 "$URL/health/component/%2e%2e%2f%2e%2e%2fetc%2fpasswd/test" -X POST -d '{}'
if [ -n "${STRACE_PID:-}" ]; then
	sleep 0.5
	kill -INT "$STRACE_PID" 2>/dev/null
	bt_wait_gone "$STRACE_PID" 5
	if grep -q passwd "$BT_TMP/strace.txt"; then
		bt_check_fail "a traversal reached the filesystem: $(grep passwd "$BT_TMP/strace.txt" | head -n 3)"
	elif ! grep -q accept "$BT_TMP/strace.txt"; then
		bt_check_fail "strace saw no accept of the API: $(head -n 3 "$BT_TMP/strace.txt")"
	else
		bt_log "strace: no file named passwd touched ($(wc -l <"$BT_TMP/strace.txt") calls seen)"
	fi
else
	bt_log "strace missing or cannot attach: the filesystem side of the traversal checks is skipped"
fi

bt_log "connections beyond the limit of 8"
"$BT_PY" - "$OBS" 40 4 >"$BT_TMP/conns.txt" <<'PY' &
import socket, sys, time
port, n, hold = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
socks = [socket.create_connection(("127.0.0.1", port), timeout=2) for _ in range(n)]
time.sleep(0.5)
held = refused = 0
for s in socks:
    s.setblocking(False)
    try:
        d = s.recv(1)
        refused += d == b""
        held += d != b""
    except BlockingIOError:
        held += 1
    except (ConnectionResetError, BrokenPipeError):
        refused += 1
print(held, refused, flush=True)
time.sleep(hold)
PY
CONNS_PID=$!
bt_track "$CONNS_PID" connections
for ((i = 0; i < 50; i++)); do
	[ -s "$BT_TMP/conns.txt" ] && break
	sleep 0.1
done
read -r HELD REFUSED <"$BT_TMP/conns.txt"
bt_log "40 idle connections: $HELD held, $REFUSED closed by the observer"
if [ "${HELD:-0}" -lt 1 ] || [ "${HELD:-99}" -gt 11 ]; then
	bt_check_fail "held ${HELD:-?}, want 1..11 (8 + 3 racing accepts)"
fi
[ $((${HELD:-0} + ${REFUSED:-0})) -eq 40 ] || bt_check_fail "held + refused != 40"
t0=$(date +%s%N)
code=$(code_of "$URL/metrics")
ms=$((($(date +%s%N) - t0) / 1000000))
bt_log "a scrape while the limit is taken: $code after $ms ms"
[ "$code" = 000 ] || [ "$code" = 200 ] || bt_check_fail "scrape at the limit: $code"
[ "$ms" -lt 5000 ] || bt_check_fail "a refused scrape should fail at once, took $ms ms"
wait "$CONNS_PID"
expect "/metrics after the connections are gone" 200 "$URL/metrics"
bt_scrape "$BT_TMP/m.prom"
for r in uri_too_long headers_too_large body_too_large bad_request path_traversal connection_limit; do
	n=$(refused "$r")
	bt_log "refused{reason=$r} = ${n:-none}"
	if [ -z "$n" ] || [ "${n%.*}" -lt 1 ]; then
		bt_check_fail "biothings_api_requests_refused_total{reason=$r} not counted"
	fi
done
bt_observer_stop_checked

# ------------------------------------------------------ 2. token, scope all
printf '%s\n' "$TOKEN" >"$BT_TMP/token"
chmod 600 "$BT_TMP/token"
cat >"$BT_TMP/auth.yaml" <<EOF
api:
  token_file: $BT_TMP/token
  auth_scope: all
EOF
obs_start -H "$AUTH" "$URL/metrics" -- --config "$BT_TMP/auth.yaml"
CH='Bearer realm="biothings-observer"'
CH_BAD='Bearer realm="biothings-observer", error="invalid_token"'
expect_401 "no token" "$CH" "$URL/metrics"
expect_401 "no token, /health" "$CH" "$URL/health"
expect_401 "no token, index" "$CH" "$URL/"
expect_401 "Basic credentials" "$CH" "$URL/metrics" -u "user:$TOKEN"
expect_401 "wrong token" "$CH_BAD" "$URL/metrics" -H "Authorization: Bearer ${TOKEN}x"
expect_401 "token prefix" "$CH_BAD" "$URL/metrics" -H "Authorization: Bearer ${TOKEN%?}"
expect_401 "empty Bearer" "$CH_BAD" "$URL/metrics" -H "Authorization: Bearer"
expect_401 "no token, traversal" "$CH" "$URL/../../etc/passwd" --path-as-is
expect_401 "no token, write" "$CH" "$URL/costs/track/llm" -d "$TRACK_OK"
expect "right token" 200 "$URL/metrics" -H "$AUTH"
expect "right token, lower-case scheme" 200 "$URL/metrics" -H "Authorization: bearer $TOKEN"
expect "right token, /health" "200|503" "$URL/health" -H "$AUTH"
expect "right token, write" "200|201" "$URL/costs/track/llm" -H "$AUTH" -d "$TRACK_OK"
expect_json "right token, bad JSON" 400 "$URL/costs/track/llm" -H "$AUTH" -d '{'
grep -q '"status":401' "$BT_OBS_LOG" || bt_check_fail "no audit line for the refused write"
token_not_logged
bt_observer_stop_checked

# ------------------------------------------------- 3. environment, scope writes
cat >"$BT_TMP/writes.yaml" <<EOF
api:
  auth_scope: writes
EOF
export BIOTHINGS_API_TOKEN=$TOKEN
obs_start "$URL/metrics" -- --config "$BT_TMP/writes.yaml"
unset BIOTHINGS_API_TOKEN
expect "scope writes: GET without a token" 200 "$URL/metrics"
expect "scope writes: GET with a wrong token" 200 "$URL/metrics" -H "Authorization: Bearer nope"
expect_401 "scope writes: POST without a token" "$CH" "$URL/costs/track/llm" -d "$TRACK_OK"
expect_401 "scope writes: POST, wrong token" "$CH_BAD" "$URL/costs/track/llm" \
	-H "Authorization: Bearer nope" -d "$TRACK_OK"
expect_json "scope writes: POST with the token reaches the handler" 400 "$URL/costs/track/llm" \
	-H "$AUTH" -d 'not json'
token_not_logged
bt_observer_stop_checked

# ------------------------------------------------------------------ 4. TLS
bt_test_ca "$BT_TMP"
chmod 600 "$BT_TMP/server.key"
cat >"$BT_TMP/tls.yaml" <<EOF
api:
  tls_cert: $BT_TMP/server.crt
  tls_key: $BT_TMP/server.key
  token_file: $BT_TMP/token
EOF
HTTPS=https://127.0.0.1:$OBS
obs_start --cacert "$BT_CA" -H "$AUTH" "$HTTPS/metrics" -- --config "$BT_TMP/tls.yaml"
expect "https with the test CA" 200 "$HTTPS/metrics" --cacert "$BT_CA" -H "$AUTH"
expect "https by name" 200 "https://localhost:$OBS/metrics" --cacert "$BT_CA" -H "$AUTH"
expect_401 "https without the token" "$CH" "$HTTPS/metrics" --cacert "$BT_CA"
expect "plain http to the TLS port" 000 "$URL/metrics" -H "$AUTH"
expect "https with an unknown CA" 000 "$HTTPS/metrics" -H "$AUTH"
# tls_cipher VERSION-FLAG: the cipher openssl s_client agrees on, "(NONE)" when refused
tls_cipher() {
	echo | timeout 10 openssl s_client -connect "127.0.0.1:$OBS" "$1" -cipher 'DEFAULT:@SECLEVEL=0' \
		-CAfile "$BT_CA" 2>/dev/null | sed -n 's/^New, .*Cipher is //p'
}
c12=$(tls_cipher -tls1_2)
c11=$(tls_cipher -tls1_1)
bt_log "TLS 1.2: cipher '$c12'; TLS 1.1: cipher '$c11'"
case $c12 in '' | '(NONE)') bt_check_fail "TLS 1.2 handshake failed" ;; esac
[ "$c11" = '(NONE)' ] || [ -z "$c11" ] || bt_check_fail "TLS 1.1 was accepted: $c11"
token_not_logged
bt_observer_stop_checked

# ------------------------------------------------------ 5. refused at start
# refused_at_start WHAT NEEDLE CONFIG: the observer exits non-zero, saying NEEDLE.
refused_at_start() {
	local what=$1 needle=$2 log=$BT_ART/refused.$RANDOM.log pid rc
	"$BT_OBSERVER" --listen "127.0.0.1:$OBS" --pin-dir "$BT_PIN_DIR" \
		--state-dir "$(mktemp -d "$BT_TMP/state.XXXXXX")" --log-format text \
		--config "$3" >"$log" 2>&1 &
	pid=$!
	bt_track "$pid" observer-refused
	if ! bt_wait_gone "$pid" 30; then
		bt_check_fail "$what: still running after 30 s"
		kill -TERM "$pid"
		return
	fi
	wait "$pid"
	rc=$?
	if [ "$rc" -eq 0 ] || ! grep -q "$needle" "$log"; then
		bt_check_fail "$what: exit $rc, log: $(tail -n 3 "$log")"
	else
		bt_log "$what: exit $rc, '$(grep -m1 "$needle" "$log" | cut -c1-160)'"
	fi
}
printf 'api:\n  tls_cert: %s\n' "$BT_TMP/server.crt" >"$BT_TMP/half.yaml"
refused_at_start "certificate without key" "tls_key" "$BT_TMP/half.yaml"
: >"$BT_TMP/empty-token"
printf 'api:\n  token_file: %s\n' "$BT_TMP/empty-token" >"$BT_TMP/empty.yaml"
refused_at_start "empty token file" "empty" "$BT_TMP/empty.yaml"

bt_finish
