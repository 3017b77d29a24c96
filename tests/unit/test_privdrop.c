// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * privdrop: the kept set for every starting set, the listen port rule, the
 * names, and the drop itself in forked children (it is for good): every
 * set as /proc shows it, a dropped capability really refused (chown, a
 * port below 1024), no way back through capset, and the refusal when
 * another thread exists. The drop tests need root's capabilities and skip
 * without them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "privdrop.h"

#define B(c) PRIVDROP_BIT(c)
#define RUNTIME (B(CAP_SYS_ADMIN) | B(CAP_SYS_PTRACE) | B(CAP_DAC_READ_SEARCH))
#define ALL_CAPS ((1ull << 41) - 1) /* cap_chown .. cap_checkpoint_restore */

static void test_keep(void **state)
{
	(void)state;
	assert_int_equal(privdrop_keep(ALL_CAPS, 0), RUNTIME);
	/* what is not there is never added */
	assert_int_equal(privdrop_keep(0, 0), 0);
	assert_int_equal(privdrop_keep(B(CAP_SYS_PTRACE) | B(CAP_CHOWN), 0), B(CAP_SYS_PTRACE));
	/* no CAP_SYS_ADMIN: CAP_BPF stays for the map reads of older kernels */
	assert_int_equal(privdrop_keep(ALL_CAPS & ~B(CAP_SYS_ADMIN), 0),
			 B(CAP_SYS_PTRACE) | B(CAP_DAC_READ_SEARCH) | B(39));
	assert_int_equal(privdrop_keep(B(CAP_PERFMON) | B(CAP_SYS_PTRACE), 0), B(CAP_SYS_PTRACE));
	/* extra only when held */
	assert_int_equal(privdrop_keep(ALL_CAPS, B(CAP_NET_BIND_SERVICE)),
			 RUNTIME | B(CAP_NET_BIND_SERVICE));
	assert_int_equal(privdrop_keep(RUNTIME, B(CAP_NET_BIND_SERVICE)), RUNTIME);
}

static void test_keep_for_listen(void **state)
{
	const uint64_t nb = B(CAP_NET_BIND_SERVICE);

	(void)state;
	assert_int_equal(privdrop_keep_for_listen("127.0.0.1:80"), nb);
	assert_int_equal(privdrop_keep_for_listen("0.0.0.0:1023"), nb);
	assert_int_equal(privdrop_keep_for_listen("[::1]:443"), nb);
	assert_int_equal(privdrop_keep_for_listen(":1"), nb);
	assert_int_equal(privdrop_keep_for_listen("127.0.0.1:1024"), 0);
	assert_int_equal(privdrop_keep_for_listen("127.0.0.1:9464"), 0);
	assert_int_equal(privdrop_keep_for_listen("[::1]:9464"), 0);
	assert_int_equal(privdrop_keep_for_listen("127.0.0.1:0"), 0);
	assert_int_equal(privdrop_keep_for_listen("127.0.0.1:"), 0);
	assert_int_equal(privdrop_keep_for_listen("127.0.0.1:80x"), 0);
	assert_int_equal(privdrop_keep_for_listen("127.0.0.1:-80"), 0);
	assert_int_equal(privdrop_keep_for_listen("127.0.0.1:99999999999999999999"), 0);
	assert_int_equal(privdrop_keep_for_listen("localhost"), 0);
	assert_int_equal(privdrop_keep_for_listen(""), 0);
	assert_int_equal(privdrop_keep_for_listen(NULL), 0);
}

static void test_names(void **state)
{
	static const char runtime[] = "cap_dac_read_search,cap_sys_ptrace,cap_sys_admin";
	char buf[512], small[12];

	(void)state;
	assert_int_equal(privdrop_names(RUNTIME, buf, sizeof(buf)), strlen(runtime));
	assert_string_equal(buf, runtime);
	privdrop_names(0, buf, sizeof(buf));
	assert_string_equal(buf, "none");
	privdrop_names(B(CAP_PERFMON) | B(39) | B(40) | B(50), buf, sizeof(buf));
	assert_string_equal(buf, "cap_perfmon,cap_bpf,cap_checkpoint_restore,cap_50");
	privdrop_names(B(CAP_CHOWN), buf, sizeof(buf));
	assert_string_equal(buf, "cap_chown");
	/* cut, terminated, and the length it wanted */
	assert_int_equal(privdrop_names(RUNTIME, small, sizeof(small)), strlen(runtime));
	assert_string_equal(small, "cap_dac_rea");
}

/* ---- the drop, in children */

static uint64_t status_hex(const char *key)
{
	char line[256];
	unsigned long long v = ~0ull;
	size_t n = strlen(key);
	FILE *f = fopen("/proc/self/status", "re");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':')
			sscanf(line + n + 1, "%llx", &v);
	if (f)
		fclose(f);
	return v;
}

static int caps_set(uint64_t eff, uint64_t prm)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = {};

	for (int i = 0; i < 2; i++) {
		d[i].effective = (uint32_t)(eff >> (32 * i));
		d[i].permitted = (uint32_t)(prm >> (32 * i));
	}
	return (int)syscall(SYS_capset, &h, d);
}

static bool privileged(void)
{
	uint64_t need = RUNTIME | B(CAP_SETPCAP) | B(CAP_CHOWN) | B(CAP_NET_BIND_SERVICE);

	return (status_hex("CapEff") & need) == need;
}

/* Runs fn in a child; its exit status names the first check that failed. */
static void in_child(int (*fn)(void))
{
	int st;
	pid_t pid;

	if (!privileged()) {
		skip();
		return;
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(fn());
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st))
		fail_msg("check %d failed in the child", WEXITSTATUS(st));
}

/* bind to a free port below 1024: 0, or the errno */
static int bind_low(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0), e = EADDRINUSE;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	for (int port = 1000; port > 600 && e == EADDRINUSE; port--) {
		a.sin_port = htons(port);
		e = bind(fd, (struct sockaddr *)&a, sizeof(a)) ? errno : 0;
	}
	close(fd);
	return e;
}

static int drop_all_but_runtime(void)
{
	struct privdrop_report r;
	char path[] = "/tmp/bt-privdrop.XXXXXX";
	int fd, e;

	if (privdrop_apply(0, &r))
		return 1;
	if (r.after != RUNTIME || (r.before & RUNTIME) != RUNTIME || !r.bounding_trimmed)
		return 2;
	if (status_hex("CapEff") != RUNTIME || status_hex("CapPrm") != RUNTIME)
		return 3;
	if (status_hex("CapInh") != 0 || status_hex("CapAmb") != 0 ||
	    status_hex("CapBnd") != RUNTIME || status_hex("NoNewPrivs") != 1)
		return 4;
	/* CAP_CHOWN is gone: root cannot give its own file away any more */
	fd = mkstemp(path);
	if (fd < 0)
		return 5;
	e = fchown(fd, 65534, 65534) ? errno : 0;
	close(fd);
	unlink(path);
	if (e != EPERM)
		return 6;
	if (bind_low() != EACCES)
		return 7;
	/* and there is no way back */
	if (caps_set(ALL_CAPS, ALL_CAPS) == 0 || errno != EPERM)
		return 8;
	return status_hex("CapPrm") == RUNTIME ? 0 : 9;
}

static void test_apply(void **state)
{
	(void)state;
	in_child(drop_all_but_runtime);
}

static int drop_keeping_bind(void)
{
	struct privdrop_report r;

	if (privdrop_apply(privdrop_keep_for_listen("127.0.0.1:80"), &r))
		return 1;
	if (r.after != (RUNTIME | B(CAP_NET_BIND_SERVICE)))
		return 2;
	return bind_low() == 0 ? 0 : 3;
}

static void test_apply_extra(void **state)
{
	(void)state;
	in_child(drop_keeping_bind);
}

/* An operator who took CAP_SYS_ADMIN away: CAP_BPF stays for map reads. */
static int drop_without_sys_admin(void)
{
	uint64_t have = status_hex("CapPrm") & ~B(CAP_SYS_ADMIN);
	uint64_t want = B(CAP_SYS_PTRACE) | B(CAP_DAC_READ_SEARCH) | B(39);
	struct privdrop_report r;

	if (caps_set(have, have))
		return 1;
	if (privdrop_apply(0, &r) || r.before != have)
		return 2;
	return status_hex("CapPrm") == want && status_hex("CapEff") == want ? 0 : 3;
}

static void test_apply_without_sys_admin(void **state)
{
	(void)state;
	in_child(drop_without_sys_admin);
}

static void *idle(void *arg)
{
	(void)arg;
	pause();
	return NULL;
}

static int refuse_with_a_thread(void)
{
	uint64_t before = status_hex("CapPrm"), nnp = status_hex("NoNewPrivs");
	struct privdrop_report r = { 1, 1, 1 };
	pthread_t t;

	if (pthread_create(&t, NULL, idle, NULL))
		return 1;
	if (privdrop_apply(0, &r) != -EBUSY)
		return 2;
	/* nothing changed, and the report was not written */
	if (status_hex("CapPrm") != before || status_hex("NoNewPrivs") != nnp || r.before != 1)
		return 3;
	return 0;
}

static void test_apply_refuses_threads(void **state)
{
	(void)state;
	in_child(refuse_with_a_thread);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keep),
		cmocka_unit_test(test_keep_for_listen),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_apply_extra),
		cmocka_unit_test(test_apply_without_sys_admin),
		cmocka_unit_test(test_apply_refuses_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
