// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * HTTP/1.x message assembly for captured LLM exchanges (llm_http.h). The
 * framing is the kernel's own (bpf/h1_parse.h, driven the way
 * tests/unit/test_h1_parse.c drives it), so the daemon and the kernel
 * never disagree about where a message ends. Everything kept is bounded:
 * 64 KiB of headers, max_body of body, LLM_ARRIVALS_MAX arrival stamps.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "h1_user.h"

#include "llm_http.h"

void llm_msg__init(struct llm_msg *m, bool is_request, uint64_t max_body)
{
	memset(m, 0, sizeof(*m));
	m->is_request = is_request;
	m->max_body = max_body;
	m->d.phase = H1_IDLE;
}

void llm_msg__release(struct llm_msg *m)
{
	if (!m)
		return;
	if (m->hdr)
		explicit_bzero(m->hdr, m->hdr_len);
	free(m->hdr);
	free(m->body);
	free(m->arr);
	m->hdr = NULL;
	m->body = NULL;
	m->arr = NULL;
	m->hdr_len = m->body_len = m->body_cap = m->n_arr = m->cap_arr = 0;
}

bool llm_msg__empty(const struct llm_msg *m)
{
	return !m->begun && m->hdr_len == 0 && !m->gap && !m->error;
}

void llm_msg__mark_gap(struct llm_msg *m)
{
	m->gap = true;
	m->error = true;
}

static bool in_body(const struct h1_dir *d)
{
	return d->phase >= H1_BODY_LEN && d->phase <= H1_BODY_EOF;
}

bool llm_msg__resume(struct llm_msg *m, const struct h1_dir *st)
{
	if (!m->begun || m->error || m->complete || m->n_holes >= LLM_HOLES_MAX ||
	    !in_body(&m->d) || !in_body(st))
		return false;
	m->holes[m->n_holes++] = m->body_len;
	m->d = *st;
	return true;
}

/* Start line and header bytes, kept up to LLM_HDR_MAX; past it they are
 * counted as an overflow, not kept. */
static int hdr_put(struct llm_msg *m, const uint8_t *p, size_t n)
{
	size_t room = LLM_HDR_MAX - m->hdr_len;

	if (!n)
		return 0;
	if (!room) {
		m->hdr_overflow = true;
		return 0;
	}
	if (!m->hdr) {
		m->hdr = malloc(LLM_HDR_MAX);
		if (!m->hdr)
			return -ENOMEM;
	}
	if (n > room) {
		m->hdr_overflow = true;
		n = room;
	}
	memcpy(m->hdr + m->hdr_len, p, n);
	m->hdr_len += n;
	return 0;
}

/*
 * What of buf the framer's bulk path (h1_fast, as the kernel runs it)
 * passes over in the start line and headers: bytes h1_step would take one
 * at a time without an event (tests/fuzz/fuzz_llm_msg.c holds the two to
 * the same result). 0 when the next byte needs h1_step.
 */
static size_t bulk_head(struct llm_msg *m, const uint8_t *buf, size_t len, uint64_t ns)
{
	struct h1_window w;
	size_t n = len < BT_SCAN_WINDOW ? len : BT_SCAN_WINDOW;

	if (m->d.phase > H1_HEADERS || n < 8)
		return 0;
	memcpy(w.b, buf, n);
	memset(w.b + n, 0, 8); /* its 8-byte loads may look past n, never use what is there */
	return (size_t)h1_fast(&m->d, &w, H1_SPAN(0, n, m->is_request), NULL, ns);
}

static int arrival_put(struct llm_msg *m, uint64_t ns)
{
	if (m->n_arr && m->arr[m->n_arr - 1].ns == ns)
		return 0;
	if (m->n_arr >= LLM_ARRIVALS_MAX) {
		m->arrivals_overflow = true;
		return 0;
	}
	if (m->n_arr == m->cap_arr) {
		size_t cap = m->cap_arr ? m->cap_arr * 2 : 64;
		struct llm_arrival *na = realloc(m->arr, cap * sizeof(*na));

		if (!na)
			return -ENOMEM;
		m->arr = na;
		m->cap_arr = cap;
	}
	m->arr[m->n_arr].off = m->body_total;
	m->arr[m->n_arr++].ns = ns;
	return 0;
}

static int body_put(struct llm_msg *m, const uint8_t *p, size_t n, uint64_t ns)
{
	size_t keep = n;
	int err = arrival_put(m, ns);

	if (err)
		return err;
	if (m->body_len + keep > m->max_body) {
		keep = m->max_body > m->body_len ? m->max_body - m->body_len : 0;
		m->too_large = true;
	}
	if (m->body_len + keep > m->body_cap) {
		size_t cap = m->body_cap ? m->body_cap : 4096;
		uint8_t *nb;

		while (cap < m->body_len + keep)
			cap *= 2;
		if (cap > m->max_body)
			cap = m->max_body;
		nb = realloc(m->body, cap);
		if (!nb)
			return -ENOMEM;
		m->body = nb;
		m->body_cap = cap;
	}
	if (keep)
		memcpy(m->body + m->body_len, p, keep);
	m->body_len += keep;
	m->body_total += n;
	return 0;
}

/* Returns true when the message is over (END, or an error that ends it). */
static bool on_event(struct llm_msg *m, int ev)
{
	if (ev == H1_EV_BEGIN) {
		m->begun = true;
		m->status = m->d.status;
		m->method = m->d.method;
		if (!m->is_request && m->req_method == BT_M_HEAD)
			m->d.flags |= H1F_NO_BODY;
		return false;
	}
	if (ev == H1_EV_ERROR) {
		m->error = true;
		return true;
	}
	if (!m->is_request && m->status >= 100 && m->status < 200 && m->status != 101) {
		/* interim answer (100 Continue): the real one follows */
		if (m->hdr)
			explicit_bzero(m->hdr, m->hdr_len);
		m->hdr_len = 0;
		m->begun = false;
		return false;
	}
	m->complete = true;
	return true;
}

long llm_msg__feed(struct llm_msg *m, const uint8_t *buf, size_t len, uint64_t ns)
{
	size_t off = 0;

	if (m->complete || m->error)
		return m->error ? (long)len : 0;
	if (!m->first_ns && len)
		m->first_ns = ns;
	m->last_ns = ns;
	while (off < len) {
		__u8 phase = m->d.phase;
		int ev = H1_EV_NONE, err = 0;

		if (phase == H1_DESYNC || phase == H1_OFF) {
			m->error = true;
			return (long)len;
		}
		size_t n;

		if (!h1_reads_bytes(&m->d)) {
			n = h1_skip(&m->d, len - off, &ev);
			err = body_put(m, buf + off, n, ns);
			off += n;
		} else if ((n = bulk_head(m, buf + off, len - off, ns))) {
			err = hdr_put(m, buf + off, n);
			off += n;
		} else {
			ev = h1_step(&m->d, buf[off], !!m->is_request, NULL, ns);
			if (phase != H1_IDLE || m->d.phase != H1_IDLE)
				err = phase <= H1_HEADERS ? hdr_put(m, buf + off, 1) : 0;
			off++;
		}
		if (err) {
			m->error = true;
			return err;
		}
		if (ev != H1_EV_NONE && on_event(m, ev))
			return m->error ? (long)len : (long)off;
	}
	return (long)off;
}

/* First header line after the start line named name; its value trimmed. */
static bool find_header(const struct llm_msg *m, const char *name, const char **val, size_t *vlen)
{
	const char *p = m->hdr, *end, *nl;
	size_t nn = strlen(name);

	if (!p)
		return false;
	end = p + m->hdr_len;
	nl = memchr(p, '\n', (size_t)(end - p));
	while (nl && nl + 1 < end) {
		const char *line = nl + 1, *le = memchr(line, '\n', (size_t)(end - line));
		const char *lend = le ? le : end, *colon;

		colon = memchr(line, ':', (size_t)(lend - line));
		if (colon && (size_t)(colon - line) == nn && !strncasecmp(line, name, nn)) {
			const char *v = colon + 1, *ve = lend;

			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			*val = v;
			*vlen = (size_t)(ve - v);
			return true;
		}
		nl = le;
	}
	return false;
}

bool llm_msg__header(const struct llm_msg *m, const char *name, const char **val, size_t *len)
{
	return find_header(m, name, val, len);
}

bool llm_msg__header_has(const struct llm_msg *m, const char *name, const char *needle)
{
	const char *v;
	size_t n, nn = strlen(needle);

	if (!find_header(m, name, &v, &n))
		return false;
	for (size_t i = 0; i + nn <= n; i++)
		if (!strncasecmp(v + i, needle, nn))
			return true;
	return false;
}

bool llm_msg__target(const struct llm_msg *m, const char **val, size_t *len)
{
	const char *sp1, *sp2, *end;

	if (!m->hdr || !m->is_request)
		return false;
	end = memchr(m->hdr, '\n', m->hdr_len);
	if (!end)
		end = m->hdr + m->hdr_len;
	sp1 = memchr(m->hdr, ' ', (size_t)(end - m->hdr));
	if (!sp1)
		return false;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1));
	if (!sp2)
		return false;
	*val = sp1 + 1;
	*len = (size_t)(sp2 - sp1 - 1);
	return true;
}

uint64_t llm_msg__arrival_ns(const struct llm_msg *m, uint64_t off)
{
	size_t lo = 0, hi = m->n_arr;

	if (!m->n_arr)
		return 0;
	while (hi - lo > 1) { /* last arrival with arr.off <= off */
		size_t mid = lo + (hi - lo) / 2;

		if (m->arr[mid].off <= off)
			lo = mid;
		else
			hi = mid;
	}
	return m->arr[lo].ns;
}

/* windowBits 32+MAX_WBITS reads zlib and gzip; raw deflate is retried with -MAX_WBITS
 * because some servers send "deflate" without the zlib wrapper. */
static enum llm_decode inflate_all(const uint8_t *in, size_t n, int wbits, uint64_t max,
				   uint8_t **out, size_t *olen)
{
	z_stream z = { 0 };
	size_t cap = n * 4 + 1024, len = 0;
	uint8_t *b = NULL;
	enum llm_decode res = LLM_DECODE_OK;
	int zr = Z_OK;

	if (inflateInit2(&z, wbits) != Z_OK)
		return LLM_DECODE_NOMEM;
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	while (zr != Z_STREAM_END) {
		if (len == cap || !b) {
			uint8_t *nb;

			if (b)
				cap *= 2;
			if (cap > max + 1)
				cap = max + 1;
			nb = len < cap ? realloc(b, cap) : NULL;
			if (!nb) {
				res = len >= max ? LLM_DECODE_TOO_LARGE : LLM_DECODE_NOMEM;
				break;
			}
			b = nb;
		}
		z.next_out = b + len;
		z.avail_out = (uInt)(cap - len);
		zr = inflate(&z, Z_NO_FLUSH);
		len = cap - z.avail_out;
		if (len > max) {
			res = LLM_DECODE_TOO_LARGE;
			break;
		}
		if (zr == Z_BUF_ERROR && z.avail_in == 0) {
			res = LLM_DECODE_TRUNCATED;
			break;
		}
		if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR) {
			res = zr == Z_MEM_ERROR ? LLM_DECODE_NOMEM : LLM_DECODE_BAD;
			break;
		}
		if (zr == Z_OK && z.avail_in == 0 && z.avail_out != 0) {
			res = LLM_DECODE_TRUNCATED;
			break;
		}
	}
	inflateEnd(&z);
	if (res != LLM_DECODE_OK) {
		free(b);
		return res;
	}
	*out = b;
	*olen = len;
	return LLM_DECODE_OK;
}

enum llm_decode llm_msg__decoded_body(const struct llm_msg *m, uint64_t max, const uint8_t **out,
				      size_t *len, bool *owned)
{
	const char *v;
	size_t vn;
	uint8_t *b = NULL;
	enum llm_decode r;

	*owned = false;
	if (!find_header(m, "content-encoding", &v, &vn) || vn == 0 ||
	    (vn == 8 && !strncasecmp(v, "identity", 8))) {
		*out = m->body;
		*len = m->body_len;
		return m->too_large ? LLM_DECODE_TOO_LARGE : LLM_DECODE_OK;
	}
	if (m->too_large)
		return LLM_DECODE_TOO_LARGE;
	if ((vn == 4 && !strncasecmp(v, "gzip", 4)) || (vn == 6 && !strncasecmp(v, "x-gzip", 6)))
		r = inflate_all(m->body, m->body_len, 32 + MAX_WBITS, max, &b, len);
	else if (vn == 7 && !strncasecmp(v, "deflate", 7)) {
		r = inflate_all(m->body, m->body_len, 32 + MAX_WBITS, max, &b, len);
		if (r == LLM_DECODE_BAD)
			r = inflate_all(m->body, m->body_len, -MAX_WBITS, max, &b, len);
	} else {
		return LLM_DECODE_BAD;
	}
	if (r != LLM_DECODE_OK)
		return r;
	*out = b;
	*owned = true;
	return LLM_DECODE_OK;
}
