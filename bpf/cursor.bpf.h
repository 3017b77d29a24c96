/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A position in the bytes one call moved: a single buffer, or an iovec
 * array (readv/writev/recvmsg/sendmsg) walked segment by segment. Shared
 * by the framer's walk and the payload copier, so both see the same bytes.
 */
#ifndef BIOTHINGS_CURSOR_BPF_H
#define BIOTHINGS_CURSOR_BPF_H

#include "maps.bpf.h"

struct bt_cursor {
	__u64 base; /* user address of the current segment */
	__u64 seg_len;
	__u64 off; /* within the current segment */
	__u64 left; /* bytes of the call not walked yet */
	__u64 iov; /* user address of the iovec array, 0 if none */
	__u32 iov_idx;
	__u32 iov_cnt;
};

/* Cursor over what in->kind says the call moved; -1 if unreadable. */
static __always_inline int bt_cursor_init(struct bt_cursor *k, const struct bt_inflight *in,
					  __u64 bytes)
{
	struct user_msghdr msg;

	__builtin_memset(k, 0, sizeof(*k));
	k->left = bytes;
	if (in->kind == BT_IO_MSG) {
		if (bpf_probe_read_user(&msg, sizeof(msg), (void *)in->buf)) {
			bt_count(BT_DROP_READ_USER);
			return -1;
		}
		k->iov = (__u64)msg.msg_iov;
		k->iov_cnt = msg.msg_iovlen;
	} else if (in->kind == BT_IO_IOV) {
		k->iov = in->buf;
		k->iov_cnt = in->count;
	} else {
		k->base = in->buf;
		k->seg_len = bytes;
	}
	return 0;
}

/* Move to the next iovec; 0 when there is one. */
static __always_inline int bt_cursor_next(struct bt_cursor *k)
{
	struct iovec v;

	if (!k->iov || k->iov_idx >= k->iov_cnt)
		return -1;
	if (k->iov_idx >= BT_IOV_MAX) {
		bt_count(BT_DROP_IOV_LIMIT);
		return -1;
	}
	if (bpf_probe_read_user(&v, sizeof(v), (void *)(k->iov + k->iov_idx * sizeof(v)))) {
		bt_count(BT_DROP_READ_USER);
		return -1;
	}
	k->iov_idx++;
	k->base = (__u64)v.iov_base;
	k->seg_len = v.iov_len < k->left ? v.iov_len : k->left;
	k->off = 0;
	return 0;
}

/* Bytes readable at the cursor now (0 at the end), moving to the next
 * segment when the current one is used up. */
static __always_inline __u64 bt_cursor_avail(struct bt_cursor *k)
{
	__u64 n;

	if (!k->left)
		return 0;
	if (k->off >= k->seg_len && bt_cursor_next(k))
		return 0;
	n = k->seg_len - k->off;
	return n < k->left ? n : k->left;
}

static __always_inline void bt_cursor_advance(struct bt_cursor *k, __u64 n)
{
	k->off += n;
	k->left -= n;
}

/* True when the walk ended because the iovecs ran out, not the bytes. */
static __always_inline int bt_cursor_exhausted(const struct bt_cursor *k)
{
	return k->iov && k->iov_idx >= k->iov_cnt;
}

#endif
