// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * PostgreSQL (protocol 3): every message but the client's first is a
 * type byte and a length, so both directions are framed by count. The
 * startup and authentication exchange (up to the first ReadyForQuery)
 * is followed but never counted. An operation is what the client sends
 * up to a Query, FunctionCall or Sync; it ends at the ReadyForQuery that
 * answers it, with the SQLSTATE of an ErrorResponse before it. When a gap
 * hides message boundaries, ReadyForQuery (or Sync) as the last bytes
 * of a call still ends the operation and brings the framing back.
 */
#include <string.h>

#include "dbwire_int.h"

enum pg_state { PS_HDR = 0, PS_BODY = 1, PS_BYTE = 2, PS_LOST = 3 };
enum pg_phase { PG_STARTUP = 0, PG_AUTH = 1, PG_READY = 2 };

#define PG_SSL_REQUEST 80877103u
#define PG_GSSENC_REQUEST 80877104u
#define PG_CANCEL_REQUEST 80877102u
#define PG_STARTUP_MAX 10000u /* longer first messages are not PostgreSQL */
#define PG_MSG_MAX (1u << 30) /* the server's own limit on a message */

static const char frontend_types[] = "BCcDdEFfHPpQSX";
static const char backend_types[] = "123ACcDdEGHIKnNRsStTVWvZ";

struct pg_ctx {
	struct dbwire *w;
	struct dbw_conn *c;
	const struct dbw_io *io;
	struct pg_stream *s;
};

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int is_request(const struct pg_ctx *x)
{
	return x->io->dir == BT_DBIO_REQUEST;
}

/* The client's first message (and the one after a refused SSLRequest) has no type. */
static int untyped(const struct pg_ctx *x)
{
	return is_request(x) && x->c->phase == PG_STARTUP;
}

void dbw_pg_init(struct dbw_conn *c)
{
	memset(&c->u.pg, 0, sizeof(c->u.pg));
	c->phase = PG_STARTUP;
}

/* --- requests --------------------------------------------------------------- */

/* The SQL keyword that names an operation: "SELECT", "INSERT", ... */
static void keyword(const uint8_t *sql, size_t n, char *out)
{
	dbw_word((const char *)sql, n, "", out, DBW_NAME_MAX);
}

static void open_op(struct pg_ctx *x)
{
	if (x->c->open)
		return;
	x->c->open = 1;
	x->c->open_start_ns = x->io->ts_ns;
	x->c->open_name[0] = '\0';
}

static void queue_op(struct pg_ctx *x, const char *name)
{
	open_op(x);
	dbw_push(x->w, x->c, x->c->open_start_ns,
		 name		    ? name :
		 x->c->open_name[0] ? x->c->open_name :
				      "EXECUTE");
	x->c->open = 0;
}

static void startup_done(struct pg_ctx *x)
{
	uint32_t code = be32(x->s->hdr + 4);

	if (code == PG_SSL_REQUEST || code == PG_GSSENC_REQUEST)
		x->c->u.pg[BT_DBIO_RESPONSE].st = PS_BYTE; /* one byte answers it */
	else if (code >> 16 == 3)
		x->c->phase = PG_AUTH;
	else
		x->c->off = 1; /* a cancel request, or not PostgreSQL */
}

static void request_done(struct pg_ctx *x)
{
	struct pg_stream *s = x->s;
	char name[DBW_NAME_MAX];
	const uint8_t *q;

	if (x->c->phase != PG_READY)
		return;
	switch (s->type) {
	case 'Q':
		keyword(s->body, s->body_n, name);
		queue_op(x, name);
		break;
	case 'F':
		queue_op(x, "FUNCTION");
		break;
	case 'S':
		queue_op(x, NULL);
		break;
	case 'P': /* statement name, then the query */
		q = memchr(s->body, 0, s->body_n);
		if (q && !x->c->open_name[0])
			keyword(q + 1, s->body + s->body_n - (q + 1), x->c->open_name);
		break;
	}
}

/* Messages that begin an operation (Query, FunctionCall, and the extended ones). */
static void request_begins(struct pg_ctx *x)
{
	if (x->c->phase == PG_READY && strchr("QFPBDECS", x->s->type))
		open_op(x);
}

/* --- responses -------------------------------------------------------------- */

static void response_done(struct pg_ctx *x)
{
	struct pg_stream *s = x->s;
	char err[DBW_ERR_MAX];

	if (s->type == 'Z') {
		if (x->c->phase == PG_READY)
			dbw_finish(x->w, x->c, x->io->ts_ns, 0);
		else if (x->c->phase == PG_AUTH)
			x->c->phase = PG_READY;
	} else if (s->type == 'E' && x->c->phase == PG_READY) {
		dbw_pg_error_type(s->body, s->body_n, err, sizeof(err));
		dbw_set_error(x->c, err);
	}
}

/* The one-byte answer to an SSLRequest or GSSENCRequest. */
static void answer_byte(struct pg_ctx *x, uint8_t b)
{
	x->s->st = PS_HDR;
	if (b == 'N')
		return; /* plaintext: the client sends its startup message next */
	x->c->off = 1;
	if (b == 'S' || b == 'G')
		x->w->st.encrypted++;
}

/* --- the framer ------------------------------------------------------------- */

static void lose(struct pg_ctx *x)
{
	if (x->s->st == PS_LOST)
		return;
	if (is_request(x) && x->s->st == PS_BODY && x->s->type && strchr("QFP", x->s->type))
		request_done(x); /* a query under way counts once; a Parse names the round */
	x->s->st = PS_LOST;
	if (x->c->phase == PG_READY) {
		dbw_lost(x->w, x->c, x->io->dir);
	} else if (!is_request(x)) {
		x->c->resp_lost = 1; /* the greeting's parameters: routine, not counted */
	}
}

static void msg_done(struct pg_ctx *x)
{
	x->s->st = PS_HDR;
	x->s->hdr_n = 0;
	if (untyped(x))
		startup_done(x);
	else if (is_request(x))
		request_done(x);
	else
		response_done(x);
}

static void header_done(struct pg_ctx *x)
{
	struct pg_stream *s = x->s;
	uint32_t len;

	if (untyped(x)) {
		len = be32(s->hdr);
		if (len < 8 || len > PG_STARTUP_MAX) {
			x->c->off = 1;
			return;
		}
		s->type = 0;
		s->left = len - 8;
	} else {
		len = be32(s->hdr + 1);
		s->type = s->hdr[0];
		if (!strchr(is_request(x) ? frontend_types : backend_types, s->type) || !s->type ||
		    len < 4 || len > PG_MSG_MAX) {
			lose(x);
			return;
		}
		s->left = len - 4;
		if (is_request(x))
			request_begins(x);
		else if (x->c->phase == PG_READY)
			dbw_answered(x->c);
	}
	s->body_n = 0;
	s->st = PS_BODY;
	if (!s->left)
		msg_done(x);
}

static size_t body_bytes(struct pg_ctx *x, const uint8_t *p, size_t n)
{
	struct pg_stream *s = x->s;
	size_t take = n < s->left ? n : s->left;
	size_t room = sizeof(s->body) - s->body_n;
	size_t k = take < room ? take : room;

	memcpy(s->body + s->body_n, p, k);
	s->body_n += k;
	s->left -= take;
	if (!s->left)
		msg_done(x);
	return take;
}

static void feed(struct pg_ctx *x, const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n && x->s->st != PS_LOST && !x->c->off) {
		struct pg_stream *s = x->s;

		switch (s->st) {
		case PS_HDR:
			s->hdr[s->hdr_n++ & 7] = p[i++];
			if (s->hdr_n >= (untyped(x) ? 8 : 5))
				header_done(x);
			break;
		case PS_BODY:
			i += body_bytes(x, p + i, n - i);
			break;
		case PS_BYTE:
			answer_byte(x, p[i++]);
			break;
		}
	}
}

static void gap(struct pg_ctx *x, uint64_t n)
{
	struct pg_stream *s = x->s;

	if (!n || s->st == PS_LOST || x->c->off)
		return;
	if (s->st != PS_BODY || n > s->left) {
		lose(x);
		return;
	}
	s->left -= n;
	s->body_n = sizeof(s->body); /* nothing after a gap joins the kept bytes */
	if (!s->left)
		msg_done(x);
}

/* --- lost framing ----------------------------------------------------------- */

/* ReadyForQuery, or Sync or Terminate, as the very last bytes of the stream. */
static int ends_with_ready(const struct dbw_conn *c)
{
	static const uint8_t states[] = { 'I', 'T', 'E' };

	for (size_t i = 0; i < sizeof(states); i++) {
		const uint8_t z[] = { 'Z', 0, 0, 0, 5, states[i] };

		if (dbw_ends_with(c, BT_DBIO_RESPONSE, z, sizeof(z)))
			return 1;
	}
	return 0;
}

static void recover_at_end(struct pg_ctx *x)
{
	static const uint8_t sync[] = { 'S', 0, 0, 0, 4 }, term[] = { 'X', 0, 0, 0, 4 };
	struct pg_stream *s = x->s;

	if (s->st != PS_LOST || x->c->off)
		return;
	if (!is_request(x) && ends_with_ready(x->c)) {
		if (x->c->phase == PG_READY)
			dbw_finish(x->w, x->c, x->io->ts_ns, 0);
		else if (x->c->phase == PG_AUTH)
			x->c->phase = PG_READY;
	} else if (is_request(x) && dbw_ends_with(x->c, BT_DBIO_REQUEST, sync, sizeof(sync))) {
		if (x->c->phase == PG_READY)
			queue_op(x, NULL);
	} else if (!is_request(x) || !dbw_ends_with(x->c, BT_DBIO_REQUEST, term, sizeof(term))) {
		return;
	}
	memset(s, 0, sizeof(*s));
	if (!is_request(x))
		x->c->resp_lost = 0;
	else
		x->c->req_lost = 0;
}

/* A request after an unframed reply ends it; a lost request stream picks
 * up again at a call starting with a message type (clients write whole
 * messages). */
static void recover_at_start(struct pg_ctx *x, const struct dbw_runs *r)
{
	if (!is_request(x))
		return;
	if (x->c->resp_lost)
		dbw_unframed_end(x->w, x->c);
	if (x->s->st == PS_LOST && r->an && r->a[0] && x->c->phase != PG_STARTUP &&
	    strchr(frontend_types, r->a[0])) {
		memset(x->s, 0, sizeof(*x->s));
		x->c->req_lost = 0;
	}
}

void dbw_pg_io(struct dbwire *w, struct dbw_conn *c, const struct dbw_io *io,
	       const struct dbw_runs *r)
{
	struct pg_ctx x = { .w = w, .c = c, .io = io, .s = &c->u.pg[io->dir] };

	recover_at_start(&x, r);
	feed(&x, r->a, r->an);
	gap(&x, r->gap);
	feed(&x, r->b, r->bn);
	recover_at_end(&x);
}
