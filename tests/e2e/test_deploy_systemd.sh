#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# The host agent as installed: `make install` puts every file in place
# under DESTDIR and PREFIX with the unit's paths rewritten and an edited
# config kept; systemd-analyze verifies the unit with no complaint (a
# broken copy must draw one) and rates its exposure; the hardening stays
# in the unit; and the observer, run as root with the unit's bounding set
# and no_new_privs on a read-only filesystem but for bpffs and its state
# directory, serves and shuts down cleanly while making only system calls
# that the unit's SystemCallFilter= allows (strace). No systemd is
# running here, so the sandbox is emulated, not the real one.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
bt_init deploy_systemd
bt_need_cmd systemd-analyze setpriv unshare strace make

OBS_PORT=19622
PY_PORT=18622
SECURITY_MAX=4.0 # systemd-analyze security exposure; 3.3 when written
UNIT_SRC=$BT_ROOT/deploy/systemd/biothings-observer.service
NAME=biothings-observer

inst() { make -s -C "$BT_ROOT" OUT="$BT_OUT" install "$@" >>"$BT_ART/install.log" 2>&1; }

# expect_file PATH MODE [SAME-AS]
expect_file() {
	local mode
	if [ ! -f "$1" ]; then
		bt_check_fail "not installed: $1"
		return
	fi
	mode=$(stat -c %a "$1")
	[ "$mode" = "$2" ] || bt_check_fail "$1: mode $mode, expected $2"
	[ -z "${3:-}" ] || cmp -s "$1" "$3" || bt_check_fail "$1 differs from $3"
	bt_log "installed $1 ($mode)"
}

# ---- 1. make install DESTDIR=... PREFIX=/usr
D=$BT_TMP/dest
inst DESTDIR="$D" PREFIX=/usr || bt_fail "make install DESTDIR=$D PREFIX=/usr failed: $(tail -n 5 "$BT_ART/install.log")"
expect_file "$D/usr/bin/$NAME" 755 "$BT_OBSERVER"
expect_file "$D/usr/lib/systemd/system/$NAME.service" 644
expect_file "$D/etc/$NAME/observer.yaml" 644
expect_file "$D/usr/share/$NAME/model_prices.json" 644 "$BT_ROOT/deploy/pricing/model_prices.json"
exec_line=$(grep '^ExecStart=' "$D/usr/lib/systemd/system/$NAME.service")
bt_log "installed unit: $exec_line"
[ "$exec_line" = "ExecStart=/usr/bin/$NAME --config /etc/$NAME/observer.yaml" ] ||
	bt_check_fail "ExecStart does not follow PREFIX=/usr"
left=$(grep -l /usr/local "$D/usr/lib/systemd/system/$NAME.service" "$D/etc/$NAME/observer.yaml")
[ -z "$left" ] || bt_check_fail "/usr/local left in $left"
if out=$("$D/usr/bin/$NAME" --check-config "$D/etc/$NAME/observer.yaml" 2>&1); then
	bt_log "installed config: $out"
else
	bt_check_fail "installed config refused: $out"
fi
echo "# edited by the test" >>"$D/etc/$NAME/observer.yaml"
inst DESTDIR="$D" PREFIX=/usr || bt_check_fail "second make install failed"
tail -n 1 "$D/etc/$NAME/observer.yaml" | grep -q 'edited by the test' ||
	bt_check_fail "a second make install overwrote the edited config"
grep -q "kept .*$D/etc/$NAME/observer.yaml" "$BT_ART/install.log" || bt_check_fail "make install did not say it kept the config"

# default PREFIX
D2=$BT_TMP/dest2
inst DESTDIR="$D2" || bt_check_fail "make install DESTDIR=$D2 failed"
for f in bin/$NAME lib/systemd/system/$NAME.service etc/$NAME/observer.yaml share/$NAME/model_prices.json; do
	[ -f "$D2/usr/local/$f" ] || bt_check_fail "default PREFIX: /usr/local/$f not installed"
done

# ---- 2. systemd-analyze verify on the unit with its binary in place
P=$BT_TMP/prefix
inst PREFIX="$P" || bt_fail "make install PREFIX=$P failed"
U=$P/lib/systemd/system/$NAME.service
if out=$(systemd-analyze verify "$U" 2>&1) && [ -z "$out" ]; then
	bt_log "systemd-analyze verify: clean"
else
	bt_check_fail "systemd-analyze verify: $out"
fi
sed -e 's/^ProtectSystem=strict/ProtectSytem=strict/' -e 's|^ExecStart=[^ ]*|ExecStart=/nonexistent/x|' "$U" >"$BT_TMP/$NAME.service"
out=$(systemd-analyze verify "$BT_TMP/$NAME.service" 2>&1)
case $out in
*"Unknown key 'ProtectSytem'"*"is not executable"* | *"is not executable"*"Unknown key 'ProtectSytem'"*)
	bt_log "broken copy: systemd-analyze verify complains as expected" ;;
*) bt_check_fail "systemd-analyze verify let a broken copy pass: $out" ;;
esac

# ---- 3. exposure rating
systemd-analyze security --offline=yes "$U" >"$BT_ART/security.txt" 2>&1
score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' "$BT_ART/security.txt")
bt_log "systemd-analyze security --offline=yes: exposure $score (at most $SECURITY_MAX)"
grep '✗' "$BT_ART/security.txt" | sed 's/  */ /g; s/^/    /' | cut -c1-110
if [ -z "$score" ] || ! awk -v s="$score" -v m="$SECURITY_MAX" 'BEGIN { exit !(s <= m) }'; then
	bt_check_fail "exposure '$score' above $SECURITY_MAX"
fi

# ---- 4. the hardening is still there
for d in 'CapabilityBoundingSet=CAP_' 'NoNewPrivileges=yes' 'ProtectSystem=strict' 'ProtectHome=read-only' \
	'StateDirectory=biothings-observer' 'ReadWritePaths=/sys/fs/bpf' 'ReadOnlyPaths=/sys ' 'PrivateTmp=yes' \
	'PrivateDevices=yes' 'ProtectKernelModules=yes' 'ProtectControlGroups=yes' 'RestrictNamespaces=yes' \
	'MemoryDenyWriteExecute=yes' 'RestrictAddressFamilies=' 'SystemCallFilter=@system-service' \
	'SystemCallArchitectures=native' 'LockPersonality=yes' 'RestrictSUIDSGID=yes'; do
	grep -q "^$d" "$UNIT_SRC" || bt_check_fail "unit lacks $d"
done
# makes /sys/fs/bpf read-only whatever ReadWritePaths= says (docs/deploy.md)
grep -q '^ProtectKernelTunables=yes' "$UNIT_SRC" && bt_check_fail "ProtectKernelTunables=yes would stop the pins"

# ---- 5. run it the way the unit would, and trace its system calls
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT_SRC")
bset=-all
for c in $caps; do bset="$bset,+$(tr '[:upper:]' '[:lower:]' <<<"${c#CAP_}")"; done
mkdir -p "$BT_TMP/state"
TRACE=$BT_ART/observer.strace
# ProtectSystem=strict + ReadOnlyPaths=/sys /proc/sys + ReadWritePaths=
# /sys/fs/bpf + StateDirectory=, in a mount namespace of its own
cat >"$BT_TMP/sandbox.sh" <<EOF
#!/bin/sh
set -e
mount --make-rprivate /
mount --bind "$BT_TMP/state" "$BT_TMP/state"
mount -o remount,bind,ro /
mount -o remount,bind,ro /sys
mount --bind /proc/sys /proc/sys
mount -o remount,bind,ro /proc/sys
exec setpriv --no-new-privs --inh-caps=-all --bounding-set=$bset -- "$BT_OBSERVER" "\$@"
EOF
chmod +x "$BT_TMP/sandbox.sh"
printf '#!/bin/sh\nexec strace -f -qq -o %s unshare -m %s "$@"\n' "$TRACE" "$BT_TMP/sandbox.sh" >"$BT_TMP/obs.sh"
chmod +x "$BT_TMP/obs.sh"
bt_pyserver_start "$PY_PORT"
BT_OBSERVER=$BT_TMP/obs.sh bt_observer_start "$OBS_PORT" --state-dir "$BT_TMP/state"
obs=$(tr -d ' ' <"/proc/$BT_OBS_PID/task/$BT_OBS_PID/children")
bt_log "strace pid $BT_OBS_PID, observer pid $obs: $(grep -E '^(CapBnd|NoNewPrivs)' "/proc/$obs/status" | tr '\n' ' ')"
grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$obs/status" || bt_check_fail "no_new_privs not set in the run"
curl -s -o /dev/null "http://127.0.0.1:$PY_PORT/cl/10"
curl -s -o /dev/null -X POST -H 'Content-Type: application/json' \
	-d '{"provider":"openai","model":"gpt-4o","input_tokens":10,"output_tokens":5}' \
	"http://127.0.0.1:$OBS_PORT/costs/track/llm"
echo "GET 200 1" >"$BT_TMP/expected.txt"
bt_wait_counts "under the sandbox" "$BT_TMP/expected.txt" http_client_request_duration_seconds_count \
	http_request_method,http_response_status_code service_name=curl server_port="$PY_PORT" ||
	bt_check_fail "the sandboxed observer does not count"
grep -q 'tls probes attached' "$BT_OBS_LOG" || bt_check_fail "no TLS uprobes attached under the sandbox"
[ -n "$(ls -A "$BT_PIN_DIR" 2>/dev/null)" ] || bt_check_fail "no pins under $BT_PIN_DIR (bpffs not writable?)"
[ -s "$BT_TMP/state/observer.db" ] || bt_check_fail "no ledger in the state directory"
# stop: SIGTERM to the observer; strace exits with its status
kill -TERM "$obs"
if bt_wait_gone "$obs" 10; then
	wait "$BT_OBS_PID"
	rc=$?
else
	rc=124
fi
BT_OBS_PID=
bt_log "sandboxed observer stopped: status $rc"
[ "$rc" -eq 0 ] || bt_check_fail "exit status on SIGTERM under the sandbox: $rc"
[ -z "$(ls -A "$BT_PIN_DIR" 2>/dev/null)" ] || bt_check_fail "pins left under $BT_PIN_DIR"

# every system call made after setpriv's exec must be in the filter
filter=$(sed -n 's/^SystemCallFilter=//p' "$UNIT_SRC")
python3 - "$TRACE" "$filter" <<'EOF' || bt_check_fail "system calls outside SystemCallFilter= (see above)"
import re, subprocess, sys

def expand(item, seen=set()):
    if not item.startswith("@"):
        return {item}
    out = subprocess.run(["systemd-analyze", "syscall-filter", item], capture_output=True, text=True).stdout
    names = set()
    for line in out.splitlines()[1:]:
        line = line.strip()
        if line and not line.startswith("#"):
            names |= expand(line)
    return names

allowed = set().union(*(expand(i) for i in sys.argv[2].split()))
pids_exec, used = set(), {}
for line in open(sys.argv[1]):
    m = re.match(r"(\d+) +(?:<\.\.\. (\w+) resumed|(\w+)\()", line)
    if not m:
        continue
    pid, name = m.group(1), m.group(2) or m.group(3)
    if name == "execve" and re.search(r'execve\("[^"]*/biothings-observer"', line) and "= 0" in line:
        pids_exec.add(pid)
    # threads of the observer start after its exec: count everything
    # from the observer's exec on
    if pids_exec:
        used[name] = used.get(name, 0) + 1
bad = sorted(set(used) - allowed)
print(f"    {len(used)} distinct system calls after the observer's exec, {len(allowed)} allowed")
for n in bad:
    print(f"    NOT ALLOWED: {n} ({used[n]} calls)")
sys.exit(1 if bad or not used else 0)
EOF
bt_finish
