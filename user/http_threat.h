/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Per-request threats in an HTTP request target (path and query) and, when
 * captured, header values and the first bytes of the body: SQL injection
 * (sqli.h) in each decoded query value and form/JSON string, cross-site
 * scripting, path traversal (encoded and double-encoded forms included) and
 * access to sensitive paths (/.env, /.git/, /etc/passwd, wp-admin ...),
 * command injection (cmdi.h), server-side request forgery (ssrf.h), and a
 * User-Agent naming an attack tool (attack_tools.h).
 * Decoding is done here once (percent, plus-as-space, double encoding,
 * overlong UTF-8 '/' and '.', HTML entities for xss) so each detector sees
 * what the server would. Pure; bounded work per request.
 */
#ifndef BT_HTTP_THREAT_H
#define BT_HTTP_THREAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sqli.h"

enum threat_type {
	THREAT_SQL_INJECTION,
	THREAT_XSS,
	THREAT_PATH_TRAVERSAL,
	THREAT_SENSITIVE_PATH,
	THREAT_COMMAND_INJECTION, /* cmdi.h: shell chains and substitutions, Log4Shell lookups */
	THREAT_SSRF, /* ssrf.h: URLs to instance metadata, non-web schemes */
	THREAT_SCANNER_TOOL, /* one request says it: the caller hands it to the scanner detector */
	THREAT__COUNT
};
/* sql_injection, xss, path_traversal, sensitive_path_access, command_injection, ssrf,
 * scanner ("unknown" out of range) */
const char *threat_type_name(enum threat_type t);

struct threat_input {
	const char *target; /* request target as sent: path and query, maybe cut */
	size_t target_len;
	const char *content_type; /* NULL when unknown */
	const char *body; /* first bytes of the body, NULL when not captured */
	size_t body_len;
	/* selected header values (User-Agent, Referer, Cookie ...), NULL-terminated or NULL */
	const char *const *header_values;
	const char *user_agent; /* its value (also among header_values), NULL when unknown */
};

struct threat_hit {
	enum threat_type type;
	char where[16]; /* path, query, body, header */
	/*
	 * The rule: the sqli kind ("union"); script_tag, event_handler,
	 * attr_event, js_uri, data_uri, js_call, dangerous_tag; dotdot,
	 * dotdot_encoded, dotdot_double, dotdot_overlong, dotdot_unicode,
	 * null_byte, system_file; the sensitive entry (".env", "etc/passwd", "*.bak");
	 * shell_chain, shell_subst, shellshock, jndi_lookup; metadata_host,
	 * gopher_scheme, file_scheme, ...; the attack tool ("sqlmap").
	 */
	char detail[64];
};

/*
 * Hits of the request, at most one per type: the first found, looking at the
 * path, the query, the header values, then the body. Writes the first max of
 * them into hits in enum order and returns how many there are (0..
 * THREAT__COUNT, possibly more than max; hits may be NULL when max is 0).
 * Bounded: 8 KiB of target, 8 KiB of body, 8 header values, 64 pairs per
 * query/form/cookie, 128 JSON strings, 24 KiB of values in all; the rest is
 * not looked at.
 */
size_t http_threat_scan(const struct threat_input *in, struct threat_hit *hits, size_t max);

#endif
