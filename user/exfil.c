// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Per (process, destination) sliding sums of bytes sent. The pairs live in
 * a small open hash with an LRU list; each keeps a ring of its recent flows
 * so the window can slide exactly. A pair that alerted stays quiet until
 * its windowed sum drops below the threshold (re-arm), so a long upload in
 * many connections is one alert per burst, not one per connection.
 */
#include "exfil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUCKETS 8192

struct flow {
	uint64_t ns, bytes;
};

struct pair {
	uint32_t tgid;
	uint16_t family;
	uint8_t daddr[16];
	bool used, alerted;
	struct flow ring[EXFIL_FLOWS_PER_PAIR];
	uint32_t head, n; /* ring[head] is the oldest of n */
	uint64_t sum;
	uint64_t last_ns;
	struct pair *next; /* bucket chain */
};

struct exfil {
	struct exfil_cfg c;
	struct cidr allow[64];
	struct pair *pairs; /* EXFIL_MAX_PAIRS */
	struct pair *buckets[BUCKETS];
	size_t used;
};

static uint32_t pair_hash(uint32_t tgid, const uint8_t *a)
{
	uint64_t h = 1469598103934665603ull ^ tgid;

	for (int i = 0; i < 16; i++)
		h = (h ^ a[i]) * 1099511628211ull;
	return (uint32_t)(h % BUCKETS);
}

static void unlink_pair(struct exfil *x, struct pair *p)
{
	struct pair **pp = &x->buckets[pair_hash(p->tgid, p->daddr)];

	while (*pp && *pp != p)
		pp = &(*pp)->next;
	if (*pp)
		*pp = p->next;
}

/* The pair's slot: found, a free one, or the least recently seen one reused. */
static struct pair *get_pair(struct exfil *x, const struct bt_flow_record *f)
{
	uint32_t h = pair_hash(f->hdr.tgid, f->daddr);
	struct pair *p, *oldest = NULL;

	for (p = x->buckets[h]; p; p = p->next) {
		if (p->tgid == f->hdr.tgid && p->family == f->family &&
		    !memcmp(p->daddr, f->daddr, 16))
			return p;
	}
	if (x->used < EXFIL_MAX_PAIRS) {
		p = &x->pairs[x->used++];
	} else {
		for (size_t i = 0; i < EXFIL_MAX_PAIRS; i++) {
			if (!oldest || x->pairs[i].last_ns < oldest->last_ns)
				oldest = &x->pairs[i];
		}
		p = oldest;
		unlink_pair(x, p);
	}
	memset(p, 0, sizeof(*p));
	p->used = true;
	p->tgid = f->hdr.tgid;
	p->family = f->family;
	memcpy(p->daddr, f->daddr, 16);
	p->next = x->buckets[h];
	x->buckets[h] = p;
	return p;
}

static void slide(struct pair *p, uint64_t now_ns, uint64_t window_ns)
{
	while (p->n && now_ns - p->ring[p->head].ns > window_ns) {
		p->sum -= p->ring[p->head].bytes;
		p->head = (p->head + 1) % EXFIL_FLOWS_PER_PAIR;
		p->n--;
	}
}

static void push(struct pair *p, uint64_t now_ns, uint64_t bytes)
{
	if (p->n == EXFIL_FLOWS_PER_PAIR) { /* fold the oldest into the next one */
		uint32_t next = (p->head + 1) % EXFIL_FLOWS_PER_PAIR;

		p->ring[next].bytes += p->ring[p->head].bytes;
		p->head = next;
		p->n--;
	}
	p->ring[(p->head + p->n) % EXFIL_FLOWS_PER_PAIR] = (struct flow){ now_ns, bytes };
	p->n++;
	p->sum += bytes;
}

static bool allowed(const struct exfil *x, const struct bt_flow_record *f)
{
	for (size_t i = 0; i < x->c.n_allow; i++) {
		if (cidr_match(&x->allow[i], f->family, f->daddr))
			return true;
	}
	return false;
}

int exfil__flow(struct exfil *x, uint64_t now_ns, const struct bt_flow_record *f,
		struct exfil_alert *out)
{
	struct pair *p;

	if (!x || !f->bytes_sent || allowed(x, f))
		return 0;
	p = get_pair(x, f);
	if (now_ns < p->last_ns) /* the clock never goes back; a bad caller must not alert */
		now_ns = p->last_ns;
	p->last_ns = now_ns;
	slide(p, now_ns, x->c.window_ns);
	if (p->alerted && p->sum < x->c.bytes)
		p->alerted = false;
	push(p, now_ns, f->bytes_sent);
	if (p->alerted || p->sum < x->c.bytes)
		return 0;
	p->alerted = true;
	memset(out, 0, sizeof(*out));
	out->tgid = f->hdr.tgid;
	snprintf(out->comm, sizeof(out->comm), "%.*s", BT_COMM_LEN, f->comm);
	if (!inet_ntop(f->family == AF_INET6 ? AF_INET6 : AF_INET, f->daddr, out->dest,
		       sizeof(out->dest)))
		strcpy(out->dest, "?");
	out->port = f->dport;
	out->bytes = p->sum;
	out->flows = p->n;
	return 1;
}

struct exfil *exfil__new(const struct exfil_cfg *c)
{
	struct exfil *x;

	if (!c || !c->bytes || !c->window_ns || c->n_allow > 64) {
		errno = EINVAL;
		return NULL;
	}
	x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	x->pairs = calloc(EXFIL_MAX_PAIRS, sizeof(*x->pairs));
	if (!x->pairs) {
		free(x);
		return NULL;
	}
	x->c = *c;
	memcpy(x->allow, c->allow, c->n_allow * sizeof(*c->allow));
	x->c.allow = x->allow;
	return x;
}

void exfil__free(struct exfil *x)
{
	if (!x)
		return;
	free(x->pairs);
	free(x);
}
