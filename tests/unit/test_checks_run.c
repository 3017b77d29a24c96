// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Active checks against listeners this test creates on loopback: a port
 * that accepts, one that is refused, one that accepts and never answers
 * (timeout), scripted servers answering HTTP, RESP and PostgreSQL bytes
 * (whole, split, garbage, cut short), temp dirs for filesystem checks;
 * then the runner: schedule, metrics, on_result, checks_run__now from
 * several threads at once, and a prompt stop.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "checks_run.h"
#include "metrics.h"

#define MS 1000000ull

/* ------------------------------------------------------------ listeners */

/* A loopback listener that nobody accepts from: connect succeeds, nothing answers. */
static int listener(int family, uint16_t *port)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct sockaddr_in a4 = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_storage got;
	socklen_t len = sizeof(got);
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if ((family == AF_INET6 ? bind(fd, (struct sockaddr *)&a6, sizeof(a6)) :
				  bind(fd, (struct sockaddr *)&a4, sizeof(a4))) ||
	    listen(fd, 64) || getsockname(fd, (struct sockaddr *)&got, &len)) {
		close(fd);
		return -1;
	}
	*port = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&got)->sin6_port :
					   ((struct sockaddr_in *)&got)->sin_port);
	return fd;
}

/* A port nothing listens on (bound, then released). */
static uint16_t refused_port(void)
{
	uint16_t port;
	int fd = listener(AF_INET, &port);

	assert_true(fd >= 0);
	close(fd);
	return port;
}

struct piece {
	const char *p;
	size_t n;
};
#define PIECE(s)                 \
	{                        \
		s, sizeof(s) - 1 \
	}

/* Serves every connection: reads the request, sends the pieces (a pause between them so
 * they arrive apart), then closes, or holds the connection open until stopped. */
struct srv {
	int lfd, stopfd;
	uint16_t port;
	pthread_t t;
	const struct piece *reply;
	size_t npieces;
	const char *req_end; /* request complete when it ends with this... */
	size_t req_min; /* ...or has this many bytes */
	bool hold;
	char req[1024];
	size_t req_len;
	atomic_int conns;
	int held[64];
	size_t nheld;
};

static bool wait_fd(int fd, short ev, int ms)
{
	struct pollfd p = { .fd = fd, .events = ev };

	return poll(&p, 1, ms) > 0;
}

static void read_request(struct srv *s, int fd)
{
	char buf[1024];
	size_t len = 0;

	while (len < sizeof(buf) - 1 && wait_fd(fd, POLLIN, 2000)) {
		ssize_t n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);

		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if ((s->req_min && len >= s->req_min) ||
		    (s->req_end && len >= strlen(s->req_end) &&
		     !strcmp(buf + len - strlen(s->req_end), s->req_end)))
			break;
	}
	memcpy(s->req, buf, len);
	s->req_len = len;
}

static void serve(struct srv *s, int fd)
{
	read_request(s, fd);
	for (size_t i = 0; i < s->npieces; i++) {
		if (i)
			usleep(20000);
		if (send(fd, s->reply[i].p, s->reply[i].n, MSG_NOSIGNAL) < 0)
			break;
	}
	if (s->hold && s->nheld < 64)
		s->held[s->nheld++] = fd;
	else
		close(fd);
}

static void *srv_main(void *arg)
{
	struct srv *s = arg;

	for (;;) {
		struct pollfd p[2] = { { .fd = s->lfd, .events = POLLIN },
				       { .fd = s->stopfd, .events = POLLIN } };
		int fd;

		if (poll(p, 2, -1) < 0 || p[1].revents)
			break;
		fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		atomic_fetch_add(&s->conns, 1);
		serve(s, fd);
	}
	return NULL;
}

static void srv_start(struct srv *s, const struct piece *reply, size_t n, const char *req_end,
		      size_t req_min)
{
	memset(s, 0, sizeof(*s));
	s->reply = reply;
	s->npieces = n;
	s->req_end = req_end;
	s->req_min = req_min;
	s->lfd = listener(AF_INET, &s->port);
	assert_true(s->lfd >= 0);
	s->stopfd = eventfd(0, EFD_CLOEXEC);
	assert_true(s->stopfd >= 0);
	assert_int_equal(pthread_create(&s->t, NULL, srv_main, s), 0);
}

static void srv_stop(struct srv *s)
{
	eventfd_write(s->stopfd, 1);
	pthread_join(s->t, NULL);
	for (size_t i = 0; i < s->nheld; i++)
		close(s->held[i]);
	close(s->lfd);
	close(s->stopfd);
}

/* ------------------------------------------------------------ helpers */

static struct check_rule rule(const char *name, enum check_type t, const char *target,
			      uint64_t timeout_ms)
{
	struct check_rule r;

	check_rule_defaults(&r);
	snprintf(r.name, sizeof(r.name), "%s", name);
	r.type = t;
	if (t == CHECK_FILESYSTEM)
		snprintf(r.path, sizeof(r.path), "%s", target);
	else
		snprintf(r.target, sizeof(r.target), "%s", target);
	r.timeout_ns = timeout_ms * MS;
	r.interval_ns = 30000 * MS;
	return r;
}

static struct check_result run(const struct check_rule *r)
{
	struct check_result res;

	memset(&res, 0x5a, sizeof(res));
	check_probe_run(r, &res);
	assert_true(res.at > 0);
	return res;
}

static void expect_healthy(const struct check_rule *r)
{
	struct check_result res = run(r);

	if (!res.healthy)
		fail_msg("%s %s: unhealthy: %s", check_type_name(r->type), r->target, res.error);
	assert_string_equal(res.error, "");
	assert_true(res.latency_ns > 0);
	assert_true(res.latency_ns < r->timeout_ns);
}

static void expect_error(const struct check_rule *r, const char *want)
{
	struct check_result res = run(r);

	assert_false(res.healthy);
	if (strcmp(res.error, want))
		fail_msg("%s %s: error \"%s\", want \"%s\"", check_type_name(r->type), r->target,
			 res.error, want);
}

static char target_buf[200];

static const char *addr(const char *fmt, uint16_t port)
{
	snprintf(target_buf, sizeof(target_buf), fmt, port);
	return target_buf;
}

/* ------------------------------------------------------------ tcp */

static void test_tcp(void **state)
{
	uint16_t port, dead = refused_port();
	int fd = listener(AF_INET, &port);
	struct check_rule r;

	(void)state;
	assert_true(fd >= 0);
	r = rule("db", CHECK_TCP, addr("127.0.0.1:%u", port), 1000);
	expect_healthy(&r);
	r = rule("db", CHECK_TCP, addr("localhost:%u", port), 1000); /* a name: resolver thread */
	expect_healthy(&r);
	r = rule("db", CHECK_TCP, addr("127.0.0.1:%u", dead), 1000);
	expect_error(&r, "connection refused");
	r = rule("db", CHECK_TCP, addr("localhost:%u", dead), 1000); /* every address refused */
	expect_error(&r, "connection refused");
	close(fd);
}

static void test_tcp_ipv6(void **state)
{
	uint16_t port;
	int fd = listener(AF_INET6, &port);
	struct check_rule r;

	(void)state;
	if (fd < 0)
		skip(); /* no IPv6 loopback here */
	r = rule("v6", CHECK_TCP, addr("[::1]:%u", port), 1000);
	expect_healthy(&r);
	r = rule("v6", CHECK_HTTP, addr("http://[::1]:%u/", port), 1000);
	expect_error(&r, "timeout after 1s (reply)"); /* accepted by the kernel, never answered */
	close(fd);
}

static void test_timeout_no_reply(void **state)
{
	uint16_t port;
	int fd = listener(AF_INET, &port);
	struct check_rule r = rule("cache", CHECK_REDIS, addr("127.0.0.1:%u", port), 200);
	struct check_result res;

	(void)state;
	res = run(&r);
	assert_false(res.healthy);
	assert_string_equal(res.error, "timeout after 200ms (reply)");
	assert_true(res.latency_ns >= 200 * MS);
	r.timeout_ns = 1500 * MS;
	r.type = CHECK_POSTGRES;
	expect_error(&r, "timeout after 1.5s (reply)");
	close(fd);
}

static void test_resolve_failure(void **state)
{
	static const char want[] = "cannot resolve no-such-host.invalid: ";
	struct check_rule r = rule("x", CHECK_TCP, "no-such-host.invalid:80", 3000);
	struct check_result res;

	(void)state;
	res = run(&r);
	assert_false(res.healthy);
	/* .invalid never resolves; a host without a reachable DNS server may time out first */
	if (strncmp(res.error, want, strlen(want)) &&
	    strcmp(res.error, "timeout after 3s (resolve)"))
		fail_msg("error \"%s\"", res.error);
}

/* ------------------------------------------------------------ http */

static const char want_req_fmt[] = "GET %s HTTP/1.1\r\nHost: %s\r\n"
				   "User-Agent: biothings-observer-check\r\nAccept: */*\r\n"
				   "Connection: close\r\n\r\n";

static void http_case(const struct piece *reply, size_t n, uint16_t expect, const char *want)
{
	struct srv s;
	struct check_rule r;

	srv_start(&s, reply, n, "\r\n\r\n", 0);
	r = rule("api", CHECK_HTTP, addr("http://127.0.0.1:%u/health", s.port), 2000);
	r.expect_status = expect;
	if (want)
		expect_error(&r, want);
	else
		expect_healthy(&r);
	srv_stop(&s);
}

#define HTTP_CASE(reply, expect, want) \
	http_case(reply, sizeof(reply) / sizeof(reply[0]), expect, want)

static void test_http_status(void **state)
{
	static const struct piece ok[] = { PIECE("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n") };
	static const struct piece redirect[] = { PIECE("HTTP/1.0 302 Found\r\n\r\n") };
	static const struct piece unavailable[] = { PIECE(
		"HTTP/1.1 503 Service Unavailable\r\n\r\n") };
	static const struct piece not_found[] = { PIECE("HTTP/1.1 404 Not Found\r\n\r\n") };
	static const struct piece no_reason[] = { PIECE("HTTP/1.1 204\r\n\r\n") };

	(void)state;
	HTTP_CASE(ok, 0, NULL);
	HTTP_CASE(redirect, 0, NULL);
	HTTP_CASE(no_reason, 0, NULL);
	HTTP_CASE(unavailable, 0, "status 503");
	HTTP_CASE(not_found, 0, "status 404");
	HTTP_CASE(not_found, 404, NULL);
	HTTP_CASE(ok, 204, "status 200, expected 204");
	HTTP_CASE(unavailable, 503, NULL);
}

static void test_http_odd_replies(void **state)
{
	static const struct piece split[] = { PIECE("HT"), PIECE("TP/1.1 2"), PIECE("00 OK\r"),
					      PIECE("\n\r\n") };
	static const struct piece hints[] = { PIECE("HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n"
						    "\r\n"),
					      PIECE("HTTP/1.1 200 OK\r\n\r\n") };
	static const struct piece cont_then_503[] = { PIECE("HTTP/1.1 100 Continue\r\n\r\n"
							    "HTTP/1.1 503 No\r\n\r\n") };
	static const struct piece ssh[] = { PIECE("SSH-2.0-OpenSSH_9.2\r\n") };
	static const struct piece http2[] = { PIECE("HTTP/2 200\r\n\r\n") };
	static const struct piece bad_code[] = { PIECE("HTTP/1.1 2x0 OK\r\n\r\n") };
	static const struct piece code_099[] = { PIECE("HTTP/1.1 099 Low\r\n\r\n") };
	static const struct piece glued[] = { PIECE("HTTP/1.1 2000 OK\r\n\r\n") };
	static const struct piece cut[] = { PIECE("HTTP/1.1 20") };
	static const struct piece only_info[] = { PIECE("HTTP/1.1 100 Continue\r\n\r\n") };
	static const struct piece lf_only[] = { PIECE("HTTP/1.1 301 Moved\n\n") };
	static char longline[700];
	struct piece huge[] = { { longline, sizeof(longline) } };

	(void)state;
	memset(longline, 'a', sizeof(longline));
	HTTP_CASE(split, 0, NULL);
	HTTP_CASE(hints, 0, NULL);
	HTTP_CASE(lf_only, 0, NULL);
	HTTP_CASE(cont_then_503, 0, "status 503");
	HTTP_CASE(ssh, 0, "bad status line");
	HTTP_CASE(http2, 0, "bad status line");
	HTTP_CASE(bad_code, 0, "bad status line");
	HTTP_CASE(code_099, 0, "bad status line");
	HTTP_CASE(glued, 0, "bad status line");
	HTTP_CASE(cut, 0, "connection closed mid-reply");
	HTTP_CASE(only_info, 0, "connection closed mid-reply");
	http_case(NULL, 0, 0, "connection closed without a reply");
	http_case(huge, 1, 0, "reply line too long");
}

static void request_case(const char *url_fmt, const char *want_target, const char *want_host_fmt)
{
	static const struct piece ok[] = { PIECE("HTTP/1.1 200 OK\r\n\r\n") };
	char want[512], host[64];
	struct srv s;
	struct check_rule r;

	srv_start(&s, ok, 1, "\r\n\r\n", 0);
	r = rule("api", CHECK_HTTP, addr(url_fmt, s.port), 2000);
	expect_healthy(&r);
	srv_stop(&s);
	snprintf(host, sizeof(host), want_host_fmt, s.port);
	snprintf(want, sizeof(want), want_req_fmt, want_target, host);
	assert_int_equal(s.req_len, strlen(want));
	assert_memory_equal(s.req, want, s.req_len);
	assert_int_equal(atomic_load(&s.conns), 1);
}

static void test_http_request_bytes(void **state)
{
	(void)state;
	request_case("http://127.0.0.1:%u/health?x=1#frag", "/health?x=1", "127.0.0.1:%u");
	request_case("http://127.0.0.1:%u", "/", "127.0.0.1:%u");
	request_case("http://127.0.0.1:%u?q=1", "/?q=1", "127.0.0.1:%u");
	request_case("http://127.0.0.1:%u/", "/", "127.0.0.1:%u");
	request_case("http://localhost:%u/a/b", "/a/b", "localhost:%u");
}

static void test_http_bad_targets(void **state)
{
	struct check_rule r;

	(void)state;
	r = rule("api", CHECK_HTTP, "http://127.0.0.1:1/a b", 500);
	expect_error(&r, "bad target http://127.0.0.1:1/a b");
	r = rule("api", CHECK_HTTP, "http://127.0.0.1:1/a\r\nX-Evil: 1", 500);
	expect_error(&r, "bad target http://127.0.0.1:1/a\r\nX-Evil: 1");
	r = rule("api", CHECK_HTTP, "https://127.0.0.1:1/", 500);
	expect_error(&r, "bad target https://127.0.0.1:1/");
	r = rule("api", CHECK_HTTP, "http://", 500);
	expect_error(&r, "bad target http://");
	r = rule("db", CHECK_TCP, "127.0.0.1", 500);
	expect_error(&r, "bad target 127.0.0.1");
	r = rule("db", CHECK_REDIS, "127.0.0.1:0", 500);
	expect_error(&r, "bad target 127.0.0.1:0");
}

/* ------------------------------------------------------------ redis */

static void redis_case(const struct piece *reply, size_t n, const char *want)
{
	struct srv s;
	struct check_rule r;

	srv_start(&s, reply, n, "PING\r\n", 0);
	r = rule("cache", CHECK_REDIS, addr("127.0.0.1:%u", s.port), 2000);
	if (want)
		expect_error(&r, want);
	else
		expect_healthy(&r);
	srv_stop(&s);
	assert_int_equal(s.req_len, 14);
	assert_memory_equal(s.req, "*1\r\n$4\r\nPING\r\n", 14);
}

#define REDIS_CASE(reply, want) redis_case(reply, sizeof(reply) / sizeof(reply[0]), want)

static void test_redis(void **state)
{
	static const struct piece pong[] = { PIECE("+PONG\r\n") };
	static const struct piece pong_split[] = { PIECE("+PO"), PIECE("NG"), PIECE("\r\n") };
	static const struct piece noauth[] = { PIECE("-NOAUTH Authentication required.\r\n") };
	static const struct piece loading[] = { PIECE("-LOADING Redis is loading the dataset in "
						      "memory\r\n") };
	static const struct piece bulk[] = { PIECE("$4\r\nPONG\r\n") };
	static const struct piece pongs[] = { PIECE("+PONGS\r\n") };
	static const struct piece ctl[] = { PIECE("-ERR bad\x01\xff\r\n") };
	static const struct piece cut[] = { PIECE("+PON") };
	static const struct piece http[] = { PIECE("HTTP/1.1 400 Bad Request\r\n\r\n") };

	(void)state;
	REDIS_CASE(pong, NULL);
	REDIS_CASE(pong_split, NULL);
	REDIS_CASE(noauth, NULL);
	REDIS_CASE(loading, "redis: LOADING Redis is loading the dataset in memory");
	REDIS_CASE(bulk, "unexpected reply: $4");
	REDIS_CASE(pongs, "unexpected reply: +PONGS");
	REDIS_CASE(ctl, "redis: ERR bad??");
	REDIS_CASE(cut, "connection closed mid-reply");
	REDIS_CASE(http, "unexpected reply: HTTP/1.1 400 Bad Request");
	redis_case(NULL, 0, "connection closed without a reply");
}

/* ------------------------------------------------------------ postgres */

static void pg_case(const struct piece *reply, size_t n, const char *want)
{
	static const char ssl_request[] = { 0, 0, 0, 8, 0x04, (char)0xd2, 0x16, 0x2f };
	struct srv s;
	struct check_rule r;

	srv_start(&s, reply, n, NULL, 8);
	s.hold = !want; /* like a real server: waits for the next message after 'N' */
	r = rule("pg", CHECK_POSTGRES, addr("127.0.0.1:%u", s.port), 2000);
	if (want)
		expect_error(&r, want);
	else
		expect_healthy(&r);
	srv_stop(&s);
	assert_int_equal(s.req_len, 8);
	assert_memory_equal(s.req, ssl_request, 8);
}

#define PG_CASE(reply, want) pg_case(reply, sizeof(reply) / sizeof(reply[0]), want)

static void test_postgres(void **state)
{
	static const struct piece no_ssl[] = { PIECE("N") };
	static const struct piece ssl[] = { PIECE("S") };
	static const struct piece v2_error[] = { PIECE("Esorry, too many clients already\n\0") };
	static const struct piece v3_error[] = { PIECE(
		"E\0\0\0\x3c"
		"SFATAL\0C53300\0Mremaining connection slots are reserved\0\0") };
	static const struct piece v3_no_msg[] = { PIECE("E\0\0\0\x0cSFATAL\0\0") };
	static const struct piece v3_split[] = { PIECE("E\0\0"), PIECE("\0\x11Mstarting up\0\0") };
	static const struct piece http[] = { PIECE("HTTP/1.1 400 Bad Request\r\n\r\n") };
	static const struct piece bare_e[] = { PIECE("E") };

	(void)state;
	PG_CASE(no_ssl, NULL);
	PG_CASE(ssl, NULL);
	PG_CASE(v2_error, "postgres: sorry, too many clients already");
	PG_CASE(v3_error, "postgres: remaining connection slots are reserved");
	PG_CASE(v3_no_msg, "postgres: error response");
	PG_CASE(v3_split, "postgres: starting up");
	PG_CASE(bare_e, "postgres: error response");
	PG_CASE(http, "not a PostgreSQL server (reply byte 0x48)");
	pg_case(NULL, 0, "connection closed without a reply");
}

/* ------------------------------------------------------------ filesystem */

static void test_filesystem(void **state)
{
	char dir[] = "/tmp/bt-checks-XXXXXX", file[64], missing[64];
	struct check_rule r;
	struct check_result res;
	const char *pct;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/file", dir);
	snprintf(missing, sizeof(missing), "%s/missing", dir);
	f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);
	r = rule("disk", CHECK_FILESYSTEM, dir, 2000);
	r.expect_free_ratio = 0;
	expect_healthy(&r);
	r.expect_free_ratio = 1e-9; /* any free block at all */
	expect_healthy(&r);
	r.expect_free_ratio = 1.0; /* never all free: the filesystem holds this dir */
	res = run(&r);
	assert_false(res.healthy);
	assert_int_equal(strncmp(res.error, "free ", 5), 0);
	pct = strstr(res.error, "% < 100%");
	assert_non_null(pct);
	assert_string_equal(pct, "% < 100%");
	r.expect_free_ratio = 0.125;
	res = run(&r);
	if (!res.healthy) /* a nearly full /tmp: the message still names the threshold */
		assert_non_null(strstr(res.error, "% < 12.5%"));
	r = rule("disk", CHECK_FILESYSTEM, missing, 2000);
	expect_error(&r, "no such directory");
	r = rule("disk", CHECK_FILESYSTEM, file, 2000);
	expect_error(&r, "not a directory");
	r = rule("disk", CHECK_FILESYSTEM, "", 2000);
	expect_error(&r, "no such directory");
	unlink(file);
	rmdir(dir);
}

/* ------------------------------------------------------------ the runner */

struct seen {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int n[3]; /* results per rule index */
	int healthy[3];
	char last_error[3][128];
	bool bad_name;
};

static const char *const names3[] = { "up", "down", "disk" };

static void on_result(void *ctx, const char *name, const struct check_result *r)
{
	struct seen *s = ctx;
	int i = -1;

	for (int k = 0; k < 3; k++) {
		if (!strcmp(name, names3[k]))
			i = k;
	}
	pthread_mutex_lock(&s->lock);
	if (i < 0) {
		s->bad_name = true;
	} else {
		s->n[i]++;
		s->healthy[i] += r->healthy;
		snprintf(s->last_error[i], sizeof(s->last_error[i]), "%s", r->error);
	}
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

/* Waits (up to 20 s, a hang guard) until every rule has at least min results. */
static bool wait_results(struct seen *s, int min)
{
	struct timespec until;
	bool ok = false;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 20;
	pthread_mutex_lock(&s->lock);
	while (!(ok = s->n[0] >= min && s->n[1] >= min && s->n[2] >= min)) {
		if (pthread_cond_timedwait(&s->cond, &s->lock, &until) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&s->lock);
	return ok;
}

static char *render(struct metrics *m)
{
	char *out = NULL;
	size_t len = 0;

	assert_int_equal(metrics__render(m, &out, &len), 0);
	return out;
}

static void assert_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p++) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return;
	}
	fail_msg("missing line: %s\n--- in ---\n%s", line, text);
}

static void rules3(struct check_rule *r, uint16_t port, uint16_t dead, uint64_t interval_ms)
{
	r[0] = rule("up", CHECK_TCP, addr("127.0.0.1:%u", port), 100);
	r[1] = rule("down", CHECK_TCP, addr("127.0.0.1:%u", dead), 100);
	r[2] = rule("disk", CHECK_FILESYSTEM, "/", 100);
	r[2].expect_free_ratio = 0;
	for (int i = 0; i < 3; i++)
		r[i].interval_ns = interval_ms * MS;
}

static void test_runner(void **state)
{
	struct seen s = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };
	struct metrics *m = metrics__new(1000);
	struct check_rule r[3];
	struct check_result last;
	struct checks_run *c;
	uint16_t port, dead = refused_port();
	int fd = listener(AF_INET, &port);
	char line[160], *text;

	(void)state;
	rules3(r, port, dead, 150);
	c = checks_run__new(r, 3, m, on_result, &s);
	assert_non_null(c);
	memset(r, 0, sizeof(r)); /* the runner keeps its own copy */
	assert_true(wait_results(&s, 3));
	assert_int_equal(checks_run__last(c, "down", &last), 0);
	assert_false(last.healthy);
	assert_string_equal(last.error, "connection refused");
	assert_int_equal(checks_run__last(c, "nope", &last), -ENOENT);
	checks_run__free(c);

	assert_false(s.bad_name);
	assert_int_equal(s.healthy[0], s.n[0]);
	assert_int_equal(s.healthy[1], 0);
	assert_int_equal(s.healthy[2], s.n[2]);
	assert_string_equal(s.last_error[1], "connection refused");
	text = render(m);
	assert_line(text, "biothings_component_up{component=\"up\"} 1");
	assert_line(text, "biothings_component_up{component=\"down\"} 0");
	assert_line(text, "biothings_component_up{component=\"disk\"} 1");
	snprintf(line, sizeof(line),
		 "biothings_component_checks_total{component=\"up\",result=\"healthy\"} %d",
		 s.n[0]);
	assert_line(text, line);
	snprintf(line, sizeof(line),
		 "biothings_component_checks_total{component=\"down\",result=\"unhealthy\"} %d",
		 s.n[1]);
	assert_line(text, line);
	assert_null(strstr(text, "component=\"down\",result=\"healthy\""));
	snprintf(line, sizeof(line),
		 "biothings_component_check_duration_seconds_count{component=\"down\"} %d", s.n[1]);
	assert_line(text, line);
	snprintf(
		line, sizeof(line),
		"biothings_component_check_duration_seconds_bucket{component=\"up\",le=\"+Inf\"} %d",
		s.n[0]);
	assert_line(text, line);
	assert_non_null(strstr(text, "biothings_component_check_duration_seconds_bucket{"
				     "component=\"up\",le=\"0.001\"}"));
	free(text);
	metrics__free(m);
	close(fd);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* One minute between runs and a check in flight that would wait 5 s: free must not wait
 * for either. */
static void test_free_is_prompt(void **state)
{
	struct seen s = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };
	struct check_rule r[4];
	struct checks_run *c;
	uint16_t port, silent_port, dead = refused_port();
	int fd = listener(AF_INET, &port), silent = listener(AF_INET, &silent_port);
	uint64_t t0;

	(void)state;
	rules3(r, port, dead, 60000);
	r[3] = rule("slow", CHECK_REDIS, addr("127.0.0.1:%u", silent_port), 5000);
	r[3].interval_ns = 60000 * MS;
	c = checks_run__new(r, 4, NULL, on_result, &s);
	assert_non_null(c);
	assert_true(wait_results(&s, 1));
	t0 = mono_ms();
	checks_run__free(c);
	/* a generous bound: without the wake-up, free would wait for the 5 s timeout */
	assert_true(mono_ms() - t0 < 3000);
	assert_int_equal(s.n[0], 1);
	close(fd);
	close(silent);
}

struct now_arg {
	struct checks_run *c;
	int healthy, runs;
};

static void *now_thread(void *arg)
{
	struct now_arg *a = arg;

	for (int i = 0; i < 20; i++) {
		struct check_result res;

		if (checks_run__now(a->c, "up", &res))
			continue;
		a->runs++;
		a->healthy += res.healthy;
	}
	return NULL;
}

static void test_now(void **state)
{
	static const struct piece ok[] = { PIECE("HTTP/1.1 200 OK\r\n\r\n") };
	struct seen s = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };
	struct metrics *m = metrics__new(1000);
	struct check_rule r[3];
	struct check_result res;
	struct now_arg a[4];
	pthread_t t[4];
	struct checks_run *c;
	struct srv srv;
	uint16_t dead = refused_port();
	char line[160], *text;
	int before;

	(void)state;
	srv_start(&srv, ok, 1, "\r\n\r\n", 0);
	rules3(r, 0, dead, 60000);
	r[0] = rule("up", CHECK_HTTP, addr("http://127.0.0.1:%u/ready", srv.port), 2000);
	r[0].interval_ns = 60000 * MS;
	c = checks_run__new(r, 3, m, on_result, &s);
	assert_non_null(c);
	assert_true(wait_results(&s, 1));
	assert_int_equal(checks_run__now(c, "nope", &res), -ENOENT);
	assert_int_equal(checks_run__now(c, NULL, &res), -EINVAL);
	assert_int_equal(checks_run__now(NULL, "up", &res), -EINVAL);
	assert_int_equal(checks_run__now(c, "up", NULL), -EINVAL);
	assert_int_equal(checks_run__run_check(c, "down", &res), 0);
	assert_false(res.healthy);
	assert_string_equal(res.error, "connection refused");
	before = s.n[0];
	for (int i = 0; i < 4; i++) {
		a[i] = (struct now_arg){ .c = c };
		assert_int_equal(pthread_create(&t[i], NULL, now_thread, &a[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(a[i].runs, 20);
		assert_int_equal(a[i].healthy, 20);
	}
	checks_run__free(c);
	srv_stop(&srv);
	assert_int_equal(s.n[0], before + 80); /* each run reported once, runner idle */
	assert_int_equal(atomic_load(&srv.conns), before + 80);
	text = render(m);
	snprintf(line, sizeof(line),
		 "biothings_component_checks_total{component=\"up\",result=\"healthy\"} %d",
		 before + 80);
	assert_line(text, line);
	assert_line(text,
		    "biothings_component_checks_total{component=\"down\",result=\"unhealthy\"} 2");
	free(text);
	metrics__free(m);
}

static void test_new_refuses(void **state)
{
	struct check_rule r[CHECKS_MAX + 1];
	struct metrics *m = metrics__new(100);
	struct checks_run *c;
	struct check_result res;

	(void)state;
	for (int i = 0; i <= CHECKS_MAX; i++) {
		char name[16];

		snprintf(name, sizeof(name), "c%d", i);
		r[i] = rule(name, CHECK_TCP, "127.0.0.1:9", 100);
	}
	errno = 0;
	assert_null(checks_run__new(r, CHECKS_MAX + 1, NULL, NULL, NULL));
	assert_int_equal(errno, EINVAL);
	assert_null(checks_run__new(NULL, 1, NULL, NULL, NULL));
	assert_int_equal(errno, EINVAL);
	snprintf(r[1].name, sizeof(r[1].name), "c0");
	errno = 0;
	assert_null(checks_run__new(r, 2, NULL, NULL, NULL));
	assert_int_equal(errno, EINVAL);
	r[1] = rule("c1", CHECK_TCP, "127.0.0.1:9", 100);
	r[1].interval_ns = r[1].timeout_ns; /* timeout must be shorter than interval */
	errno = 0;
	assert_null(checks_run__new(r, 2, NULL, NULL, NULL));
	assert_int_equal(errno, EINVAL);
	r[1] = rule("c1", CHECK_HTTP, "127.0.0.1:9", 100);
	errno = 0;
	assert_null(checks_run__new(r, 2, NULL, NULL, NULL));
	assert_int_equal(errno, EINVAL);

	c = checks_run__new(NULL, 0, m, NULL, NULL); /* no checks: no thread, metrics defined */
	assert_non_null(c);
	assert_int_equal(checks_run__now(c, "c0", &res), -ENOENT);
	errno = 0;
	assert_null(checks_run__new(NULL, 0, m, NULL, NULL));
	assert_int_equal(errno, EEXIST);
	checks_run__free(c);
	checks_run__free(NULL);
	metrics__free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp),
		cmocka_unit_test(test_tcp_ipv6),
		cmocka_unit_test(test_timeout_no_reply),
		cmocka_unit_test(test_resolve_failure),
		cmocka_unit_test(test_http_status),
		cmocka_unit_test(test_http_odd_replies),
		cmocka_unit_test(test_http_request_bytes),
		cmocka_unit_test(test_http_bad_targets),
		cmocka_unit_test(test_redis),
		cmocka_unit_test(test_postgres),
		cmocka_unit_test(test_filesystem),
		cmocka_unit_test(test_runner),
		cmocka_unit_test(test_free_is_prompt),
		cmocka_unit_test(test_now),
		cmocka_unit_test(test_new_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
