/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Helpers shared by the test_llm_*.c unit tests: build captured HTTP
 * exchanges (Content-Length or chunked bodies, gzip) from the wire
 * examples in /work/shared/LLM_WIRE.md, and run them through the pure
 * core. Test-only code.
 */
#ifndef BT_TEST_LLM_FIXTURES_H
#define BT_TEST_LLM_FIXTURES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "llm_track.h"

struct fx_buf {
	char *p;
	size_t len, cap;
};

static inline void fx_put(struct fx_buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			abort();
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static inline void fx_puts(struct fx_buf *b, const char *s)
{
	fx_put(b, s, strlen(s));
}

/* "POST path HTTP/1.1" + headers (each "Name: v\r\n") + Content-Length body */
static inline struct fx_buf fx_request(const char *method, const char *target, const char *headers,
				       const char *body)
{
	struct fx_buf b = { 0 };
	char line[512];

	snprintf(line, sizeof(line), "%s %s HTTP/1.1\r\n", method, target);
	fx_puts(&b, line);
	fx_puts(&b, headers);
	snprintf(line, sizeof(line), "Content-Length: %zu\r\n\r\n", strlen(body));
	fx_puts(&b, line);
	fx_puts(&b, body);
	return b;
}

static inline struct fx_buf fx_response_len(int status, const char *headers, const void *body,
					    size_t blen)
{
	struct fx_buf b = { 0 };
	char line[256];

	snprintf(line, sizeof(line), "HTTP/1.1 %d X\r\n", status);
	fx_puts(&b, line);
	fx_puts(&b, headers);
	snprintf(line, sizeof(line), "Content-Length: %zu\r\n\r\n", blen);
	fx_puts(&b, line);
	fx_put(&b, body, blen);
	return b;
}

static inline struct fx_buf fx_response(int status, const char *headers, const char *body)
{
	return fx_response_len(status, headers, body, strlen(body));
}

/* Chunked, one chunk per piece of body cut every step bytes (0 = one chunk). */
static inline struct fx_buf fx_response_chunked(int status, const char *headers, const char *body,
						size_t step)
{
	struct fx_buf b = { 0 };
	char line[256];
	size_t n = strlen(body);

	snprintf(line, sizeof(line), "HTTP/1.1 %d X\r\n", status);
	fx_puts(&b, line);
	fx_puts(&b, headers);
	fx_puts(&b, "Transfer-Encoding: chunked\r\n\r\n");
	for (size_t off = 0; off < n;) {
		size_t k = step && n - off > step ? step : n - off;

		snprintf(line, sizeof(line), "%zx;ext=1\r\n", k);
		fx_puts(&b, line);
		fx_put(&b, body + off, k);
		fx_puts(&b, "\r\n");
		off += k;
	}
	fx_puts(&b, "0\r\n\r\n");
	return b;
}

static inline void *fx_gzip(const char *s, size_t *out_len)
{
	z_stream z = { 0 };
	size_t cap = compressBound(strlen(s)) + 64;
	unsigned char *o = malloc(cap);

	if (!o || deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	z.next_in = (unsigned char *)(uintptr_t)s;
	z.avail_in = strlen(s);
	z.next_out = o;
	z.avail_out = cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		abort();
	*out_len = cap - z.avail_out;
	deflateEnd(&z);
	return o;
}

/* Whole exchange at once; returns the call. */
static inline struct llm_call fx_parse(const struct fx_buf *req, const struct fx_buf *resp,
				       uint8_t flags)
{
	struct llm_exchange_in in = { 0 };
	struct llm_call c;

	in.req = (const uint8_t *)req->p;
	in.req_len = req->len;
	in.resp = resp ? (const uint8_t *)resp->p : NULL;
	in.resp_len = resp ? resp->len : 0;
	in.start_ns = 1000000000ull;
	in.end_ns = 1500000000ull;
	in.flags = flags;
	if (llm_parse_exchange(&in, &c))
		abort();
	return c;
}

#endif
