// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Log lines for people and for log shippers alike: a timestamp, a level
 * and a message in key=value form. Must not allocate: it runs on error
 * paths where memory may be what failed.
 */
#include "log.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static enum log_level min_level = LOG_INFO;
static const char *const level_names[] = { "debug", "info", "warn", "error" };

int log_set_level(const char *name)
{
	for (unsigned i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (!strcmp(name, level_names[i])) {
			min_level = i;
			return 0;
		}
	}
	return -EINVAL;
}

bool log_enabled(enum log_level lvl)
{
	return lvl >= min_level;
}

static void log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
{
	char ts[40];
	struct timespec now;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "ts=%s.%03ldZ level=%s msg=", ts, now.tv_nsec / 1000000, level_names[lvl]);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(lvl))
		return;
	va_start(ap, fmt);
	log_vmsg(lvl, fmt, ap);
	va_end(ap);
}

bool log_every(uint64_t *last_ns, uint64_t interval_ns)
{
	struct timespec now;
	uint64_t t;

	clock_gettime(CLOCK_MONOTONIC, &now);
	t = (uint64_t)now.tv_sec * 1000000000ull + now.tv_nsec;
	if (*last_ns && t - *last_ns < interval_ns)
		return false;
	*last_ns = t;
	return true;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	enum log_level lvl = level == LIBBPF_WARN ? LOG_WARN : LOG_DEBUG;
	char line[1024];
	size_t n;

	if (!log_enabled(lvl))
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && line[n - 1] == '\n')
		line[--n] = '\0';
	log_msg(lvl, "\"libbpf: %s\"", line);
	return 0;
}

void log_hook_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
