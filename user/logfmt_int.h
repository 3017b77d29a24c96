/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Internal to logfmt.c (parsing, plain JSON and text), logfmt_ecs.c (the
 * ECS renderer) and logfmt_redact.c (redaction): the bounded output buffer
 * and the ASCII character classes all three write and scan with, and the
 * few calls one makes into another. Nothing outside logfmt includes this.
 */
#ifndef BT_LOGFMT_INT_H
#define BT_LOGFMT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "logfmt.h"

/* ---- bounded output ---- */

/* Appends up to cap - 1 bytes; one byte stays for the NUL. */
struct wbuf {
	char *p;
	size_t len, cap;
	bool cut;
};

static inline bool put(struct wbuf *w, const char *s, size_t n)
{
	if (w->len + n >= w->cap) {
		w->cut = true;
		return false;
	}
	memcpy(w->p + w->len, s, n);
	w->len += n;
	w->p[w->len] = '\0';
	return true;
}

static inline bool puts_(struct wbuf *w, const char *s)
{
	return put(w, s, strlen(s));
}

/* ---- character classes (ASCII only: locale must not change what is a secret) ---- */

static inline bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static inline bool is_upper(unsigned char c)
{
	return c >= 'A' && c <= 'Z';
}

static inline bool is_lower(unsigned char c)
{
	return c >= 'a' && c <= 'z';
}

static inline bool is_alpha(unsigned char c)
{
	return is_upper(c) || is_lower(c);
}

static inline bool is_alnum(unsigned char c)
{
	return is_digit(c) || is_upper(c) || is_lower(c);
}

static inline bool is_hex(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static inline bool is_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Characters of a key or a header name. */
static inline bool is_name(unsigned char c)
{
	return is_alnum(c) || c == '_' || c == '.' || c == '-';
}

/* Characters of a token body (sk-..., ghp_...). */
static inline bool is_body(unsigned char c)
{
	return is_alnum(c) || c == '_' || c == '-';
}

/* Characters of a base64/base64url/hex run; '/' splits pieces. */
static inline bool is_run(unsigned char c)
{
	return is_body(c) || c == '+' || c == '/';
}

static inline unsigned char lower(unsigned char c)
{
	return is_upper(c) ? (unsigned char)(c + 32) : c;
}

static inline size_t span(const char *s, size_t n, size_t i, bool (*cls)(unsigned char))
{
	size_t j = i;

	while (j < n && cls((unsigned char)s[j]))
		j++;
	return j - i;
}

static inline size_t span_nonspace(const char *s, size_t n, size_t i)
{
	size_t j = i;

	while (j < n && !is_space((unsigned char)s[j]))
		j++;
	return j - i;
}

static inline size_t span_spaces(const char *s, size_t n, size_t i)
{
	return span(s, n, i, is_space);
}

/* Room kept for what closes a line: "}" ",\"truncated\":true" "}\n". */
#define CLOSE_RESERVE 32

/* ---- logfmt.c ---- */

/* Length of a valid UTF-8 sequence at s[0..n) (RFC 3629), or 0. */
size_t logfmt_utf8_len(const unsigned char *s, size_t n);

/* One character of s[0..n) escaped into esc (*elen bytes); returns bytes of s used. */
typedef size_t (*char_fn)(const char *s, size_t n, bool quoted, char esc[8], size_t *elen);
/* As JSON string content (quoted is ignored). */
size_t logfmt_json_char_fn(const char *s, size_t n, bool quoted, char esc[8], size_t *elen);

/* Escaped s[0..n), stopping before limit (an offset in w); false when cut. */
bool logfmt_put_escaped_n(struct wbuf *w, const char *s, size_t n, size_t limit, char_fn fn,
			  bool quoted);

static inline bool put_escaped(struct wbuf *w, const char *s, size_t limit, char_fn fn, bool quoted)
{
	return logfmt_put_escaped_n(w, s, strlen(s), limit, fn, quoted);
}

/* ---- logfmt_redact.c ---- */

/* s[0..n) contains needle (lowercase ASCII), case-insensitively. */
bool logfmt_has_ci(const char *s, size_t n, const char *needle);
/* An HTTP auth scheme (bearer, basic, ...): the credential is the word after it. */
bool logfmt_auth_scheme(const char *s, size_t n);
/* A key that redaction would change (key-shaped itself) must not reach output as a key. */
bool logfmt_key_clean(const char *k, size_t n);

#endif
