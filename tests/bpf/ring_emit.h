/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Shared by tests/bpf/ring_emit.bpf.c and tests/unit/test_ring_reader.c. */
#ifndef BT_TEST_RING_EMIT_H
#define BT_TEST_RING_EMIT_H

#define RW_MAX 2048
#define RW_DISCARD_LEN 64

struct rw_emit_args {
	__u32 len; /* sample length, 8..RW_MAX */
	__u32 discard; /* reserve RW_DISCARD_LEN bytes and discard them instead */
	__u64 seq; /* written into the sample's first 8 bytes */
};

struct rw_payload {
	__u8 b[RW_MAX];
};

#endif
