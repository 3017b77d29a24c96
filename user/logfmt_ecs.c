// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The Elastic Common Schema renderer: a parsed entry under the names
 * Kibana's security and log views filter on, so a shipper needs no ingest
 * pipeline to map them. Apart from logfmt.c because its tables (event
 * categorisation, field to ECS name) follow ECS and docs/logging.md, not
 * the log format. Same rules as the other renderers: no allocation,
 * bounded, always valid JSON.
 */
#include "logfmt_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

/*
 * Kibana's security and log views filter on ECS's closed lists of
 * event.category and event.type values, so every value here is one of
 * ECS 8.11's, and each category's list of expected types holds one of the
 * types given with it. A passive observer blocks nothing: detections are
 * "info" unless the served answer itself said more (429: denied).
 */
struct ecs_sec {
	const char *type; /* security event type (sec_types.c names) */
	const char *category, *etype; /* JSON array bodies */
	const char *outcome; /* event.outcome; NULL: not known */
	bool egress; /* source= names the far end of an upload: destination.* */
};

#define ECS_IDS "\"intrusion_detection\""

static const struct ecs_sec ecs_sec_types[] = {
	{ "auth_failure_burst", "\"authentication\"," ECS_IDS, "\"info\"", "failure", false },
	{ "sql_injection", ECS_IDS ",\"web\"", "\"info\"", NULL, false },
	{ "xss", ECS_IDS ",\"web\"", "\"info\"", NULL, false },
	{ "path_traversal", ECS_IDS ",\"web\",\"file\"", "\"info\"", NULL, false },
	{ "sensitive_path_access", ECS_IDS ",\"web\",\"file\"", "\"access\",\"info\"", NULL,
	  false },
	{ "scanner", ECS_IDS ",\"web\"", "\"info\"", NULL, false },
	{ "rate_limit_violation", ECS_IDS ",\"web\"", "\"denied\",\"info\"", NULL, false },
	{ "privilege_escalation", ECS_IDS ",\"process\",\"iam\"", "\"change\",\"info\"", NULL,
	  false },
	{ "data_exfiltration", ECS_IDS ",\"network\"", "\"connection\",\"info\"", NULL, true },
	{ "secret_in_prompt", ECS_IDS ",\"api\"", "\"info\"", NULL, false },
	{ "llm_runaway_loop", ECS_IDS ",\"api\"", "\"info\"", NULL, false },
	{ "command_injection", ECS_IDS ",\"web\",\"process\"", "\"info\"", NULL, false },
	{ "ssrf", ECS_IDS ",\"web\",\"network\"", "\"info\"", NULL, false },
	{ "prompt_injection", ECS_IDS ",\"api\"", "\"info\"", NULL, false },
};

/* Entries without a security type, told apart by their event.action (the message's slug). */
struct ecs_act {
	enum log_category cat;
	const char *action;
	const char *category, *etype; /* etype NULL: from the status field */
};

static const struct ecs_act ecs_acts[] = {
	{ LOGC_SECURITY, "api-request-refused", "\"api\"," ECS_IDS, "\"denied\"" },
	{ LOGC_SECURITY, "api-connection-refused", "\"network\"," ECS_IDS, "\"denied\"" },
	{ LOGC_AUDIT, "api-write", "\"api\"", NULL },
	{ LOGC_AUDIT, "process-exec", "\"process\"", "\"start\"" },
	{ LOGC_AUDIT, "config-loaded", "\"configuration\"", "\"change\"" },
	{ LOGC_SYSTEM, "observing", "\"process\"", "\"start\"" },
	{ LOGC_SYSTEM, "stopped", "\"process\"", "\"end\"" },
};

/* Elastic's own severity buckets (detection rules' risk scores), so rules can map them. */
static const struct {
	const char *word;
	unsigned n;
} ecs_severities[] = { { "low", 21 }, { "medium", 47 }, { "high", 73 }, { "critical", 99 } };

/* ECS names a field can take; each is written once per line, the first field wins. */
enum ecs_name {
	N_SOURCE,
	N_DEST,
	N_SOURCE_PORT,
	N_DEST_PORT,
	N_SERVICE,
	N_METHOD,
	N_STATUS,
	N_URL,
	N_FILE,
	N_ERROR,
	N_PID,
	N_PPID,
	N_PNAME,
	N_PEXE,
	N_USER_ID,
	N_USER_NAME,
	N_REASON,
	N_TRACE,
	N_SPAN,
};

/* How a value becomes ECS: its type decides, and a value that does not fit stays a label. */
enum ecs_how { H_STR, H_ADDR, H_PORT, H_UINT, H_PID, H_UID, H_STATUS, H_PATH, H_URL, H_ERR };

struct ecs_key {
	const char *key;
	enum ecs_name name;
	enum ecs_how how;
	const char *ecs; /* NULL: chosen by how */
};

static const struct ecs_key ecs_keys[] = {
	{ "source", N_SOURCE, H_ADDR, NULL },
	{ "dest", N_DEST, H_ADDR, NULL },
	{ "destination", N_DEST, H_ADDR, NULL },
	{ "source_port", N_SOURCE_PORT, H_PORT, "source.port" },
	{ "dest_port", N_DEST_PORT, H_PORT, "destination.port" },
	{ "destination_port", N_DEST_PORT, H_PORT, "destination.port" },
	{ "service", N_SERVICE, H_STR, "service.target.name" },
	{ "method", N_METHOD, H_STR, "http.request.method" },
	{ "status", N_STATUS, H_STATUS, "http.response.status_code" },
	{ "path", N_URL, H_PATH, NULL },
	{ "url", N_URL, H_URL, NULL },
	{ "file", N_FILE, H_STR, "file.path" },
	{ "err", N_ERROR, H_ERR, NULL },
	{ "pid", N_PID, H_PID, "process.pid" },
	{ "tgid", N_PID, H_PID, "process.pid" },
	{ "ppid", N_PPID, H_UINT, "process.parent.pid" },
	{ "comm", N_PNAME, H_STR, "process.name" },
	{ "exe", N_PEXE, H_STR, "process.executable" },
	{ "uid", N_USER_ID, H_UID, "user.id" },
	{ "user", N_USER_NAME, H_STR, "user.name" },
	{ "detail", N_REASON, H_STR, "event.reason" },
	{ "trace_id", N_TRACE, H_STR, "trace.id" },
	{ "span_id", N_SPAN, H_STR, "span.id" },
};

#define ECS_ACTION_MAX 64
/*
 * Bytes the keys written after the message may take (ecs.version ... the
 * observer's own process.*), all bounded: under 480 with a 64-byte action
 * and rule name or the largest pid (test_ecs_bounds keeps it under this).
 */
#define ECS_HEAD_MAX 512

struct ecs_ctx {
	const struct log_entry *e;
	const char *kind, *category, *etype, *outcome;
	char action[ECS_ACTION_MAX + 1]; /* [a-z0-9_-]: safe in JSON as it is */
	bool rule; /* action is a security event type: also rule.name */
	bool egress; /* source= is the far end (ecs_sec.egress) */
	unsigned severity; /* event.severity; 0: none */
	int type_field, sev_field; /* fields the head already says; -1: none */
	bool http; /* a method= or HTTP status= field: path= is a URL path, not a file */
	bool no_proc; /* pid=0: the kernel named no process, so pid and uid say nothing */
	bool own_proc; /* no process in the fields: process.* is the observer itself */
	uint32_t used; /* ECS names written (1 << enum ecs_name) */
	uint64_t labelled; /* fields written as labels (1 << index) */
};

_Static_assert(LOG_FIELDS_MAX <= 64, "labelled is a 64-bit set of field indices");

/* A decimal without sign or leading zero, at most max. */
static bool ecs_uint(const char *s, uint64_t max, uint64_t *out)
{
	size_t n = strlen(s);
	uint64_t v = 0;

	if (!n || n > 10 || (n > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit((unsigned char)s[i]))
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return v <= max;
}

/* An errno-style code (-12, 5): error.code rather than error.message. */
static bool ecs_code(const char *s)
{
	uint64_t v;

	return ecs_uint(s + (s[0] == '-'), UINT32_MAX, &v);
}

static bool ecs_ip(const char *s)
{
	unsigned char a[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

/* s as an event.action: lower-case letters, digits and '_', other runs one '-'. */
static void ecs_slug(const char *s, char out[ECS_ACTION_MAX + 1])
{
	size_t n = 0;
	bool gap = false;

	for (; *s; s++) {
		unsigned char ch = lower((unsigned char)*s);

		if (!is_digit(ch) && !is_lower(ch) && ch != '_') {
			gap = n > 0;
			continue;
		}
		if (n + 1 + gap > ECS_ACTION_MAX)
			break;
		if (gap)
			out[n++] = '-';
		out[n++] = (char)ch;
		gap = false;
	}
	out[n] = '\0';
}

/*
 * The action of s: its slug, unless joining words made a secret's shape
 * ("sk proj..." -> "sk-proj..."); then that part is redacted and slugged
 * again ("redacted"), and "" if it still is not clean.
 */
static void ecs_action_of(const char *s, char out[ECS_ACTION_MAX + 1])
{
	char red[3 * (ECS_ACTION_MAX + 1)];

	ecs_slug(s, out);
	for (int i = 0; i < 3 && !logfmt_key_clean(out, strlen(out)); i++) {
		logfmt_redact(out, strlen(out), red, sizeof(red), NULL);
		ecs_slug(red, out);
	}
	if (!logfmt_key_clean(out, strlen(out)))
		out[0] = '\0';
}

static int field_at(const struct log_entry *e, const char *key)
{
	for (size_t i = 0; i < e->n_fields; i++) {
		if (!strcmp(e->fields[i].key, key))
			return (int)i;
	}
	return -1;
}

static const char *field_val(const struct log_entry *e, const char *key)
{
	int i = field_at(e, key);

	return i < 0 ? NULL : e->fields[i].value;
}

static void ecs_classify_security(struct ecs_ctx *c)
{
	const struct log_entry *e = c->e;
	int t = field_at(e, "type"), s = field_at(e, "severity");

	c->kind = "alert";
	c->category = ECS_IDS;
	c->etype = "\"info\"";
	if (t >= 0)
		ecs_action_of(e->fields[t].value, c->action);
	if (t >= 0 && c->action[0]) {
		c->rule = true;
		c->type_field = strcmp(c->action, e->fields[t].value) ? -1 : t;
	}
	for (size_t i = 0; c->rule && i < sizeof(ecs_sec_types) / sizeof(*ecs_sec_types); i++) {
		if (!strcmp(ecs_sec_types[i].type, c->action)) {
			c->category = ecs_sec_types[i].category;
			c->etype = ecs_sec_types[i].etype;
			c->outcome = ecs_sec_types[i].outcome;
			c->egress = ecs_sec_types[i].egress;
		}
	}
	for (size_t i = 0; s >= 0 && i < sizeof(ecs_severities) / sizeof(*ecs_severities); i++) {
		if (!strcmp(ecs_severities[i].word, e->fields[s].value)) {
			c->severity = ecs_severities[i].n;
			c->sev_field = s;
		}
	}
}

/* api write: refused (401/403) or done, and whether it worked. */
static void ecs_api_write(struct ecs_ctx *c)
{
	const char *st = field_val(c->e, "status");
	uint64_t code;

	c->etype = "\"change\"";
	if (!st || !ecs_uint(st, 599, &code) || code < 100)
		return;
	if (code == 401 || code == 403)
		c->etype = "\"denied\"";
	c->outcome = code < 400 ? "success" : "failure";
}

static void ecs_classify_action(struct ecs_ctx *c)
{
	if (c->e->category == LOGC_SYSTEM) {
		c->category = "\"process\"";
		c->etype = "\"info\"";
	}
	for (size_t i = 0; !c->rule && i < sizeof(ecs_acts) / sizeof(*ecs_acts); i++) {
		if (ecs_acts[i].cat != c->e->category || strcmp(ecs_acts[i].action, c->action))
			continue;
		c->category = ecs_acts[i].category;
		c->etype = ecs_acts[i].etype;
		if (!c->etype)
			ecs_api_write(c);
	}
}

static void ecs_classify(struct ecs_ctx *c, const struct log_entry *e)
{
	bool has_pid = false;
	uint64_t v;

	memset(c, 0, sizeof(*c));
	c->e = e;
	c->type_field = c->sev_field = -1;
	for (size_t i = 0; i < e->n_fields; i++) {
		const struct log_field *f = &e->fields[i];
		bool pid = !strcmp(f->key, "pid") || !strcmp(f->key, "tgid");

		/* a request's path: the entry names its method or its HTTP status */
		c->http |= (!strcmp(f->key, "method") && f->value[0]) ||
			   (!strcmp(f->key, "status") && ecs_uint(f->value, 599, &v) && v >= 100);
		c->no_proc |= !strcmp(f->key, "pid") && !strcmp(f->value, "0");
		has_pid |= pid && ecs_uint(f->value, UINT32_MAX, &v) && v;
	}
	c->kind = "event";
	if (e->category == LOGC_SECURITY)
		ecs_classify_security(c);
	if (!c->action[0])
		ecs_action_of(e->message ? e->message : "", c->action);
	if (!c->action[0]) /* only fields, or no letter in the words: still an action */
		memcpy(c->action, "log", 4);
	ecs_classify_action(c);
	c->own_proc = e->category != LOGC_SECURITY && !has_pid;
	if (c->own_proc) /* the fields cannot add to the observer's own process */
		c->used |= 1u << N_PID | 1u << N_PNAME | 1u << N_PEXE | 1u << N_PPID;
}

/* ,"key":"literal" (s known to need no escaping) */
static void kv_lit(struct wbuf *w, const char *key, const char *s)
{
	puts_(w, ",\"");
	puts_(w, key);
	puts_(w, "\":\"");
	puts_(w, s);
	puts_(w, "\"");
}

/* ,"key":raw (a number or an array) */
static void kv_raw(struct wbuf *w, const char *key, const char *raw)
{
	puts_(w, ",\"");
	puts_(w, key);
	puts_(w, "\":");
	puts_(w, raw);
}

static void ecs_start(struct wbuf *w, const struct log_entry *e)
{
	char ts[LOGFMT_TIME_LEN];

	logfmt_time(e->ts_ns, ts);
	puts_(w, "{\"@timestamp\":\"");
	puts_(w, ts);
	puts_(w, "\",\"log.level\":\"");
	puts_(w, logfmt_level_name(e->level));
	puts_(w, "\",\"message\":\"");
}

/* Everything after the message that the entry as a whole says; bounded by ECS_HEAD_MAX. */
static void ecs_head(struct wbuf *w, const struct ecs_ctx *c)
{
	char buf[64];

	kv_lit(w, "ecs.version", LOGFMT_ECS_VERSION);
	kv_lit(w, "service.name", LOGFMT_ECS_SERVICE);
	kv_lit(w, "event.kind", c->kind);
	if (c->category) {
		snprintf(buf, sizeof(buf), "[%s]", c->category);
		kv_raw(w, "event.category", buf);
		snprintf(buf, sizeof(buf), "[%s]", c->etype);
		kv_raw(w, "event.type", buf);
	}
	kv_lit(w, "event.action", c->action);
	snprintf(buf, sizeof(buf), "biothings_observer.%s", logfmt_category_name(c->e->category));
	kv_lit(w, "event.dataset", buf);
	kv_lit(w, "event.module", "biothings_observer");
	if (c->severity) {
		snprintf(buf, sizeof(buf), "%u", c->severity);
		kv_raw(w, "event.severity", buf);
	}
	if (c->outcome)
		kv_lit(w, "event.outcome", c->outcome);
	if (c->rule)
		kv_lit(w, "rule.name", c->action);
	if (c->own_proc) {
		snprintf(buf, sizeof(buf), "%u", c->e->pid);
		kv_raw(w, "process.pid", buf);
		kv_lit(w, "process.name", LOGFMT_ECS_SERVICE);
	}
}

/* What becomes of one field. */
enum ecs_do { DO_SKIP, DO_MAP, DO_LABEL };

struct ecs_plan {
	enum ecs_do what;
	const struct ecs_key *k;
	enum ecs_name name;
};

static const struct ecs_key *ecs_key_of(const char *key)
{
	for (size_t i = 0; i < sizeof(ecs_keys) / sizeof(*ecs_keys); i++) {
		if (!strcmp(ecs_keys[i].key, key))
			return &ecs_keys[i];
	}
	return NULL;
}

/* Whether v has the type its ECS name asks for; may move the name (path: URL or file). */
static enum ecs_do ecs_fits(const struct ecs_ctx *c, const struct log_field *f, struct ecs_plan *p)
{
	uint64_t v;

	switch (p->k->how) {
	case H_PID:
		if (!strcmp(f->value, "0"))
			return DO_SKIP;
		return ecs_uint(f->value, UINT32_MAX, &v) ? DO_MAP : DO_LABEL;
	case H_UID: /* security events write uid=0 when they do not know it (no escalation from 0) */
		if (c->no_proc || (c->e->category == LOGC_SECURITY && !strcmp(f->value, "0")))
			return DO_SKIP;
		return DO_MAP;
	case H_UINT:
		return ecs_uint(f->value, UINT32_MAX, &v) ? DO_MAP : DO_LABEL;
	case H_PORT:
		return ecs_uint(f->value, 65535, &v) ? DO_MAP : DO_LABEL;
	case H_STATUS:
		return ecs_uint(f->value, 599, &v) && v >= 100 ? DO_MAP : DO_LABEL;
	case H_ADDR:
		if (p->name == N_SOURCE && c->egress)
			p->name = N_DEST; /* data_exfiltration: source= is where the bytes went */
		return ecs_ip(f->value) ? DO_MAP : DO_LABEL;
	case H_PATH:
		p->name = c->http ? N_URL : N_FILE;
		return DO_MAP;
	default:
		return DO_MAP;
	}
}

static void ecs_plan(const struct ecs_ctx *c, size_t i, struct ecs_plan *p)
{
	const struct log_field *f = &c->e->fields[i];

	memset(p, 0, sizeof(*p));
	p->what = DO_LABEL;
	if ((int)i == c->type_field || (int)i == c->sev_field) {
		p->what = DO_SKIP;
		return;
	}
	p->k = ecs_key_of(f->key);
	if (!p->k)
		return;
	p->name = p->k->name;
	p->what = ecs_fits(c, f, p);
	if (p->what == DO_MAP && !f->value[0])
		p->what = DO_SKIP; /* an empty value under an ECS name says nothing */
	if (p->what == DO_MAP && (c->used & 1u << p->name))
		p->what = DO_LABEL;
}

/* ,"key":"s[0..n)" before limit */
static bool kv_str(struct wbuf *w, const char *key, const char *s, size_t n, size_t limit)
{
	return put(w, ",\"", 2) && puts_(w, key) && put(w, "\":\"", 3) &&
	       logfmt_put_escaped_n(w, s, n, limit - 1, logfmt_json_char_fn, false) &&
	       put(w, "\"", 1) && w->len <= limit;
}

/* ,"key":digits before limit (already checked to be a number) */
static bool kv_num(struct wbuf *w, const char *key, const char *digits, size_t limit)
{
	return put(w, ",\"", 2) && puts_(w, key) && put(w, "\":", 2) && puts_(w, digits) &&
	       w->len <= limit;
}

/* url.path, url.query when there is one, url.original when the two differ from it. */
static bool ecs_url_path(struct wbuf *w, const char *v, size_t limit)
{
	size_t n = strlen(v), p = strcspn(v, "?#"), q = 0;

	if (v[p] == '?')
		q = strcspn(v + p + 1, "#");
	return kv_str(w, "url.path", v, p, limit) &&
	       (!q || kv_str(w, "url.query", v + p + 1, q, limit)) &&
	       (p == n || kv_str(w, "url.original", v, n, limit));
}

static bool ecs_addr(struct wbuf *w, enum ecs_name name, const char *v, size_t limit)
{
	bool dest = name == N_DEST;
	size_t n = strlen(v);

	return kv_str(w, dest ? "destination.address" : "source.address", v, n, limit) &&
	       kv_str(w, dest ? "destination.ip" : "source.ip", v, n, limit);
}

static bool ecs_write(struct wbuf *w, const struct log_field *f, const struct ecs_plan *p,
		      size_t limit)
{
	const char *v = f->value;
	size_t n = strlen(v);

	switch (p->k->how) {
	case H_ADDR:
		return ecs_addr(w, p->name, v, limit);
	case H_PID:
	case H_UINT:
	case H_PORT:
	case H_STATUS:
		return kv_num(w, p->k->ecs, v, limit);
	case H_PATH:
		return p->name == N_URL ? ecs_url_path(w, v, limit) :
					  kv_str(w, "file.path", v, n, limit);
	case H_URL:
		return kv_str(w, strstr(v, "://") ? "url.full" : "url.original", v, n, limit);
	case H_ERR:
		return kv_str(w, ecs_code(v) ? "error.code" : "error.message", v, n, limit);
	default:
		return kv_str(w, p->k->ecs, v, n, limit);
	}
}

static char label_char(char ch)
{
	return is_alnum((unsigned char)ch) || ch == '_' ? ch : '_';
}

/* Two keys that become the same label name ("a.b", "a-b"). */
static bool label_same(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		if (label_char(*a) != label_char(*b))
			return false;
	}
	return !*a && !*b;
}

/* A label name made from key must not look like a secret ("sk.x..." -> "sk_x..."). */
static bool label_clean(const char *key)
{
	char name[LOGFMT_KEY_MAX + 1];
	size_t n = 0;

	for (; *key && n < LOGFMT_KEY_MAX; key++)
		name[n++] = label_char(*key);
	return logfmt_key_clean(name, n);
}

static bool label_taken(const struct ecs_ctx *c, size_t i)
{
	for (size_t j = 0; j < i; j++) {
		if ((c->labelled >> j & 1) && label_same(c->e->fields[j].key, c->e->fields[i].key))
			return true;
	}
	return false;
}

/* ,"labels.<key>":"value": ECS labels are keyword strings, numbers too. */
static bool ecs_label(struct wbuf *w, const struct log_field *f, size_t limit)
{
	bool ok = put(w, ",\"labels.", 9);

	for (const char *k = f->key; ok && *k; k++) {
		char ch = label_char(*k);

		ok = put(w, &ch, 1);
	}
	return ok && put(w, "\":\"", 3) &&
	       put_escaped(w, f->value, limit - 1, logfmt_json_char_fn, false) && put(w, "\"", 1) &&
	       w->len <= limit;
}

/* The fields while they fit before limit; false when one was dropped. */
static bool ecs_fields(struct wbuf *w, struct ecs_ctx *c, size_t limit)
{
	bool whole = true;

	for (size_t i = 0; i < c->e->n_fields; i++) {
		const struct log_field *f = &c->e->fields[i];
		struct ecs_plan p;
		size_t mark = w->len;

		ecs_plan(c, i, &p);
		if (p.what == DO_SKIP)
			continue;
		/* a second "a.b"/"a_b" (JSON keys stay unique), or a name shaped like a key */
		if (p.what == DO_LABEL && (label_taken(c, i) || !label_clean(f->key))) {
			whole = false;
			continue;
		}
		if (!(p.what == DO_MAP ? ecs_write(w, f, &p, limit) : ecs_label(w, f, limit))) {
			w->len = mark;
			w->p[mark] = '\0';
			w->cut = false;
			return false;
		}
		if (p.what == DO_MAP)
			c->used |= 1u << p.name;
		else
			c->labelled |= 1ull << i;
	}
	return whole;
}

size_t logfmt_ecs(const struct log_entry *e, char *out, size_t outlen)
{
	struct wbuf w = { out, 0, outlen, false };
	struct ecs_ctx c;
	size_t limit;
	bool cut;

	if (!e || !out || outlen < LOGFMT_ECS_RENDER_MIN)
		return 0;
	limit = outlen - CLOSE_RESERVE;
	cut = e->truncated;
	ecs_classify(&c, e);
	ecs_start(&w, e);
	/* the message may use half of what the fixed keys leave; fields get the rest */
	if (!put_escaped(&w, e->message ? e->message : "",
			 w.len + (limit - ECS_HEAD_MAX - w.len) / 2, logfmt_json_char_fn, false))
		cut = true;
	puts_(&w, "\"");
	ecs_head(&w, &c);
	if (!ecs_fields(&w, &c, limit))
		cut = true;
	if (cut)
		puts_(&w, ",\"tags\":[\"truncated\"]");
	puts_(&w, "}\n");
	return w.len;
}
