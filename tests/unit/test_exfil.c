// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * exfil: the sum per process and destination crosses the threshold once
 * (not one flow before), the window slides, the alert re-arms only after
 * the sum falls below the threshold, allowlisted networks (IPv4, IPv6,
 * IPv4-mapped) never count, other processes and destinations are apart,
 * many flows fold without losing bytes, and memory stays bounded under a
 * flood of pairs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "exfil.h"

#define S 1000000000ull
#define MIB (1ull << 20)

static struct bt_flow_record flow(uint32_t tgid, const char *dst, uint64_t bytes)
{
	struct bt_flow_record f = { .bytes_sent = bytes, .dport = 443 };

	f.hdr.tgid = tgid;
	memcpy(f.comm, "curl", 5);
	if (inet_pton(AF_INET, dst, f.daddr) == 1) {
		f.family = AF_INET;
	} else {
		f.family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, dst, f.daddr), 1);
	}
	return f;
}

static struct exfil *make(struct cidr *allow, size_t n)
{
	struct exfil_cfg c = {
		.bytes = 10 * MIB, .window_ns = 60 * S, .allow = allow, .n_allow = n
	};
	struct exfil *x = exfil__new(&c);

	assert_non_null(x);
	return x;
}

static void test_threshold_window_rearm(void **state)
{
	struct exfil *x = make(NULL, 0);
	struct exfil_alert a;
	struct bt_flow_record f = flow(7, "10.200.0.2", 4 * MIB);

	(void)state;
	assert_int_equal(exfil__flow(x, 1 * S, &f, &a), 0);
	assert_int_equal(exfil__flow(x, 2 * S, &f, &a), 0); /* 8 MiB */
	f.bytes_sent = 2 * MIB;
	assert_int_equal(exfil__flow(x, 3 * S, &f, &a), 1); /* exactly 10 MiB */
	assert_int_equal(a.tgid, 7);
	assert_string_equal(a.dest, "10.200.0.2");
	assert_string_equal(a.comm, "curl");
	assert_int_equal(a.bytes, 10 * MIB);
	assert_int_equal(a.flows, 3);
	assert_int_equal(exfil__flow(x, 4 * S, &f, &a), 0); /* still the same burst */
	/* 70 s later the first flows left the window: 2+2 MiB, below: re-armed */
	assert_int_equal(exfil__flow(x, 64 * S, &f, &a), 0);
	f.bytes_sent = 9 * MIB;
	assert_int_equal(exfil__flow(x, 65 * S, &f, &a), 1);
	/* another process, another destination: their own sums */
	f = flow(8, "10.200.0.2", 9 * MIB);
	assert_int_equal(exfil__flow(x, 66 * S, &f, &a), 0);
	f = flow(7, "10.200.0.3", 9 * MIB);
	assert_int_equal(exfil__flow(x, 66 * S, &f, &a), 0);
	exfil__free(x);
}

static void test_allowlist(void **state)
{
	struct cidr allow[3];
	struct exfil *x;
	struct exfil_alert a;
	struct bt_flow_record f;

	(void)state;
	assert_int_equal(cidr_parse("10.0.0.0/8", &allow[0]), 0);
	assert_int_equal(cidr_parse("fd00::/8", &allow[1]), 0);
	assert_int_equal(cidr_parse("192.168.1.7", &allow[2]), 0);
	assert_int_equal(cidr_parse("10.0.0.0/33", &allow[2]), -EINVAL);
	assert_int_equal(cidr_parse("nope", &allow[2]), -EINVAL);
	assert_int_equal(cidr_parse("192.168.1.7", &allow[2]), 0);
	x = make(allow, 3);
	f = flow(1, "10.9.8.7", 100 * MIB);
	assert_int_equal(exfil__flow(x, S, &f, &a), 0);
	f = flow(1, "fd12::1", 100 * MIB);
	assert_int_equal(exfil__flow(x, S, &f, &a), 0);
	f = flow(1, "::ffff:10.1.2.3", 100 * MIB); /* mapped: as the IPv4 address */
	assert_int_equal(exfil__flow(x, S, &f, &a), 0);
	f = flow(1, "192.168.1.8", 100 * MIB);
	assert_int_equal(exfil__flow(x, S, &f, &a), 1);
	f = flow(1, "2001:db8::1", 100 * MIB);
	assert_int_equal(exfil__flow(x, S, &f, &a), 1);
	assert_string_equal(a.dest, "2001:db8::1");
	exfil__free(x);
}

static void test_many_flows_and_pairs(void **state)
{
	struct exfil *x = make(NULL, 0);
	struct exfil_alert a;
	struct bt_flow_record f = flow(3, "203.0.113.5", 100 * 1024);
	int alerts = 0;

	(void)state;
	/* 200 flows of 100 KiB in 20 s: folded, still exact: alert at the 103rd */
	for (int i = 0; i < 200; i++) {
		if (exfil__flow(x, (uint64_t)i * S / 10, &f, &a)) {
			alerts++;
			assert_int_equal(i, 102);
			assert_int_equal(a.bytes, 103 * 100 * 1024);
		}
	}
	assert_int_equal(alerts, 1);
	/* a flood of distinct pairs: bounded, and new pairs still work */
	for (uint32_t i = 0; i < 3 * EXFIL_MAX_PAIRS; i++) {
		f = flow(1000 + i, "198.51.100.1", 1);
		exfil__flow(x, 100 * S, &f, &a);
	}
	f = flow(99, "198.51.100.9", 20 * MIB);
	assert_int_equal(exfil__flow(x, 101 * S, &f, &a), 1);
	exfil__free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threshold_window_rearm),
		cmocka_unit_test(test_allowlist),
		cmocka_unit_test(test_many_flows_and_pairs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
