/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Internal to config.c and config_yaml.c, no other module includes it.
 * config.c owns the option table (flags, keys, defaults, ranges, help) and
 * the value parsers; config_yaml.c only walks YAML nodes onto that table,
 * so an option is still declared in one place.
 */
#ifndef BT_CONFIG_YAML_H
#define BT_CONFIG_YAML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

#include "config.h"

enum opt_type {
	OT_STR,
	OT_PATH,
	OT_LISTEN,
	OT_LEVEL,
	OT_SIZE,
	OT_DURATION,
	OT_U32,
	OT_ROUTES,
	OT_SERVICES, /* config file only */
	OT_LLM_HOSTS, /* config file only: map or list of {host, provider} */
	OT_CAPTURE_PATHS, /* config file only: list of path suffixes */
	OT_USD, /* a positive amount of US dollars */
	OT_RATIO, /* a number in (0, 1] */
	OT_ZONE, /* an IANA time zone name (existence checked at start) */
	OT_AGENT_RULES, /* config file only: llm.agent_types */
	OT_BIZ_EVENTS, /* config file only: business.events */
	OT_BIZ_WEIGHTS, /* config file only: business.weights */
	OT_FACTOR, /* a positive number such as 5 */
	OT_SEC_DISABLED, /* config file only: list of security event types */
	OT_SEC_ALLOW, /* config file only: list of client addresses */
	OT_CIDRS, /* config file only: list of networks */
	OT_CHECKS, /* config file only: list of active checks */
	OT_DB_PORTS, /* config file only: mapping port -> database system */
	OT_IGNORE, /* config file only: capture.ignore rules */
	OT_CHOICE, /* one of the '|'-separated words in the option's metavar */
	OT_URL, /* http:// or https:// URL */
	OT_CONFIG,
	OT_CHECK,
	OT_HELP,
	OT_VERSION, /* flags only */
};

struct config_opt {
	const char *key; /* YAML path, one level of section at most; NULL = flag only */
	const char *flag; /* long flag without "--"; NULL = config file only */
	char short_flag;
	enum opt_type type;
	size_t off, size; /* field in struct obs_config */
	uint64_t min, max; /* numbers: inclusive range */
	bool pow2;
	const char *def; /* default, parsed by the same code as user input */
	const char *metavar;
	const char *help;
};

/* Options in the table at most (the YAML walker's duplicate-key marks). */
#define CONFIG_OPTS_MAX 128

extern const struct config_opt config_opts[];
extern const size_t config_n_opts;

/* Parses and stores one scalar value; -EINVAL/-ERANGE with the reason in why. */
int config_opt_set(const struct config_opt *o, struct obs_config *c, const char *val, char *why,
		   size_t whylen);

/* Writes a message when there is room for one; returns code for "return config_say(-EINVAL, ...)". */
int config_say(int code, char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Bounded, printable copy of user input for messages. */
const char *config_shown(const char *s, char *buf, size_t len);
/* Decimal digits only; -EINVAL on anything else, -ERANGE above UINT64_MAX. */
int config_parse_u64(const char *s, uint64_t *out);

/* ---- shared by config_yaml.c and config_rules.c ---- */

struct yctx {
	yaml_document_t doc; /* the one being walked */
	const char *name; /* file name for messages */
	char *err;
	size_t errlen;
	struct obs_config *c;
	bool routes_set, services_set, llm_hosts_set, capture_paths_set, agents_set, biz_set,
		checks_set;
};

/* "FILE:LINE:COL: message" into y->err; returns -EINVAL. */
int cy_err(struct yctx *y, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool cy_printable(const char *s);
bool cy_is_null(const yaml_node_t *n);
const char *cy_kind(const yaml_node_t *n); /* mapping, list or value */
/* A key's single value; reports lists, mappings, nulls and embedded NULs. */
int cy_scalar(struct yctx *y, const yaml_node_t *n, const char *key, const char **out);
/* Key text of a mapping pair, or NULL (reported) when it is not a plain string. */
const char *cy_key(struct yctx *y, const yaml_node_t *k);
/*
 * The values of a mapping whose keys must come from names (NULL-terminated):
 * vals[i] gets the node of names[i] or NULL. Unknown and duplicate keys are
 * errors naming what (e.g. "llm.agent_types").
 */
int cy_fields(struct yctx *y, const yaml_node_t *map, const char *what, const char *const *names,
	      const yaml_node_t **vals);

/* Items of a list node (0 for a null value); "WHAT: expected EXPECTED" when
 * it is no list, "WHAT: more than MAX ITEMS" when it is too long. */
int cy_seq_len(struct yctx *y, const yaml_node_t *v, const char *what, const char *expected,
	       const char *items, size_t max, size_t *n);
/* A list node's items (NULL for a null value); max bounds the count; *arr calloc'd. */
int cy_list_of(struct yctx *y, const yaml_node_t *v, const char *what, size_t max, size_t elem,
	       void **arr, size_t *n);
const yaml_node_t *cy_item_of(struct yctx *y, const yaml_node_t *seq, size_t i);
/* A scalar into a fixed buffer; too long is an error, not a cut. */
int cy_copy_scalar(struct yctx *y, const yaml_node_t *v, const char *key, char *out, size_t outlen);

/* config_rules.c: lists and maps of the cost engine's rules. */
int cy_load_agent_rules(struct yctx *y, const yaml_node_t *v);
int cy_load_biz_events(struct yctx *y, const yaml_node_t *v);
int cy_load_biz_weights(struct yctx *y, const yaml_node_t *v);
int cy_load_checks(struct yctx *y, const yaml_node_t *v);
int cy_load_db_ports(struct yctx *y, const yaml_node_t *v);
int cy_load_capture_ignore(struct yctx *y, const yaml_node_t *v);
/* security.disabled, security.allow_sources, security.exfil_allow */
int cy_load_sec_list(struct yctx *y, const struct config_opt *o, const yaml_node_t *v);

#endif
