// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer harness for the database wire framers and their pairing
 * (user/dbwire*.c). The bytes come from any process talking to a database
 * port, or to a port wrongly listed as one, cut the way the kernel cuts
 * them: every sequence of calls, on a few connections at once, in a table
 * too small for them, must give operations that end after they start,
 * with terminated printable names and error types, exactly as many as the
 * statistics say, and never more connections than the table holds. The
 * error-type helpers also get the raw input. Only the public API is used.
 *
 * Input: [0] table size (1-4); then calls of [ctl] [len lo] [len hi] and
 * the call's visible bytes (head, then tail, as the kernel copies them).
 * ctl: bits 0-1 dir (3 = a tick past the quiet time), bits 2-4 the
 * connection (0-3 Redis, 4-7 PostgreSQL), bit 5 the kernel lost the bytes.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dbwire.h"

#include "fuzz_util.h"

struct run {
	uint64_t ops;
};

static uint8_t system_of(uint64_t conn)
{
	return conn >= 4 ? BT_DB_POSTGRESQL : BT_DB_REDIS;
}

static void check_text(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	FUZZ_CHECK(n < cap);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(isprint((unsigned char)s[i]) && s[i] != ' ');
}

static void on_op(void *arg, const struct dbw_op *op)
{
	struct run *r = arg;

	FUZZ_CHECK(op->end_ns >= op->start_ns);
	FUZZ_CHECK(op->conn_id < 8 && op->system == system_of(op->conn_id));
	FUZZ_CHECK(op->peer && op->peer->port == op->conn_id + 6000);
	FUZZ_CHECK(!(op->flags & ~(uint32_t)(DBW_OP_INEXACT | DBW_OP_INCOMPLETE)));
	check_text(op->name, sizeof(op->name));
	check_text(op->error_type, sizeof(op->error_type));
	r->ops++;
}

static void helpers(const uint8_t *data, size_t size)
{
	char out[DBW_ERR_MAX], small[4];

	dbw_redis_error_type((const char *)data, size, out, sizeof(out));
	check_text(out, sizeof(out));
	FUZZ_CHECK(out[0]);
	dbw_pg_error_type(data, size, out, sizeof(out));
	check_text(out, sizeof(out));
	FUZZ_CHECK(out[0]);
	dbw_pg_error_type(data, size, small, sizeof(small));
	check_text(small, sizeof(small));
}

/* One call from the input; returns bytes used, 0 at the end. */
static size_t one_call(struct dbwire *w, const uint8_t *p, size_t n, uint64_t *ts)
{
	struct dbw_io io = {};
	size_t hl, tl;

	if (n < 3)
		return 0;
	io.conn_id = (p[0] >> 2) & 7;
	io.dir = p[0] & 3;
	io.system = system_of(io.conn_id);
	io.lost = !!(p[0] & 0x20);
	io.len = io.dir == BT_DBIO_CLOSE ? 0 : (uint32_t)p[1] | (uint32_t)p[2] << 8;
	*ts += 1 + (p[1] & 7);
	if (io.dir == 3) {
		*ts += DBW_QUIET_NS;
		dbwire__tick(w, *ts);
		return 3;
	}
	hl = io.len < BT_DBIO_HEAD ? io.len : BT_DBIO_HEAD;
	tl = io.len - hl < BT_DBIO_TAIL ? io.len - hl : BT_DBIO_TAIL;
	if (io.lost)
		hl = tl = 0;
	if (n < 3 + hl + tl)
		return 0;
	io.head = p + 3;
	io.head_len = hl;
	io.tail = p + 3 + hl;
	io.tail_len = tl;
	io.ts_ns = *ts;
	io.peer.port = io.conn_id + 6000;
	FUZZ_CHECK(dbwire__io(w, &io) == 0);
	return 3 + hl + tl;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run r = {};
	struct dbwire_opts o = { .on_op = on_op, .arg = &r };
	struct dbw_stats st;
	struct dbwire *w;
	uint64_t ts = 1000;
	size_t used;

	if (!size)
		return 0;
	helpers(data, size);
	o.max_conns = 1 + (data[0] & 3);
	w = dbwire__new(&o);
	FUZZ_CHECK(w);
	data++, size--;
	while ((used = one_call(w, data, size, &ts))) {
		data += used;
		size -= used;
		FUZZ_CHECK(dbwire__conns(w) <= o.max_conns);
	}
	dbwire__tick(w, ts + DBW_IDLE_NS);
	FUZZ_CHECK(dbwire__conns(w) == 0);
	dbwire__stats(w, &st);
	FUZZ_CHECK(st.ops == r.ops && st.ops_inexact <= st.ops);
	dbwire__free(w);
	return 0;
}
