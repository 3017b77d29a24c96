/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Maps of the socket tracer. Key and value types come from include/ so
 * bpftool shows named fields and the daemon reads the same layout.
 */
#ifndef BIOTHINGS_MAPS_BPF_H
#define BIOTHINGS_MAPS_BPF_H

#include "biothings/conn.h"
#include "biothings/counters.h"
#include "biothings/events.h"

/* tracked TCP connections: {tgid, fd} -> parse state and pending requests */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, BT_CONN_MAX);
	__type(key, struct bt_conn_key);
	__type(value, struct bt_conn);
} bt_conns SEC(".maps");

/* Socket-layer hooks (capture.hooks: socket): tracked TCP connections by
 * struct sock address, met at their handshake or first send/receive and
 * forgotten when the application closes them. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, BT_CONN_MAX);
	__type(key, __u64);
	__type(value, struct bt_conn);
} bt_sk_conns SEC(".maps");

/* TCP ports something listens on, a bit each: the role of a connection
 * first met mid-stream (opened before the observer started). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BT_LISTEN_PORT_WORDS);
	__type(key, __u32);
	__type(value, __u64);
} bt_listen_ports SEC(".maps");

/* Arguments of a syscall in progress on a tracked socket, kept from
 * sys_enter to sys_exit in the thread's struct bt_task below. */
struct bt_inflight {
	__u64 enter_ns;
	__u64 buf; /* buffer, iovec array or msghdr, by kind */
	__u64 count; /* length or iovec count */
	__s32 fd;
	__u8 kind; /* enum bt_io_kind */
	__u8 ingress; /* 1: read side */
	__u8 _pad[2];
};

enum bt_io_kind {
	BT_IO_BUF = 0,
	BT_IO_IOV = 1,
	BT_IO_MSG = 2,
	BT_IO_OPAQUE = 3, /* sendfile: bytes moved, none visible */
	BT_IO_CONNECT = 4,
};

/*
 * Per-thread state in task storage rather than a hash keyed by pid_tgid:
 * the kernel hangs it off the task, so entry and exit cost a pointer
 * chase instead of a hash update and delete on every hooked syscall.
 */
struct bt_task {
	struct bt_inflight in; /* valid while `pending` */
	__s32 last_fd; /* last tracked socket this thread moved bytes on (0 until one) */
	__u32 pending;
	__u32 syn_sent; /* the connect() in flight sent a SYN: its failure is the flow probe's */
	__u32 _pad;
	__u64 last_sk; /* socket-layer hooks: last non-HTTP socket (TLS) this thread used */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct bt_task);
} bt_tasks SEC(".maps");

/* TLS sessions: {tgid, SSL *} -> the same parse state as a socket */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, BT_CONN_MAX);
	__type(key, struct bt_tls_key);
	__type(value, struct bt_conn);
} bt_tls_conns SEC(".maps");

/* Request-path suffixes that mark an exchange for payload capture. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BT_CAPTURE_PATHS_MAX);
	__type(key, __u32);
	__type(value, struct bt_capture_path);
} bt_capture_paths SEC(".maps");

/* Database server ports: port (host order) -> enum bt_db_system. Client
 * connections to them send bt_dbio_record instead of being framed as HTTP. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BT_DB_PORTS_MAX);
	__type(key, __u16);
	__type(value, __u8);
} bt_db_ports SEC(".maps");

/* capture.ignore (biothings/conn.h): task name -> mask of rules. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BT_IGNORE_RULES_MAX);
	__type(key, char[BT_COMM_LEN]);
	__type(value, __u64);
} bt_ignore_comms SEC(".maps");

/* capture.ignore: cgroup v2 id -> mask of rules, kept by the daemon. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BT_IGNORE_CGROUPS_MAX);
	__type(key, __u64);
	__type(value, __u64);
} bt_ignore_cgroups SEC(".maps");

/* TCP retransmits per peer; bounded, the least recently hit peer goes first. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, BT_RETRANS_MAX);
	__type(key, struct bt_retrans_key);
	__type(value, __u64);
} bt_retransmits SEC(".maps");

struct bt_ring_map {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, BT_RINGBUF_BYTES);
} bt_events SEC(".maps");

/* The rings records travel in (BT_RING_SHARED in biothings/events.h):
 * the loader sizes it to 1 + possible CPUs and fills the CPUs' slots. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct bt_ring_map);
} bt_rings SEC(".maps") = {
	.values = { [BT_RING_SHARED] = &bt_events },
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BT_CNT__COUNT);
	__type(key, __u32);
	__type(value, __u64);
} bt_counters SEC(".maps");

static __always_inline void bt_count(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&bt_counters, &which);

	if (v)
		*v += 1;
}

static __always_inline void bt_count_n(__u32 which, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&bt_counters, &which);

	if (v)
		*v += n;
}

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bt_config);
} bt_config SEC(".maps");

/* One scan window per CPU: bytes copied from user memory for parsing. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct h1_window);
} bt_scratch SEC(".maps");

/*
 * What one CPU knows of a ring without reading its positions: the bytes
 * waiting when it last looked, and what it has sent since. Those
 * positions sit on lines every producer and the reader write, and under
 * load reading them for each record cost ~100 ns a call
 * (docs/performance.md), so the hot path (HTTP records, request heads)
 * looks once per quarter wake-up batch it sends. Per CPU and per slot of
 * bt_rings: a CPU writes its own ring but for connections that moved to
 * it, and its views stay in its cache. What other CPUs sent to the same
 * ring meanwhile is not seen: the estimate is low by at most that much.
 */
struct bt_ring_view {
	__u64 waiting; /* at the last look */
	__u64 sent; /* by this CPU since */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1); /* as bt_rings, set by the loader */
	__type(key, __u32);
	__type(value, struct bt_ring_view);
} bt_ring_views SEC(".maps");

/* Slot idx of bt_rings (BT_RING_SHARED, or 1 + a CPU), NULL and counted
 * when the loader left it empty. */
static __always_inline void *bt_ring_at(__u32 idx)
{
	void *ring = bpf_map_lookup_elem(&bt_rings, &idx);

	if (!ring)
		bt_count(BT_DROP_RINGBUF_FULL); /* no ring is as good as a full one */
	return ring;
}

/* The slot of c's records: the ring of the CPU that sent its first. */
static __always_inline __u32 bt_conn_ring(struct bt_conn *c)
{
	if (!c->ring)
		c->ring = bpf_get_smp_processor_id() + 1;
	return c->ring;
}

/*
 * Wake the reader only once a batch waits: waking per record is the
 * expensive part of a ringbuf (PERF_NOTES). A batch is a quarter of the
 * ring, at most BT_WAKEUP_BYTES, so a small ring is drained long before it
 * fills. The reader also polls on a short timer, so nothing waits long.
 * Not larger: what one wake-up hands the daemon it works through at
 * once, on a CPU the observed processes need, and 256 KiB (~430 nginx
 * requests) of it doubled their p99; 32 KiB (~50) keeps those bursts
 * short at no cost in throughput (docs/performance.md).
 */
#define BT_WAKEUP_BYTES (32u << 10)
static __always_inline __u64 bt_ring_batch(__u64 ring)
{
	return ring / 4 < BT_WAKEUP_BYTES ? ring / 4 : BT_WAKEUP_BYTES;
}

/* Bytes waiting in ring as its view v sees them, counting `size` more
 * being sent; it looks every quarter batch sent. */
static __always_inline __u64 bt_ring_waiting(void *ring, struct bt_ring_view *v, __u64 size,
					     __u64 batch)
{
	v->sent += size;
	if (v->sent >= batch / 4) {
		v->waiting = bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA);
		v->sent = 0;
	}
	return v->waiting + v->sent;
}

/* The wake-up flag for a record of `size` bytes about to be submitted to
 * ring, slot idx of bt_rings. */
static __always_inline __u64 bt_wake_flag(void *ring, __u32 idx, __u64 size)
{
	__u64 batch = bt_ring_batch(bpf_ringbuf_query(ring, BPF_RB_RING_SIZE));
	struct bt_ring_view *v = bpf_map_lookup_elem(&bt_ring_views, &idx);

	if (!v)
		return 0; /* the kernel's own rule: wake a reader that has caught up */
	if (bt_ring_waiting(ring, v, size, batch) <= batch)
		return BPF_RB_NO_WAKEUP;
	v->waiting = 0; /* woken, the reader drains what waits */
	return BPF_RB_FORCE_WAKEUP;
}

/*
 * The common header every ringbuf record starts with, stamped ts_ns: a
 * clock read the caller already made in this program run (each read is
 * ~50 ns on a VM's clock source, several per request otherwise).
 */
static __always_inline void bt_fill_hdr_cg(struct bt_event_hdr *h, __u16 type, __u16 size,
					   __u64 ts_ns, __u64 cgroup_id)
{
	__u64 id = bpf_get_current_pid_tgid();

	h->type = type;
	h->size = size;
	h->tgid = id >> 32;
	h->tid = (__u32)id;
	h->_pad = 0;
	h->ts_ns = ts_ns;
	h->cgroup_id = cgroup_id;
}

static __always_inline void bt_fill_hdr_at(struct bt_event_hdr *h, __u16 type, __u16 size,
					   __u64 ts_ns)
{
	bt_fill_hdr_cg(h, type, size, ts_ns, bpf_get_current_cgroup_id());
}

static __always_inline void bt_fill_hdr(struct bt_event_hdr *h, __u16 type, __u16 size)
{
	bt_fill_hdr_at(h, type, size, bpf_ktime_get_ns());
}

/* Does the current task belong to the process that owns c (socket-layer
 * hooks: stamped at its first send or receive)? */
static __always_inline int bt_owner_runs(const struct bt_conn *c)
{
	return c->owner_tgid && c->owner_tgid == bpf_get_current_pid_tgid() >> 32;
}

/* Sixteen bytes (an address) as two words: clang copies a byte array
 * byte by byte, 64 instructions for the two addresses of a record. */
static __always_inline void bt_copy16(__u8 *dst, const __u8 *src)
{
	__u64 *d = (__u64 *)(unsigned long)dst;
	const __u64 *s = (const __u64 *)(unsigned long)src;

	d[0] = s[0];
	d[1] = s[1];
}

/* The header and comm of a record about c, all from the owner's stamp:
 * for a record sent where another task runs (the kernel freeing the
 * socket, a child, or an iterator the daemon runs). */
static __always_inline void bt_fill_owner_hdr(struct bt_event_hdr *h, char *comm, __u16 type,
					      __u16 size, __u64 ts_ns, const struct bt_conn *c)
{
	bt_fill_hdr_cg(h, type, size, ts_ns, c->owner_cgroup);
	__builtin_memcpy(comm, c->owner_comm, BT_COMM_LEN);
	h->tgid = c->owner_tgid;
	h->tid = c->owner_tid;
}

/*
 * The header and comm of a record about connection c, stamped ts_ns. The
 * process it is about: the current task, except for a record sent where
 * another task runs (the socket-layer hooks end a connection where its
 * last reference goes: a child that inherited it, or the kernel freeing
 * it), which carries the identity its owner left at the socket's first
 * send or receive. When the owner itself sends it, the cgroup and comm come
 * from that stamp too: two helper calls fewer per record on the hot path
 * (a thread renamed after the connection's first use keeps its old name
 * in the connection's records).
 */
static __always_inline void bt_fill_conn_hdr(struct bt_event_hdr *h, char *comm, __u16 type,
					     __u16 size, __u64 ts_ns, const struct bt_conn *c)
{
	if (!(c->flags & BT_CONN_STAMP_OWNER) && !bt_owner_runs(c)) {
		bt_fill_hdr_at(h, type, size, ts_ns);
		bpf_get_current_comm(comm, BT_COMM_LEN);
		return;
	}
	bt_fill_hdr_cg(h, type, size, ts_ns, c->owner_cgroup);
	__builtin_memcpy(comm, c->owner_comm, BT_COMM_LEN);
	if (c->flags & BT_CONN_STAMP_OWNER) {
		h->tgid = c->owner_tgid;
		h->tid = c->owner_tid;
	}
}

/* Whether a payload record may be written with `waiting` bytes in a ring
 * of `ring` bytes: not while less than 1/2^shift of it is free. */
static __always_inline int bt_payload_room(__u64 waiting, __u64 ring, __u32 shift)
{
	if (waiting + (ring >> shift) < ring)
		return 1;
	bt_count(BT_DROP_PAYLOAD_SHED);
	return 0;
}

static __always_inline void *bt_reserve_counted(void *ring, __u64 size)
{
	void *r = bpf_ringbuf_reserve(ring, size, 0);

	if (!r)
		bt_count(BT_DROP_RINGBUF_FULL);
	return r;
}

/*
 * A payload record (captured bytes) on the shared ring, or NULL, counted.
 * Payload comes in bursts (an answer read at loopback speed) that would
 * otherwise fill the ring and crowd out what says a call happened at all
 * (bt_http_record): the record is not written while less than 1/2^shift
 * of the ring is free (BT_*_HEADROOM_SHIFT), as read from the ring itself.
 */
static __always_inline void *bt_payload_reserve(__u64 size, __u32 shift)
{
	if (!bt_payload_room(bpf_ringbuf_query(&bt_events, BPF_RB_AVAIL_DATA),
			     bpf_ringbuf_query(&bt_events, BPF_RB_RING_SIZE), shift))
		return NULL;
	return bt_reserve_counted(&bt_events, size);
}

/* The same for a record of the hot path (a served request's head) on
 * ring, slot idx, by this CPU's estimate of it (bt_ring_views; the ring
 * itself if there is none). */
static __always_inline void *bt_payload_reserve_est(void *ring, __u32 idx, __u64 size, __u32 shift)
{
	__u64 n = bpf_ringbuf_query(ring, BPF_RB_RING_SIZE);
	struct bt_ring_view *v = bpf_map_lookup_elem(&bt_ring_views, &idx);
	__u64 waiting = v ? bt_ring_waiting(ring, v, 0, bt_ring_batch(n)) :
			    bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA);

	if (!bt_payload_room(waiting, n, shift))
		return NULL;
	return bt_reserve_counted(ring, size);
}

#endif
