#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Where the observer's cost goes: runs nginx (1 worker, CPU 0) under wrk
# (CPU 1) with the observer on, and records with perf (a) the whole system,
# which shows the JIT-ed BPF programs as bpf_prog_<tag>_<name> symbols
# inside nginx's and wrk's syscalls, and (b) the observer process alone.
# Writes build/bench/profile-system.txt and build/bench/profile-observer.txt.
#
#   bench/profile.sh [SECONDS]
#
# Needs root and perf (apt-get install -y linux-perf). Starts and stops only
# its own processes; run it when bench/run.sh is not running.
set -u
cd "$(dirname "$0")/.." || exit 1
OUT=${OUT:-build}
BENCH=$OUT/bench
OBS=${BT_OBSERVER:-$OUT/biothings-observer}
SECS=${1:-8}
PORT=${BENCH_PORT:-18900}
command -v perf >/dev/null || apt-get install -y linux-perf >/dev/null 2>&1 ||
	{ echo "perf unavailable" >&2; exit 1; }
mkdir -p "$BENCH"
TMP=$(mktemp -d /tmp/bt-profile.XXXXXX)
chmod 755 "$TMP"
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do
		timeout 10 tail --pid="$p" -f /dev/null 2>/dev/null || kill -KILL "$p" 2>/dev/null
	done
	rm -rf "$TMP" "/sys/fs/bpf/bt-profile-$$"
}
trap cleanup EXIT

mkdir -p "$TMP/html" "$TMP/logs"
head -c 612 /dev/zero | tr '\0' x >"$TMP/html/index.html"
cat >"$TMP/nginx.conf" <<EOF
user root;
worker_processes 1;
pid $TMP/nginx.pid;
error_log $TMP/logs/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $TMP/body;
    proxy_temp_path $TMP/proxy;
    fastcgi_temp_path $TMP/fastcgi;
    uwsgi_temp_path $TMP/uwsgi;
    scgi_temp_path $TMP/scgi;
    keepalive_requests 10000000;
    sendfile on;
    server { listen 127.0.0.1:$PORT; root $TMP/html; }
}
EOF
taskset -c 0 nginx -c "$TMP/nginx.conf" -p "$TMP/" -g 'daemon off;' &
PIDS+=($!)
"$OBS" --listen "127.0.0.1:$((PORT + 1000))" --pin-dir "/sys/fs/bpf/bt-profile-$$" \
	--state-dir "$TMP" --log-level warn &
OBS_PID=$!
PIDS+=("$OBS_PID")
for ((i = 0; i < 600; i++)); do
	curl -sf -o /dev/null "http://127.0.0.1:$((PORT + 1000))/metrics" && break
	sleep 0.1
done

# Largest mappings by RSS, idle after start-up: what the baseline RSS is.
awk '/^[0-9a-f]+-[0-9a-f]+ / {m = $6 ? $6 : "[anon " $1 "]"} /^Rss:/ {print $2, m}' \
	"/proc/$OBS_PID/smaps" | sort -rn | head -8 >"$TMP/smaps.txt"
taskset -c 1 wrk -t1 -c16 -d$((2 * SECS + 4))s "http://127.0.0.1:$PORT/index.html" >"$TMP/wrk.txt" &
sleep 2
perf record -q -a -g -o "$TMP/sys.data" -- sleep "$SECS" 2>/dev/null
perf record -q --call-graph dwarf,16384 -p "$OBS_PID" -o "$TMP/obs.data" -- sleep "$SECS" 2>/dev/null
wait "$!" 2>/dev/null
{
	echo "# perf record -a -g, ${SECS}s, observer on, wrk -c16 on nginx"
	grep Requests/sec "$TMP/wrk.txt"
	echo "## by command"
	perf report -i "$TMP/sys.data" --no-children --sort comm --stdio 2>/dev/null | grep -v '^#' | grep -v '^$' | head -12
	echo "## top symbols (self)"
	perf report -i "$TMP/sys.data" --no-children --sort sym --stdio -g none 2>/dev/null |
		grep -v '^#' | grep -v '^$' | head -45
	echo "## BPF programs (self)"
	perf report -i "$TMP/sys.data" --no-children --sort sym --stdio -g none 2>/dev/null |
		grep 'bpf_prog_' | head -30
} >"$BENCH/profile-system.txt"
{
	echo "# largest mappings of the idle observer (RSS KiB, mapping)"
	cat "$TMP/smaps.txt"
	echo "# perf record -g -p observer, ${SECS}s"
	perf report -i "$TMP/obs.data" --no-children --sort dso,sym --stdio -g none 2>/dev/null |
		grep -v '^#' | grep -v '^$' | head -40
	echo "# who calls them (symbols over 2 %, callers first)"
	perf report -i "$TMP/obs.data" --no-children --sort sym --stdio -g caller,0.5,callee,function,percent \
		--percent-limit 2 2>/dev/null | grep -v '^#' | grep -v '^$' | head -400
} >"$BENCH/profile-observer.txt"
cp "$TMP/obs.data" "$BENCH/profile-observer.data" # for perf report -i
echo "wrote $BENCH/profile-system.txt $BENCH/profile-observer.txt"
