// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The health keys that are lists or maps in the config file: "checks"
 * (active checks, each validated by check_rule_check so the daemon never
 * starts with a check it cannot run) and "db.ports" (which server ports
 * carry which database protocol).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_yaml.h"
#include "units.h"

static int check_duration(struct yctx *y, const yaml_node_t *v, const char *key, uint64_t *out)
{
	const char *val;
	char s[48];
	int err = cy_scalar(y, v, key, &val);

	if (err)
		return err;
	if (units_parse_duration(val, out) || !*out)
		return cy_err(y, v, "%s: '%s' is not a duration such as 1s or 30s", key,
			      config_shown(val, s, sizeof(s)));
	return 0;
}

/* expect: a status code for http, a free-space ratio for filesystem. */
static int check_expect(struct yctx *y, const yaml_node_t *v, struct check_rule *r)
{
	const char *val;
	char *end, s[48];
	double d;
	int err = cy_scalar(y, v, "checks.expect", &val);

	if (err)
		return err;
	d = strtod(val, &end);
	if (end == val || *end || !isfinite(d))
		return cy_err(y, v, "checks.expect: '%s' is not a number",
			      config_shown(val, s, sizeof(s)));
	if (r->type == CHECK_HTTP) {
		if (d < 100 || d > 599 || d != (int)d)
			return cy_err(y, v,
				      "checks.expect: an HTTP status 100-599 for http checks");
		r->expect_status = (uint16_t)d;
	} else if (r->type == CHECK_FILESYSTEM) {
		if (d < 0 || d > 1)
			return cy_err(
				y, v,
				"checks.expect: a free-space ratio 0-1 for filesystem checks");
		r->expect_free_ratio = d;
	} else {
		return cy_err(y, v, "checks.expect: only http and filesystem checks take expect");
	}
	return 0;
}

static int load_check(struct yctx *y, const yaml_node_t *item, struct check_rule *r)
{
	enum { NAME, TYPE, TARGET, PATH, INTERVAL, TIMEOUT, EXPECT };
	static const char *const names[] = { "name",	 "type",    "target", "path",
					     "interval", "timeout", "expect", NULL };
	const yaml_node_t *v[7];
	const char *t;
	char why[160], s[48];
	int err = cy_fields(y, item, "checks", names, v);

	check_rule_defaults(r);
	if (!err && (!v[NAME] || !v[TYPE]))
		return cy_err(y, item, "checks: each entry needs name and type");
	if (!err)
		err = cy_copy_scalar(y, v[NAME], "checks.name", r->name, sizeof(r->name));
	if (!err)
		err = cy_scalar(y, v[TYPE], "checks.type", &t);
	if (!err && check_type_parse(t, &r->type))
		return cy_err(y, v[TYPE],
			      "checks.type: '%s' is not tcp, http, redis, postgres or "
			      "filesystem",
			      config_shown(t, s, sizeof(s)));
	if (!err && v[TARGET])
		err = cy_copy_scalar(y, v[TARGET], "checks.target", r->target, sizeof(r->target));
	if (!err && v[PATH])
		err = cy_copy_scalar(y, v[PATH], "checks.path", r->path, sizeof(r->path));
	if (!err && v[INTERVAL])
		err = check_duration(y, v[INTERVAL], "checks.interval", &r->interval_ns);
	if (!err && v[TIMEOUT])
		err = check_duration(y, v[TIMEOUT], "checks.timeout", &r->timeout_ns);
	if (!err && v[EXPECT])
		err = check_expect(y, v[EXPECT], r);
	if (!err && check_rule_check(r, why, sizeof(why)))
		return cy_err(y, item, "checks: '%s': %s", r->name, why);
	return err;
}

int cy_load_checks(struct yctx *y, const yaml_node_t *v)
{
	size_t n;
	int err;

	y->checks_set = true;
	err = cy_list_of(y, v, "checks", CHECKS_MAX, sizeof(struct check_rule),
			 (void **)&y->c->checks, &n);
	for (size_t i = 0; !err && i < n; i++) {
		struct check_rule *r = &y->c->checks[i];

		err = load_check(y, cy_item_of(y, v, i), r);
		for (size_t j = 0; !err && j < i; j++) {
			if (!strcmp(y->c->checks[j].name, r->name))
				err = cy_err(y, cy_item_of(y, v, i), "checks: name '%s' used twice",
					     r->name);
		}
		if (!err)
			y->c->n_checks++;
	}
	return err;
}

int cy_load_db_ports(struct yctx *y, const yaml_node_t *v)
{
	size_t n;

	y->c->n_db_ports = 0; /* the file's map replaces the defaults */
	if (cy_is_null(v))
		return 0;
	if (v->type != YAML_MAPPING_NODE)
		return cy_err(y, v, "db.ports: expected a mapping such as {6379: redis}, not a %s",
			      cy_kind(v));
	n = (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
	if (n > OBS_CONFIG_MAX_DB_PORTS)
		return cy_err(y, v, "db.ports: more than %d entries", OBS_CONFIG_MAX_DB_PORTS);
	for (size_t i = 0; i < n; i++) {
		yaml_node_pair_t *p = v->data.mapping.pairs.start + i;
		const yaml_node_t *k = yaml_document_get_node(&y->doc, p->key);
		const yaml_node_t *val = yaml_document_get_node(&y->doc, p->value);
		struct db_port *d = &y->c->db_ports[i];
		const char *ks, *vs;
		uint64_t port;
		char s[48];
		int err = cy_scalar(y, k, "db.ports", &ks);

		if (!err)
			err = cy_scalar(y, val, "db.ports", &vs);
		if (err)
			return err;
		if (config_parse_u64(ks, &port) || port < 1 || port > 65535)
			return cy_err(y, k, "db.ports: '%s' is not a port",
				      config_shown(ks, s, sizeof(s)));
		if (strcmp(vs, "redis") && strcmp(vs, "postgresql"))
			return cy_err(y, val, "db.ports: '%s' is not redis or postgresql",
				      config_shown(vs, s, sizeof(s)));
		d->port = (uint16_t)port;
		snprintf(d->system, sizeof(d->system), "%s", vs);
		y->c->n_db_ports = i + 1;
	}
	return 0;
}
