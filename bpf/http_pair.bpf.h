/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Pairs HTTP/1.x requests with responses on one connection and sends one
 * bt_http_record per finished pair. Requests queue in the connection's
 * pend[] ring (pipelining); each response takes the oldest. When framing
 * is lost the whole connection resynchronises rather than risk pairing a
 * response with the wrong request.
 */
#ifndef BIOTHINGS_HTTP_PAIR_BPF_H
#define BIOTHINGS_HTTP_PAIR_BPF_H

#include "maps.bpf.h"
#include "capture.bpf.h"

#define BT_PIPE_MASK (BT_PIPELINE_MAX - 1)

/* The record of request p on c, header aside. */
static __always_inline void bt_fill_http(struct bt_http_record *r, const struct bt_conn *c,
					 const struct bt_pending *p, const struct h1_dir *resp,
					 __u64 end_ns, __u8 flags)
{
	r->conn_id = c->conn_id;
	r->start_ns = p->start_ns;
	r->end_ns = end_ns;
	r->req_bytes = p->req_bytes;
	r->resp_bytes = (flags & BT_REQ_NO_RESPONSE) ? 0 : resp->msg_bytes;
	r->status = (flags & BT_REQ_NO_RESPONSE) ? 0 : resp->status;
	r->method = p->method;
	r->role = c->role;
	r->family = c->family;
	r->flags = p->flags | flags | ((c->flags & BT_CONN_TLS) ? BT_REQ_TLS : 0);
	r->path_len = p->path_len;
	r->lport = c->lport;
	r->rport = c->rport;
	r->_pad = 0;
	bt_copy16(r->laddr, c->laddr);
	bt_copy16(r->raddr, c->raddr);
	__builtin_memcpy(r->path, p->path, sizeof(r->path));
}

/* A captured exchange's record follows its bytes into the shared ring;
 * the rest go to the connection's ring (biothings/events.h). */
static __always_inline void bt_emit(struct bt_conn *c, struct bt_pending *p, struct h1_dir *resp,
				    __u64 end_ns, __u8 flags)
{
	__u32 idx = (p->flags & BT_REQ_CAPTURED) ? BT_RING_SHARED : bt_conn_ring(c);
	void *ring = bt_ring_at(idx);
	struct bt_http_record *r;

	if (!ring || !(r = bt_reserve_counted(ring, sizeof(*r))))
		return;
	bt_fill_conn_hdr(&r->hdr, r->comm, BT_EV_HTTP, sizeof(*r), end_ns, c);
	bt_fill_http(r, c, p, resp, end_ns, flags);
	bpf_ringbuf_submit(r, bt_wake_flag(ring, idx, sizeof(*r)));
	bt_count(BT_CNT_RECORDS);
}

/* Forget every pending request and wait for a clean message start. */
static __always_inline void bt_desync(struct bt_conn *c, __u32 reason)
{
	bt_count(reason);
	bt_count_n(BT_DROP_ABANDONED, c->count);
	c->count = 0;
	c->head = 0;
	c->flags &= ~BT_CONN_CAP_REQ;
	if (c->req.phase != H1_OFF)
		c->req.phase = H1_DESYNC;
	if (c->resp.phase != H1_OFF)
		c->resp.phase = H1_DESYNC;
}

/*
 * Bytes that do not parse. On a connection that never carried HTTP this
 * is another protocol (TLS, a database, ...): stop looking, it is not a
 * drop. After HTTP was seen it is lost framing, and counted.
 */
static __always_inline void bt_on_error(struct bt_conn *c)
{
	if (c->flags & BT_CONN_SEEN_HTTP) {
		bt_desync(c, BT_DROP_PARSE_ERROR);
		return;
	}
	c->flags |= BT_CONN_NOT_HTTP;
	c->count = 0;
	c->req.phase = H1_OFF;
	c->resp.phase = H1_OFF;
	bt_count(BT_CNT_NOT_HTTP);
}

/* Returns 1 when a request marked for capture or inspection begins. */
static __always_inline int bt_on_request(struct bt_conn *c, int ev)
{
	struct bt_pending *p;
	__u16 len;
	int copy;

	if (ev == H1_EV_ERROR) {
		bt_on_error(c);
		return 0;
	}
	if (ev == H1_EV_END) {
		c->flags &= ~BT_CONN_CAP_REQ;
		if (!c->count)
			return 0; /* already answered (early response) */
		p = &c->pend[(c->head + c->count - 1) & BT_PIPE_MASK];
		p->req_bytes = c->req.msg_bytes;
		p->done = 1;
		return 0;
	}
	if (c->count >= BT_PIPELINE_MAX) {
		bt_desync(c, BT_DROP_PIPELINE_FULL);
		return 0;
	}
	c->flags |= BT_CONN_SEEN_HTTP;
	p = &c->pend[(c->head + c->count) & BT_PIPE_MASK];
	len = c->req.target_len;
	p->flags = 0;
	if (len > BT_PATH_MAX) {
		len = BT_PATH_MAX;
		p->flags = BT_REQ_PATH_TRUNCATED;
		bt_count(BT_CNT_PATH_TRUNCATED);
	}
	p->start_ns = c->req.msg_start_ns;
	p->req_bytes = 0;
	p->path_len = len;
	p->method = c->req.method;
	p->done = 0;
	__builtin_memcpy(p->path, c->target.b, sizeof(p->path));
	c->count++;
	copy = bt_capture_wanted(c);
	if (!copy)
		return 0;
	p->flags |= copy;
	c->flags |= BT_CONN_CAP_REQ;
	return 1;
}

static __always_inline void bt_on_response(struct bt_conn *c, int ev, __u64 now)
{
	struct bt_pending *p;
	__u16 status = c->resp.status;

	if (ev == H1_EV_ERROR) {
		bt_on_error(c);
		return;
	}
	if (!c->count) {
		bt_desync(c, BT_DROP_UNPAIRED_RESPONSE);
		return;
	}
	p = &c->pend[c->head & BT_PIPE_MASK];
	if (ev == H1_EV_BEGIN) {
		if (p->method == BT_M_HEAD)
			c->resp.flags |= H1F_NO_BODY;
		return;
	}
	if (status >= 100 && status < 200 && status != 101)
		return; /* interim answer: the final one is still to come */
	if (!p->done)
		p->req_bytes = c->req.msg_bytes; /* answered before fully read */
	bt_emit(c, p, &c->resp, now, status == 101 ? BT_REQ_UPGRADED : 0);
	c->head = (c->head + 1) & BT_PIPE_MASK;
	c->count--;
	if (status == 101) {
		c->req.phase = H1_OFF;
		c->resp.phase = H1_OFF;
	}
}

/* Peer closed its side: a close-delimited response is complete. */
static __always_inline void bt_on_eof(struct bt_conn *c, __u64 now)
{
	struct bt_pending *p;

	if (c->resp.phase != H1_BODY_EOF || !c->count)
		return;
	p = &c->pend[c->head & BT_PIPE_MASK];
	bt_emit(c, p, &c->resp, now, BT_REQ_CLOSE_DELIMITED);
	c->head = (c->head + 1) & BT_PIPE_MASK;
	c->count--;
	c->resp.phase = H1_IDLE;
}

/* The fd is going away: report every request still waiting. */
static __always_inline void bt_on_close(struct bt_conn *c)
{
	struct bt_pending *p;
	__u8 flags;
	__u8 ph = c->resp.phase;
	__u64 end = c->resp.last_ns;
	int i;

	if (!c->count)
		return;
	p = &c->pend[c->head & BT_PIPE_MASK];
	if (ph == H1_BODY_EOF)
		flags = BT_REQ_CLOSE_DELIMITED;
	else if (ph >= H1_HEADERS && ph <= H1_TRAILERS)
		flags = BT_REQ_INCOMPLETE;
	else if (ph == H1_START_LINE && c->resp.status)
		flags = BT_REQ_INCOMPLETE;
	else
		flags = BT_REQ_NO_RESPONSE;
	if (flags == BT_REQ_NO_RESPONSE)
		end = bpf_ktime_get_ns();
	bt_emit(c, p, &c->resp, end, flags);
#pragma unroll
	for (i = 1; i < BT_PIPELINE_MAX; i++) {
		if (i >= c->count)
			break;
		p = &c->pend[(c->head + i) & BT_PIPE_MASK];
		bt_emit(c, p, &c->resp, bpf_ktime_get_ns(), BT_REQ_NO_RESPONSE);
	}
	c->count = 0;
}

#endif
