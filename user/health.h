/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Health, SLA and performance of the host and its services from what the
 * observer sees: served requests (per service and route), LLM calls (per
 * agent), database operations, active check results, host resources and
 * the observer's own state. It keeps per-minute aggregates in memory,
 * stores snapshots and health history in SQLite (<state_dir>/health.db)
 * every history interval, answers the /health, /health/..., /performance/...,
 * /metrics/current, /metrics/history and /business/sla-compliance REST
 * routes, and exports the SLA gauges. Feed calls come from the capture
 * loop; the API thread reads; one mutex guards the aggregates.
 */
#ifndef BT_HEALTH_H
#define BT_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api.h"
#include "checks.h"
#include "sysres.h"

struct metrics;

struct health_opts {
	const char *db_path; /* <state_dir>/health.db */
	double sla_objective; /* 0.999 */
	uint64_t sla_latency_ns; /* 2 s */
	uint64_t api_warn_ns, api_crit_ns, agent_warn_ns, agent_crit_ns, db_warn_ns, db_crit_ns;
	uint64_t history_interval_ns, history_retention_ns;
	struct sysres_thresholds res;
	/* POST /health/component/{name}/test: runs the named check now (checks_run.c); NULL when
	 * no checks are configured. Returns 0 and fills *out, or -ENOENT for an unknown name. */
	int (*run_check)(void *ctx, const char *name, struct check_result *out);
	void *run_check_ctx;
	int64_t (*clock_ns)(void); /* wall clock, Unix ns; NULL = CLOCK_REALTIME. Tests move it. */
};

struct health;
struct health *health__new(const struct health_opts *o, struct metrics *m, char *err,
			   size_t errlen); /* NULL + errno, message in err */
void health__free(struct health *h);

/* A request this host served (role BT_ROLE_SERVER; route: the templated http_route) or made
 * (BT_ROLE_CLIENT; route: the upstream as "address:port"). Served requests count for the SLA:
 * good when status < 500 and duration under sla_latency_ns. */
void health__request(struct health *h, const char *service, const char *route, int role,
		     uint16_t status, double duration_s);
/* A finished LLM call of service/agent; ok = answered without an error status. */
void health__llm(struct health *h, const char *service, const char *agent, double duration_s,
		 bool ok);
/* A database operation (system redis or postgresql) to server; error_type "" when ok. */
void health__db(struct health *h, const char *service, const char *system, const char *server,
		double duration_s, const char *error_type);
/* The latest result of an active check. */
void health__component(struct health *h, const char *name, const struct check_result *r);
/* A host resources sample. */
void health__system(struct health *h, const struct sysres_snapshot *s);
/* The observer itself: false with a reason when it cannot observe (BPF detached, ringbuf
 * dropping...). */
void health__self(struct health *h, bool ok, const char *why);
/* Periodic work (history snapshots, retention); call about once a second. */
void health__tick(struct health *h);

/* The REST routes; valid while h lives. /health is among them (200 healthy or degraded,
 * 503 unhealthy). */
const struct api_route *health__routes(struct health *h, size_t *n);

#endif
