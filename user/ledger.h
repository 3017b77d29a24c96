/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The store that must survive a restart: every priced LLM call (spend) and
 * every business event, in one SQLite file under --state-dir. Each add is
 * its own committed transaction (WAL journal), so a SIGKILL right after a
 * call returns loses nothing, and an idempotency key makes a retried add a
 * no-op rather than a second charge. Days are the caller's calendar days
 * ("YYYY-MM-DD" in the budget time zone), so the store never does time-zone
 * arithmetic. Thread-safe: one connection behind a mutex; reads and writes
 * may come from the capture loop and the API thread at once.
 */
#ifndef BT_LEDGER_H
#define BT_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LEDGER_DAY_LEN 11 /* "YYYY-MM-DD" + NUL */
/* Bytes of provider, model, agent_type, service and event texts kept: longer is cut,
 * never inside a UTF-8 character. */
#define LEDGER_TEXT_MAX 128
/* Bytes of an idempotency key: longer is -EINVAL (a cut key could merge two calls). */
#define LEDGER_KEY_MAX 128
#define LEDGER_TOKENS_MAX (1ull << 40) /* per count: more is -EINVAL, so sums stay in int64 */

struct ledger_spend {
	int64_t ts_us; /* wall clock, Unix microseconds */
	char day[LEDGER_DAY_LEN];
	const char *provider, *model, *agent_type, *service; /* NULL stored as "" */
	uint64_t input, output, cache_read, cache_creation;
	double cost_usd; /* finite, >= 0 */
	bool priced;
	const char *source; /* "observed" or "api" */
	const char *idem_key; /* NULL or "": none */
};

struct ledger_event {
	int64_t ts_us;
	char day[LEDGER_DAY_LEN];
	const char *event; /* e.g. experiment_completed */
	const char *category; /* experiment, publication, discovery or other */
	const char *outcome; /* started, succeeded, failed or other */
	const char *service;
};

struct ledger;

/* Opens or creates path (schema created or checked). NULL + errno with err filled:
 * EINVAL not a SQLite database, another program's or a newer schema; EROFS read-only;
 * EIO other SQLite failures; ENOMEM. */
struct ledger *ledger__open(const char *path, char *err, size_t errlen);
void ledger__close(struct ledger *l); /* NULL-safe */

/* 0; -EALREADY when idem_key was recorded before (nothing added); -EINVAL (bad day,
 * cost, count, source, key; an event without a name); -EIO. */
int ledger__add_spend(struct ledger *l, const struct ledger_spend *s);
int ledger__add_event(struct ledger *l, const struct ledger_event *e);

/* Spend over days [from, to] inclusive ("YYYY-MM-DD"; either may be NULL = open).
 * usd and calls may be NULL. 0, -EINVAL (a bad day), -EIO. */
int ledger__spend(struct ledger *l, const char *from, const char *to, double *usd, uint64_t *calls);

enum ledger_dim {
	LEDGER_BY_PROVIDER,
	LEDGER_BY_MODEL,
	LEDGER_BY_AGENT,
	LEDGER_BY_SERVICE,
	LEDGER_BY_DAY,
	LEDGER_DIM__COUNT
};
const char *ledger_dim_name(enum ledger_dim d); /* provider, model, agent_type, service, day */
int ledger_dim_parse(const char *s, enum ledger_dim *out); /* 0 or -EINVAL */

/* Days inclusive (NULL open) and exact matches on the other fields (NULL = any). */
struct ledger_filter {
	const char *from, *to;
	const char *provider, *model, *agent_type, *service;
};

struct ledger_row {
	const char *key; /* the dimension's value */
	double usd;
	uint64_t calls, input, output, cache_read, cache_creation;
	uint64_t unpriced; /* calls of those without a price */
};

/* Calls fn per group, ordered by key (by day ascending; others by usd descending then key).
 * At most limit rows (0 = no limit). f NULL: no filter. fn runs under the ledger's lock
 * (it must not call the ledger) and r->key lives until fn returns. fn returning non-zero
 * stops early and that value is returned. 0, -EINVAL, -EIO. */
int ledger__breakdown(struct ledger *l, const struct ledger_filter *f, enum ledger_dim dim,
		      size_t limit, int (*fn)(void *arg, const struct ledger_row *r), void *arg);

/* Business events over days [from, to], grouped by (event, category, outcome) in that
 * order; fn as in ledger__breakdown. */
struct ledger_event_count {
	const char *event, *category, *outcome;
	uint64_t count;
};
int ledger__event_counts(struct ledger *l, const char *from, const char *to,
			 int (*fn)(void *arg, const struct ledger_event_count *c), void *arg);
/* Distinct days with at least one business event or spend row in [from, to]. */
int ledger__active_days(struct ledger *l, const char *from, const char *to, uint64_t *days);

#endif
