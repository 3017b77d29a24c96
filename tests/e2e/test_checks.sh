#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Active checks end to end, against real servers on loopback: a
# redis-server, a PostgreSQL cluster this test creates (initdb as user
# postgres in a temp dir), a python http.server, a temp directory and a
# port nothing listens on. The observer runs a check of every type
# (tcp, http with and without an expected status, redis, postgres,
# filesystem) every 2 s with a 1 s timeout, and:
#   - biothings_component_up is 1 for every reachable component and 0 for
#     the dead port and the filesystem that can never be 100 % free;
#   - POST /health/component/{name}/test answers JSON {component, status,
#     latency_ms, error} for each, 404 for an unknown name;
#   - redis stopped: the redis and tcp checks turn unhealthy within
#     interval + timeout, with "connection refused"; redis started again:
#     healthy within interval + timeout; the same for PostgreSQL stopped;
#   - every component has a duration histogram and counted runs.
set -uo pipefail
export BT_READY_TIMEOUT=${BT_READY_TIMEOUT:-30}
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
bt_init checks
bt_need_cmd redis-server setpriv
PG_BIN=
for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && PG_BIN=$d; done # Debian installs one major version
[ -n "$PG_BIN" ] || bt_skip "postgresql not installed"
id postgres >/dev/null 2>&1 || bt_skip "no postgres user (postgresql package)"

OBS=19720
REDIS=18720
PG=18721
WEB=18722
DEAD=18723 # nothing listens here
INTERVAL_MS=2000
TIMEOUT_MS=1000
# a state change must show within interval + timeout; the scrape loop adds up to 0.3 s
LIMIT_MS=$((INTERVAL_MS + TIMEOUT_MS + 500))

# ------------------------------------------------------------ the servers

redis_start() {
	mkdir -p "$BT_TMP/redis"
	redis-server --port "$REDIS" --bind 127.0.0.1 --save '' --appendonly no \
		--dir "$BT_TMP/redis" --daemonize no >>"$BT_ART/redis.log" 2>&1 &
	REDIS_PID=$!
	bt_track "$REDIS_PID" redis-server
	bt_wait_port "$REDIS" 10 || bt_fail "redis-server did not listen on $REDIS: $(tail -5 "$BT_ART/redis.log")"
	bt_log "redis-server pid $REDIS_PID on 127.0.0.1:$REDIS"
}

redis_stop() {
	kill -TERM "$REDIS_PID" 2>/dev/null
	bt_wait_gone "$REDIS_PID" 10 || bt_fail "redis-server did not stop"
	wait "$REDIS_PID" 2>/dev/null
	bt_log "redis-server stopped"
}

PGDIR=$BT_TMP/pg
as_postgres() { (cd "$PGDIR" && setpriv --reuid=postgres --regid=postgres --init-groups "$@"); }

pg_start() {
	as_postgres "$PG_BIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/postgres.log" -w -t 30 \
		-o "-p $PG -k $PGDIR -c listen_addresses=127.0.0.1" start >/dev/null ||
		bt_fail "postgres did not start: $(tail -5 "$PGDIR/postgres.log")"
	PG_PID=$(head -n 1 "$PGDIR/data/postmaster.pid")
	bt_track "$PG_PID" postgres
	bt_log "postgres pid $PG_PID on 127.0.0.1:$PG"
}

pg_stop() {
	as_postgres "$PG_BIN/pg_ctl" -D "$PGDIR/data" -m fast -w -t 30 stop >/dev/null ||
		bt_fail "postgres did not stop"
	bt_log "postgres stopped"
}

install -d -o postgres -g postgres -m 700 "$PGDIR"
as_postgres "$PG_BIN/initdb" -D "$PGDIR/data" -A trust -U postgres --no-sync \
	>"$BT_ART/initdb.log" 2>&1 || bt_fail "initdb failed: $(tail -5 "$BT_ART/initdb.log")"
redis_start
pg_start
mkdir -p "$BT_TMP/www" "$BT_TMP/fs"
echo ok >"$BT_TMP/www/health"
"$BT_PY" -m http.server "$WEB" --bind 127.0.0.1 --directory "$BT_TMP/www" >"$BT_ART/web.log" 2>&1 &
bt_track $! http.server
bt_wait_port "$WEB" 10 || bt_fail "http.server did not listen on $WEB"

every="interval: ${INTERVAL_MS}ms, timeout: ${TIMEOUT_MS}ms"
cat >"$BT_TMP/observer.yaml" <<EOF
checks:
  - {name: redis-port, type: tcp, target: "127.0.0.1:$REDIS", $every}
  - {name: web, type: http, target: "http://127.0.0.1:$WEB/health", $every}
  - {name: web-missing, type: http, target: "http://127.0.0.1:$WEB/missing", expect: 404, $every}
  - {name: web-wrong, type: http, target: "http://localhost:$WEB/missing", $every}
  - {name: cache, type: redis, target: "127.0.0.1:$REDIS", $every}
  - {name: db, type: postgres, target: "localhost:$PG", $every}
  - {name: scratch, type: filesystem, path: "$BT_TMP/fs", expect: 0.0, $every}
  - {name: scratch-full, type: filesystem, path: "$BT_TMP/fs", expect: 1, $every}
  - {name: nothing, type: tcp, target: "127.0.0.1:$DEAD", $every}
EOF
bt_observer_start "$OBS" --config "$BT_TMP/observer.yaml"

# ------------------------------------------------------------ helpers

# up_of NAME: biothings_component_up of NAME in the last scrape ("" when absent).
up_of() {
	bt_promq series "$BT_TMP/up.prom" biothings_component_up component="$1" | awk '{print $NF}'
}

# wait_up NAME VALUE LIMIT_MS: polls /metrics until NAME's up gauge is VALUE; sets WAITED_MS.
wait_up() {
	local name=$1 want=$2 limit=$3 t0 v
	t0=$(date +%s%N)
	while :; do
		WAITED_MS=$((($(date +%s%N) - t0) / 1000000))
		bt_scrape "$BT_TMP/up.prom" && v=$(up_of "$name") && [ "$v" = "$want" ] && return 0
		[ "$WAITED_MS" -gt "$limit" ] && return 1
		sleep 0.1
	done
}

# expect_up NAME VALUE WHY: NAME's gauge reaches VALUE within LIMIT_MS, else a failed check.
expect_up() {
	if wait_up "$1" "$2" "$LIMIT_MS"; then
		bt_log "$1: up=$2 after ${WAITED_MS} ms ($3)"
	else
		bt_check_fail "$1: up is '$(up_of "$1")', not $2, ${LIMIT_MS} ms after $3"
	fi
}

# post_test NAME STATUS [ERROR_PART]: POST /health/component/NAME/test answers 200 and the
# JSON result with that status (and an error holding ERROR_PART when unhealthy).
post_test() {
	local name=$1 status=$2 part=${3:-} out=$BT_TMP/test.json code
	code=$(curl -s -o "$out" -w '%{http_code}' --max-time 10 -X POST \
		"http://127.0.0.1:$OBS/health/component/$name/test")
	[ "$code" = 200 ] || {
		bt_check_fail "POST /health/component/$name/test: HTTP $code: $(head -c 300 "$out")"
		return
	}
	bt_log "POST $name/test -> $(head -c 200 "$out")"
	"$BT_PY" - "$out" "$name" "$status" "$part" <<'PY' || bt_check_fail "POST $name/test: $(cat "$out")"
import json, sys
path, name, status, part = sys.argv[1:5]
j = json.load(open(path))
assert j["component"] == name, "component %r" % j.get("component")
assert j["status"] == status, "status %r" % j.get("status")
lat = j["latency_ms"]
assert isinstance(lat, (int, float)) and not isinstance(lat, bool) and 0 <= lat < 5000, lat
err = j.get("error")
if status == "healthy":
    assert err in ("", None), "error %r" % err
else:
    assert isinstance(err, str) and part in err, "error %r lacks %r" % (err, part)
PY
}

# ------------------------------------------------------------ checks

bt_log "every component as configured"
for n in redis-port web web-missing cache db scratch; do expect_up "$n" 1 "start"; done
for n in web-wrong scratch-full nothing; do expect_up "$n" 0 "start"; done

bt_log "POST /health/component/{name}/test"
post_test redis-port healthy
post_test web healthy
post_test web-missing healthy
post_test web-wrong unhealthy "status 404"
post_test cache healthy
post_test db healthy
post_test scratch healthy
post_test scratch-full unhealthy "% < 100%"
post_test nothing unhealthy "connection refused"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X POST "http://127.0.0.1:$OBS/health/component/no-such/test")
[ "$code" = 404 ] || bt_check_fail "POST for an unknown component: expected 404, got $code"

bt_log "redis stops"
redis_stop
expect_up cache 0 "redis stopped"
expect_up redis-port 0 "redis stopped"
post_test cache unhealthy "connection refused"
post_test redis-port unhealthy "connection refused"
bt_scrape "$BT_TMP/up.prom"
[ "$(up_of db)" = 1 ] || bt_check_fail "db turned unhealthy with redis"

bt_log "redis starts again"
redis_start
expect_up cache 1 "redis started again"
expect_up redis-port 1 "redis started again"
post_test cache healthy

bt_log "postgres stops"
pg_stop
expect_up db 0 "postgres stopped"
post_test db unhealthy "connection refused"
pg_start
expect_up db 1 "postgres started again"

bt_log "durations and run counts"
bt_scrape "$BT_TMP/all.prom" || bt_check_fail "scrape failed"
for n in redis-port web web-missing web-wrong cache db scratch scratch-full nothing; do
	c=$(bt_promq sum "$BT_TMP/all.prom" biothings_component_check_duration_seconds_count component="$n")
	t=$(bt_promq sum "$BT_TMP/all.prom" biothings_component_checks_total component="$n")
	[ "$c" -ge 2 ] 2>/dev/null || bt_check_fail "$n: duration histogram count '$c', expected >= 2"
	[ "$c" = "$t" ] || bt_check_fail "$n: $t runs counted, $c durations observed"
done
h=$(bt_promq sum "$BT_TMP/all.prom" biothings_component_checks_total component=cache result=unhealthy)
[ "$h" -ge 2 ] 2>/dev/null || bt_check_fail "cache: $h unhealthy runs counted, expected >= 2"
n=$(bt_promq sum "$BT_TMP/all.prom" biothings_component_checks_total component=nothing result=healthy)
[ "$n" = 0 ] || bt_check_fail "nothing: $n healthy runs counted"

bt_observer_stop_checked
pg_stop
cp "$PGDIR/postgres.log" "$BT_ART/postgres.log" 2>/dev/null
bt_finish
