// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The REST/metrics listener: a small pool of libmicrohttpd threads;
 * connection count, time and request bodies are bounded so a slow or
 * hostile client cannot pin the observer.
 */
#include "api.h"

#include <errno.h>
#include <stdbool.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config.h"
#include "log.h"
#include "logfmt.h"
#include "metrics.h"

#define API_CONN_LIMIT 64
#define API_CONN_TIMEOUT_S 10
/* A few threads, so a slow request (an active check run on demand, a large export) does not
 * hold up a scrape; every handler is thread-safe. */
#define API_THREADS 4

struct api {
	struct MHD_Daemon *d;
	struct metrics *m;
	api_refresh_fn refresh;
	void *refresh_ctx;
	uint64_t render_log_ns;
	const struct api_route *routes;
	size_t n_routes;
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
static enum MHD_Result serve_index(struct api *a, struct MHD_Connection *conn)
{
	size_t cap = 128, len;
	char *body;

	for (size_t i = 0; i < a->n_routes; i++)
		cap += strlen(a->routes[i].path) + strlen(a->routes[i].method) + 8;
	body = malloc(cap);
	if (!body)
		return reply_json(conn, 500, "{\"error\":\"out of memory\"}");
	len = (size_t)snprintf(body, cap,
			       "{\"endpoints\":[\"GET /metrics\",\"GET /prometheus/metrics\","
			       "\"GET /health\"");
	for (size_t i = 0; i < a->n_routes; i++)
		len += (size_t)snprintf(body + len, cap - len, ",\"%s %s\"", a->routes[i].method,
					a->routes[i].path);
	snprintf(body + len, cap - len, "]}");
	return reply(conn, 200, "application/json", body, strlen(body), MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result serve_metrics(struct api *a, struct MHD_Connection *conn)
{
	char *text = NULL;
	size_t len = 0;
	int err;

	if (a->refresh)
		a->refresh(a->refresh_ctx);
	err = metrics__render(a->m, &text, &len);
	if (err) {
		if (log_every(&a->render_log_ns, 60ull * 1000000000ull))
			log_error(
				"metrics not rendered err=%d (over the size cap? lower metrics.max_series)",
				err);
		return reply_json(conn, 500, "{\"error\":\"cannot render metrics\"}");
	}
	return reply(conn, 200, "text/plain; version=0.0.4; charset=utf-8", text, len,
		     MHD_RESPMEM_MUST_FREE);
}

/* A request's upload, kept between the calls MHD makes for one request. */
struct upload {
	char *buf;
	size_t len;
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
	case 404:
		return "not found";
	case 405:
		return "method not allowed";
	case 413:
		return "request body too large";
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

/* A body of unknown length (chunked), produced as the client reads it. */
static enum MHD_Result reply_stream(struct MHD_Connection *conn, const struct api_reply *out)
{
	struct stream *st = malloc(sizeof(*st));
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (!st) {
		if (out->stream_free)
			out->stream_free(out->stream_ctx);
		return reply_error(conn, 500);
	}
	*st = (struct stream){ out->stream, out->stream_free, out->stream_ctx };
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, stream_read, st,
					      stream_done);
	if (!r) {
		stream_done(st);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	ret = MHD_queue_response(conn, out->status ? out->status : 200, r);
	MHD_destroy_response(r); /* stream_done runs when MHD lets go of it */
	return ret;
}

static enum MHD_Result answer(struct MHD_Connection *conn, struct api_reply *out)
{
	if (out->stream) {
		free(out->json);
		return reply_stream(conn, out);
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

	if (!r || (up && up->too_large)) {
		out.status = !r ? (known ? 405 : 404) : 413;
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

/* Appends one piece of upload; past API_BODY_MAX the rest is read and dropped. */
static void take_upload(struct upload *up, const char *data, size_t n)
{
	char *b;

	if (up->too_large || up->len + n > API_BODY_MAX) {
		up->too_large = true;
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
	bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
	struct upload *up = *state;
	bool known;

	(void)version;
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
		return MHD_YES;
	}
	if (get && *upload_size)
		return reply_json(conn, 413, "{\"error\":\"no request body expected\"}");
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

struct api *api__start(const char *listen, struct metrics *m, api_refresh_fn refresh,
		       void *refresh_ctx, const struct api_route *routes, size_t n_routes,
		       char *err, size_t errlen)
{
	struct sockaddr_storage ss = {};
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;
	struct api *a;

	if (resolve(listen, &ss, err, errlen))
		return NULL;
	a = calloc(1, sizeof(*a));
	if (!a) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->m = m;
	a->refresh = refresh;
	a->refresh_ctx = refresh_ctx;
	a->routes = routes;
	a->n_routes = n_routes;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	a->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, a, MHD_OPTION_SOCK_ADDR, &ss,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)API_CONN_LIMIT,
				MHD_OPTION_THREAD_POOL_SIZE, (unsigned)API_THREADS,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)API_CONN_TIMEOUT_S,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
	if (!a->d) {
		snprintf(err, errlen, "cannot listen on %s (address in use or not local?)", listen);
		free(a);
		return NULL;
	}
	return a;
}

void api__stop(struct api *a)
{
	if (!a)
		return;
	MHD_stop_daemon(a->d);
	free(a);
}
