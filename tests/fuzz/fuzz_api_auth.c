// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer harness for the API's Authorization handling (user/api_auth.c):
 * any bytes as a header value. api_auth_bearer() gives 0 with a token inside
 * the header (no space or control byte in it), or -ENOENT / -EINVAL; the
 * verdict of api_auth__check() is OK exactly when the header carries the
 * configured token, whatever the scope says about the method; a token that
 * api_auth_token_check() accepts always authenticates itself.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api_auth.h"

#include "fuzz_util.h"

#define TOKEN "s3cret-Token_0123456789abcdef"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct api_auth *all, *writes;
	char *h = fuzz_strdup(data, len), why[128], own[1100];
	const char *tok = NULL;
	size_t n = 0;
	int e;

	if (!all) {
		all = api_auth__new(TOKEN, API_AUTH_ALL);
		writes = api_auth__new(TOKEN, API_AUTH_WRITES);
		FUZZ_CHECK(all && writes);
	}
	e = api_auth_bearer(h, &tok, &n);
	FUZZ_CHECK(e == 0 || e == -ENOENT || e == -EINVAL);
	if (!e) {
		FUZZ_CHECK(tok >= h && tok + n <= h + strlen(h) && n > 0);
		for (size_t i = 0; i < n; i++)
			FUZZ_CHECK((unsigned char)tok[i] > 0x20 && tok[i] != 0x7f);
	}
	bool is_ours = !e && n == strlen(TOKEN) && !memcmp(tok, TOKEN, n);
	FUZZ_CHECK((api_auth__check(all, "GET", h) == API_AUTH_OK) == is_ours);
	FUZZ_CHECK(api_auth__check(writes, "GET", h) == API_AUTH_OK);
	FUZZ_CHECK((api_auth__check(writes, "POST", h) == API_AUTH_OK) == is_ours);
	FUZZ_CHECK(api_auth__check(NULL, "POST", h) == API_AUTH_OK);
	/* the input as a token: accepted tokens authenticate themselves */
	if (!api_auth_token_check(h, strlen(h), why, sizeof(why)) && strlen(h) < 1000) {
		struct api_auth *a = api_auth__new(h, API_AUTH_ALL);

		FUZZ_CHECK(a);
		snprintf(own, sizeof(own), "Bearer %s", h);
		FUZZ_CHECK(api_auth__check(a, "GET", own) == API_AUTH_OK);
		api_auth__free(a);
	}
	free(h);
	return 0;
}
