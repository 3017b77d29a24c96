// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "cgroup_tree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WALK_DEPTH_MAX 64

struct walk {
	cgroup_visit_fn fn;
	void *arg;
	bool stop;
	char path[4096]; /* "/a/b": the cgroup being looked at */
};

/* Takes ownership of dirfd. */
static void walk_dir(struct walk *w, int dirfd, size_t len, int depth)
{
	DIR *d = fdopendir(dirfd);
	struct dirent *e;
	struct stat st;

	if (!d) {
		close(dirfd);
		return;
	}
	if (!fstat(dirfd, &st) && w->fn(w->arg, st.st_ino, w->path))
		w->stop = true;
	while (!w->stop && depth < WALK_DEPTH_MAX && (e = readdir(d))) {
		size_t k = strlen(e->d_name);
		int sub;

		if (e->d_type != DT_DIR || e->d_name[0] == '.' || len + 1 + k >= sizeof(w->path))
			continue;
		sub = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (sub < 0)
			continue;
		snprintf(w->path + len, sizeof(w->path) - len, "/%s", e->d_name);
		walk_dir(w, sub, len + 1 + k, depth + 1);
		w->path[len ? len : 1] = '\0';
	}
	closedir(d);
}

int cgroup_tree_walk(const char *root, cgroup_visit_fn fn, void *arg)
{
	struct walk *w = calloc(1, sizeof(*w)); /* 4 KiB of path: off the stack */
	int fd;

	if (!w)
		return -ENOMEM;
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		free(w);
		return -errno;
	}
	w->fn = fn;
	w->arg = arg;
	strcpy(w->path, "/");
	walk_dir(w, fd, 0, 0);
	free(w);
	return 0;
}

struct cg_entry {
	uint64_t id;
	size_t off; /* of the path in the arena */
};

struct cgroup_paths {
	char root[4096];
	size_t max;
	uint64_t min_rescan_ns, last_scan_ns, scans;
	bool scanned;
	struct cg_entry *e;
	size_t n;
	char *arena;
	size_t used, cap;
};

static int note(void *arg, uint64_t id, const char *path)
{
	struct cgroup_paths *c = arg;
	size_t k = strlen(path) + 1;

	if (c->n == c->max)
		return 1;
	if (c->used + k > c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16384;
		char *a;

		while (cap < c->used + k)
			cap *= 2;
		a = realloc(c->arena, cap);
		if (!a)
			return 1;
		c->arena = a;
		c->cap = cap;
	}
	memcpy(c->arena + c->used, path, k);
	c->e[c->n++] = (struct cg_entry){ .id = id, .off = c->used };
	c->used += k;
	return 0;
}

static int by_id(const void *a, const void *b)
{
	uint64_t x = ((const struct cg_entry *)a)->id, y = ((const struct cg_entry *)b)->id;

	return x < y ? -1 : x > y;
}

static void rescan(struct cgroup_paths *c, uint64_t now_ns)
{
	c->n = 0;
	c->used = 0;
	c->last_scan_ns = now_ns;
	c->scanned = true;
	c->scans++;
	if (cgroup_tree_walk(c->root, note, c) == 0)
		qsort(c->e, c->n, sizeof(*c->e), by_id);
	else
		c->n = 0;
}

struct cgroup_paths *cgroup_paths__new(const char *root, size_t max, uint64_t min_rescan_ns)
{
	struct cgroup_paths *c;

	if (!root || !root[0] || !max || strlen(root) >= sizeof(c->root)) {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->e = calloc(max, sizeof(*c->e));
	if (!c->e) {
		free(c);
		return NULL;
	}
	snprintf(c->root, sizeof(c->root), "%s", root);
	c->max = max;
	c->min_rescan_ns = min_rescan_ns;
	return c;
}

void cgroup_paths__free(struct cgroup_paths *c)
{
	if (!c)
		return;
	free(c->e);
	free(c->arena);
	free(c);
}

static const struct cg_entry *find(const struct cgroup_paths *c, uint64_t id)
{
	struct cg_entry k = { .id = id };

	return c->n ? bsearch(&k, c->e, c->n, sizeof(*c->e), by_id) : NULL;
}

const char *cgroup_paths__get(struct cgroup_paths *c, uint64_t id, uint64_t now_ns)
{
	const struct cg_entry *e;

	if (!c || !id)
		return NULL;
	e = find(c, id);
	if (!e && (!c->scanned || now_ns - c->last_scan_ns >= c->min_rescan_ns)) {
		rescan(c, now_ns);
		e = find(c, id);
	}
	return e ? c->arena + e->off : NULL;
}

uint64_t cgroup_paths__scans(const struct cgroup_paths *c)
{
	return c ? c->scans : 0;
}
