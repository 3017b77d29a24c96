/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Active health checks (config "checks:"): tcp connect, HTTP GET with an
 * expected status, Redis PING, PostgreSQL start-up handshake, filesystem
 * free space. A runner thread runs each check on its interval with its
 * timeout and keeps the last result; results feed biothings_component_up
 * and biothings_component_check_duration_seconds, and POST
 * /health/component/{name}/test runs one check at once.
 */
#ifndef BT_CHECKS_H
#define BT_CHECKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CHECKS_MAX 64

enum check_type {
	CHECK_TCP,
	CHECK_HTTP,
	CHECK_REDIS,
	CHECK_POSTGRES,
	CHECK_FILESYSTEM,
	CHECK__COUNT
};
const char *check_type_name(enum check_type t); /* tcp, http, redis, postgres, filesystem */
int check_type_parse(const char *s, enum check_type *out); /* 0 or -EINVAL */

struct check_rule {
	char name[64]; /* [A-Za-z0-9_.-]: the component label */
	enum check_type type;
	char target[256]; /* tcp/redis/postgres: host:port; http: http://host[:port]/path */
	char path[256]; /* filesystem: a directory */
	uint64_t interval_ns; /* default 30 s */
	uint64_t timeout_ns; /* default 5 s; less than interval */
	uint16_t expect_status; /* http: 0 = any 2xx/3xx */
	double expect_free_ratio; /* filesystem: healthy while free/total >= this (default 0.1) */
};
/* 0 or -EINVAL with why (name, target shape for the type, path, interval > timeout). */
int check_rule_check(const struct check_rule *r, char *why, size_t whylen);
void check_rule_defaults(struct check_rule *r); /* intervals, timeout, free ratio */

struct check_result {
	bool healthy;
	uint64_t latency_ns;
	char error[128]; /* "" when healthy */
	int64_t at; /* wall clock, Unix seconds; 0 = not run yet */
};

#endif
