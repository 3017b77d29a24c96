/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Privilege escalation as the kernel sees it: a process whose real uid is
 * not root ends up with uid or euid 0, either by exec'ing a set-user-ID-root
 * binary or by a successful setuid/setreuid/setresuid, or gets capabilities
 * by exec'ing a binary with file capabilities. capset itself is not
 * followed: every privilege-dropping tool (setpriv, su, daemons) calls it
 * while its uid is already non-root, so it says nothing on its own. The credentials
 * before the call are kept per thread from sys_enter to sys_exit; these
 * calls are rare, so a small hash is enough and the cost is nil elsewhere.
 */
#ifndef BIOTHINGS_PRIV_PROBES_BPF_H
#define BIOTHINGS_PRIV_PROBES_BPF_H

#include "maps.bpf.h"
#include "conn_track.bpf.h"

struct bt_creds {
	__u32 uid, euid;
	__u64 cap_prm; /* kernel_cap_t: a u64, or two u32 on older kernels: the same 8 bytes */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64); /* pid_tgid */
	__type(value, struct bt_creds);
} bt_priv_pending SEC(".maps");

static __always_inline void bt_creds_now(struct bt_creds *c)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();

	const struct cred *cr = BPF_CORE_READ(t, cred);

	c->uid = BPF_CORE_READ(cr, uid.val);
	c->euid = BPF_CORE_READ(cr, euid.val);
	c->cap_prm = 0;
	bpf_probe_read_kernel(&c->cap_prm, sizeof(c->cap_prm), &cr->cap_permitted);
}

static __always_inline void bt_emit_priv(const struct bt_creds *old, const struct bt_creds *now,
					 __u32 via)
{
	struct bt_priv_record *r = bpf_ringbuf_reserve(&bt_events, sizeof(*r), 0);

	if (!r) {
		bt_count(BT_DROP_RINGBUF_FULL);
		return;
	}
	bt_fill_hdr(&r->hdr, BT_EV_PRIV, sizeof(*r));
	r->old_uid = old->uid;
	r->old_euid = old->euid;
	r->new_uid = now->uid;
	r->new_euid = now->euid;
	r->via = via;
	r->_pad = 0;
	r->caps_gained = now->cap_prm & ~old->cap_prm;
	bpf_get_current_comm(r->comm, sizeof(r->comm));
	bpf_ringbuf_submit(r, 0);
}

/* exec of a set-user-ID-root binary, or of one with file capabilities, by a non-root user
 * (called by bt_exec). A non-root exec otherwise leaves the permitted set empty. */
static __always_inline void bt_priv_exec(void)
{
	struct bt_creds now, old;

	bt_creds_now(&now);
	if (now.uid == 0 || (now.euid != 0 && !now.cap_prm))
		return;
	old.uid = now.uid;
	old.euid = now.uid;
	old.cap_prm = 0;
	bt_emit_priv(&old, &now, now.euid == 0 ? BT_PRIV_EXEC : BT_PRIV_FILECAP);
}

static __always_inline int bt_priv_enter(void)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct bt_creds c;

	bt_creds_now(&c);
	if (c.uid == 0) /* already root: nothing to gain */
		return 0;
	bpf_map_update_elem(&bt_priv_pending, &id, &c, BPF_ANY);
	return 0;
}

static __always_inline int bt_priv_exit(long ret, __u32 via)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct bt_creds *old = bpf_map_lookup_elem(&bt_priv_pending, &id);
	struct bt_creds now;

	if (!old)
		return 0;
	bt_creds_now(&now);
	if (ret == 0 && (now.uid == 0 || now.euid == 0) && !bt_is_self(id >> 32))
		bt_emit_priv(old, &now, via);
	bpf_map_delete_elem(&bt_priv_pending, &id);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_setuid")
int bt_enter_setuid(void *ctx)
{
	return bt_priv_enter();
}

SEC("tracepoint/syscalls/sys_exit_setuid")
int bt_exit_setuid(struct trace_event_raw_sys_exit *ctx)
{
	return bt_priv_exit(ctx->ret, BT_PRIV_SETUID);
}

SEC("tracepoint/syscalls/sys_enter_setreuid")
int bt_enter_setreuid(void *ctx)
{
	return bt_priv_enter();
}

SEC("tracepoint/syscalls/sys_exit_setreuid")
int bt_exit_setreuid(struct trace_event_raw_sys_exit *ctx)
{
	return bt_priv_exit(ctx->ret, BT_PRIV_SETREUID);
}

SEC("tracepoint/syscalls/sys_enter_setresuid")
int bt_enter_setresuid(void *ctx)
{
	return bt_priv_enter();
}

SEC("tracepoint/syscalls/sys_exit_setresuid")
int bt_exit_setresuid(struct trace_event_raw_sys_exit *ctx)
{
	return bt_priv_exit(ctx->ret, BT_PRIV_SETRESUID);
}

#endif
