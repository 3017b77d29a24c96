// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What an LLM call cost, from LiteLLM's price table (pricing.h). The
 * model names on the wire seldom equal the table's keys (dated snapshots,
 * provider prefixes, "models/", OpenRouter's org/model), so a lookup walks
 * a fixed ladder of exact keys and never settles for a merely similar one:
 * a wrong price is worse than none, which the caller counts. A load builds
 * a whole new table and swaps it in only on success, so a bad user file
 * leaves the old prices in place. After loading, everything is read-only,
 * so any number of threads may price calls.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "pricing.h"
#include "pricing_data.h"

/* USD per token. The dearest real prices are near 1e-3; a larger one is a broken file. */
#define PRICE_MAX 1.0
#define TIER_128K 128000
#define TIER_200K 200000
/* A model id longer than this cannot become a key, whatever is stripped from it. */
#define MODEL_MAX (2 * PRICING_KEY_MAX)

struct entry {
	uint64_t hash;
	char key[PRICING_KEY_MAX];
	struct price price;
};

/* An undated name and the newest dated key it names ("claude-sonnet-4-5" -> "...-20250929"). */
struct alias {
	uint64_t hash;
	uint32_t entry;
	uint32_t date; /* YYYYMMDD */
	char name[PRICING_KEY_MAX];
};

/* Open addressing over element indices + 1 (0 = empty), never above half full. */
struct index {
	uint32_t *slots;
	uint32_t mask;
};

struct pricing {
	struct entry *e;
	size_t n;
	struct index ix;
	struct alias *a;
	size_t na;
	struct index aix;
};

static int say(int rc, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static uint64_t fnv1a(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* ---- hash index ---- */

static int index_init(struct index *ix, size_t n)
{
	size_t cap = 16;

	while (cap < 2 * n)
		cap *= 2;
	ix->slots = calloc(cap, sizeof(*ix->slots));
	if (!ix->slots)
		return -ENOMEM;
	ix->mask = (uint32_t)(cap - 1);
	return 0;
}

static void index_put(struct index *ix, uint64_t hash, uint32_t idx)
{
	uint32_t s = (uint32_t)hash & ix->mask;

	while (ix->slots[s])
		s = (s + 1) & ix->mask;
	ix->slots[s] = idx + 1;
}

static long entry_find(const struct entry *e, const struct index *ix, const char *key, size_t n,
		       uint64_t hash)
{
	for (uint32_t s = (uint32_t)hash & ix->mask; ix->slots[s]; s = (s + 1) & ix->mask) {
		const struct entry *x = &e[ix->slots[s] - 1];

		if (x->hash == hash && !strncmp(x->key, key, n) && !x->key[n])
			return ix->slots[s] - 1;
	}
	return -1;
}

static long alias_find(const struct alias *a, const struct index *ix, const char *name, size_t n,
		       uint64_t hash)
{
	for (uint32_t s = (uint32_t)hash & ix->mask; ix->slots[s]; s = (s + 1) & ix->mask) {
		const struct alias *x = &a[ix->slots[s] - 1];

		if (x->hash == hash && !strncmp(x->name, name, n) && !x->name[n])
			return ix->slots[s] - 1;
	}
	return -1;
}

/* ---- suffixes ---- */

static bool digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return n > 0;
}

static unsigned num(const char *s, size_t n)
{
	unsigned v = 0;

	for (size_t i = 0; i < n; i++)
		v = v * 10 + (unsigned)(s[i] - '0');
	return v;
}

static bool month_day(unsigned m, unsigned d)
{
	return m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

/*
 * A full date ending s[0..n): "-YYYY-MM-DD", "-YYYYMMDD" or "@YYYYMMDD".
 * Sets *cut (where the suffix starts) and *date (YYYYMMDD).
 */
static bool full_date(const char *s, size_t n, size_t *cut, uint32_t *date)
{
	const char *t;
	unsigned y, m, d;

	if (n > 11 && s[n - 11] == '-' && s[n - 6] == '-' && s[n - 3] == '-' &&
	    digits(s + n - 10, 4) && digits(s + n - 5, 2) && digits(s + n - 2, 2)) {
		t = s + n - 10;
		y = num(t, 4), m = num(t + 5, 2), d = num(t + 8, 2);
		*cut = n - 11;
	} else if (n > 9 && (s[n - 9] == '-' || s[n - 9] == '@') && digits(s + n - 8, 8)) {
		t = s + n - 8;
		y = num(t, 4), m = num(t + 4, 2), d = num(t + 6, 2);
		*cut = n - 9;
	} else {
		return false;
	}
	if (y < 2000 || y > 2099 || !month_day(m, d))
		return false;
	*date = y * 10000 + m * 100 + d;
	return true;
}

/* A date without a year ("-MM-DD", "-MMDD") or a version ("-001") ending s[0..n). */
static bool short_suffix(const char *s, size_t n, size_t *cut)
{
	if (n > 6 && s[n - 6] == '-' && s[n - 3] == '-' && digits(s + n - 5, 2) &&
	    digits(s + n - 2, 2) && month_day(num(s + n - 5, 2), num(s + n - 2, 2))) {
		*cut = n - 6;
		return true;
	}
	if (n > 5 && s[n - 5] == '-' && digits(s + n - 4, 4) &&
	    month_day(num(s + n - 4, 2), num(s + n - 2, 2))) {
		*cut = n - 5;
		return true;
	}
	if (n > 4 && s[n - 4] == '-' && digits(s + n - 3, 3)) {
		*cut = n - 4;
		return true;
	}
	return false;
}

static bool ends_with(const char *s, size_t n, const char *suf)
{
	size_t k = strlen(suf);

	return n > k && !memcmp(s + n - k, suf, k);
}

/* "-preview" / "-exp", each optionally followed by up to three "-<digits>" groups. */
static bool tag_suffix(const char *s, size_t n, size_t *cut)
{
	size_t end = n;

	for (int g = 0; g < 3; g++) {
		size_t i = end;

		while (i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9')
			i--;
		if (i == end || i == 0 || s[i - 1] != '-' || end - i > 8)
			break;
		end = i - 1;
	}
	for (size_t k = 0; k < 2; k++) {
		const char *tag = k ? "-exp" : "-preview";

		if (ends_with(s, end, tag)) {
			*cut = end - strlen(tag);
			return true;
		}
	}
	return false;
}

/* The family name: one trailing date, version, -latest, -preview or -exp dropped. */
static size_t family_len(const char *s, size_t n)
{
	size_t cut;
	uint32_t date;

	if (ends_with(s, n, "-latest"))
		return n - 7;
	if (tag_suffix(s, n, &cut) || full_date(s, n, &cut, &date) || short_suffix(s, n, &cut))
		return cut;
	return n;
}

/* ---- loading ---- */

struct field {
	const char *name;
	size_t off;
};

static const struct field fields[] = {
	{ "input_cost_per_token", offsetof(struct price, input) },
	{ "output_cost_per_token", offsetof(struct price, output) },
	{ "cache_read_input_token_cost", offsetof(struct price, cache_read) },
	{ "cache_creation_input_token_cost", offsetof(struct price, cache_creation) },
	{ "cache_creation_input_token_cost_above_1hr", offsetof(struct price, cache_creation_1h) },
	{ "output_cost_per_reasoning_token", offsetof(struct price, output_reasoning) },
	{ "input_cost_per_token_above_128k_tokens", offsetof(struct price, input_above_128k) },
	{ "output_cost_per_token_above_128k_tokens", offsetof(struct price, output_above_128k) },
	{ "cache_read_input_token_cost_above_128k_tokens",
	  offsetof(struct price, cache_read_above_128k) },
	{ "input_cost_per_token_above_200k_tokens", offsetof(struct price, input_above_200k) },
	{ "output_cost_per_token_above_200k_tokens", offsetof(struct price, output_above_200k) },
	{ "cache_read_input_token_cost_above_200k_tokens",
	  offsetof(struct price, cache_read_above_200k) },
	{ "cache_creation_input_token_cost_above_200k_tokens",
	  offsetof(struct price, cache_creation_above_200k) },
};
#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

static void copy_str(char *dst, size_t dlen, json_t *v)
{
	snprintf(dst, dlen, "%s", json_is_string(v) ? json_string_value(v) : "");
}

/* One entry's prices; false when the entry must be skipped. Absent or null: -1. */
static bool parse_price(json_t *v, struct price *out)
{
	if (!json_is_object(v))
		return false;
	for (size_t i = 0; i < N_FIELDS; i++) {
		json_t *f = json_object_get(v, fields[i].name);
		double x = -1;

		if (f && !json_is_null(f)) {
			if (!json_is_number(f))
				return false;
			x = json_number_value(f);
			if (!isfinite(x) || x < 0 || x > PRICE_MAX)
				return false;
		}
		memcpy((char *)out + fields[i].off, &x, sizeof(x));
	}
	if (out->input < 0 && out->output < 0)
		return false;
	copy_str(out->litellm_provider, sizeof(out->litellm_provider),
		 json_object_get(v, "litellm_provider"));
	copy_str(out->mode, sizeof(out->mode), json_object_get(v, "mode"));
	return true;
}

/* Notes ("_snapshot_date") and LiteLLM's schema example are not models. */
static bool ignored_key(const char *key)
{
	return key[0] == '_' || !strcmp(key, "sample_spec");
}

/* A table under construction: the old entries plus those of one file. */
struct build {
	struct entry *e;
	size_t n, cap;
	struct index ix;
};

static int build_init(struct build *b, const struct pricing *p, size_t more)
{
	b->cap = p->n + more;
	b->n = p->n;
	b->e = malloc((b->cap ? b->cap : 1) * sizeof(*b->e));
	if (!b->e || index_init(&b->ix, b->cap)) {
		free(b->e);
		return -ENOMEM;
	}
	if (p->n)
		memcpy(b->e, p->e, p->n * sizeof(*b->e));
	for (size_t i = 0; i < b->n; i++)
		index_put(&b->ix, b->e[i].hash, (uint32_t)i);
	return 0;
}

static void build_add(struct build *b, const char *key, const struct price *pr)
{
	size_t n = strlen(key);
	uint64_t h = fnv1a(key, n);
	long at = entry_find(b->e, &b->ix, key, n, h);
	struct entry *e;

	if (at < 0) {
		at = (long)b->n++;
		index_put(&b->ix, h, (uint32_t)at);
	}
	e = &b->e[at];
	e->hash = h;
	memcpy(e->key, key, n + 1);
	e->price = *pr;
}

/* Keys ending in a full date give their undated name an alias; the newest date wins. */
static int build_aliases(const struct entry *e, size_t n, struct alias **out_a, size_t *out_na,
			 struct index *aix)
{
	struct alias *a = malloc((n ? n : 1) * sizeof(*a));
	size_t na = 0;

	if (!a || index_init(aix, n)) {
		free(a);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		size_t cut;
		uint32_t date;
		uint64_t h;
		long at;

		if (!full_date(e[i].key, strlen(e[i].key), &cut, &date))
			continue;
		h = fnv1a(e[i].key, cut);
		at = alias_find(a, aix, e[i].key, cut, h);
		if (at >= 0) {
			if (date > a[at].date)
				a[at].entry = (uint32_t)i, a[at].date = date;
			continue;
		}
		a[na] = (struct alias){ .hash = h, .entry = (uint32_t)i, .date = date };
		memcpy(a[na].name, e[i].key, cut);
		a[na].name[cut] = '\0';
		index_put(aix, h, (uint32_t)na++);
	}
	*out_a = a;
	*out_na = na;
	return 0;
}

static void drop_tables(struct pricing *p)
{
	free(p->e);
	free(p->ix.slots);
	free(p->a);
	free(p->aix.slots);
}

struct pricing *pricing__new(void)
{
	struct pricing *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	if (index_init(&p->ix, 0) || index_init(&p->aix, 0)) {
		pricing__free(p);
		errno = ENOMEM;
		return NULL;
	}
	return p;
}

void pricing__free(struct pricing *p)
{
	if (!p)
		return;
	drop_tables(p);
	free(p);
}

size_t pricing__count(const struct pricing *p)
{
	return p ? p->n : 0;
}

/* Merges the entries of root into a copy of p's table; swaps it in when all went well. */
static int merge(struct pricing *p, json_t *root, const char *name, size_t *skipped, char *err,
		 size_t errlen)
{
	struct build b;
	struct pricing next = { 0 };
	size_t skip = 0;
	const char *key;
	json_t *v;

	if (build_init(&b, p, json_object_size(root)))
		return say(-ENOMEM, err, errlen, "%s: out of memory", name);
	json_object_foreach(root, key, v)
	{
		struct price pr;

		if (ignored_key(key))
			continue;
		if (!key[0] || strlen(key) >= PRICING_KEY_MAX || !parse_price(v, &pr)) {
			skip++;
			continue;
		}
		build_add(&b, key, &pr);
	}
	next = (struct pricing){ .e = b.e, .n = b.n, .ix = b.ix };
	if (b.n > PRICING_MAX_ENTRIES) {
		drop_tables(&next);
		return say(-E2BIG, err, errlen, "%s: more than %d entries", name,
			   PRICING_MAX_ENTRIES);
	}
	if (build_aliases(next.e, next.n, &next.a, &next.na, &next.aix)) {
		drop_tables(&next);
		return say(-ENOMEM, err, errlen, "%s: out of memory", name);
	}
	drop_tables(p);
	*p = next;
	if (skipped)
		*skipped = skip;
	return 0;
}

int pricing__load_json(struct pricing *p, const char *name, const char *buf, size_t len,
		       size_t *skipped, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root;
	int rc;

	if (skipped)
		*skipped = 0;
	if (!name)
		name = "prices";
	if (!p || (!buf && len))
		return say(-EINVAL, err, errlen, "%s: no table or no data", name);
	if (len > PRICING_FILE_MAX)
		return say(-E2BIG, err, errlen, "%s: larger than %u bytes", name, PRICING_FILE_MAX);
	root = json_loadb(buf ? buf : "", len, 0, &je);
	if (!root)
		return say(-EINVAL, err, errlen, "%s:%d:%d: %s", name, je.line, je.column, je.text);
	if (!json_is_object(root))
		rc = say(-EINVAL, err, errlen, "%s: not a JSON object", name);
	else if (json_object_size(root) > PRICING_MAX_ENTRIES)
		rc = say(-E2BIG, err, errlen, "%s: more than %d entries", name,
			 PRICING_MAX_ENTRIES);
	else
		rc = merge(p, root, name, skipped, err, errlen);
	json_decref(root);
	return rc;
}

/* The whole file; -E2BIG above PRICING_FILE_MAX bytes, else 0 or -errno. */
static int read_all(int fd, char **out, size_t *outlen)
{
	size_t cap = 0, n = 0;
	char *buf = NULL, *nb;
	ssize_t r;

	for (;;) {
		if (n == cap) {
			/* one byte over the limit tells a too-large file from one exactly at it */
			if (cap > PRICING_FILE_MAX)
				return free(buf), -E2BIG;
			cap = cap ? cap * 2 : 1 << 16;
			if (cap > PRICING_FILE_MAX)
				cap = PRICING_FILE_MAX + 1;
			nb = realloc(buf, cap);
			if (!nb)
				return free(buf), -ENOMEM;
			buf = nb;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			return free(buf), -e;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*out = buf;
	*outlen = n;
	return 0;
}

int pricing__load_file(struct pricing *p, const char *path, size_t *skipped, char *err,
		       size_t errlen)
{
	char *buf = NULL;
	size_t n = 0;
	int fd, rc;

	if (skipped)
		*skipped = 0;
	if (!p || !path)
		return say(-EINVAL, err, errlen, "no table or no path");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return rc = -errno, say(rc, err, errlen, "%s: %s", path, strerror(-rc));
	rc = read_all(fd, &buf, &n);
	close(fd);
	if (rc == -E2BIG)
		return say(rc, err, errlen, "%s: larger than %u bytes", path, PRICING_FILE_MAX);
	if (rc)
		return say(rc, err, errlen, "%s: %s", path, strerror(-rc));
	rc = pricing__load_json(p, path, buf, n, skipped, err, errlen);
	free(buf);
	return rc;
}

int pricing__load_builtin(struct pricing *p, char *err, size_t errlen)
{
	return pricing__load_json(p, "built-in prices", bt_pricing_json, bt_pricing_json_len, NULL,
				  err, errlen);
}

const char *pricing_builtin_date(void)
{
	static const char key[] = "\"_snapshot_date\"";
	/* per thread, so concurrent callers never share a buffer being written */
	static _Thread_local char date[11];
	const char *s = memmem(bt_pricing_json, bt_pricing_json_len, key, sizeof(key) - 1);

	if (!s)
		return "unknown";
	s += sizeof(key) - 1;
	while (*s == ' ' || *s == ':' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	if (*s != '"' || !digits(s + 1, 4) || s[5] != '-' || !digits(s + 6, 2) || s[8] != '-' ||
	    !digits(s + 9, 2) || s[11] != '"')
		return "unknown";
	memcpy(date, s + 1, 10);
	date[10] = '\0';
	return date;
}

/* ---- lookup ---- */

/* The LiteLLM key prefix of one of our provider names; NULL when it has none. */
static const char *key_prefix(const char *provider)
{
	size_t n;

	if (!provider || !provider[0] || !strcmp(provider, "unknown"))
		return NULL;
	if (!strcmp(provider, "azure_openai"))
		return "azure";
	n = strlen(provider);
	if (n > 11 && !strcmp(provider + n - 11, "_compatible"))
		return NULL;
	return provider;
}

/* Our provider name for an OpenRouter org ("google/gemini-2.5-pro" is Gemini's). */
static void org_provider(const char *org, size_t n, char *out, size_t outlen)
{
	static const char *const map[][2] = {
		{ "google", "gemini" },
		{ "mistralai", "mistral" },
		{ "x-ai", "xai" },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strlen(map[i][0]) == n && !memcmp(org, map[i][0], n)) {
			snprintf(out, outlen, "%s", map[i][1]);
			return;
		}
	snprintf(out, outlen, "%.*s", (int)n, org);
}

struct probe {
	const struct pricing *p;
	const char *prefix;
	bool alias;
};

/* The entry for "<prefix>/<name>" (when there is a prefix) or name, exact or as an alias. */
static const struct entry *probe_one(const struct probe *q, const char *name, size_t n,
				     bool prefixed)
{
	char buf[PRICING_KEY_MAX];
	int k;
	long at;

	if (prefixed) {
		if (!q->prefix)
			return NULL;
		k = snprintf(buf, sizeof(buf), "%s/%.*s", q->prefix, (int)n, name);
		if (k < 0 || (size_t)k >= sizeof(buf))
			return NULL;
		name = buf, n = (size_t)k;
	}
	if (n >= PRICING_KEY_MAX)
		return NULL;
	if (!q->alias) {
		at = entry_find(q->p->e, &q->p->ix, name, n, fnv1a(name, n));
		return at < 0 ? NULL : &q->p->e[at];
	}
	at = alias_find(q->p->a, &q->p->aix, name, n, fnv1a(name, n));
	return at < 0 ? NULL : &q->p->e[q->p->a[at].entry];
}

/* Exact keys first (prefixed, bare; as sent, without "models/", family name), then aliases. */
static const struct entry *ladder(const struct pricing *p, const char *provider, const char *m)
{
	size_t n = strlen(m), bare = 0, len[3];
	const char *name[3];
	struct probe q = { .p = p, .prefix = key_prefix(provider) };

	if (n > 7 && !strncmp(m, "models/", 7))
		bare = 7;
	name[0] = m, len[0] = n;
	name[1] = m + bare, len[1] = n - bare;
	name[2] = m + bare, len[2] = family_len(m + bare, n - bare);
	for (int pass = 0; pass < 2; pass++, q.alias = true)
		for (int i = 0; i < 3; i++)
			for (int pre = 1; pre >= 0; pre--) {
				const struct entry *e = probe_one(&q, name[i], len[i], pre);

				if (e)
					return e;
			}
	return NULL;
}

const struct price *pricing__lookup(const struct pricing *p, const char *provider,
				    const char *model, char *key, size_t keylen)
{
	const struct entry *e = NULL;
	const char *slash;

	if (key && keylen)
		key[0] = '\0';
	if (!p || !model || !model[0] || strnlen(model, MODEL_MAX) >= MODEL_MAX)
		return NULL;
	e = ladder(p, provider, model);
	slash = strchr(model, '/');
	if (!e && provider && !strcmp(provider, "openrouter") && slash && slash > model &&
	    slash[1]) {
		char org[LLM_PROVIDER_LEN];

		org_provider(model, (size_t)(slash - model), org, sizeof(org));
		e = ladder(p, org, slash + 1);
	}
	if (!e)
		return NULL;
	if (key && keylen)
		snprintf(key, keylen, "%s", e->key);
	return &e->price;
}

/* ---- cost ---- */

struct rates {
	double in, out, cache_read, cache_5m, cache_1h, reasoning;
};

static double rate_or(double v, double fallback)
{
	return v >= 0 ? v : fallback;
}

/* The rates for a prompt of `prompt` tokens: long-context tiers when the table has them. */
static void pick_rates(const struct price *pr, uint64_t prompt, struct rates *r)
{
	double in = rate_or(pr->input, 0), out = rate_or(pr->output, 0);
	double cr = pr->cache_read, cc = pr->cache_creation;

	if (prompt > TIER_200K && (pr->input_above_200k >= 0 || pr->output_above_200k >= 0)) {
		in = rate_or(pr->input_above_200k, in);
		out = rate_or(pr->output_above_200k, out);
		cr = rate_or(pr->cache_read_above_200k, cr);
		cc = rate_or(pr->cache_creation_above_200k, cc);
	} else if (prompt > TIER_128K &&
		   (pr->input_above_128k >= 0 || pr->output_above_128k >= 0)) {
		in = rate_or(pr->input_above_128k, in);
		out = rate_or(pr->output_above_128k, out);
		cr = rate_or(pr->cache_read_above_128k, cr);
	}
	r->in = in;
	r->out = out;
	r->cache_read = rate_or(cr, in);
	r->cache_5m = rate_or(cc, in);
	r->cache_1h = rate_or(pr->cache_creation_1h, r->cache_5m);
	r->reasoning = rate_or(pr->output_reasoning, out);
}

/* input counts every prompt token (cache reads and writes included), output reasoning too. */
static double table_cost(const struct price *pr, const struct llm_tokens *t)
{
	struct rates r;
	uint64_t cached = t->cache_read + t->cache_creation;
	uint64_t uncached = t->input > cached && cached >= t->cache_read ? t->input - cached : 0;
	uint64_t c1h = t->cache_creation_1h < t->cache_creation ? t->cache_creation_1h :
								  t->cache_creation;
	uint64_t rs = t->reasoning < t->output ? t->reasoning : t->output;

	pick_rates(pr, t->input, &r);
	return (double)uncached * r.in + (double)t->cache_read * r.cache_read +
	       (double)(t->cache_creation - c1h) * r.cache_5m + (double)c1h * r.cache_1h +
	       (double)(t->output - rs) * r.out + (double)rs * r.reasoning;
}

void pricing__cost(const struct pricing *p, const struct llm_call *c, struct cost *out)
{
	const struct price *pr;

	memset(out, 0, sizeof(*out));
	out->model = "";
	if (!c)
		return;
	out->model = c->response_model[0] ? c->response_model : c->request_model;
	if (c->reported_cost_usd >= 0 && isfinite(c->reported_cost_usd)) {
		out->usd = c->reported_cost_usd;
		out->priced = out->from_provider = true;
		return;
	}
	if (!c->usage_ok) {
		out->priced = true; /* nothing was counted, so nothing is owed */
		return;
	}
	pr = pricing__lookup(p, c->provider, out->model, out->key, sizeof(out->key));
	if (!pr && out->model == c->response_model && c->request_model[0]) {
		/* a served snapshot the table does not know: the model asked for */
		pr = pricing__lookup(p, c->provider, c->request_model, out->key, sizeof(out->key));
		if (pr)
			out->model = c->request_model;
	}
	if (!pr)
		return;
	out->usd = table_cost(pr, &c->tok);
	out->priced = true;
}
