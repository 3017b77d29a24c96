/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The /logs REST endpoints over the log store (JSON):
 *   GET /logs             entries, newest first: category, level (minimum), since, until
 *                         (RFC 3339 or Unix seconds), text, limit (1..1000, 100), offset
 *   GET /logs/statistics  counts by category and level over since..until (default 24 h)
 *   GET /logs/alerts      security entries of the pattern detectors in the last minutes
 *                         (1..10080, 60), limit
 *   GET /logs/export      every matching entry (filters of /logs, no limit/offset) as one
 *                         JSON array, streamed page by page
 * Unknown parameters and bad values are answered 400 {"error": "..."} naming the parameter.
 * (/logs/security is served by security.c.)
 */
#ifndef BT_LOGS_API_H
#define BT_LOGS_API_H

#include <stddef.h>

#include "api.h"

struct logstore;

/* The routes, with s as their context. Static storage: one store per process (a second
 * call re-targets them). */
const struct api_route *logs_api__routes(struct logstore *s, size_t *n);

#endif
