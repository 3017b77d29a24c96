/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The first bytes of requests this host served (BT_EV_REQHEAD records),
 * gathered per connection until the request's bt_http_record arrives, and
 * what the request detectors read from them: the whole target, selected
 * header values (never Authorization), Content-Type and the body's first
 * bytes. Bounded: a fixed table of connections (a newcomer takes the slot
 * of whichever connection hashed there, counted as evicted) and at most
 * BT_INSPECT_MAX bytes per request. Buffers that held headers are wiped
 * when the request is done, as they may hold cookies. Pure: no I/O, not
 * thread-safe (the ringbuf thread owns it).
 */
#ifndef BT_REQ_INSPECT_H
#define BT_REQ_INSPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/types.h>
#include "biothings/events.h"

/* Header values handed to the detectors: User-Agent, Referer, Cookie,
 * X-Forwarded-For, X-Real-IP, Origin. */
#define REQ_INSPECT_HEADERS 6

/* A finished request's parts; valid until the next call on its req_inspect. */
struct req_view {
	const char *target; /* whole target from the start line */
	size_t target_len;
	const char *content_type; /* NULL when absent */
	const char *body; /* NULL when none arrived, or it is encoded in a way not undone */
	size_t body_len;
	const char *header_values[REQ_INSPECT_HEADERS + 1]; /* NULL-terminated */
	const char *user_agent; /* also among header_values; NULL when absent */
};

enum req_inspect_stat {
	REQ_INSPECT_SEEN, /* requests whose bytes were read */
	REQ_INSPECT_NO_BYTES, /* flagged, but nothing (whole) kept: lost, evicted or late */
	REQ_INSPECT_EVICTED, /* a connection's bytes pushed out by another's */
	REQ_INSPECT_NOT_HTTP, /* bytes that did not frame as a request */
	REQ_INSPECT_KNOWN, /* bytes identical to a request already found clean: not read again */
	REQ_INSPECT__COUNT
};

struct req_inspect;

/* slots: connections followed at once, rounded up to a power of two;
 * max_bytes: bytes kept per request (the kernel's budget; 0 or more than
 * BT_INSPECT_MAX: BT_INSPECT_MAX). A slot's buffer is allocated when it is
 * first used. NULL + errno. */
struct req_inspect *req_inspect__new(size_t slots, size_t max_bytes);
void req_inspect__free(struct req_inspect *ri);
/* One record; bytes of a connection it does not follow are ignored. */
void req_inspect__data(struct req_inspect *ri, const struct bt_reqhead_record *r);
/*
 * The request on conn_id is done: fills v and returns true when its bytes
 * were kept and frame as a request, else false. Either way the connection's
 * bytes are forgotten (and wiped).
 */
bool req_inspect__take(struct req_inspect *ri, uint64_t conn_id, struct req_view *v);
/* The bytes take would read for conn_id, left in place; false when take
 * would find none. Valid until the next call on ri. */
bool req_inspect__raw(const struct req_inspect *ri, uint64_t conn_id, const uint8_t **buf,
		      size_t *len);
/* The request on conn_id is done and its bytes need no reading (their
 * verdict is known): forgotten and wiped, counted REQ_INSPECT_KNOWN. */
void req_inspect__drop(struct req_inspect *ri, uint64_t conn_id);
uint64_t req_inspect__stat(const struct req_inspect *ri, enum req_inspect_stat s);

#endif
