// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Log lines for people and for log shippers alike. Must not allocate: it
 * runs on error paths where memory may be what failed, so every buffer is
 * on the stack and long messages are cut (and say so). One write(2) per
 * line under a mutex, so lines from the capture loop and the API thread
 * never interleave. The sink (the log store) runs outside that mutex and
 * behind a read lock, so swapping it out waits for calls in flight.
 */
#include "clock_ns.h"
#include "log.h"
#include "logfmt.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_int min_level = LOG_INFO;

/* Where lines go; stderr in text until log_setup(). */
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static int out_fd = STDERR_FILENO;
static bool out_owned; /* out_fd is ours to close */
enum out_format { OUT_TEXT, OUT_JSON, OUT_ECS };
static atomic_int out_format = OUT_TEXT; /* read without the lock: a line's format, not its bytes */

static pthread_rwlock_t sink_lock = PTHREAD_RWLOCK_INITIALIZER;
static log_sink_fn sink_fn;
static void *sink_ctx;
static _Thread_local bool in_sink; /* a log call made by the sink is not fed back to it */
static atomic_uint self_pid; /* getpid() is a system call; the daemon never forks */

int log_set_level(const char *name)
{
	enum log_level l;

	if (logfmt_level_parse(name, &l))
		return -EINVAL;
	atomic_store(&min_level, (int)l);
	return 0;
}

bool log_enabled(enum log_level lvl)
{
	return (int)lvl >= atomic_load(&min_level);
}

int log_setup(const char *format, const char *file)
{
	enum out_format fmt;
	int fd = STDOUT_FILENO, old;
	bool owned = false, old_owned;

	if (!format || !strcmp(format, "json"))
		fmt = OUT_JSON;
	else if (!strcmp(format, "ecs"))
		fmt = OUT_ECS;
	else if (!strcmp(format, "text"))
		fmt = OUT_TEXT;
	else
		return -EINVAL;
	if (file && *file) {
		fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
		if (fd < 0)
			return -errno;
		owned = true;
	}
	pthread_mutex_lock(&out_lock);
	old = out_fd;
	old_owned = out_owned;
	out_fd = fd;
	out_owned = owned;
	atomic_store(&out_format, (int)fmt);
	pthread_mutex_unlock(&out_lock);
	if (old_owned && old != fd)
		close(old);
	return 0;
}

void log_set_sink(log_sink_fn fn, void *ctx)
{
	pthread_rwlock_wrlock(&sink_lock);
	sink_fn = fn;
	sink_ctx = ctx;
	pthread_rwlock_unlock(&sink_lock);
}

/* The whole line or nothing more: a failing log has nowhere to report to. */
static void write_line(const char *line, size_t len)
{
	size_t off = 0;

	pthread_mutex_lock(&out_lock);
	while (off < len) {
		ssize_t n = write(out_fd, line + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	pthread_mutex_unlock(&out_lock);
}

static void to_sink(const struct log_entry *e)
{
	if (in_sink)
		return;
	pthread_rwlock_rdlock(&sink_lock);
	if (sink_fn) {
		in_sink = true;
		sink_fn(sink_ctx, e);
		in_sink = false;
	}
	pthread_rwlock_unlock(&sink_lock);
}

static size_t render(const struct log_entry *e, char *line, size_t len)
{
	switch (atomic_load(&out_format)) {
	case OUT_JSON:
		return logfmt_json(e, line, len);
	case OUT_ECS:
		return logfmt_ecs(e, line, len);
	default:
		return logfmt_text(e, line, len);
	}
}

static void log_vmsg(enum log_level lvl, enum log_category cat, const char *fmt, va_list ap)
{
	char msg[LOG_MSG_MAX], arena[LOGFMT_ARENA_MAX], line[LOGFMT_LINE_MAX];
	struct log_entry e = { .level = lvl, .category = cat, .pid = atomic_load(&self_pid) };
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);

	if (!e.pid) {
		e.pid = (uint32_t)getpid();
		atomic_store(&self_pid, e.pid);
	}
	e.ts_ns = wall_now_ns();
	if (n < 0)
		n = 0;
	e.truncated = (size_t)n >= sizeof(msg);
	logfmt_parse(msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1, &e, arena,
		     sizeof(arena));
	write_line(line, render(&e, line, sizeof(line)));
	to_sink(&e);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(lvl))
		return;
	va_start(ap, fmt);
	log_vmsg(lvl, LOGC_SYSTEM, fmt, ap);
	va_end(ap);
}

void log_cat(enum log_level lvl, enum log_category cat, const char *fmt, ...)
{
	va_list ap;

	/* the audit trail is not a verbosity choice: a quiet log level keeps it */
	if (!log_enabled(lvl) && cat != LOGC_AUDIT)
		return;
	if ((unsigned)cat >= LOGC__COUNT)
		cat = LOGC_SYSTEM;
	va_start(ap, fmt);
	log_vmsg(lvl, cat, fmt, ap);
	va_end(ap);
}

bool log_every(uint64_t *last_ns, uint64_t interval_ns)
{
	uint64_t t = mono_now_ns();
	if (*last_ns && t - *last_ns < interval_ns)
		return false;
	*last_ns = t;
	return true;
}

int log_audit_exec(const char *glob, uint32_t pid, uint32_t ppid, uint32_t uid, const char *comm,
		   const char *exe)
{
	char qcomm[64], qexe[600], parent[24] = "";

	if (!glob || !*glob || !exe || fnmatch(glob, exe, 0))
		return 0;
	logfmt_quote(comm ? comm : "", qcomm, sizeof(qcomm));
	logfmt_quote(exe, qexe, sizeof(qexe));
	if (ppid)
		snprintf(parent, sizeof(parent), " ppid=%u", ppid);
	log_cat(LOG_INFO, LOGC_AUDIT, "process exec pid=%u%s uid=%u comm=%s exe=%s", pid, parent,
		uid, qcomm, qexe);
	return 1;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	enum log_level lvl = level == LIBBPF_WARN ? LOG_WARN : LOG_DEBUG;
	char line[1024], quoted[1100];
	size_t n;

	if (!log_enabled(lvl))
		return 0;
	memcpy(line, "libbpf: ", 8);
	vsnprintf(line + 8, sizeof(line) - 8, fmt, ap);
	n = strlen(line);
	while (n && line[n - 1] == '\n')
		line[--n] = '\0';
	/* quoted: libbpf's own "x=y" text must stay message, not become fields */
	logfmt_quote(line, quoted, sizeof(quoted));
	log_msg(lvl, "%s", quoted);
	return 0;
}

void log_hook_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
