/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * service_name label: which configured service a process belongs to, or a
 * name derived from its executable. Pure: the caller gathers comm, exe and
 * cgroup; this module reads nothing from /proc.
 */
#ifndef BT_SERVICE_H
#define BT_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* Longest service name written, NUL included. */
#define SERVICE_NAME_MAX 64

enum svc_role { SVC_ROLE_UNKNOWN = 0, SVC_ROLE_SERVER = 1, SVC_ROLE_CLIENT = 2 };

struct svc_input {
	const char *comm; /* NULL = unknown */
	const char *exe; /* NULL = unknown; a " (deleted)" suffix is ignored */
	const char *cgroup; /* NULL = unknown */
	uint16_t lport;
	uint16_t rport;
	int role; /* enum svc_role (same numbers as enum bt_role) */
};

/*
 * First rule whose every non-empty field matches wins (port: lport for a
 * server, rport for a client, never for an unknown role). Otherwise the
 * exe basename, else comm, else "unknown". Written into out as printable
 * ASCII, cut to outlen - 1 bytes. Returns out, or NULL when out is NULL or
 * outlen is 0.
 */
const char *service_name(const struct obs_service_rule *rules, size_t n, const struct svc_input *in,
			 char *out, size_t outlen);
/* true when every non-empty field of rule matches in. */
bool service_rule_match(const struct obs_service_rule *rule, const struct svc_input *in);

#endif
