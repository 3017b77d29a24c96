/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Least privilege once started: loading and attaching need CAP_BPF,
 * CAP_PERFMON and the mounts; the running daemon needs only CAP_SYS_ADMIN
 * (uprobes on TLS libraries that appear later), CAP_SYS_PTRACE and
 * CAP_DAC_READ_SEARCH (other processes' /proc files), see docs/deploy.md.
 * Everything else goes, from every set, for good.
 */
#ifndef BT_PRIVDROP_H
#define BT_PRIVDROP_H

#include <stddef.h>
#include <stdint.h>

/* Bit n stands for capability n (CAP_SYS_ADMIN is 21). */
#define PRIVDROP_BIT(cap) (1ull << (cap))

struct privdrop_report {
	uint64_t before, after; /* permitted sets */
	int bounding_trimmed; /* 0 when CAP_SETPCAP was not there to trim it */
};

/*
 * The set kept out of have: CAP_SYS_ADMIN, CAP_SYS_PTRACE and
 * CAP_DAC_READ_SEARCH, plus CAP_BPF when CAP_SYS_ADMIN is absent (kernels
 * before 6.5 check CAP_BPF or CAP_SYS_ADMIN on every map access when
 * unprivileged BPF is off), plus extra; never a capability have lacks.
 */
uint64_t privdrop_keep(uint64_t have, uint64_t extra);
/* CAP_NET_BIND_SERVICE's bit for a listen address "HOST:PORT" whose port
 * is 1-1023 (the API binds after the drop), else 0. */
uint64_t privdrop_keep_for_listen(const char *listen);
/* "cap_sys_admin,cap_sys_ptrace" for a mask ("none" for 0); the length. */
size_t privdrop_names(uint64_t mask, char *out, size_t outlen);
/*
 * Lowers the effective, permitted and inheritable sets to
 * privdrop_keep(permitted, extra), clears the ambient set, trims the
 * bounding set when CAP_SETPCAP allows, and sets no_new_privs.
 * Capabilities belong to threads, and a thread started before the call
 * keeps what it had: so -EBUSY, with nothing changed, when the process has
 * another thread. 0 or -errno; out (may be NULL) says what changed.
 */
int privdrop_apply(uint64_t extra, struct privdrop_report *out);

#endif
