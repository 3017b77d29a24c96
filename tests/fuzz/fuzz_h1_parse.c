// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer harness for the kernel HTTP/1.x framer (bpf/h1_parse.h), built
 * for the host exactly as tests/unit/test_h1_parse.c builds it. The BPF
 * side sees a stream cut at arbitrary syscall boundaries, so the same
 * bytes are fed whole, split in two at a fuzzer-chosen point and in a
 * fuzzer-chosen schedule of small chunks; all three must give the same
 * events. Every step is checked against the framer's invariants. This
 * file only drives the parser; it must not grow a second parser.
 *
 * Input: 5 control bytes, then the stream.
 *   [0] bit 0 request grammar, bit 1 a 101 answer turns the direction
 *       H1_OFF (as http_pair.bpf.h does), bit 2 also run with the BPF
 *       resync rule at chunk boundaries, bit 3 no target buffer
 *   [1] HEAD mask: response i gets H1F_NO_BODY if bit (i % 8) is set
 *   [2..3] split point (little endian, modulo the stream length + 1)
 *   [4] seed of the chunk schedule
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "h1_user.h"

#include "fuzz_util.h"

#define CTL_BYTES 5
#define MODE_REQUEST (1u << 0)
#define MODE_UPGRADE (1u << 1)
#define MODE_RESYNC (1u << 2)
#define MODE_NO_TARGET (1u << 3)

struct ev_rec {
	int ev;
	__u16 status;
	__u8 method;
	__u16 target_len;
	__u64 target_hash;
	__u64 msg_bytes; /* at H1_EV_END */
};

struct run {
	struct h1_dir d;
	struct h1_target t;
	unsigned mode;
	__u8 head_mask;
	int resync;
	__u64 fed; /* bytes consumed so far */
	__u64 msg_start; /* value of fed at the first byte of the live message */
	__u64 ts; /* stamp of the chunk being fed */
	__u64 start_ts; /* stamp of the chunk that began the live message */
	unsigned begun; /* messages begun */
	struct ev_rec *ev;
	size_t n_ev, cap_ev;
};

static __u64 fnv1a(const __u8 *p, size_t n)
{
	__u64 h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static int is_request(const struct run *r)
{
	return !!(r->mode & MODE_REQUEST);
}

/* A message is live from its first byte until END, ERROR or the stream ends. */
static int phase_live(__u8 phase)
{
	return phase >= H1_START_LINE && phase <= H1_BODY_EOF;
}

static void check_begin(struct run *r)
{
	size_t n = r->d.target_len < BT_PATH_MAX ? r->d.target_len : BT_PATH_MAX;

	FUZZ_CHECK(r->d.phase == H1_HEADERS);
	FUZZ_CHECK(r->d.msg_start_ns == r->start_ts);
	if (!is_request(r)) {
		FUZZ_CHECK(r->d.status >= 100 && r->d.status <= 999);
		return;
	}
	FUZZ_CHECK(r->d.method < BT_M__COUNT);
	FUZZ_CHECK(r->d.target_len >= 1);
	if (r->mode & MODE_NO_TARGET)
		return;
	/* the framer refuses these bytes in a target, so none may be kept */
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(r->t.b[i] > ' ' && r->t.b[i] != 0x7f);
}

static void record(struct run *r, int ev)
{
	struct ev_rec *e;
	size_t n = r->d.target_len < BT_PATH_MAX ? r->d.target_len : BT_PATH_MAX;

	FUZZ_CHECK(r->n_ev < r->cap_ev);
	e = &r->ev[r->n_ev++];
	memset(e, 0, sizeof(*e));
	e->ev = ev;
	e->status = r->d.status;
	e->method = r->d.method;
	e->target_len = r->d.target_len;
	if (!(r->mode & MODE_NO_TARGET))
		e->target_hash = fnv1a(r->t.b, n);
	if (ev == H1_EV_END)
		e->msg_bytes = r->d.msg_bytes;
}

/* What the BPF side does on each event that changes parser state. */
static void on_event(struct run *r, int ev)
{
	record(r, ev);
	switch (ev) {
	case H1_EV_BEGIN:
		check_begin(r);
		if (!is_request(r) && (r->head_mask >> (r->begun % 8)) & 1)
			r->d.flags |= H1F_NO_BODY;
		r->begun++;
		break;
	case H1_EV_END:
		FUZZ_CHECK(r->d.phase == H1_IDLE);
		FUZZ_CHECK(r->d.msg_bytes == r->fed - r->msg_start);
		if (!is_request(r) && (r->mode & MODE_UPGRADE) && r->d.status == 101)
			r->d.phase = H1_OFF;
		break;
	case H1_EV_ERROR:
		FUZZ_CHECK(r->d.phase == H1_DESYNC);
		break;
	default:
		FUZZ_CHECK(0 && "unknown event");
	}
}

static void check_step(const struct run *r)
{
	const struct h1_dir *d = &r->d;

	FUZZ_CHECK(d->phase <= H1_OFF);
	if (phase_live(d->phase))
		FUZZ_CHECK(d->msg_bytes == r->fed - r->msg_start);
	if (d->phase == H1_BODY_LEN)
		FUZZ_CHECK(d->remaining > 0 && d->remaining <= d->clen);
	if (d->phase == H1_CHUNK_DATA)
		FUZZ_CHECK(d->remaining > 0 && d->remaining <= d->clen);
}

/* One syscall's worth of bytes, driven like tests/unit/test_h1_parse.c's feed(). */
static void feed(struct run *r, const __u8 *buf, size_t len)
{
	size_t off = 0;

	r->ts++;
	if (r->resync && len && r->d.phase == H1_DESYNC && h1_can_start(buf[0], is_request(r)))
		r->d.phase = H1_IDLE; /* bt_try_resync(): only at a syscall start */
	while (off < len) {
		__u8 before = r->d.phase;
		int ev = H1_EV_NONE;

		if (r->d.phase == H1_DESYNC || r->d.phase == H1_OFF)
			return;
		if (!h1_reads_bytes(&r->d)) {
			__u64 n = h1_skip(&r->d, len - off, &ev);

			FUZZ_CHECK(n <= len - off);
			FUZZ_CHECK(n > 0 || r->d.phase != before); /* no progress: endless loop */
			off += n;
			r->fed += n;
		} else {
			if (before == H1_IDLE && buf[off] != '\r' && buf[off] != '\n') {
				r->msg_start = r->fed;
				r->start_ts = r->ts;
			}
			ev = h1_step(&r->d, buf[off], is_request(r),
				     (r->mode & MODE_NO_TARGET) ? NULL : &r->t, r->ts);
			FUZZ_CHECK(ev >= H1_EV_NONE && ev <= H1_EV_ERROR);
			off++;
			r->fed++;
		}
		check_step(r);
		if (ev != H1_EV_NONE)
			on_event(r, ev);
	}
}

static void run_init(struct run *r, const __u8 *ctl, struct ev_rec *ev, size_t cap, int resync)
{
	memset(r, 0, sizeof(*r));
	r->mode = ctl[0];
	r->head_mask = ctl[1];
	r->resync = resync;
	r->ev = ev;
	r->cap_ev = cap;
}

/* Chunks of 1..16 bytes from a xorshift schedule seeded by the input. */
static void feed_schedule(struct run *r, const __u8 *s, size_t len, __u8 seed)
{
	__u32 x = 0x9e3779b9u ^ seed;
	size_t off = 0;

	while (off < len) {
		size_t n;

		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		n = 1 + (x & 15);
		if (n > len - off)
			n = len - off;
		feed(r, s + off, n);
		off += n;
	}
}

static void same_events(const struct run *a, const struct run *b)
{
	FUZZ_CHECK(a->n_ev == b->n_ev);
	for (size_t i = 0; i < a->n_ev; i++) {
		const struct ev_rec *x = &a->ev[i], *y = &b->ev[i];

		FUZZ_CHECK(x->ev == y->ev);
		FUZZ_CHECK(x->status == y->status);
		FUZZ_CHECK(x->method == y->method);
		FUZZ_CHECK(x->target_len == y->target_len);
		FUZZ_CHECK(x->target_hash == y->target_hash);
		FUZZ_CHECK(x->msg_bytes == y->msg_bytes);
	}
	FUZZ_CHECK(a->d.phase == b->d.phase);
	FUZZ_CHECK(a->fed == b->fed);
	if (phase_live(a->d.phase))
		FUZZ_CHECK(a->d.msg_bytes == b->d.msg_bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const __u8 *s = data + CTL_BYTES;
	size_t len, cut, cap;
	struct run *r;
	struct ev_rec *ev;

	if (size < CTL_BYTES)
		return 0;
	len = size - CTL_BYTES;
	cut = (data[2] | (size_t)data[3] << 8) % (len + 1);
	cap = 2 * len + 4; /* at most one event per step or skip */
	r = calloc(4, sizeof(*r));
	ev = calloc(4 * cap, sizeof(*ev));
	if (!r || !ev)
		goto free_bufs;

	run_init(&r[0], data, ev, cap, 0);
	feed(&r[0], s, len);

	run_init(&r[1], data, ev + cap, cap, 0);
	feed(&r[1], s, cut);
	feed(&r[1], s + cut, len - cut);
	same_events(&r[0], &r[1]);

	run_init(&r[2], data, ev + 2 * cap, cap, 0);
	feed_schedule(&r[2], s, len, data[4]);
	same_events(&r[0], &r[2]);

	/* resync depends on where syscalls start: invariants only */
	if (data[0] & MODE_RESYNC) {
		run_init(&r[3], data, ev + 3 * cap, cap, 1);
		feed_schedule(&r[3], s, len, data[4]);
	}
free_bufs:
	free(ev);
	free(r);
	return 0;
}
