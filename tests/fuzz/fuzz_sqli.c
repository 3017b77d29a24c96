// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer harness for the SQL injection detector (user/sqli.c). Every
 * request value on the wire reaches it, so for any bytes it must return a
 * valid, self-consistent result (a known kind, a quote or 0 as context, a
 * terminated fingerprint over the token alphabet, NONE exactly when it
 * says false), the same result twice, the same result without an out
 * pointer, and must ignore everything past SQLI_MAX_INPUT. Only drives the
 * public API.
 *
 * Input: the text itself.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sqli.h"

#include "fuzz_util.h"

/* Token classes sqli.c writes into fingerprints. */
static const char alphabet[] = "s1nvfkEU&o(),;.cX";

static void check_result(bool d, const struct sqli_result *r)
{
	size_t len;

	FUZZ_CHECK((unsigned)r->kind < SQLI_KIND__COUNT);
	FUZZ_CHECK(d == (r->kind != SQLI_NONE));
	FUZZ_CHECK(r->context == 0 || r->context == '\'' || r->context == '"');
	FUZZ_CHECK(memchr(r->fingerprint, '\0', sizeof(r->fingerprint)) != NULL);
	len = strlen(r->fingerprint);
	FUZZ_CHECK(strspn(r->fingerprint, alphabet) == len);
	if (!d) {
		FUZZ_CHECK(r->context == 0);
		FUZZ_CHECK(len == 0);
	} else {
		FUZZ_CHECK(len > 0);
	}
	FUZZ_CHECK(strcmp(sqli_kind_name(r->kind), "") != 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct sqli_result a, b;
	bool da, db;

	memset(&a, 0x5a, sizeof(a));
	memset(&b, 0xa5, sizeof(b));
	da = sqli_detect(s, size, &a);
	check_result(da, &a);
	db = sqli_detect(s, size, &b);
	FUZZ_CHECK(da == db);
	FUZZ_CHECK(!memcmp(&a, &b, sizeof(a)));
	FUZZ_CHECK(sqli_detect(s, size, NULL) == da);
	/* bytes past the limit change nothing */
	if (size > SQLI_MAX_INPUT) {
		db = sqli_detect(s, SQLI_MAX_INPUT, &b);
		FUZZ_CHECK(da == db);
		FUZZ_CHECK(!memcmp(&a, &b, sizeof(a)));
	}
	return 0;
}
