// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Maps a process to its service_name label. Called when a connection is
 * first seen, so a linear walk over the configured rules is enough. Must
 * not read /proc or allocate: the caller passes what it already knows.
 */
#include "service.h"

#include <fnmatch.h>
#include <string.h>

static bool field_empty(const char *s)
{
	return !s || !*s;
}

/* An empty rule field always matches; a set one needs a known value. */
static bool glob_ok(const char *pat, const char *val)
{
	if (field_empty(pat))
		return true;
	return val && fnmatch(pat, val, 0) == 0;
}

bool service_rule_match(const struct obs_service_rule *rule, const struct svc_input *in)
{
	uint16_t port;

	if (!rule || !in)
		return false;
	if (!field_empty(rule->comm) &&
	    (!in->comm || strncmp(rule->comm, in->comm, sizeof(rule->comm))))
		return false;
	if (!glob_ok(rule->exe, in->exe) || !glob_ok(rule->cgroup, in->cgroup))
		return false;
	if (!rule->port)
		return true;
	if (in->role == SVC_ROLE_SERVER)
		port = in->lport;
	else if (in->role == SVC_ROLE_CLIENT)
		port = in->rport;
	else
		return false;
	return port == rule->port;
}

/* Copies at most n bytes of s as printable ASCII; returns bytes written. */
static size_t put_clean(char *out, size_t outlen, const char *s, size_t n)
{
	size_t i;

	if (n > SERVICE_NAME_MAX - 1)
		n = SERVICE_NAME_MAX - 1;

	for (i = 0; i < n && i + 1 < outlen && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		out[i] = c >= 0x20 && c < 0x7f ? (char)c : '_';
	}
	out[i] = '\0';
	return i;
}

/* Basename of exe without the " (deleted)" that /proc/PID/exe shows for replaced binaries. */
static size_t exe_base(const char *exe, const char **base)
{
	static const char deleted[] = " (deleted)";
	const char *slash = strrchr(exe, '/');
	size_t n;

	*base = slash ? slash + 1 : exe;
	n = strlen(*base);
	if (n > sizeof(deleted) - 1 && !strcmp(*base + n - (sizeof(deleted) - 1), deleted))
		n -= sizeof(deleted) - 1;
	return n;
}

const char *service_name(const struct obs_service_rule *rules, size_t n, const struct svc_input *in,
			 char *out, size_t outlen)
{
	const char *base;
	size_t bl;

	if (!out || !outlen)
		return NULL;
	for (size_t i = 0; rules && in && i < n; i++) {
		if (service_rule_match(&rules[i], in) &&
		    put_clean(out, outlen, rules[i].name, sizeof(rules[i].name)))
			return out;
	}
	if (in && !field_empty(in->exe)) {
		bl = exe_base(in->exe, &base);
		if (put_clean(out, outlen, base, bl))
			return out;
	}
	if (in && !field_empty(in->comm) && put_clean(out, outlen, in->comm, strlen(in->comm)))
		return out;
	put_clean(out, outlen, "unknown", sizeof("unknown"));
	return out;
}
