// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Stateful detectors. Per-request rules (http_threat.c) see one request;
 * brute force, scanning, hammering through a rate limit and an agent stuck
 * in a loop only show as a pattern over time from one source, so this
 * module keeps a little recent history per source. It is fed from the
 * event path, so each observation costs a hash lookup and work bounded by
 * the configured thresholds, and memory is bounded whatever the traffic.
 *
 * Semantics:
 * - Windows slide: an observation at time ts is in the window of length W
 *   at time now when now - ts < W. Counts are of observations, each with
 *   its own time; the caller's clock (monotonic ns), not ours.
 * - auth_failure_burst: auth_fail_count answers 401 or 403 to one client
 *   within auth_fail_window_ns. Fires on the answer that reaches the count
 *   (never one before).
 * - scanner: scanner_404_count answers 404, or scanner_distinct_paths
 *   distinct paths (any status; hashes of the path given, in a set of at
 *   most scanner_distinct_paths entries per client; a NULL path is not
 *   counted), within scanner_window_ns, or one request whose User-Agent
 *   names an attack tool. One detector: whichever trips first fires (a
 *   tool before the counts, so the event names it).
 * - rate_limit_violation: ratelimit_429_count answers 429 to one client
 *   within ratelimit_window_ns.
 * - One alert per window: an alert disarms that detector for that source
 *   for one window from the alert, so the observations that tripped it
 *   must all have left the window before it can fire again. A burst gives
 *   one alert; a steady brute force one alert per window, not one per
 *   request; once re-armed it fires on the next observation that finds
 *   the count reached in its window. An observation that trips two
 *   detectors reports the first (enum order); the other, still armed,
 *   fires on the next observation of its kind from that source.
 * - llm_runaway_loop, per "service/agent_type": calls and spend are summed
 *   in calendar-minute buckets (now / 60 s). The baseline is the mean per
 *   minute over the whole minutes before the current one, since the source
 *   was first seen, at most llm_baseline_ns of them (minutes without calls
 *   count as 0); at least 5 such minutes are needed. It fires when the
 *   current minute's calls exceed max(llm_min_calls_per_min,
 *   llm_rate_factor x baseline calls), or its spend exceeds llm_rate_factor
 *   x baseline spend while its calls exceed llm_min_calls_per_min; and
 *   re-arms at the next minute. It also fires when one non-zero
 *   request_hash is seen llm_repeat_count times within
 *   llm_repeat_window_ns (8 hashes followed per source, the least recently
 *   seen replaced: a loop cycling through more distinct requests is left
 *   to the rate test), and then re-arms one repeat window later.
 *   A negative or non-finite cost counts as 0.
 * - allow_sources: a client address (or "service/agent_type") equal to an
 *   entry is not tracked and never alerted on. Disabled detectors neither
 *   track nor alert.
 * - Memory: at most DETECT_MAX_SOURCES sources (client addresses and
 *   service/agent pairs, keys cut to DETECT_KEY_MAX - 1 bytes), each with
 *   fixed rings sized by the thresholds (at most DETECT_COUNT_MAX). When
 *   full, the least recently seen source of the kind holding more entries
 *   goes (ties: the newcomer's kind), so a flood of clients cannot push
 *   out the agents' baselines, and each eviction is counted. With the
 *   default thresholds a client costs about 1.2 KiB and an agent 1.9 KiB
 *   (a full table: 19 to 30 MiB); with every threshold at
 *   DETECT_COUNT_MAX, up to 40 and 90 KiB.
 * - Time going backwards by up to 1 s (events handed over out of order)
 *   is treated as no time passing; a longer step back makes the source
 *   forget its history (missing an alert rather than raising a false one).
 *
 * Not thread-safe: one caller, or the caller's lock.
 */
#include "detect.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_MIN 60000000000ull
#define CLOCK_SLACK_NS 1000000000ull
#define NIL UINT32_MAX
/* Hash chains: twice the sources, so chains stay short. */
#define CHAINS (2 * DETECT_MAX_SOURCES)
#define REPEAT_SLOTS 8
/* Bytes of a path hashed: longer paths that differ only beyond it count once. */
#define PATH_HASH_MAX 2048
#define FNV_BASIS 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

enum kind { K_HTTP, K_LLM, K__COUNT };

/* The last cap observation times; full and oldest within W means cap in W. */
struct ring {
	uint64_t *ts;
	uint32_t cap, head, n;
};

struct path_slot {
	uint64_t hash, ts;
};

struct http_state {
	struct ring auth, nf, rl;
	struct path_slot *paths;
	uint32_t paths_cap, npaths;
};

struct bucket {
	uint64_t minute, calls;
	double spend;
};

struct repeat_slot {
	uint64_t hash;
	struct ring r;
};

struct llm_state {
	uint64_t first_minute;
	struct bucket *b;
	uint32_t nb; /* baseline minutes + the current one */
	struct repeat_slot rep[REPEAT_SLOTS];
};

struct source {
	uint64_t hash, last_ns;
	uint64_t quiet_until[DET__COUNT]; /* disarmed before this time */
	void *state; /* struct http_state or llm_state, with its rings after it */
	uint32_t chain, prev, next;
	uint8_t kind;
	char key[DETECT_KEY_MAX];
};

struct lru {
	uint32_t head, tail, n; /* head: most recently seen */
};

struct detect {
	struct detect_cfg c;
	uint64_t seed;
	uint32_t *chains;
	struct source *src;
	uint32_t n_src, cap_src;
	struct lru lru[K__COUNT];
	size_t state_size[K__COUNT];
	uint64_t evicted;
};

static const char *const type_names[DET__COUNT] = {
	[DET_AUTH_FAILURE_BURST] = "auth_failure_burst",
	[DET_SCANNER] = "scanner",
	[DET_RATE_LIMIT_VIOLATION] = "rate_limit_violation",
	[DET_LLM_RUNAWAY_LOOP] = "llm_runaway_loop",
};

const char *detect_type_name(enum detect_type t)
{
	return (unsigned)t < DET__COUNT ? type_names[t] : "unknown";
}

/* ---- configuration ---- */

void detect_cfg_defaults(struct detect_cfg *c)
{
	memset(c, 0, sizeof(*c));
	for (int i = 0; i < DET__COUNT; i++)
		c->enabled[i] = true;
	c->auth_fail_count = 5;
	c->auth_fail_window_ns = 5 * NS_PER_MIN;
	c->scanner_404_count = 20;
	c->scanner_distinct_paths = 50;
	c->scanner_window_ns = NS_PER_MIN;
	c->ratelimit_429_count = 10;
	c->ratelimit_window_ns = NS_PER_MIN;
	c->llm_rate_factor = 5;
	c->llm_min_calls_per_min = 30;
	c->llm_baseline_ns = 30 * NS_PER_MIN;
	c->llm_repeat_count = 10;
	c->llm_repeat_window_ns = NS_PER_MIN;
}

static int cfg_fail(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why && whylen) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static bool count_ok(uint32_t n)
{
	return n >= 1 && n <= DETECT_COUNT_MAX;
}

static int cfg_check_http(const struct detect_cfg *c, char *why, size_t whylen)
{
	if (c->enabled[DET_AUTH_FAILURE_BURST] &&
	    (!count_ok(c->auth_fail_count) || !c->auth_fail_window_ns))
		return cfg_fail(why, whylen, "auth_failure_burst: count 1..%d and a window > 0",
				DETECT_COUNT_MAX);
	if (c->enabled[DET_SCANNER] &&
	    (!count_ok(c->scanner_404_count) || !count_ok(c->scanner_distinct_paths) ||
	     !c->scanner_window_ns))
		return cfg_fail(why, whylen, "scanner: counts 1..%d and a window > 0",
				DETECT_COUNT_MAX);
	if (c->enabled[DET_RATE_LIMIT_VIOLATION] &&
	    (!count_ok(c->ratelimit_429_count) || !c->ratelimit_window_ns))
		return cfg_fail(why, whylen, "rate_limit_violation: count 1..%d and a window > 0",
				DETECT_COUNT_MAX);
	return 0;
}

static int cfg_check_llm(const struct detect_cfg *c, char *why, size_t whylen)
{
	uint64_t mins = c->llm_baseline_ns / NS_PER_MIN;

	if (!c->enabled[DET_LLM_RUNAWAY_LOOP])
		return 0;
	if (!isfinite(c->llm_rate_factor) || c->llm_rate_factor <= 0)
		return cfg_fail(why, whylen, "llm_runaway_loop: rate factor must be > 0");
	if (mins < DETECT_BASELINE_MIN_MINUTES || mins > DETECT_COUNT_MAX)
		return cfg_fail(why, whylen, "llm_runaway_loop: baseline must be %d to %d minutes",
				DETECT_BASELINE_MIN_MINUTES, DETECT_COUNT_MAX);
	if (!count_ok(c->llm_repeat_count) || !c->llm_repeat_window_ns)
		return cfg_fail(why, whylen,
				"llm_runaway_loop: repeat count 1..%d and a window > 0",
				DETECT_COUNT_MAX);
	return 0;
}

int detect_cfg_check(const struct detect_cfg *c, char *why, size_t whylen)
{
	int rc;

	if (!c)
		return cfg_fail(why, whylen, "no configuration");
	rc = cfg_check_http(c, why, whylen);
	return rc ? rc : cfg_check_llm(c, why, whylen);
}

/* ---- per-source state: one allocation, rings carved after the header ---- */

static uint32_t cap_if(bool on, uint32_t n)
{
	return on ? n : 0;
}

static void state_sizes(struct detect *d)
{
	const struct detect_cfg *c = &d->c;
	size_t ts = cap_if(c->enabled[DET_AUTH_FAILURE_BURST], c->auth_fail_count) +
		    cap_if(c->enabled[DET_SCANNER], c->scanner_404_count) +
		    cap_if(c->enabled[DET_RATE_LIMIT_VIOLATION], c->ratelimit_429_count);
	bool llm = c->enabled[DET_LLM_RUNAWAY_LOOP];

	d->state_size[K_HTTP] = sizeof(struct http_state) + ts * sizeof(uint64_t) +
				cap_if(c->enabled[DET_SCANNER], c->scanner_distinct_paths) *
					sizeof(struct path_slot);
	d->state_size[K_LLM] =
		sizeof(struct llm_state) +
		cap_if(llm, (uint32_t)(c->llm_baseline_ns / NS_PER_MIN) + 1) *
			sizeof(struct bucket) +
		(size_t)REPEAT_SLOTS * cap_if(llm, c->llm_repeat_count) * sizeof(uint64_t);
}

/* Hands out the next n bytes of a state allocation (every piece is 8-aligned). */
static void *carve(char **p, size_t n)
{
	void *r = *p;

	*p += n;
	return r;
}

static void ring_carve(struct ring *r, char **p, uint32_t cap)
{
	r->cap = cap;
	r->ts = carve(p, (size_t)cap * sizeof(uint64_t));
}

static void http_state_init(const struct detect *d, struct http_state *st)
{
	const struct detect_cfg *c = &d->c;
	char *p = (char *)(st + 1);

	memset(st, 0, d->state_size[K_HTTP]);
	ring_carve(&st->auth, &p, cap_if(c->enabled[DET_AUTH_FAILURE_BURST], c->auth_fail_count));
	ring_carve(&st->nf, &p, cap_if(c->enabled[DET_SCANNER], c->scanner_404_count));
	ring_carve(&st->rl, &p,
		   cap_if(c->enabled[DET_RATE_LIMIT_VIOLATION], c->ratelimit_429_count));
	st->paths_cap = cap_if(c->enabled[DET_SCANNER], c->scanner_distinct_paths);
	st->paths = carve(&p, (size_t)st->paths_cap * sizeof(struct path_slot));
}

static void llm_state_init(const struct detect *d, struct llm_state *st, uint64_t now)
{
	const struct detect_cfg *c = &d->c;
	bool on = c->enabled[DET_LLM_RUNAWAY_LOOP];
	char *p = (char *)(st + 1);

	memset(st, 0, d->state_size[K_LLM]);
	st->first_minute = now / NS_PER_MIN;
	st->nb = cap_if(on, (uint32_t)(c->llm_baseline_ns / NS_PER_MIN) + 1);
	st->b = carve(&p, (size_t)st->nb * sizeof(struct bucket));
	for (int i = 0; i < REPEAT_SLOTS; i++)
		ring_carve(&st->rep[i].r, &p, cap_if(on, c->llm_repeat_count));
}

/* Forgets everything the source has seen, as if first seen at now. */
static void source_reset(const struct detect *d, struct source *s, uint64_t now)
{
	if (s->kind == K_HTTP)
		http_state_init(d, s->state);
	else
		llm_state_init(d, s->state, now);
	memset(s->quiet_until, 0, sizeof(s->quiet_until));
	s->last_ns = now;
}

/* The source's time for this observation: never before its last one. */
static uint64_t source_time(const struct detect *d, struct source *s, uint64_t now)
{
	if (now >= s->last_ns) {
		s->last_ns = now;
		return now;
	}
	if (s->last_ns - now <= CLOCK_SLACK_NS)
		return s->last_ns;
	source_reset(d, s, now);
	return now;
}

/* ---- source table: hash chains and one LRU list per kind ---- */

static uint64_t key_hash(const struct detect *d, enum kind k, const char *key)
{
	uint64_t h = (d->seed ^ (uint64_t)k) * FNV_PRIME;

	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * FNV_PRIME;
	return h ^ (h >> 29);
}

static void lru_unlink(struct detect *d, uint32_t i)
{
	struct source *s = &d->src[i];
	struct lru *l = &d->lru[s->kind];

	if (s->prev != NIL)
		d->src[s->prev].next = s->next;
	else
		l->head = s->next;
	if (s->next != NIL)
		d->src[s->next].prev = s->prev;
	else
		l->tail = s->prev;
	l->n--;
}

static void lru_push(struct detect *d, uint32_t i)
{
	struct source *s = &d->src[i];
	struct lru *l = &d->lru[s->kind];

	s->prev = NIL;
	s->next = l->head;
	if (l->head != NIL)
		d->src[l->head].prev = i;
	else
		l->tail = i;
	l->head = i;
	l->n++;
}

static void chain_unlink(struct detect *d, uint32_t i)
{
	uint32_t *p = &d->chains[d->src[i].hash & (CHAINS - 1)];

	while (*p != i)
		p = &d->src[*p].chain;
	*p = d->src[i].chain;
}

/* Index of the source that makes room: LRU of the larger kind, ties the newcomer's. */
static uint32_t victim(const struct detect *d, enum kind k)
{
	enum kind other = k == K_HTTP ? K_LLM : K_HTTP;

	return d->lru[k].n >= d->lru[other].n ? d->lru[k].tail : d->lru[other].tail;
}

/* A slot with state memory for kind k: a new one, or an evicted source's. */
static int slot_new(struct detect *d, enum kind k, uint32_t *idx)
{
	void *st = malloc(d->state_size[k]);
	struct source *a;
	uint32_t ncap;

	if (!st)
		return -ENOMEM;
	if (d->n_src == d->cap_src) {
		ncap = d->cap_src ? 2 * d->cap_src : 64;
		a = realloc(d->src, (size_t)ncap * sizeof(*a));
		if (!a) {
			free(st);
			return -ENOMEM;
		}
		d->src = a;
		d->cap_src = ncap;
	}
	*idx = d->n_src++;
	d->src[*idx].state = st;
	return 0;
}

static int slot_evict(struct detect *d, enum kind k, uint32_t *idx)
{
	uint32_t i = victim(d, k);
	struct source *s = &d->src[i];
	void *st = NULL;

	if (s->kind != k) {
		st = malloc(d->state_size[k]);
		if (!st)
			return -ENOMEM;
	}
	chain_unlink(d, i);
	lru_unlink(d, i);
	d->evicted++;
	if (st) {
		free(s->state);
		s->state = st;
	}
	*idx = i;
	return 0;
}

/* The source of (k, key), created (maybe evicting one) on first sight; most recent now. */
static int source_get(struct detect *d, enum kind k, const char *key, uint64_t now,
		      struct source **out)
{
	uint64_t h = key_hash(d, k, key);
	uint32_t *chain = &d->chains[h & (CHAINS - 1)];
	struct source *s;
	uint32_t i;
	int rc;

	for (i = *chain; i != NIL; i = d->src[i].chain) {
		s = &d->src[i];
		if (s->hash == h && s->kind == k && !strcmp(s->key, key)) {
			lru_unlink(d, i);
			lru_push(d, i);
			*out = s;
			return 0;
		}
	}
	rc = d->n_src < DETECT_MAX_SOURCES ? slot_new(d, k, &i) : slot_evict(d, k, &i);
	if (rc)
		return rc;
	s = &d->src[i];
	s->hash = h;
	s->kind = (uint8_t)k;
	strcpy(s->key, key);
	s->chain = *chain;
	*chain = i;
	lru_push(d, i);
	source_reset(d, s, now);
	*out = s;
	return 0;
}

/* ---- alerts ---- */

static bool allowed(const struct detect *d, const char *key)
{
	size_t n = strlen(key);

	for (size_t i = 0; i < sizeof(d->c.allow_sources) / sizeof(d->c.allow_sources[0]); i++) {
		const char *a = d->c.allow_sources[i];
		size_t an = strnlen(a, sizeof(d->c.allow_sources[0]));

		if (an && an == n && !memcmp(a, key, n))
			return true;
	}
	return false;
}

/* A quiet time saturated at the end of the clock holds until the source is reset. */
static bool armed(const struct source *s, enum detect_type t, uint64_t now)
{
	return now >= s->quiet_until[t] && s->quiet_until[t] != UINT64_MAX;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* Fills *out (detail from fmt) and disarms the detector for the source until `until`. */
__attribute__((format(printf, 7, 8))) static int
raise_alert(struct source *s, enum detect_type t, uint64_t count, uint64_t window, uint64_t until,
	    struct detect_alert *out, const char *fmt, ...)
{
	va_list ap;

	memset(out, 0, sizeof(*out));
	out->type = t;
	strcpy(out->source, s->key);
	out->count = count;
	out->window_ns = window;
	va_start(ap, fmt);
	vsnprintf(out->detail, sizeof(out->detail), fmt, ap);
	va_end(ap);
	s->quiet_until[t] = until;
	return 1;
}

/* ---- rings ---- */

static void ring_push(struct ring *r, uint64_t t)
{
	r->ts[r->head] = t;
	r->head = (r->head + 1) % r->cap;
	if (r->n < r->cap)
		r->n++;
}

/* Whether the last cap observations all fall in the window ending at t. */
static bool ring_tripped(const struct ring *r, uint64_t t, uint64_t window)
{
	return r->n == r->cap && t - r->ts[r->head] < window;
}

/* ---- HTTP detectors; out is NULL once this observation has raised its alert ---- */

static int count_rule(struct source *s, struct ring *r, enum detect_type type, uint64_t t,
		      uint64_t window, const char *what, struct detect_alert *out)
{
	ring_push(r, t);
	if (!out || !armed(s, type, t) || !ring_tripped(r, t, window))
		return 0;
	return raise_alert(s, type, r->cap, window, add_sat(t, window), out, "%sx%u", what, r->cap);
}

static uint64_t path_hash(const char *p)
{
	uint64_t h = FNV_BASIS;

	for (size_t i = 0; i < PATH_HASH_MAX && p[i]; i++)
		h = (h ^ (unsigned char)p[i]) * FNV_PRIME;
	return h;
}

/* Drops paths last seen outside the window; then counts path (if any) as seen at t. */
static void paths_see(struct http_state *st, const char *path, uint64_t t, uint64_t window)
{
	uint32_t i, oldest = 0;
	uint64_t h;

	for (i = 0; i < st->npaths;) {
		if (t - st->paths[i].ts >= window)
			st->paths[i] = st->paths[--st->npaths];
		else
			i++;
	}
	if (!path)
		return;
	h = path_hash(path);
	for (i = 0; i < st->npaths; i++) {
		if (st->paths[i].hash == h) {
			st->paths[i].ts = t;
			return;
		}
		if (st->paths[i].ts < st->paths[oldest].ts)
			oldest = i;
	}
	/* full only while disarmed: the set never needs more than the threshold */
	if (st->npaths == st->paths_cap)
		i = oldest;
	else
		i = st->npaths++;
	st->paths[i] = (struct path_slot){ h, t };
}

static int scanner_rule(const struct detect *d, struct source *s, uint64_t t, uint16_t status,
			const char *path, const char *tool, struct detect_alert *out)
{
	struct http_state *st = s->state;
	uint64_t w = d->c.scanner_window_ns;

	if (status == 404)
		ring_push(&st->nf, t);
	paths_see(st, path, t, w);
	if (!out || !armed(s, DET_SCANNER, t))
		return 0;
	if (tool)
		return raise_alert(s, DET_SCANNER, 1, w, add_sat(t, w), out, "tool=%s", tool);
	if (ring_tripped(&st->nf, t, w))
		return raise_alert(s, DET_SCANNER, st->nf.cap, w, add_sat(t, w), out, "404x%u",
				   st->nf.cap);
	if (st->npaths >= st->paths_cap)
		return raise_alert(s, DET_SCANNER, st->npaths, w, add_sat(t, w), out,
				   "distinct_paths=%u", st->npaths);
	return 0;
}

static bool http_relevant(const struct detect_cfg *c, uint16_t status, const char *path,
			  const char *tool)
{
	return (c->enabled[DET_AUTH_FAILURE_BURST] && (status == 401 || status == 403)) ||
	       (c->enabled[DET_SCANNER] && (status == 404 || path || tool)) ||
	       (c->enabled[DET_RATE_LIMIT_VIOLATION] && status == 429);
}

int detect__http(struct detect *d, uint64_t now_ns, const char *client, uint16_t status,
		 const char *path, const char *tool, struct detect_alert *out)
{
	char key[DETECT_KEY_MAX];
	const struct detect_cfg *c;
	struct http_state *st;
	struct source *s;
	uint64_t t;
	int n = 0, rc;

	if (!d || !out)
		return -EINVAL;
	c = &d->c;
	if (!client || !*client || !http_relevant(c, status, path, tool) || allowed(d, client))
		return 0;
	snprintf(key, sizeof(key), "%s", client);
	rc = source_get(d, K_HTTP, key, now_ns, &s);
	if (rc)
		return rc;
	t = source_time(d, s, now_ns);
	st = s->state;
	if (c->enabled[DET_AUTH_FAILURE_BURST] && (status == 401 || status == 403))
		n += count_rule(s, &st->auth, DET_AUTH_FAILURE_BURST, t, c->auth_fail_window_ns,
				"401/403", out);
	if (c->enabled[DET_SCANNER])
		n += scanner_rule(d, s, t, status, path, tool, n ? NULL : out);
	if (c->enabled[DET_RATE_LIMIT_VIOLATION] && status == 429)
		n += count_rule(s, &st->rl, DET_RATE_LIMIT_VIOLATION, t, c->ratelimit_window_ns,
				"429", n ? NULL : out);
	return n;
}

/* ---- LLM runaway ---- */

struct baseline {
	uint64_t minutes;
	double calls, spend; /* means per minute */
};

static struct baseline llm_baseline(const struct llm_state *st, uint64_t m)
{
	struct baseline b = { .minutes = m - st->first_minute };
	double calls = 0, spend = 0;

	if (b.minutes > st->nb - 1)
		b.minutes = st->nb - 1;
	for (uint64_t k = 1; k <= b.minutes; k++) {
		const struct bucket *x = &st->b[(m - k) % st->nb];

		if (x->minute == m - k) {
			calls += (double)x->calls;
			spend += x->spend;
		}
	}
	if (b.minutes) {
		b.calls = calls / (double)b.minutes;
		b.spend = spend / (double)b.minutes;
	}
	return b;
}

static int llm_rate_rule(const struct detect *d, struct source *s, uint64_t t, double cost,
			 struct detect_alert *out)
{
	const struct detect_cfg *c = &d->c;
	struct llm_state *st = s->state;
	uint64_t m = t / NS_PER_MIN, until = add_sat(m * NS_PER_MIN, NS_PER_MIN);
	struct bucket *cur = &st->b[m % st->nb];
	struct baseline b;
	double limit;

	if (cur->minute != m)
		*cur = (struct bucket){ .minute = m };
	cur->calls++;
	cur->spend += cost;
	if (!out || !armed(s, DET_LLM_RUNAWAY_LOOP, t))
		return 0;
	b = llm_baseline(st, m);
	if (b.minutes < DETECT_BASELINE_MIN_MINUTES)
		return 0;
	limit = fmax(c->llm_min_calls_per_min, c->llm_rate_factor * b.calls);
	if ((double)cur->calls > limit && b.calls > 0)
		return raise_alert(s, DET_LLM_RUNAWAY_LOOP, cur->calls, NS_PER_MIN, until, out,
				   "rate %.1fx baseline", (double)cur->calls / b.calls);
	if ((double)cur->calls > limit)
		return raise_alert(s, DET_LLM_RUNAWAY_LOOP, cur->calls, NS_PER_MIN, until, out,
				   "rate %llu/min, idle baseline", (unsigned long long)cur->calls);
	if (cur->spend <= c->llm_rate_factor * b.spend || cur->calls <= c->llm_min_calls_per_min)
		return 0;
	if (b.spend > 0)
		return raise_alert(s, DET_LLM_RUNAWAY_LOOP, cur->calls, NS_PER_MIN, until, out,
				   "spend %.1fx baseline", cur->spend / b.spend);
	return raise_alert(s, DET_LLM_RUNAWAY_LOOP, cur->calls, NS_PER_MIN, until, out,
			   "spend $%.4f/min, free baseline", cur->spend);
}

static uint64_t ring_newest(const struct ring *r)
{
	return r->n ? r->ts[(r->head + r->cap - 1) % r->cap] : 0;
}

/* The slot following hash: its own, a free one, or the least recently seen one, emptied. */
static struct repeat_slot *repeat_slot(struct llm_state *st, uint64_t hash)
{
	struct repeat_slot *lru = &st->rep[0];

	for (int i = 0; i < REPEAT_SLOTS; i++) {
		struct repeat_slot *r = &st->rep[i];

		if (r->hash == hash)
			return r;
		if (!r->hash || (lru->hash && ring_newest(&r->r) < ring_newest(&lru->r)))
			lru = r;
	}
	lru->hash = hash;
	lru->r.head = lru->r.n = 0;
	return lru;
}

static int llm_repeat_rule(const struct detect *d, struct source *s, uint64_t t, uint64_t hash,
			   struct detect_alert *out)
{
	struct repeat_slot *r = repeat_slot(s->state, hash);
	uint64_t w = d->c.llm_repeat_window_ns;

	ring_push(&r->r, t);
	if (!out || !armed(s, DET_LLM_RUNAWAY_LOOP, t) || !ring_tripped(&r->r, t, w))
		return 0;
	return raise_alert(s, DET_LLM_RUNAWAY_LOOP, r->r.cap, w, add_sat(t, w), out, "repeat x%u",
			   r->r.cap);
}

int detect__llm(struct detect *d, uint64_t now_ns, const char *service, const char *agent,
		double cost_usd, uint64_t request_hash, struct detect_alert *out)
{
	char key[DETECT_KEY_MAX];
	struct source *s;
	uint64_t t;
	int n, rc;

	if (!d || !out)
		return -EINVAL;
	if (!d->c.enabled[DET_LLM_RUNAWAY_LOOP])
		return 0;
	snprintf(key, sizeof(key), "%s/%s", service ? service : "", agent ? agent : "");
	if (allowed(d, key))
		return 0;
	rc = source_get(d, K_LLM, key, now_ns, &s);
	if (rc)
		return rc;
	t = source_time(d, s, now_ns);
	if (!isfinite(cost_usd) || cost_usd < 0)
		cost_usd = 0;
	n = llm_rate_rule(d, s, t, cost_usd, out);
	if (request_hash)
		n += llm_repeat_rule(d, s, t, request_hash, n ? NULL : out);
	return n;
}

/* ---- lifecycle ---- */

struct detect *detect__new(const struct detect_cfg *c)
{
	struct detect *d;
	int rc = detect_cfg_check(c, NULL, 0);

	if (rc) {
		errno = -rc;
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		goto no_mem;
	d->chains = malloc(CHAINS * sizeof(*d->chains));
	if (!d->chains)
		goto no_mem;
	memset(d->chains, 0xff, CHAINS * sizeof(*d->chains)); /* every chain NIL */
	d->c = *c;
	/* where the heap put us: chains an outsider cannot line up in advance */
	d->seed = FNV_BASIS ^ ((uint64_t)(uintptr_t)d * 0x9e3779b97f4a7c15ull);
	for (int k = 0; k < K__COUNT; k++)
		d->lru[k] = (struct lru){ NIL, NIL, 0 };
	state_sizes(d);
	return d;

no_mem:
	detect__free(d);
	errno = ENOMEM;
	return NULL;
}

void detect__free(struct detect *d)
{
	if (!d)
		return;
	for (uint32_t i = 0; i < d->n_src; i++)
		free(d->src[i].state);
	free(d->src);
	free(d->chains);
	free(d);
}

uint64_t detect__evicted(const struct detect *d)
{
	return d ? d->evicted : 0;
}

size_t detect__sources(const struct detect *d)
{
	return d ? d->n_src : 0;
}
