/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Socket-layer hooks (capture.hooks: socket): the framing of
 * sock_probes.bpf.h fed by the socket layer's own tracepoints instead of
 * syscall tracepoints. While any syscall tracepoint is attached, every
 * syscall of every task takes the kernel's slow path (the bench's floors
 * measure it); these fire only when a socket sends or receives.
 *
 * A connection is keyed by its struct sock: opened at the handshake
 * (inet_sock_set_state, SYN_SENT or SYN_RECV -> ESTABLISHED), met at its
 * first send or receive when it predates the observer (role from the
 * listening ports, framing from the next message start), and forgotten
 * when the application closes it or the kernel frees it. The caller's buffer
 * comes from the registers its syscall saved, as the read exits in
 * sock_probes.bpf.h do; its process is stamped on the connection at the
 * first send or receive, for records sent from another task's context.
 *
 * Not seen in this mode: a client request's start before its send returns
 * (it is timed at the return), connect() failures before any SYN, and the
 * setuid family (priv_probes.bpf.h), whose tracepoints are syscall ones.
 */
#ifndef BIOTHINGS_SOCK_LAYER_BPF_H
#define BIOTHINGS_SOCK_LAYER_BPF_H

#include "maps.bpf.h"
#include "conn_track.bpf.h"
#include "sock_probes.bpf.h"

/* x86_64 syscall numbers (arch/x86/entry/syscalls/syscall_64.tbl) of the
 * calls whose buffer a send or receive can be read from. */
#define BT_NR_READ 0
#define BT_NR_WRITE 1
#define BT_NR_READV 19
#define BT_NR_WRITEV 20
#define BT_NR_SENDTO 44
#define BT_NR_RECVFROM 45
#define BT_NR_SENDMSG 46
#define BT_NR_RECVMSG 47

#define BT_SHUTDOWN_MASK 3 /* RCV_SHUTDOWN | SEND_SHUTDOWN, include/net/sock.h */
#define BT_PF_KTHREAD 0x00200000 /* include/linux/sched.h */

/* What the syscall in progress handed over, from its saved registers; a
 * send or receive from anywhere else (sendfile, splice, io_uring) moved
 * bytes this program cannot see. */
static __always_inline void bt_sk_args(struct bt_inflight *in)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());

	in->kind = BT_IO_OPAQUE;
	if (!regs)
		return;
	switch (regs->orig_ax) {
	case BT_NR_READ:
	case BT_NR_WRITE:
	case BT_NR_RECVFROM:
	case BT_NR_SENDTO:
		in->kind = BT_IO_BUF;
		break;
	case BT_NR_READV:
	case BT_NR_WRITEV:
		in->kind = BT_IO_IOV;
		break;
	case BT_NR_RECVMSG:
	case BT_NR_SENDMSG:
		in->kind = BT_IO_MSG;
		break;
	}
	bt_regs_args(in, regs);
}

static __always_inline int bt_listening(__u16 port)
{
	__u32 word = port / 64;
	__u64 *w = bpf_map_lookup_elem(&bt_listen_ports, &word);

	return w && (*w & (1ull << (port & 63)));
}

static __always_inline void bt_listen_mark(__u16 port)
{
	__u32 word = port / 64;
	__u64 *w = bpf_map_lookup_elem(&bt_listen_ports, &word);

	if (w)
		__sync_fetch_and_or(w, 1ull << (port & 63));
}

/* A new entry for sk in bt_sk_conns; phase H1_DESYNC when met mid-stream. */
static __always_inline struct bt_conn *bt_sk_insert(struct sock *sk, __u32 slot, __u8 role,
						    __u8 phase)
{
	__u64 key = (__u64)sk;
	struct bt_conn *c = bt_conn_blank(slot);

	if (!c || bt_fill_addrs(c, sk))
		return NULL;
	c->role = role;
	c->req.phase = phase;
	c->resp.phase = phase;
	if (role == BT_ROLE_CLIENT)
		c->flags |= bt_db_flags(c->rport);
	if (bpf_map_update_elem(&bt_sk_conns, &key, c, BPF_ANY)) {
		bt_count(BT_DROP_CONN_MAP_FULL);
		return NULL;
	}
	bt_count(phase == H1_IDLE ? BT_CNT_CONN_OPENED : BT_CNT_CONN_ADOPTED);
	return bpf_map_lookup_elem(&bt_sk_conns, &key);
}

/* A TCP socket met at a send or receive with no entry: opened before the
 * observer started (or evicted from a full map). One already reset or
 * shut down is left alone: no request of it can still be paired. */
static __always_inline struct bt_conn *bt_sk_adopt(struct sock *sk)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u16 port = sk->__sk_common.skc_num;
	__u8 state = sk->__sk_common.skc_state;

	if (state != TCP_ESTABLISHED && state != TCP_CLOSE_WAIT)
		return NULL;
	if ((task->flags & BT_PF_KTHREAD) || bt_is_self(bpf_get_current_pid_tgid() >> 32))
		return NULL;
	return bt_sk_insert(sk, BT_BLANK_TASK, bt_listening(port) ? BT_ROLE_SERVER : BT_ROLE_CLIENT,
			    H1_DESYNC);
}

/* The process behind the connection's first send or receive; the
 * observer's own sockets, kernel threads' and those of processes a
 * capture.ignore rule names are left alone for good. */
static __always_inline int bt_sk_own(struct bt_conn *c)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 id = bpf_get_current_pid_tgid();
	__u32 zero = 0;
	struct bt_config *cfg = bpf_map_lookup_elem(&bt_config, &zero);

	if (!cfg || bt_cfg_self(cfg, id >> 32) || (task->flags & BT_PF_KTHREAD))
		goto ignore;
	c->owner_tgid = id >> 32;
	c->owner_tid = (__u32)id;
	c->owner_cgroup = bpf_get_current_cgroup_id();
	bpf_get_current_comm(c->owner_comm, sizeof(c->owner_comm));
	if (cfg->ignore_rules && bt_rule_ignored(cfg, c->owner_comm, c->owner_cgroup))
		goto ignore;
	return 0;
ignore:
	c->flags |= BT_CONN_IGNORED;
	return -1;
}

static __always_inline struct bt_conn *bt_sk_conn(struct sock *sk)
{
	__u64 key = (__u64)sk;
	struct bt_conn *c;

	if (sk->sk_protocol != BT_IPPROTO_TCP)
		return NULL;
	c = bpf_map_lookup_elem(&bt_sk_conns, &key);
	if (!c && !(c = bt_sk_adopt(sk)))
		return NULL;
	if (c->flags & BT_CONN_IGNORED)
		return NULL;
	if (!c->owner_tgid && bt_sk_own(c))
		return NULL;
	return c;
}

/* The TLS probes bind a session to the last non-HTTP socket its thread used. */
static __always_inline void bt_sk_remember(struct sock *sk)
{
	struct bt_task *t = bpf_task_storage_get(&bt_tasks, bpf_get_current_task_btf(), 0,
						 BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (t)
		t->last_sk = (__u64)sk;
}

static __always_inline void bt_sk_io(struct sock *sk, long ret, __u8 ingress)
{
	struct bt_inflight in = { .ingress = ingress };
	struct bt_conn *c = bt_sk_conn(sk);

	if (!c)
		return;
	bt_sk_args(&in);
	in.enter_ns = bpf_ktime_get_ns();
	if (!bt_bnd_call(c, &in, ret, in.enter_ns))
		bt_io_done(c, &in, ret, in.enter_ns);
	if (c->flags & BT_CONN_NOT_HTTP)
		bt_sk_remember(sk);
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(bt_sk_recv, struct sock *sk, int ret, int flags)
{
	if (ret >= 0 && !(flags & BT_MSG_PEEK)) /* a peek's bytes will be read again */
		bt_sk_io(sk, ret, 1);
	return 0;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(bt_sk_send, struct sock *sk, int ret, int flags)
{
	if (ret > 0)
		bt_sk_io(sk, ret, 0);
	return 0;
}

/* Report what is still pending and forget the connection. */
static __always_inline void bt_sk_gone(struct sock *sk)
{
	__u64 key = (__u64)sk;
	struct bt_conn *c = bpf_map_lookup_elem(&bt_sk_conns, &key);

	if (!c)
		return;
	if (c->owner_tgid && c->owner_tgid != bpf_get_current_pid_tgid() >> 32)
		c->flags |= BT_CONN_STAMP_OWNER;
	bt_conn_ended(c);
	bpf_map_delete_elem(&bt_sk_conns, &key);
}

/*
 * Handshakes open connections; the application's close (the state change
 * it makes with both directions shut) ends them. A shutdown(SHUT_WR) alone
 * keeps the connection: its answers are still to be read. A reset does not
 * end one either: it may arrive while the owner is inside a send on the
 * socket (its backlog is processed as the send releases the socket), whose
 * bytes still count; bt_sk_destroy ends it.
 */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(bt_sk_state, struct sock *sk, int oldstate, int newstate)
{
	__u32 zero = 0;
	struct bt_config *cfg;

	if (sk->sk_protocol != BT_IPPROTO_TCP)
		return 0;
	switch (newstate) {
	case TCP_ESTABLISHED:
		cfg = bpf_map_lookup_elem(&bt_config, &zero);
		if (!cfg || !cfg->enabled)
			return 0;
		if (oldstate == TCP_SYN_SENT)
			bt_sk_insert(sk, BT_BLANK_SOFTIRQ, BT_ROLE_CLIENT, H1_IDLE);
		else if (oldstate == TCP_SYN_RECV)
			bt_sk_insert(sk, BT_BLANK_SOFTIRQ, BT_ROLE_SERVER, H1_IDLE);
		return 0;
	case TCP_LISTEN:
		bt_listen_mark(sk->__sk_common.skc_num);
		return 0;
	case TCP_FIN_WAIT1:
	case TCP_LAST_ACK:
		if (sk->sk_shutdown == BT_SHUTDOWN_MASK)
			bt_sk_gone(sk);
		return 0;
	}
	return 0;
}

/* The kernel frees the socket: whatever is left of it (reset, aborted, never
 * closed cleanly) is reported from here, in whatever context frees it. */
SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(bt_sk_destroy, struct sock *sk)
{
	bt_sk_gone(sk);
	return 0;
}

#endif
