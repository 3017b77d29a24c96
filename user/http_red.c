// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * HTTP RED aggregation over the metrics registry. Names follow the
 * OpenTelemetry HTTP semantic conventions with dots as underscores,
 * like Grafana Beyla, so dashboards built for either work here. A
 * request that never got a response has no status and no meaningful
 * duration, so it is counted apart instead of skewing the histogram.
 * Must stay pure: no BPF, sockets, DNS or route matching here.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "biothings/events.h"
#include "http_red.h"
#include "units.h"

#define UNKNOWN_SERVICE "unknown_service" /* OpenTelemetry's default service.name */

struct http_red {
	struct metrics *m;
	int srv_dur, cli_dur, req_bytes, resp_bytes, unanswered, incomplete, collapsed;
};

static int define_counter(struct metrics *m, const char *name, const char *help)
{
	static const char *const labels[] = { "service_name", "role", NULL };

	return metrics__define(m, name, METRIC_COUNTER, help, labels, NULL, 0);
}

static int define_all(struct http_red *r)
{
	static const char *const srv[] = { "service_name", "http_request_method",
					   "http_response_status_code", "http_route", NULL };
	static const char *const cli[] = {
		"service_name",	  "http_request_method", "http_response_status_code",
		"server_address", "server_port",	 NULL
	};
	size_t nb;
	const double *b = metrics_otel_duration_buckets(&nb);

	r->srv_dur = metrics__define(r->m, "http_server_request_duration_seconds", METRIC_HISTOGRAM,
				     "Duration of HTTP server requests.", srv, b, nb);
	if (r->srv_dur < 0)
		return r->srv_dur;
	r->cli_dur = metrics__define(r->m, "http_client_request_duration_seconds", METRIC_HISTOGRAM,
				     "Duration of HTTP client requests.", cli, b, nb);
	if (r->cli_dur < 0)
		return r->cli_dur;
	r->req_bytes = define_counter(r->m, "biothings_http_request_bytes_total",
				      "Bytes of HTTP requests (start line, headers and body).");
	if (r->req_bytes < 0)
		return r->req_bytes;
	r->resp_bytes = define_counter(r->m, "biothings_http_response_bytes_total",
				       "Bytes of HTTP responses (status line, headers and body).");
	if (r->resp_bytes < 0)
		return r->resp_bytes;
	r->unanswered =
		define_counter(r->m, "biothings_http_requests_unanswered_total",
			       "HTTP requests whose connection closed before any response.");
	if (r->unanswered < 0)
		return r->unanswered;
	r->incomplete = define_counter(r->m, "biothings_http_responses_incomplete_total",
				       "HTTP responses cut short by the connection closing.");
	if (r->incomplete < 0)
		return r->incomplete;
	r->collapsed = define_counter(r->m, "biothings_http_routes_collapsed_total",
				      "Requests reported under the overflow route because the "
				      "service had reached its route cap.");
	return r->collapsed < 0 ? r->collapsed : 0;
}

struct http_red *http_red__new(struct metrics *m)
{
	struct http_red *r;
	int err;

	if (!m)
		return errno = EINVAL, NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return errno = ENOMEM, NULL;
	r->m = m;
	err = define_all(r);
	if (err) {
		free(r);
		return errno = -err, NULL;
	}
	return r;
}

void http_red__free(struct http_red *r)
{
	free(r);
}

/* OpenTelemetry: methods outside the known set are reported as _OTHER,
 * which also bounds the cardinality of this label. */
static const char *method_label(const char *method)
{
	static const char *const known[] = { "GET",	"HEAD",	   "POST",  "PUT",  "DELETE",
					     "CONNECT", "OPTIONS", "TRACE", "PATCH" };

	for (size_t i = 0; method && i < sizeof(known) / sizeof(*known); i++)
		if (!strcmp(method, known[i]))
			return known[i];
	return "_OTHER";
}

static int keep_first(int err, int e)
{
	return err ? err : e;
}

static int observe_duration(struct http_red *r, const struct http_obs *o, const char *service)
{
	char status[8], port[8] = "";
	const char *method = method_label(o->method);

	units_format_uint(o->status, status, sizeof(status));
	if (o->role == BT_ROLE_SERVER) {
		const char *v[] = { service, method, status, o->route ? o->route : "" };

		return metrics__observe(r->m, r->srv_dur, v, o->duration_s);
	}
	if (o->server_port)
		units_format_uint(o->server_port, port, sizeof(port));
	const char *v[] = { service, method, status, o->server_address ? o->server_address : "",
			    port };

	return metrics__observe(r->m, r->cli_dur, v, o->duration_s);
}

int http_red__observe(struct http_red *r, const struct http_obs *o)
{
	const char *service, *role;
	const char *const *v;
	int err = 0;

	if (!r || !o || (o->role != BT_ROLE_SERVER && o->role != BT_ROLE_CLIENT))
		return -EINVAL;
	if (!isfinite(o->duration_s) || o->duration_s < 0)
		return -EINVAL;
	service = o->service_name && *o->service_name ? o->service_name : UNKNOWN_SERVICE;
	role = o->role == BT_ROLE_SERVER ? "server" : "client";
	v = (const char *const[]){ service, role };
	err = keep_first(err, metrics__add(r->m, r->req_bytes, v, (double)o->req_bytes));
	err = keep_first(err, metrics__add(r->m, r->resp_bytes, v, (double)o->resp_bytes));
	/* Status 0 means no status line was seen: no response to time. */
	if ((o->flags & BT_REQ_NO_RESPONSE) || !o->status)
		return keep_first(err, metrics__add(r->m, r->unanswered, v, 1));
	if (o->flags & BT_REQ_INCOMPLETE)
		err = keep_first(err, metrics__add(r->m, r->incomplete, v, 1));
	if (o->flags & HTTP_OBS_ROUTE_COLLAPSED)
		err = keep_first(err, metrics__add(r->m, r->collapsed, v, 1));
	return keep_first(err, observe_duration(r, o, service));
}
