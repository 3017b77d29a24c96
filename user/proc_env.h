/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Selected environment variables of processes, read once per process
 * from /proc/PID/environ (what the process started with) and cached by
 * tgid and start time, so a recycled pid is read again. Only the names
 * given at creation are kept; the rest of the environment (which may hold
 * secrets) is never stored. Bounded: the least recently used process is
 * evicted past max_procs. Not thread-safe (one caller thread).
 */
#ifndef BT_PROC_ENV_H
#define BT_PROC_ENV_H

#include <stddef.h>
#include <stdint.h>

#define PROC_ENV_MAX_NAMES 16
#define PROC_ENV_VALUE_MAX 128 /* longer values are cut */
#define PROC_ENV_NAME_MAX 256 /* bytes of a kept name, NUL included */
#define PROC_ENV_READ_MAX (1u << 20) /* bytes of environ read per process */

struct proc_env;
/*
 * proc_root: NULL for "/proc". names: variables to keep (at most
 * PROC_ENV_MAX_NAMES, non-empty, no '='). max_procs > 0. NULL + errno.
 */
struct proc_env *proc_env__new(const char *proc_root, const char *const *names, size_t n,
			       size_t max_procs);
void proc_env__free(struct proc_env *e);
/*
 * The value of name for tgid, or NULL (unset, not a kept name, unreadable,
 * or gone before it was ever read: a process read while it ran keeps its
 * values after it exits, until its pid is reused). Valid until the next proc_env__get() or proc_env__free().
 * Costs one read of /proc/PID/stat (the start time) when the process is
 * cached, and also one of /proc/PID/environ when it is not.
 */
const char *proc_env__get(struct proc_env *e, uint32_t tgid, const char *name);
/* Reads tgid's variables now (call at exec): a process that exits before its LLM call is
 * accounted keeps the values it had; a pid taken by a new process is read again. */
void proc_env__prefetch(struct proc_env *e, uint32_t tgid);
/* environ files read so far (tests: read once per process). */
uint64_t proc_env__reads(const struct proc_env *e);
/* environ files longer than the read bound (PROC_ENV_READ_MAX); their tail was not looked at. */
uint64_t proc_env__cut(const struct proc_env *e);

#endif
