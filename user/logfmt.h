/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The pure half of logging: a printf'd message ("words key=value
 * key=\"quoted value\" ...") parsed into its words and fields, secrets
 * redacted, and the entry rendered as one JSON (plain or ECS) or text line. No I/O, no
 * allocation, no global state: log.c runs it on error paths, the store and
 * the fuzzer run it on anything. Every string it parses out is valid UTF-8.
 */
#ifndef BT_LOGFMT_H
#define BT_LOGFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"

/* What a redacted value or span becomes. */
#define LOGFMT_REDACTED "[REDACTED]"
/* Longest field key (bytes); a longer "key=" is a word of the message. */
#define LOGFMT_KEY_MAX 64
/* Arena bytes that hold any parsed message of LOG_MSG_MAX (redaction may grow it). */
#define LOGFMT_ARENA_MAX (3 * LOG_MSG_MAX)
/* Bytes of a rendered line that always hold a parsed entry, cut or not. */
#define LOGFMT_LINE_MAX 8192
/* Smallest buffer the renderers accept (the fixed keys and a cut marker). */
#define LOGFMT_RENDER_MIN 256
/* "2026-11-26T01:50:30.289Z" + NUL */
#define LOGFMT_TIME_LEN 25

const char *logfmt_level_name(enum log_level l); /* debug, info, warn, error; "unknown" */
const char *logfmt_category_name(enum log_category c); /* system, security, business, ... */
int logfmt_level_parse(const char *s, enum log_level *out); /* 0 or -EINVAL */
int logfmt_category_parse(const char *s, enum log_category *out); /* 0 or -EINVAL */

/*
 * msg[0..len) (need not be NUL-terminated; bytes past LOG_MSG_MAX - 1 are
 * ignored and flag the entry truncated) into e->message and e->fields,
 * redacted, with their text in arena (LOGFMT_ARENA_MAX is always enough;
 * a short arena cuts and flags). Tokens are separated by white space; a
 * token "key=value" or key="v \"q\"" is a field, anything else a word of
 * the message, in order. A repeated key keeps its first value (the repeat
 * stays in the message as text; so does a key that is itself secret-shaped).
 * A cut input (longer than LOG_MSG_MAX - 1, or e->truncated already set by
 * the caller because it cut the message) loses its last, partial token: a
 * stub of a secret is not redacted by shape. Leaves ts, level, category and
 * pid alone. 0, or -EINVAL on NULL arguments.
 */
int logfmt_parse(const char *msg, size_t len, struct log_entry *e, char *arena, size_t arena_len);

/*
 * Redacts in[0..len) into out (always NUL-terminated when outlen > 0):
 * values after secret-named keys (key=v, key: v, "key":"v"), URL userinfo
 * passwords, Bearer/Basic credentials, key-shaped tokens (sk-, AIza, ghp_,
 * xox?-, AKIA, JWTs, ...) and long random or hex runs (>= 32) become
 * LOGFMT_REDACTED. Invalid UTF-8 becomes U+FFFD, and a cut never splits a
 * character, so the result is always valid UTF-8. Returns the bytes
 * written; *cut (may be NULL) is set when out was too small.
 */
size_t logfmt_redact(const char *in, size_t len, char *out, size_t outlen, bool *cut);
/* Whether a field or header named key[0..len) holds a secret (authorization, cookie,
 * api-key, password, secret, ...token), case-insensitive. */
bool logfmt_secret_key(const char *key, size_t len);

/*
 * One line, NUL-terminated, ending in '\n', never longer than outlen - 1
 * (outlen >= LOGFMT_RENDER_MIN, else 0 is returned): what does not fit is
 * cut at a character boundary, later fields are dropped and the line says
 * "truncated":true (text: truncated=true). Always valid JSON / UTF-8:
 * control characters are escaped, invalid UTF-8 becomes U+FFFD (text:
 * \xNN). Returns the length.
 *
 * JSON: {"timestamp":"...Z","level":"info","category":"system",
 * "message":"...","pid":1,"fields":{"k":"v","n":42}}; an unquoted value
 * that is a JSON integer (at most 18 digits) or decimal without exponent is
 * a number, everything else (and every key="quoted" value) a string.
 * Text: ts=... level=... [category=... ]msg=<message> k=v k="v w" ...
 */
size_t logfmt_json(const struct log_entry *e, char *out, size_t outlen);
size_t logfmt_text(const struct log_entry *e, char *out, size_t outlen);
/*
 * The same entry in Elastic Common Schema (ECS 8.11), one JSON object per
 * line with dotted keys, the way ECS loggers write them (Filebeat's ndjson
 * parser with expand_keys, or Elasticsearch itself, nests them):
 * {"@timestamp":"...","log.level":"warn","message":"...","ecs.version":"8.11.0",
 * "service.name":"biothings-observer","event.kind":"alert","event.category":[...],
 * "event.type":[...],"event.action":"sql_injection",...}. Fields with an ECS
 * name are written under it (source.ip, url.path, process.pid, ... typed as
 * ECS types them; a value that does not fit the type stays a label), the
 * rest as labels.<key> strings, key characters outside [A-Za-z0-9_] made '_'.
 * The categorisation and the field table are in docs/logging.md. Needs
 * outlen >= LOGFMT_ECS_RENDER_MIN (else 0); cut lines carry
 * "tags":["truncated"]. Same guarantees as logfmt_json otherwise: no key twice.
 */
size_t logfmt_ecs(const struct log_entry *e, char *out, size_t outlen);
#define LOGFMT_ECS_VERSION "8.11.0"
#define LOGFMT_ECS_SERVICE "biothings-observer"
/* Smallest buffer logfmt_ecs accepts: the fixed ECS keys, a little message, a cut marker. */
#define LOGFMT_ECS_RENDER_MIN 1024

/* Just the fields object ("{...}", no newline), same rules; "{}" when none. A cut
 * object is still valid and flags nothing: callers keep e->truncated themselves. */
size_t logfmt_fields_json(const struct log_entry *e, char *out, size_t outlen);

/* RFC 3339, UTC, milliseconds. */
void logfmt_time(uint64_t ts_ns, char out[LOGFMT_TIME_LEN]);
/*
 * RFC 3339 ("2026-11-26T01:50:30Z", fraction and +hh:mm optional; ' ' for
 * a '+' that a query string decoded) or Unix seconds ("1764121830",
 * fraction optional) into ns since the epoch. Years 1970..2261. 0 or -EINVAL.
 */
int logfmt_time_parse(const char *s, int64_t *ns);

/* s as a logfmt value: "..." with \" \\ \n \t \r escaped, other controls as
 * \xNN; for callers that log names holding spaces. Cut to fit; returns the length. */
size_t logfmt_quote(const char *s, char *out, size_t outlen);

#endif
