// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Spans from the kernel's records, parents from threads, and a sender that
 * outlives a collector that is down.
 *
 * The kernel reports a request when it ends, so a server request's record
 * comes after the records of the client calls it made. Client spans
 * therefore wait ("held") until a server span of the same thread whose
 * time window holds them arrives, or until their hold runs out and they
 * leave as roots. Only processes seen serving wait long: a client-only
 * process (curl, a batch job) has nothing to wait for.
 *
 * The queue bound counts the batch being sent too, so while the collector
 * is down exactly `queue` spans are kept and every span past them is
 * dropped and counted; nothing is lost silently. All state is under one
 * mutex, held by the capture thread only to link and enqueue; encoding and
 * the network happen on the sender thread outside it.
 */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "clock_ns.h"
#include "http_enrich.h"
#include "log.h"
#include "metrics.h"
#include "otlp.h"
#include "traces.h"

#ifndef BT_VERSION
#define BT_VERSION "0"
#endif

#define NS_PER_MS 1000000ull
#define SERVED_SLOTS 1024u /* processes remembered as serving (direct-mapped by tgid) */
#define RAND_POOL 4096 /* random bytes drawn per getrandom() */
#define RESP_MAX 4096 /* bytes of a collector's answer kept (partial success, errors) */
#define IDLE_WAIT_NS (1000ull * NS_PER_MS) /* longest sleep of the sender */
#define LOG_EVERY_NS (60ull * 1000ull * NS_PER_MS)
#define SELF_PORTS 8 /* local ports of our latest connections to the collector */

enum { PART_HTTP = 1, PART_LLM = 2 };

/* A client span waiting for its server span. Times are the record's, monotonic. */
struct held {
	struct otlp_span *s;
	uint32_t tid, tgid;
	uint64_t start, end;
	uint64_t due; /* leaves as a root at this monotonic time */
	uint8_t parts; /* PART_*: what it was made of so far */
};

struct slot {
	struct otlp_span *s;
	uint64_t at; /* enqueued, monotonic */
};

struct served {
	uint32_t tgid;
	uint64_t at;
};

enum send_result { SEND_OK, SEND_RETRY, SEND_FAIL };

struct traces {
	struct traces_opts o;
	char url[sizeof(((struct obs_config *)0)->traces_endpoint) + 16];
	pthread_mutex_t lock;
	pthread_cond_t wake; /* the sender: spans, flush, stop */
	pthread_cond_t drained; /* flush callers: queue empty */
	pthread_t thread;
	bool sync_ok, curl_ok, started;
	struct slot *ring;
	uint32_t head, n, inflight;
	struct held *held;
	uint32_t n_held;
	struct served served[SERVED_SLOTS];
	uint8_t pool[RAND_POOL];
	size_t pool_used;
	unsigned flushing;
	bool stopping;
	uint64_t stop_at;
	uint64_t retry_at; /* no export before this (backoff) */
	uint64_t sleep_until; /* the sender sleeps until then; 0 while it works */
	uint64_t backoff;
	struct traces_stats st;
	struct metrics *m;
	int fam_spans, fam_queue, fam_held;
	/* the sender thread's own */
	CURL *curl;
	struct curl_slist *headers;
	const struct otlp_span **batch;
	char resp[RESP_MAX];
	size_t resp_len;
	uint64_t log_slot;
	/* The collector's side of our own exports, when it runs on this host: not spans. */
	uint16_t ep_port;
	uint16_t self_ports[SELF_PORTS]; /* atomic: the sender writes, the capture thread reads */
	unsigned self_next;
};

static int64_t unix_offset(void)
{
	struct timespec rt, mt;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mt);
	return (int64_t)(rt.tv_sec - mt.tv_sec) * 1000000000ll + (rt.tv_nsec - mt.tv_nsec);
}

void traces_opts_from_config(struct traces_opts *o, const struct obs_config *c)
{
	memset(o, 0, sizeof(*o));
	o->endpoint = c->traces_endpoint;
	o->sample_ratio = c->traces_sample_ratio;
	o->queue = c->traces_queue;
	o->batch = c->traces_batch;
	o->flush_ns = c->traces_flush_ns;
}

/* ---- counting ---- */

/* Under the lock. */
static void count(struct traces *t, const char *result, uint64_t *field, uint64_t n)
{
	const char *lv[] = { result };

	*field += n;
	if (t->m && n)
		metrics__add(t->m, t->fam_spans, lv, (double)n);
}

/* Under the lock, after any change of the queue or the held spans: exact at every scrape. */
static void gauges(struct traces *t)
{
	if (!t->m)
		return;
	metrics__set(t->m, t->fam_queue, NULL, t->n);
	metrics__set(t->m, t->fam_held, NULL, t->n_held);
}

/* ---- ids ---- */

/* splitmix64: only when getrandom() fails, so ids stay distinct if not secret. */
static void fallback_random(uint8_t *p, size_t n)
{
	static uint64_t x;
	uint64_t z;

	if (!x)
		x = mono_now_ns() ^ (uint64_t)(uintptr_t)p;
	for (size_t i = 0; i < n; i++) {
		z = (x += 0x9e3779b97f4a7c15ull);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		p[i] = (uint8_t)((z ^ (z >> 27)) * 0x94d049bb133111ebull >> 56);
	}
}

/* Under the lock: n random bytes, never all zero (an invalid OTLP id). */
static void random_id(struct traces *t, uint8_t *out, size_t n)
{
	bool zero = true;

	do {
		if (t->pool_used + n > sizeof(t->pool)) {
			if (getrandom(t->pool, sizeof(t->pool), 0) != (ssize_t)sizeof(t->pool))
				fallback_random(t->pool, sizeof(t->pool));
			t->pool_used = 0;
		}
		memcpy(out, t->pool + t->pool_used, n);
		t->pool_used += n;
		for (size_t i = 0; i < n; i++)
			zero = zero && !out[i];
	} while (zero);
}

/* ---- span contents ---- */

/* Error status and error.type; an LLM's own error type wins over an HTTP code. */
static void set_error(struct otlp_span *s, const char *type, bool override)
{
	if (!override && otlp_span__attr(s, "error.type"))
		return;
	otlp_span__set_status(s, OTLP_STATUS_ERROR, type);
	otlp_span__set_str(s, "error.type", type);
}

/* OTel semconv: a server's 5xx and a client's 4xx/5xx are errors; so is no full answer. */
static void http_status(struct otlp_span *s, const struct bt_http_record *r)
{
	char code[8];

	if (!r->status) {
		set_error(s, "no_response", false);
	} else if (r->status >= (r->role == BT_ROLE_SERVER ? 500 : 400)) {
		snprintf(code, sizeof(code), "%u", r->status);
		set_error(s, code, false);
	} else if (r->flags & BT_REQ_INCOMPLETE) {
		set_error(s, "incomplete", false);
	}
}

static void http_peer(struct otlp_span *s, const struct bt_http_record *r,
		      const struct http_obs *obs)
{
	char addr[64];
	const char *a = obs && r->role == BT_ROLE_CLIENT ? obs->server_address : NULL;

	if (!a || !*a) {
		http_addr_text(r->family, r->raddr, addr, sizeof(addr));
		a = addr;
	}
	if (r->role == BT_ROLE_SERVER) {
		otlp_span__set_str(s, "client.address", a);
		otlp_span__set_int(s, "server.port", r->lport);
		if (obs && obs->route && *obs->route)
			otlp_span__set_str(s, "http.route", obs->route);
		return;
	}
	otlp_span__set_str(s, "server.address", a);
	otlp_span__set_int(s, "server.port", obs && obs->server_port ? obs->server_port : r->rport);
}

static void set_http_attrs(struct otlp_span *s, const struct bt_http_record *r,
			   const struct http_obs *obs)
{
	size_t len = r->path_len < BT_PATH_MAX ? r->path_len : BT_PATH_MAX;
	char path[BT_PATH_MAX * 2], query[BT_PATH_MAX * 2];

	otlp_span__set_str(s, "http.request.method",
			   obs && obs->method ? obs->method : http_method_name(r->method));
	if (r->status)
		otlp_span__set_int(s, "http.response.status_code", r->status);
	otlp_url_redact((const char *)r->path, len, path, sizeof(path), query, sizeof(query));
	otlp_span__set_str(s, "url.path", path);
	if (*query)
		otlp_span__set_str(s, "url.query", query);
	otlp_span__set_str(s, "url.scheme", r->flags & BT_REQ_TLS ? "https" : "http");
	if (r->flags & BT_REQ_PATH_TRUNCATED)
		otlp_span__set_bool(s, "biothings.url.truncated", true);
	http_peer(s, r, obs);
	http_status(s, r);
}

/* semconv span names: "{method} {route}" for servers, "{method}" for clients. */
static void http_name(char *out, size_t len, const struct bt_http_record *r,
		      const struct http_obs *obs)
{
	const char *m = obs && obs->method ? obs->method : http_method_name(r->method);
	const char *route = obs && r->role == BT_ROLE_SERVER ? obs->route : NULL;

	if (!strcmp(m, "_OTHER"))
		m = "HTTP";
	if (route && *route)
		snprintf(out, len, "%s %s", m, route);
	else
		snprintf(out, len, "%s", m);
}

static void llm_error(struct otlp_span *s, const struct llm_call *c)
{
	char code[8];

	if (c->error_type[0]) {
		set_error(s, c->error_type, true);
	} else if (!c->status) {
		set_error(s, "no_response", false);
	} else if (c->status >= 400) {
		snprintf(code, sizeof(code), "%u", c->status);
		set_error(s, code, false);
	}
}

static void llm_tokens(struct otlp_span *s, const struct llm_call *c)
{
	if (!c->usage_ok) {
		if (c->reason != LLM_REASON_NONE)
			otlp_span__set_str(s, "biothings.llm.unparsed_reason",
					   llm_reason_name(c->reason));
		return;
	}
	otlp_span__set_int(s, "gen_ai.usage.input_tokens", (int64_t)c->tok.input);
	otlp_span__set_int(s, "gen_ai.usage.output_tokens", (int64_t)c->tok.output);
	if (c->tok.cache_read)
		otlp_span__set_int(s, "gen_ai.usage.cache_read.input_tokens",
				   (int64_t)c->tok.cache_read);
	if (c->tok.cache_creation)
		otlp_span__set_int(s, "gen_ai.usage.cache_creation.input_tokens",
				   (int64_t)c->tok.cache_creation);
}

/* GenAI semconv: name "{operation} {request model}", gen_ai.* attributes, plus cost. */
static void set_llm_attrs(struct otlp_span *s, const struct llm_call *c, const char *agent,
			  double cost_usd)
{
	const char *op = c->operation && *c->operation ? c->operation : "chat";
	const char *fin[1] = { c->finish_reason };
	char name[LLM_MODEL_LEN + 32];

	snprintf(name, sizeof(name), "%s%s%s", op, c->request_model[0] ? " " : "",
		 c->request_model);
	otlp_span__rename(s, name);
	otlp_span__set_str(s, "gen_ai.operation.name", op);
	otlp_span__set_str(s, "gen_ai.provider.name", c->provider);
	if (c->request_model[0])
		otlp_span__set_str(s, "gen_ai.request.model", c->request_model);
	if (c->response_model[0])
		otlp_span__set_str(s, "gen_ai.response.model", c->response_model);
	if (c->finish_reason[0])
		otlp_span__set_strs(s, "gen_ai.response.finish_reasons", fin, 1);
	llm_tokens(s, c);
	if (cost_usd >= 0)
		otlp_span__set_double(s, "biothings.cost_usd", cost_usd);
	if (agent && *agent)
		otlp_span__set_str(s, "biothings.agent_type", agent);
	llm_error(s, c);
}

/* ---- queue ---- */

/* Under the lock: the span is queued, or dropped and counted when the queue is full. */
static void enqueue(struct traces *t, struct otlp_span *s, uint64_t now)
{
	struct slot *sl;

	if (t->n >= t->o.queue) {
		otlp_span__free(s);
		count(t, "dropped", &t->st.dropped, 1);
		return;
	}
	sl = &t->ring[(t->head + t->n) % t->o.queue];
	sl->s = otlp_span__shrink(s);
	sl->at = now;
	t->n++;
	/* the first unsent span sets a flush deadline; a full batch goes at once */
	if (t->n - t->inflight == 1 || t->n - t->inflight == t->o.batch)
		pthread_cond_signal(&t->wake);
}

/* Under the lock. Children share their root's trace id: a trace is kept or not as a whole. */
static void emit(struct traces *t, struct otlp_span *s, uint64_t now)
{
	if (!otlp_sampled(s->trace_id, t->o.sample_ratio)) {
		t->st.unsampled++;
		otlp_span__free(s);
		return;
	}
	enqueue(t, s, now);
}

/* ---- held client spans ---- */

static bool served_lately(const struct traces *t, uint32_t tgid, uint64_t now)
{
	const struct served *e = &t->served[tgid % SERVED_SLOTS];

	return e->tgid == tgid && e->at && now - e->at <= TRACES_SERVED_NS;
}

static void mark_served(struct traces *t, uint32_t tgid, uint64_t now)
{
	struct served *e = &t->served[tgid % SERVED_SLOTS];

	e->tgid = tgid;
	e->at = now;
}

/* Under the lock: held spans that are due (all of them with all) leave as roots. */
static void release_held(struct traces *t, uint64_t now, bool all)
{
	uint32_t w = 0;

	for (uint32_t i = 0; i < t->n_held; i++) {
		if (all || t->held[i].due <= now)
			emit(t, t->held[i].s, now);
		else
			t->held[w++] = t->held[i];
	}
	t->n_held = w;
}

static void hold(struct traces *t, struct otlp_span *s, const struct bt_event_hdr *h,
		 uint64_t start, uint64_t end, uint8_t part, uint64_t now)
{
	struct held *e;

	if (t->n_held == t->o.hold_max) { /* the oldest leaves early, as a root */
		emit(t, t->held[0].s, now);
		memmove(t->held, t->held + 1, (t->n_held - 1) * sizeof(*t->held));
		t->n_held--;
	}
	e = &t->held[t->n_held++];
	e->s = s;
	e->tid = h->tid;
	e->tgid = h->tgid;
	e->start = start;
	e->end = end;
	e->parts = part;
	e->due = now + (served_lately(t, h->tgid, now) ? t->o.hold_ns : t->o.short_hold_ns);
	if (t->sleep_until && e->due < t->sleep_until)
		pthread_cond_signal(&t->wake);
}

/* The held span of one exchange that still lacks part, or NULL. */
static struct held *held_find(struct traces *t, uint32_t tid, uint64_t start, uint64_t end,
			      uint8_t part)
{
	for (uint32_t i = 0; i < t->n_held; i++) {
		struct held *e = &t->held[i];

		if (e->tid == tid && e->start == start && e->end == end && !(e->parts & part))
			return e;
	}
	return NULL;
}

/* Under the lock: client spans of the server span's thread inside its window become its
 * children and leave with it. */
static void claim_children(struct traces *t, const struct bt_http_record *r,
			   const uint8_t *trace_id, const uint8_t *span_id, uint64_t now)
{
	uint32_t w = 0;

	for (uint32_t i = 0; i < t->n_held; i++) {
		struct held *e = &t->held[i];

		if (e->tid != r->hdr.tid || e->tgid != r->hdr.tgid || e->start < r->start_ns ||
		    e->end > r->end_ns) {
			t->held[w++] = *e;
			continue;
		}
		memcpy(e->s->trace_id, trace_id, OTLP_TRACE_ID_LEN);
		memcpy(e->s->parent_id, span_id, OTLP_SPAN_ID_LEN);
		t->st.linked++;
		emit(t, e->s, now);
	}
	t->n_held = w;
}

/* ---- the capture thread's calls ---- */

/*
 * The collector serving one of our exports. The kernel leaves out the observer's
 * own side, but a collector on this host is another process: without this, each
 * export would make a span that the next export carries, for ever.
 */
static bool own_export(const struct traces *t, const struct bt_http_record *r)
{
	if (r->role != BT_ROLE_SERVER || r->lport != t->ep_port)
		return false;
	for (size_t i = 0; i < SELF_PORTS; i++)
		if (__atomic_load_n(&t->self_ports[i], __ATOMIC_RELAXED) == r->rport)
			return true;
	return false;
}

static void new_ids(struct traces *t, struct otlp_span *s)
{
	random_id(t, s->trace_id, OTLP_TRACE_ID_LEN);
	random_id(t, s->span_id, OTLP_SPAN_ID_LEN);
}

static void set_times(const struct traces *t, struct otlp_span *s, uint64_t start, uint64_t end)
{
	s->start_ns = start + (uint64_t)t->o.unix_offset_ns;
	s->end_ns = (end > start ? end : start) + (uint64_t)t->o.unix_offset_ns;
}

/* Under the lock: a server span leaves at once, with the client spans it holds. */
static void server_span(struct traces *t, struct otlp_span *s, const struct bt_http_record *r,
			uint64_t now)
{
	uint8_t tid[OTLP_TRACE_ID_LEN], sid[OTLP_SPAN_ID_LEN];

	new_ids(t, s);
	memcpy(tid, s->trace_id, sizeof(tid));
	memcpy(sid, s->span_id, sizeof(sid));
	mark_served(t, r->hdr.tgid, now);
	emit(t, s, now); /* s may be gone from here on */
	claim_children(t, r, tid, sid, now);
}

/* Under the lock: a client span is held; or it completes the LLM span of its exchange. */
static void client_span(struct traces *t, struct otlp_span *s, const struct bt_http_record *r,
			const struct http_obs *obs, uint64_t now)
{
	struct held *e = held_find(t, r->hdr.tid, r->start_ns, r->end_ns, PART_HTTP);

	if (e && (e->parts & PART_LLM)) { /* the LLM call came first: it knew no process */
		uint64_t due = now + (served_lately(t, r->hdr.tgid, now) ? t->o.hold_ns :
									   t->o.short_hold_ns);

		set_http_attrs(e->s, r, obs);
		e->parts |= PART_HTTP;
		e->tgid = r->hdr.tgid;
		e->due = due > e->due ? due : e->due;
		otlp_span__free(s);
		return;
	}
	t->st.spans++;
	new_ids(t, s);
	hold(t, s, &r->hdr, r->start_ns, r->end_ns, PART_HTTP, now);
}

void traces__http(struct traces *t, const struct bt_http_record *r, const struct http_obs *obs,
		  const char *service)
{
	const char *svc = service;
	struct otlp_span *s;
	char name[256];
	uint64_t now;

	if (!t || !r || (r->role != BT_ROLE_SERVER && r->role != BT_ROLE_CLIENT) ||
	    own_export(t, r))
		return;
	if (!svc && obs)
		svc = obs->service_name;
	http_name(name, sizeof(name), r, obs);
	s = otlp_span__new(r->role == BT_ROLE_SERVER ? OTLP_KIND_SERVER : OTLP_KIND_CLIENT, svc,
			   name);
	if (s) { /* built outside the lock: the capture thread holds it only to link */
		set_times(t, s, r->start_ns, r->end_ns);
		set_http_attrs(s, r, obs);
	}
	now = mono_now_ns();
	pthread_mutex_lock(&t->lock);
	if (!s) {
		count(t, "dropped", &t->st.dropped, 1);
	} else if (r->role == BT_ROLE_SERVER) {
		t->st.spans++;
		server_span(t, s, r, now);
	} else {
		client_span(t, s, r, obs, now);
	}
	gauges(t);
	pthread_mutex_unlock(&t->lock);
}

void traces__llm(struct traces *t, const struct llm_call *c, const char *service, const char *agent,
		 double cost_usd, uint32_t tid, uint64_t start_ns, uint64_t end_ns)
{
	struct bt_event_hdr h = { .tid = tid, .tgid = 0 };
	struct otlp_span *s = NULL;
	struct held *e;
	uint64_t now = mono_now_ns();

	if (!t || !c)
		return;
	if (!end_ns)
		end_ns = now;
	if (!start_ns)
		start_ns = end_ns > c->duration_ns ? end_ns - c->duration_ns : 0;
	pthread_mutex_lock(&t->lock);
	e = tid ? held_find(t, tid, start_ns, end_ns, PART_LLM) : NULL;
	if (e && (e->parts & PART_HTTP)) {
		set_llm_attrs(e->s, c, agent, cost_usd);
		e->parts |= PART_LLM;
		goto out;
	}
	s = otlp_span__new(OTLP_KIND_CLIENT, service, c->operation);
	if (!s) {
		count(t, "dropped", &t->st.dropped, 1);
		goto out;
	}
	t->st.spans++;
	set_times(t, s, start_ns, end_ns);
	set_llm_attrs(s, c, agent, cost_usd);
	new_ids(t, s);
	if (tid) /* its HTTP record may still come, and a server span may claim it */
		hold(t, s, &h, start_ns, end_ns, PART_LLM, now);
	else
		emit(t, s, now);
out:
	gauges(t);
	pthread_mutex_unlock(&t->lock);
}

/* ---- the sender ---- */

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct traces *t = arg;
	size_t len = size * n, keep = sizeof(t->resp) - 1 - t->resp_len;

	if (keep > len)
		keep = len;
	memcpy(t->resp + t->resp_len, p, keep);
	t->resp_len += keep;
	t->resp[t->resp_len] = '\0';
	return len;
}

/* A collector that is down, unreachable or slow may come back; anything else will not. */
static bool curl_retryable(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_ABORTED_BY_CALLBACK: /* shutdown: what is left is dropped, not failed */
		return true;
	default:
		return false;
	}
}

/* OTLP/HTTP: 429, 502, 503 and 504 are the answers worth retrying. */
static bool http_retryable(long code)
{
	return code == 429 || code == 502 || code == 503 || code == 504;
}

/* partialSuccess.rejectedSpans of a 2xx answer (int64: a string in proto3 JSON). */
static uint64_t rejected_spans(const char *body, size_t len)
{
	json_t *root = json_loadb(body, len, 0, NULL);
	json_t *v = json_object_get(json_object_get(root, "partialSuccess"), "rejectedSpans");
	uint64_t n = 0;

	if (json_is_integer(v) && json_integer_value(v) > 0)
		n = (uint64_t)json_integer_value(v);
	else if (json_is_string(v))
		n = strtoull(json_string_value(v), NULL, 10);
	json_decref(root);
	return n;
}

static void warn_failure(struct traces *t, const char *what, long code)
{
	if (log_every(&t->log_slot, LOG_EVERY_NS))
		log_warn("traces export failed endpoint=\"%s\" error=\"%s\" status=%ld", t->url,
			 what, code);
}

/* One POST. *retry_after_ns: the collector's Retry-After, 0 when absent. */
static enum send_result post(struct traces *t, const char *body, size_t len, uint64_t timeout_ns,
			     uint64_t *rejected, uint64_t *retry_after_ns)
{
	long ms = (long)(timeout_ns / NS_PER_MS), code = 0;
	curl_off_t ra = 0;
	CURLcode rc;

	t->resp_len = 0;
	t->resp[0] = '\0';
	curl_easy_setopt(t->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(t->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(t->curl, CURLOPT_TIMEOUT_MS, ms > 0 ? ms : 1L);
	curl_easy_setopt(t->curl, CURLOPT_CONNECTTIMEOUT_MS, ms > 0 ? ms : 1L);
	rc = curl_easy_perform(t->curl);
	if (rc != CURLE_OK) {
		warn_failure(t, curl_easy_strerror(rc), 0);
		return curl_retryable(rc) ? SEND_RETRY : SEND_FAIL;
	}
	curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &code);
	if (code >= 200 && code < 300) {
		*rejected = rejected_spans(t->resp, t->resp_len);
		return SEND_OK;
	}
	if (curl_easy_getinfo(t->curl, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
		*retry_after_ns = (uint64_t)(ra < 60 ? ra : 60) * 1000000000ull;
	warn_failure(t, "collector answered with an error", code);
	return http_retryable(code) ? SEND_RETRY : SEND_FAIL;
}

/* Under the lock: the batch's outcome. A retry keeps it at the head of the queue. */
static void finish(struct traces *t, uint32_t k, enum send_result res, uint64_t rejected,
		   uint64_t retry_after_ns)
{
	uint64_t b = t->backoff * 2;

	t->st.requests++;
	if (res == SEND_RETRY) {
		t->st.retries++;
		b = !t->backoff		    ? t->o.backoff_min_ns :
		    b < t->o.backoff_max_ns ? b :
					      t->o.backoff_max_ns;
		t->backoff = b;
		t->retry_at = mono_now_ns() + (retry_after_ns > b ? retry_after_ns : b);
		gauges(t);
		return;
	}
	t->backoff = 0;
	t->retry_at = 0;
	rejected = res == SEND_OK ? (rejected < k ? rejected : k) : k;
	count(t, "exported", &t->st.exported, k - rejected);
	count(t, "failed", &t->st.failed, rejected);
	for (uint32_t i = 0; i < k; i++)
		otlp_span__free(t->ring[(t->head + i) % t->o.queue].s);
	t->head = (t->head + k) % t->o.queue;
	t->n -= k;
	gauges(t);
	if (!t->n)
		pthread_cond_broadcast(&t->drained);
}

/* Outside the lock. A batch too big to encode is sent in halves. */
static enum send_result encode_post(struct traces *t, uint32_t *k, uint64_t timeout_ns,
				    uint64_t *rejected, uint64_t *retry_after_ns)
{
	enum send_result res;
	char *body = NULL;
	size_t len = 0;
	int err;

	while ((err = otlp_encode_json(t->batch, *k, &body, &len)) == -E2BIG && *k > 1)
		*k /= 2;
	if (err)
		return SEND_FAIL;
	res = post(t, body, len, timeout_ns, rejected, retry_after_ns);
	free(body);
	return res;
}

/* Under the lock, which it drops while encoding and posting. */
static void send_batch(struct traces *t, uint32_t k, uint64_t now)
{
	uint64_t timeout = t->o.timeout_ns, rejected = 0, retry_after = 0;
	enum send_result res;

	for (uint32_t i = 0; i < k; i++)
		t->batch[i] = t->ring[(t->head + i) % t->o.queue].s;
	if (t->stopping && t->stop_at - now < timeout)
		timeout = t->stop_at - now;
	t->inflight = k;
	pthread_mutex_unlock(&t->lock);
	res = encode_post(t, &k, timeout, &rejected, &retry_after);
	pthread_mutex_lock(&t->lock);
	t->inflight = 0;
	finish(t, k, res, rejected, retry_after);
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Under the lock: spans to send now, or 0 and *until, when to look again. */
static uint32_t ready(struct traces *t, uint64_t now, uint64_t *until)
{
	uint64_t due;

	*until = now + IDLE_WAIT_NS;
	for (uint32_t i = 0; i < t->n_held; i++)
		*until = min_u64(*until, t->held[i].due);
	if (t->stopping)
		*until = min_u64(*until, t->stop_at);
	if (!t->n)
		return 0;
	if (now < t->retry_at) {
		*until = min_u64(*until, t->retry_at);
		return 0;
	}
	due = t->ring[t->head].at + t->o.flush_ns;
	/* a batch being retried goes again as soon as its backoff is over */
	if (t->n >= t->o.batch || t->flushing || t->stopping || t->backoff || now >= due)
		return t->n < t->o.batch ? t->n : t->o.batch;
	*until = min_u64(*until, due);
	return 0;
}

static void wait_until(struct traces *t, uint64_t until)
{
	struct timespec ts = { .tv_sec = (time_t)(until / 1000000000ull),
			       .tv_nsec = (long)(until % 1000000000ull) };

	pthread_cond_timedwait(&t->wake, &t->lock, &ts);
}

static void *sender_main(void *arg)
{
	struct traces *t = arg;

	pthread_mutex_lock(&t->lock);
	for (;;) {
		uint64_t now = mono_now_ns(), until;
		uint32_t k;

		release_held(t, now, false);
		gauges(t);
		if (t->stopping && (!t->n || now >= t->stop_at))
			break;
		k = ready(t, now, &until);
		if (k) {
			send_batch(t, k, now);
			continue;
		}
		t->sleep_until = until;
		wait_until(t, until);
		t->sleep_until = 0;
	}
	/* what the collector did not take in time */
	count(t, "dropped", &t->st.dropped, t->n);
	for (; t->n; t->n--, t->head = (t->head + 1) % t->o.queue)
		otlp_span__free(t->ring[t->head].s);
	gauges(t);
	pthread_cond_broadcast(&t->drained);
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

/* ---- life cycle ---- */

int traces__flush(struct traces *t, uint64_t timeout_ns)
{
	uint64_t until = mono_now_ns() + timeout_ns;
	struct timespec ts = { .tv_sec = (time_t)(until / 1000000000ull),
			       .tv_nsec = (long)(until % 1000000000ull) };
	int err = 0;

	if (!t)
		return 0;
	pthread_mutex_lock(&t->lock);
	release_held(t, mono_now_ns(), true);
	gauges(t);
	t->flushing++;
	pthread_cond_signal(&t->wake);
	while (t->n && !err)
		err = pthread_cond_timedwait(&t->drained, &t->lock, &ts);
	err = t->n ? -ETIMEDOUT : 0;
	t->flushing--;
	pthread_mutex_unlock(&t->lock);
	return err;
}

void traces__stats(struct traces *t, struct traces_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	*out = t->st;
	out->queued = t->n;
	out->held = t->n_held;
	pthread_mutex_unlock(&t->lock);
}

/* Before a request is sent on a connection: its local port, so own_export() knows it
 * before the collector can have answered. */
static int on_connected(void *arg, char *peer_ip, char *local_ip, int peer_port, int local_port)
{
	struct traces *t = arg;
	unsigned i;

	(void)peer_ip, (void)local_ip, (void)peer_port;
	for (i = 0; i < SELF_PORTS; i++)
		if (__atomic_load_n(&t->self_ports[i], __ATOMIC_RELAXED) == (uint16_t)local_port)
			return CURL_PREREQFUNC_OK;
	__atomic_store_n(&t->self_ports[t->self_next++ % SELF_PORTS], (uint16_t)local_port,
			 __ATOMIC_RELAXED);
	return CURL_PREREQFUNC_OK;
}

/* A request still running when shutdown's time is up is abandoned. */
static int on_progress(void *arg, curl_off_t dlt, curl_off_t dl, curl_off_t ult, curl_off_t ul)
{
	struct traces *t = arg;
	uint64_t stop_at = __atomic_load_n(&t->stop_at, __ATOMIC_RELAXED);

	(void)dlt, (void)dl, (void)ult, (void)ul;
	return stop_at && mono_now_ns() >= stop_at;
}

static int curl_setup(struct traces *t)
{
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");

	t->headers = h;
	/* no "Expect: 100-continue" round trip for big batches */
	h = h ? curl_slist_append(h, "Expect:") : NULL;
	if (!h)
		return -ENOMEM;
	t->headers = h;
	t->curl = curl_easy_init();
	if (!t->curl)
		return -ENOMEM;
	curl_easy_setopt(t->curl, CURLOPT_URL, t->url);
	curl_easy_setopt(t->curl, CURLOPT_HTTPHEADER, t->headers);
	curl_easy_setopt(t->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(t->curl, CURLOPT_USERAGENT, "biothings-observer/" BT_VERSION);
	curl_easy_setopt(t->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(t->curl, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(t->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(t->curl, CURLOPT_PREREQFUNCTION, on_connected);
	curl_easy_setopt(t->curl, CURLOPT_PREREQDATA, t);
	curl_easy_setopt(t->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(t->curl, CURLOPT_XFERINFODATA, t);
	curl_easy_setopt(t->curl, CURLOPT_NOPROGRESS, 0L);
	return 0;
}

static int define_metrics(struct traces *t)
{
	static const char *const labels[] = { "result", NULL };
	static const char *const results[] = { "exported", "dropped", "failed" };

	if (!t->m)
		return 0;
	t->fam_spans = metrics__define(
		t->m, "biothings_traces_spans_total", METRIC_COUNTER,
		"Spans by fate: exported (accepted by the OTLP collector), dropped (queue full, "
		"or still queued at shutdown), failed (refused by the collector).",
		labels, NULL, 0);
	if (t->fam_spans < 0)
		return t->fam_spans;
	t->fam_queue = metrics__define(t->m, "biothings_traces_queue_spans", METRIC_GAUGE,
				       "Spans waiting for export, the batch being sent included.",
				       NULL, NULL, 0);
	if (t->fam_queue < 0)
		return t->fam_queue;
	t->fam_held = metrics__define(t->m, "biothings_traces_held_spans", METRIC_GAUGE,
				      "Client spans waiting for the server span of their thread.",
				      NULL, NULL, 0);
	if (t->fam_held < 0)
		return t->fam_held;
	for (size_t i = 0; i < 3; i++)
		metrics__add(t->m, t->fam_spans, &results[i], 0);
	gauges(t);
	return 0;
}

static void set_defaults(struct traces_opts *o)
{
	o->queue = o->queue ? o->queue : 4096;
	o->batch = o->batch ? o->batch : 512;
	o->batch = o->batch < o->queue ? o->batch : o->queue;
	o->flush_ns = o->flush_ns ? o->flush_ns : 2000ull * NS_PER_MS;
	o->hold_ns = o->hold_ns ? o->hold_ns : TRACES_DEFAULT_HOLD_NS;
	o->short_hold_ns = o->short_hold_ns ? o->short_hold_ns : TRACES_DEFAULT_SHORT_HOLD_NS;
	o->hold_max = o->hold_max ? o->hold_max : TRACES_DEFAULT_HOLD_MAX;
	o->backoff_min_ns = o->backoff_min_ns ? o->backoff_min_ns : TRACES_DEFAULT_BACKOFF_MIN_NS;
	o->backoff_max_ns = o->backoff_max_ns ? o->backoff_max_ns : TRACES_DEFAULT_BACKOFF_MAX_NS;
	o->timeout_ns = o->timeout_ns ? o->timeout_ns : TRACES_DEFAULT_TIMEOUT_NS;
	o->shutdown_ns = o->shutdown_ns ? o->shutdown_ns : TRACES_DEFAULT_SHUTDOWN_NS;
	o->unix_offset_ns = o->unix_offset_ns ? o->unix_offset_ns : unix_offset();
}

/* The port of an http(s) URL: explicit, or the scheme's. */
static uint16_t url_port(const char *url)
{
	bool tls = !strncmp(url, "https://", 8);
	const char *h = url + (tls ? 8 : 7), *end = h + strcspn(h, "/?#"), *colon;
	unsigned long p;

	const char *v6 = *h == '[' ? memchr(h, ']', (size_t)(end - h)) : NULL;

	h = v6 ? v6 : h; /* [v6]:port */
	colon = memchr(h, ':', (size_t)(end - h));
	if (!colon)
		return tls ? 443 : 80;
	p = strtoul(colon + 1, NULL, 10);
	return p && p < 65536 ? (uint16_t)p : (tls ? 443 : 80);
}

/* <endpoint>/v1/traces, as the OTLP/HTTP spec builds the signal URL from a base. */
static int make_url(struct traces *t, const char *endpoint)
{
	size_t n = strlen(endpoint);

	if ((strncmp(endpoint, "http://", 7) && strncmp(endpoint, "https://", 8)) ||
	    strpbrk(endpoint, " \t\r\n"))
		return -EINVAL;
	while (n && endpoint[n - 1] == '/')
		n--;
	if (n + sizeof("/v1/traces") > sizeof(t->url))
		return -EINVAL;
	snprintf(t->url, sizeof(t->url), "%.*s/v1/traces", (int)n, endpoint);
	t->o.endpoint = t->url;
	t->ep_port = url_port(t->url);
	return 0;
}

static int init_sync(struct traces *t)
{
	pthread_condattr_t ca;
	int e = pthread_condattr_init(&ca);

	e = e ? e : pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	e = e ? e : pthread_cond_init(&t->wake, &ca);
	e = e ? e : pthread_cond_init(&t->drained, &ca);
	e = e ? e : pthread_mutex_init(&t->lock, NULL);
	pthread_condattr_destroy(&ca);
	t->sync_ok = !e;
	return -e;
}

/* The sender takes no signals: the daemon's handlers expect them on main. */
static int spawn(struct traces *t)
{
	sigset_t all, old;
	int e;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(&t->thread, NULL, sender_main, t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	t->started = !e;
	return -e;
}

static int setup(struct traces *t, const struct traces_opts *o)
{
	int err;

	t->o = *o;
	set_defaults(&t->o);
	if (!(t->o.sample_ratio >= 0 && t->o.sample_ratio <= 1))
		return -EINVAL;
	err = make_url(t, o->endpoint);
	err = err ? err : init_sync(t);
	if (err)
		return err;
	t->ring = calloc(t->o.queue, sizeof(*t->ring));
	t->held = calloc(t->o.hold_max, sizeof(*t->held));
	t->batch = calloc(t->o.batch, sizeof(*t->batch));
	if (!t->ring || !t->held || !t->batch)
		return -ENOMEM;
	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		return -ENOMEM;
	t->curl_ok = true;
	err = define_metrics(t);
	err = err ? err : curl_setup(t);
	return err ? err : spawn(t);
}

static void cleanup(struct traces *t)
{
	for (uint32_t i = 0; i < t->n_held; i++)
		otlp_span__free(t->held[i].s);
	if (t->curl)
		curl_easy_cleanup(t->curl);
	curl_slist_free_all(t->headers);
	if (t->curl_ok)
		curl_global_cleanup();
	if (t->sync_ok) {
		pthread_cond_destroy(&t->wake);
		pthread_cond_destroy(&t->drained);
		pthread_mutex_destroy(&t->lock);
	}
	free(t->ring);
	free(t->held);
	free(t->batch);
	free(t);
}

struct traces *traces__new(const struct traces_opts *o, struct metrics *m)
{
	struct traces *t;
	int err;

	errno = 0;
	if (!o || !o->endpoint || !*o->endpoint)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t) {
		errno = ENOMEM;
		return NULL;
	}
	t->m = m;
	err = setup(t, o);
	if (err) {
		cleanup(t);
		errno = -err;
		return NULL;
	}
	return t;
}

void traces__free(struct traces *t)
{
	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	release_held(t, mono_now_ns(), true);
	t->stopping = true;
	__atomic_store_n(&t->stop_at, mono_now_ns() + t->o.shutdown_ns, __ATOMIC_RELAXED);
	pthread_cond_signal(&t->wake);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->thread, NULL);
	cleanup(t);
}
