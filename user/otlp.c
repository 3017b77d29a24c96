// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * OTLP spans and their JSON encoding, kept apart from the exporter so
 * that what goes on the wire can be tested byte for byte without a
 * socket or a thread. A span owns its strings in one block, so a queued
 * span is one allocation and freeing a batch is one pass. Strings are
 * repaired to valid UTF-8 when they enter a span: request targets and
 * model names come from untrusted bytes, and a collector rejects a
 * request whose JSON is not valid UTF-8 as a whole.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "expo.h"
#include "llm_usage.h"
#include "otlp.h"

#ifndef BT_VERSION
#define BT_VERSION "0"
#endif

#define UNKNOWN_SERVICE "unknown_service"
/* Bytes of a request target examined for url.path / url.query. */
#define URL_WORK 1024

/* ---- span ---- */

/* Copies s[0..n) (cut at NUL) into the text, repaired; its offset, or 0 when nothing fits. */
static uint16_t text_add(struct otlp_span *s, const char *v, size_t n, bool *cut)
{
	char tmp[OTLP_TEXT_MAX];
	size_t room = (size_t)(s->text_cap - s->text_len), w;
	uint16_t off = s->text_len;

	if (n >= sizeof(tmp)) {
		n = sizeof(tmp) - 1;
		*cut = true;
	}
	memcpy(tmp, v, n);
	tmp[n] = '\0';
	if (room < 1) {
		*cut = *cut || n;
		return 0;
	}
	w = expo_utf8_sanitize(tmp, s->text + off, room, cut);
	s->text_len = (uint16_t)(off + w + 1);
	return off;
}

struct otlp_span *otlp_span__new(enum otlp_kind kind, const char *service, const char *name)
{
	struct otlp_span *s = malloc(sizeof(*s) + OTLP_TEXT_MAX);
	bool cut = false;

	if (!s)
		return NULL;
	memset(s, 0, sizeof(*s)); /* the text needs no clearing: only what was written is read */
	s->text[0] = '\0';
	s->kind = (uint8_t)kind;
	s->text_cap = OTLP_TEXT_MAX;
	s->text_len = 1; /* text[0] = "" */
	if (!service || !*service)
		service = UNKNOWN_SERVICE;
	s->service_off = text_add(s, service, strlen(service), &cut);
	s->name_off = text_add(s, name ? name : "", name ? strlen(name) : 0, &cut);
	return s;
}

void otlp_span__free(struct otlp_span *s)
{
	free(s);
}

struct otlp_span *otlp_span__shrink(struct otlp_span *s)
{
	struct otlp_span *n = realloc(s, sizeof(*s) + s->text_len);

	if (!n)
		return s;
	n->text_cap = n->text_len;
	return n;
}

const char *otlp_span__name(const struct otlp_span *s)
{
	return s->text + s->name_off;
}

const char *otlp_span__service(const struct otlp_span *s)
{
	return s->text + s->service_off;
}

int otlp_span__rename(struct otlp_span *s, const char *name)
{
	bool cut = false;

	if (!name)
		return -EINVAL;
	s->name_off = text_add(s, name, strlen(name), &cut);
	return cut ? -ENOSPC : 0;
}

int otlp_span__set_status(struct otlp_span *s, enum otlp_status st, const char *msg)
{
	bool cut = false;

	s->status = (uint8_t)st;
	s->msg_off = msg && *msg ? text_add(s, msg, strlen(msg), &cut) : 0;
	return cut ? -ENOSPC : 0;
}

const struct otlp_attr *otlp_span__attr(const struct otlp_span *s, const char *key)
{
	for (size_t i = 0; i < s->n_attrs; i++)
		if (!strcmp(s->attrs[i].key, key))
			return &s->attrs[i];
	return NULL;
}

const char *otlp_attr_str(const struct otlp_span *s, const struct otlp_attr *a, size_t i)
{
	const char *p;

	if (!a || (a->type != OTLP_ATTR_STR && a->type != OTLP_ATTR_STRS) ||
	    i >= (a->type == OTLP_ATTR_STRS ? a->n : 1u))
		return NULL;
	p = s->text + a->off;
	while (i--)
		p += strlen(p) + 1;
	return p;
}

/* The slot of key: the existing one, or a new one (NULL when all are used). */
static struct otlp_attr *attr_slot(struct otlp_span *s, const char *key)
{
	struct otlp_attr *a = (struct otlp_attr *)otlp_span__attr(s, key);

	if (a)
		return a;
	if (s->n_attrs >= OTLP_MAX_ATTRS)
		return NULL;
	a = &s->attrs[s->n_attrs++];
	memset(a, 0, sizeof(*a));
	a->key = key;
	return a;
}

int otlp_span__set_strn(struct otlp_span *s, const char *key, const char *v, size_t n)
{
	struct otlp_attr *a;
	bool cut = false;

	if (!key || !v)
		return -EINVAL;
	a = attr_slot(s, key);
	if (!a)
		return -ENOSPC;
	a->type = OTLP_ATTR_STR;
	a->n = 1;
	a->off = text_add(s, v, strnlen(v, n), &cut);
	return cut ? -ENOSPC : 0;
}

int otlp_span__set_str(struct otlp_span *s, const char *key, const char *v)
{
	return otlp_span__set_strn(s, key, v, v ? strlen(v) : 0);
}

int otlp_span__set_strs(struct otlp_span *s, const char *key, const char *const *v, size_t n)
{
	struct otlp_attr *a;
	bool cut = false;

	if (!key || (!v && n) || n > OTLP_MAX_STRS)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!v[i])
			return -EINVAL;
	a = attr_slot(s, key);
	if (!a)
		return -ENOSPC;
	a->type = OTLP_ATTR_STRS;
	a->n = 0;
	a->off = s->text_len;
	for (size_t i = 0; i < n; i++) {
		if (!text_add(s, v[i], strlen(v[i]), &cut))
			break; /* no room for another value: keep those stored */
		a->n++;
	}
	return cut ? -ENOSPC : 0;
}

/* A number attribute: the slot, typed, or NULL. */
static struct otlp_attr *num_slot(struct otlp_span *s, const char *key, enum otlp_attr_type t)
{
	struct otlp_attr *a = key ? attr_slot(s, key) : NULL;

	if (a)
		a->type = (uint8_t)t;
	return a;
}

int otlp_span__set_int(struct otlp_span *s, const char *key, int64_t v)
{
	struct otlp_attr *a = num_slot(s, key, OTLP_ATTR_INT);

	if (!a)
		return key ? -ENOSPC : -EINVAL;
	a->i = v;
	return 0;
}

int otlp_span__set_double(struct otlp_span *s, const char *key, double v)
{
	struct otlp_attr *a = num_slot(s, key, OTLP_ATTR_DOUBLE);

	if (!a)
		return key ? -ENOSPC : -EINVAL;
	a->d = v;
	return 0;
}

int otlp_span__set_bool(struct otlp_span *s, const char *key, bool v)
{
	struct otlp_attr *a = num_slot(s, key, OTLP_ATTR_BOOL);

	if (!a)
		return key ? -ENOSPC : -EINVAL;
	a->b = v;
	return 0;
}

/* ---- JSON ---- */

void otlp_hex(const uint8_t *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

/* A JSON string; s is valid UTF-8 already (every span string was repaired). */
static int put_str(struct dynbuf *b, const char *s)
{
	const char *run = s;
	int err = dynbuf_add(b, "\"", 1);

	for (; !err && *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[8];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		if (c == '"' || c == '\\')
			snprintf(esc, sizeof(esc), "\\%c", c);
		else
			snprintf(esc, sizeof(esc), "\\u%04x", c);
		err = dynbuf_add(b, run, (size_t)(s - run));
		err = err ? err : dynbuf_addstr(b, esc);
		run = s + 1;
	}
	err = err ? err : dynbuf_add(b, run, (size_t)(s - run));
	return err ? err : dynbuf_add(b, "\"", 1);
}

/* proto3 JSON: a double is a number, or "NaN" / "Infinity" / "-Infinity". */
static int put_double(struct dynbuf *b, double v)
{
	char num[EXPO_NUM_MAX];

	if (isnan(v))
		return dynbuf_addstr(b, "\"NaN\"");
	if (isinf(v))
		return dynbuf_addstr(b, v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
	expo_format_double(num, v);
	return dynbuf_addstr(b, num);
}

static int put_value(struct dynbuf *b, const struct otlp_span *s, const struct otlp_attr *a)
{
	int err = 0;

	switch (a->type) {
	case OTLP_ATTR_STR:
		err = dynbuf_addstr(b, "{\"stringValue\":");
		err = err ? err : put_str(b, s->text + a->off);
		break;
	case OTLP_ATTR_INT: /* int64 is a string in proto3 JSON */
		err = dynbuf_printf(b, "{\"intValue\":\"%" PRId64 "\"", a->i);
		break;
	case OTLP_ATTR_DOUBLE:
		err = dynbuf_addstr(b, "{\"doubleValue\":");
		err = err ? err : put_double(b, a->d);
		break;
	case OTLP_ATTR_BOOL:
		err = dynbuf_addstr(b, a->b ? "{\"boolValue\":true" : "{\"boolValue\":false");
		break;
	default:
		err = dynbuf_addstr(b, "{\"arrayValue\":{\"values\":[");
		for (size_t i = 0; !err && i < a->n; i++) {
			err = dynbuf_addstr(b, i ? ",{\"stringValue\":" : "{\"stringValue\":");
			err = err ? err : put_str(b, otlp_attr_str(s, a, i));
			err = err ? err : dynbuf_add(b, "}", 1);
		}
		err = err ? err : dynbuf_addstr(b, "]}");
	}
	return err ? err : dynbuf_add(b, "}", 1);
}

static int put_attrs(struct dynbuf *b, const struct otlp_span *s)
{
	int err = dynbuf_addstr(b, ",\"attributes\":[");

	for (size_t i = 0; !err && i < s->n_attrs; i++) {
		err = dynbuf_addstr(b, i ? ",{\"key\":" : "{\"key\":");
		err = err ? err : put_str(b, s->attrs[i].key);
		err = err ? err : dynbuf_addstr(b, ",\"value\":");
		err = err ? err : put_value(b, s, &s->attrs[i]);
		err = err ? err : dynbuf_add(b, "}", 1);
	}
	return err ? err : dynbuf_add(b, "]", 1);
}

static bool is_root(const struct otlp_span *s)
{
	static const uint8_t zero[OTLP_SPAN_ID_LEN];

	return !memcmp(s->parent_id, zero, sizeof(zero));
}

static int put_status(struct dynbuf *b, const struct otlp_span *s)
{
	int err;

	if (s->status == OTLP_STATUS_UNSET)
		return 0;
	err = dynbuf_printf(b, ",\"status\":{\"code\":%u", s->status);
	if (!err && s->msg_off) {
		err = dynbuf_addstr(b, ",\"message\":");
		err = err ? err : put_str(b, s->text + s->msg_off);
	}
	return err ? err : dynbuf_add(b, "}", 1);
}

static int put_span(struct dynbuf *b, const struct otlp_span *s)
{
	char tid[2 * OTLP_TRACE_ID_LEN + 1], sid[2 * OTLP_SPAN_ID_LEN + 1];
	char pid[2 * OTLP_SPAN_ID_LEN + 1];
	uint64_t end = s->end_ns < s->start_ns ? s->start_ns : s->end_ns;
	int err;

	otlp_hex(s->trace_id, sizeof(s->trace_id), tid);
	otlp_hex(s->span_id, sizeof(s->span_id), sid);
	otlp_hex(s->parent_id, sizeof(s->parent_id), pid);
	err = dynbuf_printf(b, "{\"traceId\":\"%s\",\"spanId\":\"%s\"", tid, sid);
	if (!err && !is_root(s))
		err = dynbuf_printf(b, ",\"parentSpanId\":\"%s\"", pid);
	err = err ? err : dynbuf_addstr(b, ",\"name\":");
	err = err ? err : put_str(b, otlp_span__name(s));
	err = err ? err :
		    dynbuf_printf(b,
				  ",\"kind\":%u,\"startTimeUnixNano\":\"%" PRIu64
				  "\",\"endTimeUnixNano\":\"%" PRIu64 "\"",
				  s->kind, s->start_ns, end);
	err = err ? err : put_attrs(b, s);
	err = err ? err : put_status(b, s);
	return err ? err : dynbuf_add(b, "}", 1);
}

/* One resourceSpans: the spans idx[0..n), all of one service. */
static int put_resource(struct dynbuf *b, const struct otlp_span *const *spans, const size_t *idx,
			size_t n)
{
	int err = dynbuf_addstr(b, "{\"resource\":{\"attributes\":[{\"key\":\"service.name\","
				   "\"value\":{\"stringValue\":");

	err = err ? err : put_str(b, otlp_span__service(spans[idx[0]]));
	err = err ? err :
		    dynbuf_addstr(b, "}}]},\"scopeSpans\":[{\"scope\":{\"name\":"
				     "\"biothings-observer\",\"version\":");
	err = err ? err : put_str(b, BT_VERSION);
	err = err ? err : dynbuf_addstr(b, "},\"spans\":[");
	for (size_t i = 0; !err && i < n; i++) {
		err = i ? dynbuf_add(b, ",", 1) : 0;
		err = err ? err : put_span(b, spans[idx[i]]);
	}
	return err ? err : dynbuf_addstr(b, "]}]}");
}

/* By service, then by position: the batch order holds within a service. */
static int by_service(const void *a, const void *b, void *arg)
{
	const struct otlp_span *const *spans = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(otlp_span__service(spans[x]), otlp_span__service(spans[y]));

	return c ? c : (x > y) - (x < y);
}

static int put_request(struct dynbuf *b, const struct otlp_span *const *spans, size_t *idx,
		       size_t n)
{
	int err = dynbuf_addstr(b, "{\"resourceSpans\":[");

	for (size_t i = 0, first = 0; !err && i < n; first = i) {
		const char *svc = otlp_span__service(spans[idx[first]]);

		while (i < n && !strcmp(svc, otlp_span__service(spans[idx[i]])))
			i++;
		err = first ? dynbuf_add(b, ",", 1) : 0;
		err = err ? err : put_resource(b, spans, idx + first, i - first);
	}
	return err ? err : dynbuf_addstr(b, "]}");
}

int otlp_encode_json(const struct otlp_span *const *spans, size_t n, char **out, size_t *len)
{
	struct dynbuf b;
	size_t *idx;
	int err;

	if ((!spans && n) || !out || !len)
		return -EINVAL;
	idx = malloc((n ? n : 1) * sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	qsort_r(idx, n, sizeof(*idx), by_service, (void *)spans);
	dynbuf_init(&b, OTLP_JSON_MAX);
	err = put_request(&b, spans, idx, n);
	free(idx);
	if (!err && !(*out = dynbuf_take(&b, len)))
		err = -ENOMEM;
	dynbuf_free(&b);
	return err;
}

/* ---- sampling ---- */

bool otlp_sampled(const uint8_t trace_id[OTLP_TRACE_ID_LEN], double ratio)
{
	uint64_t r = 0;

	if (!(ratio > 0))
		return false;
	if (ratio >= 1)
		return true;
	for (size_t i = OTLP_TRACE_ID_LEN - 7; i < OTLP_TRACE_ID_LEN; i++)
		r = r << 8 | trace_id[i];
	return r >= (uint64_t)ldexp(1.0 - ratio, 56);
}

/* ---- url.path / url.query ---- */

struct wbuf {
	char p[URL_WORK];
	size_t len;
};

static void wput(struct wbuf *w, const char *s, size_t n)
{
	if (n > sizeof(w->p) - 1 - w->len)
		n = sizeof(w->p) - 1 - w->len;
	memcpy(w->p + w->len, s, n);
	w->len += n;
	w->p[w->len] = '\0';
}

/* Credentials in paths are long runs with digits (keys, tokens, JWT parts);
 * a long word of letters and underscores is a name, not a key. */
static bool looks_secret(const char *s, size_t n)
{
	char tmp[256];
	bool digit = false;

	if (n < 16)
		return false;
	if (n >= sizeof(tmp))
		return true;
	for (size_t i = 0; i < n; i++)
		digit = digit || (s[i] >= '0' && s[i] <= '9');
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	return digit && llm_looks_secret(tmp);
}

static void put_segment(struct wbuf *w, const char *s, size_t n)
{
	if (looks_secret(s, n))
		wput(w, OTLP_REDACTED, strlen(OTLP_REDACTED));
	else
		wput(w, s, n);
}

/* Offset of the path in an absolute-form target (past scheme://authority), else 0. */
static size_t path_start(const char *t, size_t len, bool *no_path)
{
	size_t i;

	*no_path = false;
	if (len >= 7 && !strncasecmp(t, "http://", 7))
		i = 7;
	else if (len >= 8 && !strncasecmp(t, "https://", 8))
		i = 8;
	else
		return 0;
	while (i < len && t[i] != '/' && t[i] != '?' && t[i] != '#')
		i++;
	*no_path = i == len || t[i] != '/';
	return i;
}

static void redact_path(const char *t, size_t len, struct wbuf *w)
{
	size_t i = 0;

	while (i < len) {
		size_t j = i;

		while (j < len && t[j] != '/')
			j++;
		put_segment(w, t + i, j - i);
		if (j < len)
			wput(w, "/", 1);
		i = j + 1;
	}
}

static void redact_query(const char *q, size_t len, struct wbuf *w)
{
	size_t i = 0;

	while (i < len) {
		size_t j = i, k;

		while (j < len && q[j] != '&')
			j++;
		for (k = i; k < j && q[k] != '='; k++)
			;
		if (k > i) {
			if (w->len)
				wput(w, "&", 1);
			put_segment(w, q + i, k - i);
			if (k < j)
				wput(w, "=" OTLP_REDACTED, strlen(OTLP_REDACTED) + 1);
		}
		i = j + 1;
	}
}

static void copy_out(const struct wbuf *w, char *out, size_t outlen)
{
	if (outlen)
		expo_utf8_sanitize(w->p, out, outlen, NULL);
}

void otlp_url_redact(const char *target, size_t len, char *path, size_t pathlen, char *query,
		     size_t querylen)
{
	struct wbuf pw = { .len = 0 }, qw = { .len = 0 };
	bool no_path;
	size_t i, p, f;

	pw.p[0] = qw.p[0] = '\0';
	if (!target)
		len = 0;
	i = path_start(target, len, &no_path);
	for (p = i; p < len && target[p] != '?' && target[p] != '#'; p++)
		;
	if (no_path || p == i)
		wput(&pw, "/", 1);
	else
		redact_path(target + i, p - i, &pw);
	if (p < len && target[p] == '?') {
		for (f = p + 1; f < len && target[f] != '#'; f++)
			;
		redact_query(target + p + 1, f - p - 1, &qw);
	}
	copy_out(&pw, path, pathlen);
	copy_out(&qw, query, querylen);
}
