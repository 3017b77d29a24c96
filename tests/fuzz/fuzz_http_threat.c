// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer harness for per-request threat detection (user/http_threat.c,
 * with user/sqli.c and jansson under it). Targets, bodies and header
 * values are attacker bytes, so for any of them the scan must return at
 * most one hit per type, in type order, with a known "where" and a
 * terminated, non-empty detail; write no more hits than asked; give the
 * same answer twice; and give the same count and the same first hits
 * whatever the number of slots. Only drives the public API.
 *
 * Input: [0] content type (low 2 bits: none, form, JSON, text/plain) and
 * whether header values follow (bit 2); [1] number of hit slots (0-4);
 * then target '\n' body '\n' header values separated by '\n' (at most 4).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attack_tools.h"
#include "http_threat.h"

#include "fuzz_util.h"

#define CTL_BYTES 2
#define MAX_HEADERS 4

static const char *const content_types[] = { NULL, "application/x-www-form-urlencoded",
					     "application/json; charset=utf-8", "text/plain" };

static bool where_ok(const char *w)
{
	return !strcmp(w, "path") || !strcmp(w, "query") || !strcmp(w, "body") ||
	       !strcmp(w, "header");
}

static void check_hits(const struct threat_hit *h, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		FUZZ_CHECK((unsigned)h[i].type < THREAT__COUNT);
		FUZZ_CHECK(i == 0 || h[i].type > h[i - 1].type);
		FUZZ_CHECK(memchr(h[i].where, '\0', sizeof(h[i].where)) != NULL);
		FUZZ_CHECK(where_ok(h[i].where));
		FUZZ_CHECK(memchr(h[i].detail, '\0', sizeof(h[i].detail)) != NULL);
		FUZZ_CHECK(h[i].detail[0] != '\0');
	}
}

/* Splits s into at most max pieces at '\n', each NUL-terminated in place. */
static size_t split(char *s, char **out, size_t max)
{
	size_t n = 0;

	while (n < max) {
		char *nl = strchr(s, '\n');

		out[n++] = s;
		if (!nl)
			break;
		*nl = '\0';
		s = nl + 1;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct threat_hit all[THREAT__COUNT], again[THREAT__COUNT], few[THREAT__COUNT];
	const char *headers[MAX_HEADERS + 1] = { NULL };
	struct threat_input in = { .target = NULL };
	char *copy, *parts[2 + MAX_HEADERS] = { NULL };
	size_t slots, n_all, n_again, n_few, np, nh = 0;

	if (size < CTL_BYTES)
		return 0;
	copy = fuzz_strdup(data + CTL_BYTES, size - CTL_BYTES);
	if (!copy)
		return 0;
	slots = data[1] % (THREAT__COUNT + 1);
	np = split(copy, parts, 2 + ((data[0] & 4) ? MAX_HEADERS : 0));
	/* embedded NULs end a piece early: the target keeps its full length to test that */
	in.target = parts[0];
	in.target_len = np > 1 ? strlen(parts[0]) : size - CTL_BYTES;
	if (np > 1) {
		in.body = parts[1];
		in.body_len = strlen(parts[1]);
		in.content_type = content_types[data[0] & 3];
	}
	for (size_t i = 2; i < np; i++)
		headers[nh++] = parts[i];
	in.header_values = nh ? headers : NULL;
	in.user_agent = (data[0] & 8) && nh ? headers[0] : NULL; /* the first value, named */

	memset(all, 0x5a, sizeof(all));
	memset(again, 0xa5, sizeof(again));
	n_all = http_threat_scan(&in, all, THREAT__COUNT);
	FUZZ_CHECK(n_all <= THREAT__COUNT);
	check_hits(all, n_all);
	/* a tool is named only from the User-Agent, and it is the one attack_tools names */
	for (size_t i = 0; i < n_all; i++)
		if (all[i].type == THREAT_SCANNER_TOOL)
			FUZZ_CHECK(in.user_agent &&
				   !strcmp(all[i].detail,
					   attack_tool_of(in.user_agent,
							  strnlen(in.user_agent,
								  ATTACK_TOOL_UA_MAX))));
	n_again = http_threat_scan(&in, again, THREAT__COUNT);
	FUZZ_CHECK(n_again == n_all);
	FUZZ_CHECK(!memcmp(all, again, n_all * sizeof(all[0])));

	/* fewer slots: same count, the same first hits, nothing written past them */
	memset(few, 0x77, sizeof(few));
	n_few = http_threat_scan(&in, few, slots);
	FUZZ_CHECK(n_few == n_all);
	for (size_t i = 0; i < slots && i < n_all; i++)
		FUZZ_CHECK(!memcmp(&few[i], &all[i], sizeof(few[i])));
	for (size_t i = slots < n_all ? slots : n_all; i < THREAT__COUNT; i++)
		for (size_t b = 0; b < sizeof(few[i]); b++)
			FUZZ_CHECK(((const unsigned char *)&few[i])[b] == 0x77);
	FUZZ_CHECK(http_threat_scan(&in, NULL, 0) == n_all);
	free(copy);
	return 0;
}
