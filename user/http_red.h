/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * HTTP RED aggregation: turns one finished, already enriched request
 * into samples of the OpenTelemetry-named HTTP families (dots become
 * underscores, as Grafana Beyla does) plus BioThings' byte and
 * unanswered/incomplete counters. Pure: it only calls the metrics
 * registry; no BPF, no sockets, no name resolution or route matching
 * (the caller enriches the observation first). See docs/metrics.md.
 */
#ifndef BIOTHINGS_HTTP_RED_H
#define BIOTHINGS_HTTP_RED_H

#include <stdint.h>

#include "metrics.h"

struct http_obs { /* one finished request, already enriched */
	const char *service_name; /* NULL: "unknown_service" */
	int role; /* 1 server, 2 client (enum bt_role) */
	const char *method; /* "GET", ... or "_OTHER"; unknown text becomes "_OTHER" */
	uint16_t status; /* 0 = no response */
	const char *route; /* server role; NULL: "" (no route known) */
	const char *server_address; /* client role: peer address text */
	uint16_t server_port; /* client role */
	double duration_s;
	uint64_t req_bytes, resp_bytes;
	uint32_t flags; /* BT_REQ_* from include/biothings/events.h, and: */
};

/* Set by the enricher: the route is the overflow route of a capped service.
 * Above the 8 bits of kernel BT_REQ_* flags. */
#define HTTP_OBS_ROUTE_COLLAPSED (1u << 16)

struct http_red;

/* Defines its families in m (once per registry: a second http_red on the
 * same registry fails with EEXIST). NULL + errno. m must outlive it. */
struct http_red *http_red__new(struct metrics *m);
void http_red__free(struct http_red *r);
/* 0, -EINVAL (bad role, NaN/negative duration), or the first error of
 * the registry updates (-ENOSPC when the series cap refused one). */
int http_red__observe(struct http_red *r, const struct http_obs *o);

#endif
