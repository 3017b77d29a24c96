/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The exposition a metrics registry renders, and whole-line checks on it,
 * for the unit tests of the modules that export metrics. Include after
 * cmocka.h.
 */
#ifndef BT_TESTS_EXPO_LINES_H
#define BT_TESTS_EXPO_LINES_H

#include <stdbool.h>
#include <string.h>

#include "metrics.h"

/* The registry's text; the caller frees it. */
static char *render(struct metrics *m)
{
	char *out = NULL;
	size_t len = 0;

	assert_int_equal(metrics__render(m, &out, &len), 0);
	assert_non_null(out);
	assert_int_equal(strlen(out), len);
	return out;
}

/* Is line a whole line of text? */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

static void assert_line(const char *text, const char *line)
{
	if (!has_line(text, line))
		fail_msg("missing line: %s\n--- in ---\n%s", line, text);
}

#endif
