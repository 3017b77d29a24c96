// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * dbwire and db_metrics on byte sequences captured from redis-server 7.0
 * (redis-cli, RESP2 and RESP3) and PostgreSQL 15 (psql, pgbench -M
 * extended and prepared), cut the way the kernel cuts them (64 bytes of
 * head, 16 of tail, the rest a gap): operation counts, names, error types
 * and exact start/end times; replies split over reads and requests over
 * writes; bulk values and result sets larger than the head; pipelines;
 * pushes and attributes; the startup phase never counted; TLS left alone;
 * garbage, bad arguments and a bounded connection table. Then the metric
 * families: labels, connection-error reasons, retransmit deltas.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_metrics.h"
#include "dbwire.h"
#include "metrics.h"

#define REQ BT_DBIO_REQUEST
#define RSP BT_DBIO_RESPONSE
#define REDIS BT_DB_REDIS
#define PG BT_DB_POSTGRESQL
#define MAX_OPS 256

struct fixture {
	struct dbwire *w;
	struct dbw_op ops[MAX_OPS];
	struct dbw_peer peers[MAX_OPS];
	int n;
};

static void on_op(void *arg, const struct dbw_op *op)
{
	struct fixture *f = arg;

	assert_true(f->n < MAX_OPS);
	f->ops[f->n] = *op;
	f->peers[f->n] = *op->peer;
	f->ops[f->n].peer = &f->peers[f->n];
	f->n++;
}

static struct fixture *make(uint32_t max_conns)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct dbwire_opts o = { .on_op = on_op, .max_conns = max_conns };

	assert_non_null(f);
	o.arg = f;
	f->w = dbwire__new(&o);
	assert_non_null(f->w);
	return f;
}

static int setup(void **state)
{
	*state = make(0);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	dbwire__free(f->w);
	free(f);
	return 0;
}

/* One call as the kernel reports it: head, gap, tail. */
static void io_sys(struct fixture *f, uint64_t conn, uint8_t sys, uint8_t dir, uint64_t ts,
		   const void *b, size_t n)
{
	struct dbw_io x = { .conn_id = conn, .ts_ns = ts, .len = n, .dir = dir, .system = sys };
	size_t hl = n < BT_DBIO_HEAD ? n : BT_DBIO_HEAD;
	size_t tl = n - hl < BT_DBIO_TAIL ? n - hl : BT_DBIO_TAIL;

	x.head = b;
	x.head_len = hl;
	x.tail = (const uint8_t *)b + n - tl;
	x.tail_len = tl;
	x.peer.tgid = 42;
	x.peer.port = sys == REDIS ? 6379 : 5432;
	x.peer.family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", x.peer.addr);
	memcpy(x.peer.comm, "client", 7);
	assert_int_equal(dbwire__io(f->w, &x), 0);
}

#define REDIS_IO(f, c, dir, ts, lit) io_sys(f, c, REDIS, dir, ts, lit, sizeof(lit) - 1)
#define PG_IO(f, c, dir, ts, lit) io_sys(f, c, PG, dir, ts, lit, sizeof(lit) - 1)

static void close_conn(struct fixture *f, uint64_t conn, uint8_t sys, uint64_t ts)
{
	struct dbw_io x = { .conn_id = conn, .ts_ns = ts, .dir = BT_DBIO_CLOSE, .system = sys };

	assert_int_equal(dbwire__io(f->w, &x), 0);
}

static void assert_op(const struct fixture *f, int i, const char *name, const char *err,
		      uint64_t start, uint64_t end, uint32_t flags)
{
	assert_true(i < f->n);
	assert_string_equal(f->ops[i].name, name);
	assert_string_equal(f->ops[i].error_type, err);
	assert_int_equal(f->ops[i].start_ns, start);
	assert_int_equal(f->ops[i].end_ns, end);
	assert_int_equal(f->ops[i].flags, flags);
}

/* --- Redis ------------------------------------------------------------------ */

/* redis-cli, one connection per command, as captured. */
static void test_redis_cli_session(void **state)
{
	struct fixture *f = *state;
	struct dbw_stats st;

	REDIS_IO(f, 1, REQ, 100, "*3\r\n$3\r\nSET\r\n$2\r\nk1\r\n$2\r\nv1\r\n");
	REDIS_IO(f, 1, RSP, 150, "+OK\r\n");
	close_conn(f, 1, REDIS, 160);
	REDIS_IO(f, 2, REQ, 200, "*2\r\n$3\r\nGET\r\n$2\r\nk1\r\n");
	REDIS_IO(f, 2, RSP, 260, "$2\r\nv1\r\n");
	REDIS_IO(f, 3, REQ, 300, "*3\r\n$5\r\nLPUSH\r\n$2\r\nk1\r\n$1\r\nx\r\n");
	REDIS_IO(f, 3, RSP, 370,
		 "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
	REDIS_IO(f, 4, REQ, 400, "*2\r\n$9\r\nNOSUCHCMD\r\n$1\r\na\r\n");
	REDIS_IO(f, 4, RSP, 480,
		 "-ERR unknown command 'NOSUCHCMD', with args beginning with: 'a' \r\n");
	REDIS_IO(f, 5, REQ, 500, "*2\r\n$3\r\nGET\r\n$7\r\nmissing\r\n");
	REDIS_IO(f, 5, RSP, 590, "$-1\r\n");
	REDIS_IO(f, 6, REQ, 600, "*4\r\n$6\r\nLRANGE\r\n$1\r\nl\r\n$1\r\n0\r\n$2\r\n-1\r\n");
	REDIS_IO(f, 6, RSP, 610, "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
	REDIS_IO(f, 7, REQ, 700, "*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n");
	REDIS_IO(f, 7, RSP, 701, ":1\r\n");
	assert_int_equal(f->n, 7);
	assert_op(f, 0, "SET", "", 100, 150, 0);
	assert_op(f, 1, "GET", "", 200, 260, 0);
	assert_op(f, 2, "LPUSH", "WRONGTYPE", 300, 370, 0);
	assert_op(f, 3, "NOSUCHCMD", "ERR", 400, 480, 0);
	assert_op(f, 4, "GET", "", 500, 590, 0);
	assert_op(f, 5, "LRANGE", "", 600, 610, 0);
	assert_op(f, 6, "INCR", "", 700, 701, 0);
	assert_int_equal(f->ops[2].system, REDIS);
	assert_int_equal(f->ops[2].conn_id, 3);
	assert_int_equal(f->ops[2].peer->port, 6379);
	assert_string_equal(f->ops[2].peer->comm, "client");
	assert_int_equal(dbwire__conns(f->w), 6); /* 1 closed */
	dbwire__stats(f->w, &st);
	assert_int_equal(st.ops, 7);
	assert_int_equal(st.framing_lost + st.unpaired + st.unanswered + st.abandoned, 0);
}

/* A request over two writes, a reply over three reads, cut anywhere. */
static void test_redis_split(void **state)
{
	struct fixture *f = *state;
	static const char req[] = "*3\r\n$3\r\nSET\r\n$2\r\nk1\r\n$2\r\nv1\r\n";
	static const char rsp[] = "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n";

	for (size_t cut = 1; cut < sizeof(req) - 1; cut++) {
		int before = f->n;

		io_sys(f, 9, REDIS, REQ, 1000 * cut, req, cut);
		io_sys(f, 9, REDIS, REQ, 1000 * cut + 1, req + cut, sizeof(req) - 1 - cut);
		io_sys(f, 9, REDIS, RSP, 1000 * cut + 5, rsp, 3);
		io_sys(f, 9, REDIS, RSP, 1000 * cut + 6, rsp + 3, cut % 20);
		assert_int_equal(f->n, before);
		io_sys(f, 9, REDIS, RSP, 1000 * cut + 7, rsp + 3 + cut % 20,
		       sizeof(rsp) - 1 - 3 - cut % 20);
		assert_int_equal(f->n, before + 1);
		assert_op(f, before, "SET", "", 1000 * cut, 1000 * cut + 7, 0);
	}
}

/* Values far larger than the head: passed by count through the gap. */
static void test_redis_big_bulk(void **state)
{
	struct fixture *f = *state;
	size_t n = 100000;
	char *req = malloc(n + 64), *rsp = malloc(n + 16);
	int hl = snprintf(req, 64, "*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$%zu\r\n", n);
	int rl = snprintf(rsp, 16, "$%zu\r\n", n);
	struct dbw_stats st;

	memset(req + hl, 'a', n);
	memcpy(req + hl + n, "\r\n", 2);
	memset(rsp + rl, 'a', n);
	memcpy(rsp + rl + n, "\r\n", 2);
	/* SET in two writes, then GET with its reply in three reads */
	io_sys(f, 5, REDIS, REQ, 10, req, 40000);
	io_sys(f, 5, REDIS, REQ, 20, req + 40000, hl + n + 2 - 40000);
	REDIS_IO(f, 5, RSP, 30, "+OK\r\n");
	REDIS_IO(f, 5, REQ, 40, "*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n");
	io_sys(f, 5, REDIS, RSP, 50, rsp, 65536);
	io_sys(f, 5, REDIS, RSP, 60, rsp + 65536, 30000);
	assert_int_equal(f->n, 1);
	io_sys(f, 5, REDIS, RSP, 70, rsp + 95536, rl + n + 2 - 95536);
	assert_int_equal(f->n, 2);
	assert_op(f, 0, "SET", "", 10, 30, 0);
	assert_op(f, 1, "GET", "", 40, 70, 0);
	dbwire__stats(f->w, &st);
	assert_int_equal(st.framing_lost, 0);
	free(req);
	free(rsp);
}

/* A reply whose structure falls in the gap: ended by the next request,
 * by silence, or by the close, at its last read. */
static void test_redis_unframed_reply(void **state)
{
	struct fixture *f = *state;
	char rsp[8192];
	size_t n = snprintf(rsp, sizeof(rsp), "*1000\r\n");
	struct dbw_stats st;

	for (int i = 0; i < 1000; i++)
		n += snprintf(rsp + n, sizeof(rsp) - n, "$1\r\n%d\r\n", i % 10);
	REDIS_IO(f, 3, REQ, 100, "*4\r\n$6\r\nLRANGE\r\n$1\r\nl\r\n$1\r\n0\r\n$2\r\n-1\r\n");
	io_sys(f, 3, REDIS, RSP, 200, rsp, 4000);
	io_sys(f, 3, REDIS, RSP, 300, rsp + 4000, n - 4000);
	assert_int_equal(f->n, 0);
	/* the next request ends it; that request is framed again */
	REDIS_IO(f, 3, REQ, 400, "*2\r\n$3\r\nGET\r\n$2\r\nk1\r\n");
	assert_int_equal(f->n, 1);
	assert_op(f, 0, "LRANGE", "", 100, 300, DBW_OP_INEXACT);
	REDIS_IO(f, 3, RSP, 450, "$2\r\nv1\r\n");
	assert_op(f, 1, "GET", "", 400, 450, 0);
	/* silence */
	REDIS_IO(f, 3, REQ, 1000, "*4\r\n$6\r\nLRANGE\r\n$1\r\nl\r\n$1\r\n0\r\n$2\r\n-1\r\n");
	io_sys(f, 3, REDIS, RSP, 1100, rsp, n);
	dbwire__tick(f->w, 1100 + DBW_QUIET_NS - 1);
	assert_int_equal(f->n, 2);
	dbwire__tick(f->w, 1100 + DBW_QUIET_NS);
	assert_int_equal(f->n, 3);
	assert_op(f, 2, "LRANGE", "", 1000, 1100, DBW_OP_INEXACT);
	/* the close */
	REDIS_IO(f, 3, REQ, 5000000000ull, "*2\r\n$6\r\nLRANGE\r\n$1\r\nl\r\n");
	io_sys(f, 3, REDIS, RSP, 5000000100ull, rsp, n);
	close_conn(f, 3, REDIS, 5000000200ull);
	assert_int_equal(f->n, 4);
	assert_op(f, 3, "LRANGE", "", 5000000000ull, 5000000100ull,
		  DBW_OP_INEXACT | DBW_OP_INCOMPLETE);
	dbwire__stats(f->w, &st);
	assert_int_equal(st.framing_lost, 3);
	assert_int_equal(st.ops_inexact, 3);
	assert_int_equal(st.unanswered + st.abandoned, 0);
}

/* An error reply longer than head + tail: its type is still read. */
static void test_redis_long_error(void **state)
{
	struct fixture *f = *state;
	char rsp[300];
	int n = snprintf(rsp, sizeof(rsp), "-ERR unknown command '%0200d'\r\n", 7);

	REDIS_IO(f, 8, REQ, 1, "*1\r\n$4\r\nNOPE\r\n");
	io_sys(f, 8, REDIS, RSP, 2, rsp, n);
	close_conn(f, 8, REDIS, 3);
	assert_int_equal(f->n, 1);
	assert_op(f, 0, "NOPE", "ERR", 1, 2, DBW_OP_INEXACT | DBW_OP_INCOMPLETE);
}

/* Three commands in one write, their replies in one read. */
static void test_redis_pipeline(void **state)
{
	struct fixture *f = *state;

	REDIS_IO(f, 4, REQ, 10,
		 "*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nINCR\r\n$1\r\nh\r\n*1\r\n$4\r\nPING\r\n");
	REDIS_IO(f, 4, RSP, 20,
		 "+PONG\r\n-WRONGTYPE Operation against a key holding the wrong kind\r\n+PONG\r\n");
	assert_int_equal(f->n, 3);
	assert_op(f, 0, "PING", "", 10, 20, 0);
	assert_op(f, 1, "INCR", "WRONGTYPE", 10, 20, 0);
	assert_op(f, 2, "PING", "", 10, 20, 0);
	/* inline commands (telnet style) */
	REDIS_IO(f, 4, REQ, 30, "PING\r\n\r\nget  k\r\n");
	REDIS_IO(f, 4, RSP, 40, "+PONG\r\n$-1\r\n");
	assert_int_equal(f->n, 5);
	assert_op(f, 3, "PING", "", 30, 40, 0);
	assert_op(f, 4, "GET", "", 30, 40, 0);
}

/* RESP3: HELLO's map (146 bytes: its middle is a gap, so it ends at the
 * next request), a push that answers nothing, an attribute before a
 * reply, a blob error, nested aggregates. */
static void test_redis_resp3(void **state)
{
	struct fixture *f = *state;
	struct dbw_stats st;

	REDIS_IO(f, 11, REQ, 1, "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n");
	REDIS_IO(f, 11, RSP, 2,
		 "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\n"
		 "proto\r\n:3\r\n$2\r\nid\r\n:14\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\n"
		 "role\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n");
	REDIS_IO(f, 11, REQ, 3, "*2\r\n$7\r\nHGETALL\r\n$1\r\nh\r\n");
	REDIS_IO(f, 11, RSP, 4, ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n");
	REDIS_IO(f, 11, RSP, 5, "|1\r\n+ttl\r\n:3\r\n%1\r\n$1\r\nf\r\n~2\r\n#t\r\n,1.5\r\n");
	REDIS_IO(f, 11, REQ, 6, "*2\r\n$4\r\nEVAL\r\n$1\r\nx\r\n");
	REDIS_IO(f, 11, RSP, 7, "!21\r\nSYNTAX invalid syntax\r\n");
	REDIS_IO(f, 11, REQ, 8, "*1\r\n$4\r\nTIME\r\n");
	REDIS_IO(f, 11, RSP, 9, "*2\r\n*2\r\n_\r\n(123456789012345678901\r\n=7\r\ntxt:abc\r\n");
	assert_int_equal(f->n, 4);
	assert_op(f, 0, "HELLO", "", 1, 2, DBW_OP_INEXACT);
	assert_op(f, 1, "HGETALL", "", 3, 5, 0);
	assert_op(f, 2, "EVAL", "SYNTAX", 6, 7, 0);
	assert_op(f, 3, "TIME", "", 8, 9, 0);
	dbwire__stats(f->w, &st);
	assert_int_equal(st.framing_lost, 1);
	assert_int_equal(st.unpaired + st.abandoned, 0);
}

/* Pub/sub messages with no request, a reply to nothing: unpaired, no op. */
static void test_redis_unpaired(void **state)
{
	struct fixture *f = *state;
	struct dbw_stats st;

	REDIS_IO(f, 12, REQ, 1, "*2\r\n$9\r\nSUBSCRIBE\r\n$2\r\nch\r\n");
	REDIS_IO(f, 12, RSP, 2, "*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n");
	REDIS_IO(f, 12, RSP, 3, "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n");
	assert_int_equal(f->n, 1);
	dbwire__stats(f->w, &st);
	assert_int_equal(st.unpaired, 1);
	/* a request never answered before the close */
	REDIS_IO(f, 12, REQ, 4, "*1\r\n$4\r\nPING\r\n");
	close_conn(f, 12, REDIS, 5);
	dbwire__stats(f->w, &st);
	assert_int_equal(st.unanswered, 1);
	assert_int_equal(f->n, 1);
}

/* A request whose structure falls in the gap counts once; the next call
 * that starts an array brings the framing back. */
static void test_redis_lost_request(void **state)
{
	struct fixture *f = *state;
	char req[1024];
	size_t n = snprintf(req, sizeof(req), "*101\r\n$4\r\nMSET\r\n");
	struct dbw_stats st;

	for (int i = 0; i < 50; i++)
		n += snprintf(req + n, sizeof(req) - n, "$1\r\n%d\r\n$1\r\n%d\r\n", i % 10, i % 7);
	io_sys(f, 13, REDIS, REQ, 10, req, n);
	REDIS_IO(f, 13, RSP, 20, "+OK\r\n");
	REDIS_IO(f, 13, REQ, 30, "*2\r\n$3\r\nGET\r\n$1\r\n1\r\n");
	REDIS_IO(f, 13, RSP, 40, "$1\r\n3\r\n");
	assert_int_equal(f->n, 2);
	assert_op(f, 0, "MSET", "", 10, 20, 0);
	assert_op(f, 1, "GET", "", 30, 40, 0);
	dbwire__stats(f->w, &st);
	assert_int_equal(st.framing_lost, 1);
}

static void test_redis_error_type(void **state)
{
	char out[DBW_ERR_MAX];

	(void)state;
	dbw_redis_error_type("WRONGTYPE Operation", 19, out, sizeof(out));
	assert_string_equal(out, "WRONGTYPE");
	dbw_redis_error_type("NOAUTH Authentication required.", 31, out, sizeof(out));
	assert_string_equal(out, "NOAUTH");
	dbw_redis_error_type("ERR", 3, out, sizeof(out));
	assert_string_equal(out, "ERR");
	dbw_redis_error_type("Error: bad", 10, out, sizeof(out));
	assert_string_equal(out, "_OTHER");
	dbw_redis_error_type("", 0, out, sizeof(out));
	assert_string_equal(out, "_OTHER");
	dbw_redis_error_type("BUSY\r\n", 6, out, sizeof(out));
	assert_string_equal(out, "BUSY");
	dbw_redis_error_type("ERR x", 5, out, 3); /* cut: not a whole word */
	assert_string_equal(out, "_O");
}

/* --- PostgreSQL ------------------------------------------------------------- */

static size_t pg_msg(uint8_t *out, uint8_t type, const void *body, size_t n)
{
	uint32_t len = htonl(n + 4);

	out[0] = type;
	memcpy(out + 1, &len, 4);
	memcpy(out + 5, body, n);
	return n + 5;
}

/* psql's start: SSLRequest refused, StartupMessage, the server's greeting
 * (authentication ok, parameters, key data, ReadyForQuery: 400+ bytes). */
static void pg_startup(struct fixture *f, uint64_t c, uint64_t ts)
{
	static const char *const params[] = {
		"application_name\0psql",
		"client_encoding\0UTF8",
		"DateStyle\0ISO, MDY",
		"default_transaction_read_only\0off",
		"in_hot_standby\0off",
		"integer_datetimes\0on",
		"IntervalStyle\0postgres",
		"is_superuser\0on",
		"server_encoding\0UTF8",
		"server_version\0"
		"15.18 (Debian 15.18-0+deb12u1)",
		"session_authorization\0postgres",
		"standard_conforming_strings\0on",
		"TimeZone\0Etc/UTC",
	};
	uint8_t g[600];
	size_t n = 0;

	PG_IO(f, c, REQ, ts, "\x00\x00\x00\x08\x04\xd2\x16/");
	PG_IO(f, c, RSP, ts + 1, "N");
	PG_IO(f, c, REQ, ts + 2,
	      "\x00\x00\x00?\x00\x03\x00\x00user\x00postgres\x00"
	      "database\x00postgres\x00"
	      "application_name\x00psql\x00\x00");
	n += pg_msg(g + n, 'R', "\0\0\0\0", 4);
	for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++)
		n += pg_msg(g + n, 'S', params[i],
			    strlen(params[i]) + 1 + strlen(params[i] + strlen(params[i]) + 1) + 1);
	n += pg_msg(g + n, 'K', "\0\0N\xf0\xc5\x81\xf4\x46", 8);
	n += pg_msg(g + n, 'Z', "I", 1);
	assert_true(n > 400);
	io_sys(f, c, PG, RSP, ts + 3, g, n);
}

/* A simple Query message for sql. */
static void pg_query(struct fixture *f, uint64_t c, uint64_t ts, const char *sql)
{
	uint8_t b[512];

	io_sys(f, c, PG, REQ, ts, b, pg_msg(b, 'Q', sql, strlen(sql) + 1));
}

#define PG_ERR_42P01                                               \
	"E\x00\x00\x00iSERROR\x00VERROR\x00"                       \
	"C42P01\x00Mrelation \"nosuch\" does not exist\x00P15\x00" \
	"Fparse_relation.c\x00L1392\x00RparserOpenTable\x00\x00"

static void test_pg_psql(void **state)
{
	struct fixture *f = *state;
	struct dbw_stats st;

	pg_startup(f, 1, 10);
	assert_int_equal(f->n, 0);
	pg_query(f, 1, 100, "CREATE TABLE t(a int, b text)");
	PG_IO(f, 1, RSP, 150,
	      "C\x00\x00\x00\x11"
	      "CREATE TABLE\x00Z\x00\x00\x00\x05I");
	pg_query(f, 1, 200, "SELECT * FROM nosuch");
	PG_IO(f, 1, RSP, 250, PG_ERR_42P01);
	PG_IO(f, 1, RSP, 260, "Z\x00\x00\x00\x05I");
	pg_query(f, 1, 300, "  select * FROM t");
	PG_IO(f, 1, RSP, 320,
	      "T\x00\x00\x00.\x00\x02"
	      "a\x00\x00\x00@\x00\x00\x01\x00\x00\x00\x17\x00\x04\xff\xff\xff\xff\x00\x00"
	      "b\x00\x00\x00@\x00\x00\x02\x00\x00\x00\x19\xff\xff\xff\xff\xff\xff\x00\x00"
	      "D\x00\x00\x00\x10\x00\x02\x00\x00\x00\x01"
	      "1\x00\x00\x00\x01xD\x00\x00\x00\x10\x00\x02\x00\x00\x00\x01"
	      "2\x00\x00\x00\x01yC\x00\x00\x00\rSELECT 2\x00Z\x00\x00\x00\x05I");
	PG_IO(f, 1, REQ, 400, "X\x00\x00\x00\x04");
	close_conn(f, 1, PG, 410);
	assert_int_equal(f->n, 3);
	assert_op(f, 0, "CREATE", "", 100, 150, 0);
	assert_op(f, 1, "SELECT", "42P01", 200, 260, 0);
	assert_op(f, 2, "SELECT", "", 300, 320, 0);
	assert_int_equal(f->ops[1].system, PG);
	dbwire__stats(f->w, &st);
	assert_int_equal(st.framing_lost, 1); /* the SELECT's rows: a header in the gap */
	assert_int_equal(st.unpaired + st.unanswered + st.ops_inexact, 0);
}

/* pgbench -M extended: Parse/Bind/Describe/Execute/Sync in one write. */
static void test_pg_extended(void **state)
{
	struct fixture *f = *state;

	pg_startup(f, 2, 10);
	PG_IO(f, 2, REQ, 100,
	      "P\x00\x00\x00$\x00SELECT a FROM t WHERE a = 1;\x00\x00\x00"
	      "B\x00\x00\x00\x0e\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00"
	      "D\x00\x00\x00\x06P\x00"
	      "E\x00\x00\x00\t\x00\x00\x00\x00\x00S\x00\x00\x00\x04");
	PG_IO(f, 2, RSP, 120,
	      "1\x00\x00\x00\x04"
	      "2\x00\x00\x00\x04T\x00\x00\x00\x1a\x00\x01"
	      "a\x00\x00\x00@\x00\x00\x01\x00\x00\x00\x17\x00\x04\xff\xff\xff\xff\x00\x00"
	      "D\x00\x00\x00\x0b\x00\x01\x00\x00\x00\x01"
	      "1C\x00\x00\x00\rSELECT 1\x00Z\x00\x00\x00\x05I");
	PG_IO(f, 2, REQ, 200,
	      "P\x00\x00\x00\x1e\x00SELECT * FROM nosuch2;\x00\x00\x00"
	      "B\x00\x00\x00\x0e\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00"
	      "D\x00\x00\x00\x06P\x00"
	      "E\x00\x00\x00\t\x00\x00\x00\x00\x00S\x00\x00\x00\x04");
	PG_IO(f, 2, RSP, 230, PG_ERR_42P01);
	PG_IO(f, 2, RSP, 231, "Z\x00\x00\x00\x05I");
	assert_int_equal(f->n, 2);
	assert_op(f, 0, "SELECT", "", 100, 120, 0);
	assert_op(f, 1, "SELECT", "42P01", 200, 231, 0);
}

/* pgbench -M prepared: Parse+Sync, then Bind/Describe/Execute/Sync: two rounds. */
static void test_pg_prepared(void **state)
{
	struct fixture *f = *state;

	pg_startup(f, 3, 10);
	PG_IO(f, 3, REQ, 100,
	      "P\x00\x00\x00'P_0\x00SELECT a FROM t WHERE a = 1;\x00\x00\x00S\x00\x00\x00\x04");
	PG_IO(f, 3, RSP, 110, "1\x00\x00\x00\x04Z\x00\x00\x00\x05I");
	PG_IO(f, 3, REQ, 200,
	      "B\x00\x00\x00\x11\x00P_0\x00\x00\x00\x00\x00\x00\x01\x00\x00"
	      "D\x00\x00\x00\x06P\x00"
	      "E\x00\x00\x00\t\x00\x00\x00\x00\x00S\x00\x00\x00\x04");
	PG_IO(f, 3, RSP, 210,
	      "2\x00\x00\x00\x04"
	      "C\x00\x00\x00\rSELECT 1\x00Z\x00\x00\x00\x05I");
	PG_IO(f, 3, REQ, 300,
	      "B\x00\x00\x00\x11\x00P_1\x00\x00\x00\x00\x00\x00\x01\x00\x00"
	      "D\x00\x00\x00\x06P\x00"
	      "E\x00\x00\x00\t\x00\x00\x00\x00\x00S\x00\x00\x00\x04");
	PG_IO(f, 3, RSP, 310,
	      "E\x00\x00\x00kSERROR\x00VERROR\x00"
	      "C26000\x00Mprepared statement \"P_1\" does not exist\x00"
	      "Fprepare.c\x00L451\x00RFetchPreparedStatement\x00\x00"
	      "Z\x00\x00\x00\x05I");
	assert_int_equal(f->n, 3);
	assert_op(f, 0, "SELECT", "", 100, 110, 0);
	assert_op(f, 1, "EXECUTE", "", 200, 210, 0);
	assert_op(f, 2, "EXECUTE", "26000", 300, 310, 0);
}

/* A result set far larger than the head: ReadyForQuery in the tail ends
 * it exactly and brings the framing back, even cut over two reads. */
static void test_pg_big_result(void **state)
{
	struct fixture *f = *state;
	uint8_t *r = malloc(20000);
	size_t n = 0;
	struct dbw_stats st;

	n += pg_msg(r + n, 'T',
		    "\x00\x01g\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x17\x00\x04"
		    "\xff\xff\xff\xff\x00\x00",
		    22);
	for (int i = 0; i < 200; i++)
		n += pg_msg(r + n, 'D', "\x00\x01\x00\x00\x00\x14xxxxxxxxxxxxxxxxxxxx", 26);
	n += pg_msg(r + n, 'C', "SELECT 200", 11);
	n += pg_msg(r + n, 'Z', "I", 1);
	pg_startup(f, 4, 10);
	pg_query(f, 4, 100, "SELECT g FROM big_table");
	io_sys(f, 4, PG, RSP, 110, r, 4096);
	io_sys(f, 4, PG, RSP, 120, r + 4096, n - 4096);
	assert_int_equal(f->n, 1);
	assert_op(f, 0, "SELECT", "", 100, 120, 0);
	/* again, ReadyForQuery cut in the middle */
	pg_query(f, 4, 200, "SELECT g FROM big_table");
	io_sys(f, 4, PG, RSP, 210, r, n - 3);
	assert_int_equal(f->n, 1);
	io_sys(f, 4, PG, RSP, 220, r + n - 3, 3);
	assert_int_equal(f->n, 2);
	assert_op(f, 1, "SELECT", "", 200, 220, 0);
	/* and framed normally afterwards */
	pg_query(f, 4, 300, "SELECT 1;");
	PG_IO(f, 4, RSP, 310, "C\x00\x00\x00\rSELECT 1\x00Z\x00\x00\x00\x05T");
	assert_op(f, 2, "SELECT", "", 300, 310, 0);
	dbwire__stats(f->w, &st);
	assert_int_equal(st.framing_lost, 2);
	assert_int_equal(st.ops_inexact, 0);
	free(r);
}

/* A long query text is passed by count; extended messages whose headers
 * fall in the gap come back at the Sync in the tail. */
static void test_pg_long_requests(void **state)
{
	struct fixture *f = *state;
	uint8_t b[3000], q[2000];
	size_t n = 0;

	memcpy(q, "\0INSERT INTO t VALUES ", 22);
	memset(q + 22, ' ', sizeof(q) - 23);
	q[sizeof(q) - 1] = 0;
	pg_startup(f, 5, 10);
	n = pg_msg(b, 'Q', q + 1, sizeof(q) - 1);
	io_sys(f, 5, PG, REQ, 100, b, n);
	PG_IO(f, 5, RSP, 110, "C\x00\x00\x00\x0fINSERT 0 1\x00Z\x00\x00\x00\x05I");
	n = pg_msg(b, 'P', q, sizeof(q));
	n += pg_msg(b + n, 'B', "\x00\x00\x00\x00\x00\x00\x00\x00\x00", 9);
	n += pg_msg(b + n, 'D', "P\x00", 2);
	n += pg_msg(b + n, 'E', "\x00\x00\x00\x00\x00", 5);
	n += pg_msg(b + n, 'S', "", 0);
	io_sys(f, 5, PG, REQ, 200, b, n);
	PG_IO(f, 5, RSP, 210,
	      "1\x00\x00\x00\x04"
	      "2\x00\x00\x00\x04n\x00\x00\x00\x04"
	      "C\x00\x00\x00\x0fINSERT 0 1\x00Z\x00\x00\x00\x05I");
	assert_int_equal(f->n, 2);
	assert_op(f, 0, "INSERT", "", 100, 110, 0);
	assert_op(f, 1, "INSERT", "", 200, 210, 0);
}

/* The startup phase is never an operation, whatever it says. */
static void test_pg_startup_error(void **state)
{
	struct fixture *f = *state;
	struct dbw_stats st;

	PG_IO(f, 6, REQ, 1, "\x00\x00\x00\x08\x04\xd2\x16/");
	PG_IO(f, 6, RSP, 2, "N");
	PG_IO(f, 6, REQ, 3,
	      "\x00\x00\x00?\x00\x03\x00\x00user\x00postgres\x00"
	      "database\x00nosuchdb\x00"
	      "application_name\x00psql\x00\x00");
	PG_IO(f, 6, RSP, 4,
	      "R\x00\x00\x00\x08\x00\x00\x00\x00"
	      "E\x00\x00\x00]SFATAL\x00VFATAL\x00"
	      "C3D000\x00Mdatabase \"nosuchdb\" does not exist\x00"
	      "Fpostinit.c\x00L948\x00RInitPostgres\x00\x00");
	close_conn(f, 6, PG, 5);
	assert_int_equal(f->n, 0);
	dbwire__stats(f->w, &st);
	assert_int_equal(st.unpaired + st.unanswered + st.framing_lost, 0);
}

/* SSL accepted: the rest is ciphertext and is left alone. */
static void test_pg_tls(void **state)
{
	struct fixture *f = *state;
	struct dbw_stats st;

	PG_IO(f, 7, REQ, 1, "\x00\x00\x00\x08\x04\xd2\x16/");
	PG_IO(f, 7, RSP, 2, "S");
	PG_IO(f, 7, REQ, 3, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03Q\x00\x00\x00\x05x");
	PG_IO(f, 7, RSP, 4, "\x16\x03\x03\x00zZ\x00\x00\x00\x05I");
	assert_int_equal(f->n, 0);
	dbwire__stats(f->w, &st);
	assert_int_equal(st.encrypted, 1);
	/* a ReadyForQuery before any startup message starts nothing */
	PG_IO(f, 9, RSP, 1, "Z\x00\x00\x00\x05I");
	pg_query(f, 9, 2, "SELECT 1;");
	PG_IO(f, 9, RSP, 3, "C\x00\x00\x00\rSELECT 1\x00Z\x00\x00\x00\x05I");
	assert_int_equal(f->n, 0);
	/* a cancel request is not a session either */
	PG_IO(f, 8, REQ, 1, "\x00\x00\x00\x10\x04\xd2\x16.\x00\x00\x00\x01\x00\x00\x00\x02");
	pg_query(f, 8, 2, "SELECT 1;");
	PG_IO(f, 8, RSP, 3, "Z\x00\x00\x00\x05I");
	assert_int_equal(f->n, 0);
}

/* A ReadyForQuery in the middle of a pipeline ends the oldest round. */
static void test_pg_pipeline(void **state)
{
	struct fixture *f = *state;

	pg_startup(f, 9, 10);
	PG_IO(f, 9, REQ, 100, "Q\x00\x00\x00\x0eSELECT 1;\x00Q\x00\x00\x00\x10UPDATE x y;\x00");
	PG_IO(f, 9, RSP, 110, "C\x00\x00\x00\rSELECT 1\x00Z\x00\x00\x00\x05I");
	PG_IO(f, 9, RSP, 120,
	      "E\x00\x00\x00\x1aSERROR\x00VERROR\x00"
	      "C42601\x00\x00Z\x00\x00\x00\x05I");
	assert_int_equal(f->n, 2);
	assert_op(f, 0, "SELECT", "", 100, 110, 0);
	assert_op(f, 1, "UPDATE", "42601", 100, 120, 0);
}

static void test_pg_error_type(void **state)
{
	char out[DBW_ERR_MAX];
	static const uint8_t full[] = "SERROR\0VERROR\0C42P01\0Mno\0";
	static const uint8_t sev[] = "SFEHLER\0VFATAL\0Mkaputt\0";
	static const uint8_t loc[] = "SFEHLER\0Mkaputt\0";
	static const uint8_t bad[] = "C42 01\0";

	(void)state;
	dbw_pg_error_type(full, sizeof(full) - 1, out, sizeof(out));
	assert_string_equal(out, "42P01");
	dbw_pg_error_type(sev, sizeof(sev) - 1, out, sizeof(out));
	assert_string_equal(out, "FATAL");
	dbw_pg_error_type(loc, sizeof(loc) - 1, out, sizeof(out));
	assert_string_equal(out, "FEHLER");
	dbw_pg_error_type(full, 19, out, sizeof(out)); /* C cut before its NUL */
	assert_string_equal(out, "ERROR");
	dbw_pg_error_type(bad, sizeof(bad) - 1, out, sizeof(out));
	assert_string_equal(out, "_OTHER");
	dbw_pg_error_type(full, 0, out, sizeof(out));
	assert_string_equal(out, "_OTHER");
}

/* --- the table, bad input ---------------------------------------------------- */

static void test_bounded_table(void **state)
{
	struct fixture *f = make(2);
	struct dbw_stats st;

	(void)state;
	REDIS_IO(f, 1, REQ, 10, "*1\r\n$4\r\nPING\r\n");
	REDIS_IO(f, 2, REQ, 20, "*1\r\n$4\r\nPING\r\n");
	REDIS_IO(f, 1, RSP, 30, "+PONG\r\n");
	REDIS_IO(f, 3, REQ, 40, "*1\r\n$4\r\nPING\r\n"); /* evicts 2, the least recent */
	REDIS_IO(f, 3, RSP, 50, "+PONG\r\n");
	REDIS_IO(f, 2, RSP, 60, "+PONG\r\n"); /* 2 anew, nothing waits; evicts 1 */
	assert_int_equal(dbwire__conns(f->w), 2);
	assert_int_equal(f->n, 2);
	assert_op(f, 0, "PING", "", 10, 30, 0);
	assert_op(f, 1, "PING", "", 40, 50, 0);
	dbwire__stats(f->w, &st);
	assert_int_equal(st.conns_evicted, 2);
	assert_int_equal(st.unanswered, 1);
	assert_int_equal(st.unpaired, 1);
	/* silent connections go */
	dbwire__tick(f->w, 50 + DBW_IDLE_NS);
	assert_int_equal(dbwire__conns(f->w), 1);
	dbwire__tick(f->w, 60 + DBW_IDLE_NS);
	assert_int_equal(dbwire__conns(f->w), 0);
	teardown((void **)&f);
}

static void test_pipeline_full(void **state)
{
	struct fixture *f = *state;
	struct dbw_stats st;

	for (int i = 0; i < DBW_PIPELINE + 3; i++)
		REDIS_IO(f, 1, REQ, 10 + i, "*1\r\n$4\r\nPING\r\n");
	for (int i = 0; i < DBW_PIPELINE + 3; i++)
		REDIS_IO(f, 1, RSP, 100 + i, "+PONG\r\n");
	assert_int_equal(f->n, DBW_PIPELINE);
	assert_op(f, DBW_PIPELINE - 1, "PING", "", 10 + DBW_PIPELINE - 1, 100 + DBW_PIPELINE - 1,
		  0);
	dbwire__stats(f->w, &st);
	assert_int_equal(st.abandoned, 3);
	assert_int_equal(st.unpaired, 3);
}

static void test_garbage_and_bad_args(void **state)
{
	struct fixture *f = *state;
	struct dbw_io x = { .conn_id = 1, .dir = REQ, .system = REDIS, .len = 10 };
	uint8_t junk[200];

	assert_int_equal(dbwire__io(NULL, &x), -EINVAL);
	assert_int_equal(dbwire__io(f->w, NULL), -EINVAL);
	x.system = 7;
	assert_int_equal(dbwire__io(f->w, &x), -EINVAL);
	x.system = REDIS;
	x.dir = 3;
	assert_int_equal(dbwire__io(f->w, &x), -EINVAL);
	x.dir = REQ;
	x.head_len = 11; /* more than len */
	x.head = junk;
	assert_int_equal(dbwire__io(f->w, &x), -EINVAL);
	x.head_len = 65;
	x.len = 100;
	assert_int_equal(dbwire__io(f->w, &x), -EINVAL);
	x.head_len = 4;
	x.head = NULL;
	assert_int_equal(dbwire__io(f->w, &x), -EINVAL);
	assert_null(dbwire__new(NULL));
	assert_int_equal(errno, EINVAL);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 37 + 11);
	for (int k = 0; k < 20; k++) {
		io_sys(f, 50 + k % 2, k % 2 ? PG : REDIS, k % 3 ? RSP : REQ, k, junk + k,
		       sizeof(junk) - k * 9);
	}
	/* a whole call lost in the kernel */
	x = (struct dbw_io){ .conn_id = 60, .dir = RSP, .system = PG, .len = 500, .lost = 1 };
	assert_int_equal(dbwire__io(f->w, &x), 0);
	assert_int_equal(f->n, 0);
}

static void test_io_from_record(void **state)
{
	struct bt_dbio_record r = { .conn_id = 77,
				    .io_ns = 123,
				    .io_len = 300,
				    .dir = RSP,
				    .system = PG,
				    .head_len = 64,
				    .tail_len = 16,
				    .family = AF_INET,
				    .flags = BT_DBIO_LOST,
				    .rport = 5432 };
	struct dbw_io io;

	(void)state;
	r.hdr.tgid = 9;
	memcpy(r.comm, "0123456789abcdef", 16); /* no NUL in the record */
	dbw_io_from_record(&r, &io);
	assert_int_equal(io.conn_id, 77);
	assert_int_equal(io.ts_ns, 123);
	assert_int_equal(io.len, 300);
	assert_int_equal(io.dir, RSP);
	assert_int_equal(io.system, PG);
	assert_int_equal(io.lost, 1);
	assert_ptr_equal(io.head, r.head);
	assert_ptr_equal(io.tail, r.tail);
	assert_int_equal(io.head_len + io.tail_len, 80);
	assert_int_equal(io.peer.tgid, 9);
	assert_int_equal(io.peer.port, 5432);
	assert_string_equal(io.peer.comm, "0123456789abcdef");
}

/* --- metric families --------------------------------------------------------- */

static char *render(struct metrics *m)
{
	char *out = NULL;
	size_t len;

	assert_int_equal(metrics__render(m, &out, &len), 0);
	return out;
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p += n)
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

static void test_metrics_ops(void **state)
{
	struct metrics *m = metrics__new(1000);
	struct db_metrics *d = db_metrics__new(m);
	struct dbw_peer peer = { .port = 6379, .family = AF_INET6 };
	struct dbw_op op = { .start_ns = 1000000, .end_ns = 4000000, .system = REDIS };
	char *t;

	(void)state;
	assert_non_null(d);
	assert_null(db_metrics__new(m)); /* the families exist */
	inet_pton(AF_INET6, "::ffff:10.1.2.3", peer.addr);
	op.peer = &peer;
	assert_int_equal(db_metrics__op(d, "api", &op), 0);
	strcpy(op.error_type, "WRONGTYPE");
	op.end_ns = 30000000;
	assert_int_equal(db_metrics__op(d, NULL, &op), 0);
	op.system = PG;
	op.end_ns = op.start_ns - 1;
	assert_int_equal(db_metrics__op(d, "api", &op), -EINVAL);
	t = render(m);
	assert_true(has_line(
		t, "db_client_operation_duration_seconds_bucket{service_name=\"api\","
		   "db_system_name=\"redis\",server_address=\"10.1.2.3\",server_port=\"6379\","
		   "error_type=\"\",le=\"0.005\"} 1"));
	assert_true(has_line(
		t, "db_client_operation_duration_seconds_bucket{service_name=\"api\","
		   "db_system_name=\"redis\",server_address=\"10.1.2.3\",server_port=\"6379\","
		   "error_type=\"\",le=\"0.001\"} 0"));
	assert_true(has_line(t, "db_client_operation_duration_seconds_count{service_name="
				"\"unknown_service\",db_system_name=\"redis\",server_address="
				"\"10.1.2.3\",server_port=\"6379\",error_type=\"WRONGTYPE\"} 1"));
	assert_true(has_line(t,
			     "db_client_operation_duration_seconds_sum{service_name="
			     "\"unknown_service\",db_system_name=\"redis\",server_address="
			     "\"10.1.2.3\",server_port=\"6379\",error_type=\"WRONGTYPE\"} 0.029"));
	free(t);
	db_metrics__free(d);
	metrics__free(m);
}

static struct bt_flow_record flow(uint8_t outcome, uint8_t err, const char *dst, uint16_t port)
{
	struct bt_flow_record f = { .outcome = outcome, .err = err, .dport = port };

	f.family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, dst, f.daddr), 1);
	return f;
}

static void test_metrics_conn_errors(void **state)
{
	struct metrics *m = metrics__new(1000);
	struct db_metrics *d = db_metrics__new(m);
	struct bt_flow_record f;
	char *t;

	(void)state;
	f = flow(BT_FLOW_CLOSED, 0, "10.0.0.1", 80);
	assert_null(db_conn_error_reason(&f));
	assert_int_equal(db_metrics__flow(d, "svc", &f), 0);
	f = flow(BT_FLOW_ERROR, 0, "10.0.0.1", 80);
	assert_null(db_conn_error_reason(&f));
	f = flow(BT_FLOW_CONNECT_FAILED, ECONNREFUSED, "127.0.0.1", 18739);
	assert_string_equal(db_conn_error_reason(&f), "refused");
	assert_int_equal(db_metrics__flow(d, "svc", &f), 1);
	assert_int_equal(db_metrics__flow(d, "svc", &f), 1);
	f = flow(BT_FLOW_CONNECT_FAILED, ETIMEDOUT, "10.9.0.2", 18738);
	assert_string_equal(db_conn_error_reason(&f), "timeout");
	assert_int_equal(db_metrics__flow(d, "", &f), 1);
	f = flow(BT_FLOW_CONNECT_FAILED, 0, "10.9.0.2", 18738);
	assert_string_equal(db_conn_error_reason(&f), "aborted");
	f = flow(BT_FLOW_CONNECT_FAILED, EHOSTUNREACH, "10.9.0.3", 1);
	assert_string_equal(db_conn_error_reason(&f), "unreachable");
	f = flow(BT_FLOW_CONNECT_ERROR, ENETUNREACH, "10.9.0.4", 1);
	assert_string_equal(db_conn_error_reason(&f), "unreachable");
	f = flow(BT_FLOW_CONNECT_ERROR, EACCES, "10.9.0.4", 1);
	assert_string_equal(db_conn_error_reason(&f), "eacces");
	f = flow(BT_FLOW_ERROR, ECONNRESET, "127.0.0.1", 18737);
	assert_string_equal(db_conn_error_reason(&f), "reset");
	assert_int_equal(db_metrics__flow(d, "svc", &f), 1);
	f = flow(BT_FLOW_ERROR, 250, "127.0.0.1", 18737);
	assert_string_equal(db_conn_error_reason(&f), "errno_250");
	t = render(m);
	assert_true(has_line(t, "biothings_connection_errors_total{service_name=\"svc\","
				"server_address=\"127.0.0.1\",server_port=\"18739\",reason="
				"\"refused\"} 2"));
	assert_true(has_line(t, "biothings_connection_errors_total{service_name="
				"\"unknown_service\",server_address=\"10.9.0.2\",server_port="
				"\"18738\",reason=\"timeout\"} 1"));
	assert_true(has_line(t, "biothings_connection_errors_total{service_name=\"svc\","
				"server_address=\"127.0.0.1\",server_port=\"18737\",reason="
				"\"reset\"} 1"));
	free(t);
	db_metrics__free(d);
	metrics__free(m);
}

static struct bt_retrans_key rkey(const char *addr, uint16_t port)
{
	struct bt_retrans_key k = { .port = port, .family = AF_INET, ._pad = 99 };

	assert_int_equal(inet_pton(AF_INET, addr, k.addr), 1);
	return k;
}

static void test_metrics_retransmits(void **state)
{
	struct metrics *m = metrics__new(1000);
	struct db_metrics *d = db_metrics__new(m);
	struct bt_retrans_key a = rkey("10.9.0.2", 18738), b = rkey("10.9.0.5", 443);
	struct dbw_stats ws = { .framing_lost = 4, .encrypted = 1 };
	char *t;

	(void)state;
	db_metrics__retrans_begin(d);
	assert_int_equal(db_metrics__retrans_sample(d, &a, 3), 0);
	assert_int_equal(db_metrics__retrans_sample(d, &a, 3), 0); /* seen twice: once */
	assert_int_equal(db_metrics__retrans_end(d, 1), 0);
	db_metrics__retrans_begin(d);
	db_metrics__retrans_sample(d, &a, 5); /* +2 */
	db_metrics__retrans_sample(d, &b, 7);
	db_metrics__retrans_end(d, 2);
	db_metrics__retrans_begin(d); /* a evicted: gone from the map */
	db_metrics__retrans_sample(d, &b, 7);
	db_metrics__retrans_end(d, 2);
	db_metrics__retrans_begin(d); /* a back, from zero: all 1 counts */
	db_metrics__retrans_sample(d, &a, 1);
	db_metrics__retrans_sample(d, &b, 8);
	db_metrics__retrans_end(d, 4); /* one more eviction we never saw */
	assert_int_equal(db_metrics__wire_stats(d, &ws), 0);
	assert_int_equal(db_metrics__read_retransmits(d, -1, 0), -EINVAL);
	t = render(m);
	assert_true(has_line(t, "biothings_tcp_retransmits_total{server_address=\"10.9.0.2\","
				"server_port=\"18738\"} 6"));
	assert_true(has_line(t, "biothings_tcp_retransmits_total{server_address=\"10.9.0.5\","
				"server_port=\"443\"} 8"));
	assert_true(has_line(t, "biothings_tcp_retransmit_destinations_evicted_total 2"));
	assert_true(has_line(t, "biothings_db_wire_events_total{event=\"framing_lost\"} 4"));
	assert_true(has_line(t, "biothings_db_wire_events_total{event=\"tls_not_parsed\"} 1"));
	assert_true(has_line(t, "biothings_db_wire_events_total{event=\"unpaired_reply\"} 0"));
	free(t);
	db_metrics__free(d);
	metrics__free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_redis_cli_session, setup, teardown),
		cmocka_unit_test_setup_teardown(test_redis_split, setup, teardown),
		cmocka_unit_test_setup_teardown(test_redis_big_bulk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_redis_unframed_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_redis_long_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_redis_pipeline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_redis_resp3, setup, teardown),
		cmocka_unit_test_setup_teardown(test_redis_unpaired, setup, teardown),
		cmocka_unit_test_setup_teardown(test_redis_lost_request, setup, teardown),
		cmocka_unit_test(test_redis_error_type),
		cmocka_unit_test_setup_teardown(test_pg_psql, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pg_extended, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pg_prepared, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pg_big_result, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pg_long_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pg_startup_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pg_tls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pg_pipeline, setup, teardown),
		cmocka_unit_test(test_pg_error_type),
		cmocka_unit_test(test_bounded_table),
		cmocka_unit_test_setup_teardown(test_pipeline_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_and_bad_args, setup, teardown),
		cmocka_unit_test(test_io_from_record),
		cmocka_unit_test(test_metrics_ops),
		cmocka_unit_test(test_metrics_conn_errors),
		cmocka_unit_test(test_metrics_retransmits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
