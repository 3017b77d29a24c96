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
#include "biothings/conn.h"

enum bt_event_type {
	BT_EV_HTTP = 1, /* one finished HTTP/1.x request/response pair */
	BT_EV_DATA = 2, /* payload bytes of a captured (LLM candidate) exchange */
	BT_EV_EXEC = 3, /* a process exec'd: new libraries may need probes */
	BT_EV_PRIV = 4, /* a process whose real uid is not root gained root */
	BT_EV_FLOW = 5, /* a TCP connection a process opened has closed: its byte counts */
	BT_EV_DBIO = 6, /* bytes moved on a client connection to a database port */
	BT_EV_REQHEAD = 7, /* first bytes of a request this host served (security inspection) */
};

/*
 * Map "bt_rings": array of ring buffers, 1 + possible CPUs slots, filled
 * by the loader. Slot BT_RING_SHARED is "bt_events": process, privilege
 * and flow records, and everything of a captured exchange (its bytes and
 * its HTTP record). Slot 1 + n is CPU n's ring (or bt_events again when
 * per-CPU rings are off): a connection's other records (HTTP records,
 * request heads, database bytes) all go to the ring of the CPU that sent
 * its first one (bt_conn.ring), so they stay in order. The reader merges
 * the rings by the records' timestamps (user/ring_walk.h).
 */
#define BT_RING_SHARED 0

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
	BT_REQ_INSPECTED = 1 << 7, /* served: its first bytes were sent as BT_EV_REQHEAD records */
};

struct bt_event_hdr {
	__u16 type; /* enum bt_event_type */
	__u16 size; /* bytes of the whole record */
	__u32 tgid;
	__u32 tid;
	__u32 _pad;
	__u64 ts_ns; /* CLOCK_MONOTONIC (bpf_ktime_get_ns) at emission, or of the event
		      * it reports (an HTTP record: its end_ns; request bytes: their read) */
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
	/* With BT_DATA_RESUME: the kernel's framer state just before data[0],
	 * so a reader that lost bytes can frame on from here; else zero. */
	struct h1_dir resume;
	__u8 data[BT_DATA_MAX];
};
_Static_assert(sizeof(struct bt_data_record) == 32 + 32 + 64 + BT_DATA_MAX,
	       "bt_data_record layout");

/* bt_data_record.flags */
enum bt_data_flags {
	BT_DATA_TLS = 1 << 0,
	BT_DATA_FIRST = 1 << 1, /* first record of a newly captured message */
	BT_DATA_LOST = 1 << 2, /* bytes before this record could not be sent */
	BT_DATA_RESUME = 1 << 3, /* with LOST, on a response: `resume` is valid */
};

/*
 * The first bytes of a request served on this host (server role), for the
 * request detectors: start line, headers and the beginning of the body,
 * at most bt_config.inspect_bytes per request, in records of at most
 * BT_REQHEAD_MAX; a record of at most BT_REQHEAD_SMALL bytes ends after
 * BT_REQHEAD_SMALL bytes of data[] (hdr.size tells). Concatenating a conn_id's records from the one flagged
 * BT_DATA_FIRST gives the request from its first byte; they reach the
 * reader before the bt_http_record (flagged BT_REQ_INSPECTED) of the same
 * request. Bytes past the request (pipelining) may follow in the last
 * record. flags are BT_DATA_*.
 */
struct bt_reqhead_record {
	struct bt_event_hdr hdr;
	__u64 conn_id;
	__u32 len; /* bytes in data[] */
	__u8 flags; /* BT_DATA_* */
	__u8 _pad[3];
	__u8 data[BT_REQHEAD_MAX];
};
_Static_assert(sizeof(struct bt_reqhead_record) == 32 + 16 + BT_REQHEAD_MAX,
	       "bt_reqhead_record layout");
#define BT_REQHEAD_SMALL_SIZE \
	(__builtin_offsetof(struct bt_reqhead_record, data) + BT_REQHEAD_SMALL)

/* A process image changed (sched_process_exec); hdr.tgid is the process. */
struct bt_exec_record {
	struct bt_event_hdr hdr;
	char comm[BT_COMM_LEN];
};
_Static_assert(sizeof(struct bt_exec_record) == 32 + BT_COMM_LEN, "bt_exec_record layout");

/* bt_priv_record.via: how root was gained */
enum bt_priv_via {
	BT_PRIV_EXEC = 1, /* exec of a set-user-ID-root binary */
	BT_PRIV_SETUID = 2,
	BT_PRIV_SETREUID = 3,
	BT_PRIV_SETRESUID = 4,
	BT_PRIV_FILECAP = 5, /* exec of a binary whose file capabilities a non-root uid gained */
};

/* A non-root real uid with root after the event (new_uid or new_euid 0), or with
 * capabilities from a binary's file capabilities. */
struct bt_priv_record {
	struct bt_event_hdr hdr;
	__u32 old_uid, old_euid; /* before the call; for exec, the real uid both times */
	__u32 new_uid, new_euid;
	__u32 via; /* enum bt_priv_via */
	__u32 _pad;
	__u64 caps_gained; /* permitted capability bits gained (bit n = CAP n) */
	char comm[BT_COMM_LEN];
};
_Static_assert(sizeof(struct bt_priv_record) == 32 + 32 + BT_COMM_LEN, "bt_priv_record layout");

/* bt_flow_record.outcome: how the connection ended. err is sk_err at the
 * close, or -ret of connect() for BT_FLOW_CONNECT_ERROR. */
enum bt_flow_outcome {
	/* established, then closed without a socket error */
	BT_FLOW_CLOSED = 0,
	/* a SYN was sent, ESTABLISHED never reached (err 0: the process closed it first) */
	BT_FLOW_CONNECT_FAILED = 1,
	/* established, then closed with a socket error (ECONNRESET, ETIMEDOUT, ...) */
	BT_FLOW_ERROR = 2,
	/* connect() failed before any SYN (no route, ...); bytes and sport are 0 */
	BT_FLOW_CONNECT_ERROR = 3,
};

/*
 * One outbound TCP connection (opened by connect) at its close, or a
 * connect() that failed before sending anything; hdr.tgid is the opener.
 */
struct bt_flow_record {
	struct bt_event_hdr hdr;
	__u64 bytes_sent; /* acknowledged by the peer (tcp_sock.bytes_acked) */
	__u64 bytes_received;
	__u64 start_ns; /* connect */
	__u16 family; /* AF_INET or AF_INET6 */
	__u16 dport; /* host byte order */
	__u16 sport;
	__u8 outcome; /* enum bt_flow_outcome */
	__u8 err; /* errno behind the outcome, 0 if none */
	__u8 daddr[16]; /* IPv4 in the first 4 bytes */
	char comm[BT_COMM_LEN];
};
_Static_assert(sizeof(struct bt_flow_record) == 32 + 24 + 8 + 16 + BT_COMM_LEN,
	       "bt_flow_record layout");

/* bt_dbio_record.system: the protocol the daemon's db.ports gave the server port */
enum bt_db_system {
	BT_DB_NONE = 0,
	BT_DB_REDIS = 1,
	BT_DB_POSTGRESQL = 2,
};

/* bt_dbio_record.dir */
enum bt_dbio_dir {
	BT_DBIO_REQUEST = 0, /* the client wrote */
	BT_DBIO_RESPONSE = 1, /* the client read */
	BT_DBIO_CLOSE = 2, /* closed, or the server closed (read returned 0); io_len 0 */
};

/* bt_dbio_record.flags */
enum bt_dbio_flags {
	BT_DBIO_LOST = 1 << 0, /* head or tail could not be read: their bytes are unknown */
};

/*
 * One read or write on a client connection to a database port (db.ports),
 * instead of HTTP framing: the first BT_DBIO_HEAD and the last
 * BT_DBIO_TAIL bytes of the call (never overlapping: tail_len is
 * min(BT_DBIO_TAIL, io_len - head_len)), enough for the daemon to frame
 * length-prefixed protocols by count and to see how a call ends. Records
 * of one conn_id arrive in syscall order per thread.
 */
struct bt_dbio_record {
	struct bt_event_hdr hdr;
	__u64 conn_id;
	__u64 io_ns; /* entry of the write / return of the read */
	__u32 io_len; /* bytes the call moved; 0 for BT_DBIO_CLOSE */
	__u8 dir; /* enum bt_dbio_dir */
	__u8 system; /* enum bt_db_system */
	__u8 head_len;
	__u8 tail_len;
	__u8 family; /* AF_INET or AF_INET6 */
	__u8 flags; /* enum bt_dbio_flags */
	__u16 rport; /* server port, host byte order */
	__u32 _pad;
	__u8 raddr[16]; /* server address, IPv4 in the first 4 bytes */
	char comm[BT_COMM_LEN];
	__u8 head[BT_DBIO_HEAD];
	__u8 tail[BT_DBIO_TAIL];
};
_Static_assert(sizeof(struct bt_dbio_record) ==
		       32 + 32 + 16 + BT_COMM_LEN + BT_DBIO_HEAD + BT_DBIO_TAIL,
	       "bt_dbio_record layout");

/* Map "bt_retransmits": LRU hash, key struct bt_retrans_key, value __u64
 * (retransmitted segments). Keyed by the peer of the retransmitting socket. */
struct bt_retrans_key {
	__u8 addr[16]; /* IPv4 in the first 4 bytes */
	__u16 port; /* host byte order */
	__u16 family;
	__u32 _pad;
};
_Static_assert(sizeof(struct bt_retrans_key) == 24, "bt_retrans_key layout");

#endif
