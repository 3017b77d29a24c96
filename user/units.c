// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Parse and print durations and byte sizes for config values, flags and
 * help text. Strict on purpose: a typo such as "5 mins" or "8M" must be an
 * error at start-up, not a silently different number. Must not allocate or
 * depend on the locale.
 */
#include "units.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct unit {
	const char *sfx;
	uint64_t mult;
};

#define NS_S 1000000000ull
#define NS_D (86400ull * NS_S)

/* Largest first; the parser demands this order, as Prometheus does. */
static const struct unit dur_units[] = {
	{ "y", 365 * NS_D },  { "w", 7 * NS_D },  { "d", NS_D },
	{ "h", 3600 * NS_S }, { "m", 60 * NS_S }, { "s", NS_S },
	{ "ms", 1000000ull }, { "us", 1000ull },  { "ns", 1ull },
};
#define N_DUR (sizeof(dur_units) / sizeof(dur_units[0]))

static const struct unit size_units[] = {
	{ "B", 1ull },		 { "KiB", 1ull << 10 },
	{ "MiB", 1ull << 20 },	 { "GiB", 1ull << 30 },
	{ "TiB", 1ull << 40 },	 { "kB", 1000ull },
	{ "KB", 1000ull },	 { "MB", 1000000ull },
	{ "GB", 1000000000ull }, { "TB", 1000000000000ull },
};
#define N_SIZE (sizeof(size_units) / sizeof(size_units[0]))

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Reads digits at *p; -EINVAL when there are none, -ERANGE past 2^64-1. */
static int read_u64(const char **p, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	if (!is_digit(*s))
		return -EINVAL;
	for (; is_digit(*s); s++) {
		uint64_t d = (uint64_t)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*p = s;
	*out = v;
	return 0;
}

/* Index of the duration unit spelled at p (longest match: "ms" before "m"). */
static int dur_unit_at(const char *p, size_t *sfx_len)
{
	int best = -1;
	size_t best_len = 0;

	for (size_t i = 0; i < N_DUR; i++) {
		size_t l = strlen(dur_units[i].sfx);

		if (!strncmp(p, dur_units[i].sfx, l) && l > best_len) {
			best = (int)i;
			best_len = l;
		}
	}
	*sfx_len = best_len;
	return best;
}

int units_parse_duration(const char *s, uint64_t *out_ns)
{
	uint64_t total = 0, v;
	int last = -1, err;

	if (!s || !out_ns || !*s)
		return -EINVAL;
	if (!strcmp(s, "0")) {
		*out_ns = 0;
		return 0;
	}
	while (*s) {
		size_t sl;
		int u;

		err = read_u64(&s, &v);
		if (err)
			return err;
		u = dur_unit_at(s, &sl);
		if (u < 0 || u <= last)
			return -EINVAL;
		if (v > UINT64_MAX / dur_units[u].mult ||
		    total > UINT64_MAX - v * dur_units[u].mult)
			return -ERANGE;
		total += v * dur_units[u].mult;
		last = u;
		s += sl;
	}
	*out_ns = total;
	return 0;
}

int units_parse_size(const char *s, uint64_t *out_bytes)
{
	uint64_t v;
	int err;

	if (!s || !out_bytes)
		return -EINVAL;
	err = read_u64(&s, &v);
	if (err)
		return err;
	if (*s == ' ' && s[1])
		s++; /* "8 MiB" reads like "8MiB"; a lone trailing space is garbage */
	if (!*s) {
		*out_bytes = v;
		return 0;
	}
	for (size_t i = 0; i < N_SIZE; i++) {
		if (strcmp(s, size_units[i].sfx))
			continue;
		if (v > UINT64_MAX / size_units[i].mult)
			return -ERANGE;
		*out_bytes = v * size_units[i].mult;
		return 0;
	}
	return -EINVAL;
}

/* snprintf into buf+*pos, turning truncation into -ENOSPC. */
int units_format_uint(uint64_t v, char *buf, size_t len)
{
	char tmp[20]; /* UINT64_MAX has 20 digits */
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (!buf || n >= len)
		return -ENOSPC;
	for (size_t i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
	return (int)n;
}

static int append(char *buf, size_t len, size_t *pos, uint64_t v, const char *sfx)
{
	int n = units_format_uint(v, buf + *pos, len - *pos);
	size_t k = strlen(sfx);

	if (n < 0 || *pos + (size_t)n + k >= len)
		return -ENOSPC;
	memcpy(buf + *pos + n, sfx, k + 1);
	*pos += (size_t)n + k;
	return 0;
}

int units_format_duration(uint64_t ns, char *buf, size_t len)
{
	size_t pos = 0;
	int err;

	if (!buf || !len)
		return -ENOSPC;
	buf[0] = '\0';
	if (!ns)
		return append(buf, len, &pos, 0, "s");
	for (size_t i = 0; i < N_DUR && ns; i++) {
		if (ns < dur_units[i].mult)
			continue;
		err = append(buf, len, &pos, ns / dur_units[i].mult, dur_units[i].sfx);
		if (err)
			return err;
		ns %= dur_units[i].mult;
	}
	return 0;
}

int units_format_size(uint64_t bytes, char *buf, size_t len)
{
	static const struct unit bin[] = {
		{ "TiB", 1ull << 40 },
		{ "GiB", 1ull << 30 },
		{ "MiB", 1ull << 20 },
		{ "KiB", 1ull << 10 },
	};
	size_t pos = 0;

	if (!buf || !len)
		return -ENOSPC;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(bin) / sizeof(bin[0]); i++) {
		if (bytes && bytes % bin[i].mult == 0)
			return append(buf, len, &pos, bytes / bin[i].mult, bin[i].sfx);
	}
	return append(buf, len, &pos, bytes, "B");
}

size_t units_pow2_at_least(size_t n, size_t cap)
{
	size_t p = 1;

	while (p < n && p < cap)
		p <<= 1;
	return p;
}
