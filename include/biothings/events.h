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
	BT_EV_DATA = 2, /* payload bytes of a captured (LLM candidate) exchange */
	BT_EV_EXEC = 3, /* a process exec'd: new libraries may need probes */
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
	BT_REQ_TLS = 1 << 5, /* plaintext taken from a TLS library */
	BT_REQ_CAPTURED = 1 << 6, /* its bytes were sent as BT_EV_DATA records */
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

/* bt_data_record.dir */
enum bt_data_dir {
	BT_DATA_REQUEST = 0, /* bytes the client sent */
	BT_DATA_RESPONSE = 1, /* bytes the client received */
};

/*
 * Payload of an exchange the kernel classified as worth capturing (client
 * role, request path matching the capture list). One syscall's (or one
 * SSL_read/SSL_write's) bytes are sent whole, cut into records of at most
 * BT_DATA_MAX bytes, in order: concatenating the records of one conn_id
 * and dir gives the byte stream from the first captured message on. The
 * response bytes of a syscall are sent before the bt_http_record that the
 * same syscall completes, so a reader sees all bytes before the record.
 * A syscall's bytes may run past the captured message (pipelining): the
 * reader frames the stream itself.
 */
struct bt_data_record {
	struct bt_event_hdr hdr;
	__u64 conn_id;
	__u64 io_ns; /* return of the read / entry of the write that moved the bytes */
	__u32 io_len; /* bytes the syscall moved in total */
	__u32 offset; /* of data[0] within those bytes */
	__u32 len; /* bytes in data[] */
	__u8 dir; /* enum bt_data_dir */
	__u8 flags; /* BT_DATA_* */
	__u16 _pad;
	__u8 data[BT_DATA_MAX];
};
_Static_assert(sizeof(struct bt_data_record) == 32 + 32 + BT_DATA_MAX, "bt_data_record layout");

/* bt_data_record.flags */
enum bt_data_flags {
	BT_DATA_TLS = 1 << 0,
	BT_DATA_FIRST = 1 << 1, /* first record of a newly captured message */
	BT_DATA_LOST = 1 << 2, /* bytes before this record could not be sent */
};

/* A process image changed (sched_process_exec); hdr.tgid is the process. */
struct bt_exec_record {
	struct bt_event_hdr hdr;
	char comm[BT_COMM_LEN];
};
_Static_assert(sizeof(struct bt_exec_record) == 32 + BT_COMM_LEN, "bt_exec_record layout");

#endif
