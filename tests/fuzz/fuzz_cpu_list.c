// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer harness for cpu_list_parse() (user/cpu_list.c), which reads
 * the kernel's list of online CPUs at start. Checked against a second
 * reading written differently (strtoul over the comma-separated items):
 * both accept the same inputs and mark the same CPUs, the count is the
 * number marked, and a refused input leaves nothing marked. Never reads
 * past the string or the set (ASan).
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_list.h"

#include "fuzz_util.h"

#define SLOTS 64
#define ID_MAX 1000000ul

/* One id: digits only (strtoul would take signs and spaces). */
static int ref_id(const char *s, const char **end, unsigned long *v)
{
	if (!isdigit((unsigned char)*s))
		return -1;
	*v = strtoul(s, (char **)end, 10);
	return *v > ID_MAX || errno == ERANGE ? -1 : 0;
}

/* The reference: -1 if refused, else marks want[]. */
static int ref_parse(const char *s, uint8_t *want)
{
	size_t len = strlen(s);
	unsigned long lo, hi;
	const char *p;

	memset(want, 0, SLOTS);
	if (len && s[len - 1] == '\n')
		len--;
	for (p = s;;) {
		errno = 0;
		if (ref_id(p, &p, &lo))
			return -1;
		hi = lo;
		if (*p == '-' && (ref_id(p + 1, &p, &hi) || hi < lo))
			return -1;
		for (unsigned long c = lo; c <= hi && c < SLOTS; c++)
			want[c] = 1;
		if ((size_t)(p - s) == len)
			return 0;
		if (*p++ != ',')
			return -1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	uint8_t got[SLOTS], want[SLOTS];
	char *s = fuzz_strdup(data, len);
	int n, ref, marked = 0;

	if (!s)
		return 0;
	if (strlen(s) != len) { /* an embedded NUL ends the string early */
		free(s);
		return 0;
	}
	n = cpu_list_parse(s, got, SLOTS);
	ref = ref_parse(s, want);
	FUZZ_CHECK((n < 0) == (ref < 0));
	for (size_t c = 0; c < SLOTS; c++) {
		FUZZ_CHECK(got[c] <= 1 && (n < 0 ? !got[c] : got[c] == want[c]));
		marked += got[c];
	}
	FUZZ_CHECK(n < 0 || n == marked);
	free(s);
	return 0;
}
