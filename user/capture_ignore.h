/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * capture.ignore in the kernel's terms (biothings/conn.h): the mask of
 * rules each task name stands for, the rules that match any name or any
 * cgroup, and the cgroups (by id) whose paths the rules' globs match.
 * Pure, except ignore_cgroup_root, ignore_cgroups_scan and ignore_process,
 * which read /proc/self/mountinfo, the cgroup v2 tree and /proc/PID.
 */
#ifndef BT_CAPTURE_IGNORE_H
#define BT_CAPTURE_IGNORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "biothings/limits.h"

struct ignore_comm {
	char comm[BT_COMM_LEN]; /* NUL-padded, as the kernel fills a task's name */
	uint64_t mask;
};

struct ignore_plan {
	uint64_t rules; /* bit i: rule i is in use */
	uint64_t any_comm; /* rules without a comm */
	uint64_t any_cgroup; /* rules without a cgroup */
	size_t n_comms;
	struct ignore_comm comms[OBS_CONFIG_MAX_IGNORE];
};

struct ignore_cgroup {
	uint64_t id; /* the cgroup directory's inode number: its cgroup v2 id */
	uint64_t mask;
};

void ignore_plan_build(const struct obs_ignore_rule *r, size_t n, struct ignore_plan *p);
bool ignore_has_cgroup_rules(const struct obs_ignore_rule *r, size_t n);
/* Rules whose cgroup glob matches path ("/" is the root of the tree). */
uint64_t ignore_cgroup_mask(const struct obs_ignore_rule *r, size_t n, const char *path);
/* The mount point in one /proc/self/mountinfo line if it mounts cgroup2:
 * 0, or -ENOENT for any other line, -ENAMETOOLONG when out is too small. */
int ignore_mountinfo_cgroup2(const char *line, char *out, size_t len);
/* The first cgroup2 mount point listed in mountinfo_path. */
int ignore_cgroup_root(const char *mountinfo_path, char *out, size_t len);
/*
 * Walks the tree mounted at root (at most 64 levels deep) and fills out
 * with each cgroup some rule's glob matches, sorted by id. Returns how
 * many, or -errno
 * when root cannot be opened; *more is set when more than max matched.
 */
ssize_t ignore_cgroups_scan(const char *root, const struct obs_ignore_rule *r, size_t n,
			    struct ignore_cgroup *out, size_t max, bool *more);

/* Rules (mask) a task named comm in the cgroup at path ("/" the root)
 * matches, combined as the kernel combines them (bt_rule_ignored). */
uint64_t ignore_match(const struct ignore_plan *p, const struct obs_ignore_rule *r, size_t n,
		      const char *comm, const char *cgroup_path);
/* The same for process pid under proc_root, by its main thread's name and
 * its cgroup v2 path; 0 when they cannot be read (it is gone). */
uint64_t ignore_process(const struct ignore_plan *p, const struct obs_ignore_rule *r, size_t n,
			const char *proc_root, unsigned pid);

/* Is id in c[0..n), as ignore_cgroups_scan sorted it? */
bool ignore_cgroups_has(const struct ignore_cgroup *c, size_t n, uint64_t id);

#endif
