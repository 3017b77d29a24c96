// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Redis: RESP2 and RESP3 framed by count in both directions. A request
 * is an array of bulk strings (or an inline line), named by its first
 * string; a reply is one top-level value, an error when it is '-' or '!'.
 * Bulk bodies are passed by length, so a gap inside one costs nothing;
 * a gap anywhere else loses the framing. Pushes ('>') and attributes
 * ('|') are not replies. Requests queue in order, replies take the oldest.
 */
#include <stdlib.h>
#include <string.h>

#include "dbwire_int.h"

enum resp_state { RS_TYPE = 0, RS_LINE = 1, RS_BULK = 2, RS_LOST = 3 };

#define RESP_INLINE 'I' /* type given to an inline command (no type byte) */
#define RESP_MAX_LEN (1ll << 40) /* longer bulk or aggregate lengths are not RESP */

struct resp_ctx {
	struct dbwire *w;
	struct dbw_conn *c;
	const struct dbw_io *io;
	struct resp_stream *s;
};

static int one_of(uint8_t t, const char *set)
{
	return t && strchr(set, t);
}

static int is_line_type(uint8_t t)
{
	return one_of(t, "+-:_,#(") || t == RESP_INLINE;
}

void dbw_resp_init(struct dbw_conn *c)
{
	memset(&c->u.resp, 0, sizeof(c->u.resp));
}

/* --- what the framing means ------------------------------------------------- */

static void on_begin(struct resp_ctx *x)
{
	if (x->io->dir == BT_DBIO_REQUEST) {
		x->c->open = 1;
		x->c->open_start_ns = x->io->ts_ns;
	} else if (x->s->top != '>' && x->s->top != '|') {
		dbw_answered(x->c);
	}
}

static void reply_error(const struct resp_stream *s, char *out, size_t len)
{
	out[0] = '\0';
	if (s->top == '-' || s->top == '!')
		dbw_redis_error_type(s->text, s->text_n, out, len);
}

static void on_done(struct resp_ctx *x)
{
	struct resp_stream *s = x->s;
	char buf[DBW_ERR_MAX > DBW_NAME_MAX ? DBW_ERR_MAX : DBW_NAME_MAX];

	if (s->top == '|')
		return; /* an attribute precedes the reply */
	if (s->top == RESP_INLINE && !s->text_n) {
		x->c->open = 0; /* an empty line is no command */
		return;
	}
	if (x->io->dir == BT_DBIO_REQUEST) {
		dbw_word(s->text, s->text_n, "._|:-", buf, DBW_NAME_MAX);
		dbw_push(x->w, x->c, x->c->open_start_ns, buf);
		x->c->open = 0;
		return;
	}
	if (s->top == '>')
		return; /* out of band: answers no request */
	reply_error(s, buf, DBW_ERR_MAX);
	dbw_set_error(x->c, buf);
	dbw_finish(x->w, x->c, x->io->ts_ns, 0);
}

static void lose(struct resp_ctx *x)
{
	struct resp_stream *s = x->s;
	char buf[DBW_ERR_MAX];

	if (s->st == RS_LOST)
		return;
	s->st = RS_LOST;
	dbw_lost(x->w, x->c, x->io->dir);
	if (x->io->dir == BT_DBIO_RESPONSE) {
		reply_error(s, buf, sizeof(buf));
		if (buf[0])
			dbw_set_error(x->c, buf);
		return;
	}
	if (x->c->open) { /* the command under way counts once, whatever followed */
		dbw_word(s->text, s->text_n, "._|:-", buf, DBW_NAME_MAX);
		dbw_push(x->w, x->c, x->c->open_start_ns, buf);
		x->c->open = 0;
	}
}

/* --- the framer ------------------------------------------------------------- */

/* An element of type t is complete: close the aggregates it completes. */
static void elem_done(struct resp_ctx *x, uint8_t t)
{
	struct resp_stream *s = x->s;

	s->st = RS_TYPE;
	for (;;) {
		if (!s->depth) {
			on_done(x);
			return;
		}
		if (t == '|')
			return; /* an attribute is not one of its parent's elements */
		if (--s->remain[s->depth - 1] > 0)
			return;
		t = s->agg[--s->depth];
	}
}

static void begin(struct resp_ctx *x, uint8_t t)
{
	struct resp_stream *s = x->s;

	s->type = t;
	s->line_n = 0;
	s->st = RS_LINE;
	if (s->depth) {
		s->cap = s->depth == 1 && s->first;
		if (s->depth == 1)
			s->first = 0;
		return;
	}
	s->top = t;
	s->text_n = 0;
	s->cap = 1;
	s->first = 0;
	on_begin(x);
}

/* A length or count line: -1 for null, else >= 0; -2 if not a number. */
static long long line_number(const struct resp_stream *s)
{
	long long v = 0;
	int i = 0, neg = 0;

	if (s->line_n && s->line[0] == '-')
		neg = 1, i = 1;
	if (i >= s->line_n || s->line_n - i > 18)
		return -2;
	for (; i < s->line_n; i++) {
		if (s->line[i] < '0' || s->line[i] > '9')
			return -2;
		v = v * 10 + (s->line[i] - '0');
	}
	if (neg)
		return v == 1 ? -1 : -2;
	return v > RESP_MAX_LEN ? -2 : v;
}

static void open_aggregate(struct resp_ctx *x, long long n)
{
	struct resp_stream *s = x->s;

	if (s->type == '%' || s->type == '|')
		n *= 2; /* key and value */
	if (n <= 0) {
		elem_done(x, s->type);
		return;
	}
	if (s->depth >= DBW_RESP_DEPTH) {
		lose(x);
		return;
	}
	if (!s->depth)
		s->first = 1;
	s->agg[s->depth] = s->type;
	s->remain[s->depth++] = n;
	s->st = RS_TYPE;
}

static void line_end(struct resp_ctx *x)
{
	struct resp_stream *s = x->s;
	long long n;

	if (is_line_type(s->type)) {
		elem_done(x, s->type);
		return;
	}
	n = line_number(s);
	if (n < -1) {
		lose(x);
		return;
	}
	if (one_of(s->type, "$!=")) {
		if (n < 0) {
			elem_done(x, s->type);
			return;
		}
		s->bulk_left = (uint64_t)n + 2;
		s->st = RS_BULK;
		return;
	}
	open_aggregate(x, n);
}

static void line_byte(struct resp_ctx *x, uint8_t ch)
{
	struct resp_stream *s = x->s;

	if (ch == '\n') {
		line_end(x);
	} else if (ch == '\r') {
		return;
	} else if (is_line_type(s->type)) {
		if (s->cap && s->text_n < DBW_TEXT_MAX)
			s->text[s->text_n++] = ch;
	} else if (s->line_n < sizeof(s->line)) {
		s->line[s->line_n++] = ch;
	} else {
		lose(x);
	}
}

static void type_byte(struct resp_ctx *x, uint8_t ch)
{
	if (one_of(ch, "+-:_,#($!=*%~>|")) {
		begin(x, ch);
	} else if (x->io->dir == BT_DBIO_REQUEST && !x->s->depth) {
		begin(x, RESP_INLINE);
		line_byte(x, ch);
	} else {
		lose(x);
	}
}

/* Pass up to n bulk bytes; returns how many. */
static size_t bulk_bytes(struct resp_ctx *x, const uint8_t *p, size_t n)
{
	struct resp_stream *s = x->s;
	size_t take = n < s->bulk_left ? n : s->bulk_left;

	if (s->cap) {
		size_t body = s->bulk_left > 2 ? s->bulk_left - 2 : 0;
		size_t room = DBW_TEXT_MAX - s->text_n;
		size_t k = take < body ? take : body;

		k = k < room ? k : room;
		memcpy(s->text + s->text_n, p, k);
		s->text_n += k;
	}
	s->bulk_left -= take;
	if (!s->bulk_left)
		elem_done(x, s->type);
	return take;
}

static void feed(struct resp_ctx *x, const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n && x->s->st != RS_LOST) {
		switch (x->s->st) {
		case RS_TYPE:
			type_byte(x, p[i++]);
			break;
		case RS_LINE:
			line_byte(x, p[i++]);
			break;
		case RS_BULK:
			i += bulk_bytes(x, p + i, n - i);
			break;
		}
	}
}

/* Bytes the kernel did not send: fine inside a bulk body, lost elsewhere. */
static void gap(struct resp_ctx *x, uint64_t n)
{
	struct resp_stream *s = x->s;

	if (!n || s->st == RS_LOST)
		return;
	if (s->st != RS_BULK || n > s->bulk_left) {
		lose(x);
		return;
	}
	s->cap = 0; /* what follows the gap is not the text's continuation */
	s->bulk_left -= n;
	if (!s->bulk_left)
		elem_done(x, s->type);
}

/* Framing lost: the client's next request ends the reply; a request
 * resynchronises at a call that starts an array. */
static void resync(struct resp_ctx *x, const struct dbw_runs *r)
{
	if (x->io->dir != BT_DBIO_REQUEST)
		return;
	if (x->c->resp_lost)
		dbw_unframed_end(x->w, x->c);
	if (x->s->st == RS_LOST && r->an && r->a[0] == '*') {
		memset(x->s, 0, sizeof(*x->s));
		x->c->req_lost = 0;
	}
}

void dbw_resp_io(struct dbwire *w, struct dbw_conn *c, const struct dbw_io *io,
		 const struct dbw_runs *r)
{
	struct resp_ctx x = { .w = w, .c = c, .io = io, .s = &c->u.resp[io->dir] };

	resync(&x, r);
	feed(&x, r->a, r->an);
	gap(&x, r->gap);
	feed(&x, r->b, r->bn);
}
