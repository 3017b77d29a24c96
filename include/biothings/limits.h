/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Limits shared by the BPF programs and the daemon. One definition here;
 * both sides size their buffers and maps from these names.
 */
#ifndef BIOTHINGS_LIMITS_H
#define BIOTHINGS_LIMITS_H

/* Bytes of the HTTP request target kept per request (query included).
 * Longer targets are cut here and flagged BT_REQ_PATH_TRUNCATED. */
#define BT_PATH_MAX 128
/* Requests that may wait for their response on one connection
 * (HTTP/1.1 pipelining). Must be a power of two. */
#define BT_PIPELINE_MAX 4
/* Bytes copied from user memory per scan window while parsing a start
 * line or headers. Must be a power of two. */
#define BT_SCAN_WINDOW 512
/* Scan windows per syscall; bounds the work one syscall can cost. */
#define BT_SCAN_ROUNDS 24
/* iovec entries examined per readv/writev/recvmsg/sendmsg. */
#define BT_IOV_MAX 8
/* Default sizes; the loader may change them before load. */
#define BT_RINGBUF_BYTES (32u << 20)
#define BT_CONN_MAX 65536u
#define BT_INFLIGHT_MAX 16384u
#define BT_COMM_LEN 16
/* Payload bytes per BT_EV_DATA record, and records per syscall (so one
 * syscall sends at most BT_DATA_MAX * BT_DATA_CHUNKS bytes). */
#define BT_DATA_MAX 4096
#define BT_DATA_CHUNKS 64
/* Payload records are not written while less than 1/2^shift of the
 * ringbuf is free, so that a burst of payload cannot crowd out the small
 * records (each exchange's bt_http_record): answers and inspected request
 * heads (BT_EV_DATA responses, BT_EV_REQHEAD) leave 1/8, captured
 * requests (which name the call: provider, model) 1/16. */
#define BT_PAYLOAD_HEADROOM_SHIFT 3
#define BT_REQUEST_HEADROOM_SHIFT 4
/* Bytes per BT_EV_REQHEAD record, and the most the daemon may ask for
 * per served request (bt_config.inspect_bytes). Powers of two. */
#define BT_REQHEAD_MAX 1024
/* A request head record holding at most this many bytes is cut after
 * them: the ring's room is what a record reserves, and most heads are a
 * few hundred bytes. */
#define BT_REQHEAD_SMALL 256
#define BT_INSPECT_MAX 8192
/* Request-path suffixes that mark an exchange for payload capture. */
#define BT_CAPTURE_PATHS_MAX 32
#define BT_CAPTURE_PATH_LEN 32

/* Bytes of a database connection's read/write sent as head and tail
 * (bt_dbio_record). Both powers of two. */
#define BT_DBIO_HEAD 64
#define BT_DBIO_TAIL 16
/* Server ports of databases (map bt_db_ports), and destinations whose TCP
 * retransmits are counted (LRU map bt_retransmits). */
#define BT_DB_PORTS_MAX 16
#define BT_RETRANS_MAX 4096u
/* capture.ignore: rules (one bit each in the masks below), and cgroups
 * matching their globs (map bt_ignore_cgroups). */
#define BT_IGNORE_RULES_MAX 64
#define BT_IGNORE_CGROUPS_MAX 4096u

#endif
