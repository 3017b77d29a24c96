// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Test producer for test_ring_reader: a syscall-type program, run with
 * BPF_PROG_TEST_RUN, that writes one sample of a chosen length (or a
 * reserved-then-discarded one) into a ringbuf. The sample is the array
 * value userspace filled, with the sequence number in its first 8 bytes.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "ring_emit.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096); /* the test sets its own size */
} rw_ring SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rw_payload);
} rw_src SEC(".maps");

SEC("syscall")
int rw_emit(struct rw_emit_args *a)
{
	__u32 k = 0, len = a->len;
	struct rw_payload *p = bpf_map_lookup_elem(&rw_src, &k);
	void *r;

	if (!p || len < sizeof(__u64) || len > RW_MAX)
		return -22;
	*(__u64 *)p->b = a->seq;
	if (a->discard) {
		r = bpf_ringbuf_reserve(&rw_ring, RW_DISCARD_LEN, 0);
		if (!r)
			return -11;
		bpf_ringbuf_discard(r, 0);
		return 0;
	}
	return bpf_ringbuf_output(&rw_ring, p->b, len, 0);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
