/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What /proc says about a process (executable path, cgroup path), cached
 * per tgid for a short while so a request costs no /proc read.
 */
#ifndef BT_PROCINFO_H
#define BT_PROCINFO_H

#include <stddef.h>
#include <stdint.h>

struct proc_meta {
	uint32_t tgid;
	uint64_t loaded_ns;
	char exe[256]; /* "" when the process is gone or unreadable */
	char cgroup[256]; /* cgroup v2 path, "" when unknown */
};

struct proc_cache;
struct cgroup_paths;

/* The cgroup v2 path of process pid under proc_root (the "0::" line of its
 * cgroup file; the unified one on hybrid hosts) into out, cut to fit: 0,
 * or -errno (-ENOENT without such a line). */
int proc_cgroup2_path(const char *proc_root, uint32_t pid, char *out, size_t len);

/* cgroups (may be NULL) names the cgroups of processes /proc no longer has. */
struct proc_cache *proc_cache__new(const char *proc_root, uint64_t ttl_ns,
				   struct cgroup_paths *cgroups);
void proc_cache__free(struct proc_cache *c);
/* Never NULL; fields are empty when /proc has nothing, except the cgroup,
 * then taken from cgroup_id (the record's bt_event_hdr.cgroup_id; 0: none). */
const struct proc_meta *proc_cache__get(struct proc_cache *c, uint32_t tgid, uint64_t cgroup_id,
					uint64_t now_ns);

#endif
