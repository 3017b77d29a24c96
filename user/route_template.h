/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Internal to route.c and route_template.c, no other module includes it.
 * The stateless half of http_route: configured patterns and the heuristic
 * segment classifier turn one request target into a template. Caps and
 * per-service bookkeeping stay in route.c.
 */
#ifndef BT_ROUTE_TEMPLATE_H
#define BT_ROUTE_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "route.h"

enum pseg_kind { PSEG_LIT, PSEG_PARAM };

struct pseg {
	uint8_t off; /* into route_pattern.text */
	uint8_t len;
	uint8_t kind;
};

struct route_pattern {
	char text[ROUTE_MAX];
	struct pseg seg[ROUTE_MAX_SEGS];
	uint8_t n;
	bool rest; /* ends in "*", "**" or "{name*}": any further segments */
};

/* pat into p; -EINVAL with the reason in why (may be NULL). */
int route_pattern_parse(const char *pat, struct route_pattern *p, char *why, size_t whylen);
/*
 * Template of the raw target path[0..len) into out[ROUTE_MAX]: the first of
 * the n pats that matches, else the heuristic. True when the route is fixed
 * (pattern, "*" or ROUTE_INVALID) and so not subject to the per-service cap.
 */
bool route_template(const struct route_pattern *pats, size_t n, const char *path, size_t len,
		    char *out);

#endif
