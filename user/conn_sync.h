/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Keeps the kernel's connection table in step with /proc: seeds TCP
 * connections that were open before the observer started (in H1_DESYNC,
 * so nothing is paired until a clean message start), and sweeps entries
 * of processes that exited without close().
 */
#ifndef BT_CONN_SYNC_H
#define BT_CONN_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One row of /proc/net/tcp or tcp6. Addresses in network byte order. */
struct tcp_row {
	uint64_t inode;
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t state; /* TCP_ESTABLISHED = 1, TCP_LISTEN = 10 */
	uint16_t lport, rport;
	uint8_t laddr[16], raddr[16];
};

/* Parses one data line; -EINVAL for a header or malformed line. */
int tcp_row_parse(const char *line, int family, struct tcp_row *row);

struct conn_sync_stats {
	uint64_t seeded;
	uint64_t swept;
	uint64_t left_alone; /* established sockets not seeded: leave() said so */
};

/* Processes whose connections are not seeded (capture.ignore): true for pid. */
typedef bool (*conn_sync_leave_fn)(unsigned pid, void *arg);

/* Seed every established TCP socket of every process but self and those
 * leave (may be NULL) names. */
int conn_sync_seed(int conns_fd, const char *proc_root, uint32_t self_tgid,
		   conn_sync_leave_fn leave, void *leave_arg, struct conn_sync_stats *st);
/* capture.hooks: socket. Marks every port listened on in any network
 * namespace in map bt_listen_ports (BT_LISTEN_PORT_WORDS words of port
 * bits): the kernel takes a connection it first meets mid-stream for a
 * server's when its local port is marked. */
int conn_sync_listen_seed(int ports_fd, const char *proc_root);
/* Delete entries whose process is gone. */
int conn_sync_sweep(int conns_fd, struct conn_sync_stats *st);

#endif
