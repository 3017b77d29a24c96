// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A direct-mapped cache over /proc/<tgid>/{exe,cgroup}. Bounded by
 * construction: a colliding tgid replaces the slot. Short-lived clients
 * may be gone before their records arrive; then their cgroup comes from
 * the kernel's cgroup id on the record (cgroup_tree.h) and the caller
 * falls back to the comm the kernel recorded for the rest.
 */
#include "procinfo.h"
#include "cgroup_tree.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROC_SLOTS 4096

struct proc_cache {
	char root[128];
	uint64_t ttl_ns;
	struct cgroup_paths *cgroups; /* not owned; may be NULL */
	struct proc_meta slots[PROC_SLOTS];
};

struct proc_cache *proc_cache__new(const char *proc_root, uint64_t ttl_ns,
				   struct cgroup_paths *cgroups)
{
	struct proc_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	snprintf(c->root, sizeof(c->root), "%s", proc_root ? proc_root : "/proc");
	c->ttl_ns = ttl_ns;
	c->cgroups = cgroups;
	return c;
}

void proc_cache__free(struct proc_cache *c)
{
	free(c);
}

static void read_exe(const struct proc_cache *c, struct proc_meta *m)
{
	char path[PATH_MAX];
	ssize_t n;
	static const char deleted[] = " (deleted)";
	size_t dl = sizeof(deleted) - 1;

	snprintf(path, sizeof(path), "%s/%u/exe", c->root, m->tgid);
	n = readlink(path, m->exe, sizeof(m->exe) - 1);
	m->exe[n > 0 ? n : 0] = '\0';
	if (n > (ssize_t)dl && !strcmp(m->exe + n - dl, deleted))
		m->exe[n - dl] = '\0';
}

int proc_cgroup2_path(const char *proc_root, uint32_t pid, char *out, size_t len)
{
	char path[PATH_MAX], line[512];
	int err = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%u/cgroup", proc_root, pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (err && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(out, len, "%s", line + 3);
		err = 0;
	}
	fclose(f);
	return err;
}

static void read_cgroup(const struct proc_cache *c, struct proc_meta *m)
{
	if (proc_cgroup2_path(c->root, m->tgid, m->cgroup, sizeof(m->cgroup)))
		m->cgroup[0] = '\0';
}

/* A process gone from /proc: its cgroup by the id the kernel recorded. */
static void cgroup_by_id(const struct proc_cache *c, struct proc_meta *m, uint64_t cgroup_id,
			 uint64_t now_ns)
{
	const char *path;

	if (m->cgroup[0] || !cgroup_id ||
	    !(path = cgroup_paths__get(c->cgroups, cgroup_id, now_ns)))
		return;
	snprintf(m->cgroup, sizeof(m->cgroup), "%s", path);
}

const struct proc_meta *proc_cache__get(struct proc_cache *c, uint32_t tgid, uint64_t cgroup_id,
					uint64_t now_ns)
{
	struct proc_meta *m = &c->slots[tgid % PROC_SLOTS];

	if (m->tgid != tgid || !m->loaded_ns || now_ns - m->loaded_ns >= c->ttl_ns) {
		m->tgid = tgid;
		m->loaded_ns = now_ns ? now_ns : 1;
		read_exe(c, m);
		read_cgroup(c, m);
	}
	cgroup_by_id(c, m, cgroup_id, now_ns);
	return m;
}
