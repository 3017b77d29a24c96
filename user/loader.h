/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Loader: mounts what BPF needs, opens, sizes, loads and attaches the
 * skeleton, pins the maps, and undoes all of it on close. The only module
 * that includes the skeleton.
 */
#ifndef BT_LOADER_H
#define BT_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "biothings/conn.h"
#include "biothings/counters.h"

struct db_port;
struct ignore_cgroup;
struct ignore_plan;
struct loader;

struct loader_opts {
	const char *pin_dir;
	uint64_t ringbuf_bytes;
	uint64_t ringbuf_per_cpu_bytes; /* 0: every CPU on the shared ring; RING_SET_AUTO */
	uint32_t max_connections;
	uint32_t self_tgid;
	int socket_hooks; /* capture.hooks: socket */
	/* Called once the maps exist and before any program is attached, so
	 * that the first program run already sees the daemon's configuration
	 * (and, with the socket hooks, the listening ports); non-zero fails
	 * the open. May be NULL. */
	int (*before_attach)(struct loader *l, void *arg);
	void *before_attach_arg;
};

struct prog_stat {
	const char *name;
	int attached;
	uint64_t run_time_ns; /* 0 unless kernel.bpf_stats_enabled */
	uint64_t run_cnt;
};

/* One hook the loader tried: a tracepoint program (by its name) or the TLS
 * probes on one library file ("tls:" and the path as its process sees it). */
struct probe_state {
	const char *name; /* valid until loader__close */
	int up; /* 1 attached; 0 failed, which was logged once */
};

/* The connection maps counted for the eviction estimate (selfmon_evicted):
 * the opened counter is read before the walk and the closed counter after,
 * so opened + seeded - closed - swept - live errs low, never high. */
struct conn_census {
	uint64_t live; /* entries in bt_conns, bt_tls_conns and bt_sk_conns */
	uint64_t opened, closed; /* BT_CNT_CONN_OPENED, BT_CNT_CONN_CLOSED */
	uint64_t adopted; /* BT_CNT_CONN_ADOPTED: met mid-stream by the socket-layer hooks */
};

struct loader;

/* NULL on failure with a message in err. */
struct loader *loader__open(const struct loader_opts *o, char *err, size_t errlen);
void loader__close(struct loader *l);
/* The rings to read (the shared one first, then each CPU's): their count. */
size_t loader__ring_fds(const struct loader *l, const int **fds);
int loader__conns_fd(const struct loader *l);
/* 1 when the socket-layer hooks are in use: asked for (socket_hooks) and
 * supported by this kernel; 0 for the syscall hooks. */
int loader__socket_hooks(const struct loader *l);
/* Map bt_listen_ports (BT_LISTEN_PORT_WORDS __u64 of port bits), for seeding. */
int loader__listen_ports_fd(const struct loader *l);
/* Attach the TLS uprobes to one file (a libssl, or a binary with OpenSSL
 * inside such as node). Files already tried (same inode), attached or
 * failed, are skipped. A failure is logged here, once per file, with
 * libbpf's reason. Returns probes attached, 0 if the file was tried
 * before, or -errno (-ENOENT: a required symbol is missing; -E2BIG: the
 * table of files is full, nothing remembered). */
int loader__attach_tls(struct loader *l, const char *path);
/* Request-path suffixes whose exchanges the kernel captures in full. */
int loader__set_capture_paths(struct loader *l, char *const *paths, size_t n);
/* First bytes of each served request sent as bt_reqhead_record (0: none;
 * at most BT_INSPECT_MAX). */
int loader__set_inspect_bytes(struct loader *l, uint32_t bytes);
/* capture.framing: how plain-socket HTTP connections are framed, and
 * (boundary) how long an answered request's connection stays quiet
 * before loader__sweep_held reports it. */
int loader__set_framing(struct loader *l, enum bt_framing framing, uint64_t idle_ns);
/* Runs the sweep of quiet boundary-framed connections once; -ENOENT when
 * it could not be attached. */
int loader__sweep_held(struct loader *l);
/* capture.ignore: the rules' names and masks into bt_ignore_comms and
 * bt_config (rules off while the names change). */
int loader__set_ignore(struct loader *l, const struct ignore_plan *p);
/* bt_ignore_cgroups becomes c[0..n) (sorted by id). */
int loader__sync_ignore_cgroups(struct loader *l, const struct ignore_cgroup *c, size_t n);
/* Database server ports (db.ports): client connections to them send
 * bt_dbio_record instead of HTTP framing. Replaces the whole table;
 * -E2BIG past BT_DB_PORTS_MAX, -EINVAL for a system other than redis or
 * postgresql. Connections opened before the call keep what they had. */
int loader__set_db_ports(struct loader *l, const struct db_port *ports, size_t n);
/* Map bt_retransmits (struct bt_retrans_key -> __u64), for reading. */
int loader__retrans_fd(const struct loader *l);
/* Sum of the per-CPU counters, indexed by enum bt_counter. */
int loader__read_counters(const struct loader *l, uint64_t out[BT_CNT__COUNT]);
/* Fills up to max entries; returns how many programs there are. */
size_t loader__prog_stats(const struct loader *l, struct prog_stat *out, size_t max);
/* Every tracepoint program, then every TLS file tried so far (at most
 * 128): fills up to max, returns how many there are. May run on another
 * thread than the one attaching. */
size_t loader__probes(const struct loader *l, struct probe_state *out, size_t max);
/* Walks both connection maps, one system call per entry: run it once per
 * gc interval next to the sweep, not per scrape. 0, or -EAGAIN when churn kept
 * the walk from ending, or -errno. */
int loader__conn_census(const struct loader *l, struct conn_census *out);

#endif
