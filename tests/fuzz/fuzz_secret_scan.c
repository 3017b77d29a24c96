// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer harness for secret_scan (user/secret_scan.c). It runs on every
 * LLM request body a host sends, so any byte string must come back with a
 * bounded count, well-formed hits (a known kind, 16 lowercase hex digits,
 * a span inside the input), the same answer twice, and distinct hits. The
 * input is also scanned as raw text (behind a prefix no JSON starts with),
 * where spans are offsets into the input: there they must ascend without
 * overlapping, and each hash must be the SHA-256 of exactly the bytes of
 * its span (private keys hash only their base64, so they are left out).
 * Only drives the public API; no copy of the detection rules lives here.
 *
 * Input: [0] size of the caller's hits array (0..7), then the body.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "secret_scan.h"

#include "fuzz_util.h"

#define MAX_HITS 16

static const char *const kinds[] = {
	"openai_key",	  "anthropic_key", "google_api_key", "github_token", "slack_token",
	"aws_access_key", "stripe_key",	   "bearer_token",   "private_key",  "jwt",
	"password",
};

static void check_hit(const struct secret_hit *h, size_t len)
{
	bool known = false;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(*kinds); i++)
		known |= h->kind == kinds[i] || !strcmp(h->kind, kinds[i]);
	FUZZ_CHECK(known);
	FUZZ_CHECK(strlen(h->kind) < SECRET_KIND_LEN);
	FUZZ_CHECK(strlen(h->hash) == SECRET_HASH_LEN - 1);
	for (int i = 0; i < SECRET_HASH_LEN - 1; i++)
		FUZZ_CHECK((h->hash[i] >= '0' && h->hash[i] <= '9') ||
			   (h->hash[i] >= 'a' && h->hash[i] <= 'f'));
	/* decoded JSON strings are never longer than the text they came from */
	FUZZ_CHECK(h->len > 0 && h->off <= len && h->len <= len - h->off);
}

static void check_distinct(const struct secret_hit *h, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			FUZZ_CHECK(strcmp(h[i].kind, h[j].kind) || strcmp(h[i].hash, h[j].hash));
}

static void hash_of(const char *p, size_t n, char out[SECRET_HASH_LEN])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t d[32];

	secret_sha256(p, n, d);
	for (int i = 0; i < 8; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[16] = '\0';
}

/* As raw text: ascending, non-overlapping spans whose bytes hash to the reported hash. */
static void check_raw(const uint8_t *body, size_t len)
{
	struct secret_hit h[MAX_HITS];
	char *t = malloc(len + 2), want[SECRET_HASH_LEN];
	size_t k, end = 0;

	if (!t)
		return;
	memcpy(t, "x ", 2);
	memcpy(t + 2, body, len);
	k = secret_scan(t, len + 2, h, MAX_HITS);
	FUZZ_CHECK(k <= SECRET_SCAN_MAX_COUNT);
	for (size_t i = 0; i < k && i < MAX_HITS; i++) {
		check_hit(&h[i], len + 2);
		FUZZ_CHECK(h[i].off >= end);
		end = h[i].off + h[i].len;
		if (strcmp(h[i].kind, "private_key")) {
			hash_of(t + h[i].off, h[i].len, want);
			FUZZ_CHECK(!strcmp(want, h[i].hash));
		}
	}
	check_distinct(h, k < MAX_HITS ? k : MAX_HITS);
	free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct secret_hit a[MAX_HITS], b[MAX_HITS];
	const char *text = (const char *)data + 1;
	size_t max, len, ka, kb;

	if (size < 1)
		return 0;
	max = data[0] % 8;
	len = size - 1;
	memset(a, 0x5a, sizeof(a));
	ka = secret_scan(text, len, a, max);
	FUZZ_CHECK(ka <= SECRET_SCAN_MAX_COUNT);
	/* entries past what was reported stay untouched */
	for (size_t i = ka < max ? ka : max; i < MAX_HITS; i++)
		FUZZ_CHECK(a[i].off == 0x5a5a5a5a5a5a5a5aull);
	kb = secret_scan(text, len, b, MAX_HITS);
	FUZZ_CHECK(ka == kb);
	FUZZ_CHECK(secret_scan(text, len, NULL, 0) == ka);
	for (size_t i = 0; i < ka && i < max; i++) {
		check_hit(&a[i], len);
		FUZZ_CHECK(!strcmp(a[i].kind, b[i].kind) && !strcmp(a[i].hash, b[i].hash));
		FUZZ_CHECK(a[i].off == b[i].off && a[i].len == b[i].len);
	}
	check_distinct(b, kb < MAX_HITS ? kb : MAX_HITS);
	check_raw((const uint8_t *)text, len);
	return 0;
}
