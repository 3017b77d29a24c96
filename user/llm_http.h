/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One HTTP/1.x message of a captured LLM exchange, assembled from bytes
 * that may arrive split anywhere: start line and headers in a bounded
 * buffer, the body de-chunked (the kernel's framer, bpf/h1_parse.h, finds
 * the boundaries) and bounded, plus the arrival time of each piece of
 * body for streaming latency. Decoding of gzip/deflate bodies is here
 * too. It never logs and never hands out a header it was not asked for;
 * the header buffer is wiped when the message is released, because it
 * holds credentials (Authorization, x-api-key).
 */
#ifndef BT_LLM_HTTP_H
#define BT_LLM_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/types.h>
#include "biothings/conn.h"

#define LLM_HDR_MAX (64u << 10)
#define LLM_ARRIVALS_MAX 65536u
#define LLM_HOLES_MAX 16u

/* Body bytes from off on arrived in a read that returned at ns. */
struct llm_arrival {
	uint64_t off;
	uint64_t ns;
};

struct llm_msg {
	struct h1_dir d;
	bool is_request;
	bool begun, complete; /* start line seen / framer said END */
	bool error; /* not HTTP/1.x, or input after a gap */
	bool gap; /* bytes were lost inside this message */
	bool too_large; /* body beyond max_body: the rest was counted, not kept */
	bool hdr_overflow, arrivals_overflow;
	uint8_t req_method; /* responses: the request's method (HEAD has no body) */
	uint8_t method;
	uint16_t status;
	char *hdr; /* start line + header lines as received */
	size_t hdr_len;
	uint8_t *body;
	size_t body_len, body_cap;
	uint64_t body_total; /* body bytes seen, kept or not */
	uint64_t max_body;
	uint64_t *held; /* the owner's running total of body bytes allocated, or NULL */
	struct llm_arrival *arr;
	size_t n_arr, cap_arr;
	uint64_t first_ns, last_ns; /* first and latest byte of the message */
	/* Body offsets (of body[]) where bytes were lost and framing went on
	 * from the kernel's state (llm_msg__resume); the body is whole if 0. */
	size_t holes[LLM_HOLES_MAX];
	size_t n_holes;
};

void llm_msg__init(struct llm_msg *m, bool is_request, uint64_t max_body);
/* Wipes the headers, frees everything; m can be initialised again. */
void llm_msg__release(struct llm_msg *m);
/*
 * Feeds bytes that arrived together at ns. Returns how many belong to
 * this message: fewer than len when it ended inside buf (the rest starts
 * the next message). -ENOMEM leaves the message marked error.
 */
long llm_msg__feed(struct llm_msg *m, const uint8_t *buf, size_t len, uint64_t ns);
/* A gap in the stream: the message can no longer be read. */
void llm_msg__mark_gap(struct llm_msg *m);
/*
 * Bytes of the body were lost and st is the kernel's framer state after
 * them (bt_data_record.resume): framing goes on from st and the body
 * keeps a hole mark where the bytes are missing. False, and nothing
 * changed, when the message cannot go on that way (headers not complete,
 * st not inside a body, too many holes): the caller marks a gap.
 */
bool llm_msg__resume(struct llm_msg *m, const struct h1_dir *st);
/* Idle framer and no byte of a message yet. */
bool llm_msg__empty(const struct llm_msg *m);

/* First header named name (case-insensitive); value trimmed, not NUL-terminated. */
bool llm_msg__header(const struct llm_msg *m, const char *name, const char **val, size_t *len);
/* Request target from the start line (full length, not the kernel's 128 bytes). */
bool llm_msg__target(const struct llm_msg *m, const char **val, size_t *len);
/* Case-insensitive substring test on a header value. */
bool llm_msg__header_has(const struct llm_msg *m, const char *name, const char *needle);

enum llm_decode {
	LLM_DECODE_OK = 0,
	LLM_DECODE_TOO_LARGE = 1,
	LLM_DECODE_TRUNCATED = 2, /* compressed stream ended early */
	LLM_DECODE_BAD = 3, /* corrupt data, or an encoding we do not read (br, zstd) */
	LLM_DECODE_NOMEM = 4,
};

/*
 * The body with its Content-Encoding undone, at most max bytes. *out is
 * m->body itself when nothing had to be undone (*owned false) or a
 * malloc'd buffer the caller frees (*owned true).
 */
enum llm_decode llm_msg__decoded_body(const struct llm_msg *m, uint64_t max, const uint8_t **out,
				      size_t *len, bool *owned);
/* Arrival time of body byte off (identity bodies); 0 when unknown. */
uint64_t llm_msg__arrival_ns(const struct llm_msg *m, uint64_t off);

#endif
