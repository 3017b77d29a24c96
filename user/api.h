/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * HTTP endpoints (libmicrohttpd): /metrics and /prometheus/metrics in
 * Prometheus text format, /health. Reads snapshots; never blocks the
 * capture loop for longer than a render.
 */
#ifndef BT_API_H
#define BT_API_H

#include <stddef.h>

struct metrics;
struct api;

/* Called before each /metrics render so slow-moving figures (kernel
 * counters) are current when scraped; may run on the API thread. */
typedef void (*api_refresh_fn)(void *ctx);

/* listen: "HOST:PORT", "[V6]:PORT" or ":PORT". NULL + message on failure. */
struct api *api__start(const char *listen, struct metrics *m, api_refresh_fn refresh,
		       void *refresh_ctx, char *err, size_t errlen);
void api__stop(struct api *a);

#endif
