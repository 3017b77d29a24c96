// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The stream splitters (user/llm_sse.c) fed whole, byte by byte and in
 * every two-way split: the same events with the same end offsets must
 * come out, and an unfinished event must show as pending. Also the JSON
 * shrinker that drops long strings.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llm_sse.h"

struct got {
	char text[4096];
	size_t n;
};

static int collect(void *ctx, const struct llm_event *ev)
{
	struct got *g = ctx;
	size_t room = sizeof(g->text) - strlen(g->text);

	snprintf(g->text + strlen(g->text), room, "[%.*s|%.*s|%zu]", (int)ev->name_len,
		 ev->name ? ev->name : "", (int)ev->len, ev->data, ev->end);
	g->n++;
	return 0;
}

/* Runs s through a splitter fed in pieces cut at cut (0: whole) or byte by byte (SIZE_MAX). */
static void split(enum llm_frame k, const char *s, size_t cut, struct got *g, bool *pending)
{
	struct llm_splitter sp;
	size_t len = strlen(s);

	memset(g, 0, sizeof(*g));
	llm_splitter__init(&sp, k, 1024);
	if (cut == SIZE_MAX) {
		for (size_t i = 1; i <= len; i++)
			assert_int_equal(llm_splitter__feed(&sp, s, i, collect, g), 0);
	} else {
		if (cut)
			assert_int_equal(llm_splitter__feed(&sp, s, cut, collect, g), 0);
		assert_int_equal(llm_splitter__feed(&sp, s, len, collect, g), 0);
	}
	*pending = llm_splitter__pending(&sp);
	assert_int_equal(llm_splitter__finish(&sp, s, len, collect, g), 0);
	llm_splitter__release(&sp);
}

static void all_ways(enum llm_frame k, const char *s, const char *want, size_t n_want, bool pend)
{
	struct got g;
	bool pending;

	split(k, s, SIZE_MAX, &g, &pending);
	assert_string_equal(g.text, want);
	assert_int_equal(g.n, n_want);
	assert_int_equal(pending, pend);
	for (size_t cut = 0; cut <= strlen(s); cut++) {
		split(k, s, cut, &g, &pending);
		assert_string_equal(g.text, want);
		assert_int_equal(pending, pend);
	}
}

static void test_sse(void **state)
{
	(void)state;
	all_ways(LLM_FRAME_SSE,
		 ": OPENROUTER PROCESSING\r\n\r\n"
		 "event: message_start\r\ndata: {\"a\":1}\r\n\r\n"
		 "data:{\"b\":2}\nid: 7\nretry: 10\n\n"
		 "data: line1\ndata: line2\n\n"
		 "event: empty\n\n"
		 "data: [DONE]\n\n",
		 "[message_start|{\"a\":1}|66][|{\"b\":2}|96][|line1\nline2|121][|[DONE]|149]", 4,
		 false);
	/* cut mid-event: pending, not dispatched */
	all_ways(LLM_FRAME_SSE, "data: {\"a\":1}\n\ndata: {\"b\"", "[|{\"a\":1}|15]", 1, true);
}

static void test_ndjson(void **state)
{
	(void)state;
	all_ways(LLM_FRAME_NDJSON, "{\"a\":1}\n\n  {\"b\":2}\r\n{\"c\":3}",
		 "[|{\"a\":1}|8][|{\"b\":2}|20][|{\"c\":3}|27]", 3, true);
}

static void test_json_array(void **state)
{
	(void)state;
	all_ways(LLM_FRAME_JSON_ARRAY, "[{\"a\":\"x]}\\\"\"},\r\n{\"b\":[1,{\"c\":2}]}\n]",
		 "[|{\"a\":\"x]}\\\"\"}|14][|{\"b\":[1,{\"c\":2}]}|34]", 2, false);
	all_ways(LLM_FRAME_JSON_ARRAY, "{\"error\":{\"code\":429}}",
		 "[|{\"error\":{\"code\":429}}|22]", 1, false);
	all_ways(LLM_FRAME_JSON_ARRAY, "[{\"a\":1},{\"b\":", "[|{\"a\":1}|8]", 1, true);
}

static void test_oversized_event(void **state)
{
	struct llm_splitter sp;
	struct got g = { 0 };
	char big[3000];

	(void)state;
	memset(big, 'x', sizeof(big));
	memcpy(big, "data: ", 6);
	memcpy(big + sizeof(big) - 20, "\n\ndata: {\"ok\":1}\n\n", 19);
	big[sizeof(big) - 1] = '\0';
	llm_splitter__init(&sp, LLM_FRAME_SSE, 1024);
	assert_int_equal(llm_splitter__feed(&sp, big, strlen(big), collect, &g), 0);
	assert_int_equal(sp.oversized, 1);
	assert_int_equal(g.n, 1);
	llm_splitter__release(&sp);
}

/* Feeds s up to a hole at `hole`, resyncs there, then feeds the rest. */
static int across_hole(enum llm_frame k, const char *s, size_t hole, struct got *g)
{
	struct llm_splitter sp;
	size_t len = strlen(s);
	int rc;

	memset(g, 0, sizeof(*g));
	llm_splitter__init(&sp, k, 1024);
	assert_int_equal(llm_splitter__feed(&sp, s, hole, collect, g), 0);
	rc = llm_splitter__resync(&sp, s, hole, len);
	if (!rc)
		assert_int_equal(llm_splitter__finish(&sp, s, len, collect, g), 0);
	llm_splitter__release(&sp);
	return rc;
}

static void test_resync(void **state)
{
	/* the bytes after a hole: the rest of a cut event, then whole ones */
	const char *sse = "data: {\"a\":1}\n\nevent: x\ndata: {\"b\":\n"
			  "data: 2}\r\n\r\ndata: {\"c\":3}\n\ndata: {\"d\":4}\n\n";
	const char *nd = "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n{\"d\":4}";
	struct got g;

	(void)state;
	/* hole inside the multi-line event "b": it is dropped, "c" and "d" stay,
	 * and the name "x" of the cut event does not leak onto "c" */
	assert_int_equal(across_hole(LLM_FRAME_SSE, sse, 30, &g), 0);
	assert_string_equal(g.text, "[|{\"a\":1}|15][|{\"c\":3}|63][|{\"d\":4}|78]");
	/* hole right at an event start: "b" before it is whole, "c" after it
	 * cannot be told from a cut event and is dropped */
	assert_int_equal(across_hole(LLM_FRAME_SSE, sse, 48, &g), 0);
	assert_string_equal(g.text, "[|{\"a\":1}|15][x|{\"b\":\n2}|48][|{\"d\":4}|78]");
	/* hole inside the last event: its end is the stream's, nothing follows */
	assert_int_equal(across_hole(LLM_FRAME_SSE, sse, 70, &g), 0);
	assert_int_equal(g.n, 3);
	/* no boundary after the hole: nothing more can be read */
	assert_int_equal(across_hole(LLM_FRAME_SSE, "data: 1\n\ndata: 2\n", 12, &g), -1);
	assert_int_equal(across_hole(LLM_FRAME_SSE, sse, strlen(sse), &g), -1);
	/* NDJSON resumes after the next newline; the last line needs none */
	assert_int_equal(across_hole(LLM_FRAME_NDJSON, nd, 10, &g), 0);
	assert_string_equal(g.text, "[|{\"a\":1}|8][|{\"c\":3}|24][|{\"d\":4}|31]");
	/* a JSON array's nesting cannot be recovered */
	assert_int_equal(across_hole(LLM_FRAME_JSON_ARRAY, "[{\"a\":1},{\"b\":2}]", 5, &g), -1);
}

static void test_shrink(void **state)
{
	const char *in =
		"{\"content\":\"aaaaaaaaaa\\\"aaaaaaa\",\"model\":\"m\",\"usage\":{\"x\":1},\"s\":\"\\\\\"}";
	char *out;
	size_t n;

	(void)state;
	assert_int_equal(llm_json_shrink(in, strlen(in), 8, &out, &n), 0);
	assert_string_equal(
		out, "{\"content\":\"\",\"model\":\"m\",\"usage\":{\"x\":1},\"s\":\"\\\\\"}");
	assert_int_equal(n, strlen(out));
	free(out);
	/* unterminated long string stays as it was: malformed input stays malformed */
	assert_int_equal(llm_json_shrink("{\"a\":\"aaaaaaaaaaaaa", 19, 4, &out, &n), 0);
	assert_string_equal(out, "{\"a\":\"aaaaaaaaaaaaa");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sse),	   cmocka_unit_test(test_ndjson),
		cmocka_unit_test(test_json_array), cmocka_unit_test(test_oversized_event),
		cmocka_unit_test(test_shrink),	   cmocka_unit_test(test_resync),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
