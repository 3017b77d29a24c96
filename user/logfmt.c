// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Log message parsing, redaction and rendering. Sixty call sites write
 * "words key=value" by printf; this turns that into fields a log shipper
 * can index without touching them. Redaction lives here, before any
 * output or store, because a secret that reached a line has already
 * leaked. It errs towards hiding: a hex hash or a random-looking id is
 * redacted too. Runs on every log call, so it never allocates and every
 * buffer is the caller's and bounded.
 */
#include "logfmt.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const level_names[] = { "debug", "info", "warn", "error" };
static const char *const category_names[LOGC__COUNT] = {
	[LOGC_SYSTEM] = "system",     [LOGC_SECURITY] = "security",
	[LOGC_BUSINESS] = "business", [LOGC_PERFORMANCE] = "performance",
	[LOGC_AUDIT] = "audit",
};

const char *logfmt_level_name(enum log_level l)
{
	return (unsigned)l < sizeof(level_names) / sizeof(*level_names) ? level_names[l] :
									  "unknown";
}

const char *logfmt_category_name(enum log_category c)
{
	return (unsigned)c < LOGC__COUNT ? category_names[c] : "unknown";
}

int logfmt_level_parse(const char *s, enum log_level *out)
{
	for (unsigned i = 0; s && i < sizeof(level_names) / sizeof(*level_names); i++) {
		if (!strcmp(s, level_names[i])) {
			if (out)
				*out = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

int logfmt_category_parse(const char *s, enum log_category *out)
{
	for (unsigned i = 0; s && i < LOGC__COUNT; i++) {
		if (!strcmp(s, category_names[i])) {
			if (out)
				*out = (enum log_category)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* ---- bounded output ---- */

/* Appends up to cap - 1 bytes; one byte stays for the NUL. */
struct wbuf {
	char *p;
	size_t len, cap;
	bool cut;
};

static bool put(struct wbuf *w, const char *s, size_t n)
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

static bool puts_(struct wbuf *w, const char *s)
{
	return put(w, s, strlen(s));
}

/* ---- character classes (ASCII only: locale must not change what is a secret) ---- */

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool is_upper(unsigned char c)
{
	return c >= 'A' && c <= 'Z';
}

static bool is_lower(unsigned char c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_alpha(unsigned char c)
{
	return is_upper(c) || is_lower(c);
}

static bool is_alnum(unsigned char c)
{
	return is_digit(c) || is_upper(c) || is_lower(c);
}

static bool is_hex(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Characters of a key or a header name. */
static bool is_name(unsigned char c)
{
	return is_alnum(c) || c == '_' || c == '.' || c == '-';
}

/* Characters of a token body (sk-..., ghp_...). */
static bool is_body(unsigned char c)
{
	return is_alnum(c) || c == '_' || c == '-';
}

/* Characters of a base64/base64url/hex run; '/' splits pieces. */
static bool is_run(unsigned char c)
{
	return is_body(c) || c == '+' || c == '/';
}

static unsigned char lower(unsigned char c)
{
	return is_upper(c) ? (unsigned char)(c + 32) : c;
}

/* s[0..n) contains needle (lowercase ASCII), case-insensitively. */
static bool has_ci(const char *s, size_t n, const char *needle)
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
	return strlen(word) == n && has_ci(s, n, word);
}

/* ---- redaction ---- */

bool logfmt_secret_key(const char *key, size_t len)
{
	static const char *const parts[] = { "authorization", "cookie",	    "api-key",
					     "api_key",	      "apikey",	    "password",
					     "passwd",	      "secret",	    "credential",
					     "private-key",   "private_key" };

	if (!key)
		return false;
	for (size_t i = 0; i < sizeof(parts) / sizeof(*parts); i++) {
		if (has_ci(key, len, parts[i]))
			return true;
	}
	/* access_token, x-auth-token, csrftoken; not "tokens" or "token_type" */
	return len >= 5 && eq_ci(key + len - 5, 5, "token");
}

/* An HTTP auth scheme: the credential is the word after it. */
static bool auth_scheme(const char *s, size_t n)
{
	static const char *const schemes[] = { "bearer", "basic",     "digest",
					       "token",	 "negotiate", "ntlm" };

	for (size_t i = 0; i < sizeof(schemes) / sizeof(*schemes); i++) {
		if (eq_ci(s, n, schemes[i]))
			return true;
	}
	return false;
}

static size_t span(const char *s, size_t n, size_t i, bool (*cls)(unsigned char))
{
	size_t j = i;

	while (j < n && cls((unsigned char)s[j]))
		j++;
	return j - i;
}

static size_t span_nonspace(const char *s, size_t n, size_t i)
{
	size_t j = i;

	while (j < n && !is_space((unsigned char)s[j]))
		j++;
	return j - i;
}

static size_t span_spaces(const char *s, size_t n, size_t i)
{
	return span(s, n, i, is_space);
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
	for (size_t w0 = v; auth_scheme(s + w0, e - w0);) {
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
	v = secret_value(s, r->n, j, has_ci(s + i, k, "cookie"), colon);
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

		while (auth_scheme(s + j - t, t) && more && j + more < n) {
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

static size_t utf8_len(const unsigned char *s, size_t n);

/* One character, whole or not at all; invalid UTF-8 becomes U+FFFD, so every string
 * parsed is valid UTF-8 (JSON encoders and SQLite readers rely on it). Bytes of in used. */
static size_t put_char(struct wbuf *w, const char *in, size_t n)
{
	size_t k = utf8_len((const unsigned char *)in, n);

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

/* ---- parsing ---- */

struct tok {
	const char *p; /* raw token */
	size_t n;
	bool field; /* key=value */
	size_t klen;
	const char *v; /* value, still escaped when quoted */
	size_t vlen;
	bool quoted;
};

static bool key_start(unsigned char c)
{
	return is_upper(c) || is_lower(c) || c == '_';
}

/* A "..." string at s[i]: the index after its closing quote (or n), inner span in *in_len. */
static size_t quoted_end(const char *s, size_t n, size_t i, size_t *in_len)
{
	size_t j = i + 1;

	while (j < n && s[j] != '"')
		j += s[j] == '\\' && j + 1 < n ? 2 : 1;
	*in_len = (j < n ? j : n) - (i + 1);
	return j < n ? j + 1 : n;
}

/* The token starting at or after i; false at the end. */
static bool next_tok(const char *s, size_t n, size_t *i, struct tok *t)
{
	size_t j = *i + span_spaces(s, n, *i), k, e;

	if (j >= n)
		return false;
	memset(t, 0, sizeof(*t));
	t->p = s + j;
	k = key_start((unsigned char)s[j]) ? span(s, n, j, is_name) : 0;
	if (k && k <= LOGFMT_KEY_MAX && j + k < n && s[j + k] == '=') {
		t->field = true;
		t->klen = k;
		t->v = s + j + k + 1;
		if (j + k + 1 < n && s[j + k + 1] == '"') {
			t->quoted = true;
			e = quoted_end(s, n, j + k + 1, &t->vlen);
			t->v++;
		} else {
			e = j + k + 1 + span_nonspace(s, n, j + k + 1);
			t->vlen = e - (j + k + 1);
		}
	} else if (s[j] == '"') {
		t->quoted = true;
		e = quoted_end(s, n, j, &t->vlen);
		t->v = s + j + 1;
	} else {
		e = j + span_nonspace(s, n, j);
		t->v = t->p;
		t->vlen = e - j;
	}
	t->n = e - j;
	*i = e;
	return true;
}

/* Unescapes a quoted value (\" \\ \n \t \r; other escapes stay as written). */
static void unescape(const char *s, size_t n, struct wbuf *w)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '\\' && i + 1 < n && strchr("\"\\ntr", s[i + 1])) {
			i++;
			c = s[i] == 'n' ? '\n' : s[i] == 't' ? '\t' : s[i] == 'r' ? '\r' : s[i];
		}
		put(w, &c, 1);
	}
}

/* A word that hands the next token(s) to the message: Authorization:, Cookie:, Bearer. */
static int introduces(const struct tok *t)
{
	if (t->field || t->quoted)
		return 0;
	if (t->n > 1 && t->p[t->n - 1] == ':' && logfmt_secret_key(t->p, t->n - 1))
		return has_ci(t->p, t->n, "cookie") ? -1 : 1; /* -1: the rest of the line */
	if ((t->n == 6 && (!memcmp(t->p, "Bearer", 6) || !memcmp(t->p, "bearer", 6))) ||
	    (t->n == 5 && !memcmp(t->p, "Basic", 5)))
		return 1;
	return 0;
}

/* What pass 1 decided for each token. */
enum tok_use { USE_FIELD, USE_WORD, USE_DROPPED };

struct parse {
	const char *s;
	size_t n;
	struct log_entry *e;
	struct wbuf arena;
	bool cut;
	size_t n_keys;
	struct {
		const char *p;
		size_t n;
	} keys[LOG_FIELDS_MAX];
};

static bool key_seen(const struct parse *ps, const char *k, size_t n)
{
	for (size_t i = 0; i < ps->n_keys; i++) {
		if (ps->keys[i].n == n && !memcmp(ps->keys[i].p, k, n))
			return true;
	}
	return false;
}

/* A key that redaction would change (key-shaped itself) must not reach output as a key. */
static bool key_clean(const char *k, size_t n)
{
	char out[LOGFMT_KEY_MAX + 1];

	return logfmt_redact(k, n, out, sizeof(out), NULL) == n && !memcmp(out, k, n);
}

/* Field, word of the message, or dropped (one field too many). */
static enum tok_use token_use(struct parse *ps, const struct tok *t, bool claimed)
{
	/* a repeated key stays visible as text; a secret-shaped one is redacted as text */
	if (!t->field || claimed || key_seen(ps, t->p, t->klen) || !key_clean(t->p, t->klen))
		return USE_WORD;
	if (ps->n_keys == LOG_FIELDS_MAX) {
		ps->cut = true;
		return USE_DROPPED;
	}
	ps->keys[ps->n_keys].p = t->p;
	ps->keys[ps->n_keys++].n = t->klen;
	return USE_FIELD;
}

/*
 * Pass 1: every token that does not become a field, joined by one space,
 * into scratch; then redacted as one text so "Bearer x" and "Cookie: a=b"
 * are seen whole. Records each token's use, in order.
 */
static void gather_words(struct parse *ps, struct wbuf *scratch, uint8_t *use, size_t max_tok)
{
	struct tok t;
	size_t i = 0, idx = 0;
	int claim = 0; /* tokens still handed to the message; -1: all */
	bool any = false;

	while (idx < max_tok && next_tok(ps->s, ps->n, &i, &t)) {
		bool claimed = claim != 0;
		enum tok_use u = token_use(ps, &t, claimed);

		if (claim > 0)
			claim--;
		/* "Authorization: Bearer x", "Bearer Bearer x": the credential follows the scheme */
		if (claimed && !claim && !t.field && !t.quoted && auth_scheme(t.p, t.n))
			claim = 1;
		else if (!claimed)
			claim = introduces(&t);
		use[idx++] = (uint8_t)u;
		if (u != USE_WORD)
			continue;
		if (any)
			put(scratch, " ", 1);
		any = true;
		if (t.quoted && !t.field)
			unescape(t.v, t.vlen, scratch);
		else
			put(scratch, t.p, t.n);
	}
	if (idx == max_tok && next_tok(ps->s, ps->n, &i, &t))
		ps->cut = true;
}

/* Copies k[0..n) as a NUL-terminated string into the arena; NULL when full. */
static const char *arena_str(struct wbuf *a, const char *k, size_t n)
{
	size_t at = a->len;

	if (a->len + n + 1 > a->cap) {
		a->cut = true;
		return NULL;
	}
	memcpy(a->p + at, k, n);
	a->p[at + n] = '\0';
	a->len += n + 1;
	return a->p + at;
}

/* Redacts text into the arena as a NUL-terminated string (cut to fit); NULL when full. */
static const char *arena_redact(struct wbuf *a, const char *s, size_t n)
{
	size_t at = a->len, got;
	bool cut = false;

	if (a->cap - a->len < 2) {
		a->cut = true;
		return NULL;
	}
	got = logfmt_redact(s, n, a->p + at, a->cap - at, &cut);
	a->len += got + 1;
	a->cut |= cut;
	return a->p + at;
}

/* One field's key and redacted value into the arena; false when it does not fit. */
static bool fill_field(struct parse *ps, struct log_field *f, const struct tok *t)
{
	char tmp[LOG_MSG_MAX];
	struct wbuf u = { tmp, 0, sizeof(tmp), false };
	const char *key, *val;

	tmp[0] = '\0';
	if (t->quoted)
		unescape(t->v, t->vlen, &u);
	else
		put(&u, t->v, t->vlen);
	key = arena_str(&ps->arena, t->p, t->klen);
	if (!key)
		return false;
	if (logfmt_secret_key(t->p, t->klen))
		val = arena_str(&ps->arena, LOGFMT_REDACTED, strlen(LOGFMT_REDACTED));
	else
		val = arena_redact(&ps->arena, tmp, u.len);
	if (!val)
		return false;
	f->key = key;
	f->value = val;
	f->quoted = t->quoted;
	return true;
}

/* Pass 2: the fields, values redacted, into the arena after the message. */
static void fill_fields(struct parse *ps, const uint8_t *use, size_t max_tok)
{
	struct tok t;
	size_t i = 0, idx = 0;
	struct log_entry *e = ps->e;

	while (idx < max_tok && next_tok(ps->s, ps->n, &i, &t)) {
		if (use[idx++] != USE_FIELD || e->n_fields == LOG_FIELDS_MAX)
			continue;
		if (fill_field(ps, &e->fields[e->n_fields], &t))
			e->n_fields++;
	}
}

/* Bytes up to the last white space (0 without one): what a cut leaves whole. */
static size_t last_space(const char *s, size_t n)
{
	while (n && !is_space((unsigned char)s[n - 1]))
		n--;
	return n;
}

/* Tokens in LOG_MSG_MAX bytes: each takes a byte and a separator. */
#define MAX_TOKENS (LOG_MSG_MAX / 2 + 1)

int logfmt_parse(const char *msg, size_t len, struct log_entry *e, char *arena, size_t arena_len)
{
	char scratch[LOG_MSG_MAX];
	uint8_t use[MAX_TOKENS];
	struct wbuf sw = { scratch, 0, sizeof(scratch), false };
	struct parse ps = { .s = msg, .n = len, .e = e, .arena = { arena, 0, arena_len, false } };
	const char *m;

	if (!msg || !e || !arena || !arena_len)
		return -EINVAL;
	if (len > LOG_MSG_MAX - 1) {
		ps.n = LOG_MSG_MAX - 1;
		ps.cut = true;
	}
	if (ps.cut || e->truncated) /* a cut token may be a secret's stub: drop it whole */
		ps.n = last_space(msg, ps.n);
	e->n_fields = 0;
	scratch[0] = '\0';
	gather_words(&ps, &sw, use, MAX_TOKENS);
	m = arena_redact(&ps.arena, scratch, sw.len);
	e->message = m ? m : "";
	fill_fields(&ps, use, MAX_TOKENS);
	e->truncated = e->truncated || ps.cut || sw.cut || ps.arena.cut;
	return 0;
}

/* ---- rendering ---- */

/* Length of a valid UTF-8 sequence at s[0..n) (RFC 3629), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t k;
	uint32_t cp, min;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		k = 2, cp = s[0] & 0x1f, min = 0x80;
	else if ((s[0] & 0xf0) == 0xe0)
		k = 3, cp = s[0] & 0x0f, min = 0x800;
	else if ((s[0] & 0xf8) == 0xf0)
		k = 4, cp = s[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (k > n)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	return cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ? 0 : k;
}

/* One character of s as JSON string content into esc; returns bytes of s used. */
static size_t json_char(const char *s, size_t n, char esc[8], size_t *elen)
{
	unsigned char c = (unsigned char)s[0];
	size_t k = utf8_len((const unsigned char *)s, n);

	if (!k) {
		memcpy(esc, "\\ufffd", 6);
		*elen = 6;
		return 1;
	}
	if (c == '"' || c == '\\') {
		esc[0] = '\\';
		esc[1] = (char)c;
		*elen = 2;
	} else if (c < 0x20 || c == 0x7f) {
		*elen = (size_t)snprintf(esc, 8, "\\u%04x", c);
	} else {
		memcpy(esc, s, k);
		*elen = k;
	}
	return k;
}

/* One character for the text format; quoted: inside "...". */
static size_t text_char(const char *s, size_t n, bool quoted, char esc[8], size_t *elen)
{
	unsigned char c = (unsigned char)s[0];
	size_t k = utf8_len((const unsigned char *)s, n);
	const char *named = c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r" : NULL;

	if (!k || (c < 0x20 && !named) || c == 0x7f) {
		*elen = (size_t)snprintf(esc, 8, "\\x%02x", c);
		return 1;
	}
	if (named) {
		memcpy(esc, named, 2);
		*elen = 2;
	} else if (quoted && (c == '"' || c == '\\')) {
		esc[0] = '\\';
		esc[1] = (char)c;
		*elen = 2;
	} else {
		memcpy(esc, s, k);
		*elen = k;
	}
	return k;
}

typedef size_t (*char_fn)(const char *s, size_t n, bool quoted, char esc[8], size_t *elen);

static size_t json_char_fn(const char *s, size_t n, bool quoted, char esc[8], size_t *elen)
{
	(void)quoted;
	return json_char(s, n, esc, elen);
}

/* Escaped s, stopping before limit (an offset in w); false when cut. */
static bool put_escaped(struct wbuf *w, const char *s, size_t limit, char_fn fn, bool quoted)
{
	size_t n = strlen(s), i = 0, elen;
	char esc[8];

	while (i < n) {
		size_t used = fn(s + i, n - i, quoted, esc, &elen);

		if (w->len + elen > limit)
			return false;
		put(w, esc, elen);
		i += used;
	}
	return true;
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)? with at most 18 integer digits: safe as a JSON number. */
static bool json_number(const char *s)
{
	size_t n = strlen(s), i = s[0] == '-', d = span(s, n, i, is_digit), f;

	if (!d || d > 18 || (d > 1 && s[i] == '0'))
		return false;
	i += d;
	if (s[i] == '.') {
		f = span(s, n, i + 1, is_digit);
		if (!f || f > 17)
			return false;
		i += 1 + f;
	}
	return i == n;
}

/* Room kept for what closes a line: "}" ",\"truncated\":true" "}\n". */
#define CLOSE_RESERVE 32

/* "key":value, ending at or before limit; false (and nothing written) when it does not fit. */
static bool put_field(struct wbuf *w, const struct log_field *f, size_t limit, bool comma)
{
	size_t mark = w->len;
	bool ok = (!comma || put(w, ",", 1)) && put(w, "\"", 1) &&
		  put_escaped(w, f->key, limit, json_char_fn, false) && put(w, "\":", 2);

	if (ok && !f->quoted && json_number(f->value))
		ok = w->len + strlen(f->value) <= limit && puts_(w, f->value);
	else if (ok)
		ok = put(w, "\"", 1) && put_escaped(w, f->value, limit - 1, json_char_fn, false) &&
		     put(w, "\"", 1);
	if (ok && w->len <= limit)
		return true;
	w->len = mark;
	w->p[mark] = '\0';
	w->cut = false;
	return false;
}

/* The fields while they fit before limit; false when one was dropped (later ones too). */
static bool put_fields(struct wbuf *w, const struct log_entry *e, size_t limit)
{
	for (size_t i = 0; i < e->n_fields; i++) {
		if (!put_field(w, &e->fields[i], limit, i > 0))
			return false;
	}
	return true;
}

static void put_head_json(struct wbuf *w, const struct log_entry *e)
{
	char ts[LOGFMT_TIME_LEN];

	logfmt_time(e->ts_ns, ts);
	puts_(w, "{\"timestamp\":\"");
	puts_(w, ts);
	puts_(w, "\",\"level\":\"");
	puts_(w, logfmt_level_name(e->level));
	puts_(w, "\",\"category\":\"");
	puts_(w, logfmt_category_name(e->category));
	puts_(w, "\",\"message\":\"");
}

size_t logfmt_json(const struct log_entry *e, char *out, size_t outlen)
{
	struct wbuf w = { out, 0, outlen, false };
	size_t limit;
	bool cut;
	char pid[40];

	if (!e || !out || outlen < LOGFMT_RENDER_MIN)
		return 0;
	limit = outlen - CLOSE_RESERVE;
	cut = e->truncated;
	put_head_json(&w, e);
	/* the message may use half of what is left; fields get the rest */
	if (!put_escaped(&w, e->message ? e->message : "", w.len + (limit - w.len) / 2,
			 json_char_fn, false))
		cut = true;
	snprintf(pid, sizeof(pid), "\",\"pid\":%u,\"fields\":{", e->pid);
	puts_(&w, pid);
	if (!put_fields(&w, e, limit))
		cut = true;
	puts_(&w, "}");
	if (cut)
		puts_(&w, ",\"truncated\":true");
	puts_(&w, "}\n");
	return w.len;
}

size_t logfmt_fields_json(const struct log_entry *e, char *out, size_t outlen)
{
	struct wbuf w = { out, 0, outlen, false };

	if (!e || !out || outlen < LOGFMT_RENDER_MIN)
		return 0;
	puts_(&w, "{");
	put_fields(&w, e, outlen - 2);
	puts_(&w, "}");
	return w.len;
}

/* A text value needs quotes when it is empty or holds a space, quote, '=', '\\' or control. */
static bool text_needs_quotes(const struct log_field *f)
{
	if (f->quoted || !f->value[0])
		return true;
	for (const char *c = f->value; *c; c++) {
		if ((unsigned char)*c <= ' ' || *c == '"' || *c == '=' || *c == '\\' || *c == 0x7f)
			return true;
	}
	return false;
}

/* " key=value" or " key=\"value\"" before limit; false (nothing written) when it does not fit. */
static bool put_text_field(struct wbuf *w, const struct log_field *f, size_t limit)
{
	size_t mark = w->len;
	bool q = text_needs_quotes(f);

	if (put(w, " ", 1) && put_escaped(w, f->key, limit, text_char, false) &&
	    put(w, q ? "=\"" : "=", q ? 2 : 1) &&
	    put_escaped(w, f->value, limit - 1, text_char, q) && (!q || put(w, "\"", 1)) &&
	    w->len <= limit)
		return true;
	w->len = mark;
	w->p[mark] = '\0';
	w->cut = false;
	return false;
}

size_t logfmt_text(const struct log_entry *e, char *out, size_t outlen)
{
	struct wbuf w = { out, 0, outlen, false };
	size_t limit;
	bool cut;
	char ts[LOGFMT_TIME_LEN];

	if (!e || !out || outlen < LOGFMT_RENDER_MIN)
		return 0;
	limit = outlen - CLOSE_RESERVE;
	cut = e->truncated;
	logfmt_time(e->ts_ns, ts);
	puts_(&w, "ts=");
	puts_(&w, ts);
	puts_(&w, " level=");
	puts_(&w, logfmt_level_name(e->level));
	if (e->category != LOGC_SYSTEM) {
		puts_(&w, " category=");
		puts_(&w, logfmt_category_name(e->category));
	}
	puts_(&w, " msg=");
	if (!put_escaped(&w, e->message ? e->message : "", w.len + (limit - w.len) / 2, text_char,
			 false))
		cut = true;
	for (size_t i = 0; i < e->n_fields; i++) {
		if (!put_text_field(&w, &e->fields[i], limit)) {
			cut = true;
			break;
		}
	}
	if (cut)
		puts_(&w, " truncated=true");
	puts_(&w, "\n");
	return w.len;
}

size_t logfmt_quote(const char *s, char *out, size_t outlen)
{
	struct wbuf w = { out, 0, outlen, false };

	if (!out || outlen < 3)
		return 0;
	out[0] = '\0';
	put(&w, "\"", 1);
	put_escaped(&w, s ? s : "", outlen - 2, text_char, true);
	put(&w, "\"", 1);
	return w.len;
}

/* ---- time ---- */

void logfmt_time(uint64_t ts_ns, char out[LOGFMT_TIME_LEN])
{
	time_t sec = (time_t)(ts_ns / 1000000000ull);
	struct tm tm = { 0 };

	if (!gmtime_r(&sec, &tm) || tm.tm_year + 1900 > 9999)
		memset(&tm, 0, sizeof(tm)); /* 1900-01-00: visibly wrong, still the right shape */
	/* the modulos only tell the compiler each part's width */
	snprintf(out, LOGFMT_TIME_LEN, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ",
		 (unsigned)(tm.tm_year + 1900) % 10000u, (unsigned)(tm.tm_mon + 1) % 100u,
		 (unsigned)tm.tm_mday % 100u, (unsigned)tm.tm_hour % 100u,
		 (unsigned)tm.tm_min % 100u, (unsigned)tm.tm_sec % 100u,
		 (unsigned)(ts_ns / 1000000ull % 1000));
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool num(const char *s, size_t n, unsigned *out)
{
	*out = 0;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit((unsigned char)s[i]))
			return false;
		*out = *out * 10 + (unsigned)(s[i] - '0');
	}
	return true;
}

/* .ddd (1..9 digits) at s: nanoseconds, and the bytes used; 0 used without a fraction. */
static size_t fraction(const char *s, int64_t *ns)
{
	size_t d = 0;
	int64_t v = 0, scale = 100000000;

	*ns = 0;
	if (s[0] != '.')
		return 0;
	while (is_digit((unsigned char)s[1 + d]) && d < 9) {
		v += (s[1 + d] - '0') * scale;
		scale /= 10;
		d++;
	}
	if (!d)
		return (size_t)-1;
	*ns = v;
	return 1 + d;
}

static int unix_seconds(const char *s, int64_t *ns)
{
	size_t d = span(s, strlen(s), 0, is_digit), f;
	int64_t sec = 0, frac;

	if (!d || d > 10)
		return -EINVAL;
	for (size_t i = 0; i < d; i++)
		sec = sec * 10 + (s[i] - '0');
	f = fraction(s + d, &frac);
	if (f == (size_t)-1 || s[d + f] || sec > INT64_MAX / 1000000000 - 1)
		return -EINVAL;
	*ns = sec * 1000000000 + frac;
	return 0;
}

static const unsigned char mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

int logfmt_time_parse(const char *s, int64_t *ns)
{
	unsigned y, mo, d, h, mi, se, oh = 0, om = 0;
	int64_t frac, t, off = 0;
	size_t f;
	const char *z;

	if (!s || !ns)
		return -EINVAL;
	if (strlen(s) < 20 || s[4] != '-')
		return unix_seconds(s, ns);
	if (!num(s, 4, &y) || !num(s + 5, 2, &mo) || s[7] != '-' || !num(s + 8, 2, &d) ||
	    !strchr("Tt ", s[10]) || !num(s + 11, 2, &h) || s[13] != ':' || !num(s + 14, 2, &mi) ||
	    s[16] != ':' || !num(s + 17, 2, &se))
		return -EINVAL;
	f = fraction(s + 19, &frac);
	if (f == (size_t)-1)
		return -EINVAL;
	z = s + 19 + f;
	if ((z[0] == 'Z' || z[0] == 'z') && !z[1]) {
		off = 0;
	} else if (strchr("+- ", z[0]) && z[0] && strlen(z) == 6 && num(z + 1, 2, &oh) &&
		   z[3] == ':' && num(z + 4, 2, &om) && oh < 24 && om < 60) {
		off = (int64_t)(oh * 60 + om) * 60 * (z[0] == '-' ? -1 : 1);
	} else {
		return -EINVAL;
	}
	if (y < 1970 || y > 2261 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
	    mi > 59 || se > 60)
		return -EINVAL;
	if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return -EINVAL;
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
	if (t < 0)
		return -EINVAL;
	*ns = t * 1000000000 + frac;
	return 0;
}
