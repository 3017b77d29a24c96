/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Internal to the daemon's three wiring files: main.c (lifecycle and the
 * loop), observe.c (what each kernel record and each finished call is
 * handed to) and modules.c (starting the modules from the config). No
 * module includes it.
 */
#ifndef BT_OBSERVER_H
#define BT_OBSERVER_H

#include <stddef.h>
#include <stdint.h>

#include "api.h"
#include "attribution.h"
#include "capture_ignore.h"
#include "cgroup_tree.h"
#include "capture.h"
#include "checks_run.h"
#include "config.h"
#include "conn_sync.h"
#include "cost_engine.h"
#include "db_metrics.h"
#include "dbwire.h"
#include "health.h"
#include "llm_track.h"
#include "logstore.h"
#include "metrics.h"
#include "proc_env.h"
#include "procinfo.h"
#include "route.h"
#include "security.h"
#include "selfmon.h"
#include "sysmon.h"
#include "sysres.h"
#include "tls_watch.h"
#include "traces.h"

#define PROC_TTL_NS (10ull * 1000000000ull)
/* Cgroups known by id at most, and how often a miss may read the tree again. */
#define CGROUP_PATHS_MAX 65536
#define CGROUP_RESCAN_NS 1000000000ull
#define SELFMON_PERIOD_NS 1000000000ull
#define MAX_PROG_STATS 64
#define MAX_PROBES (MAX_PROG_STATS + 128) /* tracepoints and TLS files (loader__probes) */
#define PROC_ENV_PROCS 4096
#define INSPECT_CONNS 4096 /* connections whose served-request bytes are gathered at once */

struct observer_ctx {
	struct obs_config cfg;
	struct loader *loader;
	struct capture *capture;
	struct metrics *metrics;
	struct http_red *red;
	struct route_table *routes;
	struct proc_cache *procs;
	struct selfmon *selfmon;
	struct llm_tracker *llm;
	struct attribution *attr;
	struct proc_env *env;
	struct cost_engine *cost;
	struct security *sec;
	struct req_inspect *inspect; /* served-request bytes, NULL when inspection is off */
	int f_inspect; /* biothings_security_inspected_requests_total */
	struct logstore *logs;
	struct sysres *res;
	struct sysmon *sysmon;
	struct checks_run *checks;
	struct health *health;
	struct traces *traces; /* NULL when traces are off */
	const struct bt_http_record *llm_rec; /* the exchange being accounted (traces__llm) */
	struct api_route api_routes[32]; /* every module's REST routes, for the API */
	size_t n_routes;
	struct tls_watch *tls;
	struct dbwire *dbw;
	struct db_metrics *dbm;
	struct api *api;
	struct conn_sync_stats sync;
	uint64_t enrich_failed;
	uint64_t ringbuf_drops; /* last second's kernel count (ring full, payload shed), for its own health */
	uint64_t conns_tracked, conns_evicted; /* the last census (loop thread writes) */
	char cgroup_root[256]; /* cgroup2 mount for capture.ignore; "" when none is used */
	struct ignore_plan ignore_plan; /* capture.ignore as the kernel has it */
	struct cgroup_paths *cgpaths; /* cgroup id -> path, NULL without a cgroup2 mount */
	uint64_t ignored_cgroups; /* cgroups capture.ignore matched at the last scan */
	uint64_t log_slot;
};

uint64_t obs_now_ns(void); /* CLOCK_MONOTONIC */

/* observe.c: capture handlers, LLM and check callbacks, once-a-second work */
void obs_on_http(void *arg, const struct bt_http_record *r);
void obs_on_data(void *arg, const struct bt_data_record *d);
void obs_on_reqhead(void *arg, const struct bt_reqhead_record *r);
void obs_on_exec(void *arg, const struct bt_exec_record *e);
void obs_on_priv(void *arg, const struct bt_priv_record *p);
void obs_on_flow(void *arg, const struct bt_flow_record *f);
void obs_on_dbio(void *arg, const struct bt_dbio_record *r);
void obs_on_db_op(void *arg, const struct dbw_op *op);
void obs_update_db(struct observer_ctx *o, uint64_t t);
void obs_self_health(struct observer_ctx *o);
void obs_sample_resources(struct observer_ctx *o);
const char *obs_agent_of(void *arg, const struct llm_msg *req, const struct bt_http_record *r);
void obs_on_llm_call(void *arg, const struct llm_call *c, const char *service, const char *agent);
void obs_on_check_result(void *ctx, const char *name, const struct check_result *r);
int obs_run_check(void *ctx, const char *name, struct check_result *out);

/* modules.c: each returns 0 or -errno after logging why */
int obs_start_env(struct observer_ctx *o);
int obs_start_llm(struct observer_ctx *o);
int obs_start_security(struct observer_ctx *o);
void obs_add_routes(struct observer_ctx *o, const struct api_route *r, size_t n);
int obs_start_health(struct observer_ctx *o);
int obs_start_health_inputs(struct observer_ctx *o);
int obs_start_logs(struct observer_ctx *o);
int obs_start_cost(struct observer_ctx *o);
int obs_start_traces(struct observer_ctx *o);

#endif
