#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# A process that starts after the observer with its own copy of libssl (a
# file the start-up scan never saw, as in a new container) must have its
# HTTPS seen within moments of its exec, not at the next periodic scan
# (here set to an hour, so only the exec path can find it).
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
bt_init tls_new_lib

OBS_PORT=19473
NGX_PORT=18089
export BT_NGX_TLS_PORT=18447

SYS_SSL=$("$BT_PY" -c 'import _ssl, subprocess, sys
out = subprocess.run(["ldd", _ssl.__file__], capture_output=True, text=True).stdout
print(next(l.split("=>")[1].split()[0] for l in out.splitlines() if "libssl.so" in l))')
[ -f "$SYS_SSL" ] || bt_fail "cannot find the libssl python uses (got '$SYS_SSL')"
mkdir -p "$BT_TMP/lib"
cp "$SYS_SSL" "$BT_TMP/lib/"
bt_log "private libssl copy: $BT_TMP/lib/$(basename "$SYS_SSL") (system: $SYS_SSL)"

bt_observer_start "$OBS_PORT" --gc-interval 1h
bt_nginx_start "$NGX_PORT"
: >"$BT_NGX_ACCESS"

LD_LIBRARY_PATH=$BT_TMP/lib "$BT_PY" - "https://127.0.0.1:$BT_NGX_TLS_PORT" "$BT_CA" "$BT_TMP/lib" <<'PY' || bt_fail "client failed"
import ssl, sys, time, urllib.request
url, ca, libdir = sys.argv[1:4]
maps = open("/proc/self/maps").read()
assert libdir + "/libssl.so" in maps, "the private libssl copy is not the one loaded"
time.sleep(1.0)  # the observer looks at a process 150 ms after its exec
ctx = ssl.create_default_context(cafile=ca)
for _ in range(3):
    urllib.request.urlopen(url + "/small.txt", context=ctx).read()
PY

printf 'GET 200 3\n' >"$BT_TMP/expected.txt"
bt_wait_counts "client with a private libssl" "$BT_TMP/expected.txt" \
	http_client_request_duration_seconds_count http_request_method,http_response_status_code \
	service_name="$BT_PY_SERVICE" server_port="$BT_NGX_TLS_PORT" ||
	bt_check_fail "HTTPS through a libssl first seen at exec was not counted"
grep -q "tls probes attached path=.*$BT_TMP/lib/libssl" "$BT_OBS_LOG" ||
	bt_check_fail "the observer did not log attaching to the private libssl"
bt_check_no_drops
bt_observer_stop_checked
bt_finish
