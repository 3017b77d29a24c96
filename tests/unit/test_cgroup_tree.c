// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cgroup_tree: the walk (every directory once, the root first, hidden
 * ones skipped, stopped on request) and the id -> path cache (found by
 * inode number, a miss reads the tree again at most once per interval),
 * run on a directory tree made here: any tree walks the same. And the
 * process cache's use of it: a process /proc still has keeps its own
 * cgroup, one it no longer has gets the path of the id its record carries.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fs_fixtures.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup_tree.h"
#include "procinfo.h"

static uint64_t ino_of(const char *p)
{
	struct stat st;

	assert_int_equal(stat(p, &st), 0);
	return st.st_ino;
}

struct seen {
	char paths[16][64];
	size_t n, stop_after;
};

static int visit(void *arg, uint64_t id, const char *path)
{
	struct seen *s = arg;

	assert_true(id != 0);
	if (s->n < 16)
		snprintf(s->paths[s->n], sizeof(s->paths[0]), "%s", path);
	s->n++;
	return s->stop_after && s->n >= s->stop_after;
}

static void mk(const char *root, const char *rel)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	assert_int_equal(mkdir(p, 0700), 0);
}

static void rm(const char *root, const char *rel)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	rmdir(p);
}

static void test_walk_and_cache(void **state)
{
	char root[] = "/tmp/bt-cgtree-XXXXXX", p[256];
	const char *dirs[] = { "a", "a/b", ".hidden", "c" };
	struct seen s = { 0 };
	struct cgroup_paths *c;

	(void)state;
	assert_non_null(mkdtemp(root));
	for (size_t i = 0; i < 4; i++)
		mk(root, dirs[i]);
	assert_int_equal(cgroup_tree_walk(root, visit, &s), 0);
	assert_int_equal(s.n, 4); /* /, /a, /a/b, /c: not the hidden one */
	assert_string_equal(s.paths[0], "/");
	memset(&s, 0, sizeof(s));
	s.stop_after = 2;
	assert_int_equal(cgroup_tree_walk(root, visit, &s), 0);
	assert_int_equal(s.n, 2);
	assert_true(cgroup_tree_walk("/nonexistent/bt", visit, &s) < 0);

	c = cgroup_paths__new(root, 64, 1000);
	assert_non_null(c);
	snprintf(p, sizeof(p), "%s/a/b", root);
	assert_string_equal(cgroup_paths__get(c, ino_of(p), 10), "/a/b");
	assert_string_equal(cgroup_paths__get(c, ino_of(root), 10), "/");
	assert_int_equal(cgroup_paths__scans(c), 1);
	/* a cgroup made later: not found until the interval has passed */
	mk(root, "d");
	snprintf(p, sizeof(p), "%s/d", root);
	assert_null(cgroup_paths__get(c, ino_of(p), 500));
	assert_int_equal(cgroup_paths__scans(c), 1);
	assert_string_equal(cgroup_paths__get(c, ino_of(p), 1010), "/d");
	assert_int_equal(cgroup_paths__scans(c), 2);
	/* known ids cost no read */
	assert_string_equal(cgroup_paths__get(c, ino_of(p), 5000), "/d");
	assert_int_equal(cgroup_paths__scans(c), 2);
	assert_null(cgroup_paths__get(c, 0, 9000));
	cgroup_paths__free(c);
	/* a cache smaller than the tree keeps what fits, never more */
	c = cgroup_paths__new(root, 2, 1000);
	assert_non_null(c);
	assert_string_equal(cgroup_paths__get(c, ino_of(root), 10), "/");
	cgroup_paths__free(c);
	assert_null(cgroup_paths__new("", 2, 0));
	rm(root, "d");
	for (int i = 3; i >= 0; i--)
		rm(root, dirs[i]);
	rmdir(root);
}

static void test_proc_cache(void **state)
{
	char tree[] = "/tmp/bt-cgtree-XXXXXX", proc[] = "/tmp/bt-cgproc-XXXXXX", p[256];
	struct cgroup_paths *cg;
	struct proc_cache *pc;
	uint64_t job;

	(void)state;
	assert_non_null(mkdtemp(tree));
	assert_non_null(mkdtemp(proc));
	mk(tree, "job.scope");
	snprintf(p, sizeof(p), "%s/job.scope", tree);
	job = ino_of(p);
	mk(proc, "10");
	snprintf(p, sizeof(p), "%s/10", proc);
	fx_write_file(p, "cgroup", "0::/live.scope\n");
	cg = cgroup_paths__new(tree, 16, 1000);
	pc = proc_cache__new(proc, 1000000, cg);
	assert_non_null(cg);
	assert_non_null(pc);
	/* /proc wins while it has the process; the record's id is not needed */
	assert_string_equal(proc_cache__get(pc, 10, job, 1)->cgroup, "/live.scope");
	/* pid 11 is gone: its record's cgroup id names the cgroup */
	assert_string_equal(proc_cache__get(pc, 11, job, 1)->cgroup, "/job.scope");
	assert_string_equal(proc_cache__get(pc, 12, 0, 1)->cgroup, "");
	assert_string_equal(proc_cache__get(pc, 13, 999999999, 1)->cgroup, "");
	proc_cache__free(pc);
	/* no cgroup tree: nothing to fall back on */
	pc = proc_cache__new(proc, 1000000, NULL);
	assert_string_equal(proc_cache__get(pc, 11, job, 1)->cgroup, "");
	proc_cache__free(pc);
	cgroup_paths__free(cg);
	snprintf(p, sizeof(p), "%s/10/cgroup", proc);
	unlink(p);
	rm(proc, "10");
	rmdir(proc);
	rm(tree, "job.scope");
	rmdir(tree);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk_and_cache),
		cmocka_unit_test(test_proc_cache),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
