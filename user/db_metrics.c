// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Families for dependencies seen on the wire. Operation durations use the
 * OpenTelemetry database client buckets (a millisecond up to ten
 * seconds), not the HTTP ones: cache hits live well below 5 ms. The
 * kernel keeps retransmits as totals per destination in an LRU map, so a
 * destination can vanish and come back at zero; the exported counters
 * are sums of increases, kept monotonic across that.
 */
#include "db_metrics.h"

#include <bpf/bpf.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_enrich.h"

#define UNKNOWN_SERVICE "unknown_service"
#define RT_CAP (2 * BT_RETRANS_MAX) /* shadow table slots: at most half used */

struct rt_entry {
	struct bt_retrans_key k;
	uint64_t count;
	uint8_t used;
};

struct db_metrics {
	struct metrics *m;
	int op_dur, conn_err, retrans, evicted, wire;
	struct rt_entry *prev, *cur; /* last read's counts, this read's */
	size_t n_cur;
	struct bt_retrans_key *keys; /* one batch read of the map */
	uint64_t *vals;
};

static const double db_buckets[] = { 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10 };

static int define_all(struct db_metrics *d)
{
	static const char *const op[] = { "service_name", "db_system_name", "server_address",
					  "server_port",  "error_type",	    NULL };
	static const char *const err[] = { "service_name", "server_address", "server_port",
					   "reason", NULL };
	static const char *const dest[] = { "server_address", "server_port", NULL };
	static const char *const ev[] = { "event", NULL };

	d->op_dur = metrics__define(d->m, "db_client_operation_duration_seconds", METRIC_HISTOGRAM,
				    "Duration of database client operations seen on the wire.", op,
				    db_buckets, sizeof(db_buckets) / sizeof(db_buckets[0]));
	if (d->op_dur < 0)
		return d->op_dur;
	d->conn_err = metrics__define(d->m, "biothings_connection_errors_total", METRIC_COUNTER,
				      "Outbound TCP connections that failed or were reset.", err,
				      NULL, 0);
	if (d->conn_err < 0)
		return d->conn_err;
	d->retrans = metrics__define(d->m, "biothings_tcp_retransmits_total", METRIC_COUNTER,
				     "TCP segments retransmitted, by peer.", dest, NULL, 0);
	if (d->retrans < 0)
		return d->retrans;
	d->evicted = metrics__define(
		d->m, "biothings_tcp_retransmit_destinations_evicted_total", METRIC_COUNTER,
		"Peers dropped from the kernel's retransmit table for room; their later "
		"retransmits count from zero again.",
		NULL, NULL, 0);
	if (d->evicted < 0)
		return d->evicted;
	d->wire =
		metrics__define(d->m, "biothings_db_wire_events_total", METRIC_COUNTER,
				"Database wire framing events: replies ended by fallback, framing "
				"lost, unpaired replies, unanswered or abandoned requests, "
				"connections forgotten, TLS connections not parsed.",
				ev, NULL, 0);
	return d->wire < 0 ? d->wire : 0;
}

struct db_metrics *db_metrics__new(struct metrics *m)
{
	struct db_metrics *d;
	int err;

	if (!m)
		return errno = EINVAL, NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return errno = ENOMEM, NULL;
	d->m = m;
	d->prev = calloc(RT_CAP, sizeof(*d->prev));
	d->cur = calloc(RT_CAP, sizeof(*d->cur));
	d->keys = calloc(BT_RETRANS_MAX, sizeof(*d->keys));
	d->vals = calloc(BT_RETRANS_MAX, sizeof(*d->vals));
	err = d->prev && d->cur && d->keys && d->vals ? define_all(d) : -ENOMEM;
	if (err) {
		db_metrics__free(d);
		return errno = -err, NULL;
	}
	return d;
}

void db_metrics__free(struct db_metrics *d)
{
	if (!d)
		return;
	free(d->prev);
	free(d->cur);
	free(d->keys);
	free(d->vals);
	free(d);
}

static const char *service_or_unknown(const char *service)
{
	return service && *service ? service : UNKNOWN_SERVICE;
}

int db_metrics__op(struct db_metrics *d, const char *service, const struct dbw_op *op)
{
	char addr[64] = "", port[8];
	const char *sys;
	double s;

	if (!d || !op || !op->peer || op->end_ns < op->start_ns)
		return -EINVAL;
	sys = op->system == BT_DB_REDIS ? "redis" : "postgresql";
	http_addr_text(op->peer->family, op->peer->addr, addr, sizeof(addr));
	snprintf(port, sizeof(port), "%u", (unsigned)op->peer->port);
	s = (double)(op->end_ns - op->start_ns) / 1e9;
	return metrics__observe(d->m, d->op_dur,
				(const char *const[]){ service_or_unknown(service), sys, addr, port,
						       op->error_type },
				s);
}

/* --- connection errors ------------------------------------------------------ */

static const char *errno_reason(unsigned err)
{
	static __thread char buf[32];
	const char *name;
	size_t i;

	switch (err) {
	case ECONNREFUSED:
		return "refused";
	case ETIMEDOUT:
		return "timeout";
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EHOSTDOWN:
	case ENETDOWN:
		return "unreachable";
	case ECONNRESET:
		return "reset";
	}
	name = strerrorname_np(err);
	if (!name)
		return snprintf(buf, sizeof(buf), "errno_%u", err), buf;
	for (i = 0; name[i] && i + 1 < sizeof(buf); i++)
		buf[i] = tolower((unsigned char)name[i]);
	buf[i] = '\0';
	return buf;
}

const char *db_conn_error_reason(const struct bt_flow_record *f)
{
	switch (f->outcome) {
	case BT_FLOW_CONNECT_FAILED:
		return f->err ? errno_reason(f->err) : "aborted";
	case BT_FLOW_ERROR:
	case BT_FLOW_CONNECT_ERROR:
		return f->err ? errno_reason(f->err) : NULL;
	default:
		return NULL;
	}
}

int db_metrics__flow(struct db_metrics *d, const char *service, const struct bt_flow_record *f)
{
	char addr[64] = "", port[8];
	const char *reason;
	int err;

	if (!d || !f)
		return -EINVAL;
	reason = db_conn_error_reason(f);
	if (!reason)
		return 0;
	http_addr_text(f->family, f->daddr, addr, sizeof(addr));
	snprintf(port, sizeof(port), "%u", (unsigned)f->dport);
	err = metrics__add(d->m, d->conn_err,
			   (const char *const[]){ service_or_unknown(service), addr, port, reason },
			   1);
	return err ? err : 1;
}

/* --- retransmits ------------------------------------------------------------ */

static size_t rt_slot(const struct rt_entry *t, const struct bt_retrans_key *k, int *found)
{
	uint64_t h = 1469598103934665603ull;
	const uint8_t *p = (const uint8_t *)k;
	size_t i;

	for (i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 1099511628211ull;
	for (i = h & (RT_CAP - 1);; i = (i + 1) & (RT_CAP - 1)) {
		if (!t[i].used || !memcmp(&t[i].k, k, sizeof(*k)))
			break;
	}
	*found = t[i].used;
	return i;
}

void db_metrics__retrans_begin(struct db_metrics *d)
{
	memset(d->cur, 0, RT_CAP * sizeof(*d->cur));
	d->n_cur = 0;
}

int db_metrics__retrans_sample(struct db_metrics *d, const struct bt_retrans_key *key,
			       uint64_t count)
{
	struct bt_retrans_key k = *key;
	char addr[64] = "", port[8];
	uint64_t base = 0;
	size_t i;
	int found;

	k._pad = 0;
	i = rt_slot(d->cur, &k, &found);
	if (found) { /* the same key twice in one read */
		base = d->cur[i].count;
	} else {
		size_t j = rt_slot(d->prev, &k, &found);

		if (found && d->prev[j].count <= count)
			base = d->prev[j].count; /* else: evicted and back, from zero */
		if (d->n_cur >= RT_CAP / 2)
			return -ENOSPC; /* more than the kernel map holds */
		d->n_cur++;
		d->cur[i].used = 1;
		d->cur[i].k = k;
	}
	if (count <= base) {
		d->cur[i].count = base;
		return 0;
	}
	d->cur[i].count = count;
	http_addr_text(k.family, k.addr, addr, sizeof(addr));
	snprintf(port, sizeof(port), "%u", (unsigned)k.port);
	return metrics__add(d->m, d->retrans, (const char *const[]){ addr, port },
			    (double)(count - base));
}

int db_metrics__retrans_end(struct db_metrics *d, uint64_t dests_added)
{
	struct rt_entry *t = d->prev;

	d->prev = d->cur;
	d->cur = t;
	return metrics__set(d->m, d->evicted, NULL,
			    dests_added > d->n_cur ? (double)(dests_added - d->n_cur) : 0);
}

/* The map in batches (bucket by bucket: no key seen twice or skipped for
 * concurrent updates), or key by key where batches are not supported. */
static int read_map(struct db_metrics *d, int fd)
{
	struct bt_retrans_key k, next;
	__u32 count = BT_RETRANS_MAX, batch;
	int err;

	err = bpf_map_lookup_batch(fd, NULL, &batch, d->keys, d->vals, &count, NULL);
	if (!err || err == -ENOENT) {
		for (__u32 i = 0; i < count && i < BT_RETRANS_MAX; i++)
			db_metrics__retrans_sample(d, &d->keys[i], d->vals[i]);
		return 0;
	}
	if (err != -EINVAL && err != -ENOTSUP && err != -EOPNOTSUPP)
		return err;
	for (err = bpf_map_get_next_key(fd, NULL, &next); !err;
	     err = bpf_map_get_next_key(fd, &k, &next)) {
		uint64_t v;

		k = next;
		if (!bpf_map_lookup_elem(fd, &k, &v))
			db_metrics__retrans_sample(d, &k, v);
	}
	return 0;
}

int db_metrics__read_retransmits(struct db_metrics *d, int map_fd, uint64_t dests_added)
{
	int err;

	if (!d || map_fd < 0)
		return -EINVAL;
	db_metrics__retrans_begin(d);
	err = read_map(d, map_fd);
	if (err)
		return err;
	return db_metrics__retrans_end(d, dests_added);
}

/* --- dbwire's own counters -------------------------------------------------- */

int db_metrics__wire_stats(struct db_metrics *d, const struct dbw_stats *st)
{
	int err = 0;

	if (!d || !st)
		return -EINVAL;
	const struct {
		const char *name;
		uint64_t v;
	} ev[] = {
		{ "reply_end_inexact", st->ops_inexact }, { "framing_lost", st->framing_lost },
		{ "unpaired_reply", st->unpaired },	  { "unanswered_request", st->unanswered },
		{ "abandoned_request", st->abandoned },	  { "conn_forgotten", st->conns_evicted },
		{ "tls_not_parsed", st->encrypted },
	};

	for (size_t i = 0; i < sizeof(ev) / sizeof(ev[0]); i++) {
		int e = metrics__set(d->m, d->wire, (const char *const[]){ ev[i].name },
				     (double)ev[i].v);

		err = err ? err : e;
	}
	return err;
}
