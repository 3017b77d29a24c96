/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The cgroup v2 tree as the kernel numbers it: a cgroup's id (what
 * bpf_get_current_cgroup_id returns, and bt_event_hdr.cgroup_id carries)
 * is its directory's inode number. A walk of the tree under the cgroup2
 * mount, and a cache from id to path for records whose process is gone
 * before the daemon could read /proc/PID/cgroup.
 */
#ifndef BT_CGROUP_TREE_H
#define BT_CGROUP_TREE_H

#include <stddef.h>
#include <stdint.h>

/* One cgroup: its id and its path ("/" the root); nonzero stops the walk. */
typedef int (*cgroup_visit_fn)(void *arg, uint64_t id, const char *path);

/* Visits every cgroup under the mount point root, the root first, at most
 * 64 levels deep; hidden entries are skipped. 0, or -errno when root
 * cannot be opened. */
int cgroup_tree_walk(const char *root, cgroup_visit_fn fn, void *arg);

struct cgroup_paths;

/* A cache of at most max cgroups of the tree at root, read again on a miss
 * at most once per min_rescan_ns. NULL + errno. */
struct cgroup_paths *cgroup_paths__new(const char *root, size_t max, uint64_t min_rescan_ns);
void cgroup_paths__free(struct cgroup_paths *c);
/* Path of cgroup id; NULL when unknown (gone, or not in the tree). Valid
 * until the next call. One thread. */
const char *cgroup_paths__get(struct cgroup_paths *c, uint64_t id, uint64_t now_ns);
/* Tree reads so far (start included). */
uint64_t cgroup_paths__scans(const struct cgroup_paths *c);

#endif
