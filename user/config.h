/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Daemon settings: defaults < config file (YAML) < command-line flags.
 * One option table in config.c gives flags, YAML keys, defaults,
 * validation and --help text; docs/configuration.md describes it.
 * Parsing only: nothing here opens sockets, touches BPF or logs.
 */
#ifndef BT_CONFIG_H
#define BT_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "attribution.h"
#include "budget.h"
#include "business.h"
#include "checks.h"
#include "cidr.h"
#include "detect.h"
#include "sysres.h"

/* Config file bytes read at most; a larger file is refused. */
#define OBS_CONFIG_FILE_MAX (1u << 20)
/* Mapping/list nesting accepted (the schema needs 4). */
#define OBS_CONFIG_MAX_DEPTH 16
#define OBS_CONFIG_MAX_ROUTES 1024
#define OBS_CONFIG_MAX_SERVICES 1024

/* Empty string / 0 = not part of the match; exe and cgroup are fnmatch(3) globs, comm is exact. */
struct obs_service_rule {
	char name[64];
	char comm[16];
	char exe[256];
	char cgroup[256];
	uint16_t port;
};

/* llm.hosts: host may be "name", "name:port" or "*suffix" (e.g. "*.openai.azure.com"). */
struct llm_host_rule {
	char host[128];
	char provider[32];
};

/* llm.capture_paths limits; the kernel's table (biothings/limits.h) has the same shape. */
#define OBS_CONFIG_MAX_LLM_HOSTS 256
#define OBS_CONFIG_MAX_CAPTURE_PATHS 32
#define OBS_CONFIG_CAPTURE_PATH_MAX 31
#define OBS_CONFIG_MAX_CIDRS 32
#define OBS_CONFIG_MAX_DB_PORTS 16

/* capture.ignore: processes whose connections are left alone in the
 * kernel. Empty = not part of the match; comm is exact, cgroup an
 * fnmatch(3) glob; at least one is set. The kernel's tables
 * (biothings/limits.h) have room for OBS_CONFIG_MAX_IGNORE rules. */
#define OBS_CONFIG_MAX_IGNORE 64
struct obs_ignore_rule {
	char comm[16];
	char cgroup[256];
};

/* db.ports: client connections to this port carry this database protocol. */
struct db_port {
	uint16_t port;
	char system[16]; /* redis or postgresql (db_system_name) */
};

struct obs_config {
	char listen[128]; /* listen / --listen */
	char state_dir[256]; /* state_dir / --state-dir */
	char pin_dir[256]; /* pin_dir / --pin-dir */
	char config_path[256]; /* --config (flag only) */
	char log_level[16]; /* log_level / --log-level: debug|info|warn|error */
	uint64_t ringbuf_bytes; /* capture.ringbuf_size / --ringbuf-size: power of two >= 64KiB */
	uint64_t ringbuf_per_cpu_bytes; /* capture.ringbuf_per_cpu / --ringbuf-per-cpu: 0 or as above */
	uint32_t max_connections; /* capture.max_connections / --max-connections */
	uint64_t poll_interval_ns; /* capture.poll_interval / --poll-interval */
	uint64_t framing_idle_ns; /* capture.framing_idle: boundary framing's sweep */
	uint64_t gc_interval_ns; /* capture.gc_interval / --gc-interval: stale-connection sweep */
	char capture_hooks[8]; /* capture.hooks / --capture-hooks: syscall or socket */
	char capture_framing[16]; /* capture.framing / --capture-framing: full or boundary */
	char sched_policy[8]; /* capture.sched_policy / --sched-policy: batch or normal */
	uint32_t max_routes_per_service; /* http.max_routes_per_service / --max-routes-per-service */
	uint32_t max_series; /* metrics.max_series / --max-series */
	char **routes; /* http.routes (config only) */
	size_t n_routes;
	struct obs_service_rule *services; /* services (config only) */
	size_t n_services;
	struct llm_host_rule *llm_hosts; /* llm.hosts (config only): before the built-in table */
	size_t n_llm_hosts;
	char **capture_paths; /* llm.capture_paths (config only): request-path suffixes */
	size_t n_capture_paths;
	uint64_t llm_max_body_bytes; /* llm.max_body_size / --llm-max-body-size */
	struct attr_rule *agent_rules; /* llm.agent_types (config only), in order */
	size_t n_agent_rules;
	uint32_t max_agent_types; /* llm.max_agent_types / --max-agent-types */
	char pricing_path[256]; /* pricing / --pricing: LiteLLM-schema file over the built-in table */
	struct budget_cfg budgets; /* budgets.* / --daily-budget ... */
	struct business_rule *biz_rules; /* business.events (config only) */
	size_t n_biz_rules;
	struct business_weights biz_weights; /* business.weights (config only) */
	char log_format[8]; /* log_format / --log-format: json or text */
	char log_file[256]; /* log_file / --log-file: "" = stdout */
	uint64_t log_retention_ns; /* logs.retention / --log-retention */
	char audit_exec[256]; /* logs.audit_exec: exe glob of execs audited, "" none */
	struct detect_cfg detect; /* security.* thresholds (defaults: detect_cfg_defaults) */
	uint32_t sec_disabled; /* security.disabled: bit (1 << enum sec_type) per type off */
	uint64_t exfil_bytes; /* security.exfil_bytes */
	uint64_t inspect_bytes; /* security.inspect_request_bytes: served-request bytes copied */
	uint64_t exfil_window_ns; /* security.exfil_window */
	struct cidr exfil_allow[OBS_CONFIG_MAX_CIDRS]; /* security.exfil_allow */
	size_t n_exfil_allow;
	struct check_rule *checks; /* checks (config only) */
	size_t n_checks;
	struct obs_ignore_rule ignore[OBS_CONFIG_MAX_IGNORE]; /* capture.ignore (config only) */
	size_t n_ignore;
	struct db_port db_ports[OBS_CONFIG_MAX_DB_PORTS]; /* db.ports (config only) */
	size_t n_db_ports;
	double sla_objective; /* sla.objective: share of good requests, e.g. 0.999 */
	uint64_t sla_latency_ns; /* sla.latency_target: slower requests are not good */
	uint64_t perf_api_warn_ns, perf_api_crit_ns; /* performance.api_warning / api_critical */
	uint64_t perf_agent_warn_ns, perf_agent_crit_ns; /* performance.agent_* (LLM calls) */
	uint64_t perf_db_warn_ns, perf_db_crit_ns; /* performance.db_* */
	uint64_t history_interval_ns; /* history.interval: snapshot period */
	uint64_t history_retention_ns; /* history.retention */
	struct sysres_thresholds res; /* resources.* */
	char traces_endpoint[256]; /* traces.endpoint: OTLP/HTTP base URL, "" = traces off */
	double traces_sample_ratio; /* traces.sample_ratio */
	uint32_t traces_queue; /* traces.queue_size: spans held while the collector is slow */
	uint32_t traces_batch; /* traces.batch_size */
	uint64_t traces_flush_ns; /* traces.flush_interval */
	char api_token_file[256]; /* api.token_file: bearer token; BIOTHINGS_API_TOKEN also works */
	char api_auth_scope[8]; /* api.auth_scope: all or writes */
	char api_tls_cert[256], api_tls_key[256]; /* api.tls_cert / api.tls_key: PEM files */
	uint32_t api_max_connections; /* api.max_connections */
};

enum obs_action {
	OBS_RUN = 0,
	OBS_HELP = 1,
	OBS_VERSION = 2,
	OBS_CHECK_CONFIG = 3,
};

void obs_config_defaults(struct obs_config *c);
/*
 * Applies the YAML file at path on top of c. All or nothing: on error c is
 * unchanged and err holds "FILE:LINE:COL: message". -EINVAL for bad
 * content, -errno for I/O, -EFBIG above OBS_CONFIG_FILE_MAX.
 */
int obs_config_load_file(struct obs_config *c, const char *path, char *err, size_t errlen);
/* The same for text already in memory; name is used in messages. */
int obs_config_load_buffer(struct obs_config *c, const char *name, const char *buf, size_t len,
			   char *err, size_t errlen);
/*
 * c must hold defaults (obs_config_defaults()). Loads --config FILE, then
 * applies the other flags on top, so flags win over the file. Both
 * "--flag value" and "--flag=value". --help / --version set *action and
 * return 0 at once. --check-config FILE sets *action = OBS_CHECK_CONFIG
 * and c->config_path = FILE and returns 0 without loading: the caller
 * loads it with obs_config_load_file(), prints "FILE: ok" or the error
 * and exits 0 or 1. Otherwise 0, or -EINVAL/-errno with err filled.
 */
int obs_config_parse_args(struct obs_config *c, int argc, char **argv, int *action, char *err,
			  size_t errlen);
/* Generated from the option table, with defaults. */
void obs_config_usage(FILE *out, const char *prog);
/* llm.capture_paths when the file does not set it; NULL-terminated. */
extern const char *const obs_default_capture_paths[];
/* Checks that need the whole config or the file system (budget zone and
 * amounts together); 0 or -EINVAL with the message in err. */
int obs_config_validate(const struct obs_config *c, char *err, size_t errlen);
/* Frees every list; c stays valid (empty lists). NULL-safe. */
void obs_config_free(struct obs_config *c);
/*
 * "127.0.0.1:9464", "[::1]:9464", "localhost:9464", ":9464" (host "" =
 * all addresses). Port 1-65535. -EINVAL on bad input or a host that does
 * not fit hostlen.
 */
int obs_config_split_listen(const char *listen, char *host, size_t hostlen, uint16_t *port);

#endif
