// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer harness for the Prometheus text helpers that see outside
 * bytes (user/expo.c): UTF-8 repair of label values that come from
 * request targets, process names and cgroup paths, and the escaping of
 * label values and help text. A scrape must never break on them: the
 * repaired text is valid UTF-8 and fits its buffer, the escaped text has
 * no raw newline (nor raw '"' in a label value) and unescapes back to
 * its input. UTF-8 validity is judged by fuzz_util.h's own validator,
 * not by expo.c's.
 *
 * Input: [0] bit 7 output buffer large enough for anything, else bits
 * 0-6 its size; bits 0-3 also pick a small dynbuf maximum for the
 * "buffer full" path. Then the text (up to its first NUL).
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "expo.h"

#include "fuzz_util.h"

#define CTL_BYTES 1
#define ESC_MAX (1u << 20)

/* Undoes the escaping; quote says whether '"' is escaped (label values). */
static void check_unescapes_to(const char *esc, size_t len, const char *orig, bool quote)
{
	size_t o = 0;

	FUZZ_CHECK(!memchr(esc, '\n', len));
	FUZZ_CHECK(fuzz_utf8_valid((const unsigned char *)esc, len));
	for (size_t i = 0; i < len; i++, o++) {
		char c = esc[i];

		FUZZ_CHECK(!(quote && c == '"'));
		if (c == '\\') {
			FUZZ_CHECK(i + 1 < len);
			c = esc[++i];
			FUZZ_CHECK(c == '\\' || c == 'n' || (quote && c == '"'));
			if (c == 'n')
				c = '\n';
		}
		FUZZ_CHECK(orig[o] == c);
	}
	FUZZ_CHECK(orig[o] == '\0');
}

static void check_escape(const char *v, bool label)
{
	struct dynbuf b;

	dynbuf_init(&b, ESC_MAX);
	FUZZ_CHECK((label ? expo_escape_label_value(&b, v) : expo_escape_help(&b, v)) == 0);
	FUZZ_CHECK(b.len < b.max);
	if (b.p) {
		FUZZ_CHECK(b.p[b.len] == '\0');
		check_unescapes_to(b.p, b.len, v, label);
	} else {
		FUZZ_CHECK(b.len == 0 && v[0] == '\0');
	}
	dynbuf_free(&b);
}

/* A dynbuf too small for the text: a clean -E2BIG, never an overflow. */
static void check_small_buffer(const char *v, size_t max)
{
	struct dynbuf b;
	int rc;

	dynbuf_init(&b, max);
	rc = expo_escape_label_value(&b, v);
	FUZZ_CHECK(rc == 0 || rc == -E2BIG);
	FUZZ_CHECK(b.len < max);
	if (b.p)
		FUZZ_CHECK(b.p[b.len] == '\0' && !memchr(b.p, '\n', b.len));
	dynbuf_free(&b);
}

static void check_sanitized(const char *in, size_t inlen, const char *out, size_t n, size_t outcap,
			    bool truncated)
{
	bool in_valid = fuzz_utf8_valid((const unsigned char *)in, inlen);

	FUZZ_CHECK(n < outcap && strlen(out) == n);
	FUZZ_CHECK(fuzz_utf8_valid((const unsigned char *)out, n));
	if (outcap >= 3 * inlen + 1) /* room for every byte to become U+FFFD */
		FUZZ_CHECK(!truncated);
	if (truncated) /* only a whole character (<= 4 bytes) may be left out */
		FUZZ_CHECK(n + 4 + 1 > outcap);
	if (in_valid) /* valid text is copied unchanged, or cut at a character */
		FUZZ_CHECK(!memcmp(out, in, n) && (truncated || n == inlen));
	if (!truncated && !in_valid)
		FUZZ_CHECK(memmem(out, n, EXPO_REPLACEMENT, 3) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in, *out;
	size_t inlen, outcap, n;
	bool truncated = true;

	if (size < CTL_BYTES)
		return 0;
	in = fuzz_strdup(data + CTL_BYTES, size - CTL_BYTES);
	if (!in)
		return 0;
	inlen = strlen(in);
	outcap = (data[0] & 0x80) ? 3 * inlen + 1 : (data[0] & 0x7f);
	out = malloc(outcap ? outcap : 1); /* exact size: ASan sees any overflow */
	if (!out)
		goto free_in;
	n = expo_utf8_sanitize(in, out, outcap, &truncated);
	if (outcap) {
		check_sanitized(in, inlen, out, n, outcap, truncated);
		check_escape(out, true);
		check_escape(out, false);
	} else {
		FUZZ_CHECK(n == 0);
	}
	check_small_buffer(in, 1 + (data[0] & 0x0f));
	free(out);
free_in:
	free(in);
	return 0;
}
