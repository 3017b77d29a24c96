// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Starting the modules from the config: each start_* builds one module's
 * options from struct obs_config, creates it and logs why when it cannot.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "logfmt.h"
#include "logs_api.h"
#include "observer.h"
#include "req_inspect.h"

/* Environment variables the agent_type rules read; none: no environ is ever opened. */
int obs_start_env(struct observer_ctx *o)
{
	const char *names[PROC_ENV_MAX_NAMES];
	size_t n = 0;

	for (size_t i = 0; i < o->cfg.n_agent_rules; i++) {
		if (o->cfg.agent_rules[i].source != ATTR_ENV)
			continue;
		if (n == PROC_ENV_MAX_NAMES) {
			log_warn("more than %d env agent_type rules; rule for %s never matches",
				 PROC_ENV_MAX_NAMES, o->cfg.agent_rules[i].name);
			continue;
		}
		names[n++] = o->cfg.agent_rules[i].name;
	}
	if (!n)
		return 0;
	o->env = proc_env__new("/proc", names, n, PROC_ENV_PROCS);
	return o->env ? 0 : -errno;
}

int obs_start_llm(struct observer_ctx *o)
{
	struct llm_opts lo = {
		.hosts = o->cfg.llm_hosts,
		.n_hosts = o->cfg.n_llm_hosts,
		.max_body_bytes = o->cfg.llm_max_body_bytes,
		.stale_ns = 0, /* the tracker's default */
		.agent_of = obs_agent_of,
		.on_call = obs_on_llm_call,
		.arg = o,
	};

	o->attr =
		attribution__new(o->cfg.agent_rules, o->cfg.n_agent_rules, o->cfg.max_agent_types);
	if (!o->attr || obs_start_env(o))
		return -errno;
	o->llm = llm_tracker__new(&lo, o->metrics);
	return o->llm ? 0 : -errno;
}

int obs_start_security(struct observer_ctx *o)
{
	struct exfil_cfg x = { .bytes = o->cfg.exfil_bytes,
			       .window_ns = o->cfg.exfil_window_ns,
			       .allow = o->cfg.exfil_allow,
			       .n_allow = o->cfg.n_exfil_allow };
	struct security_opts so = { .detect = &o->cfg.detect,
				    .exfil = &x,
				    .disabled = o->cfg.sec_disabled };

	static const char *const result[] = { "result", NULL };

	o->sec = security__new(&so, o->metrics);
	if (!o->sec) {
		log_error("cannot start the security detectors err=\"%s\"", strerror(errno));
		return -ENOMEM;
	}
	if (!o->cfg.inspect_bytes)
		return 0;
	o->f_inspect = metrics__define(
		o->metrics, "biothings_security_inspected_requests_total", METRIC_COUNTER,
		"Served requests flagged for inspection by what became of their "
		"first bytes: inspected, no_bytes, evicted, not_http",
		result, NULL, 0);
	o->inspect = req_inspect__new(INSPECT_CONNS, o->cfg.inspect_bytes);
	if (o->f_inspect < 0 || !o->inspect) {
		log_error("cannot start request inspection err=%d",
			  o->f_inspect < 0 ? o->f_inspect : -errno);
		return o->f_inspect < 0 ? o->f_inspect : -ENOMEM;
	}
	return 0;
}

/* Gathers the REST routes of the modules that serve some. */
void obs_add_routes(struct observer_ctx *o, const struct api_route *r, size_t n)
{
	for (size_t i = 0; i < n && o->n_routes < sizeof(o->api_routes) / sizeof(o->api_routes[0]);
	     i++)
		o->api_routes[o->n_routes++] = r[i];
}

int obs_start_health(struct observer_ctx *o)
{
	char path[512], err[512] = "";
	const struct obs_config *c = &o->cfg;
	struct health_opts ho = {
		.db_path = path,
		.sla_objective = c->sla_objective,
		.sla_latency_ns = c->sla_latency_ns,
		.api_warn_ns = c->perf_api_warn_ns,
		.api_crit_ns = c->perf_api_crit_ns,
		.agent_warn_ns = c->perf_agent_warn_ns,
		.agent_crit_ns = c->perf_agent_crit_ns,
		.db_warn_ns = c->perf_db_warn_ns,
		.db_crit_ns = c->perf_db_crit_ns,
		.history_interval_ns = c->history_interval_ns,
		.history_retention_ns = c->history_retention_ns,
		.res = c->res,
		.run_check = c->n_checks ? obs_run_check : NULL,
		.run_check_ctx = o,
	};

	snprintf(path, sizeof(path), "%s/health.db", c->state_dir);
	o->health = health__new(&ho, o->metrics, err, sizeof(err));
	if (!o->health) {
		log_error("cannot start the health module err=\"%s\"", err);
		errno = errno ? errno : EINVAL;
		return -1;
	}
	return 0;
}

/* Host resources and active checks: what the health module judges. */
int obs_start_health_inputs(struct observer_ctx *o)
{
	const char *mounts[] = { "/", o->cfg.state_dir };

	o->res = sysres__new("/proc", mounts, 2);
	if (!o->res)
		log_warn("host resources unavailable err=\"%s\"", strerror(errno));
	o->sysmon = sysmon__new(o->metrics);
	if (!o->sysmon || obs_start_health(o))
		return -errno;
	if (!o->cfg.n_checks)
		return 0;
	o->checks =
		checks_run__new(o->cfg.checks, o->cfg.n_checks, o->metrics, obs_on_check_result, o);
	if (!o->checks) {
		log_error("cannot start active checks err=\"%s\"", strerror(errno));
		return -errno;
	}
	return 0;
}

/* The log and audit store behind GET /logs; every log line from here on goes there too. */
int obs_start_logs(struct observer_ctx *o)
{
	char path[512], err[512] = "", q[300];
	struct logstore_opts lo = { .path = path,
				    .retention_ns = o->cfg.log_retention_ns,
				    .sweep_every_ns = 600ull * 1000000000ull };

	snprintf(path, sizeof(path), "%s/logs.db", o->cfg.state_dir);
	o->logs = logstore__new(&lo, err, sizeof(err));
	if (!o->logs) {
		log_error("cannot open the log store err=\"%s\"", err);
		return -EIO;
	}
	log_set_sink(logstore__sink, o->logs);
	logfmt_quote(o->cfg.config_path[0] ? o->cfg.config_path : "(defaults)", q, sizeof(q));
	log_cat(LOG_INFO, LOGC_AUDIT, "config loaded file=%s", q);
	return 0;
}

int obs_start_cost(struct observer_ctx *o)
{
	char path[512], err[512] = "";
	struct cost_engine_opts co = {
		.db_path = path,
		.pricing_path = o->cfg.pricing_path,
		.budgets = &o->cfg.budgets,
		.biz_rules = o->cfg.biz_rules,
		.n_biz_rules = o->cfg.n_biz_rules,
		.weights = &o->cfg.biz_weights,
	};

	snprintf(path, sizeof(path), "%s/observer.db", o->cfg.state_dir);
	o->cost = cost_engine__new(&co, o->metrics, err, sizeof(err));
	if (!o->cost) {
		log_error("cannot start the cost engine err=\"%s\"", err);
		return -EINVAL;
	}
	return 0;
}

/* Spans over OTLP when traces.endpoint is set; nothing at all otherwise. */
int obs_start_traces(struct observer_ctx *o)
{
	struct traces_opts to;

	traces_opts_from_config(&to, &o->cfg);
	errno = 0;
	o->traces = traces__new(&to, o->metrics);
	if (!o->traces && errno) {
		log_error("cannot export traces err=\"%s\"", strerror(errno));
		return -errno;
	}
	return 0;
}
