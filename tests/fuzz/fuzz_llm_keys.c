// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer harness for llm_keys_in (user/llm_usage.c), the one-pass key
 * search that decides which stream events need a JSON parse: held to a
 * plain reference that memmem's every occurrence of each key and checks
 * the value after it. A wrong "no" would skip the event that carries the
 * usage, so the two must agree on every input, for each key alone and for
 * the lists the extractor uses.
 *
 * Input: [0] selects the key list, then the event text.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "llm_usage.h"

#include "fuzz_util.h"

#define K(q, then)                     \
	{                              \
		q, sizeof(q) - 1, then \
	}

static const struct llm_key keys[] = {
	K("\"error\"", LLM_KEY_ANY),
	K("\"finish_reason\"", LLM_KEY_NOT_NULL),
	K("\"usage\"", LLM_KEY_NOT_NULL),
	K("\"done\"", 't'),
	K("\"eval_count\"", LLM_KEY_NOT_NULL),
	K("\"a\"", LLM_KEY_NOT_NULL),
	K("\"\"", 'x'),
};
#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

static bool reference(const char *d, size_t n, const struct llm_key *k)
{
	const char *p = d, *end = d + n;

	while ((p = memmem(p, (size_t)(end - p), k->quoted, k->len))) {
		const char *v = p + k->len;

		if (k->then == LLM_KEY_ANY)
			return true;
		while (v < end && (*v == ' ' || *v == ':' || *v == '\t'))
			v++;
		if (v < end && (k->then ? *v == k->then : *v != 'n'))
			return true;
		p++;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *d = (const char *)data + 1;
	size_t n, first, count;
	bool want = false;

	if (size < 1)
		return 0;
	n = size - 1;
	first = data[0] % N_KEYS;
	count = 1 + (data[0] >> 4) % (N_KEYS - first);
	for (size_t i = first; i < first + count; i++) {
		FUZZ_CHECK(llm_keys_in(d, n, &keys[i], 1) == reference(d, n, &keys[i]));
		want |= reference(d, n, &keys[i]);
	}
	FUZZ_CHECK(llm_keys_in(d, n, &keys[first], count) == want);
	return 0;
}
