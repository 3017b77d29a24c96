// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * capture_ignore: the masks the kernel combines (which rules a name, a
 * cgroup or "any" stands for), the cgroup2 line of mountinfo, and the walk
 * that finds the matching cgroups, run on a directory tree made here (any
 * tree walks the same; the ids are its inode numbers).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fs_fixtures.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture_ignore.h"

/* What the kernel computes (biothings/conn.h), from the plan and a cgroup mask. */
static int kernel_says(const struct ignore_plan *p, const char *comm, uint64_t cg_mask)
{
	uint64_t by_comm = 0;

	for (size_t i = 0; i < p->n_comms; i++)
		if (!strcmp(p->comms[i].comm, comm))
			by_comm = p->comms[i].mask;
	return !!((by_comm | p->any_comm) & (cg_mask | p->any_cgroup) & p->rules);
}

static void test_plan_masks(void **state)
{
	static const struct obs_ignore_rule r[] = {
		{ .comm = "wrk" },
		{ .cgroup = "/batch.slice/*" },
		{ .comm = "python3", .cgroup = "*/lab.slice/*" },
		{ .comm = "wrk", .cgroup = "/x" },
	};
	struct ignore_plan p;
	char padded[16] = "wrk";

	(void)state;
	ignore_plan_build(r, 4, &p);
	assert_int_equal(p.rules, 0xf);
	assert_int_equal(p.any_comm, 0x2);
	assert_int_equal(p.any_cgroup, 0x1);
	assert_int_equal(p.n_comms, 2); /* wrk once, with both its rules */
	assert_string_equal(p.comms[0].comm, "wrk");
	assert_int_equal(p.comms[0].mask, 0x9);
	assert_int_equal(p.comms[1].mask, 0x4);
	/* the key is NUL-padded as bpf_get_current_comm fills it */
	assert_memory_equal(p.comms[0].comm, padded, sizeof(padded));

	assert_true(kernel_says(&p, "wrk", 0)); /* rule 0: any cgroup */
	assert_false(kernel_says(&p, "curl", 0));
	assert_true(kernel_says(&p, "curl", ignore_cgroup_mask(r, 4, "/batch.slice/job.scope")));
	assert_false(kernel_says(&p, "curl", ignore_cgroup_mask(r, 4, "/a/lab.slice/b")));
	assert_true(kernel_says(&p, "python3", ignore_cgroup_mask(r, 4, "/a/lab.slice/b")));
	assert_false(kernel_says(&p, "python3", ignore_cgroup_mask(r, 4, "/other")));
}

/* The daemon's own check (connections seeded from /proc) agrees with the kernel's. */
static void test_match(void **state)
{
	static const struct obs_ignore_rule r[] = {
		{ .comm = "wrk" },
		{ .cgroup = "/batch.slice/*" },
		{ .comm = "python3", .cgroup = "*/lab.slice/*" },
	};
	static const char *const comms[] = { "wrk", "python3", "curl", "wrk2" };
	static const char *const cgs[] = { "/", "/batch.slice/a", "/x/lab.slice/y", "/lab.slice" };
	struct ignore_plan p;

	(void)state;
	ignore_plan_build(r, 3, &p);
	for (size_t i = 0; i < 4; i++)
		for (size_t j = 0; j < 4; j++)
			assert_int_equal(!!ignore_match(&p, r, 3, comms[i], cgs[j]),
					 kernel_says(&p, comms[i],
						     ignore_cgroup_mask(r, 3, cgs[j])));
	/* cgroup unknown: only rules without a cgroup can match */
	assert_int_equal(ignore_match(&p, r, 3, "wrk", NULL), 0x1);
	assert_int_equal(ignore_match(&p, r, 3, "python3", NULL), 0);
}

/* A process read from a /proc made here: name from comm, cgroup from the
 * "0::" line of a hybrid cgroup file, gone processes match nothing. */
static void test_process(void **state)
{
	static const struct obs_ignore_rule r[] = {
		{ .comm = "bt-held" },
		{ .cgroup = "/batch.slice/*" },
	};
	char root[] = "/tmp/bt-ignore-proc-XXXXXX", p[256];
	struct ignore_plan plan;

	(void)state;
	ignore_plan_build(r, 2, &plan);
	assert_non_null(mkdtemp(root));
	snprintf(p, sizeof(p), "%s/10", root);
	assert_int_equal(mkdir(p, 0700), 0);
	fx_write_file(p, "comm", "bt-held\n");
	fx_write_file(p, "cgroup", "0::/user.slice\n");
	snprintf(p, sizeof(p), "%s/11", root);
	assert_int_equal(mkdir(p, 0700), 0);
	fx_write_file(p, "comm", "worker\n");
	fx_write_file(p, "cgroup", "12:cpu:/old\n0::/batch.slice/job.scope\n");
	snprintf(p, sizeof(p), "%s/12", root);
	assert_int_equal(mkdir(p, 0700), 0);
	fx_write_file(p, "comm", "worker\n");
	fx_write_file(p, "cgroup", "0::/system.slice/x.service\n");
	assert_int_equal(ignore_process(&plan, r, 2, root, 10), 0x1);
	assert_int_equal(ignore_process(&plan, r, 2, root, 11), 0x2);
	assert_int_equal(ignore_process(&plan, r, 2, root, 12), 0);
	assert_int_equal(ignore_process(&plan, r, 2, root, 13), 0); /* gone */
	for (unsigned pid = 10; pid <= 12; pid++) {
		snprintf(p, sizeof(p), "%s/%u/comm", root, pid);
		unlink(p);
		snprintf(p, sizeof(p), "%s/%u/cgroup", root, pid);
		unlink(p);
		snprintf(p, sizeof(p), "%s/%u", root, pid);
		rmdir(p);
	}
	rmdir(root);
}

static void test_no_rules(void **state)
{
	struct ignore_plan p;

	(void)state;
	ignore_plan_build(NULL, 0, &p);
	assert_int_equal(p.rules, 0);
	assert_int_equal(p.n_comms, 0);
	assert_false(kernel_says(&p, "anything", ~0ull));
	assert_false(ignore_has_cgroup_rules(NULL, 0));
}

static void test_cgroup_glob(void **state)
{
	static const struct obs_ignore_rule r[] = {
		{ .cgroup = "/" },
		{ .cgroup = "*/kubepods*/*" },
		{ .comm = "x" },
	};

	(void)state;
	assert_true(ignore_has_cgroup_rules(r, 3));
	assert_false(ignore_has_cgroup_rules(r + 2, 1));
	assert_int_equal(ignore_cgroup_mask(r, 3, "/"), 0x1);
	/* '*' crosses '/', as in services.match */
	assert_int_equal(ignore_cgroup_mask(r, 3, "/kubepods.slice/pod1/c1"), 0x2);
	assert_int_equal(ignore_cgroup_mask(r, 3, "/system.slice"), 0);
}

static void test_mountinfo(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(ignore_mountinfo_cgroup2("36 25 0:31 / /sys/fs/cgroup/unified rw,nosuid "
						  "shared:10 - cgroup2 cgroup2 rw,nsdelegate\n",
						  out, sizeof(out)),
			 0);
	assert_string_equal(out, "/sys/fs/cgroup/unified");
	assert_int_equal(
		ignore_mountinfo_cgroup2("30 1 0:27 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw", out,
					 sizeof(out)),
		0);
	assert_string_equal(out, "/sys/fs/cgroup");
	assert_int_equal(
		ignore_mountinfo_cgroup2("37 25 0:32 / /sys/fs/cgroup/cpu rw - cgroup cgroup "
					 "rw,cpu",
					 out, sizeof(out)),
		-ENOENT);
	/* a cgroup2 mount named in the optional fields is not the type */
	assert_int_equal(ignore_mountinfo_cgroup2("1 2 0:3 / /m rw master:cgroup2 - tmpfs t rw",
						  out, sizeof(out)),
			 -ENOENT);
	assert_int_equal(ignore_mountinfo_cgroup2("garbage", out, sizeof(out)), -ENOENT);
	assert_int_equal(ignore_mountinfo_cgroup2(" - cgroup2 x", out, sizeof(out)), -ENOENT);
	assert_int_equal(ignore_mountinfo_cgroup2("1 2 3 / /a/long/mount/point rw - cgroup2 c rw",
						  out, 8),
			 -ENAMETOOLONG);
}

static uint64_t ino_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_ino;
}

static void test_scan_tree(void **state)
{
	static const struct obs_ignore_rule r[] = {
		{ .cgroup = "/batch.slice/*" },
		{ .cgroup = "*/c2" },
	};
	char root[] = "/tmp/bt-ignore-XXXXXX", p[256];
	const char *dirs[] = { "batch.slice", "batch.slice/c1", "batch.slice/c2",
			       "other",	      "other/c2",	"other/.hidden" };
	struct ignore_cgroup out[8];
	bool more = true;
	ssize_t n;

	(void)state;
	assert_non_null(mkdtemp(root));
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", root, dirs[i]);
		assert_int_equal(mkdir(p, 0700), 0);
	}
	n = ignore_cgroups_scan(root, r, 2, out, 8, &more);
	assert_int_equal(n, 3); /* batch.slice/c1, batch.slice/c2 (both rules), other/c2 */
	assert_false(more);
	for (ssize_t i = 1; i < n; i++)
		assert_true(out[i - 1].id < out[i].id); /* sorted for the loader's lookups */
	for (ssize_t i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "%s/batch.slice/c2", root);
		if (out[i].id == ino_of(p))
			assert_int_equal(out[i].mask, 0x3);
		snprintf(p, sizeof(p), "%s/other/c2", root);
		if (out[i].id == ino_of(p))
			assert_int_equal(out[i].mask, 0x2);
	}
	for (ssize_t i = 0; i < n; i++)
		assert_true(ignore_cgroups_has(out, (size_t)n, out[i].id));
	assert_false(ignore_cgroups_has(out, (size_t)n, ino_of(root)));
	assert_false(ignore_cgroups_has(out, 0, out[0].id));
	n = ignore_cgroups_scan(root, r, 2, out, 2, &more);
	assert_int_equal(n, 2);
	assert_true(more); /* the table is full: said, not silent */
	assert_int_equal(ignore_cgroups_scan("/nonexistent/bt", r, 2, out, 8, &more), -ENOENT);
	for (ssize_t i = (ssize_t)(sizeof(dirs) / sizeof(dirs[0])) - 1; i >= 0; i--) {
		snprintf(p, sizeof(p), "%s/%s", root, dirs[i]);
		rmdir(p);
	}
	rmdir(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_masks),  cmocka_unit_test(test_no_rules),
		cmocka_unit_test(test_cgroup_glob), cmocka_unit_test(test_mountinfo),
		cmocka_unit_test(test_scan_tree),   cmocka_unit_test(test_match),
		cmocka_unit_test(test_process),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
