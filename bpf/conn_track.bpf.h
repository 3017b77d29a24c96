/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Which fds are TCP sockets worth following, and where they lead.
 * Called at accept/connect exit only: walking the fd table costs a few
 * dependent loads, too many for every read and write.
 */
#ifndef BIOTHINGS_CONN_TRACK_BPF_H
#define BIOTHINGS_CONN_TRACK_BPF_H

#include "maps.bpf.h"

#define BT_AF_INET 2
#define BT_AF_INET6 10
#define BT_SOCK_STREAM 1
#define BT_IPPROTO_TCP 6

/* Nothing of tgid's is tracked: the observer's own, or tracking paused. */
static __always_inline int bt_cfg_self(const struct bt_config *cfg, __u32 tgid)
{
	return !cfg || !cfg->enabled || cfg->self_tgid == tgid;
}

static __always_inline int bt_is_self(__u32 tgid)
{
	__u32 zero = 0;

	return bt_cfg_self(bpf_map_lookup_elem(&bt_config, &zero), tgid);
}

/* Does a task of this name and cgroup match a capture.ignore rule
 * (biothings/conn.h)? Asked once per connection, when its owner is met. */
static __always_inline int bt_rule_ignored(const struct bt_config *cfg, const char *comm,
					   __u64 cgroup_id)
{
	__u64 *by_comm = bpf_map_lookup_elem(&bt_ignore_comms, comm);
	__u64 *by_cgroup = bpf_map_lookup_elem(&bt_ignore_cgroups, &cgroup_id);
	__u64 m = ((by_comm ? *by_comm : 0) | cfg->ignore_any_comm) &
		  ((by_cgroup ? *by_cgroup : 0) | cfg->ignore_any_cgroup);

	if (!(m & cfg->ignore_rules))
		return 0;
	bt_count(BT_CNT_CONN_IGNORED_RULE);
	return 1;
}

/* The same for the current task; no helper call while no rule is set. */
static __always_inline int bt_current_ignored(void)
{
	__u32 zero = 0;
	struct bt_config *cfg = bpf_map_lookup_elem(&bt_config, &zero);
	char comm[BT_COMM_LEN];

	if (!cfg || !cfg->ignore_rules)
		return 0;
	bpf_get_current_comm(comm, sizeof(comm));
	return bt_rule_ignored(cfg, comm, bpf_get_current_cgroup_id());
}

/* struct sock behind fd in the current task, or NULL. */
static __always_inline struct sock *bt_fd_sock(int fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds;
	struct file *f = NULL;
	struct socket *sock;

	if (!fdt || fd < 0 || (unsigned int)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) || !f)
		return NULL;
	sock = BPF_CORE_READ(f, private_data);
	if (!sock || BPF_CORE_READ(sock, type) != BT_SOCK_STREAM)
		return NULL;
	return BPF_CORE_READ(sock, sk);
}

static __always_inline int bt_fill_addrs(struct bt_conn *c, struct sock *sk)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	if (BPF_CORE_READ(sk, sk_protocol) != BT_IPPROTO_TCP)
		return -1;
	/* explicit sizes: BPF_CORE_READ_INTO would take sizeof one array byte */
	if (family == BT_AF_INET) {
		bpf_core_read(c->laddr, 4, &sk->__sk_common.skc_rcv_saddr);
		bpf_core_read(c->raddr, 4, &sk->__sk_common.skc_daddr);
	} else if (family == BT_AF_INET6) {
		bpf_core_read(c->laddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(c->raddr, 16, &sk->__sk_common.skc_v6_daddr);
	} else {
		return -1;
	}
	c->family = family;
	c->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	c->rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	return 0;
}

/* Scratch conn for initialisation: struct bt_conn is too big for the
 * 512-byte stack. Slot BT_BLANK_TASK for programs in a task's context,
 * BT_BLANK_SOFTIRQ for the socket state probe, which may interrupt them
 * on the same CPU. */
enum { BT_BLANK_TASK = 0, BT_BLANK_SOFTIRQ = 1, BT_BLANK_SLOTS = 2 };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BT_BLANK_SLOTS);
	__type(key, __u32);
	__type(value, struct bt_conn);
} bt_conn_init SEC(".maps");

/* A zeroed connection with a fresh id, in per-CPU scratch slot `slot`, to
 * fill and copy into a map; NULL if the scratch map is missing. */
static __always_inline struct bt_conn *bt_conn_blank(__u32 slot)
{
	struct bt_conn *c = bpf_map_lookup_elem(&bt_conn_init, &slot);

	if (!c)
		return NULL;
	__builtin_memset(c, 0, sizeof(*c));
	c->conn_id = (bpf_ktime_get_ns() << 6) | (bpf_get_smp_processor_id() & 63);
	return c;
}

/* BT_CONN_DB_* for a client of a database port (db.ports), else 0. */
static __always_inline __u32 bt_db_flags(__u16 rport)
{
	__u8 *sys = bpf_map_lookup_elem(&bt_db_ports, &rport);

	if (!sys)
		return 0;
	return *sys == BT_DB_REDIS	? BT_CONN_DB_REDIS :
	       *sys == BT_DB_POSTGRESQL ? BT_CONN_DB_POSTGRESQL :
					  0;
}

static __always_inline void bt_track(__u32 tgid, int fd, __u8 role)
{
	struct bt_conn_key key = { .tgid = tgid, .fd = fd };
	struct bt_conn *c;
	struct sock *sk;

	sk = bt_fd_sock(fd);
	if (!sk)
		return;
	c = bt_conn_blank(BT_BLANK_TASK);
	if (!c || bt_fill_addrs(c, sk) || bt_current_ignored())
		return;
	c->role = role;
	if (role == BT_ROLE_CLIENT)
		c->flags |= bt_db_flags(c->rport);
	if (bpf_map_update_elem(&bt_conns, &key, c, BPF_ANY)) {
		bt_count(BT_DROP_CONN_MAP_FULL);
		return;
	}
	bt_count(BT_CNT_CONN_OPENED);
}

#endif
