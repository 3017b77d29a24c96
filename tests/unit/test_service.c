// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * service: rule matching field by field (comm exact, exe/cgroup globs,
 * port by role), first-rule-wins, the exe/comm/unknown fallbacks and the
 * bounds and clean-up of what is written.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "service.h"

static const struct obs_service_rule rules[] = {
	{ .name = "lab-api",
	  .comm = "gunicorn",
	  .exe = "/opt/lab/*",
	  .cgroup = "*/lab.slice/*",
	  .port = 8080 },
	{ .name = "nginx-front", .comm = "nginx" },
	{ .name = "pg-client", .port = 5432 },
	{ .name = "by-exe", .exe = "/usr/local/bin/*" },
	{ .name = "nginx-second", .comm = "nginx" },
	{ .name = "", .comm = "noname" },
	{ .name = "by-cgroup", .cgroup = "/kubepods.slice/*pod1234*" },
};
#define N_RULES (sizeof(rules) / sizeof(rules[0]))

static char out[SERVICE_NAME_MAX];

static const char *name_of(const char *comm, const char *exe, const char *cg, uint16_t lport,
			   uint16_t rport, int role)
{
	struct svc_input in = { comm, exe, cg, lport, rport, role };

	assert_ptr_equal(service_name(rules, N_RULES, &in, out, sizeof(out)), out);
	return out;
}

static void test_rules(void **state)
{
	const char *lab = "/opt/lab/venv/bin/gunicorn", *cg = "/system.slice/lab.slice/api.service";

	(void)state;
	assert_string_equal(name_of("gunicorn", lab, cg, 8080, 40000, SVC_ROLE_SERVER), "lab-api");
	assert_string_equal(name_of("gunicorn", lab, cg, 40000, 8080, SVC_ROLE_CLIENT), "lab-api");
	/* each field of rule 0 failing on its own */
	assert_string_equal(name_of("gunicorn", lab, cg, 9000, 8080, SVC_ROLE_SERVER), "gunicorn");
	assert_string_equal(name_of("gunicorn", lab, cg, 8080, 9000, SVC_ROLE_CLIENT), "gunicorn");
	assert_string_equal(name_of("gunicorn", lab, cg, 8080, 8080, SVC_ROLE_UNKNOWN), "gunicorn");
	assert_string_equal(name_of("gunicorn2", lab, cg, 8080, 0, SVC_ROLE_SERVER), "gunicorn");
	assert_string_equal(name_of("gunicor", lab, cg, 8080, 0, SVC_ROLE_SERVER), "gunicorn");
	assert_string_equal(name_of("gunicorn", "/srv/lab/gunicorn", cg, 8080, 0, SVC_ROLE_SERVER),
			    "gunicorn");
	assert_string_equal(name_of("gunicorn", lab, "/user.slice/x", 8080, 0, SVC_ROLE_SERVER),
			    "gunicorn");
	/* a field the rule needs but the caller does not know never matches */
	assert_string_equal(name_of("gunicorn", NULL, cg, 8080, 0, SVC_ROLE_SERVER), "gunicorn");
	assert_string_equal(name_of("gunicorn", lab, NULL, 8080, 0, SVC_ROLE_SERVER), "gunicorn");
	assert_string_equal(name_of(NULL, lab, cg, 8080, 0, SVC_ROLE_SERVER), "gunicorn");
	/* cgroup glob with nothing before the slash */
	assert_string_equal(name_of("gunicorn", lab, "/lab.slice/a", 8080, 0, SVC_ROLE_SERVER),
			    "lab-api");
	/* first matching rule wins over a later one */
	assert_string_equal(name_of("nginx", "/usr/sbin/nginx", NULL, 80, 0, 1), "nginx-front");
	/* port: lport for servers, rport for clients */
	assert_string_equal(name_of("psql", "/usr/bin/psql", NULL, 50000, 5432, 2), "pg-client");
	assert_string_equal(name_of("postgres", "/usr/lib/pg", NULL, 5432, 50000, 1), "pg-client");
	assert_string_equal(name_of("postgres", "/usr/lib/pg", NULL, 50000, 5432, 1), "pg");
	assert_string_equal(name_of("psql", "/usr/bin/psql", NULL, 5432, 50000, 2), "psql");
	/* exe glob: '*' crosses '/' */
	assert_string_equal(name_of("x", "/usr/local/bin/sub/tool", NULL, 0, 0, 1), "by-exe");
	/* a rule without a name is skipped */
	assert_string_equal(name_of("noname", "/bin/noname", NULL, 0, 0, 1), "noname");
	assert_string_equal(name_of("c", "/bin/c", "/kubepods.slice/kubepods-pod1234_x.slice/cri",
				    0, 0, 1),
			    "by-cgroup");
}

static void test_fallbacks(void **state)
{
	struct svc_input in = { 0 };

	(void)state;
	assert_string_equal(name_of("nginx: worker", "/usr/sbin/nginx", NULL, 1, 1, 1), "nginx");
	assert_string_equal(name_of("python3", "/usr/bin/python3.11 (deleted)", NULL, 1, 1, 1),
			    "python3.11");
	assert_string_equal(name_of("bash", "", NULL, 1, 1, 1), "bash");
	assert_string_equal(name_of("bash", NULL, NULL, 1, 1, 1), "bash");
	assert_string_equal(name_of("bash", "/", NULL, 1, 1, 1), "bash");
	assert_string_equal(name_of("bash", "/opt/dir/", NULL, 1, 1, 1), "bash");
	assert_string_equal(name_of("sh", "relative-exe", NULL, 1, 1, 1), "relative-exe");
	assert_string_equal(name_of(NULL, NULL, NULL, 1, 1, 1), "unknown");
	assert_string_equal(name_of("", "", "", 1, 1, 1), "unknown");
	assert_ptr_equal(service_name(rules, N_RULES, NULL, out, sizeof(out)), out);
	assert_string_equal(out, "unknown");
	in.comm = "curl";
	assert_string_equal(service_name(NULL, 5, &in, out, sizeof(out)), "curl");
	assert_string_equal(service_name(rules, 0, &in, out, sizeof(out)), "curl");
}

static void test_output_bounds(void **state)
{
	struct svc_input in = { .comm = "a\x01"
					"b\xff"
					"c\n" };
	char exe[400], small[4], big[300];

	(void)state;
	assert_string_equal(service_name(NULL, 0, &in, out, sizeof(out)), "a_b_c_");
	in.comm = "nginx";
	assert_string_equal(service_name(NULL, 0, &in, small, sizeof(small)), "ngi");
	assert_null(service_name(NULL, 0, &in, NULL, 10));
	assert_null(service_name(NULL, 0, &in, small, 0));
	memset(exe, 'x', sizeof(exe));
	exe[0] = '/';
	exe[sizeof(exe) - 1] = '\0';
	in.exe = exe;
	assert_int_equal(strlen(service_name(NULL, 0, &in, big, sizeof(big))),
			 SERVICE_NAME_MAX - 1);
	in.exe = "/bin/\x80\x81";
	assert_string_equal(service_name(NULL, 0, &in, out, sizeof(out)), "__");
}

static void test_rule_match(void **state)
{
	struct svc_input in = { .comm = "nginx", .exe = "/usr/sbin/nginx", .lport = 80, .role = 1 };
	struct obs_service_rule r = { .name = "x", .comm = "nginx", .port = 80 };

	(void)state;
	assert_true(service_rule_match(&r, &in));
	r.port = 81;
	assert_false(service_rule_match(&r, &in));
	r.port = 0;
	strcpy(r.exe, "/usr/*/nginx");
	assert_true(service_rule_match(&r, &in));
	strcpy(r.exe, "/usr/bin/*");
	assert_false(service_rule_match(&r, &in));
	assert_false(service_rule_match(NULL, &in));
	assert_false(service_rule_match(&r, NULL));
	/* a full 15-character comm is compared exactly */
	strcpy(r.comm, "abcdefghijklmno");
	r.exe[0] = '\0';
	in.comm = "abcdefghijklmno";
	assert_true(service_rule_match(&r, &in));
	in.comm = "abcdefghijklmnop";
	assert_false(service_rule_match(&r, &in));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_fallbacks),
		cmocka_unit_test(test_output_bounds),
		cmocka_unit_test(test_rule_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
