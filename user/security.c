// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Turns detector hits into security events: one metric sample, one log
 * line (category security) and one ring entry per event. The ring is what
 * GET /logs/security reads; the capture loop writes it and the API thread
 * reads it, so one mutex guards it and nothing else.
 */
#include "security.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_threat.h"
#include "log.h"
#include "logfmt.h"
#include "metrics.h"

struct sec_event {
	time_t ts;
	enum sec_type type;
	char source[DETECT_KEY_MAX], detail[160], service[64], method[12];
	char path[96]; /* served requests: the path without its query (no values leak) */
	uint16_t status;
	uint32_t pid, uid;
	uint64_t count;
};

struct security {
	pthread_mutex_t mu; /* guards ring and n */
	struct sec_event ring[SECURITY_RING];
	uint64_t n; /* events ever; ring[n % SECURITY_RING] is the next slot */
	uint64_t per_type[SEC__COUNT];
	uint32_t disabled;
	struct detect *det;
	struct exfil *exfil;
	struct threat_memo *memo;
	struct metrics *m;
	int f_events;
	time_t (*clock)(void);
	struct api_route routes[1];
};

static time_t wall(void)
{
	return time(NULL);
}

static const enum sec_type threat_sec[THREAT__COUNT] = {
	[THREAT_SQL_INJECTION] = SEC_SQL_INJECTION,
	[THREAT_XSS] = SEC_XSS,
	[THREAT_PATH_TRAVERSAL] = SEC_PATH_TRAVERSAL,
	[THREAT_SENSITIVE_PATH] = SEC_SENSITIVE_PATH,
	[THREAT_COMMAND_INJECTION] = SEC_COMMAND_INJECTION,
	[THREAT_SSRF] = SEC_SSRF,
	[THREAT_SCANNER_TOOL] = SEC_SCANNER, /* through the detector: one per window */
};

static const enum sec_type detect_sec[DET__COUNT] = {
	[DET_AUTH_FAILURE_BURST] = SEC_AUTH_FAILURE_BURST,
	[DET_SCANNER] = SEC_SCANNER,
	[DET_RATE_LIMIT_VIOLATION] = SEC_RATE_LIMIT,
	[DET_LLM_RUNAWAY_LOOP] = SEC_LLM_RUNAWAY_LOOP,
};

/* A blank event of type t, or NULL when t is switched off. */
static struct sec_event *begin(struct security *s, struct sec_event *e, enum sec_type t,
			       const char *source, const char *service)
{
	if (s->disabled & (1u << t))
		return NULL;
	memset(e, 0, sizeof(*e));
	e->ts = s->clock();
	e->type = t;
	e->count = 1;
	snprintf(e->source, sizeof(e->source), "%s", source ? source : "");
	snprintf(e->service, sizeof(e->service), "%s", service ? service : "");
	return e;
}

/* Counts, logs and keeps one event. */
static void raise_event(struct security *s, const struct sec_event *e)
{
	const char *lv[] = { sec_type_name(e->type), sec_type_severity(e->type), NULL };

	char detail[2 * sizeof(e->detail)], path[2 * sizeof(e->path)];

	metrics__add(s->m, s->f_events, lv, 1);
	logfmt_quote(e->detail, detail, sizeof(detail));
	logfmt_quote(e->path, path, sizeof(path));
	log_cat(LOG_WARN, LOGC_SECURITY,
		"security event type=%s severity=%s source=%s service=%s method=%s path=%s status=%u "
		"pid=%u uid=%u count=%llu detail=%s",
		lv[0], lv[1], e->source, e->service, e->method, path, e->status, e->pid, e->uid,
		(unsigned long long)e->count, detail);
	pthread_mutex_lock(&s->mu);
	s->ring[s->n % SECURITY_RING] = *e;
	s->n++;
	s->per_type[e->type]++;
	pthread_mutex_unlock(&s->mu);
}

static void raise_alert(struct security *s, const struct detect_alert *a, const char *service)
{
	struct sec_event e;

	if (!begin(s, &e, detect_sec[a->type], a->source, service))
		return;
	e.count = a->count;
	snprintf(e.detail, sizeof(e.detail), "%s", a->detail);
	raise_event(s, &e);
}

void security__http(struct security *s, uint64_t now_ns, const char *client, const char *method,
		    const char *target, size_t len, uint16_t status, const char *service,
		    const struct threat_input *seen, const struct sec_probe *p)
{
	struct threat_input in = { .target = target, .target_len = len };
	struct threat_hit hits[THREAT__COUNT];
	const char *tool = NULL;
	struct detect_alert a;
	char path[BT_PATH_MAX + 1];
	size_t n;

	if (!s)
		return;
	n = len < BT_PATH_MAX ? len : BT_PATH_MAX;
	memcpy(path, target, n);
	path[n] = '\0';
	path[strcspn(path, "?")] = '\0';
	n = 0;
	if (!p || !p->known_clean) {
		n = http_threat_scan(seen ? seen : &in, hits, THREAT__COUNT);
		if (!n && p)
			threat_memo__clean(s->memo, &p->fp);
	}
	for (size_t i = 0; i < n; i++) {
		struct sec_event e;

		if (hits[i].type == THREAT_SCANNER_TOOL) {
			tool = hits[i].detail;
			continue;
		}
		if (!begin(s, &e, threat_sec[hits[i].type], client, service))
			continue;
		snprintf(e.method, sizeof(e.method), "%s", method ? method : "");
		snprintf(e.path, sizeof(e.path), "%.*s", (int)strcspn(path, "?"), path);
		e.status = status;
		snprintf(e.detail, sizeof(e.detail), "%s in %s, status %u", hits[i].detail,
			 hits[i].where, status);
		raise_event(s, &e);
	}
	if (detect__http(s->det, now_ns, client, status, path, tool, &a) > 0)
		raise_alert(s, &a, service);
}

bool security__probe(struct security *s, enum threat_memo_kind kind, const void *raw, size_t len,
		     struct sec_probe *p)
{
	if (!s || !p)
		return false;
	threat_memo__fp(s->memo, kind, raw, len, &p->fp);
	p->known_clean = threat_memo__known(s->memo, &p->fp);
	return p->known_clean;
}

void security__llm(struct security *s, uint64_t now_ns, const char *service, const char *agent,
		   double cost_usd, uint64_t request_hash)
{
	struct detect_alert a;

	if (s && detect__llm(s->det, now_ns, service, agent, cost_usd, request_hash, &a) > 0)
		raise_alert(s, &a, service);
}

/* "CAP_NET_RAW,CAP_SYS_ADMIN" for the bits set in caps (capability.h numbering). */
static void cap_names(uint64_t caps, char *out, size_t len)
{
	static const char *const names[] = {
		"CHOWN",
		"DAC_OVERRIDE",
		"DAC_READ_SEARCH",
		"FOWNER",
		"FSETID",
		"KILL",
		"SETGID",
		"SETUID",
		"SETPCAP",
		"LINUX_IMMUTABLE",
		"NET_BIND_SERVICE",
		"NET_BROADCAST",
		"NET_ADMIN",
		"NET_RAW",
		"IPC_LOCK",
		"IPC_OWNER",
		"SYS_MODULE",
		"SYS_RAWIO",
		"SYS_CHROOT",
		"SYS_PTRACE",
		"SYS_PACCT",
		"SYS_ADMIN",
		"SYS_BOOT",
		"SYS_NICE",
		"SYS_RESOURCE",
		"SYS_TIME",
		"SYS_TTY_CONFIG",
		"MKNOD",
		"LEASE",
		"AUDIT_WRITE",
		"AUDIT_CONTROL",
		"SETFCAP",
		"MAC_OVERRIDE",
		"MAC_ADMIN",
		"SYSLOG",
		"WAKE_ALARM",
		"BLOCK_SUSPEND",
		"AUDIT_READ",
		"PERFMON",
		"BPF",
		"CHECKPOINT_RESTORE",
	};
	size_t n = 0;

	out[0] = '\0';
	for (unsigned b = 0; b < 64 && n + 1 < len; b++) {
		if (!(caps & (1ull << b)))
			continue;
		if (b < sizeof(names) / sizeof(names[0]))
			n += (size_t)snprintf(out + n, len - n, "%sCAP_%s", n ? "," : "", names[b]);
		else
			n += (size_t)snprintf(out + n, len - n, "%scap%u", n ? "," : "", b);
		if (n >= len)
			break;
	}
}

void security__priv(struct security *s, const struct bt_priv_record *p, const char *exe)
{
	static const char *const via[] = { "?",	       "setuid-root exec", "setuid",
					   "setreuid", "setresuid",	   "capset" };
	const char *how = via[p->via < sizeof(via) / sizeof(via[0]) ? p->via : 0];
	struct sec_event e;
	char src[32], caps[96];

	snprintf(src, sizeof(src), "uid:%u", p->old_uid);
	if (!s || !begin(s, &e, SEC_PRIVILEGE_ESCALATION, src, ""))
		return;
	e.pid = p->hdr.tgid;
	e.uid = p->old_uid;
	if (p->via == BT_PRIV_FILECAP) {
		cap_names(p->caps_gained, caps, sizeof(caps));
		snprintf(e.detail, sizeof(e.detail),
			 "file-capability exec: uid %u gained %s comm=%.*s exe=%s", p->old_uid,
			 caps, BT_COMM_LEN, p->comm, exe && exe[0] ? exe : "?");
	} else {
		snprintf(e.detail, sizeof(e.detail),
			 "%s: uid %u euid %u -> uid %u euid %u comm=%.*s exe=%s", how, p->old_uid,
			 p->old_euid, p->new_uid, p->new_euid, BT_COMM_LEN, p->comm,
			 exe && exe[0] ? exe : "?");
	}
	raise_event(s, &e);
}

void security__flow(struct security *s, uint64_t now_ns, const struct bt_flow_record *f)
{
	struct exfil_alert a;
	struct sec_event e;

	if (!s || exfil__flow(s->exfil, now_ns, f, &a) <= 0)
		return;
	if (!begin(s, &e, SEC_DATA_EXFILTRATION, a.dest, ""))
		return;
	e.pid = a.tgid;
	e.count = a.flows;
	snprintf(e.detail, sizeof(e.detail), "%llu bytes to %s port %u in %u connections comm=%s",
		 (unsigned long long)a.bytes, a.dest, a.port, a.flows, a.comm);
	raise_event(s, &e);
}

void security__secret(struct security *s, const char *service, const char *agent,
		      const char *provider, const char *kind, const char *hash, unsigned count)
{
	struct sec_event e;
	char src[DETECT_KEY_MAX];

	snprintf(src, sizeof(src), "%s/%s", service, agent);
	if (!s || !begin(s, &e, SEC_SECRET_IN_PROMPT, src, service))
		return;
	e.count = count;
	snprintf(e.detail, sizeof(e.detail), "%s sha256:%s sent to %s", kind, hash, provider);
	raise_event(s, &e);
}

void security__prompt(struct security *s, const char *service, const char *agent,
		      const char *provider, const char *rule)
{
	struct sec_event e;
	char src[DETECT_KEY_MAX];

	snprintf(src, sizeof(src), "%s/%s", service, agent);
	if (!s || !begin(s, &e, SEC_PROMPT_INJECTION, src, service))
		return;
	snprintf(e.detail, sizeof(e.detail), "%s sent to %s", rule, provider);
	raise_event(s, &e);
}

uint64_t security__count(const struct security *s, enum sec_type t)
{
	return s && (unsigned)t < SEC__COUNT ? __atomic_load_n(&s->per_type[t], __ATOMIC_RELAXED) :
					       0;
}

/* ---- GET /logs/security ---- */

static json_t *event_json(const struct sec_event *e)
{
	char ts[32];
	struct tm tm;

	gmtime_r(&e->ts, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_pack("{ss ss ss ss ss ss ss ss sI sI sI sI}", "timestamp", ts, "type",
			 sec_type_name(e->type), "severity", sec_type_severity(e->type), "source",
			 e->source, "service", e->service, "method", e->method, "path", e->path,
			 "detail", e->detail, "status", (json_int_t)e->status, "pid",
			 (json_int_t)e->pid, "uid", (json_int_t)e->uid, "count",
			 (json_int_t)e->count);
}

static bool wanted(const struct sec_event *e, const char *type, const char *sev)
{
	return (!type || !strcmp(type, sec_type_name(e->type))) &&
	       (!sev || !strcmp(sev, sec_type_severity(e->type)));
}

static void get_events(void *ctx, const struct api_request *rq, struct api_reply *out)
{
	static const char *const keys[] = { "type", "severity", "limit", NULL };
	struct security *s = ctx;
	const char *type = api_query(rq, "type"), *sev = api_query(rq, "severity");
	const char *lim = api_query(rq, "limit");
	char bad[40], *end = NULL;
	long limit = lim ? strtol(lim, &end, 10) : 100;
	enum sec_type t;
	uint64_t total;
	json_t *arr, *j;

	if (api_query_check(rq, keys, bad, sizeof(bad)) || (lim && (*end || !*lim)) || limit < 1 ||
	    limit > SECURITY_RING || (type && sec_type_parse(type, &t))) {
		out->status = 400;
		out->json = strdup("{\"error\":\"parameters: type (an event type), severity, "
				   "limit (1-1024)\"}");
		return;
	}
	arr = json_array();
	pthread_mutex_lock(&s->mu);
	total = s->n;
	for (uint64_t i = s->n;
	     arr && i > 0 && i + SECURITY_RING > s->n && json_array_size(arr) < (size_t)limit;
	     i--) {
		const struct sec_event *e = &s->ring[(i - 1) % SECURITY_RING];

		if (wanted(e, type, sev))
			json_array_append_new(arr, event_json(e));
	}
	pthread_mutex_unlock(&s->mu);
	j = json_pack("{sI so}", "total", (json_int_t)total, "events", arr);
	out->status = j ? 200 : 500;
	out->json = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
}

struct security *security__new(const struct security_opts *o, struct metrics *m)
{
	static const char *const labels[] = { "type", "severity", NULL };
	struct security *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	pthread_mutex_init(&s->mu, NULL);
	s->m = m;
	s->disabled = o->disabled;
	s->clock = o->clock ? o->clock : wall;
	s->det = detect__new(o->detect);
	s->exfil = o->exfil ? exfil__new(o->exfil) : NULL;
	s->memo = threat_memo__new(THREAT_MEMO_SLOTS);
	s->f_events = metrics__define(m, "biothings_security_events_total", METRIC_COUNTER,
				      "Security events by type and severity.", labels, NULL, 0);
	if (!s->det || (o->exfil && !s->exfil) || !s->memo || s->f_events < 0) {
		security__free(s);
		errno = ENOMEM;
		return NULL;
	}
	/* every type's series exists from the start, at 0 */
	for (int t = 0; t < SEC__COUNT; t++) {
		const char *lv[] = { sec_type_name(t), sec_type_severity(t), NULL };

		if (!(s->disabled & (1u << t)))
			metrics__add(m, s->f_events, lv, 0);
	}
	s->routes[0] = (struct api_route){ "GET", "/logs/security", get_events, s };
	return s;
}

void security__free(struct security *s)
{
	if (!s)
		return;
	detect__free(s->det);
	exfil__free(s->exfil);
	threat_memo__free(s->memo);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

const struct api_route *security__routes(struct security *s, size_t *n)
{
	*n = 1;
	return s->routes;
}
