/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Connection state kept by the BPF programs, one entry per tracked TCP
 * socket. The daemon reads it through bpftool and writes it only to seed
 * connections that existed before start-up (phase H1_DESYNC, so nothing
 * is paired until a message start is seen).
 *
 * Map "bt_conns": LRU hash, key struct bt_conn_key, value struct bt_conn.
 * Map "bt_sk_conns" (capture.hooks: socket): LRU hash, key the struct sock
 * address (__u64), value struct bt_conn.
 * Map "bt_listen_ports" (capture.hooks: socket): array of
 * BT_LISTEN_PORT_WORDS __u64, bit p set when something listens on TCP port p.
 * Map "bt_config": array of one struct bt_config, written by the daemon.
 */
#ifndef BIOTHINGS_CONN_H
#define BIOTHINGS_CONN_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif
#include "biothings/limits.h"

/* Parse phase of one direction of an HTTP/1.x connection. */
enum h1_phase {
	H1_IDLE = 0, /* between messages: next byte starts one */
	H1_START_LINE = 1,
	H1_HEADERS = 2,
	H1_BODY_LEN = 3, /* skipping Content-Length bytes */
	H1_CHUNK_SIZE = 4, /* hex size, extensions, CRLF */
	H1_CHUNK_DATA = 5, /* skipping chunk bytes */
	H1_CHUNK_END = 6, /* CRLF after chunk data */
	H1_TRAILERS = 7, /* trailer lines after the last chunk */
	H1_BODY_EOF = 8, /* body runs until the peer closes */
	H1_DESYNC = 9, /* lost: wait for a syscall that starts a message */
	H1_OFF = 10, /* not HTTP/1.x any more (upgrade) */
};

/* h1_dir.flags */
enum h1_flags {
	H1F_CL = 1 << 0, /* Content-Length seen */
	H1F_CHUNKED = 1 << 1, /* Transfer-Encoding ends in chunked */
	H1F_NO_BODY = 1 << 2, /* HEAD answer, 1xx, 204, 304 */
	H1F_CR = 1 << 3, /* last byte of the line so far was CR */
	H1F_BAD = 1 << 4, /* current line is malformed */
	H1F_QUERY = 1 << 5, /* request target: past its '?' or '#' */
};

/* Parser state of one direction; the same code runs in BPF and in the
 * host tests (bpf/h1_parse.h). */
struct h1_dir {
	__u64 remaining; /* body or chunk bytes still to skip */
	__u64 clen; /* Content-Length value being read */
	__u64 msg_bytes; /* bytes of the current message so far */
	__u64 msg_start_ns; /* time of the syscall with its first byte */
	__u64 last_ns; /* time of the syscall with its latest byte */
	__u16 line_len; /* bytes in the current line (saturating) */
	__u16 status; /* response: status code */
	__u16 target_len; /* request: bytes of target seen (saturating) */
	__u8 phase; /* enum h1_phase */
	__u8 flags; /* enum h1_flags */
	__u8 sl_state; /* position within the start line grammar */
	__u8 hdr; /* header being matched, enum in h1_parse.h */
	__u8 method; /* request: enum bt_http_method */
	__u8 tok_len; /* bytes in method / version token */
	__u8 tok[8]; /* method or version prefix */
	__u16 path_end; /* request: target bytes before '?' or '#' (saturating) */
	__u8 _pad[2];
};
_Static_assert(sizeof(struct h1_dir) == 64, "h1_dir layout");

/* A struct, not a bare array, so a BPF global function can take it. */
struct h1_target {
	__u8 b[BT_PATH_MAX];
};

/* Bytes of a message being framed, copied from the caller's buffer (one
 * per CPU in BPF: map "bt_scratch"). The 8 bytes past the window let the
 * framer load a word at any masked index; they are never counted. */
struct h1_window {
	__u8 b[BT_SCAN_WINDOW + 8];
};

struct bt_pending {
	__u64 start_ns;
	__u64 req_bytes;
	__u16 path_len;
	__u8 method;
	__u8 flags; /* enum bt_req_flags */
	__u8 done; /* request fully read/written */
	__u8 _pad[3];
	__u8 path[BT_PATH_MAX];
};
_Static_assert(sizeof(struct bt_pending) == 24 + BT_PATH_MAX, "bt_pending layout");

enum bt_conn_flags {
	BT_CONN_SEEN_HTTP = 1 << 0, /* an HTTP/1.x message started here */
	BT_CONN_NOT_HTTP = 1 << 1, /* first bytes were another protocol */
	BT_CONN_TLS = 1 << 2, /* plaintext of a TLS session (bt_tls_conns) */
	BT_CONN_CAP_REQ = 1 << 3, /* inside a captured (client) or inspected (server) request */
	BT_CONN_DB_REDIS = 1 << 4, /* client to a Redis port: bt_dbio_record, no HTTP framing */
	BT_CONN_DB_POSTGRESQL = 1 << 5, /* client to a PostgreSQL port: likewise */
	BT_CONN_IGNORED = 1 << 6, /* left alone: the observer's own, a kernel thread's, or
				   * its owner matched a capture.ignore rule */
	BT_CONN_STAMP_OWNER = 1 << 7, /* records sent now carry the owner_* identity */
	BT_CONN_HOLE_REQ = 1 << 8, /* captured request bytes were lost and the reader
				    * was not told yet (BT_DATA_LOST on the next record) */
	BT_CONN_HOLE_RESP = 1 << 9, /* the same for response bytes */
	BT_CONN_FRAMED = 1 << 10, /* framed in full under boundary framing: a request
				   * on it is captured */
};
#define BT_CONN_DB (BT_CONN_DB_REDIS | BT_CONN_DB_POSTGRESQL)

struct bt_conn_key {
	__u32 tgid;
	__s32 fd;
};

struct bt_conn {
	__u64 conn_id;
	__u8 laddr[16];
	__u8 raddr[16];
	__u16 lport;
	__u16 rport;
	__u8 family;
	__u8 role; /* enum bt_role */
	__u8 head; /* index of the oldest pending request */
	__u8 count; /* pending requests */
	__u32 flags; /* enum bt_conn_flags */
	__u32 inspect_left; /* bytes of the served request still to send as BT_EV_REQHEAD */
	__u32 ring; /* slot in bt_rings of its records (1 + a CPU); 0 until the first */
	__u32 _pad_ring;
	/* Boundary framing: sequence number of the request opened last, and
	 * that number while its answer is held unreported (0: none). Whoever
	 * reports it (the next request, the close, the daemon's sweep of quiet
	 * connections) first takes it with a compare-and-swap to 0. */
	__u64 bnd_seq;
	__u64 bnd_held; /* 64 bits: the width BPF's compare-and-swap takes */
	/* Socket-layer hooks (bt_sk_conns): the process met at the socket's
	 * first send or receive, for records sent from another task (a child
	 * dropping the last reference, the kernel freeing the socket). 0 until
	 * then; unused otherwise. */
	__u32 owner_tgid;
	__u32 owner_tid;
	__u64 owner_cgroup;
	char owner_comm[BT_COMM_LEN];
	struct h1_dir req; /* requests: ingress for servers, egress for clients */
	struct h1_dir resp;
	struct h1_target target; /* target of the request being parsed */
	struct bt_pending pend[BT_PIPELINE_MAX];
};

/* Map "bt_tls_conns": LRU hash, key struct bt_tls_key, value struct
 * bt_conn. A TLS session is followed by its SSL object, not its fd: some
 * runtimes (node) drive OpenSSL through memory BIOs with no fd at all. */
struct bt_tls_key {
	__u32 tgid;
	__u32 _pad;
	__u64 ssl;
};

/* Map "bt_capture_paths": array of BT_CAPTURE_PATHS_MAX. A client request
 * whose path (before '?') ends with one of these has its bytes and its
 * response's bytes sent as bt_data_record. */
struct bt_capture_path {
	__u32 len; /* 0: unused slot */
	__u8 b[BT_CAPTURE_PATH_LEN];
};

#define BT_LISTEN_PORT_WORDS (65536 / 64)

/* Programs of the socket-layer hooks are named with this prefix; the
 * loader attaches either them or the syscall tracepoints, never both. */
#define BT_SOCK_LAYER_PROG_PREFIX "bt_sk_"
#define BT_SYSCALL_TP_SECTION "tracepoint/syscalls/"

/* bt_config.framing (capture.framing). Boundary framing (bpf/h1_boundary.h)
 * reads a call's first bytes only: a request starts at a request line, its
 * response at the next status line, and ends where the next request starts
 * or the connection closes. TLS sessions and captured exchanges are always
 * framed in full. */
enum bt_framing {
	BT_FRAMING_FULL = 0,
	BT_FRAMING_BOUNDARY = 1,
};

/* Daemon -> BPF configuration, array map of one entry. */
struct bt_config {
	__u32 self_tgid; /* the observer itself: never tracked */
	__u32 enabled; /* 0 pauses tracking of new connections */
	__u32 n_capture_paths; /* used slots of bt_capture_paths */
	__u32 inspect_bytes; /* first bytes of each served request sent as BT_EV_REQHEAD; 0: none */
	__u32 framing; /* enum bt_framing: how plain-socket HTTP connections are framed */
	__u32 _pad;
	/* Boundary framing: an answered request whose connection has been quiet
	 * this long is reported by the daemon's sweep (bt_bnd_sweep). */
	__u64 bnd_idle_ns;
	/* bit c set: some capture path ends with byte c. Lets most requests
	 * be turned down on one byte, before any suffix comparison. */
	__u64 capture_last[4];
	/* capture.ignore. Bit i stands for rule i. A task matches rule i when
	 * bit i is set in both (its comm's mask in bt_ignore_comms |
	 * ignore_any_comm) and (its cgroup's mask in bt_ignore_cgroups |
	 * ignore_any_cgroup): a rule without a comm (cgroup) field matches any. */
	__u64 ignore_rules; /* rules in use; 0: nothing is ignored */
	__u64 ignore_any_comm;
	__u64 ignore_any_cgroup;
};

/* Map "bt_ignore_comms": hash, key the task name as bpf_get_current_comm
 * fills it (NUL-padded to BT_COMM_LEN), value the mask of rules naming it.
 * Map "bt_ignore_cgroups": hash, key a cgroup v2 id (the inode number of
 * its directory), value the mask of rules whose glob matches its path. */

#endif
