// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * traces: the exporter against a loopback OTLP/HTTP receiver running in a
 * thread of the test. Exact span counts, attributes, times and parentage
 * from synthetic kernel records; LLM calls merged into their exchange's
 * span in either order; sampling by trace; a collector that is down then
 * up (exactly the queue bound arrives, the rest is counted dropped), one
 * that refuses, one that rejects part of a batch, holds that run out, and
 * the shutdown flush. Waits poll with a generous limit; nothing asserts
 * on how long anything took.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "metrics.h"
#include "traces.h"

#define OFFSET 1700000000000000000ll
#define WAIT_S 15

/* ---- the receiver ---- */

enum answer { ANS_OK, ANS_503, ANS_400, ANS_PARTIAL2, ANS_NONE /* reads, never answers */ };

struct receiver {
	int lfd;
	uint16_t port;
	pthread_t thread;
	volatile bool stop;
	pthread_mutex_t lock;
	enum answer answer;
	json_t *spans; /* every span received, with "_service" added */
	unsigned requests, bad;
	uint16_t peer_port; /* of the last connection accepted */
	char path[64], ctype[64];
};

static int listen_on(uint16_t port, uint16_t *bound)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	socklen_t al = sizeof(a);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 16), 0);
	getsockname(fd, (struct sockaddr *)&a, &al);
	*bound = ntohs(a.sin_port);
	return fd;
}

/* A free loopback port with nothing listening on it: a collector that is down. */
static uint16_t dead_port(void)
{
	uint16_t p;
	int fd = listen_on(0, &p);

	close(fd);
	return p;
}

static void store_spans(struct receiver *rv, const char *body, size_t len)
{
	json_t *root = json_loadb(body, len, 0, NULL), *rs, *r;
	size_t i, j;

	if (!root) {
		rv->bad++;
		return;
	}
	rs = json_object_get(root, "resourceSpans");
	json_array_foreach(rs, i, r)
	{
		json_t *svc = json_object_get(
			json_object_get(
				json_array_get(json_object_get(json_object_get(r, "resource"),
							       "attributes"),
					       0),
				"value"),
			"stringValue");
		json_t *spans = json_object_get(json_array_get(json_object_get(r, "scopeSpans"), 0),
						"spans"),
		       *sp;

		json_array_foreach(spans, j, sp)
		{
			json_t *c = json_deep_copy(sp);

			json_object_set(c, "_service", svc);
			json_array_append_new(rv->spans, c);
		}
	}
	json_decref(root);
}

static const char *answer_text(enum answer a)
{
	switch (a) {
	case ANS_OK:
		return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
	case ANS_503:
		return "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n";
	case ANS_400:
		return "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
	default:
		return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 59\r\n\r\n"
		       "{\"partialSuccess\":{\"rejectedSpans\":\"2\",\"errorMessage\":\"x\"}}";
	}
}

/* One request off the connection: 0, or -1 when it closed or sent garbage. */
static int serve_one(struct receiver *rv, int fd, char *buf, size_t cap)
{
	size_t have = 0, need = 0, clen = 0;
	char *end = NULL, *h;
	ssize_t n;
	enum answer ans;

	while (!end || have < need) {
		n = recv(fd, buf + have, cap - 1 - have, 0);
		if (n <= 0)
			return -1;
		have += (size_t)n;
		buf[have] = '\0';
		if (!end && (end = strstr(buf, "\r\n\r\n"))) {
			h = strcasestr(buf, "\r\nContent-Length:");
			clen = h && h < end ? strtoul(h + 17, NULL, 10) : 0;
			need = (size_t)(end + 4 - buf) + clen;
			if (need >= cap)
				return -1;
		}
	}
	pthread_mutex_lock(&rv->lock);
	sscanf(buf, "POST %63s", rv->path);
	h = strcasestr(buf, "\r\nContent-Type:");
	if (h && h < end)
		sscanf(h + 15, " %63[^\r]", rv->ctype);
	rv->requests++;
	ans = rv->answer;
	if (ans == ANS_OK || ans == ANS_PARTIAL2)
		store_spans(rv, end + 4, clen);
	pthread_mutex_unlock(&rv->lock);
	if (ans != ANS_NONE)
		send(fd, answer_text(ans), strlen(answer_text(ans)), MSG_NOSIGNAL);
	return 0;
}

static void *receiver_main(void *arg)
{
	struct receiver *rv = arg;
	size_t cap = 64u << 20;
	char *buf = malloc(cap);

	while (!rv->stop) {
		struct pollfd p = { .fd = rv->lfd, .events = POLLIN };
		int fd;

		if (poll(&p, 1, 20) <= 0)
			continue;
		struct sockaddr_in peer;
		socklen_t pl = sizeof(peer);

		fd = accept(rv->lfd, (struct sockaddr *)&peer, &pl);
		if (fd < 0)
			continue;
		pthread_mutex_lock(&rv->lock);
		rv->peer_port = ntohs(peer.sin_port);
		pthread_mutex_unlock(&rv->lock);
		while (!rv->stop) {
			struct pollfd c = { .fd = fd, .events = POLLIN };

			if (poll(&c, 1, 20) == 0)
				continue;
			if (serve_one(rv, fd, buf, cap))
				break;
		}
		close(fd);
	}
	free(buf);
	return NULL;
}

/* port 0: any free port */
static struct receiver *receiver_start(uint16_t port)
{
	struct receiver *rv = calloc(1, sizeof(*rv));

	rv->lfd = listen_on(port, &rv->port);
	rv->spans = json_array();
	pthread_mutex_init(&rv->lock, NULL);
	assert_int_equal(pthread_create(&rv->thread, NULL, receiver_main, rv), 0);
	return rv;
}

static void receiver_stop(struct receiver *rv)
{
	rv->stop = true;
	pthread_join(rv->thread, NULL);
	close(rv->lfd);
	json_decref(rv->spans);
	pthread_mutex_destroy(&rv->lock);
	free(rv);
}

static size_t received(struct receiver *rv)
{
	size_t n;

	pthread_mutex_lock(&rv->lock);
	n = json_array_size(rv->spans);
	pthread_mutex_unlock(&rv->lock);
	return n;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void wait_received(struct receiver *rv, size_t n)
{
	for (int i = 0; i < WAIT_S * 200 && received(rv) < n; i++)
		sleep_ms(5);
	assert_int_equal(received(rv), n);
}

/* ---- helpers ---- */

static struct traces_opts opts_for(uint16_t port)
{
	static char url[64];
	struct traces_opts o = { .endpoint = url,
				 .sample_ratio = 1,
				 .queue = 1000,
				 .batch = 100,
				 .flush_ns = 3600ull * 1000000000ull,
				 .unix_offset_ns = OFFSET,
				 .backoff_min_ns = 5000000,
				 .backoff_max_ns = 20000000 };

	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", port);
	return o;
}

static struct bt_http_record rec(int role, uint32_t tgid, uint32_t tid, uint64_t start,
				 uint64_t end, uint16_t status, const char *path)
{
	struct bt_http_record r;

	memset(&r, 0, sizeof(r));
	r.hdr.type = BT_EV_HTTP;
	r.hdr.tgid = tgid;
	r.hdr.tid = tid;
	r.role = (uint8_t)role;
	r.method = BT_M_GET;
	r.family = AF_INET;
	r.start_ns = start;
	r.end_ns = end;
	r.status = status;
	r.lport = 8080;
	r.rport = 5432;
	r.raddr[0] = 10, r.raddr[1] = 1, r.raddr[2] = 2, r.raddr[3] = 3;
	r.path_len = (uint16_t)strlen(path);
	memcpy(r.path, path, r.path_len);
	return r;
}

static void http(struct traces *t, int role, uint32_t tgid, uint32_t tid, uint64_t start,
		 uint64_t end, uint16_t status, const char *path, const char *route)
{
	struct bt_http_record r = rec(role, tgid, tid, start, end, status, path);
	struct http_obs o = { .service_name = "obs-svc",
			      .role = role,
			      .method = "GET",
			      .status = status,
			      .route = route,
			      .server_address = role == BT_ROLE_CLIENT ? "db.local" : NULL,
			      .server_port = role == BT_ROLE_CLIENT ? 5432 : 0 };

	traces__http(t, &r, &o, role == BT_ROLE_SERVER ? "server-svc" : "client-svc");
}

static json_t *span_by(struct receiver *rv, const char *key, const char *val)
{
	size_t i;
	json_t *s;

	json_array_foreach(rv->spans, i, s)
	{
		json_t *attrs = json_object_get(s, "attributes"), *a;
		size_t j;

		if (!strcmp(key, "name") &&
		    !strcmp(json_string_value(json_object_get(s, "name")), val))
			return s;
		json_array_foreach(attrs, j, a)
		{
			const char *v = json_string_value(
				json_object_get(json_object_get(a, "value"), "stringValue"));

			if (!strcmp(json_string_value(json_object_get(a, "key")), key) && v &&
			    !strcmp(v, val))
				return s;
		}
	}
	fail_msg("no span with %s=%s", key, val);
	return NULL;
}

/* An attribute's value as text: strings as they are, ints as their decimal string. */
static const char *attr(json_t *span, const char *key)
{
	static char num[64];
	size_t i;
	json_t *a;

	json_array_foreach(json_object_get(span, "attributes"), i, a)
	{
		json_t *v = json_object_get(a, "value"), *x;

		if (strcmp(json_string_value(json_object_get(a, "key")), key))
			continue;
		if ((x = json_object_get(v, "stringValue")) || (x = json_object_get(v, "intValue")))
			return json_string_value(x);
		if ((x = json_object_get(v, "doubleValue"))) {
			snprintf(num, sizeof(num), "%.17g", json_number_value(x));
			return num;
		}
		if ((x = json_object_get(v, "arrayValue")))
			return json_string_value(json_object_get(
				json_array_get(json_object_get(x, "values"), 0), "stringValue"));
		return "?";
	}
	return NULL;
}

static const char *field(json_t *span, const char *key)
{
	return json_string_value(json_object_get(span, key));
}

static json_int_t kind(json_t *span)
{
	return json_integer_value(json_object_get(span, "kind"));
}

static json_int_t status_code(json_t *span)
{
	return json_integer_value(json_object_get(json_object_get(span, "status"), "code"));
}

static void stats_of(struct traces *t, struct traces_stats *st)
{
	traces__stats(t, st);
}

/* ---- tests ---- */

static void test_off_and_bad_options(void **state)
{
	struct traces_opts o = opts_for(1);
	struct traces_stats st;
	struct obs_config cfg;

	(void)state;
	o.endpoint = "";
	errno = 99;
	assert_null(traces__new(&o, NULL));
	assert_int_equal(errno, 0);
	o.endpoint = NULL;
	assert_null(traces__new(&o, NULL));
	assert_int_equal(errno, 0);
	/* NULL is "off": every call is a no-op */
	traces__http(NULL, NULL, NULL, NULL);
	traces__llm(NULL, NULL, NULL, NULL, 0, 0, 0, 0);
	assert_int_equal(traces__flush(NULL, 0), 0);
	traces__stats(NULL, &st);
	assert_int_equal(st.spans, 0);
	traces__free(NULL);
	o.endpoint = "ftp://127.0.0.1:4318";
	assert_null(traces__new(&o, NULL));
	assert_int_equal(errno, EINVAL);
	o.endpoint = "http://127.0.0.1:4318 x";
	assert_null(traces__new(&o, NULL));
	assert_int_equal(errno, EINVAL);
	o = opts_for(1);
	o.sample_ratio = 1.5;
	assert_null(traces__new(&o, NULL));
	assert_int_equal(errno, EINVAL);
	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.traces_endpoint, sizeof(cfg.traces_endpoint), "http://h:4318");
	cfg.traces_sample_ratio = 0.25;
	cfg.traces_queue = 7;
	cfg.traces_batch = 3;
	cfg.traces_flush_ns = 123;
	traces_opts_from_config(&o, &cfg);
	assert_string_equal(o.endpoint, "http://h:4318");
	assert_true(o.sample_ratio == 0.25);
	assert_int_equal(o.queue, 7);
	assert_int_equal(o.batch, 3);
	assert_int_equal(o.flush_ns, 123);
	assert_int_equal(o.hold_ns, 0);
}

static void test_spans_attributes_parentage(void **state)
{
	struct receiver *rv = receiver_start(0);
	struct traces_opts o = opts_for(rv->port);
	struct traces *t = traces__new(&o, NULL);
	json_t *srv, *c1, *c2, *late, *other, *err5;
	struct traces_stats st;
	char want[32];

	(void)state;
	assert_non_null(t);
	/* the kernel reports the client calls first: they end before their server request */
	http(t, BT_ROLE_CLIENT, 10, 100, 2000, 3000, 200, "/c1", NULL);
	http(t, BT_ROLE_CLIENT, 10, 100, 3500, 4500, 404, "/c2?k=v", NULL);
	http(t, BT_ROLE_CLIENT, 20, 200, 2500, 2600, 200, "/other-thread", NULL);
	http(t, BT_ROLE_CLIENT, 10, 100, 500, 900, 200, "/before-window", NULL);
	http(t, BT_ROLE_SERVER, 10, 100, 1000, 5000, 200, "/api/42?tok=abc&x", "/api/{id}");
	http(t, BT_ROLE_SERVER, 30, 300, 100, 200, 503, "/boom", "/boom");
	assert_int_equal(traces__flush(t, WAIT_S * 1000000000ull), 0);
	assert_int_equal(received(rv), 6);
	assert_string_equal(rv->path, "/v1/traces");
	assert_string_equal(rv->ctype, "application/json");
	assert_int_equal(rv->bad, 0);

	srv = span_by(rv, "url.path", "/api/42");
	assert_string_equal(field(srv, "name"), "GET /api/{id}");
	assert_string_equal(field(srv, "_service"), "server-svc");
	assert_int_equal(kind(srv), 2);
	snprintf(want, sizeof(want), "%lld", OFFSET + 1000);
	assert_string_equal(field(srv, "startTimeUnixNano"), want);
	snprintf(want, sizeof(want), "%lld", OFFSET + 5000);
	assert_string_equal(field(srv, "endTimeUnixNano"), want);
	assert_null(field(srv, "parentSpanId"));
	assert_string_equal(attr(srv, "http.request.method"), "GET");
	assert_string_equal(attr(srv, "http.response.status_code"), "200");
	assert_string_equal(attr(srv, "http.route"), "/api/{id}");
	assert_string_equal(attr(srv, "url.query"), "tok=REDACTED&x");
	assert_string_equal(attr(srv, "url.scheme"), "http");
	assert_string_equal(attr(srv, "client.address"), "10.1.2.3");
	assert_null(attr(srv, "server.address"));
	assert_string_equal(attr(srv, "server.port"), "8080");
	assert_int_equal(status_code(srv), 0);
	assert_int_equal(strlen(field(srv, "traceId")), 32);
	assert_int_equal(strlen(field(srv, "spanId")), 16);

	c1 = span_by(rv, "url.path", "/c1");
	c2 = span_by(rv, "url.path", "/c2");
	for (json_t **c = (json_t *[]){ c1, c2, NULL }; *c; c++) {
		assert_int_equal(kind(*c), 3);
		assert_string_equal(field(*c, "name"), "GET");
		assert_string_equal(field(*c, "_service"), "client-svc");
		assert_string_equal(field(*c, "traceId"), field(srv, "traceId"));
		assert_string_equal(field(*c, "parentSpanId"), field(srv, "spanId"));
		assert_string_equal(attr(*c, "server.address"), "db.local");
		assert_string_equal(attr(*c, "server.port"), "5432");
		assert_null(attr(*c, "http.route"));
	}
	assert_string_not_equal(field(c1, "spanId"), field(c2, "spanId"));
	assert_int_equal(status_code(c1), 0);
	assert_int_equal(status_code(c2), 2); /* a client's 4xx is an error */
	assert_string_equal(attr(c2, "error.type"), "404");
	assert_string_equal(attr(c2, "url.query"), "k=REDACTED");

	late = span_by(rv, "url.path", "/before-window");
	other = span_by(rv, "url.path", "/other-thread");
	for (json_t **c = (json_t *[]){ late, other, NULL }; *c; c++) {
		assert_null(field(*c, "parentSpanId"));
		assert_string_not_equal(field(*c, "traceId"), field(srv, "traceId"));
	}
	err5 = span_by(rv, "url.path", "/boom");
	assert_int_equal(status_code(err5), 2); /* a server's 5xx is an error */
	assert_string_equal(attr(err5, "error.type"), "503");
	stats_of(t, &st);
	assert_int_equal(st.spans, 6);
	assert_int_equal(st.exported, 6);
	assert_int_equal(st.linked, 2);
	assert_int_equal(st.dropped + st.failed + st.unsampled, 0);
	traces__free(t);
	receiver_stop(rv);
}

static struct llm_call llm(void)
{
	struct llm_call c;

	memset(&c, 0, sizeof(c));
	snprintf(c.provider, sizeof(c.provider), "openai");
	c.operation = "chat";
	snprintf(c.request_model, sizeof(c.request_model), "gpt-4o");
	snprintf(c.response_model, sizeof(c.response_model), "gpt-4o-2024-08-06");
	snprintf(c.finish_reason, sizeof(c.finish_reason), "stop");
	c.status = 200;
	c.usage_ok = true;
	c.tok.input = 11;
	c.tok.output = 22;
	c.duration_ns = 700;
	return c;
}

static void check_llm_span(json_t *s, const char *path)
{
	assert_string_equal(field(s, "name"), "chat gpt-4o");
	assert_int_equal(kind(s), 3);
	assert_string_equal(attr(s, "gen_ai.operation.name"), "chat");
	assert_string_equal(attr(s, "gen_ai.provider.name"), "openai");
	assert_string_equal(attr(s, "gen_ai.request.model"), "gpt-4o");
	assert_string_equal(attr(s, "gen_ai.response.model"), "gpt-4o-2024-08-06");
	assert_string_equal(attr(s, "gen_ai.usage.input_tokens"), "11");
	assert_string_equal(attr(s, "gen_ai.usage.output_tokens"), "22");
	assert_string_equal(attr(s, "gen_ai.response.finish_reasons"), "stop");
	assert_string_equal(attr(s, "biothings.cost_usd"), "0.012500000000000001");
	assert_string_equal(attr(s, "biothings.agent_type"), "planner");
	if (path) { /* merged with its exchange's HTTP span */
		assert_string_equal(attr(s, "url.path"), path);
		assert_string_equal(attr(s, "http.response.status_code"), "200");
	}
}

static void test_llm_merged_either_order(void **state)
{
	struct receiver *rv = receiver_start(0);
	struct traces_opts o = opts_for(rv->port);
	struct traces *t = traces__new(&o, NULL);
	struct llm_call c = llm(), bad = llm();
	struct traces_stats st;
	json_t *s, *srv;
	char want[32];

	(void)state;
	/* HTTP record first (main's order), then the call: one span */
	http(t, BT_ROLE_CLIENT, 10, 100, 2000, 3000, 200, "/v1/chat/completions", NULL);
	traces__llm(t, &c, "client-svc", "planner", 0.0125, 100, 2000, 3000);
	/* the call first, then its record: one span too */
	traces__llm(t, &c, "client-svc", "planner", 0.0125, 100, 3100, 3900);
	http(t, BT_ROLE_CLIENT, 10, 100, 3100, 3900, 200, "/v1/messages", NULL);
	/* the server request that made both */
	http(t, BT_ROLE_SERVER, 10, 100, 1000, 5000, 200, "/agent", "/agent");
	/* no record to merge with: a span of its own, start = end - duration */
	traces__llm(t, &c, "lone-svc", "planner", 0.0125, 0, 0, 10000);
	/* an error inside the answer wins over the HTTP status */
	snprintf(bad.error_type, sizeof(bad.error_type), "rate_limit_exceeded");
	bad.status = 429;
	bad.usage_ok = false;
	bad.reason = LLM_REASON_NONE;
	http(t, BT_ROLE_CLIENT, 40, 400, 100, 200, 429, "/v1/chat/completions?x=1", NULL);
	traces__llm(t, &bad, "client-svc", NULL, 0, 400, 100, 200);
	assert_int_equal(traces__flush(t, WAIT_S * 1000000000ull), 0);
	assert_int_equal(received(rv), 5);

	srv = span_by(rv, "url.path", "/agent");
	s = span_by(rv, "url.path", "/v1/chat/completions");
	check_llm_span(s, "/v1/chat/completions");
	assert_string_equal(field(s, "parentSpanId"), field(srv, "spanId"));
	s = span_by(rv, "url.path", "/v1/messages");
	check_llm_span(s, "/v1/messages");
	assert_string_equal(field(s, "parentSpanId"), field(srv, "spanId"));
	assert_string_equal(attr(s, "server.address"), "db.local");

	s = NULL;
	{
		size_t i;
		json_t *x;

		json_array_foreach(rv->spans, i, x) if (!strcmp(field(x, "_service"), "lone-svc"))
			s = x;
	}
	assert_non_null(s);
	check_llm_span(s, NULL);
	assert_null(attr(s, "url.path"));
	snprintf(want, sizeof(want), "%lld", OFFSET + 10000 - 700);
	assert_string_equal(field(s, "startTimeUnixNano"), want);

	s = span_by(rv, "url.query", "x=REDACTED");
	assert_int_equal(status_code(s), 2);
	assert_string_equal(attr(s, "error.type"), "rate_limit_exceeded");
	assert_null(attr(s, "gen_ai.usage.input_tokens"));
	assert_null(attr(s, "biothings.agent_type"));
	assert_string_equal(attr(s, "biothings.cost_usd"), "0");
	stats_of(t, &st);
	assert_int_equal(st.spans, 5);
	assert_int_equal(st.linked, 2);
	traces__free(t);
	receiver_stop(rv);
}

static void test_sampling_keeps_traces_whole(void **state)
{
	struct receiver *rv = receiver_start(0);
	struct traces_opts o = opts_for(rv->port);
	struct traces *t;
	struct traces_stats st;
	size_t servers = 0, children = 0, i;
	json_t *s;

	(void)state;
	o.sample_ratio = 0.5;
	t = traces__new(&o, NULL);
	for (uint32_t k = 0; k < 200; k++) {
		uint64_t b = 10000ull * k;

		http(t, BT_ROLE_CLIENT, 10, 100 + k, b + 2, b + 3, 200, "/child", NULL);
		http(t, BT_ROLE_CLIENT, 10, 100 + k, b + 4, b + 5, 200, "/child", NULL);
		http(t, BT_ROLE_SERVER, 10, 100 + k, b + 1, b + 6, 200, "/parent", "/parent");
	}
	assert_int_equal(traces__flush(t, WAIT_S * 1000000000ull), 0);
	json_array_foreach(rv->spans, i, s)
	{
		if (kind(s) == 2) {
			servers++;
			continue;
		}
		children++;
		/* every child that was kept has its parent kept */
		{
			size_t j;
			json_t *p;
			bool found = false;

			json_array_foreach(rv->spans, j, p) found =
				found || (kind(p) == 2 &&
					  !strcmp(field(p, "spanId"), field(s, "parentSpanId")));
			assert_true(found);
		}
	}
	assert_int_equal(children, 2 * servers);
	assert_true(servers > 0 && servers < 200); /* 2^-199 to fail by chance */
	stats_of(t, &st);
	assert_int_equal(st.unsampled + received(rv), 600);
	assert_int_equal(st.exported, received(rv));
	traces__free(t);

	o.sample_ratio = 0;
	t = traces__new(&o, NULL);
	http(t, BT_ROLE_SERVER, 10, 1, 1, 2, 200, "/x", "/x");
	http(t, BT_ROLE_CLIENT, 10, 2, 1, 2, 200, "/y", NULL);
	assert_int_equal(traces__flush(t, WAIT_S * 1000000000ull), 0);
	stats_of(t, &st);
	assert_int_equal(st.unsampled, 2);
	assert_int_equal(st.exported, 0);
	traces__free(t);
	receiver_stop(rv);
}

static bool metric_is(struct metrics *m, const char *line)
{
	char *text;
	size_t len;
	bool ok;

	assert_int_equal(metrics__render(m, &text, &len), 0);
	ok = strstr(text, line) != NULL;
	if (!ok)
		print_message("metrics lack '%s':\n%s", line, text);
	free(text);
	return ok;
}

/* Collector down: exactly queue spans are kept, the rest dropped and counted; then up. */
static void test_down_then_up(void **state)
{
	uint16_t port = dead_port();
	struct traces_opts o = opts_for(port);
	struct metrics *m = metrics__new(1000);
	struct traces *t;
	struct traces_stats st;
	struct receiver *rv;
	char path[32];

	(void)state;
	o.queue = 10;
	o.batch = 4;
	o.flush_ns = 1000000; /* 1 ms: the sender tries at once */
	t = traces__new(&o, m);
	assert_non_null(t);
	for (int i = 0; i < 25; i++) {
		snprintf(path, sizeof(path), "/n/%d", i);
		http(t, BT_ROLE_SERVER, 10, 1, 1, 2, 200, path, "/n/{id}");
	}
	for (int i = 0; i < WAIT_S * 200; i++) {
		stats_of(t, &st);
		if (st.retries >= 2)
			break;
		sleep_ms(5);
	}
	assert_true(st.retries >= 2);
	assert_int_equal(st.dropped, 15);
	assert_int_equal(st.queued, 10);
	assert_int_equal(st.exported + st.failed, 0);
	assert_int_equal(traces__flush(t, 50000000), -ETIMEDOUT); /* still down */
	assert_true(metric_is(m, "biothings_traces_spans_total{result=\"dropped\"} 15\n"));
	assert_true(metric_is(m, "biothings_traces_queue_spans 10\n"));
	assert_true(metric_is(m, "biothings_traces_held_spans 0\n"));

	rv = receiver_start(port);
	assert_int_equal(traces__flush(t, WAIT_S * 1000000000ull), 0);
	assert_int_equal(received(rv), 10);
	for (int i = 0; i < 10; i++) { /* the first ten, in order */
		snprintf(path, sizeof(path), "/n/%d", i);
		assert_string_equal(attr(json_array_get(rv->spans, (size_t)i), "url.path"), path);
	}
	stats_of(t, &st);
	assert_int_equal(st.exported, 10);
	assert_int_equal(st.dropped, 15);
	assert_int_equal(st.failed, 0);
	assert_int_equal(st.queued, 0);
	assert_true(metric_is(m, "biothings_traces_spans_total{result=\"exported\"} 10\n"));
	assert_true(metric_is(m, "biothings_traces_spans_total{result=\"failed\"} 0\n"));
	assert_true(metric_is(m, "biothings_traces_queue_spans 0\n"));
	traces__free(t);
	receiver_stop(rv);
	metrics__free(m);
}

static void set_answer(struct receiver *rv, enum answer a)
{
	pthread_mutex_lock(&rv->lock);
	rv->answer = a;
	pthread_mutex_unlock(&rv->lock);
}

static void test_refused_retried_partial(void **state)
{
	struct receiver *rv = receiver_start(0);
	struct traces_opts o = opts_for(rv->port);
	struct traces *t = traces__new(&o, NULL);
	struct traces_stats st;

	(void)state;
	/* 400: not retried, counted failed */
	set_answer(rv, ANS_400);
	for (int i = 0; i < 3; i++)
		http(t, BT_ROLE_SERVER, 10, 1, 1, 2, 200, "/a", "/a");
	assert_int_equal(traces__flush(t, WAIT_S * 1000000000ull), 0);
	stats_of(t, &st);
	assert_int_equal(st.failed, 3);
	assert_int_equal(st.requests, 1);
	assert_int_equal(st.retries, 0);
	/* partial success: 2 of 5 rejected */
	set_answer(rv, ANS_PARTIAL2);
	for (int i = 0; i < 5; i++)
		http(t, BT_ROLE_SERVER, 10, 1, 1, 2, 200, "/b", "/b");
	assert_int_equal(traces__flush(t, WAIT_S * 1000000000ull), 0);
	stats_of(t, &st);
	assert_int_equal(st.exported, 3);
	assert_int_equal(st.failed, 5);
	/* 503: retried until accepted */
	set_answer(rv, ANS_503);
	http(t, BT_ROLE_SERVER, 10, 1, 1, 2, 200, "/c", "/c");
	assert_int_equal(traces__flush(t, 30000000), -ETIMEDOUT); /* cannot succeed */
	for (int i = 0; i < WAIT_S * 200; i++) {
		stats_of(t, &st);
		if (st.retries >= 2)
			break;
		sleep_ms(5);
	}
	assert_true(st.retries >= 2);
	assert_int_equal(st.exported, 3);
	set_answer(rv, ANS_OK);
	assert_int_equal(traces__flush(t, WAIT_S * 1000000000ull), 0);
	stats_of(t, &st);
	assert_int_equal(st.exported, 4);
	assert_int_equal(st.failed, 5);
	assert_int_equal(received(rv), 5 + 1);
	traces__free(t);
	receiver_stop(rv);
}

/* Holds: a client-only process waits short, a serving one long; hold_max evicts the oldest. */
static void test_holds(void **state)
{
	struct receiver *rv = receiver_start(0);
	struct traces_opts o = opts_for(rv->port);
	struct traces *t;
	struct traces_stats st;

	(void)state;
	o.flush_ns = 1000000;
	o.short_hold_ns = 20000000; /* 20 ms */
	o.hold_ns = 3600ull * 1000000000ull;
	o.hold_max = 3;
	t = traces__new(&o, NULL);
	http(t, BT_ROLE_SERVER, 50, 50, 1, 2, 200, "/served", "/served");
	wait_received(rv, 1);
	http(t, BT_ROLE_CLIENT, 50, 51, 10, 20, 200, "/server-process", NULL);
	http(t, BT_ROLE_CLIENT, 60, 60, 10, 20, 200, "/client-only", NULL);
	wait_received(rv, 2); /* the client-only span leaves by itself */
	assert_string_equal(attr(json_array_get(rv->spans, 1), "url.path"), "/client-only");
	stats_of(t, &st);
	assert_int_equal(st.held, 1); /* the serving process's span still waits */
	http(t, BT_ROLE_CLIENT, 50, 52, 10, 20, 200, "/h2", NULL);
	http(t, BT_ROLE_CLIENT, 50, 53, 10, 20, 200, "/h3", NULL);
	http(t, BT_ROLE_CLIENT, 50, 54, 10, 20, 200, "/h4", NULL); /* evicts the oldest */
	wait_received(rv, 3);
	assert_string_equal(attr(json_array_get(rv->spans, 2), "url.path"), "/server-process");
	stats_of(t, &st);
	assert_int_equal(st.held, 3);
	/* free releases and delivers the rest */
	traces__free(t);
	assert_int_equal(received(rv), 6);
	receiver_stop(rv);
}

/* A collector on this host serving our exports is not traced (or each export would
 * make the span the next one carries). */
static void test_own_exports_not_traced(void **state)
{
	struct receiver *rv = receiver_start(0);
	struct traces_opts o = opts_for(rv->port);
	struct traces *t = traces__new(&o, NULL);
	struct traces_stats st;
	struct bt_http_record r;
	uint16_t ours;

	(void)state;
	http(t, BT_ROLE_SERVER, 10, 1, 1, 2, 200, "/first", "/first");
	assert_int_equal(traces__flush(t, WAIT_S * 1000000000ull), 0);
	pthread_mutex_lock(&rv->lock);
	ours = rv->peer_port;
	pthread_mutex_unlock(&rv->lock);
	/* the receiver's record of that export: its port, our connection's port */
	r = rec(BT_ROLE_SERVER, 99, 99, 10, 20, 200, "/v1/traces");
	r.lport = rv->port;
	r.rport = ours;
	traces__http(t, &r, NULL, "collector");
	/* the same port pair as a client record, and another peer: both are spans */
	r.role = BT_ROLE_CLIENT;
	traces__http(t, &r, NULL, "collector");
	r.role = BT_ROLE_SERVER;
	r.rport = (uint16_t)(ours + 1);
	traces__http(t, &r, NULL, "collector");
	assert_int_equal(traces__flush(t, WAIT_S * 1000000000ull), 0);
	stats_of(t, &st);
	assert_int_equal(st.spans, 3);
	assert_int_equal(received(rv), 3);
	traces__free(t);
	receiver_stop(rv);
}

/* Shutdown with the collector down: what is left is counted as dropped. */
static void test_free_with_collector_down(void **state)
{
	struct traces_opts o = opts_for(dead_port());
	struct metrics *m = metrics__new(1000);
	struct traces *t;

	(void)state;
	o.shutdown_ns = 100000000; /* 100 ms */
	t = traces__new(&o, m);
	for (int i = 0; i < 7; i++)
		http(t, BT_ROLE_CLIENT, 10, 1, 1, 2, 200, "/x", NULL);
	assert_true(metric_is(m, "biothings_traces_held_spans 7\n"));
	traces__free(t);
	assert_true(metric_is(m, "biothings_traces_spans_total{result=\"dropped\"} 7\n"));
	assert_true(metric_is(m, "biothings_traces_spans_total{result=\"exported\"} 0\n"));
	/* the families exist once per registry */
	errno = 0;
	assert_null(traces__new(&o, m));
	assert_int_equal(errno, EEXIST);
	metrics__free(m);
}

/* A collector that takes the request and never answers does not hold shutdown up. */
static void test_free_with_collector_hanging(void **state)
{
	struct receiver *rv = receiver_start(0);
	struct traces_opts o = opts_for(rv->port);
	struct metrics *m = metrics__new(1000);
	struct traces *t;

	(void)state;
	set_answer(rv, ANS_NONE);
	o.shutdown_ns = 200000000; /* 200 ms; the request timeout stays 10 s */
	t = traces__new(&o, m);
	for (int i = 0; i < 5; i++)
		http(t, BT_ROLE_SERVER, 10, 1, 1, 2, 200, "/x", "/x");
	assert_int_equal(traces__flush(t, 100000000), -ETIMEDOUT); /* the request now hangs */
	traces__free(t);
	assert_true(metric_is(m, "biothings_traces_spans_total{result=\"dropped\"} 5\n"));
	assert_true(metric_is(m, "biothings_traces_spans_total{result=\"failed\"} 0\n"));
	metrics__free(m);
	receiver_stop(rv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_off_and_bad_options),
		cmocka_unit_test(test_spans_attributes_parentage),
		cmocka_unit_test(test_llm_merged_either_order),
		cmocka_unit_test(test_sampling_keeps_traces_whole),
		cmocka_unit_test(test_down_then_up),
		cmocka_unit_test(test_refused_retried_partial),
		cmocka_unit_test(test_holds),
		cmocka_unit_test(test_own_exports_not_traced),
		cmocka_unit_test(test_free_with_collector_down),
		cmocka_unit_test(test_free_with_collector_hanging),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
