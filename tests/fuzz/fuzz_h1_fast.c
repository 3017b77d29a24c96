// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Differential libFuzzer harness for the framer's bulk path (h1_fast() in
 * bpf/h1_parse.h). h1_fast may only pass over bytes that h1_step would
 * take without an event, and must leave exactly the state stepping them
 * one by one leaves. Two framers walk the same stream from H1_IDLE: REF
 * steps every byte; FAST walks it as bpf/scan.bpf.h does (a window of up
 * to BT_SCAN_WINDOW bytes per load, reused after events, h1_fast then one
 * h1_step, h1_skip for bodies). Bytes past the window are garbage, as in
 * the per-CPU scratch map, so a read past n shows up as a wrong state.
 * Events, their offsets, the whole struct h1_dir and the target buffer
 * must match after every event and every syscall.
 *
 * Input: 5 control bytes, then the stream.
 *   [0] bit 0 request grammar, bit 1 HEAD mask on, bits 2..3 garbage
 *       past the window (0 stale, 1 random, 2 the stream's next bytes,
 *       3 the byte [4] repeated), bit 4 no target buffer, bit 5
 *       leave H1_DESYNC at a syscall that can start a message (as
 *       bt_try_resync() does) instead of ending the comparison there
 *   [1] HEAD mask: response i gets H1F_NO_BODY if bit (i % 8) is set
 *   [2..3] seed of the syscall schedule
 *   [4] seed of the garbage
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/types.h>
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#define H1_FN static inline
#include "h1_parse.h"

#include "fuzz_util.h"

#define CTL_BYTES 5
#define MODE_REQUEST (1u << 0)
#define MODE_HEAD (1u << 1)
#define MODE_NO_TARGET (1u << 4)
#define MODE_RESYNC (1u << 5)
#define FILL_STALE 0
#define FILL_RANDOM 1
#define FILL_NEXT 2
#define FILL_CONST 3

struct ev_rec {
	int ev;
	size_t at; /* stream offset of the byte that raised it */
	struct h1_dir d;
	struct h1_target t;
};

struct side {
	struct h1_dir d;
	struct h1_target t;
	struct h1_window w;
	size_t win_start, win_len; /* stream range held in w; 0: none */
	size_t off; /* stream bytes consumed */
	unsigned begun;
	struct ev_rec *ev;
	size_t n_ev, cap_ev;
};

struct input {
	const __u8 *s;
	size_t len;
	int is_request;
	int resync;
	__u8 mode, head_mask, fill, fill_seed;
	__u32 rng; /* garbage generator */
	int no_target;
};

static __u32 xorshift(__u32 *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* Same reaction to events on both sides: what the BPF pairing does. */
static void on_event(struct side *sd, const struct input *in, int ev, size_t at)
{
	struct ev_rec *e;

	if (ev == H1_EV_BEGIN && !in->is_request && (in->mode & MODE_HEAD) &&
	    ((in->head_mask >> (sd->begun % 8)) & 1))
		sd->d.flags |= H1F_NO_BODY;
	if (ev == H1_EV_BEGIN)
		sd->begun++;
	if (ev == H1_EV_ERROR)
		FUZZ_CHECK(sd->d.phase == H1_DESYNC);
	FUZZ_CHECK(sd->n_ev < sd->cap_ev);
	e = &sd->ev[sd->n_ev++];
	e->ev = ev;
	e->at = at;
	e->d = sd->d;
	e->t = sd->t;
}

static int stopped(const struct side *sd)
{
	return sd->d.phase == H1_DESYNC || sd->d.phase == H1_OFF;
}

/* Body bytes by count, the same on both sides. */
static void skip_body(struct side *sd, const struct input *in, size_t end)
{
	int ev = H1_EV_NONE;
	__u64 n = h1_skip(&sd->d, end - sd->off, &ev);

	FUZZ_CHECK(n > 0 && n <= end - sd->off);
	sd->off += n;
	if (ev != H1_EV_NONE)
		on_event(sd, in, ev, sd->off - 1);
}

/* bt_try_resync(): only where a call starts, the same on both sides. */
static void resync(struct side *sd, const struct input *in)
{
	if (in->resync && sd->d.phase == H1_DESYNC && sd->off < in->len &&
	    h1_can_start(in->s[sd->off], in->is_request))
		sd->d.phase = H1_IDLE;
}

/* REF: one syscall's bytes [off, end), every byte through h1_step. */
static void ref_feed(struct side *sd, const struct input *in, size_t end, __u64 ts)
{
	resync(sd, in);
	while (sd->off < end && !stopped(sd)) {
		int ev;

		if (!h1_reads_bytes(&sd->d)) {
			skip_body(sd, in, end);
			continue;
		}
		ev = h1_step(&sd->d, in->s[sd->off], in->is_request, in->no_target ? NULL : &sd->t,
			     ts);
		sd->off++;
		if (ev != H1_EV_NONE)
			on_event(sd, in, ev, sd->off - 1);
	}
}

/* What lies past the bytes read into the scratch window. */
static void fill_garbage(struct side *sd, struct input *in, size_t n)
{
	for (size_t k = n; k < sizeof(sd->w.b); k++) {
		size_t at = sd->win_start + k;

		switch (in->fill) {
		case FILL_STALE:
			if (k >= BT_SCAN_WINDOW)
				sd->w.b[k] = xorshift(&in->rng);
			break;
		case FILL_RANDOM:
			sd->w.b[k] = xorshift(&in->rng);
			break;
		case FILL_NEXT:
			sd->w.b[k] = at < in->len ? in->s[at] : xorshift(&in->rng);
			break;
		default:
			sd->w.b[k] = in->fill_seed;
		}
	}
}

/* bt_scan_bytes() of bpf/scan.bpf.h; returns index reached << 8 | event. */
static __u32 scan_bytes(struct side *sd, const struct input *in, __u32 i, __u32 n, __u64 ts)
{
	struct h1_target *t = in->no_target ? NULL : &sd->t;
	int is_request = in->is_request, ev = H1_EV_NONE;

	for (__u32 iter = 0; iter < BT_SCAN_WINDOW; iter++) {
		__u32 j = h1_fast(&sd->d, &sd->w, H1_SPAN(i, n, is_request), t, ts);

		FUZZ_CHECK(j >= i && j <= n);
		i = j;
		if (i >= n)
			break;
		ev = h1_step(&sd->d, sd->w.b[i & (BT_SCAN_WINDOW - 1)], is_request, t, ts);
		i++;
		if (ev != H1_EV_NONE || !h1_reads_bytes(&sd->d))
			break;
	}
	return i << 8 | (__u32)ev;
}

/* bt_scan_window(): reuse the loaded window while the cursor is inside. */
static void fast_window(struct side *sd, struct input *in, size_t end, __u64 ts)
{
	__u32 from = 0, n, r;
	int ev;

	if (sd->win_len && sd->off >= sd->win_start && sd->off < sd->win_start + sd->win_len) {
		from = sd->off - sd->win_start;
		n = sd->win_len;
	} else {
		n = end - sd->off > BT_SCAN_WINDOW ? BT_SCAN_WINDOW : end - sd->off;
		sd->win_start = sd->off;
		sd->win_len = n;
		memcpy(sd->w.b, in->s + sd->off, n);
		fill_garbage(sd, in, n);
	}
	r = scan_bytes(sd, in, from, n, ts);
	ev = r & 0xff;
	FUZZ_CHECK((r >> 8) > from);
	sd->off += (r >> 8) - from;
	if (ev != H1_EV_NONE)
		on_event(sd, in, ev, sd->off - 1);
}

/* FAST: one syscall's bytes [off, end), walked as bt_scan_step() does. */
static void fast_feed(struct side *sd, struct input *in, size_t end, __u64 ts)
{
	sd->win_len = 0; /* a new call: nothing loaded yet */
	resync(sd, in);
	while (sd->off < end && !stopped(sd)) {
		if (!h1_reads_bytes(&sd->d))
			skip_body(sd, in, end);
		else
			fast_window(sd, in, end, ts);
	}
}

static void same_state(const struct side *a, const struct side *b, size_t from_ev)
{
	FUZZ_CHECK(a->n_ev == b->n_ev);
	for (size_t i = from_ev; i < a->n_ev; i++) {
		const struct ev_rec *x = &a->ev[i], *y = &b->ev[i];

		FUZZ_CHECK(x->ev == y->ev);
		FUZZ_CHECK(x->at == y->at);
		FUZZ_CHECK(memcmp(&x->d, &y->d, sizeof(x->d)) == 0);
		FUZZ_CHECK(memcmp(&x->t, &y->t, sizeof(x->t)) == 0);
	}
	FUZZ_CHECK(a->off == b->off);
	FUZZ_CHECK(memcmp(&a->d, &b->d, sizeof(a->d)) == 0);
	FUZZ_CHECK(memcmp(&a->t, &b->t, sizeof(a->t)) == 0);
}

/* Syscall sizes: mostly small or around the window size, sometimes all. */
static size_t next_call(__u32 *x, size_t left)
{
	__u32 r = xorshift(x);
	size_t n;

	switch (r & 3) {
	case 0:
		n = 1 + (r >> 8) % 16;
		break;
	case 1:
		n = 1 + (r >> 8) % 700;
		break;
	case 2:
		n = BT_SCAN_WINDOW - 4 + (r >> 8) % 9;
		break;
	default:
		n = left;
	}
	return n < left ? n : left;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in;
	struct side *sd;
	struct ev_rec *ev;
	size_t cap, done = 0;
	__u32 sched;
	__u64 ts = 0;

	if (size < CTL_BYTES)
		return 0;
	memset(&in, 0, sizeof(in));
	in.s = data + CTL_BYTES;
	in.len = size - CTL_BYTES;
	in.mode = data[0];
	in.is_request = data[0] & MODE_REQUEST;
	in.no_target = !!(data[0] & MODE_NO_TARGET);
	in.resync = !!(data[0] & MODE_RESYNC);
	in.head_mask = data[1];
	in.fill = (data[0] >> 2) & 3;
	in.fill_seed = data[4];
	in.rng = 0x2545f491u ^ data[4];
	sched = 0x9e3779b9u ^ (data[2] | (__u32)data[3] << 8);
	cap = in.len + 2; /* at most one event per byte */
	sd = calloc(2, sizeof(*sd));
	ev = calloc(2 * cap, sizeof(*ev));
	if (!sd || !ev)
		goto out;
	sd[0].ev = ev;
	sd[1].ev = ev + cap;
	sd[0].cap_ev = sd[1].cap_ev = cap;
	for (size_t k = 0; k < sizeof(sd[1].w.b); k++)
		sd[1].w.b[k] = xorshift(&in.rng);

	while (done < in.len && (in.resync || !stopped(&sd[0]))) {
		size_t end = done + next_call(&sched, in.len - done), seen = sd[0].n_ev;

		ts++;
		sd[0].off = sd[1].off = done; /* the rest of a call that desynced is lost */
		ref_feed(&sd[0], &in, end, ts);
		fast_feed(&sd[1], &in, end, ts);
		same_state(&sd[0], &sd[1], seen);
		done = end;
	}
	same_state(&sd[0], &sd[1], 0);
out:
	free(ev);
	free(sd);
	return 0;
}
