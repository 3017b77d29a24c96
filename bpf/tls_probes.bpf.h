/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * OpenSSL uprobes: SSL_write/SSL_read and their _ex twins hand us the
 * plaintext of every TLS session, which then goes through the same
 * framing, pairing and capture as a plaintext socket. Sessions are keyed
 * by {tgid, SSL *}; addresses come from the socket the same thread last
 * moved bytes on, when there is one.
 *
 * The daemon attaches these to each libssl and to binaries that carry
 * OpenSSL statically (node); SEC("uprobe") without a path is not
 * auto-attached.
 */
#ifndef BIOTHINGS_TLS_PROBES_BPF_H
#define BIOTHINGS_TLS_PROBES_BPF_H

#include "scan.bpf.h"

struct bt_tls_args {
	__u64 ssl;
	__u64 buf;
	__u64 out; /* size_t * of the _ex calls, 0 otherwise */
	__u64 enter_ns;
	__u8 ingress;
	__u8 _pad[7];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BT_INFLIGHT_MAX);
	__type(key, __u64);
	__type(value, struct bt_tls_args);
} bt_tls_inflight SEC(".maps");

static __always_inline int bt_tls_enter(void *ssl, const void *buf, void *out, __u8 ingress)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct bt_tls_args a = {};

	if (bt_is_self(id >> 32))
		return 0;
	a.ssl = (__u64)ssl;
	a.buf = (__u64)buf;
	a.out = (__u64)out;
	a.enter_ns = bpf_ktime_get_ns();
	a.ingress = ingress;
	if (bpf_map_update_elem(&bt_tls_inflight, &id, &a, BPF_ANY))
		bt_count(BT_DROP_TLS_INFLIGHT_FULL);
	return 0;
}

/* Addresses and role from the socket this thread last used (its fd, or
 * with the socket-layer hooks its struct sock). */
static __always_inline void bt_tls_bind_socket(struct bt_conn *c, __u64 id)
{
	struct bt_task *t = bpf_task_storage_get(&bt_tasks, bpf_get_current_task_btf(), 0, 0);
	struct bt_conn_key key;
	struct bt_conn *sock;

	if (!t)
		return;
	key.tgid = id >> 32;
	key.fd = t->last_fd;
	sock = t->last_sk ? bpf_map_lookup_elem(&bt_sk_conns, &t->last_sk) :
			    bpf_map_lookup_elem(&bt_conns, &key);
	if (!sock)
		return;
	__builtin_memcpy(c->laddr, sock->laddr, sizeof(c->laddr));
	__builtin_memcpy(c->raddr, sock->raddr, sizeof(c->raddr));
	c->lport = sock->lport;
	c->rport = sock->rport;
	c->family = sock->family;
	if (sock->role != BT_ROLE_UNKNOWN)
		c->role = sock->role;
}

static __always_inline struct bt_conn *bt_tls_conn(struct bt_tls_key *key, __u64 id, __u8 ingress)
{
	struct bt_conn *c = bpf_map_lookup_elem(&bt_tls_conns, key);

	if (c)
		return c;
	c = bt_conn_blank(BT_BLANK_TASK);
	if (!c)
		return NULL;
	/* HTTP clients speak first: the first plaintext direction tells the role */
	c->role = ingress ? BT_ROLE_SERVER : BT_ROLE_CLIENT;
	c->flags = BT_CONN_TLS | (bt_current_ignored() ? BT_CONN_IGNORED : 0);
	bt_tls_bind_socket(c, id);
	if (bpf_map_update_elem(&bt_tls_conns, key, c, BPF_NOEXIST)) {
		bt_count(BT_DROP_CONN_MAP_FULL);
		return NULL;
	}
	bt_count(BT_CNT_CONN_OPENED);
	return bpf_map_lookup_elem(&bt_tls_conns, key);
}

static __always_inline int bt_tls_exit(long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct bt_tls_args *p, a;
	struct bt_tls_key key = {};
	struct bt_inflight in = {};
	struct bt_conn *c;
	__u64 bytes = 0;

	p = bpf_map_lookup_elem(&bt_tls_inflight, &id);
	if (!p)
		return 0;
	a = *p;
	bpf_map_delete_elem(&bt_tls_inflight, &id);
	if (a.out) {
		if (ret != 1 || bpf_probe_read_user(&bytes, sizeof(bytes), (void *)a.out))
			return 0;
	} else if (ret > 0) {
		bytes = ret;
	}
	if (!bytes)
		return 0;
	key.tgid = id >> 32;
	key.ssl = a.ssl;
	c = bt_tls_conn(&key, id, a.ingress);
	if (!c || (c->flags & BT_CONN_IGNORED))
		return 0;
	in.enter_ns = a.enter_ns;
	in.buf = a.buf;
	in.count = bytes;
	in.kind = BT_IO_BUF;
	in.ingress = a.ingress;
	bt_walk(c, &in, bytes, bpf_ktime_get_ns());
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(bt_ssl_write, void *ssl, const void *buf, int num)
{
	return bt_tls_enter(ssl, buf, NULL, 0);
}

SEC("uprobe")
int BPF_KPROBE(bt_ssl_read, void *ssl, void *buf, int num)
{
	return bt_tls_enter(ssl, buf, NULL, 1);
}

SEC("uprobe")
int BPF_KPROBE(bt_ssl_write_ex, void *ssl, const void *buf, size_t num, size_t *written)
{
	return bt_tls_enter(ssl, buf, written, 0);
}

SEC("uprobe")
int BPF_KPROBE(bt_ssl_read_ex, void *ssl, void *buf, size_t num, size_t *readbytes)
{
	return bt_tls_enter(ssl, buf, readbytes, 1);
}

/* One return probe serves all four: the args stashed at entry say which.
 * All four return int: the upper half of the register is not the sign. */
SEC("uretprobe")
int BPF_KRETPROBE(bt_ssl_ret, int ret)
{
	return bt_tls_exit(ret);
}

SEC("uprobe")
int BPF_KPROBE(bt_ssl_free, void *ssl)
{
	struct bt_tls_key key = { .tgid = bpf_get_current_pid_tgid() >> 32, .ssl = (__u64)ssl };
	struct bt_conn *c = bpf_map_lookup_elem(&bt_tls_conns, &key);

	if (!c)
		return 0;
	if (!(c->flags & BT_CONN_IGNORED))
		bt_on_close(c);
	bpf_map_delete_elem(&bt_tls_conns, &key);
	bt_count(BT_CNT_CONN_CLOSED);
	return 0;
}

#endif
