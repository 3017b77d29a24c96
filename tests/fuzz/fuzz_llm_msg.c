// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer harness for HTTP/1.x message assembly (user/llm_http.c): a
 * message fed whole, where the start line and headers go through the
 * framer's bulk path (h1_fast), and fed in pieces of 1 to 7 bytes, which
 * are too short for it and go byte by byte through h1_step, must end
 * alike: the same bytes taken, the same kept headers and body, the same
 * framer state, flags and status. The byte path is the reference the
 * bulk path is held to.
 *
 * Input: [0] bit 0 a request, else a response; bits 1-7 seed the piece
 * sizes. Then the bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "h1_user.h"
#include "llm_http.h"

#include "fuzz_util.h"

#define CTL_BYTES 1
#define MAX_BODY 4096

/* Feeds p in pieces; returns the bytes the message took. */
static size_t feed_pieces(struct llm_msg *m, const uint8_t *p, size_t n, uint32_t x)
{
	size_t off = 0, took = 0;

	while (off < n) {
		size_t k;
		long got;

		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		k = 1 + x % 7;
		if (k > n - off)
			k = n - off;
		got = llm_msg__feed(m, p + off, k, 7);
		FUZZ_CHECK(got >= 0 && (size_t)got <= k);
		took += (size_t)got;
		off += k;
		if (m->complete || m->error)
			break;
	}
	return took;
}

static void check_same(const struct llm_msg *a, const struct llm_msg *b)
{
	FUZZ_CHECK(a->complete == b->complete && a->error == b->error && a->begun == b->begun);
	FUZZ_CHECK(a->hdr_overflow == b->hdr_overflow && a->too_large == b->too_large);
	FUZZ_CHECK(a->status == b->status && a->method == b->method);
	FUZZ_CHECK(!memcmp(&a->d, &b->d, sizeof(a->d)));
	FUZZ_CHECK(a->hdr_len == b->hdr_len &&
		   (!a->hdr_len || !memcmp(a->hdr, b->hdr, a->hdr_len)));
	FUZZ_CHECK(a->body_len == b->body_len && a->body_total == b->body_total);
	FUZZ_CHECK(!a->body_len || !memcmp(a->body, b->body, a->body_len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct llm_msg whole, pieces;
	bool is_request;
	size_t took_pieces;
	long took_whole;

	if (size < CTL_BYTES)
		return 0;
	is_request = data[0] & 1;
	llm_msg__init(&whole, is_request, MAX_BODY);
	llm_msg__init(&pieces, is_request, MAX_BODY);
	took_whole = llm_msg__feed(&whole, data + CTL_BYTES, size - CTL_BYTES, 7);
	took_pieces = feed_pieces(&pieces, data + CTL_BYTES, size - CTL_BYTES,
				  0x9e3779b9u ^ (uint32_t)(data[0] >> 1));
	/* an error takes the rest of a piece; only a clean outcome counts bytes */
	if (!whole.error && !pieces.error)
		FUZZ_CHECK(took_whole >= 0 && (size_t)took_whole == took_pieces);
	check_same(&whole, &pieces);
	llm_msg__release(&whole);
	llm_msg__release(&pieces);
	return 0;
}
