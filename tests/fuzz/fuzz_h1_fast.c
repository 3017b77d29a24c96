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

#include "h1_user.h"

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

#define H1W_CHECK(cond) FUZZ_CHECK(cond)
#include "../h1_walk.h"

struct input {
	struct h1w_stream st;
	int resync;
	__u8 mode, head_mask, fill, fill_seed;
	__u32 rng; /* garbage generator */
};

static __u32 xorshift(__u32 *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* A HEAD answer has no body: what the BPF pairing tells the framer at BEGIN. */
static void on_begin(struct side *sd, void *ctx)
{
	const struct input *in = ctx;

	if (!in->st.is_request && (in->mode & MODE_HEAD) &&
	    ((in->head_mask >> (sd->begun % 8)) & 1))
		sd->d.flags |= H1F_NO_BODY;
}

/* bt_try_resync(): only where a call starts, the same on both sides. */
static void resync(struct side *sd, const struct input *in)
{
	if (in->resync && sd->d.phase == H1_DESYNC && sd->off < in->st.len &&
	    h1_can_start(in->st.s[sd->off], in->st.is_request))
		sd->d.phase = H1_IDLE;
}

/* What lies past the bytes read into the scratch window. */
static void fill_garbage(struct side *sd, size_t n, void *ctx)
{
	struct input *in = ctx;

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
			sd->w.b[k] = at < in->st.len ? in->st.s[at] : xorshift(&in->rng);
			break;
		default:
			sd->w.b[k] = in->fill_seed;
		}
	}
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
	in.st.s = data + CTL_BYTES;
	in.st.len = size - CTL_BYTES;
	in.st.is_request = data[0] & MODE_REQUEST;
	in.st.no_target = !!(data[0] & MODE_NO_TARGET);
	in.st.fill = fill_garbage;
	in.st.on_begin = on_begin;
	in.st.ctx = &in;
	in.mode = data[0];
	in.resync = !!(data[0] & MODE_RESYNC);
	in.head_mask = data[1];
	in.fill = (data[0] >> 2) & 3;
	in.fill_seed = data[4];
	in.rng = 0x2545f491u ^ data[4];
	sched = 0x9e3779b9u ^ (data[2] | (__u32)data[3] << 8);
	cap = in.st.len + 2; /* at most one event per byte */
	sd = calloc(2, sizeof(*sd));
	ev = calloc(2 * cap, sizeof(*ev));
	if (!sd || !ev)
		goto out;
	sd[0].ev = ev;
	sd[1].ev = ev + cap;
	sd[0].cap_ev = sd[1].cap_ev = cap;
	for (size_t k = 0; k < sizeof(sd[1].w.b); k++)
		sd[1].w.b[k] = xorshift(&in.rng);

	while (done < in.st.len && (in.resync || !h1w_stopped(&sd[0]))) {
		size_t end = done + next_call(&sched, in.st.len - done), seen = sd[0].n_ev;

		ts++;
		sd[0].off = sd[1].off = done; /* the rest of a call that desynced is lost */
		resync(&sd[0], &in);
		h1w_ref_feed(&sd[0], &in.st, end, ts);
		resync(&sd[1], &in);
		h1w_fast_feed(&sd[1], &in.st, end, ts);
		h1w_same(&sd[0], &sd[1], seen);
		done = end;
	}
	h1w_same(&sd[0], &sd[1], 0);
out:
	free(ev);
	free(sd);
	return 0;
}
