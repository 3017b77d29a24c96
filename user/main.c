// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * biothings-observer: wires the modules together and runs the lifecycle.
 * Data flows one way: loader -> capture -> enrich -> aggregate -> api.
 * Nothing here parses or aggregates; it only owns the objects and the loop.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "attribution.h"
#include "capture.h"
#include "config.h"
#include "conn_sync.h"
#include "cost_engine.h"
#include "fsutil.h"
#include "http_enrich.h"
#include "http_red.h"
#include "loader.h"
#include "llm_track.h"
#include "log.h"
#include "metrics.h"
#include "proc_env.h"
#include "procinfo.h"
#include "route.h"
#include "selfmon.h"
#include "tls_watch.h"

#define PROC_TTL_NS (10ull * 1000000000ull)
#define SELFMON_PERIOD_NS 1000000000ull
#define MAX_PROG_STATS 64
#define PROC_ENV_PROCS 4096

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
	struct tls_watch *tls;
	struct api *api;
	struct conn_sync_stats sync;
	uint64_t enrich_failed;
	uint64_t log_slot;
};

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void on_http(void *arg, const struct bt_http_record *r)
{
	struct observer_ctx *o = arg;
	const struct proc_meta *pm = proc_cache__get(o->procs, r->hdr.tgid, now_ns());
	struct http_labels lb;
	struct http_obs obs;

	if (http_enrich(r, pm, &o->cfg, o->routes, &lb, &obs) || http_red__observe(o->red, &obs)) {
		__atomic_fetch_add(&o->enrich_failed, 1, __ATOMIC_RELAXED);
		if (log_every(&o->log_slot, 10 * PROC_TTL_NS))
			log_warn("record not aggregated tgid=%u comm=%s", r->hdr.tgid, lb.comm);
	}
	if ((r->flags & BT_REQ_CAPTURED) && r->role == BT_ROLE_CLIENT)
		llm_tracker__exchange(o->llm, r, obs.service_name ? obs.service_name : lb.comm);
	if (r->role == BT_ROLE_SERVER && r->status)
		cost_engine__http(o->cost, obs.service_name ? obs.service_name : "", obs.method,
				  (const char *)r->path,
				  r->path_len < BT_PATH_MAX ? r->path_len : BT_PATH_MAX, r->status);
}

/* What attribution may know of one LLM call: its request headers and its process. */
struct attr_call {
	struct observer_ctx *o;
	const struct llm_msg *req;
	uint32_t tgid;
	char buf[ATTR_VALUE_MAX * 2];
};

static const char *attr_header(void *arg, const char *name)
{
	struct attr_call *a = arg;
	const char *v;
	size_t n;

	if (!llm_msg__header(a->req, name, &v, &n))
		return NULL;
	snprintf(a->buf, sizeof(a->buf), "%.*s", (int)(n < sizeof(a->buf) ? n : sizeof(a->buf) - 1),
		 v);
	return a->buf;
}

static const char *attr_env(void *arg, const char *name)
{
	struct attr_call *a = arg;

	return a->o->env ? proc_env__get(a->o->env, a->tgid, name) : NULL;
}

static const char *agent_of(void *arg, const struct llm_msg *req, const struct bt_http_record *r)
{
	struct observer_ctx *o = arg;
	const struct proc_meta *pm = proc_cache__get(o->procs, r->hdr.tgid, now_ns());
	struct attr_call a = { .o = o, .req = req, .tgid = r->hdr.tgid };
	char comm[BT_COMM_LEN + 1];
	struct attr_input in = { .header = attr_header, .env = attr_env, .arg = &a };

	snprintf(comm, sizeof(comm), "%.*s", BT_COMM_LEN, r->comm);
	in.comm = comm;
	in.exe = pm->exe;
	in.cgroup = pm->cgroup;
	return attribution__agent(o->attr, &in);
}

static void on_llm_call(void *arg, const struct llm_call *c, const char *service, const char *agent)
{
	struct observer_ctx *o = arg;

	cost_engine__llm_call(o->cost, c, service, agent);
}

static void on_data(void *arg, const struct bt_data_record *d)
{
	struct observer_ctx *o = arg;

	llm_tracker__data(o->llm, d);
}

static void on_exec(void *arg, const struct bt_exec_record *e)
{
	struct observer_ctx *o = arg;

	tls_watch__exec(o->tls, e->hdr.tgid, now_ns());
	proc_env__prefetch(o->env, e->hdr.tgid);
}

/* Environment variables the agent_type rules read; none: no environ is ever opened. */
static int start_env(struct observer_ctx *o)
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

static int start_llm(struct observer_ctx *o)
{
	struct llm_opts lo = {
		.hosts = o->cfg.llm_hosts,
		.n_hosts = o->cfg.n_llm_hosts,
		.max_body_bytes = o->cfg.llm_max_body_bytes,
		.stale_ns = 0, /* the tracker's default */
		.agent_of = agent_of,
		.on_call = on_llm_call,
		.arg = o,
	};

	o->attr =
		attribution__new(o->cfg.agent_rules, o->cfg.n_agent_rules, o->cfg.max_agent_types);
	if (!o->attr || start_env(o))
		return -errno;
	o->llm = llm_tracker__new(&lo, o->metrics);
	return o->llm ? 0 : -errno;
}

static int start_cost(struct observer_ctx *o)
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

/* Runs on the loop and, before each scrape, on the API thread: everything
 * it reads is a BPF map, an atomic or written once before the API starts. */
static void update_selfmon(void *arg)
{
	struct observer_ctx *o = arg;
	uint64_t kernel[BT_CNT__COUNT] = {};
	struct prog_stat progs[MAX_PROG_STATS];
	struct selfmon_input in = { .kernel = kernel, .progs = progs };

	loader__read_counters(o->loader, kernel);
	in.n_progs = loader__prog_stats(o->loader, progs, MAX_PROG_STATS);
	if (in.n_progs > MAX_PROG_STATS)
		in.n_progs = MAX_PROG_STATS;
	in.records_received = capture__records(o->capture);
	in.malformed_records = capture__malformed(o->capture);
	in.enrich_failed = __atomic_load_n(&o->enrich_failed, __ATOMIC_RELAXED);
	in.seeded = o->sync.seeded;
	in.swept = __atomic_load_n(&o->sync.swept, __ATOMIC_RELAXED);
	selfmon__update(o->selfmon, &in);
}

static int install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL))
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static int start(struct observer_ctx *o)
{
	const struct capture_handlers handlers = { on_http, on_data, on_exec, o };
	const struct api_route *routes;
	size_t n_routes;
	char err[512] = "";
	struct loader_opts lo = {
		.pin_dir = o->cfg.pin_dir,
		.ringbuf_bytes = o->cfg.ringbuf_bytes,
		.max_connections = o->cfg.max_connections,
		.self_tgid = getpid(),
	};
	int e = mkdir_p(o->cfg.state_dir, 0750);

	if (e) {
		log_error("cannot create state dir path=%s err=\"%s\"", o->cfg.state_dir,
			  strerror(-e));
		return e;
	}
	o->metrics = metrics__new(o->cfg.max_series);
	o->red = o->metrics ? http_red__new(o->metrics) : NULL;
	o->selfmon = o->metrics ? selfmon__new(o->metrics, BT_VERSION) : NULL;
	o->routes = route_table__new(o->cfg.routes, o->cfg.n_routes, o->cfg.max_routes_per_service);
	o->procs = proc_cache__new("/proc", PROC_TTL_NS);
	if (!o->red || !o->selfmon || !o->routes || !o->procs || start_llm(o)) {
		log_error("cannot set up aggregation err=\"%s\"", strerror(errno));
		return -ENOMEM;
	}
	e = start_cost(o);
	if (e)
		return e;
	o->loader = loader__open(&lo, err, sizeof(err));
	if (!o->loader) {
		log_error("BPF unavailable err=\"%s\"", err);
		return -EPERM;
	}
	e = loader__set_capture_paths(o->loader, o->cfg.capture_paths, o->cfg.n_capture_paths);
	if (e) {
		log_error("cannot write the capture list err=%d", e);
		return e;
	}
	o->tls = tls_watch__new(o->loader, "/proc");
	if (!o->tls)
		return -ENOMEM;
	tls_watch__scan_all(o->tls);
	o->capture = capture__new(loader__ringbuf_fd(o->loader), &handlers);
	if (!o->capture) {
		log_error("cannot read the ringbuf err=\"%s\"", strerror(errno));
		return -EIO;
	}
	conn_sync_seed(loader__conns_fd(o->loader), "/proc", lo.self_tgid, &o->sync);
	update_selfmon(o);
	routes = cost_engine__routes(o->cost, &n_routes);
	o->api = api__start(o->cfg.listen, o->metrics, update_selfmon, o, routes, n_routes, err,
			    sizeof(err));
	if (!o->api) {
		log_error("cannot serve err=\"%s\"", err);
		return -EADDRINUSE;
	}
	log_info("observing listen=%s pin_dir=%s seeded=%llu", o->cfg.listen, o->cfg.pin_dir,
		 (unsigned long long)o->sync.seeded);
	return 0;
}

static int run(struct observer_ctx *o)
{
	int timeout_ms = o->cfg.poll_interval_ns / 1000000;
	uint64_t next_self = 0, next_gc = now_ns() + o->cfg.gc_interval_ns;

	while (!stopping) {
		int n = capture__poll(o->capture, timeout_ms > 0 ? timeout_ms : 1);
		uint64_t t = now_ns();

		if (n < 0 && n != -EINTR) {
			log_error("ringbuf poll failed err=%d", n);
			return n;
		}
		tls_watch__tick(o->tls, t);
		if (t >= next_self) {
			update_selfmon(o);
			cost_engine__tick(o->cost);
			next_self = t + SELFMON_PERIOD_NS;
		}
		if (t >= next_gc) {
			conn_sync_sweep(loader__conns_fd(o->loader), &o->sync);
			llm_tracker__gc(o->llm, t);
			tls_watch__scan_all(o->tls); /* what exec events missed */
			next_gc = t + o->cfg.gc_interval_ns;
		}
	}
	capture__poll(o->capture, 0); /* what is already there still counts */
	return 0;
}

static void stop(struct observer_ctx *o)
{
	api__stop(o->api);
	capture__free(o->capture);
	tls_watch__free(o->tls);
	loader__close(o->loader);
	selfmon__free(o->selfmon);
	llm_tracker__free(o->llm);
	cost_engine__free(o->cost);
	attribution__free(o->attr);
	proc_env__free(o->env);
	http_red__free(o->red);
	route_table__free(o->routes);
	proc_cache__free(o->procs);
	metrics__free(o->metrics);
	obs_config_free(&o->cfg);
}

static int check_config(const char *path)
{
	struct obs_config c;
	char err[512] = "";
	int e;

	obs_config_defaults(&c);
	e = obs_config_load_file(&c, path, err, sizeof(err));
	if (!e)
		e = obs_config_validate(&c, err, sizeof(err));
	obs_config_free(&c);
	if (e) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	printf("%s: ok\n", path);
	return 0;
}

int main(int argc, char **argv)
{
	struct observer_ctx o = {};
	char err[512] = "";
	int action = OBS_RUN, rc;

	obs_config_defaults(&o.cfg);
	if (obs_config_parse_args(&o.cfg, argc, argv, &action, err, sizeof(err))) {
		fprintf(stderr, "%s\nTry '%s --help'.\n", err, argv[0]);
		obs_config_free(&o.cfg);
		return 2;
	}
	if (action != OBS_RUN) {
		if (action == OBS_HELP)
			obs_config_usage(stdout, argv[0]);
		else if (action == OBS_VERSION)
			printf("biothings-observer %s\n", BT_VERSION);
		rc = action == OBS_CHECK_CONFIG ? check_config(o.cfg.config_path) : 0;
		obs_config_free(&o.cfg);
		return rc;
	}
	log_set_level(o.cfg.log_level);
	log_hook_libbpf();
	if (obs_config_validate(&o.cfg, err, sizeof(err)) ||
	    budget_tz_apply(o.cfg.budgets.timezone)) {
		fprintf(stderr, "%s\n", err[0] ? err : "budgets.timezone: unknown zone");
		obs_config_free(&o.cfg);
		return 2;
	}
	rc = install_signals();
	if (!rc)
		rc = start(&o);
	if (!rc)
		rc = run(&o);
	stop(&o);
	log_info("stopped rc=%d", rc);
	return rc ? 1 : 0;
}
