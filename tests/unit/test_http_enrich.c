// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * http_enrich: kernel records built by hand (IPv4, IPv6 and IPv4-mapped
 * peers, server and client roles, cut targets, odd methods, clocks that
 * went backwards) must become the observation and labels the metrics
 * expect: service from rules, exe basename or comm; route templated for
 * servers only and marked collapsed when the per-service cap overflows;
 * peer address text for clients.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "http_enrich.h"

static char *patterns[] = { "/api/experiments/{id}", "/static/{rest*}" };

struct fixture {
	struct obs_config cfg;
	struct route_table *rt;
	struct proc_meta pm;
	struct http_labels lb;
	struct http_obs o;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	obs_config_defaults(&f->cfg);
	f->rt = route_table__new(patterns, 2, 3);
	if (!f->rt) {
		free(f);
		return -1;
	}
	f->pm.tgid = 4242;
	strcpy(f->pm.exe, "/usr/sbin/nginx");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	route_table__free(f->rt);
	obs_config_free(&f->cfg);
	free(f);
	return 0;
}

static void set_path(struct bt_http_record *r, const char *path)
{
	size_t n = strlen(path);

	memset(r->path, 0, sizeof(r->path));
	memcpy(r->path, path, n < BT_PATH_MAX ? n : BT_PATH_MAX);
	r->path_len = n;
}

/* A finished GET to a local IPv4 server, as the kernel would send it. */
static void server_v4(struct bt_http_record *r, const char *path)
{
	memset(r, 0, sizeof(*r));
	r->hdr.type = BT_EV_HTTP;
	r->hdr.size = sizeof(*r);
	r->hdr.tgid = 4242;
	r->conn_id = 7;
	r->start_ns = 1000000000ull;
	r->end_ns = 1250000000ull;
	r->req_bytes = 78;
	r->resp_bytes = 612;
	r->status = 200;
	r->method = BT_M_GET;
	r->role = BT_ROLE_SERVER;
	r->family = AF_INET;
	r->lport = 8080;
	r->rport = 51234;
	r->laddr[0] = 127, r->laddr[3] = 1;
	r->raddr[0] = 127, r->raddr[3] = 1;
	memcpy(r->comm, "nginx", 6);
	set_path(r, path);
}

static void client_to(struct bt_http_record *r, int family, const char *addr, uint16_t port)
{
	server_v4(r, "/v1/query");
	r->role = BT_ROLE_CLIENT;
	r->family = family;
	r->rport = port;
	r->lport = 40000;
	memset(r->raddr, 0, sizeof(r->raddr));
	assert_int_equal(inet_pton(family, addr, r->raddr), 1);
}

static int enrich(struct fixture *f, const struct bt_http_record *r)
{
	memset(&f->lb, 0x5a, sizeof(f->lb));
	memset(&f->o, 0x5a, sizeof(f->o));
	return http_enrich(r, &f->pm, &f->cfg, f->rt, &f->lb, &f->o);
}

static void test_server_ipv4(void **state)
{
	struct fixture *f = *state;
	struct bt_http_record r;

	server_v4(&r, "/api/experiments/42?verbose=1");
	r.flags = BT_REQ_CLOSE_DELIMITED;
	assert_int_equal(enrich(f, &r), 0);
	assert_string_equal(f->lb.service, "nginx");
	assert_string_equal(f->lb.comm, "nginx");
	assert_ptr_equal(f->o.service_name, f->lb.service);
	assert_int_equal(f->o.role, BT_ROLE_SERVER);
	assert_string_equal(f->o.method, "GET");
	assert_int_equal(f->o.status, 200);
	assert_true(f->o.duration_s > 0.2499999 && f->o.duration_s < 0.2500001);
	assert_int_equal(f->o.req_bytes, 78);
	assert_int_equal(f->o.resp_bytes, 612);
	assert_int_equal(f->o.flags, BT_REQ_CLOSE_DELIMITED);
	assert_string_equal(f->o.route, "/api/experiments/{id}");
	assert_ptr_equal(f->o.route, f->lb.route);
	/* a server's peer is its client: no server_address label */
	assert_null(f->o.server_address);
	assert_int_equal(f->o.server_port, 0);
}

static void test_server_heuristic_route(void **state)
{
	struct fixture *f = *state;
	struct bt_http_record r;

	server_v4(&r, "/u/12345");
	assert_int_equal(enrich(f, &r), 0);
	assert_string_equal(f->o.route, "/u/{id}");
	server_v4(&r, "http://example.com/static/css/site.css#top");
	assert_int_equal(enrich(f, &r), 0);
	assert_string_equal(f->o.route, "/static/{rest*}");
	server_v4(&r, "*");
	r.method = BT_M_OPTIONS;
	assert_int_equal(enrich(f, &r), 0);
	assert_string_equal(f->o.route, "*");
	assert_string_equal(f->o.method, "OPTIONS");
}

static void test_service_from_exe_or_comm(void **state)
{
	struct fixture *f = *state;
	struct bt_http_record r;

	server_v4(&r, "/");
	memcpy(r.comm, "gunicorn: worke", 16);
	strcpy(f->pm.exe, "/opt/lab/venv/bin/python3.11 (deleted)");
	assert_int_equal(enrich(f, &r), 0);
	assert_string_equal(f->lb.service, "python3.11");

	f->pm.exe[0] = '\0'; /* process gone: fall back to comm */
	memcpy(r.comm, "celery", 7);
	assert_int_equal(enrich(f, &r), 0);
	assert_string_equal(f->lb.service, "celery");
	assert_string_equal(f->o.service_name, "celery");

	/* a comm of the full 16 bytes has no NUL in the record */
	memcpy(r.comm, "abcdefghijklmnop", 16);
	assert_int_equal(enrich(f, &r), 0);
	assert_string_equal(f->lb.comm, "abcdefghijklmnop");
	assert_int_equal(strlen(f->lb.service), 16);
	assert_memory_equal(f->lb.service, "abcdefghijklmnop", 16);
}

static void test_service_from_rule(void **state)
{
	struct fixture *f = *state;
	struct obs_service_rule rule;
	struct bt_http_record r;

	memset(&rule, 0, sizeof(rule));
	strcpy(rule.name, "lab-api");
	strcpy(rule.comm, "nginx");
	rule.port = 8080;
	f->cfg.services = &rule;
	f->cfg.n_services = 1;
	server_v4(&r, "/");
	assert_int_equal(enrich(f, &r), 0);
	assert_string_equal(f->lb.service, "lab-api");
	r.lport = 8081; /* the rule's port no longer matches: exe basename */
	assert_int_equal(enrich(f, &r), 0);
	assert_string_equal(f->lb.service, "nginx");
	f->cfg.services = NULL;
	f->cfg.n_services = 0;
}

static void test_client_ipv4(void **state)
{
	struct fixture *f = *state;
	struct bt_http_record r;

	client_to(&r, AF_INET, "10.1.2.3", 5432);
	r.raddr[4] = 0xee; /* bytes past an IPv4 address are not part of it */
	assert_int_equal(enrich(f, &r), 0);
	assert_int_equal(f->o.role, BT_ROLE_CLIENT);
	assert_string_equal(f->o.server_address, "10.1.2.3");
	assert_ptr_equal(f->o.server_address, f->lb.server_address);
	assert_int_equal(f->o.server_port, 5432);
	/* a client's target says nothing about a local route */
	assert_null(f->o.route);
	assert_int_equal(route_table__routes(f->rt, f->lb.service), 0);
}

static void test_client_ipv6_and_mapped(void **state)
{
	struct fixture *f = *state;
	struct bt_http_record r;

	client_to(&r, AF_INET6, "2001:db8::1", 443);
	assert_int_equal(enrich(f, &r), 0);
	assert_string_equal(f->o.server_address, "2001:db8::1");
	assert_int_equal(f->o.server_port, 443);

	client_to(&r, AF_INET6, "::ffff:192.0.2.7", 80);
	assert_int_equal(enrich(f, &r), 0);
	assert_string_equal(f->o.server_address, "192.0.2.7");

	client_to(&r, AF_INET6, "::1", 9464);
	assert_int_equal(enrich(f, &r), 0);
	assert_string_equal(f->o.server_address, "::1");
}

static void test_addr_text(void **state)
{
	unsigned char a[16] = { 0 };
	char out[64];

	(void)state;
	a[0] = 192, a[1] = 168, a[2] = 0, a[3] = 1;
	http_addr_text(AF_INET, a, out, sizeof(out));
	assert_string_equal(out, "192.168.0.1");
	assert_int_equal(inet_pton(AF_INET6, "fe80::1:2", a), 1);
	http_addr_text(AF_INET6, a, out, sizeof(out));
	assert_string_equal(out, "fe80::1:2");
	assert_int_equal(inet_pton(AF_INET6, "::ffff:10.0.0.9", a), 1);
	http_addr_text(AF_INET6, a, out, sizeof(out));
	assert_string_equal(out, "10.0.0.9");
	/* too small a buffer gives an empty string, not a cut address */
	http_addr_text(AF_INET6, a, out, 4);
	assert_string_equal(out, "");
	/* IPv4 is formatted by hand: every byte width, and the buffer's edge */
	for (unsigned v = 0; v < 256; v += 17) {
		char want[INET_ADDRSTRLEN];

		a[0] = (unsigned char)v, a[1] = 0, a[2] = 255, a[3] = (unsigned char)(255 - v);
		inet_ntop(AF_INET, a, want, sizeof(want));
		http_addr_text(AF_INET, a, out, sizeof(out));
		assert_string_equal(out, want);
	}
	a[0] = 255, a[1] = 255, a[2] = 255, a[3] = 255;
	http_addr_text(AF_INET, a, out, 16);
	assert_string_equal(out, "255.255.255.255");
	http_addr_text(AF_INET, a, out, 15);
	assert_string_equal(out, "");
	a[0] = 1, a[1] = 2, a[2] = 3, a[3] = 4;
	http_addr_text(AF_INET, a, out, 8);
	assert_string_equal(out, "1.2.3.4");
}

static void test_method_names(void **state)
{
	static const char *const want[BT_M__COUNT] = {
		"_OTHER", "GET",     "HEAD",	"POST",	 "PUT",
		"DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
	};
	struct fixture *f = *state;
	struct bt_http_record r;

	for (unsigned m = 0; m < BT_M__COUNT; m++)
		assert_string_equal(http_method_name(m), want[m]);
	assert_string_equal(http_method_name(BT_M__COUNT), "_OTHER");
	assert_string_equal(http_method_name(255), "_OTHER");
	assert_string_equal(http_method_name(~0u), "_OTHER");
	server_v4(&r, "/");
	r.method = 200; /* a record from a newer kernel side */
	assert_int_equal(enrich(f, &r), 0);
	assert_string_equal(f->o.method, "_OTHER");
}

static void test_clock_backwards(void **state)
{
	struct fixture *f = *state;
	struct bt_http_record r;

	server_v4(&r, "/");
	r.end_ns = r.start_ns - 1;
	assert_int_equal(enrich(f, &r), 0);
	assert_true(f->o.duration_s == 0.0);
	r.end_ns = r.start_ns;
	assert_int_equal(enrich(f, &r), 0);
	assert_true(f->o.duration_s == 0.0);
	r.start_ns = 0;
	r.end_ns = 3000000000ull;
	assert_int_equal(enrich(f, &r), 0);
	assert_true(f->o.duration_s > 2.9999999 && f->o.duration_s < 3.0000001);
}

/* The record's path is exactly BT_PATH_MAX bytes; what follows it in
 * memory must never leak into the route. */
struct record_and_more {
	struct bt_http_record r;
	char after[32];
};

static void test_truncated_path(void **state)
{
	struct fixture *f = *state;
	struct record_and_more *x = calloc(1, sizeof(*x));
	char path[BT_PATH_MAX + 1];

	assert_non_null(x);
	memset(path, 0, sizeof(path));
	strcpy(path, "/static/");
	memset(path + 8, 'a', BT_PATH_MAX - 8);
	server_v4(&x->r, path);
	assert_int_equal(x->r.path_len, BT_PATH_MAX);
	x->r.path_len = 900; /* the target was longer; the kernel kept 128 bytes */
	x->r.flags = BT_REQ_PATH_TRUNCATED;
	strcpy(x->after, "/secret/segment");
	assert_int_equal(enrich(f, &x->r), 0);
	assert_string_equal(f->o.route, "/static/{rest*}");
	assert_true(f->o.flags & BT_REQ_PATH_TRUNCATED);

	memset(x->r.path, 0, BT_PATH_MAX);
	memcpy(x->r.path, "/files/", 7);
	memset(x->r.path + 7, 'b', BT_PATH_MAX - 7);
	assert_int_equal(enrich(f, &x->r), 0);
	assert_non_null(f->o.route);
	assert_true(strlen(f->o.route) < ROUTE_MAX);
	assert_memory_equal(f->o.route, "/files/", 7);
	assert_null(strstr(f->o.route, "secret"));
	free(x);
}

static void test_route_cap_collapses(void **state)
{
	static const char *const paths[] = { "/one", "/two", "/three", "/four", "/five" };
	struct fixture *f = *state;
	struct bt_http_record r;

	/* cap 3 per service (setup): the fourth distinct route overflows */
	for (int i = 0; i < 5; i++) {
		server_v4(&r, paths[i]);
		assert_int_equal(enrich(f, &r), 0);
		if (i < 3) {
			assert_string_equal(f->o.route, paths[i]);
			assert_false(f->o.flags & HTTP_OBS_ROUTE_COLLAPSED);
		} else {
			assert_string_equal(f->o.route, ROUTE_OVERFLOW);
			assert_true(f->o.flags & HTTP_OBS_ROUTE_COLLAPSED);
		}
	}
	assert_int_equal(route_table__collapsed(f->rt, "nginx"), 2);
	/* known routes and configured patterns still come through */
	server_v4(&r, "/two?x=1");
	assert_int_equal(enrich(f, &r), 0);
	assert_string_equal(f->o.route, "/two");
	assert_false(f->o.flags & HTTP_OBS_ROUTE_COLLAPSED);
	server_v4(&r, "/api/experiments/9");
	assert_int_equal(enrich(f, &r), 0);
	assert_string_equal(f->o.route, "/api/experiments/{id}");
	assert_false(f->o.flags & HTTP_OBS_ROUTE_COLLAPSED);
	/* the cap is per service: another executable starts afresh */
	strcpy(f->pm.exe, "/usr/bin/caddy");
	server_v4(&r, "/four");
	assert_int_equal(enrich(f, &r), 0);
	assert_string_equal(f->lb.service, "caddy");
	assert_string_equal(f->o.route, "/four");
	assert_false(f->o.flags & HTTP_OBS_ROUTE_COLLAPSED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_server_ipv4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_heuristic_route, setup, teardown),
		cmocka_unit_test_setup_teardown(test_service_from_exe_or_comm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_service_from_rule, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_ipv4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_ipv6_and_mapped, setup, teardown),
		cmocka_unit_test(test_addr_text),
		cmocka_unit_test_setup_teardown(test_method_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clock_backwards, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_route_cap_collapses, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
