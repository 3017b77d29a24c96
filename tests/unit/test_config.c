// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * config: defaults, the full YAML shape, every validation error with its
 * file position, all-or-nothing loading, flags and their precedence over
 * the file, --help text, listen addresses, and inputs meant to crash a
 * parser (garbage, deep nesting, huge scalars).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "ring_set.h"

static const char example[] =
	"listen: 127.0.0.1:9464\n"
	"state_dir: /var/lib/biothings-observer\n"
	"pin_dir: /sys/fs/bpf/biothings\n"
	"log_level: info\n"
	"capture:\n"
	"  ringbuf_size: 16MiB\n"
	"  max_connections: 1000\n"
	"  poll_interval: 20ms\n"
	"  gc_interval: 1m\n"
	"http:\n"
	"  max_routes_per_service: 50\n"
	"  routes:\n"
	"    - /api/experiments/{id}\n"
	"    - /api/users/{user}/runs/{run}\n"
	"metrics:\n"
	"  max_series: 20000\n"
	"services:\n"
	"  - name: lab-api\n"
	"    match: {comm: gunicorn, exe: \"/opt/lab/*\", cgroup: \"*/lab.slice/*\", port: 8080}\n"
	"  - name: worker\n"
	"    match:\n"
	"      comm: celery\n";

static char err[512];

static int load(struct obs_config *c, const char *text)
{
	err[0] = '\0';
	return obs_config_load_buffer(c, "t.yaml", text, strlen(text), err, sizeof(err));
}

static char *write_tmp(const char *text, size_t len)
{
	static char path[64];
	int fd;

	strcpy(path, "/tmp/test_config.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	return path;
}

static void test_defaults(void **state)
{
	struct obs_config c;

	(void)state;
	memset(&c, 0x5a, sizeof(c));
	obs_config_defaults(&c);
	assert_string_equal(c.listen, "127.0.0.1:9464");
	assert_string_equal(c.state_dir, "/var/lib/biothings-observer");
	assert_string_equal(c.pin_dir, "/sys/fs/bpf/biothings");
	assert_string_equal(c.config_path, "");
	assert_string_equal(c.log_level, "info");
	assert_true(c.ringbuf_bytes == 32u << 20);
	assert_true(c.ringbuf_per_cpu_bytes == RING_SET_AUTO);
	assert_int_equal(c.max_connections, 65536);
	assert_true(c.poll_interval_ns == 10000000ull);
	assert_string_equal(c.sched_policy, "batch");
	assert_string_equal(c.capture_framing, "full");
	assert_string_equal(c.capture_hooks, "socket");
	assert_true(c.gc_interval_ns == 10000000000ull);
	assert_int_equal(c.max_routes_per_service, 100);
	assert_int_equal(c.max_series, 10000);
	assert_null(c.routes);
	assert_int_equal(c.n_routes, 0);
	assert_null(c.services);
	assert_int_equal(c.n_services, 0);
	obs_config_free(&c);
	obs_config_free(NULL);
}

static void test_example(void **state)
{
	struct obs_config c;

	(void)state;
	obs_config_defaults(&c);
	if (load(&c, example))
		fail_msg("%s", err);
	assert_true(c.ringbuf_bytes == 16u << 20);
	assert_int_equal(c.max_connections, 1000);
	assert_true(c.poll_interval_ns == 20000000ull);
	assert_true(c.gc_interval_ns == 60000000000ull);
	assert_int_equal(c.max_routes_per_service, 50);
	assert_int_equal(c.max_series, 20000);
	assert_int_equal(c.n_routes, 2);
	assert_string_equal(c.routes[0], "/api/experiments/{id}");
	assert_string_equal(c.routes[1], "/api/users/{user}/runs/{run}");
	assert_int_equal(c.n_services, 2);
	assert_string_equal(c.services[0].name, "lab-api");
	assert_string_equal(c.services[0].comm, "gunicorn");
	assert_string_equal(c.services[0].exe, "/opt/lab/*");
	assert_string_equal(c.services[0].cgroup, "*/lab.slice/*");
	assert_int_equal(c.services[0].port, 8080);
	assert_string_equal(c.services[1].name, "worker");
	assert_string_equal(c.services[1].comm, "celery");
	assert_string_equal(c.services[1].exe, "");
	assert_int_equal(c.services[1].port, 0);
	obs_config_free(&c);
	assert_null(c.routes);
	assert_int_equal(c.n_services, 0);
}

struct bad_case {
	const char *yaml;
	const char *msg; /* expected prefix of err */
};

static void test_capture_ignore(void **state)
{
	struct obs_config c;

	(void)state;
	obs_config_defaults(&c);
	assert_int_equal(c.n_ignore, 0);
	assert_int_equal(load(&c, "capture:\n  ignore:\n    - comm: wrk\n"
				  "    - {cgroup: \"/batch.slice/*\", comm: python3}\n"),
			 0);
	assert_int_equal(c.n_ignore, 2);
	assert_string_equal(c.ignore[0].comm, "wrk");
	assert_string_equal(c.ignore[0].cgroup, "");
	assert_string_equal(c.ignore[1].comm, "python3");
	assert_string_equal(c.ignore[1].cgroup, "/batch.slice/*");
	/* a later file's list replaces the whole list; null empties it */
	assert_int_equal(load(&c, "capture:\n  ignore: [{comm: curl}]\n"), 0);
	assert_int_equal(c.n_ignore, 1);
	assert_string_equal(c.ignore[0].comm, "curl");
	assert_int_equal(load(&c, "log_level: warn\n"), 0);
	assert_int_equal(c.n_ignore, 1);
	assert_int_equal(load(&c, "capture:\n  ignore:\n"), 0);
	assert_int_equal(c.n_ignore, 0);
	/* a bad rule leaves what was loaded before */
	assert_int_equal(load(&c, "capture:\n  ignore: [{comm: a}]\n"), 0);
	assert_int_not_equal(load(&c, "capture:\n  ignore: [{comm: b}, {port: 1}]\n"), 0);
	assert_int_equal(c.n_ignore, 1);
	assert_string_equal(c.ignore[0].comm, "a");
	obs_config_free(&c);
}

/* capture.ringbuf_per_cpu: auto (the default), 0 (all on the shared
 * ring) or a ring's size */
static void test_ringbuf_per_cpu(void **state)
{
	struct obs_config c;

	(void)state;
	obs_config_defaults(&c);
	assert_true(c.ringbuf_per_cpu_bytes == RING_SET_AUTO);
	assert_int_equal(obs_config_validate(&c, err, sizeof(err)), 0);
	assert_int_equal(load(&c, "capture:\n  ringbuf_per_cpu: 0\n"), 0);
	assert_true(c.ringbuf_per_cpu_bytes == 0);
	assert_int_equal(obs_config_validate(&c, err, sizeof(err)), 0);
	assert_int_equal(load(&c, "capture:\n  ringbuf_per_cpu: 1MiB\n"), 0);
	assert_true(c.ringbuf_per_cpu_bytes == 1u << 20);
	assert_int_equal(obs_config_validate(&c, err, sizeof(err)), 0);
	/* too small for a ring: refused, the value before kept until then */
	assert_int_equal(load(&c, "capture:\n  ringbuf_per_cpu: 4KiB\n"), 0);
	assert_int_equal(obs_config_validate(&c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "capture.ringbuf_per_cpu: 0, auto or at least 64KiB");
	assert_int_equal(load(&c, "capture:\n  ringbuf_per_cpu: auto\n"), 0);
	assert_true(c.ringbuf_per_cpu_bytes == RING_SET_AUTO);
	assert_int_not_equal(load(&c, "capture:\n  ringbuf_per_cpu: automatic\n"), 0);
	assert_non_null(strstr(err, "or auto"));
	/* only this size takes the word */
	assert_int_not_equal(load(&c, "capture:\n  ringbuf_size: auto\n"), 0);
	assert_null(strstr(err, "or auto"));
	assert_int_not_equal(load(&c, "capture:\n  ringbuf_per_cpu: 3MiB\n"), 0);
	assert_non_null(strstr(err, "not a power of two"));
	assert_int_not_equal(load(&c, "capture:\n  ringbuf_per_cpu: 2GiB\n"), 0);
	assert_non_null(strstr(err, "out of range"));
	obs_config_free(&c);
}

static void test_errors(void **state)
{
	static const struct bad_case cases[] = {
		{ "listen: :1\nfoo: 1\n", "t.yaml:2:1: unknown key 'foo'" },
		{ "capture:\n  ringbuf_sizes: 8MiB\n",
		  "t.yaml:2:3: unknown key 'capture.ringbuf_sizes'" },
		{ "capture:\n  listen: :1\n", "t.yaml:2:3: unknown key 'capture.listen'" },
		{ "ringbuf_size: 8MiB\n", "t.yaml:1:1: unknown key 'ringbuf_size'" },
		{ "config: /x\n", "t.yaml:1:1: unknown key 'config'" },
		{ "listen: [a]\n", "t.yaml:1:9: listen: expected a single value, not a list" },
		{ "listen:\n", "t.yaml:1:8: listen: missing value" },
		{ "capture: 5\n", "t.yaml:1:10: capture: expected a mapping, not a value" },
		{ "capture:\n  sched_policy: fifo\n",
		  "t.yaml:2:17: capture.sched_policy: 'fifo' is not batch or normal" },
		{ "capture:\n  framing: bound\n",
		  "t.yaml:2:12: capture.framing: 'bound' is not full or boundary" },
		{ "capture:\n  framing: boundaryx\n",
		  "t.yaml:2:12: capture.framing: 'boundaryx' is not full or boundary" },
		{ "log_format: xml\n", "t.yaml:1:13: log_format: 'xml' is not json, ecs or text" },
		{ "capture:\n  poll_interval: 5x\n",
		  "t.yaml:2:18: capture.poll_interval: '5x' is not a duration" },
		{ "capture:\n  poll_interval: 50\n",
		  "t.yaml:2:18: capture.poll_interval: '50' is not a duration" },
		{ "capture:\n  poll_interval: 1h\n",
		  "t.yaml:2:18: capture.poll_interval: '1h' is out of range (1ms to 10s)" },
		{ "capture:\n  gc_interval: 1y\n",
		  "t.yaml:2:16: capture.gc_interval: '1y' is out of range" },
		{ "capture:\n  ringbuf_size: 3MiB\n",
		  "t.yaml:2:17: capture.ringbuf_size: '3MiB' is not a power of two" },
		{ "capture:\n  ringbuf_size: 32KiB\n",
		  "t.yaml:2:17: capture.ringbuf_size: '32KiB' is out of range (64KiB to 1GiB)" },
		{ "capture:\n  ringbuf_size: 8M\n",
		  "t.yaml:2:17: capture.ringbuf_size: '8M' is not a size" },
		{ "capture:\n  max_connections: 0\n",
		  "t.yaml:2:20: capture.max_connections: '0' is out of range" },
		{ "capture:\n  max_connections: -1\n",
		  "t.yaml:2:20: capture.max_connections: '-1' is not a whole number" },
		{ "capture:\n  max_connections: 99999999999999999999999\n",
		  "t.yaml:2:20: capture.max_connections: '99999999999999999999999' is out of range" },
		{ "capture:\n  max_connections: 1.5\n",
		  "t.yaml:2:20: capture.max_connections: '1.5' is not a whole number" },
		{ "metrics:\n  max_series: 0\n",
		  "t.yaml:2:15: metrics.max_series: '0' is out of range" },
		{ "http:\n  max_routes_per_service: 100001\n",
		  "t.yaml:2:27: http.max_routes_per_service: '100001' is out of range" },
		{ "log_level: verbose\n",
		  "t.yaml:1:12: log_level: 'verbose' is not one of debug, info, warn, error" },
		{ "listen: 127.0.0.1\n", "t.yaml:1:9: listen: '127.0.0.1' is not HOST:PORT" },
		{ "listen: 127.0.0.1:0\n", "t.yaml:1:9: listen: '127.0.0.1:0' is not HOST:PORT" },
		{ "state_dir: var/lib\n",
		  "t.yaml:1:12: state_dir: 'var/lib' is not an absolute path" },
		{ "pin_dir: \"\"\n", "t.yaml:1:10: pin_dir: empty value" },
		{ "listen: \"a\\0b:1\"\n", "t.yaml:1:9: listen: contains a NUL byte" },
		{ "capture:\n  ignore: {comm: wrk}\n",
		  "t.yaml:2:11: capture.ignore: expected a list of {comm, cgroup}, not a mapping" },
		{ "capture:\n  ignore: [{exe: /usr/bin/wrk}]\n",
		  "t.yaml:2:13: capture.ignore (keys: comm, cgroup): unknown key 'exe'" },
		{ "capture:\n  ignore: [{}]\n",
		  "t.yaml:2:12: capture.ignore: a rule needs comm, cgroup or both" },
		{ "capture:\n  ignore: [{comm: a-name-longer-than-15}]\n",
		  "t.yaml:2:19: capture.ignore.comm: longer than 15 bytes" },
		{ "capture:\n  ignore: [{comm: wrk, comm: curl}]\n",
		  "t.yaml:2:24: capture.ignore (keys: comm, cgroup): duplicate key 'comm'" },
		{ "capture:\n  ignore: [wrk]\n",
		  "t.yaml:2:12: capture.ignore (keys: comm, cgroup): expected a mapping, not a value" },
		{ "capture:\n  ignore: [{cgroup: \"a\\tb\"}]\n",
		  "t.yaml:2:12: capture.ignore: comm and cgroup must be printable" },
		{ "services:\n  - match: {comm: x}\n",
		  "t.yaml:2:5: services: entry without a name" },
		{ "services:\n  - name: a\n", "t.yaml:2:5: services: 'a' has no match field" },
		{ "services:\n  - name: a\n    match: {}\n",
		  "t.yaml:3:12: services: 'a' has no match field" },
		{ "services:\n  - name: a\n    match:\n",
		  "t.yaml:3:11: services: 'a' has no match field" },
		{ "services:\n  - name: a\n    match: {port: 70000}\n",
		  "t.yaml:3:19: services.match.port: '70000' is not a port (1-65535)" },
		{ "services:\n  - name: a\n    match: {port: 0}\n",
		  "t.yaml:3:19: services.match.port: '0' is not a port" },
		{ "services:\n  - name: a\n    match: {pid: 1}\n",
		  "t.yaml:3:13: services.match: unknown key 'pid' (comm, exe, cgroup, port)" },
		{ "services:\n  - name: a\n    match: {comm: abcdefghijklmnop}\n",
		  "t.yaml:3:19: services.match.comm: longer than 15 bytes" },
		{ "services:\n  - name: a\n    match: {comm: a, comm: b}\n",
		  "t.yaml:3:22: services.match: duplicate key 'comm'" },
		{ "services:\n  - name: a\n    match: [x]\n",
		  "t.yaml:3:12: services.match: expected a mapping, not a list" },
		{ "services:\n  - name: a\n    port: 1\n",
		  "t.yaml:3:5: services: unknown key 'port' (name, match)" },
		{ "services:\n  - name: [a]\n    match: {port: 1}\n",
		  "t.yaml:2:11: services.name: expected a single value" },
		{ "services:\n  - name: \"a\\tb\"\n    match: {port: 1}\n",
		  "t.yaml:2:11: services.name: use up to 63 printable" },
		{ "services:\n  - lab-api\n",
		  "t.yaml:2:5: services: each entry needs name and match, not a value" },
		{ "services: {name: a}\n",
		  "t.yaml:1:11: services: expected a list of services, not a mapping" },
		{ "http:\n  routes:\n    - api/x\n",
		  "t.yaml:3:7: http.routes: 'api/x': must start with '/'" },
		{ "http:\n  routes:\n    - /a\n    - /a//b\n",
		  "t.yaml:4:7: http.routes: '/a//b': empty segment" },
		{ "http:\n  routes:\n    - /*/x\n",
		  "t.yaml:3:7: http.routes: '/*/x': '*' or '{name*}' must be the last segment" },
		{ "http:\n  routes: /a\n",
		  "t.yaml:2:11: http.routes: expected a list of patterns, not a value" },
		{ "http:\n  routes:\n    - [/a]\n",
		  "t.yaml:3:7: http.routes: expected a single value, not a list" },
		{ "listen: a:1\nlisten: b:2\n", "t.yaml:2:1: duplicate key 'listen'" },
		{ "capture: {}\ncapture: {}\n", "t.yaml:2:1: duplicate key 'capture'" },
		{ "listen: :1\n---\nlisten: :2\n",
		  "t.yaml:3:1: only one YAML document is allowed" },
		{ "- a\n", "t.yaml:1:1: top level: expected a mapping, not a list" },
		{ "hello\n", "t.yaml:1:1: top level: expected a mapping, not a value" },
		{ "? {a: 1}\n: 2\n", "t.yaml:1:3: keys must be plain strings" },
		/* syntax errors come from libyaml, with its position */
		{ "listen: [\n", "t.yaml:2:1: did not find expected node content" },
		{ "capture:\n  poll_interval: 1s\n gc_interval: 1s\n",
		  "t.yaml:3:2: did not find expected key" },
		{ "listen: 'open\n", "t.yaml:2:1: found unexpected end of stream" },
		{ "capture:\n\tgc_interval: 1s\n",
		  "t.yaml:2:1: found character that cannot start any token" },
		{ "a: *nope\n", "t.yaml:1:4: found undefined alias" },
	};
	struct obs_config c;
	int failed = 0;

	(void)state;
	obs_config_defaults(&c);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = load(&c, cases[i].yaml);

		if (rc != -EINVAL || strncmp(err, cases[i].msg, strlen(cases[i].msg))) {
			print_error("case %zu: rc=%d\n  got  \"%s\"\n  want \"%s...\"\n", i, rc,
				    err, cases[i].msg);
			failed++;
		}
	}
	obs_config_free(&c);
	assert_int_equal(failed, 0);
}

static void test_empty_and_null(void **state)
{
	static const char *const ok[] = { "",
					  "# only a comment\n",
					  "~\n",
					  "---\n",
					  "\n\n",
					  "capture:\n",
					  "http:\n  routes:\n",
					  "services: []\n",
					  "listen: \"[::1]:9464\"\n",
					  "listen: ':9464'\n" };
	struct obs_config c;

	(void)state;
	obs_config_defaults(&c);
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (load(&c, ok[i]))
			fail_msg("'%s': %s", ok[i], err);
	}
	assert_string_equal(c.listen, ":9464");
	assert_true(c.ringbuf_bytes == 32u << 20);
	obs_config_free(&c);
}

static void test_all_or_nothing(void **state)
{
	struct obs_config c;

	(void)state;
	obs_config_defaults(&c);
	assert_int_equal(load(&c, example), 0);
	/* a failing file leaves everything as it was */
	assert_int_equal(
		load(&c,
		     "listen: :1\nmetrics:\n  max_series: 7\nhttp:\n  routes: [/x]\nbogus: 1\n"),
		-EINVAL);
	assert_string_equal(c.listen, "127.0.0.1:9464");
	assert_int_equal(c.max_series, 20000);
	assert_int_equal(c.n_routes, 2);
	assert_string_equal(c.routes[0], "/api/experiments/{id}");
	/* a file without lists keeps the current ones */
	assert_int_equal(load(&c, "listen: :2\n"), 0);
	assert_string_equal(c.listen, ":2");
	assert_int_equal(c.n_routes, 2);
	assert_int_equal(c.n_services, 2);
	/* a file with lists replaces them; an empty list clears */
	assert_int_equal(load(&c, "http:\n  routes: [/only]\nservices: []\n"), 0);
	assert_int_equal(c.n_routes, 1);
	assert_string_equal(c.routes[0], "/only");
	assert_int_equal(c.n_services, 0);
	obs_config_free(&c);
}

static void test_hostile_input(void **state)
{
	const size_t big = 900000;
	struct obs_config c;
	char *buf = malloc(OBS_CONFIG_FILE_MAX + 16);
	int rc;

	(void)state;
	assert_non_null(buf);
	obs_config_defaults(&c);
	/* deep nesting */
	memset(buf, '[', big);
	buf[big] = '\0';
	assert_int_equal(obs_config_load_buffer(&c, "t", buf, big, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t:1:17: nested deeper than 16 levels");
	memcpy(buf, "listen: ", 8);
	for (size_t i = 8; i < big; i++)
		buf[i] = "{a: "[i % 4];
	assert_int_equal(obs_config_load_buffer(&c, "t", buf, big, err, sizeof(err)), -EINVAL);
	/* huge scalar, under the size limit */
	memcpy(buf, "listen: ", 8);
	memset(buf + 8, 'x', big - 8);
	assert_int_equal(obs_config_load_buffer(&c, "t", buf, big, err, sizeof(err)), -EINVAL);
	assert_true(strlen(err) < sizeof(err));
	assert_non_null(strstr(err, "longer than 127 bytes"));
	/* over the limit */
	memset(buf, ' ', OBS_CONFIG_FILE_MAX + 1);
	assert_int_equal(obs_config_load_buffer(&c, "t", buf, OBS_CONFIG_FILE_MAX + 1, err,
						sizeof(err)),
			 -EFBIG);
	/* many list entries */
	strcpy(buf, "http:\n  routes:\n");
	for (int i = 0; i < OBS_CONFIG_MAX_ROUTES + 1; i++)
		strcat(buf, "    - /a\n");
	assert_int_equal(load(&c, buf), -EINVAL);
	assert_non_null(strstr(err, "more than 1024 patterns"));
	/* aliases: reused nodes are walked like any other */
	rc = load(&c, "capture: &cap\n  gc_interval: 5s\nmetrics: *cap\n");
	assert_int_equal(rc, -EINVAL);
	assert_non_null(strstr(err, "unknown key 'metrics.gc_interval'"));
	assert_int_equal(load(&c, "a: &x [*x]\n"), -EINVAL);
	/* binary garbage and random YAML-ish text */
	srand(99);
	for (int iter = 0; iter < 3000; iter++) {
		static const char *const frag[] = { "listen",  ":",    " ",	 "\n",	     "  ",
						    "- ",      "[",    "]",	 "{",	     "}",
						    "capture", "http", "routes", "services", "name",
						    "match",   "&a",   "*a",	 "'",	     "\"",
						    "\\",      "#",    "8MiB",	 "/x",	     "---",
						    "?",       "\t",   "\xff",	 "\0" };
		size_t len = 0, n = (size_t)rand() % 200;

		for (size_t i = 0; i < n; i++) {
			const char *f = iter & 1 ? frag[rand() % 29] : NULL;
			size_t fl = f ? (*f ? strlen(f) : 1) : 1;

			memcpy(buf + len, f ? f : (char[]){ (char)rand() }, fl);
			len += fl;
		}
		rc = obs_config_load_buffer(&c, "t", buf, len, err, sizeof(err));
		assert_true(rc == 0 || rc == -EINVAL);
		assert_true(strlen(err) < sizeof(err));
	}
	obs_config_free(&c);
	free(buf);
}

static void test_load_file(void **state)
{
	struct obs_config c;
	char *path, *big;

	(void)state;
	obs_config_defaults(&c);
	path = write_tmp(example, strlen(example));
	assert_int_equal(obs_config_load_file(&c, path, err, sizeof(err)), 0);
	assert_int_equal(c.max_series, 20000);
	unlink(path);
	assert_int_equal(obs_config_load_file(&c, path, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "No such file"));
	assert_non_null(strstr(err, path));
	assert_int_equal(obs_config_load_file(&c, "/", err, sizeof(err)), -EISDIR);
	path = write_tmp("listen: :1\n\ncapture:\n  gc_interval: soon\n",
			 strlen("listen: :1\n\ncapture:\n  gc_interval: soon\n"));
	assert_int_equal(obs_config_load_file(&c, path, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ":4:16: capture.gc_interval: 'soon' is not a duration"));
	assert_int_equal(strncmp(err, path, strlen(path)), 0);
	unlink(path);
	big = calloc(1, OBS_CONFIG_FILE_MAX + 100);
	assert_non_null(big);
	memset(big, '\n', OBS_CONFIG_FILE_MAX + 100);
	path = write_tmp(big, OBS_CONFIG_FILE_MAX + 100);
	assert_int_equal(obs_config_load_file(&c, path, err, sizeof(err)), -EFBIG);
	unlink(path);
	path = write_tmp(big, OBS_CONFIG_FILE_MAX);
	assert_int_equal(obs_config_load_file(&c, path, err, sizeof(err)), 0);
	unlink(path);
	free(big);
	obs_config_free(&c);
}

static int args(struct obs_config *c, int *action, ...)
{
	char *argv[32] = { "biothings-observer" };
	int argc = 1;
	va_list ap;

	va_start(ap, action);
	while ((argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	err[0] = '\0';
	return obs_config_parse_args(c, argc, argv, action, err, sizeof(err));
}

static void test_flags(void **state)
{
	struct obs_config c;
	int action = -1;

	(void)state;
	obs_config_defaults(&c);
	assert_int_equal(args(&c, &action, NULL), 0);
	assert_int_equal(action, OBS_RUN);
	assert_string_equal(c.listen, "127.0.0.1:9464");
	assert_int_equal(args(&c, &action, "--listen", "0.0.0.0:1234", "--state-dir=/s",
			      "--pin-dir", "/sys/fs/bpf/x", "--log-level=debug", "--ringbuf-size",
			      "64KiB", "--max-connections=10", "--poll-interval", "1s",
			      "--gc-interval=1m", "--max-routes-per-service", "0", "--max-series=5",
			      NULL),
			 0);
	assert_int_equal(action, OBS_RUN);
	assert_string_equal(c.listen, "0.0.0.0:1234");
	assert_string_equal(c.state_dir, "/s");
	assert_string_equal(c.pin_dir, "/sys/fs/bpf/x");
	assert_string_equal(c.log_level, "debug");
	assert_true(c.ringbuf_bytes == 65536);
	assert_int_equal(c.max_connections, 10);
	assert_true(c.poll_interval_ns == 1000000000ull);
	assert_true(c.gc_interval_ns == 60000000000ull);
	assert_int_equal(c.max_routes_per_service, 0);
	assert_int_equal(c.max_series, 5);
	/* the last of a repeated flag wins; "--flag=" with '=' in the value */
	assert_int_equal(args(&c, &action, "--max-series=1", "--max-series", "2", NULL), 0);
	assert_int_equal(c.max_series, 2);
	obs_config_free(&c);
}

static void test_flag_errors(void **state)
{
	static const struct {
		const char *a, *b, *msg;
	} cases[] = {
		{ "--nope", NULL, "unknown option '--nope'" },
		{ "-x", NULL, "unknown option '-x'" },
		{ "-hV", NULL, "unknown option '-hV'" },
		{ "--", NULL, "unknown option '--'" },
		{ "stray", NULL, "unexpected argument 'stray'" },
		{ "--listen", NULL, "--listen needs a value (HOST:PORT)" },
		{ "--help=yes", NULL, "--help takes no value" },
		{ "--listenx=1", NULL, "unknown option '--listenx=1'" },
		{ "--list", ":1", "unknown option '--list'" },
		{ "--ringbuf-size", "3MiB", "--ringbuf-size: '3MiB' is not a power of two" },
		{ "--ringbuf-size=2GiB", NULL,
		  "--ringbuf-size: '2GiB' is out of range (64KiB to 1GiB)" },
		{ "--poll-interval", "50", "--poll-interval: '50' is not a duration" },
		{ "--max-series", "-3", "--max-series: '-3' is not a whole number" },
		{ "--log-level", "loud", "--log-level: 'loud' is not one of" },
		{ "--listen", "[::1]", "--listen: '[::1]' is not HOST:PORT" },
		{ "--state-dir=", NULL, "--state-dir: empty value" },
		{ "--pin-dir", "rel", "--pin-dir: 'rel' is not an absolute path" },
	};
	struct obs_config c;
	int action;

	(void)state;
	obs_config_defaults(&c);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = args(&c, &action, cases[i].a, cases[i].b, NULL);

		if (rc != -EINVAL || strncmp(err, cases[i].msg, strlen(cases[i].msg)))
			fail_msg("case %zu: rc=%d got \"%s\" want \"%s\"", i, rc, err,
				 cases[i].msg);
	}
	assert_string_equal(c.listen, "127.0.0.1:9464");
	obs_config_free(&c);
}

static void test_actions(void **state)
{
	struct obs_config c;
	int action;
	char *path;

	(void)state;
	obs_config_defaults(&c);
	assert_int_equal(args(&c, &action, "--help", NULL), 0);
	assert_int_equal(action, OBS_HELP);
	assert_int_equal(args(&c, &action, "--listen", ":1", "-h", "--bogus", NULL), 0);
	assert_int_equal(action, OBS_HELP);
	assert_int_equal(args(&c, &action, "-V", NULL), 0);
	assert_int_equal(action, OBS_VERSION);
	assert_int_equal(args(&c, &action, "--version", NULL), 0);
	assert_int_equal(action, OBS_VERSION);
	/* --check-config only names the file; the caller loads and reports it */
	assert_int_equal(args(&c, &action, "--check-config", "/no/such/file.yaml", NULL), 0);
	assert_int_equal(action, OBS_CHECK_CONFIG);
	assert_string_equal(c.config_path, "/no/such/file.yaml");
	assert_int_equal(args(&c, &action, "--check-config=/a.yaml", "--config", "/b.yaml", NULL),
			 0);
	assert_int_equal(action, OBS_CHECK_CONFIG);
	assert_string_equal(c.config_path, "/a.yaml");
	obs_config_free(&c);

	/* --config problems are returned with the file position */
	obs_config_defaults(&c);
	assert_int_equal(args(&c, &action, "--config", "/no/such/file.yaml", NULL), -ENOENT);
	path = write_tmp("metrics:\n  max_series: many\n",
			 strlen("metrics:\n  max_series: many\n"));
	assert_int_equal(args(&c, &action, "--config", path, NULL), -EINVAL);
	assert_non_null(strstr(err, ":2:15: metrics.max_series: 'many' is not a whole number"));
	unlink(path);
	obs_config_free(&c);
}

static void test_precedence(void **state)
{
	struct obs_config c;
	int action;
	char *path;

	(void)state;
	path = write_tmp("listen: :1111\nmetrics:\n  max_series: 5\nlog_level: warn\n",
			 strlen("listen: :1111\nmetrics:\n  max_series: 5\nlog_level: warn\n"));
	obs_config_defaults(&c);
	/* flags win over the file wherever they stand on the command line */
	assert_int_equal(args(&c, &action, "--listen", ":2222", "--config", path,
			      "--log-level=error", NULL),
			 0);
	assert_int_equal(action, OBS_RUN);
	assert_string_equal(c.listen, ":2222");
	assert_string_equal(c.log_level, "error");
	assert_int_equal(c.max_series, 5);
	assert_string_equal(c.config_path, path);
	assert_int_equal(c.max_connections, 65536);
	unlink(path);
	obs_config_free(&c);
}

static void test_usage(void **state)
{
	static const char *const want[] = {
		"Usage: prog [OPTIONS]",
		"--listen HOST:PORT",
		"(default 127.0.0.1:9464; config key listen)",
		"--state-dir DIR",
		"(default /var/lib/biothings-observer; config key state_dir)",
		"--pin-dir DIR",
		"(default /sys/fs/bpf/biothings; config key pin_dir)",
		"--config FILE",
		"--check-config FILE",
		"--log-level LEVEL",
		"(default info; config key log_level)",
		"--ringbuf-size SIZE",
		"(default 32MiB; config key capture.ringbuf_size)",
		"--max-connections N",
		"(default 65536; config key capture.max_connections)",
		"--poll-interval DURATION",
		"(default 10ms; config key capture.poll_interval)",
		"--gc-interval DURATION",
		"(default 10s; config key capture.gc_interval)",
		"--max-routes-per-service N",
		"(default 100; config key http.max_routes_per_service)",
		"--max-series N",
		"(default 10000; config key metrics.max_series)",
		"-h, --help",
		"-V, --version",
		"http.routes",
		"services",
	};
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	assert_non_null(f);
	obs_config_usage(f, "prog");
	fclose(f);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (!strstr(text, want[i]))
			fail_msg("usage lacks \"%s\":\n%s", want[i], text);
	}
	free(text);
}

static void test_split_listen(void **state)
{
	static const struct {
		const char *in, *host;
		uint16_t port;
	} ok[] = {
		{ "127.0.0.1:9464", "127.0.0.1", 9464 },
		{ "[::1]:9464", "::1", 9464 },
		{ ":9464", "", 9464 },
		{ "localhost:80", "localhost", 80 },
		{ "0.0.0.0:65535", "0.0.0.0", 65535 },
		{ "[fe80::1%eth0]:1", "fe80::1%eth0", 1 },
		{ "[::]:1", "::", 1 },
		{ "my-host.example.com:443", "my-host.example.com", 443 },
		{ "[::ffff:10.0.0.1]:8080", "::ffff:10.0.0.1", 8080 },
	};
	static const char *const bad[] = {
		"",	    "127.0.0.1", "127.0.0.1:", ":",
		":0",	    ":65536",	 ":99999999",  ":-1",
		":80x",	    "::1:9464",	 "[::1]",      "[::1]9464",
		"[]:1",	    "[zz::1]:1", "[::1%]:1",   "300.1.1.1:80",
		"1.2.3:80", "a b:80",	 "host/x:80",  ":+80",
		": 80",	    "[::1]:",	 "[::1:80",
	};
	char host[64], small[4];
	uint16_t port;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (obs_config_split_listen(ok[i].in, host, sizeof(host), &port))
			fail_msg("'%s' refused", ok[i].in);
		assert_string_equal(host, ok[i].host);
		assert_int_equal(port, ok[i].port);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!obs_config_split_listen(bad[i], host, sizeof(host), &port))
			fail_msg("'%s' accepted", bad[i]);
	}
	assert_int_equal(obs_config_split_listen("127.0.0.1:1", small, sizeof(small), &port),
			 -EINVAL);
	assert_int_equal(obs_config_split_listen("abc:1", small, sizeof(small), &port), 0);
	assert_int_equal(obs_config_split_listen(NULL, host, sizeof(host), &port), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),       cmocka_unit_test(test_example),
		cmocka_unit_test(test_capture_ignore), cmocka_unit_test(test_ringbuf_per_cpu),
		cmocka_unit_test(test_errors),	       cmocka_unit_test(test_empty_and_null),
		cmocka_unit_test(test_all_or_nothing), cmocka_unit_test(test_hostile_input),
		cmocka_unit_test(test_load_file),      cmocka_unit_test(test_flags),
		cmocka_unit_test(test_flag_errors),    cmocka_unit_test(test_actions),
		cmocka_unit_test(test_precedence),     cmocka_unit_test(test_usage),
		cmocka_unit_test(test_split_listen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
