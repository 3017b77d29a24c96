/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Server-side request forgery in request text (a decoded query value,
 * form field, JSON string or path): a URL the server is asked to fetch
 * that points at a cloud's instance metadata (credentials for the taking)
 * or uses a scheme that talks to internal services or files instead of
 * the web (gopher, dict, file, php, expect, phar, netdoc, jar, tftp).
 * Metadata addresses are recognised in every spelling a URL parser
 * accepts: decimal, hex and octal IPv4, IPv4-mapped IPv6, a user-info
 * prefix (http://good.example@169.254.169.254/), a trailing dot. Loopback
 * is reported when disguised (127.1, 2130706433, 0x7f000001, 0.0.0.0,
 * [::], [::ffff:127.0.0.1]: loopback_disguised) or aimed at a port of a
 * service that trusts loopback callers (Docker, etcd, Redis,
 * Elasticsearch, the kubelet, Consul, memcached, CouchDB, MongoDB:
 * loopback_service); a plain http://localhost:3000/callback is not: OAuth
 * callbacks and webhooks in development use it every day, as they use
 * private addresses. Pure: no allocation; bounded by SSRF_MAX_INPUT bytes.
 */
#ifndef BT_SSRF_H
#define BT_SSRF_H

#include <stddef.h>

#define SSRF_MAX_INPUT 4096 /* bytes examined per value; the rest is ignored */

/* The rule that matched ("metadata_host", "loopback_disguised",
 * "loopback_service", "gopher_scheme", "file_scheme", ...), or NULL. s
 * need not be NUL-terminated. */
const char *ssrf_rule(const char *s, size_t n);

#endif
