// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Prometheus text exposition format 0.0.4, the small pieces: names,
 * UTF-8 repair, escaping, numbers and a bounded growable buffer. Pure
 * functions over caller memory; must not lock, log or keep state, so
 * that metrics.c can call them under or outside its mutex at will.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expo.h"

#define DYNBUF_MIN_CAP 256

void dynbuf_init(struct dynbuf *b, size_t max)
{
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void dynbuf_free(struct dynbuf *b)
{
	if (!b)
		return;
	free(b->p);
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
}

/* Makes room for extra bytes plus the NUL, doubling up to max. */
static int dynbuf_reserve(struct dynbuf *b, size_t extra)
{
	size_t need, ncap;
	char *np;

	if (extra >= b->max || b->len + extra >= b->max)
		return -E2BIG;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : DYNBUF_MIN_CAP;
	while (ncap < need)
		ncap = ncap > b->max / 2 ? b->max : ncap * 2;
	np = realloc(b->p, ncap);
	if (!np)
		return -ENOMEM;
	b->p = np;
	b->cap = ncap;
	return 0;
}

int dynbuf_room(struct dynbuf *b, size_t extra, char **at)
{
	int err = dynbuf_reserve(b, extra);

	*at = err ? NULL : b->p + b->len;
	return err;
}

void dynbuf_commit(struct dynbuf *b, size_t n)
{
	b->len += n;
	b->p[b->len] = '\0';
}

int dynbuf_add(struct dynbuf *b, const void *mem, size_t len)
{
	int err = dynbuf_reserve(b, len);

	if (err)
		return err;
	if (len)
		memcpy(b->p + b->len, mem, len);
	b->len += len;
	b->p[b->len] = '\0';
	return 0;
}

int dynbuf_addstr(struct dynbuf *b, const char *s)
{
	return dynbuf_add(b, s, strlen(s));
}

int dynbuf_printf(struct dynbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n, err;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	err = dynbuf_reserve(b, (size_t)n);
	if (err)
		return err;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

char *dynbuf_take(struct dynbuf *b, size_t *len)
{
	char *p;

	if (!b->p && dynbuf_reserve(b, 0))
		return errno = ENOMEM, NULL;
	p = b->p;
	p[b->len] = '\0';
	if (len)
		*len = b->len;
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}

static bool name_char(char c, bool first, bool colon)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
		return true;
	if (colon && c == ':')
		return true;
	return !first && c >= '0' && c <= '9';
}

bool expo_metric_name_valid(const char *name)
{
	if (!name || !*name)
		return false;
	for (const char *p = name; *p; p++)
		if (!name_char(*p, p == name, true))
			return false;
	return true;
}

bool expo_label_name_valid(const char *name)
{
	if (!name || !*name || (name[0] == '_' && name[1] == '_'))
		return false;
	for (const char *p = name; *p; p++)
		if (!name_char(*p, p == name, false))
			return false;
	return true;
}

/*
 * Length of the valid UTF-8 sequence at s, or 0. Ranges from The Unicode
 * Standard, table 3-7 (well-formed byte sequences), which is also what
 * Go's utf8.ValidString, and so the Prometheus parser, accepts.
 */
static size_t utf8_seq_len(const unsigned char *s)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0; /* the NUL terminator stops us here too */
	return n;
}

size_t expo_utf8_sanitize(const char *in, char *out, size_t outcap, bool *truncated)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0;

	if (truncated)
		*truncated = outcap == 0 && *s;
	if (!outcap)
		return 0;
	while (*s) {
		size_t n = utf8_seq_len(s);
		const void *src = n ? (const void *)s : EXPO_REPLACEMENT;
		size_t w = n ? n : sizeof(EXPO_REPLACEMENT) - 1;

		if (o + w + 1 > outcap) {
			if (truncated)
				*truncated = true;
			break;
		}
		memcpy(out + o, src, w);
		o += w;
		s += n ? n : 1;
	}
	out[o] = '\0';
	return o;
}

/* Appends s, replacing each character listed in esc by a backslash and
 * the matching letter in as, in runs so plain text is one memcpy. */
static int escape_into(struct dynbuf *b, const char *s, const char *esc, const char *as)
{
	for (;;) {
		size_t run = strcspn(s, esc);
		char pair[2] = { '\\', 0 };
		int err = dynbuf_add(b, s, run);

		if (err || !s[run])
			return err;
		pair[1] = as[strchr(esc, s[run]) - esc];
		err = dynbuf_add(b, pair, 2);
		if (err)
			return err;
		s += run + 1;
	}
}

int expo_escape_label_value(struct dynbuf *b, const char *v)
{
	return escape_into(b, v, "\\\"\n", "\\\"n");
}

int expo_escape_help(struct dynbuf *b, const char *help)
{
	return escape_into(b, help, "\\\n", "\\n");
}

/* Digits written backwards into a scratch, then copied: no division by
 * a variable, no locale, no format parsing (this runs per exposed line). */
size_t expo_format_u64(char out[EXPO_NUM_MAX], uint64_t v)
{
	char tmp[24];
	size_t n = 0;

	do {
		tmp[sizeof(tmp) - ++n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	memcpy(out, tmp + sizeof(tmp) - n, n);
	out[n] = '\0';
	return n;
}

size_t expo_format_double(char out[EXPO_NUM_MAX], double v)
{
	int n;

	if (isnan(v))
		return (size_t)snprintf(out, EXPO_NUM_MAX, "NaN");
	if (isinf(v))
		return (size_t)snprintf(out, EXPO_NUM_MAX, v > 0 ? "+Inf" : "-Inf");
	/* Counters and counts are integers: print them exactly and fast. */
	if (v == trunc(v) && fabs(v) <= 9007199254740992.0) {
		char digits[EXPO_NUM_MAX];
		size_t n = expo_format_u64(digits, (uint64_t)fabs(v)), neg = v < 0;

		out[0] = '-';
		memcpy(out + neg, digits, n + 1);
		return n + neg;
	}
	for (int prec = 15; prec <= 17; prec++) {
		n = snprintf(out, EXPO_NUM_MAX, "%.*g", prec, v);
		if (prec == 17 || strtod(out, NULL) == v)
			break;
	}
	return (size_t)n;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

/* "_word_" inside s or "_word" at its end, as promlint tests words */
static bool has_word(const char *s, const char *word)
{
	char mid[48], end[48];

	snprintf(mid, sizeof(mid), "_%s_", word);
	snprintf(end, sizeof(end), "_%s", word);
	return strstr(s, mid) || has_suffix(s, end);
}

static bool camel_case(const char *s)
{
	for (; s[0] && s[1]; s++)
		if (s[0] >= 'a' && s[0] <= 'z' && s[1] >= 'A' && s[1] <= 'Z')
			return true;
	return false;
}

static bool in_list(const char *w, size_t n, const char *const *list, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (strlen(list[i]) == n && !strncmp(w, list[i], n))
			return true;
	return false;
}

#define IN_LIST(w, n, list) in_list(w, n, list, sizeof(list) / sizeof(*list))

/* promlint's metricUnits: a word (split on '_') that is a non-base time
 * unit, or an SI/IEC prefix glued to a base unit ("milliseconds"). */
static bool non_base_unit(const char *lname)
{
	static const char *const base[] = { "amperes", "bytes",	 "celsius", "grams",   "joules",
					    "kelvin",  "meters", "metres",  "seconds", "volts" };
	static const char *const time_units[] = { "minutes", "hours", "days", "weeks" };
	static const char *const prefix[] = { "pico", "nano",  "micro", "milli", "centi", "deci",
					      "deca", "hecto", "kilo",	"kibi",	 "mega",  "mibi",
					      "giga", "gibi",  "tera",	"tebi",	 "peta",  "pebi" };

	for (const char *w = lname; *w;) {
		size_t n = strcspn(w, "_");

		if (IN_LIST(w, n, time_units))
			return true;
		for (size_t p = 0; p < sizeof(prefix) / sizeof(*prefix); p++) {
			size_t k = strlen(prefix[p]);

			if (n > k && !strncmp(w, prefix[p], k) && IN_LIST(w + k, n - k, base))
				return true;
		}
		w += n + (w[n] == '_');
	}
	return false;
}

bool expo_name_lint_ok(const char *name, const char *type)
{
	static const char *const abbrev[] = { "s",  "ms", "us", "ns", "sec", "b", "kb",
					      "mb", "gb", "tb", "pb", "m",   "h", "d" };
	bool counter = !strcmp(type, "counter"), histogram = !strcmp(type, "histogram");
	char lname[256];
	size_t n = strlen(name);

	if (n >= sizeof(lname) || strchr(name, ':') || camel_case(name))
		return false;
	for (size_t i = 0; i <= n; i++)
		lname[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
	if (has_word(lname, type) || non_base_unit(lname))
		return false;
	for (size_t i = 0; i < sizeof(abbrev) / sizeof(*abbrev); i++)
		if (has_word(lname, abbrev[i]))
			return false;
	if (counter != has_suffix(name, "_total"))
		return false;
	if (!histogram &&
	    (has_suffix(name, "_bucket") || has_suffix(name, "_count") || has_suffix(name, "_sum")))
		return false;
	return true;
}

bool expo_label_lint_ok(const char *label)
{
	return !camel_case(label) && strcmp(label, "le") && strcmp(label, "quantile");
}

int expo_put_header(struct dynbuf *b, const char *name, const char *help, const char *type)
{
	int err = dynbuf_printf(b, "# HELP %s ", name);

	if (!err)
		err = expo_escape_help(b, help);
	if (!err)
		err = dynbuf_printf(b, "\n# TYPE %s %s\n", name, type);
	return err;
}

int expo_put_labels(struct dynbuf *b, const char *const *names, const char *const *values, size_t n)
{
	int err = 0;

	for (size_t i = 0; !err && i < n; i++) {
		err = i ? dynbuf_add(b, ",", 1) : 0;
		if (!err)
			err = dynbuf_addstr(b, names[i]);
		if (!err)
			err = dynbuf_add(b, "=\"", 2);
		if (!err)
			err = expo_escape_label_value(b, values[i]);
		if (!err)
			err = dynbuf_add(b, "\"", 1);
	}
	return err;
}

size_t expo_sample_max(const struct expo_line *l, const char *suffix, size_t le_len)
{
	/* {  ,le="  "}  space  number  newline */
	return l->name_len + strlen(suffix) + l->labels_len + le_len + 10 + EXPO_NUM_MAX;
}

static char *put_mem(char *p, const void *mem, size_t n)
{
	memcpy(p, mem, n);
	return p + n;
}

char *expo_write_sample(char *p, const struct expo_line *l, const char *suffix, const char *le,
			size_t le_len, const char *num, size_t num_len)
{
	bool braces = l->labels_len || le;

	p = put_mem(p, l->name, l->name_len);
	p = put_mem(p, suffix, strlen(suffix));
	if (braces)
		*p++ = '{';
	p = put_mem(p, l->labels, l->labels_len);
	if (le && l->labels_len)
		*p++ = ',';
	if (le) {
		p = put_mem(p, "le=\"", 4);
		p = put_mem(p, le, le_len);
		*p++ = '"';
	}
	if (braces)
		*p++ = '}';
	*p++ = ' ';
	p = put_mem(p, num, num_len);
	*p++ = '\n';
	return p;
}

int expo_put_sample(struct dynbuf *b, const char *name, const char *suffix,
		    const struct dynbuf *labels, const char *le, double v)
{
	struct expo_line l = { .name = name, .name_len = strlen(name), .labels = "" };
	size_t le_len = le ? strlen(le) : 0;
	char num[EXPO_NUM_MAX], *p;
	size_t n = expo_format_double(num, v);
	int err;

	if (labels && labels->len) {
		l.labels = labels->p;
		l.labels_len = labels->len;
	}
	err = dynbuf_room(b, expo_sample_max(&l, suffix, le_len), &p);
	if (err)
		return err;
	dynbuf_commit(b, (size_t)(expo_write_sample(p, &l, suffix, le, le_len, num, n) - p));
	return 0;
}

int expo_check_label_names(const char *const *names, size_t max, size_t maxlen, size_t *n)
{
	size_t i;

	for (i = 0; names && names[i]; i++) {
		if (i >= max || strlen(names[i]) > maxlen || !expo_label_name_valid(names[i]) ||
		    !expo_label_lint_ok(names[i]))
			return -EINVAL;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(names[i], names[j]))
				return -EINVAL;
	}
	*n = i;
	return 0;
}

int expo_check_buckets(const double *b, size_t n, size_t max)
{
	if (!b || !n || n > max)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!isfinite(b[i]) || (i && b[i] <= b[i - 1]))
			return -EINVAL;
	return 0;
}
