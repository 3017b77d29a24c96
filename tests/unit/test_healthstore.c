// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * healthstore: SLA minutes written, replaced and read back across a
 * reopen (the 30-day windows' restart path), transitions newest first
 * within a range and a limit, snapshots downsampled by step with exact
 * sums, averages and worst values, retention, bad input, files it must
 * refuse (garbage, another program's, a newer schema, read-only), a
 * writer killed by SIGKILL right after its writes, and a full disk (a
 * tiny tmpfs in a private mount namespace): errors, never a crash, reads
 * still served, writes again once space is back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "healthstore.h"

#define T0_MS 1767225600000ll /* 2026-01-01T00:00Z */
#define T0_MIN (T0_MS / 60000)

static char dir[64];

static const char *path_of(const char *name)
{
	static char p[sizeof(dir) + 260];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

static struct healthstore *open_ok(const char *name)
{
	char err[256];
	struct healthstore *s = healthstore__open(path_of(name), err, sizeof(err));

	if (!s)
		fail_msg("open %s: %s", name, err);
	return s;
}

struct minutes {
	size_t n;
	struct {
		char service[64];
		int64_t minute;
		uint64_t total, good, errors;
	} r[64];
};

static int keep_minute(void *arg, const struct hs_minute *m)
{
	struct minutes *ms = arg;

	if (ms->n == 64)
		return -ENOSPC;
	snprintf(ms->r[ms->n].service, sizeof(ms->r[0].service), "%s", m->service);
	ms->r[ms->n].minute = m->minute;
	ms->r[ms->n].total = m->total;
	ms->r[ms->n].good = m->good;
	ms->r[ms->n].errors = m->errors;
	ms->n++;
	return 0;
}

static struct minutes load(struct healthstore *s, int64_t since)
{
	struct minutes ms = { 0 };

	assert_int_equal(healthstore__load_minutes(s, since, keep_minute, &ms), 0);
	return ms;
}

static void test_minutes_survive_reopen(void **state)
{
	struct healthstore *s = open_ok("minutes.db");
	struct hs_minute rows[] = {
		{ "api", T0_MIN, 100, 98, 1 },
		{ "api", T0_MIN + 1, 50, 50, 0 },
		{ "worker", T0_MIN, 7, 0, 7 },
	};
	struct minutes ms;

	(void)state;
	assert_int_equal(healthstore__put_minutes(s, rows, 3), 0);
	/* a rewrite of a minute replaces it: the caller writes absolute counts */
	rows[1].total = 60;
	rows[1].good = 59;
	assert_int_equal(healthstore__put_minutes(s, &rows[1], 1), 0);
	assert_int_equal(healthstore__put_minutes(s, NULL, 0), 0);
	healthstore__close(s);
	s = open_ok("minutes.db");
	ms = load(s, 0);
	assert_int_equal(ms.n, 3);
	/* oldest first, then by service */
	assert_string_equal(ms.r[0].service, "api");
	assert_int_equal(ms.r[0].total, 100);
	assert_int_equal(ms.r[0].good, 98);
	assert_int_equal(ms.r[0].errors, 1);
	assert_string_equal(ms.r[1].service, "worker");
	assert_int_equal(ms.r[1].errors, 7);
	assert_int_equal(ms.r[2].minute, T0_MIN + 1);
	assert_int_equal(ms.r[2].total, 60);
	assert_int_equal(ms.r[2].good, 59);
	ms = load(s, T0_MIN + 1);
	assert_int_equal(ms.n, 1);
	healthstore__close(s);
}

/* One bad row refuses the whole batch; nothing of it is written. */
static void test_bad_input(void **state)
{
	struct healthstore *s = open_ok("bad.db");
	struct hs_minute rows[] = {
		{ "api", T0_MIN, 10, 10, 0 },
		{ "api", T0_MIN + 1, 10, 9, 2 }, /* good + errors > total */
	};
	struct hs_minute empty = { "", T0_MIN, 1, 1, 0 }, neg = { "api", -1, 1, 1, 0 };
	struct hs_transition t = { T0_MS, NULL, "healthy", "[]" };
	struct hs_snapshot sn = { .ts_ms = T0_MS, .requests = UINT64_MAX };

	(void)state;
	assert_int_equal(healthstore__put_minutes(s, rows, 2), -EINVAL);
	assert_int_equal(healthstore__put_minutes(s, &empty, 1), -EINVAL);
	assert_int_equal(healthstore__put_minutes(s, &neg, 1), -EINVAL);
	assert_int_equal(healthstore__put_minutes(s, NULL, 1), -EINVAL);
	assert_int_equal(load(s, 0).n, 0);
	assert_int_equal(healthstore__add_transition(s, &t), -EINVAL);
	assert_int_equal(healthstore__add_transition(s, NULL), -EINVAL);
	assert_int_equal(healthstore__add_snapshot(s, &sn), -EINVAL);
	assert_int_equal(healthstore__transitions(s, 0, 1, 0, NULL, NULL), -EINVAL);
	assert_int_equal(healthstore__series(s, 10, 5, 1000, NULL, NULL), -EINVAL);
	assert_int_equal(healthstore__add_transition(NULL, &t), -EINVAL);
	assert_null(healthstore__open("", NULL, 0));
	assert_int_equal(errno, EINVAL);
	healthstore__close(s);
	healthstore__close(NULL);
}

struct trows {
	size_t n;
	int64_t ts[16];
	char status[16][16], reasons[16][256];
};

static int keep_transition(void *arg, const struct hs_transition_row *r)
{
	struct trows *t = arg;

	snprintf(t->status[t->n], sizeof(t->status[0]), "%s", r->status);
	snprintf(t->reasons[t->n], sizeof(t->reasons[0]), "%s", r->reasons_json);
	t->ts[t->n++] = r->ts_ms;
	return 0;
}

static void test_transitions(void **state)
{
	static const char *const st[] = { "healthy", "degraded", "unhealthy", "degraded",
					  "healthy" };
	struct healthstore *s = open_ok("transitions.db");
	struct trows t = { 0 };
	char big[HEALTHSTORE_REASONS_MAX + 100];

	(void)state;
	for (int i = 0; i < 5; i++) {
		struct hs_transition tr = { T0_MS + i * 1000, st[i], i ? st[i - 1] : "unknown",
					    i == 2 ? "[\"cpu 97% >= 95% (critical)\"]" : NULL };

		assert_int_equal(healthstore__add_transition(s, &tr), 0);
	}
	assert_int_equal(healthstore__transitions(s, 0, INT64_MAX, 100, keep_transition, &t), 0);
	assert_int_equal(t.n, 5);
	assert_int_equal(t.ts[0], T0_MS + 4000); /* newest first */
	assert_string_equal(t.status[0], "healthy");
	assert_string_equal(t.status[2], "unhealthy");
	assert_string_equal(t.reasons[2], "[\"cpu 97% >= 95% (critical)\"]");
	assert_string_equal(t.reasons[0], "[]");
	memset(&t, 0, sizeof(t));
	assert_int_equal(
		healthstore__transitions(s, T0_MS + 1000, T0_MS + 3000, 2, keep_transition, &t), 0);
	assert_int_equal(t.n, 2);
	assert_int_equal(t.ts[0], T0_MS + 3000);
	assert_int_equal(t.ts[1], T0_MS + 2000);
	/* reasons longer than kept are cut, the row still stored */
	memset(big, 'r', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(healthstore__add_transition(
				 s, &(struct hs_transition){ T0_MS + 9000, "healthy", "x", big }),
			 0);
	healthstore__close(s);
}

struct points {
	size_t n;
	struct hs_point p[16];
};

static int keep_point(void *arg, const struct hs_point *p)
{
	struct points *ps = arg;

	if (ps->n < 16)
		ps->p[ps->n++] = *p;
	return 0;
}

/* 60 snapshots 10 s apart, read back in 1-minute steps: exact sums, means and worst values. */
static void test_series(void **state)
{
	struct healthstore *s = open_ok("series.db");
	struct points ps = { 0 };

	(void)state;
	for (int i = 0; i < 60; i++) {
		struct hs_snapshot sn = {
			.ts_ms = T0_MS + i * 10000ll,
			.span_ms = 10000,
			.status = i == 13 ? 2 : i % 7 == 0,
			.requests = (uint64_t)i,
			.errors = (uint64_t)(i % 2),
			.llm_calls = 1,
			.db_ops = 2,
			.p95_s = i < 6 ? -1 : i * 0.001, /* the first minute: no requests */
			.cpu = i * 0.01,
			.mem = 0.5,
			.comp_up = (uint32_t)(3 - i % 3),
			.comp_down = (uint32_t)(i % 3),
		};

		assert_int_equal(healthstore__add_snapshot(s, &sn), 0);
	}
	assert_int_equal(healthstore__series(s, T0_MS, T0_MS + 3600000, 60000, keep_point, &ps), 0);
	assert_int_equal(ps.n, 10);
	for (size_t k = 0; k < 10; k++) {
		const struct hs_point *p = &ps.p[k];
		uint64_t req = 0;

		for (int i = (int)k * 6; i < (int)k * 6 + 6; i++)
			req += (uint64_t)i;
		assert_int_equal(p->ts_ms, T0_MS + (int64_t)k * 60000);
		assert_int_equal(p->samples, 6);
		assert_int_equal(p->span_ms, 60000);
		assert_int_equal(p->requests, req);
		assert_int_equal(p->errors, 3);
		assert_int_equal(p->llm_calls, 6);
		assert_int_equal(p->db_ops, 12);
		assert_true(fabs(p->cpu - (k * 6 + 2.5) * 0.01) < 1e-12);
		assert_true(fabs(p->mem - 0.5) < 1e-12);
		assert_int_equal(p->comp_up, 1);
		assert_int_equal(p->comp_down, 2);
		if (k == 0)
			assert_true(p->p95_s < 0); /* none measured */
		else
			assert_true(fabs(p->p95_s - (k * 6 + 5) * 0.001) < 1e-12);
	}
	assert_int_equal(ps.p[2].status, 2); /* sample 13 */
	assert_int_equal(ps.p[1].status, 1); /* sample 7 */
	assert_int_equal(ps.p[3].status, 1); /* sample 21 */
	assert_int_equal(ps.p[4].status, 1); /* sample 28 */
	assert_int_equal(ps.p[5].status, 1); /* sample 35 */
	/* a window that starts mid-step: steps count from 'from' */
	memset(&ps, 0, sizeof(ps));
	assert_int_equal(
		healthstore__series(s, T0_MS + 30000, T0_MS + 89999, 60000, keep_point, &ps), 0);
	assert_int_equal(ps.n, 1);
	assert_int_equal(ps.p[0].samples, 6);
	assert_int_equal(ps.p[0].requests, 3 + 4 + 5 + 6 + 7 + 8);
	assert_int_equal(healthstore__series(s, 0, HEALTHSTORE_POINTS_MAX * 1000ll, 1000,
					     keep_point, &ps),
			 -E2BIG);
	healthstore__close(s);
}

static void test_sweep(void **state)
{
	struct healthstore *s = open_ok("sweep.db");
	struct trows t = { 0 };

	(void)state;
	for (int i = 0; i < 10; i++) {
		struct hs_snapshot sn = {
			.ts_ms = T0_MS + i * 60000ll, .p95_s = -1, .cpu = -1, .mem = -1
		};
		struct hs_minute m = { "api", T0_MIN + i, 1, 1, 0 };
		struct hs_transition tr = { T0_MS + i * 60000ll, "healthy", "unknown", "[]" };

		assert_int_equal(healthstore__add_snapshot(s, &sn), 0);
		assert_int_equal(healthstore__put_minutes(s, &m, 1), 0);
		assert_int_equal(healthstore__add_transition(s, &tr), 0);
	}
	/* 4 transitions + 4 snapshots before minute 4, 7 minutes before T0_MIN + 7 */
	assert_int_equal(healthstore__sweep(s, T0_MS + 4 * 60000, T0_MIN + 7), 15);
	assert_int_equal(healthstore__sweep(s, T0_MS + 4 * 60000, T0_MIN + 7), 0);
	assert_int_equal(load(s, 0).n, 3);
	assert_int_equal(healthstore__transitions(s, 0, INT64_MAX, 100, keep_transition, &t), 0);
	assert_int_equal(t.n, 6);
	assert_int_equal(t.ts[5], T0_MS + 4 * 60000);
	healthstore__close(s);
}

static void write_file(const char *name, const void *data, size_t len)
{
	FILE *f = fopen(path_of(name), "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void expect_refused(const char *name, int want_errno, const char *want_text)
{
	char err[256] = "";

	errno = 0;
	assert_null(healthstore__open(path_of(name), err, sizeof(err)));
	assert_int_equal(errno, want_errno);
	if (!strstr(err, want_text))
		fail_msg("error '%s' lacks '%s'", err, want_text);
}

static void test_foreign_files(void **state)
{
	sqlite3 *db;

	(void)state;
	write_file("garbage.db", "this is not a database, not at all, no. ", 41);
	expect_refused("garbage.db", EINVAL, "not a SQLite database");
	assert_int_equal(sqlite3_open(path_of("other.db"), &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE t(x); PRAGMA application_id = 7", NULL,
				      NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	expect_refused("other.db", EINVAL, "another program");
	healthstore__close(open_ok("newer.db"));
	assert_int_equal(sqlite3_open(path_of("newer.db"), &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	expect_refused("newer.db", EINVAL, "newer");
}

static void test_read_only(void **state)
{
	struct healthstore *s = open_ok("ro.db");
	struct hs_minute m = { "api", T0_MIN, 5, 5, 0 };
	int status;
	pid_t pid;

	(void)state;
	assert_int_equal(healthstore__put_minutes(s, &m, 1), 0);
	healthstore__close(s);
	assert_int_equal(chmod(path_of("ro.db"), 0444), 0);
	assert_int_equal(chmod(dir, 0755), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char err[256] = "";

		if (geteuid() == 0 && (setgid(65534) || setuid(65534)))
			_exit(3);
		errno = 0;
		s = healthstore__open(path_of("ro.db"), err, sizeof(err));
		_exit(!s && errno == EROFS && strstr(err, "read-only") ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	chmod(dir, 0700);
	chmod(path_of("ro.db"), 0644);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	s = open_ok("ro.db");
	assert_int_equal(load(s, 0).n, 1);
	healthstore__close(s);
}

/* Every write the killed writer saw succeed is there after a reopen. */
static void test_sigkill_writer(void **state)
{
	const int n = 50;
	struct healthstore *s;
	struct minutes ms;
	int status;
	pid_t pid;

	(void)state;
	healthstore__close(open_ok("kill.db"));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct healthstore *c = healthstore__open(path_of("kill.db"), NULL, 0);

		for (int i = 0; c && i < n; i++) {
			struct hs_minute m = { "api", T0_MIN + i, (uint64_t)i + 1, (uint64_t)i, 1 };
			struct hs_snapshot sn = { .ts_ms = T0_MS + i, .requests = 1, .p95_s = -1 };

			if (healthstore__put_minutes(c, &m, 1) || healthstore__add_snapshot(c, &sn))
				_exit(2);
		}
		if (c)
			raise(SIGKILL);
		_exit(1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	s = open_ok("kill.db");
	ms = load(s, 0);
	assert_int_equal(ms.n, n);
	for (int i = 0; i < n; i++) {
		assert_int_equal(ms.r[i].minute, T0_MIN + i);
		assert_int_equal(ms.r[i].total, i + 1);
	}
	healthstore__close(s);
}

/* Fills the rest of the file system; returns the filler's path. */
static void fill(const char *path)
{
	static char block[4096];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0)
		_exit(20);
	while (write(fd, block, sizeof(block)) > 0)
		;
	while (write(fd, block, 1) > 0)
		;
	close(fd);
}

/* In the child: a 1 MiB tmpfs of its own, filled up. 0 when everything held. */
static int full_disk_child(const char *mnt)
{
	char db[128], filler[128];
	struct hs_minute rows[200];
	struct hs_snapshot sn = { .ts_ms = T0_MS, .p95_s = -1, .cpu = -1, .mem = -1 };
	struct healthstore *s;
	struct minutes ms = { 0 };
	int e = -ENOSPC, i;

	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("bt-test", mnt, "tmpfs", 0, "size=1m"))
		return 77;
	snprintf(db, sizeof(db), "%s/health.db", mnt);
	snprintf(filler, sizeof(filler), "%s/filler", mnt);
	s = healthstore__open(db, NULL, 0);
	if (!s)
		return 10;
	rows[0] = (struct hs_minute){ "api", T0_MIN, 3, 3, 0 };
	if (healthstore__put_minutes(s, rows, 1))
		return 11;
	fill(filler);
	for (i = 0; i < 200; i++)
		rows[i] = (struct hs_minute){ "a-service-with-a-long-name-to-take-room", T0_MIN + i,
					      10, 10, 0 };
	/* the WAL may still have room for a few batches: write until it runs out */
	for (int tries = 0; tries < 1000 && !(e = healthstore__put_minutes(s, rows, 200));
	     tries++) {
		for (i = 0; i < 200; i++)
			rows[i].minute += 200; /* new rows: the file must grow */
	}
	if (e != -ENOSPC)
		return 12;
	if (healthstore__add_snapshot(s, &sn) != -ENOSPC)
		return 13;
	/* what was committed reads back */
	if (healthstore__load_minutes(s, 0, keep_minute, &ms) || ms.n < 1 || ms.r[0].total != 3)
		return 14;
	unlink(filler);
	if (healthstore__put_minutes(s, rows, 200) || healthstore__add_snapshot(s, &sn))
		return 15;
	healthstore__close(s);
	return 0;
}

static void test_full_disk(void **state)
{
	char mnt[128];
	int status;
	pid_t pid;

	(void)state;
	snprintf(mnt, sizeof(mnt), "%s/tmpfs", dir);
	assert_int_equal(mkdir(mnt, 0700), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(full_disk_child(mnt));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77) {
		print_message("no private mount namespace (not root?): full disk not tested\n");
		skip();
	}
	assert_int_equal(WEXITSTATUS(status), 0);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/bt-test-healthstore.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minutes_survive_reopen),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_transitions),
		cmocka_unit_test(test_series),
		cmocka_unit_test(test_sweep),
		cmocka_unit_test(test_foreign_files),
		cmocka_unit_test(test_read_only),
		cmocka_unit_test(test_sigkill_writer),
		cmocka_unit_test(test_full_disk),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
