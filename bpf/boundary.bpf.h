/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Boundary framing (capture.framing: boundary) of plain-socket HTTP/1.x
 * connections: the pairing of http_pair.bpf.h fed by what each call's first
 * bytes say (h1_boundary.h) instead of the full framer's walk.
 *
 * One request at a time per connection, in pend[head]: a request-direction
 * call that starts with a request line opens it, and reports the one
 * before, whose answer is over; request-direction calls before its answer
 * are its body; the first response-direction call carries the status,
 * the later ones are counted until the next request or the close. So a
 * served request is reported when its connection's next request arrives
 * (or at the close, a client's end of file, or by the daemon's sweep once
 * the connection has been quiet for capture.framing_idle), its end the
 * return of its answer's last send. A client request marked for capture turns its
 * connection over to the full framer for good (BT_CONN_FRAMED): captured
 * bytes need exact message ends.
 */
#ifndef BIOTHINGS_BOUNDARY_BPF_H
#define BIOTHINGS_BOUNDARY_BPF_H

#include "h1_boundary.h"
#include "maps.bpf.h"
#include "cursor.bpf.h"
#include "http_pair.bpf.h"
#include "capture.bpf.h"

#define BT_BND_STATUS_READ 16 /* bytes read for a status line (power of two) */

static __always_inline int bt_boundary_on(const struct bt_conn *c)
{
	__u32 zero = 0;
	struct bt_config *cfg = bpf_map_lookup_elem(&bt_config, &zero);

	return cfg && cfg->framing == BT_FRAMING_BOUNDARY &&
	       !(c->flags & (BT_CONN_FRAMED | BT_CONN_TLS));
}

/* Take the held answer for reporting: 1 for exactly one of the reporters
 * racing for it (this connection's calls, the daemon's sweep). */
static __always_inline int bt_bnd_claim(struct bt_conn *c)
{
	__u64 h = c->bnd_held;

	return h && __sync_val_compare_and_swap(&c->bnd_held, h, 0) == h;
}

/* The first bytes of the call's first segment into w (at most max, a power
 * of two no larger than the window); how many, 0 when none could be read. */
static __always_inline __u32 bt_bnd_load(struct h1_window *w, const struct bt_inflight *in,
					 __u64 bytes, __u32 max, __u64 *addr)
{
	struct bt_cursor k;
	__u64 n;

	if (in->kind == BT_IO_OPAQUE || bt_cursor_init(&k, in, bytes))
		return 0;
	n = bt_cursor_avail(&k);
	if (!n)
		return 0;
	if (n > max)
		n = max;
	if (bpf_probe_read_user(w->b, n & (max - 1) ?: max, (void *)(k.base + k.off))) {
		bt_count(BT_DROP_READ_USER);
		return 0;
	}
	*addr = k.base + k.off;
	return n;
}

/* A client's target into c->target with its path's end, as the full
 * framer leaves them for bt_capture_wanted. A second walk of the target:
 * finding the '?' inside h1b_request's walk keeps one more varying value
 * in its loop, and the verifier then runs past its budget (E2BIG). */
static __always_inline void bt_bnd_client_target(struct bt_conn *c, const struct bt_pending *p)
{
	__u32 i;

	__builtin_memcpy(c->target.b, p->path, sizeof(c->target.b));
	c->req.path_end = p->path_len;
	for (i = 0; i < BT_PATH_MAX && i < p->path_len; i++) {
		if (p->path[i] == '?' || p->path[i] == '#') {
			c->req.path_end = i;
			break;
		}
	}
}

/* Open the request whose request line s read from w (n bytes of the
 * call, loaded from addr); -1 when it is to be captured and the call
 * framed in full instead. */
static __always_inline int bt_bnd_open(struct bt_conn *c, const struct bt_inflight *in, __u64 bytes,
				       __u64 now, struct h1_window *w, __u32 n, __u64 addr,
				       const struct h1b_start *s)
{
	struct bt_pending *p = &c->pend[0];
	int copy;

	c->flags = (c->flags & ~BT_CONN_CAP_REQ) | BT_CONN_SEEN_HTTP;
	c->req.phase = H1_IDLE;
	c->resp.phase = H1_IDLE;
	c->head = 0;
	c->count = 1;
	c->bnd_seq++;
	c->bnd_held = 0;
	c->resp.status = 0;
	c->resp.msg_bytes = 0;
	c->resp.last_ns = now;
	p->start_ns = in->ingress ? now : in->enter_ns;
	p->req_bytes = bytes;
	p->path_len = s->target_len;
	p->method = s->method;
	p->flags = s->truncated ? BT_REQ_PATH_TRUNCATED : 0;
	p->done = 0;
	__builtin_memcpy(p->path, &w->b[s->target_at & 15], sizeof(p->path));
	if (s->truncated)
		bt_count(BT_CNT_PATH_TRUNCATED);
	if (c->role == BT_ROLE_CLIENT)
		bt_bnd_client_target(c, p);
	copy = bt_capture_wanted(c);
	if (copy == BT_REQ_CAPTURED) {
		c->flags |= BT_CONN_FRAMED;
		c->count = 0;
		return -1;
	}
	if (copy) {
		p->flags |= copy;
		c->flags |= BT_CONN_CAP_REQ;
		bt_inspect(c, in, bytes, 0, BT_DATA_FIRST, w, addr, n);
	}
	return 0;
}

/*
 * Request-direction bytes; returns -1 when the call is to be framed in
 * full. Bytes that start no request are the pending request's body, also
 * after its answer began (a server may answer before it has read the
 * whole request); with no request pending they are an error, or, on a
 * connection met mid-stream, what comes before the first request line.
 */
static __always_inline int bt_bnd_request(struct bt_conn *c, const struct bt_inflight *in,
					  __u64 bytes, __u64 now)
{
	struct bt_pending *p = &c->pend[c->head & BT_PIPE_MASK];
	__u32 zero = 0, n = 0;
	struct h1_window *w;
	struct h1b_start s;
	__u64 addr = 0;

	if (c->count && !c->resp.status) { /* not answered yet: its body */
		p->req_bytes += bytes;
		if (c->flags & BT_CONN_CAP_REQ)
			bt_inspect(c, in, bytes, 0, 0, NULL, 0, 0);
		return 0;
	}
	w = bpf_map_lookup_elem(&bt_scratch, &zero);
	if (w)
		n = bt_bnd_load(w, in, bytes, BT_SCAN_WINDOW, &addr);
	if (!w || !n || h1b_request(w, n, &s)) {
		if (c->count)
			p->req_bytes += bytes;
		else if (c->req.phase != H1_DESYNC)
			bt_on_error(c);
		return 0;
	}
	if (c->count && bt_bnd_claim(c)) /* the answer before is over */
		bt_emit(c, p, &c->resp, c->resp.last_ns, 0);
	return bt_bnd_open(c, in, bytes, now, w, n, addr, &s);
}

/* The status the first response-direction call of an answer starts with. */
static __always_inline __u16 bt_bnd_status(const struct bt_inflight *in, __u64 bytes)
{
	__u32 zero = 0;
	struct h1_window *w = bpf_map_lookup_elem(&bt_scratch, &zero);
	__u64 addr;
	__u32 n;

	if (!w)
		return 0;
	n = bt_bnd_load(w, in, bytes, BT_BND_STATUS_READ, &addr);
	return n ? h1b_status(w, n) : 0;
}

static __always_inline void bt_bnd_response(struct bt_conn *c, const struct bt_inflight *in,
					    __u64 bytes, __u64 now)
{
	struct bt_pending *p = &c->pend[c->head & BT_PIPE_MASK];
	__u16 status;

	if (!c->count) {
		if (c->req.phase == H1_IDLE && (c->flags & BT_CONN_SEEN_HTTP))
			bt_desync(c, BT_DROP_UNPAIRED_RESPONSE);
		return;
	}
	if (!c->resp.status) {
		status = bt_bnd_status(in, bytes);
		if (!status) {
			if (in->kind == BT_IO_OPAQUE)
				bt_desync(c, BT_DROP_OPAQUE_BYTES);
			else
				bt_on_error(c);
			return;
		}
		if (status < 200 && status != 101)
			return; /* interim answer: the final one is still to come */
		c->resp.status = status;
		p->done = 1;
		c->bnd_held = c->bnd_seq ?: 1;
	}
	c->resp.msg_bytes += bytes;
	c->resp.last_ns = now;
	if (c->resp.status == 101) {
		if (bt_bnd_claim(c))
			bt_emit(c, p, &c->resp, now, BT_REQ_UPGRADED);
		c->count = 0;
		c->req.phase = H1_OFF;
		c->resp.phase = H1_OFF;
	}
}

/*
 * A call that moved bytes on a connection framed at boundaries. Returns -1
 * when the call is to be framed in full (the connection was just turned
 * over to the full framer), else 0. Global: verified once, not inside
 * every caller's paths.
 */
__attribute__((noinline)) int bt_boundary(struct bt_conn *c, const struct bt_inflight *in,
					  __u64 bytes, __u64 now)
{
	if (!c || !in)
		return 0;
	if (c->req.phase == H1_OFF)
		return 0; /* another protocol, or upgraded */
	if (in->ingress == (c->role == BT_ROLE_SERVER))
		return bt_bnd_request(c, in, bytes, now);
	bt_bnd_response(c, in, bytes, now);
	return 0;
}

/* The connection closes (or a client reads its end): report its request. */
static __always_inline void bt_bnd_close(struct bt_conn *c)
{
	struct bt_pending *p = &c->pend[c->head & BT_PIPE_MASK];

	if (!c->count)
		return;
	if (!c->resp.status)
		bt_emit(c, p, &c->resp, bpf_ktime_get_ns(), BT_REQ_NO_RESPONSE);
	else if (bt_bnd_claim(c))
		bt_emit(c, p, &c->resp, c->resp.last_ns, 0);
	c->count = 0;
}

/*
 * A send or receive seen by the socket hooks: 1 when boundary framing took
 * it, 0 when the full framer is to (bt_io_done). Only the socket hooks
 * call this: in the nine syscall exit programs the boundary framer would
 * cost start-up seconds of verification for a mode the daemon turns on
 * with the socket hooks only.
 */
static __always_inline int bt_bnd_call(struct bt_conn *c, const struct bt_inflight *in, long ret,
				       __u64 now)
{
	if ((c->flags & BT_CONN_DB) || !bt_boundary_on(c))
		return 0;
	if (ret == 0 && in->ingress && c->role == BT_ROLE_CLIENT)
		bt_bnd_close(c);
	return ret <= 0 || !bt_boundary(c, in, ret, now);
}

/*
 * The daemon's sweep (capture.framing_idle): an answered request whose
 * connection has been quiet for bt_config.bnd_idle_ns is reported now,
 * with the owner's identity, instead of at the next request or the close.
 * The record is filled before the held answer is taken, and dropped if
 * the connection took it first: the owner may be opening the next request
 * in pend[] meanwhile, and a record taken after that would mix the two.
 * Bytes the answer still sends after this go unreported.
 */
SEC("iter/bpf_map_elem")
int bt_bnd_sweep(struct bpf_iter__bpf_map_elem *ctx)
{
	struct bt_conn *c = ctx->value;
	struct bt_http_record *r;
	struct bt_config *cfg;
	__u32 zero = 0;
	void *ring;
	__u64 h;

	cfg = bpf_map_lookup_elem(&bt_config, &zero);
	if (!c || !cfg || cfg->framing != BT_FRAMING_BOUNDARY || !cfg->bnd_idle_ns)
		return 0;
	h = c->bnd_held;
	/* boundary framing keeps its one request in pend[0] (an iterator may
	 * not index a map value with a variable) */
	if (!h || !c->owner_tgid || c->head || (c->flags & (BT_CONN_FRAMED | BT_CONN_TLS)) ||
	    bpf_ktime_get_ns() - c->resp.last_ns < cfg->bnd_idle_ns)
		return 0;
	/* the connection's ring, where its next request's records go (the
	 * shared one if it has sent none yet: the reader merges by time) */
	ring = bt_ring_at(c->ring);
	if (!ring || !(r = bt_reserve_counted(ring, sizeof(*r))))
		return 0;
	bt_fill_owner_hdr(&r->hdr, r->comm, BT_EV_HTTP, sizeof(*r), c->resp.last_ns, c);
	bt_fill_http(r, c, &c->pend[0], &c->resp, c->resp.last_ns, 0);
	if (__sync_val_compare_and_swap(&c->bnd_held, h, 0) != h) {
		bpf_ringbuf_discard(r, 0);
		return 0;
	}
	bpf_ringbuf_submit(r, 0);
	bt_count(BT_CNT_RECORDS);
	bt_count(BT_CNT_BND_SWEPT);
	return 0;
}

#endif
