/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Walks the bytes one syscall (or one SSL_read/SSL_write) moved on a
 * connection through the HTTP/1.x framer, window by window, hands each
 * framing event to http_pair, and sends the bytes of captured exchanges.
 * Shared by the socket and the TLS probes.
 */
#ifndef BIOTHINGS_SCAN_BPF_H
#define BIOTHINGS_SCAN_BPF_H

#include "maps.bpf.h"
#include "cursor.bpf.h"
#include "http_pair.bpf.h"
#include "capture.bpf.h"

/*
 * State of walking one call's bytes. No pointers inside: it is handed to
 * a global function, and the verifier checks those with memory arguments
 * whose contents are plain data.
 */
struct bt_scan {
	struct bt_cursor k;
	__u64 ts_first; /* stamp for a message starting in this call */
	__u64 now;
	__u64 walked; /* bytes of the call walked so far */
	__u64 cap_from; /* where the first captured request began */
	__u32 is_request;
	__u32 at_start; /* nothing of this call walked yet */
	__u32 opaque; /* bytes exist but cannot be read (sendfile) */
	__u32 cap_begun; /* a captured request began in this call */
	__u64 win_addr; /* user address the scratch window was loaded from */
	__u32 win_len; /* bytes loaded there; 0: none yet */
	__u32 _pad;
};

/* What bpf_loop hands each round: the walk and the objects it works on. */
struct bt_scan_ctx {
	struct bt_scan s;
	struct bt_conn *c;
	struct h1_window *sc;
};

static __always_inline struct h1_dir *bt_dir(struct bt_conn *c, struct bt_scan *s)
{
	return s->is_request ? &c->req : &c->resp;
}

static __always_inline void bt_handle(struct bt_scan *s, struct bt_conn *c, int ev)
{
	if (ev == H1_EV_NONE)
		return;
	if (!s->is_request) {
		bt_on_response(c, ev, s->now);
		return;
	}
	if (bt_on_request(c, ev) && !s->cap_begun) {
		s->cap_begun = 1;
		s->cap_from = s->walked >= c->req.msg_bytes ? s->walked - c->req.msg_bytes : 0;
	}
}

/* Leave H1_DESYNC only where a call starts with a plausible message. */
static __always_inline int bt_try_resync(struct bt_scan *s, struct bt_conn *c, struct h1_dir *d,
					 __u64 avail)
{
	__u8 c0;

	if (!s->at_start || s->opaque || !avail)
		return -1;
	if (bpf_probe_read_user(&c0, 1, (void *)(s->k.base + s->k.off)))
		return -1;
	if (!h1_can_start(c0, s->is_request) || (!s->is_request && !c->count))
		return -1;
	d->phase = H1_IDLE;
	bt_count(BT_CNT_RESYNCED);
	return 0;
}

/*
 * Step through window bytes [from, n) until an event or a phase that skips
 * bytes, in bulk where h1_fast can. Global, so the verifier checks its
 * loop once per program rather than once per caller path. Returns
 * index_reached << 8 | event.
 */
#define BT_WIN_REQUEST (1u << 31)
#define BT_WIN_SPAN(from, n, is_request) \
	((__u32)(n) | (__u32)(from) << 12 | ((is_request) ? BT_WIN_REQUEST : 0))
__attribute__((noinline)) int bt_scan_bytes(struct h1_window *sc, struct h1_dir *d,
					    struct h1_target *t, __u32 span, __u64 ts)
{
	__u32 n = span & 0xfff, i = (span >> 12) & 0xfff;
	__u32 is_request = !!(span & BT_WIN_REQUEST);
	int ev = H1_EV_NONE;
	__u32 iter;

	if (!sc || !d || !t)
		return H1_EV_ERROR;
	if (n > BT_SCAN_WINDOW)
		n = BT_SCAN_WINDOW;
	for (iter = 0; iter < BT_SCAN_WINDOW; iter++) {
		i = h1_fast(d, sc, H1_SPAN(i, n, is_request), t, ts);
		if (i >= n)
			break;
		ev = h1_step(d, sc->b[i & (BT_SCAN_WINDOW - 1)], is_request, t, ts);
		i++;
		if (ev != H1_EV_NONE || !h1_reads_bytes(d))
			break;
	}
	return (int)(i << 8) | ev;
}

/*
 * Frame from the cursor on; returns bytes consumed. The window read from
 * user memory is kept across framing events: the next step reuses it while
 * the cursor is still inside it, instead of copying the same bytes again.
 */
static __always_inline __u64 bt_scan_window(struct bt_scan *s, struct bt_conn *c,
					    struct h1_window *sc, struct h1_dir *d, __u64 avail,
					    int *ev)
{
	__u64 addr = s->k.base + s->k.off;
	__u32 from = 0, n;
	int r;

	*ev = H1_EV_NONE;
	if (s->win_len && addr >= s->win_addr && addr < s->win_addr + s->win_len) {
		from = addr - s->win_addr;
		n = s->win_len;
	} else {
		n = avail > BT_SCAN_WINDOW ? BT_SCAN_WINDOW : avail;
		if (bpf_probe_read_user(sc->b, n & (BT_SCAN_WINDOW - 1) ?: BT_SCAN_WINDOW,
					(void *)addr)) {
			bt_count(BT_DROP_READ_USER);
			*ev = H1_EV_ERROR;
			d->phase = H1_DESYNC;
			s->win_len = 0;
			return avail;
		}
		s->win_addr = addr;
		s->win_len = n;
	}
	r = bt_scan_bytes(sc, d, &c->target, BT_WIN_SPAN(from, n, s->is_request), s->ts_first);
	*ev = r & 0xff;
	return ((__u32)r >> 8) - from;
}

/*
 * One round of the walk: skip body bytes by count or frame one window.
 * Global, so the verifier checks it once instead of once per round and
 * caller path. Returns 1 when the walk is over.
 */
__attribute__((noinline)) int bt_scan_step(struct bt_scan *s, struct bt_conn *c,
					   struct h1_window *sc)
{
	struct h1_dir *d;
	__u64 avail, n;
	int ev = H1_EV_NONE;

	if (!s || !c || !sc)
		return 1;
	d = bt_dir(c, s);
	avail = bt_cursor_avail(&s->k);
	if (!avail || d->phase == H1_OFF)
		return 1;
	if (d->phase == H1_DESYNC && bt_try_resync(s, c, d, avail))
		return 1;
	if (!h1_reads_bytes(d)) {
		n = h1_skip(d, avail, &ev);
	} else if (s->opaque) {
		bt_desync(c, BT_DROP_OPAQUE_BYTES);
		return 1;
	} else {
		n = bt_scan_window(s, c, sc, d, avail, &ev);
	}
	bt_cursor_advance(&s->k, n);
	s->walked += n;
	s->at_start = 0;
	bt_handle(s, c, ev);
	return 0;
}

static long bt_scan_round(__u32 idx, void *arg)
{
	struct bt_scan_ctx *x = arg;

	return bt_scan_step(&x->s, x->c, x->sc) ? 1 : 0;
}

/* A response to a captured request is sent before it is framed, so its
 * bytes reach the reader ahead of the record that the framing emits. */
static __always_inline void bt_capture_response(struct bt_conn *c, struct bt_inflight *in,
						__u64 bytes)
{
	if (!c->count || !(c->pend[c->head & BT_PIPE_MASK].flags & BT_REQ_CAPTURED))
		return;
	bt_capture(c, in, bytes, 0, BT_DATA_RESPONSE, c->resp.phase == H1_IDLE ? BT_DATA_FIRST : 0);
}

static __always_inline void bt_walk(struct bt_conn *c, struct bt_inflight *in, __u64 bytes,
				    __u64 now)
{
	__u32 zero = 0;
	struct bt_scan_ctx x = {};
	struct bt_scan *s = &x.s;
	struct h1_dir *d;
	__u32 cap_at_entry;

	x.c = c;
	x.sc = bpf_map_lookup_elem(&bt_scratch, &zero);
	if (!x.sc || bt_cursor_init(&s->k, in, bytes))
		return;
	s->is_request = in->ingress == (c->role == BT_ROLE_SERVER);
	s->ts_first = in->ingress ? now : in->enter_ns;
	s->now = now;
	s->at_start = 1;
	s->opaque = in->kind == BT_IO_OPAQUE;
	if (!s->is_request && !s->opaque)
		bt_capture_response(c, in, bytes);
	cap_at_entry = s->is_request && (c->flags & BT_CONN_CAP_REQ);
	bpf_loop(BT_SCAN_ROUNDS + BT_IOV_MAX, bt_scan_round, &x, 0);
	d = bt_dir(c, s);
	if (s->k.left && d->phase != H1_DESYNC && d->phase != H1_OFF && !bt_cursor_exhausted(&s->k))
		bt_desync(c, BT_DROP_SCAN_BUDGET);
	d->last_ns = now;
	if (!s->is_request || s->opaque || !(cap_at_entry || s->cap_begun))
		return;
	if (c->role == BT_ROLE_SERVER)
		bt_inspect(c, in, bytes, cap_at_entry ? 0 : s->cap_from,
			   cap_at_entry ? 0 : BT_DATA_FIRST, x.sc, s->win_addr, s->win_len);
	else
		bt_capture(c, in, bytes, cap_at_entry ? 0 : s->cap_from, BT_DATA_REQUEST,
			   cap_at_entry ? 0 : BT_DATA_FIRST);
}

#endif
