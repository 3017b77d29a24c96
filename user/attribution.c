// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * agent_type attribution for LLM calls. Header and environment values come
 * from the workloads, not from the operator, so they are cleaned to label
 * characters and interned under a cap: past max_values distinct values a
 * new one becomes "other", which bounds the series a caller can create.
 * The agent types written in the rules are interned first, so a flood of
 * header values can never push a configured type into "other"; they
 * count towards max_values like any other kept value.
 */
#include "attribution.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Open addressing over interned strings; the index never gets above half full. */
struct intern {
	char **slots;
	size_t mask;
	size_t n;
};

struct attribution {
	struct attr_rule rules[ATTR_MAX_RULES];
	const char *fixed[ATTR_MAX_RULES]; /* interned agent_type of each rule, NULL if unset */
	size_t n_rules;
	size_t max_values;
	uint64_t overflowed;
	struct intern values;
};

static const char *const source_names[ATTR_SOURCE__COUNT] = {
	[ATTR_HEADER] = "header", [ATTR_ENV] = "env",	    [ATTR_COMM] = "comm",
	[ATTR_EXE] = "exe",	  [ATTR_CGROUP] = "cgroup",
};

const char *attr_source_name(enum attr_source s)
{
	return (unsigned)s < ATTR_SOURCE__COUNT ? source_names[s] : "unknown";
}

/* ---- values ---- */

static bool label_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("_.:/@-", c));
}

/* Keeps the label characters of s, at most ATTR_VALUE_MAX - 1; returns the length kept. */
static size_t clean_value(const char *s, char out[ATTR_VALUE_MAX])
{
	size_t n = 0;

	for (; *s && n < ATTR_VALUE_MAX - 1; s++) {
		if (label_char((unsigned char)*s))
			out[n++] = *s;
	}
	out[n] = '\0';
	return n;
}

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	return h;
}

static char **intern_slot(const struct intern *t, const char *s)
{
	for (size_t i = (size_t)fnv1a(s) & t->mask;; i = (i + 1) & t->mask) {
		if (!t->slots[i] || !strcmp(t->slots[i], s))
			return &t->slots[i];
	}
}

/* Doubles the index; the strings themselves never move. */
static int intern_grow(struct intern *t)
{
	size_t nslots = t->slots ? 2 * (t->mask + 1) : 16;
	struct intern nt = { calloc(nslots, sizeof(char *)), nslots - 1, t->n };

	if (!nt.slots)
		return -ENOMEM;
	for (size_t i = 0; t->slots && i <= t->mask; i++) {
		if (t->slots[i])
			*intern_slot(&nt, t->slots[i]) = t->slots[i];
	}
	free(t->slots);
	*t = nt;
	return 0;
}

/* The kept copy of s, or NULL; adds it only when add is set. */
static const char *intern_get(struct intern *t, const char *s, bool add)
{
	char **slot;

	if (!t->slots && (!add || intern_grow(t)))
		return NULL;
	slot = intern_slot(t, s);
	if (*slot || !add)
		return *slot;
	if (2 * (t->n + 1) > t->mask + 1) {
		if (intern_grow(t))
			return NULL;
		slot = intern_slot(t, s);
	}
	*slot = strdup(s);
	if (*slot)
		t->n++;
	return *slot;
}

static void intern_free(struct intern *t)
{
	for (size_t i = 0; t->slots && i <= t->mask; i++)
		free(t->slots[i]);
	free(t->slots);
	t->slots = NULL;
}

/* A value taken from the workload: kept if known or under the cap, else "other". */
static const char *admit(struct attribution *a, const char *v)
{
	const char *kept;

	if (!strcmp(v, ATTR_UNKNOWN))
		return ATTR_UNKNOWN;
	if (!strcmp(v, ATTR_OTHER))
		return ATTR_OTHER;
	kept = intern_get(&a->values, v, a->values.n < a->max_values);
	if (kept)
		return kept;
	a->overflowed++; /* over the cap (or out of memory): either way not a new series */
	return ATTR_OTHER;
}

/* ---- rules ---- */

static int say(char *why, size_t whylen, const char *msg)
{
	if (why && whylen)
		snprintf(why, whylen, "%s", msg);
	return -EINVAL;
}

static bool all_of(const char *s, bool (*ok)(unsigned char c, size_t i))
{
	for (size_t i = 0; s[i]; i++) {
		if (!ok((unsigned char)s[i], i))
			return false;
	}
	return true;
}

static bool header_char(unsigned char c, size_t i)
{
	(void)i;
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-';
}

static bool env_char(unsigned char c, size_t i)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       (i && c >= '0' && c <= '9');
}

static bool label_char_at(unsigned char c, size_t i)
{
	(void)i;
	return label_char(c);
}

int attr_rule_check(const struct attr_rule *r, char *why, size_t whylen)
{
	size_t tl;

	if (!r)
		return say(why, whylen, "no rule");
	if ((unsigned)r->source >= ATTR_SOURCE__COUNT)
		return say(why, whylen, "source: header, env, comm, exe or cgroup");
	if (!r->name[0] || strnlen(r->name, sizeof(r->name)) == sizeof(r->name))
		return say(why, whylen, "name: 1 to 255 bytes");
	if (r->source == ATTR_HEADER && !all_of(r->name, header_char))
		return say(why, whylen, "header name: letters, digits and '-'");
	if (r->source == ATTR_ENV && !all_of(r->name, env_char))
		return say(why, whylen, "env name: [A-Za-z_][A-Za-z0-9_]*");
	tl = strnlen(r->agent_type, sizeof(r->agent_type));
	if (tl == sizeof(r->agent_type))
		return say(why, whylen, "agent_type: longer than 63 bytes");
	if (!tl && r->source != ATTR_HEADER && r->source != ATTR_ENV)
		return say(why, whylen, "agent_type: required for comm, exe and cgroup rules");
	if (!all_of(r->agent_type, label_char_at))
		return say(why, whylen, "agent_type: letters, digits and _.:/@- only");
	return 0;
}

/* A rule's own agent_type: kept from the start, the two reserved names not counted. */
static const char *fixed_value(struct attribution *a, const char *v)
{
	if (!strcmp(v, ATTR_UNKNOWN))
		return ATTR_UNKNOWN;
	if (!strcmp(v, ATTR_OTHER))
		return ATTR_OTHER;
	return intern_get(&a->values, v, true);
}

struct attribution *attribution__new(const struct attr_rule *rules, size_t n, size_t max_values)
{
	struct attribution *a;

	if (n > ATTR_MAX_RULES || (n && !rules)) {
		errno = EINVAL;
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (attr_rule_check(&rules[i], NULL, 0)) {
			errno = EINVAL;
			return NULL;
		}
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		goto nomem;
	a->n_rules = n;
	a->max_values = max_values;
	for (size_t i = 0; i < n; i++) {
		a->rules[i] = rules[i];
		if (!rules[i].agent_type[0])
			continue;
		a->fixed[i] = fixed_value(a, rules[i].agent_type);
		if (!a->fixed[i])
			goto nomem;
	}
	return a;

nomem:
	attribution__free(a);
	errno = ENOMEM;
	return NULL;
}

void attribution__free(struct attribution *a)
{
	if (!a)
		return;
	intern_free(&a->values);
	free(a);
}

static const char *known(const char *s)
{
	return s && *s ? s : NULL;
}

/* The raw value rule i sees in in: a header or variable value, or the comm/exe/cgroup. */
static const char *rule_input(const struct attr_rule *r, const struct attr_input *in)
{
	switch (r->source) {
	case ATTR_HEADER:
		return in->header ? in->header(in->arg, r->name) : NULL;
	case ATTR_ENV:
		return in->env ? in->env(in->arg, r->name) : NULL;
	case ATTR_COMM:
		return known(in->comm);
	case ATTR_EXE:
		return known(in->exe);
	case ATTR_CGROUP:
		return known(in->cgroup);
	default:
		return NULL;
	}
}

/* Agent type from rule i, or NULL when it does not match. */
static const char *rule_agent(struct attribution *a, size_t i, const struct attr_input *in)
{
	const struct attr_rule *r = &a->rules[i];
	const char *v = rule_input(r, in);
	char clean[ATTR_VALUE_MAX];

	if (!v)
		return NULL;
	if (r->source != ATTR_HEADER && r->source != ATTR_ENV)
		return fnmatch(r->name, v, 0) == 0 ? a->fixed[i] : NULL;
	if (a->fixed[i])
		return a->fixed[i];
	if (!clean_value(v, clean))
		return NULL;
	return admit(a, clean);
}

const char *attribution__agent(struct attribution *a, const struct attr_input *in)
{
	const char *agent;

	if (!a || !in)
		return ATTR_UNKNOWN;
	for (size_t i = 0; i < a->n_rules; i++) {
		agent = rule_agent(a, i, in);
		if (agent)
			return agent;
	}
	return ATTR_UNKNOWN;
}

uint64_t attribution__overflowed(const struct attribution *a)
{
	return a ? a->overflowed : 0;
}
