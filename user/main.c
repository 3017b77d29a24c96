// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * biothings-observer: the lifecycle (start, the loop, stop). observe.c routes
 * records to the modules and modules.c starts them.
 * Data flows one way: loader -> capture -> enrich -> aggregate -> api.
 * Nothing here parses or aggregates; it only owns the objects and the loop.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture_ignore.h"
#include "clock_ns.h"
#include "fsutil.h"
#include "http_enrich.h"
#include "http_red.h"
#include "loader.h"
#include "log.h"
#include "logs_api.h"
#include "logstore.h"
#include "observer.h"
#include "req_inspect.h"
#include "privdrop.h"

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

uint64_t obs_now_ns(void)
{
	return mono_now_ns();
}

/* Runs on the loop and, before each scrape, on the API thread: everything
 * it reads is a BPF map, an atomic or written once before the API starts. */
static void update_selfmon(void *arg)
{
	struct observer_ctx *o = arg;
	uint64_t kernel[BT_CNT__COUNT] = {};
	struct prog_stat progs[MAX_PROG_STATS];
	struct probe_state probes[MAX_PROBES];
	struct selfmon_input in = { .kernel = kernel, .progs = progs, .probes = probes };

	loader__read_counters(o->loader, kernel);
	in.n_progs = loader__prog_stats(o->loader, progs, MAX_PROG_STATS);
	if (in.n_progs > MAX_PROG_STATS)
		in.n_progs = MAX_PROG_STATS;
	in.records_received = capture__records(o->capture);
	in.malformed_records = capture__malformed(o->capture);
	in.enrich_failed = __atomic_load_n(&o->enrich_failed, __ATOMIC_RELAXED);
	in.seeded = o->sync.seeded;
	in.left_alone = o->sync.left_alone;
	in.swept = __atomic_load_n(&o->sync.swept, __ATOMIC_RELAXED);
	in.n_probes = loader__probes(o->loader, probes, MAX_PROBES);
	if (in.n_probes > MAX_PROBES)
		in.n_probes = MAX_PROBES;
	in.conns_tracked = __atomic_load_n(&o->conns_tracked, __ATOMIC_RELAXED);
	in.conns_evicted = __atomic_load_n(&o->conns_evicted, __ATOMIC_RELAXED);
	in.ignored_cgroups = __atomic_load_n(&o->ignored_cgroups, __ATOMIC_RELAXED);
	selfmon__update(o->selfmon, &in);
}

/* Loop thread, next to the sweep: how many entries the kernel holds, and how
 * many left without a close (LRU evictions), for selfmon. */
static void conn_census(struct observer_ctx *o)
{
	struct conn_census c;
	uint64_t swept = __atomic_load_n(&o->sync.swept, __ATOMIC_RELAXED);

	if (loader__conn_census(o->loader, &c))
		return;
	__atomic_store_n(&o->conns_tracked, c.live, __ATOMIC_RELAXED);
	__atomic_store_n(&o->conns_evicted,
			 selfmon_evicted(o->conns_evicted, &c, o->sync.seeded, swept),
			 __ATOMIC_RELAXED);
}

/* The cgroups capture.ignore's globs match now; called again at every
 * sweep, as containers and services come and go. */
static void ignore_rescan(struct observer_ctx *o, struct loader *l)
{
	struct ignore_cgroup *c;
	bool more = false;
	ssize_t n;

	if (!o->cgroup_root[0] || !(c = calloc(BT_IGNORE_CGROUPS_MAX, sizeof(*c))))
		return;
	n = ignore_cgroups_scan(o->cgroup_root, o->cfg.ignore, o->cfg.n_ignore, c,
				BT_IGNORE_CGROUPS_MAX, &more);
	if (n < 0)
		log_warn("capture.ignore: cannot read cgroups path=%s err=%zd", o->cgroup_root, n);
	else if (loader__sync_ignore_cgroups(l, c, (size_t)n))
		log_warn("capture.ignore: cannot write the cgroup table");
	else if ((uint64_t)n != __atomic_load_n(&o->ignored_cgroups, __ATOMIC_RELAXED))
		log_info("capture.ignore cgroups=%zd%s", n,
			 more ? " (table full: more match)" : "");
	if (n >= 0)
		__atomic_store_n(&o->ignored_cgroups, (uint64_t)n, __ATOMIC_RELAXED);
	free(c);
}

/* capture.ignore into the kernel's tables, before any program runs. */
static int ignore_configure(struct observer_ctx *o, struct loader *l)
{
	int e;

	if (!o->cfg.n_ignore)
		return 0;
	ignore_plan_build(o->cfg.ignore, o->cfg.n_ignore, &o->ignore_plan);
	e = loader__set_ignore(l, &o->ignore_plan);
	if (e) {
		log_error("cannot write capture.ignore err=%d", e);
		return e;
	}
	if (!ignore_has_cgroup_rules(o->cfg.ignore, o->cfg.n_ignore))
		return 0;
	e = ignore_cgroup_root("/proc/self/mountinfo", o->cgroup_root, sizeof(o->cgroup_root));
	if (e)
		log_warn("capture.ignore: no cgroup2 mount found: rules with a cgroup match "
			 "nothing err=%d",
			 e);
	ignore_rescan(o, l);
	return 0;
}

/* Cgroup ids to paths, for records whose process exited before the daemon
 * read /proc (proc_cache__get). Without a cgroup2 mount, none. */
static void obs_cgroup_paths(struct observer_ctx *o)
{
	char root[256];

	if (ignore_cgroup_root("/proc/self/mountinfo", root, sizeof(root)))
		return;
	o->cgpaths = cgroup_paths__new(root, CGROUP_PATHS_MAX, CGROUP_RESCAN_NS);
	if (!o->cgpaths)
		log_warn("cgroup paths unavailable err=%d", errno);
}

static int obs_boundary(const struct observer_ctx *o)
{
	return !strcmp(o->cfg.capture_framing, "boundary");
}

/* Connections seeded from /proc (syscall hooks) were made before the
 * kernel could check capture.ignore at their accept or connect: the
 * daemon checks their process instead, by its main thread's name. */
static bool seed_leave(unsigned pid, void *arg)
{
	struct observer_ctx *o = arg;

	return ignore_process(&o->ignore_plan, o->cfg.ignore, o->cfg.n_ignore, "/proc", pid) != 0;
}

/*
 * SCHED_BATCH, before any thread starts (threads inherit it): the same
 * share of CPU as any process, but waking up never preempts the task
 * running on that CPU. The daemon's wake-ups (a batch of ring records,
 * a scrape) then wait for the observed process to yield instead of
 * delaying whichever of its requests is in flight, which showed as a
 * longer p99 at moderate load (docs/performance.md).
 */
static void set_sched_policy(const char *policy)
{
	struct sched_param sp = { .sched_priority = 0 };

	if (strcmp(policy, "batch"))
		return;
	if (sched_setscheduler(0, SCHED_BATCH, &sp))
		log_warn("cannot switch to SCHED_BATCH err=%d", -errno);
}

static const char *hooks_name(const struct loader *l)
{
	return loader__socket_hooks(l) ? "socket" : "syscall";
}

/* The daemon's configuration in the maps before any program runs: the
 * first connections already see the capture list, the database ports and,
 * with the socket hooks, which ports are listened on (a connection met
 * mid-stream takes its role from them, for good). */
static int configure_bpf(struct loader *l, void *arg)
{
	struct observer_ctx *o = arg;
	int e;

	e = loader__set_capture_paths(l, o->cfg.capture_paths, o->cfg.n_capture_paths);
	if (e) {
		log_error("cannot write the capture list err=%d", e);
		return e;
	}
	e = loader__set_inspect_bytes(l, (uint32_t)o->cfg.inspect_bytes);
	if (e) {
		log_error("cannot set request inspection err=%d", e);
		return e;
	}
	if (obs_boundary(o) && !loader__socket_hooks(l)) {
		log_warn("capture.framing boundary needs capture.hooks socket: framing in full");
		snprintf(o->cfg.capture_framing, sizeof(o->cfg.capture_framing), "full");
	}
	e = loader__set_framing(l, obs_boundary(o) ? BT_FRAMING_BOUNDARY : BT_FRAMING_FULL,
				o->cfg.framing_idle_ns);
	if (e) {
		log_error("cannot set the framing err=%d", e);
		return e;
	}
	e = loader__set_db_ports(l, o->cfg.db_ports, o->cfg.n_db_ports);
	if (e) {
		log_error("cannot write the database ports err=%d", e);
		return e;
	}
	e = ignore_configure(o, l);
	if (e)
		return e;
	if (loader__socket_hooks(l))
		conn_sync_listen_seed(loader__listen_ports_fd(l), "/proc");
	return 0;
}

/* Load and attach first, then drop what only that needed, before any thread
 * starts: capabilities belong to threads (privdrop.h). */
static int start_bpf(struct observer_ctx *o, struct loader_opts *lo)
{
	struct privdrop_report pr;
	char err[512] = "", kept[256];
	int e;

	lo->before_attach = configure_bpf;
	lo->before_attach_arg = o;
	o->loader = loader__open(lo, err, sizeof(err));
	if (!o->loader) {
		log_error("BPF unavailable err=\"%s\"", err);
		return -EPERM;
	}
	e = privdrop_apply(privdrop_keep_for_listen(o->cfg.listen), &pr);
	if (e) {
		log_warn("capabilities not dropped err=%d", e);
		return 0;
	}
	privdrop_names(pr.after, kept, sizeof(kept));
	log_info("capabilities dropped kept=%s", kept);
	return 0;
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

static int start(struct observer_ctx *o, struct api_opts *ao)
{
	const struct capture_handlers handlers = { .on_http = obs_on_http,
						   .on_data = obs_on_data,
						   .on_reqhead = obs_on_reqhead,
						   .on_exec = obs_on_exec,
						   .ctx = o,
						   .on_priv = obs_on_priv,
						   .on_flow = obs_on_flow,
						   .on_dbio = obs_on_dbio };
	const struct api_route *routes;
	size_t n_routes, n_rings;
	const int *rings;
	char err[512] = "";
	struct loader_opts lo = {
		.pin_dir = o->cfg.pin_dir,
		.ringbuf_bytes = o->cfg.ringbuf_bytes,
		.ringbuf_per_cpu_bytes = o->cfg.ringbuf_per_cpu_bytes,
		.max_connections = o->cfg.max_connections,
		.self_tgid = getpid(),
		.socket_hooks = !strcmp(o->cfg.capture_hooks, "socket"),
	};
	int e = mkdir_p(o->cfg.state_dir, 0750);

	if (!e && access(o->cfg.state_dir, W_OK)) /* EROFS even for root */
		e = -errno;
	if (e) {
		log_error("cannot write the state dir path=%s err=\"%s\"", o->cfg.state_dir,
			  strerror(-e));
		return e;
	}
	e = start_bpf(o, &lo);
	if (e)
		return e;
	e = obs_start_logs(o);
	if (e)
		return e;
	o->metrics = metrics__new(o->cfg.max_series);
	o->red = o->metrics ? http_red__new(o->metrics) : NULL;
	o->selfmon = o->metrics ? selfmon__new(o->metrics, BT_VERSION) : NULL;
	o->routes = route_table__new(o->cfg.routes, o->cfg.n_routes, o->cfg.max_routes_per_service);
	obs_cgroup_paths(o);
	o->procs = proc_cache__new("/proc", PROC_TTL_NS, o->cgpaths);
	o->dbm = o->metrics ? db_metrics__new(o->metrics) : NULL;
	o->dbw = dbwire__new(&(struct dbwire_opts){ .on_op = obs_on_db_op, .arg = o });
	e = obs_start_traces(o);
	if (e)
		return e;
	if (!o->red || !o->selfmon || !o->routes || !o->procs || !o->dbm || !o->dbw ||
	    obs_start_llm(o)) {
		log_error("cannot set up aggregation err=\"%s\"", strerror(errno));
		return -ENOMEM;
	}
	selfmon__set_hooks(o->selfmon, hooks_name(o->loader), o->cfg.capture_framing);
	e = obs_start_cost(o);
	if (!e)
		e = obs_start_security(o);
	if (!e)
		e = obs_start_health_inputs(o);
	if (e)
		return e;
	o->tls = tls_watch__new(o->loader, "/proc");
	if (!o->tls)
		return -ENOMEM;
	tls_watch__scan_all(o->tls);
	n_rings = loader__ring_fds(o->loader, &rings);
	o->capture = capture__new(rings, n_rings, &handlers);
	if (!o->capture) {
		log_error("cannot read the ringbuf err=\"%s\"", strerror(errno));
		return -EIO;
	}
	if (loader__socket_hooks(o->loader)) /* again: listen() calls while attaching */
		conn_sync_listen_seed(loader__listen_ports_fd(o->loader), "/proc");
	else
		conn_sync_seed(loader__conns_fd(o->loader), "/proc", lo.self_tgid, seed_leave, o,
			       &o->sync);
	conn_census(o);
	update_selfmon(o);
	routes = cost_engine__routes(o->cost, &n_routes);
	obs_add_routes(o, routes, n_routes);
	routes = security__routes(o->sec, &n_routes);
	obs_add_routes(o, routes, n_routes);
	routes = logs_api__routes(o->logs, &n_routes);
	obs_add_routes(o, routes, n_routes);
	routes = health__routes(o->health, &n_routes);
	obs_add_routes(o, routes, n_routes);
	ao->listen = o->cfg.listen;
	ao->m = o->metrics;
	ao->refresh = update_selfmon;
	ao->refresh_ctx = o;
	ao->routes = o->api_routes;
	ao->n_routes = o->n_routes;
	o->api = api__start_opts(ao, err, sizeof(err));
	api_opts_clear(ao); /* the API keeps its own copies */
	if (!o->api) {
		log_error("cannot serve err=\"%s\"", err);
		return -EADDRINUSE;
	}
	log_info("observing listen=%s pin_dir=%s hooks=%s seeded=%llu", o->cfg.listen,
		 o->cfg.pin_dir, hooks_name(o->loader), (unsigned long long)o->sync.seeded);
	return 0;
}

/* Boundary framing's sweep of quiet connections; a failure is said once
 * (held requests then wait for their connection's next request or close). */
static void sweep_held(struct observer_ctx *o)
{
	static int said;
	int e = loader__sweep_held(o->loader);

	if (e && !said++)
		log_warn("boundary framing sweep failed err=%d: held requests wait for their "
			 "connection's next request or close",
			 e);
}

static int run(struct observer_ctx *o)
{
	int timeout_ms = o->cfg.poll_interval_ns / 1000000;
	uint64_t next_self = 0, next_gc = obs_now_ns() + o->cfg.gc_interval_ns;

	while (!stopping) {
		int n = capture__poll(o->capture, timeout_ms > 0 ? timeout_ms : 1);
		uint64_t t = obs_now_ns();

		if (n < 0 && n != -EINTR) {
			health__self(o->health, false, "ring buffer poll failed");
			log_error("ringbuf poll failed err=%d", n);
			return n;
		}
		tls_watch__tick(o->tls, t);
		if (t >= next_self) {
			if (obs_boundary(o))
				sweep_held(o);
			update_selfmon(o);
			obs_update_db(o, t);
			cost_engine__tick(o->cost);
			obs_sample_resources(o);
			obs_self_health(o);
			health__tick(o->health);
			next_self = t + SELFMON_PERIOD_NS;
		}
		if (t >= next_gc) {
			conn_sync_sweep(loader__conns_fd(o->loader), &o->sync);
			ignore_rescan(o, o->loader);
			conn_census(o);
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
	traces__free(o->traces); /* sends what it can within ~2 s */
	dbwire__free(o->dbw);
	db_metrics__free(o->dbm);
	tls_watch__free(o->tls);
	loader__close(o->loader);
	selfmon__free(o->selfmon);
	llm_tracker__free(o->llm);
	cost_engine__free(o->cost);
	security__free(o->sec);
	req_inspect__free(o->inspect);
	sysmon__free(o->sysmon);
	sysres__free(o->res);
	attribution__free(o->attr);
	proc_env__free(o->env);
	http_red__free(o->red);
	route_table__free(o->routes);
	proc_cache__free(o->procs);
	cgroup_paths__free(o->cgpaths);
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
	if (e) /* the message names the file and the position */
		fprintf(stderr, "%s\n", err);
	else if ((e = obs_config_validate(&c, err, sizeof(err))))
		fprintf(stderr, "%s: %s\n", path, err);
	obs_config_free(&c);
	if (e)
		return 1;
	printf("%s: ok\n", path);
	return 0;
}

int main(int argc, char **argv)
{
	struct observer_ctx o = {};
	struct api_opts ao = {};
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
	if (api_opts_load(&ao, &o.cfg, err, sizeof(err))) {
		log_error("api settings refused err=\"%s\"", err);
		obs_config_free(&o.cfg);
		return 2;
	}
	set_sched_policy(o.cfg.sched_policy);
	rc = install_signals();
	if (!rc)
		rc = start(&o, &ao);
	api_opts_clear(&ao);
	if (!rc)
		rc = run(&o);
	stop(&o);
	log_info("stopped rc=%d", rc);
	log_set_sink(NULL, NULL);
	logstore__free(o.logs);
	return rc ? 1 : 0;
}
