// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer harness for HTTP/1.x message assembly (user/llm_http.c): a
 * message fed whole, where the start line and headers go through the
 * framer's bulk path (h1_fast), and fed in pieces of 1 to 7 bytes, which
 * are too short for it and go byte by byte through h1_step, must end
 * alike: the same bytes taken, the same kept headers and body, the same
 * framer state, flags and status. The byte path is the reference the
 * bulk path is held to. Then a hole: bytes [a, b) lost and framing
 * resumed at b from the whole message's framer state there
 * (llm_msg__resume, as the kernel's BT_DATA_RESUME carries it) must end
 * in the same framer state as the whole message, with the body kept
 * minus exactly the lost body bytes and the hole marked where they were.
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

/* The framer state after the first n bytes (what the kernel would send). */
static int state_at(const uint8_t *p, size_t n, bool is_request, struct llm_msg *ref)
{
	llm_msg__init(ref, is_request, MAX_BODY);
	return llm_msg__feed(ref, p, n, 7) == (long)n && !ref->complete && !ref->error ? 0 : -1;
}

static void check_hole(const uint8_t *p, size_t n, bool is_request, uint8_t seed)
{
	struct llm_msg ref, at_b, m;
	size_t a = n ? seed * 13u % n : 0, b = n ? (a + 1 + seed * 7u % n) : 0;

	if (b > n || state_at(p, a, is_request, &ref)) {
		if (b <= n)
			llm_msg__release(&ref);
		return;
	}
	if (state_at(p, b, is_request, &at_b)) {
		llm_msg__release(&ref);
		llm_msg__release(&at_b);
		return;
	}
	llm_msg__init(&m, is_request, MAX_BODY);
	FUZZ_CHECK(llm_msg__feed(&m, p, a, 7) == (long)a);
	if (llm_msg__resume(&m, &at_b.d)) {
		size_t lost = at_b.body_len - ref.body_len;

		FUZZ_CHECK(m.n_holes == 1 && m.holes[0] == ref.body_len);
		FUZZ_CHECK(!memcmp(&m.d, &at_b.d, sizeof(m.d)));
		FUZZ_CHECK(llm_msg__feed(&m, p + b, n - b, 7) >= 0);
		llm_msg__release(&at_b);
		state_at(p, n, is_request, &at_b); /* the whole message, to its end */
		FUZZ_CHECK(m.complete == at_b.complete && m.error == at_b.error);
		FUZZ_CHECK(!memcmp(&m.d, &at_b.d, sizeof(m.d)));
		if (!at_b.too_large)
			FUZZ_CHECK(m.body_len + lost == at_b.body_len);
		if (!at_b.too_large && m.body_len > ref.body_len)
			FUZZ_CHECK(!memcmp(m.body + ref.body_len, at_b.body + ref.body_len + lost,
					   m.body_len - ref.body_len));
	} else {
		FUZZ_CHECK(m.n_holes == 0 && !memcmp(&m.d, &ref.d, sizeof(m.d)));
	}
	llm_msg__release(&m);
	llm_msg__release(&ref);
	llm_msg__release(&at_b);
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
	check_hole(data + CTL_BYTES, size - CTL_BYTES, is_request, data[0]);
	return 0;
}
