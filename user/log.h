/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Structured logs on stderr: one line per event, `ts=... level=... msg=...`
 * followed by key=value fields. Rate limiting is the caller's job on
 * per-event paths (log_every()).
 */
#ifndef BT_LOG_H
#define BT_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO = 1, LOG_WARN = 2, LOG_ERROR = 3 };

int log_set_level(const char *name); /* -EINVAL on an unknown name */
bool log_enabled(enum log_level lvl);
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* true at most once per interval_ns for the given slot (per-event paths) */
bool log_every(uint64_t *last_ns, uint64_t interval_ns);
/* route libbpf's own messages through log_msg */
void log_hook_libbpf(void);

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
