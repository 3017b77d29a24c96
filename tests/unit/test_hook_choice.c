// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hook_choice: the socket-layer hooks are used only on a kernel whose BTF
 * describes every tracepoint they attach to; a kernel without one (Linux
 * before 6.4 has no sock_send_length) gets the syscall hooks, and the
 * first missing tracepoint is named. Kernels are stood in for by BTF built
 * here with libbpf, one typedef per tracepoint as the kernel emits them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <bpf/btf.h>
#include <stdio.h>
#include <string.h>

#include "hook_choice.h"

/* A BTF with a typedef btf_trace_<name> for each name given. */
static struct btf *kernel_with(const char *const *names, size_t n)
{
	struct btf *btf = btf__new_empty();
	char tn[64];
	int id;

	assert_non_null(btf);
	id = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	assert_true(id > 0);
	for (size_t i = 0; i < n; i++) {
		snprintf(tn, sizeof(tn), "btf_trace_%s", names[i]);
		assert_true(btf__add_typedef(btf, tn, id) > 0);
	}
	return btf;
}

static void test_all_present(void **state)
{
	static const char *const all[] = { "sched_switch", "inet_sock_set_state",
					   "sock_recv_length", "sock_send_length",
					   "tcp_destroy_sock" };
	struct btf *btf = kernel_with(all, 5);
	const char *missing = "unset";

	(void)state;
	assert_int_equal(hook_choice_socket_ok(btf, &missing), 1);
	assert_null(missing);
	btf__free(btf);
}

static void test_one_missing(void **state)
{
	static const char *const old[] = { "inet_sock_set_state", "sock_send_length" };
	static const char *const no_state[] = { "sock_send_length", "sock_recv_length",
						"tcp_destroy_sock" };
	struct btf *btf = kernel_with(old, 2);
	const char *missing = NULL;

	(void)state;
	assert_int_equal(hook_choice_socket_ok(btf, &missing), 0);
	assert_string_equal(missing, "sock_recv_length");
	btf__free(btf);
	btf = kernel_with(no_state, 3);
	assert_int_equal(hook_choice_socket_ok(btf, &missing), 0);
	assert_string_equal(missing, "inet_sock_set_state");
	btf__free(btf);
}

/* The name alone is not enough: a struct that happens to be called so
 * is no tracepoint. */
static void test_kind_matters(void **state)
{
	struct btf *btf = btf__new_empty();
	const char *missing = NULL;

	(void)state;
	assert_true(btf__add_struct(btf, "btf_trace_sock_send_length", 0) > 0);
	assert_int_equal(hook_choice_socket_ok(btf, &missing), 0);
	assert_string_equal(missing, "sock_send_length");
	btf__free(btf);
}

static void test_no_btf(void **state)
{
	const char *missing = NULL;

	(void)state;
	assert_int_equal(hook_choice_socket_ok(NULL, &missing), 0);
	assert_string_equal(missing, "sock_send_length");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_present),
		cmocka_unit_test(test_one_missing),
		cmocka_unit_test(test_kind_matters),
		cmocka_unit_test(test_no_btf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
