#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# TCP traffic that is not HTTP (a TLS ClientHello, a Postgres-like binary
# exchange whose messages start with upper-case letters, a server that
# speaks first) must be recognised as another protocol: no record, no
# drop counted, biothings_observer_connections_not_http_total raised. An
# HTTP exchange afterwards on a fresh connection is still counted.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
bt_init not_http

OBS_PORT=19471
PORT=18087

bt_observer_start "$OBS_PORT"

"$BT_PY" - "$PORT" >"$BT_ART/exchange.log" 2>&1 <<'PY'
import socket, sys, threading

port = int(sys.argv[1])
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(8)

def serve():
    for i in range(4):
        c, _ = srv.accept()
        if i == 2:
            c.sendall(b"220 smtp.example ESMTP ready\r\n")
        data = c.recv(65536)
        if i == 3:
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        else:
            c.sendall(b"R\x00\x00\x00\x08\x00\x00\x00\x00" + data[:16])
        c.recv(65536)
        c.close()

t = threading.Thread(target=serve)
t.start()
payloads = [
    bytes.fromhex("160301020001000001fc0303") + b"\x00" * 64,   # TLS ClientHello
    b"Q\x00\x00\x00\x0dSELECT 1;\x00",                           # Postgres simple query
    b"EHLO client\r\n",                                          # SMTP, server spoke first
    b"GET /after-binary HTTP/1.1\r\nHost: x\r\n\r\n",            # real HTTP
]
for p in payloads:
    s = socket.create_connection(("127.0.0.1", port))
    if p.startswith(b"EHLO"):
        s.recv(100)
    s.sendall(p)
    print(s.recv(100))
    s.close()
t.join()
PY
rc=$?
cat "$BT_ART/exchange.log"
[ "$rc" -eq 0 ] || bt_fail "exchange failed"

echo "GET 200 1" >"$BT_TMP/expected.txt"
bt_wait_counts "server after binary traffic" "$BT_TMP/expected.txt" \
	http_server_request_duration_seconds_count http_request_method,http_response_status_code \
	service_name="$BT_PY_SERVICE" || bt_check_fail "the HTTP exchange was not counted exactly once"
bt_check_no_drops
bt_scrape "$BT_TMP/final.prom"
n=$(bt_promq sum "$BT_TMP/final.prom" biothings_observer_connections_not_http_total)
bt_log "connections recognised as not HTTP: $n"
# 3 binary connections, each seen from both ends (client and server role)
[ "${n%.*}" -ge 6 ] || bt_check_fail "expected at least 6 not-HTTP connections, got $n"
bt_observer_stop_checked
bt_finish
