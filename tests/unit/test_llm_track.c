// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The LLM tracker end to end on BT_EV_DATA records and exchange records:
 * a stream split at every byte boundary, a 2 MB body, a 2,000-chunk
 * stream with its timing, gaps, pipelining, stale gc, and the rendered
 * metrics: exact token totals per provider and type, and no secret
 * (Authorization, x-api-key, ?key=) anywhere in the output.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "llm_fixtures.h"
#include "metrics.h"

struct rig {
	struct metrics *m;
	struct llm_tracker *t;
	struct bt_data_record d;
	uint64_t conn;
};

static struct rig *rig_new_opts(const struct llm_opts *o)
{
	struct rig *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	r->m = metrics__new(10000);
	assert_non_null(r->m);
	r->t = llm_tracker__new(o, r->m);
	assert_non_null(r->t);
	r->conn = 42;
	return r;
}

static struct rig *rig_new(uint64_t max_body)
{
	struct llm_opts o = { .max_body_bytes = max_body, .stale_ns = 1000000000ull };

	return rig_new_opts(&o);
}

static void rig_free(struct rig *r)
{
	llm_tracker__free(r->t);
	metrics__free(r->m);
	free(r);
}

/* One syscall's bytes: cut into BT_DATA_MAX records like the kernel does. */
static void send_io(struct rig *r, int dir, const char *p, size_t n, uint64_t ns, uint8_t flags)
{
	for (size_t off = 0; off < n || (n == 0 && off == 0);) {
		size_t k = n - off > BT_DATA_MAX ? BT_DATA_MAX : n - off;

		memset(&r->d.hdr, 0, sizeof(r->d.hdr));
		r->d.hdr.type = BT_EV_DATA;
		r->d.hdr.ts_ns = ns;
		r->d.conn_id = r->conn;
		r->d.io_ns = ns;
		r->d.io_len = (uint32_t)n;
		r->d.offset = (uint32_t)off;
		r->d.len = (uint32_t)k;
		r->d.dir = (uint8_t)dir;
		r->d.flags = off == 0 ? flags : 0;
		memcpy(r->d.data, p + off, k);
		llm_tracker__data(r->t, &r->d);
		off += k;
		if (n == 0)
			break;
	}
}

static void send_exchange(struct rig *r, const char *path, uint16_t status, uint64_t start,
			  uint64_t end, uint8_t flags)
{
	struct bt_http_record h = { 0 };

	h.hdr.type = BT_EV_HTTP;
	h.conn_id = r->conn;
	h.start_ns = start;
	h.end_ns = end;
	h.status = status;
	h.method = BT_M_POST;
	h.role = BT_ROLE_CLIENT;
	h.flags = BT_REQ_CAPTURED | flags;
	h.path_len = (uint16_t)strlen(path);
	memcpy(h.path, path, h.path_len < BT_PATH_MAX ? h.path_len : BT_PATH_MAX);
	llm_tracker__exchange(r->t, &h, "checkout");
}

static char *render(struct rig *r)
{
	char *out;
	size_t len;

	assert_int_equal(metrics__render(r->m, &out, &len), 0);
	return out;
}

static void has_line(const char *text, const char *line)
{
	if (!strstr(text, line)) {
		fprintf(stderr, "missing: %s\n", line);
		fail();
	}
}

static const char anthropic_stream[] =
	"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-3-7-sonnet-20250219\","
	"\"usage\":{\"input_tokens\":25,\"cache_creation_input_tokens\":7,\"cache_read_input_tokens\":50,\"output_tokens\":1}}}\n\n"
	"event: ping\ndata: {\"type\":\"ping\"}\n\n"
	"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello\"}}\n\n"
	"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":15}}\n\n"
	"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

/* The same exchange fed with the response cut in two at every byte: same totals each time. */
static void test_split_every_byte(void **state)
{
	struct fx_buf req = fx_request("POST", "/v1/messages", "Host: api.anthropic.com\r\n",
				       "{\"model\":\"claude-3-7-sonnet-latest\",\"stream\":true}");
	struct fx_buf resp = fx_response_chunked(200, "Content-Type: text/event-stream\r\n",
						 anthropic_stream, 50);
	struct rig *r = rig_new(0);
	struct llm_stats st;
	char want[256], *text;
	size_t n = 0;

	(void)state;
	for (size_t cut = 0; cut <= resp.len; cut++, n++) {
		send_io(r, BT_DATA_REQUEST, req.p, req.len, 10, BT_DATA_FIRST);
		send_io(r, BT_DATA_RESPONSE, resp.p, cut, 20, BT_DATA_FIRST);
		send_io(r, BT_DATA_RESPONSE, resp.p + cut, resp.len - cut, 30, 0);
		send_exchange(r, "/v1/messages", 200, 5, 40, 0);
	}
	llm_tracker__stats(r->t, &st);
	assert_int_equal(st.calls, n);
	assert_int_equal(st.unparsed, 0);
	assert_int_equal(st.dropped_partial, 0);
	text = render(r);
	snprintf(
		want, sizeof(want),
		"biothings_llm_tokens_total{service_name=\"checkout\",agent_type=\"unknown\","
		"provider=\"anthropic\",model=\"claude-3-7-sonnet-20250219\",token_type=\"input\"} %zu\n",
		82 * n);
	has_line(text, want);
	snprintf(want, sizeof(want), "token_type=\"output\"} %zu\n", 15 * n);
	has_line(text, want);
	snprintf(want, sizeof(want), "token_type=\"cache_read\"} %zu\n", 50 * n);
	has_line(text, want);
	snprintf(want, sizeof(want), "token_type=\"cache_creation\"} %zu\n", 7 * n);
	has_line(text, want);
	free(text);
	rig_free(r);
	free(req.p);
	free(resp.p);
}

/* Every response byte in its own read: the framer and splitter resume anywhere. */
static void test_byte_by_byte(void **state)
{
	struct fx_buf req = fx_request("POST", "/v1/messages", "Host: api.anthropic.com\r\n",
				       "{\"stream\":true}");
	struct fx_buf resp = fx_response_chunked(200, "Content-Type: text/event-stream\r\n",
						 anthropic_stream, 13);
	struct rig *r = rig_new(0);
	struct llm_stats st;
	char *text;

	(void)state;
	for (size_t i = 0; i < req.len; i++)
		send_io(r, BT_DATA_REQUEST, req.p + i, 1, 10, i ? 0 : BT_DATA_FIRST);
	for (size_t i = 0; i < resp.len; i++)
		send_io(r, BT_DATA_RESPONSE, resp.p + i, 1, 100 + i, i ? 0 : BT_DATA_FIRST);
	send_exchange(r, "/v1/messages", 200, 5, 100 + resp.len, 0);
	llm_tracker__stats(r->t, &st);
	assert_int_equal(st.calls, 1);
	assert_int_equal(st.unparsed, 0);
	text = render(r);
	has_line(text, "model=\"claude-3-7-sonnet-20250219\",token_type=\"input\"} 82\n");
	has_line(text, "model=\"claude-3-7-sonnet-20250219\",token_type=\"output\"} 15\n");
	free(text);
	rig_free(r);
	free(req.p);
	free(resp.p);
}

/* The kernel framer's state after the first n bytes of resp (what
 * bt_data_record.resume carries): the same parser, run here. */
static struct h1_dir state_after(const struct fx_buf *resp, size_t n)
{
	struct llm_msg m;
	struct h1_dir d;

	llm_msg__init(&m, false, 1u << 20);
	assert_int_equal(llm_msg__feed(&m, (const uint8_t *)resp->p, n, 1), (long)n);
	d = m.d;
	llm_msg__release(&m);
	return d;
}

/*
 * One call whose response lost bytes [lost, back): the record after the
 * hole is flagged LOST, with the framer state when `resume`; the tracker's
 * stats and the metrics text come back to the caller.
 */
static char *holed_call(const struct fx_buf *req, const struct fx_buf *resp, size_t lost,
			size_t back, bool resume, struct llm_stats *st)
{
	struct rig *r = rig_new(0);
	char *text;

	send_io(r, BT_DATA_REQUEST, req->p, req->len, 10, BT_DATA_FIRST);
	send_io(r, BT_DATA_RESPONSE, resp->p, lost, 20, BT_DATA_FIRST);
	if (resume)
		r->d.resume = state_after(resp, back);
	send_io(r, BT_DATA_RESPONSE, resp->p + back, resp->len - back, 30,
		BT_DATA_LOST | (resume ? BT_DATA_RESUME : 0));
	memset(&r->d.resume, 0, sizeof(r->d.resume));
	send_exchange(r, "/v1/messages", 200, 5, 40, 0);
	llm_tracker__stats(r->t, st);
	text = render(r);
	rig_free(r);
	return text;
}

/* Bytes lost in the ring (payload shed): framed past from the kernel's
 * state, the usage is still read when its events came through whole. */
static void test_holes(void **state)
{
	struct fx_buf req = fx_request("POST", "/v1/messages", "Host: api.anthropic.com\r\n",
				       "{\"model\":\"claude-3-7-sonnet-latest\",\"stream\":true}");
	struct fx_buf resp = fx_response_chunked(200, "Content-Type: text/event-stream\r\n",
						 anthropic_stream, 50);
	const char *body = strstr(resp.p, "\r\n\r\n") + 4;
	size_t head = (size_t)(body - resp.p);
	size_t ping = (size_t)(strstr(resp.p, "event: ping") - resp.p);
	size_t delta = (size_t)(strstr(resp.p, "event: message_delta") - resp.p);
	struct llm_stats st;
	char *text;

	(void)state;
	/* lost from inside the ping to inside the content delta, all chunk
	 * framing included: input from message_start, output from message_delta */
	text = holed_call(&req, &resp, ping + 5, delta - 20, true, &st);
	assert_int_equal(st.resumed, 1);
	assert_int_equal(st.unparsed, 0);
	has_line(text, "model=\"claude-3-7-sonnet-20250219\",token_type=\"input\"} 82\n");
	has_line(text, "model=\"claude-3-7-sonnet-20250219\",token_type=\"output\"} 15\n");
	has_line(text,
		 "biothings_llm_holed_responses_total{provider=\"anthropic\",usage=\"read\"} 1\n");
	free(text);
	/* the hole takes the end of message_stop: nothing whole follows it, and
	 * everything that carries counts came before it */
	{
		size_t stop = (size_t)(strstr(resp.p, "event: message_stop") - resp.p);

		text = holed_call(&req, &resp, stop + 25, resp.len - 7, true, &st);
		assert_int_equal(st.unparsed, 0);
		has_line(text, "token_type=\"output\"} 15\n");
		has_line(text, "usage=\"read\"} 1\n");
		free(text);
	}
	/* the hole takes message_delta: no final usage, a gap, not a guess */
	text = holed_call(&req, &resp, delta + 10, resp.len - 40, true, &st);
	assert_int_equal(st.unparsed, 1);
	has_line(text, "biothings_llm_unparsed_total{provider=\"anthropic\",reason=\"gap\"} 1\n");
	has_line(text,
		 "biothings_llm_holed_responses_total{provider=\"anthropic\",usage=\"lost\"} 1\n");
	assert_null(strstr(text, "token_type=\"output\""));
	free(text);
	/* the hole starts before the first event ended (message_start's input
	 * tokens may be in it): not read */
	text = holed_call(&req, &resp, head + 20, delta - 20, true, &st);
	assert_int_equal(st.unparsed, 1);
	has_line(text, "usage=\"lost\"} 1\n");
	free(text);
	/* no framer state: the message is given up as before */
	text = holed_call(&req, &resp, ping + 5, delta - 20, false, &st);
	assert_int_equal(st.resumed, 0);
	has_line(text, "biothings_llm_unparsed_total{provider=\"anthropic\",reason=\"gap\"} 1\n");
	free(text);
	/* one JSON document with a hole cannot be parsed, whatever follows */
	{
		struct fx_buf json = fx_response(
			200, "Content-Type: application/json\r\n",
			"{\"type\":\"message\",\"model\":\"claude-3-7-sonnet-20250219\",\"content\":"
			"[{\"type\":\"text\",\"text\":\"Hello there, a longer answer\"}],"
			"\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":3,\"output_tokens\":9}}");
		size_t at = (size_t)(strstr(json.p, "Hello") - json.p);

		text = holed_call(&req, &json, at, at + 10, true, &st);
		assert_int_equal(st.resumed, 1);
		has_line(text, "reason=\"gap\"} 1\n");
		has_line(text, "usage=\"lost\"} 1\n");
		free(text);
		free(json.p);
	}
	/* the hole inside the headers: there is no body to go on with */
	text = holed_call(&req, &resp, 10, delta - 20, true, &st);
	assert_int_equal(st.resumed, 0);
	assert_int_equal(st.unparsed, 1);
	free(text);
	free(req.p);
	free(resp.p);
}

/* A request that lost bytes: its head came whole, so the call is still
 * its provider's (a gap), unless the hole is in the head itself. */
static void test_request_hole(void **state)
{
	struct fx_buf req = fx_request("POST", "/v1/messages", "Host: api.anthropic.com\r\n",
				       "{\"model\":\"claude-3-7-sonnet-latest\",\"stream\":true}");
	struct fx_buf resp = fx_response_chunked(200, "Content-Type: text/event-stream\r\n",
						 anthropic_stream, 50);
	size_t body = (size_t)(strstr(req.p, "\r\n\r\n") + 4 - req.p);
	const size_t cuts[] = { body + 5, 20 };
	const char *const want[] = {
		"biothings_llm_unparsed_total{provider=\"anthropic\",reason=\"gap\"} 1\n",
		"biothings_llm_unparsed_total{provider=\"unknown\",reason=\"gap\"} 1\n",
	};
	char *text;

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct rig *r = rig_new(0);

		send_io(r, BT_DATA_REQUEST, req.p, cuts[i], 10, BT_DATA_FIRST);
		send_io(r, BT_DATA_REQUEST, req.p + cuts[i] + 3, req.len - cuts[i] - 3, 11,
			BT_DATA_LOST);
		send_io(r, BT_DATA_RESPONSE, resp.p, resp.len, 20, BT_DATA_FIRST);
		send_exchange(r, "/v1/messages", 200, 5, 40, 0);
		text = render(r);
		has_line(text, want[i]);
		assert_null(strstr(text, "token_type=")); /* nothing guessed */
		free(text);
		rig_free(r);
	}
	free(req.p);
	free(resp.p);
}

static void test_two_megabytes(void **state)
{
	struct fx_buf body = { 0 }, resp;
	struct fx_buf req = fx_request("POST", "/v1/chat/completions", "Host: api.openai.com\r\n",
				       "{\"model\":\"gpt-4.1\"}");
	struct rig *r = rig_new(0);
	struct llm_stats st;
	char *big = malloc(2u << 20), *text;

	(void)state;
	memset(big, 'a', (2u << 20) - 1);
	big[(2u << 20) - 1] = '\0';
	fx_puts(&body,
		"{\"model\":\"gpt-4.1-2025-04-14\",\"choices\":[{\"index\":0,\"message\":{\"content\":\"");
	fx_puts(&body, big);
	fx_puts(&body,
		"\"},\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":524288,\"total_tokens\":524300}}");
	resp = fx_response(200, "Content-Type: application/json\r\n", body.p);
	send_io(r, BT_DATA_REQUEST, req.p, req.len, 10, BT_DATA_FIRST);
	for (size_t off = 0; off < resp.len; off += 65536) /* 64 KiB reads */
		send_io(r, BT_DATA_RESPONSE, resp.p + off,
			resp.len - off < 65536 ? resp.len - off : 65536, 20 + off,
			off ? 0 : BT_DATA_FIRST);
	send_exchange(r, "/v1/chat/completions", 200, 5, 99999999, 0);
	llm_tracker__stats(r->t, &st);
	assert_int_equal(st.calls, 1);
	assert_int_equal(st.unparsed, 0);
	assert_true(st.bytes == req.len + resp.len);
	text = render(r);
	has_line(text, "model=\"gpt-4.1-2025-04-14\",token_type=\"output\"} 524288\n");
	has_line(text, "model=\"gpt-4.1-2025-04-14\",token_type=\"input\"} 12\n");
	free(text);
	rig_free(r);
	/* the same body over a 1 MiB limit: counted as body_too_large */
	r = rig_new(1u << 20);
	send_io(r, BT_DATA_REQUEST, req.p, req.len, 10, BT_DATA_FIRST);
	for (size_t off = 0; off < resp.len; off += 65536)
		send_io(r, BT_DATA_RESPONSE, resp.p + off,
			resp.len - off < 65536 ? resp.len - off : 65536, 20,
			off ? 0 : BT_DATA_FIRST);
	send_exchange(r, "/v1/chat/completions", 200, 5, 6, 0);
	llm_tracker__stats(r->t, &st);
	assert_int_equal(st.body_too_large, 1);
	text = render(r);
	has_line(text,
		 "biothings_llm_unparsed_total{provider=\"openai\",reason=\"body_too_large\"} 1\n");
	free(text);
	rig_free(r);
	free(big);
	free(body.p);
	free(req.p);
	free(resp.p);
}

/* Two 2 MB answers in flight at once under a 5 MiB budget for all bodies
 * (the first holds 4 MiB once its buffer has doubled): the second stops
 * growing and is reported too large; the first is read exactly. */
static void test_held_budget(void **state)
{
	struct fx_buf body = { 0 }, resp;
	struct fx_buf req = fx_request("POST", "/v1/chat/completions", "Host: api.openai.com\r\n",
				       "{\"model\":\"gpt-4.1\"}");
	struct llm_opts o = { .max_body_bytes = 4u << 20, .max_held_bytes = 5u << 20 };
	struct rig *r = rig_new_opts(&o);
	struct llm_stats st;
	char *big = malloc(2u << 20), *text;

	(void)state;
	memset(big, 'a', (2u << 20) - 1);
	big[(2u << 20) - 1] = '\0';
	fx_puts(&body, "{\"model\":\"gpt-4.1\",\"choices\":[{\"message\":{\"content\":\"");
	fx_puts(&body, big);
	fx_puts(&body, "\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3,"
		       "\"completion_tokens\":5,\"total_tokens\":8}}");
	resp = fx_response(200, "Content-Type: application/json\r\n", body.p);
	for (r->conn = 1; r->conn <= 2; r->conn++)
		send_io(r, BT_DATA_REQUEST, req.p, req.len, 10, BT_DATA_FIRST);
	for (r->conn = 1; r->conn <= 2; r->conn++) /* both in flight, 64 KiB reads */
		for (size_t off = 0; off < resp.len; off += 65536)
			send_io(r, BT_DATA_RESPONSE, resp.p + off,
				resp.len - off < 65536 ? resp.len - off : 65536, 20,
				off ? 0 : BT_DATA_FIRST);
	for (r->conn = 1; r->conn <= 2; r->conn++)
		send_exchange(r, "/v1/chat/completions", 200, 5, 6, 0);
	llm_tracker__stats(r->t, &st);
	assert_int_equal(st.calls, 2);
	assert_int_equal(st.unparsed, 1);
	assert_int_equal(st.body_too_large, 1);
	text = render(r);
	has_line(text, "model=\"gpt-4.1\",token_type=\"output\"} 5\n");
	has_line(text,
		 "biothings_llm_unparsed_total{provider=\"openai\",reason=\"body_too_large\"} 1\n");
	free(text);
	rig_free(r);
	free(big);
	free(body.p);
	free(req.p);
	free(resp.p);
}

#define NCHUNK 2000
#define MS 1000000ull

/* 2,000 chunked reads, one SSE event each, 1 ms apart: exact TTFT and inter-chunk mean. */
static void build_long_stream(struct fx_buf *resp, struct llm_arrival *reads, uint64_t t)
{
	char ev[512], line[32];

	fx_puts(resp,
		"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n");
	reads[0] = (struct llm_arrival){ 0, t };
	for (int k = 0; k < NCHUNK; k++) {
		if (k == 0)
			snprintf(
				ev, sizeof(ev),
				"data: {\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n");
		else if (k < NCHUNK - 2)
			snprintf(
				ev, sizeof(ev),
				"data: {\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"t%d\"},\"finish_reason\":null}]}\n\n",
				k);
		else if (k == NCHUNK - 2)
			snprintf(
				ev, sizeof(ev),
				"data: {\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n");
		else
			snprintf(
				ev, sizeof(ev),
				"data: {\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[],\"usage\":{\"prompt_tokens\":30,\"completion_tokens\":1997,\"total_tokens\":2027}}\n\ndata: [DONE]\n\n");
		reads[k + 1] = (struct llm_arrival){ resp->len, t + (uint64_t)(k + 1) * MS };
		snprintf(line, sizeof(line), "%zx\r\n", strlen(ev));
		fx_puts(resp, line);
		fx_puts(resp, ev);
		fx_puts(resp, "\r\n");
	}
	fx_puts(resp, "0\r\n\r\n");
}

static void test_long_stream_timing(void **state)
{
	static struct llm_arrival reads[NCHUNK + 1];
	struct fx_buf resp = { 0 };
	struct fx_buf req = fx_request(
		"POST", "/v1/chat/completions", "Host: api.openai.com\r\n",
		"{\"model\":\"gpt-4o-mini\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
	uint64_t start = 1000 * MS, t = start + 100 * MS;
	struct llm_exchange_in in = { 0 };
	struct llm_call c;
	struct rig *r;
	char *text;

	(void)state;
	build_long_stream(&resp, reads, t);
	in = (struct llm_exchange_in){ .req = (uint8_t *)req.p,
				       .req_len = req.len,
				       .resp = (uint8_t *)resp.p,
				       .resp_len = resp.len,
				       .resp_reads = reads,
				       .n_resp_reads = NCHUNK + 1,
				       .start_ns = start,
				       .end_ns = t + NCHUNK * MS };
	assert_int_equal(llm_parse_exchange(&in, &c), 0);
	assert_true(c.usage_ok);
	assert_int_equal(c.tok.input, 30);
	assert_int_equal(c.tok.output, 1997);
	assert_int_equal(c.ttft_ns, 102 * MS); /* the read with the first non-empty delta */
	assert_int_equal(c.inter_chunk_ns, 1 * MS);
	assert_int_equal(c.chunks, NCHUNK);
	/* the same through the tracker, into the histograms */
	r = rig_new(0);
	send_io(r, BT_DATA_REQUEST, req.p, req.len, start, BT_DATA_FIRST);
	for (int k = 0; k <= NCHUNK; k++) {
		size_t end = k < NCHUNK ? reads[k + 1].off : resp.len;

		send_io(r, BT_DATA_RESPONSE, resp.p + reads[k].off, end - reads[k].off, reads[k].ns,
			k ? 0 : BT_DATA_FIRST);
	}
	send_exchange(r, "/v1/chat/completions", 200, start, t + NCHUNK * MS, 0);
	text = render(r);
	has_line(
		text,
		"gen_ai_server_time_to_first_token_seconds_bucket{gen_ai_provider_name=\"openai\","
		"gen_ai_request_model=\"gpt-4o-mini\",gen_ai_response_model=\"gpt-4o-mini-2024-07-18\","
		"gen_ai_operation_name=\"chat\",service_name=\"checkout\",le=\"0.1\"} 0\n");
	has_line(text, "gen_ai_operation_name=\"chat\",service_name=\"checkout\",le=\"0.25\"} 1\n");
	has_line(
		text,
		"biothings_llm_inter_chunk_seconds_bucket{service_name=\"checkout\",agent_type=\"unknown\","
		"provider=\"openai\",model=\"gpt-4o-mini-2024-07-18\",le=\"0.001\"} 1\n");
	has_line(text, "gen_ai_token_type=\"output\",service_name=\"checkout\",le=\"4096\"} 1\n");
	has_line(text, "gen_ai_token_type=\"output\",service_name=\"checkout\",le=\"1024\"} 0\n");
	free(text);
	rig_free(r);
	free(req.p);
	free(resp.p);
}

/* Cut mid-stream (connection closed): stream_cut, and no tokens counted. */
static void test_stream_cut_and_gap(void **state)
{
	struct fx_buf req = fx_request("POST", "/v1/messages", "Host: api.anthropic.com\r\n",
				       "{\"stream\":true}");
	struct fx_buf resp = fx_response_chunked(200, "Content-Type: text/event-stream\r\n",
						 anthropic_stream, 0);
	const char *md = strstr(resp.p, "event: message_delta");
	struct rig *r = rig_new(0);
	char *text;

	(void)state;
	send_io(r, BT_DATA_REQUEST, req.p, req.len, 10, BT_DATA_FIRST);
	send_io(r, BT_DATA_RESPONSE, resp.p, (size_t)(md - resp.p), 20, BT_DATA_FIRST);
	send_exchange(r, "/v1/messages", 200, 5, 30, BT_REQ_INCOMPLETE);
	/* a gap inside the next response */
	send_io(r, BT_DATA_REQUEST, req.p, req.len, 40, BT_DATA_FIRST);
	send_io(r, BT_DATA_RESPONSE, resp.p, 100, 50, BT_DATA_FIRST);
	send_io(r, BT_DATA_RESPONSE, resp.p + 200, resp.len - 200, 60, BT_DATA_LOST);
	send_exchange(r, "/v1/messages", 200, 35, 70, 0);
	/* an exchange record with no bytes at all */
	r->conn = 7;
	send_exchange(r, "/v1/messages", 200, 80, 90, 0);
	text = render(r);
	has_line(text,
		 "biothings_llm_unparsed_total{provider=\"anthropic\",reason=\"stream_cut\"} 1\n");
	has_line(text, "biothings_llm_unparsed_total{provider=\"anthropic\",reason=\"gap\"} 1\n");
	has_line(text, "biothings_llm_unparsed_total{provider=\"unknown\",reason=\"gap\"} 1\n");
	has_line(text,
		 "biothings_llm_requests_total{service_name=\"checkout\",agent_type=\"unknown\","
		 "provider=\"anthropic\",model=\"claude-3-7-sonnet-20250219\",status=\"200\"} 1\n");
	assert_null(strstr(text, "biothings_llm_tokens_total{"));
	free(text);
	rig_free(r);
	free(req.p);
	free(resp.p);
}

/* Two pipelined exchanges in one write and one read; an uncaptured request in between. */
static void test_pipelined(void **state)
{
	struct fx_buf a = fx_request("POST", "/v1/embeddings", "Host: api.openai.com\r\n",
				     "{\"model\":\"m1\"}");
	struct fx_buf x = fx_request("GET", "/v1/models", "Host: api.openai.com\r\n", "");
	struct fx_buf b = fx_request("POST", "/v1/embeddings", "Host: api.openai.com\r\n",
				     "{\"model\":\"m2\"}");
	struct fx_buf ra = fx_response(
		200, "", "{\"model\":\"m1\",\"usage\":{\"prompt_tokens\":3,\"total_tokens\":3}}");
	struct fx_buf rb = fx_response(
		200, "", "{\"model\":\"m2\",\"usage\":{\"prompt_tokens\":5,\"total_tokens\":5}}");
	struct fx_buf all = { 0 }, resp = { 0 };
	struct rig *r = rig_new(0);
	struct llm_stats st;
	char *text;

	(void)state;
	fx_put(&all, a.p, a.len);
	fx_put(&all, x.p, x.len);
	fx_put(&all, b.p, b.len);
	fx_put(&resp, ra.p, ra.len);
	fx_put(&resp, rb.p, rb.len);
	send_io(r, BT_DATA_REQUEST, all.p, all.len, 10, BT_DATA_FIRST);
	send_io(r, BT_DATA_RESPONSE, resp.p, resp.len, 20, BT_DATA_FIRST);
	send_exchange(r, "/v1/embeddings", 200, 5, 30, 0);
	send_exchange(r, "/v1/embeddings", 200, 5, 30, 0);
	llm_tracker__stats(r->t, &st);
	assert_int_equal(st.calls, 2);
	assert_int_equal(st.unparsed, 0);
	assert_int_equal(st.dropped_partial, 1); /* GET /v1/models */
	text = render(r);
	has_line(text, "model=\"m1\",token_type=\"input\"} 3\n");
	has_line(text, "model=\"m2\",token_type=\"input\"} 5\n");
	free(text);
	rig_free(r);
	free(a.p), free(x.p), free(b.p), free(ra.p), free(rb.p), free(all.p), free(resp.p);
}

static void test_gc_stale(void **state)
{
	struct fx_buf req = fx_request("POST", "/v1/messages", "Host: api.anthropic.com\r\n", "{}");
	struct rig *r = rig_new(0);
	struct llm_stats st;

	(void)state;
	send_io(r, BT_DATA_REQUEST, req.p, req.len, 10, BT_DATA_FIRST);
	llm_tracker__gc(r->t, 500000000ull);
	llm_tracker__stats(r->t, &st);
	assert_int_equal(st.stale, 0);
	llm_tracker__gc(r->t, 2000000000ull);
	llm_tracker__stats(r->t, &st);
	assert_int_equal(st.stale, 1);
	llm_tracker__conn_closed(r->t, 42); /* nothing left: a no-op */
	rig_free(r);
	free(req.p);
}

static const char *const secrets[] = {
	"sk-proj-SECRETabcdefghijklmnopqrstuvwxyz0123",
	"sk-ant-api03-SECRETxyzxyzxyzxyzxyzxyzxyz",
	"AIzaSyD-SECRETgeminikeygeminikey0123456",
	"SECRETazurekey0123456789abcdef0123",
	"session=SECRETcookie",
};

/* 429 with an error body and rate-limit headers; secrets everywhere in the requests. */
static void test_errors_and_secrets(void **state)
{
	char hdr[1024], target[256], *text;
	struct fx_buf req, resp;
	struct rig *r = rig_new(0);

	(void)state;
	snprintf(hdr, sizeof(hdr),
		 "Host: api.openai.com\r\nAuthorization: Bearer %s\r\nCookie: %s\r\n", secrets[0],
		 secrets[4]);
	req = fx_request("POST", "/v1/chat/completions", hdr, "{\"model\":\"gpt-4o\"}");
	resp = fx_response(
		429,
		"x-ratelimit-remaining-requests: 0\r\nx-ratelimit-remaining-tokens: 150\r\nretry-after: 20\r\nSet-Cookie: x=SECRETcookie\r\n",
		"{\"error\":{\"message\":\"Rate limit reached for sk-proj-SECRET\",\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}");
	send_io(r, BT_DATA_REQUEST, req.p, req.len, 10, BT_DATA_FIRST);
	send_io(r, BT_DATA_RESPONSE, resp.p, resp.len, 20, BT_DATA_FIRST);
	send_exchange(r, "/v1/chat/completions", 429, 5, 30, 0);
	free(req.p), free(resp.p);

	snprintf(hdr, sizeof(hdr), "Host: api.anthropic.com\r\nx-api-key: %s\r\n", secrets[1]);
	req = fx_request("POST", "/v1/messages", hdr, "{\"model\":\"claude-opus-4-1-20250805\"}");
	resp = fx_response(
		529, "anthropic-ratelimit-input-tokens-remaining: 1000\r\n",
		"{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}");
	send_io(r, BT_DATA_REQUEST, req.p, req.len, 40, BT_DATA_FIRST);
	send_io(r, BT_DATA_RESPONSE, resp.p, resp.len, 50, BT_DATA_FIRST);
	send_exchange(r, "/v1/messages", 529, 35, 60, 0);
	free(req.p), free(resp.p);

	snprintf(target, sizeof(target), "/v1beta/models/gemini-2.5-flash:generateContent?key=%s",
		 secrets[2]);
	snprintf(hdr, sizeof(hdr), "Host: generativelanguage.googleapis.com\r\napi-key: %s\r\n",
		 secrets[3]);
	req = fx_request("POST", target, hdr, "{\"contents\":[]}");
	resp = fx_response(
		200, "",
		"{\"candidates\":[{\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":3,\"candidatesTokenCount\":4},\"modelVersion\":\"gemini-2.5-flash\"}");
	send_io(r, BT_DATA_REQUEST, req.p, req.len, 70, BT_DATA_FIRST);
	send_io(r, BT_DATA_RESPONSE, resp.p, resp.len, 80, BT_DATA_FIRST);
	send_exchange(r, target, 200, 65, 90, 0);
	free(req.p), free(resp.p);

	text = render(r);
	for (size_t i = 0; i < sizeof(secrets) / sizeof(*secrets); i++)
		assert_null(strstr(text, secrets[i]));
	assert_null(strstr(text, "SECRET"));
	assert_null(strstr(text, "key="));
	has_line(
		text,
		"biothings_llm_errors_total{service_name=\"checkout\",provider=\"openai\",model=\"gpt-4o\","
		"status=\"429\",error_type=\"requests\"} 1\n");
	has_line(
		text,
		"biothings_llm_errors_total{service_name=\"checkout\",provider=\"anthropic\","
		"model=\"claude-opus-4-1-20250805\",status=\"529\",error_type=\"overloaded_error\"} 1\n");
	has_line(text,
		 "biothings_llm_ratelimit_remaining{provider=\"openai\",limit=\"requests\"} 0\n");
	has_line(text,
		 "biothings_llm_ratelimit_remaining{provider=\"openai\",limit=\"tokens\"} 150\n");
	has_line(
		text,
		"biothings_llm_ratelimit_remaining{provider=\"anthropic\",limit=\"input_tokens\"} 1000\n");
	has_line(text, "biothings_llm_retry_after_seconds{provider=\"openai\"} 20\n");
	has_line(text, "provider=\"gemini\",model=\"gemini-2.5-flash\",token_type=\"output\"} 4\n");
	has_line(text,
		 "biothings_llm_requests_total{service_name=\"checkout\",agent_type=\"unknown\","
		 "provider=\"anthropic\",model=\"claude-opus-4-1-20250805\",status=\"529\"} 1\n");
	assert_null(strstr(text, "biothings_llm_unparsed_total{"));
	free(text);
	rig_free(r);
}

static void test_label_guard(void **state)
{
	char out[64];

	(void)state;
	llm_label_copy(out, sizeof(out), "gpt-4o-2024-08-06", 17);
	assert_string_equal(out, "gpt-4o-2024-08-06");
	llm_label_copy(out, sizeof(out), "sk-proj-abcdefghijklmnop", 24);
	assert_string_equal(out, "redacted");
	llm_label_copy(out, sizeof(out), "a b\"c", 5);
	assert_string_equal(out, "a_b_c");
	assert_true(llm_looks_secret("0123456789abcdef0123456789abcdef01"));
	assert_false(llm_looks_secret("meta-llama/Llama-3.1-8B-Instruct"));
}

struct seen_call {
	size_t n;
	struct llm_call last;
};

static void keep_call(void *arg, const struct llm_call *c, const char *service, const char *agent)
{
	struct seen_call *sc = arg;

	(void)service, (void)agent;
	sc->n++;
	sc->last = *c;
}

/* Split literals: no whole key shape in the source for secret scanners. */
#define PROMPT_KEY   \
	"sk-"        \
	"ant-api03-" \
	"Vd8Kq2Xw7Lm4Rt9Zp1Ny6Hc3Bf0Gj5Ts-Ue2Io8Pa4Sd6_Fg9Hk3JlAA"

/* The tracker hands on_call the request hash and the secret's kind and hash, and the
 * secret reaches neither the call nor the metrics; a repeated body gives the same hash. */
static void test_secret_in_prompt(void **state)
{
	struct seen_call seen = { 0 };
	struct llm_opts o = { .stale_ns = 1000000000ull, .on_call = keep_call, .arg = &seen };
	struct rig *r = rig_new_opts(&o);
	const char *body = "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":64,\"messages\":"
			   "[{\"role\":\"user\",\"content\":\"my key is " PROMPT_KEY "\"}]}";
	struct fx_buf req = fx_request("POST", "/v1/messages", "Host: api.anthropic.com\r\n", body);
	struct fx_buf resp = fx_response(
		200, "Content-Type: application/json\r\n",
		"{\"type\":\"message\",\"model\":\"claude-sonnet-4-5\",\"stop_reason\":\"end_turn\","
		"\"usage\":{\"input_tokens\":12,\"output_tokens\":3}}");
	uint64_t first;
	char *text;

	(void)state;
	for (int i = 0; i < 2; i++) {
		send_io(r, BT_DATA_REQUEST, req.p, req.len, 10 + 100 * i, BT_DATA_FIRST);
		send_io(r, BT_DATA_RESPONSE, resp.p, resp.len, 20 + 100 * i, BT_DATA_FIRST);
		send_exchange(r, "/v1/messages", 200, 5 + 100 * i, 30 + 100 * i, 0);
		if (!i)
			first = seen.last.request_hash;
	}
	assert_int_equal(seen.n, 2);
	assert_int_not_equal(first, 0);
	assert_int_equal(seen.last.request_hash, first);
	assert_int_equal(seen.last.secret_count, 1);
	assert_string_equal(seen.last.secret_kind, "anthropic_key");
	assert_int_equal(strlen(seen.last.secret_hash), 16);
	assert_null(memmem(&seen.last, sizeof(seen.last), "Vd8Kq2Xw7Lm4", 12));
	text = render(r);
	assert_null(strstr(text, "Vd8Kq2Xw7Lm4"));
	free(text);
	free(req.p), free(resp.p);
	rig_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_every_byte),
		cmocka_unit_test(test_byte_by_byte),
		cmocka_unit_test(test_two_megabytes),
		cmocka_unit_test(test_held_budget),
		cmocka_unit_test(test_long_stream_timing),
		cmocka_unit_test(test_stream_cut_and_gap),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_gc_stale),
		cmocka_unit_test(test_errors_and_secrets),
		cmocka_unit_test(test_label_guard),
		cmocka_unit_test(test_secret_in_prompt),
		cmocka_unit_test(test_holes),
		cmocka_unit_test(test_request_hole),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
