// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The rule lists in the config file: llm.agent_types (who spent it),
 * business.events and business.weights (what it bought), and the security
 * lists (types switched off, allowed clients, allowed networks), and
 * capture.ignore (processes the kernel leaves alone). Each
 * entry is checked by the owning module's own rule check, so a rule the
 * daemon would refuse at start is refused here with FILE:LINE:COL.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_yaml.h"
#include "sec_types.h"

int cy_fields(struct yctx *y, const yaml_node_t *map, const char *what, const char *const *names,
	      const yaml_node_t **vals)
{
	size_t n = 0;
	char s[48];

	while (names[n])
		vals[n++] = NULL;
	if (map->type != YAML_MAPPING_NODE)
		return cy_err(y, map, "%s: expected a mapping, not a %s", what, cy_kind(map));
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		const yaml_node_t *k = yaml_document_get_node(&y->doc, p->key);
		const char *key = cy_key(y, k);
		size_t i;

		if (!key)
			return -EINVAL;
		for (i = 0; i < n && strcmp(key, names[i]); i++)
			;
		if (i == n)
			return cy_err(y, k, "%s: unknown key '%s'", what,
				      config_shown(key, s, sizeof(s)));
		if (vals[i])
			return cy_err(y, k, "%s: duplicate key '%s'", what, key);
		vals[i] = yaml_document_get_node(&y->doc, p->value);
	}
	return 0;
}

int cy_seq_len(struct yctx *y, const yaml_node_t *v, const char *what, const char *expected,
	       const char *items, size_t max, size_t *n)
{
	*n = 0;
	if (cy_is_null(v))
		return 0;
	if (v->type != YAML_SEQUENCE_NODE)
		return cy_err(y, v, "%s: expected %s, not a %s", what, expected, cy_kind(v));
	*n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
	if (*n > max)
		return cy_err(y, v, "%s: more than %zu %s", what, max, items);
	return 0;
}

/* A list node's items, NULL for a null value; max bounds the count. */
int cy_list_of(struct yctx *y, const yaml_node_t *v, const char *what, size_t max, size_t elem,
	       void **arr, size_t *n)
{
	int err = cy_seq_len(y, v, what, "a list", "entries", max, n);

	if (err || cy_is_null(v))
		return err;
	*arr = calloc(*n ? *n : 1, elem);
	if (!*arr)
		return config_say(-ENOMEM, y->err, y->errlen, "%s: out of memory", y->name);
	return 0;
}

const yaml_node_t *cy_item_of(struct yctx *y, const yaml_node_t *seq, size_t i)
{
	return yaml_document_get_node(&y->doc, seq->data.sequence.items.start[i]);
}

/* Copies a scalar into a fixed buffer; too long is an error, not a cut. */
int cy_copy_scalar(struct yctx *y, const yaml_node_t *v, const char *key, char *out, size_t outlen)
{
	const char *val;
	int err = cy_scalar(y, v, key, &val);

	if (err)
		return err;
	if (strlen(val) >= outlen)
		return cy_err(y, v, "%s: longer than %zu bytes", key, outlen - 1);
	strcpy(out, val);
	return 0;
}

/* ---- llm.agent_types ---- */

static int load_agent_rule(struct yctx *y, const yaml_node_t *item, struct attr_rule *r)
{
	static const char *const names[] = { "header", "env",	     "comm", "exe",
					     "cgroup", "agent_type", NULL };
	const char *what = "llm.agent_types";
	const yaml_node_t *v[7];
	char why[160];
	int src = -1, err;

	err = cy_fields(y, item, what, names, v);
	for (int i = 0; !err && i < ATTR_SOURCE__COUNT; i++) {
		if (!v[i])
			continue;
		if (src >= 0)
			return cy_err(y, v[i],
				      "%s: one of header, env, comm, exe, cgroup per entry", what);
		src = i;
	}
	if (err)
		return err;
	if (src < 0)
		return cy_err(y, item, "%s: entry needs header, env, comm, exe or cgroup", what);
	/* names[] follows enum attr_source; the static assert keeps them together */
	_Static_assert(ATTR_HEADER == 0 && ATTR_CGROUP == 4, "names[] order");
	r->source = (enum attr_source)src;
	err = cy_copy_scalar(y, v[src], what, r->name, sizeof(r->name));
	if (!err && v[5])
		err = cy_copy_scalar(y, v[5], what, r->agent_type, sizeof(r->agent_type));
	if (!err && attr_rule_check(r, why, sizeof(why)))
		return cy_err(y, item, "%s: %s", what, why);
	return err;
}

int cy_load_agent_rules(struct yctx *y, const yaml_node_t *v)
{
	size_t n;
	int err;

	y->agents_set = true;
	err = cy_list_of(y, v, "llm.agent_types", ATTR_MAX_RULES, sizeof(struct attr_rule),
			 (void **)&y->c->agent_rules, &n);
	for (size_t i = 0; !err && i < n; i++) {
		err = load_agent_rule(y, cy_item_of(y, v, i), &y->c->agent_rules[i]);
		if (!err)
			y->c->n_agent_rules++;
	}
	return err;
}

/* ---- business.events ---- */

/* category and outcome read off the event name when the rule does not say. */
static void biz_guess(struct business_rule *r)
{
	static const struct {
		const char *suffix;
		enum business_outcome o;
	} ends[] = { { "_started", BIZ_STARTED },     { "_completed", BIZ_SUCCEEDED },
		     { "_succeeded", BIZ_SUCCEEDED }, { "_published", BIZ_SUCCEEDED },
		     { "_made", BIZ_SUCCEEDED },      { "_found", BIZ_SUCCEEDED },
		     { "_failed", BIZ_FAILED } };
	size_t n = strlen(r->event);
	char cat[64];

	snprintf(cat, sizeof(cat), "%.*s", (int)strcspn(r->event, "_"), r->event);
	if (business_category_parse(cat, &r->category))
		r->category = BIZ_OTHER;
	r->outcome = BIZ_OUTCOME_OTHER;
	for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
		size_t k = strlen(ends[i].suffix);

		if (n > k && !strcmp(r->event + n - k, ends[i].suffix))
			r->outcome = ends[i].o;
	}
}

static int biz_enum(struct yctx *y, const yaml_node_t *v, const char *key, bool category,
		    struct business_rule *r)
{
	const char *val;
	char s[48];
	int err = cy_scalar(y, v, key, &val);

	if (err)
		return err;
	if (category ? business_category_parse(val, &r->category) :
		       business_outcome_parse(val, &r->outcome))
		return cy_err(y, v, "%s: '%s' is not one of %s", key,
			      config_shown(val, s, sizeof(s)),
			      category ? "experiment, publication, discovery, other" :
					 "started, succeeded, failed, other");
	return 0;
}

static int load_biz_rule(struct yctx *y, const yaml_node_t *item, struct business_rule *r)
{
	enum { EV, METHOD, PATH, STATUS, SERVICE, CATEGORY, OUTCOME };
	static const char *const names[] = { "event",	"method",   "path",    "status",
					     "service", "category", "outcome", NULL };
	const char *what = "business.events", *st = "2xx";
	const yaml_node_t *v[7];
	char why[160], s[48];
	int err = cy_fields(y, item, what, names, v);

	if (!err && (!v[EV] || !v[PATH]))
		return cy_err(y, item, "%s: each entry needs event and path", what);
	if (!err)
		err = cy_copy_scalar(y, v[EV], what, r->event, sizeof(r->event));
	if (!err)
		err = cy_copy_scalar(y, v[PATH], what, r->path, sizeof(r->path));
	if (!err && v[METHOD])
		err = cy_copy_scalar(y, v[METHOD], what, r->method, sizeof(r->method));
	if (!err && v[SERVICE])
		err = cy_copy_scalar(y, v[SERVICE], what, r->service, sizeof(r->service));
	if (!err && v[STATUS])
		err = cy_scalar(y, v[STATUS], what, &st);
	if (err)
		return err;
	if (business_status_parse(st, &r->status_min, &r->status_max))
		return cy_err(y, v[STATUS], "%s: status '%s' is not like 201, 2xx or 200-204", what,
			      config_shown(st, s, sizeof(s)));
	biz_guess(r);
	if (v[CATEGORY] && (err = biz_enum(y, v[CATEGORY], "business.events.category", true, r)))
		return err;
	if (v[OUTCOME] && (err = biz_enum(y, v[OUTCOME], "business.events.outcome", false, r)))
		return err;
	if (business_rule_check(r, why, sizeof(why)))
		return cy_err(y, item, "%s: %s", what, why);
	return 0;
}

int cy_load_biz_events(struct yctx *y, const yaml_node_t *v)
{
	size_t n;
	int err;

	y->biz_set = true;
	err = cy_list_of(y, v, "business.events", BUSINESS_MAX_RULES, sizeof(struct business_rule),
			 (void **)&y->c->biz_rules, &n);
	for (size_t i = 0; !err && i < n; i++) {
		err = load_biz_rule(y, cy_item_of(y, v, i), &y->c->biz_rules[i]);
		if (!err)
			y->c->n_biz_rules++;
	}
	return err;
}

/* ---- business.weights ---- */

int cy_load_biz_weights(struct yctx *y, const yaml_node_t *v)
{
	static const char *const names[] = { "experiment", "publication", "discovery", "other",
					     NULL };
	const char *what = "business.weights";
	const yaml_node_t *vals[BIZ_CATEGORY__COUNT];
	int err;

	_Static_assert(BIZ_EXPERIMENT == 0 && BIZ_OTHER == 3 && BIZ_CATEGORY__COUNT == 4,
		       "names[] follows enum business_category");
	if (cy_is_null(v))
		return 0;
	err = cy_fields(y, v, what, names, vals);
	for (int i = 0; !err && i < BIZ_CATEGORY__COUNT; i++) {
		const char *val;
		char *end, s[48];
		double d;

		if (!vals[i])
			continue;
		err = cy_scalar(y, vals[i], what, &val);
		if (err)
			break;
		d = strtod(val, &end);
		if (end == val || *end || !isfinite(d) || d < 0 || d > 1e6)
			return cy_err(y, vals[i], "%s.%s: '%s' is not a number from 0 to 1e6", what,
				      names[i], config_shown(val, s, sizeof(s)));
		y->c->biz_weights.w[i] = d;
	}
	return err;
}

/* ---- security.disabled, security.allow_sources, security.exfil_allow ---- */

static int sec_item(struct yctx *y, const struct config_opt *o, const yaml_node_t *it, size_t i)
{
	struct obs_config *c = y->c;
	const char *val;
	enum sec_type t;
	struct cidr net;
	char s[48];
	int err = cy_scalar(y, it, o->key, &val);

	if (err)
		return err;
	if (o->type == OT_SEC_DISABLED) {
		if (sec_type_parse(val, &t))
			return cy_err(y, it, "%s: '%s' is not a security event type", o->key,
				      config_shown(val, s, sizeof(s)));
		c->sec_disabled |= 1u << t;
	} else if (o->type == OT_SEC_ALLOW) {
		if (cidr_parse(val, &net) || strchr(val, '/') ||
		    strlen(val) >= sizeof(c->detect.allow_sources[0]))
			return cy_err(y, it, "%s: '%s' is not an IP address", o->key,
				      config_shown(val, s, sizeof(s)));
		strcpy(c->detect.allow_sources[i], val);
	} else {
		if (cidr_parse(val, &c->exfil_allow[i]))
			return cy_err(y, it, "%s: '%s' is not a network such as 10.0.0.0/8", o->key,
				      config_shown(val, s, sizeof(s)));
		c->n_exfil_allow = i + 1;
	}
	return 0;
}

int cy_load_sec_list(struct yctx *y, const struct config_opt *o, const yaml_node_t *v)
{
	size_t max = o->type == OT_SEC_DISABLED ? SEC__COUNT :
		     o->type == OT_SEC_ALLOW	? sizeof(y->c->detect.allow_sources) /
						       sizeof(y->c->detect.allow_sources[0]) :
					       OBS_CONFIG_MAX_CIDRS;
	size_t n;
	int err = 0;

	/* the file's list replaces the earlier one */
	if (o->type == OT_SEC_DISABLED)
		y->c->sec_disabled = 0;
	else if (o->type == OT_SEC_ALLOW)
		memset(y->c->detect.allow_sources, 0, sizeof(y->c->detect.allow_sources));
	else
		y->c->n_exfil_allow = 0;
	if (cy_is_null(v))
		return 0;
	if (v->type != YAML_SEQUENCE_NODE)
		return cy_err(y, v, "%s: expected a list, not a %s", o->key, cy_kind(v));
	n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
	if (n > max)
		return cy_err(y, v, "%s: more than %zu entries", o->key, max);
	for (size_t i = 0; !err && i < n; i++)
		err = sec_item(y, o, cy_item_of(y, v, i), i);
	return err;
}

/* ---- capture.ignore ---- */

static int load_ignore_rule(struct yctx *y, const yaml_node_t *item, struct obs_ignore_rule *r)
{
	static const char *const names[] = { "comm", "cgroup", NULL };
	const yaml_node_t *v[2];
	int err = cy_fields(y, item, "capture.ignore (keys: comm, cgroup)", names, v);

	memset(r, 0, sizeof(*r));
	if (!err && v[0])
		err = cy_copy_scalar(y, v[0], "capture.ignore.comm", r->comm, sizeof(r->comm));
	if (!err && v[1])
		err = cy_copy_scalar(y, v[1], "capture.ignore.cgroup", r->cgroup,
				     sizeof(r->cgroup));
	if (err)
		return err;
	if (!r->comm[0] && !r->cgroup[0])
		return cy_err(y, item, "capture.ignore: a rule needs comm, cgroup or both");
	if (!cy_printable(r->comm) || !cy_printable(r->cgroup))
		return cy_err(y, item, "capture.ignore: comm and cgroup must be printable");
	return 0;
}

/* The file's list replaces the earlier one; null or [] ignores nothing. */
int cy_load_capture_ignore(struct yctx *y, const yaml_node_t *v)
{
	size_t n;
	int e;

	y->c->n_ignore = 0;
	e = cy_seq_len(y, v, "capture.ignore", "a list of {comm, cgroup}", "rules",
		       OBS_CONFIG_MAX_IGNORE, &n);
	if (e)
		return e;
	for (size_t i = 0; i < n; i++) {
		int err = load_ignore_rule(y, cy_item_of(y, v, i), &y->c->ignore[i]);

		if (err)
			return err;
		y->c->n_ignore = i + 1;
	}
	return 0;
}
