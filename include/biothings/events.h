/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Ringbuf records, kernel -> daemon. Every record starts with
 * struct bt_event_hdr; type numbers are explicit and append-only.
 * Only fixed-width types and explicit padding: the layout is the ABI.
 */
#ifndef BIOTHINGS_EVENTS_H
#define BIOTHINGS_EVENTS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif
#include "biothings/limits.h"

enum bt_event_type {
	BT_EV_HTTP = 1, /* one finished HTTP/1.x request/response pair */
};

enum bt_role {
	BT_ROLE_UNKNOWN = 0,
	BT_ROLE_SERVER = 1, /* accepted: requests are read, responses written */
	BT_ROLE_CLIENT = 2, /* connected: requests are written, responses read */
};

enum bt_http_method {
	BT_M_OTHER = 0,
	BT_M_GET = 1,
	BT_M_HEAD = 2,
	BT_M_POST = 3,
	BT_M_PUT = 4,
	BT_M_DELETE = 5,
	BT_M_CONNECT = 6,
	BT_M_OPTIONS = 7,
	BT_M_TRACE = 8,
	BT_M_PATCH = 9,
	BT_M__COUNT = 10,
};

/* bt_http_record.flags */
enum bt_req_flags {
	BT_REQ_PATH_TRUNCATED = 1 << 0, /* target longer than BT_PATH_MAX */
	BT_REQ_INCOMPLETE = 1 << 1, /* connection closed before the end of the response */
	BT_REQ_NO_RESPONSE = 1 << 2, /* connection closed before any response */
	BT_REQ_UPGRADED = 1 << 3, /* 101: the connection left HTTP/1.x */
	BT_REQ_CLOSE_DELIMITED = 1 << 4, /* response body ended by close */
};

struct bt_event_hdr {
	__u16 type; /* enum bt_event_type */
	__u16 size; /* bytes of the whole record */
	__u32 tgid;
	__u32 tid;
	__u32 _pad;
	__u64 ts_ns; /* CLOCK_MONOTONIC (bpf_ktime_get_ns) at emission */
	__u64 cgroup_id;
};
_Static_assert(sizeof(struct bt_event_hdr) == 32, "bt_event_hdr layout");

/*
 * Latency: server role, from the return of the read that delivered the
 * first request byte to the return of the write/sendfile that sent the
 * last response byte. Client role, from the entry of the write that sent
 * the first request byte to the return of the read that delivered the
 * last response byte. Both on CLOCK_MONOTONIC.
 */
struct bt_http_record {
	struct bt_event_hdr hdr;
	__u64 conn_id; /* unique per observed connection */
	__u64 start_ns;
	__u64 end_ns;
	__u64 req_bytes; /* request start line + headers + body */
	__u64 resp_bytes; /* response start line + headers + body */
	__u16 status; /* 0 when no status line was seen */
	__u8 method; /* enum bt_http_method */
	__u8 role; /* enum bt_role */
	__u8 family; /* AF_INET or AF_INET6 */
	__u8 flags; /* enum bt_req_flags */
	__u16 path_len; /* bytes of target captured in path[] */
	__u16 lport; /* host byte order */
	__u16 rport;
	__u32 _pad;
	__u8 laddr[16]; /* IPv4 in the first 4 bytes, network order */
	__u8 raddr[16];
	char comm[BT_COMM_LEN];
	__u8 path[BT_PATH_MAX];
};
_Static_assert(sizeof(struct bt_http_record) == 32 + 40 + 8 + 8 + 32 + 16 + BT_PATH_MAX,
	       "bt_http_record layout");

#endif
