/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Structured logs: one line per event, JSON (default), ECS JSON or text, on stdout
 * or a file (log_setup), with a category and the key=value pairs of the
 * message parsed into fields (logfmt.h). Secrets are redacted before any
 * output. Every entry also goes to an optional sink (the log store).
 * Rate limiting is the caller's job on per-event paths (log_every()).
 *
 * Callers keep writing printf-style messages: "words key=value
 * key2=\"quoted value\" ...". Until log_setup() is called, lines go to
 * stderr in the text format, so start-up errors read well on a terminal.
 */
#ifndef BT_LOG_H
#define BT_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO = 1, LOG_WARN = 2, LOG_ERROR = 3 };

enum log_category {
	LOGC_SYSTEM,
	LOGC_SECURITY,
	LOGC_BUSINESS,
	LOGC_PERFORMANCE,
	LOGC_AUDIT,
	LOGC__COUNT
};

/* Bytes of a formatted message kept (NUL included); longer is cut, and said so. */
#define LOG_MSG_MAX 2048
/* Fields kept per entry; further key=value pairs are dropped, and said so. */
#define LOG_FIELDS_MAX 32

struct log_field {
	const char *key; /* [A-Za-z_][A-Za-z0-9_.-]*, at most LOGFMT_KEY_MAX bytes */
	const char *value; /* redacted */
	bool quoted; /* written key="..." by the caller: always a JSON string */
};

/* One log event. Strings live as long as the call that hands the entry over. */
struct log_entry {
	uint64_t ts_ns; /* CLOCK_REALTIME */
	enum log_level level;
	enum log_category category;
	uint32_t pid; /* the observer's own pid */
	const char *message; /* the words of the message, redacted */
	size_t n_fields;
	struct log_field fields[LOG_FIELDS_MAX];
	bool truncated; /* message or fields were cut or dropped */
};

typedef void (*log_sink_fn)(void *ctx, const struct log_entry *e);

int log_set_level(const char *name); /* -EINVAL on an unknown name */
bool log_enabled(enum log_level lvl);
/*
 * format: "json" (NULL too), "ecs" (Elastic Common Schema, logfmt_ecs) or
 * "text"; file: NULL or "" for stdout, else a path opened
 * O_APPEND|O_CLOEXEC (created 0640). Calling it again swaps the output (and
 * reopens a rotated file). 0, -EINVAL (format), -errno.
 */
int log_setup(const char *format, const char *file);
/*
 * Every entry at or above the level also goes to fn (NULL: none), on the
 * logging thread, after it was written. A log call made from inside fn is
 * written but not handed to fn again (per-thread guard).
 */
void log_set_sink(log_sink_fn fn, void *ctx);
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_cat(enum log_level lvl, enum log_category cat, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* true at most once per interval_ns for the given slot (per-event paths) */
bool log_every(uint64_t *last_ns, uint64_t interval_ns);
/* route libbpf's own messages through log_msg */
void log_hook_libbpf(void);
/*
 * Audit entry for a process exec when exe matches glob (fnmatch; "" or
 * NULL: never). ppid 0: unknown (left out). comm and exe are quoted, so any
 * bytes are safe. 1 when written, 0 when not matched.
 */
int log_audit_exec(const char *glob, uint32_t pid, uint32_t ppid, uint32_t uid, const char *comm,
		   const char *exe);

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
