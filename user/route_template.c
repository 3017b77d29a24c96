// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Request target -> route template, without any table: strips query,
 * fragment and scheme://host, splits the path into at most ROUTE_MAX_SEGS
 * segments, tries the configured patterns, and otherwise replaces segments
 * that look like identifiers by {id}, {uuid}, {hex} or {token}. Works on
 * the caller's bytes in place; must not allocate, log or keep state.
 */
#include "route_template.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Bytes of a target looked at; protects the per-request cost from huge inputs. */
#define ROUTE_INPUT_MAX 4096

struct seg {
	const char *s;
	size_t len;
};

struct split {
	struct seg seg[ROUTE_MAX_SEGS];
	unsigned n;
	bool more; /* segments beyond ROUTE_MAX_SEGS were dropped */
	bool trailing; /* the path ended in '/' */
};

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(unsigned char c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static bool is_hex(unsigned char c)
{
	return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/* ---- patterns ---- */

static int fail(char *why, size_t whylen, const char *msg)
{
	if (why && whylen)
		snprintf(why, whylen, "%s", msg);
	return -EINVAL;
}

static bool param_name_ok(const char *s, size_t len)
{
	if (!len)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!is_alpha(s[i]) && !is_digit(s[i]) && s[i] != '_')
			return false;
	}
	return true;
}

/* One pattern segment s[0..len) into p; last says whether it ends the pattern. */
static int pattern_seg(struct route_pattern *p, size_t off, size_t len, bool last, char *why,
		       size_t whylen)
{
	const char *s = p->text + off;
	struct pseg *ps = &p->seg[p->n];

	if ((len == 1 && s[0] == '*') || (len == 2 && !memcmp(s, "**", 2)) ||
	    (len > 3 && s[0] == '{' && s[len - 2] == '*' && s[len - 1] == '}')) {
		if (!last)
			return fail(why, whylen, "'*' or '{name*}' must be the last segment");
		if (s[0] == '{' && !param_name_ok(s + 1, len - 3))
			return fail(why, whylen, "parameter names use letters, digits and '_'");
		p->rest = true;
		return 0;
	}
	if (p->n == ROUTE_MAX_SEGS)
		return fail(why, whylen, "too many segments");
	*ps = (struct pseg){ .off = (uint8_t)off, .len = (uint8_t)len, .kind = PSEG_LIT };
	if (s[0] == '{') {
		if (s[len - 1] != '}' || !param_name_ok(s + 1, len - 2))
			return fail(why, whylen, "bad parameter segment (want {name})");
		ps->kind = PSEG_PARAM;
	} else {
		for (size_t i = 0; i < len; i++) {
			unsigned char c = (unsigned char)s[i];

			if (c < 0x21 || c > 0x7e || strchr("{}*?#", c))
				return fail(why, whylen,
					    "literal segments are printable ASCII without {}*?#");
		}
	}
	p->n++;
	return 0;
}

int route_pattern_parse(const char *pat, struct route_pattern *p, char *why, size_t whylen)
{
	size_t len, i = 1;
	int err;

	memset(p, 0, sizeof(*p));
	if (!pat || pat[0] != '/')
		return fail(why, whylen, "must start with '/'");
	len = strnlen(pat, ROUTE_MAX);
	if (len >= ROUTE_MAX)
		return fail(why, whylen, "longer than 127 bytes");
	memcpy(p->text, pat, len);
	while (i < len) {
		size_t start = i;

		while (i < len && pat[i] != '/')
			i++;
		if (i == start)
			return fail(why, whylen, "empty segment ('//')");
		if (p->rest)
			return fail(why, whylen, "'*' or '{name*}' must be the last segment");
		err = pattern_seg(p, start, i - start, i + 1 >= len, why, whylen);
		if (err)
			return err;
		i++; /* the '/' */
	}
	return 0;
}

int route_pattern_check(const char *pattern, char *why, size_t whylen)
{
	struct route_pattern p;

	return route_pattern_parse(pattern, &p, why, whylen);
}

static bool pattern_match(const struct route_pattern *p, const struct split *sp)
{
	if (sp->n < p->n || ((sp->n > p->n || sp->more) && !p->rest))
		return false;
	for (unsigned i = 0; i < p->n; i++) {
		const struct pseg *ps = &p->seg[i];

		if (ps->kind == PSEG_PARAM)
			continue;
		if (ps->len != sp->seg[i].len || memcmp(p->text + ps->off, sp->seg[i].s, ps->len))
			return false;
	}
	return true;
}

/* ---- heuristics ---- */

static bool is_uuid(const char *s, size_t n)
{
	if (n != 36)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !is_hex(s[i]))
			return false;
	}
	return true;
}

struct seg_stats {
	size_t digits, alpha, hex, vowels, pct, punct;
	bool binary;
};

static void seg_count(const char *s, size_t n, struct seg_stats *st)
{
	memset(st, 0, sizeof(*st));
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x21 || c > 0x7e)
			st->binary = true;
		else if (is_digit(c))
			st->digits++;
		else if (is_alpha(c))
			st->alpha++;
		else if (c == '%' && i + 2 < n && is_hex(s[i + 1]) && is_hex(s[i + 2]))
			st->pct++;
		else if (strchr("-._:,", c))
			st->punct++;
		if (is_hex(c))
			st->hex++;
		if (is_alpha(c) && strchr("aeiouAEIOU", c))
			st->vowels++;
	}
}

/* Placeholder for a segment that looks like an identifier, NULL to keep it. */
static const char *seg_class(const char *s, size_t n)
{
	struct seg_stats st;

	seg_count(s, n, &st);
	if (st.binary)
		return "{token}";
	if (st.digits == n)
		return "{id}";
	if (is_uuid(s, n))
		return "{uuid}";
	if (n >= 8 && st.hex == n && st.digits)
		return "{hex}";
	if (st.pct && st.pct * 3 * 2 >= n)
		return "{token}";
	if (st.digits && st.digits + st.punct == n)
		return "{id}";
	if (st.alpha && st.digits && (n >= 16 || st.digits >= 5))
		return "{token}";
	if (n >= 32)
		return "{token}";
	if (st.alpha >= 12 && st.vowels * 6 < st.alpha)
		return "{token}";
	return NULL;
}

/* ---- target -> segments ---- */

enum target_kind { TGT_PATH, TGT_STAR, TGT_INVALID };

static enum target_kind target_path(const char **pp, size_t *plen)
{
	const char *p = *pp, *cut;
	size_t len = strnlen(p, *plen < ROUTE_INPUT_MAX ? *plen : ROUTE_INPUT_MAX), skip = 0;

	if ((cut = memchr(p, '?', len)))
		len = (size_t)(cut - p);
	if ((cut = memchr(p, '#', len)))
		len = (size_t)(cut - p);
	if (len == 1 && p[0] == '*')
		return TGT_STAR;
	if (len >= 7 && !strncasecmp(p, "http://", 7))
		skip = 7;
	else if (len >= 8 && !strncasecmp(p, "https://", 8))
		skip = 8;
	if (skip) {
		cut = memchr(p + skip, '/', len - skip);
		len = cut ? len - (size_t)(cut - p) : 0;
		p = cut;
	}
	*pp = p;
	*plen = len;
	if (!len)
		return TGT_PATH;
	return p[0] == '/' ? TGT_PATH : TGT_INVALID;
}

static void split_path(const char *p, size_t len, struct split *sp)
{
	size_t i = 0;

	sp->n = 0;
	sp->more = false;
	sp->trailing = len > 1 && p[len - 1] == '/';
	while (i < len) {
		size_t start;

		while (i < len && p[i] == '/')
			i++;
		if (i >= len)
			break;
		start = i;
		while (i < len && p[i] != '/')
			i++;
		if (sp->n == ROUTE_MAX_SEGS) {
			sp->more = true;
			break;
		}
		sp->seg[sp->n++] = (struct seg){ p + start, i - start };
	}
}

/* Heuristic route of sp into out[ROUTE_MAX]; leaves room for ROUTE_REST. */
static void heuristic(const struct split *sp, char *out)
{
	const size_t room = ROUTE_MAX - 1 - (sizeof(ROUTE_REST) - 1);
	size_t n = 0;
	bool cut = sp->more;

	for (unsigned i = 0; i < sp->n; i++) {
		const char *ph = seg_class(sp->seg[i].s, sp->seg[i].len);
		const char *txt = ph ? ph : sp->seg[i].s;
		size_t tl = ph ? strlen(ph) : sp->seg[i].len;

		if (n + 1 + tl > room) {
			cut = true;
			break;
		}
		out[n++] = '/';
		memcpy(out + n, txt, tl);
		n += tl;
	}
	if (cut) {
		memcpy(out + n, ROUTE_REST, sizeof(ROUTE_REST) - 1);
		n += sizeof(ROUTE_REST) - 1;
	} else if (!n || sp->trailing) {
		out[n++] = '/';
	}
	out[n] = '\0';
}

bool route_template(const struct route_pattern *pats, size_t n, const char *path, size_t len,
		    char *out)
{
	struct split sp;

	switch (target_path(&path, &len)) {
	case TGT_STAR:
		strcpy(out, "*");
		return true;
	case TGT_INVALID:
		strcpy(out, ROUTE_INVALID);
		return true;
	case TGT_PATH:
		break;
	}
	split_path(path, len, &sp);
	for (size_t i = 0; i < n; i++) {
		if (pattern_match(&pats[i], &sp)) {
			strcpy(out, pats[i].text);
			return true;
		}
	}
	heuristic(&sp, out);
	return false;
}
