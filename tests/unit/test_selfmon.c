// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * selfmon: drop reasons by name, probe_up per hook (a path shared by two
 * files is down if either is), the connection gauge, and the eviction
 * estimate (a counter that never goes back, zero when closes outrun
 * opens, exact on a quiet map).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "selfmon.h"
#include "expo_lines.h"

struct fixture {
	struct metrics *m;
	struct selfmon *s;
	uint64_t kernel[BT_CNT__COUNT];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->m = metrics__new(1000);
	assert_non_null(f->m);
	f->s = selfmon__new(f->m, "1.2.3");
	assert_non_null(f->s);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	selfmon__free(f->s);
	metrics__free(f->m);
	free(f);
	return 0;
}

static void test_drop_reasons(void **state)
{
	struct fixture *f = *state;
	struct selfmon_input in = { .kernel = f->kernel, .malformed_records = 4 };
	char *out;

	f->kernel[BT_DROP_RINGBUF_FULL] = 17;
	f->kernel[BT_DROP_CONN_MAP_FULL] = 3;
	assert_int_equal(selfmon__update(f->s, &in), 0);
	out = render(f->m);
	assert_line(out, "biothings_observer_events_dropped_total{reason=\"ringbuf_full\"} 17");
	assert_line(out, "biothings_observer_events_dropped_total{reason=\"conn_map_full\"} 3");
	assert_line(out, "biothings_observer_events_dropped_total{reason=\"malformed_record\"} 4");
	assert_line(out, "biothings_observer_build_info{version=\"1.2.3\"} 1");
	/* no loader input yet: no probe series, and the connection figures at 0 */
	assert_null(strstr(out, "biothings_observer_probe_up{"));
	assert_line(out, "biothings_observer_connections_tracked 0");
	assert_line(out, "biothings_observer_connections_evicted_total 0");
	free(out);
	assert_string_equal(selfmon_drop_reason(BT_DROP_RINGBUF_FULL), "ringbuf_full");
	assert_string_equal(selfmon_drop_reason(BT_DROP_PAYLOAD_SHED), "payload_shed");
	for (int i = 0; i < BT_DROP__COUNT; i++) /* every drop reason is named */
		assert_non_null(selfmon_drop_reason(i));
	assert_null(selfmon_drop_reason(BT_CNT_CONN_OPENED));
	assert_null(selfmon_drop_reason(1000));
}

static void test_probe_up(void **state)
{
	struct fixture *f = *state;
	const struct probe_state probes[] = {
		{ "bt_exit_accept4", 1 },
		{ "bt_enter_dup3", 0 },
		{ "tls:/usr/lib/x86_64-linux-gnu/libssl.so.3", 1 },
		{ "tls:/opt/app/libssl.so.1.1", 0 },
		/* the same path in a container, a file whose probes failed */
		{ "tls:/usr/lib/x86_64-linux-gnu/libssl.so.3", 0 },
		{ "tls:/usr/bin/node", 1 },
		{ NULL, 1 }, /* ignored, not a crash */
		{ NULL, 0 },
	};
	struct selfmon_input in = { .kernel = f->kernel,
				    .probes = probes,
				    .n_probes = sizeof(probes) / sizeof(probes[0]) };
	char *out;

	assert_int_equal(selfmon__update(f->s, &in), 0);
	out = render(f->m);
	assert_line(out, "biothings_observer_probe_up{probe=\"bt_exit_accept4\"} 1");
	assert_line(out, "biothings_observer_probe_up{probe=\"bt_enter_dup3\"} 0");
	assert_line(out, "biothings_observer_probe_up{probe=\"tls:/opt/app/libssl.so.1.1\"} 0");
	assert_line(out, "biothings_observer_probe_up{probe=\"tls:/usr/bin/node\"} 1");
	assert_line(
		out,
		"biothings_observer_probe_up{probe=\"tls:/usr/lib/x86_64-linux-gnu/libssl.so.3\"} 0");
	assert_line(out, "# TYPE biothings_observer_probe_up gauge");
	free(out);

	/* a later update with the failed copy gone: the path is up again */
	in.n_probes = 4;
	assert_int_equal(selfmon__update(f->s, &in), 0);
	out = render(f->m);
	assert_line(
		out,
		"biothings_observer_probe_up{probe=\"tls:/usr/lib/x86_64-linux-gnu/libssl.so.3\"} 1");
	free(out);
}

static void test_connection_figures(void **state)
{
	struct fixture *f = *state;
	struct selfmon_input in = { .kernel = f->kernel,
				    .conns_tracked = 64,
				    .conns_evicted = 936 };
	char *out;

	assert_int_equal(selfmon__update(f->s, &in), 0);
	out = render(f->m);
	assert_line(out, "biothings_observer_connections_tracked 64");
	assert_line(out, "biothings_observer_connections_evicted_total 936");
	assert_line(out, "# TYPE biothings_observer_connections_evicted_total counter");
	free(out);
}

/* No series until the BPF side is up, then one each, for the hooks and framing in use. */
static void test_capture_hooks(void **state)
{
	struct fixture *f = *state;
	char *out;

	out = render(f->m);
	assert_null(strstr(out, "biothings_observer_capture_hooks_info{"));
	assert_null(strstr(out, "biothings_observer_capture_framing_info{"));
	free(out);
	selfmon__set_hooks(f->s, "socket", "boundary");
	out = render(f->m);
	assert_line(out, "biothings_observer_capture_hooks_info{hooks=\"socket\"} 1");
	assert_line(out, "biothings_observer_capture_framing_info{framing=\"boundary\"} 1");
	assert_null(strstr(out, "hooks=\"syscall\""));
	assert_null(strstr(out, "framing=\"full\""));
	free(out);
}

static void test_evicted_estimate(void **state)
{
	struct conn_census c = { .live = 64, .opened = 1000, .closed = 0 };

	(void)state;
	/* 1000 opened, none closed, 64 left: 936 went without a close */
	assert_int_equal(selfmon_evicted(0, &c, 0, 0), 936);
	/* seeded entries count as opened, swept ones as closed */
	assert_int_equal(selfmon_evicted(0, &c, 10, 0), 946);
	assert_int_equal(selfmon_evicted(0, &c, 10, 10), 936);
	/* connections the socket hooks met mid-stream count as opened too */
	c.adopted = 20;
	assert_int_equal(selfmon_evicted(0, &c, 10, 10), 956);
	c.adopted = 0;
	/* a quiet map: every entry accounted for */
	c = (struct conn_census){ .live = 5, .opened = 105, .closed = 100 };
	assert_int_equal(selfmon_evicted(0, &c, 0, 0), 0);
	/* closes read after the walk can outrun opens read before it: 0, not a wrap */
	c = (struct conn_census){ .live = 7, .opened = 100, .closed = 120 };
	assert_int_equal(selfmon_evicted(0, &c, 0, 0), 0);
	/* a counter: a lower census never takes it back */
	assert_int_equal(selfmon_evicted(936, &c, 0, 0), 936);
	c = (struct conn_census){ .live = 64, .opened = 5000, .closed = 1000 };
	assert_int_equal(selfmon_evicted(936, &c, 0, 0), 3936);
	/* no overflow at the top of the range */
	c = (struct conn_census){ .live = 0, .opened = UINT64_MAX - 1, .closed = 0 };
	assert_int_equal(selfmon_evicted(0, &c, 1, 0), UINT64_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_drop_reasons, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connection_figures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_capture_hooks, setup, teardown),
		cmocka_unit_test(test_evicted_estimate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
