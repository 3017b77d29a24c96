# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# Helpers shared by the end-to-end tests: start and stop the observer,
# nginx and helper processes with private configs on loopback, scrape and
# compare metrics, and clean up everything a test started even when it
# fails or is killed by the runner's timeout. Source it, then call
# bt_init NAME first. It must not touch anything it did not create: no
# system nginx, no shared pin dirs, no killing by process name.
#
# Environment understood (all optional):
#   OUT                 build directory (default build, relative to the repo)
#   BT_OBSERVER         observer binary (default $OUT/biothings-observer)
#   BT_ARTIFACTS        where logs are kept (tests/run.sh sets it)
#   BT_OBS_LOG_LEVEL    observer --log-level (default info)
#   BT_READY_TIMEOUT    seconds to wait for /metrics to answer (default 10)
#   BT_SETTLE           seconds to wait for metrics to match (default 5)
#   BT_CAPTURE_HOOKS    observer --capture-hooks (default: the observer's own)
#   BT_CAPTURE_FRAMING  observer --capture-framing (default: the observer's own)

BT_E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BT_ROOT=$(cd "$BT_E2E_DIR/../.." && pwd)
BT_OUT=${OUT:-build}
case $BT_OUT in /*) ;; *) BT_OUT=$BT_ROOT/$BT_OUT ;; esac
BT_OBSERVER=${BT_OBSERVER:-$BT_OUT/biothings-observer}
BT_PROMQ=$BT_E2E_DIR/promq.py
BT_READY_TIMEOUT=${BT_READY_TIMEOUT:-10}
BT_SETTLE=${BT_SETTLE:-5}
# The interpreter itself, not a wrapper (pyenv shims, /usr/bin/python3
# symlinks): its basename is the service_name the observer must report.
BT_PY=$(python3 -c 'import os, sys; print(os.path.realpath(sys.executable))')
# shellcheck disable=SC2034 # used by the tests
BT_PY_SERVICE=$(basename "$BT_PY")

BT_PIDS=()
BT_PIN_DIRS=()
BT_NETNS=()
BT_CGROUPS=()
BT_FAILS=0
BT_OBS_PID=
BT_OBS_STARTS=0

bt_log() { printf '[%s %s] %s\n' "$(date +%H:%M:%S.%3N)" "${BT_NAME:-e2e}" "$*"; }

# Records a failed check and goes on, so one run reports every problem.
bt_check_fail() {
	bt_log "CHECK FAILED: $*"
	BT_FAILS=$((BT_FAILS + 1))
}

# Stops the test now; cleanup runs from the EXIT trap.
bt_fail() {
	bt_log "FAIL: $*"
	exit 1
}

# Exit status 77 is reported as SKIP by tests/run.sh. Never used for a
# missing BPF capability: a test that cannot load BPF fails.
bt_skip() {
	echo "SKIP-REASON: $*"
	exit 77
}

bt_finish() {
	if [ "$BT_FAILS" -ne 0 ]; then
		bt_log "$BT_FAILS check(s) failed"
		exit 1
	fi
	bt_log "all checks passed"
	exit 0
}

bt_need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || bt_skip "$c not installed"
	done
}

bt_init() {
	BT_NAME=$1
	bt_need_cmd curl python3 bpftool
	[ "$(id -u)" -eq 0 ] || bt_fail "must run as root to load BPF programs"
	[ -x "$BT_OBSERVER" ] || bt_fail "observer binary $BT_OBSERVER is missing (run make)"
	BT_TMP=$(mktemp -d "/tmp/bt-e2e-$BT_NAME.XXXXXX") || bt_fail "mktemp"
	chmod 755 "$BT_TMP"
	if [ -n "${BT_ARTIFACTS:-}" ]; then
		BT_ART=$BT_ARTIFACTS
	else
		BT_ART=$(mktemp -d "/tmp/bt-e2e-artifacts-$BT_NAME.XXXXXX")
	fi
	mkdir -p "$BT_ART"
	BT_PIN_DIR=/sys/fs/bpf/bt-test-$BT_NAME-$$
	trap bt__cleanup EXIT
	trap 'bt_log "terminated by signal"; exit 143' TERM
	trap 'bt_log "interrupted"; exit 130' INT
	bt_log "observer=$BT_OBSERVER artifacts=$BT_ART tmp=$BT_TMP python=$BT_PY"
}

# True while pid runs (a zombie counts as gone).
bt_alive() {
	local st
	[ -r "/proc/$1/stat" ] || return 1
	st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$st" ] && [ "$st" != Z ]
}

# Remembers a pid for cleanup. tests/run.sh reads the pids file to kill
# what a timed-out test left: "pid start-time what", the start time (field
# 22 of /proc/PID/stat) guarding against a reused pid.
bt_track() {
	local st
	BT_PIDS+=("$1")
	st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20)
	echo "$1 ${st:-0} ${2:-process}" >>"$BT_ART/pids"
}

# Waits up to $2 seconds (default 5) for pid $1 to exit.
bt_wait_gone() {
	local pid=$1 tenths=$((${2:-5} * 10)) i
	for ((i = 0; i < tenths; i++)); do
		bt_alive "$pid" || return 0
		sleep 0.1
	done
	! bt_alive "$pid"
}

# bt_cgroup_root: where the cgroup v2 hierarchy is mounted (first match).
bt_cgroup_root() {
	awk '{ for (i = 1; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") { print $5; exit } break } }' \
		/proc/self/mountinfo
}

# bt_cgroup_make NAME: a cgroup v2 directory, removed at cleanup, in BT_CGROUP.
bt_cgroup_make() {
	local root
	root=$(bt_cgroup_root)
	[ -n "$root" ] || bt_fail "no cgroup2 hierarchy is mounted"
	BT_CGROUP=$root/$1
	mkdir "$BT_CGROUP" || bt_fail "cannot create cgroup $BT_CGROUP"
	BT_CGROUPS+=("$BT_CGROUP")
}

# An empty cgroup can go; one whose last task is still exiting, a moment later.
bt_cgroup_remove() {
	local i
	for ((i = 0; i < 20; i++)); do
		rmdir "$1" 2>/dev/null && return 0
		[ -d "$1" ] || return 0
		sleep 0.1
	done
	bt_log "cleanup: cgroup $1 not removed"
}

bt__cleanup() {
	local rc=$? pid i alive
	set +e
	trap - TERM INT
	for ((i = ${#BT_PIDS[@]} - 1; i >= 0; i--)); do
		pid=${BT_PIDS[i]}
		bt_alive "$pid" && kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${BT_PIDS[@]}"; do
		bt_wait_gone "$pid" 3 || {
			bt_log "cleanup: pid $pid ignored SIGTERM, killing"
			kill -KILL "$pid" 2>/dev/null
		}
	done
	for pid in "${BT_PIDS[@]}"; do
		alive=$(bt_alive "$pid" && echo 1)
		[ -z "$alive" ] && continue
		bt_wait_gone "$pid" 2 || bt_log "cleanup: pid $pid still alive"
	done
	for i in "${BT_PIN_DIRS[@]}"; do
		[ -e "$i" ] && rm -rf "$i"
	done
	for i in "${BT_NETNS[@]}"; do
		ip netns del "$i" 2>/dev/null
	done
	for i in "${BT_CGROUPS[@]}"; do
		bt_cgroup_remove "$i"
	done
	[ -n "${BT_NGX_PREFIX:-}" ] && cp "$BT_NGX_PREFIX/logs/error.log" "$BT_ART/nginx-error.log" 2>/dev/null
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ -n "${BT_OBS_LOG:-}" ] && [ -s "$BT_OBS_LOG" ]; then
		bt_log "last lines of $BT_OBS_LOG:"
		tail -n 30 "$BT_OBS_LOG"
	fi
	[ -n "${BT_TMP:-}" ] && rm -rf "$BT_TMP"
	exit "$rc"
}

# ---------------------------------------------------------------- observer

# bt_hooks: the capture.hooks the observer runs with: BT_CAPTURE_HOOKS, else
# the default its --help states.
bt_hooks() {
	if [ -n "${BT_CAPTURE_HOOKS:-}" ]; then
		echo "$BT_CAPTURE_HOOKS"
		return
	fi
	"$BT_OBSERVER" --help 2>&1 | sed -n 's/.*(default \([a-z]*\); config key capture\.hooks).*/\1/p'
}

# bt_conns_map: the pinned map of tracked connections for those hooks.
bt_conns_map() {
	if [ "$(bt_hooks)" = syscall ]; then echo bt_conns; else echo bt_sk_conns; fi
}

bt_http_code() {
	curl -s -o /dev/null --max-time 2 -w '%{http_code}' "$1" 2>/dev/null
}

# bt_observer_start PORT [extra observer args...]
# Sets BT_OBS_PID, BT_OBS_PORT, BT_OBS_LOG; fails the test if it does not
# serve /metrics within BT_READY_TIMEOUT seconds.
bt_observer_start() {
	local port=$1 i code
	shift
	BT_OBS_PORT=$port
	BT_OBS_STARTS=$((BT_OBS_STARTS + 1))
	BT_OBS_LOG=$BT_ART/observer.$BT_OBS_STARTS.log
	# BT_KEEP_STATE=1: a restart finds what the previous run stored
	if [ "${BT_KEEP_STATE:-0}" != 1 ] || [ -z "${BT_STATE_DIR:-}" ]; then
		BT_STATE_DIR=$(mktemp -d "$BT_TMP/state.XXXXXX")
	fi
	BT_PIN_DIRS+=("$BT_PIN_DIR")
	bt_log "starting observer on 127.0.0.1:$port pin-dir=$BT_PIN_DIR"
	"$BT_OBSERVER" --listen "127.0.0.1:$port" --pin-dir "$BT_PIN_DIR" \
		--state-dir "$BT_STATE_DIR" --log-level "${BT_OBS_LOG_LEVEL:-info}" \
		--log-format "${BT_OBS_LOG_FORMAT:-text}" \
		${BT_CAPTURE_HOOKS:+--capture-hooks "$BT_CAPTURE_HOOKS"} \
		${BT_CAPTURE_FRAMING:+--capture-framing "$BT_CAPTURE_FRAMING"} "$@" \
		>"$BT_OBS_LOG" 2>&1 &
	BT_OBS_PID=$!
	bt_track "$BT_OBS_PID" observer
	for ((i = 0; i < BT_READY_TIMEOUT * 10; i++)); do
		code=$(bt_http_code "http://127.0.0.1:$port/metrics")
		if [ "$code" = 200 ]; then
			bt_log "observer pid $BT_OBS_PID ready after $((i * 100)) ms"
			return 0
		fi
		if ! bt_alive "$BT_OBS_PID"; then
			wait "$BT_OBS_PID"
			bt_fail "observer exited with status $? before serving /metrics (BPF could not be loaded?)"
		fi
		sleep 0.1
	done
	bt_fail "observer did not answer /metrics with 200 within ${BT_READY_TIMEOUT}s (last code '$code')"
}

# bt_observer_stop [SECONDS]: SIGTERM, wait; sets BT_OBS_RC (124 on timeout).
bt_observer_stop() {
	local t=${1:-5} t0 t1
	[ -n "$BT_OBS_PID" ] || return 0
	t0=$(date +%s%N)
	kill -TERM "$BT_OBS_PID" 2>/dev/null
	if bt_wait_gone "$BT_OBS_PID" "$t"; then
		wait "$BT_OBS_PID"
		BT_OBS_RC=$?
	else
		bt_log "observer did not exit within ${t}s of SIGTERM; killing it"
		kill -KILL "$BT_OBS_PID" 2>/dev/null
		wait "$BT_OBS_PID" 2>/dev/null
		BT_OBS_RC=124
	fi
	t1=$(date +%s%N)
	bt_log "observer pid $BT_OBS_PID stopped: status $BT_OBS_RC after $(((t1 - t0) / 1000000)) ms"
	BT_OBS_PID=
	return 0
}

# Stops the observer and records a failed check unless it exited 0 and
# removed its pins: every test holds the observer to its shutdown contract.
bt_observer_stop_checked() {
	bt_observer_stop 10
	[ "$BT_OBS_RC" -eq 0 ] || bt_check_fail "observer exit status on SIGTERM: expected 0, got $BT_OBS_RC"
	if [ -e "$BT_PIN_DIR" ] && [ -n "$(ls -A "$BT_PIN_DIR" 2>/dev/null)" ]; then
		bt_check_fail "pin dir $BT_PIN_DIR not empty after shutdown: $(find "$BT_PIN_DIR" -mindepth 1 | tr '\n' ' ')"
	fi
}

# bt_scrape FILE [PATH]: the observer's exposition into FILE.
bt_scrape() {
	curl -sS --max-time 5 -o "$1" "http://127.0.0.1:$BT_OBS_PORT${2:-/metrics}"
}

bt_promq() { python3 "$BT_PROMQ" "$@"; }

# bt_wait_counts TITLE EXPECTED METRIC LABELS [FILTER...]
# Polls /metrics until "promq group METRIC LABELS FILTER..." equals the
# EXPECTED file ("v1 v2 n" lines) or BT_SETTLE seconds pass, then prints
# the comparison; returns non-zero on mismatch.
bt_wait_counts() {
	local title=$1 expected=$2 metric=$3 labels=$4 got i
	shift 4
	got=$BT_TMP/got.$RANDOM
	sort "$expected" -o "$expected"
	for ((i = 0; i <= BT_SETTLE * 5; i++)); do
		bt_scrape "$BT_TMP/scrape.prom" &&
			bt_promq group "$BT_TMP/scrape.prom" "$metric" "$labels" "$@" | sort >"$got" &&
			cmp -s "$expected" "$got" && break
		sleep 0.2
	done
	bt_log "$title: $metric by $labels where $*"
	bt_promq compare "$title" "$expected" "$got"
}

# bt_wait_within TITLE LOW HIGH METRIC LABELS [FILTER...]: like
# bt_wait_counts with LOW <= got <= HIGH per key.
bt_wait_within() {
	local title=$1 low=$2 high=$3 metric=$4 labels=$5 got i
	shift 5
	got=$BT_TMP/got.$RANDOM
	for ((i = 0; i <= BT_SETTLE * 5; i++)); do
		bt_scrape "$BT_TMP/scrape.prom" &&
			bt_promq group "$BT_TMP/scrape.prom" "$metric" "$labels" "$@" | sort >"$got" &&
			bt_promq within "$title" "$low" "$high" "$got" >/dev/null && break
		sleep 0.2
	done
	bt_log "$title: $metric by $labels where $*"
	bt_promq within "$title" "$low" "$high" "$got"
}

# Every biothings_observer_events_dropped_total series must be 0 and at
# least one must exist.
bt_check_no_drops() {
	local file=$BT_TMP/drops.prom n
	bt_scrape "$file" || {
		bt_check_fail "scrape for drop counters failed"
		return
	}
	bt_log "drop counters:"
	bt_promq series "$file" biothings_observer_events_dropped_total | sed 's/^/    /'
	n=$(bt_promq series "$file" biothings_observer_events_dropped_total | wc -l)
	[ "$n" -gt 0 ] || bt_check_fail "biothings_observer_events_dropped_total is not exported"
	n=$(bt_promq sum "$file" biothings_observer_events_dropped_total)
	[ "$n" = 0 ] || bt_check_fail "events dropped: expected 0, got $n"
}

# ------------------------------------------------------------------ nginx

# Connects without sending a byte, so the probe never becomes a request.
bt_port_open() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

bt_wait_port() {
	local i
	for ((i = 0; i < ${2:-10} * 10; i++)); do
		bt_port_open "$1" && return 0
		sleep 0.1
	done
	return 1
}

# bt_nginx_start PORT [UPSTREAM_PORT]: nginx with a private config, prefix
# and logs; /slow/* is proxied to UPSTREAM_PORT when given.
# Sets BT_NGX_PREFIX, BT_NGX_ACCESS (access log), BT_NGX_PID (master) and
# BT_POST_FILE (100 KB of random bytes for request bodies).
bt_nginx_start() {
	local port=$1 upstream=${2:-} p code
	bt_need_cmd nginx
	BT_NGX_PREFIX=$BT_TMP/nginx
	p=$BT_NGX_PREFIX
	mkdir -p "$p/html" "$p/logs" "$p/tmp"
	echo '<html><body>biothings e2e</body></html>' >"$p/html/index.html"
	echo hello >"$p/html/small.txt"
	seq 1 3000 >"$p/html/text.txt"
	head -c 1048576 /dev/urandom >"$p/html/big.bin"
	BT_POST_FILE=$BT_TMP/post100k.bin
	head -c 102400 /dev/urandom >"$BT_POST_FILE"
	BT_NGX_ACCESS=$p/logs/access.log
	{
		cat <<EOF
user root;
worker_processes 2;
pid $p/nginx.pid;
error_log $p/logs/error.log warn;
events { worker_connections 1024; }
http {
    log_format bt '\$request_method \$status \$request_time \$uri \$request_length \$bytes_sent';
    access_log $BT_NGX_ACCESS bt;
    client_body_temp_path $p/tmp/body;
    proxy_temp_path $p/tmp/proxy;
    fastcgi_temp_path $p/tmp/fastcgi;
    uwsgi_temp_path $p/tmp/uwsgi;
    scgi_temp_path $p/tmp/scgi;
    keepalive_requests 100000;
    keepalive_timeout 120s;
    sendfile on;
    default_type application/octet-stream;
    server {
        listen 127.0.0.1:$port;
EOF
		# BT_NGX_TLS_PORT: the same site over TLS, with a test CA's cert.
		if [ -n "${BT_NGX_TLS_PORT:-}" ]; then
			bt_test_ca "$p"
			echo "        listen 127.0.0.1:$BT_NGX_TLS_PORT ssl;"
			echo "        ssl_certificate $p/server.crt;"
			echo "        ssl_certificate_key $p/server.key;"
		fi
		cat <<EOF
        root $p/html;
        location = /post { client_body_buffer_size 1m; return 200; }
        # gzip drops Content-Length, so HTTP/1.1 answers are chunked.
        location /gz/ { alias $p/html/; gzip on; gzip_min_length 0; gzip_types *; }
        location ~ ^/preexisting- { return 200 "preexisting\n"; }
EOF
		# Latencies of tens of ms for the quantile checks come from a slow
		# upstream: nginx's own timers have one-second steps.
		if [ -n "$upstream" ]; then
			echo "        location /slow/ { proxy_pass http://127.0.0.1:$upstream; }"
		fi
		for code in 200 201 204 301 302 304 400 404 418 500 503; do
			echo "        location = /status/$code { return $code; }"
		done
		# BT_NGX_EXTRA: more lines for the server block (a test's own locations)
		[ -z "${BT_NGX_EXTRA:-}" ] || printf '%s\n' "$BT_NGX_EXTRA"
		echo '    }'
		echo '}'
	} >"$p/nginx.conf"
	nginx -t -q -c "$p/nginx.conf" -p "$p/" >"$BT_ART/nginx-start.log" 2>&1 ||
		bt_fail "nginx config test failed: $(cat "$BT_ART/nginx-start.log")"
	nginx -c "$p/nginx.conf" -p "$p/" -g 'daemon off;' >>"$BT_ART/nginx-start.log" 2>&1 &
	BT_NGX_PID=$!
	bt_track "$BT_NGX_PID" nginx
	bt_wait_port "$port" 10 || bt_fail "nginx did not listen on 127.0.0.1:$port: $(cat "$BT_ART/nginx-start.log")"
	bt_log "nginx master pid $BT_NGX_PID on 127.0.0.1:$port"
}

# bt_test_ca DIR: a throw-away CA (DIR/ca.crt) and a server cert for
# 127.0.0.1 and localhost signed by it (DIR/server.crt, DIR/server.key).
bt_test_ca() {
	local d=$1
	bt_need_cmd openssl
	BT_CA=$d/ca.crt
	[ -e "$d/server.crt" ] && return 0
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=bt-test-ca \
		-keyout "$d/ca.key" -out "$d/ca.crt" >/dev/null 2>&1 || bt_fail "openssl: CA"
	openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout "$d/server.key" \
		-out "$d/server.csr" >/dev/null 2>&1 || bt_fail "openssl: CSR"
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$d/san.ext"
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
		-CAcreateserial -days 2 -extfile "$d/san.ext" -out "$d/server.crt" >/dev/null 2>&1 ||
		bt_fail "openssl: sign"
}

bt_nginx_stop() {
	[ -n "${BT_NGX_PID:-}" ] || return 0
	kill -QUIT "$BT_NGX_PID" 2>/dev/null
	bt_wait_gone "$BT_NGX_PID" 5 || kill -TERM "$BT_NGX_PID" 2>/dev/null
	BT_NGX_PID=
}

# "METHOD STATUS count" per access-log line pair.
bt_access_counts() {
	awk '{ c[$1 " " $2]++ } END { for (k in c) print k, c[k] }' "$1" | sort
}

# Starts tests/e2e/pyserver.py on PORT; sets BT_PYS_PID and BT_PYS_COUNTS
# (the server's own per-(method,status) counts, written as it goes).
bt_pyserver_start() {
	local port=$1
	BT_PYS_COUNTS=$BT_TMP/pyserver-counts.txt
	"$BT_PY" "$BT_E2E_DIR/pyserver.py" --port "$port" --counts "$BT_PYS_COUNTS" \
		>"$BT_ART/pyserver.log" 2>&1 &
	BT_PYS_PID=$!
	bt_track "$BT_PYS_PID" pyserver
	bt_wait_port "$port" 10 || bt_fail "python server did not listen on $port: $(cat "$BT_ART/pyserver.log")"
	bt_log "python server pid $BT_PYS_PID ($(readlink "/proc/$BT_PYS_PID/exe")) on 127.0.0.1:$port"
}
