// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cgroup_tree: the walk (every directory once, the root first, hidden
 * ones skipped, stopped on request) and the id -> path cache (found by
 * inode number, a miss reads the tree again at most once per interval),
 * run on a directory tree made here: any tree walks the same.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup_tree.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk_and_cache),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
