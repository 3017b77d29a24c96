// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Tests of the HTTP RED aggregator: each observation lands in the right
 * family with the right labels and counts; unanswered requests stay out
 * of the duration histogram; incomplete responses are in it and counted.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "biothings/events.h"
#include "http_red.h"
#include "metrics.h"
#include "expo_lines.h"

struct fixture {
	struct metrics *m;
	struct http_red *r;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->m = metrics__new(1000);
	f->r = f->m ? http_red__new(f->m) : NULL;
	*state = f;
	return f->r ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	http_red__free(f->r);
	metrics__free(f->m);
	free(f);
	return 0;
}

static struct http_obs server_obs(void)
{
	return (struct http_obs){ .service_name = "shop",
				  .role = BT_ROLE_SERVER,
				  .method = "GET",
				  .status = 200,
				  .route = "/items/{id}",
				  .duration_s = 0.02,
				  .req_bytes = 100,
				  .resp_bytes = 1000 };
}

#define SRV \
	"service_name=\"shop\",http_request_method=\"GET\",http_response_status_code=\"200\",http_route=\"/items/{id}\""

static void test_server_histogram(void **state)
{
	struct fixture *f = *state;
	struct http_obs o = server_obs();
	char *out;

	assert_int_equal(http_red__observe(f->r, &o), 0);
	o.duration_s = 0.3;
	assert_int_equal(http_red__observe(f->r, &o), 0);
	o.status = 404;
	o.method = "BREW"; /* unknown methods collapse to _OTHER */
	assert_int_equal(http_red__observe(f->r, &o), 0);
	out = render(f->m);
	assert_line(out, "# TYPE http_server_request_duration_seconds histogram");
	assert_line(out, "http_server_request_duration_seconds_bucket{" SRV ",le=\"0.01\"} 0");
	assert_line(out, "http_server_request_duration_seconds_bucket{" SRV ",le=\"0.025\"} 1");
	assert_line(out, "http_server_request_duration_seconds_bucket{" SRV ",le=\"0.5\"} 2");
	assert_line(out, "http_server_request_duration_seconds_bucket{" SRV ",le=\"+Inf\"} 2");
	assert_line(out, "http_server_request_duration_seconds_count{" SRV "} 2");
	assert_line(out, "http_server_request_duration_seconds_count{service_name=\"shop\","
			 "http_request_method=\"_OTHER\",http_response_status_code=\"404\","
			 "http_route=\"/items/{id}\"} 1");
	assert_line(
		out,
		"biothings_http_request_bytes_total{service_name=\"shop\",role=\"server\"} 300");
	assert_line(
		out,
		"biothings_http_response_bytes_total{service_name=\"shop\",role=\"server\"} 3000");
	assert_null(strstr(out, "http_client_request_duration_seconds_count"));
	assert_null(strstr(out, "biothings_http_requests_unanswered_total{"));
	free(out);
}

static void test_client_histogram(void **state)
{
	struct fixture *f = *state;
	struct http_obs o = { .service_name = "shop",
			      .role = BT_ROLE_CLIENT,
			      .method = "POST",
			      .status = 503,
			      .server_address = "10.0.0.7",
			      .server_port = 8080,
			      .duration_s = 1.5,
			      .req_bytes = 10,
			      .resp_bytes = 20 };
	char *out;

	assert_int_equal(http_red__observe(f->r, &o), 0);
	o.server_address = NULL;
	o.server_port = 0;
	o.service_name = NULL;
	o.method = NULL;
	assert_int_equal(http_red__observe(f->r, &o), 0);
	out = render(f->m);
	assert_line(out, "http_client_request_duration_seconds_bucket{service_name=\"shop\","
			 "http_request_method=\"POST\",http_response_status_code=\"503\","
			 "server_address=\"10.0.0.7\",server_port=\"8080\",le=\"2.5\"} 1");
	assert_line(out, "http_client_request_duration_seconds_bucket{service_name=\"shop\","
			 "http_request_method=\"POST\",http_response_status_code=\"503\","
			 "server_address=\"10.0.0.7\",server_port=\"8080\",le=\"1\"} 0");
	assert_line(out,
		    "http_client_request_duration_seconds_sum{service_name=\"unknown_service\","
		    "http_request_method=\"_OTHER\",http_response_status_code=\"503\","
		    "server_address=\"\",server_port=\"\"} 1.5");
	assert_line(out,
		    "biothings_http_request_bytes_total{service_name=\"shop\",role=\"client\"} 10");
	assert_null(strstr(out, "http_server_request_duration_seconds_count"));
	free(out);
}

static void test_unanswered(void **state)
{
	struct fixture *f = *state;
	struct http_obs o = server_obs();
	char *out;

	o.flags = BT_REQ_NO_RESPONSE;
	o.status = 0;
	o.resp_bytes = 0;
	assert_int_equal(http_red__observe(f->r, &o), 0);
	assert_int_equal(http_red__observe(f->r, &o), 0);
	o.role = BT_ROLE_CLIENT;
	o.status = 0;
	o.flags = 0; /* no status line seen is no response either */
	assert_int_equal(http_red__observe(f->r, &o), 0);
	out = render(f->m);
	assert_line(out, "# TYPE biothings_http_requests_unanswered_total counter");
	assert_line(
		out,
		"biothings_http_requests_unanswered_total{service_name=\"shop\",role=\"server\"} 2");
	assert_line(
		out,
		"biothings_http_requests_unanswered_total{service_name=\"shop\",role=\"client\"} 1");
	assert_line(
		out,
		"biothings_http_request_bytes_total{service_name=\"shop\",role=\"server\"} 200");
	assert_null(strstr(out, "_request_duration_seconds_count"));
	assert_null(strstr(out, "biothings_http_responses_incomplete_total{"));
	free(out);
}

static void test_incomplete(void **state)
{
	struct fixture *f = *state;
	struct http_obs o = server_obs();
	char *out;

	o.flags = BT_REQ_INCOMPLETE;
	assert_int_equal(http_red__observe(f->r, &o), 0);
	o.flags = 0;
	assert_int_equal(http_red__observe(f->r, &o), 0);
	out = render(f->m);
	assert_line(out, "http_server_request_duration_seconds_count{" SRV "} 2");
	assert_line(
		out,
		"biothings_http_responses_incomplete_total{service_name=\"shop\",role=\"server\"} 1");
	assert_null(strstr(out, "biothings_http_requests_unanswered_total{"));
	free(out);
}

static void test_bad_input(void **state)
{
	struct fixture *f = *state;
	struct http_obs o = server_obs();
	char *out;

	o.role = 0;
	assert_int_equal(http_red__observe(f->r, &o), -EINVAL);
	o = server_obs();
	o.duration_s = NAN;
	assert_int_equal(http_red__observe(f->r, &o), -EINVAL);
	o.duration_s = -1;
	assert_int_equal(http_red__observe(f->r, &o), -EINVAL);
	assert_int_equal(http_red__observe(f->r, NULL), -EINVAL);
	assert_int_equal(metrics__series(f->m), 0); /* nothing half-counted */
	/* one registry, one set of families */
	assert_null(http_red__new(f->m));
	assert_int_equal(errno, EEXIST);
	out = render(f->m);
	assert_null(strstr(out, "biothings_http_request_bytes_total{"));
	free(out);
}

static void test_series_cap_reported(void **state)
{
	struct metrics *m = metrics__new(2);
	struct http_red *r = http_red__new(m);
	struct http_obs o = server_obs();

	(void)state;
	assert_non_null(r);
	/* two byte counters fill the cap; the histogram series is refused */
	assert_int_equal(http_red__observe(r, &o), -ENOSPC);
	assert_int_equal(metrics__series_dropped(m), 1);
	http_red__free(r);
	metrics__free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_server_histogram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_histogram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unanswered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_incomplete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
		cmocka_unit_test(test_series_cap_reported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
