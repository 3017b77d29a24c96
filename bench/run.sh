#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# What the observer costs the observed workload (issue #8). Runs nginx under
# wrk with the observer off, on (default hooks: the socket layer's), on with
# capture.hooks: syscall, with the bpftrace peer (bench/peer.bt) instead,
# and with three floors (empty programs on the tracepoints the syscall
# hooks attach, or on socket-layer ones: what the hooks alone cost;
# bench/floor.py), in alternated rounds
# within one run, plus separate passes for BPF run time per program,
# /metrics render time and RSS with many series, and the LLM capture path.
# Writes build/bench/results.{md,json}, build/bench/latency.svg (and with
# --sweep: sweep.{md,json,svg}).
#
#   bench/run.sh [--quick] [--rounds N] [--duration S]   main figures
#   bench/run.sh --sweep [--quick]                       cost vs rate,
#                                                        connections, series
#
# It builds nothing (run make first) and installs only missing Debian
# packages with apt-get. It needs root (BPF, sysctl). It never touches a
# process it did not start, a system nginx, or any pin dir but its own,
# and leaves kernel.bpf_stats_enabled as it found it.
set -u

cd "$(dirname "$0")/.." || exit 1
OUT=${OUT:-build}
BENCH=$OUT/bench
RAW=$BENCH/raw
OBS=${BT_OBSERVER:-$OUT/biothings-observer}
MODE=main
ROUNDS=5
DUR=10
QUICK=
CONNS=${BENCH_CONNS:-16}
NGX_CPU=${BENCH_NGX_CPU:-0}
WRK_CPU=${BENCH_WRK_CPU:-1}
PORT_NGX=${BENCH_PORT:-18900}
PORT_OBS=$((PORT_NGX + 1000))
PORT_LLM=$((PORT_NGX + 50))
SERIES=${BENCH_SERIES:-10000}

while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1 ROUNDS=2 DUR=5 ;;
	--sweep) MODE=sweep ;;
	--rounds) ROUNDS=$2; shift ;;
	--duration) DUR=$2; shift ;;
	-h | --help) awk 'NR > 2 && !/^#/ { exit } NR > 2' "$0"; exit 0 ;;
	*) echo "unknown argument: $1" >&2; exit 2 ;;
	esac
	shift
done

log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (BPF, sysctl)"
[ -x "$OBS" ] || die "$OBS is missing: run make first"

# need CMD PACKAGE: installs PACKAGE from Debian when CMD is missing.
need() {
	command -v "$1" >/dev/null 2>&1 && return 0
	log "installing $2 (for $1)"
	apt-get install -y "$2" >/dev/null 2>&1 || return 1
	command -v "$1" >/dev/null 2>&1
}
need wrk wrk || die "wrk is not installed and apt-get could not install it"
need nginx nginx || die "nginx is not installed and apt-get could not install it"
need bpftool bpftool || die "bpftool is missing"
need taskset util-linux || die "taskset is missing"
HAVE_PEER=1
need bpftrace bpftrace || { HAVE_PEER=; log "bpftrace unavailable: the peer columns stay empty"; }
FLOOR_HOOKS=$OUT/bench/floor_hooks
[ -x "$FLOOR_HOOKS" ] && [ -r "$FLOOR_HOOKS.bpf.o" ] || die "$FLOOR_HOOKS is missing: run make bench"

TMP=$(mktemp -d /tmp/bt-bench.XXXXXX) || exit 1
chmod 755 "$TMP"
PIN=/sys/fs/bpf/bt-bench-$$
STATS0=$(cat /proc/sys/kernel/bpf_stats_enabled)
PIDS=()
OBS_PID=
PEER_PID=
PEER_NAME=peer
ulimit -n 65536 2>/dev/null
# The sweep keeps its raw files apart, so either report can be redone.
[ "$MODE" = sweep ] && RAW=$BENCH/raw-sweep
[ -n "${BENCH_PASSES:-}" ] || rm -rf "$RAW"
mkdir -p "$RAW"
# One binary for the whole run, even if make replaces it meanwhile.
cp "$OBS" "$TMP/biothings-observer" || die "cannot copy $OBS"
OBS_SHA=$(sha1sum "$OBS" | cut -c1-12)
OBS_MTIME=$(date -u -r "$OBS" +%FT%TZ)
OBS=$TMP/biothings-observer
OBS_A=$OBS
# BENCH_AB=PATH: a second build, run as mode "on-b" beside "on" in every
# round (modes off, on, on-b only), to compare two builds in one run.
if [ -n "${BENCH_AB:-}" ]; then
	[ -x "$BENCH_AB" ] || die "BENCH_AB=$BENCH_AB is not an executable"
	cp "$BENCH_AB" "$TMP/biothings-observer-b" || die "cannot copy $BENCH_AB"
	OBS_B=$TMP/biothings-observer-b
	OBS_B_SHA=$(sha1sum "$BENCH_AB" | cut -c1-12)
fi

alive() { [ -r "/proc/$1/stat" ] && [ "$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" != Z ]; }

# stop PID SIG SECONDS: signal, wait, then SIGKILL.
stop() {
	local i
	alive "$1" || return 0
	kill "-$2" "$1" 2>/dev/null
	for ((i = 0; i < $3 * 10; i++)); do
		alive "$1" || break
		sleep 0.1
	done
	alive "$1" && kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

cleanup() {
	local i
	set +e
	echo "$STATS0" >/proc/sys/kernel/bpf_stats_enabled
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
		stop "${PIDS[i]}" TERM 6
	done
	rm -rf "$PIN" "$TMP"
}
trap cleanup EXIT
trap 'log interrupted; exit 130' INT TERM

# ------------------------------------------------------------------ nginx

nginx_start() {
	local p=$TMP/nginx
	mkdir -p "$p/html" "$p/logs" "$p/tmp"
	# A 612-byte page, the size of nginx's default index.html.
	head -c 459 /dev/urandom | base64 -w 76 | head -c 612 >"$p/html/index.html"
	cat >"$p/nginx.conf" <<EOF
user root;
worker_processes 1;
pid $p/nginx.pid;
error_log $p/logs/error.log warn;
events { worker_connections 8192; }
worker_rlimit_nofile 65536;
http {
    access_log off;
    client_body_temp_path $p/tmp/body;
    proxy_temp_path $p/tmp/proxy;
    fastcgi_temp_path $p/tmp/fastcgi;
    uwsgi_temp_path $p/tmp/uwsgi;
    scgi_temp_path $p/tmp/scgi;
    keepalive_requests 10000000;
    keepalive_timeout 300s;
    sendfile on;
    default_type text/html;
    server {
        listen 127.0.0.1:$PORT_NGX backlog=4096;
        root $p/html;
        location /r/ { return 200 "ok\n"; }
    }
}
EOF
	nginx -t -q -c "$p/nginx.conf" -p "$p/" || die "nginx config test failed"
	taskset -c "$NGX_CPU" nginx -c "$p/nginx.conf" -p "$p/" -g 'daemon off;' \
		>"$RAW/nginx.log" 2>&1 &
	PIDS+=($!)
	sleep 1
	alive "${PIDS[-1]}" || die "nginx did not start: $(cat "$RAW/nginx.log")"
}

# --------------------------------------------------------------- observer

# obs_start [observer args...]: starts it and waits for /metrics.
obs_start() {
	local i
	"$OBS" --listen "127.0.0.1:$PORT_OBS" --pin-dir "$PIN" --state-dir "$TMP/state" \
		--log-level warn "$@" >>"$RAW/observer.log" 2>&1 &
	OBS_PID=$!
	PIDS+=("$OBS_PID")
	# Attaching ~40 probes takes 1-10 s on this VM depending on its load.
	for ((i = 0; i < 600; i++)); do
		curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$PORT_OBS/metrics" && break
		alive "$OBS_PID" || die "observer exited: $(tail -5 "$RAW/observer.log")"
		sleep 0.1
	done
	[ "$i" -lt 600 ] || die "observer did not serve /metrics within 60 s"
	# every program of ours counts something in bt_counters, whichever hooks
	OBS_MAP=$(python3 bench/bpfstats.py mapid "$PIN/bt_counters")
	sleep 1 # start-up walks /proc and seeds connections
}

obs_stop() {
	[ -n "$OBS_PID" ] || return 0
	stop "$OBS_PID" TERM 8
	OBS_PID=
	rm -rf "$PIN"
}

scrape() { curl -sS --max-time 20 -o "$1" "http://127.0.0.1:$PORT_OBS/metrics"; }
psum() { python3 tests/e2e/promq.py sum "$@"; }
# pget FILE METRIC: sum of a family without parsing the whole exposition in
# python (it is 27 MB with 10k series).
pget() { grep "^$2[ {]" "$1" | awk '{s += $NF} END {printf "%d\n", s}'; }
pgetf() { grep "^$2[ {]" "$1" | awk '{s += $NF} END {printf "%.6f\n", s}'; }

# CPU of every thread in ns (schedstat), utime+stime in ticks, RSS in KiB.
obs_proc() {
	local ns=0 t
	for t in /proc/"$OBS_PID"/task/*/schedstat; do
		ns=$((ns + $(cut -d' ' -f1 "$t" 2>/dev/null || echo 0)))
	done
	echo "$ns $(sed 's/^.*) //' "/proc/$OBS_PID/stat" | awk '{print $12 + $13}')" \
		"$(awk '/^VmRSS/ {print $2}' "/proc/$OBS_PID/status")"
}

# RSS of the observer's BPF map mappings (KiB): the ringbuf (its data pages
# mapped once, user/ring_reader.c; libbpf's reader maps them twice).
map_rss() {
	awk '/^[0-9a-f]+-[0-9a-f]+ / {m = ($6 == "anon_inode:bpf-map")} m && /^Rss:/ {s += $2} END {print s + 0}' \
		"/proc/$OBS_PID/smaps"
}

# ----------------------------------------------------------- peer, floor

# peer_start [NAME CMD...]: runs CMD (default: bpftrace on the peer,
# bench/peer.bt) and waits for it to print "NAME attached". Its output goes
# to RAW/NAME.cur, appended to RAW/NAME.log by peer_stop.
peer_start() {
	local i
	[ $# -gt 0 ] || set -- peer bpftrace "$PWD/bench/peer.bt"
	PEER_NAME=$1
	shift
	"$@" >"$RAW/$PEER_NAME.cur" 2>&1 &
	PEER_PID=$!
	PIDS+=("$PEER_PID")
	for ((i = 0; i < 300; i++)); do
		grep -q "$PEER_NAME attached" "$RAW/$PEER_NAME.cur" && return 0
		alive "$PEER_PID" || die "$PEER_NAME exited: $(tail -5 "$RAW/$PEER_NAME.cur")"
		sleep 0.1
	done
	die "$PEER_NAME did not attach within 30 s"
}

peer_stop() {
	[ -n "$PEER_PID" ] || return 0
	stop "$PEER_PID" INT 15
	PEER_PID=
	cat "$RAW/$PEER_NAME.cur" >>"$RAW/$PEER_NAME.log"
}

# The floors: empty programs (bench/floor_hooks) on the tracepoints the
# observer attaches with capture.hooks: syscall (floor), i.e. what hooking
# them costs before any program does anything, or on socket-layer hooks
# (floor-hybrid; floor-sock, the default hooks' own; see bench/floor.py).
# floor_start [VARIANT]: floor (default), floor-hybrid or floor-sock.
floor_start() {
	local v=${1:-floor}
	# shellcheck disable=SC2046 # one hook per line, no spaces
	peer_start "$v" "$FLOOR_HOOKS" "$FLOOR_HOOKS.bpf.o" "$v" $(cat "$RAW/$v.hooks")
}

# floor_derive: starts the observer once, lists what it attached (bpftool
# perf list, by its pid) and writes each floor's RAW/NAME.hooks and
# RAW/floor.json from its tracepoints (bench/floor.py). Dies when there
# are none.
floor_derive() {
	local pid
	log "floor: listing the tracepoints the observer attaches with capture.hooks: syscall"
	obs_start --capture-hooks syscall
	pid=$OBS_PID
	bpftool --json perf list >"$RAW/floor-perf.json" || die "bpftool perf list failed"
	obs_stop
	python3 bench/floor.py "$RAW/floor-perf.json" "$pid" "$RAW" || die "floor: no tracepoint list"
	log "floor: $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["count"], "tracepoints:", *d["tracepoints"])' "$RAW/floor.json")"
}

# ------------------------------------------------------------------- wrk

# wrk_run OUTFILE CONNS SECONDS [env...]
wrk_run() {
	local f=$1 c=$2 d=$3
	shift 3
	env "$@" taskset -c "$WRK_CPU" wrk -t1 -c"$c" -d"${d}s" --timeout 10s -s bench/wrk.lua \
		"http://127.0.0.1:$PORT_NGX/${WRK_PATH:-index.html}" >"$f" 2>&1
}

# run_one MODE TAG CONNS [env...]: one measured wrk run in MODE
# off|on|on-b|on-syscall|on-ignore|on-boundary|peer|floor|floor-hybrid|floor-sock
# (on-ignore: capture.ignore leaves wrk's connections alone, as if the
# load came from another host; on-boundary: capture.framing boundary);
# writes RAW/TAG.wrk and RAW/TAG.kv.
run_one() {
	local mode=$1 tag=$2 c=$3 p0 p1
	shift 3
	case $mode in
	on) OBS=$OBS_A obs_start ;;
	on-b) OBS=$OBS_B obs_start ;;
	on-syscall) OBS=$OBS_A obs_start --capture-hooks syscall ;;
	on-ignore) OBS=$OBS_A obs_start --config "$TMP/ignore-wrk.yaml" ;;
	on-boundary) OBS=$OBS_A obs_start --capture-framing boundary ;;
	peer) peer_start ;;
	floor*) floor_start "$mode" ;;
	*) sleep 1 ;;
	esac
	if [ "${mode%%-*}" = on ]; then
		scrape "$TMP/m0.prom"
		p0=$(obs_proc)
	fi
	wrk_run "$RAW/$tag.wrk" "$c" "$DUR" "$@"
	{
		echo "mode=$mode"
		echo "conns=$c"
		for kv in "$@"; do echo "$kv"; done
		if [ "${mode%%-*}" = on ]; then
			p1=$(obs_proc)
			sleep 0.5 # the daemon polls the ringbuf every 10 ms (capture.poll_interval)
			scrape "$TMP/m1.prom"
			set -- $p0 $p1
			echo "cpu_ns=$(($4 - $1))"
			echo "cpu_ticks=$(($5 - $2))"
			echo "rss_kb=$6"
			for m in events_dropped_total records_received_total records_emitted_total; do
				echo "$m=$(($(psum "$TMP/m1.prom" biothings_observer_$m) - $(psum "$TMP/m0.prom" biothings_observer_$m)))"
			done
		fi
	} >"$RAW/$tag.kv"
	case $mode in
	on*) obs_stop ;;
	peer | floor*) peer_stop ;;
	esac
	log "$tag: $(grep -m1 Requests/sec "$RAW/$tag.wrk" | tr -s ' ')"
}

# -------------------------------------------------------------- passes

machine_info() {
	local other
	other=$(python3 -c 'import json,sys; print(sum(1 for p in json.load(sys.stdin) if p.get("name","").startswith("bt_")))' \
		< <(bpftool --json prog show))
	python3 - "$RAW/machine.json" "$other" "$OBS_SHA" "$OBS_MTIME" "${OBS_B_SHA:-}" <<'EOF'
import json, os, platform, subprocess, sys
def sh(c):
    try:
        return subprocess.run(c, shell=True, capture_output=True, text=True).stdout.strip()
    except Exception:
        return ""
cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
json.dump({"nproc": os.cpu_count(), "kernel": platform.release(), "cpu": cpu,
           "mem": sh("awk '/MemTotal/ {print $2 \" kB\"}' /proc/meminfo"),
           "loadavg_before": open("/proc/loadavg").read().split()[:3],
           "nginx": sh("nginx -v 2>&1"), "wrk": sh("wrk -v 2>&1 | head -1"),
           "bpftrace": sh("bpftrace --version"),
           "foreign_bt_programs_at_start": int(sys.argv[2]),
           "observer_sha1": sys.argv[3], "observer_mtime": sys.argv[4],
           "observer_b_sha1": sys.argv[5] or None},
          open(sys.argv[1], "w"), indent=1)
EOF
	[ "$other" -gt 0 ] && log "warning: $other bt_* programs of another observer are attached: they run in every mode, baseline included"
}

rounds_pass() {
	local r i k modes=(off on on-syscall on-ignore on-boundary peer floor floor-hybrid floor-sock) order
	[ -n "$HAVE_PEER" ] || modes=(off on on-syscall on-ignore on-boundary floor floor-hybrid floor-sock)
	# BENCH_MODES: a subset, when developing
	[ -n "${BENCH_MODES:-}" ] && read -ra modes <<<"$BENCH_MODES"
	printf 'capture:\n  ignore: [{comm: wrk}]\n' >"$TMP/ignore-wrk.yaml"
	[ -n "${OBS_B:-}" ] && [ -z "${BENCH_MODES:-}" ] && modes=(off on on-b)
	rm -f "$RAW"/round[0-9]*-* # a run's rounds are never mixed with an earlier run's
	log "warm-up"
	wrk_run "$RAW/warmup.wrk" "$CONNS" 3
	for ((r = 1; r <= ROUNDS; r++)); do
		# rotated each round, and walked backwards every other round, so
		# that no mode always runs right after the same other one
		order=()
		k=${#modes[@]}
		for ((i = 0; i < k; i++)); do
			if ((r % 2)); then
				order+=("${modes[(i + r - 1) % k]}")
			else
				order+=("${modes[(k - 1 - i + r - 1) % k]}")
			fi
		done
		log "round $r/$ROUNDS: ${order[*]}"
		for m in "${order[@]}"; do
			run_one "$m" "round$r-$m" "$CONNS"
		done
	done
}

# bpf_stats_pass MODE: one wrk run with kernel.bpf_stats_enabled=1; for
# peer and floor, the programs are those that appeared when they started.
bpf_stats_pass() {
	local mode=$1
	log "BPF run time pass: $mode"
	case $mode in
	on) obs_start ;;
	on-boundary) obs_start --capture-framing boundary ;;
	peer) python3 bench/bpfstats.py snapshot >"$TMP/progs-before-peer.json"; peer_start ;;
	floor) python3 bench/bpfstats.py snapshot >"$TMP/progs-before-peer.json"; floor_start ;;
	esac
	echo 1 >/proc/sys/kernel/bpf_stats_enabled
	python3 bench/bpfstats.py snapshot >"$TMP/progs0.json"
	wrk_run "$RAW/bpfstats-$mode.wrk" "$CONNS" "$DUR"
	python3 bench/bpfstats.py snapshot >"$TMP/progs1.json"
	echo 0 >/proc/sys/kernel/bpf_stats_enabled
	if [ "${mode%%-*}" = on ]; then
		python3 bench/bpfstats.py delta "$TMP/progs0.json" "$TMP/progs1.json" --map-id "$OBS_MAP"
	else
		python3 bench/bpfstats.py delta "$TMP/progs-before-peer.json" "$TMP/progs1.json" --new |
			python3 -c '
import json, sys
d = json.load(sys.stdin)
old = {p["id"]: p for p in json.load(open(sys.argv[1]))}
for p in d["programs"]:
    o = old.get(p["id"], {})
    p["runs"] -= o.get("run_cnt", 0); p["run_time_ns"] -= o.get("run_time_ns", 0)
    p["mean_ns"] = round(p["run_time_ns"] / p["runs"], 1) if p["runs"] else None
tp = [p for p in d["programs"] if p["type"] == "tracepoint"]
d["tracepoint_runs"] = sum(p["runs"] for p in tp)
d["tracepoint_run_time_ns"] = sum(p["run_time_ns"] for p in tp)
d["weighted_mean_ns"] = round(d["tracepoint_run_time_ns"] / d["tracepoint_runs"], 1) if d["tracepoint_runs"] else None
json.dump(d, sys.stdout, indent=1)' "$TMP/progs0.json"
	fi >"$RAW/bpfstats-$mode.json"
	case $mode in
	on*) obs_stop ;;
	peer | floor) peer_stop ;;
	esac
}

series_config() {
	printf 'http: {max_routes_per_service: 100000}\nmetrics: {max_series: 100000}\n' >"$TMP/series.yaml"
}

# series_measure N: with the observer running, drives N distinct routes and
# measures RSS and /metrics render time; writes RAW/series-N.kv.
series_measure() {
	local n=$1 i t secs=$((3 + $1 / 4000)) prev=-1 cur rss0
	WRK_PATH=r/x wrk_run "$RAW/series-$n.wrk" 4 "$secs" BENCH_PATHS="$n"
	# RSS before any scrape (the series alone), then after the scrapes
	# (plus the render buffers that malloc keeps for the next scrape).
	sleep 2
	rss0=$(awk '/^VmRSS/ {print $2}' "/proc/$OBS_PID/status")
	for ((i = 0; i < 50; i++)); do # wait for the daemon to drain
		scrape "$TMP/s.prom"
		cur=$(pget "$TMP/s.prom" biothings_observer_records_received_total)
		[ "$cur" = "$prev" ] && break
		prev=$cur
		sleep 0.5
	done
	{
		echo "n=$n"
		echo "series=$(grep -c '^http_server_request_duration_seconds_count{.*service_name="nginx"' "$TMP/s.prom")"
		echo "bytes=$(stat -c %s "$TMP/s.prom")"
		echo "series_dropped=$(pget "$TMP/s.prom" biothings_observer_series_dropped_total)"
		echo "rss_before_scrape_kb=$rss0"
		echo "events_dropped=$(pget "$TMP/s.prom" biothings_observer_events_dropped_total)"
		grep "^biothings_observer_events_dropped_total.* [1-9]" "$TMP/s.prom" | sed "s/^/drop_detail=/"
		for ((i = 0; i < 7; i++)); do
			t=$(curl -s -o /dev/null --max-time 20 -w '%{time_starttransfer} %{time_total}' \
				"http://127.0.0.1:$PORT_OBS/metrics")
			echo "render_ttfb_s=${t% *}"
			echo "render_total_s=${t#* }"
			# what that scrape spent making its text, as the daemon timed it (the
			# next answer carries it; writing 28 MB to a file would slow the timed one)
			scrape "$TMP/r.prom"
			echo "render_server_s=$(pgetf "$TMP/r.prom" biothings_api_metrics_render_seconds)"
		done
		echo "rss_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$OBS_PID/status")"
		awk '/^(RssAnon|RssFile|RssShmem):/ {print tolower($1) "_kb=" $2}' "/proc/$OBS_PID/status" | tr -d :
		# PSS: pages shared with another mapping counted once, as the memory cgroup does
		echo "pss_kb=$(awk '/^Pss:/ {print $2}' "/proc/$OBS_PID/smaps_rollup")"
		echo "bpf_map_rss_kb=$(map_rss)"
	} >"$RAW/series-$n.kv"
	cp "/proc/$OBS_PID/smaps" "$RAW/series-$n.smaps" # where the memory is, mapping by mapping
	log "series $n: $(grep -E '^(series|rss_kb|bytes)=' "$RAW/series-$n.kv" | tr '\n' ' ')"
}

series_pass() {
	local n
	series_config
	obs_start --config "$TMP/series.yaml"
	for n in "$@"; do series_measure "$n"; done
	obs_stop
}

# llm_measure TAG RATE: 20 responses of 10 MB read at a sustained RATE MB/s,
# paced read by read (0: as fast as loopback goes, each response a burst), then waits for the daemon to account every call and
# compares the tokens it counted with the tokens served; writes RAW/TAG.kv.
llm_measure() {
	local tag=$1 rate=$2 n=20 p0 p1 prev=-1 cur i t0 t1
	scrape "$TMP/l0.prom"
	p0=$(obs_proc)
	python3 bench/llm_mock.py client --port "$PORT_LLM" --count "$n" --rate-mbps "$rate" \
		>"$RAW/$tag.client.json" || die "LLM client failed"
	t0=$(date +%s%N)
	for ((i = 0; i < 100; i++)); do
		scrape "$TMP/l1.prom"
		cur=$(psum "$TMP/l1.prom" biothings_llm_requests_total)
		[ "$cur" = "$prev" ] && [ "$i" -gt 2 ] && break
		prev=$cur
		sleep 0.2
	done
	t1=$(date +%s%N)
	p1=$(obs_proc)
	set -- $p0 $p1
	d() { echo $(($(psum "$TMP/l1.prom" "$@") - $(psum "$TMP/l0.prom" "$@"))); }
	{
		echo "rate_mbps=$rate"
		echo "ringbuf=$LLM_RB"
		echo "responses=$n"
		echo "tokens_served=$((n * LLM_SERVED))"
		echo "tokens_counted=$(d biothings_llm_tokens_total token_type=output)"
		echo "calls_counted=$(d biothings_llm_requests_total)"
		echo "unparsed=$(d biothings_llm_unparsed_total)"
		echo "events_dropped=$(d biothings_observer_events_dropped_total)"
		echo "settle_ms=$(((t1 - t0) / 1000000))"
		echo "cpu_ns=$(($4 - $1))"
		echo "rss_kb=$6"
	} >"$RAW/$tag.kv"
	log "$tag: $(tr '\n' ' ' <"$RAW/$tag.client.json") $(grep -E '^(tokens_|unparsed|events_dropped)' "$RAW/$tag.kv" | tr '\n' ' ')"
}

# llm_pass: with the default ringbuf, 100 MB/s three times, then 200, 400
# and unpaced; then 100, 400 and unpaced with a small 8 MiB ringbuf.
llm_pass() {
	python3 bench/llm_mock.py serve --port "$PORT_LLM" --mb 10 >"$RAW/llm-server.json" 2>&1 &
	PIDS+=($!)
	sleep 1
	LLM_SERVED=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["completion_tokens"])' \
		"$RAW/llm-server.json") || die "LLM mock did not start"
	LLM_RB=$("$OBS" --help 2>&1 | grep -A1 -- '--ringbuf-size' | grep -o 'default [^;)]*' | cut -d' ' -f2)
	LLM_RB="default ${LLM_RB:-?}"
	obs_start
	llm_measure llm-def-100-a 100
	llm_measure llm-def-100-b 100
	llm_measure llm-def-100-c 100
	llm_measure llm-def-200 200
	llm_measure llm-def-400 400
	llm_measure llm-def-max 0
	obs_stop
	LLM_RB=8MiB
	obs_start --ringbuf-size 8MiB
	llm_measure llm-8MiB-100 100
	llm_measure llm-8MiB-400 400
	llm_measure llm-8MiB-max 0
	obs_stop
}

# ----------------------------------------------------------------- sweep

sweep_pass() {
	local c r rate=${BENCH_SWEEP_RATE:-4000} m passes=" ${BENCH_PASSES:-rate conn series} "
	wrk_run "$RAW/warmup.wrk" "$CONNS" 3
	[[ $passes == *" rate "* ]] && log "sweep: rate (connections 1 4 16 64, saturating)" &&
	for c in 1 4 16 64; do
		for ((r = 1; r <= ROUNDS; r++)); do
			for m in off on; do run_one "$m" "rate-c$c-r$r-$m" "$c"; done
		done
	done
	[[ $passes == *" conn "* ]] && log "sweep: connections 16 64 256 1024 at about $rate req/s" &&
	for c in 16 64 256 1024; do
		for ((r = 1; r <= ROUNDS; r++)); do
			for m in on off; do
				run_one "$m" "conn-c$c-r$r-$m" "$c" BENCH_DELAY_MS=$((c * 1000 / rate))
			done
		done
	done
	[[ $passes == *" series "* ]] && log "sweep: series" &&
		series_pass 1000 5000 10000 20000 30000
}

# ------------------------------------------------------------------ main

T0=$(date +%s)
mkdir -p "$TMP/state"
machine_info
nginx_start
if [ "$MODE" = sweep ]; then
	if [ -n "$QUICK" ]; then ROUNDS=1 DUR=3; else ROUNDS=2 DUR=5; fi
	sweep_pass
	python3 bench/sweep_report.py "$BENCH" || die "sweep report failed"
else
	# BENCH_PASSES picks passes when developing this script; the report
	# then shows only what they measured.
	PASSES=" ${BENCH_PASSES:-rounds bpf series llm} "
	# The floor's tracepoints come from the observer itself, before any
	# round or pass needs them.
	[[ $PASSES == *" rounds "* || $PASSES == *" bpf "* ]] && floor_derive
	[[ $PASSES == *" rounds "* ]] && rounds_pass
	if [[ $PASSES == *" bpf "* ]]; then
		# BENCH_BPF_MODES: a subset, when developing
		for m in ${BENCH_BPF_MODES:-on on-boundary peer floor}; do
			[ "$m" = peer ] && [ -z "$HAVE_PEER" ] && continue
			bpf_stats_pass "$m"
		done
	fi
	[[ $PASSES == *" series "* ]] && series_pass "$SERIES"
	[[ $PASSES == *" llm "* ]] && llm_pass
	python3 bench/report.py "$BENCH" --rounds "$ROUNDS" --duration "$DUR" --conns "$CONNS" ||
		die "report failed"
fi
log "done in $(($(date +%s) - T0)) s; results in $BENCH"
