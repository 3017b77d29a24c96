/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * HTTP endpoints (libmicrohttpd): /metrics and /prometheus/metrics in
 * Prometheus text format, /health, and the REST routes other modules
 * register (JSON in and out). Reads snapshots; never blocks the capture
 * loop for longer than a render. Optionally behind a bearer token and TLS;
 * URL, header, body and connection counts are bounded (docs/api.md).
 */
#ifndef BT_API_H
#define BT_API_H

#include <stddef.h>
#include <sys/types.h>

#include "api_auth.h"

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
 * (category audit: method, path, status, source address; never a header or the query).
 * Handlers only see requests that passed the checks: authenticated when a token is set,
 * target within API_URL_MAX, no control bytes and no "." or ".." segment in the path. */
struct api_route {
	const char *method; /* GET (HEAD too) or POST */
	const char *path;
	api_handler_fn fn;
	void *ctx;
};

/* Connections served at once when api_opts.max_connections is 0. */
#define API_CONN_LIMIT 64
/* Request targets (path and query) longer than this are answered 414. */
#define API_URL_MAX 4096
/* Request headers past this many bytes (names, values, ": " and CR LF) are answered 431. */
#define API_HEADERS_MAX (16u << 10)
/* Per-connection memory (MHD's pool, mapped on demand): the request line and headers, and
 * the pieces a streamed body (/metrics) is sent in, so it sets their size. A request that
 * does not fit at all is answered by MHD itself, 414 or 431 (docs/api.md). */
#define API_CONN_MEMORY (256u << 10)

/* Everything api__start_opts() needs. api_opts_load() fills the safety part from the
 * configuration; the caller sets the rest. */
struct api_opts {
	const char *listen; /* "HOST:PORT", "[V6]:PORT" or ":PORT" */
	struct metrics *m;
	api_refresh_fn refresh;
	void *refresh_ctx;
	const struct api_route *routes; /* the REST endpoints, kept by pointer (static storage) */
	size_t n_routes;
	/* Safety. Strings are copied by api__start_opts(); api_opts_clear() zeroes and frees
	 * them, so set them from malloc'd memory or clear them yourself. */
	char *token; /* bearer token; NULL: no authentication */
	enum api_auth_scope auth_scope; /* which requests need the token */
	char *tls_cert, *tls_key; /* PEM text, both or neither; NULL: plain HTTP */
	unsigned max_connections; /* 0: API_CONN_LIMIT */
};

struct obs_config;
/*
 * token (api.token_file, else $BIOTHINGS_API_TOKEN), auth_scope, tls_cert and tls_key
 * (api.tls_cert and api.tls_key: both or neither; the files are read here) and
 * max_connections from c; the other fields are left alone. Warnings (a world-readable
 * file, a short token) are logged. 0, or -errno and why in err; o then holds nothing.
 * Call it before loading BPF, so a bad setting stops the start early.
 */
int api_opts_load(struct api_opts *o, const struct obs_config *c, char *err, size_t errlen);
/* Zeroes and frees token, tls_cert and tls_key; the other fields stay. */
void api_opts_clear(struct api_opts *o);

/* NULL + message on failure (bad address, port taken, TLS material GnuTLS refuses). */
struct api *api__start_opts(const struct api_opts *o, char *err, size_t errlen);
/* api__start_opts() without authentication or TLS, API_CONN_LIMIT connections. */
struct api *api__start(const char *listen, struct metrics *m, api_refresh_fn refresh,
		       void *refresh_ctx, const struct api_route *routes, size_t n_routes,
		       char *err, size_t errlen);
void api__stop(struct api *a);

#endif
