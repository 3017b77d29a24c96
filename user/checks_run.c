// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Active checks. Each check is a small state machine over one
 * non-blocking socket (resolve, connect, send, read the first reply line)
 * so that one thread can keep every due check in flight under a single
 * poll() and a dead target never holds up the others: each probe has its
 * own deadline. The two calls that cannot be made non-blocking,
 * getaddrinfo() for host names and stat()/statvfs() (a hung network
 * mount), run in a short-lived helper thread that signals an eventfd, so
 * they obey the timeout too; a probe that gives up drops its reference and
 * the helper frees what is left when it returns.
 */
#include "clock_ns.h"
#include "checks_run.h"

#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "metrics.h"

#define MSEC 1000000ull
#define SEC 1000000000ull
#define REQ_MAX 768 /* GET line with a 256-byte target, Host and three more headers */
#define LINE_MAX_ 512 /* one reply line (status line, RESP line, ErrorResponse) */
#define JOBS_MAX 32 /* helper threads alive at once: a hung mount must not pile them up */
#define WAIT_MAX_MS 60000

static const char redis_ping[] = "*1\r\n$4\r\nPING\r\n";
/* SSLRequest: length 8, code 1234 5679; any PostgreSQL server answers 'S' or 'N'. */
static const char pg_ssl_request[] = { 0, 0, 0, 8, 0x04, (char)0xd2, 0x16, 0x2f };

/* poll() timeout in ms until deadline, rounded up so a wake-up is never early. */
static int ms_until(uint64_t deadline, uint64_t now)
{
	uint64_t ms;

	if (deadline <= now)
		return 0;
	ms = (deadline - now + MSEC - 1) / MSEC;
	return ms > WAIT_MAX_MS ? WAIT_MAX_MS : (int)ms;
}

/* "5s", "1.5s", "200ms": how the config would write it. */
static void fmt_duration(char *b, size_t n, uint64_t ns)
{
	if (ns >= SEC)
		snprintf(b, n, "%.4gs", (double)ns / SEC);
	else
		snprintf(b, n, "%.4gms", (double)ns / MSEC);
}

/* Remote text in an error: printable ASCII only, up to the end of the line. */
static void printable(char *dst, size_t n, const char *src, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len && src[i] && src[i] != '\r' && src[i] != '\n' && o + 1 < n; i++)
		dst[o++] = src[i] >= 0x20 && src[i] < 0x7f ? src[i] : '?';
	dst[o] = '\0';
}

/* Short, lower-case reasons for what connect/send/recv report. */
static const char *errno_text(int e, char *buf, size_t n)
{
	switch (e) {
	case ECONNREFUSED:
		return "connection refused";
	case ECONNRESET:
		return "connection reset";
	case EPIPE:
		return "connection closed";
	case ETIMEDOUT:
		return "connection timed out";
	case EHOSTUNREACH:
		return "host unreachable";
	case ENETUNREACH:
		return "network unreachable";
	case EADDRNOTAVAIL:
		return "address not available";
	default:
		return strerror_r(e, buf, n);
	}
}

/* ---------------------------------------------------------------- helper threads */

enum job_kind { JOB_RESOLVE, JOB_STAT };

/* Shared by a probe and its helper thread; the last of the two to let go frees it. */
struct job {
	pthread_mutex_t lock;
	int refs;
	int efd; /* readable once the results are in */
	enum job_kind kind;
	char arg[256]; /* host name or path */
	char port[8];
	int err; /* getaddrinfo error (resolve) or errno (stat) */
	struct addrinfo *ai;
	struct statvfs sv;
};

static atomic_int jobs_live;

static void job_put(struct job *j)
{
	int left;

	pthread_mutex_lock(&j->lock);
	left = --j->refs;
	pthread_mutex_unlock(&j->lock);
	if (left)
		return;
	if (j->ai)
		freeaddrinfo(j->ai);
	close(j->efd);
	pthread_mutex_destroy(&j->lock);
	free(j);
}

static int stat_dir(const char *path, struct statvfs *sv)
{
	struct stat st;

	if (stat(path, &st))
		return errno;
	if (!S_ISDIR(st.st_mode))
		return ENOTDIR;
	return statvfs(path, sv) ? errno : 0;
}

static void *job_main(void *arg)
{
	struct job *j = arg;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	struct statvfs sv = { 0 };
	int err;

	if (j->kind == JOB_RESOLVE)
		err = getaddrinfo(j->arg, j->port, &hints, &ai);
	else
		err = stat_dir(j->arg, &sv);
	pthread_mutex_lock(&j->lock);
	j->err = err;
	j->ai = err ? NULL : ai;
	j->sv = sv;
	pthread_mutex_unlock(&j->lock);
	eventfd_write(j->efd, 1);
	atomic_fetch_sub(&jobs_live, 1);
	job_put(j);
	return NULL;
}

/* Threads of this module take no signals: the daemon's handlers expect them on main. */
static int spawn(void *(*fn)(void *), void *arg, bool detached, pthread_t *t)
{
	pthread_attr_t a;
	sigset_t all, old;
	int e;

	if (pthread_attr_init(&a))
		return ENOMEM;
	if (detached)
		pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(t, &a, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&a);
	return e;
}

static struct job *job_alloc(enum job_kind kind, const char *arg, const char *port)
{
	struct job *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (j->efd < 0 || pthread_mutex_init(&j->lock, NULL)) {
		if (j->efd >= 0)
			close(j->efd);
		free(j);
		return NULL;
	}
	j->kind = kind;
	j->refs = 2; /* the probe's and the thread's */
	snprintf(j->arg, sizeof(j->arg), "%s", arg);
	snprintf(j->port, sizeof(j->port), "%s", port);
	return j;
}

/* The job running in its own thread, or NULL with *err (EAGAIN: JOBS_MAX reached). */
static struct job *job_start(enum job_kind kind, const char *arg, const char *port, int *err)
{
	struct job *j;
	pthread_t t;

	*err = EAGAIN;
	if (atomic_fetch_add(&jobs_live, 1) >= JOBS_MAX)
		goto fail;
	*err = ENOMEM;
	j = job_alloc(kind, arg, port);
	if (!j)
		goto fail;
	*err = spawn(job_main, j, true, &t);
	if (!*err)
		return j;
	j->refs = 1;
	job_put(j);
fail:
	atomic_fetch_sub(&jobs_live, 1);
	return NULL;
}

/* ---------------------------------------------------------------- one probe */

enum pstate { P_JOB, P_CONNECT, P_SEND, P_RECV, P_DONE };

struct probe {
	const struct check_rule *r;
	enum pstate st;
	int fd;
	struct job *job;
	enum job_kind job_kind;
	struct addrinfo *ai, *cur; /* addresses, tried in order within one timeout */
	int last_err; /* errno of the last address that failed */
	uint64_t t0, deadline;
	char host[256];
	char port[8];
	char req[REQ_MAX];
	size_t req_len, sent;
	char buf[LINE_MAX_];
	size_t got;
	size_t rcvd; /* bytes received in all */
	bool in_info; /* http: inside the head of a 1xx interim answer */
	struct check_result res;
};

static void probe_close(struct probe *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

static void probe_clear(struct probe *p)
{
	probe_close(p);
	if (p->ai)
		freeaddrinfo(p->ai);
	p->ai = p->cur = NULL;
	if (p->job)
		job_put(p->job);
	p->job = NULL;
}

__attribute__((format(printf, 3, 4))) static void finish(struct probe *p, bool healthy,
							 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->res.error, sizeof(p->res.error), fmt, ap);
	va_end(ap);
	p->res.healthy = healthy;
	p->res.latency_ns = mono_now_ns() - p->t0;
	p->res.at = (int64_t)time(NULL);
	p->st = P_DONE;
	probe_close(p);
}

static void finish_errno(struct probe *p, int e)
{
	char b[64];

	finish(p, false, "%s", errno_text(e, b, sizeof(b)));
}

static void start_job(struct probe *p, enum job_kind kind, const char *arg)
{
	int e;

	p->job_kind = kind;
	p->job = job_start(kind, arg, p->port, &e);
	if (p->job) {
		p->st = P_JOB;
		return;
	}
	if (e == EAGAIN)
		finish(p, false, "too many lookups still blocked");
	else
		finish_errno(p, e);
}

static void send_some(struct probe *p)
{
	ssize_t n = send(p->fd, p->req + p->sent, p->req_len - p->sent, MSG_NOSIGNAL);

	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			finish_errno(p, errno);
		return;
	}
	p->sent += (size_t)n;
	if (p->sent == p->req_len)
		p->st = P_RECV;
}

static void connected(struct probe *p)
{
	if (p->r->type == CHECK_TCP)
		return finish(p, true, "%s", "");
	p->st = P_SEND;
	send_some(p);
}

static void connect_next(struct probe *p)
{
	for (; p->cur; p->cur = p->cur->ai_next) {
		struct addrinfo *a = p->cur;

		p->fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			       a->ai_protocol);
		if (p->fd < 0) {
			p->last_err = errno;
			continue;
		}
		if (!connect(p->fd, a->ai_addr, a->ai_addrlen))
			return connected(p);
		if (errno == EINPROGRESS) {
			p->st = P_CONNECT;
			return;
		}
		p->last_err = errno;
		probe_close(p);
	}
	finish_errno(p, p->last_err ? p->last_err : EADDRNOTAVAIL);
}

static void on_connect(struct probe *p)
{
	int e = 0;
	socklen_t len = sizeof(e);

	if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &e, &len))
		e = errno;
	if (!e)
		return connected(p);
	p->last_err = e;
	probe_close(p);
	p->cur = p->cur->ai_next;
	connect_next(p);
}

static void resolve(struct probe *p)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	int e = getaddrinfo(p->host, p->port, &hints, &p->ai);

	if (!e) {
		p->cur = p->ai;
		return connect_next(p);
	}
	p->ai = NULL;
	if (e != EAI_NONAME)
		return finish(p, false, "cannot resolve %s: %s", p->host, gai_strerror(e));
	start_job(p, JOB_RESOLVE, p->host); /* a name: getaddrinfo may block on DNS */
}

/* ---------------------------------------------------------------- replies */

static void free_percent(char *b, size_t n, double ratio)
{
	double v = floor(ratio * 1000.0) / 10.0; /* cut, never round up to the threshold */

	snprintf(b, n, v == floor(v) ? "%.0f%%" : "%.1f%%", v);
}

static void judge_fs(struct probe *p, int err, const struct statvfs *sv)
{
	char b[64], have[16], want[16];
	double ratio;

	if (err == ENOENT)
		return finish(p, false, "no such directory");
	if (err == ENOTDIR)
		return finish(p, false, "not a directory");
	if (err == EACCES)
		return finish(p, false, "permission denied");
	if (err)
		return finish(p, false, "%s", strerror_r(err, b, sizeof(b)));
	if (!sv->f_blocks)
		return finish(p, false, "filesystem reports no size");
	ratio = (double)sv->f_bavail / (double)sv->f_blocks;
	if (ratio >= p->r->expect_free_ratio)
		return finish(p, true, "%s", "");
	free_percent(have, sizeof(have), ratio);
	snprintf(want, sizeof(want), "%.4g%%", p->r->expect_free_ratio * 100.0);
	finish(p, false, "free %s < %s", have, want);
}

static void on_job(struct probe *p)
{
	struct job *j = p->job;
	struct addrinfo *ai;
	struct statvfs sv;
	eventfd_t v;
	int err;

	if (eventfd_read(j->efd, &v))
		return;
	pthread_mutex_lock(&j->lock);
	err = j->err;
	ai = j->ai;
	j->ai = NULL;
	sv = j->sv;
	pthread_mutex_unlock(&j->lock);
	job_put(j);
	p->job = NULL;
	if (p->job_kind == JOB_STAT)
		return judge_fs(p, err, &sv);
	if (err)
		return finish(p, false, "cannot resolve %s: %s", p->host, gai_strerror(err));
	p->ai = p->cur = ai;
	connect_next(p);
}

/* The complete first line in buf (without CR LF), or NULL while it is still coming. */
static char *line_in(struct probe *p, size_t *len)
{
	char *nl = memchr(p->buf, '\n', p->got);

	if (!nl)
		return NULL;
	*len = (size_t)(nl - p->buf);
	if (*len && p->buf[*len - 1] == '\r')
		(*len)--;
	return p->buf;
}

static void drop_line(struct probe *p)
{
	char *nl = memchr(p->buf, '\n', p->got);
	size_t used = (size_t)(nl - p->buf) + 1;

	memmove(p->buf, nl + 1, p->got - used);
	p->got -= used;
}

static bool buf_full(const struct probe *p)
{
	return p->got >= sizeof(p->buf) - 1;
}

/* Nothing decided yet: wait for more, or say why the reply falls short. */
static void no_line_yet(struct probe *p, bool eof)
{
	if (buf_full(p))
		return finish(p, false, "reply line too long");
	if (eof)
		finish(p, false, "%s",
		       p->rcvd ? "connection closed mid-reply" :
				 "connection closed without a reply");
}

/* "HTTP/1.x NNN[ reason]" -> NNN, or 0. */
static unsigned status_of(const char *l, size_t len)
{
	if (len < 12 || memcmp(l, "HTTP/1.", 7) || l[7] < '0' || l[7] > '9' || l[8] != ' ')
		return 0;
	for (int i = 9; i < 12; i++) {
		if (l[i] < '0' || l[i] > '9')
			return 0;
	}
	if (len > 12 && l[12] != ' ')
		return 0;
	return (unsigned)((l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0'));
}

static void judge_status(struct probe *p, unsigned st)
{
	unsigned want = p->r->expect_status;

	if (want ? st == want : st >= 200 && st < 400)
		return finish(p, true, "%s", "");
	if (want)
		return finish(p, false, "status %u, expected %u", st, want);
	finish(p, false, "status %u", st);
}

/* Reads status lines, skipping the heads of 1xx interim answers (103 Early Hints). */
static void judge_http(struct probe *p, bool eof)
{
	size_t len;
	char *l;

	while ((l = line_in(p, &len))) {
		unsigned st;

		if (p->in_info) {
			p->in_info = len != 0;
			drop_line(p);
			continue;
		}
		st = status_of(l, len);
		if (!st || st < 100)
			return finish(p, false, "bad status line");
		if (st >= 200 || st == 101)
			return judge_status(p, st);
		p->in_info = true;
		drop_line(p);
	}
	no_line_yet(p, eof);
}

/* +PONG, or -NOAUTH: the server is up and serving clients that authenticate; this check
 * has no credentials, so that is as healthy as it can tell. Any other error is not. */
static void judge_redis(struct probe *p, bool eof)
{
	char text[96];
	size_t len;
	char *l = line_in(p, &len);

	if (!l)
		return no_line_yet(p, eof);
	if (len == 5 && !memcmp(l, "+PONG", 5))
		return finish(p, true, "%s", "");
	if (len >= 7 && !memcmp(l, "-NOAUTH", 7))
		return finish(p, true, "%s", "");
	printable(text, sizeof(text), l + (len && l[0] == '-'), len - (len && l[0] == '-'));
	if (len && l[0] == '-')
		return finish(p, false, "redis: %s", text);
	finish(p, false, "unexpected reply: %s", text);
}

/* ErrorResponse text: protocol 3 ('E', int32 length, fields; 'M' is the message) or the
 * pre-3 form the postmaster still uses before a start-up packet ('E', a C string). */
static void pg_error_text(const struct probe *p, char *out, size_t n)
{
	const char *b = p->buf, *end = p->buf + p->got;

	out[0] = '\0';
	if (p->got >= 5 && b[1] == '\0') {
		for (const char *f = b + 5; f < end && *f;) {
			const char *v = f + 1;
			size_t vl = strnlen(v, (size_t)(end - v));

			if (*f == 'M')
				return printable(out, n, v, vl);
			f = v + vl + 1;
		}
	} else if (p->got > 1) {
		printable(out, n, b + 1, p->got - 1);
	}
}

static void judge_pg(struct probe *p, bool eof)
{
	char text[96];

	if (!p->got)
		return no_line_yet(p, eof);
	if (p->buf[0] == 'S' || p->buf[0] == 'N')
		return finish(p, true, "%s", "");
	if (p->buf[0] != 'E')
		return finish(p, false, "not a PostgreSQL server (reply byte 0x%02x)",
			      (unsigned char)p->buf[0]);
	if (!eof && !buf_full(p))
		return; /* the server closes after its error */
	pg_error_text(p, text, sizeof(text));
	finish(p, false, "postgres: %s", text[0] ? text : "error response");
}

static void recv_some(struct probe *p)
{
	ssize_t n = recv(p->fd, p->buf + p->got, sizeof(p->buf) - 1 - p->got, 0);

	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			finish_errno(p, errno);
		return;
	}
	p->got += (size_t)n;
	p->rcvd += (size_t)n;
	p->buf[p->got] = '\0';
	if (p->r->type == CHECK_HTTP)
		judge_http(p, n == 0);
	else if (p->r->type == CHECK_REDIS)
		judge_redis(p, n == 0);
	else
		judge_pg(p, n == 0);
}

/* ---------------------------------------------------------------- requests */

/* http://host[:port]/path: host and port to connect to, Host header, request target. */
static int http_request(struct probe *p)
{
	const char *rest = strncmp(p->r->target, "http://", 7) ? "" : p->r->target + 7;
	size_t hl = strcspn(rest, "/?#");
	const char *path = rest + hl;
	char hp[200];
	uint16_t port = 80;
	size_t pl = strcspn(path, "#");
	int n;

	if (hl == 0 || hl >= sizeof(hp))
		return -EINVAL;
	memcpy(hp, rest, hl);
	hp[hl] = '\0';
	if (strchr(hp, ':') && hp[hl - 1] != ']') {
		if (obs_config_split_listen(hp, p->host, sizeof(p->host), &port))
			return -EINVAL;
	} else {
		snprintf(p->host, sizeof(p->host), "%.*s", (int)(hl - 2 * (hp[0] == '[')),
			 hp + (hp[0] == '['));
	}
	for (size_t i = 0; i < pl; i++) {
		if ((unsigned char)path[i] <= 0x20 || path[i] == 0x7f)
			return -EINVAL; /* would break the request line */
	}
	snprintf(p->port, sizeof(p->port), "%u", port);
	n = snprintf(p->req, sizeof(p->req),
		     "GET %s%.*s HTTP/1.1\r\nHost: %s\r\nUser-Agent: biothings-observer-check\r\n"
		     "Accept: */*\r\nConnection: close\r\n\r\n",
		     path[0] == '/' ? "" : "/", (int)pl, path, hp);
	if (n < 0 || (size_t)n >= sizeof(p->req))
		return -EINVAL;
	p->req_len = (size_t)n;
	return 0;
}

static int plain_request(struct probe *p)
{
	uint16_t port;

	if (obs_config_split_listen(p->r->target, p->host, sizeof(p->host), &port))
		return -EINVAL;
	snprintf(p->port, sizeof(p->port), "%u", port);
	if (p->r->type == CHECK_REDIS) {
		memcpy(p->req, redis_ping, sizeof(redis_ping) - 1);
		p->req_len = sizeof(redis_ping) - 1;
	} else if (p->r->type == CHECK_POSTGRES) {
		memcpy(p->req, pg_ssl_request, sizeof(pg_ssl_request));
		p->req_len = sizeof(pg_ssl_request);
	}
	return 0;
}

static void probe_start(struct probe *p, const struct check_rule *r, uint64_t now)
{
	memset(p, 0, sizeof(*p));
	p->r = r;
	p->fd = -1;
	p->t0 = now;
	p->deadline = now + r->timeout_ns;
	if (r->type == CHECK_FILESYSTEM)
		return start_job(p, JOB_STAT, r->path); /* stat may hang on a dead mount */
	if (r->type == CHECK_HTTP ? http_request(p) : plain_request(p))
		return finish(p, false, "bad target %s", r->target);
	resolve(p);
}

static void probe_expire(struct probe *p)
{
	static const char *const phase[] = {
		[P_JOB] = "resolve", [P_CONNECT] = "connect", [P_SEND] = "send", [P_RECV] = "reply"
	};
	char d[32];

	fmt_duration(d, sizeof(d), p->r->timeout_ns);
	finish(p, false, "timeout after %s (%s)", d,
	       p->st == P_JOB && p->job_kind == JOB_STAT ? "statvfs" : phase[p->st]);
}

/* The descriptor a probe waits on and for what; -1 once it is done. */
static int probe_pollfd(const struct probe *p, short *events)
{
	switch (p->st) {
	case P_JOB:
		*events = POLLIN;
		return p->job->efd;
	case P_CONNECT:
	case P_SEND:
		*events = POLLOUT;
		return p->fd;
	case P_RECV:
		*events = POLLIN;
		return p->fd;
	default:
		*events = 0;
		return -1;
	}
}

static void probe_step(struct probe *p)
{
	switch (p->st) {
	case P_JOB:
		return on_job(p);
	case P_CONNECT:
		return on_connect(p);
	case P_SEND:
		return send_some(p);
	case P_RECV:
		return recv_some(p);
	default:
		return;
	}
}

void check_probe_run(const struct check_rule *r, struct check_result *out)
{
	struct probe p;

	probe_start(&p, r, mono_now_ns());
	while (p.st != P_DONE) {
		struct pollfd pfd = { .fd = -1 };
		uint64_t now = mono_now_ns();

		if (now >= p.deadline) {
			probe_expire(&p);
			break;
		}
		pfd.fd = probe_pollfd(&p, &pfd.events);
		if (poll(&pfd, 1, ms_until(p.deadline, now)) > 0)
			probe_step(&p);
	}
	*out = p.res;
	probe_clear(&p);
}

/* ---------------------------------------------------------------- the runner */

struct slot {
	struct check_rule rule;
	uint64_t next_due;
	bool busy;
	struct probe probe; /* runner thread only */
	struct check_result last; /* under checks_run.lock */
};

struct checks_run {
	struct slot *slots;
	size_t n;
	struct metrics *m;
	int fam_up, fam_dur, fam_total;
	checks_run_result_fn on_result;
	void *ctx;
	pthread_mutex_t lock; /* last results; held across on_result so calls never overlap */
	int wake; /* eventfd: written once, by free, to stop the runner */
	pthread_t thread;
	bool started;
};

/* 1 ms .. 10 s: a loopback PING takes well under a millisecond, a timeout up to seconds. */
static const double dur_buckets[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
				      0.25,  0.5,    1,	    2.5,  5,	 10 };

static void record(struct checks_run *c, struct slot *s, const struct check_result *r)
{
	const char *comp[] = { s->rule.name, NULL };
	const char *tot[] = { s->rule.name, r->healthy ? "healthy" : "unhealthy", NULL };

	pthread_mutex_lock(&c->lock);
	s->last = *r;
	if (c->m) {
		metrics__set(c->m, c->fam_up, comp, r->healthy ? 1 : 0);
		metrics__observe(c->m, c->fam_dur, comp, (double)r->latency_ns / SEC);
		metrics__add(c->m, c->fam_total, tot, 1);
	}
	if (c->on_result)
		c->on_result(c->ctx, s->rule.name, r);
	pthread_mutex_unlock(&c->lock);
}

/* Starts due checks, expires late ones and reports finished ones. */
static void tend(struct checks_run *c, uint64_t now)
{
	for (size_t i = 0; i < c->n; i++) {
		struct slot *s = &c->slots[i];

		if (!s->busy && now >= s->next_due) {
			s->busy = true;
			s->next_due += s->rule.interval_ns;
			if (s->next_due <=
			    now) /* fell behind (suspend): no burst of catch-up runs */
				s->next_due = now + s->rule.interval_ns;
			probe_start(&s->probe, &s->rule, now);
		}
		if (s->busy && s->probe.st != P_DONE && now >= s->probe.deadline)
			probe_expire(&s->probe);
		if (s->busy && s->probe.st == P_DONE) {
			record(c, s, &s->probe.res);
			probe_clear(&s->probe);
			s->busy = false;
		}
	}
}

static int next_wake_ms(const struct checks_run *c, uint64_t now)
{
	int ms = WAIT_MAX_MS;

	for (size_t i = 0; i < c->n; i++) {
		const struct slot *s = &c->slots[i];
		int t = ms_until(s->busy ? s->probe.deadline : s->next_due, now);

		if (t < ms)
			ms = t;
	}
	return ms;
}

static void *runner_main(void *arg)
{
	struct checks_run *c = arg;
	struct pollfd pfd[CHECKS_MAX + 1];
	struct slot *who[CHECKS_MAX + 1];

	for (;;) {
		uint64_t now = mono_now_ns();
		size_t n = 1;

		tend(c, now);
		pfd[0] = (struct pollfd){ .fd = c->wake, .events = POLLIN };
		for (size_t i = 0; i < c->n; i++) {
			if (!c->slots[i].busy)
				continue;
			pfd[n] = (struct pollfd){ .fd = -1 };
			pfd[n].fd = probe_pollfd(&c->slots[i].probe, &pfd[n].events);
			who[n++] = &c->slots[i];
		}
		if (poll(pfd, n, next_wake_ms(c, now)) <= 0)
			continue;
		if (pfd[0].revents)
			break;
		for (size_t i = 1; i < n; i++) {
			if (pfd[i].revents)
				probe_step(&who[i]->probe);
		}
	}
	return NULL;
}

static int check_rules(const struct check_rule *rules, size_t n)
{
	char why[160];

	if (n > CHECKS_MAX || (n && !rules))
		return EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (check_rule_check(&rules[i], why, sizeof(why)))
			return EINVAL;
		for (size_t j = 0; j < i; j++) {
			if (!strcmp(rules[i].name, rules[j].name))
				return EINVAL;
		}
	}
	return 0;
}

static int define_metrics(struct checks_run *c)
{
	static const char *const comp[] = { "component", NULL };
	static const char *const comp_res[] = { "component", "result", NULL };

	c->fam_up = metrics__define(c->m, "biothings_component_up", METRIC_GAUGE,
				    "1 when the last active check of the component passed, else 0.",
				    comp, NULL, 0);
	if (c->fam_up < 0)
		return -c->fam_up;
	c->fam_dur = metrics__define(c->m, "biothings_component_check_duration_seconds",
				     METRIC_HISTOGRAM,
				     "Time an active check took, up to its timeout.", comp,
				     dur_buckets, sizeof(dur_buckets) / sizeof(dur_buckets[0]));
	if (c->fam_dur < 0)
		return -c->fam_dur;
	c->fam_total = metrics__define(c->m, "biothings_component_checks_total", METRIC_COUNTER,
				       "Active checks run, by result (healthy or unhealthy).",
				       comp_res, NULL, 0);
	return c->fam_total < 0 ? -c->fam_total : 0;
}

static void destroy(struct checks_run *c)
{
	if (c->wake >= 0)
		close(c->wake);
	pthread_mutex_destroy(&c->lock);
	free(c->slots);
	free(c);
}

static int setup(struct checks_run *c, const struct check_rule *rules, size_t n)
{
	uint64_t now = mono_now_ns();
	int e;

	c->slots = calloc(n ? n : 1, sizeof(*c->slots));
	if (!c->slots)
		return ENOMEM;
	for (size_t i = 0; i < n; i++) {
		c->slots[i].rule = rules[i];
		c->slots[i].next_due = now; /* first run at once */
		c->slots[i].probe.fd = -1;
	}
	c->n = n;
	if (c->m && (e = define_metrics(c)))
		return e;
	c->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->wake < 0)
		return errno;
	if (!n)
		return 0;
	e = spawn(runner_main, c, false, &c->thread);
	c->started = !e;
	return e;
}

struct checks_run *checks_run__new(const struct check_rule *rules, size_t n, struct metrics *m,
				   checks_run_result_fn on_result, void *ctx)
{
	struct checks_run *c;
	int e = check_rules(rules, n);

	if (e) {
		errno = e;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c || pthread_mutex_init(&c->lock, NULL)) {
		free(c);
		errno = ENOMEM;
		return NULL;
	}
	c->m = m;
	c->on_result = on_result;
	c->ctx = ctx;
	c->wake = -1;
	e = setup(c, rules, n);
	if (e) {
		destroy(c);
		errno = e;
		return NULL;
	}
	return c;
}

void checks_run__free(struct checks_run *c)
{
	if (!c)
		return;
	if (c->started) {
		eventfd_write(c->wake, 1);
		pthread_join(c->thread, NULL);
	}
	for (size_t i = 0; i < c->n; i++) {
		if (c->slots[i].busy)
			probe_clear(&c->slots[i].probe);
	}
	destroy(c);
}

static struct slot *find(struct checks_run *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++) {
		if (!strcmp(c->slots[i].rule.name, name))
			return &c->slots[i];
	}
	return NULL;
}

int checks_run__now(struct checks_run *c, const char *name, struct check_result *out)
{
	struct slot *s;

	if (!c || !name || !out)
		return -EINVAL;
	s = find(c, name);
	if (!s)
		return -ENOENT;
	check_probe_run(&s->rule, out);
	record(c, s, out);
	return 0;
}

int checks_run__run_check(void *ctx, const char *name, struct check_result *out)
{
	return checks_run__now(ctx, name, out);
}

int checks_run__last(struct checks_run *c, const char *name, struct check_result *out)
{
	struct slot *s;

	if (!c || !name || !out)
		return -EINVAL;
	s = find(c, name);
	if (!s)
		return -ENOENT;
	pthread_mutex_lock(&c->lock);
	*out = s->last;
	pthread_mutex_unlock(&c->lock);
	return 0;
}
