/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Database client connections (server port listed in db.ports) and TCP
 * retransmits. A database connection is not framed here: each read and
 * write sends one fixed-size record with the call's first and last bytes.
 * Redis and PostgreSQL messages carry their lengths, so the daemon frames
 * them by count from those bytes; a parser per protocol in BPF would cost
 * verifier budget and per-byte work for no better answer. The cost per
 * call is bounded (two small copies), whatever the call moved.
 */
#ifndef BIOTHINGS_DB_PROBES_BPF_H
#define BIOTHINGS_DB_PROBES_BPF_H

#include "maps.bpf.h"
#include "cursor.bpf.h"
#include "http_pair.bpf.h"

/* The record being filled, with slack behind it: a copy at an offset
 * below BT_DBIO_HEAD of at most BT_DBIO_HEAD bytes then stays inside the
 * map value as far as the verifier can tell, which it cannot from the
 * real bounds (it does not relate offset and length). */
struct bt_db_scratch {
	struct bt_dbio_record r;
	__u8 slack[BT_DBIO_HEAD];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bt_db_scratch);
} bt_db_scratch SEC(".maps");

#define BT_DB_TO_TAIL (1u << 31)

/*
 * Copy n bytes (n & 0xff, at most BT_DBIO_HEAD, or BT_DBIO_TAIL with
 * BT_DB_TO_TAIL) found `skip` bytes past the cursor into the record's head
 * or tail, across iovec segments. Global: verified once. 0 when done.
 */
__attribute__((noinline)) int bt_db_gather(struct bt_cursor *k, struct bt_db_scratch *sc,
					   __u32 skip, __u32 n_sel)
{
	__u32 n = n_sel & 0xff, done = 0, i;
	__u64 avail, chunk;
	void *src;

	if (!k || !sc)
		return -1;
	for (i = 0; i < BT_IOV_MAX + 2; i++) {
		if (done >= n)
			return 0;
		avail = bt_cursor_avail(k);
		if (!avail)
			return -1;
		if (skip) {
			chunk = avail < skip ? avail : skip;
			bt_cursor_advance(k, chunk);
			skip -= chunk;
			continue;
		}
		chunk = avail < n - done ? avail : n - done;
		src = (void *)(k->base + k->off);
		if (n_sel & BT_DB_TO_TAIL) {
			if (chunk > BT_DBIO_TAIL)
				chunk = BT_DBIO_TAIL;
			if (bpf_probe_read_user(sc->r.tail + (done & (BT_DBIO_TAIL - 1)), chunk,
						src))
				return -1;
		} else {
			if (chunk > BT_DBIO_HEAD)
				chunk = BT_DBIO_HEAD;
			if (bpf_probe_read_user(sc->r.head + (done & (BT_DBIO_HEAD - 1)), chunk,
						src))
				return -1;
		}
		bt_cursor_advance(k, chunk);
		done += chunk;
	}
	return done >= n ? 0 : -1;
}

/* The head and tail of the call's bytes; 0, or -1 if some were unreadable. */
static __always_inline int bt_db_copy(struct bt_db_scratch *sc, const struct bt_inflight *in,
				      __u32 bytes, __u32 hl, __u32 tl)
{
	struct bt_cursor k;

	if (!hl || in->kind == BT_IO_OPAQUE)
		return hl ? -1 : 0;
	if (bt_cursor_init(&k, in, bytes) || bt_db_gather(&k, sc, 0, hl))
		return -1;
	if (tl && bt_db_gather(&k, sc, bytes - hl - tl, tl | BT_DB_TO_TAIL))
		return -1;
	return 0;
}

/* One bt_dbio_record, in the connection's ring (the reader parses its
 * bytes in order); in is NULL for BT_DBIO_CLOSE. */
static __always_inline void bt_db_emit(struct bt_conn *c, const struct bt_inflight *in, __u32 bytes,
				       __u8 dir, __u64 ts)
{
	__u32 zero = 0, hl, tl, idx = bt_conn_ring(c);
	struct bt_db_scratch *sc = bpf_map_lookup_elem(&bt_db_scratch, &zero);
	void *ring = bt_ring_at(idx);
	struct bt_dbio_record *r;

	if (!sc || !ring)
		return;
	r = &sc->r;
	hl = bytes < BT_DBIO_HEAD ? bytes : BT_DBIO_HEAD;
	tl = bytes - hl < BT_DBIO_TAIL ? bytes - hl : BT_DBIO_TAIL;
	bt_fill_conn_hdr(&r->hdr, r->comm, BT_EV_DBIO, sizeof(*r), bpf_ktime_get_ns(), c);
	r->conn_id = c->conn_id;
	r->io_ns = ts;
	r->io_len = bytes;
	r->dir = dir;
	r->system = (c->flags & BT_CONN_DB_REDIS) ? BT_DB_REDIS : BT_DB_POSTGRESQL;
	r->head_len = hl;
	r->tail_len = tl;
	r->family = c->family;
	r->flags = 0;
	r->rport = c->rport;
	r->_pad = 0;
	bt_copy16(r->raddr, c->raddr);
	__builtin_memset(r->head, 0, sizeof(r->head));
	__builtin_memset(r->tail, 0, sizeof(r->tail));
	if (in && bt_db_copy(sc, in, bytes, hl, tl)) {
		r->flags |= BT_DBIO_LOST;
		bt_count(BT_DROP_READ_USER);
	}
	if (bpf_ringbuf_output(ring, r, sizeof(*r), bt_wake_flag(ring, idx, sizeof(*r))))
		bt_count(BT_DROP_RINGBUF_FULL);
	else
		bt_count(BT_CNT_DBIO);
}

/* A read or write that returned on a database connection. */
static __always_inline void bt_db_io(struct bt_conn *c, const struct bt_inflight *in, long ret,
				     __u64 now)
{
	if (ret == 0 && in->ingress) {
		bt_db_emit(c, NULL, 0, BT_DBIO_CLOSE, now); /* the server closed */
		return;
	}
	if (ret <= 0)
		return;
	if (in->ingress)
		bt_db_emit(c, in, ret, BT_DBIO_RESPONSE, now);
	else
		bt_db_emit(c, in, ret, BT_DBIO_REQUEST, in->enter_ns);
}

/* --- TCP retransmits per peer ------------------------------------------ */

SEC("tracepoint/tcp/tcp_retransmit_skb")
int bt_tcp_retransmit(struct trace_event_raw_tcp_retransmit_skb *ctx)
{
	struct bt_retrans_key key = {};
	__u16 family = ctx->family;
	__u64 one = 1, *v;

	key.family = family;
	key.port = ctx->dport;
	/* helper reads: the verifier refuses loads through a ctx pointer clang has moved */
	if (family == 2)
		bpf_probe_read_kernel(key.addr, 4, ctx->daddr);
	else if (family == 10)
		bpf_probe_read_kernel(key.addr, 16, ctx->daddr_v6);
	else
		return 0;
	v = bpf_map_lookup_elem(&bt_retransmits, &key);
	if (v) {
		__sync_fetch_and_add(v, 1);
		return 0;
	}
	if (!bpf_map_update_elem(&bt_retransmits, &key, &one, BPF_NOEXIST)) {
		bt_count(BT_CNT_RETRANS_DESTS);
		return 0;
	}
	v = bpf_map_lookup_elem(&bt_retransmits, &key); /* another CPU added it first */
	if (v)
		__sync_fetch_and_add(v, 1);
	return 0;
}

#endif
