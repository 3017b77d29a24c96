/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * HTTP endpoints (libmicrohttpd): /metrics and /prometheus/metrics in
 * Prometheus text format, /health, and the REST routes other modules
 * register (JSON in and out). Reads snapshots; never blocks the capture
 * loop for longer than a render.
 */
#ifndef BT_API_H
#define BT_API_H

#include <stddef.h>
#include <sys/types.h>

struct metrics;
struct api;

/* Called before each /metrics render so slow-moving figures (kernel
 * counters) are current when scraped; may run on the API thread. */
typedef void (*api_refresh_fn)(void *ctx);

/* Request bodies above this are answered 413 (and not kept). */
#define API_BODY_MAX (64u << 10)

/* One REST request as a handler sees it. */
struct api_request {
	const char *method, *path; /* path: the URL without its query */
	const char *body; /* NUL-terminated; "" without a body */
	size_t body_len;
	void *conn; /* internal */
};
/* A query argument's value, or NULL. */
const char *api_query(const struct api_request *rq, const char *key);
/* 0 when every query key is in allowed (NULL-terminated); else -EINVAL and
 * the first unknown key, cut and made printable, in bad. */
int api_query_check(const struct api_request *rq, const char *const *allowed, char *bad,
		    size_t badlen);

/* A streamed body's producer: writes 1..max bytes into buf and returns how many, 0 at the
 * end, < 0 to abort the response. Runs on the API thread, between other requests. */
typedef ssize_t (*api_stream_fn)(void *ctx, char *buf, size_t max);

/* What a handler answers: status and a malloc'd JSON body (NULL: {"error":...} from the status).
 * Or, for a body too large to hold (an export), stream set and json NULL: the API calls
 * stream(stream_ctx, ...) until it ends, then stream_free(stream_ctx) once (also when the
 * client goes away or the response cannot be queued). */
struct api_reply {
	unsigned status;
	char *json;
	api_stream_fn stream;
	void (*stream_free)(void *ctx);
	void *stream_ctx;
};
typedef void (*api_handler_fn)(void *ctx, const struct api_request *rq, struct api_reply *out);

/* path matches exactly, or as a prefix when it ends in '/'. Handlers run on the API thread.
 * Every request with another method than GET/HEAD is logged to the audit trail
 * (category audit: method, path, status, source address). */
struct api_route {
	const char *method; /* GET (HEAD too) or POST */
	const char *path;
	api_handler_fn fn;
	void *ctx;
};

/* listen: "HOST:PORT", "[V6]:PORT" or ":PORT". routes: the REST endpoints, kept by
 * pointer (static storage). NULL + message on failure. */
struct api *api__start(const char *listen, struct metrics *m, api_refresh_fn refresh,
		       void *refresh_ctx, const struct api_route *routes, size_t n_routes,
		       char *err, size_t errlen);
void api__stop(struct api *a);

#endif
