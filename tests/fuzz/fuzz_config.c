// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer harness for the config file loader (user/config.c,
 * user/config_yaml.c over libyaml) and the unit parsers (user/units.c).
 * A config file is operator input, often hand-edited: any bytes must give
 * either a fully validated config or an error message and an unchanged
 * config (all or nothing), loading a file twice must change nothing the
 * second time, and every accepted duration or size must print back to
 * text that parses to the same number. Only drives the public API.
 *
 * Input: [0] bits 0-6 error buffer size, bit 7 start from a config that
 * already holds routes and services; then the YAML text (also tried, up
 * to its first NUL, as a duration and as a size).
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ring_set.h"
#include "route.h"
#include "units.h"

#include "fuzz_util.h"

#define CTL_BYTES 1
#define CTL_PRELOAD 0x80

static const char base_yaml[] = "http:\n"
				"  routes: [\"/api/{id}\", \"/static/*\"]\n"
				"services:\n"
				"  - name: lab-api\n"
				"    match: {comm: gunicorn, port: 8080}\n";

#define TERMINATED(arr) (strnlen((arr), sizeof(arr)) < sizeof(arr))

static bool level_ok(const char *l)
{
	return !strcmp(l, "debug") || !strcmp(l, "info") || !strcmp(l, "warn") ||
	       !strcmp(l, "error");
}

/* What a successful load promises, whatever the file said. */
static void check_valid(const struct obs_config *c)
{
	char host[128];
	uint16_t port;

	FUZZ_CHECK(TERMINATED(c->listen) && TERMINATED(c->state_dir) && TERMINATED(c->pin_dir));
	FUZZ_CHECK(TERMINATED(c->config_path) && TERMINATED(c->log_level));
	FUZZ_CHECK(level_ok(c->log_level));
	FUZZ_CHECK(obs_config_split_listen(c->listen, host, sizeof(host), &port) == 0);
	FUZZ_CHECK(c->ringbuf_bytes >= (64u << 10) && !(c->ringbuf_bytes & (c->ringbuf_bytes - 1)));
	FUZZ_CHECK(c->ringbuf_per_cpu_bytes == RING_SET_AUTO ||
		   (c->ringbuf_per_cpu_bytes <= (1ull << 30) &&
		    !(c->ringbuf_per_cpu_bytes & (c->ringbuf_per_cpu_bytes - 1))));
	FUZZ_CHECK(c->n_routes <= OBS_CONFIG_MAX_ROUTES && (c->routes || !c->n_routes));
	FUZZ_CHECK(c->n_services <= OBS_CONFIG_MAX_SERVICES && (c->services || !c->n_services));
	for (size_t i = 0; i < c->n_routes; i++)
		FUZZ_CHECK(route_pattern_check(c->routes[i], NULL, 0) == 0);
	for (size_t i = 0; i < c->n_services; i++) {
		const struct obs_service_rule *r = &c->services[i];

		FUZZ_CHECK(TERMINATED(r->name) && TERMINATED(r->comm));
		FUZZ_CHECK(TERMINATED(r->exe) && TERMINATED(r->cgroup));
	}
}

/* Same settings, lists compared by content. */
static void check_same(const struct obs_config *a, const struct obs_config *b)
{
	FUZZ_CHECK(!strcmp(a->listen, b->listen) && !strcmp(a->state_dir, b->state_dir));
	FUZZ_CHECK(!strcmp(a->pin_dir, b->pin_dir) && !strcmp(a->log_level, b->log_level));
	FUZZ_CHECK(!strcmp(a->config_path, b->config_path));
	FUZZ_CHECK(a->ringbuf_bytes == b->ringbuf_bytes);
	FUZZ_CHECK(a->ringbuf_per_cpu_bytes == b->ringbuf_per_cpu_bytes);
	FUZZ_CHECK(a->max_connections == b->max_connections);
	FUZZ_CHECK(a->poll_interval_ns == b->poll_interval_ns);
	FUZZ_CHECK(a->gc_interval_ns == b->gc_interval_ns);
	FUZZ_CHECK(a->max_routes_per_service == b->max_routes_per_service);
	FUZZ_CHECK(a->max_series == b->max_series);
	FUZZ_CHECK(a->n_routes == b->n_routes && a->n_services == b->n_services);
	for (size_t i = 0; i < a->n_routes; i++)
		FUZZ_CHECK(!strcmp(a->routes[i], b->routes[i]));
	for (size_t i = 0; i < a->n_services; i++) {
		const struct obs_service_rule *r = &a->services[i], *s = &b->services[i];

		FUZZ_CHECK(!strcmp(r->name, s->name) && !strcmp(r->comm, s->comm));
		FUZZ_CHECK(!strcmp(r->exe, s->exe) && !strcmp(r->cgroup, s->cgroup));
		FUZZ_CHECK(r->port == s->port);
	}
}

static int load(struct obs_config *c, const char *buf, size_t len, size_t errlen)
{
	char *err = malloc(errlen);
	int rc;

	FUZZ_CHECK(err != NULL);
	memset(err, 0x5a, errlen);
	rc = obs_config_load_buffer(c, "fuzz.yaml", buf, len, err, errlen);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -EFBIG || rc == -ENOMEM);
	if (rc) { /* err is only written on error */
		FUZZ_CHECK(memchr(err, '\0', errlen) != NULL);
		if (errlen > 1)
			FUZZ_CHECK(err[0] != '\0'); /* an error always says something */
	}
	free(err);
	return rc;
}

static void fuzz_yaml(const uint8_t *data, size_t size)
{
	size_t errlen = 1 + (data[0] & 0x7f) * 3, len = size - CTL_BYTES;
	struct obs_config c, before, again;
	char *buf = malloc(len ? len : 1); /* exact size: ASan sees any overread */

	FUZZ_CHECK(buf != NULL);
	memcpy(buf, data + CTL_BYTES, len);
	obs_config_defaults(&c);
	if (data[0] & CTL_PRELOAD)
		FUZZ_CHECK(load(&c, base_yaml, sizeof(base_yaml) - 1, 256) == 0);
	before = c;
	if (load(&c, buf, len, errlen)) {
		/* all or nothing: not even a list pointer may move */
		FUZZ_CHECK(!memcmp(&c, &before, sizeof(c)));
		goto free_config;
	}
	check_valid(&c);
	/* a second load of the same file is a no-op */
	obs_config_defaults(&again);
	FUZZ_CHECK(load(&again, buf, len, 256) == 0);
	FUZZ_CHECK(load(&again, buf, len, 256) == 0);
	if (!(data[0] & CTL_PRELOAD))
		check_same(&c, &again);
	obs_config_free(&again);
free_config:
	obs_config_free(&c);
	obs_config_free(&c); /* leaves c empty: a second free is harmless */
	free(buf);
}

/* Accepted text prints back to text that reads as the same value. */
static void fuzz_units(const uint8_t *data, size_t size)
{
	char *s = fuzz_strdup(data + CTL_BYTES, size - CTL_BYTES);
	char txt[UNITS_FMT_MAX];
	uint64_t v, w;

	FUZZ_CHECK(s != NULL);
	if (units_parse_duration(s, &v) == 0) {
		FUZZ_CHECK(units_format_duration(v, txt, sizeof(txt)) == 0);
		FUZZ_CHECK(units_parse_duration(txt, &w) == 0 && w == v);
	}
	if (units_parse_size(s, &v) == 0) {
		FUZZ_CHECK(units_format_size(v, txt, sizeof(txt)) == 0);
		FUZZ_CHECK(units_parse_size(txt, &w) == 0 && w == v);
	}
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < CTL_BYTES)
		return 0;
	fuzz_yaml(data, size);
	fuzz_units(data, size);
	return 0;
}
