/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Process lifecycle: tells the daemon when a process exec'd, so the TLS
 * probes reach a library file it has not seen yet within moments rather
 * than at the next periodic scan, and when the exec made a non-root user
 * root (set-user-ID binaries; priv_probes.bpf.h).
 */
#ifndef BIOTHINGS_PROC_PROBES_BPF_H
#define BIOTHINGS_PROC_PROBES_BPF_H

#include "maps.bpf.h"
#include "conn_track.bpf.h"
#include "priv_probes.bpf.h"

SEC("tracepoint/sched/sched_process_exec")
int bt_exec(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct bt_exec_record *r;

	if (bt_is_self(id >> 32))
		return 0;
	r = bpf_ringbuf_reserve(&bt_events, sizeof(*r), 0);
	if (!r) {
		bt_count(BT_DROP_RINGBUF_FULL);
		return 0;
	}
	bt_fill_hdr(&r->hdr, BT_EV_EXEC, sizeof(*r));
	bpf_get_current_comm(r->comm, sizeof(r->comm));
	bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
	bt_priv_exec();
	return 0;
}

#endif
