// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Log message parsing and the plain renderers (JSON, text), plus level and
 * category names and time stamps. Sixty call sites write "words key=value"
 * by printf; this turns that into fields a log shipper can index without
 * touching them. Every word and value is redacted (logfmt_redact.c) as it
 * is parsed, before any output or store sees it; the ECS renderer is
 * logfmt_ecs.c. Runs on every log call, so it never allocates and every
 * buffer is the caller's and bounded.
 */
#include "logfmt_int.h"

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
		return logfmt_has_ci(t->p, t->n, "cookie") ? -1 : 1; /* -1: the rest of the line */
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

/* Field, word of the message, or dropped (one field too many). */
static enum tok_use token_use(struct parse *ps, const struct tok *t, bool claimed)
{
	/* a repeated key stays visible as text; a secret-shaped one is redacted as text */
	if (!t->field || claimed || key_seen(ps, t->p, t->klen) || !logfmt_key_clean(t->p, t->klen))
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
		if (claimed && !claim && !t.field && !t.quoted && logfmt_auth_scheme(t.p, t.n))
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
size_t logfmt_utf8_len(const unsigned char *s, size_t n)
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
	size_t k = logfmt_utf8_len((const unsigned char *)s, n);

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
	size_t k = logfmt_utf8_len((const unsigned char *)s, n);
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

size_t logfmt_json_char_fn(const char *s, size_t n, bool quoted, char esc[8], size_t *elen)
{
	(void)quoted;
	return json_char(s, n, esc, elen);
}

/* Escaped s[0..n), stopping before limit (an offset in w); false when cut. */
bool logfmt_put_escaped_n(struct wbuf *w, const char *s, size_t n, size_t limit, char_fn fn,
			  bool quoted)
{
	size_t i = 0, elen;
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

/* "key":value, ending at or before limit; false (and nothing written) when it does not fit. */
static bool put_field(struct wbuf *w, const struct log_field *f, size_t limit, bool comma)
{
	size_t mark = w->len;
	bool ok = (!comma || put(w, ",", 1)) && put(w, "\"", 1) &&
		  put_escaped(w, f->key, limit, logfmt_json_char_fn, false) && put(w, "\":", 2);

	if (ok && !f->quoted && json_number(f->value))
		ok = w->len + strlen(f->value) <= limit && puts_(w, f->value);
	else if (ok)
		ok = put(w, "\"", 1) &&
		     put_escaped(w, f->value, limit - 1, logfmt_json_char_fn, false) &&
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
			 logfmt_json_char_fn, false))
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
