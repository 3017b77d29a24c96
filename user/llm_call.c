// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The pure core of LLM accounting (llm_track.h, "the pure core"): from
 * one assembled request and response to a struct llm_call. Decides the
 * provider and API, the stream framing, which unparsed reason applies,
 * rate-limit headers and stream timing. Header values other than the few
 * it parses into numbers are never copied out.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "llm_track.h"
#include "prompt_inject.h"
#include "secret_scan.h"

static void call_init(struct llm_call *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->provider, sizeof(c->provider), "unknown");
	c->operation = "chat";
	for (int i = 0; i < LLM_LIMIT__COUNT; i++)
		c->ratelimit[i] = -1;
	c->retry_after_s = -1;
	c->reported_cost_usd = -1;
}

static bool hdr_u64(const struct llm_msg *m, const char *name, int64_t *out)
{
	const char *v;
	size_t n;
	int64_t x = 0;

	if (!llm_msg__header(m, name, &v, &n) || n == 0 || n > 18)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		x = x * 10 + (v[i] - '0');
	}
	*out = x;
	return true;
}

/* seconds, fractional seconds, or an HTTP-date measured against the Date header */
static double retry_after(const struct llm_msg *m)
{
	const char *v, *dv;
	size_t n, dn;
	char buf[64], dbuf[64], *end;
	struct tm a = { 0 }, b = { 0 };
	double s;

	if (llm_msg__header(m, "retry-after-ms", &v, &n) && n && n < sizeof(buf)) {
		snprintf(buf, sizeof(buf), "%.*s", (int)n, v);
		s = strtod(buf, &end);
		if (*end == '\0' && s >= 0 && s < 1e12)
			return s / 1000.0;
	}
	if (!llm_msg__header(m, "retry-after", &v, &n) || !n || n >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%.*s", (int)n, v);
	s = strtod(buf, &end);
	if (end != buf && *end == '\0' && s >= 0 && s < 1e9)
		return s;
	if (!llm_msg__header(m, "date", &dv, &dn) || !dn || dn >= sizeof(dbuf))
		return -1;
	snprintf(dbuf, sizeof(dbuf), "%.*s", (int)dn, dv);
	if (!strptime(buf, "%a, %d %b %Y %H:%M:%S GMT", &a) ||
	    !strptime(dbuf, "%a, %d %b %Y %H:%M:%S GMT", &b))
		return -1;
	s = difftime(timegm(&a), timegm(&b));
	return s >= 0 ? s : 0;
}

static void read_limits(const struct llm_msg *m, struct llm_call *c)
{
	static const char *const names[][2] = {
		{ "x-ratelimit-remaining-requests", "anthropic-ratelimit-requests-remaining" },
		{ "x-ratelimit-remaining-tokens", "anthropic-ratelimit-tokens-remaining" },
		{ NULL, "anthropic-ratelimit-input-tokens-remaining" },
		{ NULL, "anthropic-ratelimit-output-tokens-remaining" },
	};

	for (int i = 0; i < LLM_LIMIT__COUNT; i++) {
		int64_t v;

		if ((names[i][0] && hdr_u64(m, names[i][0], &v)) || hdr_u64(m, names[i][1], &v))
			c->ratelimit[i] = v;
	}
	c->retry_after_s = retry_after(m);
}

static void classify(const struct llm_msg *req, const struct llm_parse_ctx *ctx,
		     struct llm_route *rt)
{
	const char *host = NULL, *target = NULL;
	size_t hn = 0, tn = 0;

	llm_msg__header(req, "host", &host, &hn);
	llm_msg__target(req, &target, &tn);
	llm_classify(host, hn, target, tn, ctx->hosts, ctx->n_hosts, rt);
}

static uint64_t fnv1a64(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h ? h : 1; /* 0 means "no body" */
}

/* Loop detection, secret_in_prompt and prompt_injection: a hash of the body,
 * what secrets it carries and whether what it passes on takes the model over. */
static void scan_request(const uint8_t *b, size_t n, struct llm_call *c)
{
	struct secret_hit hit;
	const char *rule;
	json_t *root;
	size_t k;

	if (!n)
		return;
	c->request_hash = fnv1a64(b, n);
	/* parsed once for both scans */
	root = secret_scan_parse((const char *)b, n);
	k = root ? secret_scan_json(root, &hit, 1) : secret_scan_text((const char *)b, n, &hit, 1);
	if ((rule = prompt_inject_json(root)))
		snprintf(c->prompt_rule, sizeof(c->prompt_rule), "%s", rule);
	json_decref(root);
	if (!k)
		return;
	c->secret_count = (uint8_t)(k > UINT8_MAX ? UINT8_MAX : k);
	snprintf(c->secret_kind, sizeof(c->secret_kind), "%s", hit.kind);
	snprintf(c->secret_hash, sizeof(c->secret_hash), "%s", hit.hash);
}

static void read_request(const struct llm_msg *req, const struct llm_route *rt,
			 const struct llm_parse_ctx *ctx, struct llm_request_info *ri,
			 struct llm_call *c)
{
	const uint8_t *b;
	size_t n;
	bool owned;

	memset(ri, 0, sizeof(*ri));
	if (llm_msg__decoded_body(req, ctx->max_body_bytes, &b, &n, &owned) == LLM_DECODE_OK) {
		llm_request_info(rt->api, (const char *)b, n, ri);
		scan_request(b, n, c);
		if (owned)
			free((void *)b);
	} else {
		llm_request_info(rt->api, NULL, 0, ri);
	}
	if (rt->url_model[0] && (!ri->model[0] || rt->api == LLM_API_GEMINI))
		llm_label_copy(ri->model, sizeof(ri->model), rt->url_model, strlen(rt->url_model));
}

static enum llm_reason decode_reason(enum llm_decode d, bool stream)
{
	switch (d) {
	case LLM_DECODE_OK:
		return LLM_REASON_NONE;
	case LLM_DECODE_TOO_LARGE:
		return LLM_REASON_BODY_TOO_LARGE;
	case LLM_DECODE_TRUNCATED:
		return stream ? LLM_REASON_STREAM_CUT : LLM_REASON_TRUNCATED;
	default:
		return LLM_REASON_UNKNOWN_FORMAT;
	}
}

/* -1: not a stream; else enum llm_frame */
static int stream_frame(const struct llm_msg *resp, const struct llm_route *rt,
			const struct llm_request_info *ri)
{
	if (llm_msg__header_has(resp, "content-type", "event-stream"))
		return LLM_FRAME_SSE;
	if (llm_msg__header_has(resp, "content-type", "ndjson") ||
	    llm_msg__header_has(resp, "content-type", "stream+json"))
		return LLM_FRAME_NDJSON;
	if (rt->api == LLM_API_GEMINI && rt->url_stream)
		return rt->alt_sse ? LLM_FRAME_SSE : LLM_FRAME_JSON_ARRAY;
	if (ri->stream && (rt->api == LLM_API_OLLAMA_CHAT || rt->api == LLM_API_OLLAMA_GENERATE ||
			   rt->api == LLM_API_COHERE_V1))
		return LLM_FRAME_NDJSON;
	if (ri->stream && rt->api != LLM_API_UNKNOWN)
		return LLM_FRAME_SSE;
	return -1;
}

static int on_event(void *ctx, const struct llm_event *ev)
{
	llm_extract__event(ctx, ev);
	return 0;
}

/* TTFT to the read that completed the first content event; mean gap between the reads after it. */
static void stream_timing(const struct llm_msg *resp, const struct llm_extract *x, bool identity,
			  const struct llm_parse_ctx *ctx, struct llm_call *c)
{
	uint64_t t0 = 0, last = 0;
	size_t n = 0;

	c->chunks = (uint32_t)resp->n_arr;
	if (!resp->n_arr)
		return;
	if (!identity)
		t0 = resp->arr[0].ns; /* offsets are of the compressed body: first byte only */
	else if (x->content_seen && x->first_content_end)
		t0 = llm_msg__arrival_ns(resp, x->first_content_end - 1);
	if (!t0)
		return;
	if (t0 > ctx->start_ns)
		c->ttft_ns = t0 - ctx->start_ns;
	for (size_t i = 0; i < resp->n_arr; i++) {
		if (resp->arr[i].ns >= t0) {
			n++;
			last = resp->arr[i].ns;
		}
	}
	if (n >= 2)
		c->inter_chunk_ns = (last - t0) / (n - 1);
}

static bool openai_shaped(enum llm_api api)
{
	return api == LLM_API_OPENAI_CHAT || api == LLM_API_OPENAI_COMPLETIONS;
}

static enum llm_reason stream_reason(const struct llm_extract *x, const struct llm_splitter *sp,
				     const struct llm_request_info *ri, bool whole, bool holed)
{
	bool ended = x->finished;

	if (openai_shaped(x->api) && ri->include_usage)
		ended = x->done_marker; /* the usage chunk comes after the finish */
	if (x->usage_final && x->finished)
		return LLM_REASON_NONE;
	if (holed)
		return LLM_REASON_GAP;
	if (x->bad_events)
		return LLM_REASON_BAD_JSON;
	if (!ended || llm_splitter__pending(sp) || !whole)
		return LLM_REASON_STREAM_CUT;
	return LLM_REASON_NO_USAGE;
}

/*
 * The stream's events into x. Across a hole (resp->holes) the event it cut
 * is dropped and splitting resumes at the next event boundary, if there is
 * one. False when no event came before the first hole: the opening event
 * may carry part of the usage (Anthropic's input tokens).
 */
static bool split_events(const struct llm_msg *resp, const char *b, size_t n,
			 struct llm_splitter *sp, struct llm_extract *x)
{
	for (size_t h = 0; h < resp->n_holes; h++) {
		size_t at = resp->holes[h] < n ? resp->holes[h] : n;

		llm_splitter__feed(sp, b, at, on_event, x);
		if (!sp->events)
			return false;
		if (llm_splitter__resync(sp, b, at, n))
			return true; /* no whole event after it */
	}
	llm_splitter__finish(sp, b, n, on_event, x);
	return true;
}

static void read_stream(const struct llm_msg *resp, const uint8_t *b, size_t n, int frame,
			const struct llm_request_info *ri, bool whole, bool identity,
			const struct llm_parse_ctx *ctx, struct llm_call *c)
{
	struct llm_extract x;
	struct llm_splitter sp;

	llm_extract__init(&x, c->api);
	llm_splitter__init(&sp, (enum llm_frame)frame, ctx->max_body_bytes);
	if (!split_events(resp, (const char *)b, n, &sp, &x))
		x.usage_final = false;
	c->reason = stream_reason(&x, &sp, ri, whole, resp->n_holes > 0);
	if (c->reason == LLM_REASON_NONE) {
		c->usage_ok = true;
		c->tok = x.tok;
		c->reported_cost_usd = x.reported_cost_usd;
	}
	llm_splitter__release(&sp);
	snprintf(c->response_model, sizeof(c->response_model), "%s", x.model);
	snprintf(c->finish_reason, sizeof(c->finish_reason), "%s", x.finish);
	snprintf(c->error_type, sizeof(c->error_type), "%s", x.error_type);
	stream_timing(resp, &x, identity, ctx, c);
}

static void read_body(const uint8_t *b, size_t n, bool whole, struct llm_call *c)
{
	struct llm_extract x;

	llm_extract__init(&x, c->api);
	if (!whole) {
		c->reason = LLM_REASON_TRUNCATED;
		return;
	}
	if (n == 0) {
		c->reason = c->status >= 400 ? LLM_REASON_NONE : LLM_REASON_NO_USAGE;
		return;
	}
	if (llm_extract__body(&x, (const char *)b, n)) {
		c->reason = c->status >= 400 ? LLM_REASON_NONE : LLM_REASON_BAD_JSON;
		return;
	}
	snprintf(c->response_model, sizeof(c->response_model), "%s", x.model);
	snprintf(c->finish_reason, sizeof(c->finish_reason), "%s", x.finish);
	snprintf(c->error_type, sizeof(c->error_type), "%s", x.error_type);
	if (c->status >= 400)
		return; /* an error answer has no usage to miss */
	if (x.have_usage) {
		c->usage_ok = true;
		c->tok = x.tok;
		c->reported_cost_usd = x.reported_cost_usd;
	} else {
		c->reason = LLM_REASON_NO_USAGE;
	}
}

/* A Content-Encoding other than identity. */
static bool encoded(const struct llm_msg *m)
{
	const char *v;
	size_t n;

	return llm_msg__header(m, "content-encoding", &v, &n) &&
	       !(n == 8 && !strncasecmp(v, "identity", 8));
}

static void read_response(const struct llm_msg *resp, const struct llm_route *rt,
			  const struct llm_request_info *ri, const struct llm_parse_ctx *ctx,
			  struct llm_call *c)
{
	bool whole = resp->complete ||
		     ((ctx->flags & BT_REQ_CLOSE_DELIMITED) && !(ctx->flags & BT_REQ_INCOMPLETE));
	int frame = c->status < 400 ? stream_frame(resp, rt, ri) : -1;
	const uint8_t *b = NULL;
	size_t n = 0;
	bool owned = false, identity;
	enum llm_decode d;

	c->streaming = frame >= 0;
	c->holes = (uint16_t)resp->n_holes;
	if (resp->n_holes && (!c->streaming || encoded(resp))) {
		/* a hole in one JSON document or a compressed stream: unreadable */
		c->reason = c->status >= 400 ? LLM_REASON_NONE : LLM_REASON_GAP;
		return;
	}
	d = llm_msg__decoded_body(resp, ctx->max_body_bytes, &b, &n, &owned);
	identity = !owned;
	if (d == LLM_DECODE_TRUNCATED && !whole)
		d = LLM_DECODE_OK, n = 0; /* read what the plain part allows: nothing */
	c->reason = decode_reason(d, c->streaming);
	if (c->reason != LLM_REASON_NONE) {
		if (c->status >= 400)
			c->reason = LLM_REASON_NONE;
		return;
	}
	if (c->streaming)
		read_stream(resp, b, n, frame, ri, whole, identity, ctx, c);
	else
		read_body(b, n, whole, c);
	if (owned)
		free((void *)b);
}

static enum llm_reason missing_reason(const struct llm_msg *m)
{
	return m && m->gap ? LLM_REASON_GAP : LLM_REASON_TRUNCATED;
}

int llm_parse_messages(const struct llm_msg *req, const struct llm_msg *resp,
		       const struct llm_parse_ctx *ctx, struct llm_call *out)
{
	struct llm_request_info ri;
	struct llm_route rt;

	call_init(out);
	out->duration_ns = ctx->end_ns > ctx->start_ns ? ctx->end_ns - ctx->start_ns : 0;
	if (!req || !req->begun || (req->gap && req->d.phase <= H1_HEADERS)) {
		out->reason = missing_reason(req);
		return 0;
	}
	classify(req, ctx, &rt);
	snprintf(out->provider, sizeof(out->provider), "%s", rt.provider);
	out->api = rt.api;
	out->operation = rt.operation;
	if (req->gap) { /* the head came whole: who was called is known, not what was asked */
		llm_label_copy(out->request_model, sizeof(out->request_model), rt.url_model,
			       strlen(rt.url_model));
		out->reason = LLM_REASON_GAP;
		return 0;
	}
	read_request(req, &rt, ctx, &ri, out);
	snprintf(out->request_model, sizeof(out->request_model), "%s", ri.model);
	if (!resp || !resp->begun || resp->gap) {
		out->reason = missing_reason(resp);
		return 0;
	}
	out->status = resp->status;
	read_limits(resp, out);
	if (rt.api == LLM_API_UNKNOWN)
		out->reason = LLM_REASON_UNKNOWN_FORMAT;
	else
		read_response(resp, &rt, &ri, ctx, out);
	if (out->status >= 400 && !out->error_type[0])
		snprintf(out->error_type, sizeof(out->error_type), "%u", out->status);
	return 0;
}

/* Feeds s into m read by read, as the tracker would. */
static int assemble(struct llm_msg *m, const uint8_t *s, size_t len,
		    const struct llm_arrival *reads, size_t n_reads, uint64_t end_ns)
{
	size_t r = 0, off = 0;

	while (off < len && !m->complete && !m->error) {
		size_t stop = len;
		uint64_t ns = end_ns;
		long got;

		while (reads && r + 1 < n_reads && reads[r + 1].off <= off)
			r++;
		if (reads && n_reads && reads[r].off <= off) {
			ns = reads[r].ns;
			if (r + 1 < n_reads && reads[r + 1].off < len)
				stop = reads[r + 1].off;
		}
		got = llm_msg__feed(m, s + off, stop - off, ns);
		if (got < 0)
			return (int)got;
		if (got == 0)
			break;
		off += (size_t)got;
	}
	return 0;
}

int llm_parse_exchange(const struct llm_exchange_in *in, struct llm_call *out)
{
	struct llm_parse_ctx ctx = {
		.start_ns = in->start_ns,
		.end_ns = in->end_ns,
		.flags = in->flags,
		.hosts = in->hosts,
		.n_hosts = in->n_hosts,
		.max_body_bytes = in->max_body_bytes ? in->max_body_bytes : LLM_DEFAULT_MAX_BODY,
	};
	struct llm_msg req, resp;
	int err;

	llm_msg__init(&req, true, ctx.max_body_bytes);
	llm_msg__init(&resp, false, ctx.max_body_bytes);
	err = assemble(&req, in->req, in->req_len, NULL, 0, in->start_ns);
	resp.req_method = req.method;
	if (!err)
		err = assemble(&resp, in->resp, in->resp_len, in->resp_reads, in->n_resp_reads,
			       in->end_ns);
	if (!err)
		err = llm_parse_messages(in->req_len ? &req : NULL, in->resp_len ? &resp : NULL,
					 &ctx, out);
	llm_msg__release(&req);
	llm_msg__release(&resp);
	return err;
}
