// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer harness for req_inspect (user/req_inspect.c): records of three
 * connections sharing a two-slot table, so eviction, restarts, lost bytes
 * and takes interleave in any order. Every byte of each view handed out is
 * read and the view is run through http_threat_scan, as observe.c does,
 * so ASan sees any pointer past its storage. This file only drives the
 * module; it must not grow a parser of its own.
 *
 * Input: a sequence of ops. Op byte b: conn = ids[(b & 3) % 3]; bit 7 set:
 * take that conn; else a record (bit 4 BT_DATA_FIRST, bit 5 BT_DATA_LOST)
 * whose claimed length is the next two bytes (little-endian, may exceed
 * BT_REQHEAD_MAX) and whose data is the bytes after them, at most that
 * length and BT_REQHEAD_MAX. Every conn is taken at the end.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "http_threat.h"
#include "req_inspect.h"

/* Kernel-shaped ids (ns << 6 | cpu). */
static const uint64_t ids[3] = { (1000001ull << 6) | 1, (1000002ull << 6) | 2,
				 (1000003ull << 6) | 1 };

static struct bt_reqhead_record rec;

struct run {
	uint64_t takes, firsts;
};

/* Reads every byte: ASan stops on one past its allocation. */
static uint8_t touch(const void *p, size_t n)
{
	const volatile uint8_t *b = p;
	uint8_t x = 0;

	for (size_t i = 0; i < n; i++)
		x ^= b[i];
	return x;
}

static void check_view(const struct req_view *v)
{
	struct threat_input in = { .target = v->target,
				   .target_len = v->target_len,
				   .content_type = v->content_type,
				   .body = v->body,
				   .body_len = v->body_len,
				   .header_values = v->header_values };
	struct threat_hit hits[THREAT__COUNT];
	size_t k = 0, n;
	volatile uint8_t sink;

	FUZZ_CHECK(v->target != NULL);
	FUZZ_CHECK(v->target_len < BT_INSPECT_MAX);
	FUZZ_CHECK(v->body ? v->body_len > 0 && v->body_len <= BT_INSPECT_MAX : !v->body_len);
	sink = touch(v->target, v->target_len);
	if (v->content_type) {
		FUZZ_CHECK(strlen(v->content_type) < BT_INSPECT_MAX);
		sink = touch(v->content_type, strlen(v->content_type) + 1);
	}
	if (v->body)
		sink = touch(v->body, v->body_len);
	/* a value may read as "" when its first byte is NUL: C strings end there */
	for (; k < REQ_INSPECT_HEADERS && v->header_values[k]; k++)
		sink = touch(v->header_values[k], strlen(v->header_values[k]) + 1);
	FUZZ_CHECK(v->header_values[k] == NULL);
	/* the User-Agent is one of the values handed over (the first), or absent */
	FUZZ_CHECK(!v->user_agent || v->user_agent == v->header_values[0]);
	(void)sink;
	n = http_threat_scan(&in, hits, THREAT__COUNT);
	FUZZ_CHECK(n <= THREAT__COUNT);
	for (size_t i = 0; i < n; i++) {
		FUZZ_CHECK(hits[i].type < THREAT__COUNT);
		FUZZ_CHECK(memchr(hits[i].where, '\0', sizeof(hits[i].where)) != NULL);
		FUZZ_CHECK(memchr(hits[i].detail, '\0', sizeof(hits[i].detail)) != NULL);
	}
}

static void take(struct req_inspect *ri, uint64_t conn, struct run *r, bool drop)
{
	struct req_view v;
	const uint8_t *raw;
	volatile uint8_t sink;
	size_t len;

	r->takes++;
	/* what observe.c does with a request known clean: look, then forget */
	if (drop && req_inspect__raw(ri, conn, &raw, &len)) {
		FUZZ_CHECK(len > 0 && len <= BT_INSPECT_MAX);
		sink = touch(raw, len);
		(void)sink;
		req_inspect__drop(ri, conn);
	} else if (req_inspect__take(ri, conn, &v))
		check_view(&v);
	else
		FUZZ_CHECK(!v.target && !v.body && !v.content_type && !v.header_values[0]);
	/* whatever happened, the conn's bytes are gone */
	FUZZ_CHECK(!req_inspect__take(ri, conn, &v));
	r->takes++;
}

/* One record op at data[0]; returns the bytes it used. */
static size_t record(struct req_inspect *ri, const uint8_t *data, size_t size, struct run *r)
{
	uint8_t b = data[0];
	size_t claim, n;

	if (size < 3)
		return size;
	claim = (size_t)data[1] | (size_t)data[2] << 8;
	n = size - 3;
	if (n > claim)
		n = claim;
	if (n > BT_REQHEAD_MAX)
		n = BT_REQHEAD_MAX;
	memset(&rec, 0, sizeof(rec));
	rec.conn_id = ids[(b & 3) % 3];
	rec.flags = (b & 0x10 ? BT_DATA_FIRST : 0) | (b & 0x20 ? BT_DATA_LOST : 0);
	rec.len = (uint32_t)claim; /* may claim more than data[] holds */
	memcpy(rec.data, data + 3, n);
	req_inspect__data(ri, &rec);
	r->firsts += !!(b & 0x10);
	return 3 + n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct req_inspect *ri = req_inspect__new(2, BT_INSPECT_MAX);
	struct run r = { 0 };
	size_t off = 0;

	if (!ri)
		return 0;
	while (off < size) {
		if (data[off] & 0x80) {
			take(ri, ids[(data[off] & 3) % 3], &r, data[off] & 0x40);
			off++;
		} else {
			off += record(ri, data + off, size - off, &r);
		}
	}
	for (int i = 0; i < 3; i++)
		take(ri, ids[i], &r, false);
	FUZZ_CHECK(req_inspect__stat(ri, REQ_INSPECT_SEEN) +
			   req_inspect__stat(ri, REQ_INSPECT_NO_BYTES) +
			   req_inspect__stat(ri, REQ_INSPECT_NOT_HTTP) +
			   req_inspect__stat(ri, REQ_INSPECT_KNOWN) ==
		   r.takes);
	FUZZ_CHECK(req_inspect__stat(ri, REQ_INSPECT_EVICTED) <= r.firsts);
	req_inspect__free(ri);
	return 0;
}
