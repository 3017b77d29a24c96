// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The llm: config section: defaults, the hosts map and list forms, the
 * capture path limits, and that a bad file leaves the config unchanged.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "config.h"

static int load(struct obs_config *c, const char *y, char *err)
{
	return obs_config_load_buffer(c, "t.yaml", y, strlen(y), err, 256);
}

static void test_defaults(void **state)
{
	struct obs_config c;

	(void)state;
	obs_config_defaults(&c);
	assert_int_equal(c.llm_max_body_bytes, 16u << 20);
	assert_int_equal(c.n_capture_paths, 14);
	assert_string_equal(c.capture_paths[0], "/chat/completions");
	assert_string_equal(c.capture_paths[13], "/v2/embed");
	assert_int_equal(c.n_llm_hosts, 0);
	obs_config_free(&c);
}

static void test_hosts_map_and_list(void **state)
{
	struct obs_config c;
	char err[256] = "";

	(void)state;
	obs_config_defaults(&c);
	assert_int_equal(
		load(&c,
		     "llm:\n  hosts: {\"api.openai.com\": openai, \"llm.internal:8000\": vllm}\n"
		     "  max_body_size: 1MiB\n",
		     err),
		0);
	assert_int_equal(c.n_llm_hosts, 2);
	assert_string_equal(c.llm_hosts[1].host, "llm.internal:8000");
	assert_string_equal(c.llm_hosts[1].provider, "vllm");
	assert_int_equal(c.llm_max_body_bytes, 1u << 20);
	assert_int_equal(c.n_capture_paths, 14); /* untouched */
	assert_int_equal(
		load(&c,
		     "llm:\n  hosts:\n    - {host: \"*.corp.example\", provider: litellm}\n"
		     "  capture_paths: [\"/v1/chat/completions\", \":predict\"]\n",
		     err),
		0);
	assert_int_equal(c.n_llm_hosts, 1);
	assert_string_equal(c.llm_hosts[0].host, "*.corp.example");
	assert_int_equal(c.n_capture_paths, 2);
	assert_string_equal(c.capture_paths[1], ":predict");
	obs_config_free(&c);
}

static void test_bad_values(void **state)
{
	struct obs_config c;
	char err[256] = "";

	(void)state;
	obs_config_defaults(&c);
	assert_int_equal(
		load(&c, "llm:\n  capture_paths: [\"/this/path/is/longer/than/31/bytes\"]\n", err),
		-EINVAL);
	assert_non_null(strstr(err, "t.yaml:2:"));
	assert_int_equal(load(&c, "llm:\n  hosts: {\"bad host\": openai}\n", err), -EINVAL);
	assert_int_equal(load(&c, "llm:\n  hosts: {\"a.b\": \"Open AI\"}\n", err), -EINVAL);
	assert_int_equal(load(&c, "llm:\n  hosts: [{host: a.b}]\n", err), -EINVAL);
	assert_int_equal(load(&c, "llm:\n  capture_paths: [\"/chat?x\"]\n", err), -EINVAL);
	assert_int_not_equal(load(&c, "llm:\n  max_body_size: 1KiB\n", err), 0);
	assert_int_equal(c.n_capture_paths, 14); /* all or nothing */
	assert_int_equal(c.n_llm_hosts, 0);
	assert_int_equal(c.llm_max_body_bytes, 16u << 20);
	obs_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_hosts_map_and_list),
		cmocka_unit_test(test_bad_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
