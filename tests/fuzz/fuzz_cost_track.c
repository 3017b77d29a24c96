// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer harness for POST /costs/track/llm bodies (user/cost_track.c):
 * any bytes must give 0 with a well-formed row (label-safe strings, cache
 * tokens within input, a finite non-negative cost once priced, a time in
 * the allowed window) or -EINVAL with a non-empty message.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "cost_track.h"

#include "fuzz_util.h"

#define NOW 1795000000

static struct pricing *table(void)
{
	static struct pricing *p;
	char err[128];

	if (!p) {
		p = pricing__new();
		FUZZ_CHECK(p && !pricing__load_builtin(p, err, sizeof(err)));
	}
	return p;
}

static void check_label(const char *s)
{
	FUZZ_CHECK(s && *s);
	for (; *s; s++)
		FUZZ_CHECK(strchr("_.:/@-", *s) || (*s >= '0' && *s <= '9') ||
			   (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct cost_track t;
	char why[160] = "";
	int e = cost_track_parse((const char *)data, len, NOW, &t, why, sizeof(why));

	if (e) {
		FUZZ_CHECK(e == -EINVAL && why[0]);
		return 0;
	}
	check_label(t.row.provider);
	check_label(t.row.model);
	check_label(t.row.agent_type);
	check_label(t.row.service);
	FUZZ_CHECK(t.row.cache_read + t.row.cache_creation <= t.row.input);
	FUZZ_CHECK(t.when <= NOW + COST_TRACK_FUTURE_S);
	FUZZ_CHECK(t.when >= NOW - COST_TRACK_PAST_DAYS * 86400);
	cost_track_price(table(), &t);
	FUZZ_CHECK(isfinite(t.row.cost_usd) && t.row.cost_usd >= 0);
	return 0;
}
