/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Payload capture for exchanges userspace must read in full (LLM calls):
 * which client requests qualify (path suffix list from the daemon), and
 * copying a call's bytes into bt_data_record chunks. Served requests may
 * have their first bytes (bt_config.inspect_bytes) copied into
 * bt_reqhead_record chunks for the request detectors. Everything else
 * stays uncopied.
 */
#ifndef BIOTHINGS_CAPTURE_BPF_H
#define BIOTHINGS_CAPTURE_BPF_H

#include "maps.bpf.h"
#include "cursor.bpf.h"

struct bt_suffix_ctx {
	struct h1_target *t;
	__u32 end; /* path length before '?' */
	__u32 n; /* slots in use */
	__u32 hit;
};

/* Does t->b[0..end) end with p? Global: verified once. */
__attribute__((noinline)) int bt_suffix_is(struct h1_target *t, struct bt_capture_path *p,
					   __u32 end)
{
	__u32 len, i;

	if (!t || !p)
		return 0;
	len = p->len;
	if (!len || len > BT_CAPTURE_PATH_LEN || len > end || end > BT_PATH_MAX)
		return 0;
	for (i = 0; i < BT_CAPTURE_PATH_LEN; i++) {
		if (i >= len)
			break;
		if (t->b[(end - len + i) & (BT_PATH_MAX - 1)] != p->b[i])
			return 0;
	}
	return 1;
}

static long bt_suffix_round(__u32 idx, void *arg)
{
	struct bt_suffix_ctx *x = arg;
	struct bt_capture_path *p;

	if (idx >= x->n)
		return 1;
	p = bpf_map_lookup_elem(&bt_capture_paths, &idx);
	if (p && bt_suffix_is(x->t, p, x->end)) {
		x->hit = 1;
		return 1;
	}
	return 0;
}

/*
 * Should the request just begun be copied? BT_REQ_CAPTURED for a client
 * request on the capture list, BT_REQ_INSPECTED for a served request when
 * inspection is on (its budget set in c->inspect_left), else 0.
 */
static __always_inline int bt_capture_wanted(struct bt_conn *c)
{
	__u32 zero = 0;
	struct bt_config *cfg = bpf_map_lookup_elem(&bt_config, &zero);
	struct bt_suffix_ctx x = {};
	__u8 last;

	if (!cfg)
		return 0;
	if (c->role == BT_ROLE_SERVER) {
		c->inspect_left = cfg->inspect_bytes < BT_INSPECT_MAX ? cfg->inspect_bytes :
									BT_INSPECT_MAX;
		return c->inspect_left ? BT_REQ_INSPECTED : 0;
	}
	if (!cfg->n_capture_paths || c->role != BT_ROLE_CLIENT)
		return 0;
	x.end = c->req.path_end < BT_PATH_MAX ? c->req.path_end : BT_PATH_MAX;
	if (!x.end)
		return 0;
	last = c->target.b[(x.end - 1) & (BT_PATH_MAX - 1)];
	if (!(cfg->capture_last[(last >> 6) & 3] & (1ull << (last & 63))))
		return 0;
	x.t = &c->target;
	x.n = cfg->n_capture_paths;
	bpf_loop(BT_CAPTURE_PATHS_MAX, bt_suffix_round, &x, 0);
	return x.hit ? BT_REQ_CAPTURED : 0;
}

struct bt_copy {
	struct bt_cursor k;
	__u64 conn_id;
	__u64 io_ns;
	__u64 cgroup_id; /* for the records' headers */
	__u64 win_addr; /* user address the framer's window was loaded from */
	__u32 win_len; /* bytes of it; 0: none */
	__u32 ring; /* slot in bt_rings of the connection's records */
	__u32 io_len;
	__u32 offset; /* bytes of the call already passed */
	__u32 skip; /* bytes to pass over before copying */
	__u32 limit; /* bytes still to copy (inspection budget) */
	__u8 dir;
	__u8 flags;
	__u8 shed; /* a response record was lost: the rest of the call is not sent */
};

/* Pass over up to n bytes that come before the copy; 1 when it did. */
static __always_inline int bt_copy_skip(struct bt_copy *x, __u64 n)
{
	if (!x->skip)
		return 0;
	n = n < x->skip ? n : x->skip;
	bt_cursor_advance(&x->k, n);
	x->skip -= n;
	x->offset += n;
	return 1;
}

/* Bytes a chunk round may copy: -1 when the call is done, 0 when the
 * round passed over bytes before the copy instead. */
static __always_inline long bt_copy_avail(struct bt_copy *x)
{
	__u64 n = bt_cursor_avail(&x->k);

	if (!n)
		return -1;
	return bt_copy_skip(x, n) ? 0 : (long)n;
}

/*
 * The record after a loss carries the framer state the response's bytes
 * started this call with (at), when the record starts there: the reader
 * frames on from it instead of giving the message up. Responses therefore
 * stop at their first lost record for the rest of the call.
 */
static __always_inline void bt_copy_resume(struct bt_data_record *r, const struct bt_copy *x,
					   const struct h1_dir *at)
{
	if ((x->flags & BT_DATA_LOST) && x->dir == BT_DATA_RESPONSE && !x->offset) {
		__builtin_memcpy(&r->resume, at, sizeof(r->resume));
		r->flags |= BT_DATA_RESUME;
	} else {
		__builtin_memset(&r->resume, 0, sizeof(r->resume));
	}
}

/* One chunk into the ringbuf. Global: verified once, not per round.
 * Returns 1 when there is nothing left. */
__attribute__((noinline)) int bt_copy_chunk(struct bt_copy *x, const struct h1_dir *at)
{
	struct bt_data_record *r = NULL;
	long a;
	__u64 n;

	if (!x || !at || (a = bt_copy_avail(x)) < 0)
		return 1;
	if (!a)
		return 0;
	n = a;
	if (n > BT_DATA_MAX)
		n = BT_DATA_MAX;
	if (x->shed)
		bt_count(BT_DROP_PAYLOAD_SHED);
	else
		r = bt_payload_reserve(sizeof(*r), x->dir == BT_DATA_RESPONSE ?
							   BT_PAYLOAD_HEADROOM_SHIFT :
							   BT_REQUEST_HEADROOM_SHIFT);
	if (!r) {
		x->flags |= BT_DATA_LOST; /* the reader must know the stream has a hole */
		x->shed = x->dir == BT_DATA_RESPONSE;
		bt_cursor_advance(&x->k, n);
		x->offset += n;
		return 0;
	}
	bt_fill_hdr_cg(&r->hdr, BT_EV_DATA, sizeof(*r), bpf_ktime_get_ns(), x->cgroup_id);
	r->conn_id = x->conn_id;
	r->io_ns = x->io_ns;
	r->io_len = x->io_len;
	r->offset = x->offset;
	r->len = n;
	r->dir = x->dir;
	r->flags = x->flags;
	r->_pad = 0;
	bt_copy_resume(r, x, at);
	if (bpf_probe_read_user(r->data, n & (BT_DATA_MAX - 1) ?: BT_DATA_MAX,
				(void *)(x->k.base + x->k.off))) {
		bt_count(BT_DROP_READ_USER);
		bpf_ringbuf_discard(r, 0);
		x->flags |= BT_DATA_LOST;
		x->shed = x->dir == BT_DATA_RESPONSE;
	} else {
		bpf_ringbuf_submit(r, 0);
		x->flags &= ~(BT_DATA_LOST | BT_DATA_FIRST);
	}
	bt_cursor_advance(&x->k, n);
	x->offset += n;
	return 0;
}

/*
 * n bytes at the cursor into dst: from the framer's window when it holds
 * them (it was read from the same call a moment ago), which spares a second
 * user copy and its hardened-usercopy checks, else from user memory.
 */
static __always_inline long bt_copy_bytes(struct bt_copy *x, const struct h1_window *w, void *dst,
					  __u32 n)
{
	__u64 a = x->k.base + x->k.off;

	if (w && x->win_len && a >= x->win_addr && a + n <= x->win_addr + x->win_len)
		return bpf_probe_read_kernel(dst, n,
					     &w->b[(a - x->win_addr) & (BT_SCAN_WINDOW - 1)]);
	return bpf_probe_read_user(dst, n, (void *)a);
}

/*
 * n bytes of a served request as one bt_reqhead_record with room for cap
 * (BT_REQHEAD_SMALL or BT_REQHEAD_MAX: a constant at each call, as the
 * ring's reservation needs), into ring, slot x->ring.
 */
static __always_inline void bt_head_send(struct bt_copy *x, const struct h1_window *w, void *ring,
					 __u64 n, __u32 cap)
{
	__u32 size = __builtin_offsetof(struct bt_reqhead_record, data) + cap;
	struct bt_reqhead_record *r;

	r = bt_payload_reserve_est(ring, x->ring, size, BT_PAYLOAD_HEADROOM_SHIFT);
	if (!r) {
		x->flags |= BT_DATA_LOST;
		return;
	}
	bt_fill_hdr_cg(&r->hdr, BT_EV_REQHEAD, size, x->io_ns, x->cgroup_id);
	r->conn_id = x->conn_id;
	r->len = n;
	r->flags = x->flags;
	r->_pad[0] = r->_pad[1] = r->_pad[2] = 0;
	if (bt_copy_bytes(x, w, r->data, n & (cap - 1) ?: cap)) {
		bt_count(BT_DROP_READ_USER);
		bpf_ringbuf_discard(r, 0);
		x->flags |= BT_DATA_LOST;
	} else {
		bpf_ringbuf_submit(r, bt_wake_flag(ring, x->ring, size));
		x->flags &= ~(BT_DATA_LOST | BT_DATA_FIRST);
	}
}

/* Up to BT_REQHEAD_MAX bytes of a served request, within its budget, in
 * a record cut to BT_REQHEAD_SMALL when they fit. Global. */
__attribute__((noinline)) int bt_inspect_chunk(struct bt_copy *x, const struct h1_window *w)
{
	void *ring;
	long a;
	__u64 n;

	if (!x || !x->limit || (a = bt_copy_avail(x)) < 0)
		return 1;
	if (!a)
		return 0;
	n = (__u64)a < x->limit ? (__u64)a : x->limit;
	if (n > BT_REQHEAD_MAX)
		n = BT_REQHEAD_MAX;
	x->limit -= n;
	ring = bt_ring_at(x->ring);
	if (!ring)
		x->flags |= BT_DATA_LOST;
	else if (n <= BT_REQHEAD_SMALL)
		bt_head_send(x, w, ring, n, BT_REQHEAD_SMALL);
	else
		bt_head_send(x, w, ring, n, BT_REQHEAD_MAX);
	bt_cursor_advance(&x->k, n);
	return 0;
}

/* What bpf_loop hands each copy round: the copy and the framer state its
 * bytes start from (responses). */
struct bt_copy_ctx {
	struct bt_copy x;
	const struct h1_dir *at;
};

static long bt_copy_round(__u32 idx, void *arg)
{
	struct bt_copy_ctx *ctx = arg;

	return bt_copy_chunk(&ctx->x, ctx->at) ? 1 : 0;
}

/* What bpf_loop hands each inspection round: the copy and the window. */
struct bt_inspect_ctx {
	struct bt_copy x;
	const struct h1_window *w;
};

static long bt_inspect_round(__u32 idx, void *arg)
{
	struct bt_inspect_ctx *ctx = arg;

	return bt_inspect_chunk(&ctx->x, ctx->w) ? 1 : 0;
}

static __always_inline int bt_copy_init(struct bt_copy *x, struct bt_conn *c,
					const struct bt_inflight *in, __u64 bytes, __u64 from,
					__u8 flags)
{
	if (bt_cursor_init(&x->k, in, bytes))
		return -1;
	x->conn_id = c->conn_id;
	x->ring = bt_conn_ring(c);
	x->cgroup_id = bt_owner_runs(c) ? c->owner_cgroup : bpf_get_current_cgroup_id();
	x->io_len = bytes;
	x->skip = from;
	x->flags = flags | ((c->flags & BT_CONN_TLS) ? BT_DATA_TLS : 0);
	return 0;
}

/*
 * Send the call's bytes from `from` on as bt_data_record chunks. A loss
 * the reader has not heard of yet (the call's last records, or a call
 * before) is flagged on the next record that gets through, whichever call
 * sends it. A response is captured before it is framed, so c->resp is
 * still the state its bytes start from.
 */
static __always_inline void bt_capture(struct bt_conn *c, const struct bt_inflight *in, __u64 bytes,
				       __u64 from, __u8 dir, __u8 flags)
{
	struct bt_copy_ctx ctx = { .at = &c->resp };
	struct bt_copy *x = &ctx.x;
	__u32 hole = dir == BT_DATA_RESPONSE ? BT_CONN_HOLE_RESP : BT_CONN_HOLE_REQ;

	if (c->flags & hole)
		flags |= BT_DATA_LOST;
	if (bt_copy_init(x, c, in, bytes, from, flags))
		return;
	x->io_ns = in->ingress ? bpf_ktime_get_ns() : in->enter_ns;
	x->dir = dir;
	bpf_loop(BT_DATA_CHUNKS + BT_IOV_MAX, bt_copy_round, &ctx, 0);
	if (x->k.left && !bt_cursor_exhausted(&x->k)) {
		bt_count(BT_DROP_CAPTURE_LIMIT);
		x->flags |= BT_DATA_LOST;
	}
	if (x->flags & BT_DATA_LOST)
		c->flags |= hole;
	else
		c->flags &= ~hole;
}

/* Send what is left of the served request's budget from `from` on as
 * bt_reqhead_record chunks; the request stops being copied once it is
 * spent. w (may be NULL) holds win_len bytes the framer read from user
 * address win_addr in this call. */
static __always_inline void bt_inspect(struct bt_conn *c, const struct bt_inflight *in, __u64 bytes,
				       __u64 from, __u8 flags, const struct h1_window *w,
				       __u64 win_addr, __u32 win_len)
{
	struct bt_inspect_ctx ctx = { .w = w };
	struct bt_copy *x = &ctx.x;

	if (!c->inspect_left || bt_copy_init(x, c, in, bytes, from, flags))
		return;
	x->limit = c->inspect_left < BT_INSPECT_MAX ? c->inspect_left : BT_INSPECT_MAX;
	x->io_ns = in->enter_ns; /* a served request's read: its return */
	x->win_addr = win_addr;
	x->win_len = win_len;
	bpf_loop(BT_INSPECT_MAX / BT_REQHEAD_MAX + BT_IOV_MAX, bt_inspect_round, &ctx, 0);
	c->inspect_left = x->limit;
	if (!x->limit)
		c->flags &= ~BT_CONN_CAP_REQ;
}

#endif
