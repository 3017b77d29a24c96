/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * dbwire's insides, shared by its three files: dbwire.c (connections,
 * the request queue and its pairing rules), dbwire_resp.c (Redis) and
 * dbwire_pg.c (PostgreSQL). Nothing outside dbwire includes this.
 */
#ifndef BT_DBWIRE_INT_H
#define BT_DBWIRE_INT_H

#include "dbwire.h"

#define DBW_TEXT_MAX 32 /* first bytes of a message kept for names and errors */
#define DBW_RESP_DEPTH 8 /* nested RESP aggregates followed */
#define DBW_END_MAX 8 /* last bytes of a direction kept for terminators */

/* RESP framer of one direction. */
struct resp_stream {
	uint64_t bulk_left; /* bulk body bytes (with CRLF) still to pass */
	int64_t remain[DBW_RESP_DEPTH]; /* elements left per open aggregate */
	uint8_t agg[DBW_RESP_DEPTH]; /* type of each open aggregate */
	uint8_t st; /* enum resp_state in dbwire_resp.c */
	uint8_t type; /* of the element being read */
	uint8_t top; /* of the top-level element */
	uint8_t depth;
	uint8_t cap; /* the element being read feeds text[] */
	uint8_t first; /* the next depth-1 element is the first of the top one */
	uint8_t line_n;
	uint8_t text_n;
	char line[24]; /* a length or count line */
	char text[DBW_TEXT_MAX]; /* first string of the top-level element */
};

/* PostgreSQL framer of one direction. */
struct pg_stream {
	uint32_t left; /* body bytes still to pass */
	uint8_t st; /* enum pg_state in dbwire_pg.c */
	uint8_t hdr_n;
	uint8_t body_n;
	uint8_t type;
	uint8_t hdr[8]; /* type and length, or length and code untyped */
	uint8_t body[DBW_TEXT_MAX * 2]; /* first bytes of the body */
};

struct dbw_pending {
	uint64_t start_ns;
	uint8_t answered; /* a byte of its reply was read */
	char name[DBW_NAME_MAX];
	char err[DBW_ERR_MAX];
};

struct dbw_conn {
	uint64_t conn_id;
	uint64_t last_io_ns;
	uint64_t last_read_ns;
	struct dbw_conn *next; /* hash chain, or free list */
	struct dbw_peer peer;
	uint8_t system;
	uint8_t off; /* nothing more to parse (TLS, not the protocol) */
	uint8_t resp_lost; /* replies end by the fallback rule until resync */
	uint8_t req_lost;
	uint8_t phase; /* PostgreSQL: enum pg_phase in dbwire_pg.c */
	uint8_t head, count; /* q[] ring */
	uint8_t open; /* a request is being written, not yet queued */
	uint8_t end_n[2]; /* bytes valid in end[dir] */
	uint8_t end[2][DBW_END_MAX]; /* last bytes of each direction */
	uint64_t open_start_ns;
	char open_name[DBW_NAME_MAX];
	union {
		struct resp_stream resp[2]; /* [BT_DBIO_REQUEST], [BT_DBIO_RESPONSE] */
		struct pg_stream pg[2];
	} u;
	struct dbw_pending q[DBW_PIPELINE];
};

struct dbwire {
	struct dbwire_opts o;
	struct dbw_conn *conns; /* o.max_conns of them */
	struct dbw_conn **buckets;
	size_t nbuckets; /* power of two */
	struct dbw_conn *free; /* given back; conns past fresh were never used */
	size_t fresh;
	size_t used;
	struct dbw_stats st;
};

/* The visible bytes and the gap of one io, in stream order. */
struct dbw_runs {
	const uint8_t *a; /* head */
	uint32_t an;
	uint64_t gap;
	const uint8_t *b; /* tail */
	uint32_t bn;
};

/* --- pairing, dbwire.c -------------------------------------------------- */

/* Queue a request that began at start_ns. */
void dbw_push(struct dbwire *w, struct dbw_conn *c, uint64_t start_ns, const char *name);
/* A reply byte for the oldest request was read. */
void dbw_answered(struct dbw_conn *c);
/* The oldest request's error, unless it has one. */
void dbw_set_error(struct dbw_conn *c, const char *err);
/* The oldest request's reply ended at end_ns; a reply for nothing is unpaired. */
void dbw_finish(struct dbwire *w, struct dbw_conn *c, uint64_t end_ns, uint32_t flags);
/* An unframed reply is over: finish the oldest at the last read, give up
 * the rest, frame the next read afresh. */
void dbw_unframed_end(struct dbwire *w, struct dbw_conn *c);
void dbw_lost(struct dbwire *w, struct dbw_conn *c, int dir);
/* Does the direction's stream end with these bytes? */
int dbw_ends_with(const struct dbw_conn *c, int dir, const uint8_t *b, size_t n);
/* Upper-case first word of text made of letters, digits and `extra`. */
void dbw_word(const char *text, size_t n, const char *extra, char *out, size_t outlen);

/* --- protocols ------------------------------------------------------------ */

void dbw_resp_io(struct dbwire *w, struct dbw_conn *c, const struct dbw_io *io,
		 const struct dbw_runs *r);
void dbw_pg_io(struct dbwire *w, struct dbw_conn *c, const struct dbw_io *io,
	       const struct dbw_runs *r);
/* Fresh framers for a new connection. */
void dbw_resp_init(struct dbw_conn *c);
void dbw_pg_init(struct dbw_conn *c);

#endif
