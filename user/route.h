/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * http_route label: turns a raw request target into a low-cardinality
 * template ("/api/experiments/{id}") from configured patterns first, then
 * per-segment heuristics, and caps the distinct routes kept per service.
 * Pure and single-threaded: no I/O, no locks, no global state.
 */
#ifndef BT_ROUTE_H
#define BT_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes of a route, NUL included; size `out` buffers with this. */
#define ROUTE_MAX 128
/* Path segments examined; the rest of a longer path becomes "/{rest}". */
#define ROUTE_MAX_SEGS 16
/* Configured patterns accepted by route_table__new(). */
#define ROUTE_MAX_PATTERNS 1024
/* Services tracked; requests of further services map to ROUTE_OVERFLOW. */
#define ROUTE_MAX_SERVICES 1024
/* Distinct heuristic routes kept over all services together. */
#define ROUTE_MAX_ROUTES 32768
/* Bytes of a service name used as the key (longer names are cut). */
#define ROUTE_SERVICE_MAX 64

/* Route of a request that arrived after its service hit the cap. */
#define ROUTE_OVERFLOW "/{overflow}"
/* Route of a target that is neither origin-form, absolute-form nor "*". */
#define ROUTE_INVALID "/{invalid}"
/* Tail of a path longer than ROUTE_MAX_SEGS segments or ROUTE_MAX bytes. */
#define ROUTE_REST "/{rest}"

struct route_table;

/*
 * patterns: "/api/experiments/{id}", "/static/{rest*}" ... (see
 * route_pattern_check(); a trailing "*" segment works too). max_routes_per_service: distinct heuristic
 * routes kept per service, 0 collapses all of them. NULL + errno
 * (EINVAL on a bad pattern, ENOMEM).
 */
struct route_table *route_table__new(char *const *patterns, size_t n,
				     uint32_t max_routes_per_service);
void route_table__free(struct route_table *t);
/*
 * path: raw request target bytes (may hold ?query, #fragment, be cut
 * short or be garbage). Writes the route, NUL-terminated, into out.
 * 0, -EINVAL on NULL arguments, -ENOSPC when outlen is too small
 * (out then holds a cut, terminated route).
 */
int route_table__route(struct route_table *t, const char *service, const char *path, size_t len,
		       char *out, size_t outlen);
/* Requests mapped to ROUTE_OVERFLOW for service; NULL: over all services. */
uint64_t route_table__collapsed(const struct route_table *t, const char *service);
/* Distinct heuristic routes kept for service. */
size_t route_table__routes(const struct route_table *t, const char *service);
/* Services seen so far. */
size_t route_table__services(const struct route_table *t);

/* 0 when pattern is valid, else -EINVAL with the reason in why. */
int route_pattern_check(const char *pattern, char *why, size_t whylen);
/*
 * Whether the raw request target path[0..len) matches pattern the way
 * route_table__route() matches configured patterns (query, fragment and
 * scheme://host ignored). false for an invalid pattern. For modules that
 * test one pattern at a time (business events): a route table answers
 * only with the first matching pattern and with sentinel routes.
 */
bool route_pattern_match(const char *pattern, const char *path, size_t len);

#endif
