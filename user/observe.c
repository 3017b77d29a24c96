// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Where each kernel record and each finished call goes: the one place that
 * routes data to the modules (RED, LLM, cost, security, health, traces),
 * so data still flows one way and each module sees only plain inputs.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "clock_ns.h"
#include "http_enrich.h"
#include "http_red.h"
#include "http_threat.h"
#include "log.h"
#include "observer.h"
#include "req_inspect.h"
#include "service.h"
#include "units.h"

/* A request this host served: business rules and the request detectors,
 * which read the request's own first bytes when the kernel sent them. A
 * request whose bytes match one already scanned clean is neither parsed
 * nor scanned again. */
static void on_served(struct observer_ctx *o, const struct bt_http_record *r, const char *service,
		      const char *method)
{
	size_t len = r->path_len < BT_PATH_MAX ? r->path_len : BT_PATH_MAX;
	bool inspected = o->inspect && (r->flags & BT_REQ_INSPECTED), seen = false;
	struct sec_probe p = { .known_clean = false };
	struct threat_input in;
	struct req_view v;
	const uint8_t *raw;
	size_t raw_len;
	char client[64];

	if (!r->status) {
		if (inspected) /* its bytes are of no use now */
			req_inspect__take(o->inspect, r->conn_id, &v);
		return;
	}
	if (inspected && req_inspect__raw(o->inspect, r->conn_id, &raw, &raw_len) &&
	    security__probe(o->sec, THREAT_MEMO_HEAD, raw, raw_len, &p))
		req_inspect__drop(o->inspect, r->conn_id);
	else if (!(seen = inspected && req_inspect__take(o->inspect, r->conn_id, &v)))
		security__probe(o->sec, THREAT_MEMO_TARGET, r->path, len, &p);
	cost_engine__http(o->cost, service, method, (const char *)r->path, len, r->status);
	http_addr_text(r->family, r->raddr, client, sizeof(client));
	if (seen)
		in = (struct threat_input){ .target = v.target,
					    .target_len = v.target_len,
					    .content_type = v.content_type,
					    .body = v.body,
					    .body_len = v.body_len,
					    .header_values = v.header_values,
					    .user_agent = v.user_agent };
	security__http(o->sec, r->end_ns, client, method, (const char *)r->path, len, r->status,
		       service, seen ? &in : NULL, &p);
}

/* "address:port" without snprintf: once per client request. */
static void upstream_text(const char *addr, uint16_t port, char *out, size_t len)
{
	size_t n = strnlen(addr ? addr : "?", len - 8);

	memcpy(out, addr ? addr : "?", n);
	out[n++] = ':';
	units_format_uint(port, out + n, len - n);
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
	upstream_text(obs->server_address, obs->server_port, upstream, sizeof(upstream));
	health__request(o->health, svc, upstream, BT_ROLE_CLIENT, r->status, obs->duration_s);
}

void obs_on_http(void *arg, const struct bt_http_record *r)
{
	struct observer_ctx *o = arg;
	const struct proc_meta *pm =
		proc_cache__get(o->procs, r->hdr.tgid, r->hdr.cgroup_id, mono_coarse_ns());
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
	traces__http(o->traces, r, bad ? NULL : &obs,
		     obs.service_name ? obs.service_name : lb.comm);
	if ((r->flags & BT_REQ_CAPTURED) && r->role == BT_ROLE_CLIENT) {
		o->llm_rec = r; /* for the call's span: its thread and kernel times */
		llm_tracker__exchange(o->llm, r, obs.service_name ? obs.service_name : lb.comm);
		o->llm_rec = NULL;
	}
	if (r->role == BT_ROLE_SERVER)
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

const char *obs_agent_of(void *arg, const struct llm_msg *req, const struct bt_http_record *r)
{
	struct observer_ctx *o = arg;
	const struct proc_meta *pm =
		proc_cache__get(o->procs, r->hdr.tgid, r->hdr.cgroup_id, mono_coarse_ns());
	struct attr_call a = { .o = o, .req = req, .tgid = r->hdr.tgid };
	char comm[BT_COMM_LEN + 1];
	struct attr_input in = { .header = attr_header, .env = attr_env, .arg = &a };

	snprintf(comm, sizeof(comm), "%.*s", BT_COMM_LEN, r->comm);
	in.comm = comm;
	in.exe = pm->exe;
	in.cgroup = pm->cgroup;
	return attribution__agent(o->attr, &in);
}

void obs_on_llm_call(void *arg, const struct llm_call *c, const char *service, const char *agent)
{
	struct observer_ctx *o = arg;
	double usd = cost_engine__llm_call(o->cost, c, service, agent);

	security__llm(o->sec, obs_now_ns(), service, agent, usd, c->request_hash);
	traces__llm(o->traces, c, service, agent, usd, o->llm_rec ? o->llm_rec->hdr.tid : 0,
		    o->llm_rec ? o->llm_rec->start_ns : 0, o->llm_rec ? o->llm_rec->end_ns : 0);
	health__llm(o->health, service, agent, (double)c->duration_ns / 1e9,
		    c->status >= 200 && c->status < 400 && !c->error_type[0]);
	if (c->secret_count)
		security__secret(o->sec, service, agent, c->provider, c->secret_kind,
				 c->secret_hash, c->secret_count);
	if (c->prompt_rule[0])
		security__prompt(o->sec, service, agent, c->provider, c->prompt_rule);
}

void obs_on_data(void *arg, const struct bt_data_record *d)
{
	struct observer_ctx *o = arg;

	llm_tracker__data(o->llm, d);
}

void obs_on_reqhead(void *arg, const struct bt_reqhead_record *r)
{
	struct observer_ctx *o = arg;

	req_inspect__data(o->inspect, r);
}

/* Execs matching logs.audit_exec go to the audit trail with their exe and owner. */
static void audit_exec(struct observer_ctx *o, const struct bt_exec_record *e)
{
	const struct proc_meta *pm =
		proc_cache__get(o->procs, e->hdr.tgid, e->hdr.cgroup_id, mono_coarse_ns());
	char comm[BT_COMM_LEN + 1], path[64];
	struct stat st;

	if (!pm->exe[0])
		return;
	snprintf(comm, sizeof(comm), "%.*s", BT_COMM_LEN, e->comm);
	snprintf(path, sizeof(path), "/proc/%u", e->hdr.tgid);
	log_audit_exec(o->cfg.audit_exec, e->hdr.tgid, 0, stat(path, &st) ? 0 : st.st_uid, comm,
		       pm->exe);
}

void obs_on_exec(void *arg, const struct bt_exec_record *e)
{
	struct observer_ctx *o = arg;

	tls_watch__exec(o->tls, e->hdr.tgid, obs_now_ns());
	proc_env__prefetch(o->env, e->hdr.tgid);
	if (o->cfg.audit_exec[0])
		audit_exec(o, e);
}

void obs_on_priv(void *arg, const struct bt_priv_record *p)
{
	struct observer_ctx *o = arg;
	const struct proc_meta *pm =
		proc_cache__get(o->procs, p->hdr.tgid, p->hdr.cgroup_id, mono_coarse_ns());

	security__priv(o->sec, p, pm->exe);
}

/* service_name of the client process behind a database operation or an outbound connection. */
static void client_service(struct observer_ctx *o, uint32_t tgid, uint64_t cgroup_id,
			   const char *comm, uint16_t rport, char *out, size_t len)
{
	const struct proc_meta *pm = proc_cache__get(o->procs, tgid, cgroup_id, mono_coarse_ns());
	struct svc_input in = { .comm = comm,
				.exe = pm->exe,
				.cgroup = pm->cgroup,
				.rport = rport,
				.role = SVC_ROLE_CLIENT };

	service_name(o->cfg.services, o->cfg.n_services, &in, out, len);
}

void obs_on_flow(void *arg, const struct bt_flow_record *f)
{
	struct observer_ctx *o = arg;
	char svc[SERVICE_NAME_MAX], comm[BT_COMM_LEN + 1];

	security__flow(o->sec, f->hdr.ts_ns, f);
	if (!db_conn_error_reason(f))
		return;
	snprintf(comm, sizeof(comm), "%.*s", BT_COMM_LEN, f->comm);
	client_service(o, f->hdr.tgid, f->hdr.cgroup_id, comm, f->dport, svc, sizeof(svc));
	db_metrics__flow(o->dbm, svc, f);
}

void obs_on_db_op(void *arg, const struct dbw_op *op)
{
	struct observer_ctx *o = arg;
	char svc[SERVICE_NAME_MAX];
	char server[80], addr[64];

	client_service(o, op->peer->tgid, 0, op->peer->comm, op->peer->port, svc, sizeof(svc));
	db_metrics__op(o->dbm, svc, op);
	http_addr_text(op->peer->family, op->peer->addr, addr, sizeof(addr));
	snprintf(server, sizeof(server), "%s:%u", addr, op->peer->port);
	health__db(o->health, svc, op->system == BT_DB_REDIS ? "redis" : "postgresql", server,
		   (double)(op->end_ns - op->start_ns) / 1e9, op->error_type);
}

void obs_on_dbio(void *arg, const struct bt_dbio_record *r)
{
	struct observer_ctx *o = arg;
	struct dbw_io io;

	dbw_io_from_record(r, &io);
	dbwire__io(o->dbw, &io);
}

/* Once a second on the loop: database replies ended by silence, kernel retransmit counts. */
void obs_update_db(struct observer_ctx *o, uint64_t t)
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

/* A check finished (runner thread or an on-demand run on the API thread). */
void obs_on_check_result(void *ctx, const char *name, const struct check_result *r)
{
	struct observer_ctx *o = ctx;

	health__component(o->health, name, r);
}

/* POST /health/component/{name}/test */
int obs_run_check(void *ctx, const char *name, struct check_result *out)
{
	struct observer_ctx *o = ctx;

	return o->checks ? checks_run__now(o->checks, name, out) : -ENOENT;
}

/* Mirrors the served-request inspection counts into their family. */
static void obs_inspect_stats(struct observer_ctx *o)
{
	static const char *const result[REQ_INSPECT__COUNT] = {
		[REQ_INSPECT_SEEN] = "inspected",    [REQ_INSPECT_NO_BYTES] = "no_bytes",
		[REQ_INSPECT_EVICTED] = "evicted",   [REQ_INSPECT_NOT_HTTP] = "not_http",
		[REQ_INSPECT_KNOWN] = "known_clean",
	};

	if (!o->inspect)
		return;
	for (int i = 0; i < REQ_INSPECT__COUNT; i++) {
		const char *lv[] = { result[i], NULL };

		metrics__set(o->metrics, o->f_inspect, lv,
			     (double)req_inspect__stat(o->inspect, (enum req_inspect_stat)i));
	}
}

/* The observer's own health: it cannot observe well while the kernel drops records. */
void obs_self_health(struct observer_ctx *o)
{
	uint64_t kernel[BT_CNT__COUNT] = {};
	uint64_t drops;

	loader__read_counters(o->loader, kernel);
	drops = kernel[BT_DROP_RINGBUF_FULL] + kernel[BT_DROP_PAYLOAD_SHED];
	health__self(o->health, drops == o->ringbuf_drops,
		     "records dropped: ring buffer full (raise capture.ringbuf_size)");
	o->ringbuf_drops = drops;
	obs_inspect_stats(o);
}

/* Once a second on the loop: a host resources sample. */
void obs_sample_resources(struct observer_ctx *o)
{
	struct sysres_snapshot snap;

	if (!o->res)
		return;
	sysres__read(o->res, &snap);
	sysmon__update(o->sysmon, &snap);
	health__system(o->health, &snap);
}
