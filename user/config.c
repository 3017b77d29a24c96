// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Settings from defaults, one YAML file and flags, all driven by config_opts
 * below so a new option is one line: flag, key, default, range and help
 * come from the same place. Loading is all-or-nothing and every error
 * names the file position or the flag at fault; config_yaml.c maps the
 * file onto the same table. Must not log, open sockets or keep global
 * state; the caller decides what to print.
 */
#include "config.h"
#include "config_yaml.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "biothings/limits.h"
#include "ring_set.h"
#include "route.h"
#include "units.h"

#define FIELD(f) offsetof(struct obs_config, f), sizeof(((struct obs_config *)0)->f)
#define MS 1000000ull
#define SEC 1000000000ull
#define RINGBUF_MIN (64u << 10)

const struct config_opt config_opts[] = {
	{ "listen", "listen", 0, OT_LISTEN, FIELD(listen), 0, 0, false, "127.0.0.1:9464",
	  "HOST:PORT", "address of the /metrics endpoint; \":PORT\" listens on all addresses" },
	{ "state_dir", "state-dir", 0, OT_PATH, FIELD(state_dir), 0, 0, false,
	  "/var/lib/biothings-observer", "DIR", "directory for state kept across restarts" },
	{ "pin_dir", "pin-dir", 0, OT_PATH, FIELD(pin_dir), 0, 0, false, "/sys/fs/bpf/biothings",
	  "DIR", "bpffs directory where maps and programs are pinned" },
	{ NULL, "config", 0, OT_CONFIG, FIELD(config_path), 0, 0, false, NULL, "FILE",
	  "YAML config file, applied before the other flags" },
	{ NULL, "check-config", 0, OT_CHECK, FIELD(config_path), 0, 0, false, NULL, "FILE",
	  "validate FILE, print \"FILE: ok\" or the error and exit 0 or 1" },
	{ "log_level", "log-level", 0, OT_LEVEL, FIELD(log_level), 0, 0, false, "info", "LEVEL",
	  "debug, info, warn or error" },
	{ "capture.ringbuf_size", "ringbuf-size", 0, OT_SIZE, FIELD(ringbuf_bytes), RINGBUF_MIN,
	  1ull << 30, true, "32MiB", "SIZE", "kernel->daemon ring buffer, a power of two" },
	{ "capture.ringbuf_per_cpu", "ringbuf-per-cpu", 0, OT_SIZE, FIELD(ringbuf_per_cpu_bytes), 0,
	  1ull << 30, true, "auto", "SIZE|auto",
	  "each online CPU's ring buffer for HTTP records and request heads, a power of two >= "
	  "64KiB; auto: 2MiB up to 16 CPUs, then 32MiB shared out, 512KiB at least; 0: all "
	  "records on the shared one" },
	{ "capture.max_connections", "max-connections", 0, OT_U32, FIELD(max_connections), 1,
	  1 << 24, false, "65536", "N", "connections tracked at once in the kernel" },
	{ "capture.poll_interval", "poll-interval", 0, OT_DURATION, FIELD(poll_interval_ns), MS,
	  10 * SEC, false, "10ms", "DURATION", "longest wait for ring buffer data" },
	{ "capture.gc_interval", "gc-interval", 0, OT_DURATION, FIELD(gc_interval_ns), SEC,
	  86400 * SEC, false, "10s", "DURATION", "period of the stale-connection sweep" },
	{ "capture.ignore", NULL, 0, OT_IGNORE, 0, 0, 0, 0, false, NULL, NULL,
	  "processes left alone in the kernel: list of {comm, cgroup} rules" },
	{ "capture.sched_policy", "sched-policy", 0, OT_CHOICE, FIELD(sched_policy), 0, 0, false,
	  "batch", "batch|normal",
	  "scheduling of the daemon's threads: batch (never preempts the observed processes "
	  "when it wakes) or normal" },
	{ "capture.hooks", "capture-hooks", 0, OT_CHOICE, FIELD(capture_hooks), 0, 0, false,
	  "socket", "socket|syscall",
	  "socket (socket-layer tracepoints: only socket I/O pays) or syscall (syscall "
	  "tracepoints: adds setuid and pre-SYN connect() probes, every syscall pays)" },
	{ "capture.framing", "capture-framing", 0, OT_CHOICE, FIELD(capture_framing), 0, 0, false,
	  "full", "full|boundary",
	  "full (every message framed to its end: exact sizes, pipelining) or boundary (a "
	  "call's first bytes only: a request is reported when the next one starts or its "
	  "connection is quiet; less kernel work per call)" },
	{ "capture.framing_idle", "framing-idle", 0, OT_DURATION, FIELD(framing_idle_ns), 100 * MS,
	  3600 * SEC, false, "2s", "DURATION",
	  "boundary framing: an answered request whose connection has been quiet this long is "
	  "reported then, not at its connection's next request or close" },
	{ "http.max_routes_per_service", "max-routes-per-service", 0, OT_U32,
	  FIELD(max_routes_per_service), 0, 100000, false, "100", "N",
	  "distinct http_route values per service before " ROUTE_OVERFLOW },
	{ "http.routes", NULL, 0, OT_ROUTES, 0, 0, 0, 0, false, NULL, NULL,
	  "route patterns such as /api/experiments/{id}" },
	{ "metrics.max_series", "max-series", 0, OT_U32, FIELD(max_series), 1, 10000000, false,
	  "10000", "N", "metric series kept before new ones are dropped" },
	{ "services", NULL, 0, OT_SERVICES, 0, 0, 0, 0, false, NULL, NULL,
	  "service_name rules: name plus match on comm, exe, cgroup, port" },
	{ "llm.hosts", NULL, 0, OT_LLM_HOSTS, 0, 0, 0, 0, false, NULL, NULL,
	  "host -> LLM provider map, consulted before the built-in table" },
	{ "llm.capture_paths", NULL, 0, OT_CAPTURE_PATHS, 0, 0, 0, 0, false, NULL, NULL,
	  "request-path suffixes whose exchanges the kernel captures for LLM accounting" },
	{ "llm.max_body_size", "llm-max-body-size", 0, OT_SIZE, FIELD(llm_max_body_bytes), 4096,
	  1ull << 30, false, "16MiB", "SIZE", "LLM message body kept for parsing" },
	{ "llm.agent_types", NULL, 0, OT_AGENT_RULES, 0, 0, 0, 0, false, NULL, NULL,
	  "ordered agent_type rules: header, env, comm, exe or cgroup" },
	{ "llm.max_agent_types", "max-agent-types", 0, OT_U32, FIELD(max_agent_types), 1, 10000,
	  false, "50", "N", "distinct agent_type values before new ones become \"other\"" },
	{ "pricing", "pricing", 0, OT_PATH, FIELD(pricing_path), 0, 0, false, NULL, "FILE",
	  "LiteLLM-schema price file that adds to and overrides the built-in table" },
	{ "budgets.daily_usd", "daily-budget", 0, OT_USD, FIELD(budgets.daily_usd), 0, 0, false,
	  "200", "USD", "LLM spend allowed per day" },
	{ "budgets.monthly_usd", "monthly-budget", 0, OT_USD, FIELD(budgets.monthly_usd), 0, 0,
	  false, "3000", "USD", "LLM spend allowed per calendar month" },
	{ "budgets.daily_warn_ratio", NULL, 0, OT_RATIO, FIELD(budgets.daily_warn_ratio), 0, 0,
	  false, "0.8", "RATIO", "daily status turns warning past this share of the budget" },
	{ "budgets.monthly_warn_ratio", NULL, 0, OT_RATIO, FIELD(budgets.monthly_warn_ratio), 0, 0,
	  false, "0.9", "RATIO", "monthly status turns warning past this share of the budget" },
	{ "budgets.daily_critical_usd", "daily-critical", 0, OT_USD,
	  FIELD(budgets.daily_critical_usd), 0, 0, false, "500", "USD",
	  "daily status turns critical past this spend (>= the daily budget)" },
	{ "budgets.timezone", "budget-timezone", 0, OT_ZONE, FIELD(budgets.timezone), 0, 0, false,
	  "UTC", "ZONE", "IANA time zone whose midnight starts a budget day" },
	{ "business.events", NULL, 0, OT_BIZ_EVENTS, 0, 0, 0, 0, false, NULL, NULL,
	  "rules turning served HTTP requests into business events" },
	{ "business.weights", NULL, 0, OT_BIZ_WEIGHTS, 0, 0, 0, 0, false, NULL, NULL,
	  "productivity score weight per category (experiment, publication, discovery, other)" },
	{ "log_format", "log-format", 0, OT_CHOICE, FIELD(log_format), 0, 0, false, "json",
	  "json|ecs|text", "json (one object per line), ecs (Elastic Common Schema) or text" },
	{ "log_file", "log-file", 0, OT_PATH, FIELD(log_file), 0, 0, false, NULL, "FILE",
	  "append log lines to FILE instead of stdout" },
	{ "logs.retention", "log-retention", 0, OT_DURATION, FIELD(log_retention_ns), 3600 * SEC,
	  3650ull * 86400 * SEC, false, "30d", "DURATION",
	  "how long stored log and audit entries are kept" },
	{ "logs.audit_exec", NULL, 0, OT_STR, FIELD(audit_exec), 0, 0, false, NULL, NULL,
	  "exe glob of process execs written to the audit trail (none by default)" },
	{ "security.disabled", NULL, 0, OT_SEC_DISABLED, 0, 0, 0, 0, false, NULL, NULL,
	  "security event types not raised (e.g. [scanner, xss])" },
	{ "security.allow_sources", NULL, 0, OT_SEC_ALLOW, 0, 0, 0, 0, false, NULL, NULL,
	  "client addresses the request detectors never alert on (up to 16)" },
	{ "security.auth_fail_count", NULL, 0, OT_U32, FIELD(detect.auth_fail_count), 1, 1000000,
	  false, NULL, "N", "401/403 answers to one client that make an auth_failure_burst (5)" },
	{ "security.auth_fail_window", NULL, 0, OT_DURATION, FIELD(detect.auth_fail_window_ns), SEC,
	  86400 * SEC, false, NULL, "DURATION", "window of auth_fail_count (5m)" },
	{ "security.scanner_404_count", NULL, 0, OT_U32, FIELD(detect.scanner_404_count), 1,
	  1000000, false, NULL, "N", "404s from one client that make a scanner (20)" },
	{ "security.scanner_distinct_paths", NULL, 0, OT_U32, FIELD(detect.scanner_distinct_paths),
	  1, 1000000, false, NULL, "N", "distinct paths from one client that make a scanner (50)" },
	{ "security.scanner_window", NULL, 0, OT_DURATION, FIELD(detect.scanner_window_ns), SEC,
	  86400 * SEC, false, NULL, "DURATION", "window of the scanner counts (1m)" },
	{ "security.ratelimit_429_count", NULL, 0, OT_U32, FIELD(detect.ratelimit_429_count), 1,
	  1000000, false, NULL, "N",
	  "429 answers to one client that make a rate_limit_violation (10)" },
	{ "security.ratelimit_window", NULL, 0, OT_DURATION, FIELD(detect.ratelimit_window_ns), SEC,
	  86400 * SEC, false, NULL, "DURATION", "window of ratelimit_429_count (1m)" },
	{ "security.llm_rate_factor", NULL, 0, OT_FACTOR, FIELD(detect.llm_rate_factor), 0, 0,
	  false, NULL, "X",
	  "LLM calls or spend per minute above X times the agent's baseline (5)" },
	{ "security.llm_min_calls_per_min", NULL, 0, OT_U32, FIELD(detect.llm_min_calls_per_min), 1,
	  1000000, false, NULL, "N", "never a runaway below this many calls a minute (30)" },
	{ "security.llm_baseline", NULL, 0, OT_DURATION, FIELD(detect.llm_baseline_ns), 60 * SEC,
	  86400 * SEC, false, NULL, "DURATION", "history that forms an agent's baseline (30m)" },
	{ "security.llm_repeat_count", NULL, 0, OT_U32, FIELD(detect.llm_repeat_count), 2, 1000000,
	  false, NULL, "N", "identical LLM requests that make a loop (10)" },
	{ "security.llm_repeat_window", NULL, 0, OT_DURATION, FIELD(detect.llm_repeat_window_ns),
	  SEC, 86400 * SEC, false, NULL, "DURATION", "window of llm_repeat_count (1m)" },
	{ "security.inspect_request_bytes", "inspect-request-bytes", 0, OT_SIZE,
	  FIELD(inspect_bytes), 0, BT_INSPECT_MAX, false, "2KiB", "SIZE",
	  "first bytes of each served request (headers, body start) the detectors read; 0: the "
	  "request line only" },
	{ "security.exfil_bytes", NULL, 0, OT_SIZE, FIELD(exfil_bytes), 1024, 1ull << 50, false,
	  "100MiB", "SIZE",
	  "bytes one process sends to one destination that make data_exfiltration" },
	{ "security.exfil_window", NULL, 0, OT_DURATION, FIELD(exfil_window_ns), SEC, 86400 * SEC,
	  false, "1m", "DURATION", "window of exfil_bytes" },
	{ "security.exfil_allow", NULL, 0, OT_CIDRS, 0, 0, 0, 0, false, NULL, NULL,
	  "destination networks never counted as exfiltration (default loopback)" },
	{ "checks", NULL, 0, OT_CHECKS, 0, 0, 0, 0, false, NULL, NULL,
	  "active checks: name, type (tcp, http, redis, postgres, filesystem), target or path" },
	{ "db.ports", NULL, 0, OT_DB_PORTS, 0, 0, 0, 0, false, NULL, NULL,
	  "server port -> database protocol of client connections (default 6379: redis, "
	  "5432: postgresql)" },
	{ "sla.objective", "sla-objective", 0, OT_RATIO, FIELD(sla_objective), 0, 0, false, "0.999",
	  "RATIO", "share of requests that must be good (not 5xx, under the latency target)" },
	{ "sla.latency_target", "sla-latency-target", 0, OT_DURATION, FIELD(sla_latency_ns), MS,
	  3600 * SEC, false, "2s", "DURATION", "a request slower than this is not good" },
	{ "performance.api_warning", NULL, 0, OT_DURATION, FIELD(perf_api_warn_ns), MS, 3600 * SEC,
	  false, "1s", "DURATION", "p95 of a served route past this is a warning" },
	{ "performance.api_critical", NULL, 0, OT_DURATION, FIELD(perf_api_crit_ns), MS, 3600 * SEC,
	  false, "3s", "DURATION", "p95 of a served route past this is critical" },
	{ "performance.agent_warning", NULL, 0, OT_DURATION, FIELD(perf_agent_warn_ns), MS,
	  3600 * SEC, false, "5s", "DURATION",
	  "p95 of an agent's LLM calls past this is a warning" },
	{ "performance.agent_critical", NULL, 0, OT_DURATION, FIELD(perf_agent_crit_ns), MS,
	  3600 * SEC, false, "15s", "DURATION",
	  "p95 of an agent's LLM calls past this is critical" },
	{ "performance.db_warning", NULL, 0, OT_DURATION, FIELD(perf_db_warn_ns), MS, 3600 * SEC,
	  false, "500ms", "DURATION", "p95 of database operations past this is a warning" },
	{ "performance.db_critical", NULL, 0, OT_DURATION, FIELD(perf_db_crit_ns), MS, 3600 * SEC,
	  false, "2s", "DURATION", "p95 of database operations past this is critical" },
	{ "history.interval", "history-interval", 0, OT_DURATION, FIELD(history_interval_ns), SEC,
	  3600 * SEC, false, "10s", "DURATION",
	  "how often health and metric snapshots are stored" },
	{ "history.retention", "history-retention", 0, OT_DURATION, FIELD(history_retention_ns),
	  3600 * SEC, 3650ull * 86400 * SEC, false, "30d", "DURATION",
	  "how long health history and snapshots are kept" },
	{ "resources.cpu_warning", NULL, 0, OT_RATIO, FIELD(res.cpu_warn), 0, 0, false, "0.85",
	  "RATIO", "CPU utilisation that makes the host degraded" },
	{ "resources.cpu_critical", NULL, 0, OT_RATIO, FIELD(res.cpu_crit), 0, 0, false, "0.95",
	  "RATIO", "CPU utilisation that makes the host unhealthy" },
	{ "resources.memory_warning", NULL, 0, OT_RATIO, FIELD(res.mem_warn), 0, 0, false, "0.8",
	  "RATIO", "memory utilisation that makes the host degraded" },
	{ "resources.memory_critical", NULL, 0, OT_RATIO, FIELD(res.mem_crit), 0, 0, false, "0.9",
	  "RATIO", "memory utilisation that makes the host unhealthy" },
	{ "resources.disk_warning", NULL, 0, OT_RATIO, FIELD(res.disk_warn), 0, 0, false, "0.85",
	  "RATIO", "disk utilisation that makes the host degraded" },
	{ "resources.disk_critical", NULL, 0, OT_RATIO, FIELD(res.disk_crit), 0, 0, false, "0.95",
	  "RATIO", "disk utilisation that makes the host unhealthy" },
	{ "traces.endpoint", "traces-endpoint", 0, OT_URL, FIELD(traces_endpoint), 0, 0, false,
	  NULL, "URL",
	  "OTLP/HTTP collector (e.g. http://127.0.0.1:4318): spans of requests and LLM calls" },
	{ "traces.sample_ratio", "traces-sample-ratio", 0, OT_RATIO, FIELD(traces_sample_ratio), 0,
	  0, false, "1", "RATIO", "share of traces exported" },
	{ "traces.queue_size", NULL, 0, OT_U32, FIELD(traces_queue), 1, 1000000, false, "4096", "N",
	  "spans held while the collector is slow or down; past it spans are dropped and counted" },
	{ "traces.batch_size", NULL, 0, OT_U32, FIELD(traces_batch), 1, 100000, false, "512", "N",
	  "spans per export request" },
	{ "traces.flush_interval", NULL, 0, OT_DURATION, FIELD(traces_flush_ns), 10 * MS, 600 * SEC,
	  false, "2s", "DURATION", "longest wait before a partial batch is sent" },
	{ "api.token_file", "api-token-file", 0, OT_PATH, FIELD(api_token_file), 0, 0, false, NULL,
	  "FILE", "bearer token required by the API (also $BIOTHINGS_API_TOKEN)" },
	{ "api.auth_scope", "api-auth-scope", 0, OT_CHOICE, FIELD(api_auth_scope), 0, 0, false,
	  "all", "all|writes", "with a token: all endpoints, or only writes (POST)" },
	{ "api.tls_cert", "api-tls-cert", 0, OT_PATH, FIELD(api_tls_cert), 0, 0, false, NULL,
	  "FILE", "PEM certificate: serve the API over HTTPS (with api.tls_key)" },
	{ "api.tls_key", "api-tls-key", 0, OT_PATH, FIELD(api_tls_key), 0, 0, false, NULL, "FILE",
	  "PEM private key of api.tls_cert" },
	{ "api.max_connections", "api-max-connections", 0, OT_U32, FIELD(api_max_connections), 1,
	  10000, false, "64", "N", "API connections at once" },
	{ NULL, "help", 'h', OT_HELP, 0, 0, 0, 0, false, NULL, NULL, "show this help and exit" },
	{ NULL, "version", 'V', OT_VERSION, 0, 0, 0, 0, false, NULL, NULL,
	  "print the version and exit" },
};

#define N_OPTS (sizeof(config_opts) / sizeof(config_opts[0]))
_Static_assert(N_OPTS <= CONFIG_OPTS_MAX, "config_opts indices must fit the duplicate-key mask");
const size_t config_n_opts = N_OPTS;

static const char *const log_levels[] = { "debug", "info", "warn", "error" };

int config_say(int code, char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (buf && len) {
		va_start(ap, fmt);
		vsnprintf(buf, len, fmt, ap);
		va_end(ap);
	}
	return code;
}

const char *config_shown(const char *s, char *buf, size_t len)
{
	size_t i;

	for (i = 0; s && s[i] && i + 1 < len; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	buf[i] = '\0';
	if (s && s[i])
		memcpy(buf + (i > 3 ? i - 3 : 0), "...", i > 3 ? 4 : 0);
	return buf;
}

static void *field(const struct config_opt *o, struct obs_config *c)
{
	return (char *)c + o->off;
}

int config_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

/* Range bound as the user would write it ("64KiB", "1ms", "100"). */
static const char *fmt_bound(const struct config_opt *o, uint64_t v, char *buf, size_t len)
{
	if (o->type == OT_SIZE)
		units_format_size(v, buf, len);
	else if (o->type == OT_DURATION)
		units_format_duration(v, buf, len);
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
	return buf;
}

/* A size whose metavar offers "auto" (a 64-bit field) takes the word. */
static bool takes_auto(const struct config_opt *o)
{
	return o->type == OT_SIZE && o->size == sizeof(uint64_t) && strstr(o->metavar, "|auto");
}

static int set_number(const struct config_opt *o, struct obs_config *c, const char *val, char *why,
		      size_t whylen)
{
	static const char *const want[] = { [OT_SIZE] = "a size such as 8MiB or 65536",
					    [OT_DURATION] = "a duration such as 50ms or 1h30m",
					    [OT_U32] = "a whole number" };
	char a[UNITS_FMT_MAX], b[UNITS_FMT_MAX], v[48];
	uint64_t n;
	int err;

	if (takes_auto(o) && !strcmp(val, "auto")) {
		*(uint64_t *)field(o, c) = RING_SET_AUTO;
		return 0;
	}
	if (o->type == OT_SIZE)
		err = units_parse_size(val, &n);
	else if (o->type == OT_DURATION)
		err = units_parse_duration(val, &n);
	else
		err = config_parse_u64(val, &n);
	if (err == -EINVAL)
		return config_say(-EINVAL, why, whylen, "'%s' is not %s%s",
				  config_shown(val, v, sizeof(v)), want[o->type],
				  takes_auto(o) ? ", or auto" : "");
	if (err || n < o->min || n > o->max)
		return config_say(-EINVAL, why, whylen, "'%s' is out of range (%s to %s)",
				  config_shown(val, v, sizeof(v)),
				  fmt_bound(o, o->min, a, sizeof(a)),
				  fmt_bound(o, o->max, b, sizeof(b)));
	if (o->pow2 && (n & (n - 1)))
		return config_say(-EINVAL, why, whylen,
				  "'%s' is not a power of two (e.g. 4MiB, 8MiB, 16MiB)",
				  config_shown(val, v, sizeof(v)));
	if (o->size == sizeof(uint32_t))
		*(uint32_t *)field(o, c) = (uint32_t)n;
	else
		*(uint64_t *)field(o, c) = n;
	return 0;
}

/* Dollars and ratios: plain decimal numbers, finite, in range. */
static int set_double(const struct config_opt *o, struct obs_config *c, const char *val, char *why,
		      size_t whylen)
{
	bool ratio = o->type == OT_RATIO;
	double hi = ratio ? 1.0 : o->type == OT_FACTOR ? 1e6 : 1e12;
	char v[48], *end;
	double d;

	errno = 0;
	d = strtod(val, &end);
	if (end == val || *end || errno || !isfinite(d) || strpbrk(val, "xXnN"))
		return config_say(-EINVAL, why, whylen, "'%s' is not %s",
				  config_shown(val, v, sizeof(v)),
				  ratio		       ? "a ratio such as 0.8" :
				  o->type == OT_FACTOR ? "a number such as 5" :
							 "an amount such as 200 or 12.5");
	if (d <= 0 || d > hi)
		return config_say(-EINVAL, why, whylen,
				  "'%s' is out of range (above 0, at most %s)",
				  config_shown(val, v, sizeof(v)), ratio ? "1" : "1e12");
	*(double *)field(o, c) = d;
	return 0;
}

/* val is one of the '|'-separated words of choices; else "'x' is not a, b or c". */
static int check_choice(const char *val, const char *choices, char *why, size_t whylen)
{
	char list[128], v[64];
	size_t len = strlen(val), at = 0;
	const char *p = choices;

	for (;;) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);

		if (n == len && !strncmp(p, val, n))
			return 0;
		at += snprintf(list + at, sizeof(list) - at, "%s%.*s",
			       p == choices ? "" :
			       bar	    ? ", " :
					      " or ",
			       (int)n, p);
		if (!bar || at >= sizeof(list))
			break;
		p = bar + 1;
	}
	return config_say(-EINVAL, why, whylen, "'%s' is not %s", config_shown(val, v, sizeof(v)),
			  list);
}

/* Zone names as the tz database spells them; whether the zone exists is checked at start. */
static bool zone_name_ok(const char *z)
{
	if (z[0] == '/' || strstr(z, ".."))
		return false;
	for (; *z; z++) {
		if (!isalnum((unsigned char)*z) && !strchr("/_+-", *z))
			return false;
	}
	return true;
}

static int check_text(const struct config_opt *o, const char *val, char *why, size_t whylen)
{
	char host[128], v[48];
	uint16_t port;

	switch (o->type) {
	case OT_PATH:
		if (val[0] != '/')
			return config_say(-EINVAL, why, whylen, "'%s' is not an absolute path",
					  config_shown(val, v, sizeof(v)));
		return 0;
	case OT_LISTEN:
		if (obs_config_split_listen(val, host, sizeof(host), &port))
			return config_say(-EINVAL, why, whylen,
					  "'%s' is not HOST:PORT, [IPV6]:PORT or :PORT",
					  config_shown(val, v, sizeof(v)));
		return 0;
	case OT_CHOICE:
		return check_choice(val, o->metavar, why, whylen);
	case OT_URL:
		if ((strncmp(val, "http://", 7) && strncmp(val, "https://", 8)) || strchr(val, ' '))
			return config_say(-EINVAL, why, whylen,
					  "'%s' is not an http:// or https:// URL",
					  config_shown(val, v, sizeof(v)));
		return 0;
	case OT_ZONE:
		if (!zone_name_ok(val))
			return config_say(
				-EINVAL, why, whylen,
				"'%s' is not a time zone name such as UTC or Europe/Berlin",
				config_shown(val, v, sizeof(v)));
		return 0;
	case OT_LEVEL:
		for (size_t i = 0; i < sizeof(log_levels) / sizeof(log_levels[0]); i++) {
			if (!strcmp(val, log_levels[i]))
				return 0;
		}
		return config_say(-EINVAL, why, whylen,
				  "'%s' is not one of debug, info, warn, error",
				  config_shown(val, v, sizeof(v)));
	default:
		return 0;
	}
}

int config_opt_set(const struct config_opt *o, struct obs_config *c, const char *val, char *why,
		   size_t whylen)
{
	int err;

	switch (o->type) {
	case OT_SIZE:
	case OT_DURATION:
	case OT_U32:
		return set_number(o, c, val, why, whylen);
	case OT_USD:
	case OT_RATIO:
	case OT_FACTOR:
		return set_double(o, c, val, why, whylen);
	case OT_STR:
	case OT_ZONE:
	case OT_CHOICE:
	case OT_URL:
	case OT_PATH:
	case OT_LISTEN:
	case OT_LEVEL:
	case OT_CONFIG:
	case OT_CHECK:
		if (!*val)
			return config_say(-EINVAL, why, whylen, "empty value");
		if (strlen(val) >= o->size)
			return config_say(-EINVAL, why, whylen, "longer than %zu bytes",
					  o->size - 1);
		err = check_text(o, val, why, whylen);
		if (err)
			return err;
		strcpy(field(o, c), val);
		return 0;
	default:
		return config_say(-EINVAL, why, whylen, "takes no value");
	}
}

const char *const obs_default_capture_paths[] = {
	"/chat/completions",
	"/completions",
	"/responses",
	"/embeddings",
	"/messages",
	":generateContent",
	":streamGenerateContent",
	"/api/chat",
	"/api/generate",
	"/api/embed",
	"/v1/chat",
	"/v2/chat",
	"/v1/embed",
	"/v2/embed",
	NULL,
};

/* Left empty when memory runs out: the caller then captures nothing, which is safe. */
static void default_capture_paths(struct obs_config *c)
{
	size_t n = 0;

	while (obs_default_capture_paths[n])
		n++;
	c->capture_paths = calloc(n, sizeof(char *));
	if (!c->capture_paths)
		return;
	for (size_t i = 0; i < n; i++) {
		c->capture_paths[i] = strdup(obs_default_capture_paths[i]);
		if (!c->capture_paths[i])
			return;
		c->n_capture_paths++;
	}
}

void obs_config_defaults(struct obs_config *c)
{
	memset(c, 0, sizeof(*c));
	detect_cfg_defaults(&c->detect); /* security.* keys without a table default */
	cidr_parse("127.0.0.0/8", &c->exfil_allow[c->n_exfil_allow++]);
	cidr_parse("::1/128", &c->exfil_allow[c->n_exfil_allow++]);
	c->db_ports[c->n_db_ports++] = (struct db_port){ 6379, "redis" };
	c->db_ports[c->n_db_ports++] = (struct db_port){ 5432, "postgresql" };
	for (size_t i = 0; i < N_OPTS; i++) {
		if (config_opts[i].def)
			config_opt_set(&config_opts[i], c, config_opts[i].def, NULL, 0);
	}
	default_capture_paths(c);
	business_weights_defaults(&c->biz_weights);
}

int obs_config_validate(const struct obs_config *c, char *err, size_t errlen)
{
	char why[256];

	if (budget_cfg_check(&c->budgets, why, sizeof(why)))
		return config_say(-EINVAL, err, errlen, "budgets: %s", why);
	if (detect_cfg_check(&c->detect, why, sizeof(why)))
		return config_say(-EINVAL, err, errlen, "security: %s", why);
	if (c->ringbuf_per_cpu_bytes && c->ringbuf_per_cpu_bytes < RINGBUF_MIN)
		return config_say(-EINVAL, err, errlen,
				  "capture.ringbuf_per_cpu: 0, auto or at least 64KiB");
	if (!c->api_tls_cert[0] != !c->api_tls_key[0])
		return config_say(-EINVAL, err, errlen,
				  "api: tls_cert and tls_key go together (one is missing)");
	return 0;
}

void obs_config_free(struct obs_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_routes; i++)
		free(c->routes[i]);
	free(c->routes);
	free(c->services);
	c->routes = NULL;
	c->services = NULL;
	c->n_routes = 0;
	c->n_services = 0;
	for (size_t i = 0; i < c->n_capture_paths; i++)
		free(c->capture_paths[i]);
	free(c->capture_paths);
	free(c->llm_hosts);
	free(c->agent_rules);
	free(c->biz_rules);
	free(c->checks);
	c->checks = NULL;
	c->n_checks = 0;
	c->agent_rules = NULL;
	c->biz_rules = NULL;
	c->n_agent_rules = 0;
	c->n_biz_rules = 0;
	c->capture_paths = NULL;
	c->llm_hosts = NULL;
	c->n_capture_paths = 0;
	c->n_llm_hosts = 0;
}

/* ---- listen address ---- */

static bool host_ok(const char *h, size_t n, bool v6)
{
	char buf[INET6_ADDRSTRLEN + 1];
	unsigned char addr[sizeof(struct in6_addr)];
	const char *zone = v6 ? memchr(h, '%', n) : NULL;
	size_t an = zone ? (size_t)(zone - h) : n;
	bool digits_dots = true;

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)h[i];
		bool ok = (ch >= '0' && ch <= '9') || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z') ||
			  ch == '.' || ch == '-' || (v6 && (ch == ':' || ch == '%' || ch == '_'));

		if (!ok)
			return false;
		digits_dots &= (ch >= '0' && ch <= '9') || ch == '.';
	}
	if (!v6 && !(n && digits_dots))
		return true; /* a host name (or "" = any address) */
	if (!an || an >= sizeof(buf) || (zone && an + 1 == n))
		return false;
	memcpy(buf, h, an);
	buf[an] = '\0';
	return inet_pton(v6 ? AF_INET6 : AF_INET, buf, addr) == 1;
}

int obs_config_split_listen(const char *listen, char *host, size_t hostlen, uint16_t *port)
{
	const char *h, *colon;
	uint64_t p;
	size_t hl;
	bool v6;

	if (!listen || !host || !hostlen || !port)
		return -EINVAL;
	v6 = listen[0] == '[';
	if (v6) {
		const char *close = strchr(listen, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		h = listen + 1;
		colon = close + 1;
	} else {
		colon = strrchr(listen, ':');
		if (!colon)
			return -EINVAL;
		h = listen;
	}
	hl = (size_t)(colon - h) - (v6 ? 1 : 0);
	if (hl >= hostlen || !host_ok(h, hl, v6) || (v6 && !hl))
		return -EINVAL;
	if (strlen(colon + 1) > 5 || config_parse_u64(colon + 1, &p) || p < 1 || p > 65535)
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = (uint16_t)p;
	return 0;
}

int obs_config_load_file(struct obs_config *c, const char *path, char *err, size_t errlen)
{
	size_t total = 0;
	char *buf;
	ssize_t n;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ret = errno, config_say(-ret, err, errlen, "%s: %s", path, strerror(ret));
	buf = malloc(OBS_CONFIG_FILE_MAX + 1);
	if (!buf) {
		ret = config_say(-ENOMEM, err, errlen, "%s: out of memory", path);
		goto close_fd;
	}
	/* one byte over the limit tells a too-large file from one exactly at it */
	while (total <= OBS_CONFIG_FILE_MAX &&
	       (n = read(fd, buf + total, OBS_CONFIG_FILE_MAX + 1 - total)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = errno;
			ret = config_say(-ret, err, errlen, "%s: %s", path, strerror(ret));
			goto free_buf;
		}
		total += (size_t)n;
	}
	ret = obs_config_load_buffer(c, path, buf, total, err, errlen);
free_buf:
	free(buf);
close_fd:
	close(fd);
	return ret;
}

/* ---- flags ---- */

static bool takes_value(const struct config_opt *o)
{
	return o->type != OT_HELP && o->type != OT_VERSION;
}

/* Option named by argv[*i] and its value (consuming argv[*i + 1] if needed). */
static const struct config_opt *next_flag(int argc, char **argv, int *i, const char **val,
					  char *err, size_t errlen)
{
	const char *arg = argv[*i], *eq = NULL;
	char s[48];
	size_t n = 0;

	if (arg[0] == '-' && arg[1] == '-' && arg[2]) {
		eq = strchr(arg + 2, '=');
		n = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
	}
	for (size_t k = 0; k < N_OPTS; k++) {
		const struct config_opt *o = &config_opts[k];
		bool hit = n ? o->flag && strlen(o->flag) == n && !strncmp(o->flag, arg + 2, n) :
			       o->short_flag && arg[0] == '-' && arg[1] == o->short_flag && !arg[2];

		if (!hit)
			continue;
		*val = eq ? eq + 1 : NULL;
		if (!takes_value(o) && eq) {
			config_say(-EINVAL, err, errlen, "--%s takes no value", o->flag);
			return NULL;
		}
		if (takes_value(o) && !eq && *i + 1 >= argc) {
			config_say(-EINVAL, err, errlen, "--%s needs a value (%s)", o->flag,
				   o->metavar);
			return NULL;
		}
		if (takes_value(o) && !eq)
			*val = argv[++*i];
		return o;
	}
	config_say(-EINVAL, err, errlen, "%s '%s' (see --help)",
		   arg[0] == '-' ? "unknown option" : "unexpected argument",
		   config_shown(arg, s, sizeof(s)));
	return NULL;
}

/* Second pass: every value flag on top of defaults and the config file. */
static int apply_flags(struct obs_config *c, int argc, char **argv, char *err, size_t errlen)
{
	char why[256];
	const char *val;

	for (int i = 1; i < argc; i++) {
		const struct config_opt *o = next_flag(argc, argv, &i, &val, err, errlen);

		if (!o)
			return -EINVAL;
		if (o->type == OT_CONFIG || o->type == OT_CHECK || !takes_value(o))
			continue;
		if (config_opt_set(o, c, val, why, sizeof(why)))
			return config_say(-EINVAL, err, errlen, "--%s: %s", o->flag, why);
	}
	return 0;
}

int obs_config_parse_args(struct obs_config *c, int argc, char **argv, int *action, char *err,
			  size_t errlen)
{
	const struct config_opt *file_opt = NULL;
	const char *file = NULL, *val;
	char why[256];
	int ret;

	*action = OBS_RUN;
	for (int i = 1; i < argc; i++) {
		const struct config_opt *o = next_flag(argc, argv, &i, &val, err, errlen);

		if (!o)
			return -EINVAL;
		if (o->type == OT_HELP || o->type == OT_VERSION) {
			*action = o->type == OT_HELP ? OBS_HELP : OBS_VERSION;
			return 0;
		}
		/* --check-config beats --config whatever the order */
		if (o->type == OT_CHECK || (o->type == OT_CONFIG && *action != OBS_CHECK_CONFIG)) {
			file = val;
			file_opt = o;
			*action = o->type == OT_CHECK ? OBS_CHECK_CONFIG : OBS_RUN;
		}
	}
	if (file && config_opt_set(file_opt, c, file, why, sizeof(why)))
		return config_say(-EINVAL, err, errlen, "--%s: %s", file_opt->flag, why);
	if (*action == OBS_CHECK_CONFIG)
		return 0;
	if (file) {
		ret = obs_config_load_file(c, file, err, errlen);
		if (ret)
			return ret;
	}
	return apply_flags(c, argc, argv, err, errlen);
}

void obs_config_usage(FILE *out, const char *prog)
{
	fprintf(out,
		"Usage: %s [OPTIONS]\n"
		"eBPF observer: HTTP metrics of unmodified processes for Prometheus.\n"
		"Precedence: defaults < --config file < other flags.\n\nOptions:\n",
		prog ? prog : "biothings-observer");
	for (size_t i = 0; i < N_OPTS; i++) {
		const struct config_opt *o = &config_opts[i];
		char lhs[64];

		if (!o->flag)
			continue;
		if (o->short_flag)
			snprintf(lhs, sizeof(lhs), "-%c, --%s", o->short_flag, o->flag);
		else
			snprintf(lhs, sizeof(lhs), "--%s %s", o->flag,
				 o->metavar ? o->metavar : "");
		fprintf(out, "  %-30s %s\n", lhs, o->help);
		if (o->def)
			fprintf(out, "  %-30s (default %s; config key %s)\n", "", o->def, o->key);
	}
	fprintf(out, "\nConfig file only:\n");
	for (size_t i = 0; i < N_OPTS; i++) {
		const struct config_opt *o = &config_opts[i];

		if (o->flag)
			continue;
		fprintf(out, "  %-30s %s\n", o->key, o->help);
		if (o->def)
			fprintf(out, "  %-30s (default %s)\n", "", o->def);
	}
	fprintf(out,
		"\nSizes: 64KiB, 8MiB, 1GiB (also kB, MB, GB). Durations: 500ms, 10s, 5m, 1h30m.\n"
		"Every key is described in docs/configuration.md.\n");
}
