// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The floor's programs (bench/floor_hooks.c): they return at once, so a
 * run with them attached costs the workload only what the hooks do — the
 * syscall slow path, the event dispatch, a program call. One program of
 * each attach type, attached to as many events as asked.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

/* A perf-event tracepoint, as the observer attaches its syscall hooks. */
SEC("tracepoint")
int floor_tp(void *ctx)
{
	return 0;
}

/* A raw tracepoint: the dispatch a BTF tracepoint (tp_btf) would have. */
SEC("raw_tp")
int floor_raw(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
