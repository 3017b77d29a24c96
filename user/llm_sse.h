/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Event splitting for streamed LLM responses: Server-Sent Events (named
 * or not, comments, multi-line data), NDJSON (one JSON value a line) and
 * a streamed JSON array (Gemini without alt=sse). Incremental over a
 * growing buffer: each feed looks only at bytes not yet consumed and
 * leaves an unfinished event for the next feed, so the stream may be cut
 * anywhere. It frames events only; it does not parse JSON and keeps no
 * copy of the stream except for multi-line SSE data (bounded).
 */
#ifndef BT_LLM_SSE_H
#define BT_LLM_SSE_H

#include <stdbool.h>
#include <stddef.h>

enum llm_frame {
	LLM_FRAME_SSE = 0,
	LLM_FRAME_NDJSON = 1,
	LLM_FRAME_JSON_ARRAY = 2,
};

struct llm_event {
	const char *name; /* SSE "event:" value, NULL if none (always NULL for the others) */
	size_t name_len;
	const char *data; /* payload: SSE data lines joined by '\n', or one JSON value */
	size_t len;
	size_t end; /* stream offset just past the event's last byte */
};

/* Nonzero stops the feed and is returned by it. */
typedef int (*llm_event_fn)(void *ctx, const struct llm_event *ev);

struct llm_splitter {
	enum llm_frame kind;
	size_t max_event; /* bytes of one event's data; larger events are dropped and counted */
	size_t pos; /* next byte to look at */
	size_t events, oversized;
	/* SSE */
	size_t line_start;
	char name[64];
	size_t name_len;
	bool have_data, multi;
	size_t d_off, d_len; /* single data line: where it is in the stream */
	char *dbuf; /* joined multi-line data */
	size_t dlen, dcap;
	bool too_big;
	/* JSON array */
	int depth;
	bool in_str, esc, top_array, array_closed;
	size_t el_start;
};

void llm_splitter__init(struct llm_splitter *s, enum llm_frame kind, size_t max_event);
void llm_splitter__release(struct llm_splitter *s);
/*
 * buf holds the stream from its first byte; len bytes are available
 * (len never shrinks between calls, and earlier bytes never change).
 * Calls fn for every event completed by bytes in [pos, len). 0, -ENOMEM,
 * or fn's nonzero value.
 */
int llm_splitter__feed(struct llm_splitter *s, const char *buf, size_t len, llm_event_fn fn,
		       void *ctx);
/* Feed, then at the end of the stream: an NDJSON last line without its
 * newline is an event too (the others need their terminator). */
int llm_splitter__finish(struct llm_splitter *s, const char *buf, size_t len, llm_event_fn fn,
			 void *ctx);
/* Bytes of an event begun but not finished (a stream cut mid-event). */
bool llm_splitter__pending(const struct llm_splitter *s);
/*
 * Bytes were lost just before offset from (a hole in a captured stream):
 * the event in progress is dropped and splitting goes on from the first
 * event boundary at or after from, before len (SSE: past a blank line;
 * NDJSON: past a newline), so only whole events come out. -1 when there
 * is none yet, or for a JSON array (its nesting cannot be recovered).
 */
int llm_splitter__resync(struct llm_splitter *s, const char *buf, size_t from, size_t len);

/*
 * A copy of the JSON text in with every string longer than max_str bytes
 * replaced by "": the structure and short values (keys, models, reasons,
 * numbers) stay, generated text goes. Lets a multi-megabyte answer be
 * parsed for its usage at memchr speed. Malformed input stays malformed.
 * 0 or -ENOMEM; *out is malloc'd and NUL-terminated.
 */
int llm_json_shrink(const char *in, size_t n, size_t max_str, char **out, size_t *outlen);

#endif
