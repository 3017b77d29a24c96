// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer harness for the http_route templater (user/route.c,
 * user/route_template.c). Request targets come straight from the wire,
 * so every byte string must give a short, terminated route that starts
 * with '/' (or is "*"), a cut copy of it when the buffer is small, and
 * never more distinct routes per service than the cap. The input is also
 * tried as a configured pattern: a pattern route_pattern_check() accepts
 * must load and must route its own text to itself. Only drives the
 * public API; no copy of the routing rules lives here.
 *
 * Input: [0] size of the caller's buffer, [1] per-service cap, then
 * '\n'-separated targets whose first byte picks the service.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "route.h"

#include "fuzz_util.h"

#define CTL_BYTES 2

static char *const patterns[] = {
	"/api/experiments/{id}",
	"/api/experiments/{id}/samples/{sample}",
	"/static/{rest*}",
	"/v1/*",
	"/health",
};

static const char *const services[] = {
	"api", "", "worker",
	/* longer than ROUTE_SERVICE_MAX: the key is cut, routing must not be */
	"a-service-name-well-beyond-sixty-four-bytes-to-exercise-the-key-cut-xxxxxxxx",
	NULL, /* routed as "" */
};
#define N_SERVICES (sizeof(services) / sizeof(services[0]))

static void check_route_text(const char *r)
{
	FUZZ_CHECK(strlen(r) < ROUTE_MAX);
	FUZZ_CHECK(r[0] == '/' || !strcmp(r, "*"));
	/* query and fragment never reach a label */
	FUZZ_CHECK(!strchr(r, '?') && !strchr(r, '#'));
}

static void route_one(struct route_table *t, const char *svc, const char *p, size_t n,
		      size_t outlen, uint32_t cap)
{
	char full[ROUTE_MAX + 64], *small;
	size_t flen;
	int rc;

	rc = route_table__route(t, svc, p, n, full, sizeof(full));
	FUZZ_CHECK(rc == 0);
	check_route_text(full);
	FUZZ_CHECK(route_table__routes(t, svc) <= cap);
	flen = strlen(full);

	/* Same target again into a small buffer: same route, cut if need be. */
	small = malloc(outlen);
	if (!small)
		return;
	memset(small, 0x5a, outlen);
	rc = route_table__route(t, svc, p, n, small, outlen);
	FUZZ_CHECK(memchr(small, '\0', outlen) != NULL);
	FUZZ_CHECK(strlen(small) < outlen);
	if (flen < outlen) {
		FUZZ_CHECK(rc == 0);
		FUZZ_CHECK(!strcmp(small, full));
	} else {
		FUZZ_CHECK(rc == -ENOSPC);
		FUZZ_CHECK(strlen(small) == outlen - 1);
		FUZZ_CHECK(!memcmp(small, full, outlen - 1));
	}
	free(small);
}

static void fuzz_targets(const uint8_t *data, size_t size)
{
	size_t outlen = 1 + data[0] % (ROUTE_MAX + 16);
	uint32_t cap = data[1] % 5;
	const char *s = (const char *)data + CTL_BYTES;
	size_t len = size - CTL_BYTES, off = 0;
	struct route_table *t;

	t = route_table__new(patterns, sizeof(patterns) / sizeof(patterns[0]), cap);
	FUZZ_CHECK(t != NULL);
	while (off < len) {
		const char *nl = memchr(s + off, '\n', len - off);
		size_t end = nl ? (size_t)(nl - s) : len, n = end - off;
		const char *svc = services[0];

		if (n) {
			svc = services[(unsigned char)s[off] % N_SERVICES];
			off++, n--;
		}
		route_one(t, svc, s + off, n, outlen, cap);
		off = end + 1;
	}
	/* the whole input as one target, and a NULL target of length 0 */
	route_one(t, services[0], s, len, outlen, cap);
	route_one(t, services[2], NULL, 0, outlen, cap);
	FUZZ_CHECK(route_table__services(t) <= 4);
	route_table__free(t);
}

static void fuzz_pattern(const uint8_t *data, size_t size)
{
	size_t whylen = data[0] % 48;
	char *pat = fuzz_strdup(data + CTL_BYTES, size - CTL_BYTES);
	char why[48], out[ROUTE_MAX + 64];
	struct route_table *t;
	int rc;

	if (!pat)
		return;
	memset(why, 0x5a, sizeof(why));
	rc = route_pattern_check(pat, whylen ? why : NULL, whylen);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL);
	if (rc && whylen)
		FUZZ_CHECK(memchr(why, '\0', whylen) != NULL);
	if (rc)
		goto free_pat;
	t = route_table__new(&pat, 1, 2);
	FUZZ_CHECK(t != NULL);
	/* a pattern is a valid target that matches itself */
	FUZZ_CHECK(route_table__route(t, "svc", pat, strlen(pat), out, sizeof(out)) == 0);
	FUZZ_CHECK(!strcmp(out, pat));
	route_table__free(t);
free_pat:
	free(pat);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < CTL_BYTES)
		return 0;
	fuzz_targets(data, size);
	fuzz_pattern(data, size);
	return 0;
}
