/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Boundary framing (capture.framing: boundary): what the first bytes of
 * one call say, without following the message they begin. A call in the
 * request direction that starts with a request line starts a request; the
 * first call in the response direction after it carries the status. No
 * header is read and no body is counted off: a message ends where the
 * next one in its direction starts, or at the connection's close. That is
 * a few loads per call instead of the full framer's walk (h1_parse.h),
 * for what it cannot tell: pipelined requests, where a body ends.
 *
 * Runs in the BPF programs and in the host tests and fuzzer from this one
 * source, over the same window the full framer reads into. Include
 * h1_parse.h first.
 */
#ifndef BIOTHINGS_H1_BOUNDARY_H
#define BIOTHINGS_H1_BOUNDARY_H

/* Longest method token taken (OPTIONS, CONNECT); longer ones are
 * extensions the full framer would take and this one leaves alone. */
#define H1B_METHOD_MAX 7
/* Bytes a status line needs: "HTTP/1.1 200". */
#define H1B_STATUS_LEN 12
/* "HTTP/1." as a little-endian word, low 7 bytes. */
#define H1B_VERSION_W 0x002e312f50545448ull
#define H1B_VERSION_MASK 0x00ffffffffffffffull

/* Where the request line a call starts with puts its target. */
struct h1b_start {
	__u32 target_at; /* offset of the target in the window */
	__u32 target_len; /* bytes of it kept: at most BT_PATH_MAX */
	__u8 method; /* enum bt_http_method */
	__u8 truncated; /* the target is longer than BT_PATH_MAX */
};

static __always_inline int h1b_version_at(const struct h1_window *w, __u32 at)
{
	__u64 v;

	__builtin_memcpy(&v, &w->b[at & H1_WIN_MASK], sizeof(v));
	return (v & H1B_VERSION_MASK) == H1B_VERSION_W;
}

/* Bytes of the method token and its space at the start of w->b[0..n),
 * 0 when there is none. */
static __always_inline __u32 h1b_method_len(const struct h1_window *w, __u32 n)
{
	__u32 i;

	for (i = 0; i <= H1B_METHOD_MAX && i < n; i++) {
		__u8 c = w->b[i];

		if (c == ' ')
			return i ? i + 1 : 0;
		if (c < 'A' || c > 'Z')
			return 0;
	}
	return 0;
}

/*
 * 0 and *s filled when w->b[0..n) (n at most BT_SCAN_WINDOW) begins with
 * a request line "METHOD target HTTP/1.x", as far as n shows it; -1 when
 * it does not: body bytes, another protocol. A target without its end in
 * the window is kept as far as it goes (the call cut the line).
 */
static __always_inline int h1b_request(const struct h1_window *w, __u32 n, struct h1b_start *s)
{
	__u32 m = h1b_method_len(w, n), i;

	if (!m || m >= n || n > BT_SCAN_WINDOW)
		return -1;
	s->target_at = m;
	s->method = h1_method_of(w->b, m - 1);
	s->truncated = 0;
	for (i = 0; i <= BT_PATH_MAX; i++) {
		__u8 c;

		if (m + i >= n) { /* the call ends inside the target */
			s->target_len = i;
			return i ? 0 : -1;
		}
		c = w->b[(m + i) & H1_WIN_MASK];
		if (c == ' ')
			break;
		if (c < ' ' || c == 0x7f)
			return -1;
	}
	if (i > BT_PATH_MAX) {
		s->target_len = BT_PATH_MAX;
		s->truncated = 1;
		return 0;
	}
	if (!i)
		return -1;
	s->target_len = i;
	if (m + i + 1 + 7 <= n && !h1b_version_at(w, m + i + 1))
		return -1;
	return 0;
}

/* The status code of the status line w->b[0..n) starts with, 0 if none. */
static __always_inline __u16 h1b_status(const struct h1_window *w, __u32 n)
{
	__u8 a = w->b[9], b = w->b[10], c = w->b[11];

	if (n < H1B_STATUS_LEN || !h1b_version_at(w, 0) || w->b[7] < '0' || w->b[7] > '9' ||
	    w->b[8] != ' ')
		return 0;
	if (a < '1' || a > '9' || b < '0' || b > '9' || c < '0' || c > '9')
		return 0;
	return (a - '0') * 100 + (b - '0') * 10 + (c - '0');
}

#endif
