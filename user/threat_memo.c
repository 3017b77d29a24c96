// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Fingerprints of requests scanned clean (threat_memo.h). */
#include "threat_memo.h"
#include "units.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

struct threat_memo {
	struct threat_fp *slots;
	uint8_t *used;
	size_t mask;
	uint64_t hits, misses;
	unsigned char key[crypto_shorthash_siphashx24_KEYBYTES];
};

struct threat_memo *threat_memo__new(size_t slots)
{
	struct threat_memo *m;
	size_t n = units_pow2_at_least(slots, 1u << 20);

	if (sodium_init() < 0) {
		errno = EIO;
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->slots = calloc(n, sizeof(*m->slots));
	m->used = calloc(n, 1);
	if (!m->slots || !m->used) {
		threat_memo__free(m);
		errno = ENOMEM;
		return NULL;
	}
	m->mask = n - 1;
	randombytes_buf(m->key, sizeof(m->key));
	return m;
}

void threat_memo__free(struct threat_memo *m)
{
	if (!m)
		return;
	sodium_memzero(m->key, sizeof(m->key));
	free(m->slots);
	free(m->used);
	free(m);
}

void threat_memo__fp(const struct threat_memo *m, enum threat_memo_kind kind, const void *bytes,
		     size_t len, struct threat_fp *fp)
{
	unsigned char out[crypto_shorthash_siphashx24_BYTES];

	crypto_shorthash_siphashx24(out, bytes ? bytes : (const void *)"", bytes ? len : 0, m->key);
	memcpy(fp->h, out, sizeof(fp->h));
	/* the kind goes into the fingerprint, not the hashed bytes: no copy */
	fp->h[1] ^= (uint64_t)kind + 1;
}

static size_t slot_of(const struct threat_memo *m, const struct threat_fp *fp)
{
	return (size_t)(fp->h[0] & m->mask);
}

bool threat_memo__known(struct threat_memo *m, const struct threat_fp *fp)
{
	size_t i;

	if (!m || !fp)
		return false;
	i = slot_of(m, fp);
	if (m->used[i] && !memcmp(&m->slots[i], fp, sizeof(*fp))) {
		m->hits++;
		return true;
	}
	m->misses++;
	return false;
}

void threat_memo__clean(struct threat_memo *m, const struct threat_fp *fp)
{
	size_t i;

	if (!m || !fp)
		return;
	i = slot_of(m, fp);
	m->slots[i] = *fp;
	m->used[i] = 1;
}

uint64_t threat_memo__hits(const struct threat_memo *m)
{
	return m ? m->hits : 0;
}

uint64_t threat_memo__misses(const struct threat_memo *m)
{
	return m ? m->misses : 0;
}
