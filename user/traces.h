/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The trace exporter: every observed HTTP request and LLM call becomes an
 * OTLP span (otlp.h), client requests made by a thread while it served a
 * request become children of that request's span, and spans are sent in
 * batches to an OTLP/HTTP collector (<endpoint>/v1/traces, JSON) by one
 * sender thread: a bounded queue, retry with exponential backoff while the
 * collector is down, drops past the bound counted in
 * biothings_traces_spans_total{result="dropped"}. See docs/traces.md.
 * The capture thread's calls only build spans and take a mutex; the
 * network is the sender thread's alone.
 */
#ifndef BT_TRACES_H
#define BT_TRACES_H

#include <stdint.h>

#include "biothings/events.h"
#include "config.h"
#include "http_red.h"
#include "llm_usage.h"

struct metrics;

/* Client spans of a process that served a request in the last TRACES_SERVED_NS
 * wait up to hold_ns for their server span; others only short_hold_ns. */
#define TRACES_SERVED_NS (600ull * 1000000000ull)
#define TRACES_DEFAULT_HOLD_NS (30ull * 1000000000ull)
#define TRACES_DEFAULT_SHORT_HOLD_NS (1000000000ull)
#define TRACES_DEFAULT_HOLD_MAX 1024u
#define TRACES_DEFAULT_BACKOFF_MIN_NS (100ull * 1000000ull)
#define TRACES_DEFAULT_BACKOFF_MAX_NS (5ull * 1000000000ull)
#define TRACES_DEFAULT_TIMEOUT_NS (10ull * 1000000000ull)
#define TRACES_DEFAULT_SHUTDOWN_NS (2ull * 1000000000ull)

struct traces_opts {
	const char *endpoint; /* OTLP/HTTP base URL; NULL or "": traces off */
	double sample_ratio; /* share of traces exported, decided per trace id */
	uint32_t queue; /* spans held for export, the batch being sent included */
	uint32_t batch; /* spans per export request */
	uint64_t flush_ns; /* longest wait before a partial batch is sent */
	/* 0 = the TRACES_DEFAULT_* value */
	uint64_t hold_ns, short_hold_ns;
	uint32_t hold_max; /* client spans waiting for a parent at once; past it the oldest leaves */
	uint64_t backoff_min_ns, backoff_max_ns; /* retry delay, doubled after each failure */
	uint64_t timeout_ns; /* one export request */
	uint64_t shutdown_ns; /* traces__free keeps delivering this long */
	int64_t unix_offset_ns; /* CLOCK_REALTIME - CLOCK_MONOTONIC; 0: measured by traces__new */
};

/* The traces.* keys of the configuration; the rest at defaults. */
void traces_opts_from_config(struct traces_opts *o, const struct obs_config *c);

struct traces;

/*
 * Defines biothings_traces_spans_total{result}, biothings_traces_queue_spans and
 * biothings_traces_held_spans in m (m may be NULL: no metrics) and starts the
 * sender thread. NULL with
 * errno 0 when the endpoint is empty (traces off: every traces__* call takes
 * NULL and does nothing); NULL + errno EINVAL (bad URL or sizes), EEXIST (the
 * families exist in m), ENOMEM, or pthread_create's error.
 */
struct traces *traces__new(const struct traces_opts *o, struct metrics *m);
/* Releases every held span, keeps sending for up to shutdown_ns, counts what
 * is left as dropped, stops the thread and frees. NULL-safe. */
void traces__free(struct traces *t);

/*
 * One finished request (any role) with its enriched labels (obs may be NULL:
 * the record's own method and peer are used). service: the resource's
 * service.name (NULL: obs->service_name, then "unknown_service"). Times are
 * the record's CLOCK_MONOTONIC, shifted by the Unix offset. Capture thread.
 */
void traces__http(struct traces *t, const struct bt_http_record *r, const struct http_obs *obs,
		  const char *service);
/*
 * One finished LLM call. tid, start_ns and end_ns are those of the exchange's
 * bt_http_record (hdr.tid, start_ns, end_ns): the client span of that record
 * (traces__http, before or after this call) is then enriched with gen_ai.*
 * attributes instead of a second span being made. tid 0 or no such span: a
 * span of its own (start_ns 0: end_ns - c->duration_ns; end_ns 0: now).
 */
void traces__llm(struct traces *t, const struct llm_call *c, const char *service, const char *agent,
		 double cost_usd, uint32_t tid, uint64_t start_ns, uint64_t end_ns);

/*
 * Releases every held span (as roots when no parent came) and waits up to
 * timeout_ns for the queue to drain. 0, or -ETIMEDOUT (collector down or
 * slow). For tests and shutdown paths; NULL-safe (0).
 */
int traces__flush(struct traces *t, uint64_t timeout_ns);

struct traces_stats {
	uint64_t spans; /* spans made (HTTP requests, LLM calls not merged into one) */
	uint64_t exported; /* accepted by the collector */
	uint64_t dropped; /* queue full, or still queued at shutdown */
	uint64_t failed; /* refused by the collector (non-retryable answer, rejected spans) */
	uint64_t unsampled; /* not exported by sampling */
	uint64_t linked; /* client spans given a server parent */
	uint64_t requests, retries; /* export requests made, of those answered "try again" */
	uint32_t queued; /* in the queue now, batch in flight included */
	uint32_t held; /* client spans waiting for a parent */
};
void traces__stats(struct traces *t, struct traces_stats *out);

#endif
