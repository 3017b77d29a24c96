/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The two framings the differential tests of the framer's bulk path compare
 * (tests/unit/test_h1_fast.c and tests/fuzz/fuzz_h1_fast.c): REF feeds every
 * byte to h1_step; FAST walks the bytes of each call the way bpf/scan.bpf.h
 * does: a window of up to BT_SCAN_WINDOW bytes kept across framing events,
 * h1_fast in bulk then one h1_step, h1_skip for bodies. The includer
 * defines H1W_CHECK(cond) and includes h1_parse.h first.
 */
#ifndef BT_TESTS_H1_WALK_H
#define BT_TESTS_H1_WALK_H

#include <stddef.h>
#include <string.h>

#ifndef H1W_CHECK
#error "define H1W_CHECK(cond) before including h1_walk.h"
#endif

struct ev_rec {
	int ev;
	size_t at; /* stream offset of the byte that raised it */
	struct h1_dir d;
	struct h1_target t;
};

struct side {
	struct h1_dir d;
	struct h1_target t;
	struct h1_window w;
	size_t win_start, win_len; /* stream range held in w; 0: none */
	size_t off; /* stream bytes consumed */
	size_t steps; /* bytes h1_step was fed */
	unsigned begun; /* messages begun */
	struct ev_rec *ev;
	size_t n_ev, cap_ev;
};

/* A stream, and what the test does around the walk. */
struct h1w_stream {
	const __u8 *s;
	size_t len;
	int is_request;
	int no_target; /* frame without a target buffer, as the daemon does */
	/* fills sd->w.b[n..] after a window load: what a scratch map holds there */
	void (*fill)(struct side *sd, size_t n, void *ctx);
	/* on H1_EV_BEGIN, before it is recorded (a HEAD answer's NO_BODY) */
	void (*on_begin)(struct side *sd, void *ctx);
	void *ctx;
};

static inline struct h1_target *h1w_target(struct side *sd, const struct h1w_stream *st)
{
	return st->no_target ? NULL : &sd->t;
}

static inline int h1w_stopped(const struct side *sd)
{
	return sd->d.phase == H1_DESYNC || sd->d.phase == H1_OFF;
}

static inline void h1w_event(struct side *sd, const struct h1w_stream *st, int ev, size_t at)
{
	struct ev_rec *e;

	if (ev == H1_EV_BEGIN && st->on_begin)
		st->on_begin(sd, st->ctx);
	if (ev == H1_EV_BEGIN)
		sd->begun++;
	if (ev == H1_EV_ERROR)
		H1W_CHECK(sd->d.phase == H1_DESYNC);
	H1W_CHECK(sd->n_ev < sd->cap_ev);
	e = &sd->ev[sd->n_ev++];
	e->ev = ev;
	e->at = at;
	e->d = sd->d;
	e->t = sd->t;
}

/* Body bytes by count, the same on both sides. */
static inline void h1w_skip_body(struct side *sd, const struct h1w_stream *st, size_t end)
{
	int ev = H1_EV_NONE;
	__u64 n = h1_skip(&sd->d, end - sd->off, &ev);

	H1W_CHECK(n > 0 && n <= end - sd->off);
	sd->off += n;
	if (ev != H1_EV_NONE)
		h1w_event(sd, st, ev, sd->off - 1);
}

/* REF: one call's bytes [off, end), every byte through h1_step. */
static inline void h1w_ref_feed(struct side *sd, const struct h1w_stream *st, size_t end, __u64 ts)
{
	while (sd->off < end && !h1w_stopped(sd)) {
		int ev;

		if (!h1_reads_bytes(&sd->d)) {
			h1w_skip_body(sd, st, end);
			continue;
		}
		ev = h1_step(&sd->d, st->s[sd->off], st->is_request, h1w_target(sd, st), ts);
		sd->steps++;
		sd->off++;
		if (ev != H1_EV_NONE)
			h1w_event(sd, st, ev, sd->off - 1);
	}
}

/* bt_scan_bytes(); returns index reached << 8 | event. */
static inline __u32 h1w_scan_bytes(struct side *sd, const struct h1w_stream *st, __u32 i, __u32 n,
				   __u64 ts)
{
	struct h1_target *t = h1w_target(sd, st);
	int ev = H1_EV_NONE;

	for (__u32 iter = 0; iter < BT_SCAN_WINDOW; iter++) {
		__u32 j = h1_fast(&sd->d, &sd->w, H1_SPAN(i, n, st->is_request), t, ts);

		H1W_CHECK(j >= i && j <= n);
		i = j;
		if (i >= n)
			break;
		ev = h1_step(&sd->d, sd->w.b[i & (BT_SCAN_WINDOW - 1)], st->is_request, t, ts);
		sd->steps++;
		i++;
		if (ev != H1_EV_NONE || !h1_reads_bytes(&sd->d))
			break;
	}
	return i << 8 | (__u32)ev;
}

/* bt_scan_window(): reuse the loaded window while the cursor is inside it. */
static inline void h1w_fast_window(struct side *sd, const struct h1w_stream *st, size_t end,
				   __u64 ts)
{
	__u32 from = 0, n, r;

	if (sd->win_len && sd->off >= sd->win_start && sd->off < sd->win_start + sd->win_len) {
		from = sd->off - sd->win_start;
		n = sd->win_len;
	} else {
		n = end - sd->off > BT_SCAN_WINDOW ? BT_SCAN_WINDOW : end - sd->off;
		sd->win_start = sd->off;
		sd->win_len = n;
		memcpy(sd->w.b, st->s + sd->off, n);
		if (st->fill)
			st->fill(sd, n, st->ctx);
	}
	r = h1w_scan_bytes(sd, st, from, n, ts);
	H1W_CHECK((r >> 8) > from);
	sd->off += (r >> 8) - from;
	if ((r & 0xff) != H1_EV_NONE)
		h1w_event(sd, st, r & 0xff, sd->off - 1);
}

/* FAST: one call's bytes [off, end), walked as bt_scan_step() does. */
static inline void h1w_fast_feed(struct side *sd, const struct h1w_stream *st, size_t end, __u64 ts)
{
	sd->win_len = 0; /* a new call: nothing loaded yet */
	while (sd->off < end && !h1w_stopped(sd)) {
		if (!h1_reads_bytes(&sd->d))
			h1w_skip_body(sd, st, end);
		else
			h1w_fast_window(sd, st, end, ts);
	}
}

/* The same events from from_ev on, and the same state now. */
static inline void h1w_same(const struct side *a, const struct side *b, size_t from_ev)
{
	H1W_CHECK(a->n_ev == b->n_ev);
	for (size_t i = from_ev; i < a->n_ev; i++) {
		const struct ev_rec *x = &a->ev[i], *y = &b->ev[i];

		H1W_CHECK(x->ev == y->ev);
		H1W_CHECK(x->at == y->at);
		H1W_CHECK(memcmp(&x->d, &y->d, sizeof(x->d)) == 0);
		H1W_CHECK(memcmp(&x->t, &y->t, sizeof(x->t)) == 0);
	}
	H1W_CHECK(a->off == b->off);
	H1W_CHECK(memcmp(&a->d, &b->d, sizeof(a->d)) == 0);
	H1W_CHECK(memcmp(&a->t, &b->t, sizeof(a->t)) == 0);
}

#endif
