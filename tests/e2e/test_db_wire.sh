#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Dependencies seen on the wire, against a real redis-server and a real
# PostgreSQL started here on loopback. redis-cli runs commands, some
# answered WRONGTYPE or ERR, one value far larger than what the kernel
# copies; psql runs statements, some failing (42P01, 42601), one result
# set far larger than the copy; pgbench runs the extended protocol (one
# failing); a raw Python client runs DEBUG SLEEP 0.2 and pgbench a 300 ms
# pg_sleep. db_client_operation_duration_seconds must count every one by
# service, system, address, port and error_type exactly, put the slow ones
# in the right buckets, and no reply may have needed the fallback end.
# Then connections fail: a closed loopback port (refused); an address in a
# network namespace whose SYNs go nowhere (timeout, tcp_syn_retries=1 in
# the namespace), whose retransmits must equal the namespace's own
# RetransSegs; an unreachable route there (connect() fails at once: counted
# with capture.hooks: syscall only, no socket state changes); a
# server that resets an established connection (reset).
set -uo pipefail
export BT_READY_TIMEOUT=${BT_READY_TIMEOUT:-30}
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
bt_init db_wire
bt_need_cmd redis-server redis-cli psql ip
PGBIN=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n1)
for b in initdb pg_ctl pgbench; do
	[ -x "$PGBIN/$b" ] || bt_skip "PostgreSQL server binaries (initdb, pg_ctl, pgbench) not installed"
done
id postgres >/dev/null 2>&1 || bt_skip "no postgres user"

OBS=19730
REDIS=18730
PG=18731
CLOSED=18732 # nothing listens here
RST=18733 # a server that resets
BLACKHOLE=18734 # in the namespace: SYNs dropped
UNREACH=18735 # in the namespace: no route
NS=bt-dbw-$$
BT_NETNS+=("$NS") # lib.sh's cleanup deletes it
HOLE=10.231.7.2
NOROUTE=10.231.8.7
PY=$BT_PY_SERVICE

as_postgres() { runuser -u postgres -- "$@"; }

bt_log "redis-server on $REDIS, postgres on $PG"
mkdir -p "$BT_TMP/redis"
redis-server --port "$REDIS" --bind 127.0.0.1 --save '' --appendonly no --dir "$BT_TMP/redis" \
	--enable-debug-command yes --daemonize no >"$BT_ART/redis.log" 2>&1 &
bt_track $! redis-server
PGD=$BT_TMP/pg
mkdir -p "$PGD" && chown postgres: "$PGD"
as_postgres "$PGBIN/initdb" -D "$PGD/data" -A trust -U postgres >"$BT_ART/initdb.log" 2>&1 ||
	bt_fail "initdb failed: $(tail -5 "$BT_ART/initdb.log")"
as_postgres "$PGBIN/pg_ctl" -D "$PGD/data" -l "$PGD/server.log" -w -t 60 \
	-o "-p $PG -k $PGD -c listen_addresses=127.0.0.1 -c ssl=off" start >"$BT_ART/pg_ctl.log" 2>&1 ||
	bt_fail "postgres did not start: $(cat "$BT_ART/pg_ctl.log" "$PGD/server.log" 2>/dev/null | tail -5)"
bt_track "$(head -n1 "$PGD/data/postmaster.pid")" postgres
bt_wait_port "$REDIS" 10 || bt_fail "redis-server did not listen: $(tail -5 "$BT_ART/redis.log")"

cat >"$BT_TMP/observer.yaml" <<EOF
db:
  ports:
    $REDIS: redis
    $PG: postgresql
EOF
bt_observer_start "$OBS" --config "$BT_TMP/observer.yaml"

bt_log "redis-cli: 12 answered, 2 WRONGTYPE, 3 ERR; a 270 KB value both ways"
rc() { redis-cli -p "$REDIS" "$@" >/dev/null 2>&1; }
for i in 1 2 3 4 5; do rc SET "key$i" "v$i"; done
for i in 1 2 3; do rc GET "key$i"; done
rc RPUSH list a b c
rc LRANGE list 0 -1
for i in 1 2; do rc LPUSH key1 x; done
for i in 1 2 3; do rc NOSUCHCMD a; done
head -c 200000 /dev/urandom | base64 -w0 >"$BT_TMP/big.txt"
redis-cli -p "$REDIS" -x SET big <"$BT_TMP/big.txt" >/dev/null 2>&1
[ "$(redis-cli -p "$REDIS" GET big)" = "$(cat "$BT_TMP/big.txt")" ] ||
	bt_check_fail "redis did not give the big value back"
bt_log "a raw client: DEBUG SLEEP 0.2"
"$BT_PY" - "$REDIS" <<'EOF' || bt_check_fail "DEBUG SLEEP failed"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"*3\r\n$5\r\nDEBUG\r\n$5\r\nSLEEP\r\n$3\r\n0.2\r\n")
r = b""
while not r.endswith(b"\r\n"):
    r += s.recv(100)
s.close()
sys.exit(r != b"+OK\r\n")
EOF

bt_log "psql: 7 answered, 2 x 42P01, 1 x 42601; 2000 rows in one result"
pq() { psql -X -q -h 127.0.0.1 -p "$PG" -U postgres "$@" >/dev/null 2>&1; }
pq -c "CREATE TABLE t(a int, b text)" || bt_fail "psql cannot create a table"
for i in 1 2 3; do pq -c "INSERT INTO t VALUES ($i, 'x')"; done
for i in 1 2; do pq -c "SELECT * FROM nosuch"; done
printf "SELECT count(*) FROM t;\nSELEC 1;\nSELECT g, repeat('x', 30) FROM generate_series(1, 2000) g;\n" \
	>"$BT_TMP/script.sql"
pq -f "$BT_TMP/script.sql"
pq -c "SELECT 1; SELECT 2"
bt_log "pgbench, extended protocol: 4 answered, 1 x 42P01, a 300 ms pg_sleep"
echo "SELECT a FROM t WHERE a = 1;" >"$BT_TMP/ok.sql"
echo "SELECT * FROM nosuch;" >"$BT_TMP/bad.sql"
echo "SELECT pg_sleep(0.3);" >"$BT_TMP/sleep.sql"
pgb() { "$PGBIN/pgbench" -h 127.0.0.1 -p "$PG" -U postgres -n -M extended -f "$@" postgres >>"$BT_ART/pgbench.log" 2>&1; }
pgb "$BT_TMP/ok.sql" -t 4 || bt_check_fail "pgbench failed: $(tail -3 "$BT_ART/pgbench.log")"
pgb "$BT_TMP/bad.sql" -t 1 # aborts on the error, by design
pgb "$BT_TMP/sleep.sql" -t 1 || bt_check_fail "pgbench sleep failed"

cat >"$BT_TMP/ops.txt" <<EOF
redis-cli redis 127.0.0.1 $REDIS - 12
redis-cli redis 127.0.0.1 $REDIS WRONGTYPE 2
redis-cli redis 127.0.0.1 $REDIS ERR 3
$PY redis 127.0.0.1 $REDIS - 1
psql postgresql 127.0.0.1 $PG - 7
psql postgresql 127.0.0.1 $PG 42P01 2
psql postgresql 127.0.0.1 $PG 42601 1
pgbench postgresql 127.0.0.1 $PG - 5
pgbench postgresql 127.0.0.1 $PG 42P01 1
EOF
bt_wait_counts "operations" "$BT_TMP/ops.txt" db_client_operation_duration_seconds_count \
	service_name,db_system_name,server_address,server_port,error_type \
	server_port=~"$REDIS|$PG" || bt_check_fail "database operations differ"
printf '0.5 1\n+Inf 1\n' >"$BT_TMP/sleep-redis.txt" # none at or below 0.1
bt_wait_counts "DEBUG SLEEP 0.2" "$BT_TMP/sleep-redis.txt" db_client_operation_duration_seconds_bucket \
	le service_name="$PY" server_port="$REDIS" le=~"0.1|0.5|\+Inf" ||
	bt_check_fail "a 200 ms Redis command is not in (0.1, 0.5]"
printf '0.1 4\n0.5 5\n+Inf 5\n' >"$BT_TMP/sleep-pg.txt"
bt_wait_counts "pg_sleep(0.3)" "$BT_TMP/sleep-pg.txt" db_client_operation_duration_seconds_bucket \
	le service_name=pgbench error_type= le=~"0.1|0.5|\+Inf" ||
	bt_check_fail "a 300 ms statement is not in (0.1, 0.5]"
: >"$BT_TMP/wire.txt" # all of them 0
bt_scrape "$BT_TMP/wire.prom"
bt_promq group "$BT_TMP/wire.prom" biothings_db_wire_events_total event \
	event=~"reply_end_inexact|unpaired_reply|unanswered_request|abandoned_request|tls_not_parsed" |
	sort >"$BT_TMP/wire-got.txt"
bt_promq compare "wire events" "$BT_TMP/wire.txt" "$BT_TMP/wire-got.txt" ||
	bt_check_fail "some replies were not framed"
bt_promq series "$BT_TMP/wire.prom" biothings_db_wire_events_total | sed 's/^/    /'

bt_log "connection failures: refused, timeout, unreachable, reset"
"$BT_PY" - "$CLOSED" <<'EOF' || bt_check_fail "connect to a closed port did not fail with ECONNREFUSED"
import errno, socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])))
except OSError as e:
    sys.exit(e.errno != errno.ECONNREFUSED)
sys.exit(1)
EOF
ip netns add "$NS" || bt_fail "cannot create network namespace $NS"
ip -n "$NS" link set lo up
ip -n "$NS" link add v0 type veth peer name v1 || bt_fail "cannot create a veth pair"
ip -n "$NS" addr add 10.231.7.1/24 dev v0
ip -n "$NS" link set v0 up
ip -n "$NS" link set v1 up # frames for another MAC arrive here and are dropped
ip -n "$NS" neigh add "$HOLE" lladdr 02:00:00:00:00:99 dev v0 nud permanent
ip -n "$NS" route add unreachable 10.231.8.0/24
ip netns exec "$NS" sysctl -qw net.ipv4.tcp_syn_retries=1 || bt_fail "cannot shorten SYN retries"
ip netns exec "$NS" "$BT_PY" - "$HOLE" "$BLACKHOLE" "$NOROUTE" "$UNREACH" <<'EOF' ||
import errno, socket, sys
def fails(addr, port):
    s = socket.socket()
    try:
        s.connect((addr, int(port)))  # blocking: the kernel's own timeout
    except OSError as e:
        return e.errno
    return 0
got = (fails(sys.argv[1], sys.argv[2]), fails(sys.argv[3], sys.argv[4]))
print("connect errors:", got)
sys.exit(got != (errno.ETIMEDOUT, errno.EHOSTUNREACH))
EOF
	bt_check_fail "the namespace's connects did not time out and fail with EHOSTUNREACH"
"$BT_PY" - "$RST" <<'EOF' || bt_check_fail "the reset server did not reset"
import errno, socket, struct, sys, threading
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", int(sys.argv[1])))
srv.listen(4)
def serve():
    for linger in (True, False):  # a reset, then a clean close
        c, _ = srv.accept()
        c.recv(16)
        if linger:
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.close()
threading.Thread(target=serve, daemon=True).start()
codes = []
for _ in range(2):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    s.sendall(b"hi")
    try:
        s.recv(16)
        codes.append(0)
    except OSError as e:
        codes.append(e.errno)
    s.close()
sys.exit(codes != [errno.ECONNRESET, 0])
EOF
# A connect() that fails before any SYN (no route) is seen by the syscall
# hooks only: the socket never changes state (docs/capture.md).
{
	echo "127.0.0.1 $CLOSED refused 1"
	echo "$HOLE $BLACKHOLE timeout 1"
	[ "$(bt_hooks)" = syscall ] && echo "$NOROUTE $UNREACH unreachable 1"
	echo "127.0.0.1 $RST reset 1"
} >"$BT_TMP/errors.txt"
bt_wait_counts "connection errors" "$BT_TMP/errors.txt" biothings_connection_errors_total \
	server_address,server_port,reason service_name="$PY" server_port=~"1873[2-5]" ||
	bt_check_fail "connection errors differ"
# shellcheck disable=SC2016 # awk fields, not shell
RETRANS=$(ip netns exec "$NS" awk '/^Tcp:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == "RetransSegs") c = i; h = 1 } else print $c }' /proc/net/snmp)
[ "${RETRANS:-0}" -ge 1 ] || bt_check_fail "the namespace counted no retransmits (${RETRANS:-none})"
echo "$HOLE $BLACKHOLE $RETRANS" >"$BT_TMP/retrans.txt"
bt_wait_counts "retransmits" "$BT_TMP/retrans.txt" biothings_tcp_retransmits_total \
	server_address,server_port server_address="$HOLE" ||
	bt_check_fail "retransmits to $HOLE:$BLACKHOLE differ from the namespace's RetransSegs"

bt_check_no_drops
as_postgres "$PGBIN/pg_ctl" -D "$PGD/data" -m fast -w stop >>"$BT_ART/pg_ctl.log" 2>&1
bt_observer_stop_checked
bt_finish
