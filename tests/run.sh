#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Test runner behind `make test`: every unit test binary $OUT/tests/test_*
# and every end-to-end script tests/e2e/test_*.sh|.py, each under a
# timeout, with its log kept in $OUT/test-logs/. Prints PASS/FAIL/SKIP per
# test, the tail of each failed log, and a last line "N passed, N failed"
# (", N skipped" only when something was skipped). Exits non-zero if
# anything failed. It cleans up after tests that could not (killed by the
# timeout) and checks that no BPF program outlived the run; it never
# touches processes or pins it did not see a test create.
#
# Environment: OUT (default build), UNIT_TIMEOUT (s, default 60),
# E2E_TIMEOUT (s, default 300), TESTS (space-separated names to run, e.g.
# "test_lifecycle test_units test_tls@syscall"; default all).
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
OUT=${OUT:-build}
case $OUT in /*) ;; *) OUT=$ROOT/$OUT ;; esac
export OUT
LOGS=$OUT/test-logs
UNIT_TIMEOUT=${UNIT_TIMEOUT:-60}
E2E_TIMEOUT=${E2E_TIMEOUT:-300}
SKIP_RC=77

passed=0
failed=0
skipped=0

rm -rf "$LOGS"
mkdir -p "$LOGS"

# BPF programs named bt_* currently loaded, system-wide.
bt_prog_count() {
	local n
	n=$(bpftool prog show 2>/dev/null | grep -c ' name bt_') || true
	echo "${n:-0}"
}

wanted() {
	[ -z "${TESTS:-}" ] && return 0
	case " $TESTS " in *" $1 "*) return 0 ;; esac
	return 1
}

report() { # name status log [reason]
	local name=$1 status=$2 log=$3 reason=${4:-}
	case $status in
	PASS)
		passed=$((passed + 1))
		echo "PASS $name"
		;;
	SKIP)
		skipped=$((skipped + 1))
		echo "SKIP $name ($reason)"
		;;
	*)
		failed=$((failed + 1))
		echo "FAIL $name${reason:+ ($reason)}"
		if [ -s "$log" ]; then
			echo "---- last 40 lines of $log"
			tail -n 40 "$log" | sed 's/^/    /'
			echo "----"
		fi
		;;
	esac
}

# Start time of pid in clock ticks since boot (field 22 of /proc/PID/stat);
# with the pid it names one process for good, whatever it exec'd since.
start_time() {
	sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20
}

# Whatever a killed test left behind: the processes it recorded (pid and
# start time, see bt_track in tests/e2e/lib.sh), then its pin dirs.
sweep() { # artifacts-dir test-name
	local pid st what d
	if [ -f "$1/pids" ]; then
		while read -r pid st what; do
			if [ -z "$st" ] || [ "$(start_time "$pid")" != "$st" ]; then
				continue
			fi
			echo "runner: killing leftover $what pid $pid"
			kill -KILL "$pid" 2>/dev/null
		done <"$1/pids"
	fi
	for d in /sys/fs/bpf/bt-test-"${2#test_}"-*; do
		[ -e "$d" ] || continue
		echo "runner: removing leftover pin dir $d"
		rm -rf "$d"
	done
}

run_one() { # kind name timeout command...
	local kind=$1 name=$2 limit=$3 log art rc reason=
	shift 3
	log=$LOGS/$name.log
	art=$LOGS/$name
	mkdir -p "$art"
	{
		echo "# $kind test $name: $*"
		echo "# started $(date -u +%FT%TZ), timeout ${limit}s"
	} >"$log"
	BT_ARTIFACTS=$art timeout -k 10 "$limit" "$@" >>"$log" 2>&1 </dev/null
	rc=$?
	echo "# exit status $rc" >>"$log"
	sweep "$art" "${name%@*}" >>"$log" 2>&1
	case $rc in
	0) report "$name" PASS "$log" ;;
	"$SKIP_RC")
		reason=$(sed -n 's/^SKIP-REASON: //p' "$log" | tail -n 1)
		report "$name" SKIP "$log" "${reason:-skipped}"
		;;
	124 | 137) report "$name" FAIL "$log" "timed out after ${limit}s" ;;
	*) report "$name" FAIL "$log" "exit status $rc" ;;
	esac
}

progs_before=$(bt_prog_count)
echo "tests: OUT=$OUT logs=$LOGS bt_* programs loaded before: $progs_before"

for t in "$OUT"/tests/test_*; do
	if [ ! -f "$t" ] || [ ! -x "$t" ]; then
		continue
	fi
	name=$(basename "$t")
	wanted "$name" || continue
	run_one unit "$name" "$UNIT_TIMEOUT" "$t"
done

for t in tests/e2e/test_*.sh tests/e2e/test_*.py; do
	[ -f "$t" ] || continue
	name=$(basename "$t")
	name=${name%.*}
	wanted "$name" || continue
	case $t in
	*.sh) run_one e2e "$name" "$E2E_TIMEOUT" bash "$t" ;;
	*.py) run_one e2e "$name" "$E2E_TIMEOUT" python3 "$t" ;;
	esac
done

# What capture.hooks: syscall does its own way (its hooks, /proc seeding,
# the setuid and pre-SYN connect probes, the fd-keyed map), run again with
# it as test_NAME@syscall; the default hooks ran above.
SYSCALL_HOOK_TESTS="test_nginx_curl test_nginx_wrk test_preexisting_conn test_db_wire test_security
	test_tls test_llm_curl test_bpftool test_deploy_caps test_lifecycle test_capture_ignore"
for base in $SYSCALL_HOOK_TESTS; do
	name=$base@syscall
	wanted "$name" || continue
	BT_CAPTURE_HOOKS=syscall run_one e2e "$name" "$E2E_TIMEOUT" bash "tests/e2e/$base.sh"
done

# capture.framing: boundary, run again as test_NAME@boundary: served and
# client counts against nginx's log and curl's (status codes, HEAD, 100
# Continue, sendfile, chunked, closes), wrk's totals, the detectors'
# request heads, LLM calls over TLS, captured plain-HTTP LLM calls
# turning their connection over to the full framer (test_llm_shed), other
# protocols left alone, connections met mid-stream, the rings' wake-ups
# for records and request heads sent from the same call, and a
# connection's records kept in order when its server changes CPU.
BOUNDARY_TESTS="test_nginx_curl test_nginx_wrk test_security test_llm_curl test_llm_shed
	test_not_http test_preexisting_conn test_ring_wakeup test_cpu_rings"
for base in $BOUNDARY_TESTS; do
	name=$base@boundary
	wanted "$name" || continue
	BT_CAPTURE_FRAMING=boundary run_one e2e "$name" "$E2E_TIMEOUT" bash "tests/e2e/$base.sh"
done

# Formatting (clang-format) and static analysis (cppcheck), as `make check`.
if wanted make_check; then
	run_one static make_check "$UNIT_TIMEOUT" make -s check
fi

# Every fuzzer for FUZZ_SECONDS each (default 3; 0 skips): `make fuzz`
# runs them longer. A crash, leak or UB report is a failed test.
FUZZ_SECONDS=${FUZZ_SECONDS:-3}
if [ "$FUZZ_SECONDS" -gt 0 ] && wanted fuzz; then
	fuzz_log=$LOGS/fuzz.log
	OUT=$OUT tests/fuzz/run.sh "$FUZZ_SECONDS" >"$fuzz_log" 2>&1
	fuzz_rc=$?
	fuzz_seen=0
	while read -r verdict name _; do
		fuzz_seen=1
		case $verdict in
		PASS) report "$name" PASS "$fuzz_log" ;;
		FAIL) report "$name" FAIL "$fuzz_log" ;;
		esac
	done < <(grep -E '^(PASS|FAIL) fuzz_' "$fuzz_log")
	if [ "$fuzz_seen" -eq 0 ] || { [ "$fuzz_rc" -ne 0 ] && ! grep -q '^FAIL fuzz_' "$fuzz_log"; }; then
		report fuzz FAIL "$fuzz_log" "fuzz runner exit status $fuzz_rc"
	fi
fi

# Programs are freed after their last link and pin go, which the kernel
# does asynchronously: give it a few seconds before calling it a leak.
leak_log=$LOGS/no_leaked_programs.log
for _ in $(seq 1 50); do
	progs_after=$(bt_prog_count)
	[ "$progs_after" -le "$progs_before" ] && break
	sleep 0.1
done
{
	echo "bt_* programs before: $progs_before after: $progs_after"
	bpftool prog show 2>/dev/null | grep -A2 ' name bt_'
} >"$leak_log"
if [ "$progs_after" -le "$progs_before" ]; then
	report no_leaked_programs PASS "$leak_log"
else
	report no_leaked_programs FAIL "$leak_log" "$progs_before bt_* programs before, $progs_after after"
fi

summary="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && summary="$summary, $skipped skipped"
echo "$summary"
[ "$failed" -eq 0 ]
