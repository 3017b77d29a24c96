// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The REST/metrics listener. Requests are small and read-only for now, so
 * one internal polling thread serves them; connection count and time are
 * bounded so a slow or hostile client cannot pin the observer.
 */
#include "api.h"

#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config.h"
#include "log.h"
#include "metrics.h"

#define API_CONN_LIMIT 64
#define API_CONN_TIMEOUT_S 10

struct api {
	struct MHD_Daemon *d;
	struct metrics *m;
	api_refresh_fn refresh;
	void *refresh_ctx;
	uint64_t render_log_ns;
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

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **state)
{
	struct api *a = cls;

	(void)version;
	(void)upload;
	(void)state;
	if (*upload_size)
		return reply_json(conn, 413, "{\"error\":\"no request body expected\"}");
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply_json(conn, 405, "{\"error\":\"method not allowed\"}");
	if (!strcmp(url, "/metrics") || !strcmp(url, "/prometheus/metrics"))
		return serve_metrics(a, conn);
	if (!strcmp(url, "/health"))
		return reply_json(conn, 200, "{\"status\":\"healthy\"}");
	if (!strcmp(url, "/"))
		return reply_json(
			conn, 200,
			"{\"endpoints\":[\"/metrics\",\"/prometheus/metrics\",\"/health\"]}");
	return reply_json(conn, 404, "{\"error\":\"not found\"}");
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
		       void *refresh_ctx, char *err, size_t errlen)
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
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	a->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, a, MHD_OPTION_SOCK_ADDR, &ss,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)API_CONN_LIMIT,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)API_CONN_TIMEOUT_S,
				MHD_OPTION_END);
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
