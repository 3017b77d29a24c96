/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Database operations seen on the wire: Redis (RESP2/3) and PostgreSQL
 * (protocol 3, simple and extended query) client connections, framed from
 * the first and last bytes of each read and write (bt_dbio_record) and
 * paired request to response per connection. Pure: no BPF, no sockets;
 * operations come out through a callback.
 *
 * An operation is one Redis command and its reply, or one PostgreSQL
 * round ending in ReadyForQuery: a simple Query, or the extended-query
 * messages up to a Sync. Its latency runs from the entry of the write
 * with its first byte to the return of the read with the last byte of
 * its reply. Both protocols carry lengths, so framing survives the bytes
 * the kernel did not send as long as a gap falls inside a bulk string or
 * a message body. When a gap hides structure (a large multi-element reply
 * or result set), the reply still ends exactly at ReadyForQuery seen in
 * the tail (PostgreSQL), or else at the last read before the client's
 * next request, the close or DBW_QUIET_NS of silence (flag INEXACT): exact
 * for clients that wait for each reply, not for pipelines.
 */
#ifndef BT_DBWIRE_H
#define BT_DBWIRE_H

#include <stddef.h>
#include <stdint.h>

#include "biothings/events.h"

#define DBW_PIPELINE 32 /* requests waiting for a reply per connection; more are abandoned */
#define DBW_NAME_MAX 24 /* operation name: GET, SELECT, ... */
#define DBW_ERR_MAX 32 /* error_type: WRONGTYPE, 42P01, ... */
#define DBW_MAX_CONNS 4096 /* default; the least recently active is evicted past it */
#define DBW_QUIET_NS (1000000000ull) /* default: an unframed reply is over after 1 s of silence */
#define DBW_IDLE_NS (600ull * 1000000000ull) /* default: forget a connection silent this long */

/* The connection's server and the process that opened it. */
struct dbw_peer {
	uint32_t tgid;
	uint16_t port;
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t addr[16]; /* IPv4 in the first 4 bytes */
	char comm[BT_COMM_LEN + 1];
};

/* One read, write or close on a database client connection. */
struct dbw_io {
	uint64_t conn_id;
	uint64_t ts_ns; /* write: entry; read and close: return */
	uint32_t len; /* bytes moved; 0 for a close */
	uint8_t dir; /* enum bt_dbio_dir */
	uint8_t system; /* enum bt_db_system */
	uint8_t lost; /* head and tail unknown: the whole call is a gap */
	const uint8_t *head; /* the first head_len bytes */
	uint32_t head_len;
	const uint8_t *tail; /* the last tail_len bytes, after the head's (no overlap) */
	uint32_t tail_len;
	struct dbw_peer peer; /* kept from the connection's first io */
};

/* dbw_op.flags */
enum dbw_op_flags {
	DBW_OP_INEXACT = 1 << 0, /* framing of the reply was lost: end by the fallback rule */
	DBW_OP_INCOMPLETE = 1 << 1, /* the connection closed inside the reply */
};

struct dbw_op {
	uint64_t conn_id;
	uint64_t start_ns, end_ns;
	uint8_t system; /* enum bt_db_system */
	uint32_t flags; /* enum dbw_op_flags */
	char name[DBW_NAME_MAX]; /* Redis command or SQL keyword, upper case; "" unknown */
	char error_type[DBW_ERR_MAX]; /* "" when ok; Redis error prefix, SQLSTATE, or severity */
	const struct dbw_peer *peer;
};

typedef void (*dbw_op_fn)(void *arg, const struct dbw_op *op);

struct dbwire_opts {
	dbw_op_fn on_op;
	void *arg;
	uint64_t quiet_ns; /* 0: DBW_QUIET_NS */
	uint64_t idle_ns; /* 0: DBW_IDLE_NS */
	uint32_t max_conns; /* 0: DBW_MAX_CONNS */
};

struct dbw_stats {
	uint64_t ops; /* operations reported */
	uint64_t ops_inexact; /* of which DBW_OP_INEXACT */
	uint64_t framing_lost; /* times a direction lost its framing */
	uint64_t unpaired; /* replies with no request waiting (pub/sub, lost request framing) */
	uint64_t unanswered; /* requests without a reply byte when the connection went away */
	uint64_t abandoned; /* requests given up: pipeline full, or behind an unframed reply */
	uint64_t conns_evicted; /* connections forgotten for room or silence */
	uint64_t encrypted; /* PostgreSQL connections that switched to TLS: not parsed */
};

struct dbwire;

/* NULL + errno (EINVAL without on_op, ENOMEM). */
struct dbwire *dbwire__new(const struct dbwire_opts *o);
void dbwire__free(struct dbwire *w);
/* Operations finished by this io are reported before it returns. 0 or
 * -EINVAL (bad dir/system, lengths over BT_DBIO_HEAD/TAIL or len). */
int dbwire__io(struct dbwire *w, const struct dbw_io *io);
/* Ends unframed replies silent for quiet_ns, forgets connections silent
 * for idle_ns. now_ns on the clock of the records (CLOCK_MONOTONIC). */
void dbwire__tick(struct dbwire *w, uint64_t now_ns);
void dbwire__stats(const struct dbwire *w, struct dbw_stats *out);
size_t dbwire__conns(const struct dbwire *w);

/* The io a kernel record describes (pointers into r). */
void dbw_io_from_record(const struct bt_dbio_record *r, struct dbw_io *io);

/* error_type of a Redis error reply, from its text after '-' (or a blob
 * error's body): the first word if it is [A-Za-z0-9_], else "_OTHER". */
void dbw_redis_error_type(const char *text, size_t n, char *out, size_t outlen);
/* error_type of a PostgreSQL ErrorResponse body: SQLSTATE (field C) if
 * present, else the severity (V, then S), else "_OTHER". n may cut the
 * body anywhere. */
void dbw_pg_error_type(const uint8_t *body, size_t n, char *out, size_t outlen);

#endif
