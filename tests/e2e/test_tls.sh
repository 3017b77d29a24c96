#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# HTTPS seen in plaintext through the OpenSSL uprobes, with no change to
# any process: nginx serves TLS (libssl, SSL_read/SSL_write), curl
# (libssl via libcurl), python's urllib (SSL_read_ex/SSL_write_ex) and node
# (OpenSSL linked into the node binary, memory BIOs) are the clients.
# Per-(method,status) counts must equal nginx's access log on the server
# side and what each client did on the client side, exactly.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
bt_init tls

OBS_PORT=19472
NGX_PORT=18088
export BT_NGX_TLS_PORT=18443
URL=https://127.0.0.1:$BT_NGX_TLS_PORT

bt_need_cmd node
bt_observer_start "$OBS_PORT"
bt_nginx_start "$NGX_PORT"
: >"$BT_NGX_ACCESS"

# curl: one process, one keep-alive TLS connection, many requests
curl -sS --cacert "$BT_CA" -o /dev/null -o /dev/null -o /dev/null -o /dev/null -o /dev/null \
	"$URL/" "$URL/status/404" "$URL/status/500" "$URL/big.bin" "$URL/gz/text.txt" \
	-H 'Accept-Encoding: gzip' || bt_fail "curl failed"
curl -sS --cacert "$BT_CA" -o /dev/null --data-binary @"$BT_POST_FILE" "$URL/post" ||
	bt_fail "curl POST failed"

# python urllib: a new TLS connection per request
"$BT_PY" - "$URL" "$BT_CA" <<'PY' || bt_fail "python client failed"
import ssl, sys, urllib.request, urllib.error
url, ca = sys.argv[1], sys.argv[2]
ctx = ssl.create_default_context(cafile=ca)
for path in ["/", "/small.txt", "/status/201", "/status/418"]:
    try:
        urllib.request.urlopen(url + path, context=ctx).read()
    except urllib.error.HTTPError as e:
        e.read()
PY

# node https with a keep-alive agent
NODE_EXTRA_CA_CERTS=$BT_CA node - "$URL" <<'JS' || bt_fail "node client failed"
const https = require('https');
const url = process.argv[2];
const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
const get = (p) => new Promise((ok, bad) => {
  https.get(url + p, { agent }, (res) => { res.resume(); res.on('end', ok); }).on('error', bad);
});
(async () => {
  for (const p of ['/', '/status/404', '/small.txt', '/status/503', '/big.bin']) await get(p);
  agent.destroy();
})().catch((e) => { console.error(e); process.exit(1); });
JS

sleep 0.5
bt_access_counts "$BT_NGX_ACCESS" >"$BT_TMP/access.txt"
bt_log "nginx access log:"
sed 's/^/    /' "$BT_TMP/access.txt"
bt_wait_counts "server nginx over TLS" "$BT_TMP/access.txt" \
	http_server_request_duration_seconds_count http_request_method,http_response_status_code \
	service_name=nginx || bt_check_fail "nginx's TLS requests not counted exactly"

printf 'GET 200 3\nGET 404 1\nGET 500 1\nPOST 200 1\n' >"$BT_TMP/curl.txt"
bt_wait_counts "client curl over TLS" "$BT_TMP/curl.txt" \
	http_client_request_duration_seconds_count http_request_method,http_response_status_code \
	service_name=curl server_port="$BT_NGX_TLS_PORT" || bt_check_fail "curl's TLS requests not counted exactly"

printf 'GET 200 2\nGET 201 1\nGET 418 1\n' >"$BT_TMP/py.txt"
bt_wait_counts "client python over TLS" "$BT_TMP/py.txt" \
	http_client_request_duration_seconds_count http_request_method,http_response_status_code \
	service_name="$BT_PY_SERVICE" || bt_check_fail "python's TLS requests not counted exactly"

printf 'GET 200 3\nGET 404 1\nGET 503 1\n' >"$BT_TMP/node.txt"
bt_wait_counts "client node over TLS" "$BT_TMP/node.txt" \
	http_client_request_duration_seconds_count http_request_method,http_response_status_code \
	service_name=node || bt_check_fail "node's TLS requests not counted exactly"

bt_check_no_drops
bt_observer_stop_checked
bt_finish
