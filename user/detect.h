/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Detectors that need memory of the recent past, fed one observation at a
 * time with its time: bursts of 401/403 from one client (auth_failure_burst),
 * many 404s, many distinct paths or an attack tool's User-Agent from one
 * client (scanner), bursts of 429
 * (rate_limit_violation), and an agent whose LLM call rate or spend per
 * minute jumps far above its own baseline or that repeats the same request
 * in a tight loop (llm_runaway_loop). Each detector raises one alert per
 * source per window (not one per request), with the count that tripped it.
 * Pure: no I/O, no clock of its own; memory bounded by DETECT_MAX_SOURCES
 * (least recently seen sources are forgotten first, and counted).
 */
#ifndef BT_DETECT_H
#define BT_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DETECT_MAX_SOURCES 16384
#define DETECT_KEY_MAX 128
/* Largest accepted count threshold: per-source rings are this long at most. */
#define DETECT_COUNT_MAX 1024
/* llm_baseline_ns must cover DETECT_BASELINE_MIN_MINUTES..DETECT_COUNT_MAX minutes. */
#define DETECT_BASELINE_MIN_MINUTES 5

enum detect_type {
	DET_AUTH_FAILURE_BURST,
	DET_SCANNER,
	DET_RATE_LIMIT_VIOLATION,
	DET_LLM_RUNAWAY_LOOP,
	DET__COUNT
};
const char *detect_type_name(enum detect_type t); /* auth_failure_burst, scanner, ... */

struct detect_cfg {
	bool enabled[DET__COUNT];
	uint32_t auth_fail_count; /* 5 */
	uint64_t auth_fail_window_ns; /* 5 min */
	uint32_t scanner_404_count; /* 20 */
	uint32_t scanner_distinct_paths; /* 50 */
	uint64_t scanner_window_ns; /* 1 min */
	uint32_t ratelimit_429_count; /* 10 */
	uint64_t ratelimit_window_ns; /* 1 min */
	double llm_rate_factor; /* 5: calls (or spend) per minute above factor x baseline */
	uint32_t llm_min_calls_per_min; /* 30: never below this many calls a minute */
	uint64_t llm_baseline_ns; /* 30 min of history form the baseline */
	uint32_t llm_repeat_count; /* 10 identical requests ... */
	uint64_t llm_repeat_window_ns; /* ... within 1 min */
	char allow_sources[16][64]; /* client addresses never alerted on ("" = unused) */
};
void detect_cfg_defaults(struct detect_cfg *c); /* the numbers above, all enabled */
/*
 * 0 when detect__new() accepts c, else -EINVAL with the reason in why. Only
 * enabled detectors are checked: counts 1..DETECT_COUNT_MAX, windows > 0,
 * llm_rate_factor finite and > 0, llm_baseline_ns whole minutes in
 * DETECT_BASELINE_MIN_MINUTES..DETECT_COUNT_MAX (seconds beyond are ignored).
 */
int detect_cfg_check(const struct detect_cfg *c, char *why, size_t whylen);

struct detect_alert {
	enum detect_type type;
	char source[DETECT_KEY_MAX]; /* client address, or "service/agent_type" */
	uint64_t count; /* observations in the window that tripped it */
	uint64_t window_ns;
	char detail[64]; /* e.g. "401x5", "404x20", "distinct_paths=50", "tool=sqlmap",
			    "rate 12.0x baseline", "repeat x10" */
};

struct detect;
struct detect *detect__new(const struct detect_cfg *c); /* NULL + errno (EINVAL, ENOMEM) */
void detect__free(struct detect *d);

/*
 * A served request: client address text, status, route or path (the raw
 * path makes the distinct-path count meaningful; NULL: not counted), and
 * the attack tool its User-Agent names (attack_tools.h; NULL: none), which
 * trips scanner at once. Returns 1 with *out written, 0 (no alert; also
 * for a NULL or "" client), or -EINVAL (NULL d or out), -ENOMEM.
 */
int detect__http(struct detect *d, uint64_t now_ns, const char *client, uint16_t status,
		 const char *path, const char *tool, struct detect_alert *out);
/*
 * A finished LLM call: who made it, what it cost, a hash of its request body
 * (0 unknown). Its source is "service/agent" (NULL as ""). Returns as
 * detect__http().
 */
int detect__llm(struct detect *d, uint64_t now_ns, const char *service, const char *agent,
		double cost_usd, uint64_t request_hash, struct detect_alert *out);
/* Sources forgotten because of DETECT_MAX_SOURCES. */
uint64_t detect__evicted(const struct detect *d);
/* Sources tracked now (client addresses and service/agent pairs), <= DETECT_MAX_SOURCES. */
size_t detect__sources(const struct detect *d);

#endif
