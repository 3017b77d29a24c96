// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer harness for boundary framing's reading of a call's first bytes
 * (bpf/h1_boundary.h), differential against the full framer (h1_parse.h).
 * The bytes go into a window whose tail past them is garbage, as in the
 * per-CPU scratch map. Checked:
 *   - a request line taken lies inside the bytes: target within n, at most
 *     BT_PATH_MAX, no space or control byte in it, truncated only when the
 *     target runs past BT_PATH_MAX;
 *   - where the full framer begins a request (start line complete) with a
 *     method of at most H1B_METHOD_MAX capital letters and "HTTP/1." as
 *     sent, this takes it with the same method and target;
 *   - a status read equals the full framer's at the status line's end.
 * Input: 1 control byte (bit 0: response direction; bits 1..7: garbage
 * byte), then the call's bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "h1_user.h"

#include "fuzz_util.h"

static int plain_method(const __u8 *b, __u32 n)
{
	__u32 i;

	for (i = 0; i < n && b[i] != ' '; i++)
		if (b[i] < 'A' || b[i] > 'Z')
			return 0;
	return i >= 1 && i <= H1B_METHOD_MAX;
}

/* "HTTP/1." right after the target's space (the full framer also takes
 * stray CRs inside the version; this reads the version as sent). */
static int plain_version(const struct h1_window *w, __u32 n, __u32 target_len)
{
	__u32 m = 0, at;

	while (m < n && w->b[m] != ' ')
		m++;
	if (target_len > BT_PATH_MAX)
		return 1; /* cut: the version is not read */
	at = m + 1 + target_len + 1;
	return at + 7 <= n && !memcmp(&w->b[at], "HTTP/1.", 7);
}

static void check_request(const struct h1_window *w, __u32 n)
{
	struct h1_dir d = { .phase = H1_IDLE };
	struct h1_target t;
	struct h1b_start s;
	int took = !h1b_request(w, n, &s);

	if (took) {
		FUZZ_CHECK(s.target_at >= 2 && s.target_at <= H1B_METHOD_MAX + 1);
		FUZZ_CHECK(s.target_len >= 1 && s.target_len <= BT_PATH_MAX);
		FUZZ_CHECK(s.target_at + s.target_len <= n);
		for (__u32 i = 0; i < s.target_len; i++)
			FUZZ_CHECK(w->b[s.target_at + i] > ' ' && w->b[s.target_at + i] != 0x7f);
		FUZZ_CHECK(!s.truncated ||
			   (s.target_len == BT_PATH_MAX && s.target_at + BT_PATH_MAX < n &&
			    w->b[s.target_at + BT_PATH_MAX] != ' '));
	}
	for (__u32 i = 0; i < n; i++) {
		int ev = h1_step(&d, w->b[i], 1, &t, 0);

		if (ev == H1_EV_ERROR)
			return;
		if (ev != H1_EV_BEGIN)
			continue;
		if (!plain_method(w->b, n) || !plain_version(w, n, d.target_len))
			return;
		FUZZ_CHECK(took);
		FUZZ_CHECK(s.method == d.method);
		FUZZ_CHECK(s.truncated == (d.target_len > BT_PATH_MAX));
		FUZZ_CHECK(s.target_len ==
			   (d.target_len < BT_PATH_MAX ? d.target_len : BT_PATH_MAX));
		FUZZ_CHECK(!memcmp(&w->b[s.target_at], t.b, s.target_len));
		return;
	}
}

static void check_status(const struct h1_window *w, __u32 n)
{
	struct h1_dir d = { .phase = H1_IDLE };
	__u16 st = h1b_status(w, n);

	FUZZ_CHECK(st == 0 || (st >= 100 && st <= 999));
	FUZZ_CHECK(st == 0 || n >= H1B_STATUS_LEN);
	for (__u32 i = 0; i < n; i++) {
		int ev = h1_step(&d, w->b[i], 0, NULL, 0);

		if (ev == H1_EV_ERROR)
			return;
		if (ev == H1_EV_BEGIN) {
			FUZZ_CHECK(st == 0 || st == d.status);
			if (d.status >= 100 && !memcmp(w->b, "HTTP/1.", 7))
				FUZZ_CHECK(st == d.status);
			return;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct h1_window w;
	__u32 n;

	if (size < 1)
		return 0;
	memset(w.b, data[0] >> 1, sizeof(w.b));
	n = size - 1 > BT_SCAN_WINDOW ? BT_SCAN_WINDOW : (__u32)(size - 1);
	memcpy(w.b, data + 1, n);
	if (data[0] & 1)
		check_status(&w, n);
	else
		check_request(&w, n);
	return 0;
}
