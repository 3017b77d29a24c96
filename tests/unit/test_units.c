// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * units: every duration and size unit, the order and overflow rules, and
 * that what units_format_*() prints parses back to the same number.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

#define MS 1000000ull
#define S 1000000000ull
#define DAY (86400 * S)

struct dur_case {
	const char *in;
	uint64_t ns;
};

static void test_duration_ok(void **state)
{
	static const struct dur_case cases[] = {
		{ "500ms", 500 * MS },
		{ "1s", S },
		{ "5m", 300 * S },
		{ "1h", 3600 * S },
		{ "1d", DAY },
		{ "1w", 7 * DAY },
		{ "1y", 365 * DAY },
		{ "1h30m", 5400 * S },
		{ "1m30s500ms", 90 * S + 500 * MS },
		{ "0", 0 },
		{ "0s", 0 },
		{ "10us", 10000 },
		{ "7ns", 7 },
		{ "50ms", 50 * MS },
		{ "10s", 10 * S },
		{ "007s", 7 * S },
		{ "1y2w3d4h5m6s7ms8us9ns", 365 * DAY + 14 * DAY + 3 * DAY + 4 * 3600 * S +
						   5 * 60 * S + 6 * S + 7 * MS + 8000 + 9 },
		{ "584y", 584 * 365 * DAY },
	};
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = 12345;
		assert_int_equal(units_parse_duration(cases[i].in, &v), 0);
		assert_int_equal(v, cases[i].ns);
	}
}

static void test_duration_bad(void **state)
{
	static const char *const bad[] = {
		"",	  "10",	   "1x",  "ms",	  "1h1h", "1s1h", "1ms1s", "1.5s",
		" 1s",	  "1s ",   "-1s", "1S",	  "1mss", "1 s",  "s1",	   "1h-30m",
		"1us1ms", "0x10s", "1M",  "1sec", "5min", "∞s",
	};
	uint64_t v = 42;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(units_parse_duration(bad[i], &v), -EINVAL);
		assert_int_equal(v, 42); /* untouched on error */
	}
	assert_int_equal(units_parse_duration(NULL, &v), -EINVAL);
	assert_int_equal(units_parse_duration("1s", NULL), -EINVAL);
}

static void test_duration_range(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(units_parse_duration("18446744073709551615ns", &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(units_parse_duration("18446744073709551616ns", &v), -ERANGE);
	assert_int_equal(units_parse_duration("600y", &v), -ERANGE);
	assert_int_equal(units_parse_duration("584y365d", &v), -ERANGE);
	assert_int_equal(units_parse_duration("99999999999999999999999s", &v), -ERANGE);
	assert_int_equal(units_parse_duration("18446744073709551615ns1ns", &v), -EINVAL);
	assert_int_equal(units_parse_duration("584y1w1w", &v), -EINVAL);
	assert_int_equal(units_parse_duration("584y50w", &v), -ERANGE);
}

struct size_case {
	const char *in;
	uint64_t bytes;
};

static void test_size(void **state)
{
	static const struct size_case ok[] = {
		{ "0", 0 },
		{ "512", 512 },
		{ "512B", 512 },
		{ "64KiB", 65536 },
		{ "8MiB", 8u << 20 },
		{ "1GiB", 1u << 30 },
		{ "1TiB", 1ull << 40 },
		{ "10KB", 10000 },
		{ "10kB", 10000 },
		{ "10MB", 10000000 },
		{ "1GB", 1000000000 },
		{ "1TB", 1000000000000ull },
		{ "8 MiB", 8u << 20 },
		{ "16777215TiB", 16777215ull << 40 },
	};
	static const char *const bad[] = { "",	 "KiB", "8M",	"8mib", "1.5GiB", "-1",	  "8MiBx",
					   "x8", "8 ",	"8kib", "8K",	"8 M",	  " 8MiB" };
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(units_parse_size(ok[i].in, &v), 0);
		assert_true(v == ok[i].bytes);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(units_parse_size(bad[i], &v), -EINVAL);
	assert_int_equal(units_parse_size("16777216TiB", &v), -ERANGE);
	assert_int_equal(units_parse_size("99999999999999999999", &v), -ERANGE);
	assert_int_equal(units_parse_size(NULL, &v), -EINVAL);
}

static void test_format_duration(void **state)
{
	static const struct dur_case cases[] = {
		{ "0s", 0 },	       { "50ms", 50 * MS },
		{ "1m30s", 90 * S },   { "10s", 10 * S },
		{ "1h30m", 5400 * S }, { "1w", 7 * DAY },
		{ "1y1d", 366 * DAY }, { "1ns", 1 },
		{ "1s1ns", S + 1 },    { "1ms500us", 1500000 },
	};
	char buf[UNITS_FMT_MAX];
	uint64_t back;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(units_format_duration(cases[i].ns, buf, sizeof(buf)), 0);
		assert_string_equal(buf, cases[i].in);
	}
	srand(7);
	for (int i = 0; i < 10000; i++) {
		uint64_t v = ((uint64_t)rand() << 33) ^ ((uint64_t)rand() << 11) ^ (uint64_t)rand();

		v >>= rand() % 64;
		assert_int_equal(units_format_duration(v, buf, sizeof(buf)), 0);
		assert_int_equal(units_parse_duration(buf, &back), 0);
		assert_true(back == v);
	}
	assert_int_equal(units_format_duration(UINT64_MAX, buf, sizeof(buf)), 0);
	assert_int_equal(units_format_duration(90 * S, buf, 4), -ENOSPC);
	assert_true(strlen(buf) < 4);
	assert_int_equal(units_format_duration(S, buf, 0), -ENOSPC);
}

static void test_format_size(void **state)
{
	char buf[UNITS_FMT_MAX];
	uint64_t back;

	(void)state;
	assert_int_equal(units_format_size(8u << 20, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "8MiB");
	assert_int_equal(units_format_size(65536, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "64KiB");
	assert_int_equal(units_format_size(1000, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1000B");
	assert_int_equal(units_format_size(0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "0B");
	assert_int_equal(units_format_size(3ull << 40, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "3TiB");
	assert_int_equal(units_parse_size(buf, &back), 0);
	assert_true(back == 3ull << 40);
	assert_int_equal(units_format_size(1u << 30, buf, 3), -ENOSPC);
}

static void test_pow2_at_least(void **state)
{
	(void)state;
	assert_int_equal(units_pow2_at_least(0, 1024), 1);
	assert_int_equal(units_pow2_at_least(1, 1024), 1);
	assert_int_equal(units_pow2_at_least(3, 1024), 4);
	assert_int_equal(units_pow2_at_least(4096, 1u << 20), 4096);
	assert_int_equal(units_pow2_at_least(4097, 1u << 20), 8192);
	assert_int_equal(units_pow2_at_least(SIZE_MAX, 1u << 20), 1u << 20);
}

static void test_format_uint(void **state)
{
	char buf[UNITS_FMT_MAX], small[4] = "zzz";

	(void)state;
	assert_int_equal(units_format_uint(0, buf, sizeof(buf)), 1);
	assert_string_equal(buf, "0");
	assert_int_equal(units_format_uint(404, buf, sizeof(buf)), 3);
	assert_string_equal(buf, "404");
	assert_int_equal(units_format_uint(65535, buf, sizeof(buf)), 5);
	assert_string_equal(buf, "65535");
	assert_int_equal(units_format_uint(UINT64_MAX, buf, sizeof(buf)), 20);
	assert_string_equal(buf, "18446744073709551615");
	/* three digits and the NUL need four bytes; a fourth digit does not fit */
	assert_int_equal(units_format_uint(999, small, sizeof(small)), 3);
	assert_string_equal(small, "999");
	assert_int_equal(units_format_uint(1000, small, sizeof(small)), -ENOSPC);
	assert_string_equal(small, "999"); /* untouched */
	assert_int_equal(units_format_uint(1, NULL, 8), -ENOSPC);
	assert_int_equal(units_format_uint(1, buf, 0), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_ok),	cmocka_unit_test(test_duration_bad),
		cmocka_unit_test(test_duration_range),	cmocka_unit_test(test_size),
		cmocka_unit_test(test_format_duration), cmocka_unit_test(test_format_size),
		cmocka_unit_test(test_format_uint),	cmocka_unit_test(test_pow2_at_least),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
