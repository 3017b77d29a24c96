#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Builds every tests/fuzz/fuzz_*.c, linked with the modules the unit tests
# link, into $OUT/fuzz/ with libFuzzer, ASan and UBSan (UBSan aborts:
# -fno-sanitize-recover=all), then runs each for SECONDS on a copy of its
# seed corpus. The repository's corpus is never written: new inputs land
# in $OUT/fuzz/work/<name>/corpus.
#
#   tests/fuzz/run.sh [SECONDS]          default 10 s per harness
#   FUZZERS="fuzz_route fuzz_expo" tests/fuzz/run.sh 60
#   OUT=build CLANG=clang-14 tests/fuzz/run.sh
#   tests/fuzz/run.sh --build-only       build, do not run
#
# Prints "PASS fuzz_<name>" or "FAIL fuzz_<name> (why)" per harness plus
# the reproducer path(s); exits non-zero if any harness failed to build,
# crashed, leaked, hit UB, timed out or ran out of memory.
set -u

secs=10
build_only=0
case "${1:-}" in
--build-only) build_only=1 ;;
'') ;;
*[!0-9]* | 0)
	echo "usage: $0 [SECONDS|--build-only]" >&2
	exit 2
	;;
*) secs=$1 ;;
esac

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 2
out=${OUT:-build}
case $out in /*) ;; *) out=$root/$out ;; esac
fz=$out/fuzz
clang=${CLANG:-clang}
version=$(cat VERSION 2>/dev/null || echo 0.1.0)

san=("-fsanitize=address,undefined" -fno-sanitize-recover=all)
cflags=(-std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer -Wall -Wextra
	-Iinclude -Iuser -Ibpf -Itests/fuzz "-DBT_VERSION=\"$version\"")

if ! command -v "$clang" >/dev/null; then
	echo "FAIL fuzz (no $clang; apt-get install clang libclang-rt-14-dev)"
	exit 1
fi
mkdir -p "$fz/obj" || exit 1

# The modules and libraries the unit tests link, asked of the Makefile
# (PURE_OBJS, LDLIBS) so the two lists never drift apart. Without make:
# every user/*.c but main.c, capture.c and those including the skeleton.
pure_sources() {
	local vars
	# shellcheck disable=SC2016 # make expands these, not the shell
	vars=$(printf '_fuzz_vars:\n\t@echo "$(PURE_OBJS)"\n\t@echo "$(LDLIBS)"\n' |
		make --no-print-directory -s -f Makefile -f - OUT=@OUT@ _fuzz_vars 2>/dev/null)
	if [ -n "$vars" ]; then
		srcs=$(head -n1 <<<"$vars" | sed 's|@OUT@/user/\([^ ]*\)\.o|user/\1.c|g')
		libs=$(tail -n1 <<<"$vars")
		return
	fi
	srcs=$(grep -L 'skel\.h' user/*.c | grep -v -e '^user/main\.c$' -e '^user/capture\.c$' -e '^user/observe\.c$' -e '^user/modules\.c$')
	libs="-lbpf -lelf -lz -lmicrohttpd -lyaml -lsodium -lm"
	pkg-config --exists jansson 2>/dev/null && libs="$libs -ljansson"
}
pure_sources
read -r -a ldlibs <<<"$libs"

# Instrumented for coverage. Project warnings are shown but do not stop
# fuzzing; gcc -Werror in the main build is their gate.
objs=()
for src in $srcs; do
	obj=$fz/obj/$(basename "$src" .c).o
	if ! "$clang" "${cflags[@]}" -fsanitize=fuzzer-no-link "${san[@]}" -c "$src" -o "$obj"; then
		echo "FAIL fuzz (cannot compile $src)"
		exit 1
	fi
	objs+=("$obj")
done

harnesses=()
for src in tests/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	if [ -n "${FUZZERS:-}" ] && [[ " $FUZZERS " != *" $name "* ]]; then
		continue
	fi
	harnesses+=("$name")
done

failed=0
built=()
for name in "${harnesses[@]}"; do
	if "$clang" "${cflags[@]}" -Werror -fsanitize=fuzzer "${san[@]}" "tests/fuzz/$name.c" \
		"${objs[@]}" "${ldlibs[@]}" -o "$fz/$name"; then
		built+=("$name")
	else
		echo "FAIL $name (build)"
		failed=1
	fi
done
if [ "$build_only" = 1 ]; then
	for name in "${built[@]}"; do echo "BUILT $fz/$name"; done
	exit $failed
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

# One harness: fresh work dir, corpus copy, artifacts kept for the report.
run_one() {
	local name=$1 work=$fz/work/$1 dict=() rc why art
	rm -rf "$work"
	mkdir -p "$work/corpus" "$work/artifacts"
	if [ -d "tests/fuzz/corpus/$name" ]; then
		cp -R "tests/fuzz/corpus/$name/." "$work/corpus/"
	fi
	[ -f "tests/fuzz/$name.dict" ] && dict=("-dict=tests/fuzz/$name.dict")
	timeout --kill-after=10 $((secs + 120)) "$fz/$name" "${dict[@]}" \
		-max_total_time="$secs" -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$work/artifacts/" "$work/corpus" >"$work/log" 2>&1
	rc=$?
	art=$(find "$work/artifacts" -type f | sort)
	if [ "$rc" = 0 ] && [ -z "$art" ]; then
		echo "PASS $name ($(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$work/log" |
			grep -o '[0-9]*$') runs)"
		return 0
	fi
	why=$(grep -m1 -oE 'ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer): [a-z-]+|runtime error:.*|fuzz invariant failed:.*|ALARM: .*|deadly signal' "$work/log")
	[ "$rc" = 124 ] && why="killed by the outer timeout"
	echo "FAIL $name (${why:-exit $rc})"
	tail -n 40 "$work/log" | sed 's/^/    /'
	for f in $art; do echo "    reproducer: $f  (rerun: $fz/$name $f)"; done
	echo "    log: $work/log"
	return 1
}

for name in "${built[@]}"; do
	run_one "$name" || failed=1
done
exit $failed
