/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Outbound TCP byte counts for the egress detector, and how each outbound
 * connection ended for the connection-error metric: the socket state
 * tracepoint names the opener at connect (SYN_SENT runs in the caller's
 * context) and gives the kernel's own totals and sk_err at close (tcp_sock
 * counts every byte, whatever the protocol and whoever wrote it), so one
 * record per connection and no per-send cost. Connections still open are
 * only counted when they close. A connect() that fails before any SYN
 * (no route) never reaches these states: sys_exit_connect reports it.
 */
#ifndef BIOTHINGS_FLOW_PROBES_BPF_H
#define BIOTHINGS_FLOW_PROBES_BPF_H

#include "maps.bpf.h"
#include "conn_track.bpf.h"

#define BT_TCP_ESTABLISHED 1
#define BT_TCP_SYN_SENT 2
#define BT_TCP_CLOSE 7
#define BT_AF_INET 2
#define BT_AF_INET6 10
#define BT_IPPROTO_TCP 6

struct bt_flow_owner {
	__u64 start_ns;
	__u32 tgid, tid;
	char comm[BT_COMM_LEN];
	__u32 established;
	__u32 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, BT_CONN_MAX);
	__type(key, __u64); /* struct sock * */
	__type(value, struct bt_flow_owner);
} bt_flow_owners SEC(".maps");

static __always_inline void bt_flow_opened(__u64 sk)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct bt_flow_owner o = { .start_ns = bpf_ktime_get_ns(),
				   .tgid = id >> 32,
				   .tid = (__u32)id };

	struct bt_task *t;

	if (bt_is_self(o.tgid))
		return;
	bpf_get_current_comm(o.comm, sizeof(o.comm));
	if (bpf_map_update_elem(&bt_flow_owners, &sk, &o, BPF_ANY))
		bt_count(BT_DROP_CONN_MAP_FULL);
	/* the connect() in flight now fails through this probe, not its return */
	t = bpf_task_storage_get(&bt_tasks, bpf_get_current_task_btf(), 0, 0);
	if (t && t->pending && t->in.kind == BT_IO_CONNECT)
		t->syn_sent = 1;
}

static __always_inline void bt_flow_established(__u64 sk)
{
	struct bt_flow_owner *o = bpf_map_lookup_elem(&bt_flow_owners, &sk);

	if (o)
		o->established = 1;
}

/* How it ended: never established, established with a socket error, or clean. */
static __always_inline void bt_flow_outcome(struct bt_flow_record *r, const struct bt_flow_owner *o,
					    __u64 sk)
{
	int err = BPF_CORE_READ((struct sock *)sk, sk_err);

	r->err = err > 0 && err < 256 ? err : 0;
	if (!o->established)
		r->outcome = BT_FLOW_CONNECT_FAILED;
	else
		r->outcome = r->err ? BT_FLOW_ERROR : BT_FLOW_CLOSED;
}

static __always_inline void bt_flow_closed(struct trace_event_raw_inet_sock_set_state *ctx,
					   __u64 sk)
{
	struct bt_flow_owner *o = bpf_map_lookup_elem(&bt_flow_owners, &sk);
	struct tcp_sock *tp = (struct tcp_sock *)sk;
	struct bt_flow_record *r;

	if (!o)
		return;
	r = bpf_ringbuf_reserve(&bt_events, sizeof(*r), 0);
	if (!r) {
		bt_count(BT_DROP_RINGBUF_FULL);
		bpf_map_delete_elem(&bt_flow_owners, &sk);
		return;
	}
	bt_fill_hdr(&r->hdr, BT_EV_FLOW, sizeof(*r));
	r->hdr.tgid = o->tgid; /* the opener, not whoever runs the close */
	r->hdr.tid = o->tid;
	r->bytes_sent = BPF_CORE_READ(tp, bytes_acked);
	r->bytes_received = BPF_CORE_READ(tp, bytes_received);
	r->start_ns = o->start_ns;
	r->family = ctx->family;
	r->dport = ctx->dport;
	r->sport = ctx->sport;
	bt_flow_outcome(r, o, sk);
	/* a helper read: the verifier refuses loads through a ctx pointer clang has moved */
	__builtin_memset(r->daddr, 0, sizeof(r->daddr));
	if (ctx->family == BT_AF_INET)
		bpf_probe_read_kernel(r->daddr, 4, ctx->daddr);
	else
		bpf_probe_read_kernel(r->daddr, 16, ctx->daddr_v6);
	__builtin_memcpy(r->comm, o->comm, sizeof(r->comm));
	bpf_ringbuf_submit(r, 0);
	bpf_map_delete_elem(&bt_flow_owners, &sk);
}

SEC("tracepoint/sock/inet_sock_set_state")
int bt_sock_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	__u64 sk = (__u64)ctx->skaddr;

	if (ctx->protocol != BT_IPPROTO_TCP)
		return 0;
	if (ctx->newstate == BT_TCP_SYN_SENT)
		bt_flow_opened(sk);
	else if (ctx->newstate == BT_TCP_ESTABLISHED && ctx->oldstate == BT_TCP_SYN_SENT)
		bt_flow_established(sk);
	else if (ctx->newstate == BT_TCP_CLOSE)
		bt_flow_closed(ctx, sk);
	return 0;
}

/* connect() errors worth counting; the rest are the caller's mistakes or
 * retries (EINTR, EALREADY, EINPROGRESS, EBADF, EINVAL, ...). */
static __always_inline int bt_connect_err_counted(long err)
{
	switch (err) {
	case 1: /* EPERM: a firewall said no */
	case 13: /* EACCES: prohibit route */
	case 98: /* EADDRINUSE */
	case 99: /* EADDRNOTAVAIL: no local port left */
	case 100: /* ENETDOWN */
	case 101: /* ENETUNREACH */
	case 104: /* ECONNRESET */
	case 110: /* ETIMEDOUT */
	case 111: /* ECONNREFUSED */
	case 112: /* EHOSTDOWN */
	case 113: /* EHOSTUNREACH */
		return 1;
	}
	return 0;
}

/* sockaddr_in6 is the largest we read; sockaddr_in is its prefix. */
struct bt_sockaddr {
	__u16 family;
	__u16 port; /* network order */
	__u8 v4[4]; /* sockaddr_in: address; sockaddr_in6: flowinfo */
	__u8 v6[16];
};

/*
 * A connect() on a TCP socket failed before sending a SYN (a SYN makes the
 * state probe report it at CLOSE): one bt_flow_record, outcome
 * BT_FLOW_CONNECT_ERROR, destination from the caller's sockaddr.
 */
static __always_inline void bt_flow_connect_error(int fd, __u64 uaddr, long err, __u64 start_ns)
{
	struct bt_flow_record *r;
	struct bt_sockaddr sa = {};
	struct sock *sk;

	if (!bt_connect_err_counted(err) || !uaddr)
		return;
	sk = bt_fd_sock(fd);
	if (!sk || BPF_CORE_READ(sk, sk_protocol) != BT_IPPROTO_TCP)
		return;
	if (bpf_probe_read_user(&sa, sizeof(sa), (void *)uaddr) &&
	    bpf_probe_read_user(&sa, 8, (void *)uaddr))
		return; /* a short sockaddr_in at the end of a page */
	if (sa.family != BT_AF_INET && sa.family != BT_AF_INET6)
		return;
	r = bpf_ringbuf_reserve(&bt_events, sizeof(*r), 0);
	if (!r) {
		bt_count(BT_DROP_RINGBUF_FULL);
		return;
	}
	bt_fill_hdr(&r->hdr, BT_EV_FLOW, sizeof(*r));
	r->bytes_sent = 0;
	r->bytes_received = 0;
	r->start_ns = start_ns;
	r->family = sa.family;
	r->dport = bpf_ntohs(sa.port);
	r->sport = 0;
	r->outcome = BT_FLOW_CONNECT_ERROR;
	r->err = err;
	__builtin_memset(r->daddr, 0, sizeof(r->daddr));
	if (sa.family == BT_AF_INET)
		__builtin_memcpy(r->daddr, sa.v4, 4);
	else
		__builtin_memcpy(r->daddr, sa.v6, 16);
	bpf_get_current_comm(r->comm, sizeof(r->comm));
	bpf_ringbuf_submit(r, 0);
}

#endif
