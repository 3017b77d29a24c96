// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer harness for the LLM stream splitters (user/llm_sse.c): the
 * same bytes fed whole and on a fuzzer-chosen schedule of growing
 * prefixes must give the same events at the same offsets, with every
 * event inside the stream, for all three framings; and across a hole
 * (llm_splitter__resync), only whole events in order after it. Also checks that
 * llm_json_shrink() never grows its input.
 *
 * Input: 1 control byte (bits 0-1 framing, rest schedule seed), then the stream.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "llm_sse.h"

struct trace {
	uint64_t h;
	size_t n, len;
};

static int on_event(void *ctx, const struct llm_event *ev)
{
	struct trace *t = ctx;

	FUZZ_CHECK(ev->end <= t->len);
	FUZZ_CHECK(ev->len <= 4096);
	FUZZ_CHECK(ev->data != NULL || ev->len == 0);
	t->h = (t->h ^ ev->end) * 0x100000001b3ull;
	for (size_t i = 0; i < ev->len; i++)
		t->h = (t->h ^ (uint8_t)ev->data[i]) * 0x100000001b3ull;
	for (size_t i = 0; i < ev->name_len; i++)
		t->h = (t->h ^ (uint8_t)ev->name[i]) * 0x100000001b3ull;
	t->n++;
	return 0;
}

static void run(enum llm_frame k, const char *s, size_t len, uint8_t seed, struct trace *t)
{
	struct llm_splitter sp;
	uint32_t x = 0x9e3779b9u ^ seed;
	size_t have = 0;

	memset(t, 0, sizeof(*t));
	t->h = 0xcbf29ce484222325ull;
	t->len = len;
	llm_splitter__init(&sp, k, 4096);
	while (seed && have < len) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		have += 1 + (x & 31);
		if (have > len)
			have = len;
		FUZZ_CHECK(llm_splitter__feed(&sp, s, have, on_event, t) == 0);
	}
	FUZZ_CHECK(llm_splitter__finish(&sp, s, len, on_event, t) == 0);
	llm_splitter__release(&sp);
}

/* Bytes lost at `hole`: events before it, then whole events after the
 * next boundary, every one inside the stream and in order. */
static void run_hole(enum llm_frame k, const char *s, size_t len, size_t hole)
{
	struct llm_splitter sp;
	struct trace t = { .h = 0, .len = len };
	size_t before;

	llm_splitter__init(&sp, k, 4096);
	FUZZ_CHECK(llm_splitter__feed(&sp, s, hole, on_event, &t) == 0);
	before = t.n;
	if (llm_splitter__resync(&sp, s, hole, len) == 0) {
		FUZZ_CHECK(k != LLM_FRAME_JSON_ARRAY);
		FUZZ_CHECK(sp.pos > hole && sp.pos <= len);
		FUZZ_CHECK(!llm_splitter__pending(&sp));
		FUZZ_CHECK(llm_splitter__finish(&sp, s, len, on_event, &t) == 0);
	}
	FUZZ_CHECK(t.n >= before);
	llm_splitter__release(&sp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trace a, b;
	enum llm_frame k;
	const char *s = (const char *)data + 1;
	char *out;
	size_t len, olen;

	if (size < 1)
		return 0;
	k = (enum llm_frame)((data[0] & 3) % 3);
	len = size - 1;
	run(k, s, len, 0, &a);
	run(k, s, len, data[0] | 1, &b);
	FUZZ_CHECK(a.n == b.n);
	FUZZ_CHECK(a.h == b.h);
	run_hole(k, s, len, (size_t)data[0] * 7 % (len + 1));
	if (llm_json_shrink(s, len, data[0] >> 2, &out, &olen) == 0) {
		FUZZ_CHECK(olen <= len);
		free(out);
	}
	return 0;
}
