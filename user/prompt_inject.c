// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "prompt_inject.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define WORD_MAX 24 /* longer words are kept cut; no listed word is that long */
#define WINDOW 8 /* the words looked back over, the newest included */
#define JSON_DEPTH_MAX 64

struct words {
	char w[WINDOW][WORD_MAX];
	size_t n; /* words seen so far */
};

static bool in_list(const char *w, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (!strcmp(w, list[i]))
			return true;
	return false;
}

/* The k-th word back (0: the newest); "" before the first. */
static const char *back(const struct words *ws, size_t k)
{
	return k < ws->n && k < WINDOW ? ws->w[(ws->n - 1 - k) % WINDOW] : "";
}

static const char *const take_over[] = { "ignore", "disregard", "forget", "override",
					 "bypass", "ignoring",	"skip",	  NULL };
static const char *const orders[] = { "instructions", "instruction", "prompt",	"prompts", "rules",
				      "directives",   "guidelines",  "context", NULL };
/* what may stand between: articles, owners and where the orders came from */
static const char *const fillers[] = { "all",	   "any",    "the",	"your",	     "my",
				       "of",	   "these",  "those",	"every",     "previous",
				       "prior",	   "above",  "earlier", "preceding", "initial",
				       "original", "system", "former",	"given",     "developer",
				       "safety",   "and",    "other",	NULL };
static const char *const pointing[] = { "all",	   "your",	"previous", "prior",	"above",
					"earlier", "preceding", "initial",  "original", "system",
					"former",  "developer", "safety",   NULL };

/* "<take_over> [fillers, one of them pointing] <orders>", ending at the newest word. */
static bool ignore_rule(const struct words *ws)
{
	bool points = false;

	if (!in_list(back(ws, 0), orders))
		return false;
	for (size_t k = 1; k < WINDOW - 1 && k < ws->n; k++) {
		const char *w = back(ws, k);

		if (in_list(w, take_over))
			return points;
		if (!in_list(w, fillers))
			return false;
		points |= in_list(w, pointing);
	}
	return false;
}

static const char *const leak_verbs[] = { "reveal", "print", "output",	 "repeat",
					  "dump",   "leak",  "disclose", NULL };
static const char *const secret_of[] = { "system", "initial", "hidden", "original", "secret", NULL };
static const char *const leak_fillers[] = { "your", "the", "full",     "entire",   "exact",
					    "me",   "us",  "verbatim", "complete", NULL };

/* "<leak_verb> [fillers] (system|initial|hidden|original|secret) prompt"
 * or "... your [..] instructions". */
static bool leak_rule(const struct words *ws)
{
	const char *last = back(ws, 0);
	bool yours = false;
	size_t k = 1;

	if (strcmp(last, "prompt") && strcmp(last, "instructions"))
		return false;
	if (!strcmp(last, "prompt") && !in_list(back(ws, k++), secret_of))
		return false;
	for (; k < WINDOW - 1 && k < ws->n; k++) {
		const char *w = back(ws, k);

		if (in_list(w, leak_verbs))
			return !strcmp(last, "prompt") || yours;
		yours |= !strcmp(w, "your");
		if (!in_list(w, leak_fillers) && !in_list(w, secret_of))
			return false;
	}
	return false;
}

static const char *const *const role_phrases[] = {
	(const char *const[]){ "do", "anything", "now", NULL },
	(const char *const[]){ "you", "are", "now", "dan", NULL },
	(const char *const[]){ "you", "are", "dan", NULL },
	(const char *const[]){ "dan", "mode", NULL },
	(const char *const[]){ "developer", "mode", "enabled", NULL },
	(const char *const[]){ "jailbreak", "mode", NULL },
	NULL,
};

/* One of role_phrases ends at the newest word. */
static bool role_rule(const struct words *ws)
{
	for (size_t p = 0; role_phrases[p]; p++) {
		const char *const *ph = role_phrases[p];
		size_t len = 0;
		bool ok = true;

		while (ph[len])
			len++;
		if (len > ws->n)
			continue;
		for (size_t k = 0; k < len && ok; k++)
			ok = !strcmp(back(ws, k), ph[len - 1 - k]);
		if (ok)
			return true;
	}
	return false;
}

static const char *rules(const struct words *ws)
{
	if (ignore_rule(ws))
		return "ignore_instructions";
	if (leak_rule(ws))
		return "prompt_leak";
	if (role_rule(ws))
		return "role_override";
	return NULL;
}

/* Bytes of a zero-width character at s[i..n) (UTF-8), else 0. */
static size_t zero_width(const unsigned char *s, size_t n, size_t i)
{
	if (i + 3 > n)
		return 0;
	if (s[i] == 0xe2 && s[i + 1] == 0x80 && s[i + 2] >= 0x8b && s[i + 2] <= 0x8d)
		return 3; /* U+200B..U+200D */
	if (s[i] == 0xe2 && s[i + 1] == 0x81 && s[i + 2] == 0xa0)
		return 3; /* U+2060 */
	if (s[i] == 0xef && s[i + 1] == 0xbb && s[i + 2] == 0xbf)
		return 3; /* U+FEFF */
	return 0;
}

static bool word_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

const char *prompt_inject_text(const char *text, size_t n)
{
	const unsigned char *s = (const unsigned char *)text;
	struct words ws = { .n = 0 };
	const char *r;
	size_t i = 0, len, z;

	if (!text)
		return NULL;
	while (i < n) {
		char *w;

		while (i < n && !word_byte(s[i]) && !zero_width(s, n, i))
			i++;
		if (i >= n)
			break;
		w = ws.w[ws.n % WINDOW];
		for (len = 0; i < n; i++) {
			if ((z = zero_width(s, n, i))) {
				i += z - 1;
				continue;
			}
			if (!word_byte(s[i]))
				break;
			if (len < WORD_MAX - 1)
				w[len++] = (char)(s[i] | (s[i] >= 'A' && s[i] <= 'Z' ? 0x20 : 0));
		}
		if (!len)
			continue;
		w[len] = '\0';
		ws.n++;
		if ((r = rules(&ws)))
			return r;
	}
	return NULL;
}

/* Keys whose values are the developer's own words or definitions. */
static const char *const skipped_keys[] = {
	"system", "systemInstruction", "system_instruction", "instructions",
	"tools",  "functions",	       "tool_choice",	     "response_format",
	NULL
};

static bool developer_message(json_t *o)
{
	const char *role = json_string_value(json_object_get(o, "role"));

	return role && (!strcmp(role, "system") || !strcmp(role, "developer"));
}

static const char *walk(json_t *v, int depth, size_t *budget)
{
	const char *key, *r = NULL;
	json_t *m;
	size_t i;

	if (depth > JSON_DEPTH_MAX || !*budget)
		return NULL;
	if (json_is_string(v)) {
		size_t n = json_string_length(v);

		if (n > *budget)
			n = *budget;
		*budget -= n;
		return prompt_inject_text(json_string_value(v), n);
	}
	if (json_is_object(v)) {
		if (developer_message(v))
			return NULL;
		json_object_foreach(v, key, m)
		{
			if (!in_list(key, skipped_keys) && (r = walk(m, depth + 1, budget)))
				return r;
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, m)
		{
			if ((r = walk(m, depth + 1, budget)))
				return r;
		}
	}
	return NULL;
}

const char *prompt_inject_json(const struct json_t *root)
{
	size_t budget = PROMPT_INJECT_MAX_BYTES;

	/* read only: jansson's iterators are not const */
	return root ? walk((json_t *)root, 0, &budget) : NULL;
}
