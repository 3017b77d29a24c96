// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Redaction of log text. It lives before any output or store, because a
 * secret that reached a line has already leaked, and it errs towards
 * hiding: a hex hash or a random-looking id is redacted too. logfmt.c runs
 * it on every word and value it parses (and logfmt_ecs.c on the names it
 * makes), so it never allocates and its character classes are ASCII only:
 * the locale must not change what is a secret.
 */
#include "logfmt_int.h"

#include <string.h>

/* s[0..n) contains needle (lowercase ASCII), case-insensitively. */
bool logfmt_has_ci(const char *s, size_t n, const char *needle)
{
	size_t k = strlen(needle);

	for (size_t i = 0; i + k <= n; i++) {
		size_t j = 0;

		while (j < k && lower((unsigned char)s[i + j]) == (unsigned char)needle[j])
			j++;
		if (j == k)
			return true;
	}
	return false;
}

static bool eq_ci(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && logfmt_has_ci(s, n, word);
}

bool logfmt_secret_key(const char *key, size_t len)
{
	static const char *const parts[] = { "authorization", "cookie",	    "api-key",
					     "api_key",	      "apikey",	    "password",
					     "passwd",	      "secret",	    "credential",
					     "private-key",   "private_key" };

	if (!key)
		return false;
	for (size_t i = 0; i < sizeof(parts) / sizeof(*parts); i++) {
		if (logfmt_has_ci(key, len, parts[i]))
			return true;
	}
	/* access_token, x-auth-token, csrftoken; not "tokens" or "token_type" */
	return len >= 5 && eq_ci(key + len - 5, 5, "token");
}

/* An HTTP auth scheme: the credential is the word after it. */
bool logfmt_auth_scheme(const char *s, size_t n)
{
	static const char *const schemes[] = { "bearer", "basic",     "digest",
					       "token",	 "negotiate", "ntlm" };

	for (size_t i = 0; i < sizeof(schemes) / sizeof(*schemes); i++) {
		if (eq_ci(s, n, schemes[i]))
			return true;
	}
	return false;
}

/* Where an unquoted secret value ends. */
static bool value_end(unsigned char c)
{
	return is_space(c) || strchr("&;,\"'})]<>", c) != NULL;
}

/* A byte range to replace once the scan reaches it. */
struct range {
	size_t from, to;
};

#define PENDING_MAX 4

struct redactor {
	const char *in;
	size_t n;
	struct wbuf *w;
	struct range pend[PENDING_MAX];
	size_t n_pend;
};

static void add_pending(struct redactor *r, size_t from, size_t to)
{
	if (from >= to)
		return;
	if (r->n_pend == PENDING_MAX) { /* cannot happen with today's rules; stay safe */
		r->pend[0].to = r->pend[0].to > to ? r->pend[0].to : to;
		return;
	}
	r->pend[r->n_pend++] = (struct range){ from, to };
}

/* A pending range at or around i: emit the marker once and return its end, or i. */
static size_t take_pending(struct redactor *r, size_t i)
{
	size_t end = i;

	for (size_t k = 0; k < r->n_pend;) {
		if (r->pend[k].from <= i) {
			if (r->pend[k].to > end)
				end = r->pend[k].to;
			r->pend[k] = r->pend[--r->n_pend];
			continue;
		}
		k++;
	}
	if (end > i)
		puts_(r->w, LOGFMT_REDACTED);
	return end;
}

/*
 * scheme://user:password@host: the password becomes pending. Called at
 * "://"; the user part is still scanned by the other rules.
 */
static void rule_userinfo(struct redactor *r, size_t i)
{
	size_t a = i + 3, end = a, at = 0, colon = 0;

	while (end < r->n && !is_space((unsigned char)r->in[end]) &&
	       !strchr("/?#\"'<>", r->in[end]))
		end++;
	for (size_t j = a; j < end; j++) {
		if (r->in[j] == '@')
			at = j;
	}
	for (size_t j = a; at && j < at && !colon; j++) {
		if (r->in[j] == ':')
			colon = j;
	}
	if (at && colon)
		add_pending(r, colon + 1, at);
}

/* Value of a secret-named key at v: the range to redact (to == from: none). */
static struct range secret_value(const char *s, size_t n, size_t v, bool cookie, bool colon)
{
	size_t e = v, w;

	if (v < n && (s[v] == '"' || s[v] == '\'')) {
		const char *q = memchr(s + v + 1, s[v], n - v - 1);

		return (struct range){ v + 1, q ? (size_t)(q - s) : n };
	}
	if (cookie && colon) { /* Cookie: a=1; b=2 -- the whole header value */
		while (e < n && s[e] != '\n' && s[e] != '"')
			e++;
		return (struct range){ v, e };
	}
	while (e < n && !value_end((unsigned char)s[e]))
		e++;
	/* "Bearer <credential>", "Bearer Bearer <credential>": the credential too */
	for (size_t w0 = v; logfmt_auth_scheme(s + w0, e - w0);) {
		w = e + span_spaces(s, n, e);
		if (w == e || w >= n)
			break;
		for (w0 = e = w; e < n && !value_end((unsigned char)s[e]); e++)
			;
	}
	return (struct range){ v, e };
}

/*
 * name=value, name: value, "name":"value" where name reads like a secret
 * (at a name boundary): the value becomes pending.
 */
static void rule_assign(struct redactor *r, size_t i)
{
	const char *s = r->in;
	size_t k = span(s, r->n, i, is_name), j = i + k;
	bool colon;
	struct range v;

	if (!k || k > LOGFMT_KEY_MAX || !logfmt_secret_key(s + i, k))
		return;
	if (j < r->n && (s[j] == '"' || s[j] == '\''))
		j++;
	j += span_spaces(s, r->n, j);
	if (j >= r->n || (s[j] != '=' && s[j] != ':'))
		return;
	colon = s[j] == ':';
	j++;
	j += span_spaces(s, r->n, j);
	v = secret_value(s, r->n, j, logfmt_has_ci(s + i, k, "cookie"), colon);
	add_pending(r, v.from, v.to);
}

/* "Bearer <token>", "Basic <credentials>": the bytes to replace after the scheme, or 0. */
static size_t rule_scheme(const char *s, size_t n, size_t i, size_t *keep)
{
	size_t k = span(s, n, i, is_alnum), sp, t, letters;

	if (k != 5 && k != 6)
		return 0;
	sp = span_spaces(s, n, i + k);
	if (!sp)
		return 0;
	t = span_nonspace(s, n, i + k + sp);
	letters = span(s, n, i + k + sp, is_alpha);
	*keep = k + sp;
	/* the header spelling: whatever follows is a credential ("Bearer Bearer x": both) */
	if (k == 6 && !memcmp(s + i, "Bearer", 6) && t) {
		size_t j = i + k + sp + t, more = span_spaces(s, n, j);

		while (logfmt_auth_scheme(s + j - t, t) && more && j + more < n) {
			t = span_nonspace(s, n, j + more);
			j += more + t;
			more = span_spaces(s, n, j);
		}
		return j - (i + k + sp);
	}
	/* prose ("bearer token", "basic check"): only what looks like a credential */
	if ((eq_ci(s + i, k, "bearer") || eq_ci(s + i, k, "basic")) && t >= 8 &&
	    (letters < t || t >= 20))
		return t;
	return 0;
}

struct prefix {
	const char *p;
	size_t min_body;
	bool mixed; /* body must hold a digit or an upper-case letter (not a word) */
};

static const struct prefix prefixes[] = {
	{ "sk-", 16, true },	      { "sk_", 16, true },     { "rk_", 16, true },
	{ "AIza", 16, false },	      { "ghp_", 16, false },   { "gho_", 16, false },
	{ "ghu_", 16, false },	      { "ghs_", 16, false },   { "ghr_", 16, false },
	{ "github_pat_", 16, false }, { "glpat-", 16, false }, { "xoxb-", 8, false },
	{ "xoxa-", 8, false },	      { "xoxp-", 8, false },   { "xoxr-", 8, false },
	{ "xoxs-", 8, false },	      { "hf_", 24, true },     { "eyJ", 16, false },
	{ "ya29.", 16, false },
};

/* AKIA/ASIA + 16 of [A-Z0-9], a whole word. */
static size_t aws_key(const char *s, size_t n, size_t i)
{
	size_t j;

	if (n - i < 20 || (memcmp(s + i, "AKIA", 4) && memcmp(s + i, "ASIA", 4)))
		return 0;
	for (j = i + 4; j < i + 20; j++) {
		if (!is_upper((unsigned char)s[j]) && !is_digit((unsigned char)s[j]))
			return 0;
	}
	return j < n && is_alnum((unsigned char)s[j]) ? 0 : 20;
}

/* A vendor-shaped key at i (an alphanumeric boundary): its length, or 0. */
static size_t rule_prefix(const char *s, size_t n, size_t i)
{
	size_t k = aws_key(s, n, i);

	if (k)
		return k;
	for (size_t p = 0; p < sizeof(prefixes) / sizeof(*prefixes); p++) {
		size_t pl = strlen(prefixes[p].p), body, mixed = 0;

		if (n - i < pl || memcmp(s + i, prefixes[p].p, pl))
			continue;
		body = span(s, n, i + pl, is_body);
		for (size_t j = i + pl; j < i + pl + body; j++)
			mixed += is_digit((unsigned char)s[j]) || is_upper((unsigned char)s[j]);
		if (body >= prefixes[p].min_body && (!prefixes[p].mixed || mixed))
			return pl + body;
	}
	return 0;
}

/* Random-looking: letters and digits, and the class (upper, lower, digit) changes often. */
static bool random_run(const char *s, size_t n)
{
	size_t alnum = 0, digits = 0, changes = 0;
	int prev = -1;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		int cls = is_digit(c) ? 0 : is_upper(c) ? 1 : is_lower(c) ? 2 : -1;

		if (cls < 0) {
			prev = -1;
			continue;
		}
		alnum++;
		digits += cls == 0;
		changes += prev >= 0 && prev != cls;
		prev = cls;
	}
	return alnum >= 32 && digits && digits < alnum && changes * 4 >= alnum;
}

static bool hex_within(const char *s, size_t n)
{
	for (size_t i = 0, run = 0; i < n; i++) {
		run = is_hex((unsigned char)s[i]) ? run + 1 : 0;
		if (run >= 32)
			return true;
	}
	return false;
}

/* A piece (no '/') at i: its length with '=' padding when it is a secret, else 0. */
static size_t secret_piece(const char *s, size_t n, size_t i)
{
	size_t k = span(s, n, i, is_body);

	while (i + k < n && s[i + k] == '+')
		k += 1 + span(s, n, i + k + 1, is_body);
	if (k < 32 || !(hex_within(s + i, k) || random_run(s + i, k)))
		return 0;
	for (size_t pad = 0; pad < 2 && i + k < n && s[i + k] == '='; pad++)
		k++;
	return k;
}

/* A run with '/' (standard base64) at i, not a path: every piece random-ish. */
static size_t secret_slashed(const char *s, size_t n, size_t i)
{
	size_t k = span(s, n, i, is_run), word = 0;

	if (k < 32 || !memchr(s + i, '/', k) || !random_run(s + i, k))
		return 0;
	for (size_t j = i; j < i + k; j++) { /* a lower-case word is a path segment */
		word = is_lower((unsigned char)s[j]) ? word + 1 : 0;
		if (word >= 6)
			return 0;
	}
	for (size_t pad = 0; pad < 2 && i + k < n && s[i + k] == '='; pad++)
		k++;
	return k;
}

/*
 * The rules that replace a span starting at i: its length, or 0 (after *keep bytes kept).
 * prev: the byte before i, or ' ' at the start and right after a redaction, so what
 * follows one is judged on its own (a key glued to another cannot hide behind it).
 */
static size_t rule_span(const char *s, size_t n, size_t i, unsigned char prev, size_t *keep)
{
	size_t k;

	*keep = 0;
	if (!is_alnum(prev) && (k = rule_scheme(s, n, i, keep)))
		return k;
	*keep = 0;
	if (!is_alnum(prev) && (k = rule_prefix(s, n, i)))
		return k;
	if (is_run((unsigned char)s[i]) && s[i] != '/' && !is_run(prev) &&
	    (k = secret_slashed(s, n, i)))
		return k;
	if (is_body((unsigned char)s[i]) && (!is_run(prev) || prev == '/' || prev == '+'))
		return secret_piece(s, n, i);
	return 0;
}

/* One character, whole or not at all; invalid UTF-8 becomes U+FFFD, so every string
 * parsed is valid UTF-8 (JSON encoders and SQLite readers rely on it). Bytes of in used. */
static size_t put_char(struct wbuf *w, const char *in, size_t n)
{
	size_t k = logfmt_utf8_len((const unsigned char *)in, n);

	if (!k) {
		put(w, "\xef\xbf\xbd", 3);
		return 1;
	}
	put(w, in, k);
	return k;
}

size_t logfmt_redact(const char *in, size_t len, char *out, size_t outlen, bool *cut)
{
	struct wbuf w = { out, 0, outlen, false };
	struct redactor r = { in, len, &w, { { 0, 0 } }, 0 };
	size_t i = 0, keep, k, mark = 0; /* mark: where the last redaction ended */
	unsigned char prev;

	if (!outlen)
		return 0;
	out[0] = '\0';
	while (i < len && !w.cut) {
		size_t j = take_pending(&r, i);

		if (j != i) {
			i = mark = j;
			continue;
		}
		prev = i == mark ? ' ' : (unsigned char)in[i - 1];
		if (len - i >= 3 && !memcmp(in + i, "://", 3))
			rule_userinfo(&r, i);
		if (!is_name(prev))
			rule_assign(&r, i);
		k = rule_span(in, len, i, prev, &keep);
		if (k) {
			put(&w, in + i, keep);
			puts_(&w, LOGFMT_REDACTED);
			i = mark = i + keep + k;
			continue;
		}
		i += put_char(&w, in + i, len - i);
	}
	take_pending(&r, len); /* a value that ran to the end */
	if (cut)
		*cut = w.cut;
	return w.len;
}

/* A key that redaction would change (key-shaped itself) must not reach output as a key. */
bool logfmt_key_clean(const char *k, size_t n)
{
	char out[LOGFMT_KEY_MAX + 1];

	return logfmt_redact(k, n, out, sizeof(out), NULL) == n && !memcmp(out, k, n);
}
