// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Config file: walks one libyaml document and maps each node onto the
 * option table in config.c, so every error carries FILE:LINE:COL. Works on
 * a scratch copy and commits only when the whole file is good. Knows no
 * option by itself except the lists (http.routes, services, llm.hosts,
 * llm.capture_paths; config_rules.c has the cost engine's), which have no
 * flag form; must not read files, log or keep global state.
 */
#include "config_yaml.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "route.h"

bool cy_printable(const char *s)
{
	for (; *s; s++) {
		if (*s < 0x20 || *s > 0x7e)
			return false;
	}
	return true;
}

int cy_err(struct yctx *y, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return config_say(-EINVAL, y->err, y->errlen, "%s:%zu:%zu: %s", y->name,
			  n->start_mark.line + 1, n->start_mark.column + 1, msg);
}

bool cy_is_null(const yaml_node_t *n)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	v = (const char *)n->data.scalar.value;
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
	       !strcmp(v, "NULL");
}

const char *cy_kind(const yaml_node_t *n)
{
	return n->type == YAML_MAPPING_NODE  ? "mapping" :
	       n->type == YAML_SEQUENCE_NODE ? "list" :
					       "value";
}

/* A key's single value; reports lists, mappings, nulls and embedded NULs. */
int cy_scalar(struct yctx *y, const yaml_node_t *n, const char *key, const char **out)
{
	if (n->type != YAML_SCALAR_NODE)
		return cy_err(y, n, "%s: expected a single value, not a %s", key, cy_kind(n));
	if (cy_is_null(n))
		return cy_err(y, n, "%s: missing value", key);
	if (strlen((const char *)n->data.scalar.value) != n->data.scalar.length)
		return cy_err(y, n, "%s: contains a NUL byte", key);
	*out = (const char *)n->data.scalar.value;
	return 0;
}

/* Key text of a mapping pair, or NULL (reported) when it is not a plain string. */
const char *cy_key(struct yctx *y, const yaml_node_t *k)
{
	if (k->type != YAML_SCALAR_NODE ||
	    strlen((const char *)k->data.scalar.value) != k->data.scalar.length) {
		cy_err(y, k, "keys must be plain strings");
		return NULL;
	}
	return (const char *)k->data.scalar.value;
}

static int load_route(struct yctx *y, const yaml_node_t *item)
{
	const char *key = "http.routes", *val;
	char why[128], v[48];
	int err;

	err = cy_scalar(y, item, key, &val);
	if (err)
		return err;
	if (route_pattern_check(val, why, sizeof(why)))
		return cy_err(y, item, "%s: '%s': %s", key, config_shown(val, v, sizeof(v)), why);
	y->c->routes[y->c->n_routes] = strdup(val);
	if (!y->c->routes[y->c->n_routes++])
		return config_say(-ENOMEM, y->err, y->errlen, "%s: out of memory", y->name);
	return 0;
}

#define RULE_FIELD(f) \
	offsetof(struct obs_service_rule, f), sizeof(((struct obs_service_rule *)0)->f)

static const struct match_field {
	const char *key;
	size_t off, size; /* size 0: the port */
} match_fields[] = {
	{ "comm", RULE_FIELD(comm) },
	{ "exe", RULE_FIELD(exe) },
	{ "cgroup", RULE_FIELD(cgroup) },
	{ "port", 0, 0 },
};

static int load_match_field(struct yctx *y, const struct match_field *f, const yaml_node_t *v,
			    struct obs_service_rule *r)
{
	char key[32], s[48];
	const char *val;
	uint64_t port;
	int err;

	snprintf(key, sizeof(key), "services.match.%s", f->key);
	err = cy_scalar(y, v, key, &val);
	if (err)
		return err;
	if (!f->size) {
		if (config_parse_u64(val, &port) || port < 1 || port > 65535)
			return cy_err(y, v, "%s: '%s' is not a port (1-65535)", key,
				      config_shown(val, s, sizeof(s)));
		r->port = (uint16_t)port;
		return 0;
	}
	if (strlen(val) >= f->size)
		return cy_err(y, v, "%s: longer than %zu bytes", key, f->size - 1);
	strcpy((char *)r + f->off, val);
	return 0;
}

static int load_match(struct yctx *y, const yaml_node_t *m, struct obs_service_rule *r)
{
	const size_t nf = sizeof(match_fields) / sizeof(match_fields[0]);
	unsigned seen = 0;
	yaml_node_pair_t *pair;
	int err;

	if (m->type != YAML_MAPPING_NODE)
		return cy_err(y, m, "services.match: expected a mapping, not a %s", cy_kind(m));
	for (pair = m->data.mapping.pairs.start; pair < m->data.mapping.pairs.top; pair++) {
		const yaml_node_t *k = yaml_document_get_node(&y->doc, pair->key);
		const char *key = cy_key(y, k);
		size_t i;
		char s[48];

		if (!key)
			return -EINVAL;
		for (i = 0; i < nf && strcmp(key, match_fields[i].key); i++)
			;
		if (i == nf)
			return cy_err(y, k,
				      "services.match: unknown key '%s' (comm, exe, cgroup, port)",
				      config_shown(key, s, sizeof(s)));
		if (seen & (1u << i))
			return cy_err(y, k, "services.match: duplicate key '%s'", key);
		seen |= 1u << i;
		err = load_match_field(y, &match_fields[i],
				       yaml_document_get_node(&y->doc, pair->value), r);
		if (err)
			return err;
	}
	return 0;
}

static int load_service(struct yctx *y, const yaml_node_t *item, struct obs_service_rule *r)
{
	const yaml_node_t *match = NULL, *name = NULL;
	yaml_node_pair_t *pair;
	const char *key, *val;
	char s[48];
	int err;

	memset(r, 0, sizeof(*r));
	if (item->type != YAML_MAPPING_NODE)
		return cy_err(y, item, "services: each entry needs name and match, not a %s",
			      cy_kind(item));
	for (pair = item->data.mapping.pairs.start; pair < item->data.mapping.pairs.top; pair++) {
		const yaml_node_t *k = yaml_document_get_node(&y->doc, pair->key);
		const yaml_node_t *v = yaml_document_get_node(&y->doc, pair->value);
		const yaml_node_t **slot;

		if (!(key = cy_key(y, k)))
			return -EINVAL;
		slot = !strcmp(key, "name") ? &name : !strcmp(key, "match") ? &match : NULL;
		if (!slot)
			return cy_err(y, k, "services: unknown key '%s' (name, match)",
				      config_shown(key, s, sizeof(s)));
		if (*slot)
			return cy_err(y, k, "services: duplicate key '%s'", key);
		*slot = v;
	}
	if (!name)
		return cy_err(y, item, "services: entry without a name");
	err = cy_scalar(y, name, "services.name", &val);
	if (err)
		return err;
	if (strlen(val) >= sizeof(r->name) || !cy_printable(val))
		return cy_err(y, name, "services.name: use up to %zu printable characters",
			      sizeof(r->name) - 1);
	strcpy(r->name, val);
	err = match && !cy_is_null(match) ? load_match(y, match, r) : 0;
	if (!err && !r->comm[0] && !r->exe[0] && !r->cgroup[0] && !r->port)
		return cy_err(y, match ? match : item,
			      "services: '%s' has no match field (comm, exe, cgroup or port)",
			      r->name);
	return err;
}

static int load_next_service(struct yctx *y, const yaml_node_t *item)
{
	int err = load_service(y, item, &y->c->services[y->c->n_services]);

	if (!err)
		y->c->n_services++;
	return err;
}

/* A list key: its name, what its items are called in messages, its limit and item size. */
struct list_kind {
	const char *key, *what, *items;
	size_t max, elem;
	int (*load_item)(struct yctx *y, const yaml_node_t *item);
};

static const struct list_kind routes_list = {
	.key = "http.routes",
	.what = "patterns",
	.items = "patterns",
	.max = OBS_CONFIG_MAX_ROUTES,
	.elem = sizeof(char *),
	.load_item = load_route,
};

static const struct list_kind services_list = {
	.key = "services",
	.what = "services",
	.items = "entries",
	.max = OBS_CONFIG_MAX_SERVICES,
	.elem = sizeof(struct obs_service_rule),
	.load_item = load_next_service,
};

/* Room for the items of list node seq in *arr; *arr stays NULL when the value is null. */
static int list_alloc(struct yctx *y, const yaml_node_t *seq, const struct list_kind *k, void **arr)
{
	size_t n;

	if (cy_is_null(seq))
		return 0;
	if (seq->type != YAML_SEQUENCE_NODE)
		return cy_err(y, seq, "%s: expected a list of %s, not a %s", k->key, k->what,
			      cy_kind(seq));
	n = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
	if (n > k->max)
		return cy_err(y, seq, "%s: more than %zu %s", k->key, k->max, k->items);
	*arr = calloc(n ? n : 1, k->elem);
	if (!*arr)
		return config_say(-ENOMEM, y->err, y->errlen, "%s: out of memory", y->name);
	return 0;
}

/* http.routes or services: the file's list replaces the whole earlier one (see commit()). */
static int load_list(struct yctx *y, const struct config_opt *o, const yaml_node_t *seq)
{
	bool routes = o->type == OT_ROUTES;
	const struct list_kind *k = routes ? &routes_list : &services_list;
	yaml_node_item_t *it;
	void *arr = NULL;
	int err;

	*(routes ? &y->routes_set : &y->services_set) = true;
	err = list_alloc(y, seq, k, &arr);
	if (routes)
		y->c->routes = arr;
	else
		y->c->services = arr;
	if (err || !arr)
		return err;
	for (it = seq->data.sequence.items.start; !err && it < seq->data.sequence.items.top; it++)
		err = k->load_item(y, yaml_document_get_node(&y->doc, *it));
	return err;
}

/* ---- llm.hosts and llm.capture_paths ---- */

static bool host_pattern_ok(const char *h)
{
	if (!*h || strlen(h) >= sizeof(((struct llm_host_rule *)0)->host))
		return false;
	for (const char *p = h; *p; p++) {
		bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			  (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' || *p == ':' ||
			  (*p == '*' && p == h);

		if (!ok)
			return false;
	}
	return true;
}

static bool provider_ok(const char *v)
{
	if (!*v || strlen(v) >= sizeof(((struct llm_host_rule *)0)->provider))
		return false;
	for (const char *p = v; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' ||
		      *p == '.'))
			return false;
	return true;
}

static int add_llm_host(struct yctx *y, const yaml_node_t *hn, const yaml_node_t *pn)
{
	struct llm_host_rule *r = &y->c->llm_hosts[y->c->n_llm_hosts];
	const char *h, *p;
	char s[48];
	int err = cy_scalar(y, hn, "llm.hosts", &h);

	if (!err)
		err = cy_scalar(y, pn, "llm.hosts", &p);
	if (err)
		return err;
	if (!host_pattern_ok(h))
		return cy_err(y, hn, "llm.hosts: '%s' is not a host, host:port or *suffix",
			      config_shown(h, s, sizeof(s)));
	if (!provider_ok(p))
		return cy_err(y, pn, "llm.hosts: provider '%s': use up to 31 of [a-z0-9_.]",
			      config_shown(p, s, sizeof(s)));
	snprintf(r->host, sizeof(r->host), "%s", h);
	snprintf(r->provider, sizeof(r->provider), "%s", p);
	y->c->n_llm_hosts++;
	return 0;
}

/* {host: h, provider: p} */
static int load_host_entry(struct yctx *y, const yaml_node_t *item)
{
	const yaml_node_t *h = NULL, *p = NULL;
	yaml_node_pair_t *pair;

	if (item->type != YAML_MAPPING_NODE)
		return cy_err(y, item, "llm.hosts: each entry needs host and provider, not a %s",
			      cy_kind(item));
	for (pair = item->data.mapping.pairs.start; pair < item->data.mapping.pairs.top; pair++) {
		const yaml_node_t *k = yaml_document_get_node(&y->doc, pair->key);
		const char *key = cy_key(y, k);

		if (!key)
			return -EINVAL;
		if (!strcmp(key, "host") && !h)
			h = yaml_document_get_node(&y->doc, pair->value);
		else if (!strcmp(key, "provider") && !p)
			p = yaml_document_get_node(&y->doc, pair->value);
		else
			return cy_err(y, k,
				      "llm.hosts: unknown or duplicate key '%s' (host, provider)",
				      key);
	}
	if (!h || !p)
		return cy_err(y, item, "llm.hosts: each entry needs host and provider");
	return add_llm_host(y, h, p);
}

static int load_llm_hosts(struct yctx *y, const yaml_node_t *v)
{
	bool map = v->type == YAML_MAPPING_NODE;
	size_t n = map ? (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start) :
		   v->type == YAML_SEQUENCE_NODE ?
			 (size_t)(v->data.sequence.items.top - v->data.sequence.items.start) :
			 0;
	int err = 0;

	y->llm_hosts_set = true;
	if (cy_is_null(v))
		return 0;
	if (!map && v->type != YAML_SEQUENCE_NODE)
		return cy_err(y, v, "llm.hosts: expected a mapping or a list, not a %s",
			      cy_kind(v));
	if (n > OBS_CONFIG_MAX_LLM_HOSTS)
		return cy_err(y, v, "llm.hosts: more than %d entries", OBS_CONFIG_MAX_LLM_HOSTS);
	y->c->llm_hosts = calloc(n ? n : 1, sizeof(*y->c->llm_hosts));
	if (!y->c->llm_hosts)
		return config_say(-ENOMEM, y->err, y->errlen, "%s: out of memory", y->name);
	for (size_t i = 0; !err && i < n; i++) {
		if (map) {
			yaml_node_pair_t *pr = v->data.mapping.pairs.start + i;

			err = add_llm_host(y, yaml_document_get_node(&y->doc, pr->key),
					   yaml_document_get_node(&y->doc, pr->value));
		} else {
			err = load_host_entry(y, yaml_document_get_node(
							 &y->doc, v->data.sequence.items.start[i]));
		}
	}
	return err;
}

static int load_capture_paths(struct yctx *y, const yaml_node_t *v)
{
	size_t n;
	int err;

	y->capture_paths_set = true;
	err = cy_seq_len(y, v, "llm.capture_paths", "a list of path suffixes", "entries",
			 OBS_CONFIG_MAX_CAPTURE_PATHS, &n);
	if (err || cy_is_null(v))
		return err;
	y->c->capture_paths = calloc(n ? n : 1, sizeof(char *));
	if (!y->c->capture_paths)
		return config_say(-ENOMEM, y->err, y->errlen, "%s: out of memory", y->name);
	for (size_t i = 0; !err && i < n; i++) {
		const yaml_node_t *it =
			yaml_document_get_node(&y->doc, v->data.sequence.items.start[i]);
		const char *val;
		char s[48];

		err = cy_scalar(y, it, "llm.capture_paths", &val);
		if (err)
			break;
		if (!*val || strlen(val) > OBS_CONFIG_CAPTURE_PATH_MAX || !cy_printable(val) ||
		    strchr(val, ' ') || strchr(val, '?'))
			return cy_err(
				y, it,
				"llm.capture_paths: '%s': 1 to %d printable bytes, no space or '?'",
				config_shown(val, s, sizeof(s)), OBS_CONFIG_CAPTURE_PATH_MAX);
		y->c->capture_paths[i] = strdup(val);
		if (!y->c->capture_paths[i])
			return config_say(-ENOMEM, y->err, y->errlen, "%s: out of memory", y->name);
		y->c->n_capture_paths++;
	}
	return err;
}

/* Index of the option or section named path; -1 when unknown. */
static int find_key(const char *path, bool top, bool *section)
{
	size_t n = strlen(path);

	*section = false;
	for (size_t i = 0; i < config_n_opts; i++) {
		const char *k = config_opts[i].key;

		if (k && !strcmp(k, path))
			return (int)i;
	}
	for (size_t i = 0; top && i < config_n_opts; i++) {
		const char *k = config_opts[i].key;

		if (k && !strncmp(k, path, n) && k[n] == '.') {
			*section = true;
			return (int)i;
		}
	}
	return -1;
}

static int apply(struct yctx *y, const struct config_opt *o, const yaml_node_t *v)
{
	char why[256];
	const char *val;
	int err;

	if (o->type == OT_ROUTES || o->type == OT_SERVICES)
		return load_list(y, o, v);
	if (o->type == OT_LLM_HOSTS)
		return load_llm_hosts(y, v);
	if (o->type == OT_CAPTURE_PATHS)
		return load_capture_paths(y, v);
	if (o->type == OT_AGENT_RULES)
		return cy_load_agent_rules(y, v);
	if (o->type == OT_BIZ_EVENTS)
		return cy_load_biz_events(y, v);
	if (o->type == OT_BIZ_WEIGHTS)
		return cy_load_biz_weights(y, v);
	if (o->type == OT_SEC_DISABLED || o->type == OT_SEC_ALLOW || o->type == OT_CIDRS)
		return cy_load_sec_list(y, o, v);
	if (o->type == OT_CHECKS)
		return cy_load_checks(y, v);
	if (o->type == OT_DB_PORTS)
		return cy_load_db_ports(y, v);
	if (o->type == OT_IGNORE)
		return cy_load_capture_ignore(y, v);
	err = cy_scalar(y, v, o->key, &val);
	if (err)
		return err;
	if (config_opt_set(o, y->c, val, why, sizeof(why)))
		return cy_err(y, v, "%s: %s", o->key, why);
	return 0;
}

/* Top level (section NULL) or one section's mapping; sections do not nest further. */
static int walk_map(struct yctx *y, const yaml_node_t *map, const char *section)
{
	bool seen[CONFIG_OPTS_MAX] = { false };
	yaml_node_pair_t *pair;

	if (cy_is_null(map))
		return 0;
	if (map->type != YAML_MAPPING_NODE)
		return cy_err(y, map, "%s: expected a mapping, not a %s",
			      section ? section : "top level", cy_kind(map));
	for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
		const yaml_node_t *k = yaml_document_get_node(&y->doc, pair->key);
		const yaml_node_t *v = yaml_document_get_node(&y->doc, pair->value);
		const char *key = cy_key(y, k);
		char path[64], s[48];
		bool is_section;
		int idx, err;

		if (!key)
			return -EINVAL;
		if ((size_t)snprintf(path, sizeof(path), "%s%s%s", section ? section : "",
				     section ? "." : "", key) >= sizeof(path))
			idx = -1;
		else
			idx = find_key(path, !section, &is_section);
		if (idx < 0)
			return cy_err(y, k, "unknown key '%s'", config_shown(path, s, sizeof(s)));
		if (seen[idx])
			return cy_err(y, k, "duplicate key '%s'", path);
		seen[idx] = true;
		err = is_section ? walk_map(y, v, path) : apply(y, &config_opts[idx], v);
		if (err)
			return err;
	}
	return 0;
}

static int yaml_problem(struct yctx *y, const yaml_parser_t *p)
{
	/* reader errors (bad encoding) carry an offset, not a mark: use where the reader stopped */
	yaml_mark_t m = p->error == YAML_READER_ERROR ? p->mark : p->problem_mark;

	if (p->error == YAML_MEMORY_ERROR)
		return config_say(-ENOMEM, y->err, y->errlen, "%s: out of memory", y->name);
	return config_say(-EINVAL, y->err, y->errlen, "%s:%zu:%zu: %s%s%s%s", y->name, m.line + 1,
			  m.column + 1, p->problem ? p->problem : "syntax error",
			  p->context ? " (" : "", p->context ? p->context : "",
			  p->context ? ")" : "");
}

/*
 * libyaml 0.2.5 has no nesting limit and its scanner slows down with the
 * square of the depth, so a file of a million '[' would hang the loader.
 * A quick event pass refuses anything deeper than the schema could use.
 */
static int check_depth(struct yctx *y, const char *buf, size_t len)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int depth = 0, err = 0;
	bool end = false;

	if (!yaml_parser_initialize(&p))
		return config_say(-ENOMEM, y->err, y->errlen, "%s: out of memory", y->name);
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	while (!end && !err) {
		if (!yaml_parser_parse(&p, &ev)) {
			err = yaml_problem(y, &p);
			break;
		}
		if (ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT)
			depth++;
		if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT)
			depth--;
		if (depth > OBS_CONFIG_MAX_DEPTH)
			err = config_say(-EINVAL, y->err, y->errlen,
					 "%s:%zu:%zu: nested deeper than %d levels", y->name,
					 ev.start_mark.line + 1, ev.start_mark.column + 1,
					 OBS_CONFIG_MAX_DEPTH);
		end = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	return err;
}

static int load_document(struct yctx *y, yaml_parser_t *p)
{
	yaml_node_t *root;
	int err = 0;

	if (!yaml_parser_load(p, &y->doc))
		return yaml_problem(y, p);
	root = yaml_document_get_root_node(&y->doc);
	if (root)
		err = walk_map(y, root, NULL);
	yaml_document_delete(&y->doc);
	if (err)
		return err;
	/* a second document would otherwise be ignored without a word */
	if (!yaml_parser_load(p, &y->doc))
		return yaml_problem(y, p);
	root = yaml_document_get_root_node(&y->doc);
	if (root)
		err = cy_err(y, root, "only one YAML document is allowed");
	yaml_document_delete(&y->doc);
	return err;
}

/* Moves the lists the file did not mention from c into tmp, frees the replaced ones, then *c = *tmp. */
static void commit(struct obs_config *c, struct obs_config *tmp, const struct yctx *y)
{
	struct obs_config old = { 0 };
	struct obs_config *routes_to = y->routes_set ? &old : tmp;
	struct obs_config *services_to = y->services_set ? &old : tmp;

	routes_to->routes = c->routes;
	routes_to->n_routes = c->n_routes;
	services_to->services = c->services;
	services_to->n_services = c->n_services;
	(y->llm_hosts_set ? &old : tmp)->llm_hosts = c->llm_hosts;
	(y->llm_hosts_set ? &old : tmp)->n_llm_hosts = c->n_llm_hosts;
	(y->capture_paths_set ? &old : tmp)->capture_paths = c->capture_paths;
	(y->capture_paths_set ? &old : tmp)->n_capture_paths = c->n_capture_paths;
	(y->agents_set ? &old : tmp)->agent_rules = c->agent_rules;
	(y->agents_set ? &old : tmp)->n_agent_rules = c->n_agent_rules;
	(y->biz_set ? &old : tmp)->biz_rules = c->biz_rules;
	(y->biz_set ? &old : tmp)->n_biz_rules = c->n_biz_rules;
	(y->checks_set ? &old : tmp)->checks = c->checks;
	(y->checks_set ? &old : tmp)->n_checks = c->n_checks;
	obs_config_free(&old);
	*c = *tmp;
}

int obs_config_load_buffer(struct obs_config *c, const char *name, const char *buf, size_t len,
			   char *err, size_t errlen)
{
	struct obs_config tmp;
	struct yctx y = {
		.name = name ? name : "<config>", .err = err, .errlen = errlen, .c = &tmp
	};
	yaml_parser_t p;
	int ret;

	if (!c || (!buf && len))
		return config_say(-EINVAL, err, errlen, "%s: no input", y.name);
	if (len > OBS_CONFIG_FILE_MAX)
		return config_say(-EFBIG, err, errlen, "%s: larger than %u bytes", y.name,
				  OBS_CONFIG_FILE_MAX);
	tmp = *c;
	tmp.routes = NULL;
	tmp.n_routes = 0;
	tmp.services = NULL;
	tmp.n_services = 0;
	tmp.llm_hosts = NULL;
	tmp.n_llm_hosts = 0;
	tmp.capture_paths = NULL;
	tmp.n_capture_paths = 0;
	tmp.agent_rules = NULL;
	tmp.n_agent_rules = 0;
	tmp.biz_rules = NULL;
	tmp.n_biz_rules = 0;
	tmp.checks = NULL;
	tmp.n_checks = 0;
	ret = check_depth(&y, buf ? buf : "", len);
	if (ret)
		return ret;
	if (!yaml_parser_initialize(&p))
		return config_say(-ENOMEM, err, errlen, "%s: out of memory", y.name);
	yaml_parser_set_input_string(&p, (const unsigned char *)(buf ? buf : ""), len);
	ret = load_document(&y, &p);
	yaml_parser_delete(&p);
	if (ret) {
		obs_config_free(&tmp);
		return ret;
	}
	commit(c, &tmp, &y);
	return 0;
}
