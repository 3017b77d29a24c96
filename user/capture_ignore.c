// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "capture_ignore.h"
#include "cgroup_tree.h"
#include "procinfo.h"

#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(OBS_CONFIG_MAX_IGNORE == BT_IGNORE_RULES_MAX, "one bit per rule in the kernel");
_Static_assert(sizeof(((struct obs_ignore_rule *)0)->comm) == BT_COMM_LEN, "task name size");

void ignore_plan_build(const struct obs_ignore_rule *r, size_t n, struct ignore_plan *p)
{
	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < n && i < OBS_CONFIG_MAX_IGNORE; i++) {
		uint64_t bit = 1ull << i;
		size_t j;

		p->rules |= bit;
		if (!r[i].cgroup[0])
			p->any_cgroup |= bit;
		if (!r[i].comm[0]) {
			p->any_comm |= bit;
			continue;
		}
		for (j = 0; j < p->n_comms && strcmp(p->comms[j].comm, r[i].comm); j++)
			;
		if (j == p->n_comms)
			strncpy(p->comms[p->n_comms++].comm, r[i].comm, BT_COMM_LEN);
		p->comms[j].mask |= bit;
	}
}

bool ignore_has_cgroup_rules(const struct obs_ignore_rule *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (r[i].cgroup[0])
			return true;
	return false;
}

uint64_t ignore_cgroup_mask(const struct obs_ignore_rule *r, size_t n, const char *path)
{
	uint64_t m = 0;

	for (size_t i = 0; i < n && i < OBS_CONFIG_MAX_IGNORE; i++)
		if (r[i].cgroup[0] && fnmatch(r[i].cgroup, path, 0) == 0)
			m |= 1ull << i;
	return m;
}

uint64_t ignore_match(const struct ignore_plan *p, const struct obs_ignore_rule *r, size_t n,
		      const char *comm, const char *cgroup_path)
{
	uint64_t by_comm = p->any_comm, by_cgroup = p->any_cgroup;

	for (size_t j = 0; j < p->n_comms; j++)
		if (!strncmp(p->comms[j].comm, comm, BT_COMM_LEN))
			by_comm |= p->comms[j].mask;
	if (cgroup_path)
		by_cgroup |= ignore_cgroup_mask(r, n, cgroup_path);
	return by_comm & by_cgroup & p->rules;
}

/* The first line of path, without its newline, into out. */
static int read_line(const char *path, char *out, size_t len)
{
	FILE *f = fopen(path, "re");
	int err = 0;

	if (!f)
		return -errno;
	if (!fgets(out, (int)len, f))
		err = -EIO;
	fclose(f);
	out[strcspn(out, "\n")] = '\0';
	return err;
}

uint64_t ignore_process(const struct ignore_plan *p, const struct obs_ignore_rule *r, size_t n,
			const char *proc_root, unsigned pid)
{
	char path[PATH_MAX], comm[BT_COMM_LEN + 2], cg[PATH_MAX];

	if (!p->rules)
		return 0;
	snprintf(path, sizeof(path), "%s/%u/comm", proc_root, pid);
	if (read_line(path, comm, sizeof(comm)))
		return 0;
	return ignore_match(p, r, n, comm,
			    proc_cgroup2_path(proc_root, pid, cg, sizeof(cg)) ? NULL : cg);
}

/* "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPER" */
int ignore_mountinfo_cgroup2(const char *line, char *out, size_t len)
{
	const char *sep = strstr(line, " - ");
	const char *mp = line;
	size_t n;

	if (!sep || strncmp(sep + 3, "cgroup2 ", 8))
		return -ENOENT;
	for (int field = 0; field < 4; field++) {
		mp = strchr(mp, ' ');
		if (!mp || mp > sep)
			return -ENOENT;
		mp++;
	}
	n = strcspn(mp, " ");
	if (!n || mp + n > sep)
		return -ENOENT;
	if (n >= len)
		return -ENAMETOOLONG;
	memcpy(out, mp, n);
	out[n] = '\0';
	return 0;
}

int ignore_cgroup_root(const char *mountinfo_path, char *out, size_t len)
{
	FILE *f = fopen(mountinfo_path, "re");
	char line[4096];
	int err = -ENOENT;

	if (!f)
		return -errno;
	while (err && fgets(line, sizeof(line), f))
		err = ignore_mountinfo_cgroup2(line, out, len);
	fclose(f);
	return err;
}

struct scan {
	const struct obs_ignore_rule *r;
	size_t n, max, found;
	struct ignore_cgroup *out;
	bool more;
};

static int scan_note(void *arg, uint64_t id, const char *path)
{
	struct scan *s = arg;
	uint64_t m = ignore_cgroup_mask(s->r, s->n, path);

	if (!m)
		return 0;
	if (s->found == s->max) {
		s->more = true;
		return 1;
	}
	s->out[s->found++] = (struct ignore_cgroup){ .id = id, .mask = m };
	return 0;
}

static int by_id(const void *a, const void *b)
{
	uint64_t x = ((const struct ignore_cgroup *)a)->id,
		 y = ((const struct ignore_cgroup *)b)->id;

	return x < y ? -1 : x > y;
}

ssize_t ignore_cgroups_scan(const char *root, const struct obs_ignore_rule *r, size_t n,
			    struct ignore_cgroup *out, size_t max, bool *more)
{
	struct scan s = { .r = r, .n = n, .max = max, .out = out };
	int err = cgroup_tree_walk(root, scan_note, &s);

	if (err)
		return err;
	qsort(out, s.found, sizeof(*out), by_id);
	*more = s.more;
	return (ssize_t)s.found;
}

bool ignore_cgroups_has(const struct ignore_cgroup *c, size_t n, uint64_t id)
{
	struct ignore_cgroup k = { .id = id };

	return n && bsearch(&k, c, n, sizeof(*c), by_id);
}
