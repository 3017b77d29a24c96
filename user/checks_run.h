/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The active-check runner: one thread runs every configured check on its
 * interval, many at once over non-blocking sockets and one poll(), each
 * bounded by its own timeout, so a dead dependency never delays the
 * others. POST /health/component/{name}/test runs one check at once on
 * the caller's thread (checks_run__now). Results are exported as
 * biothings_component_up, biothings_component_check_duration_seconds and
 * biothings_component_checks_total, and handed to on_result.
 */
#ifndef BT_CHECKS_RUN_H
#define BT_CHECKS_RUN_H

#include <stddef.h>

#include "checks.h"

struct metrics;

/* Called with each finished check, scheduled or run by checks_run__now. Calls never overlap
 * (an internal mutex serialises them) but may come from the runner thread or from a
 * checks_run__now caller: keep it short and do not call back into checks_run. */
typedef void (*checks_run_result_fn)(void *ctx, const char *name, const struct check_result *r);

struct checks_run;

/*
 * rules: n <= CHECKS_MAX rules that pass check_rule_check(), copied. Every check runs
 * at once, then every interval_ns. m may be NULL (no metrics), on_result too. With n == 0
 * no thread is started. NULL + errno: EINVAL (bad rule, duplicate name), EEXIST (the
 * metric families already exist in m), ENOMEM, or pthread_create's error.
 */
struct checks_run *checks_run__new(const struct check_rule *rules, size_t n, struct metrics *m,
				   checks_run_result_fn on_result, void *ctx);
/* Stops the runner within milliseconds (checks in flight are abandoned, nothing is
 * reported for them) and frees. No checks_run__now call may be running. NULL-safe. */
void checks_run__free(struct checks_run *c);
/*
 * Runs the check called name now on the calling thread, bounded by its timeout, and
 * records the result like a scheduled run (metrics, on_result); the schedule is not
 * moved. Thread-safe, also concurrently with itself. 0 with *out filled (healthy or not),
 * -ENOENT for an unknown name, -EINVAL for NULL arguments.
 */
int checks_run__now(struct checks_run *c, const char *name, struct check_result *out);
/* checks_run__now with ctx = the struct checks_run: for health_opts.run_check. */
int checks_run__run_check(void *ctx, const char *name, struct check_result *out);
/* The last result of name (at == 0: not run yet). 0, -ENOENT or -EINVAL. Thread-safe. */
int checks_run__last(struct checks_run *c, const char *name, struct check_result *out);

/*
 * One check of rule r, synchronously on the calling thread, bounded by r->timeout_ns.
 * No metrics, no state: what checks_run__now runs. Fills *out; never fails.
 */
void check_probe_run(const struct check_rule *r, struct check_result *out);

#endif
