// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Incremental event splitters for LLM streams (see llm_sse.h). SSE per
 * the WHATWG EventSource grammar: "field: value" lines, ':' comments
 * (OpenRouter's keep-alives), data lines joined with '\n', an event
 * dispatched at the blank line that ends it. The JSON array splitter
 * only tracks nesting and strings; the values are parsed by the caller.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "llm_sse.h"

void llm_splitter__init(struct llm_splitter *s, enum llm_frame kind, size_t max_event)
{
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->max_event = max_event;
}

void llm_splitter__release(struct llm_splitter *s)
{
	if (!s)
		return;
	free(s->dbuf);
	s->dbuf = NULL;
	s->dlen = s->dcap = 0;
}

static int dbuf_put(struct llm_splitter *s, const char *p, size_t n)
{
	if (s->dlen + n + 1 > s->max_event) {
		s->too_big = true;
		return 0;
	}
	if (s->dlen + n + 1 > s->dcap) {
		size_t cap = s->dcap ? s->dcap : 256;
		char *nb;

		while (cap < s->dlen + n + 1)
			cap *= 2;
		nb = realloc(s->dbuf, cap);
		if (!nb)
			return -ENOMEM;
		s->dbuf = nb;
		s->dcap = cap;
	}
	memcpy(s->dbuf + s->dlen, p, n);
	s->dlen += n;
	return 0;
}

static int sse_data_line(struct llm_splitter *s, const char *buf, size_t off, size_t n)
{
	int err;

	if (!s->have_data) {
		s->have_data = true;
		s->d_off = off;
		s->d_len = n;
		if (n > s->max_event)
			s->too_big = true;
		return 0;
	}
	if (!s->multi) { /* second line: from here on the data is joined in dbuf */
		s->multi = true;
		s->dlen = 0;
		err = dbuf_put(s, buf + s->d_off, s->d_len);
		if (err)
			return err;
	}
	err = dbuf_put(s, "\n", 1);
	return err ? err : dbuf_put(s, buf + off, n);
}

static void sse_reset(struct llm_splitter *s)
{
	s->have_data = s->multi = s->too_big = false;
	s->name_len = 0;
	s->dlen = 0;
}

static int sse_dispatch(struct llm_splitter *s, const char *buf, size_t end, llm_event_fn fn,
			void *ctx)
{
	struct llm_event ev = { 0 };
	int rc = 0;

	if (!s->have_data) {
		sse_reset(s);
		return 0;
	}
	if (s->too_big) {
		s->oversized++;
		sse_reset(s);
		return 0;
	}
	ev.name = s->name_len ? s->name : NULL;
	ev.name_len = s->name_len;
	ev.data = s->multi ? s->dbuf : buf + s->d_off;
	ev.len = s->multi ? s->dlen : s->d_len;
	ev.end = end;
	s->events++;
	rc = fn(ctx, &ev);
	sse_reset(s);
	return rc;
}

/* One line without its terminator; end is the offset past the terminator. */
static int sse_line(struct llm_splitter *s, const char *buf, size_t off, size_t n, size_t end,
		    llm_event_fn fn, void *ctx)
{
	const char *l = buf + off, *colon;
	size_t fn_len, v;

	if (n == 0)
		return sse_dispatch(s, buf, end, fn, ctx);
	if (l[0] == ':')
		return 0; /* comment */
	colon = memchr(l, ':', n);
	fn_len = colon ? (size_t)(colon - l) : n;
	v = colon ? fn_len + 1 : n;
	if (v < n && l[v] == ' ')
		v++;
	if (fn_len == 4 && !memcmp(l, "data", 4))
		return sse_data_line(s, buf, off + v, n - v);
	if (fn_len == 5 && !memcmp(l, "event", 5)) {
		s->name_len = n - v < sizeof(s->name) - 1 ? n - v : sizeof(s->name) - 1;
		memcpy(s->name, l + v, s->name_len);
		s->name[s->name_len] = '\0';
	}
	return 0; /* id:, retry:, unknown fields */
}

static int ndjson_line(struct llm_splitter *s, const char *buf, size_t off, size_t n, size_t end,
		       llm_event_fn fn, void *ctx)
{
	struct llm_event ev = { 0 };

	while (n && (buf[off] == ' ' || buf[off] == '\t'))
		off++, n--;
	while (n && (buf[off + n - 1] == ' ' || buf[off + n - 1] == '\t'))
		n--;
	if (n == 0)
		return 0;
	if (n > s->max_event) {
		s->oversized++;
		return 0;
	}
	ev.data = buf + off;
	ev.len = n;
	ev.end = end;
	s->events++;
	return fn(ctx, &ev);
}

static int feed_lines(struct llm_splitter *s, const char *buf, size_t len, llm_event_fn fn,
		      void *ctx, bool sse)
{
	while (s->pos < len) {
		const char *nl = memchr(buf + s->pos, '\n', len - s->pos);
		size_t start = s->line_start, n, end;
		int rc;

		if (!nl) {
			s->pos = len;
			break;
		}
		end = (size_t)(nl - buf) + 1;
		n = end - 1 - start;
		if (n && buf[start + n - 1] == '\r')
			n--;
		s->pos = s->line_start = end;
		rc = sse ? sse_line(s, buf, start, n, end, fn, ctx) :
			   ndjson_line(s, buf, start, n, end, fn, ctx);
		if (rc)
			return rc;
	}
	return 0;
}

static int array_emit(struct llm_splitter *s, const char *buf, size_t i, llm_event_fn fn, void *ctx)
{
	struct llm_event ev = { 0 };

	ev.data = buf + s->el_start - 1;
	ev.len = i + 1 - (s->el_start - 1);
	ev.end = i + 1;
	s->el_start = 0;
	if (ev.len > s->max_event) {
		s->oversized++;
		return 0;
	}
	s->events++;
	return fn(ctx, &ev);
}

/*
 * Elements are the values one level inside a top-level array, or a
 * top-level object itself (an error body sent without the array).
 * el_start holds the element's first offset + 1 (0 = none open).
 */
static int feed_array(struct llm_splitter *s, const char *buf, size_t len, llm_event_fn fn,
		      void *ctx)
{
	while (s->pos < len) {
		size_t i = s->pos++;
		char c = buf[i];
		int elem_depth = s->top_array ? 1 : 0;

		if (s->in_str) {
			if (s->esc)
				s->esc = false;
			else if (c == '\\')
				s->esc = true;
			else if (c == '"')
				s->in_str = false;
		} else if (c == '"') {
			s->in_str = true;
		} else if (c == '{' || c == '[') {
			if (s->depth == 0 && c == '[' && !s->top_array && !s->array_closed) {
				s->top_array = true;
			} else if (!s->el_start && s->depth == elem_depth) {
				s->el_start = i + 1;
			}
			s->depth++;
		} else if ((c == '}' || c == ']') && s->depth > 0) {
			s->depth--;
			if (s->el_start && s->depth == elem_depth) {
				int rc = array_emit(s, buf, i, fn, ctx);

				if (rc)
					return rc;
			} else if (s->depth == 0 && s->top_array) {
				s->array_closed = true;
			}
		}
	}
	return 0;
}

int llm_splitter__feed(struct llm_splitter *s, const char *buf, size_t len, llm_event_fn fn,
		       void *ctx)
{
	switch (s->kind) {
	case LLM_FRAME_SSE:
		return feed_lines(s, buf, len, fn, ctx, true);
	case LLM_FRAME_NDJSON:
		return feed_lines(s, buf, len, fn, ctx, false);
	default:
		return feed_array(s, buf, len, fn, ctx);
	}
}

bool llm_splitter__pending(const struct llm_splitter *s)
{
	switch (s->kind) {
	case LLM_FRAME_SSE:
		return s->have_data || s->pos > s->line_start;
	case LLM_FRAME_NDJSON:
		return s->pos > s->line_start;
	default:
		return s->el_start != 0 || s->in_str || (s->top_array && !s->array_closed);
	}
}

/* Offset just past the first blank line starting at or after from; 0 if none. */
static size_t after_blank_line(const char *buf, size_t from, size_t len)
{
	for (size_t i = from; i < len;) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t j;

		if (!nl)
			return 0;
		j = (size_t)(nl - buf) + 1;
		if (j < len && buf[j] == '\n')
			return j + 1;
		if (j + 1 < len && buf[j] == '\r' && buf[j + 1] == '\n')
			return j + 2;
		i = j;
	}
	return 0;
}

int llm_splitter__resync(struct llm_splitter *s, const char *buf, size_t from, size_t len)
{
	const char *nl;
	size_t at = 0;

	if (from >= len)
		return -1;
	if (s->kind == LLM_FRAME_SSE) {
		sse_reset(s);
		at = after_blank_line(buf, from, len);
	} else if (s->kind == LLM_FRAME_NDJSON && (nl = memchr(buf + from, '\n', len - from))) {
		at = (size_t)(nl - buf) + 1;
	}
	if (!at)
		return -1;
	s->pos = s->line_start = at;
	return 0;
}

int llm_splitter__finish(struct llm_splitter *s, const char *buf, size_t len, llm_event_fn fn,
			 void *ctx)
{
	int rc = llm_splitter__feed(s, buf, len, fn, ctx);
	size_t start = s->line_start;

	if (rc || s->kind != LLM_FRAME_NDJSON || start >= len)
		return rc;
	s->line_start = s->pos = len;
	return ndjson_line(s, buf, start, len - start, len, fn, ctx);
}

/* Index of the '"' closing the string whose body starts at i, or n if none. */
static size_t string_end(const char *s, size_t i, size_t n)
{
	while (i < n) {
		const char *q = memchr(s + i, '"', n - i);
		size_t j, bs = 0;

		if (!q)
			return n;
		j = (size_t)(q - s);
		while (j - bs > i && s[j - bs - 1] == '\\')
			bs++;
		if (!(bs & 1))
			return j;
		i = j + 1;
	}
	return n;
}

int llm_json_shrink(const char *in, size_t n, size_t max_str, char **out, size_t *outlen)
{
	char *o = malloc(n + 1);
	size_t i = 0, k = 0;

	if (!o)
		return -ENOMEM;
	while (i < n) {
		const char *q = memchr(in + i, '"', n - i);
		size_t seg = q ? (size_t)(q - in) - i : n - i, e;

		memcpy(o + k, in + i, seg); /* structure, numbers, literals */
		k += seg;
		i += seg;
		if (!q)
			break;
		e = string_end(in, i + 1, n);
		if (e < n && e - i - 1 > max_str) {
			o[k++] = '"';
			o[k++] = '"';
		} else {
			memcpy(o + k, in + i, e - i + (e < n));
			k += e - i + (e < n);
		}
		i = e + 1;
	}
	o[k] = '\0';
	*out = o;
	*outlen = k;
	return 0;
}
