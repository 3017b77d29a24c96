/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Host resources from /proc and statvfs: CPU utilisation (from two
 * /proc/stat samples), memory (MemAvailable against MemTotal), disk space
 * per mounted filesystem of interest, network bytes per interface, load.
 * Reading is separate from judging: sysres_read() samples, sysres_status()
 * compares with thresholds. proc_root is a parameter so tests can use a
 * fake tree. No metrics or logging here.
 */
#ifndef BT_SYSRES_H
#define BT_SYSRES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SYSRES_MAX_DISKS 16
#define SYSRES_MAX_IFACES 16

struct sysres_disk {
	char mount[128]; /* mount point of the filesystem holding a given path */
	uint64_t total_bytes, free_bytes; /* free: available to unprivileged users */
	double used_ratio; /* 1 - f_bavail/f_blocks: root-reserved blocks count as used */
};

struct sysres_iface {
	char name[32];
	uint64_t rx_bytes, tx_bytes; /* counters since boot */
};

struct sysres_snapshot {
	uint64_t taken_ns; /* CLOCK_MONOTONIC */
	double cpu_ratio; /* busy share of all CPUs since the previous sample; -1 on the first */
	unsigned ncpu;
	double load1, load5, load15;
	uint64_t mem_total, mem_available; /* bytes */
	double mem_ratio; /* 1 - available/total */
	size_t n_disks;
	struct sysres_disk disks[SYSRES_MAX_DISKS];
	size_t n_ifaces;
	struct sysres_iface ifaces[SYSRES_MAX_IFACES];
};

struct sysres;
/*
 * proc_root: "/proc" (NULL means that). mounts: paths whose filesystems are
 * reported, at most SYSRES_MAX_DISKS (NULL or n_mounts 0: "/" only; main
 * passes "/" and the state dir). Each is resolved at every read to the mount
 * point holding it; paths on one filesystem are reported once, under the
 * first; missing paths are skipped. NULL + errno (EINVAL, ENOMEM).
 */
struct sysres *sysres__new(const char *proc_root, const char *const *mounts, size_t n_mounts);
void sysres__free(struct sysres *s);
/*
 * 0, or the first -errno of stat, meminfo, loadavg and net/dev that could not
 * be read or parsed (-EINVAL for unparsable content); the snapshot keeps what
 * was read. Disks never fail the read. Not thread-safe: one caller.
 */
int sysres__read(struct sysres *s, struct sysres_snapshot *out);

struct sysres_thresholds {
	double cpu_warn, cpu_crit; /* 0.85, 0.95 */
	double mem_warn, mem_crit; /* 0.80, 0.90 */
	double disk_warn, disk_crit; /* 0.85, 0.95 */
};
void sysres_thresholds_defaults(struct sysres_thresholds *t);
enum sysres_level { SYSRES_OK, SYSRES_WARNING, SYSRES_CRITICAL };
/*
 * Worst level over cpu, memory and disks (a ratio >= its threshold); why gets
 * e.g. "cpu 97% >= 95%" or "disk /var 96.5% >= 95%" for the first of the worst,
 * "" when ok. cpu_ratio < 0 (first sample) is not judged. why may be NULL.
 */
enum sysres_level sysres_status(const struct sysres_snapshot *s, const struct sysres_thresholds *t,
				char *why, size_t whylen);
/* "ok", "warning", "critical". */
const char *sysres_level_name(enum sysres_level l);

#endif
