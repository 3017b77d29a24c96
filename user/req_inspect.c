// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Served-request bytes per connection, and their parts for the detectors.
 * The framing is llm_msg's (the kernel framer run over the kept bytes), so
 * a chunked or partial body and a target longer than the kernel's 128
 * bytes read the same way they do for LLM calls.
 */
#include "req_inspect.h"
#include "units.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "llm_http.h"

struct slot {
	uint64_t conn_id;
	bool used;
	bool broken; /* bytes of the request were lost: do not read it */
	size_t len;
	uint8_t *buf; /* max_bytes, allocated when the slot is first used */
};

struct req_inspect {
	struct slot *slots;
	size_t mask;
	size_t max_bytes;
	uint64_t stat[REQ_INSPECT__COUNT];
	/* The view handed out last and the storage it points into. */
	struct llm_msg msg;
	bool msg_live;
	uint8_t *body; /* decoded body when it had to be undone */
	size_t text_used; /* bytes of text written since the last wipe */
	char text[BT_INSPECT_MAX + 2 * (REQ_INSPECT_HEADERS + 1)];
};

#define UA_INDEX 0 /* of User-Agent in header_names */
static const char *const header_names[REQ_INSPECT_HEADERS] = {
	[UA_INDEX] = "user-agent", "referer", "cookie", "x-forwarded-for", "x-real-ip", "origin",
};

static void stat_add(struct req_inspect *ri, enum req_inspect_stat s)
{
	__atomic_fetch_add(&ri->stat[s], 1, __ATOMIC_RELAXED);
}

uint64_t req_inspect__stat(const struct req_inspect *ri, enum req_inspect_stat s)
{
	return ri && s < REQ_INSPECT__COUNT ? __atomic_load_n(&ri->stat[s], __ATOMIC_RELAXED) : 0;
}

struct req_inspect *req_inspect__new(size_t slots, size_t max_bytes)
{
	struct req_inspect *ri = calloc(1, sizeof(*ri));
	size_t n = units_pow2_at_least(slots, 1u << 20);

	if (!ri)
		return NULL;
	ri->max_bytes = max_bytes && max_bytes < BT_INSPECT_MAX ? max_bytes : BT_INSPECT_MAX;
	ri->slots = calloc(n, sizeof(*ri->slots));
	if (!ri->slots) {
		free(ri);
		errno = ENOMEM;
		return NULL;
	}
	ri->mask = n - 1;
	return ri;
}

/* Forget the last view; its header copies held cookies. */
static void view_release(struct req_inspect *ri)
{
	if (ri->msg_live)
		llm_msg__release(&ri->msg);
	ri->msg_live = false;
	free(ri->body);
	ri->body = NULL;
	/* only what was written: the whole area is 8 KiB, a request head ~100 bytes */
	explicit_bzero(ri->text, ri->text_used);
	ri->text_used = 0;
}

void req_inspect__free(struct req_inspect *ri)
{
	if (!ri)
		return;
	view_release(ri);
	for (size_t i = 0; i <= ri->mask; i++) {
		if (ri->slots[i].buf)
			explicit_bzero(ri->slots[i].buf, ri->max_bytes);
		free(ri->slots[i].buf);
	}
	free(ri->slots);
	free(ri);
}

static struct slot *slot_of(const struct req_inspect *ri, uint64_t conn_id)
{
	uint64_t h = conn_id * 0x9e3779b97f4a7c15ull;

	/* the product's top bits depend on every bit of the id */
	return &ri->slots[(h >> 40 ^ h >> 20) & ri->mask];
}

static void slot_clear(struct slot *s)
{
	if (s->buf)
		explicit_bzero(s->buf, s->len);
	s->used = false;
	s->broken = false;
	s->len = 0;
}

void req_inspect__data(struct req_inspect *ri, const struct bt_reqhead_record *r)
{
	struct slot *s;
	size_t n;

	if (!ri || !r)
		return;
	s = slot_of(ri, r->conn_id);
	if (r->flags & BT_DATA_FIRST) {
		if (s->used && s->conn_id != r->conn_id)
			stat_add(ri, REQ_INSPECT_EVICTED);
		slot_clear(s);
		if (!s->buf && !(s->buf = malloc(ri->max_bytes)))
			return; /* not kept: the request's take counts it */
		s->used = true;
		s->conn_id = r->conn_id;
	} else if (!s->used || s->conn_id != r->conn_id) {
		return; /* the start of this request was not kept */
	}
	if (r->flags & BT_DATA_LOST)
		s->broken = true;
	n = r->len < BT_REQHEAD_MAX ? r->len : BT_REQHEAD_MAX;
	if (n > ri->max_bytes - s->len)
		n = ri->max_bytes - s->len;
	memcpy(s->buf + s->len, r->data, n);
	s->len += n;
}

/* NUL-terminated copy of v into the text area at *at; NULL when full. */
static const char *text_put(struct req_inspect *ri, size_t *at, const char *v, size_t n)
{
	char *p;

	if (*at + n + 1 > sizeof(ri->text))
		return NULL;
	p = ri->text + *at;
	memcpy(p, v, n);
	p[n] = '\0';
	/* a NUL inside a value would hide what follows it from the detectors */
	for (char *z = memchr(p, '\0', n); z; z = memchr(z, '\0', (size_t)(p + n - z)))
		*z = ' ';
	*at += n + 1;
	if (*at > ri->text_used)
		ri->text_used = *at;
	return p;
}

static void view_headers(struct req_inspect *ri, struct req_view *v, size_t *at)
{
	size_t k = 0, n;
	const char *val;

	for (size_t i = 0; i < REQ_INSPECT_HEADERS; i++) {
		const char *copy;

		if (!llm_msg__header(&ri->msg, header_names[i], &val, &n) || !n)
			continue;
		copy = text_put(ri, at, val, n);
		if (copy)
			v->header_values[k++] = copy;
		if (i == UA_INDEX)
			v->user_agent = copy;
	}
	v->header_values[k] = NULL;
	if (llm_msg__header(&ri->msg, "content-type", &val, &n))
		v->content_type = text_put(ri, at, val, n);
}

static void view_body(struct req_inspect *ri, struct req_view *v)
{
	const uint8_t *out;
	size_t n;
	bool owned;
	enum llm_decode d = llm_msg__decoded_body(&ri->msg, BT_INSPECT_MAX, &out, &n, &owned);

	if (d != LLM_DECODE_OK)
		return;
	if (owned) /* kept even when empty: view_release frees it */
		ri->body = (uint8_t *)out;
	if (!n)
		return;
	v->body = (const char *)out;
	v->body_len = n;
}

/* The slot holding conn_id's request when its bytes can be read whole. */
static struct slot *readable(const struct req_inspect *ri, uint64_t conn_id)
{
	struct slot *s = slot_of(ri, conn_id);

	return s->used && s->conn_id == conn_id && !s->broken && s->len ? s : NULL;
}

bool req_inspect__raw(const struct req_inspect *ri, uint64_t conn_id, const uint8_t **buf,
		      size_t *len)
{
	struct slot *s = ri && buf && len ? readable(ri, conn_id) : NULL;

	if (!s)
		return false;
	*buf = s->buf;
	*len = s->len;
	return true;
}

void req_inspect__drop(struct req_inspect *ri, uint64_t conn_id)
{
	struct slot *s = ri ? readable(ri, conn_id) : NULL;

	if (!s)
		return;
	slot_clear(s);
	stat_add(ri, REQ_INSPECT_KNOWN);
}

bool req_inspect__take(struct req_inspect *ri, uint64_t conn_id, struct req_view *v)
{
	struct slot *s;
	size_t at = 0;

	if (!ri || !v)
		return false;
	memset(v, 0, sizeof(*v));
	view_release(ri);
	if (!(s = readable(ri, conn_id))) {
		s = slot_of(ri, conn_id);
		if (s->used && s->conn_id == conn_id)
			slot_clear(s);
		stat_add(ri, REQ_INSPECT_NO_BYTES);
		return false;
	}
	llm_msg__init(&ri->msg, true, BT_INSPECT_MAX);
	ri->msg_live = true;
	llm_msg__feed(&ri->msg, s->buf, s->len, 0);
	slot_clear(s);
	if (ri->msg.error || !llm_msg__target(&ri->msg, &v->target, &v->target_len)) {
		view_release(ri);
		memset(v, 0, sizeof(*v));
		stat_add(ri, REQ_INSPECT_NOT_HTTP);
		return false;
	}
	view_headers(ri, v, &at);
	view_body(ri, v);
	stat_add(ri, REQ_INSPECT_SEEN);
	return true;
}
