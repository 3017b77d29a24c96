// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * logfmt and log: message shapes from the code base parsed into words and
 * fields, every line parsed back with jansson, each redaction shape and a
 * list of ordinary text that must survive untouched, cuts, control bytes
 * and broken UTF-8, times, ECS lines (exact lines, every security type's
 * categorisation against ECS's expected values, typed fields and labels,
 * bounds, random token soup), and log.c end to end (file output in JSON and
 * ECS, sink and its recursion guard, audit, threads writing whole lines).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "logfmt.h"
#include "sec_types.h"

struct parsed {
	struct log_entry e;
	char arena[LOGFMT_ARENA_MAX];
};

static struct parsed *parse(const char *msg)
{
	static struct parsed p;

	memset(&p, 0, sizeof(p));
	p.e.ts_ns = 1764121830289000000ull; /* 2025-11-26T01:50:30.289Z */
	p.e.level = LOG_INFO;
	p.e.pid = 42;
	assert_int_equal(logfmt_parse(msg, strlen(msg), &p.e, p.arena, sizeof(p.arena)), 0);
	return &p;
}

static const char *field(const struct log_entry *e, const char *key)
{
	for (size_t i = 0; i < e->n_fields; i++) {
		if (!strcmp(e->fields[i].key, key))
			return e->fields[i].value;
	}
	return NULL;
}

/* Renders e as JSON, checks it parses back with the fixed keys, returns the object. */
static json_t *json_of(const struct log_entry *e, size_t outlen)
{
	char *line = malloc(outlen);
	json_error_t err;
	size_t n;
	json_t *j;

	assert_non_null(line);
	n = logfmt_json(e, line, outlen);
	assert_true(n > 0 && n < outlen);
	assert_int_equal(strlen(line), n);
	assert_int_equal(line[n - 1], '\n');
	assert_null(memchr(line, '\n', n - 1));
	j = json_loads(line, JSON_REJECT_DUPLICATES, &err);
	if (!j)
		fail_msg("not JSON (%s): %s", err.text, line);
	free(line);
	assert_true(json_is_string(json_object_get(j, "timestamp")));
	assert_true(json_is_string(json_object_get(j, "level")));
	assert_true(json_is_string(json_object_get(j, "category")));
	assert_true(json_is_string(json_object_get(j, "message")));
	assert_true(json_is_integer(json_object_get(j, "pid")));
	assert_true(json_is_object(json_object_get(j, "fields")));
	return j;
}

/* ---- parsing ---- */

struct pcase {
	const char *in;
	const char *message;
	const char *kv[16]; /* key, value pairs, NULL-terminated */
};

static void test_parse_shapes(void **state)
{
	static const struct pcase cases[] = {
		{ "cost engine ready ledger=/var/lib/biothings/costs.db models=2150 "
		  "prices_of=2025-06-01 day_spend_usd=0.0000 month_spend_usd=1.2500 timezone=UTC",
		  "cost engine ready",
		  {
			  "ledger",
			  "/var/lib/biothings/costs.db",
			  "models",
			  "2150",
			  "prices_of",
			  "2025-06-01",
			  "day_spend_usd",
			  "0.0000",
			  "month_spend_usd",
			  "1.2500",
			  "timezone",
			  "UTC",
		  } },
		{ "metrics not rendered err=-12 (over the size cap? lower metrics.max_series)",
		  "metrics not rendered (over the size cap? lower metrics.max_series)",
		  { "err", "-12" } },
		{ "no price for model, costed at 0 provider=openai model=gpt-4o (add it with "
		  "--pricing)",
		  "no price for model, costed at 0 (add it with --pricing)",
		  { "provider", "openai", "model", "gpt-4o" } },
		{ "cannot create state dir path=/var/lib/x err=\"Permission denied\"",
		  "cannot create state dir",
		  { "path", "/var/lib/x", "err", "Permission denied" } },
		{ "more than 8 env agent_type rules; rule for AGENT never matches",
		  "more than 8 env agent_type rules; rule for AGENT never matches",
		  { NULL } },
		{ "\"libbpf: failed to find BTF for extern 'x': -2\"",
		  "libbpf: failed to find BTF for extern 'x': -2",
		  { NULL } },
		{ "budget status changed period=daily from=ok to=warning spend_usd=12.5000 "
		  "budget_usd=10.00 day=2026-01-02",
		  "budget status changed",
		  { "period", "daily", "from", "ok", "to", "warning", "spend_usd", "12.5000",
		    "budget_usd", "10.00", "day", "2026-01-02" } },
		{ "quoted err=\"a \\\"b\\\" c\\\\d\\ne\" empty= tail=x=y",
		  "quoted",
		  { "err", "a \"b\" c\\d\ne", "empty", "", "tail", "x=y" } },
		{ "repeat a=1 a=2 b=3", "repeat a=2", { "a", "1", "b", "3" } },
		{ "  spaced \t words\n k=v  ", "spaced words", { "k", "v" } },
		{ "dash-key=1 9x=2 =3 k.e-y_1=4 _u=5",
		  "9x=2 =3",
		  { "dash-key", "1", "k.e-y_1", "4", "_u", "5" } },
		{ "open k=\"never closed", "open", { "k", "never closed" } },
		{ "", "", { NULL } },
	};

	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(*cases); c++) {
		struct parsed *p = parse(cases[c].in);
		size_t n = 0;

		if (strcmp(p->e.message, cases[c].message))
			fail_msg("case %zu: message \"%s\", want \"%s\"", c, p->e.message,
				 cases[c].message);
		while (cases[c].kv[2 * n])
			n++;
		if (p->e.n_fields != n)
			fail_msg("case %zu: %zu fields, want %zu", c, p->e.n_fields, n);
		for (size_t i = 0; i < n; i++) {
			assert_string_equal(p->e.fields[i].key, cases[c].kv[2 * i]);
			assert_string_equal(p->e.fields[i].value, cases[c].kv[2 * i + 1]);
		}
		assert_false(p->e.truncated);
		json_decref(json_of(&p->e, LOGFMT_LINE_MAX));
	}
}

static void test_json_exact(void **state)
{
	struct parsed *p = parse("cost engine ready ledger=/x models=12 usd=0.50 neg=-3 "
				 "zero=0 lead=007 big=1234567890123456789 exp=1e5 q=\"12\"");
	char line[LOGFMT_LINE_MAX];

	(void)state;
	p->e.category = LOGC_BUSINESS;
	logfmt_json(&p->e, line, sizeof(line));
	assert_string_equal(
		line,
		"{\"timestamp\":\"2025-11-26T01:50:30.289Z\",\"level\":\"info\","
		"\"category\":\"business\",\"message\":\"cost engine ready\",\"pid\":42,"
		"\"fields\":{\"ledger\":\"/x\",\"models\":12,\"usd\":0.50,\"neg\":-3,\"zero\":0,"
		"\"lead\":\"007\",\"big\":\"1234567890123456789\",\"exp\":\"1e5\",\"q\":\"12\"}}\n");
	json_decref(json_of(&p->e, sizeof(line)));
}

static void test_text_exact(void **state)
{
	struct parsed *p = parse("ready path=/x name=\"two words\" eq=a=b empty= "
				 "nl=\"a\\nb\" msg=plain");
	char line[LOGFMT_LINE_MAX];

	(void)state;
	logfmt_text(&p->e, line, sizeof(line));
	assert_string_equal(line, "ts=2025-11-26T01:50:30.289Z level=info msg=ready path=/x "
				  "name=\"two words\" eq=\"a=b\" empty=\"\" nl=\"a\\nb\" "
				  "msg=plain\n");
	p->e.category = LOGC_SECURITY;
	p->e.level = LOG_WARN;
	logfmt_text(&p->e, line, sizeof(line));
	assert_non_null(strstr(line, "level=warn category=security msg=ready"));
	/* text parses back to the same fields */
	{
		struct parsed *q = parse(strstr(line, "msg=ready") + 4);

		assert_string_equal(field(&q->e, "name"), "two words");
		assert_string_equal(field(&q->e, "nl"), "a\nb");
		assert_string_equal(field(&q->e, "eq"), "a=b");
	}
}

static void test_control_and_utf8(void **state)
{
	const char *msgs[] = {
		"bell \x07 esc \x1b[31m del \x7f k=\"\x01\x02\"",
		"bad \xff\xfe utf8 k=\xc3\x28 over=\xc0\xaf sur=\xed\xa0\x80 cut=\xe2\x82",
		"fine caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 k=\xc3\xa9",
		"quote \" backslash \\ k=\"\\\\\"",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(msgs) / sizeof(*msgs); i++) {
		struct parsed *p = parse(msgs[i]);
		json_t *j = json_of(&p->e, LOGFMT_LINE_MAX);
		char text[LOGFMT_LINE_MAX];
		size_t n = logfmt_text(&p->e, text, sizeof(text));

		/* one line, no raw control bytes in text either */
		for (size_t k = 0; k + 1 < n; k++)
			assert_true((unsigned char)text[k] >= 0x20 && text[k] != 0x7f);
		json_decref(j);
	}
	{
		struct parsed *p = parse("fine caf\xc3\xa9 k=\xc3\xa9");
		json_t *j = json_of(&p->e, LOGFMT_LINE_MAX);

		assert_string_equal(json_string_value(json_object_get(j, "message")),
				    "fine caf\xc3\xa9");
		json_decref(j);
		p = parse("bad \xff k=\xc3\x28");
		assert_string_equal(p->e.message, "bad \xef\xbf\xbd");
		assert_string_equal(field(&p->e, "k"), "\xef\xbf\xbd(");
	}
}

static void test_truncation(void **state)
{
	char big[LOG_MSG_MAX * 2], line[LOGFMT_RENDER_MIN + 40];
	struct parsed *p;
	json_t *j;
	size_t n;

	(void)state;
	/* a message longer than LOG_MSG_MAX */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (size_t i = 7; i < sizeof(big) - 1; i += 8)
		big[i] = ' ';
	p = parse(big);
	assert_true(p->e.truncated);
	assert_true(strlen(p->e.message) < LOG_MSG_MAX);
	j = json_of(&p->e, LOGFMT_LINE_MAX);
	assert_true(json_is_true(json_object_get(j, "truncated")));
	json_decref(j);

	/* more than LOG_FIELDS_MAX fields: the first ones kept */
	n = 0;
	n += (size_t)snprintf(big + n, sizeof(big) - n, "many");
	for (int i = 0; i < LOG_FIELDS_MAX + 5; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, " k%d=%d", i, i);
	p = parse(big);
	assert_int_equal(p->e.n_fields, LOG_FIELDS_MAX);
	assert_true(p->e.truncated);
	assert_string_equal(field(&p->e, "k0"), "0");
	assert_null(field(&p->e, "k32"));
	assert_string_equal(p->e.message, "many");

	/* a small render buffer: still one valid line, flagged, the first field whole */
	n = (size_t)snprintf(big, sizeof(big), "short message k0=1 k1=\"");
	memset(big + n, 'v', 400);
	snprintf(big + n + 400, sizeof(big) - n - 400, "\" k2=2");
	p = parse(big);
	n = logfmt_json(&p->e, line, sizeof(line));
	assert_true(n < sizeof(line));
	j = json_loads(line, 0, NULL);
	assert_non_null(j);
	assert_true(json_is_true(json_object_get(j, "truncated")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "fields"), "k0")),
			 1);
	assert_null(json_object_get(json_object_get(j, "fields"), "k2"));
	json_decref(j);
	n = logfmt_text(&p->e, line, sizeof(line));
	assert_true(n < sizeof(line));
	assert_non_null(strstr(line, "msg=short message k0=1 truncated=true\n"));
	assert_int_equal(logfmt_json(&p->e, line, LOGFMT_RENDER_MIN - 1), 0);

	/* a message the caller cut loses its partial last token (maybe a secret's stub) */
	memset(&p->e, 0, sizeof(p->e));
	p->e.truncated = true;
	assert_int_equal(logfmt_parse("conn url=https://u:Zq4Lm8Xv2Rb6", 31, &p->e, p->arena,
				      sizeof(p->arena)),
			 0);
	assert_string_equal(p->e.message, "conn");
	assert_int_equal(p->e.n_fields, 0);
	assert_true(p->e.truncated);

	/* escapes that grow six-fold still fit a full-size line */
	memset(big, '\x01', LOG_MSG_MAX - 1);
	big[LOG_MSG_MAX - 1] = '\0';
	p = parse(big);
	json_decref(json_of(&p->e, LOGFMT_LINE_MAX));
}

static void test_names(void **state)
{
	enum log_level l;
	enum log_category c;

	(void)state;
	assert_int_equal(logfmt_level_parse("warn", &l), 0);
	assert_int_equal(l, LOG_WARN);
	assert_int_equal(logfmt_level_parse("WARN", &l), -EINVAL);
	assert_int_equal(logfmt_level_parse(NULL, &l), -EINVAL);
	assert_int_equal(logfmt_category_parse("performance", &c), 0);
	assert_int_equal(c, LOGC_PERFORMANCE);
	assert_int_equal(logfmt_category_parse("audit ", &c), -EINVAL);
	assert_string_equal(logfmt_category_name(LOGC_AUDIT), "audit");
	assert_string_equal(logfmt_category_name((enum log_category)99), "unknown");
	assert_string_equal(logfmt_level_name((enum log_level) - 1), "unknown");
}

/* ---- redaction ---- */

static const char *redact(const char *in)
{
	static char out[4096];
	bool cut = true;

	logfmt_redact(in, strlen(in), out, sizeof(out), &cut);
	assert_false(cut);
	return out;
}

struct rcase {
	const char *in, *want;
};

static void check_redact(const struct rcase *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *got = redact(c[i].in);

		if (strcmp(got, c[i].want))
			fail_msg("redact(\"%s\") = \"%s\", want \"%s\"", c[i].in, got, c[i].want);
	}
}

static void test_redact_shapes(void **state)
{
	static const struct rcase cases[] = {
		/* secret-named keys, in every spelling */
		{ "Authorization: Bearer abc.def", "Authorization: [REDACTED]" },
		{ "authorization: Basic dXNlcjpwYXNz x", "authorization: [REDACTED] x" },
		{ "Cookie: sid=1; theme=dark", "Cookie: [REDACTED]" },
		{ "set-cookie=\"sid=1; Path=/\" n=1", "set-cookie=\"[REDACTED]\" n=1" },
		{ "x-api-key: k123 next", "x-api-key: [REDACTED] next" },
		{ "api-key=abc", "api-key=[REDACTED]" },
		{ "API_KEY=abc&x=1", "API_KEY=[REDACTED]&x=1" },
		{ "password=hunter2 user=bob", "password=[REDACTED] user=bob" },
		{ "db_passwd = s3cr3t", "db_passwd = [REDACTED]" },
		{ "client_secret:abc,next", "client_secret:[REDACTED],next" },
		{ "access_token=xyz", "access_token=[REDACTED]" },
		{ "{\"api_key\": \"abc\", \"n\": 1}", "{\"api_key\": \"[REDACTED]\", \"n\": 1}" },
		{ "/v1?key=1&token=abc#f",
		  "/v1?key=1&token=[REDACTED]" }, /* a # may be the password's */
		/* URL userinfo */
		{ "https://bob:hunter2@example.com/x", "https://bob:[REDACTED]@example.com/x" },
		{ "postgres://u:p%40ss@db:5432/x?sslmode=require",
		  "postgres://u:[REDACTED]@db:5432/x?sslmode=require" },
		{ "redis://:pw@h", "redis://:[REDACTED]@h" },
		{ "https://example.com/a:b@c", "https://example.com/a:b@c" },
		/* bearer tokens in prose */
		{ "sent Bearer eyJhbGciOi.x.y ok", "sent Bearer [REDACTED] ok" },
		{ "sent Bearer abc", "sent Bearer [REDACTED]" },
		{ "bearer abcd1234efgh", "bearer [REDACTED]" },
		{ "Bearer Bearer abc next", "Bearer [REDACTED] next" },
		{ "x/Authorization: Bearer Bearer Zq4Lm8Xv2Rb6 n",
		  "x/Authorization: [REDACTED] n" },
		/* vendor key shapes */
		{ "k sk-abcdefghijklmnop1234 x", "k [REDACTED] x" },
		{ "sk-proj-AbCdEf0123456789AbCdEf0123", "[REDACTED]" },
		{ "(sk-ant-api03-abcDEF123456789_xyz-QRS)", "([REDACTED])" },
		{ "key=AIzaSyA1234567890abcdefghijklmnopqrs", "key=[REDACTED]" },
		{ "ghp_abcdefghijklmnopqrstuvwxyz0123456789", "[REDACTED]" },
		{ "github_pat_11ABCDEFG0123456789_abcdefghij", "[REDACTED]" },
		{ "xoxb-1234567890-abcdef", "[REDACTED]" },
		{ "xoxp-12345678 xoxa-1234abcd", "[REDACTED] [REDACTED]" },
		{ "aws AKIAIOSFODNN7EXAMPLE.", "aws [REDACTED]." },
		{ "hf_AbCdEfGhIjKlMnOpQrStUvWxYz012345", "[REDACTED]" },
		{ "jwt eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig",
		  "jwt [REDACTED].[REDACTED].sig" },
		/* long hex and random runs */
		{ "sha=0123456789abcdef0123456789abcdef", "sha=[REDACTED]" },
		{ "/files/0123456789ABCDEF0123456789ABCDEF0123/x", "/files/[REDACTED]/x" },
		{ "b64 dGhpcyBpcyBhIHZlcnkgc2VjcmV0IGtleSB0aGF0IHNob3VsZA== end",
		  "b64 [REDACTED] end" },
		{ "std Zm9vYmFyYmF6cXV4/Q2xhdWRlIDMuNSBTb25uZXQ+YWJjZGVmZ2g= end",
		  "std [REDACTED] end" },
		{ "x=Ab3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF", "x=[REDACTED]" },
		/* keys glued to each other: what follows a redaction is judged on its own */
		{ "AKIAIOSFODNN7EXAMPLE_0123456789abcdef0123456789abcdef", "[REDACTED][REDACTED]" },
		{ "sk-AAAAAAAAAAAAAAAA1+0123456789abcdef0123456789abcdef",
		  "[REDACTED]+[REDACTED]" },
		{ "ghp_abcdefghijklmnopqrstuvwxyz0123456789+sk-abcdefghijklmnop1234",
		  "[REDACTED]+[REDACTED]" },
	};

	(void)state;
	check_redact(cases, sizeof(cases) / sizeof(*cases));
}

static void test_redact_ordinary(void **state)
{
	static const char *const keep[] = {
		"cost engine ready ledger=/var/lib/biothings/costs.db models=2150",
		"model=gpt-4o-mini model=claude-3-5-sonnet-20241022 model=gemini-1.5-pro-002",
		"model=meta-llama/Llama-3.1-70B-Instruct-Turbo",
		"model=mistralai/Mixtral-8x7B-Instruct-v0.1",
		"path=/usr/lib/x86_64-linux-gnu/libssl.so.3",
		"path=/sys/fs/cgroup/system.slice/biothings-observer.service",
		"metric=biothings_observer_events_dropped_total",
		"metric=gen_ai_client_operation_duration_seconds_bucket",
		"id=123e4567-e89b-12d3-a456-426614174000",
		"max_tokens=100 input_tokens=12 token_type=output tokens=5",
		"the bearer token was missing; basic auth refused",
		"scikit sk-learn task-abcdefghijklmnopqrstuvwxyz risk-assessment-workflow",
		"url=https://api.openai.com/v1/chat/completions",
		"url=http://user@example.com/path",
		"ts=2026-11-26T01:50:30.289Z count=1234567890123",
		"ThisIsAVeryLongCamelCaseIdentifierWithoutDigits",
		"secretless words: the secret is safe",
		"AKIA1234 AKIAIOSFODNN7EXAMPLEX",
		"unicode caf\xc3\xa9 \xe2\x82\xac",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(keep) / sizeof(*keep); i++) {
		const char *got = redact(keep[i]);

		if (strcmp(got, keep[i]))
			fail_msg("ordinary text changed: \"%s\" -> \"%s\"", keep[i], got);
	}
}

static void test_redact_fields(void **state)
{
	struct parsed *p =
		parse("call Authorization: Bearer sk-abcdefghijklmnop1234 password=hunter2 "
		      "token=\"a b\" secret= url=https://u:pw@h/x?api_key=k1 "
		      "hdr=\"x-api-key: k2\" model=gpt-4o tokens=3 Cookie: a=1 b=2");
	char line[LOGFMT_LINE_MAX], text[LOGFMT_LINE_MAX];

	(void)state;
	assert_string_equal(p->e.message, "call Authorization: [REDACTED] Cookie: [REDACTED]");
	p = parse("req Authorization: abc123 path=/x x-api-key: k9 n=1");
	assert_string_equal(p->e.message, "req Authorization: [REDACTED] x-api-key: [REDACTED]");
	assert_string_equal(field(&p->e, "path"), "/x");
	assert_string_equal(field(&p->e, "n"), "1");
	p = parse("call Authorization: Bearer sk-abcdefghijklmnop1234 password=hunter2 "
		  "token=\"a b\" secret= url=https://u:pw@h/x?api_key=k1 "
		  "hdr=\"x-api-key: k2\" model=gpt-4o tokens=3 Cookie: a=1 b=2");
	assert_string_equal(field(&p->e, "password"), LOGFMT_REDACTED);
	assert_string_equal(field(&p->e, "token"), LOGFMT_REDACTED);
	assert_string_equal(field(&p->e, "secret"), LOGFMT_REDACTED);
	assert_string_equal(field(&p->e, "url"), "https://u:[REDACTED]@h/x?api_key=[REDACTED]");
	assert_string_equal(field(&p->e, "hdr"), "x-api-key: [REDACTED]");
	assert_string_equal(field(&p->e, "model"), "gpt-4o");
	assert_string_equal(field(&p->e, "tokens"), "3");
	assert_null(field(&p->e, "a"));
	logfmt_json(&p->e, line, sizeof(line));
	logfmt_text(&p->e, text, sizeof(text));
	for (const char *s = line; s; s = s == line ? text : NULL) {
		assert_null(strstr(s, "hunter2"));
		assert_null(strstr(s, "sk-abc"));
		assert_null(strstr(s, "pw@"));
		assert_null(strstr(s, "k1"));
		assert_null(strstr(s, "k2"));
		assert_null(strstr(s, "a=1"));
	}
}

static void test_redact_bounds(void **state)
{
	char out[16];
	bool cut = false;
	size_t n;

	(void)state;
	n = logfmt_redact("abcdefghijklmnopqrstuvwxyz", 26, out, sizeof(out), &cut);
	assert_true(cut);
	assert_int_equal(n, 15);
	assert_string_equal(out, "abcdefghijklmno");
	/* a cut never splits a character */
	n = logfmt_redact("aaaaaaaaaaaaa\xe2\x82\xac", 16, out, sizeof(out), &cut);
	assert_true(cut);
	assert_string_equal(out, "aaaaaaaaaaaaa");
	assert_int_equal(logfmt_redact("x", 1, out, 0, NULL), 0);
	assert_true(logfmt_secret_key("X-Api-Key", 9));
	assert_true(logfmt_secret_key("Proxy-Authorization", 19));
	assert_false(logfmt_secret_key("tokens", 6));
	assert_false(logfmt_secret_key("token_type", 10));
	assert_false(logfmt_secret_key("model", 5));
	assert_false(logfmt_secret_key(NULL, 0));
}

/* ---- time ---- */

static void test_time(void **state)
{
	static const struct {
		const char *in;
		int64_t ns;
	} ok[] = {
		{ "2025-11-26T01:50:30Z", 1764121830000000000 },
		{ "2025-11-26T01:50:30.289Z", 1764121830289000000 },
		{ "2025-11-26t01:50:30.000000001z", 1764121830000000001 },
		{ "2025-11-26T03:50:30+02:00", 1764121830000000000 },
		{ "2025-11-26T03:50:30 02:00", 1764121830000000000 },
		{ "2025-11-25T23:50:30-02:00", 1764121830000000000 },
		{ "2024-02-29T00:00:00Z", 1709164800000000000 },
		{ "1970-01-01T00:00:00Z", 0 },
		{ "1764121830", 1764121830000000000 },
		{ "1764121830.5", 1764121830500000000 },
		{ "0", 0 },
	};
	static const char *const bad[] = {
		"",
		"x",
		"-1",
		"1764121830.",
		"17641218301234",
		"2025-11-26",
		"2025-11-26T01:50Z",
		"2025-13-01T00:00:00Z",
		"2025-02-29T00:00:00Z",
		"2025-04-31T00:00:00Z",
		"2025-11-26T24:00:00Z",
		"2025-11-26T01:50:30",
		"2025-11-26T01:50:30+2:00",
		"2025-11-26T01:50:30Zjunk",
		"1969-12-31T23:59:59Z",
		"9999-01-01T00:00:00Z",
		"2025-11-26T01:50:30.1234567890Z",
		"+1764121830",
		"1e9",
	};
	char ts[LOGFMT_TIME_LEN];
	int64_t ns;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
		ns = -1;
		if (logfmt_time_parse(ok[i].in, &ns) || ns != ok[i].ns)
			fail_msg("time(\"%s\") = %lld, want %lld", ok[i].in, (long long)ns,
				 (long long)ok[i].ns);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		if (logfmt_time_parse(bad[i], &ns) != -EINVAL)
			fail_msg("time(\"%s\") accepted", bad[i]);
	}
	logfmt_time(1764121830289999999ull, ts);
	assert_string_equal(ts, "2025-11-26T01:50:30.289Z");
	logfmt_time(0, ts);
	assert_string_equal(ts, "1970-01-01T00:00:00.000Z");
}

static void test_quote(void **state)
{
	char q[32];

	(void)state;
	assert_int_equal(logfmt_quote("a \"b\"\n\\", q, sizeof(q)), 13);
	assert_string_equal(q, "\"a \\\"b\\\"\\n\\\\\"");
	logfmt_quote("0123456789012345678901234567890123456789", q, 12);
	assert_string_equal(q, "\"012345678\"");
	logfmt_quote(NULL, q, sizeof(q));
	assert_string_equal(q, "\"\"");
	/* a quoted value parses back to itself */
	{
		char msg[64];
		struct parsed *p;

		logfmt_quote("my prog \"x\"", q, sizeof(q));
		snprintf(msg, sizeof(msg), "exec comm=%s", q);
		p = parse(msg);
		assert_string_equal(field(&p->e, "comm"), "my prog \"x\"");
	}
}

/* ---- Elastic Common Schema ---- */

/* Renders e as ECS, checks one line of JSON without a repeated key and the keys every
 * ECS line has, returns the object. */
static json_t *ecs_of(const struct log_entry *e, size_t outlen)
{
	char *line = malloc(outlen);
	json_error_t err;
	size_t n;
	json_t *j;

	assert_non_null(line);
	n = logfmt_ecs(e, line, outlen);
	assert_true(n > 0 && n < outlen);
	assert_int_equal(strlen(line), n);
	assert_int_equal(line[n - 1], '\n');
	assert_null(memchr(line, '\n', n - 1));
	j = json_loads(line, JSON_REJECT_DUPLICATES, &err);
	if (!j)
		fail_msg("not JSON (%s): %s", err.text, line);
	free(line);
	assert_true(json_is_string(json_object_get(j, "@timestamp")));
	assert_true(json_is_string(json_object_get(j, "log.level")));
	assert_true(json_is_string(json_object_get(j, "message")));
	assert_string_equal(json_string_value(json_object_get(j, "ecs.version")), "8.11.0");
	assert_string_equal(json_string_value(json_object_get(j, "service.name")),
			    "biothings-observer");
	assert_true(json_is_string(json_object_get(j, "event.kind")));
	assert_true(json_is_string(json_object_get(j, "event.dataset")));
	return j;
}

static const char *jstr(json_t *j, const char *key)
{
	json_t *v = json_object_get(j, key);

	if (!json_is_string(v))
		fail_msg("%s is not a string", key);
	return json_string_value(v);
}

static long long jint(json_t *j, const char *key)
{
	json_t *v = json_object_get(j, key);

	if (!json_is_integer(v))
		fail_msg("%s is not an integer", key);
	return json_integer_value(v);
}

/* The array at key holds exactly the strings of want (NULL-terminated), in order. */
static void jarr(json_t *j, const char *key, const char *const *want)
{
	json_t *a = json_object_get(j, key);
	size_t n = 0;

	assert_true(json_is_array(a));
	while (want[n])
		n++;
	assert_int_equal(json_array_size(a), n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(json_string_value(json_array_get(a, i)), want[i]);
}

static struct parsed *parse_cat(enum log_category cat, enum log_level lvl, const char *msg)
{
	struct parsed *p;

	p = parse(msg);
	p->e.category = cat;
	p->e.level = lvl;
	return p;
}

static void test_ecs_exact(void **state)
{
	struct parsed *p = parse_cat(LOGC_SECURITY, LOG_WARN,
				     "security event type=sql_injection severity=high "
				     "source=10.0.0.9 service=api method=GET pid=0 uid=0 count=1 "
				     "detail=\"union select in query, status 200\"");
	char line[LOGFMT_LINE_MAX];

	(void)state;
	logfmt_ecs(&p->e, line, sizeof(line));
	assert_string_equal(
		line,
		"{\"@timestamp\":\"2025-11-26T01:50:30.289Z\",\"log.level\":\"warn\","
		"\"message\":\"security event\",\"ecs.version\":\"8.11.0\","
		"\"service.name\":\"biothings-observer\",\"event.kind\":\"alert\","
		"\"event.category\":[\"intrusion_detection\",\"web\"],\"event.type\":[\"info\"],"
		"\"event.action\":\"sql_injection\",\"event.dataset\":\"biothings_observer.security\","
		"\"event.module\":\"biothings_observer\",\"event.severity\":73,"
		"\"rule.name\":\"sql_injection\",\"source.address\":\"10.0.0.9\","
		"\"source.ip\":\"10.0.0.9\",\"service.target.name\":\"api\","
		"\"http.request.method\":\"GET\",\"labels.count\":\"1\","
		"\"event.reason\":\"union select in query, status 200\"}\n");

	p = parse_cat(LOGC_AUDIT, LOG_INFO,
		      "api write method=\"POST\" path=\"/costs/track/llm?dry=1#x\" status=403 "
		      "source=::1 source_port=50412");
	logfmt_ecs(&p->e, line, sizeof(line));
	assert_string_equal(
		line,
		"{\"@timestamp\":\"2025-11-26T01:50:30.289Z\",\"log.level\":\"info\","
		"\"message\":\"api write\",\"ecs.version\":\"8.11.0\","
		"\"service.name\":\"biothings-observer\",\"event.kind\":\"event\","
		"\"event.category\":[\"api\"],\"event.type\":[\"denied\"],"
		"\"event.action\":\"api-write\",\"event.dataset\":\"biothings_observer.audit\","
		"\"event.module\":\"biothings_observer\",\"event.outcome\":\"failure\","
		"\"process.pid\":42,\"process.name\":\"biothings-observer\","
		"\"http.request.method\":\"POST\",\"url.path\":\"/costs/track/llm\","
		"\"url.query\":\"dry=1\",\"url.original\":\"/costs/track/llm?dry=1#x\","
		"\"http.response.status_code\":403,\"source.address\":\"::1\","
		"\"source.ip\":\"::1\",\"source.port\":50412}\n");
	json_decref(ecs_of(&p->e, sizeof(line)));
}

/* ECS 8.11's expected event types per category (ecs-allowed-values-event-category). */
static const struct {
	const char *category;
	const char *types;
} ecs_expected[] = {
	{ "api", " access admin allowed change creation deletion denied end info start user " },
	{ "authentication", " start end info " },
	{ "configuration", " access change creation deletion info " },
	{ "file", " access change creation deletion info " },
	{ "iam", " admin change creation deletion group info user " },
	{ "intrusion_detection", " allowed denied info " },
	{ "network", " access allowed connection denied end info protocol start " },
	{ "process", " access change end info start " },
	{ "web", " access error info " },
};

/* Every category is ECS's, every type is expected by one of the categories and each
 * category expects at least one of the types. */
static void check_categorisation(json_t *j)
{
	json_t *cats = json_object_get(j, "event.category"),
	       *types = json_object_get(j, "event.type");
	size_t ci, ti;
	json_t *c, *t;

	if (!cats) {
		assert_null(types);
		return;
	}
	assert_true(json_array_size(cats) > 0 && json_array_size(types) > 0);
	json_array_foreach(cats, ci, c)
	{
		size_t k = 0, hits = 0;
		char word[32];

		while (k < sizeof(ecs_expected) / sizeof(*ecs_expected) &&
		       strcmp(ecs_expected[k].category, json_string_value(c)))
			k++;
		if (k == sizeof(ecs_expected) / sizeof(*ecs_expected))
			fail_msg("category %s is not ECS's", json_string_value(c));
		json_array_foreach(types, ti, t)
		{
			snprintf(word, sizeof(word), " %s ", json_string_value(t));
			hits += strstr(ecs_expected[k].types, word) != NULL;
		}
		if (!hits)
			fail_msg("no type of %s expected", json_string_value(c));
	}
	json_array_foreach(types, ti, t)
	{
		bool some = false;
		char word[32];

		snprintf(word, sizeof(word), " %s ", json_string_value(t));
		json_array_foreach(cats, ci, c)
		{
			for (size_t k = 0; k < sizeof(ecs_expected) / sizeof(*ecs_expected); k++)
				some |= !strcmp(ecs_expected[k].category, json_string_value(c)) &&
					strstr(ecs_expected[k].types, word);
		}
		if (!some)
			fail_msg("type %s expected by none of the categories",
				 json_string_value(t));
	}
}

static void test_ecs_security_types(void **state)
{
	static const struct {
		const char *sev;
		long long n;
	} sev[] = { { "low", 21 }, { "medium", 47 }, { "high", 73 }, { "critical", 99 } };
	char msg[256];

	(void)state;
	for (int t = 0; t < SEC__COUNT; t++) {
		const char *name = sec_type_name((enum sec_type)t),
			   *want_sev = sec_type_severity(t);
		struct parsed *p;
		json_t *j, *cats;
		long long n = -1;

		snprintf(msg, sizeof(msg),
			 "security event type=%s severity=%s source=10.203.0.2 service=svc "
			 "method= pid=77 uid=65534 count=3 detail=\"d\"",
			 name, want_sev);
		p = parse_cat(LOGC_SECURITY, LOG_WARN, msg);
		j = ecs_of(&p->e, LOGFMT_LINE_MAX);
		for (size_t i = 0; i < sizeof(sev) / sizeof(*sev); i++)
			n = strcmp(sev[i].sev, want_sev) ? n : sev[i].n;
		assert_string_equal(jstr(j, "event.kind"), "alert");
		assert_string_equal(jstr(j, "event.action"), name);
		assert_string_equal(jstr(j, "rule.name"), name);
		assert_int_equal(jint(j, "event.severity"), n);
		cats = json_object_get(j, "event.category");
		/* a known type is more than the fallback: some category besides IDS */
		if (json_array_size(cats) < 2)
			fail_msg("%s has only the fallback category", name);
		assert_string_equal(json_string_value(json_array_get(cats, 0)),
				    t == SEC_AUTH_FAILURE_BURST ? "authentication" :
								  "intrusion_detection");
		check_categorisation(j);
		assert_int_equal(jint(j, "process.pid"), 77);
		assert_string_equal(jstr(j, "user.id"), "65534");
		assert_string_equal(jstr(j, "service.target.name"), "svc");
		assert_null(json_object_get(j, "http.request.method")); /* empty: left out */
		assert_null(json_object_get(j, "labels.type"));
		assert_null(json_object_get(j, "labels.severity"));
		assert_null(json_object_get(j, "process.name")); /* never the observer's own */
		/* the far end of an upload is a destination */
		assert_string_equal(jstr(j, t == SEC_DATA_EXFILTRATION ? "destination.ip" :
									 "source.ip"),
				    "10.203.0.2");
		assert_null(json_object_get(j, t == SEC_DATA_EXFILTRATION ? "source.ip" :
									    "destination.ip"));
		if (t == SEC_AUTH_FAILURE_BURST)
			assert_string_equal(jstr(j, "event.outcome"), "failure");
		json_decref(j);
	}
}

static void test_ecs_other_categories(void **state)
{
	static const struct {
		enum log_category cat;
		const char *msg, *action, *category, *type;
	} cases[] = {
		{ LOGC_AUDIT, "api write method=\"POST\" path=\"/x\" status=201 source=127.0.0.1",
		  "api-write", "api", "change" },
		{ LOGC_AUDIT, "api write method=\"POST\" path=\"/x\" status=401", "api-write",
		  "api", "denied" },
		{ LOGC_AUDIT, "process exec pid=10 uid=0 comm=\"sh\" exe=\"/bin/sh\"",
		  "process-exec", "process", "start" },
		{ LOGC_AUDIT, "config loaded file=\"/etc/o.yaml\"", "config-loaded",
		  "configuration", "change" },
		{ LOGC_AUDIT, "budget status changed period=daily from=ok to=warning",
		  "budget-status-changed", NULL, NULL },
		{ LOGC_SYSTEM, "observing listen=127.0.0.1:9464", "observing", "process", "start" },
		{ LOGC_SYSTEM, "stopped rc=0", "stopped", "process", "end" },
		{ LOGC_SYSTEM, "cost engine ready models=12", "cost-engine-ready", "process",
		  "info" },
		{ LOGC_BUSINESS, "experiment started", "experiment-started", NULL, NULL },
		{ LOGC_PERFORMANCE, "slow path ms=12", "slow-path", NULL, NULL },
		{ LOGC_SECURITY, "security event without a type", "security-event-without-a-type",
		  "intrusion_detection", "info" },
		{ LOGC_SECURITY, "security event type=new_kind", "new_kind", "intrusion_detection",
		  "info" },
		{ LOGC_SECURITY, "type=!!! x=1", "log", "intrusion_detection", "info" },
		{ LOGC_BUSINESS, "", "log", NULL, NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct parsed *p = parse_cat(cases[i].cat, LOG_INFO, cases[i].msg);
		json_t *j = ecs_of(&p->e, LOGFMT_LINE_MAX);
		char ds[64];

		assert_string_equal(jstr(j, "event.action"), cases[i].action);
		assert_string_equal(jstr(j, "event.kind"),
				    cases[i].cat == LOGC_SECURITY ? "alert" : "event");
		snprintf(ds, sizeof(ds), "biothings_observer.%s",
			 logfmt_category_name(cases[i].cat));
		assert_string_equal(jstr(j, "event.dataset"), ds);
		if (cases[i].category) {
			jarr(j, "event.category", (const char *const[]){ cases[i].category, NULL });
			jarr(j, "event.type", (const char *const[]){ cases[i].type, NULL });
		} else {
			assert_null(json_object_get(j, "event.category"));
		}
		check_categorisation(j);
		json_decref(j);
	}
}

static void test_ecs_fields(void **state)
{
	struct parsed *p;
	json_t *j;

	(void)state;
	/* values that do not fit the ECS type stay labels; the observer's own process */
	p = parse_cat(LOGC_SYSTEM, LOG_WARN,
		      "odd pid=12x source=uid source_port=70000 status=abc ppid=-1 "
		      "err=\"No such file\" url=https://api.example/v1 file=/a path=/b "
		      "dest=fe80::1%eth0 comm=x");
	j = ecs_of(&p->e, LOGFMT_LINE_MAX);
	assert_string_equal(jstr(j, "labels.pid"), "12x");
	assert_string_equal(jstr(j, "labels.source"), "uid");
	assert_string_equal(jstr(j, "labels.source_port"), "70000");
	assert_string_equal(jstr(j, "labels.status"), "abc");
	assert_string_equal(jstr(j, "labels.ppid"), "-1"); /* not the observer's parent */
	assert_string_equal(jstr(j, "labels.comm"), "x");
	assert_string_equal(jstr(j, "labels.dest"), "fe80::1%eth0");
	assert_int_equal(jint(j, "process.pid"), 42);
	assert_string_equal(jstr(j, "process.name"), "biothings-observer");
	assert_string_equal(jstr(j, "error.message"), "No such file");
	assert_string_equal(jstr(j, "url.full"), "https://api.example/v1");
	assert_string_equal(jstr(j, "file.path"), "/a");
	assert_string_equal(jstr(j, "labels.path"), "/b"); /* file.path was taken */
	assert_null(json_object_get(j, "url.path"));
	assert_null(json_object_get(j, "tags"));
	json_decref(j);

	/* pid=0: no process, so neither pid nor uid; names like the fixed keys stay labels */
	p = parse_cat(LOGC_SECURITY, LOG_WARN,
		      "e type=scanner pid=0 uid=1000 tgid=5 message=m tags=t labels=l "
		      "ecs.version=1 err=-12 status=200 method=GET dest_port=443 "
		      "destination=192.0.2.1");
	j = ecs_of(&p->e, LOGFMT_LINE_MAX);
	assert_null(json_object_get(j, "user.id"));
	assert_null(json_object_get(j, "labels.uid"));
	assert_null(json_object_get(j, "labels.pid"));
	assert_int_equal(jint(j, "process.pid"), 5); /* from tgid */
	assert_string_equal(jstr(j, "message"), "e");
	assert_string_equal(jstr(j, "labels.message"), "m");
	assert_string_equal(jstr(j, "labels.tags"), "t");
	assert_string_equal(jstr(j, "labels.labels"), "l");
	assert_string_equal(jstr(j, "labels.ecs_version"), "1");
	assert_string_equal(jstr(j, "error.code"), "-12");
	assert_int_equal(jint(j, "http.response.status_code"), 200);
	assert_int_equal(jint(j, "destination.port"), 443);
	assert_string_equal(jstr(j, "destination.address"), "192.0.2.1");
	json_decref(j);

	/* two keys that make one label name: the first kept, the line says it lost one */
	p = parse_cat(LOGC_SYSTEM, LOG_INFO, "k k.e-y=1 k_e_y=2 pid=7 tgid=8 K=3");
	j = ecs_of(&p->e, LOGFMT_LINE_MAX);
	assert_string_equal(jstr(j, "labels.k_e_y"), "1");
	assert_string_equal(jstr(j, "labels.K"), "3");
	assert_int_equal(jint(j, "process.pid"), 7);
	assert_string_equal(jstr(j, "labels.tgid"), "8");
	assert_null(json_object_get(j, "process.name")); /* pid 7 is not the observer */
	jarr(j, "tags", (const char *const[]){ "truncated", NULL });
	json_decref(j);

	/* joining words or making a label name must not build a key's shape */
	p = parse_cat(LOGC_SYSTEM, LOG_INFO,
		      "keys sk proj1234567890ABCDEFG sk.abcdefghijklmnop1234=1");
	j = ecs_of(&p->e, LOGFMT_LINE_MAX);
	assert_string_equal(jstr(j, "message"), "keys sk proj1234567890ABCDEFG");
	assert_string_equal(jstr(j, "event.action"), "keys-redacted");
	assert_null(json_object_get(j, "labels.sk_abcdefghijklmnop1234"));
	jarr(j, "tags", (const char *const[]){ "truncated", NULL });
	json_decref(j);

	/* an HTTP status makes path= a URL even without a method; a refused API call */
	p = parse_cat(LOGC_SECURITY, LOG_INFO,
		      "api request refused reason=unauthorized status=401 "
		      "path=\"/costs/track/llm?x=1\" source=127.0.0.1");
	j = ecs_of(&p->e, LOGFMT_LINE_MAX);
	assert_string_equal(jstr(j, "event.kind"), "alert");
	assert_string_equal(jstr(j, "event.action"), "api-request-refused");
	jarr(j, "event.category", (const char *const[]){ "api", "intrusion_detection", NULL });
	jarr(j, "event.type", (const char *const[]){ "denied", NULL });
	check_categorisation(j);
	assert_string_equal(jstr(j, "url.path"), "/costs/track/llm");
	assert_int_equal(jint(j, "http.response.status_code"), 401);
	assert_string_equal(jstr(j, "labels.reason"), "unauthorized");
	assert_null(json_object_get(j, "rule.name"));
	assert_null(json_object_get(j, "file.path"));
	json_decref(j);

	/* uid=0 is root outside security events */
	p = parse_cat(LOGC_AUDIT, LOG_INFO, "process exec pid=9 uid=0");
	j = ecs_of(&p->e, LOGFMT_LINE_MAX);
	assert_string_equal(jstr(j, "user.id"), "0");
	json_decref(j);
}

static void test_ecs_redacted(void **state)
{
	struct parsed *p =
		parse_cat(LOGC_SECURITY, LOG_WARN,
			  "call Authorization: Bearer sk-abcdefghijklmnop1234 password=hunter2 "
			  "type=secret_in_prompt url=https://u:pw@h/x?api_key=k1 "
			  "path=\"/login?token=abc\" method=POST detail=\"x-api-key: k2\"");
	char line[LOGFMT_LINE_MAX];
	json_t *j;

	(void)state;
	logfmt_ecs(&p->e, line, sizeof(line));
	assert_null(strstr(line, "hunter2"));
	assert_null(strstr(line, "sk-abc"));
	assert_null(strstr(line, "pw@"));
	assert_null(strstr(line, "k1"));
	assert_null(strstr(line, "k2"));
	assert_null(strstr(line, "token=abc"));
	j = ecs_of(&p->e, sizeof(line));
	assert_string_equal(jstr(j, "url.full"), "https://u:[REDACTED]@h/x?api_key=[REDACTED]");
	assert_string_equal(jstr(j, "labels.path"), "/login?token=[REDACTED]"); /* url.* taken */
	assert_string_equal(jstr(j, "message"), "call Authorization: [REDACTED]");
	assert_string_equal(jstr(j, "labels.password"), LOGFMT_REDACTED);
	json_decref(j);
}

/* Bytes the keys after the message take: the end of the line after the message (without
 * fields); logfmt.c reserves ECS_HEAD_MAX (512) for them. */
static size_t ecs_head_len(const char *line)
{
	const char *h = strstr(line, "\",\"ecs.version\"");

	assert_non_null(h);
	return strlen(h) - 2;
}

static void test_ecs_bounds(void **state)
{
	char big[LOG_MSG_MAX * 2], line[LOGFMT_ECS_RENDER_MIN];
	struct parsed *p;
	json_t *j;
	size_t n;

	(void)state;
	/* the longest head: a 64-byte action twice (event.action, rule.name) and the
	 * widest category, or the observer's own process with the largest pid */
	p = parse_cat(LOGC_SECURITY, LOG_ERROR,
		      "type=a_very_long_detector_name_that_fills_every_byte_of_an_action_xyz_more "
		      "severity=critical");
	p->e.pid = UINT32_MAX;
	n = logfmt_ecs(&p->e, line, sizeof(line));
	assert_true(n > 0 && ecs_head_len(line) < 512);
	assert_non_null(strstr(line, "\"rule.name\":\"a_very_long_detector_name_that_fills_"
				     "every_byte_of_an_action_xyz\""));
	assert_non_null(strstr(line, "\"labels.type\":\"a_very_long")); /* not the action */
	p = parse_cat(LOGC_AUDIT, LOG_ERROR,
		      "api write with a message much longer than any action may be, cut at "
		      "sixty four bytes method=GET status=500");
	p->e.pid = UINT32_MAX;
	n = logfmt_ecs(&p->e, line, sizeof(line));
	assert_true(n > 0 && ecs_head_len(line) < 512);
	assert_non_null(strstr(line, "\"process.pid\":4294967295"));
	assert_non_null(strstr(line, "\"event.action\":\"api-write-with-a-message-much-longer-"
				     "than-any-action-may-be-cut\"")); /* no cut word */
	p = parse_cat(LOGC_SECURITY, LOG_WARN, "type=auth_failure_burst severity=high");
	n = logfmt_ecs(&p->e, line, sizeof(line));
	assert_true(n > 0 && ecs_head_len(line) < 512);
	/* ... and with a message that would fill the line, the head still whole */
	n = (size_t)snprintf(big, sizeof(big), "%s",
			     "type=a_very_long_detector_name_that_fills_"
			     "every_byte_of_an_action_xyz severity=critical");
	for (int i = 0; i < 200; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, " word%d", i);
	p = parse_cat(LOGC_SECURITY, LOG_WARN, big);
	j = ecs_of(&p->e, sizeof(line));
	assert_int_equal(jint(j, "event.severity"), 99);
	assert_true(strlen(jstr(j, "rule.name")) == 64);
	jarr(j, "tags", (const char *const[]){ "truncated", NULL });
	json_decref(j);

	/* below the minimum: nothing */
	assert_int_equal(logfmt_ecs(&p->e, line, LOGFMT_ECS_RENDER_MIN - 1), 0);
	assert_int_equal(logfmt_ecs(NULL, line, sizeof(line)), 0);

	/* a long message and long fields in the smallest buffer: valid, flagged, head whole */
	n = (size_t)snprintf(big, sizeof(big), "%s", "word ");
	for (int i = 0; i < 300; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "w%d ", i);
	snprintf(big + n, sizeof(big) - n,
		 "type=privilege_escalation severity=critical pid=1 source=10.0.0.1 k=\"%0600d\"",
		 7);
	p = parse_cat(LOGC_SECURITY, LOG_WARN, big);
	n = logfmt_ecs(&p->e, line, sizeof(line));
	assert_true(n > 0 && n < sizeof(line));
	j = json_loads(line, JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(j);
	jarr(j, "tags", (const char *const[]){ "truncated", NULL });
	assert_string_equal(jstr(j, "rule.name"), "privilege_escalation");
	assert_int_equal(jint(j, "event.severity"), 99);
	assert_int_equal(jint(j, "process.pid"), 1);
	assert_null(json_object_get(j, "labels.k"));
	assert_true(strlen(jstr(j, "message")) < strlen(big) / 2);
	json_decref(j);

	/* a cut entry is flagged even when everything it kept fits */
	p = parse_cat(LOGC_SYSTEM, LOG_INFO, "short");
	p->e.truncated = true;
	j = ecs_of(&p->e, LOGFMT_LINE_MAX);
	jarr(j, "tags", (const char *const[]){ "truncated", NULL });
	json_decref(j);

	/* escapes that grow six-fold still fit a full-size line */
	memset(big, '\x01', LOG_MSG_MAX - 1);
	big[LOG_MSG_MAX - 1] = '\0';
	p = parse(big);
	json_decref(ecs_of(&p->e, LOGFMT_LINE_MAX));
}

/* Random messages from tokens that reach every mapping, broken bytes included: each
 * renders, at full size and cut, as one JSON object without a repeated key. */
static void test_ecs_garbage(void **state)
{
	static const char *const toks[] = {
		"pid=",
		"tgid=",
		"uid=",
		"ppid=",
		"source=",
		"dest=",
		"path=",
		"url=",
		"err=",
		"status=",
		"method=",
		"type=",
		"severity=",
		"k.a=",
		"k_a=",
		"k-a=",
		"service=",
		"detail=\"",
		"0",
		"1",
		"65536",
		"4294967296",
		"-1",
		"::1",
		"10.1.2.3",
		"1.2.3",
		"/a?b#c",
		"?",
		"#",
		"https://x/",
		"\xff",
		"\xc3\xa9",
		"\"",
		"\\",
		" ",
		" ",
		"\x01",
		"high",
		"critical",
		"sql_injection",
		"data_exfiltration",
		"=",
	};
	static const enum log_category cats[] = { LOGC_SYSTEM, LOGC_SECURITY, LOGC_AUDIT,
						  LOGC_BUSINESS, (enum log_category)7 };
	char msg[512], small[LOGFMT_ECS_RENDER_MIN];
	uint32_t seed = 12345;

	(void)state;
	for (int round = 0; round < 3000; round++) {
		size_t n = 0;
		struct parsed *p;
		json_t *j;

		msg[0] = '\0';
		for (int k = 0; k < 40 && n < sizeof(msg) - 32; k++) {
			seed = seed * 1103515245u + 12345u;
			n += (size_t)snprintf(msg + n, sizeof(msg) - n, "%s",
					      toks[(seed >> 16) % (sizeof(toks) / sizeof(*toks))]);
		}
		p = parse(msg);
		p->e.category = cats[round % 5];
		json_decref(ecs_of(&p->e, LOGFMT_LINE_MAX));
		n = logfmt_ecs(&p->e, small, sizeof(small));
		assert_true(n > 0 && n < sizeof(small) && small[n - 1] == '\n');
		j = json_loads(small, JSON_REJECT_DUPLICATES, NULL);
		if (!j)
			fail_msg("cut ECS line is not JSON: %s", small);
		json_decref(j);
	}
}

/* ---- log.c end to end ---- */

static char log_path[64];

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

static int setup_log(void **state)
{
	int fd;

	(void)state;
	snprintf(log_path, sizeof(log_path), "/tmp/test_logfmt.XXXXXX");
	fd = mkstemp(log_path);
	if (fd < 0)
		return -1;
	close(fd);
	log_set_level("info");
	return log_setup("json", log_path);
}

static int teardown_log(void **state)
{
	(void)state;
	log_set_sink(NULL, NULL);
	log_setup("text", NULL);
	unlink(log_path);
	return 0;
}

struct sink_seen {
	int n;
	enum log_category cat;
	char message[128];
	char field[64];
	bool recurse;
};

static void sink(void *ctx, const struct log_entry *e)
{
	struct sink_seen *s = ctx;

	s->n++;
	s->cat = e->category;
	snprintf(s->message, sizeof(s->message), "%s", e->message);
	snprintf(s->field, sizeof(s->field), "%s", e->n_fields ? e->fields[0].value : "");
	if (s->recurse) /* written to the file, but not fed back to the sink */
		log_warn("from inside the sink depth=%d", s->n);
}

static void test_log_file_and_sink(void **state)
{
	struct sink_seen seen = { 0 };
	char *text, *line2;
	json_t *j;

	(void)state;
	assert_int_equal(log_setup("yaml", NULL), -EINVAL);
	log_set_sink(sink, &seen);
	log_info("cost engine ready models=%d password=%s", 12, "hunter2");
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.cat, LOGC_SYSTEM);
	assert_string_equal(seen.message, "cost engine ready");
	assert_string_equal(seen.field, "12");
	log_debug("not at this level x=1");
	assert_int_equal(seen.n, 1);
	seen.recurse = true;
	log_cat(LOG_WARN, LOGC_SECURITY, "security event type=scanner source=10.0.0.9");
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.cat, LOGC_SECURITY);

	text = slurp(log_path);
	assert_null(strstr(text, "hunter2"));
	j = json_loads(text, JSON_DISABLE_EOF_CHECK, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "message")), "cost engine ready");
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(j, "fields"), "models")), 12);
	assert_int_equal(json_integer_value(json_object_get(j, "pid")), getpid());
	json_decref(j);
	line2 = strchr(text, '\n') + 1;
	j = json_loads(line2, JSON_DISABLE_EOF_CHECK, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "category")), "security");
	json_decref(j);
	assert_non_null(strstr(line2, "\"message\":\"from inside the sink\""));
	free(text);
}

static void test_log_text_and_audit(void **state)
{
	struct sink_seen seen = { 0 };
	char *text;

	(void)state;
	assert_int_equal(log_setup("text", log_path), 0);
	log_set_sink(sink, &seen);
	log_set_level("error");
	/* the audit trail ignores the level; the glob decides */
	assert_int_equal(log_audit_exec("/usr/bin/*", 10, 1, 0, "py thon", "/usr/bin/python3"), 1);
	assert_int_equal(log_audit_exec("/usr/bin/*", 11, 1, 0, "sh", "/bin/sh"), 0);
	assert_int_equal(log_audit_exec("", 12, 1, 0, "sh", "/usr/bin/sh"), 0);
	assert_int_equal(log_audit_exec(NULL, 12, 1, 0, "sh", "/usr/bin/sh"), 0);
	assert_int_equal(log_audit_exec("*", 13, 0, 5, NULL, "/opt/a b"), 1); /* ppid unknown */
	log_warn("below the level");
	log_set_level("info");
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.cat, LOGC_AUDIT);
	text = slurp(log_path);
	assert_non_null(strstr(text, "msg=process exec pid=13 uid=5 comm=\"\" exe=\"/opt/a b\"\n"));
	assert_non_null(strstr(text, "level=info category=audit msg=process exec pid=10 ppid=1 "
				     "uid=0 comm=\"py thon\" exe=\"/usr/bin/python3\"\n"));
	assert_null(strstr(text, "below the level"));
	assert_null(strstr(text, "/bin/sh"));
	free(text);
}

static void test_log_ecs_file(void **state)
{
	char *text, *line, *save = NULL;
	int n = 0;

	(void)state;
	assert_int_equal(log_setup("ECS", log_path), -EINVAL);
	assert_int_equal(log_setup("ecs", log_path), 0);
	log_info("cost engine ready models=%d password=%s", 12, "hunter2");
	log_cat(LOG_WARN, LOGC_SECURITY, "security event type=xss severity=high source=10.0.0.9");
	log_audit_exec("*", 13, 1, 5, "sh", "/bin/sh");
	text = slurp(log_path);
	assert_null(strstr(text, "hunter2"));
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save), n++) {
		json_t *j = json_loads(line, JSON_REJECT_DUPLICATES, NULL);
		static const char *const action[] = { "cost-engine-ready", "xss", "process-exec" };

		if (!j)
			fail_msg("line %d is not JSON: %.80s", n, line);
		assert_true(n < 3);
		assert_string_equal(jstr(j, "event.action"), action[n]);
		assert_string_equal(jstr(j, "ecs.version"), LOGFMT_ECS_VERSION);
		if (n == 0)
			assert_int_equal(jint(j, "process.pid"), getpid());
		if (n == 1)
			assert_string_equal(jstr(j, "source.ip"), "10.0.0.9");
		if (n == 2)
			assert_int_equal(jint(j, "process.pid"), 13);
		json_decref(j);
	}
	assert_int_equal(n, 3);
	free(text);
}

#define THREADS 4
#define LINES 300

static void *log_thread(void *arg)
{
	long id = (long)(intptr_t)arg;

	for (int i = 0; i < LINES; i++)
		log_info("thread line thread=%ld i=%d pad=\"%0200d\"", id, i, i);
	return NULL;
}

static void test_log_threads(void **state)
{
	pthread_t t[THREADS];
	char *text, *line, *save = NULL;
	int lines = 0;

	(void)state;
	for (long i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, log_thread, (void *)(intptr_t)i), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	text = slurp(log_path);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_t *j = json_loads(line, 0, NULL);

		if (!j)
			fail_msg("line %d is not JSON: %.80s", lines, line);
		json_decref(j);
		lines++;
	}
	assert_int_equal(lines, THREADS * LINES);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_shapes),
		cmocka_unit_test(test_json_exact),
		cmocka_unit_test(test_text_exact),
		cmocka_unit_test(test_control_and_utf8),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_redact_shapes),
		cmocka_unit_test(test_redact_ordinary),
		cmocka_unit_test(test_redact_fields),
		cmocka_unit_test(test_redact_bounds),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_quote),
		cmocka_unit_test(test_ecs_exact),
		cmocka_unit_test(test_ecs_security_types),
		cmocka_unit_test(test_ecs_other_categories),
		cmocka_unit_test(test_ecs_fields),
		cmocka_unit_test(test_ecs_redacted),
		cmocka_unit_test(test_ecs_bounds),
		cmocka_unit_test(test_ecs_garbage),
		cmocka_unit_test_setup_teardown(test_log_file_and_sink, setup_log, teardown_log),
		cmocka_unit_test_setup_teardown(test_log_text_and_audit, setup_log, teardown_log),
		cmocka_unit_test_setup_teardown(test_log_threads, setup_log, teardown_log),
		cmocka_unit_test_setup_teardown(test_log_ecs_file, setup_log, teardown_log),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
