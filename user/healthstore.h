/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The health history store, <state_dir>/health.db (SQLite, WAL): status
 * transitions with their reasons, one snapshot of the headline figures per
 * history interval, and per-minute SLA counts per service so 30-day windows
 * survive a restart. The caller decides when to write (health.c batches a
 * snapshot and the changed minutes every history interval), so a kill -9
 * loses at most what was counted since the last write; committed rows are
 * never lost or corrupted by a process kill (WAL, synchronous=NORMAL).
 * Errors come back as -errno (-ENOSPC disk full, -EROFS read-only, -EIO)
 * for the caller to log and count: a store that cannot be written never
 * stops the caller. Thread-safe: one connection behind a mutex.
 */
#ifndef BT_HEALTHSTORE_H
#define BT_HEALTHSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HEALTHSTORE_LIMIT_MAX 1000 /* rows per transitions query */
#define HEALTHSTORE_POINTS_MAX 10000 /* points per series query */
#define HEALTHSTORE_REASONS_MAX 4096 /* bytes of a transition's reasons (JSON) kept */

/* A status change. reasons_json: a JSON array of strings. */
struct hs_transition {
	int64_t ts_ms; /* wall clock, Unix milliseconds */
	const char *status, *previous;
	const char *reasons_json;
};

/* The headline figures at one history interval. Counts are for the span since the previous
 * snapshot; the others are gauges at ts. */
struct hs_snapshot {
	int64_t ts_ms;
	uint32_t span_ms;
	int status; /* 0 healthy, 1 degraded, 2 unhealthy */
	uint64_t requests, errors, llm_calls, db_ops;
	double p95_s; /* served requests, recent window; < 0: none */
	double cpu, mem; /* ratios; < 0: not sampled */
	uint32_t comp_up, comp_down;
};

/* One service's SLA counts of one Unix minute (absolute: a rewrite replaces). */
struct hs_minute {
	const char *service;
	int64_t minute;
	uint64_t total, good, errors;
};

/* One downsampled step of snapshots: counts summed, gauges averaged, p95 and status the
 * worst, components up the least and down the most of the step. */
struct hs_point {
	int64_t ts_ms; /* step start */
	uint32_t samples;
	uint64_t span_ms; /* time the samples cover */
	int status;
	uint64_t requests, errors, llm_calls, db_ops;
	double p95_s, cpu, mem; /* < 0: none in the step */
	uint32_t comp_up, comp_down;
};

struct healthstore;

/* Opens or creates path. NULL + errno with err filled: EINVAL (not SQLite, another program's
 * database, a newer schema), EROFS (read-only), ENOSPC, EIO, ENOMEM. */
struct healthstore *healthstore__open(const char *path, char *err, size_t errlen);
void healthstore__close(struct healthstore *s); /* NULL-safe */

/* 0 or -EINVAL, -ENOSPC, -EROFS, -EIO. */
int healthstore__add_transition(struct healthstore *s, const struct hs_transition *t);
int healthstore__add_snapshot(struct healthstore *s, const struct hs_snapshot *sn);
/* All n rows in one transaction, or none. */
int healthstore__put_minutes(struct healthstore *s, const struct hs_minute *m, size_t n);

/* Rows with minute >= since, oldest first; fn's non-zero return stops and is returned. Row
 * strings live until fn returns; fn must not call the store. */
int healthstore__load_minutes(struct healthstore *s, int64_t since,
			      int (*fn)(void *arg, const struct hs_minute *m), void *arg);

struct hs_transition_row {
	int64_t id, ts_ms;
	const char *status, *previous, *reasons_json;
};
/* Transitions with ts in [from_ms, to_ms], newest first, at most limit (1..LIMIT_MAX). */
int healthstore__transitions(struct healthstore *s, int64_t from_ms, int64_t to_ms, size_t limit,
			     int (*fn)(void *arg, const struct hs_transition_row *r), void *arg);
/* Snapshots with ts in [from_ms, to_ms] grouped by step_ms (> 0) from from_ms; only steps with
 * samples; -E2BIG when more than HEALTHSTORE_POINTS_MAX steps could result. */
int healthstore__series(struct healthstore *s, int64_t from_ms, int64_t to_ms, int64_t step_ms,
			int (*fn)(void *arg, const struct hs_point *p), void *arg);

/* Deletes transitions and snapshots older than before_ms and minutes older than
 * before_minute. Rows deleted, or -errno. */
int64_t healthstore__sweep(struct healthstore *s, int64_t before_ms, int64_t before_minute);

#endif
