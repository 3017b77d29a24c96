// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * otlp: the exact OTLP/JSON bytes of spans (ids, times, kinds, every
 * attribute type, status), grouping by service, escaping and UTF-8 repair
 * of garbage, the text and attribute limits, trace-id ratio sampling at
 * its boundaries, and url.path / url.query redaction.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otlp.h"

#ifndef BT_VERSION
#define BT_VERSION "0"
#endif

static void ids(struct otlp_span *s, uint8_t t, uint8_t sp, uint8_t parent)
{
	memset(s->trace_id, t, sizeof(s->trace_id));
	memset(s->span_id, sp, sizeof(s->span_id));
	memset(s->parent_id, parent, sizeof(s->parent_id));
}

static char *encode(struct otlp_span **spans, size_t n)
{
	char *out = NULL;
	size_t len = 0;

	assert_int_equal(otlp_encode_json((const struct otlp_span *const *)spans, n, &out, &len),
			 0);
	assert_non_null(out);
	assert_int_equal(strlen(out), len);
	return out;
}

#define RES(svc)                                                                                       \
	"{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":\"" svc   \
	"\"}}]},\"scopeSpans\":[{\"scope\":{\"name\":\"biothings-observer\",\"version\":\"" BT_VERSION \
	"\"},\"spans\":["
#define RES_END "]}]}"

static void test_server_span_exact(void **state)
{
	struct otlp_span *s = otlp_span__new(OTLP_KIND_SERVER, "nginx", "GET /api/{id}");
	char *json;

	(void)state;
	assert_non_null(s);
	ids(s, 0xab, 0x01, 0);
	s->start_ns = 1700000000000000000ull;
	s->end_ns = 1700000000123456789ull;
	assert_int_equal(otlp_span__set_str(s, "http.request.method", "GET"), 0);
	assert_int_equal(otlp_span__set_int(s, "http.response.status_code", 503), 0);
	assert_int_equal(otlp_span__set_status(s, OTLP_STATUS_ERROR, "503"), 0);
	json = encode(&s, 1);
	assert_string_equal(
		json,
		"{\"resourceSpans\":[" RES(
			"nginx") "{\"traceId\":\"abababababababababababababababab\","
				 "\"spanId\":\"0101010101010101\",\"name\":\"GET /api/{id}\",\"kind\":2,"
				 "\"startTimeUnixNano\":\"1700000000000000000\","
				 "\"endTimeUnixNano\":\"1700000000123456789\",\"attributes\":["
				 "{\"key\":\"http.request.method\",\"value\":{\"stringValue\":\"GET\"}},"
				 "{\"key\":\"http.response.status_code\",\"value\":{\"intValue\":\"503\"}}],"
				 "\"status\":{\"code\":2,\"message\":\"503\"}}" RES_END "]}");
	free(json);
	otlp_span__free(s);
}

static void test_child_span_and_types(void **state)
{
	struct otlp_span *s = otlp_span__new(OTLP_KIND_CLIENT, NULL, "chat gpt-4o");
	const char *fin[] = { "stop", "length" };
	char *json;

	(void)state;
	ids(s, 0x10, 0x20, 0x30);
	s->start_ns = 5;
	s->end_ns = 3; /* before its start: clamped */
	otlp_span__set_int(s, "a", INT64_MIN);
	otlp_span__set_double(s, "b", 0.1);
	otlp_span__set_double(s, "c", NAN);
	otlp_span__set_double(s, "d", -INFINITY);
	otlp_span__set_bool(s, "e", true);
	otlp_span__set_strs(s, "f", fin, 2);
	otlp_span__set_double(s, "g", 2);
	otlp_span__set_status(s, OTLP_STATUS_OK, NULL);
	json = encode(&s, 1);
	assert_string_equal(
		json,
		"{\"resourceSpans\":[" RES(
			"unknown_service") "{\"traceId\":\"10101010101010101010101010101010\",\"spanId\":"
					   "\"2020202020202020\",\"parentSpanId\":\"3030303030303030\",\"name\":"
					   "\"chat gpt-4o\",\"kind\":3,\"startTimeUnixNano\":\"5\",\"endTimeUnixNano\":"
					   "\"5\",\"attributes\":["
					   "{\"key\":\"a\",\"value\":{\"intValue\":\"-9223372036854775808\"}},"
					   "{\"key\":\"b\",\"value\":{\"doubleValue\":0.1}},"
					   "{\"key\":\"c\",\"value\":{\"doubleValue\":\"NaN\"}},"
					   "{\"key\":\"d\",\"value\":{\"doubleValue\":\"-Infinity\"}},"
					   "{\"key\":\"e\",\"value\":{\"boolValue\":true}},"
					   "{\"key\":\"f\",\"value\":{\"arrayValue\":{\"values\":[{\"stringValue\":"
					   "\"stop\"},{\"stringValue\":\"length\"}]}}},"
					   "{\"key\":\"g\",\"value\":{\"doubleValue\":2}}],"
					   "\"status\":{\"code\":1}}" RES_END "]}");
	free(json);
	otlp_span__free(s);
}

static void test_group_by_service(void **state)
{
	struct otlp_span *s[4];
	json_t *root, *rs;
	char *json;

	(void)state;
	s[0] = otlp_span__new(OTLP_KIND_SERVER, "b", "one");
	s[1] = otlp_span__new(OTLP_KIND_SERVER, "a", "two");
	s[2] = otlp_span__new(OTLP_KIND_SERVER, "b", "three");
	s[3] = otlp_span__new(OTLP_KIND_SERVER, "", "four"); /* unknown_service */
	for (int i = 0; i < 4; i++)
		ids(s[i], (uint8_t)(i + 1), (uint8_t)(i + 1), 0);
	json = encode(s, 4);
	root = json_loads(json, 0, NULL);
	assert_non_null(root);
	rs = json_object_get(root, "resourceSpans");
	assert_int_equal(json_array_size(rs), 3);
	{
		static const char *const svc[] = { "a", "b", "unknown_service" };
		static const size_t count[] = { 1, 2, 1 };
		static const char *const first[] = { "two", "one", "four" };

		for (size_t i = 0; i < 3; i++) {
			json_t *r = json_array_get(rs, i);
			json_t *attr = json_array_get(
				json_object_get(json_object_get(r, "resource"), "attributes"), 0);
			json_t *spans = json_object_get(
				json_array_get(json_object_get(r, "scopeSpans"), 0), "spans");

			assert_string_equal(json_string_value(json_object_get(
						    json_object_get(attr, "value"), "stringValue")),
					    svc[i]);
			assert_int_equal(json_array_size(spans), count[i]);
			assert_string_equal(json_string_value(json_object_get(
						    json_array_get(spans, 0), "name")),
					    first[i]);
		}
		assert_string_equal(
			json_string_value(json_object_get(
				json_array_get(json_object_get(
						       json_array_get(json_object_get(
									      json_array_get(rs, 1),
									      "scopeSpans"),
								      0),
						       "spans"),
					       1),
				"name")),
			"three");
	}
	json_decref(root);
	free(json);
	for (int i = 0; i < 4; i++)
		otlp_span__free(s[i]);
}

static void test_empty_batch_and_einval(void **state)
{
	char *out = NULL;
	size_t len;

	(void)state;
	assert_int_equal(otlp_encode_json(NULL, 0, &out, &len), 0);
	assert_string_equal(out, "{\"resourceSpans\":[]}");
	free(out);
	assert_int_equal(otlp_encode_json(NULL, 1, &out, &len), -EINVAL);
	assert_int_equal(otlp_encode_json(NULL, 0, NULL, &len), -EINVAL);
}

static void test_escaping_and_utf8(void **state)
{
	struct otlp_span *s = otlp_span__new(OTLP_KIND_SERVER, "svc\"x", "a\\b\n\x01\x7f");
	char *json;

	(void)state;
	ids(s, 1, 1, 0);
	/* invalid: lone continuation, overlong '/', a surrogate, cut 3-byte char; valid: é, 😀 */
	otlp_span__set_str(s, "k", "\x80/\xc0\xaf/\xed\xa0\x80/\xc3\xa9/\xf0\x9f\x98\x80/\xe2\x82");
	json = encode(&s, 1);
	assert_non_null(strstr(json, "\"stringValue\":\"svc\\\"x\""));
	assert_non_null(strstr(json, "\"name\":\"a\\\\b\\u000a\\u0001\x7f\""));
	assert_non_null(strstr(json, "{\"stringValue\":\"\xef\xbf\xbd/\xef\xbf\xbd\xef\xbf\xbd/"
				     "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd/\xc3\xa9/"
				     "\xf0\x9f\x98\x80/\xef\xbf\xbd\xef\xbf\xbd\"}"));
	free(json);
	otlp_span__free(s);
}

/* Random bytes everywhere: the JSON always parses and gives back the repaired strings. */
static void test_garbage_roundtrip(void **state)
{
	unsigned seed = 12345;

	(void)state;
	for (int round = 0; round < 200; round++) {
		struct otlp_span *s;
		char name[64], val[300];
		json_t *root, *span;
		char *json;
		size_t nl = (size_t)(rand_r(&seed) % 63), vl = (size_t)(rand_r(&seed) % 299);

		for (size_t i = 0; i < nl; i++)
			name[i] = (char)(rand_r(&seed) % 255 + 1);
		name[nl] = '\0';
		for (size_t i = 0; i < vl; i++)
			val[i] = (char)(rand_r(&seed) % 255 + 1);
		val[vl] = '\0';
		s = otlp_span__new(OTLP_KIND_CLIENT, val, name);
		ids(s, (uint8_t)round, 7, (uint8_t)(round & 1));
		otlp_span__set_str(s, "v", val);
		json = encode(&s, 1);
		root = json_loads(json, 0, NULL);
		if (!root)
			fail_msg("round %d: not JSON: %s", round, json);
		span = json_array_get(
			json_object_get(
				json_array_get(
					json_object_get(
						json_array_get(
							json_object_get(root, "resourceSpans"), 0),
						"scopeSpans"),
					0),
				"spans"),
			0);
		assert_string_equal(json_string_value(json_object_get(span, "name")),
				    otlp_span__name(s));
		assert_string_equal(
			json_string_value(json_object_get(
				json_object_get(json_array_get(json_object_get(span, "attributes"),
							       0),
						"value"),
				"stringValue")),
			otlp_attr_str(s, otlp_span__attr(s, "v"), 0));
		json_decref(root);
		free(json);
		otlp_span__free(s);
	}
}

static void test_limits(void **state)
{
	struct otlp_span *s = otlp_span__new(OTLP_KIND_CLIENT, "svc", "n");
	char big[3000], key[OTLP_MAX_ATTRS + 1][8];
	const struct otlp_attr *a;
	size_t used;

	(void)state;
	for (int i = 0; i <= OTLP_MAX_ATTRS; i++)
		snprintf(key[i], sizeof(key[i]), "k%d", i);
	for (int i = 0; i < OTLP_MAX_ATTRS; i++)
		assert_int_equal(otlp_span__set_int(s, key[i], i), 0);
	assert_int_equal(otlp_span__set_int(s, key[OTLP_MAX_ATTRS], 1), -ENOSPC);
	assert_int_equal(otlp_span__set_str(s, key[OTLP_MAX_ATTRS], "x"), -ENOSPC);
	assert_int_equal(s->n_attrs, OTLP_MAX_ATTRS);
	/* a key set again is replaced, not added */
	assert_int_equal(otlp_span__set_str(s, "k3", "three"), 0);
	assert_int_equal(s->n_attrs, OTLP_MAX_ATTRS);
	a = otlp_span__attr(s, "k3");
	assert_int_equal(a->type, OTLP_ATTR_STR);
	assert_string_equal(otlp_attr_str(s, a, 0), "three");
	assert_null(otlp_attr_str(s, a, 1));
	assert_null(otlp_attr_str(s, otlp_span__attr(s, "k4"), 0));
	/* text room: a value that does not fit is cut, the span stays usable */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(otlp_span__set_str(s, "k5", big), -ENOSPC);
	used = strlen(otlp_attr_str(s, otlp_span__attr(s, "k5"), 0));
	assert_true(used > 1000 && used < OTLP_TEXT_MAX);
	assert_int_equal(s->text_len, OTLP_TEXT_MAX);
	assert_int_equal(otlp_span__set_str(s, "k6", "y"), -ENOSPC);
	assert_string_equal(otlp_attr_str(s, otlp_span__attr(s, "k6"), 0), "");
	assert_int_equal(otlp_span__rename(s, "other"), -ENOSPC);
	assert_string_equal(otlp_span__name(s), "");
	assert_int_equal(otlp_span__set_str(s, NULL, "x"), -EINVAL);
	assert_int_equal(otlp_span__set_str(s, "k7", NULL), -EINVAL);
	assert_int_equal(otlp_span__set_strs(s, "k7", NULL, OTLP_MAX_STRS + 1), -EINVAL);
	otlp_span__free(s);
}

static void test_shrink_keeps_everything(void **state)
{
	struct otlp_span *s = otlp_span__new(OTLP_KIND_SERVER, "svc", "GET /x");
	char *before, *after;

	(void)state;
	ids(s, 3, 4, 5);
	otlp_span__set_str(s, "url.path", "/x");
	otlp_span__rename(s, "GET /y");
	before = encode(&s, 1);
	s = otlp_span__shrink(s);
	assert_int_equal(s->text_cap, s->text_len);
	after = encode(&s, 1);
	assert_string_equal(before, after);
	assert_non_null(strstr(after, "\"name\":\"GET /y\""));
	free(before);
	free(after);
	otlp_span__free(s);
}

static void test_hex(void **state)
{
	static const uint8_t b[] = { 0x00, 0x0f, 0xa5, 0xff };
	char out[9];

	(void)state;
	otlp_hex(b, sizeof(b), out);
	assert_string_equal(out, "000fa5ff");
	otlp_hex(b, 0, out);
	assert_string_equal(out, "");
}

static void id56(uint8_t id[16], uint64_t r)
{
	memset(id, 0xee, 16); /* the first 9 bytes must not matter */
	for (int i = 15; i >= 9; i--, r >>= 8)
		id[i] = (uint8_t)r;
}

static void test_sampling(void **state)
{
	uint8_t id[16];

	(void)state;
	id56(id, 0);
	assert_true(otlp_sampled(id, 1));
	assert_true(otlp_sampled(id, 2));
	assert_false(otlp_sampled(id, 0));
	assert_false(otlp_sampled(id, -1));
	assert_false(otlp_sampled(id, NAN));
	assert_false(otlp_sampled(id, 0.5));
	id56(id, (1ull << 55) - 1);
	assert_false(otlp_sampled(id, 0.5));
	id56(id, 1ull << 55);
	assert_true(otlp_sampled(id, 0.5));
	id56(id, (1ull << 56) - 1);
	assert_true(otlp_sampled(id, 1e-9));
	assert_false(otlp_sampled(id, 0));
	/* 0.25: T = 0.75 * 2^56 */
	id56(id, 3ull << 54);
	assert_true(otlp_sampled(id, 0.25));
	id56(id, (3ull << 54) - 1);
	assert_false(otlp_sampled(id, 0.25));
	memset(id, 0, 9);
	assert_false(otlp_sampled(id, 0.25)); /* first 9 bytes changed: same answer */
}

struct ucase {
	const char *in;
	const char *path, *query;
};

static void test_url_redact(void **state)
{
	static const struct ucase cases[] = {
		{ "/", "/", "" },
		{ "", "/", "" },
		{ "*", "*", "" },
		{ "/a/b", "/a/b", "" },
		{ "/a/b/", "/a/b/", "" },
		{ "/a/b?x=1&y", "/a/b", "x=REDACTED&y" },
		{ "/a?token=sk-abcdefghijklmnop1234", "/a", "token=REDACTED" },
		{ "/a?&&=x&a=1&", "/a", "a=REDACTED" },
		{ "?q=1", "/", "q=REDACTED" },
		{ "/a#frag?x=1", "/a", "" },
		{ "/a?x=1#frag&y=2", "/a", "x=REDACTED" },
		{ "http://example.org:8080/p/q?k=v", "/p/q", "k=REDACTED" },
		{ "HTTPS://example.org", "/", "" },
		{ "http://example.org?x=1", "/", "x=REDACTED" },
		{ "/v1/keys/sk-proj-abcdefghijklmnopqrstu1/x", "/v1/keys/REDACTED/x", "" },
		{ "/k/AIzaSyA1234567890abcdefghijklmnopqr", "/k/REDACTED", "" },
		{ "/t/eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc",
		  "/t/REDACTED", "" },
		{ "/x/0123456789abcdef0123456789abcdef01", "/x/REDACTED", "" },
		/* long words without digits, uuids: names and ids, not credentials */
		{ "/api/a_very_long_snake_case_endpoint_name",
		  "/api/a_very_long_snake_case_endpoint_name", "" },
		{ "/e/123e4567-e89b-12d3-a456-426614174000",
		  "/e/123e4567-e89b-12d3-a456-426614174000", "" },
		{ "/?sk-abcdefghijklmnop1234=1", "/", "REDACTED=REDACTED" },
		{ "/caf\xc3\xa9/\xff", "/caf\xc3\xa9/\xef\xbf\xbd", "" },
	};
	char path[128], query[128];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		otlp_url_redact(cases[i].in, strlen(cases[i].in), path, sizeof(path), query,
				sizeof(query));
		if (strcmp(path, cases[i].path) || strcmp(query, cases[i].query))
			fail_msg("redact(\"%s\") = \"%s\" \"%s\", want \"%s\" \"%s\"", cases[i].in,
				 path, query, cases[i].path, cases[i].query);
	}
	/* len, not NUL, ends the target; NULL is empty */
	otlp_url_redact("/abc?x=1", 2, path, sizeof(path), query, sizeof(query));
	assert_string_equal(path, "/a");
	assert_string_equal(query, "");
	otlp_url_redact(NULL, 5, path, sizeof(path), query, sizeof(query));
	assert_string_equal(path, "/");
	/* cut to fit, never mid-character */
	otlp_url_redact("/\xc3\xa9\xc3\xa9", 5, path, 4, query, 1);
	assert_string_equal(path, "/\xc3\xa9");
	assert_string_equal(query, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_server_span_exact),
		cmocka_unit_test(test_child_span_and_types),
		cmocka_unit_test(test_group_by_service),
		cmocka_unit_test(test_empty_batch_and_einval),
		cmocka_unit_test(test_escaping_and_utf8),
		cmocka_unit_test(test_garbage_roundtrip),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_shrink_keeps_everything),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_sampling),
		cmocka_unit_test(test_url_redact),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
