/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * agent_type of an LLM call: ordered rules over what is known about the
 * call and its process (a request header, comm, executable, cgroup, an
 * environment variable), first match wins, "unknown" otherwise. Values
 * are made label-safe and the number of distinct agent types is capped;
 * past the cap new values become "other", so a hostile header cannot blow
 * up metric cardinality. Pure apart from the caller's callbacks.
 */
#ifndef BT_ATTRIBUTION_H
#define BT_ATTRIBUTION_H

#include <stddef.h>
#include <stdint.h>

#define ATTR_MAX_RULES 64
#define ATTR_VALUE_MAX 64
#define ATTR_UNKNOWN "unknown"
#define ATTR_OTHER "other"

enum attr_source { ATTR_HEADER, ATTR_ENV, ATTR_COMM, ATTR_EXE, ATTR_CGROUP, ATTR_SOURCE__COUNT };
const char *attr_source_name(enum attr_source s); /* header, env, comm, exe, cgroup */

/*
 * header/env: name is the header or variable; its value is the agent type,
 * unless agent_type is set (then presence alone decides). comm/exe/cgroup:
 * name is an fnmatch(3) glob and agent_type is required.
 */
struct attr_rule {
	enum attr_source source;
	char name[256];
	char agent_type[ATTR_VALUE_MAX];
};
int attr_rule_check(const struct attr_rule *r, char *why, size_t whylen);

/* What the caller knows of one call. Callbacks may be NULL (nothing known). */
struct attr_input {
	/* the request header's value (copied to a buffer the callee owns until the next call) */
	const char *(*header)(void *arg, const char *name); /* NULL: absent */
	const char *(*env)(void *arg, const char *name); /* the process's variable; NULL absent */
	const char *comm, *exe, *cgroup; /* NULL or "" unknown */
	void *arg;
};

struct attribution;
/* max_values: distinct agent types kept (unknown and other not counted); NULL + errno. */
struct attribution *attribution__new(const struct attr_rule *rules, size_t n, size_t max_values);
void attribution__free(struct attribution *a);
/* Never NULL; valid until attribution__free. Not thread-safe (one caller thread). */
const char *attribution__agent(struct attribution *a, const struct attr_input *in);
/* Values mapped to "other" because of the cap. */
uint64_t attribution__overflowed(const struct attribution *a);

#endif
