/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The log and audit store: every emitted log entry (audit entries are
 * category audit, security events category security) in its own SQLite
 * file, <state_dir>/logs.db, for GET /logs and friends. Adding never
 * touches the disk: entries are copied into a bounded in-memory queue and
 * a writer thread commits them in batches (every ~100 ms), so the capture
 * loop never waits on SQLite; when the queue is full an entry is dropped
 * and counted (audit and security entries may use the last eighth of the
 * queue, which others may not).
 *
 * Durability (WAL, synchronous=NORMAL): a kill -9 loses what was still
 * queued (at most one flush period of entries) and nothing committed; a
 * power loss may also lose the last commits. Retention: entries older than
 * retention_ns are deleted by logstore__sweep() (or by the writer itself
 * every sweep_every_ns). Thread-safe.
 */
#ifndef BT_LOGSTORE_H
#define BT_LOGSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"

#define LOGSTORE_QUEUE_DEFAULT (1u << 20) /* bytes of queued entries */
#define LOGSTORE_QUEUE_MIN (64u << 10)
#define LOGSTORE_FLUSH_DEFAULT_NS 100000000ull /* 100 ms */
#define LOGSTORE_LIMIT_MAX 1000 /* rows per logstore__query() */
#define LOGSTORE_TEXT_MAX 256 /* bytes of a text filter */

struct logstore_opts {
	const char *path; /* e.g. <state_dir>/logs.db */
	uint64_t retention_ns; /* 0: keep everything */
	size_t queue_bytes; /* 0: LOGSTORE_QUEUE_DEFAULT; less than LOGSTORE_QUEUE_MIN is raised */
	uint64_t flush_ns; /* writer commit period; 0: LOGSTORE_FLUSH_DEFAULT_NS */
	uint64_t sweep_every_ns; /* writer sweeps this often; 0: only logstore__sweep() */
};

struct logstore;

/* Opens or creates the file and starts the writer. NULL + errno with err filled:
 * EINVAL (not a SQLite file, another program's or a newer schema), EROFS, EIO, ENOMEM. */
struct logstore *logstore__new(const struct logstore_opts *o, char *err, size_t errlen);
/* Commits what is queued, stops the writer, closes. Unhook the log sink first. NULL-safe. */
void logstore__free(struct logstore *s);

/* Queues a copy of e: 0, -ENOSPC (queue full: dropped and counted), -EINVAL. Never blocks on
 * disk; allocation-free. */
int logstore__add(struct logstore *s, const struct log_entry *e);
/* log_sink_fn for log_set_sink(ctx = the store). */
void logstore__sink(void *ctx, const struct log_entry *e);
/* Waits until everything queued before the call is committed (or failed). 0, -EIO when some
 * of it could not be written. */
int logstore__flush(struct logstore *s);

struct logstore_counters {
	uint64_t queued; /* accepted into the queue */
	uint64_t written; /* committed */
	uint64_t dropped; /* queue full */
	uint64_t failed; /* lost to a write error */
	uint64_t swept; /* deleted by retention */
};
void logstore__counters(struct logstore *s, struct logstore_counters *out);
uint64_t logstore__dropped(struct logstore *s); /* for a counter metric */

/* Deletes entries older than now_ns - retention_ns, in batches (readers get turns). Rows
 * deleted, or -EIO; 0 with no retention. */
int64_t logstore__sweep(struct logstore *s, uint64_t now_ns);

struct logstore_filter {
	int category; /* enum log_category, or -1: any */
	int min_level; /* enum log_level, or -1: any */
	int64_t since_ns; /* inclusive; 0: from the start */
	int64_t until_ns; /* inclusive; 0: no end */
	const char *text; /* substring of message or fields JSON (ASCII case-insensitive), NULL */
	const char *const *types; /* field "type" is one of these (NULL-terminated), NULL: any */
};
/* Sets f to match everything. */
void logstore_filter_init(struct logstore_filter *f);

struct logstore_row {
	int64_t id;
	int64_t ts_ns;
	enum log_level level;
	enum log_category category;
	uint32_t pid;
	bool truncated;
	const char *message;
	const char *fields_json; /* an object, as rendered by logfmt_fields_json() */
};
/* fn runs under the store's read lock (it must not call the store); row strings live until it
 * returns; a negative return (an errno) stops the query and is returned. */
typedef int (*logstore_row_fn)(void *arg, const struct logstore_row *r);

/* Newest first. limit 1..LOGSTORE_LIMIT_MAX, offset any. 0, -EINVAL, -EIO. */
int logstore__query(struct logstore *s, const struct logstore_filter *f, size_t limit,
		    size_t offset, logstore_row_fn fn, void *arg);
int logstore__count(struct logstore *s, const struct logstore_filter *f, uint64_t *n);
/* Highest id so far (0: empty): fix it before paging so an export ends. */
int logstore__max_id(struct logstore *s, int64_t *id);
/* Oldest first, after_id < id <= max_id, at most n (1..LOGSTORE_LIMIT_MAX) rows: the rows
 * given (fewer than n: the end), or -EINVAL, -EIO, or fn's negative return. */
int logstore__page(struct logstore *s, const struct logstore_filter *f, int64_t after_id,
		   int64_t max_id, size_t n, logstore_row_fn fn, void *arg);

struct logstore_stats {
	uint64_t total;
	uint64_t by[LOGC__COUNT][LOG_ERROR + 1]; /* [category][level] */
	int64_t oldest_ns, newest_ns; /* 0 when empty */
};
/* Entries with ts in [since_ns, until_ns] (0: open ends). 0, -EINVAL, -EIO. */
int logstore__stats(struct logstore *s, int64_t since_ns, int64_t until_ns,
		    struct logstore_stats *out);

#endif
