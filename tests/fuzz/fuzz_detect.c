// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer harness for the stateful detectors (user/detect.c). Their input
 * is whatever clients and agents do, in whatever order and with whatever
 * clock the caller hands over, so any sequence of observations and time
 * steps (backwards, to zero, to the end of the clock) must leave them
 * sound: no crash or leak, every alert well formed and about the source
 * just observed, never raised before that source's observations could
 * reach the threshold, never twice within a window while time ran
 * forward, the source table within DETECT_MAX_SOURCES and every source
 * pushed out counted. Only drives the public API.
 *
 * Input: CFG_BYTES of configuration, then operations: a byte whose value
 * mod 5 picks a time step, an HTTP answer, an LLM call, a flood of fresh
 * sources (byte 3 only; other values a 404) or a 401; each followed by its
 * argument bytes.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"

#include "fuzz_util.h"

#define NS_MIN 60000000000ull
#define CFG_BYTES 13
#define MAX_FLOODS 2

static const uint64_t windows[] = {
	1, 1000000, 1000000000, 10000000000ull, NS_MIN, 5 * NS_MIN, 60 * NS_MIN, UINT64_MAX,
};
static const int64_t steps[] = {
	0,
	1,
	1000000,
	100000000,
	1000000000,
	10000000000ll,
	59000000000ll,
	(int64_t)NS_MIN,
	5 * (int64_t)NS_MIN,
	60 * (int64_t)NS_MIN,
	-1,
	-500000000,
	-1000000000,
	-2000000000,
	-60 * (int64_t)NS_MIN,
};
static const double factors[] = { 0.5, 1, 2, 5, 100, NAN, 0, 1e300 };
static const double costs[] = { 0, 0.001, 0.01, 1, 1e308, -1, NAN, INFINITY };
#define FUZZ_TOOL "sqlmap" /* an attack tool's name, as security.c hands it over */
static const uint16_t statuses[] = { 200, 401, 403, 404, 429, 500, 0, 65535 };

static const char long_name[] =
	"a-client-name-far-beyond-the-key-size-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
static const char *const clients[] = {
	"10.0.0.1", "10.0.0.2", "::1", "lab/planner", long_name, "", NULL, "203.0.113.7",
};
#define N_CLIENTS (sizeof(clients) / sizeof(clients[0]))
static const char *const agents[] = { "planner", "writer", NULL, "" /* [3] */, long_name, "x" };
#define N_AGENTS (sizeof(agents) / sizeof(agents[0]))

/* What the harness saw per source: alerts can never run ahead of it. */
struct seen {
	uint64_t auth, nf, rl, calls, tools;
	uint64_t hashes[4];
	uint8_t paths[32]; /* path ids seen, a bit each */
	uint32_t npaths;
	bool alerted[DET__COUNT];
	uint64_t alert_t[DET__COUNT];
	uint32_t alert_epoch[DET__COUNT];
};

struct run {
	struct detect *d;
	struct detect_cfg c;
	uint64_t now;
	uint32_t epoch; /* bumped when time goes back or a flood may evict */
	uint64_t fresh; /* names handed out by floods */
	int floods;
	struct seen http[N_CLIENTS], llm[2 * N_AGENTS]; /* service "lab", then NULL */
};

static void cfg_from(struct detect_cfg *c, const uint8_t *b)
{
	detect_cfg_defaults(c);
	for (int i = 0; i < DET__COUNT; i++)
		c->enabled[i] = b[0] >> i & 1;
	if (b[0] & 0x10)
		strcpy(c->allow_sources[0], clients[0]);
	if (b[0] & 0x20)
		strcpy(c->allow_sources[15], "lab/planner");
	/* 0 now and then (invalid), else small enough for the fuzzer to reach */
	c->auth_fail_count = b[1] ? 1 + b[1] % 12 : 0;
	c->auth_fail_window_ns = windows[b[2] % 8];
	c->scanner_404_count = b[3] ? 1 + b[3] % 12 : 0;
	c->scanner_distinct_paths = b[4] ? 1 + b[4] % 24 : 0;
	c->scanner_window_ns = windows[b[5] % 8];
	c->ratelimit_429_count = b[6] ? 1 + b[6] % 12 : 0;
	c->ratelimit_window_ns = windows[b[7] % 8];
	c->llm_rate_factor = factors[b[8] % 8];
	c->llm_min_calls_per_min = b[9] % 40;
	c->llm_baseline_ns = (b[10] == 255 ? 4 : 5 + b[10] % 30) * NS_MIN;
	c->llm_repeat_count = b[11] ? 1 + b[11] % 12 : 0;
	c->llm_repeat_window_ns = windows[b[12] % 8];
}

static uint64_t type_window(const struct detect_cfg *c, enum detect_type t)
{
	switch (t) {
	case DET_AUTH_FAILURE_BURST:
		return c->auth_fail_window_ns;
	case DET_SCANNER:
		return c->scanner_window_ns;
	case DET_RATE_LIMIT_VIOLATION:
		return c->ratelimit_window_ns;
	default:
		return 0; /* two windows: checked apart */
	}
}

static void check_text(const char *s, size_t size)
{
	FUZZ_CHECK(memchr(s, '\0', size) != NULL);
	FUZZ_CHECK(s[0] != '\0');
}

/* An alert about the source key just observed; well formed, due, not early. */
static void check_alert(struct run *r, const struct detect_alert *a, const char *key,
			struct seen *s)
{
	const struct detect_cfg *c = &r->c;
	uint64_t w;

	FUZZ_CHECK((unsigned)a->type < DET__COUNT && c->enabled[a->type]);
	FUZZ_CHECK(strcmp(detect_type_name(a->type), "unknown") != 0);
	check_text(a->source, sizeof(a->source));
	check_text(a->detail, sizeof(a->detail));
	FUZZ_CHECK(!strncmp(a->source, key, DETECT_KEY_MAX - 1));
	FUZZ_CHECK(strcmp(a->source, c->allow_sources[0]) &&
		   strcmp(a->source, c->allow_sources[15]));
	FUZZ_CHECK(a->count >= 1);
	switch (a->type) {
	case DET_AUTH_FAILURE_BURST:
		FUZZ_CHECK(a->count == c->auth_fail_count && s->auth >= a->count);
		break;
	case DET_SCANNER:
		FUZZ_CHECK((a->count == c->scanner_404_count && s->nf >= a->count) ||
			   (a->count == c->scanner_distinct_paths && s->npaths >= a->count) ||
			   (a->count == 1 && s->tools && !strcmp(a->detail, "tool=" FUZZ_TOOL)));
		break;
	case DET_RATE_LIMIT_VIOLATION:
		FUZZ_CHECK(a->count == c->ratelimit_429_count && s->rl >= a->count);
		break;
	default:
		FUZZ_CHECK((a->window_ns == c->llm_repeat_window_ns &&
			    a->count == c->llm_repeat_count) ||
			   (a->window_ns == NS_MIN && a->count > c->llm_min_calls_per_min));
		FUZZ_CHECK(s->calls >= a->count);
	}
	w = a->type == DET_LLM_RUNAWAY_LOOP ? 1 : type_window(c, a->type);
	if (a->type != DET_LLM_RUNAWAY_LOOP)
		FUZZ_CHECK(a->window_ns == w);
	/* one alert per window while time runs forward and nothing was evicted */
	if (s->alerted[a->type] && s->alert_epoch[a->type] == r->epoch &&
	    s->alert_t[a->type] <= UINT64_MAX - w)
		FUZZ_CHECK(r->now >= s->alert_t[a->type] + w);
	s->alerted[a->type] = true;
	s->alert_t[a->type] = r->now;
	s->alert_epoch[a->type] = r->epoch;
}

static void check_table(const struct run *r)
{
	FUZZ_CHECK(detect__sources(r->d) <= DETECT_MAX_SOURCES);
}

static void op_time(struct run *r, uint8_t b)
{
	uint64_t was = r->now;
	int64_t st;

	if (b >= 250)
		r->now = b == 250 ? 0 : UINT64_MAX - (uint64_t)(b - 251) * NS_MIN;
	else {
		st = steps[b % (sizeof(steps) / sizeof(steps[0]))];
		r->now += (uint64_t)st; /* wraps like a broken clock would */
	}
	if (r->now < was)
		r->epoch++;
}

/* Must a request naming a tool have raised scanner? Only where the model
 * knows the source is armed: time has only run forward and nothing was
 * evicted (a source keeps the latest time it saw across a step back), and
 * it never alerted or its window is over. */
static bool tool_due(const struct run *r, const char *client, const struct seen *s)
{
	const struct detect_cfg *c = &r->c;
	uint64_t w = c->scanner_window_ns;

	if (!c->enabled[DET_SCANNER] || !client || !*client ||
	    !strcmp(client, c->allow_sources[0]) || !strcmp(client, c->allow_sources[15]))
		return false;
	if (r->epoch)
		return false;
	return !s->alerted[DET_SCANNER] ||
	       (s->alert_t[DET_SCANNER] <= UINT64_MAX - w && r->now >= s->alert_t[DET_SCANNER] + w);
}

static void op_http(struct run *r, uint8_t cb, uint16_t status, uint8_t pb, bool tool)
{
	const char *client = clients[cb % N_CLIENTS];
	struct seen *s = &r->http[cb % N_CLIENTS];
	char path[16];
	struct detect_alert a;
	int rc;

	snprintf(path, sizeof(path), "/p%u", pb);
	if (status == 401 || status == 403)
		s->auth++;
	s->nf += status == 404;
	s->rl += status == 429;
	if (pb != 255 && !(s->paths[pb / 8] & 1u << pb % 8)) {
		s->paths[pb / 8] |= (uint8_t)(1u << pb % 8);
		s->npaths++;
	}
	s->tools += tool;
	memset(&a, 0x5a, sizeof(a));
	rc = detect__http(r->d, r->now, client, status, pb == 255 ? NULL : path,
			  tool ? FUZZ_TOOL : NULL, &a);
	FUZZ_CHECK(rc == 0 || rc == 1);
	if (rc)
		check_alert(r, &a, client, s);
	else
		FUZZ_CHECK(a.type == (enum detect_type)0x5a5a5a5a); /* untouched */
	FUZZ_CHECK(rc || !tool || !tool_due(r, client, s));
	check_table(r);
}

static void op_llm(struct run *r, uint8_t ab, uint8_t cb, uint8_t hb)
{
	const char *agent = agents[ab % N_AGENTS], *svc = ab & 0x80 ? NULL : "lab";
	/* a NULL agent is the "" agent: one source, one model entry */
	struct seen *s = &r->llm[(ab & 0x80 ? N_AGENTS : 0) + (agent ? ab % N_AGENTS : 3)];
	char key[2 * DETECT_KEY_MAX];
	struct detect_alert a;
	int rc;

	snprintf(key, sizeof(key), "%s/%s", svc ? svc : "", agent ? agent : "");
	s->calls++;
	rc = detect__llm(r->d, r->now, svc, agent, costs[cb % 8], hb % 4, &a);
	FUZZ_CHECK(rc == 0 || rc == 1);
	if (rc)
		check_alert(r, &a, key, s);
	check_table(r);
}

/* n fresh sources, each new: every one past the cap pushes one out, counted. */
static void op_flood(struct run *r, uint8_t b)
{
	const struct detect_cfg *c = &r->c;
	size_t before = detect__sources(r->d) + detect__evicted(r->d);
	size_t n = b & 0x80 ? DETECT_MAX_SOURCES + 16 * (b & 0x7f) : 1 + b;
	bool http = c->enabled[DET_SCANNER] || c->enabled[DET_AUTH_FAILURE_BURST];
	uint16_t status = c->enabled[DET_SCANNER] ? 404 : 401;
	struct detect_alert a;
	char name[32];
	int rc;

	if (r->floods++ >= MAX_FLOODS || (!http && !c->enabled[DET_LLM_RUNAWAY_LOOP]))
		return;
	r->epoch++;
	for (size_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "f%llu", (unsigned long long)r->fresh++);
		if (http)
			rc = detect__http(r->d, r->now, name, status, NULL, NULL, &a);
		else
			rc = detect__llm(r->d, r->now, name, "f", 0, 0, &a);
		FUZZ_CHECK(rc == 0 || rc == 1);
	}
	check_table(r);
	FUZZ_CHECK(detect__sources(r->d) + detect__evicted(r->d) == before + n);
}

/* Runs one operation; the bytes it used, 0 at the end of the input. */
static size_t op(struct run *r, const uint8_t *p, size_t left)
{
	switch (p[0] % 5) {
	case 0:
		if (left < 2)
			return 0;
		op_time(r, p[1]);
		return 2;
	case 1:
		if (left < 4)
			return 0;
		op_http(r, p[1], statuses[p[2] % 8], p[3], p[2] & 0x80);
		return 4;
	case 2:
		if (left < 4)
			return 0;
		op_llm(r, p[1], p[2], p[3]);
		return 4;
	case 3:
		if (left < 2)
			return 0;
		/* floods are slow: only on one op value, else a 404 */
		if (p[0] == 3)
			op_flood(r, p[1]);
		else
			op_http(r, p[1], 404, p[0], false);
		return 2;
	default:
		if (left < 3)
			return 0;
		op_http(r, p[1], 401, p[2], false);
		return 3;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run *r;
	size_t off = CFG_BYTES, used;
	char why[96];
	int rc;

	if (size < CFG_BYTES)
		return 0;
	r = calloc(1, sizeof(*r));
	if (!r)
		return 0;
	cfg_from(&r->c, data);
	rc = detect_cfg_check(&r->c, why, sizeof(why));
	FUZZ_CHECK(rc == 0 || rc == -EINVAL);
	errno = 0;
	r->d = detect__new(&r->c);
	FUZZ_CHECK(!r->d == !!rc && (r->d || errno == EINVAL));
	if (!r->d)
		goto out;
	r->now = 1000 * NS_MIN;
	while (off < size && (used = op(r, data + off, size - off)))
		off += used;
	detect__free(r->d);
out:
	free(r);
	return 0;
}
