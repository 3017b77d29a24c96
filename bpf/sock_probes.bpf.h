/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Syscall tracepoint handlers: which fds are tracked sockets, what each
 * read/write/sendfile moved on them, and when they close.
 *
 * Hot path discipline: every read/write in the system hits these
 * tracepoints, so enter handlers do one hash lookup and leave unless the
 * fd is a tracked socket.
 */
#ifndef BIOTHINGS_SOCK_PROBES_BPF_H
#define BIOTHINGS_SOCK_PROBES_BPF_H

#include "scan.bpf.h"
#include "db_probes.bpf.h"
#include "flow_probes.bpf.h"
#include "boundary.bpf.h"

#define BT_MSG_PEEK 2
#define BT_EINPROGRESS 115

/* --- sys_enter: remember what a tracked socket is asked to do --------- */

static __always_inline int bt_enter(int fd, __u64 buf, __u64 count, __u8 kind, __u8 ingress)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct bt_conn_key key = { .tgid = id >> 32, .fd = fd };
	struct bt_task *t;

	if (kind != BT_IO_CONNECT && !bpf_map_lookup_elem(&bt_conns, &key))
		return 0;
	t = bpf_task_storage_get(&bt_tasks, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!t) {
		bt_count(BT_DROP_INFLIGHT_MAP_FULL);
		return 0;
	}
	t->in.enter_ns = bpf_ktime_get_ns();
	t->in.buf = buf;
	t->in.count = count;
	t->in.fd = fd;
	t->in.kind = kind;
	t->in.ingress = ingress;
	t->pending = 1;
	t->syn_sent = 0;
	return 0;
}

/* --- sys_exit: act on what happened ------------------------------------ */

/* What a call that moved bytes on tracked connection c did. */
static __always_inline void bt_io_done(struct bt_conn *c, struct bt_inflight *in, long ret,
				       __u64 now)
{
	if (c->flags & BT_CONN_DB) {
		bt_db_io(c, in, ret, now);
		return;
	}
	if (ret == 0 && in->ingress && c->role == BT_ROLE_CLIENT)
		bt_on_eof(c, now);
	if (ret > 0)
		bt_walk(c, in, ret, now);
}

/* A write (or connect) stashed at entry has returned. */
static __always_inline int bt_exit(long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct bt_inflight in;
	struct bt_conn_key key;
	struct bt_conn *c;
	struct bt_task *t;

	t = bpf_task_storage_get(&bt_tasks, bpf_get_current_task_btf(), 0, 0);
	if (!t || !t->pending)
		return 0;
	in = t->in;
	t->pending = 0;
	if (in.kind == BT_IO_CONNECT) {
		if (ret == 0 || ret == -BT_EINPROGRESS)
			bt_track(id >> 32, in.fd, BT_ROLE_CLIENT);
		else if (ret < 0 && !t->syn_sent)
			bt_flow_connect_error(in.fd, in.buf, -ret, in.enter_ns);
		return 0;
	}
	key.tgid = id >> 32;
	key.fd = in.fd;
	c = bpf_map_lookup_elem(&bt_conns, &key);
	if (!c)
		return 0;
	t->last_fd = in.fd;
	bt_io_done(c, &in, ret, bpf_ktime_get_ns());
	return 0;
}

/*
 * A read (or sendfile) returned. Its arguments are still in the registers
 * the task saved at syscall entry (bpf_task_pt_regs), so these calls need
 * no entry program: one hooked program instead of two on the busiest
 * calls. peek_arg is the argument holding MSG_PEEK, or 0 for calls without
 * one. sendfile is timed at its return: a client request sent with it
 * starts there (servers, who use it for bodies, never need its start).
 */
#if defined(__TARGET_ARCH_x86)
#define BT_ARG1(r) ((r)->di)
#define BT_ARG2(r) ((r)->si)
#define BT_ARG3(r) ((r)->dx)
#define BT_ARG4(r) ((r)->r10)
#else
#error "syscall argument registers are defined for x86_64 only"
#endif

/* The buffer (iovec array, msghdr) and iovec count of a call of in->kind,
 * from the registers its syscall saved: (fd, buffer, count, ...). A call
 * of kind BT_IO_OPAQUE moved bytes that cannot be read. */
static __always_inline void bt_regs_args(struct bt_inflight *in, struct pt_regs *regs)
{
	in->buf = in->kind == BT_IO_OPAQUE ? 0 : BT_ARG2(regs);
	in->count = in->kind == BT_IO_MSG || in->kind == BT_IO_OPAQUE ? 0 : BT_ARG3(regs);
}

static __always_inline int bt_exit_args_call(long ret, __u8 kind, __u8 ingress, int peek_arg)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	__u64 id = bpf_get_current_pid_tgid();
	struct bt_inflight in = { .kind = kind, .ingress = ingress };
	struct bt_conn_key key;
	struct bt_conn *c;
	struct bt_task *t;

	if (!regs)
		return 0;
	key.tgid = id >> 32;
	key.fd = BT_ARG1(regs);
	c = bpf_map_lookup_elem(&bt_conns, &key);
	if (!c)
		return 0;
	if ((peek_arg == 3 && (BT_ARG3(regs) & BT_MSG_PEEK)) ||
	    (peek_arg == 4 && (BT_ARG4(regs) & BT_MSG_PEEK)))
		return 0; /* the same bytes will be read again */
	in.fd = key.fd;
	bt_regs_args(&in, regs);
	t = bpf_task_storage_get(&bt_tasks, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (t)
		t->last_fd = in.fd;
	in.enter_ns = bpf_ktime_get_ns();
	bt_io_done(c, &in, ret, in.enter_ns);
	return 0;
}

/* A tracked connection is going: a database client's close, or the HTTP
 * requests it still holds, are reported (unless it was left alone); the
 * caller deletes its entry. */
static __always_inline void bt_conn_ended(struct bt_conn *c)
{
	bt_count(BT_CNT_CONN_CLOSED);
	if (c->flags & BT_CONN_IGNORED)
		return;
	if (c->flags & BT_CONN_DB)
		bt_db_emit(c, NULL, 0, BT_DBIO_CLOSE, bpf_ktime_get_ns());
	else if (bt_boundary_on(c))
		bt_bnd_close(c);
	else
		bt_on_close(c);
}

static __always_inline void bt_forget(int fd)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct bt_conn_key key = { .tgid = id >> 32, .fd = fd };
	struct bt_conn *c = bpf_map_lookup_elem(&bt_conns, &key);

	if (!c)
		return;
	bt_conn_ended(c);
	bpf_map_delete_elem(&bt_conns, &key);
}

#define ARG(n) (ctx->args[n])

static __always_inline int bt_accepted(long fd)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (fd >= 0 && !bt_is_self(tgid))
		bt_track(tgid, fd, BT_ROLE_SERVER);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept")
int bt_exit_accept(struct trace_event_raw_sys_exit *ctx)
{
	return bt_accepted(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int bt_exit_accept4(struct trace_event_raw_sys_exit *ctx)
{
	return bt_accepted(ctx->ret);
}

SEC("tracepoint/syscalls/sys_enter_connect")
int bt_enter_connect(struct trace_event_raw_sys_enter *ctx)
{
	if (bt_is_self(bpf_get_current_pid_tgid() >> 32))
		return 0;
	return bt_enter(ARG(0), ARG(1), 0, BT_IO_CONNECT, 0); /* the sockaddr, for errors */
}

/* Calls whose first three arguments are fd, buffer (or iovec), count. */
#define BT_ENTER(name, kind, ingress)                                   \
	SEC("tracepoint/syscalls/sys_enter_" #name)                     \
	int bt_enter_##name(struct trace_event_raw_sys_enter *ctx)      \
	{                                                               \
		return bt_enter(ARG(0), ARG(1), ARG(2), kind, ingress); \
	}

BT_ENTER(write, BT_IO_BUF, 0)
BT_ENTER(sendto, BT_IO_BUF, 0)
BT_ENTER(writev, BT_IO_IOV, 0)

SEC("tracepoint/syscalls/sys_enter_sendmsg")
int bt_enter_sendmsg(struct trace_event_raw_sys_enter *ctx)
{
	return bt_enter(ARG(0), ARG(1), 0, BT_IO_MSG, 0);
}

/* One exit handler per syscall: tracepoint programs attach to one event. */
#define BT_EXIT(name)                                            \
	SEC("tracepoint/syscalls/sys_exit_" #name)               \
	int bt_exit_##name(struct trace_event_raw_sys_exit *ctx) \
	{                                                        \
		return bt_exit(ctx->ret);                        \
	}

BT_EXIT(connect)
BT_EXIT(write)
BT_EXIT(sendto)
BT_EXIT(writev)
BT_EXIT(sendmsg)

/* Reads: one exit program each, arguments from the saved registers. */
#define BT_EXIT_READ(name, kind, peek_arg)                             \
	SEC("tracepoint/syscalls/sys_exit_" #name)                     \
	int bt_exit_##name(struct trace_event_raw_sys_exit *ctx)       \
	{                                                              \
		return bt_exit_args_call(ctx->ret, kind, 1, peek_arg); \
	}

BT_EXIT_READ(read, BT_IO_BUF, 0)
BT_EXIT_READ(recvfrom, BT_IO_BUF, 4)
BT_EXIT_READ(readv, BT_IO_IOV, 0)
BT_EXIT_READ(recvmsg, BT_IO_MSG, 3)

SEC("tracepoint/syscalls/sys_exit_sendfile64")
int bt_exit_sendfile64(struct trace_event_raw_sys_exit *ctx)
{
	return bt_exit_args_call(ctx->ret, BT_IO_OPAQUE, 0, 0); /* (out_fd, in_fd, offset, count) */
}

SEC("tracepoint/syscalls/sys_enter_close")
int bt_enter_close(struct trace_event_raw_sys_enter *ctx)
{
	bt_forget(ARG(0));
	return 0;
}

/* dup2/dup3 onto a tracked fd close it first. */
SEC("tracepoint/syscalls/sys_enter_dup2")
int bt_enter_dup2(struct trace_event_raw_sys_enter *ctx)
{
	if (ARG(0) != ARG(1))
		bt_forget(ARG(1));
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_dup3")
int bt_enter_dup3(struct trace_event_raw_sys_enter *ctx)
{
	bt_forget(ARG(1));
	return 0;
}

#endif
