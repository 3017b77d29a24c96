// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * attribution: every source, rule order, label cleaning of hostile values,
 * the cardinality cap under a stream of 10000 distinct header values, the
 * lifetime of returned strings, and rule checks.
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

#include "attribution.h"

/* A fake call: at most a few headers and variables, looked up by exact name. */
struct kv {
	const char *k, *v;
};

struct fake {
	struct kv hdr[4], env[4];
	unsigned header_calls, env_calls;
};

static const char *lookup(const struct kv *kv, const char *name)
{
	for (int i = 0; i < 4 && kv[i].k; i++) {
		if (!strcmp(kv[i].k, name))
			return kv[i].v;
	}
	return NULL;
}

static const char *hdr_cb(void *arg, const char *name)
{
	struct fake *f = arg;

	f->header_calls++;
	return lookup(f->hdr, name);
}

static const char *env_cb(void *arg, const char *name)
{
	struct fake *f = arg;

	f->env_calls++;
	return lookup(f->env, name);
}

static struct attr_rule mk(enum attr_source s, const char *name, const char *type)
{
	struct attr_rule r;

	memset(&r, 0, sizeof(r));
	r.source = s;
	snprintf(r.name, sizeof(r.name), "%s", name);
	snprintf(r.agent_type, sizeof(r.agent_type), "%s", type);
	return r;
}

static struct attr_input input(struct fake *f, const char *comm, const char *exe,
			       const char *cgroup)
{
	return (struct attr_input){
		.header = hdr_cb, .env = env_cb, .comm = comm, .exe = exe, .cgroup = cgroup, .arg = f
	};
}

static void test_sources(void **state)
{
	struct attr_rule r[] = {
		mk(ATTR_HEADER, "X-Agent-Type", ""),
		mk(ATTR_HEADER, "X-Reviewer", "reviewer"),
		mk(ATTR_ENV, "AGENT_TYPE", ""),
		mk(ATTR_ENV, "PLANNER_MODE", "planner"),
		mk(ATTR_COMM, "lit-*", "literature"),
		mk(ATTR_EXE, "/opt/agents/*/bin/run", "runner"),
		mk(ATTR_CGROUP, "*/bench-[0-9]*", "benchmark"),
	};
	struct attribution *a = attribution__new(r, sizeof(r) / sizeof(r[0]), 50);
	struct fake f = { 0 };
	struct attr_input in;

	(void)state;
	assert_non_null(a);
	in = input(&f, NULL, NULL, NULL);
	assert_string_equal(attribution__agent(a, &in), ATTR_UNKNOWN);
	assert_int_equal(f.header_calls, 2);
	assert_int_equal(f.env_calls, 2);

	f.hdr[0] = (struct kv){ "X-Agent-Type", "data-curator" };
	assert_string_equal(attribution__agent(a, &in), "data-curator");
	/* presence alone, whatever the value */
	f.hdr[0] = (struct kv){ "X-Reviewer", "" };
	assert_string_equal(attribution__agent(a, &in), "reviewer");
	f.hdr[0] = (struct kv){ "X-Reviewer", "\x01\x02 anything" };
	assert_string_equal(attribution__agent(a, &in), "reviewer");
	f.hdr[0] = (struct kv){ 0 };

	f.env[0] = (struct kv){ "AGENT_TYPE", "hypothesis_gen" };
	assert_string_equal(attribution__agent(a, &in), "hypothesis_gen");
	f.env[0] = (struct kv){ "PLANNER_MODE", "0" };
	assert_string_equal(attribution__agent(a, &in), "planner");
	f.env[0] = (struct kv){ 0 };

	in.comm = "lit-search";
	assert_string_equal(attribution__agent(a, &in), "literature");
	in.comm = "xlit-search";
	assert_string_equal(attribution__agent(a, &in), ATTR_UNKNOWN);
	in.comm = "";
	in.exe = "/opt/agents/summarizer/bin/run";
	assert_string_equal(attribution__agent(a, &in), "runner");
	in.exe = "/opt/agents/summarizer/bin/run2";
	assert_string_equal(attribution__agent(a, &in), ATTR_UNKNOWN);
	in.exe = NULL;
	in.cgroup = "/system.slice/bench-42.scope";
	assert_string_equal(attribution__agent(a, &in), "benchmark");
	in.cgroup = "/system.slice/bench-x.scope";
	assert_string_equal(attribution__agent(a, &in), ATTR_UNKNOWN);

	/* no callbacks, nothing known */
	in = (struct attr_input){ 0 };
	assert_string_equal(attribution__agent(a, &in), ATTR_UNKNOWN);
	assert_string_equal(attribution__agent(a, NULL), ATTR_UNKNOWN);
	assert_string_equal(attribution__agent(NULL, &in), ATTR_UNKNOWN);
	assert_int_equal(attribution__overflowed(a), 0);
	attribution__free(a);
}

static void test_order(void **state)
{
	struct attr_rule r[] = {
		mk(ATTR_COMM, "python3*", "notebook"),
		mk(ATTR_HEADER, "X-Agent-Type", ""),
		mk(ATTR_COMM, "*", "fallback"),
	};
	struct attribution *a = attribution__new(r, 3, 50);
	struct fake f = { .hdr = { { "X-Agent-Type", "planner" } } };
	struct attr_input in = input(&f, "python3.11", NULL, NULL);

	(void)state;
	assert_non_null(a);
	assert_string_equal(attribution__agent(a, &in), "notebook");
	assert_int_equal(f.header_calls, 0); /* decided before the header was asked for */
	in.comm = "node";
	assert_string_equal(attribution__agent(a, &in), "planner");
	f.hdr[0].v = "!!!"; /* nothing left after cleaning: the next rule decides */
	assert_string_equal(attribution__agent(a, &in), "fallback");
	in.comm = NULL; /* an unknown comm matches no glob, not even "*" */
	assert_string_equal(attribution__agent(a, &in), ATTR_UNKNOWN);
	attribution__free(a);
}

static void test_clean_values(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "planner", "planner" },
		{ "Planner.V2", "Planner.V2" },
		{ "team/agent@host:1-a_b", "team/agent@host:1-a_b" },
		{ " planner ", "planner" },
		{ "plan ner", "planner" },
		{ "a\"b\\c{d}e,f=g\nh", "abcdefgh" },
		{ "agent\xc3\xa9x", "agentx" },
		{ "\xff\xfe\x01\x7f", NULL },
		{ "", NULL },
		{ "   \t\r\n", NULL },
		{ "unknown", ATTR_UNKNOWN },
		{ "other", ATTR_OTHER },
		{ "<other>", ATTR_OTHER },
	};
	struct attr_rule r = mk(ATTR_HEADER, "X-Agent", "");
	struct attribution *a = attribution__new(&r, 1, 100);
	struct fake f = { 0 };
	struct attr_input in = input(&f, NULL, NULL, NULL);
	char longv[300], want[ATTR_VALUE_MAX];

	(void)state;
	assert_non_null(a);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got;

		f.hdr[0] = (struct kv){ "X-Agent", cases[i].in };
		got = attribution__agent(a, &in);
		if (strcmp(got, cases[i].want ? cases[i].want : ATTR_UNKNOWN))
			fail_msg("\"%s\" -> \"%s\"", cases[i].in, got);
	}
	/* cut at ATTR_VALUE_MAX - 1 label characters, after dropping the others */
	for (size_t i = 0; i < sizeof(longv) - 1; i++)
		longv[i] = i % 2 ? ' ' : (char)('a' + (i / 2) % 26);
	longv[sizeof(longv) - 1] = '\0';
	for (size_t i = 0; i < ATTR_VALUE_MAX - 1; i++)
		want[i] = (char)('a' + i % 26);
	want[ATTR_VALUE_MAX - 1] = '\0';
	f.hdr[0] = (struct kv){ "X-Agent", longv };
	assert_string_equal(attribution__agent(a, &in), want);
	assert_int_equal(strlen(attribution__agent(a, &in)), ATTR_VALUE_MAX - 1);
	assert_int_equal(attribution__overflowed(a), 0);
	attribution__free(a);
}

static void test_cap_hostile(void **state)
{
	struct attr_rule r[] = {
		mk(ATTR_HEADER, "X-Agent-Type", ""),
		mk(ATTR_COMM, "trusted", "curator"),
	};
	struct attribution *a = attribution__new(r, 2, 10);
	struct fake f = { 0 };
	struct attr_input in = input(&f, "trusted", NULL, NULL);
	const char *first = NULL, *kept[9];
	char v[32];
	size_t n_kept = 0, n_other = 0;

	(void)state;
	assert_non_null(a);
	for (int i = 0; i < 10000; i++) {
		const char *got;

		snprintf(v, sizeof(v), "agent-%d", i);
		f.hdr[0] = (struct kv){ "X-Agent-Type", v };
		got = attribution__agent(a, &in);
		if (!strcmp(got, ATTR_OTHER)) {
			n_other++;
			continue;
		}
		assert_string_equal(got, v);
		assert_true(n_kept < 9);
		kept[n_kept++] = got;
		if (!first)
			first = got;
	}
	/* the configured "curator" holds one of the 10 places */
	assert_int_equal(n_kept, 9);
	assert_int_equal(n_other, 10000 - 9);
	assert_int_equal(attribution__overflowed(a), 10000 - 9);
	/* kept values still answer, with the same interned string, and are not counted again */
	f.hdr[0] = (struct kv){ "X-Agent-Type", "agent-0" };
	assert_ptr_equal(attribution__agent(a, &in), first);
	assert_string_equal(first, "agent-0");
	for (size_t i = 0; i < n_kept; i++) {
		snprintf(v, sizeof(v), "agent-%zu", i);
		assert_string_equal(kept[i], v);
	}
	/* a configured type is never pushed out by the flood */
	f.hdr[0] = (struct kv){ 0 };
	assert_string_equal(attribution__agent(a, &in), "curator");
	/* a header value equal to a configured type is not a new value either */
	f.hdr[0] = (struct kv){ "X-Agent-Type", "curator" };
	assert_string_equal(attribution__agent(a, &in), "curator");
	/* nor are unknown and other */
	f.hdr[0] = (struct kv){ "X-Agent-Type", "unknown" };
	assert_string_equal(attribution__agent(a, &in), ATTR_UNKNOWN);
	f.hdr[0] = (struct kv){ "X-Agent-Type", "agent-x" };
	assert_string_equal(attribution__agent(a, &in), ATTR_OTHER);
	assert_int_equal(attribution__overflowed(a), 10000 - 9 + 1);
	attribution__free(a);
	assert_int_equal(attribution__overflowed(NULL), 0);
}

static void test_cap_zero(void **state)
{
	struct attr_rule r = mk(ATTR_ENV, "AGENT", "");
	struct attribution *a = attribution__new(&r, 1, 0);
	struct fake f = { .env = { { "AGENT", "planner" } } };
	struct attr_input in = input(&f, NULL, NULL, NULL);

	(void)state;
	assert_non_null(a);
	assert_string_equal(attribution__agent(a, &in), ATTR_OTHER);
	assert_string_equal(attribution__agent(a, &in), ATTR_OTHER);
	assert_int_equal(attribution__overflowed(a), 2);
	attribution__free(a);

	/* no rules at all */
	a = attribution__new(NULL, 0, 5);
	assert_non_null(a);
	assert_string_equal(attribution__agent(a, &in), ATTR_UNKNOWN);
	attribution__free(a);
	attribution__free(NULL);
}

static void expect_bad(struct attr_rule r, const char *why_part)
{
	char why[128] = "";

	assert_int_equal(attr_rule_check(&r, why, sizeof(why)), -EINVAL);
	if (!strstr(why, why_part))
		fail_msg("why \"%s\" lacks \"%s\"", why, why_part);
	errno = 0;
	assert_null(attribution__new(&r, 1, 10));
	assert_int_equal(errno, EINVAL);
}

static void test_rule_check(void **state)
{
	static const struct attr_rule good[] = {
		{ ATTR_HEADER, "X-Agent-Type", "" },  { ATTR_HEADER, "x-agent-2", "planner" },
		{ ATTR_ENV, "AGENT_TYPE", "" },	      { ATTR_ENV, "_x9", "a.b:c/d@e-f_g" },
		{ ATTR_COMM, "python*", "notebook" }, { ATTR_EXE, "/usr/bin/[a-z]*", "tool" },
		{ ATTR_CGROUP, "*", "any" },
	};
	struct attr_rule r;
	static struct attr_rule many[ATTR_MAX_RULES + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (attr_rule_check(&good[i], NULL, 0))
			fail_msg("rule %zu refused", i);
	}
	expect_bad(mk(ATTR_HEADER, "", ""), "name");
	expect_bad(mk(ATTR_HEADER, "X_Agent", ""), "header name");
	expect_bad(mk(ATTR_HEADER, "X-Agent:", ""), "header name");
	expect_bad(mk(ATTR_HEADER, "X Agent", ""), "header name");
	expect_bad(mk(ATTR_ENV, "9AGENT", ""), "env name");
	expect_bad(mk(ATTR_ENV, "AGENT-TYPE", ""), "env name");
	expect_bad(mk(ATTR_ENV, "AGENT=x", ""), "env name");
	expect_bad(mk(ATTR_COMM, "", "x"), "name");
	expect_bad(mk(ATTR_COMM, "python", ""), "agent_type");
	expect_bad(mk(ATTR_EXE, "/bin/*", ""), "agent_type");
	expect_bad(mk(ATTR_CGROUP, "*", ""), "agent_type");
	expect_bad(mk(ATTR_COMM, "python", "note book"), "agent_type");
	expect_bad(mk(ATTR_HEADER, "X-A", "a\"b"), "agent_type");
	expect_bad(mk(ATTR_ENV, "A", "caf\xc3\xa9"), "agent_type");
	r = mk(ATTR_COMM, "x", "x");
	memset(r.name, 'a', sizeof(r.name));
	expect_bad(r, "name");
	r = mk(ATTR_COMM, "x", "x");
	memset(r.agent_type, 'a', sizeof(r.agent_type));
	expect_bad(r, "agent_type");
	r = mk(ATTR_COMM, "x", "x");
	r.source = ATTR_SOURCE__COUNT;
	expect_bad(r, "source");
	assert_int_equal(attr_rule_check(NULL, NULL, 0), -EINVAL);

	for (size_t i = 0; i <= ATTR_MAX_RULES; i++)
		many[i] = mk(ATTR_COMM, "x*", "x");
	{
		struct attribution *a = attribution__new(many, ATTR_MAX_RULES, 1);

		assert_non_null(a);
		attribution__free(a);
	}
	errno = 0;
	assert_null(attribution__new(many, ATTR_MAX_RULES + 1, 1));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(attribution__new(NULL, 1, 1));
	assert_int_equal(errno, EINVAL);

	assert_string_equal(attr_source_name(ATTR_HEADER), "header");
	assert_string_equal(attr_source_name(ATTR_ENV), "env");
	assert_string_equal(attr_source_name(ATTR_COMM), "comm");
	assert_string_equal(attr_source_name(ATTR_EXE), "exe");
	assert_string_equal(attr_source_name(ATTR_CGROUP), "cgroup");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sources),	     cmocka_unit_test(test_order),
		cmocka_unit_test(test_clean_values), cmocka_unit_test(test_cap_hostile),
		cmocka_unit_test(test_cap_zero),     cmocka_unit_test(test_rule_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
