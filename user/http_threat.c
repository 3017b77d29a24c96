// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Per-request threat detection (http_threat.h). Attack tools hide payloads
 * behind encodings the server undoes (percent, plus-as-space, double
 * percent, overlong UTF-8, %uXXXX, fullwidth forms, HTML entities), so
 * every value is decoded here the way the server or browser would before
 * any detector looks at it, and each detector then asks a narrow question
 * of the decoded text: does it read as injected SQL (sqli.c), does it open
 * a script context in HTML, does a path climb above its root or name a
 * system file, does the request path name a file that is never meant to be
 * served. Questions are narrow so prose ("x < y", "O'Brien", "../" inside a
 * path that stays below its root) stays quiet.
 *
 * Bounded: the target, each value, the body, the number of query pairs,
 * JSON strings and header values are capped (THREAT_MAX_*), and all values
 * of a request share one work budget; decode buffers live on the stack.
 * Only the JSON body parse (jansson) allocates.
 */
#include "http_threat.h"
#include "attack_tools.h"
#include "cmdi.h"
#include "ssrf.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define THREAT_MAX_TARGET 8192 /* bytes of the request target examined */
#define THREAT_MAX_BODY 8192 /* bytes of the body examined */
#define THREAT_MAX_PAIRS 64 /* query or form pairs per source */
#define THREAT_MAX_SEGS 32 /* path segments tried as SQL */
#define THREAT_MAX_STRINGS 128 /* JSON strings and keys per body */
#define THREAT_MAX_JSON_DEPTH 32
#define THREAT_MAX_HEADERS 8
#define THREAT_MAX_WORK 24576 /* value bytes examined per request, all sources together */
#define VALUE_COST 64 /* what one value costs the budget besides its bytes */
#define THREAT_MAX_ROUNDS 3 /* percent-decoding rounds (double, triple encoding) */
#define VAL_MAX SQLI_MAX_INPUT

/* What decoding found on the way */
#define D_PCT 0x1u
#define D_OVERLONG 0x2u
#define D_WIDE 0x4u /* fullwidth or "best fit" characters folded to ASCII */
#define D_DOUBLE 0x8u

/* Which detectors a value goes through */
#define C_SQLI 0x1u
#define C_XSS 0x2u
#define C_TRAV 0x4u /* climbing ".." and NUL bytes */
#define C_FILE 0x8u /* names of system files (a path's own names go to check_sensitive) */
#define C_CMD 0x10u /* shell and lookup injection */
#define C_SSRF 0x20u /* URLs the server would be made to fetch */
#define C_LOOKUP 0x40u /* of C_CMD, only Log4Shell lookups and shellshock */
#define C_ALL (C_SQLI | C_XSS | C_TRAV | C_FILE | C_CMD | C_SSRF)
/*
 * JSON strings longer than this are text people wrote (an LLM prompt, a
 * comment), where "run `ls -la`" or "cd /tmp && ls" is a question about a
 * shell, not an injection: they get C_LOOKUP instead of C_CMD. Injected
 * field values are short.
 */
#define JSON_SHELL_MAX 64
#define C_JSON(len) ((C_ALL & ~C_CMD) | ((len) <= JSON_SHELL_MAX ? C_CMD : C_LOOKUP))

struct scan {
	size_t work; /* bytes charged against THREAT_MAX_WORK */
	bool seen[THREAT__COUNT];
	struct threat_hit rec[THREAT__COUNT];
	size_t found;
};

static void hit(struct scan *sc, enum threat_type t, const char *where, const char *detail)
{
	struct threat_hit *h = &sc->rec[t];

	if (sc->seen[t])
		return;
	sc->seen[t] = true;
	sc->found++;
	h->type = t;
	snprintf(h->where, sizeof(h->where), "%s", where);
	snprintf(h->detail, sizeof(h->detail), "%s", detail);
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static bool is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Writes code point cp as UTF-8 (at most 3 bytes: callers never pass more than U+FFFF). */
static size_t put_utf8(char *out, unsigned cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	out[0] = (char)(0xe0 | cp >> 12);
	out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[2] = (char)(0x80 | (cp & 0x3f));
	return 3;
}

static int hex_run(const char *s, size_t n, size_t digits)
{
	int v = 0;

	if (n < digits)
		return -1;
	for (size_t k = 0; k < digits; k++) {
		if (hexval(s[k]) < 0)
			return -1;
		v = v << 4 | hexval(s[k]);
	}
	return v;
}

/* One round of %XX and %uXXXX decoding (and '+' as space) into out; never longer than n. */
static size_t pct_round(const char *in, size_t n, char *out, bool plus, unsigned *fl)
{
	size_t o = 0;
	int v;

	for (size_t i = 0; i < n; i++) {
		if (in[i] == '%' && (v = hex_run(in + i + 1, n - i - 1, 2)) >= 0) {
			out[o++] = (char)v;
			i += 2;
			*fl |= D_PCT;
		} else if (in[i] == '%' && i + 1 < n && lower(in[i + 1]) == 'u' &&
			   (v = hex_run(in + i + 2, n - i - 2, 4)) >= 0) {
			o += put_utf8(out + o, (unsigned)v);
			i += 5;
			*fl |= D_PCT;
		} else {
			out[o++] = plus && in[i] == '+' ? ' ' : in[i];
		}
	}
	return o;
}

static bool cont(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

/* Length of a sequence at s a lax decoder reads as one ASCII byte (put in *c), else 0. */
static size_t fold_seq(const unsigned char *s, size_t n, char *c, unsigned *fl)
{
	unsigned cp;

	if (n >= 2 && (s[0] == 0xc0 || s[0] == 0xc1) && cont(s[1])) { /* overlong 2-byte */
		*c = (char)(((s[0] & 0x1f) << 6) | (s[1] & 0x3f));
		*fl |= D_OVERLONG;
		return 2;
	}
	if (n >= 3 && s[0] == 0xe0 && s[1] < 0xa0 && cont(s[1]) &&
	    cont(s[2])) { /* overlong 3-byte */
		*c = (char)(((s[1] & 0x3f) << 6) | (s[2] & 0x3f));
		*fl |= D_OVERLONG;
		return 3;
	}
	if (n >= 4 && s[0] == 0xf0 && s[1] == 0x80 && s[2] < 0x82 && cont(s[2]) && cont(s[3])) {
		*c = (char)(((s[2] & 0x3f) << 6) | (s[3] & 0x3f));
		*fl |= D_OVERLONG;
		return 4;
	}
	if (n >= 3 && s[0] == 0xef && (s[1] == 0xbc || s[1] == 0xbd) && cont(s[2])) {
		cp = 0xf000u | (unsigned)(s[1] & 0x3f) << 6 | (s[2] & 0x3f);
		if (cp >= 0xff01 && cp <= 0xff5e) { /* fullwidth ASCII */
			*c = (char)(cp - 0xfee0);
			*fl |= D_WIDE;
			return 3;
		}
	}
	if (n >= 3 && s[0] == 0xe2 && s[1] == 0x88 && (s[2] == 0x95 || s[2] == 0x96)) {
		*c = s[2] == 0x95 ? '/' : '\\'; /* U+2215, U+2216: Windows "best fit" slashes */
		*fl |= D_WIDE;
		return 3;
	}
	return 0;
}

static size_t unicode_fold(char *s, size_t n, unsigned *fl)
{
	size_t o = 0, k;
	char c;

	for (size_t i = 0; i < n; i++) {
		k = (unsigned char)s[i] >= 0xc0 ? fold_seq((unsigned char *)s + i, n - i, &c, fl) :
						  0;
		if (k) {
			s[o++] = c;
			i += k - 1;
		} else {
			s[o++] = s[i];
		}
	}
	return o;
}

static bool has_escape(const char *s, size_t n)
{
	for (size_t i = 0; i + 2 < n; i++)
		if (s[i] == '%' &&
		    ((hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) ||
		     (lower(s[i + 1]) == 'u' && hex_run(s + i + 2, n - i - 2, 4) >= 0)))
			return true;
	return false;
}

/* One decoding round: percent escapes, then lax UTF-8 folded to ASCII. */
static size_t decode_round(const char *in, size_t n, char *out, bool plus, unsigned *fl)
{
	size_t len = pct_round(in, n, out, plus, fl);

	return unicode_fold(out, len, fl);
}

/* Further rounds while escapes remain (double, triple encoding); the text ends in *cur. */
static size_t decode_more(char **cur, char **other, size_t len, unsigned *fl)
{
	for (int round = 1; round < THREAT_MAX_ROUNDS && has_escape(*cur, len); round++) {
		char *tmp = *other;

		len = decode_round(*cur, len, tmp, false, fl);
		*fl |= D_DOUBLE;
		*other = *cur;
		*cur = tmp;
	}
	return len;
}

/* ---- path traversal ---- */

/* Does a path climb above where it starts: more ".." segments than names before them? */
static bool climbs(const char *s, size_t n)
{
	int depth = 0;
	bool sep = false;
	size_t i = 0, j, len;

	while (i <= n) {
		for (j = i; j < n && s[j] != '/' && s[j] != '\\'; j++)
			;
		len = j - i;
		sep |= j < n;
		if ((len == 2 && s[i] == '.' && s[i + 1] == '.') ||
		    (len > 2 && !memcmp(s + i, "..;", 3)) || /* Tomcat: /..;/ */
		    (len == 4 && !memcmp(s + i, "....", 4) && j + 1 < n &&
		     (s[j + 1] == '/' || s[j + 1] == '\\'))) { /* ....// survives one "../" strip */
			if (--depth < 0 && sep)
				return true;
		} else if (len && !(len == 1 && s[i] == '.')) {
			depth++;
		}
		i = j + 1;
	}
	return false;
}

static bool contains_ci(const char *s, size_t n, const char *needle)
{
	size_t m = strlen(needle);

	for (size_t i = 0; i + m <= n; i++) {
		size_t k = 0;

		while (k < m &&
		       (lower(s[i + k]) == needle[k] || (needle[k] == '/' && s[i + k] == '\\')))
			k++;
		if (k == m)
			return true;
	}
	return false;
}

static bool system_file(const char *s, size_t n)
{
	static const char *const files[] = {
		"etc/passwd",	     "etc/shadow",	  "etc/sudoers",     "proc/self/environ",
		"proc/self/cmdline", "proc/self/fd/",	  "windows/win.ini", "winnt/win.ini",
		"boot.ini",	     "windows/system32/", "web-inf/web.xml", ".ssh/id_",
		".aws/credentials",
	};

	for (size_t k = 0; k < sizeof(files) / sizeof(files[0]); k++)
		if (contains_ci(s, n, files[k]))
			return true;
	return false;
}

/* ---- cross-site scripting ---- */

static const struct {
	const char *name;
	char c;
} entities[] = {
	{ "lt", '<' },	  { "gt", '>' },     { "quot", '"' },	  { "apos", '\'' }, { "amp", '&' },
	{ "colon", ':' }, { "tab", '\t' },   { "newline", '\n' }, { "lpar", '(' },  { "rpar", ')' },
	{ "sol", '/' },	  { "bsol", '\\' },  { "equals", '=' },	  { "grave", '`' }, { "excl", '!' },
	{ "num", '#' },	  { "period", '.' }, { "semi", ';' },	  { "lsqb", '[' },  { "rsqb", ']' },
};

/* &#60; &#x3c; &lt; (with or without ';'): length consumed, the byte in *c. */
static size_t entity(const char *s, size_t n, char *c)
{
	size_t i = 1, st;
	unsigned v = 0;

	if (n > 2 && s[1] == '#') {
		bool hex = lower(s[2]) == 'x';

		for (i = hex ? 3 : 2, st = i; i < n && i - st < 8; i++) {
			int d = hex ? hexval(s[i]) : (s[i] >= '0' && s[i] <= '9' ? s[i] - '0' : -1);

			if (d < 0)
				break;
			v = v * (hex ? 16 : 10) + (unsigned)d;
		}
		if (i == st)
			return 0;
		*c = v && v < 0x80 ? (char)v : v ? '?' : '\0';
		return i < n && s[i] == ';' ? i + 1 : i;
	}
	for (size_t k = 0; k < sizeof(entities) / sizeof(entities[0]); k++) {
		size_t m = strlen(entities[k].name);

		if (m + 1 <= n && !strncasecmp(s + 1, entities[k].name, m)) {
			*c = entities[k].c;
			return m + 1 < n && s[m + 1] == ';' ? m + 2 : m + 1;
		}
	}
	return 0;
}

/* \x3c \u003c \u{3c}: JavaScript escapes a value may be echoed through. */
static size_t js_escape(const char *s, size_t n, char *c)
{
	int v;

	if (n >= 4 && lower(s[1]) == 'x' && (v = hex_run(s + 2, n - 2, 2)) >= 0) {
		*c = v < 0x80 ? (char)v : '?';
		return 4;
	}
	if (n >= 6 && s[1] == 'u' && (v = hex_run(s + 2, n - 2, 4)) >= 0) {
		*c = v < 0x80 ? (char)v : '?';
		return 6;
	}
	if (n >= 6 && s[1] == 'u' && s[2] == '{' && (v = hex_run(s + 3, n - 3, 2)) >= 0 &&
	    s[5] == '}') {
		*c = (char)(v & 0x7f);
		return 6;
	}
	return 0;
}

/* Lowercased copy of s with character references and JS escapes decoded and NULs dropped. */
static size_t xss_norm(const char *s, size_t n, char *out)
{
	size_t o = 0, k;
	char c;

	for (size_t i = 0; i < n; i++) {
		k = 0;
		if (s[i] == '&')
			k = entity(s + i, n - i, &c);
		else if (s[i] == '\\')
			k = js_escape(s + i, n - i, &c);
		if (!k) {
			c = s[i];
			k = 1;
		}
		i += k - 1;
		if (c)
			out[o++] = (char)lower(c);
	}
	return o;
}

static bool is_alpha(int c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_alnum(int c)
{
	return is_alpha(c) || (c >= '0' && c <= '9');
}

/* on<letters> then '=' (spaces allowed) at t[k]: the event name's length, else 0. */
static size_t handler_at(const char *t, size_t m, size_t k)
{
	size_t e = k + 2;

	if (k + 2 >= m || t[k] != 'o' || t[k + 1] != 'n')
		return 0;
	while (e < m && is_alpha(t[e]))
		e++;
	if (e - k < 5) /* on + at least three letters */
		return 0;
	{
		size_t q = e;

		while (q < m && is_space(t[q]))
			q++;
		return q < m && t[q] == '=' ? e - k : 0;
	}
}

static bool attr_boundary(int c)
{
	return is_space(c) || c == '/' || c == '"' || c == '\'' || c == '`';
}

static const char *const events[] = {
	"onload",	   "onerror",	    "onclick",	     "onmouseover",	 "onmouseout",
	"onmouseenter",	   "onmouseleave",  "onmousedown",   "onmouseup",	 "onmousemove",
	"onfocus",	   "onblur",	    "onfocusin",     "onfocusout",	 "onchange",
	"oninput",	   "onsubmit",	    "onreset",	     "onkeydown",	 "onkeyup",
	"onkeypress",	   "ondblclick",    "oncontextmenu", "ontoggle",	 "onbegin",
	"onend",	   "onstart",	    "onfinish",	     "onanimationstart", "onanimationend",
	"ontransitionend", "onpointerover", "onpointerdown", "onpointerenter",	 "onpointerup",
	"onpageshow",	   "onhashchange",  "onpopstate",    "onresize",	 "onscroll",
	"onwheel",	   "ondrag",	    "ondragstart",   "ondrop",		 "oncopy",
	"onpaste",	   "oncut",	    "onselect",	     "onsearch",	 "onunload",
	"onbeforeunload",  "onmessage",	    "oninvalid",     "onauxclick",	 "ontouchstart",
	"onplay",	   "oncanplay",	    "onloadstart",   "onshow",		 "onrepeat",
};

static bool known_event(const char *t, size_t len)
{
	for (size_t k = 0; k < sizeof(events) / sizeof(events[0]); k++)
		if (strlen(events[k]) == len && !memcmp(events[k], t, len))
			return true;
	return false;
}

static const char *tag_rule(const char *t, size_t m, size_t i)
{
	static const char *const dangerous[] = { "iframe", "frame",  "frameset", "object",
						 "embed",  "applet", "base",	 "isindex" };
	size_t j = i + 1, ns, ne, e;

	if (j < m && t[j] == '/')
		j++;
	for (ns = ne = j; ne < m && (is_alnum(t[ne]) || (ne > ns && t[ne] == '-')); ne++)
		;
	if (ne == ns || !is_alpha(t[ns]) ||
	    (ne < m && !is_space(t[ne]) && t[ne] != '/' && t[ne] != '>'))
		return NULL;
	if (ne - ns == 6 && !memcmp(t + ns, "script", 6))
		return "script_tag";
	if (t[j - 1] == '/')
		return NULL;
	for (e = ne; e < m && e < ne + 512 && t[e] != '>' && t[e] != '<'; e++)
		if (attr_boundary(t[e - 1]) && handler_at(t, m, e))
			return "event_handler";
	for (size_t k = 0; k < sizeof(dangerous) / sizeof(dangerous[0]); k++)
		if (strlen(dangerous[k]) == ne - ns && !memcmp(t + ns, dangerous[k], ne - ns) &&
		    memchr(t + ne, '=', e - ne))
			return "dangerous_tag";
	return NULL;
}

/* "javascript:" at t[i], allowing the tabs and newlines browsers strip from URLs; end in *end. */
static bool scheme_at(const char *t, size_t m, size_t i, const char *scheme, size_t *end)
{
	size_t k = 0;

	while (scheme[k] && i < m) {
		if (t[i] == '\t' || t[i] == '\n' || t[i] == '\r') {
			i++;
			continue;
		}
		if (t[i] != scheme[k])
			return false;
		i++, k++;
	}
	*end = i;
	return !scheme[k];
}

/* Where a URL can start: the value's start or an attribute, url(, quote or backtick. */
static bool url_start(const char *t, size_t i)
{
	while (i && (is_space(t[i - 1]) || (unsigned char)t[i - 1] < 0x20))
		i--;
	return !i || (t[i - 1] && strchr("=\"'(`", t[i - 1]));
}

static const char *uri_rule(const char *t, size_t m, size_t i)
{
	static const char *const js[] = { "javascript:", "vbscript:", "livescript:" };
	static const char *const data[] = { "data:text/html" }; /* a document with scripts */
	size_t end;

	for (size_t k = 0; k < sizeof(js) / sizeof(js[0]); k++) {
		if (t[i] != js[k][0] || !scheme_at(t, m, i, js[k], &end) || !url_start(t, i))
			continue;
		/* code, not prose: "Javascript: The Good Parts" calls nothing before a space */
		while (end < m && t[end] == ' ')
			end++;
		for (size_t q = end; q < m && q < end + 256 && t[q] != ' ' && t[q] != '\t'; q++)
			if (t[q] == '(' || t[q] == '=' ||
			    (t[q] == '`' && q > end && is_alnum(t[q - 1])))
				return "js_uri"; /* a call, an assignment, a tagged template */
	}
	for (size_t k = 0; k < sizeof(data) / sizeof(data[0]); k++)
		if (t[i] == 'd' && scheme_at(t, m, i, data[k], &end) && url_start(t, i))
			return "data_uri";
	return NULL;
}

/* " onmouseover=alert(1) after a quote: breaks out of an attribute value. */
static const char *attr_rule(const char *t, size_t m, size_t k, bool quoted_before)
{
	size_t len;

	if (!quoted_before || !k || !attr_boundary(t[k - 1]))
		return NULL;
	len = handler_at(t, m, k);
	return len && known_event(t + k, len) ? "attr_event" : NULL;
}

/* ';alert(1)// '-prompt(1)-': breaks out of a JavaScript string. */
static const char *js_call_rule(const char *t, size_t m, size_t i)
{
	static const char *const sinks[] = { "alert", "prompt", "confirm", "eval" };
	size_t j = i + 1;

	while (j < m && t[j] && (strchr(";)+-*/|&,}]", t[j]) || is_space(t[j])))
		j++;
	if (j == i + 1 || j >= m)
		return NULL;
	for (size_t k = 0; k < sizeof(sinks) / sizeof(sinks[0]); k++) {
		size_t len = strlen(sinks[k]), q = j + len;

		if (q > m || memcmp(t + j, sinks[k], len))
			continue;
		while (q < m && is_space(t[q]))
			q++;
		if (q < m && (t[q] == '(' || t[q] == '`'))
			return "js_call";
	}
	return NULL;
}

static const char *xss_rule(const char *s, size_t n)
{
	char t[VAL_MAX];
	size_t m;
	bool quoted = false;
	const char *r = NULL;

	if (n > VAL_MAX)
		n = VAL_MAX;
	m = xss_norm(s, n, t);
	for (size_t i = 0; i < m && !r; i++) {
		if (t[i] == '<')
			r = tag_rule(t, m, i);
		else if (t[i] == 'j' || t[i] == 'v' || t[i] == 'l' || t[i] == 'd')
			r = uri_rule(t, m, i);
		else if (t[i] == 'o')
			r = attr_rule(t, m, i, quoted);
		if (!r && (t[i] == '"' || t[i] == '\'')) {
			quoted = true;
			r = js_call_rule(t, m, i);
		}
	}
	return r;
}

/* ---- values ---- */

/* Decodes raw (when pct) round after round; traversal is judged after the first and the last. */
static void check_value(struct scan *sc, const char *where, const char *raw, size_t n,
			unsigned what, bool pct, bool plus)
{
	char a[VAL_MAX], b[VAL_MAX], *cur = a, *other = b;
	const char *trav = NULL, *x;
	unsigned fl = 0;
	size_t len;
	struct sqli_result r;

	if (n > VAL_MAX)
		n = VAL_MAX;
	/* many small values cost more than their bytes: both count */
	if (sc->work >= THREAT_MAX_WORK)
		return;
	sc->work += n + VALUE_COST;
	if ((what & C_TRAV) && climbs(raw, n))
		trav = "dotdot";
	if (pct) {
		len = decode_round(raw, n, a, plus, &fl);
		if (!trav && (what & C_TRAV) && climbs(a, len))
			trav = fl & D_OVERLONG ? "dotdot_overlong" :
			       fl & D_WIDE     ? "dotdot_unicode" :
						 "dotdot_encoded";
		len = decode_more(&cur, &other, len, &fl);
		if (!trav && (what & C_TRAV) && climbs(cur, len))
			trav = "dotdot_double";
	} else {
		memcpy(a, raw, n);
		len = unicode_fold(a, n, &fl);
	}
	if ((what & C_TRAV) && !trav && memchr(cur, '\0', len))
		trav = "null_byte";
	if ((what & C_FILE) && !trav && system_file(cur, len))
		trav = "system_file";
	if (trav)
		hit(sc, THREAT_PATH_TRAVERSAL, where, trav);
	if ((what & C_SQLI) && !sc->seen[THREAT_SQL_INJECTION] && sqli_detect(cur, len, &r))
		hit(sc, THREAT_SQL_INJECTION, where, sqli_kind_name(r.kind));
	if ((what & C_XSS) && !sc->seen[THREAT_XSS] && (x = xss_rule(cur, len)))
		hit(sc, THREAT_XSS, where, x);
	if ((what & (C_CMD | C_LOOKUP)) && !sc->seen[THREAT_COMMAND_INJECTION] &&
	    (x = (what & C_CMD) ? cmdi_rule(cur, len) : cmdi_lookup_rule(cur, len)))
		hit(sc, THREAT_COMMAND_INJECTION, where, x);
	if ((what & C_SSRF) && !sc->seen[THREAT_SSRF] && (x = ssrf_rule(cur, len)))
		hit(sc, THREAT_SSRF, where, x);
}

/* name=value pairs split on '&' (query strings, form bodies) or ';' (cookies). */
static void check_pairs(struct scan *sc, const char *where, const char *s, size_t n, char sep,
			bool plus)
{
	size_t i = 0, e, eq, pairs = 0;

	while (i < n && pairs++ < THREAT_MAX_PAIRS) {
		const char *amp = memchr(s + i, sep, n - i);
		const char *q;

		e = amp ? (size_t)(amp - s) : n;
		while (i < e && sep == ';' && s[i] == ' ')
			i++;
		q = memchr(s + i, '=', e - i);
		eq = q ? (size_t)(q - s) : e;
		if (eq > i)
			check_value(sc, where, s + i, eq - i, C_SQLI | C_XSS, true, plus);
		if (q && e > eq + 1)
			check_value(sc, where, s + eq + 1, e - eq - 1, C_ALL, true, plus);
		i = e + 1;
	}
}

/* ---- path ---- */

/*
 * "/"-joined, lowercased segments with "/" at both ends, "." and empty
 * segments gone, each cut at ';' (path parameters: /.env;.css) or NUL
 * (/.env%00), as the servers that strip them do.
 */
static size_t norm_path(const char *s, size_t n, char *out, size_t cap)
{
	size_t o = 0, i = 0, j, e;

	out[o++] = '/';
	while (i < n && o + 2 < cap) {
		for (j = i; j < n && s[j] != '/' && s[j] != '\\'; j++)
			;
		for (e = i; e < j && s[e] != ';' && s[e] != '\0'; e++)
			;
		if (e > i && !(e - i == 1 && s[i] == '.')) {
			for (size_t k = i; k < e && o + 2 < cap; k++)
				out[o++] = (char)lower(s[k]);
			out[o++] = '/';
		}
		i = j + 1;
	}
	out[o] = '\0';
	return o;
}

/* Needles over norm_path(): "/x/" a segment, "/x." a prefix, "x/" a suffix, "/a/b/" a sequence. */
static const struct {
	const char *needle, *detail;
} sensitive[] = {
	{ "/etc/passwd/", "etc/passwd" },
	{ "/etc/shadow/", "etc/shadow" },
	{ "/proc/self/", "proc/self" },
	{ "/.aws/credentials/", ".aws/credentials" },
	{ "/.ssh/authorized_keys/", ".ssh/authorized_keys" },
	{ "/.docker/config.json/", ".docker/config.json" },
	{ "/actuator/env/", "actuator/env" },
	{ "/actuator/heapdump/", "actuator/heapdump" },
	{ "/vendor/phpunit/", "vendor/phpunit" },
	{ "/manager/html/", "manager/html" },
	{ "/web-inf/", "web-inf" },
	{ "/.env/", ".env" },
	{ "/.git/", ".git" },
	{ "/.svn/", ".svn" },
	{ "/.hg/", ".hg" },
	{ "/.bzr/", ".bzr" },
	{ "/.aws/", ".aws" },
	{ "/.ssh/", ".ssh" },
	{ "/.ds_store/", ".DS_Store" },
	{ "/.htaccess/", ".htaccess" },
	{ "/.htpasswd/", ".htpasswd" },
	{ "/.npmrc/", ".npmrc" },
	{ "/.pypirc/", ".pypirc" },
	{ "/.netrc/", ".netrc" },
	{ "/.pgpass/", ".pgpass" },
	{ "/.my.cnf/", ".my.cnf" },
	{ "/.bash_history/", ".bash_history" },
	{ "/.git-credentials/", ".git-credentials" },
	{ "/.dockercfg/", ".dockercfg" },
	{ "/.kube/", ".kube" },
	{ "/.idea/", ".idea" },
	{ "/wp-admin/", "wp-admin" },
	{ "/wp-login.php/", "wp-login.php" },
	{ "/wp-config.php/", "wp-config.php" },
	{ "/xmlrpc.php/", "xmlrpc.php" },
	{ "/phpmyadmin", "phpmyadmin" },
	{ "/myadmin/", "myadmin" },
	{ "/adminer.php/", "adminer.php" },
	{ "/phpinfo.php/", "phpinfo.php" },
	{ "/server-status/", "server-status" },
	{ "/server-info/", "server-info" },
	{ "/id_rsa", "id_rsa" },
	{ "/id_dsa", "id_dsa" },
	{ "/id_ecdsa", "id_ecdsa" },
	{ "/id_ed25519", "id_ed25519" },
	{ "/web.config/", "web.config" },
	{ "/backup.sql/", "backup.sql" },
	{ "/dump.sql/", "dump.sql" },
	{ "/database.sql/", "database.sql" },
	{ "/db.sql/", "db.sql" },
	{ "/elmah.axd/", "elmah.axd" },
	{ "/trace.axd/", "trace.axd" },
	{ "/jmx-console/", "jmx-console" },
	{ "/_profiler/", "_profiler" },
	{ "/config.php.bak/", "config.php.bak" },
	{ "/.env.", ".env.*" },
	{ "/wp-config.php.", "wp-config.php.*" },
	{ "/.htpasswd.", ".htpasswd.*" },
	{ ".bak/", "*.bak" },
	{ ".swp/", "*.swp" },
	{ "~/", "*~" },
};

/* The bytes that start a segment of norm (follow a '/'), as a set. */
static void segment_starts(const char *norm, uint64_t set[4])
{
	memset(set, 0, 4 * sizeof(*set));
	for (const char *p = norm; (p = strchr(p, '/')); p++)
		set[(unsigned char)p[1] >> 6] |= 1ull << ((unsigned char)p[1] & 63);
}

/* A "/x..." needle can only be in norm if some segment starts with x:
 * most paths start none the table knows, so most needles are never
 * searched for (this ran ~60 strstr per served request). */
static bool may_contain(const uint64_t set[4], const char *needle)
{
	unsigned char c = (unsigned char)needle[1];

	return needle[0] != '/' || (set[c >> 6] >> (c & 63) & 1);
}

static void check_sensitive(struct scan *sc, const char *p, size_t n)
{
	char norm[VAL_MAX + 2];
	uint64_t starts[4];

	norm_path(p, n, norm, sizeof(norm));
	segment_starts(norm, starts);
	for (size_t k = 0; k < sizeof(sensitive) / sizeof(sensitive[0]); k++) {
		if (may_contain(starts, sensitive[k].needle) && strstr(norm, sensitive[k].needle)) {
			hit(sc, THREAT_SENSITIVE_PATH, "path", sensitive[k].detail);
			return;
		}
	}
}

static void check_path(struct scan *sc, const char *p, size_t n)
{
	char a[VAL_MAX], b[VAL_MAX], *cur = a, *other = b;
	unsigned fl = 0;
	size_t len, i = 0, j, segs = 0;

	if (n > VAL_MAX)
		n = VAL_MAX;
	/* traversal (raw, encoded, double) and NUL bytes, judged the way check_value judges them */
	check_value(sc, "path", p, n, C_TRAV | C_XSS | C_CMD | C_SSRF, true, false);
	len = decode_round(p, n, a, false, &fl);
	len = decode_more(&cur, &other, len, &fl);
	check_sensitive(sc, cur, len);
	/* /items/1' OR '1'='1: SQL in a path segment */
	while (i < len && segs++ < THREAT_MAX_SEGS && !sc->seen[THREAT_SQL_INJECTION]) {
		for (j = i; j < len && cur[j] != '/'; j++)
			;
		if (j > i)
			check_value(sc, "path", cur + i, j - i, C_SQLI, false, false);
		i = j + 1;
	}
}

/* ---- body ---- */

struct json_walk {
	struct scan *sc;
	int budget;
};

static void walk_json(struct json_walk *w, json_t *j, int depth)
{
	const char *key;
	json_t *v;
	size_t idx;

	if (depth > THREAT_MAX_JSON_DEPTH || w->budget <= 0)
		return;
	switch (json_typeof(j)) {
	case JSON_STRING:
		w->budget--;
		check_value(w->sc, "body", json_string_value(j), json_string_length(j),
			    C_JSON(json_string_length(j)), false, false);
		break;
	case JSON_OBJECT:
		json_object_foreach(j, key, v)
		{
			if (w->budget-- <= 0)
				return;
			check_value(w->sc, "body", key, strlen(key), C_SQLI | C_XSS, false, false);
			walk_json(w, v, depth + 1);
		}
		break;
	case JSON_ARRAY:
		json_array_foreach(j, idx, v)
		{
			if (w->budget <= 0)
				return;
			walk_json(w, v, depth + 1);
		}
		break;
	default:
		break;
	}
}

/* A JSON string literal from s[i] (after its '"') unescaped into out; the index after it. */
static size_t json_literal(const char *s, size_t n, size_t i, char *out, size_t *len)
{
	size_t o = 0;
	int v;

	while (i < n && s[i] != '"') {
		char c = s[i++];

		if (c == '\\' && i < n) {
			c = s[i++];
			if (c == 'u' && (v = hex_run(s + i, n - i, 4)) >= 0) {
				if (o + 3 <= VAL_MAX)
					o += put_utf8(out + o, (unsigned)v);
				i += 4;
				continue;
			}
			c = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
		}
		if (o < VAL_MAX)
			out[o++] = c;
	}
	*len = o;
	return i + 1;
}

/* A body cut short does not parse; its string literals are still worth a look. */
static void scan_json_strings(struct scan *sc, const char *s, size_t n)
{
	char buf[VAL_MAX];
	size_t i = 0, len;
	int budget = THREAT_MAX_STRINGS;

	while (i < n && budget-- > 0) {
		const char *q = memchr(s + i, '"', n - i);

		if (!q)
			break;
		i = json_literal(s, n, (size_t)(q - s) + 1, buf, &len);
		check_value(sc, "body", buf, len, C_JSON(len), false, false);
	}
}

static void check_json(struct scan *sc, const char *body, size_t n)
{
	struct json_walk w = { .sc = sc, .budget = THREAT_MAX_STRINGS };
	json_error_t err;
	json_t *root = json_loadb(body, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);

	if (!root) {
		scan_json_strings(sc, body, n);
		return;
	}
	walk_json(&w, root, 0);
	json_decref(root);
}

static bool ct_is(const char *ct, const char *what)
{
	while (*ct == ' ')
		ct++;
	return !strncasecmp(ct, what, strlen(what));
}

static bool ct_has_json(const char *ct)
{
	for (; *ct && *ct != ';'; ct++)
		if (!strncasecmp(ct, "json", 4))
			return true;
	return false;
}

static void check_body(struct scan *sc, const struct threat_input *in)
{
	size_t n = in->body_len > THREAT_MAX_BODY ? THREAT_MAX_BODY : in->body_len, i = 0;

	if (!in->body || !n)
		return;
	while (i < n && is_space(in->body[i]))
		i++;
	if (in->content_type ? ct_has_json(in->content_type) :
			       i < n && (in->body[i] == '{' || in->body[i] == '['))
		check_json(sc, in->body, n);
	else if (in->content_type ? ct_is(in->content_type, "application/x-www-form-urlencoded") :
				    memchr(in->body, '=', n) && !memchr(in->body, ' ', n) &&
					    !memchr(in->body, '\n', n))
		check_pairs(sc, "body", in->body, n, '&', true);
}

/* ---- headers ---- */

static void check_headers(struct scan *sc, const char *const *hv)
{
	for (int k = 0; hv && hv[k] && k < THREAT_MAX_HEADERS; k++) {
		size_t n = strnlen(hv[k], VAL_MAX);
		const char *q = memchr(hv[k], '?', n);

		check_value(sc, "header", hv[k], n, C_SQLI | C_XSS | C_CMD, true, false);
		if (q) /* Referer: its query string */
			check_pairs(sc, "header", q + 1, n - (size_t)(q + 1 - hv[k]), '&', true);
		if (memchr(hv[k], '=', n)) /* Cookie: name=value; name=value */
			check_pairs(sc, "header", hv[k], n, ';', false);
	}
}

/* ---- target ---- */

static void split_target(const char *t, size_t n, size_t *ps, size_t *pe, size_t *qs, size_t *qe)
{
	size_t i = 0;

	if ((n >= 7 && !strncasecmp(t, "http://", 7)) ||
	    (n >= 8 && !strncasecmp(t, "https://", 8))) {
		for (i = t[4] == ':' ? 7 : 8; i < n && t[i] != '/' && t[i] != '?' && t[i] != '#';
		     i++)
			;
	}
	*ps = i;
	while (i < n && t[i] != '?' && t[i] != '#')
		i++;
	*pe = i;
	*qs = *qe = i;
	if (i < n && t[i] == '?') {
		*qs = ++i;
		while (i < n && t[i] != '#')
			i++;
		*qe = i;
	}
}

const char *threat_type_name(enum threat_type t)
{
	static const char *const names[THREAT__COUNT] = {
		[THREAT_SQL_INJECTION] = "sql_injection",
		[THREAT_XSS] = "xss",
		[THREAT_PATH_TRAVERSAL] = "path_traversal",
		[THREAT_SENSITIVE_PATH] = "sensitive_path_access",
		[THREAT_COMMAND_INJECTION] = "command_injection",
		[THREAT_SSRF] = "ssrf",
		[THREAT_SCANNER_TOOL] = "scanner",
	};

	return (unsigned)t < THREAT__COUNT ? names[t] : "unknown";
}

size_t http_threat_scan(const struct threat_input *in, struct threat_hit *hits, size_t max)
{
	struct scan sc = { .found = 0 };
	size_t n, ps, pe, qs, qe, out = 0;
	const char *tool;

	if (!in)
		return 0;
	if (in->target) {
		n = in->target_len > THREAT_MAX_TARGET ? THREAT_MAX_TARGET : in->target_len;
		split_target(in->target, n, &ps, &pe, &qs, &qe);
		if (pe > ps)
			check_path(&sc, in->target + ps, pe - ps);
		if (qe > qs) {
			check_pairs(&sc, "query", in->target + qs, qe - qs, '&', true);
			/* pages that echo the whole query: a tag split at its '=' */
			check_value(&sc, "query", in->target + qs, qe - qs, C_XSS, true, true);
		}
	}
	/* headers before the body: a large body must not use up the budget they need */
	check_headers(&sc, in->header_values);
	if (in->user_agent &&
	    (tool = attack_tool_of(in->user_agent, strnlen(in->user_agent, ATTACK_TOOL_UA_MAX))))
		hit(&sc, THREAT_SCANNER_TOOL, "header", tool);
	check_body(&sc, in);
	for (int t = 0; t < THREAT__COUNT; t++)
		if (sc.seen[t] && hits && out < max)
			hits[out++] = sc.rec[t];
	return sc.found;
}
