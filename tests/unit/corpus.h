/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The detection corpora in tests/data/security/ for the unit tests that
 * measure on them (test_sqli.c, test_http_threat.c): one input a line, and
 * known_misses.txt, whose entries must each match a corpus line. Include
 * after cmocka.h.
 */
#ifndef BT_TESTS_CORPUS_H
#define BT_TESTS_CORPUS_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINES 4096
#define LINE_MAX_LEN 8192

struct corpus {
	char *lines[MAX_LINES];
	size_t n;
};

static const char *data_dir;
static char data_dir_buf[4096];

/* tests/data/security from the repository root, or next to build/tests/<binary>. */
static void find_data_dir(const char *argv0)
{
	const char *slash = strrchr(argv0, '/');
	FILE *f = fopen("tests/data/security/benign_text.txt", "re");

	if (f) {
		fclose(f);
		data_dir = "tests/data/security";
		return;
	}
	snprintf(data_dir_buf, sizeof(data_dir_buf), "%.*s/../../tests/data/security",
		 slash ? (int)(slash - argv0) : 1, slash ? argv0 : ".");
	data_dir = data_dir_buf;
}

static void corpus_load(struct corpus *c, const char *name)
{
	char path[4352], *line = malloc(LINE_MAX_LEN);
	FILE *f;

	assert_non_null(line);
	snprintf(path, sizeof(path), "%s/%s", data_dir, name);
	f = fopen(path, "re");
	if (!f)
		fail_msg("cannot open %s", path);
	c->n = 0;
	while (fgets(line, LINE_MAX_LEN, f)) {
		size_t len = strlen(line);

		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (!len)
			continue;
		assert_true(c->n < MAX_LINES);
		c->lines[c->n] = strdup(line);
		assert_non_null(c->lines[c->n]);
		c->n++;
	}
	fclose(f);
	free(line);
}

static void corpus_free(struct corpus *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->lines[i]);
	c->n = 0;
}

/* Is "<tag>\t<line>" in known_misses.txt? */
static bool known(const struct corpus *km, const char *tag, const char *line)
{
	size_t tl = strlen(tag);

	for (size_t i = 0; i < km->n; i++)
		if (!strncmp(km->lines[i], tag, tl) && km->lines[i][tl] == '\t' &&
		    !strcmp(km->lines[i] + tl + 1, line))
			return true;
	return false;
}

/* Known-miss entries for tag that match no line of the corpus: stale, so a failure. */
static void check_no_stale(const struct corpus *km, const char *tag, const struct corpus *c)
{
	size_t tl = strlen(tag);

	for (size_t i = 0; i < km->n; i++) {
		bool found = false;

		if (strncmp(km->lines[i], tag, tl) || km->lines[i][tl] != '\t')
			continue;
		for (size_t j = 0; j < c->n && !found; j++)
			found = !strcmp(km->lines[i] + tl + 1, c->lines[j]);
		if (!found)
			fail_msg("known_misses.txt: '%s' is not in the corpus", km->lines[i]);
	}
}

#endif
