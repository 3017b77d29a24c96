/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Requests the threat scan already found clean. A served request's verdict
 * is a function of its bytes alone, and most requests repeat byte for byte
 * (the same client asking the same route), so a request whose bytes were
 * scanned clean before is not parsed or scanned again. Only fingerprints
 * are kept, never the bytes: request heads carry cookies and tokens. A
 * fingerprint is a 128-bit SipHash under a key drawn at start, so no one
 * can craft an attack that matches a clean request's. Verdicts with hits
 * are never kept: every attack is scanned and reported.
 *
 * Fixed size (one fingerprint per slot, a newer one replaces an older one
 * in its slot); not thread-safe: the capture loop owns it.
 */
#ifndef BT_THREAT_MEMO_H
#define BT_THREAT_MEMO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define THREAT_MEMO_SLOTS 4096

/* What a fingerprint was taken of: the key spaces never meet. */
enum threat_memo_kind {
	THREAT_MEMO_TARGET, /* the kernel's copy of the request target only */
	THREAT_MEMO_HEAD, /* the request's own first bytes (start line, headers, body start) */
};

struct threat_fp {
	uint64_t h[2];
};

struct threat_memo;
struct threat_memo *threat_memo__new(size_t slots); /* NULL + errno */
void threat_memo__free(struct threat_memo *m);
void threat_memo__fp(const struct threat_memo *m, enum threat_memo_kind kind, const void *bytes,
		     size_t len, struct threat_fp *fp);
/* Was a request with this fingerprint scanned clean? Counts a hit or a miss. */
bool threat_memo__known(struct threat_memo *m, const struct threat_fp *fp);
void threat_memo__clean(struct threat_memo *m, const struct threat_fp *fp);
uint64_t threat_memo__hits(const struct threat_memo *m);
uint64_t threat_memo__misses(const struct threat_memo *m);

#endif
