// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "cpu_list.h"

#include <errno.h>
#include <string.h>

/* CPU ids are small; anything past this is not a CPU list. */
#define CPU_ID_MAX 1000000u

static const char *parse_id(const char *s, unsigned int *id)
{
	unsigned int v = 0;

	if (*s < '0' || *s > '9')
		return NULL;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (unsigned int)(*s - '0');
		if (v > CPU_ID_MAX)
			return NULL;
	}
	*id = v;
	return s;
}

/* One "N" or "N-M" item; returns what follows it or NULL. */
static const char *parse_item(const char *s, unsigned int *lo, unsigned int *hi)
{
	s = parse_id(s, lo);
	if (!s)
		return NULL;
	*hi = *lo;
	if (*s == '-') {
		s = parse_id(s + 1, hi);
		if (!s || *hi < *lo)
			return NULL;
	}
	return s;
}

int cpu_list_parse(const char *s, uint8_t *set, unsigned int n)
{
	unsigned int lo, hi;
	int count = 0;

	memset(set, 0, n);
	for (;;) {
		s = parse_item(s, &lo, &hi);
		if (!s)
			goto bad;
		for (unsigned int c = lo; c <= hi && c < n; c++) {
			count += !set[c];
			set[c] = 1;
		}
		if (*s != ',')
			break;
		s++;
	}
	if (*s == '\n')
		s++;
	if (*s)
		goto bad;
	return count;
bad:
	memset(set, 0, n);
	return -EINVAL;
}
