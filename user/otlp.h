/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * OTLP trace data, the pure half of the trace exporter: a span record
 * that owns its strings, the OTLP/JSON encoding of a batch of spans as
 * an ExportTraceServiceRequest (what OTLP/HTTP collectors, Jaeger
 * included, accept on /v1/traces), trace-id ratio sampling, and the
 * redaction of request targets into url.path / url.query. No I/O, no
 * locks, no global state: traces.c owns queues, threads and the network.
 */
#ifndef BT_OTLP_H
#define BT_OTLP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OTLP_TRACE_ID_LEN 16
#define OTLP_SPAN_ID_LEN 8
/* Attributes kept per span; otlp_span__set_* past it gives -ENOSPC. */
#define OTLP_MAX_ATTRS 32
/* Bytes of all strings of one span (name, service, status message, attribute
 * values, NULs included); a value that does not fit whole is cut. */
#define OTLP_TEXT_MAX 2048
/* Values of one string-array attribute. */
#define OTLP_MAX_STRS 8

/* Span.SpanKind and Status.StatusCode numbers of the OTLP protobuf. */
enum otlp_kind { OTLP_KIND_INTERNAL = 1, OTLP_KIND_SERVER = 2, OTLP_KIND_CLIENT = 3 };
enum otlp_status { OTLP_STATUS_UNSET = 0, OTLP_STATUS_OK = 1, OTLP_STATUS_ERROR = 2 };

enum otlp_attr_type {
	OTLP_ATTR_STR, /* stringValue */
	OTLP_ATTR_INT, /* intValue (int64, a JSON string per the proto3 mapping) */
	OTLP_ATTR_DOUBLE, /* doubleValue */
	OTLP_ATTR_BOOL, /* boolValue */
	OTLP_ATTR_STRS, /* arrayValue of stringValue */
};

struct otlp_attr {
	const char *key; /* a static string: keys are the code's own literals */
	uint8_t type; /* enum otlp_attr_type */
	uint8_t n; /* OTLP_ATTR_STRS: values, stored one after the other */
	uint16_t off; /* strings: offset of the (first) value in the span's text */
	union {
		int64_t i;
		double d;
		bool b;
	};
};

/*
 * One finished span. Build it with otlp_span__new() and the setters;
 * ids, times and kind are plain fields. Strings are copied into text,
 * repaired to valid UTF-8 on the way in.
 */
struct otlp_span {
	uint8_t trace_id[OTLP_TRACE_ID_LEN];
	uint8_t span_id[OTLP_SPAN_ID_LEN];
	uint8_t parent_id[OTLP_SPAN_ID_LEN]; /* all zero: a root span */
	uint64_t start_ns, end_ns; /* Unix epoch nanoseconds */
	uint8_t kind; /* enum otlp_kind */
	uint8_t status; /* enum otlp_status */
	uint8_t n_attrs;
	uint16_t name_off, service_off, msg_off; /* msg_off 0: no status message */
	uint16_t text_len, text_cap;
	struct otlp_attr attrs[OTLP_MAX_ATTRS];
	char text[]; /* text[0] is always "" (offset 0 = empty) */
};

/* A span with room for OTLP_TEXT_MAX bytes of text, ids zero. service NULL or
 * "": "unknown_service" (the OTel default). NULL + errno (ENOMEM). */
struct otlp_span *otlp_span__new(enum otlp_kind kind, const char *service, const char *name);
void otlp_span__free(struct otlp_span *s);
/* Gives back the unused text room (for spans that wait in a queue). Never
 * fails: returns s itself when realloc does. No setter may be called after. */
struct otlp_span *otlp_span__shrink(struct otlp_span *s);

const char *otlp_span__name(const struct otlp_span *s);
const char *otlp_span__service(const struct otlp_span *s);
/* Renames the span (the old name's bytes stay used). 0 or -ENOSPC (name cut). */
int otlp_span__rename(struct otlp_span *s, const char *name);
/* Status code and, for errors, an optional message (NULL: none). */
int otlp_span__set_status(struct otlp_span *s, enum otlp_status st, const char *msg);

/*
 * Attribute setters: a key set again is replaced. 0, -ENOSPC (no attribute
 * slot left: nothing set; or the text room ran out: the value is cut),
 * -EINVAL (NULL key or value, n > OTLP_MAX_STRS).
 */
int otlp_span__set_str(struct otlp_span *s, const char *key, const char *v);
int otlp_span__set_strn(struct otlp_span *s, const char *key, const char *v, size_t n);
int otlp_span__set_int(struct otlp_span *s, const char *key, int64_t v);
int otlp_span__set_double(struct otlp_span *s, const char *key, double v);
int otlp_span__set_bool(struct otlp_span *s, const char *key, bool v);
int otlp_span__set_strs(struct otlp_span *s, const char *key, const char *const *v, size_t n);
/* The attribute called key, or NULL. */
const struct otlp_attr *otlp_span__attr(const struct otlp_span *s, const char *key);
/* A string attribute's value (i-th of an array), or NULL. */
const char *otlp_attr_str(const struct otlp_span *s, const struct otlp_attr *a, size_t i);

/*
 * The OTLP/JSON ExportTraceServiceRequest of n spans: one resourceSpans per
 * distinct service (sorted by name, spans in their given order) with resource attribute
 * service.name, one scopeSpans with scope {name: "biothings-observer",
 * version}, ids as lowercase hex, times as decimal strings, enums as numbers
 * (the OTLP/JSON rules). *out is malloc'd and NUL-terminated. 0, -EINVAL
 * (NULL arguments), -ENOMEM, -E2BIG (more than OTLP_JSON_MAX bytes).
 */
#define OTLP_JSON_MAX (64u << 20)
int otlp_encode_json(const struct otlp_span *const *spans, size_t n, char **out, size_t *len);

/* Lowercase hex of n bytes into out (2n + 1 bytes, NUL-terminated). */
void otlp_hex(const uint8_t *b, size_t n, char *out);

/*
 * Whether a trace is kept at ratio, from its id alone, so every span of
 * one trace gets the same answer: the last 7 bytes of the id, read as a
 * 56-bit number R, are compared with T = (1 - ratio) * 2^56; kept iff
 * R >= T (the OTel consistent-probability rule). ratio >= 1 keeps all,
 * ratio <= 0 (or NaN) none.
 */
bool otlp_sampled(const uint8_t trace_id[OTLP_TRACE_ID_LEN], double ratio);

/*
 * A request target (origin-form, absolute-form, "*", cut short or
 * garbage) made safe for url.path and url.query: scheme and authority of
 * an absolute-form target dropped, path without query or fragment and
 * with every segment that looks like a credential replaced by REDACTED;
 * query reduced to its keys ("a=REDACTED&b", fragment dropped; "" when
 * none). Both outputs NUL-terminated and cut to fit (never mid-character).
 */
#define OTLP_REDACTED "REDACTED"
void otlp_url_redact(const char *target, size_t len, char *path, size_t pathlen, char *query,
		     size_t querylen);

#endif
