// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Socket tracer: follows TCP connections through syscall tracepoints and
 * frames HTTP/1.x on them in the kernel, so only one compact record per
 * request crosses to userspace.
 *
 * Hot path discipline: every read/write in the system hits these
 * tracepoints, so enter handlers do one hash lookup and leave unless the
 * fd is a tracked socket. Bytes are copied only while a start line,
 * headers or chunk sizes are being read; bodies are skipped by count.
 *
 * kprobes and fentry are absent on the kernel we are tested on; a faster
 * tcp_sendmsg/tcp_recvmsg path can feed the same bt_scan_* code later.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#define H1_FN __attribute__((noinline)) /* global: verified once */
#include "h1_parse.h"
#include "maps.bpf.h"
#include "conn_track.bpf.h"
#include "http_pair.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Puts the ringbuf record type into the object's BTF (a type used only
 * through ringbuf pointers is not emitted), for bpftool and the ABI test. */
struct bt_http_record *bt_abi_http_record __attribute__((unused));

#define BT_MSG_PEEK 2
#define BT_EINPROGRESS 115

/* State of walking one syscall's bytes, shared with bpf_loop rounds. */
struct bt_scan {
	struct bt_conn *c;
	struct bt_scratch *scratch;
	__u64 base; /* user address of the current segment */
	__u64 seg_len;
	__u64 off; /* within the current segment */
	__u64 left; /* bytes of the syscall not walked yet */
	__u64 iov; /* user address of the iovec array, 0 if none */
	__u64 ts_first; /* stamp for a message starting in this syscall */
	__u64 now;
	__u32 iov_idx;
	__u32 iov_cnt;
	__u32 is_request;
	__u32 at_start; /* nothing of this syscall walked yet */
	__u32 opaque; /* bytes exist but cannot be read (sendfile) */
	__u32 done;
};

static __always_inline struct h1_dir *bt_dir(struct bt_scan *s)
{
	return s->is_request ? &s->c->req : &s->c->resp;
}

static __always_inline void bt_handle(struct bt_scan *s, int ev)
{
	if (ev == H1_EV_NONE)
		return;
	if (s->is_request)
		bt_on_request(s->c, ev);
	else
		bt_on_response(s->c, ev, s->now);
}

/* Move to the next iovec; 0 when there is one. */
static __always_inline int bt_next_segment(struct bt_scan *s)
{
	struct iovec v;

	if (!s->iov || s->iov_idx >= s->iov_cnt)
		return -1;
	if (s->iov_idx >= BT_IOV_MAX) {
		bt_count(BT_DROP_IOV_LIMIT);
		return -1;
	}
	if (bpf_probe_read_user(&v, sizeof(v), (void *)(s->iov + s->iov_idx * sizeof(v)))) {
		bt_count(BT_DROP_READ_USER);
		return -1;
	}
	s->iov_idx++;
	s->base = (__u64)v.iov_base;
	s->seg_len = v.iov_len < s->left ? v.iov_len : s->left;
	s->off = 0;
	return 0;
}

/* Leave H1_DESYNC only where a syscall starts with a plausible message. */
static __always_inline int bt_try_resync(struct bt_scan *s, struct h1_dir *d)
{
	__u8 c0;

	if (!s->at_start || s->opaque || s->off >= s->seg_len)
		return -1;
	if (bpf_probe_read_user(&c0, 1, (void *)(s->base + s->off)))
		return -1;
	if (!h1_can_start(c0, s->is_request) || (!s->is_request && !s->c->count))
		return -1;
	d->phase = H1_IDLE;
	bt_count(BT_CNT_RESYNCED);
	return 0;
}

/*
 * Step through n bytes of a window until an event or a phase that skips
 * bytes. Global, so the verifier checks its loop once, not once per
 * caller path. Returns consumed << 8 | event.
 */
#define BT_WIN_REQUEST (1u << 31)
__attribute__((noinline)) int bt_scan_bytes(struct bt_scratch *sc, struct h1_dir *d,
					     struct h1_target *t, __u32 n_req, __u64 ts)
{
	__u32 n = n_req & ~BT_WIN_REQUEST;
	__u32 is_request = !!(n_req & BT_WIN_REQUEST);
	int ev = H1_EV_NONE;
	__u32 i;

	if (!sc || !d || !t)
		return H1_EV_ERROR;
	for (i = 0; i < BT_SCAN_WINDOW && i < n; i++) {
		ev = h1_step(d, sc->b[i], is_request, t, ts);
		if (ev != H1_EV_NONE || !h1_reads_bytes(d)) {
			i++;
			break;
		}
	}
	return (int)(i << 8) | ev;
}

/* Parse one window of bytes; returns bytes consumed. */
static __always_inline __u64 bt_scan_window(struct bt_scan *s, struct h1_dir *d, __u64 avail,
					    int *ev)
{
	__u32 n = avail > BT_SCAN_WINDOW ? BT_SCAN_WINDOW : avail;
	int r;

	*ev = H1_EV_NONE;
	if (bpf_probe_read_user(s->scratch->b, n & (BT_SCAN_WINDOW - 1) ?: BT_SCAN_WINDOW,
				(void *)(s->base + s->off))) {
		bt_count(BT_DROP_READ_USER);
		*ev = H1_EV_ERROR;
		d->phase = H1_DESYNC;
		return avail;
	}
	r = bt_scan_bytes(s->scratch, d, &s->c->target, n | (s->is_request ? BT_WIN_REQUEST : 0),
			  s->ts_first);
	*ev = r & 0xff;
	return (__u32)r >> 8;
}

static long bt_scan_round(__u32 idx, void *arg)
{
	struct bt_scan *s = arg;
	struct h1_dir *d = bt_dir(s);
	__u64 avail, n;
	int ev = H1_EV_NONE;

	if (s->done || !s->left)
		return 1;
	if (s->off >= s->seg_len && bt_next_segment(s))
		return 1;
	if (d->phase == H1_OFF)
		return 1;
	if (d->phase == H1_DESYNC && bt_try_resync(s, d))
		return 1;
	avail = s->seg_len - s->off;
	if (avail > s->left)
		avail = s->left;
	if (!h1_reads_bytes(d)) {
		n = h1_skip(d, avail, &ev);
	} else if (s->opaque) {
		bt_desync(s->c, BT_DROP_OPAQUE_BYTES);
		return 1;
	} else {
		n = bt_scan_window(s, d, avail, &ev);
	}
	s->off += n;
	s->left -= n;
	s->at_start = 0;
	bt_handle(s, ev);
	return 0;
}

static __always_inline void bt_walk(struct bt_conn *c, struct bt_inflight *in, __u64 bytes,
				    __u64 now)
{
	__u32 zero = 0;
	struct bt_scan s = {};
	struct user_msghdr msg;

	s.scratch = bpf_map_lookup_elem(&bt_scratch, &zero);
	if (!s.scratch)
		return;
	s.c = c;
	s.is_request = in->ingress == (c->role == BT_ROLE_SERVER);
	s.ts_first = in->ingress ? now : in->enter_ns;
	s.now = now;
	s.left = bytes;
	s.at_start = 1;
	if (in->kind == BT_IO_MSG) {
		if (bpf_probe_read_user(&msg, sizeof(msg), (void *)in->buf)) {
			bt_count(BT_DROP_READ_USER);
			return;
		}
		s.iov = (__u64)msg.msg_iov;
		s.iov_cnt = msg.msg_iovlen;
	} else if (in->kind == BT_IO_IOV) {
		s.iov = in->buf;
		s.iov_cnt = in->count;
	} else {
		s.base = in->buf;
		s.seg_len = bytes;
		s.opaque = in->kind == BT_IO_OPAQUE;
	}
	bpf_loop(BT_SCAN_ROUNDS + BT_IOV_MAX, bt_scan_round, &s, 0);
	if (s.left && bt_dir(&s)->phase != H1_DESYNC && bt_dir(&s)->phase != H1_OFF &&
	    !(s.iov && s.iov_idx >= s.iov_cnt))
		bt_desync(c, BT_DROP_SCAN_BUDGET);
	bt_dir(&s)->last_ns = now;
}

/* --- sys_enter: remember what a tracked socket is asked to do --------- */

static __always_inline int bt_enter(int fd, __u64 buf, __u64 count, __u8 kind, __u8 ingress)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct bt_conn_key key = { .tgid = id >> 32, .fd = fd };
	struct bt_inflight in = {};

	if (kind != BT_IO_CONNECT && !bpf_map_lookup_elem(&bt_conns, &key))
		return 0;
	in.enter_ns = bpf_ktime_get_ns();
	in.buf = buf;
	in.count = count;
	in.fd = fd;
	in.kind = kind;
	in.ingress = ingress;
	if (bpf_map_update_elem(&bt_inflight, &id, &in, BPF_ANY))
		bt_count(BT_DROP_INFLIGHT_MAP_FULL);
	return 0;
}

/* --- sys_exit: act on what happened ------------------------------------ */

static __always_inline int bt_exit(long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct bt_inflight *p, in;
	struct bt_conn_key key;
	struct bt_conn *c;
	__u64 now;

	p = bpf_map_lookup_elem(&bt_inflight, &id);
	if (!p)
		return 0;
	in = *p;
	bpf_map_delete_elem(&bt_inflight, &id);
	if (in.kind == BT_IO_CONNECT) {
		if (ret == 0 || ret == -BT_EINPROGRESS)
			bt_track(id >> 32, in.fd, BT_ROLE_CLIENT);
		return 0;
	}
	key.tgid = id >> 32;
	key.fd = in.fd;
	c = bpf_map_lookup_elem(&bt_conns, &key);
	if (!c)
		return 0;
	now = bpf_ktime_get_ns();
	if (ret == 0 && in.ingress && c->role == BT_ROLE_CLIENT)
		bt_on_eof(c, now);
	if (ret <= 0)
		return 0;
	bt_walk(c, &in, ret, now);
	return 0;
}

static __always_inline void bt_forget(int fd)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct bt_conn_key key = { .tgid = id >> 32, .fd = fd };
	struct bt_conn *c = bpf_map_lookup_elem(&bt_conns, &key);

	if (!c)
		return;
	bt_on_close(c);
	bpf_map_delete_elem(&bt_conns, &key);
	bt_count(BT_CNT_CONN_CLOSED);
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
	return bt_enter(ARG(0), 0, 0, BT_IO_CONNECT, 0);
}

SEC("tracepoint/syscalls/sys_enter_read")
int bt_enter_read(struct trace_event_raw_sys_enter *ctx)
{
	return bt_enter(ARG(0), ARG(1), ARG(2), BT_IO_BUF, 1);
}

SEC("tracepoint/syscalls/sys_enter_write")
int bt_enter_write(struct trace_event_raw_sys_enter *ctx)
{
	return bt_enter(ARG(0), ARG(1), ARG(2), BT_IO_BUF, 0);
}

SEC("tracepoint/syscalls/sys_enter_recvfrom")
int bt_enter_recvfrom(struct trace_event_raw_sys_enter *ctx)
{
	if (ARG(3) & BT_MSG_PEEK)
		return 0; /* the same bytes will be read again */
	return bt_enter(ARG(0), ARG(1), ARG(2), BT_IO_BUF, 1);
}

SEC("tracepoint/syscalls/sys_enter_sendto")
int bt_enter_sendto(struct trace_event_raw_sys_enter *ctx)
{
	return bt_enter(ARG(0), ARG(1), ARG(2), BT_IO_BUF, 0);
}

SEC("tracepoint/syscalls/sys_enter_readv")
int bt_enter_readv(struct trace_event_raw_sys_enter *ctx)
{
	return bt_enter(ARG(0), ARG(1), ARG(2), BT_IO_IOV, 1);
}

SEC("tracepoint/syscalls/sys_enter_writev")
int bt_enter_writev(struct trace_event_raw_sys_enter *ctx)
{
	return bt_enter(ARG(0), ARG(1), ARG(2), BT_IO_IOV, 0);
}

SEC("tracepoint/syscalls/sys_enter_recvmsg")
int bt_enter_recvmsg(struct trace_event_raw_sys_enter *ctx)
{
	if (ARG(2) & BT_MSG_PEEK)
		return 0;
	return bt_enter(ARG(0), ARG(1), 0, BT_IO_MSG, 1);
}

SEC("tracepoint/syscalls/sys_enter_sendmsg")
int bt_enter_sendmsg(struct trace_event_raw_sys_enter *ctx)
{
	return bt_enter(ARG(0), ARG(1), 0, BT_IO_MSG, 0);
}

SEC("tracepoint/syscalls/sys_enter_sendfile64")
int bt_enter_sendfile(struct trace_event_raw_sys_enter *ctx)
{
	return bt_enter(ARG(0), 0, ARG(3), BT_IO_OPAQUE, 0);
}

/* One exit handler per syscall: tracepoint programs attach to one event. */
#define BT_EXIT(name)                                                    \
	SEC("tracepoint/syscalls/sys_exit_" #name)                         \
	int bt_exit_##name(struct trace_event_raw_sys_exit *ctx)           \
	{                                                                  \
		return bt_exit(ctx->ret);                                  \
	}

BT_EXIT(connect)
BT_EXIT(read)
BT_EXIT(write)
BT_EXIT(recvfrom)
BT_EXIT(sendto)
BT_EXIT(readv)
BT_EXIT(writev)
BT_EXIT(recvmsg)
BT_EXIT(sendmsg)
BT_EXIT(sendfile64)

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
