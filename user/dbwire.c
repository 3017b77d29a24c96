// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Database operations from the ends of each read and write: the table of
 * connections, the queue of requests waiting for their reply, and the
 * rules that end a reply when its framing was lost. The protocols live in
 * dbwire_resp.c and dbwire_pg.c; they only say "a request was written",
 * "this reply ended", "this is its error" or "framing is lost".
 * Connections are bounded: the least recently active one makes room.
 */
#include "dbwire.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbwire_int.h"

/* --- connections ------------------------------------------------------------ */

static size_t bucket_of(const struct dbwire *w, uint64_t id)
{
	return (size_t)((id * 0x9e3779b97f4a7c15ull) >> 32) & (w->nbuckets - 1);
}

static struct dbw_conn *find(struct dbwire *w, uint64_t id)
{
	struct dbw_conn *c;

	for (c = w->buckets[bucket_of(w, id)]; c; c = c->next)
		if (c->conn_id == id)
			return c;
	return NULL;
}

static void unlink_conn(struct dbwire *w, struct dbw_conn *c)
{
	struct dbw_conn **pp = &w->buckets[bucket_of(w, c->conn_id)];

	while (*pp && *pp != c)
		pp = &(*pp)->next;
	if (*pp)
		*pp = c->next;
	c->next = w->free;
	w->free = c;
	w->used--;
}

/* A connection goes away: a reply under way is reported, the rest were never answered. */
static void drop_conn(struct dbwire *w, struct dbw_conn *c)
{
	if (c->count && c->q[c->head].answered)
		dbw_finish(w, c, c->last_read_ns,
			   DBW_OP_INCOMPLETE | (c->resp_lost ? DBW_OP_INEXACT : 0));
	w->st.unanswered += c->count;
	c->count = 0;
	unlink_conn(w, c);
}

static struct dbw_conn *oldest(struct dbwire *w)
{
	struct dbw_conn *best = NULL;

	for (size_t i = 0; i < w->nbuckets; i++)
		for (struct dbw_conn *c = w->buckets[i]; c; c = c->next)
			if (!best || c->last_io_ns < best->last_io_ns)
				best = c;
	return best;
}

static struct dbw_conn *add(struct dbwire *w, const struct dbw_io *io)
{
	struct dbw_conn *c;
	size_t b;

	if (!w->free && w->fresh < w->o.max_conns) {
		/* never used yet: its pages are touched only now */
		w->free = &w->conns[w->fresh++];
		w->free->next = NULL;
	}
	if (!w->free) {
		drop_conn(w, oldest(w));
		w->st.conns_evicted++;
	}
	c = w->free;
	w->free = c->next;
	memset(c, 0, sizeof(*c));
	c->conn_id = io->conn_id;
	c->system = io->system;
	c->peer = io->peer;
	c->peer.comm[BT_COMM_LEN] = '\0';
	if (c->system == BT_DB_REDIS)
		dbw_resp_init(c);
	else
		dbw_pg_init(c);
	b = bucket_of(w, c->conn_id);
	c->next = w->buckets[b];
	w->buckets[b] = c;
	w->used++;
	return c;
}

struct dbwire *dbwire__new(const struct dbwire_opts *o)
{
	struct dbwire *w;

	if (!o || !o->on_op)
		return errno = EINVAL, NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return errno = ENOMEM, NULL;
	w->o = *o;
	if (!w->o.quiet_ns)
		w->o.quiet_ns = DBW_QUIET_NS;
	if (!w->o.idle_ns)
		w->o.idle_ns = DBW_IDLE_NS;
	if (!w->o.max_conns)
		w->o.max_conns = DBW_MAX_CONNS;
	for (w->nbuckets = 16; w->nbuckets < w->o.max_conns; w->nbuckets <<= 1)
		;
	w->conns = calloc(w->o.max_conns, sizeof(*w->conns));
	w->buckets = calloc(w->nbuckets, sizeof(*w->buckets));
	if (!w->conns || !w->buckets) {
		dbwire__free(w);
		return errno = ENOMEM, NULL;
	}
	return w;
}

void dbwire__free(struct dbwire *w)
{
	if (!w)
		return;
	free(w->conns);
	free(w->buckets);
	free(w);
}

/* --- the request queue ------------------------------------------------------ */

static void copy_text(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

void dbw_push(struct dbwire *w, struct dbw_conn *c, uint64_t start_ns, const char *name)
{
	struct dbw_pending *p;

	if (c->count >= DBW_PIPELINE) {
		w->st.abandoned++;
		return;
	}
	p = &c->q[(c->head + c->count) % DBW_PIPELINE];
	memset(p, 0, sizeof(*p));
	p->start_ns = start_ns;
	copy_text(p->name, sizeof(p->name), name);
	c->count++;
}

void dbw_answered(struct dbw_conn *c)
{
	if (c->count)
		c->q[c->head].answered = 1;
}

void dbw_set_error(struct dbw_conn *c, const char *err)
{
	if (c->count && !c->q[c->head].err[0])
		copy_text(c->q[c->head].err, sizeof(c->q[c->head].err), err);
}

void dbw_finish(struct dbwire *w, struct dbw_conn *c, uint64_t end_ns, uint32_t flags)
{
	struct dbw_pending *p;
	struct dbw_op op = { .conn_id = c->conn_id, .system = c->system, .peer = &c->peer };

	if (!c->count) {
		w->st.unpaired++;
		return;
	}
	p = &c->q[c->head];
	c->head = (c->head + 1) % DBW_PIPELINE;
	c->count--;
	op.start_ns = p->start_ns;
	op.end_ns = end_ns > p->start_ns ? end_ns : p->start_ns;
	op.flags = flags;
	memcpy(op.name, p->name, sizeof(op.name));
	memcpy(op.error_type, p->err, sizeof(op.error_type));
	w->st.ops++;
	if (flags & DBW_OP_INEXACT)
		w->st.ops_inexact++;
	w->o.on_op(w->o.arg, &op);
}

void dbw_unframed_end(struct dbwire *w, struct dbw_conn *c)
{
	if (c->count && c->q[c->head].answered)
		dbw_finish(w, c, c->last_read_ns, DBW_OP_INEXACT);
	w->st.abandoned += c->count;
	c->count = 0;
	c->resp_lost = 0;
	if (c->system == BT_DB_REDIS)
		memset(&c->u.resp[BT_DBIO_RESPONSE], 0, sizeof(c->u.resp[BT_DBIO_RESPONSE]));
	else
		memset(&c->u.pg[BT_DBIO_RESPONSE], 0, sizeof(c->u.pg[BT_DBIO_RESPONSE]));
}

void dbw_lost(struct dbwire *w, struct dbw_conn *c, int dir)
{
	w->st.framing_lost++;
	if (dir == BT_DBIO_RESPONSE)
		c->resp_lost = 1;
	else
		c->req_lost = 1;
}

/* --- small text helpers ----------------------------------------------------- */

void dbw_word(const char *text, size_t n, const char *extra, char *out, size_t outlen)
{
	size_t i = 0, k = 0;

	if (!outlen)
		return;
	while (i < n && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
		i++;
	for (; i < n && k + 1 < outlen; i++) {
		unsigned char ch = text[i];

		if (!isalnum(ch) && ch != '_' && !(ch && strchr(extra, ch)))
			break;
		out[k++] = toupper(ch);
	}
	out[k] = '\0';
}

void dbw_redis_error_type(const char *text, size_t n, char *out, size_t outlen)
{
	size_t i = 0;

	dbw_word(text, n, "", out, outlen);
	while (i < n && text[i] != ' ' && text[i] != '\r' && text[i] != '\n')
		i++;
	/* only a whole first word names the error; "Error: x" does not */
	if (!out[0] || strlen(out) != i)
		copy_text(out, outlen, "_OTHER");
}

/* Field `code` of an ErrorResponse body: a pointer to its value, or NULL. */
static const uint8_t *pg_field(const uint8_t *b, size_t n, uint8_t code, size_t *len)
{
	size_t i = 0;

	while (i < n && b[i]) {
		uint8_t f = b[i++];
		size_t s = i;

		while (i < n && b[i])
			i++;
		if (i >= n)
			return NULL; /* cut: the value may not be whole */
		if (f == code) {
			*len = i - s;
			return b + s;
		}
		i++;
	}
	return NULL;
}

void dbw_pg_error_type(const uint8_t *body, size_t n, char *out, size_t outlen)
{
	static const uint8_t order[] = { 'C', 'V', 'S' };
	const uint8_t *v;
	size_t len;

	for (size_t k = 0; k < sizeof(order); k++) {
		v = pg_field(body, n, order[k], &len);
		if (!v || !len)
			continue;
		dbw_word((const char *)v, len, "", out, outlen);
		if (out[0] && strlen(out) == len)
			return;
	}
	copy_text(out, outlen, "_OTHER");
}

/* --- one io ----------------------------------------------------------------- */

/* Appends the last min(want, n) bytes of p to buf at *k. */
static void tail_bytes(uint8_t *buf, size_t *k, const uint8_t *p, size_t n, size_t want)
{
	size_t take = n < want ? n : want;

	if (!take)
		return;
	memcpy(buf + *k, p + n - take, take);
	*k += take;
}

/* Keep the last bytes of the direction: terminators (ReadyForQuery, Sync)
 * may be cut over two calls. Only bytes known to be contiguous are kept. */
static void note_end(struct dbw_conn *c, const struct dbw_io *io, const struct dbw_runs *r)
{
	uint8_t buf[DBW_END_MAX * 2];
	size_t k = 0;
	int d = io->dir;

	if (io->lost) {
		c->end_n[d] = 0;
		return;
	}
	if (!r->gap) { /* the old window, then head and tail, are one run */
		memcpy(buf, c->end[d], c->end_n[d]);
		k = c->end_n[d];
		if (r->bn < DBW_END_MAX)
			tail_bytes(buf, &k, r->a, r->an, DBW_END_MAX - r->bn);
	}
	tail_bytes(buf, &k, r->b, r->bn, DBW_END_MAX);
	if (k > DBW_END_MAX) {
		memmove(buf, buf + k - DBW_END_MAX, DBW_END_MAX);
		k = DBW_END_MAX;
	}
	memcpy(c->end[d], buf, k);
	c->end_n[d] = k;
}

int dbw_ends_with(const struct dbw_conn *c, int dir, const uint8_t *b, size_t n)
{
	return n <= c->end_n[dir] && !memcmp(c->end[dir] + c->end_n[dir] - n, b, n);
}

static int io_valid(const struct dbw_io *io)
{
	if (io->dir > BT_DBIO_CLOSE ||
	    (io->system != BT_DB_REDIS && io->system != BT_DB_POSTGRESQL))
		return 0;
	if (io->head_len > BT_DBIO_HEAD || io->tail_len > BT_DBIO_TAIL ||
	    (uint64_t)io->head_len + io->tail_len > io->len)
		return 0;
	return (!io->head_len || io->head) && (!io->tail_len || io->tail);
}

static void runs_of(const struct dbw_io *io, struct dbw_runs *r)
{
	memset(r, 0, sizeof(*r));
	if (io->lost) {
		r->gap = io->len;
		return;
	}
	r->a = io->head;
	r->an = io->head_len;
	r->b = io->tail;
	r->bn = io->tail_len;
	r->gap = io->len - io->head_len - io->tail_len;
}

int dbwire__io(struct dbwire *w, const struct dbw_io *io)
{
	struct dbw_conn *c;
	struct dbw_runs r;

	if (!w || !io || !io_valid(io))
		return -EINVAL;
	c = find(w, io->conn_id);
	if (io->dir == BT_DBIO_CLOSE) {
		if (c)
			drop_conn(w, c);
		return 0;
	}
	if (!c)
		c = add(w, io);
	c->last_io_ns = io->ts_ns;
	if (c->off || !io->len)
		return 0;
	if (io->dir == BT_DBIO_RESPONSE)
		c->last_read_ns = io->ts_ns;
	runs_of(io, &r);
	note_end(c, io, &r);
	if (c->system == BT_DB_REDIS)
		dbw_resp_io(w, c, io, &r);
	else
		dbw_pg_io(w, c, io, &r);
	return 0;
}

void dbwire__tick(struct dbwire *w, uint64_t now_ns)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->nbuckets; i++) {
		struct dbw_conn *c = w->buckets[i], *next;

		for (; c; c = next) {
			next = c->next;
			if (now_ns > c->last_io_ns && now_ns - c->last_io_ns >= w->o.idle_ns) {
				drop_conn(w, c);
				w->st.conns_evicted++;
			} else if (c->resp_lost && c->count && c->q[c->head].answered &&
				   now_ns > c->last_read_ns &&
				   now_ns - c->last_read_ns >= w->o.quiet_ns) {
				dbw_unframed_end(w, c);
			}
		}
	}
}

void dbwire__stats(const struct dbwire *w, struct dbw_stats *out)
{
	if (w)
		*out = w->st;
	else
		memset(out, 0, sizeof(*out));
}

size_t dbwire__conns(const struct dbwire *w)
{
	return w ? w->used : 0;
}

void dbw_io_from_record(const struct bt_dbio_record *r, struct dbw_io *io)
{
	memset(io, 0, sizeof(*io));
	io->conn_id = r->conn_id;
	io->ts_ns = r->io_ns;
	io->len = r->io_len;
	io->dir = r->dir;
	io->system = r->system;
	io->lost = !!(r->flags & BT_DBIO_LOST);
	io->head = r->head;
	io->head_len = r->head_len <= BT_DBIO_HEAD ? r->head_len : BT_DBIO_HEAD;
	io->tail = r->tail;
	io->tail_len = r->tail_len <= BT_DBIO_TAIL ? r->tail_len : BT_DBIO_TAIL;
	io->peer.tgid = r->hdr.tgid;
	io->peer.port = r->rport;
	io->peer.family = r->family;
	memcpy(io->peer.addr, r->raddr, sizeof(io->peer.addr));
	memcpy(io->peer.comm, r->comm, BT_COMM_LEN);
	io->peer.comm[BT_COMM_LEN] = '\0';
}
