/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * HTTP/1.x message framing, one byte at a time, over constant-size state.
 *
 * Runs inside the BPF programs (as a global function, verified once) and
 * in the host tests and fuzzer, from this one source. It only frames: it
 * finds where each message starts and ends (start line, headers,
 * Content-Length, chunked, close-delimited) and keeps the few fields the
 * record needs (method, target, status). It never allocates, never looks
 * back, and needs no byte twice, so a message may arrive split anywhere.
 *
 * Body bytes are not fed byte by byte: h1_skip() steps over them by
 * count, which is what lets sendfile() bodies and large responses cost
 * nothing to follow.
 *
 * The includer defines H1_FN (function attributes) and provides the
 * __u8..__u64 types and struct h1_dir / h1_target (biothings/conn.h).
 */
#ifndef BIOTHINGS_H1_PARSE_H
#define BIOTHINGS_H1_PARSE_H

#include "biothings/conn.h"
#include "biothings/events.h"

enum h1_event {
	H1_EV_NONE = 0,
	H1_EV_BEGIN = 1, /* start line complete and valid */
	H1_EV_END = 2, /* message complete; fields stay until the next byte */
	H1_EV_ERROR = 3, /* not HTTP/1.x: direction goes H1_DESYNC */
};

/* sl_state values */
enum {
	SL_METHOD = 0,
	SL_TARGET = 1,
	SL_RVERSION = 2, /* request version, then end of line */
	SL_SVERSION = 3, /* response version */
	SL_CODE = 4,
	SL_REASON = 5,
};

/* hdr values: while reading a name, bits say which names still match */
enum {
	HDR_NAME_CL = 1 << 0,
	HDR_NAME_TE = 1 << 1,
	HDR_NAME_ANY = HDR_NAME_CL | HDR_NAME_TE,
	HDR_SKIP_NAME = 1 << 2, /* a name we do not care about */
	HDR_VAL_CL = 1 << 3,
	HDR_VAL_TE = 1 << 4,
	HDR_VAL_OTHER = 1 << 5,
};

#define H1_CHUNK_SIZE_MAX (1ull << 56)
#define H1_METHOD_LEN_MAX 24

static __always_inline __u8 h1_lower(__u8 c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

static __always_inline int h1_is_hex(__u8 c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static __always_inline __u64 h1_hex_val(__u8 c)
{
	if (c <= '9')
		return c - '0';
	return h1_lower(c) - 'a' + 10;
}

static __always_inline int h1_error(struct h1_dir *d)
{
	d->phase = H1_DESYNC;
	return H1_EV_ERROR;
}

static __always_inline void h1_begin_message(struct h1_dir *d, __u64 ts)
{
	d->remaining = 0;
	d->clen = 0;
	d->msg_bytes = 0;
	d->msg_start_ns = ts;
	d->line_len = 0;
	d->status = 0;
	d->target_len = 0;
	d->phase = H1_START_LINE;
	d->flags = 0;
	d->hdr = 0;
	d->method = BT_M_OTHER;
	d->tok_len = 0;
	d->path_end = 0;
}

/* Method token of n bytes at t to enum. */
static __always_inline __u8 h1_method_of(const __u8 *t, __u32 n)
{
	if (n == 3 && t[0] == 'G' && t[1] == 'E' && t[2] == 'T')
		return BT_M_GET;
	if (n == 3 && t[0] == 'P' && t[1] == 'U' && t[2] == 'T')
		return BT_M_PUT;
	if (n == 4 && t[0] == 'H' && t[1] == 'E' && t[2] == 'A' && t[3] == 'D')
		return BT_M_HEAD;
	if (n == 4 && t[0] == 'P' && t[1] == 'O' && t[2] == 'S' && t[3] == 'T')
		return BT_M_POST;
	if (n == 5 && t[0] == 'P' && t[1] == 'A' && t[2] == 'T' && t[3] == 'C' && t[4] == 'H')
		return BT_M_PATCH;
	if (n == 5 && t[0] == 'T' && t[1] == 'R' && t[2] == 'A' && t[3] == 'C' && t[4] == 'E')
		return BT_M_TRACE;
	if (n == 6 && t[0] == 'D' && t[1] == 'E' && t[2] == 'L' && t[3] == 'E' && t[4] == 'T' &&
	    t[5] == 'E')
		return BT_M_DELETE;
	if (n == 7 && t[0] == 'O' && t[1] == 'P' && t[2] == 'T' && t[3] == 'I' && t[4] == 'O' &&
	    t[5] == 'N' && t[6] == 'S')
		return BT_M_OPTIONS;
	if (n == 7 && t[0] == 'C' && t[1] == 'O' && t[2] == 'N' && t[3] == 'N' && t[4] == 'E' &&
	    t[5] == 'C' && t[6] == 'T')
		return BT_M_CONNECT;
	return BT_M_OTHER;
}

/* Method of the request line being read, from the first 8 bytes kept in tok. */
static __always_inline __u8 h1_method_id(const struct h1_dir *d)
{
	return h1_method_of(d->tok, d->tok_len);
}

/* "HTTP/1." followed by one digit, kept in tok. */
static __always_inline int h1_version_ok(const struct h1_dir *d)
{
	const __u8 *t = d->tok;

	return d->tok_len == 8 && t[0] == 'H' && t[1] == 'T' && t[2] == 'T' && t[3] == 'P' &&
	       t[4] == '/' && t[5] == '1' && t[6] == '.' && t[7] >= '0' && t[7] <= '9';
}

static __always_inline void h1_tok_push(struct h1_dir *d, __u8 c)
{
	if (d->tok_len < sizeof(d->tok))
		d->tok[d->tok_len & (sizeof(d->tok) - 1)] = c;
	if (d->tok_len < 255)
		d->tok_len++;
}

/* One byte of a request target (the caller rejected spaces and controls). */
static __always_inline void h1_target_byte(struct h1_dir *d, __u8 c, struct h1_target *t)
{
	if (c == '?' || c == '#')
		d->flags |= H1F_QUERY;
	else if (!(d->flags & H1F_QUERY) && d->path_end < 0xffff)
		d->path_end++;
	if (t && d->target_len < BT_PATH_MAX)
		t->b[d->target_len & (BT_PATH_MAX - 1)] = c;
	if (d->target_len < 0xffff)
		d->target_len++;
}

static __always_inline int h1_request_line(struct h1_dir *d, __u8 c, struct h1_target *t)
{
	switch (d->sl_state) {
	case SL_METHOD:
		if (c == ' ') {
			if (d->tok_len == 0 || d->tok_len > H1_METHOD_LEN_MAX)
				return h1_error(d);
			d->method = h1_method_id(d);
			d->sl_state = SL_TARGET;
			return H1_EV_NONE;
		}
		if (!((c >= 'A' && c <= 'Z') || c == '-' || c == '_'))
			return h1_error(d);
		h1_tok_push(d, c);
		if (d->tok_len > H1_METHOD_LEN_MAX)
			return h1_error(d);
		return H1_EV_NONE;
	case SL_TARGET:
		if (c == ' ') {
			if (d->target_len == 0)
				return h1_error(d);
			d->sl_state = SL_RVERSION;
			d->tok_len = 0;
			return H1_EV_NONE;
		}
		if (c <= ' ' || c == 0x7f)
			return h1_error(d);
		h1_target_byte(d, c, t);
		return H1_EV_NONE;
	default: /* SL_RVERSION */
		if (c == '\r')
			return H1_EV_NONE;
		if (c == '\n') {
			if (!h1_version_ok(d))
				return h1_error(d);
			d->phase = H1_HEADERS;
			d->line_len = 0;
			return H1_EV_BEGIN;
		}
		h1_tok_push(d, c);
		if (d->tok_len > sizeof(d->tok))
			return h1_error(d);
		return H1_EV_NONE;
	}
}

static __always_inline int h1_status_line(struct h1_dir *d, __u8 c)
{
	switch (d->sl_state) {
	case SL_SVERSION:
		if (c == ' ') {
			if (!h1_version_ok(d))
				return h1_error(d);
			d->sl_state = SL_CODE;
			d->tok_len = 0;
			return H1_EV_NONE;
		}
		h1_tok_push(d, c);
		if (d->tok_len > sizeof(d->tok))
			return h1_error(d);
		return H1_EV_NONE;
	case SL_CODE:
		if (c >= '0' && c <= '9' && d->tok_len < 3) {
			d->status = d->status * 10 + (c - '0');
			d->tok_len++;
			return H1_EV_NONE;
		}
		if (d->tok_len != 3 || d->status < 100)
			return h1_error(d);
		if (c == ' ') {
			d->sl_state = SL_REASON;
			return H1_EV_NONE;
		}
		if (c != '\r' && c != '\n')
			return h1_error(d);
		d->sl_state = SL_REASON;
		/* CR or LF right after the code */
		__attribute__((fallthrough));
	default: /* SL_REASON */
		if (c != '\n')
			return H1_EV_NONE;
		d->phase = H1_HEADERS;
		d->line_len = 0;
		if ((d->status >= 100 && d->status < 200) || d->status == 204 || d->status == 304)
			d->flags |= H1F_NO_BODY;
		return H1_EV_BEGIN;
	}
}

/* Where the body goes once the empty line ends the headers. */
static __always_inline int h1_headers_done(struct h1_dir *d, int is_request)
{
	d->remaining = 0;
	if (d->flags & H1F_NO_BODY)
		goto end;
	if (d->flags & H1F_CHUNKED) {
		d->phase = H1_CHUNK_SIZE;
		d->clen = 0;
		d->tok_len = 0;
		d->line_len = 0;
		return H1_EV_NONE;
	}
	if (d->flags & H1F_CL) {
		if (d->clen == 0)
			goto end;
		d->phase = H1_BODY_LEN;
		d->remaining = d->clen;
		return H1_EV_NONE;
	}
	if (is_request)
		goto end;
	d->phase = H1_BODY_EOF;
	return H1_EV_NONE;
end:
	d->phase = H1_IDLE;
	return H1_EV_END;
}

/*
 * Byte i of a header name we look for, lower case; 0 past its end.
 * Packed in integer constants, not strings: BPF objects then need no
 * .rodata section.
 */
static __always_inline __u8 h1_name_char(__u64 w0, __u64 w1, __u64 w2, __u16 i)
{
	__u64 w = i < 8 ? w0 : i < 16 ? w1 : w2;

	if (i >= 24)
		return 0;
	return (w >> ((i & 7) * 8)) & 0xff;
}

/* "content-length" and "transfer-encoding", little-endian 8-byte words */
#define H1_CL_W0 0x2d746e65746e6f63ull /* "content-" */
#define H1_CL_W1 0x00006874676e656cull /* "length" */
#define H1_CL_LEN 14
#define H1_TE_W0 0x726566736e617274ull /* "transfer" */
#define H1_TE_W1 0x6e69646f636e652dull /* "-encodin" */
#define H1_TE_W2 0x0000000000000067ull /* "g" */
#define H1_TE_LEN 17
#define H1_CHUNKED_W 0x0064656b6e756863ull /* "chunked" */
#define H1_CHUNKED_LEN 7

static __always_inline void h1_header_name(struct h1_dir *d, __u8 c)
{
	__u16 i = d->line_len;
	__u8 lc = h1_lower(c);

	if (i == 0)
		d->hdr = HDR_NAME_ANY;
	if (c == ':') {
		if ((d->hdr & HDR_NAME_CL) && i == H1_CL_LEN) {
			d->hdr = HDR_VAL_CL;
			d->flags |= H1F_CL;
			d->clen = 0;
		} else if ((d->hdr & HDR_NAME_TE) && i == H1_TE_LEN) {
			d->hdr = HDR_VAL_TE;
			d->tok_len = 0;
		} else {
			d->hdr = HDR_VAL_OTHER;
		}
		return;
	}
	if ((d->hdr & HDR_NAME_CL) &&
	    (i >= H1_CL_LEN || h1_name_char(H1_CL_W0, H1_CL_W1, 0, i) != lc))
		d->hdr &= ~HDR_NAME_CL;
	if ((d->hdr & HDR_NAME_TE) &&
	    (i >= H1_TE_LEN || h1_name_char(H1_TE_W0, H1_TE_W1, H1_TE_W2, i) != lc))
		d->hdr &= ~HDR_NAME_TE;
	if (!(d->hdr & HDR_NAME_ANY))
		d->hdr = HDR_SKIP_NAME;
}

/* Rolling match of "chunked" in a Transfer-Encoding value; tok_len holds
 * how much of it the value ends with. */
static __always_inline void h1_te_value(struct h1_dir *d, __u8 c)
{
	__u8 lc = h1_lower(c);

	if (c == ' ' || c == '\t')
		return;
	if (d->tok_len < H1_CHUNKED_LEN && h1_name_char(H1_CHUNKED_W, 0, 0, d->tok_len) == lc)
		d->tok_len++;
	else
		d->tok_len = (lc == 'c') ? 1 : 0;
}

static __always_inline int h1_header_byte(struct h1_dir *d, __u8 c, int is_request)
{
	if (c == '\n') {
		if (d->line_len == 0)
			return h1_headers_done(d, is_request);
		if (d->hdr == HDR_VAL_TE) {
			if (d->tok_len == H1_CHUNKED_LEN)
				d->flags |= H1F_CHUNKED;
			else
				d->flags &= ~H1F_CHUNKED;
		}
		if (d->hdr & (HDR_NAME_ANY | HDR_SKIP_NAME))
			return h1_error(d); /* a header line without ':' */
		d->line_len = 0;
		return H1_EV_NONE;
	}
	if (c == '\r')
		return H1_EV_NONE;
	if (d->line_len == 0 || (d->hdr & (HDR_NAME_ANY | HDR_SKIP_NAME)))
		h1_header_name(d, c);
	else if (d->hdr == HDR_VAL_CL) {
		if (c >= '0' && c <= '9') {
			if (d->clen > (1ull << 60))
				return h1_error(d);
			d->clen = d->clen * 10 + (c - '0');
		} else if (c != ' ' && c != '\t') {
			return h1_error(d);
		}
	} else if (d->hdr == HDR_VAL_TE) {
		h1_te_value(d, c);
	}
	if (d->line_len < 0xffff)
		d->line_len++;
	return H1_EV_NONE;
}

static __always_inline int h1_chunk_size_byte(struct h1_dir *d, __u8 c)
{
	if (c == '\n') {
		if (d->tok_len == 0)
			return h1_error(d);
		if (d->clen == 0) {
			d->phase = H1_TRAILERS;
			d->line_len = 0;
			return H1_EV_NONE;
		}
		d->phase = H1_CHUNK_DATA;
		d->remaining = d->clen;
		return H1_EV_NONE;
	}
	if (d->flags & H1F_BAD) /* in an extension: skip to LF */
		return H1_EV_NONE;
	if (h1_is_hex(c)) {
		if (d->clen >= H1_CHUNK_SIZE_MAX)
			return h1_error(d);
		d->clen = d->clen * 16 + h1_hex_val(c);
		if (d->tok_len < 255)
			d->tok_len++;
		return H1_EV_NONE;
	}
	if (c == ';' || c == ' ' || c == '\t' || c == '\r') {
		d->flags |= H1F_BAD;
		return H1_EV_NONE;
	}
	return h1_error(d);
}

/*
 * Feed one byte of a phase that reads bytes. is_request selects the
 * request or the status line grammar; t (may be NULL) receives the
 * request target; ts stamps a message that this byte starts.
 */
H1_FN int h1_step(struct h1_dir *d, __u32 byte, __u32 is_request, struct h1_target *t, __u64 ts)
{
	__u8 c = byte;

	if (!d)
		return H1_EV_ERROR;
	d->msg_bytes++;
	switch (d->phase) {
	case H1_IDLE:
		if (c == '\r' || c == '\n')
			return H1_EV_NONE; /* stray CRLF between messages */
		h1_begin_message(d, ts);
		d->msg_bytes = 1;
		d->sl_state = is_request ? SL_METHOD : SL_SVERSION;
		if (is_request)
			return h1_request_line(d, c, t);
		return h1_status_line(d, c);
	case H1_START_LINE:
		if (is_request)
			return h1_request_line(d, c, t);
		return h1_status_line(d, c);
	case H1_HEADERS:
		return h1_header_byte(d, c, is_request);
	case H1_CHUNK_SIZE:
		return h1_chunk_size_byte(d, c);
	case H1_CHUNK_END:
		if (c == '\r')
			return H1_EV_NONE;
		if (c != '\n')
			return h1_error(d);
		d->phase = H1_CHUNK_SIZE;
		d->clen = 0;
		d->tok_len = 0;
		d->flags &= ~H1F_BAD;
		return H1_EV_NONE;
	case H1_TRAILERS:
		if (c == '\r')
			return H1_EV_NONE;
		if (c == '\n') {
			if (d->line_len == 0) {
				d->phase = H1_IDLE;
				return H1_EV_END;
			}
			d->line_len = 0;
			return H1_EV_NONE;
		}
		if (d->line_len < 0xffff)
			d->line_len++;
		return H1_EV_NONE;
	default:
		d->msg_bytes--;
		return H1_EV_ERROR; /* caller fed a phase that does not read bytes */
	}
}

/* ---- Bulk steps: what h1_step would do, many bytes at a time ---------- */

#define H1_WIN_MASK (BT_SCAN_WINDOW - 1)
#define H1_ONES 0x0101010101010101ull
#define H1_HIGHS 0x8080808080808080ull
#define H1_FAST_ROUNDS 32 /* header lines (or start line pieces) per h1_fast call */

/*
 * What h1_find stops at: one byte, the control bytes (below 14: LF, CR,
 * TAB and the others no header may hold unescaped), or either. One test
 * per eight bytes for the first two, two for the third.
 */
#define H1_FIND_CTL (1u << 8)
#define H1_STOP(c) ((__u32)(c))
#define H1_STOP_EOL H1_FIND_CTL
#define H1_STOP_COLON_EOL ((__u32)':' | H1_FIND_CTL)

/* Non-zero when a byte of v equals c (exact test; which byte is found by
 * looking, since a borrow may also mark the bytes above a match). */
static __always_inline __u64 h1_swar_has(__u64 v, __u8 c)
{
	__u64 x = v ^ (H1_ONES * c);

	return (x - H1_ONES) & ~x & H1_HIGHS;
}

/*
 * Eight bytes from w->b[i] on (past the window: padding, not data). In BPF
 * one 64-bit load: clang knows the byte array's alignment is 1 and splits
 * a memcpy, or a plain cast, into eight byte loads and fourteen shifts; the
 * detour through an integer drops what it knows. The verifier allows an
 * unaligned load from a map value where the CPU loads unaligned words
 * natively (the JIT emits one mov). Elsewhere memcpy, one load there too.
 */
static __always_inline __u64 h1_load64(const struct h1_window *w, __u32 i)
{
#if defined(__bpf__)
	return *(const __u64 *)(unsigned long)&w->b[i & H1_WIN_MASK];
#else
	__u64 v;

	__builtin_memcpy(&v, &w->b[i & H1_WIN_MASK], 8);
	return v;
#endif
}

static __always_inline __u16 h1_sat_add(__u16 a, __u32 b)
{
	__u32 r = (__u32)a + b;

	return r > 0xffff ? 0xffff : (__u16)r;
}

/*
 * Index (0-7) of the first byte marked in a non-zero mask of h1_swar_has
 * results. The lowest mark is always a true match (a borrow only marks
 * bytes above one), so the first match needs no byte-by-byte look.
 */
static __always_inline __u32 h1_first_marked(__u64 m)
{
	__u32 k = 0;

	if (!(m & 0x80808080ull)) {
		k += 4;
		m >>= 32;
	}
	if (!(m & 0x8080ull)) {
		k += 2;
		m >>= 16;
	}
	if (!(m & 0x80ull))
		k += 1;
	return k;
}

/* Non-zero when a byte of v is below 14 (the same test against 14 * ones;
 * a byte with its top bit set is never marked). */
static __always_inline __u64 h1_swar_ctl(__u64 v)
{
	return (v - H1_ONES * 14) & ~v & H1_HIGHS;
}

/* h1_find's loop for one kind of stops, stop_byte a stop or 0. 64-bit
 * indices: 32-bit ones cost two shifts per use in BPF. */
static __always_inline __u32 h1_find_kind(const struct h1_window *w, __u64 i, __u64 n,
					  __u8 stop_byte, int ctl)
{
	for (__u64 k = 0; k < BT_SCAN_WINDOW / 8; k++) {
		__u64 v, m = 0;

		if (i >= n)
			return n;
		v = h1_load64(w, i);
		if (stop_byte)
			m = h1_swar_has(v, stop_byte);
		if (ctl)
			m |= h1_swar_ctl(v);
		if (m) {
			i += h1_first_marked(m);
			return i < n ? i : n;
		}
		i += 8;
	}
	return n;
}

/*
 * First index in [from, n) whose byte is a stop (H1_STOP, H1_STOP_EOL,
 * H1_STOP_COLON_EOL), else n; eight bytes per step, the last step reading
 * into the window's padding (a match there is past n, so n).
 * n <= BT_SCAN_WINDOW. Each kind has its own loop, so no step tests what
 * the search does not stop at.
 */
H1_FN int h1_find(const struct h1_window *w, __u32 from, __u32 n, __u32 stops)
{
	__u8 c = stops & 0xff;

	if (!w || n > BT_SCAN_WINDOW || from >= n)
		return n;
	if (!(stops & H1_FIND_CTL))
		return h1_find_kind(w, from, n, c, 0);
	if (!c)
		return h1_find_kind(w, from, n, 0, 1);
	return h1_find_kind(w, from, n, c, 1);
}

/* The rest of a header line whose name the framer ignores: value bytes up
 * to the line's end, and the end itself when it is LF or CR LF. */
static __always_inline __u32 h1_fast_value(struct h1_dir *d, const struct h1_window *w, __u32 i,
					   __u32 n)
{
	__u32 q = h1_find(w, i, n, H1_STOP_EOL);
	__u8 c;

	d->msg_bytes += q - i;
	d->line_len = h1_sat_add(d->line_len, q - i);
	if (q >= n)
		return n;
	c = w->b[q & H1_WIN_MASK];
	if (c == '\n') {
		d->msg_bytes += 1;
		d->line_len = 0;
		return q + 1;
	}
	if (c == '\r' && q + 1 < n && w->b[(q + 1) & H1_WIN_MASK] == '\n') {
		d->msg_bytes += 2;
		d->line_len = 0;
		return q + 2;
	}
	return q; /* a TAB, or a CR not followed by LF here: byte by byte */
}

/* "content-length" at w[i..i+14), any case; the caller found ':' at i + 14. */
static __always_inline int h1_is_clen_name(const struct h1_window *w, __u32 i)
{
	const __u64 lower = 0x2020202020202020ull; /* no CR in a name: '-' stays '-' */

	return (h1_load64(w, i) | lower) == H1_CL_W0 &&
	       ((h1_load64(w, i + 8) | lower) & 0xffffffffffffull) == H1_CL_W1;
}

/* A whole Content-Length line: name, digits, line end. Anything h1_step
 * would reject (a non-digit, an overflow) or a line cut by the window is
 * left to it, from where the bulk pass stopped. */
static __always_inline __u32 h1_fast_clen(struct h1_dir *d, const struct h1_window *w, __u32 i,
					  __u32 n)
{
	__u32 k;

	if (!h1_is_clen_name(w, i))
		return i;
	d->hdr = HDR_VAL_CL;
	d->flags |= H1F_CL;
	d->clen = 0;
	d->msg_bytes += H1_CL_LEN + 1;
	d->line_len = H1_CL_LEN + 1;
	i += H1_CL_LEN + 1;
	for (k = 0; k < 24; k++) {
		__u8 c;

		if (i >= n)
			return i;
		c = w->b[i & H1_WIN_MASK];
		if (c >= '0' && c <= '9') {
			if (d->clen > (1ull << 60))
				return i;
			d->clen = d->clen * 10 + (c - '0');
		} else if (c != ' ' && c != '\t') {
			break;
		}
		d->msg_bytes++;
		d->line_len = h1_sat_add(d->line_len, 1);
		i++;
	}
	if (i < n && w->b[i & H1_WIN_MASK] == '\n') {
		d->msg_bytes++;
		d->line_len = 0;
		return i + 1;
	}
	if (i + 1 < n && w->b[i & H1_WIN_MASK] == '\r' && w->b[(i + 1) & H1_WIN_MASK] == '\n') {
		d->msg_bytes += 2;
		d->line_len = 0;
		return i + 2;
	}
	return i;
}

/*
 * Header lines in bulk. A name is passed over when its length rules out
 * Content-Length and Transfer-Encoding; a Content-Length line is read
 * whole; Transfer-Encoding, the empty line, a name with CR or LF in it
 * and anything cut by the window go byte by byte.
 */
static __always_inline __u32 h1_fast_header(struct h1_dir *d, const struct h1_window *w, __u32 i,
					    __u32 n)
{
	__u32 p, len;
	__u8 c;

	if (d->line_len == 0) {
		c = w->b[i & H1_WIN_MASK];
		if (c == '\r' || c == '\n')
			return i;
		p = h1_find(w, i, n, H1_STOP_COLON_EOL);
		if (p >= n || w->b[p & H1_WIN_MASK] != ':')
			return i;
		len = p - i;
		if (len == H1_CL_LEN)
			return h1_fast_clen(d, w, i, n);
		if (len == H1_TE_LEN)
			return i;
	} else if (d->hdr == HDR_SKIP_NAME) {
		p = h1_find(w, i, n, H1_STOP_COLON_EOL);
		if (p >= n) {
			d->msg_bytes += n - i;
			d->line_len = h1_sat_add(d->line_len, n - i);
			return n;
		}
		if (w->b[p & H1_WIN_MASK] != ':')
			return i;
	} else if (d->hdr == HDR_VAL_OTHER) {
		return h1_fast_value(d, w, i, n);
	} else {
		return i;
	}
	/* the name and its ':' */
	d->hdr = HDR_VAL_OTHER;
	d->msg_bytes += p - i + 1;
	d->line_len = h1_sat_add(d->line_len, p - i + 1);
	return h1_fast_value(d, w, p + 1, n);
}

/* The bytes of a request target up to the space after it, stopping early
 * at a byte h1_step would reject. Global: its loop is verified once. */
H1_FN int h1_fast_target(struct h1_dir *d, const struct h1_window *w, __u32 i, __u32 n,
			 struct h1_target *t)
{
	__u32 k;

	if (!d || !w || n > BT_SCAN_WINDOW)
		return i;
	for (k = 0; k < BT_SCAN_WINDOW; k++) {
		__u8 c;

		if (i >= n)
			break;
		c = w->b[i & H1_WIN_MASK];
		if (c <= ' ' || c == 0x7f)
			break;
		h1_target_byte(d, c, t);
		d->msg_bytes++;
		i++;
	}
	return i;
}

static __always_inline int h1_is_digit(__u8 c)
{
	return c >= '0' && c <= '9';
}

/* "HTTP/1." and a digit at w[i..i+8); the caller checked i + 8 <= n. */
static __always_inline int h1_fast_version(const struct h1_window *w, __u32 i)
{
	__u64 v = h1_load64(w, i);

	return (v & 0x00ffffffffffffffull) == 0x002e312f50545448ull /* "HTTP/1." */ &&
	       h1_is_digit(v >> 56);
}

/* What pushing w[i..i+len) byte by byte leaves in tok. */
static __always_inline void h1_fast_tok(struct h1_dir *d, const struct h1_window *w, __u32 i,
					__u32 len)
{
	for (__u32 k = 0; k < sizeof(d->tok); k++)
		if (k < len)
			d->tok[k] = w->b[(i + k) & H1_WIN_MASK];
	d->tok_len = len;
}

/* A status line's "HTTP/1.x NNN " from H1_IDLE, and its reason phrase. */
static __always_inline __u32 h1_fast_status(struct h1_dir *d, const struct h1_window *w, __u32 i,
					    __u32 n, __u64 ts)
{
	__u16 status;
	__u32 q;

	if (d->phase == H1_IDLE) {
		if (i + 13 > n || w->b[i & H1_WIN_MASK] != 'H' || !h1_fast_version(w, i) ||
		    w->b[(i + 8) & H1_WIN_MASK] != ' ' ||
		    !h1_is_digit(w->b[(i + 9) & H1_WIN_MASK]) ||
		    !h1_is_digit(w->b[(i + 10) & H1_WIN_MASK]) ||
		    !h1_is_digit(w->b[(i + 11) & H1_WIN_MASK]) ||
		    w->b[(i + 12) & H1_WIN_MASK] != ' ')
			return i;
		status = (w->b[(i + 9) & H1_WIN_MASK] - '0') * 100 +
			 (w->b[(i + 10) & H1_WIN_MASK] - '0') * 10 +
			 (w->b[(i + 11) & H1_WIN_MASK] - '0');
		if (status < 100)
			return i;
		h1_begin_message(d, ts);
		h1_fast_tok(d, w, i, 8);
		d->tok_len = 3; /* the code's digits, as h1_status_line counts them */
		d->status = status;
		d->sl_state = SL_REASON;
		d->msg_bytes = 13;
		return i + 13;
	}
	if (d->sl_state != SL_REASON)
		return i;
	q = h1_find(w, i, n, H1_STOP('\n'));
	d->msg_bytes += q - i;
	return q; /* the LF ends the line: h1_step's */
}

/* A request line's method from H1_IDLE, its target, and "HTTP/1.x" CR. */
static __always_inline __u32 h1_fast_request(struct h1_dir *d, const struct h1_window *w, __u32 i,
					     __u32 n, struct h1_target *t, __u64 ts)
{
	__u32 j, lim;

	if (d->phase == H1_IDLE) {
		lim = n < i + H1_METHOD_LEN_MAX + 1 ? n : i + H1_METHOD_LEN_MAX + 1;
		j = h1_find(w, i, lim, H1_STOP(' '));
		if (j >= lim || j == i)
			return i;
		for (__u32 k = 0; k < H1_METHOD_LEN_MAX; k++) {
			__u8 c = w->b[(i + k) & H1_WIN_MASK];

			if (i + k >= j)
				break;
			if (!((c >= 'A' && c <= 'Z') || c == '-' || c == '_'))
				return i;
		}
		h1_begin_message(d, ts);
		h1_fast_tok(d, w, i, j - i);
		d->method = h1_method_id(d);
		d->sl_state = SL_TARGET;
		d->msg_bytes = j - i + 1;
		return j + 1;
	}
	if (d->sl_state == SL_TARGET) {
		j = h1_fast_target(d, w, i, n, t);
		if (j < n && d->target_len && w->b[j & H1_WIN_MASK] == ' ') {
			d->sl_state = SL_RVERSION; /* as h1_request_line does at the space */
			d->tok_len = 0;
			d->msg_bytes++;
			j++;
		}
		return j;
	}
	if (d->sl_state != SL_RVERSION || d->tok_len || i + 9 > n || !h1_fast_version(w, i) ||
	    w->b[(i + 8) & H1_WIN_MASK] != '\r')
		return i;
	h1_fast_tok(d, w, i, 8);
	d->msg_bytes += 9;
	return i + 9; /* the LF ends the line: h1_step's */
}

/*
 * Passes over, from w->b[i..n), what h1_step would consume without an
 * event: header lines of names the framer ignores, a status line's
 * version, code and reason, a request's method, target and version. The
 * bytes that end a line, a message or the headers, the framer's own
 * headers and anything unusual are left to h1_step, so the state reached
 * is the one byte-by-byte stepping reaches (tests/fuzz/fuzz_h1_parse.c
 * holds the two to that). span is H1_SPAN(i, n, is_request): BPF functions
 * take five arguments. Returns the index to continue from.
 */
#define H1_SPAN(i, n, is_request) ((__u32)(i) | (__u32)(n) << 16 | ((is_request) ? 1u << 31 : 0))
H1_FN int h1_fast(struct h1_dir *d, const struct h1_window *w, __u32 span, struct h1_target *t,
		  __u64 ts)
{
	__u32 i = span & 0xffff, n = (span >> 16) & 0x7fff, k, j;
	__u32 is_request = span >> 31;

	if (!d || !w || n > BT_SCAN_WINDOW)
		return i;
	for (k = 0; k < H1_FAST_ROUNDS; k++) {
		if (i >= n)
			break;
		if (d->phase == H1_HEADERS)
			j = h1_fast_header(d, w, i, n);
		else if (d->phase > H1_START_LINE)
			break;
		else if (is_request)
			j = h1_fast_request(d, w, i, n, t, ts);
		else
			j = h1_fast_status(d, w, i, n, ts);
		if (j == i)
			break;
		i = j;
	}
	return i;
}

/* Phases that need the bytes themselves; the others are skipped by count. */
static __always_inline int h1_reads_bytes(const struct h1_dir *d)
{
	return d->phase <= H1_HEADERS || d->phase == H1_CHUNK_SIZE || d->phase == H1_CHUNK_END ||
	       d->phase == H1_TRAILERS;
}

/*
 * Step over up to avail body bytes without looking at them. Returns how
 * many were taken; *ev is H1_EV_END when a Content-Length body finished.
 */
static __always_inline __u64 h1_skip(struct h1_dir *d, __u64 avail, int *ev)
{
	__u64 n = avail;

	*ev = H1_EV_NONE;
	if (d->phase == H1_BODY_EOF) {
		d->msg_bytes += n;
		return n;
	}
	if (d->phase != H1_BODY_LEN && d->phase != H1_CHUNK_DATA)
		return 0;
	if (n > d->remaining)
		n = d->remaining;
	d->remaining -= n;
	d->msg_bytes += n;
	if (d->remaining)
		return n;
	if (d->phase == H1_BODY_LEN) {
		d->phase = H1_IDLE;
		*ev = H1_EV_END;
	} else {
		d->phase = H1_CHUNK_END;
	}
	return n;
}

/* Could a syscall whose first byte is c start a message here? Used to
 * leave H1_DESYNC only at a syscall boundary. */
static __always_inline int h1_can_start(__u8 c, int is_request)
{
	return is_request ? (c >= 'A' && c <= 'Z') : c == 'H';
}

#endif
