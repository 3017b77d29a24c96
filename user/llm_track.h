/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * LLM call accounting from captured exchanges. The kernel sends the
 * plaintext of client-side HTTP/1.x exchanges on LLM paths as
 * BT_EV_DATA records, then the exchange's bt_http_record with
 * BT_REQ_CAPTURED; the tracker reassembles each connection's request and
 * response messages, pairs them with that record, reads model, usage,
 * finish reason, errors, rate limits and stream timing, and feeds the
 * LLM metric families (docs/llm.md). Pure logic: no BPF, no sockets, no
 * logging of payloads or header values, no global state.
 */
#ifndef BT_LLM_TRACK_H
#define BT_LLM_TRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "biothings/events.h"
#include "config.h"
#include "llm_http.h"
#include "llm_usage.h"

#define LLM_DEFAULT_MAX_BODY (16ull << 20)
#define LLM_DEFAULT_STALE_NS (15ull * 60 * 1000000000ull)
#define LLM_CONNS_MAX 4096u /* connections with bytes waiting for their exchange record */
#define LLM_QUEUE_MAX 8u /* finished messages waiting per connection and direction */

struct metrics;

struct llm_opts {
	const struct llm_host_rule *hosts; /* user map, consulted before the built-in table */
	size_t n_hosts;
	uint64_t max_body_bytes; /* per message kept for parsing; 0 = default 16 MiB */
	uint64_t stale_ns; /* pending exchanges older than this are dropped at gc; 0 = 15 min */
	uint64_t max_held_bytes; /* all messages' bodies together; 0 = 16 x max_body_bytes */
	/* Optional: the call's agent_type, asked once per call while its request (headers
	 * included) is still held; NULL or a NULL answer = "unknown". */
	const char *(*agent_of)(void *arg, const struct llm_msg *req,
				const struct bt_http_record *r);
	/* Optional: every finished call, after its metrics are recorded (cost accounting). */
	void (*on_call)(void *arg, const struct llm_call *c, const char *service,
			const char *agent);
	void *arg;
};

struct llm_tracker;

/* Defines the LLM metric families in m. NULL + errno. */
struct llm_tracker *llm_tracker__new(const struct llm_opts *o, struct metrics *m);
void llm_tracker__free(struct llm_tracker *t);
void llm_tracker__data(struct llm_tracker *t, const struct bt_data_record *d);
/* The exchange's record (flags & BT_REQ_CAPTURED, role client). service_name from the
 * daemon's enrichment; agent_type from opts.agent_of. Finalizes the oldest assembled
 * exchange of r->conn_id. */
void llm_tracker__exchange(struct llm_tracker *t, const struct bt_http_record *r,
			   const char *service_name);
/* Optional hint: frees the connection's state once nothing waits on it. */
void llm_tracker__conn_closed(struct llm_tracker *t, uint64_t conn_id);
void llm_tracker__gc(struct llm_tracker *t, uint64_t now_ns);

struct llm_stats {
	uint64_t calls; /* exchanges finalized */
	uint64_t unparsed; /* of those, usage not read (any reason) */
	uint64_t dropped_partial; /* messages thrown away unpaired (queue full, resync, no conn) */
	uint64_t bytes; /* payload bytes received */
	uint64_t body_too_large;
	uint64_t stale; /* messages dropped by gc */
	uint64_t resumed; /* holes in response bodies framed past (llm_msg__resume) */
};
void llm_tracker__stats(const struct llm_tracker *t, struct llm_stats *out);

/* ---- The pure core, for tests and tools: one exchange from raw bytes. ---- */

struct llm_exchange_in {
	const uint8_t *req; /* request bytes as sent: start line, headers, body */
	size_t req_len;
	const uint8_t *resp; /* response bytes as received */
	size_t resp_len;
	/* Where each read of the response began (offsets into resp, ascending) and when it
	 * returned; NULL = one read at end_ns. Gives stream timing. */
	const struct llm_arrival *resp_reads;
	size_t n_resp_reads;
	uint64_t start_ns, end_ns; /* the exchange record's */
	uint8_t flags; /* the exchange record's (BT_REQ_*) */
	const struct llm_host_rule *hosts;
	size_t n_hosts;
	uint64_t max_body_bytes; /* 0 = default */
};

/* 0, or -ENOMEM. Everything else (bad input) is reported in out->reason. */
int llm_parse_exchange(const struct llm_exchange_in *in, struct llm_call *out);

/* The same from messages already assembled (what the tracker uses). req/resp may be NULL. */
struct llm_parse_ctx {
	uint64_t start_ns, end_ns;
	uint8_t flags;
	const struct llm_host_rule *hosts;
	size_t n_hosts;
	uint64_t max_body_bytes;
};
int llm_parse_messages(const struct llm_msg *req, const struct llm_msg *resp,
		       const struct llm_parse_ctx *ctx, struct llm_call *out);

#endif
