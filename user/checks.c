// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Check rules as the config gives them: names, defaults and validation.
 * The runner (checks_run.c) only ever sees rules that passed
 * check_rule_check(), so it never has to second-guess a target.
 */
#include "checks.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config.h"

#define SEC 1000000000ull

static const char *const type_names[CHECK__COUNT] = { "tcp", "http", "redis", "postgres",
						      "filesystem" };

const char *check_type_name(enum check_type t)
{
	return (unsigned)t < CHECK__COUNT ? type_names[t] : "unknown";
}

int check_type_parse(const char *s, enum check_type *out)
{
	for (int i = 0; i < CHECK__COUNT; i++) {
		if (!strcmp(s, type_names[i])) {
			*out = (enum check_type)i;
			return 0;
		}
	}
	return -EINVAL;
}

void check_rule_defaults(struct check_rule *r)
{
	memset(r, 0, sizeof(*r));
	r->interval_ns = 30 * SEC;
	r->timeout_ns = 5 * SEC;
	r->expect_free_ratio = 0.1;
}

static int say(char *why, size_t n, const char *msg)
{
	snprintf(why, n, "%s", msg);
	return -EINVAL;
}

static bool name_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("_.-", *s)))
			return false;
	}
	return true;
}

/* host:port with a port 1-65535 (host may be a [v6] literal). */
static bool host_port_ok(const char *t)
{
	char host[128];
	uint16_t port;

	return !obs_config_split_listen(t, host, sizeof(host), &port) && host[0];
}

static bool url_ok(const char *t)
{
	const char *rest = strncmp(t, "http://", 7) ? NULL : t + 7;
	char hp[200];
	size_t n;

	if (!rest || !*rest)
		return false;
	n = strcspn(rest, "/?");
	if (n == 0 || n >= sizeof(hp))
		return false;
	memcpy(hp, rest, n);
	hp[n] = '\0';
	if (!strchr(hp, ':') || hp[n - 1] == ']') /* default port 80 */
		return strchr(hp, ' ') == NULL;
	return host_port_ok(hp);
}

int check_rule_check(const struct check_rule *r, char *why, size_t whylen)
{
	if (!name_ok(r->name))
		return say(why, whylen, "name: use [A-Za-z0-9_.-]");
	if ((unsigned)r->type >= CHECK__COUNT)
		return say(why, whylen, "unknown type");
	if (!r->timeout_ns || r->timeout_ns >= r->interval_ns)
		return say(why, whylen, "timeout must be shorter than interval");
	switch (r->type) {
	case CHECK_FILESYSTEM:
		if (r->path[0] != '/')
			return say(why, whylen, "filesystem checks need an absolute path");
		return 0;
	case CHECK_HTTP:
		if (!url_ok(r->target))
			return say(why, whylen, "http checks need target http://host[:port]/path");
		return 0;
	default:
		if (!host_port_ok(r->target))
			return say(why, whylen, "target must be host:port");
		return 0;
	}
}
