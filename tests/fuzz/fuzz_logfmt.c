// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer harness for log message parsing, redaction and rendering
 * (user/logfmt.c). Any bytes may reach a log call (a path, a header, a
 * model name from the wire), so for every input: the parsed message, keys
 * and values are valid UTF-8, secret-named keys hold only the marker, the
 * JSON line (full size and cut to a small buffer) is one line that jansson
 * parses back with the fixed keys, the text line is one line without
 * control bytes, and no secret-shaped token survives in any decoded string
 * (checked here independently of the redactor: vendor prefixes, AWS key
 * ids, hex runs). A known secret planted after the input must not appear
 * in the output either. The ECS line (full size and cut) is one object without a
 * repeated key, labels strings. The input as a time: a parsed time printed and
 * parsed again gives the same millisecond.
 *
 * Input: [0] level (bits 0-1), category (bits 2-4), planted secret (bits
 * 5-7); [1] size of the small render buffer; then the message bytes.
 */
#include <errno.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "logfmt.h"

#include "fuzz_util.h"

#define CTL_BYTES 2

static const char *const planted[] = {
	"sk-proj-Q7hLm2Xv9Rb4Tz8Kw3Nc6Yd1",
	"ghp_Zq4Lm8Xv2Rb6Tz0Kw5Nc9Yd3Hs7Pe1Ju4Fa",
	"AKIAQ7HLM2XV9RB4TZ8K",
	"Bearer Zq4Lm8Xv2Rb6Tz0K",
	"password=Zq4Lm8Xv2Rb6Tz0K",
	"https://bob:Zq4Lm8Xv2Rb6Tz0K@db.example",
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJaeTRMbThYdjJSYjZUejBLIn0.Zq4Lm8Xv2Rb6Tz0Kw5Nc9Yd3Hs7Pe1Ju",
};
/* A part of each planted secret that only a leak (or the input itself) could show. */
static const char *const planted_core[] = {
	"Q7hLm2Xv9Rb4Tz8Kw3Nc6Yd1",  "Zq4Lm8Xv2Rb6Tz0Kw5Nc9Yd3", "Q7HLM2XV9RB4TZ8K",
	"Zq4Lm8Xv2Rb6Tz0K",	     "Zq4Lm8Xv2Rb6Tz0K",	 "Zq4Lm8Xv2Rb6Tz0K",
	"4649b934ca495991b7852b855", "Zq4Lm8Xv2Rb6Tz0Kw5Nc9Yd3",
};

static bool alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool hexd(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Shapes that cutting a string can only shorten, never create. */
static void check_no_secret(const char *s)
{
	size_t n = strlen(s), hex = 0;

	for (size_t i = 0; i < n; i++) {
		bool edge = !i || !alnum((unsigned char)s[i - 1]);

		hex = hexd((unsigned char)s[i]) ? hex + 1 : 0;
		FUZZ_CHECK(hex < 32);
		if (edge && !strncmp(s + i, "sk-", 3)) {
			size_t b = 0, mixed = 0;

			for (size_t j = i + 3;
			     j < n && (alnum((unsigned char)s[j]) || s[j] == '_' || s[j] == '-');
			     j++, b++)
				mixed += (s[j] >= '0' && s[j] <= '9') ||
					 (s[j] >= 'A' && s[j] <= 'Z');
			FUZZ_CHECK(b < 16 || !mixed);
		}
		if (edge && !strncmp(s + i, "ghp_", 4)) {
			size_t b = 0;

			for (size_t j = i + 4;
			     j < n && (alnum((unsigned char)s[j]) || s[j] == '_' || s[j] == '-');
			     j++)
				b++;
			FUZZ_CHECK(b < 16);
		}
		if (edge && !strncmp(s + i, "AKIA", 4) && i + 20 < n &&
		    !alnum((unsigned char)s[i + 20])) {
			size_t k = 4;

			while (k < 20 && ((s[i + k] >= 'A' && s[i + k] <= 'Z') ||
					  (s[i + k] >= '0' && s[i + k] <= '9')))
				k++;
			FUZZ_CHECK(k < 20);
		}
	}
}

static void check_string(const char *s)
{
	FUZZ_CHECK(fuzz_utf8_valid((const unsigned char *)s, strlen(s)));
	check_no_secret(s);
}

static void check_entry(const struct log_entry *e)
{
	FUZZ_CHECK(e->message && e->n_fields <= LOG_FIELDS_MAX);
	check_string(e->message);
	for (size_t i = 0; i < e->n_fields; i++) {
		const char *k = e->fields[i].key;
		size_t kl = strlen(k);

		FUZZ_CHECK(kl > 0 && kl <= LOGFMT_KEY_MAX);
		for (size_t j = 0; j < kl; j++)
			FUZZ_CHECK(alnum((unsigned char)k[j]) || strchr("_.-", k[j]));
		check_string(k);
		check_string(e->fields[i].value);
		if (logfmt_secret_key(k, kl))
			FUZZ_CHECK(!strcmp(e->fields[i].value, LOGFMT_REDACTED));
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(e->fields[j].key, k));
	}
}

/* One line: the length returned, '\n' only at the end, no NUL before it. */
static void check_line(const char *line, size_t n, size_t cap)
{
	FUZZ_CHECK(n > 0 && n < cap && strlen(line) == n);
	FUZZ_CHECK(line[n - 1] == '\n' && !memchr(line, '\n', n - 1));
}

/* Parses a rendered JSON line back and checks every decoded string; returns it. */
static json_t *check_json(const struct log_entry *e, size_t cap)
{
	char *line = malloc(cap);
	json_t *j, *fields, *v;
	const char *key;
	size_t n;

	FUZZ_CHECK(line != NULL);
	n = logfmt_json(e, line, cap);
	check_line(line, n, cap);
	FUZZ_CHECK(fuzz_utf8_valid((const unsigned char *)line, n));
	j = json_loads(line, JSON_REJECT_DUPLICATES, NULL);
	FUZZ_CHECK(j != NULL);
	free(line);
	FUZZ_CHECK(json_is_string(json_object_get(j, "timestamp")));
	FUZZ_CHECK(json_is_string(json_object_get(j, "message")));
	check_string(json_string_value(json_object_get(j, "message")));
	fields = json_object_get(j, "fields");
	FUZZ_CHECK(json_is_object(fields));
	json_object_foreach(fields, key, v)
	{
		check_string(key);
		FUZZ_CHECK(json_is_string(v) || json_is_integer(v) || json_is_real(v));
		if (json_is_string(v))
			check_string(json_string_value(v));
	}
	if (e->truncated)
		FUZZ_CHECK(json_is_true(json_object_get(j, "truncated")));
	return j;
}

static void check_text(const struct log_entry *e, size_t cap)
{
	char *line = malloc(cap);
	size_t n;

	FUZZ_CHECK(line != NULL);
	n = logfmt_text(e, line, cap);
	check_line(line, n, cap);
	for (size_t i = 0; i + 1 < n; i++)
		FUZZ_CHECK((unsigned char)line[i] >= 0x20 && line[i] != 0x7f);
	FUZZ_CHECK(fuzz_utf8_valid((const unsigned char *)line, n));
	free(line);
}

/* The ECS line: one object, no repeated key, the base keys, every string checked, labels
 * strings, and "tags" when the entry was cut. */
static void check_ecs(const struct log_entry *e, size_t cap)
{
	char *line = malloc(cap);
	json_t *j, *v;
	const char *key;
	size_t n;

	FUZZ_CHECK(line != NULL);
	n = logfmt_ecs(e, line, cap);
	check_line(line, n, cap);
	FUZZ_CHECK(fuzz_utf8_valid((const unsigned char *)line, n));
	j = json_loads(line, JSON_REJECT_DUPLICATES, NULL);
	FUZZ_CHECK(j != NULL);
	free(line);
	FUZZ_CHECK(json_is_string(json_object_get(j, "@timestamp")));
	FUZZ_CHECK(json_is_string(json_object_get(j, "event.action")));
	FUZZ_CHECK(json_is_string(json_object_get(j, "ecs.version")));
	json_object_foreach(j, key, v)
	{
		check_string(key);
		if (!strncmp(key, "labels.", 7))
			FUZZ_CHECK(json_is_string(v));
		if (json_is_string(v))
			check_string(json_string_value(v));
	}
	if (e->truncated)
		FUZZ_CHECK(json_is_array(json_object_get(j, "tags")));
	json_decref(j);
}

static void check_fields_json(const struct log_entry *e)
{
	char *buf = malloc(LOGFMT_LINE_MAX);
	json_t *j;

	FUZZ_CHECK(buf != NULL);
	FUZZ_CHECK(logfmt_fields_json(e, buf, LOGFMT_LINE_MAX) < LOGFMT_LINE_MAX);
	j = json_loads(buf, JSON_REJECT_DUPLICATES, NULL);
	FUZZ_CHECK(json_is_object(j));
	FUZZ_CHECK(json_object_size(j) <= e->n_fields);
	json_decref(j);
	free(buf);
}

static void parse_into(const char *msg, size_t len, const uint8_t ctl, struct log_entry *e,
		       char *arena)
{
	memset(e, 0, sizeof(*e));
	e->ts_ns = 1764121830289000000ull;
	e->level = (enum log_level)(ctl & 3);
	e->category = (enum log_category)((ctl >> 2 & 7) % LOGC__COUNT);
	FUZZ_CHECK(logfmt_parse(msg, len, e, arena, LOGFMT_ARENA_MAX) == 0);
}

static bool has(const json_t *j, const char *needle)
{
	const json_t *f = json_object_get(j, "fields"), *v;
	const char *key;

	if (strstr(json_string_value(json_object_get(j, "message")), needle))
		return true;
	json_object_foreach((json_t *)f, key, v)
	{
		if (strstr(key, needle) ||
		    (json_is_string(v) && strstr(json_string_value(v), needle)))
			return true;
	}
	return false;
}

/* The input, a space, a known secret, a space: the secret must not come out. */
static void check_planted(const uint8_t *msg, size_t len, uint8_t ctl, char *arena)
{
	size_t pick = (size_t)(ctl >> 5) % (sizeof(planted) / sizeof(*planted));
	const char *core = planted_core[pick];
	size_t pl = strlen(planted[pick]);
	char *buf = malloc(len + pl + 2);
	struct log_entry e;
	json_t *j;

	FUZZ_CHECK(buf != NULL);
	memcpy(buf, msg, len);
	buf[len] = ' ';
	memcpy(buf + len + 1, planted[pick], pl);
	buf[len + 1 + pl] = ' ';
	parse_into(buf, len + pl + 2, ctl, &e, arena);
	j = check_json(&e, LOGFMT_LINE_MAX);
	if (!memmem(msg, len, core, strlen(core)))
		FUZZ_CHECK(!has(j, core));
	json_decref(j);
	free(buf);
}

static void check_time(const uint8_t *data, size_t len)
{
	char *s = fuzz_strdup(data, len < 64 ? len : 64), ts[LOGFMT_TIME_LEN];
	int64_t ns = -1, again = -1;

	if (!s)
		return;
	if (!logfmt_time_parse(s, &ns)) {
		FUZZ_CHECK(ns >= 0);
		logfmt_time((uint64_t)ns, ts);
		FUZZ_CHECK(!logfmt_time_parse(ts, &again));
		FUZZ_CHECK(again == ns - ns % 1000000);
	}
	free(s);
}

static void check_redact(const uint8_t *data, size_t len, size_t outlen)
{
	char *out = malloc(outlen);
	bool cut = false;
	size_t n;

	FUZZ_CHECK(out != NULL);
	n = logfmt_redact((const char *)data, len, out, outlen, &cut);
	FUZZ_CHECK(n < outlen && memchr(out, '\0', outlen));
	FUZZ_CHECK(fuzz_utf8_valid((const unsigned char *)out, n));
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char arena[LOGFMT_ARENA_MAX];
	const uint8_t *msg = data + CTL_BYTES;
	size_t len, small;
	struct log_entry e;

	if (size < CTL_BYTES)
		return 0;
	len = size - CTL_BYTES;
	small = LOGFMT_RENDER_MIN + (size_t)data[1] * 8;
	parse_into((const char *)msg, len, data[0], &e, arena);
	check_entry(&e);
	json_decref(check_json(&e, LOGFMT_LINE_MAX));
	json_decref(check_json(&e, small));
	check_text(&e, LOGFMT_LINE_MAX);
	check_text(&e, small);
	check_ecs(&e, LOGFMT_LINE_MAX);
	check_ecs(&e, LOGFMT_ECS_RENDER_MIN + (size_t)data[1] * 8);
	check_fields_json(&e);
	check_redact(msg, len, 1 + data[1]);
	check_planted(msg, len, data[0], arena);
	check_time(msg, len);
	return 0;
}
