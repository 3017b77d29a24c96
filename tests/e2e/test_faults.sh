#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Faults, each provoked for real; the namespaced ones in a private mount
# namespace of the observer's own (unshare -m), so nothing outside changes:
#   1. no BPF: run as nobody without capabilities -> exit status 1 and one
#      error line saying permission is missing;
#   2. no BTF: /sys/kernel/btf hidden under an empty tmpfs -> exit status 1
#      and one error line saying the kernel has no BTF;
#   3. read-only state dir (a read-only tmpfs) -> exit status 1 and one
#      error line naming the directory and "Read-only file system";
#   4. one hook that cannot attach: the tcp_retransmit_skb tracepoint hidden
#      (its tracefs directory under an empty tmpfs) and a process mapping
#      a "libssl.so.3" that is really zlib (no SSL_write) -> each logged
#      once (not again at later scans), biothings_observer_probe_up 0 for
#      those two and 1 for every other tracepoint and for nginx's libssl;
#      a process without libssl (sleep) adds no TLS probe; requests are
#      still counted exactly;
#   5. least privilege and kill -9: every thread of the running observer
#      holds exactly CAP_DAC_READ_SEARCH, CAP_SYS_PTRACE and CAP_SYS_ADMIN
#      (effective, permitted, bounding), no ambient ones, no_new_privs; a
#      libssl that appears afterwards is still probed (CAP_SYS_ADMIN kept);
#      then a tracked cost and health history, kill -9 while wrk runs, a
#      restart on the same pin and state dirs: the killed run's programs
#      are gone, the new run holds as many as the first, the spend is the
#      same and its idempotency key is still known, the history from
#      before the kill is there, and requests are counted exactly;
#   6. full disk: the state dir on an 8 MiB tmpfs, filled while running ->
#      /metrics serves, POST /costs/track/llm answers 503, the ledger and
#      health store error counters rise; the filler removed -> the next
#      cost is recorded (201, the spend adds up without the refused one)
#      and the health store writes again (its error counter stops, the
#      store reads "ok").
set -uo pipefail
export BT_READY_TIMEOUT=${BT_READY_TIMEOUT:-30}
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
bt_init faults
bt_need_cmd setpriv unshare wrk nginx

OBS=19795
NGX=18795
SVC=bt-faults-web
BASE=http://127.0.0.1:$NGX
REAL=$BT_OBSERVER
KEEP_CAPS=0000000000280004 # cap_dac_read_search (2), cap_sys_ptrace (19), cap_sys_admin (21)

cat >"$BT_TMP/observer.yaml" <<EOF
services:
  - name: $SVC
    match: {port: $NGX}
history:
  interval: 1s
EOF

M=$BT_TMP/m.prom
scrape() { bt_scrape "$M" || bt_check_fail "scrape of /metrics failed"; }
val() { bt_promq sum "$M" "$@"; }
get() { # get N PATH: N requests on one keep-alive connection
	local args=() i
	for ((i = 0; i < $1; i++)); do args+=(-o /dev/null "$BASE$2"); done
	curl -s "${args[@]}" || bt_check_fail "curl $2 failed"
}
api() { # api METHOD PATH [BODY]: "CODE BODY"
	local out=$BT_TMP/api.out code
	if [ "$1" = POST ]; then
		code=$(curl -s -o "$out" -w '%{http_code}' --max-time 5 -H 'Content-Type: application/json' \
			--data-binary "$3" "http://127.0.0.1:$OBS$2")
	else
		code=$(curl -s -o "$out" -w '%{http_code}' --max-time 5 "http://127.0.0.1:$OBS$2")
	fi
	echo "$code $(cat "$out" 2>/dev/null)"
}
jget() { # jget PATH PYEXPR (j = the JSON of GET PATH)
	curl -s --max-time 5 "http://127.0.0.1:$OBS$1" |
		"$BT_PY" -c "import json,sys; j=json.load(sys.stdin); print($2)" 2>/dev/null
}
same_usd() { "$BT_PY" -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); sys.exit(abs(a - b) > 1e-9 * max(abs(b), 1e-9))" "$1" "$2" 2>/dev/null; }
# ns_observer FILE SETUP: an observer wrapper that runs SETUP (sh, as root)
# in a private mount namespace first; exec keeps the observer's pid.
ns_observer() {
	# shellcheck disable=SC2016 # $0 and $@ are the inner shell's
	printf '#!/bin/sh\nexec unshare -m --propagation private sh -c '\''set -e\n%s\nexec "$0" "$@"'\'' %s "$@"\n' \
		"$2" "$REAL" >"$1"
	chmod +x "$1"
}
# expect_refusal LABEL REGEX COMMAND...: COMMAND must exit with status 1
# within 30 s, with exactly one level=error line, matching REGEX.
expect_refusal() {
	local label=$1 re=$2 log rc errs
	shift 2
	log=$BT_ART/refusal-${label// /_}.log
	BT_PIN_DIRS+=("$BT_PIN_DIR")
	timeout 30 "$@" --listen "127.0.0.1:$OBS" --pin-dir "$BT_PIN_DIR" --log-format text >"$log" 2>&1
	rc=$?
	errs=$(grep -c 'level=error' "$log")
	bt_log "$label: exit status $rc, $errs error line(s):"
	grep 'level=error' "$log" | sed 's/^/    /'
	[ "$rc" = 1 ] || bt_check_fail "$label: exit status $rc, expected 1"
	[ "$errs" = 1 ] || bt_check_fail "$label: $errs error lines, expected one"
	grep 'level=error' "$log" | grep -qE "$re" || bt_check_fail "$label: the error does not say /$re/"
	if [ -e "$BT_PIN_DIR" ] && [ -n "$(ls -A "$BT_PIN_DIR" 2>/dev/null)" ]; then
		bt_check_fail "$label: pins left in $BT_PIN_DIR"
	fi
}
# Program ids a process holds (program and link fds), sorted for comm.
held_progs() { grep -h '^prog_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -u; }
loaded_progs() { bpftool prog show 2>/dev/null | awk -F: '/^[0-9]+:/ { print $1 }' | sort -u; }
# still_loaded IDS: those of IDS (one a line) loaded after up to 5 s
still_loaded() {
	local i left
	for ((i = 0; i < 50; i++)); do
		left=$(comm -12 <(echo "$1") <(loaded_progs) | tr '\n' ' ')
		[ -z "${left// /}" ] && break
		sleep 0.1
	done
	echo "${left% }"
}
# probe_up NAME on the last scrape ("" when there is no such series)
probe_up() { bt_promq series "$M" biothings_observer_probe_up "probe=$1" | awk '{ print $NF }'; }
# wait_probe NAME VALUE: poll up to 10 s
wait_probe() {
	local i
	for ((i = 0; i < 50; i++)); do
		scrape
		[ "$(probe_up "$1")" = "$2" ] && return 0
		sleep 0.2
	done
	return 1
}

bt_nginx_start "$NGX"

# ------------------------------------------------------------------ 1. no BPF
bt_log "---- 1. no BPF: nobody, no capabilities"
NB=$BT_TMP/nobody
install -d -m 0755 "$NB"
install -d -o 65534 -g 65534 "$NB/state"
install -m 0755 "$REAL" "$NB/observer" # the checkout may be out of nobody's reach
expect_refusal "no BPF" 'BPF unavailable.*permission denied' \
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
	"$NB/observer" --state-dir "$NB/state"

# ------------------------------------------------------------------ 2. no BTF
bt_log "---- 2. no BTF: /sys/kernel/btf hidden"
hide="mount -t tmpfs -o size=4k,mode=0555 bt-nobtf /sys/kernel/btf"
K=$(uname -r)
for f in "/boot/vmlinux-$K" "/lib/modules/$K/vmlinux-$K" "/lib/modules/$K/build/vmlinux" \
	"/usr/lib/modules/$K/kernel/vmlinux" "/usr/lib/debug/boot/vmlinux-$K" \
	"/usr/lib/debug/boot/vmlinux-$K.debug" "/usr/lib/debug/lib/modules/$K/vmlinux"; do
	[ -e "$f" ] && hide="$hide
mount --bind /dev/null $f" # libbpf's other places for the kernel's BTF
done
ns_observer "$BT_TMP/nobtf.sh" "$hide"
mkdir -p "$BT_TMP/state-nobtf"
expect_refusal "no BTF" 'BPF unavailable.*no BTF' "$BT_TMP/nobtf.sh" --state-dir "$BT_TMP/state-nobtf"

# ------------------------------------------------------- 3. read-only state dir
bt_log "---- 3. a read-only state dir"
RO=$BT_TMP/state-ro
mkdir -p "$RO"
ns_observer "$BT_TMP/ro.sh" "mount -t tmpfs -o ro,size=1m bt-ro $RO"
expect_refusal "read-only state dir" "$RO.*Read-only file system" "$BT_TMP/ro.sh" --state-dir "$RO"

# ------------------------------------------------------- 4. hooks that fail
bt_log "---- 4. a tracepoint that is not there, a libssl without SSL_write, a process without libssl"
FAKE=$BT_TMP/fakessl/libssl.so.3
mkdir -p "$(dirname "$FAKE")"
ZLIB=$(readlink -f /lib/x86_64-linux-gnu/libz.so.1 2>/dev/null || true)
[ -f "$ZLIB" ] || ZLIB=$("$BT_PY" -c 'import zlib, subprocess; print([l.split("=>")[1].split()[0] for l in subprocess.run(["ldd", zlib.__file__], capture_output=True, text=True).stdout.splitlines() if "libz.so" in l][0])' 2>/dev/null)
[ -f "$ZLIB" ] || bt_fail "no libz.so to stand in for a broken libssl"
cp "$ZLIB" "$FAKE"
LD_PRELOAD=$FAKE sleep 300 &
FAKE_PID=$!
bt_track "$FAKE_PID" fake-libssl
sleep 300 &
PLAIN_PID=$!
bt_track "$PLAIN_PID" no-libssl
for _ in $(seq 20); do
	grep -q "$FAKE" "/proc/$FAKE_PID/maps" 2>/dev/null && break
	sleep 0.1
done
grep -q "$FAKE" "/proc/$FAKE_PID/maps" || bt_fail "the stand-in libssl is not mapped by pid $FAKE_PID"
notp=
for d in /sys/kernel/tracing /sys/kernel/debug/tracing; do
	[ -d "$d/events/tcp/tcp_retransmit_skb" ] &&
		notp="$notp${notp:+
}mount -t tmpfs -o size=4k,mode=0555 bt-notp $d/events/tcp/tcp_retransmit_skb"
done
[ -n "$notp" ] || bt_fail "no tracefs directory for tcp_retransmit_skb (the observer attaches it)"
ns_observer "$BT_TMP/notp.sh" "$notp"
BT_OBSERVER=$BT_TMP/notp.sh bt_observer_start "$OBS" --config "$BT_TMP/observer.yaml" --gc-interval 1s
sleep 2.5 # two scans of /proc after the start: a failed file must not be tried (and logged) again
scrape
bt_promq series "$M" biothings_observer_probe_up | sed 's/^/    /'
[ "$(probe_up bt_tcp_retransmit)" = 0 ] || bt_check_fail "probe_up{bt_tcp_retransmit}: '$(probe_up bt_tcp_retransmit)', expected 0"
[ "$(probe_up "tls:$FAKE")" = 0 ] || bt_check_fail "probe_up{tls:$FAKE}: '$(probe_up "tls:$FAKE")', expected 0"
down=$(bt_promq series "$M" biothings_observer_probe_up 'probe=~bt_.*' | awk '$NF == 0' | wc -l)
up=$(bt_promq series "$M" biothings_observer_probe_up 'probe=~bt_.*' | awk '$NF == 1' | wc -l)
bt_log "tracepoint probes: $up up, $down down"
[ "$down" = 1 ] || bt_check_fail "$down tracepoint probes down, expected only bt_tcp_retransmit"
[ "$up" -ge 4 ] || bt_check_fail "only $up tracepoint probes up"
ssl_up=$(bt_promq series "$M" biothings_observer_probe_up 'probe=~tls:.*/libssl\.so\.3' | awk '$NF == 1' | wc -l)
[ "$ssl_up" -ge 1 ] || bt_check_fail "no real libssl.so.3 probed (nginx maps one)"
if bt_promq series "$M" biothings_observer_probe_up 'probe=~tls:.*(sleep|coreutils).*' | grep -q .; then
	bt_check_fail "a TLS probe series for a process without libssl"
fi
n=$(grep -c 'probe not attached prog=bt_tcp_retransmit' "$BT_OBS_LOG")
[ "$n" = 1 ] || bt_check_fail "the missing tracepoint was logged $n times, expected once"
n=$(grep 'not attached' "$BT_OBS_LOG" | grep -c "$FAKE")
[ "$n" = 1 ] || bt_check_fail "the broken libssl was logged $n times, expected once"
grep -E 'not attached' "$BT_OBS_LOG" | sed 's/^/    /'
get 5 /status/418
printf 'GET 418 5\n' >"$BT_TMP/expected4.txt"
bt_wait_counts "with two hooks down" "$BT_TMP/expected4.txt" http_server_request_duration_seconds_count \
	http_request_method,http_response_status_code service_name="$SVC" ||
	bt_check_fail "requests not counted exactly with two hooks down"
bt_observer_stop_checked
kill "$FAKE_PID" "$PLAIN_PID" 2>/dev/null

# ------------------------------------------- 5. least privilege, then kill -9
bt_log "---- 5. capabilities after start, then kill -9 under load and a restart"
export BT_KEEP_STATE=1
BT_STATE_DIR=
bt_observer_start "$OBS" --config "$BT_TMP/observer.yaml" --gc-interval 1s
ntask=0
for st in /proc/"$BT_OBS_PID"/task/*/status; do
	ntask=$((ntask + 1))
	for k in CapEff CapPrm CapBnd CapInh CapAmb NoNewPrivs; do
		v=$(awk -v k="$k:" '$1 == k { print $2 }' "$st")
		case $k in
		CapEff | CapPrm | CapBnd) want=$KEEP_CAPS ;;
		CapInh | CapAmb) want=0000000000000000 ;;
		NoNewPrivs) want=1 ;;
		esac
		[ "$v" = "$want" ] || bt_check_fail "thread $(basename "$(dirname "$st")"): $k $v, expected $want"
	done
done
bt_log "capabilities checked on $ntask threads: $(grep -E '^Cap(Eff|Bnd)' "/proc/$BT_OBS_PID/status" | tr '\n' ' ')"
NEWSSL=$BT_TMP/newssl/libssl.so.3
mkdir -p "$(dirname "$NEWSSL")"
SYS_SSL=$(ldd "$(command -v nginx)" | awk '/libssl\.so/ { print $3 }')
[ -f "$SYS_SSL" ] || bt_fail "cannot find nginx's libssl"
cp "$SYS_SSL" "$NEWSSL"
LD_PRELOAD=$NEWSSL sleep 300 &
bt_track $! new-libssl
wait_probe "tls:$NEWSSL" 1 || bt_check_fail "a libssl that appeared after the drop was not probed: '$(probe_up "tls:$NEWSSL")'"

COST='{"provider":"openai","model":"gpt-4o","input_tokens":1000,"output_tokens":100,"id":"bt-faults-kill9"}'
r=$(api POST /costs/track/llm "$COST")
bt_log "POST /costs/track/llm -> ${r:0:160}"
[ "${r%% *}" = 201 ] || bt_check_fail "tracked cost not recorded: $r"
spend=$(jget /costs/summary 'j["daily"]["spend_usd"]')
for _ in $(seq 50); do
	[ "$(jget /health/history 'j["count"]')" -ge 1 ] 2>/dev/null && break
	sleep 0.2
done
sleep 1.5 # a history interval after the first transition: written
T_KILL=$(date +%s)
ids1=$(held_progs "$BT_OBS_PID")
n1=$(echo "$ids1" | grep -c .)
bt_log "spend $spend USD; run 1 holds $n1 programs"
[ "$n1" -gt 0 ] || bt_check_fail "no BPF program ids in /proc/$BT_OBS_PID/fdinfo"
wrk -t2 -c16 -d8s "$BASE/small.txt" >"$BT_ART/wrk-kill.txt" 2>&1 &
WRK=$!
bt_track "$WRK" wrk
sleep 2
kill -KILL "$BT_OBS_PID"
wait "$BT_OBS_PID" 2>/dev/null
BT_OBS_PID=
left=$(still_loaded "$ids1")
bt_log "killed mid-traffic; its programs still loaded: [$left]"
[ -z "$left" ] || bt_check_fail "programs of the killed observer still loaded: $left"
bt_observer_start "$OBS" --config "$BT_TMP/observer.yaml" --gc-interval 1s
ids2=$(held_progs "$BT_OBS_PID")
n2=$(echo "$ids2" | grep -c .)
bt_log "restarted on the same pin dir and state dir while wrk runs: it holds $n2 programs (run 1: $n1)"
[ "$n2" = "$n1" ] || bt_check_fail "the restarted observer holds $n2 programs, the first held $n1"
[ -z "$(comm -12 <(echo "$ids1") <(echo "$ids2"))" ] || bt_check_fail "program ids of the killed run reused"
got=$(jget /costs/summary 'j["daily"]["spend_usd"]')
same_usd "$got" "$spend" || bt_check_fail "spend after kill -9 and restart: $got, before: $spend"
r=$(api POST /costs/track/llm "$COST")
bt_log "the same cost again -> ${r:0:160}"
if [ "${r%% *}" != 200 ] || ! grep -q '"duplicate": *true' <<<"$r"; then
	bt_check_fail "idempotency key forgotten over the restart: $r"
fi
got=$(jget /costs/summary 'j["daily"]["spend_usd"]')
same_usd "$got" "$spend" || bt_check_fail "spend after the repeated cost: $got, expected $spend"
n=$(jget "/health/history?to=$T_KILL" 'j["count"]')
bt_log "health history entries from before the kill: $n"
[ "${n:-0}" -ge 1 ] 2>/dev/null || bt_check_fail "health history from before the kill is gone ('$n')"
wait "$WRK" || bt_check_fail "wrk exited with status $?"
get 7 /status/418
printf 'GET 418 7\n' >"$BT_TMP/expected5.txt"
bt_wait_counts "after kill -9 and restart" "$BT_TMP/expected5.txt" http_server_request_duration_seconds_count \
	http_request_method,http_response_status_code service_name="$SVC" http_response_status_code!=200 ||
	bt_check_fail "requests after the restart not counted exactly"
bt_observer_stop_checked
left=$(still_loaded "$ids2")
[ -z "$left" ] || bt_check_fail "programs left after SIGTERM: $left"

# ------------------------------------------------------------- 6. full disk
bt_log "---- 6. the state dir fills up, then space returns"
FULL=$BT_TMP/state-full
mkdir -p "$FULL"
ns_observer "$BT_TMP/full.sh" "mount -t tmpfs -o size=8m bt-full $FULL"
BT_STATE_DIR=$FULL
BT_OBSERVER=$BT_TMP/full.sh bt_observer_start "$OBS" --config "$BT_TMP/observer.yaml"
cost_json() { printf '{"provider":"openai","model":"gpt-4o","input_tokens":%s,"output_tokens":10,"id":"%s"}' "$1" "$2"; }
r=$(api POST /costs/track/llm "$(cost_json 1000 bt-full-a)")
[ "${r%% *}" = 201 ] || bt_check_fail "first cost not recorded: $r"
spend_a=$(jget /costs/summary 'j["daily"]["spend_usd"]')
INNER=/proc/$BT_OBS_PID/root$FULL # the tmpfs, seen from outside its namespace
dd if=/dev/zero of="$INNER/filler" bs=64k >/dev/null 2>&1
bt_log "filled: $(df -k "$INNER" | awk 'NR == 2 { print $4 }') kB free"
[ "$(bt_http_code "http://127.0.0.1:$OBS/metrics")" = 200 ] || bt_check_fail "/metrics not served with the disk full"
r=$(api POST /costs/track/llm "$(cost_json 2000 bt-full-b)")
bt_log "POST with the disk full -> ${r:0:160}"
[ "${r%% *}" = 503 ] || bt_check_fail "a cost the ledger cannot keep: expected 503, got $r"
ok=
for _ in $(seq 50); do
	scrape
	if [ "$(val biothings_cost_ledger_errors_total)" != 0 ] &&
		[ "$(val biothings_health_store_errors_total op=write)" != 0 ]; then
		ok=1
		break
	fi
	sleep 0.2
done
bt_log "store errors: ledger $(val biothings_cost_ledger_errors_total), health store writes $(val biothings_health_store_errors_total op=write)"
[ -n "$ok" ] || bt_check_fail "the full disk did not raise both store error counters"
rm -f "$INNER/filler"
r=$(api POST /costs/track/llm "$(cost_json 3000 bt-full-c)")
bt_log "POST with space back -> ${r:0:160}"
[ "${r%% *}" = 201 ] || bt_check_fail "cost not recorded once space returned: $r"
cost_c=$("$BT_PY" -c 'import json, sys; print(json.loads(sys.argv[1].split(" ", 1)[1])["cost_usd"])' "$r" 2>/dev/null)
want=$("$BT_PY" -c "print(float('$spend_a') + float('${cost_c:-nan}'))")
got=$(jget /costs/summary 'j["daily"]["spend_usd"]')
same_usd "$got" "$want" || bt_check_fail "spend after recovery $got, expected $want (the refused cost left out)"
sleep 2 # the health store writes every second again
scrape
e0=$(val biothings_health_store_errors_total op=write)
sleep 3
scrape
e1=$(val biothings_health_store_errors_total op=write)
bt_log "health store write errors: $e0, 3 s later $e1; store: $(jget /health/detailed 'j["observer"]["history_store"]')"
[ "$e0" = "$e1" ] || bt_check_fail "health store still failing after space returned ($e0 -> $e1)"
[ "$(jget /health/detailed 'j["observer"]["history_store"]')" = ok ] || bt_check_fail "health store not ok after recovery"
bt_observer_stop_checked
bt_finish
