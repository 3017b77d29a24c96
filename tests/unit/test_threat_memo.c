// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * threat_memo: fingerprints of requests the threat scan found clean, and
 * security__probe/security__http over them as observe.c uses them: a
 * request known clean is not scanned again, an attack is scanned (and
 * raised) every time it comes, and one byte of difference is a new request.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "detect.h"
#include "http_threat.h"
#include "log.h"
#include "metrics.h"
#include "security.h"
#include "threat_memo.h"

static struct threat_fp fp_of(struct threat_memo *m, enum threat_memo_kind k, const char *s)
{
	struct threat_fp fp;

	threat_memo__fp(m, k, s, strlen(s), &fp);
	return fp;
}

static void test_clean_then_known(void **state)
{
	struct threat_memo *m = threat_memo__new(64);
	struct threat_fp a, b;

	(void)state;
	assert_non_null(m);
	a = fp_of(m, THREAT_MEMO_HEAD, "GET /a HTTP/1.1\r\nHost: h\r\n\r\n");
	assert_false(threat_memo__known(m, &a));
	threat_memo__clean(m, &a);
	assert_true(threat_memo__known(m, &a));
	/* one byte apart is another request */
	b = fp_of(m, THREAT_MEMO_HEAD, "GET /b HTTP/1.1\r\nHost: h\r\n\r\n");
	assert_memory_not_equal(&a, &b, sizeof(a));
	assert_false(threat_memo__known(m, &b));
	assert_int_equal(threat_memo__hits(m), 1);
	assert_int_equal(threat_memo__misses(m), 2);
	threat_memo__free(m);
}

static void test_kinds_apart(void **state)
{
	struct threat_memo *m = threat_memo__new(64);
	struct threat_fp t, h;

	(void)state;
	t = fp_of(m, THREAT_MEMO_TARGET, "/items/1");
	h = fp_of(m, THREAT_MEMO_HEAD, "/items/1");
	assert_memory_not_equal(&t, &h, sizeof(t));
	threat_memo__clean(m, &t);
	assert_false(threat_memo__known(m, &h));
	assert_true(threat_memo__known(m, &t));
	threat_memo__free(m);
}

/* Each memo draws its own key: a fingerprint seen elsewhere says nothing. */
static void test_keys_differ(void **state)
{
	struct threat_memo *m1 = threat_memo__new(8), *m2 = threat_memo__new(8);
	struct threat_fp a, b;

	(void)state;
	a = fp_of(m1, THREAT_MEMO_TARGET, "/");
	b = fp_of(m2, THREAT_MEMO_TARGET, "/");
	assert_memory_not_equal(&a, &b, sizeof(a));
	/* and the same memo gives the same fingerprint twice */
	b = fp_of(m1, THREAT_MEMO_TARGET, "/");
	assert_memory_equal(&a, &b, sizeof(a));
	threat_memo__free(m1);
	threat_memo__free(m2);
}

/* One slot: a newer clean request replaces the older one. */
static void test_slot_replaced(void **state)
{
	struct threat_memo *m = threat_memo__new(1);
	struct threat_fp a, b;

	(void)state;
	a = fp_of(m, THREAT_MEMO_TARGET, "/a");
	b = fp_of(m, THREAT_MEMO_TARGET, "/b");
	threat_memo__clean(m, &a);
	threat_memo__clean(m, &b);
	assert_true(threat_memo__known(m, &b));
	assert_false(threat_memo__known(m, &a));
	threat_memo__free(m);
}

static void test_null_and_empty(void **state)
{
	struct threat_memo *m = threat_memo__new(0);
	struct threat_fp e1, e2;

	(void)state;
	assert_non_null(m);
	assert_false(threat_memo__known(NULL, &e1));
	threat_memo__clean(NULL, &e1);
	assert_false(threat_memo__known(m, NULL));
	threat_memo__clean(m, NULL);
	threat_memo__fp(m, THREAT_MEMO_TARGET, NULL, 5, &e1);
	threat_memo__fp(m, THREAT_MEMO_TARGET, "", 0, &e2);
	assert_memory_equal(&e1, &e2, sizeof(e1));
	assert_int_equal(threat_memo__hits(NULL), 0);
	threat_memo__free(NULL);
	threat_memo__free(m);
}

/* The way observe.c serves a request: probe, then scan unless known. */
static void served(struct security *s, const char *target, struct sec_probe *p)
{
	security__probe(s, THREAT_MEMO_TARGET, target, strlen(target), p);
	security__http(s, 1, "10.0.0.9", "GET", target, strlen(target), 200, "svc", NULL, p);
}

static void test_security_flow(void **state)
{
	struct detect_cfg dc;
	struct security_opts o = { .detect = &dc };
	struct metrics *mx = metrics__new(1000);
	struct security *s;
	struct sec_probe p;

	(void)state;
	log_set_level("error"); /* the events' warnings are expected */
	detect_cfg_defaults(&dc);
	s = security__new(&o, mx);
	assert_non_null(s);
	served(s, "/items/1", &p);
	assert_false(p.known_clean);
	served(s, "/items/1", &p);
	assert_true(p.known_clean);
	/* an attack is never remembered: raised each time it comes */
	for (int i = 1; i <= 3; i++) {
		served(s, "/items/1'%20OR%20'1'='1", &p);
		assert_false(p.known_clean);
		assert_int_equal(security__count(s, SEC_SQL_INJECTION), (uint64_t)i);
	}
	served(s, "/../../etc/passwd", &p);
	assert_int_equal(security__count(s, SEC_PATH_TRAVERSAL), 1);
	/* no memo handed over: scanned, and nothing remembered */
	security__http(s, 1, "10.0.0.9", "GET", "/x", 2, 200, "svc", NULL, NULL);
	assert_false(security__probe(s, THREAT_MEMO_TARGET, "/x", 2, &p));
	security__free(s);
	metrics__free(mx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_then_known), cmocka_unit_test(test_kinds_apart),
		cmocka_unit_test(test_keys_differ),	 cmocka_unit_test(test_slot_replaced),
		cmocka_unit_test(test_null_and_empty),	 cmocka_unit_test(test_security_flow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
