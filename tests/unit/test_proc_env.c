// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * proc_env over a fake /proc tree (stat and environ files in a temp dir):
 * kept names only, one read per process, a recycled pid read again, LRU
 * eviction, the 1 MiB bound, odd environ and stat contents; then over the
 * real /proc with a child started with a known environment.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc_env.h"

static char root[64];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	(void)state;
	strcpy(root, "/tmp/test_proc_env.XXXXXX");
	return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "we");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* A stat line whose field 22 (start time) is start; comm holds ") (" like a hostile name. */
static void fake_stat(uint32_t pid, unsigned long long start)
{
	char path[128], line[512];
	int n;

	snprintf(path, sizeof(path), "%s/%u", root, pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%u/stat", root, pid);
	n = snprintf(line, sizeof(line),
		     "%u (we) ird 1 2 3) S 1 %u %u 0 -1 4194560 100 0 0 0 7 8 0 0 20 0 1 0 "
		     "%llu 1000 50 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 3 0 0 0 0 0\n",
		     pid, pid, pid, start);
	write_file(path, line, (size_t)n);
}

static void fake_environ(uint32_t pid, const char *env, size_t len)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%u/environ", root, pid);
	write_file(path, env, len);
}

static void fake_proc(uint32_t pid, unsigned long long start, const char *env, size_t len)
{
	fake_stat(pid, start);
	fake_environ(pid, env, len);
}

#define ENV(s) s, sizeof(s) - 1 /* keeps the embedded NULs */

static const char *const names[] = { "AGENT_TYPE", "TEAM", "EMPTY" };

static void test_kept_names(void **state)
{
	struct proc_env *e;

	(void)state;
	fake_proc(100, 5000,
		  ENV("HOME=/root\0AGENT_TYPE_X=no\0AGENT=no\0AGENT_TYPE=planner\0"
		      "SECRET_KEY=sk-123\0noequals\0EMPTY=\0AGENT_TYPE=second\0=x\0"));
	e = proc_env__new(root, names, 3, 8);
	assert_non_null(e);
	assert_string_equal(proc_env__get(e, 100, "AGENT_TYPE"), "planner"); /* first wins */
	assert_null(proc_env__get(e, 100, "TEAM"));
	assert_string_equal(proc_env__get(e, 100, "EMPTY"), "");
	/* not kept: never answered, whatever the environment holds */
	assert_null(proc_env__get(e, 100, "SECRET_KEY"));
	assert_null(proc_env__get(e, 100, "HOME"));
	assert_null(proc_env__get(e, 100, NULL));
	assert_null(proc_env__get(e, 100, ""));
	assert_int_equal(proc_env__reads(e), 1);
	assert_int_equal(proc_env__cut(e), 0);

	/* no such process */
	assert_null(proc_env__get(e, 101, "AGENT_TYPE"));
	assert_null(proc_env__get(e, 0, "AGENT_TYPE"));
	assert_int_equal(proc_env__reads(e), 1);
	assert_null(proc_env__get(NULL, 100, "AGENT_TYPE"));
	assert_int_equal(proc_env__reads(NULL), 0);
	proc_env__free(e);
	proc_env__free(NULL);
}

static void test_read_once_and_recycle(void **state)
{
	struct proc_env *e;

	(void)state;
	fake_proc(200, 7000, ENV("AGENT_TYPE=alpha\0TEAM=lab1\0"));
	e = proc_env__new(root, names, 3, 8);
	assert_non_null(e);
	assert_string_equal(proc_env__get(e, 200, "AGENT_TYPE"), "alpha");
	/* the environment a process started with does not change: no second read */
	fake_environ(200, ENV("AGENT_TYPE=changed\0"));
	assert_string_equal(proc_env__get(e, 200, "AGENT_TYPE"), "alpha");
	assert_string_equal(proc_env__get(e, 200, "TEAM"), "lab1");
	assert_int_equal(proc_env__reads(e), 1);

	/* same pid, another start time: another process, read again */
	fake_stat(200, 7001);
	assert_string_equal(proc_env__get(e, 200, "AGENT_TYPE"), "changed");
	assert_null(proc_env__get(e, 200, "TEAM"));
	assert_int_equal(proc_env__reads(e), 2);

	/* the process exits, then its pid comes back as a new process */
	fake_environ(200, ENV("AGENT_TYPE=third\0"));
	{
		char path[128];

		snprintf(path, sizeof(path), "%s/200/stat", root);
		assert_int_equal(unlink(path), 0);
	}
	/* gone: what was read of the process stays its own (its calls finish after exit) */
	assert_string_equal(proc_env__get(e, 200, "AGENT_TYPE"), "changed");
	fake_stat(200, 7002);
	assert_string_equal(proc_env__get(e, 200, "AGENT_TYPE"), "third");
	assert_int_equal(proc_env__reads(e), 3);
	proc_env__free(e);
}

static void test_lru(void **state)
{
	struct proc_env *e;

	(void)state;
	fake_proc(301, 1, ENV("AGENT_TYPE=one\0"));
	fake_proc(302, 2, ENV("AGENT_TYPE=two\0"));
	fake_proc(303, 3, ENV("AGENT_TYPE=three\0"));
	e = proc_env__new(root, names, 1, 2);
	assert_non_null(e);
	assert_string_equal(proc_env__get(e, 301, "AGENT_TYPE"), "one");
	assert_string_equal(proc_env__get(e, 302, "AGENT_TYPE"), "two");
	assert_string_equal(proc_env__get(e, 301, "AGENT_TYPE"), "one"); /* 302 now oldest */
	assert_int_equal(proc_env__reads(e), 2);
	assert_string_equal(proc_env__get(e, 303, "AGENT_TYPE"), "three"); /* evicts 302 */
	assert_int_equal(proc_env__reads(e), 3);
	assert_string_equal(proc_env__get(e, 301, "AGENT_TYPE"), "one");
	assert_int_equal(proc_env__reads(e), 3);
	assert_string_equal(proc_env__get(e, 302, "AGENT_TYPE"), "two"); /* evicts 303 */
	assert_int_equal(proc_env__reads(e), 4);
	assert_string_equal(proc_env__get(e, 301, "AGENT_TYPE"), "one");
	assert_string_equal(proc_env__get(e, 303, "AGENT_TYPE"), "three");
	assert_int_equal(proc_env__reads(e), 5);
	proc_env__free(e);

	/* one slot, many pids that share hash buckets: always exactly one read per switch */
	e = proc_env__new(root, names, 1, 1);
	assert_non_null(e);
	for (int i = 0; i < 30; i++)
		assert_string_equal(proc_env__get(e, 301 + i % 3, "AGENT_TYPE"),
				    i % 3 == 0 ? "one" :
				    i % 3 == 1 ? "two" :
						 "three");
	assert_int_equal(proc_env__reads(e), 30);
	proc_env__free(e);
}

static void test_odd_environ(void **state)
{
	static const char *const one[] = { "AGENT_TYPE" };
	char big[400], want[PROC_ENV_VALUE_MAX];
	struct proc_env *e;
	int n;

	(void)state;
	/* value cut at PROC_ENV_VALUE_MAX - 1 bytes */
	memset(want, 'v', sizeof(want) - 1);
	want[sizeof(want) - 1] = '\0';
	n = snprintf(big, sizeof(big), "AGENT_TYPE=%s%s", want, "tail-not-kept");
	fake_proc(400, 1, big, (size_t)n + 1);
	/* no final NUL (a process may rewrite its environ area) */
	fake_proc(401, 1, ENV("X=1\0AGENT_TYPE=last"));
	/* empty environ (kernel threads, zombies) */
	fake_proc(402, 1, "", 0);
	/* binary junk and NULs only */
	fake_proc(403, 1, ENV("\0\0\xff\xfe=\0\0AGENT_TYPE=\x01\x02\0"));
	/* environ is a directory: unreadable but present */
	fake_stat(404, 1);
	{
		char path[128];

		snprintf(path, sizeof(path), "%s/404/environ", root);
		assert_int_equal(mkdir(path, 0755), 0);
	}
	e = proc_env__new(root, one, 1, 16);
	assert_non_null(e);
	assert_string_equal(proc_env__get(e, 400, "AGENT_TYPE"), want);
	assert_int_equal(strlen(proc_env__get(e, 400, "AGENT_TYPE")), PROC_ENV_VALUE_MAX - 1);
	assert_string_equal(proc_env__get(e, 401, "AGENT_TYPE"), "last");
	assert_null(proc_env__get(e, 402, "AGENT_TYPE"));
	assert_string_equal(proc_env__get(e, 403, "AGENT_TYPE"), "\x01\x02");
	assert_null(proc_env__get(e, 404, "AGENT_TYPE"));
	assert_int_equal(proc_env__cut(e), 0);
	proc_env__free(e);
}

/* Builds a len-byte environ of filler entries with AGENT_TYPE=value at offset at. */
static char *filler(size_t len, size_t at, const char *entry)
{
	char *buf = malloc(len);
	size_t el = strlen(entry) + 1;

	assert_non_null(buf);
	for (size_t i = 0; i < len; i++)
		buf[i] = i % 64 == 63 ? '\0' : 'F';
	assert_true(at + el <= len);
	memcpy(buf + at, entry, el);
	if (at)
		buf[at - 1] = '\0';
	buf[len - 1] = '\0';
	return buf;
}

static void test_bound(void **state)
{
	static const char *const two[] = { "AGENT_TYPE", "TEAM" };
	const size_t max = PROC_ENV_READ_MAX;
	struct proc_env *e;
	char *buf;

	(void)state;
	/* an entry across the 16 KiB read chunks */
	buf = filler(100000, 16384 - 7, "AGENT_TYPE=straddle");
	fake_proc(500, 1, buf, 100000);
	free(buf);
	/* exactly the bound: complete, not cut; the last entry ends at the last byte */
	buf = filler(max, max - 10, "TEAM=edge");
	fake_proc(501, 1, buf, max);
	free(buf);
	/* past the bound: the entry beyond is not seen, the cut is counted */
	buf = filler(max + 4096, max + 100, "AGENT_TYPE=beyond");
	memcpy(buf + 1000, "TEAM=early", 11);
	buf[999] = '\0';
	fake_proc(502, 1, buf, max + 4096);
	free(buf);
	/* an entry that the bound cuts in half is dropped, not kept half */
	buf = filler(max + 64, max - 12, "TEAM=halfway-through");
	fake_proc(503, 1, buf, max + 64);
	free(buf);

	e = proc_env__new(root, two, 2, 16);
	assert_non_null(e);
	assert_string_equal(proc_env__get(e, 500, "AGENT_TYPE"), "straddle");
	assert_string_equal(proc_env__get(e, 501, "TEAM"), "edge");
	assert_int_equal(proc_env__cut(e), 0);
	assert_null(proc_env__get(e, 502, "AGENT_TYPE"));
	assert_string_equal(proc_env__get(e, 502, "TEAM"), "early");
	assert_int_equal(proc_env__cut(e), 1);
	assert_null(proc_env__get(e, 503, "TEAM"));
	assert_int_equal(proc_env__cut(e), 2);
	assert_int_equal(proc_env__reads(e), 4);
	proc_env__free(e);
}

static void test_bad_stat(void **state)
{
	static const char *const bad[] = {
		"600 (x S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21\n", /* no ')' */
		"600 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18\n", /* too short */
		"600 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 abc 20 21\n",
		"600 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 12x 20 21\n",
		"",
	};
	static const char *const one[] = { "AGENT_TYPE" };
	char path[128];
	struct proc_env *e = proc_env__new(root, one, 1, 4);

	(void)state;
	assert_non_null(e);
	fake_proc(600, 1, ENV("AGENT_TYPE=x\0"));
	snprintf(path, sizeof(path), "%s/600/stat", root);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(path, bad[i], strlen(bad[i]));
		if (proc_env__get(e, 600, "AGENT_TYPE"))
			fail_msg("stat \"%s\" accepted", bad[i]);
	}
	assert_int_equal(proc_env__reads(e), 0);
	/* start time exactly at field 22, with the line ending right after it */
	write_file(path, ENV("600 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 42"));
	assert_string_equal(proc_env__get(e, 600, "AGENT_TYPE"), "x");
	proc_env__free(e);
}

static void test_new_args(void **state)
{
	static const char *const many[PROC_ENV_MAX_NAMES + 1] = {
		"A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O", "P", "Q",
	};
	static const char *const eq[] = { "A=B" };
	static const char *const empty[] = { "" };
	static const char *const null[] = { NULL };
	char longname[PROC_ENV_NAME_MAX + 1], longroot[5000];
	const char *ln[] = { longname };
	struct proc_env *e;

	(void)state;
	e = proc_env__new(root, many, PROC_ENV_MAX_NAMES, 1);
	assert_non_null(e);
	proc_env__free(e);
	e = proc_env__new(NULL, NULL, 0, 1); /* no names: answers nothing, reads nothing */
	assert_non_null(e);
	assert_null(proc_env__get(e, (uint32_t)getpid(), "PATH"));
	assert_int_equal(proc_env__reads(e), 0);
	proc_env__free(e);

	memset(longname, 'N', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	memset(longroot, '/', sizeof(longroot) - 1);
	longroot[sizeof(longroot) - 1] = '\0';
	errno = 0;
	assert_null(proc_env__new(root, many, PROC_ENV_MAX_NAMES + 1, 1));
	assert_int_equal(errno, EINVAL);
	assert_null(proc_env__new(root, eq, 1, 1));
	assert_null(proc_env__new(root, empty, 1, 1));
	assert_null(proc_env__new(root, null, 1, 1));
	assert_null(proc_env__new(root, NULL, 1, 1));
	assert_null(proc_env__new(root, ln, 1, 1));
	assert_null(proc_env__new(root, many, 1, 0));
	errno = 0;
	assert_null(proc_env__new(longroot, many, 1, 1));
	assert_int_equal(errno, EINVAL);
	longname[PROC_ENV_NAME_MAX - 1] = '\0'; /* 255 bytes: the longest accepted */
	e = proc_env__new(root, ln, 1, 1);
	assert_non_null(e);
	proc_env__free(e);
}

/* A real process started with a known environment: fork, execve /bin/sleep, read, kill. */
static void test_real_proc(void **state)
{
	static const char *const want[] = { "AGENT_TYPE", "TEAM" };
	char *const argv[] = { "sleep", "60", NULL };
	char *const envp[] = { "HOME=/nowhere", "AGENT_TYPE=real-agent", "TOKEN=secret", NULL };
	struct proc_env *e;
	int pfd[2], status;
	char c;
	pid_t pid;

	(void)state;
	/* the pipe closes on a successful exec: the environ we read is then the new one */
	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		close(pfd[0]);
		execve("/bin/sleep", argv, envp);
		(void)!write(pfd[1], "x", 1);
		_exit(127);
	}
	close(pfd[1]);
	assert_int_equal(read(pfd[0], &c, 1), 0);
	close(pfd[0]);

	e = proc_env__new("/proc", want, 2, 8);
	assert_non_null(e);
	assert_string_equal(proc_env__get(e, (uint32_t)pid, "AGENT_TYPE"), "real-agent");
	assert_null(proc_env__get(e, (uint32_t)pid, "TEAM"));
	assert_null(proc_env__get(e, (uint32_t)pid, "TOKEN"));
	assert_string_equal(proc_env__get(e, (uint32_t)pid, "AGENT_TYPE"), "real-agent");
	assert_int_equal(proc_env__reads(e), 1);

	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	/* exited: the values read while it ran still answer, with no read */
	assert_string_equal(proc_env__get(e, (uint32_t)pid, "AGENT_TYPE"), "real-agent");
	assert_int_equal(proc_env__reads(e), 1);
	/* a process never seen before and already gone has nothing */
	assert_null(proc_env__get(e, 4000000u, "AGENT_TYPE"));
	proc_env__free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kept_names), cmocka_unit_test(test_read_once_and_recycle),
		cmocka_unit_test(test_lru),	   cmocka_unit_test(test_odd_environ),
		cmocka_unit_test(test_bound),	   cmocka_unit_test(test_bad_stat),
		cmocka_unit_test(test_new_args),   cmocka_unit_test(test_real_proc),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
