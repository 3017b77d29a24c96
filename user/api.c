// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The REST/metrics listener: a small pool of libmicrohttpd threads;
 * connection count, time, request targets, headers and bodies are bounded
 * so a slow or hostile client cannot pin the observer. Every request is
 * screened (size, bytes, dot segments, token) before any handler runs, so
 * handlers never see an unauthenticated request or a path meant to climb
 * out of a directory, and a refused upload is not read first.
 */
#include "clock_ns.h"
#include "api.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>

#include "config.h"
#include "log.h"
#include "logfmt.h"
#include "metrics.h"

#define API_CONN_TIMEOUT_S 10
/* Bytes of a body without Content-Length (chunked) read and dropped past API_BODY_MAX, so
 * a slightly large upload still gets its 413; past this the connection is closed. */
#define API_BODY_DRAIN (1u << 20)
/* TLS 1.2 and 1.3 only; GnuTLS's NORMAL set within them. */
#define API_TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
/* A few threads, so a slow request (an active check run on demand, a large export) does not
 * hold up a scrape; every handler is thread-safe. */
#define API_THREADS 4

struct api {
	struct MHD_Daemon *d;
	struct metrics *m;
	api_refresh_fn refresh;
	void *refresh_ctx;
	uint64_t render_log_ns, refused_log_ns;
	const struct api_route *routes;
	size_t n_routes;
	struct api_auth *auth; /* NULL: no token asked */
	char *tls_cert, *tls_key; /* owned copies, zeroed at stop */
	int refused_family; /* biothings_api_requests_refused_total; < 0: not counted */
	int render_family, render_bytes_family; /* the last /metrics answer; < 0: none */
	unsigned max_conns;
	atomic_uint open_conns; /* connections MHD holds now */
	uint64_t conn_log_ns;
	char start_err[256]; /* MHD's complaints while starting */
	atomic_bool started; /* MHD's messages are dropped from then on */
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type,
			     char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_json(struct MHD_Connection *conn, unsigned status, const char *json)
{
	return reply(conn, status, "application/json", (char *)json, strlen(json),
		     MHD_RESPMEM_MUST_COPY);
}

/* The endpoint list, so a person with curl can find their way. */
static const struct api_route *find_route(const struct api *a, const char *url, bool *path_known,
					  const char *method);

static enum MHD_Result serve_index(struct api *a, struct MHD_Connection *conn)
{
	size_t cap = 128, len;
	bool known;
	char *body;

	for (size_t i = 0; i < a->n_routes; i++)
		cap += strlen(a->routes[i].path) + strlen(a->routes[i].method) + 8;
	body = malloc(cap);
	if (!body)
		return reply_json(conn, 500, "{\"error\":\"out of memory\"}");
	/* the built-in /health only when no module serves it (then listed once, below) */
	len = (size_t)snprintf(body, cap,
			       "{\"endpoints\":[\"GET /metrics\",\"GET /prometheus/metrics\"%s",
			       find_route(a, "/health", &known, "GET") ? "" : ",\"GET /health\"");
	for (size_t i = 0; i < a->n_routes; i++)
		len += (size_t)snprintf(body + len, cap - len, ",\"%s %s\"", a->routes[i].method,
					a->routes[i].path);
	snprintf(body + len, cap - len, "]}");
	return reply(conn, 200, "application/json", body, strlen(body), MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result reply_stream(struct MHD_Connection *conn, unsigned status, const char *type,
				    api_stream_fn fn, void (*free_fn)(void *), void *ctx);

/* One /metrics answer in progress, and what making its text cost. */
struct scrape {
	struct api *a;
	struct metrics_render *r;
	uint64_t busy_ns; /* in the renderer, not waiting for the client */
	uint64_t bytes;
};

static ssize_t metrics_stream(void *ctx, char *buf, size_t max)
{
	struct scrape *sc = ctx;
	uint64_t t0 = mono_now_ns();
	ssize_t n = metrics__render_next(sc->r, buf, max);

	sc->busy_ns += mono_now_ns() - t0;
	if (n < 0)
		log_error("metrics exposition cut short err=%d", (int)n);
	else
		sc->bytes += (uint64_t)n;
	return n;
}

/* The last scrape's cost shows in the next one. */
static void metrics_stream_end(void *ctx)
{
	struct scrape *sc = ctx;
	struct api *a = sc->a;

	metrics__render_end(sc->r);
	if (a->render_family >= 0) {
		metrics__set(a->m, a->render_family, NULL, (double)sc->busy_ns / 1e9);
		metrics__set(a->m, a->render_bytes_family, NULL, (double)sc->bytes);
	}
	free(sc);
}

/* Streamed: the numbers are copied at once, the text is made as the
 * scraper reads, so it overlaps the transfer and needs no buffer the
 * size of the exposition. */
static enum MHD_Result serve_metrics(struct api *a, struct MHD_Connection *conn)
{
	struct scrape *sc = calloc(1, sizeof(*sc));
	uint64_t t0 = mono_now_ns();
	int err = sc ? 0 : -ENOMEM;

	if (a->refresh)
		a->refresh(a->refresh_ctx);
	if (!err)
		err = metrics__render_begin(a->m, &sc->r);
	if (err) {
		free(sc);
		if (log_every(&a->render_log_ns, 60ull * 1000000000ull))
			log_error("metrics not rendered err=%d", err);
		return reply_json(conn, 500, "{\"error\":\"cannot render metrics\"}");
	}
	sc->a = a;
	sc->busy_ns = mono_now_ns() - t0;
	return reply_stream(conn, 200, "text/plain; version=0.0.4; charset=utf-8", metrics_stream,
			    metrics_stream_end, sc);
}

/* A request's upload, kept between the calls MHD makes for one request. */
struct upload {
	char *buf;
	size_t len, dropped;
	bool too_large;
};

const char *api_query(const struct api_request *rq, const char *key)
{
	return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, key);
}

struct qcheck {
	const char *const *allowed;
	char *bad;
	size_t badlen;
	int err;
};

static enum MHD_Result check_key(void *cls, enum MHD_ValueKind kind, const char *key,
				 const char *value)
{
	struct qcheck *q = cls;

	(void)kind;
	(void)value;
	for (const char *const *a = q->allowed; *a; a++) {
		if (!strcmp(*a, key))
			return MHD_YES;
	}
	snprintf(q->bad, q->badlen, "%.32s", key);
	for (char *c = q->bad; *c; c++)
		*c = *c > 0x20 && *c < 0x7f && *c != '"' && *c != '\\' ? *c : '?';
	q->err = -EINVAL;
	return MHD_NO;
}

int api_query_check(const struct api_request *rq, const char *const *allowed, char *bad,
		    size_t badlen)
{
	struct qcheck q = { allowed, bad, badlen, 0 };

	MHD_get_connection_values(rq->conn, MHD_GET_ARGUMENT_KIND, check_key, &q);
	return q.err;
}

static const char *status_text(unsigned status)
{
	switch (status) {
	case 400:
		return "bad request";
	case 401:
		return "unauthorized";
	case 404:
		return "not found";
	case 405:
		return "method not allowed";
	case 413:
		return "request body too large";
	case 414:
		return "request target too long";
	case 431:
		return "request headers too large";
	case 503:
		return "not available";
	default:
		return status >= 500 ? "internal error" : "error";
	}
}

static enum MHD_Result reply_error(struct MHD_Connection *conn, unsigned status)
{
	char body[96];

	snprintf(body, sizeof(body), "{\"error\":\"%s\"}", status_text(status));
	return reply_json(conn, status, body);
}

static const struct api_route *find_route(const struct api *a, const char *url, bool *path_known,
					  const char *method)
{
	bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD");

	*path_known = false;
	for (size_t i = 0; i < a->n_routes; i++) {
		const struct api_route *r = &a->routes[i];
		size_t n = strlen(r->path);
		bool hit = r->path[n - 1] == '/' ? !strncmp(url, r->path, n) :
						   !strcmp(url, r->path);

		if (!hit)
			continue;
		*path_known = true;
		if (!strcmp(r->method, method) || (get && !strcmp(r->method, "GET")))
			return r;
	}
	return NULL;
}

/* The peer as "address port" text for the audit line; "unknown" when MHD cannot say. */
static void client_of(struct MHD_Connection *conn, char *host, size_t hostlen, char *port,
		      size_t portlen)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;
	socklen_t len = sa && sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
							  sizeof(struct sockaddr_in);

	snprintf(host, hostlen, "unknown");
	snprintf(port, portlen, "0");
	if (sa && (sa->sa_family == AF_INET || sa->sa_family == AF_INET6))
		getnameinfo(sa, len, host, (socklen_t)hostlen, port, (socklen_t)portlen,
			    NI_NUMERICHOST | NI_NUMERICSERV);
}

/* Every REST write, answered or refused, is part of the audit trail. */
static void audit_write(struct MHD_Connection *conn, const char *method, const char *url,
			unsigned status)
{
	char qmethod[40], qpath[300], host[64], port[8];

	logfmt_quote(method, qmethod, sizeof(qmethod));
	logfmt_quote(url, qpath, sizeof(qpath));
	client_of(conn, host, sizeof(host), port, sizeof(port));
	log_cat(LOG_INFO, LOGC_AUDIT,
		"api write method=%s path=%s status=%u source=%s source_port=%s", qmethod, qpath,
		status, host, port);
}

struct stream {
	api_stream_fn fn;
	void (*free_fn)(void *ctx);
	void *ctx;
};

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *st = cls;
	ssize_t n = st->fn(st->ctx, buf, max);

	(void)pos;
	if (n == 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	return n < 0 || (size_t)n > max ? MHD_CONTENT_READER_END_WITH_ERROR : n;
}

static void stream_done(void *cls)
{
	struct stream *st = cls;

	if (st->free_fn)
		st->free_fn(st->ctx);
	free(st);
}

/* A body of unknown length (chunked), produced as the client reads it;
 * free_fn(ctx) runs once whatever happens. A producer's error ends the
 * body without its last chunk, so the client sees it cut short. */
static enum MHD_Result reply_stream(struct MHD_Connection *conn, unsigned status, const char *type,
				    api_stream_fn fn, void (*free_fn)(void *), void *ctx)
{
	struct stream *st = malloc(sizeof(*st));
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (!st) {
		if (free_fn)
			free_fn(ctx);
		return reply_error(conn, 500);
	}
	*st = (struct stream){ fn, free_fn, ctx };
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, stream_read, st,
					      stream_done);
	if (!r) {
		stream_done(st);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r); /* stream_done runs when MHD lets go of it */
	return ret;
}

static enum MHD_Result answer(struct MHD_Connection *conn, struct api_reply *out)
{
	if (out->stream) {
		free(out->json);
		return reply_stream(conn, out->status ? out->status : 200, "application/json",
				    out->stream, out->stream_free, out->stream_ctx);
	}
	if (!out->json)
		return reply_error(conn, out->status ? out->status : 500);
	return reply(conn, out->status ? out->status : 200, "application/json", out->json,
		     strlen(out->json), MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result dispatch(struct api *a, struct MHD_Connection *conn, const char *url,
				const char *method, const struct upload *up)
{
	struct api_request rq = { method, url, up && up->buf ? up->buf : "", up ? up->len : 0,
				  conn };
	struct api_reply out = { 0 };
	bool known, write = strcmp(method, "GET") && strcmp(method, "HEAD");
	const struct api_route *r = find_route(a, url, &known, method);

	if (!r) {
		out.status = known ? 405 : 404;
		if (write)
			audit_write(conn, method, url, out.status);
		return reply_error(conn, out.status);
	}
	r->fn(r->ctx, &rq, &out);
	if (write)
		audit_write(conn, method, url,
			    out.status		     ? out.status :
			    (out.json || out.stream) ? 200 :
						       500);
	return answer(conn, &out);
}

/* Bytes of the request target as MHD split it: the path and every query argument. */
static enum MHD_Result add_arg_len(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *value)
{
	size_t *n = cls;

	(void)kind;
	*n += strlen(key) + (value ? strlen(value) + 1 : 0) + 1;
	return MHD_YES;
}

static size_t target_len(struct MHD_Connection *conn, const char *url)
{
	size_t n = strlen(url);

	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_arg_len, &n);
	return n;
}

/* Control bytes have no business in a path, once decoded; they only ever smuggle. */
static bool has_control(const char *url)
{
	for (const unsigned char *c = (const unsigned char *)url; *c; c++) {
		if (*c < 0x20 || *c == 0x7f)
			return true;
	}
	return false;
}

/* A "." or ".." segment (after decoding, so %2e%2e too): no route has one, and a handler
 * that ever maps a path to a file must not be reachable with one. */
static bool has_dot_segment(const char *url)
{
	for (const char *p = url; p; p = strchr(p, '/')) {
		p += *p == '/';
		if (p[0] == '.' &&
		    (!p[1] || p[1] == '/' || (p[1] == '.' && (!p[2] || p[2] == '/'))))
			return true;
	}
	return false;
}

/* Content-Length above API_BODY_MAX: refused before a byte of the body is read. */
static bool declared_too_large(struct MHD_Connection *conn)
{
	const char *v =
		MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	unsigned long long n = 0;

	if (!v)
		return false;
	for (; *v >= '0' && *v <= '9'; v++) {
		n = n * 10 + (unsigned)(*v - '0');
		if (n > API_BODY_MAX)
			return true;
	}
	return false;
}

static enum MHD_Result add_header_size(void *cls, enum MHD_ValueKind kind, const char *key,
				       const char *value)
{
	size_t *n = cls;

	(void)kind;
	*n += strlen(key) + (value ? strlen(value) : 0) + 4; /* ": " and CR LF */
	return MHD_YES;
}

/* The pool is larger than the header limit (streamed bodies are sent
 * from it in pieces of its size), so the limit is checked here. */
static bool headers_too_large(struct MHD_Connection *conn)
{
	size_t n = 0;

	MHD_get_connection_values(conn, MHD_HEADER_KIND, add_header_size, &n);
	return n > API_HEADERS_MAX;
}

static bool is_write(const char *method)
{
	return strcmp(method, "GET") && strcmp(method, "HEAD");
}

/* A refusal by the screen: counted by reason, audited for writes, logged now and then
 * (without a header: the Authorization value never reaches a log). */
static void note_refused(struct api *a, struct MHD_Connection *conn, const char *method,
			 const char *url, unsigned status, const char *reason)
{
	const char *labels[] = { reason };

	if (a->m && a->refused_family >= 0)
		metrics__add(a->m, a->refused_family, labels, 1);
	if (is_write(method)) {
		audit_write(conn, method, url, status);
	} else if (log_every(&a->refused_log_ns, 10ull * 1000000000ull)) {
		char qpath[300], host[64], port[8];

		logfmt_quote(url, qpath, sizeof(qpath));
		client_of(conn, host, sizeof(host), port, sizeof(port));
		log_cat(LOG_INFO, LOGC_SECURITY,
			"api request refused reason=%s status=%u path=%s source=%s", reason, status,
			qpath, host);
	}
}

static enum MHD_Result reply_unauthorized(struct MHD_Connection *conn, enum api_auth_verdict v)
{
	static const char missing[] = "{\"error\":\"unauthorized: send Authorization: Bearer "
				      "<token>\"}",
			  invalid[] = "{\"error\":\"unauthorized: invalid token\"}";
	const char *body = v == API_AUTH_INVALID ? invalid : missing;
	struct MHD_Response *r =
		MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, api_auth_challenge(v));
	ret = MHD_queue_response(conn, 401, r);
	MHD_destroy_response(r);
	return ret;
}

/*
 * The checks every request passes once its headers are in, before any handler or body.
 * true when it was answered (*ret: MHD's result). Order: what needs no trust first (size,
 * bytes), then the token, so an unauthenticated client learns nothing about paths.
 */
static bool screen(struct api *a, struct MHD_Connection *conn, const char *url, const char *method,
		   enum MHD_Result *ret)
{
	const char *authz =
		MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	enum api_auth_verdict v = api_auth__check(a->auth, method, authz);
	const char *reason;
	unsigned status;

	if (target_len(conn, url) > API_URL_MAX) {
		status = 414;
		reason = "uri_too_long";
	} else if (headers_too_large(conn)) {
		status = 431;
		reason = "headers_too_large";
	} else if (has_control(url)) {
		status = 400;
		reason = "bad_request";
	} else if (v != API_AUTH_OK) {
		status = 401;
		reason = "unauthorized";
	} else if (has_dot_segment(url)) {
		status = 404;
		reason = "path_traversal";
	} else if (declared_too_large(conn)) {
		status = 413;
		reason = "body_too_large";
	} else {
		return false;
	}
	note_refused(a, conn, method, url, status, reason);
	*ret = status == 401 ? reply_unauthorized(conn, v) : reply_error(conn, status);
	return true;
}

/* Appends one piece of upload; past API_BODY_MAX the rest is read and dropped. */
static void take_upload(struct upload *up, const char *data, size_t n)
{
	char *b;

	if (up->too_large || up->len + n > API_BODY_MAX) {
		up->too_large = true;
		up->dropped += n;
		return;
	}
	b = realloc(up->buf, up->len + n + 1);
	if (!b) {
		up->too_large = true;
		return;
	}
	memcpy(b + up->len, data, n);
	up->len += n;
	b[up->len] = '\0';
	up->buf = b;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **state)
{
	struct api *a = cls;
	bool get = !is_write(method);
	struct upload *up = *state;
	enum MHD_Result ret;
	bool known;

	(void)version;
	if (!up && screen(a, conn, url, method, &ret))
		return ret;
	if (!get && !up) { /* first call of a request that may carry a body */
		up = calloc(1, sizeof(*up));
		if (!up)
			return MHD_NO;
		*state = up;
		return MHD_YES;
	}
	if (up && *upload_size) {
		take_upload(up, upload, *upload_size);
		*upload_size = 0;
		if (up->dropped <= API_BODY_DRAIN)
			return MHD_YES;
		/* MHD (0.9.75) cannot answer before the body is in: close instead */
		note_refused(a, conn, method, url, 413, "body_too_large");
		return MHD_NO;
	}
	if (get && *upload_size)
		return reply_json(conn, 413, "{\"error\":\"no request body expected\"}");
	if (up && up->too_large) {
		note_refused(a, conn, method, url, 413, "body_too_large");
		return reply_error(conn, 413);
	}
	if (get && (!strcmp(url, "/metrics") || !strcmp(url, "/prometheus/metrics")))
		return serve_metrics(a, conn);
	if (get && !strcmp(url, "/health") && !find_route(a, url, &known, method))
		return reply_json(conn, 200, "{\"status\":\"healthy\"}");
	if (get && !strcmp(url, "/"))
		return serve_index(a, conn);
	return dispatch(a, conn, url, method, up);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **state,
			 enum MHD_RequestTerminationCode toe)
{
	struct upload *up = *state;

	(void)cls;
	(void)conn;
	(void)toe;
	if (up) {
		free(up->buf);
		free(up);
		*state = NULL;
	}
}

static int resolve(const char *listen, struct sockaddr_storage *ss, char *err, size_t errlen)
{
	char host[128], port[8];
	uint16_t p;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	int rc;

	if (obs_config_split_listen(listen, host, sizeof(host), &p)) {
		snprintf(err, errlen, "bad listen address '%s' (want HOST:PORT)", listen);
		return -EINVAL;
	}
	snprintf(port, sizeof(port), "%u", p);
	rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
	if (rc) {
		snprintf(err, errlen, "cannot resolve '%s': %s", listen, gai_strerror(rc));
		return -EINVAL;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

/* MHD's own messages while starting (a certificate GnuTLS refuses says why here);
 * afterwards they are dropped: they describe clients, and clients are not trusted. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct api *a = cls;
	size_t n = strlen(a->start_err);

	if (atomic_load(&a->started) || n + 3 >= sizeof(a->start_err))
		return;
	if (n)
		n += (size_t)snprintf(a->start_err + n, sizeof(a->start_err) - n, "; ");
	vsnprintf(a->start_err + n, sizeof(a->start_err) - n, fmt, ap);
	a->start_err[n + strcspn(a->start_err + n, "\n")] = '\0';
}

static int define_gauge(struct metrics *m, const char *name, const char *help)
{
	return m ? metrics__define(m, name, METRIC_GAUGE, help, NULL, NULL, 0) : -1;
}

static int take_opts(struct api *a, const struct api_opts *o, char *err, size_t errlen)
{
	const char *const labels[] = { "reason", NULL };

	a->m = o->m;
	a->refresh = o->refresh;
	a->refresh_ctx = o->refresh_ctx;
	a->routes = o->routes;
	a->n_routes = o->n_routes;
	a->refused_family =
		a->m ? metrics__define(
			       a->m, "biothings_api_requests_refused_total", METRIC_COUNTER,
			       "API connections and requests refused before any handler ran, by reason",
			       labels, NULL, 0) :
		       -1;
	a->render_family =
		define_gauge(a->m, "biothings_api_metrics_render_seconds",
			     "Time the last /metrics answer spent making its text (the "
			     "refresh, the snapshot and the formatting; not the transfer)");
	a->render_bytes_family = define_gauge(a->m, "biothings_api_metrics_render_bytes",
					      "Size of the last /metrics answer");
	if (a->render_family < 0 || a->render_bytes_family < 0)
		a->render_family = -1;
	if (!o->tls_cert != !o->tls_key) {
		snprintf(err, errlen, "TLS needs both a certificate and its key");
		return -EINVAL;
	}
	if (o->tls_cert && !MHD_is_feature_supported(MHD_FEATURE_TLS)) {
		snprintf(err, errlen, "this libmicrohttpd is built without TLS");
		return -ENOTSUP;
	}
	if (o->token && !(a->auth = api_auth__new(o->token, o->auth_scope))) {
		snprintf(err, errlen, "the API token is empty or unusable");
		return -EINVAL;
	}
	if (o->tls_cert &&
	    (!(a->tls_cert = strdup(o->tls_cert)) || !(a->tls_key = strdup(o->tls_key)))) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

static void api_free(struct api *a)
{
	api_auth__free(a->auth);
	api_auth_secret_free(a->tls_cert);
	api_auth_secret_free(a->tls_key);
	free(a);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_ctx,
			  enum MHD_ConnectionNotificationCode code)
{
	struct api *a = cls;

	(void)conn;
	(void)socket_ctx;
	if (code == MHD_CONNECTION_NOTIFY_STARTED)
		atomic_fetch_add(&a->open_conns, 1);
	else if (code == MHD_CONNECTION_NOTIFY_CLOSED)
		atomic_fetch_sub(&a->open_conns, 1);
}

/*
 * The connection limit is kept here, not by MHD's own: at its limit MHD stops accepting and
 * new clients wait in the kernel's backlog (a scrape hangs until an idle connection times
 * out); closed at once, a client knows. Threads accepting at the same instant may each let
 * one more in, so the bound is max_conns + API_THREADS - 1.
 */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t len)
{
	struct api *a = cls;
	const char *labels[] = { "connection_limit" };

	(void)addr;
	(void)len;
	if (atomic_load(&a->open_conns) < a->max_conns)
		return MHD_YES;
	if (a->m && a->refused_family >= 0)
		metrics__add(a->m, a->refused_family, labels, 1);
	if (log_every(&a->conn_log_ns, 10ull * 1000000000ull))
		log_cat(LOG_WARN, LOGC_SECURITY,
			"api connection refused reason=connection_limit limit=%u", a->max_conns);
	return MHD_NO;
}

/* MHD's own limit sits above ours (on_accept). MHD splits it among its threads; a thread at
 * its share stops accepting and the others take over, so clients would wait only when every
 * thread is at its share, which on_accept keeps from happening. */
static struct MHD_Daemon *start_daemon(struct api *a, const struct sockaddr_storage *ss)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	unsigned mhd_limit = a->max_conns + 16 * API_THREADS;
	struct MHD_OptionItem tls[] = {
		{ MHD_OPTION_HTTPS_MEM_CERT, 0, a->tls_cert },
		{ MHD_OPTION_HTTPS_MEM_KEY, 0, a->tls_key },
		{ MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)API_TLS_PRIORITIES },
		{ MHD_OPTION_END, 0, NULL },
	};

	if (ss->ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (a->tls_cert)
		flags |= MHD_USE_TLS;
	else
		tls[0].option = MHD_OPTION_END;
	/* the logger first, or MHD's messages about the options before it go to stderr */
	return MHD_start_daemon(flags, 0, on_accept, a, on_request, a, MHD_OPTION_EXTERNAL_LOGGER,
				mhd_log, a, MHD_OPTION_SOCK_ADDR, ss, MHD_OPTION_CONNECTION_LIMIT,
				mhd_limit, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)API_THREADS,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)API_CONN_TIMEOUT_S,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)API_CONN_MEMORY,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
				MHD_OPTION_NOTIFY_CONNECTION, on_connection, a, MHD_OPTION_ARRAY,
				tls, MHD_OPTION_END);
}

struct api *api__start_opts(const struct api_opts *o, char *err, size_t errlen)
{
	struct sockaddr_storage ss = {};
	struct api *a;

	if (resolve(o->listen, &ss, err, errlen))
		return NULL;
	a = calloc(1, sizeof(*a));
	if (!a) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (take_opts(a, o, err, errlen)) {
		api_free(a);
		return NULL;
	}
	a->max_conns = o->max_connections ? o->max_connections : API_CONN_LIMIT;
	atomic_init(&a->open_conns, 0);
	atomic_init(&a->started, false);
	a->d = start_daemon(a, &ss);
	atomic_store(&a->started, true);
	if (!a->d) {
		snprintf(err, errlen, "cannot listen on %s: %s%s", o->listen,
			 a->start_err[0] ? a->start_err : "address in use or not local?",
			 strstr(a->start_err, "TLS") ?
				 " (is api.tls_key the private key of api.tls_cert, both PEM?)" :
				 "");
		api_free(a);
		return NULL;
	}
	return a;
}

struct api *api__start(const char *listen, struct metrics *m, api_refresh_fn refresh,
		       void *refresh_ctx, const struct api_route *routes, size_t n_routes,
		       char *err, size_t errlen)
{
	const struct api_opts o = { .listen = listen,
				    .m = m,
				    .refresh = refresh,
				    .refresh_ctx = refresh_ctx,
				    .routes = routes,
				    .n_routes = n_routes };

	return api__start_opts(&o, err, errlen);
}

void api__stop(struct api *a)
{
	if (!a)
		return;
	MHD_stop_daemon(a->d);
	api_free(a);
}

void api_opts_clear(struct api_opts *o)
{
	api_auth_secret_free(o->token);
	api_auth_secret_free(o->tls_cert);
	api_auth_secret_free(o->tls_key);
	o->token = o->tls_cert = o->tls_key = NULL;
}

/* A warning about a secret's file, worded once for the token and the key. */
static void warn_secret(const char *what, const char *path, unsigned warn)
{
	char qpath[300];

	logfmt_quote(path, qpath, sizeof(qpath));
	if (warn & API_AUTH_WARN_READABLE)
		log_warn("api %s file is readable by every user path=%s (chmod 0600 it, or "
			 "0640 with a group)",
			 what, qpath);
	if (warn & API_AUTH_WARN_SHORT)
		log_warn("api token is shorter than %d bytes: easy to guess", API_TOKEN_WEAK);
	if (warn & API_AUTH_WARN_ENV_IGNORED)
		log_warn("api token taken from api.token_file; %s is ignored", API_TOKEN_ENV);
}

static int load_tls(struct api_opts *o, const struct obs_config *c, char *err, size_t errlen)
{
	unsigned warn = 0;
	int e;

	if (!c->api_tls_cert[0] != !c->api_tls_key[0]) {
		snprintf(err, errlen, "api.tls_cert and api.tls_key go together: %s is missing",
			 c->api_tls_cert[0] ? "api.tls_key" : "api.tls_cert");
		return -EINVAL;
	}
	if (!c->api_tls_cert[0])
		return 0;
	e = api_auth_read_pem(c->api_tls_cert, &o->tls_cert, &warn, err, errlen);
	if (!e)
		e = api_auth_read_pem(c->api_tls_key, &o->tls_key, &warn, err, errlen);
	if (!e)
		warn_secret("TLS key", c->api_tls_key, warn & API_AUTH_WARN_READABLE);
	return e;
}

int api_opts_load(struct api_opts *o, const struct obs_config *c, char *err, size_t errlen)
{
	unsigned warn = 0;
	int e;

	o->token = o->tls_cert = o->tls_key = NULL;
	o->max_connections = c->api_max_connections;
	if (api_auth_scope_parse(c->api_auth_scope, &o->auth_scope)) {
		snprintf(err, errlen, "api.auth_scope: want all or writes, not '%s'",
			 c->api_auth_scope);
		return -EINVAL;
	}
	e = api_auth_load_token(c->api_token_file, getenv(API_TOKEN_ENV), &o->token, &warn, err,
				errlen);
	if (!e) {
		warn_secret("token", c->api_token_file, warn);
		e = load_tls(o, c, err, errlen);
	}
	if (e)
		api_opts_clear(o);
	return e;
}
