#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# The kernel programs' cost per hooked call where it holds still: one
# thread exchanging the same request and response over loopback, pinned
# to one CPU (bench/hot_loop.py), with kernel.bpf_stats_enabled on. Meant
# for comparing builds of bpf/ while developing: nginx under wrk swings by
# tens of percent from run to run on this VM, this by a few.
#
#   bench/hot_loop.sh [-n EXCHANGES] [-r ROUNDS] BUILD...
#
# BUILD is an observer binary (or a wrapper script passing it flags), or
# "off" for the loop alone. Builds alternate within each round. Prints,
# per build, the median ns per exchange and the median mean BPF ns per
# run of each of our tracepoint programs. Loopback only; its own pin dir;
# leaves kernel.bpf_stats_enabled as it found it.
set -u
cd "$(dirname "$0")/.." || exit 1

N=100000
ROUNDS=3
CPU=${BENCH_NGX_CPU:-0}
PORT=19977
while getopts n:r: o; do
	case $o in
	n) N=$OPTARG ;;
	r) ROUNDS=$OPTARG ;;
	*) sed -n '3,16p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || { sed -n '3,16p' "$0" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "hot_loop: needs root" >&2; exit 1; }

TMP=$(mktemp -d /tmp/bt-hot-loop.XXXXXX)
PIN=/sys/fs/bpf/bt-hot-loop-$$
STATS0=$(cat /proc/sys/kernel/bpf_stats_enabled)
OBS_PID=
cleanup() {
	[ -n "$OBS_PID" ] && kill "$OBS_PID" 2>/dev/null && wait "$OBS_PID" 2>/dev/null
	echo "$STATS0" >/proc/sys/kernel/bpf_stats_enabled
	rm -rf "$TMP" "$PIN"
}
trap cleanup EXIT

# one_run BUILD TAG: one loop, its results appended to $TMP/results
one_run() {
	local build=$1 tag=$2 map=0
	if [ "$build" != off ]; then
		mkdir -p "$TMP/state"
		"$build" --listen "127.0.0.1:$PORT" --pin-dir "$PIN" --state-dir "$TMP/state" \
			--log-level error >>"$TMP/observer.log" 2>&1 &
		OBS_PID=$!
		for _ in $(seq 200); do
			curl -sf -o /dev/null "http://127.0.0.1:$PORT/metrics" && break
			sleep 0.1
		done
		map=$(python3 bench/bpfstats.py mapid "$PIN/bt_counters") ||
			{ echo "hot_loop: $build did not start (see $TMP/observer.log)" >&2; exit 1; }
	fi
	python3 bench/bpfstats.py snapshot >"$TMP/p0.json"
	echo 1 >/proc/sys/kernel/bpf_stats_enabled
	taskset -c "$CPU" python3 bench/hot_loop.py "$N" >"$TMP/loop.txt" || exit 1
	echo "$STATS0" >/proc/sys/kernel/bpf_stats_enabled
	python3 bench/bpfstats.py snapshot >"$TMP/p1.json"
	if [ "$build" != off ]; then
		python3 bench/bpfstats.py delta "$TMP/p0.json" "$TMP/p1.json" --map-id "$map" \
			>"$TMP/delta.json"
		kill "$OBS_PID"
		wait "$OBS_PID" 2>/dev/null
		OBS_PID=
		rm -rf "$PIN" "$TMP/state"
	else
		echo '{"programs": []}' >"$TMP/delta.json"
	fi
	python3 - "$tag" "$TMP/loop.txt" "$TMP/delta.json" >>"$TMP/results" <<'PY'
import json, sys
tag, loop, delta = sys.argv[1:4]
ns = open(loop).read().split()[1]
progs = json.load(open(delta))["programs"]
print(json.dumps({"build": tag, "loop_ns": float(ns),
                  "programs": {p["name"]: p["mean_ns"] for p in progs
                               if p["runs"] and p["type"] == "tracing"}}))
PY
}

for _ in $(seq "$ROUNDS"); do
	for b in "$@"; do one_run "$b" "$b"; done
done
python3 - "$TMP/results" <<'PY'
import json, statistics as st, sys
rows = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    rows.setdefault(r["build"], []).append(r)
for build, rs in rows.items():
    loop = st.median(r["loop_ns"] for r in rs)
    names = sorted({n for r in rs for n in r["programs"]})
    progs = "  ".join("%s %.0f" % (n, st.median(r["programs"][n] for r in rs
                                                  if n in r["programs"]))
                      for n in names)
    print("%-40s loop %6.0f ns/exchange  %s" % (build, loop, progs or "(no programs)"))
PY
