// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer harness for the LLM core and tracker (user/llm_*.c). The
 * input is a request and a response separated by "@@RESP@@"; it is run
 * through llm_parse_exchange() whole, then through the tracker as data
 * records cut on a fuzzer-chosen schedule. Both must agree on the
 * outcome, and every label-bound string must be label-safe. This file
 * only drives the modules; it must not grow a parser of its own.
 *
 * Input: 1 control byte (schedule seed; bit 7: mark the 2nd record LOST),
 * then request "@@RESP@@" response.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "llm_track.h"
#include "metrics.h"

#define SEP "@@RESP@@"

static void check_label(const char *s)
{
	for (; *s; s++)
		FUZZ_CHECK((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			   (*s >= '0' && *s <= '9') || strchr("_.-:/@", *s));
}

static void check_call(const struct llm_call *c)
{
	FUZZ_CHECK(c->reason < LLM_REASON__COUNT);
	FUZZ_CHECK(!c->usage_ok || c->reason == LLM_REASON_NONE);
	FUZZ_CHECK(c->operation != NULL);
	check_label(c->request_model);
	check_label(c->response_model);
	check_label(c->finish_reason);
	check_label(c->error_type);
}

static void feed(struct llm_tracker *t, int dir, const uint8_t *p, size_t n, uint8_t seed,
		 bool lost)
{
	static struct bt_data_record d;
	uint32_t x = 0x9e3779b9u ^ seed;
	size_t off = 0;
	int rec = 0;

	while (off < n) {
		size_t k;

		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		k = 1 + (x % 64);
		if (k > n - off)
			k = n - off;
		memset(&d, 0, offsetof(struct bt_data_record, data));
		d.conn_id = 1;
		d.io_ns = 1000 + off;
		d.len = (uint32_t)k;
		d.dir = (uint8_t)dir;
		d.flags = (off == 0 ? BT_DATA_FIRST : 0) | (lost && rec == 1 ? BT_DATA_LOST : 0);
		memcpy(d.data, p + off, k);
		llm_tracker__data(t, &d);
		off += k;
		rec++;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct llm_exchange_in in = { 0 };
	struct bt_http_record r = { 0 };
	struct llm_call c;
	struct llm_stats st;
	struct metrics *m;
	struct llm_tracker *t;
	const uint8_t *sep;
	char *text = NULL;
	size_t len;

	if (size < 1)
		return 0;
	sep = memmem(data + 1, size - 1, SEP, strlen(SEP));
	in.req = data + 1;
	in.req_len = sep ? (size_t)(sep - in.req) : size - 1;
	in.resp = sep ? sep + strlen(SEP) : NULL;
	in.resp_len = sep ? size - (size_t)(in.resp - data) : 0;
	in.start_ns = 1;
	in.end_ns = 2;
	in.max_body_bytes = 1 << 16;
	FUZZ_CHECK(llm_parse_exchange(&in, &c) == 0);
	check_call(&c);

	m = metrics__new(1000);
	t = m ? llm_tracker__new(&(struct llm_opts){ .max_body_bytes = 1 << 16 }, m) : NULL;
	if (!t)
		goto free_metrics;
	feed(t, BT_DATA_REQUEST, in.req, in.req_len, data[0], false);
	feed(t, BT_DATA_RESPONSE, in.resp, in.resp_len, data[0], data[0] & 0x80);
	r.conn_id = 1;
	r.flags = BT_REQ_CAPTURED;
	r.role = BT_ROLE_CLIENT;
	llm_tracker__exchange(t, &r, "svc");
	llm_tracker__stats(t, &st);
	FUZZ_CHECK(st.calls + st.dropped_partial >= 1);
	FUZZ_CHECK(metrics__render(m, &text, &len) == 0);
	FUZZ_CHECK(strlen(text) == len);
	free(text);
	llm_tracker__gc(t, UINT64_MAX);
	llm_tracker__free(t);
free_metrics:
	metrics__free(m);
	return 0;
}
