// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Per-connection assembly of captured LLM exchanges (llm_track.h). Each
 * connection keeps, per direction, the message being assembled and a
 * short queue of finished ones; the exchange record then takes the
 * request whose target it names and the oldest response. Everything is
 * bounded (connections, queue depth, bytes per message) and every
 * message thrown away is counted in struct llm_stats.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "llm_metrics.h"
#include "llm_track.h"

#define LLM_BUCKETS 1024u
#define LLM_METHODS_MAX 16u

struct llm_side {
	struct llm_msg *cur;
	struct llm_msg *done[LLM_QUEUE_MAX];
	size_t n_done;
};

struct llm_conn {
	struct llm_conn *next;
	uint64_t conn_id;
	uint64_t last_ns;
	bool closed;
	struct llm_side req, resp;
	/* methods of requests begun, not yet answered: a HEAD answer has no body */
	uint8_t methods[LLM_METHODS_MAX];
	size_t m_head, m_count;
};

struct llm_tracker {
	struct llm_opts o;
	struct llm_metrics *lm;
	struct llm_conn *buckets[LLM_BUCKETS];
	size_t n_conns;
	struct llm_stats st;
	uint64_t held; /* body bytes allocated by all live messages */
};

struct llm_tracker *llm_tracker__new(const struct llm_opts *o, struct metrics *m)
{
	struct llm_tracker *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	if (o)
		t->o = *o;
	if (!t->o.max_body_bytes)
		t->o.max_body_bytes = LLM_DEFAULT_MAX_BODY;
	if (!t->o.stale_ns)
		t->o.stale_ns = LLM_DEFAULT_STALE_NS;
	if (!t->o.max_held_bytes)
		t->o.max_held_bytes = 16 * t->o.max_body_bytes;
	t->lm = llm_metrics__new(m);
	if (!t->lm) {
		int err = errno;

		free(t);
		errno = err;
		return NULL;
	}
	return t;
}

static void msg_free(struct llm_msg *m)
{
	if (!m)
		return;
	if (m->held)
		*m->held -= m->body_cap;
	llm_msg__release(m);
	free(m);
}

/* Returns how many messages were pending. */
static size_t side_clear(struct llm_side *s)
{
	size_t n = s->n_done + (s->cur && !llm_msg__empty(s->cur));

	msg_free(s->cur);
	s->cur = NULL;
	for (size_t i = 0; i < s->n_done; i++)
		msg_free(s->done[i]);
	s->n_done = 0;
	return n;
}

static size_t conn_free(struct llm_conn *c)
{
	size_t n = side_clear(&c->req) + side_clear(&c->resp);

	free(c);
	return n;
}

void llm_tracker__free(struct llm_tracker *t)
{
	if (!t)
		return;
	for (size_t b = 0; b < LLM_BUCKETS; b++) {
		while (t->buckets[b]) {
			struct llm_conn *c = t->buckets[b];

			t->buckets[b] = c->next;
			conn_free(c);
		}
	}
	llm_metrics__free(t->lm);
	free(t);
}

static struct llm_conn **conn_slot(struct llm_tracker *t, uint64_t id)
{
	struct llm_conn **pp = &t->buckets[(id * 0x9e3779b97f4a7c15ull) >> 54 & (LLM_BUCKETS - 1)];

	while (*pp && (*pp)->conn_id != id)
		pp = &(*pp)->next;
	return pp;
}

static struct llm_conn *conn_get(struct llm_tracker *t, uint64_t id, bool create)
{
	struct llm_conn **pp = conn_slot(t, id);

	if (*pp || !create)
		return *pp;
	if (t->n_conns >= LLM_CONNS_MAX)
		return NULL;
	*pp = calloc(1, sizeof(**pp));
	if (!*pp)
		return NULL;
	(*pp)->conn_id = id;
	t->n_conns++;
	return *pp;
}

static void conn_drop(struct llm_tracker *t, uint64_t id)
{
	struct llm_conn **pp = conn_slot(t, id), *c = *pp;

	if (!c)
		return;
	*pp = c->next;
	t->n_conns--;
	conn_free(c);
}

static void push_done(struct llm_tracker *t, struct llm_side *s, struct llm_msg *m)
{
	if (s->n_done == LLM_QUEUE_MAX) { /* bytes of messages no record claims */
		msg_free(s->done[0]);
		memmove(s->done, s->done + 1, (LLM_QUEUE_MAX - 1) * sizeof(*s->done));
		s->n_done--;
		t->st.dropped_partial++;
	}
	s->done[s->n_done++] = m;
}

/* The message in progress ends here without its end: keep it if it began. */
static void close_cur(struct llm_tracker *t, struct llm_side *s)
{
	if (!s->cur)
		return;
	if (s->cur->begun || s->cur->gap) {
		push_done(t, s, s->cur);
	} else {
		if (!llm_msg__empty(s->cur))
			t->st.dropped_partial++;
		msg_free(s->cur);
	}
	s->cur = NULL;
}

static struct llm_msg *new_msg(struct llm_tracker *t, struct llm_conn *c, bool is_req)
{
	struct llm_msg *m = malloc(sizeof(*m));

	if (!m)
		return NULL;
	llm_msg__init(m, is_req, t->o.max_body_bytes);
	m->held = &t->held;
	if (!is_req && c->m_count) {
		m->req_method = c->methods[c->m_head];
		c->m_head = (c->m_head + 1) % LLM_METHODS_MAX;
		c->m_count--;
	}
	return m;
}

static void note_method(struct llm_conn *c, const struct llm_msg *m)
{
	if (c->m_count == LLM_METHODS_MAX) {
		c->m_head = (c->m_head + 1) % LLM_METHODS_MAX;
		c->m_count--;
	}
	c->methods[(c->m_head + c->m_count++) % LLM_METHODS_MAX] = m->method;
}

/*
 * Feeds one message and keeps the sum of all bodies under max_held_bytes:
 * past it, the message stops growing, and is reported as too large rather
 * than read from a body it does not have.
 */
static long feed_within_budget(struct llm_tracker *t, struct llm_msg *m, const uint8_t *p,
			       size_t len, uint64_t ns)
{
	size_t cap = m->body_cap;
	long got = llm_msg__feed(m, p, len, ns);

	t->held += m->body_cap - cap;
	/* only the message whose growth crossed the line stops growing */
	if (m->body_cap > cap && t->held > t->o.max_held_bytes && m->max_body > m->body_len)
		m->max_body = m->body_len;
	return got;
}

static void feed_side(struct llm_tracker *t, struct llm_conn *c, bool is_req, const uint8_t *p,
		      size_t len, uint64_t ns)
{
	struct llm_side *s = is_req ? &c->req : &c->resp;
	size_t off = 0;

	while (off < len) {
		long got;

		if (!s->cur) {
			s->cur = new_msg(t, c, is_req);
			if (!s->cur) {
				t->st.dropped_partial++;
				return;
			}
		}
		got = feed_within_budget(t, s->cur, p + off, len - off, ns);
		if (got < 0) { /* out of memory: the message is lost, counted */
			msg_free(s->cur);
			s->cur = NULL;
			t->st.dropped_partial++;
			return;
		}
		off += (size_t)got;
		if (s->cur->complete) {
			if (is_req)
				note_method(c, s->cur);
			push_done(t, s, s->cur);
			s->cur = NULL;
		} else if (got == 0) {
			return;
		}
	}
}

/* Lost response bytes the kernel framed past: the message goes on from its
 * state when this record continues it (not a new message's first). */
static bool resumed(struct llm_tracker *t, struct llm_msg *m, const struct bt_data_record *d)
{
	if (!(d->flags & BT_DATA_RESUME) || (d->flags & BT_DATA_FIRST) ||
	    d->dir != BT_DATA_RESPONSE || !llm_msg__resume(m, &d->resume))
		return false;
	t->st.resumed++;
	return true;
}

void llm_tracker__data(struct llm_tracker *t, const struct bt_data_record *d)
{
	struct llm_conn *c;
	struct llm_side *s;
	size_t len = d->len < BT_DATA_MAX ? d->len : BT_DATA_MAX;
	bool is_req = d->dir == BT_DATA_REQUEST;

	if (!t || d->dir > BT_DATA_RESPONSE)
		return;
	t->st.bytes += len;
	c = conn_get(t, d->conn_id, true);
	if (!c) {
		t->st.dropped_partial++;
		return;
	}
	c->last_ns = d->hdr.ts_ns;
	s = is_req ? &c->req : &c->resp;
	if ((d->flags & BT_DATA_LOST) && s->cur && !resumed(t, s->cur, d))
		llm_msg__mark_gap(s->cur);
	if (d->flags & BT_DATA_FIRST) /* a new captured message starts with this record */
		close_cur(t, s);
	if ((d->flags & BT_DATA_LOST) && !(d->flags & BT_DATA_FIRST) && !s->cur) {
		s->cur = new_msg(t, c, is_req); /* bytes of an unknown message: unreadable */
		if (s->cur)
			llm_msg__mark_gap(s->cur);
	}
	feed_side(t, c, is_req, d->data, len, d->io_ns);
}

static bool target_matches(const struct llm_msg *m, const struct bt_http_record *r)
{
	const char *tg;
	size_t tn, n = r->path_len < BT_PATH_MAX ? r->path_len : BT_PATH_MAX;

	if (!llm_msg__target(m, &tg, &tn))
		return m->gap; /* a gapped request may be ours: let the parse say "gap" */
	return tn >= n && memcmp(tg, r->path, n) == 0;
}

/* The request the record names; older unclaimed requests are dropped. */
static struct llm_msg *take_request(struct llm_tracker *t, struct llm_conn *c,
				    const struct bt_http_record *r)
{
	struct llm_side *s = &c->req;
	struct llm_msg *m;

	for (size_t i = 0; i < s->n_done; i++) {
		if (!target_matches(s->done[i], r))
			continue;
		m = s->done[i];
		for (size_t j = 0; j < i; j++)
			msg_free(s->done[j]);
		t->st.dropped_partial += i;
		memmove(s->done, s->done + i + 1, (s->n_done - i - 1) * sizeof(*s->done));
		s->n_done -= i + 1;
		return m;
	}
	if (s->cur && (s->cur->begun || s->cur->gap)) {
		m = s->cur;
		s->cur = NULL;
		return m;
	}
	return NULL;
}

static struct llm_msg *take_response(struct llm_conn *c)
{
	struct llm_side *s = &c->resp;
	struct llm_msg *m;

	if (s->n_done) {
		m = s->done[0];
		memmove(s->done, s->done + 1, (s->n_done - 1) * sizeof(*s->done));
		s->n_done--;
		return m;
	}
	if (s->cur && (s->cur->begun || s->cur->gap)) { /* close-delimited or cut */
		m = s->cur;
		s->cur = NULL;
		return m;
	}
	return NULL;
}

static bool conn_idle(const struct llm_conn *c)
{
	return !c->req.n_done && !c->resp.n_done && (!c->req.cur || llm_msg__empty(c->req.cur)) &&
	       (!c->resp.cur || llm_msg__empty(c->resp.cur));
}

static void account(struct llm_tracker *t, const struct llm_call *call, const char *svc,
		    const char *agent)
{
	svc = svc && svc[0] ? svc : "unknown";
	agent = agent && agent[0] ? agent : "unknown";
	t->st.calls++;
	if (call->reason != LLM_REASON_NONE)
		t->st.unparsed++;
	if (call->reason == LLM_REASON_BODY_TOO_LARGE)
		t->st.body_too_large++;
	llm_metrics__record(t->lm, call, svc, agent);
	if (t->o.on_call)
		t->o.on_call(t->o.arg, call, svc, agent);
}

void llm_tracker__exchange(struct llm_tracker *t, const struct bt_http_record *r,
			   const char *service_name)
{
	struct llm_parse_ctx ctx = { .start_ns = r->start_ns,
				     .end_ns = r->end_ns,
				     .flags = r->flags,
				     .hosts = t->o.hosts,
				     .n_hosts = t->o.n_hosts,
				     .max_body_bytes = t->o.max_body_bytes };
	struct llm_conn *c = conn_get(t, r->conn_id, false);
	struct llm_msg *req = NULL, *resp = NULL;
	struct llm_call call;

	if (c) {
		req = take_request(t, c, r);
		resp = req ? take_response(c) : NULL;
	}
	if (!req) { /* nothing captured for it: no provider to speak of */
		t->st.dropped_partial++;
		llm_metrics__unparsed(t->lm, "unknown", LLM_REASON_GAP);
		t->st.unparsed++;
		return;
	}
	if (llm_parse_messages(req, resp, &ctx, &call) == 0) {
		const char *agent = t->o.agent_of ? t->o.agent_of(t->o.arg, req, r) : NULL;

		if (!call.status && r->status)
			call.status = r->status;
		account(t, &call, service_name, agent);
	}
	msg_free(req);
	msg_free(resp);
	if (c->closed && conn_idle(c))
		conn_drop(t, r->conn_id);
}

void llm_tracker__conn_closed(struct llm_tracker *t, uint64_t conn_id)
{
	struct llm_conn *c = t ? conn_get(t, conn_id, false) : NULL;

	if (!c)
		return;
	c->closed = true;
	if (conn_idle(c))
		conn_drop(t, conn_id);
}

void llm_tracker__gc(struct llm_tracker *t, uint64_t now_ns)
{
	if (!t)
		return;
	for (size_t b = 0; b < LLM_BUCKETS; b++) {
		struct llm_conn **pp = &t->buckets[b];

		while (*pp) {
			struct llm_conn *c = *pp;

			if (now_ns > c->last_ns && now_ns - c->last_ns > t->o.stale_ns) {
				*pp = c->next;
				t->n_conns--;
				t->st.stale += conn_free(c);
			} else {
				pp = &c->next;
			}
		}
	}
}

void llm_tracker__stats(const struct llm_tracker *t, struct llm_stats *out)
{
	if (t)
		*out = t->st;
	else
		memset(out, 0, sizeof(*out));
}
