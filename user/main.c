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
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"
#include "attribution.h"
#include "capture.h"
#include "checks_run.h"
#include "config.h"
#include "conn_sync.h"
#include "cost_engine.h"
#include "db_metrics.h"
#include "dbwire.h"
#include "fsutil.h"
#include "health.h"
#include "http_enrich.h"
#include "http_red.h"
#include "loader.h"
#include "llm_track.h"
#include "log.h"
#include "logfmt.h"
#include "logs_api.h"
#include "logstore.h"
#include "metrics.h"
#include "proc_env.h"
#include "procinfo.h"
#include "route.h"
#include "security.h"
#include "selfmon.h"
#include "service.h"
#include "sysmon.h"
#include "sysres.h"
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
	struct security *sec;
	struct logstore *logs;
	struct sysres *res;
	struct sysmon *sysmon;
	struct checks_run *checks;
	struct health *health;
	struct api_route api_routes[32]; /* every module's REST routes, for the API */
	size_t n_routes;
	struct tls_watch *tls;
	struct dbwire *dbw;
	struct db_metrics *dbm;
	struct api *api;
	struct conn_sync_stats sync;
	uint64_t enrich_failed;
	uint64_t ringbuf_drops; /* last second's kernel count, for the observer's own health */
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

/* A request this host served: business rules and the request detectors. */
static void on_served(struct observer_ctx *o, const struct bt_http_record *r, const char *service,
		      const char *method)
{
	size_t len = r->path_len < BT_PATH_MAX ? r->path_len : BT_PATH_MAX;
	char client[64];

	cost_engine__http(o->cost, service, method, (const char *)r->path, len, r->status);
	http_addr_text(r->family, r->raddr, client, sizeof(client));
	security__http(o->sec, r->end_ns, client, method, (const char *)r->path, len, r->status,
		       service);
}

/* A finished request into the SLA and performance figures; an upstream is "address:port". */
static void observe_health(struct observer_ctx *o, const struct bt_http_record *r,
			   const struct http_obs *obs)
{
	const char *svc = obs->service_name ? obs->service_name : "unknown_service";
	char upstream[80];

	if (r->role == BT_ROLE_SERVER) {
		health__request(o->health, svc, obs->route ? obs->route : "", BT_ROLE_SERVER,
				r->status, obs->duration_s);
		return;
	}
	snprintf(upstream, sizeof(upstream), "%s:%u",
		 obs->server_address ? obs->server_address : "?", obs->server_port);
	health__request(o->health, svc, upstream, BT_ROLE_CLIENT, r->status, obs->duration_s);
}

static void on_http(void *arg, const struct bt_http_record *r)
{
	struct observer_ctx *o = arg;
	const struct proc_meta *pm = proc_cache__get(o->procs, r->hdr.tgid, now_ns());
	struct http_labels lb;
	struct http_obs obs;
	int bad = http_enrich(r, pm, &o->cfg, o->routes, &lb, &obs);

	if (bad || http_red__observe(o->red, &obs)) {
		__atomic_fetch_add(&o->enrich_failed, 1, __ATOMIC_RELAXED);
		if (log_every(&o->log_slot, 10 * PROC_TTL_NS))
			log_warn("record not aggregated tgid=%u comm=%s", r->hdr.tgid, lb.comm);
	}
	if (!bad && r->status)
		observe_health(o, r, &obs);
	if ((r->flags & BT_REQ_CAPTURED) && r->role == BT_ROLE_CLIENT)
		llm_tracker__exchange(o->llm, r, obs.service_name ? obs.service_name : lb.comm);
	if (r->role == BT_ROLE_SERVER && r->status)
		on_served(o, r, obs.service_name ? obs.service_name : "", obs.method);
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
	double usd = cost_engine__llm_call(o->cost, c, service, agent);

	security__llm(o->sec, now_ns(), service, agent, usd, c->request_hash);
	health__llm(o->health, service, agent, (double)c->duration_ns / 1e9,
		    c->status >= 200 && c->status < 400 && !c->error_type[0]);
	if (c->secret_count)
		security__secret(o->sec, service, agent, c->provider, c->secret_kind,
				 c->secret_hash, c->secret_count);
}

static void on_data(void *arg, const struct bt_data_record *d)
{
	struct observer_ctx *o = arg;

	llm_tracker__data(o->llm, d);
}

/* Execs matching logs.audit_exec go to the audit trail with their exe and owner. */
static void audit_exec(struct observer_ctx *o, const struct bt_exec_record *e)
{
	const struct proc_meta *pm = proc_cache__get(o->procs, e->hdr.tgid, now_ns());
	char comm[BT_COMM_LEN + 1], path[64];
	struct stat st;

	if (!pm->exe[0])
		return;
	snprintf(comm, sizeof(comm), "%.*s", BT_COMM_LEN, e->comm);
	snprintf(path, sizeof(path), "/proc/%u", e->hdr.tgid);
	log_audit_exec(o->cfg.audit_exec, e->hdr.tgid, 0, stat(path, &st) ? 0 : st.st_uid, comm,
		       pm->exe);
}

static void on_exec(void *arg, const struct bt_exec_record *e)
{
	struct observer_ctx *o = arg;

	tls_watch__exec(o->tls, e->hdr.tgid, now_ns());
	proc_env__prefetch(o->env, e->hdr.tgid);
	if (o->cfg.audit_exec[0])
		audit_exec(o, e);
}

static void on_priv(void *arg, const struct bt_priv_record *p)
{
	struct observer_ctx *o = arg;
	const struct proc_meta *pm = proc_cache__get(o->procs, p->hdr.tgid, now_ns());

	security__priv(o->sec, p, pm->exe);
}

/* service_name of the client process behind a database operation or an outbound connection. */
static void client_service(struct observer_ctx *o, uint32_t tgid, const char *comm, uint16_t rport,
			   char *out, size_t len)
{
	const struct proc_meta *pm = proc_cache__get(o->procs, tgid, now_ns());
	struct svc_input in = { .comm = comm,
				.exe = pm->exe,
				.cgroup = pm->cgroup,
				.rport = rport,
				.role = SVC_ROLE_CLIENT };

	service_name(o->cfg.services, o->cfg.n_services, &in, out, len);
}

static void on_flow(void *arg, const struct bt_flow_record *f)
{
	struct observer_ctx *o = arg;
	char svc[SERVICE_NAME_MAX], comm[BT_COMM_LEN + 1];

	security__flow(o->sec, f->hdr.ts_ns, f);
	if (!db_conn_error_reason(f))
		return;
	snprintf(comm, sizeof(comm), "%.*s", BT_COMM_LEN, f->comm);
	client_service(o, f->hdr.tgid, comm, f->dport, svc, sizeof(svc));
	db_metrics__flow(o->dbm, svc, f);
}

static void on_db_op(void *arg, const struct dbw_op *op)
{
	struct observer_ctx *o = arg;
	char svc[SERVICE_NAME_MAX];
	char server[80], addr[64];

	client_service(o, op->peer->tgid, op->peer->comm, op->peer->port, svc, sizeof(svc));
	db_metrics__op(o->dbm, svc, op);
	http_addr_text(op->peer->family, op->peer->addr, addr, sizeof(addr));
	snprintf(server, sizeof(server), "%s:%u", addr, op->peer->port);
	health__db(o->health, svc, op->system == BT_DB_REDIS ? "redis" : "postgresql", server,
		   (double)(op->end_ns - op->start_ns) / 1e9, op->error_type);
}

static void on_dbio(void *arg, const struct bt_dbio_record *r)
{
	struct observer_ctx *o = arg;
	struct dbw_io io;

	dbw_io_from_record(r, &io);
	dbwire__io(o->dbw, &io);
}

/* Once a second on the loop: database replies ended by silence, kernel retransmit counts. */
static void update_db(struct observer_ctx *o, uint64_t t)
{
	uint64_t kernel[BT_CNT__COUNT] = {};
	struct dbw_stats st;

	dbwire__tick(o->dbw, t);
	dbwire__stats(o->dbw, &st);
	db_metrics__wire_stats(o->dbm, &st);
	loader__read_counters(o->loader, kernel);
	db_metrics__read_retransmits(o->dbm, loader__retrans_fd(o->loader),
				     kernel[BT_CNT_RETRANS_DESTS]);
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

static int start_security(struct observer_ctx *o)
{
	struct exfil_cfg x = { .bytes = o->cfg.exfil_bytes,
			       .window_ns = o->cfg.exfil_window_ns,
			       .allow = o->cfg.exfil_allow,
			       .n_allow = o->cfg.n_exfil_allow };
	struct security_opts so = { .detect = &o->cfg.detect,
				    .exfil = &x,
				    .disabled = o->cfg.sec_disabled };

	o->sec = security__new(&so, o->metrics);
	if (!o->sec) {
		log_error("cannot start the security detectors err=\"%s\"", strerror(errno));
		return -ENOMEM;
	}
	return 0;
}

/* Gathers the REST routes of the modules that serve some. */
static void add_routes(struct observer_ctx *o, const struct api_route *r, size_t n)
{
	for (size_t i = 0; i < n && o->n_routes < sizeof(o->api_routes) / sizeof(o->api_routes[0]);
	     i++)
		o->api_routes[o->n_routes++] = r[i];
}

/* A check finished (runner thread or an on-demand run on the API thread). */
static void on_check_result(void *ctx, const char *name, const struct check_result *r)
{
	struct observer_ctx *o = ctx;

	health__component(o->health, name, r);
}

/* POST /health/component/{name}/test */
static int run_check(void *ctx, const char *name, struct check_result *out)
{
	struct observer_ctx *o = ctx;

	return o->checks ? checks_run__now(o->checks, name, out) : -ENOENT;
}

static int start_health(struct observer_ctx *o)
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
		.run_check = c->n_checks ? run_check : NULL,
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
static int start_health_inputs(struct observer_ctx *o)
{
	const char *mounts[] = { "/", o->cfg.state_dir };

	o->res = sysres__new("/proc", mounts, 2);
	if (!o->res)
		log_warn("host resources unavailable err=\"%s\"", strerror(errno));
	o->sysmon = sysmon__new(o->metrics);
	if (!o->sysmon || start_health(o))
		return -errno;
	if (!o->cfg.n_checks)
		return 0;
	o->checks = checks_run__new(o->cfg.checks, o->cfg.n_checks, o->metrics, on_check_result, o);
	if (!o->checks) {
		log_error("cannot start active checks err=\"%s\"", strerror(errno));
		return -errno;
	}
	return 0;
}

/* The observer's own health: it cannot observe well while the kernel drops records. */
static void self_health(struct observer_ctx *o)
{
	uint64_t kernel[BT_CNT__COUNT] = {};

	loader__read_counters(o->loader, kernel);
	health__self(o->health, kernel[BT_DROP_RINGBUF_FULL] == o->ringbuf_drops,
		     "records dropped: ring buffer full (raise capture.ringbuf_size)");
	o->ringbuf_drops = kernel[BT_DROP_RINGBUF_FULL];
}

/* Once a second on the loop: a host resources sample. */
static void sample_resources(struct observer_ctx *o)
{
	struct sysres_snapshot snap;

	if (!o->res)
		return;
	sysres__read(o->res, &snap);
	sysmon__update(o->sysmon, &snap);
	health__system(o->health, &snap);
}

/* The log and audit store behind GET /logs; every log line from here on goes there too. */
static int start_logs(struct observer_ctx *o)
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
	const struct capture_handlers handlers = { .on_http = on_http,
						   .on_data = on_data,
						   .on_exec = on_exec,
						   .ctx = o,
						   .on_priv = on_priv,
						   .on_flow = on_flow,
						   .on_dbio = on_dbio };
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
	e = start_logs(o);
	if (e)
		return e;
	o->metrics = metrics__new(o->cfg.max_series);
	o->red = o->metrics ? http_red__new(o->metrics) : NULL;
	o->selfmon = o->metrics ? selfmon__new(o->metrics, BT_VERSION) : NULL;
	o->routes = route_table__new(o->cfg.routes, o->cfg.n_routes, o->cfg.max_routes_per_service);
	o->procs = proc_cache__new("/proc", PROC_TTL_NS);
	o->dbm = o->metrics ? db_metrics__new(o->metrics) : NULL;
	o->dbw = dbwire__new(&(struct dbwire_opts){ .on_op = on_db_op, .arg = o });
	if (!o->red || !o->selfmon || !o->routes || !o->procs || !o->dbm || !o->dbw ||
	    start_llm(o)) {
		log_error("cannot set up aggregation err=\"%s\"", strerror(errno));
		return -ENOMEM;
	}
	e = start_cost(o);
	if (!e)
		e = start_security(o);
	if (!e)
		e = start_health_inputs(o);
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
	e = loader__set_db_ports(o->loader, o->cfg.db_ports, o->cfg.n_db_ports);
	if (e) {
		log_error("cannot write the database ports err=%d", e);
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
	add_routes(o, routes, n_routes);
	routes = security__routes(o->sec, &n_routes);
	add_routes(o, routes, n_routes);
	routes = logs_api__routes(o->logs, &n_routes);
	add_routes(o, routes, n_routes);
	routes = health__routes(o->health, &n_routes);
	add_routes(o, routes, n_routes);
	o->api = api__start(o->cfg.listen, o->metrics, update_selfmon, o, o->api_routes,
			    o->n_routes, err, sizeof(err));
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
			health__self(o->health, false, "ring buffer poll failed");
			log_error("ringbuf poll failed err=%d", n);
			return n;
		}
		tls_watch__tick(o->tls, t);
		if (t >= next_self) {
			update_selfmon(o);
			update_db(o, t);
			cost_engine__tick(o->cost);
			sample_resources(o);
			self_health(o);
			health__tick(o->health);
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
	checks_run__free(o->checks); /* after the API: no on-demand run is in flight */
	health__free(o->health); /* writes the last counts */
	capture__free(o->capture);
	dbwire__free(o->dbw);
	db_metrics__free(o->dbm);
	tls_watch__free(o->tls);
	loader__close(o->loader);
	selfmon__free(o->selfmon);
	llm_tracker__free(o->llm);
	cost_engine__free(o->cost);
	security__free(o->sec);
	sysmon__free(o->sysmon);
	sysres__free(o->res);
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
	rc = log_setup(o.cfg.log_format, o.cfg.log_file);
	if (rc) {
		fprintf(stderr, "cannot write logs to %s: %s\n",
			o.cfg.log_file[0] ? o.cfg.log_file : "stdout", strerror(-rc));
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
	log_set_sink(NULL, NULL);
	logstore__free(o.logs);
	return rc ? 1 : 0;
}
