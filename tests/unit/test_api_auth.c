// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * api_auth: the token compare, Authorization header parsing (every way a
 * header can be almost right), the scope decision, token file and
 * environment loading (whitespace, empty, unusable, too large, modes, not a
 * regular file, which source wins) and PEM loading. Error texts are
 * checked never to carry the token.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api_auth.h"

static char dir[] = "/tmp/bt-test-api-auth.XXXXXX";
static char why[512];

/* Writes len bytes of s to dir/name with mode; returns the path (static buffer). */
static const char *put_file(const char *name, const char *s, size_t len, mode_t mode)
{
	static char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, s, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

static const char *put(const char *name, const char *s, mode_t mode)
{
	return put_file(name, s, strlen(s), mode);
}

static void test_equal(void **state)
{
	(void)state;
	assert_true(api_auth_equal("secret", 6, "secret", 6));
	assert_false(api_auth_equal("secret", 6, "secreT", 6));
	assert_false(api_auth_equal("secret", 6, "Secret", 6));
	assert_false(api_auth_equal("secret", 6, "secre", 5));
	assert_false(api_auth_equal("secret", 6, "secrets", 7));
	assert_false(api_auth_equal("secret", 6, "", 0));
	/* a NUL in the guess is just a byte that differs */
	assert_false(api_auth_equal("secret", 6, "secre\0", 6));
	/* only got[0..glen) counts, whatever follows */
	assert_true(api_auth_equal("abc", 3, "abcdef", 3));
	assert_true(api_auth_equal("", 0, "", 0));
}

struct bcase {
	const char *hdr;
	int rc;
	const char *tok;
};

static void test_bearer_parse(void **state)
{
	static const struct bcase cases[] = {
		{ NULL, -ENOENT, NULL },
		{ "", -ENOENT, NULL },
		{ "   \t", -ENOENT, NULL },
		{ "Basic dXNlcjpwYXNz", -ENOENT, NULL },
		{ "Bearerabc", -ENOENT, NULL },
		{ "Bear abc", -ENOENT, NULL },
		{ "Token abc", -ENOENT, NULL },
		{ "Bearer", -EINVAL, NULL },
		{ "Bearer ", -EINVAL, NULL },
		{ "Bearer \t ", -EINVAL, NULL },
		{ "Bearer abc", 0, "abc" },
		{ "bearer abc", 0, "abc" },
		{ "BEARER   abc  ", 0, "abc" },
		{ "Bearer\tabc", 0, "abc" },
		{ "  Bearer abc", 0, "abc" },
		{ "Bearer a.b-c_d~e+f/g==", 0, "a.b-c_d~e+f/g==" },
		{ "Bearer abc def", -EINVAL, NULL },
		{ "Bearer abc\x01", -EINVAL, NULL },
		{ "Bearer ab\x7f", -EINVAL, NULL },
		{ "Bearer \xc3\xa9t\xc3\xa9", -EINVAL, NULL },
		{ "Bearer abc\r\n", -EINVAL, NULL },
		{ "Bearer abc, Basic x", -EINVAL, NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *tok = "unset";
		size_t len = 99;
		int rc = api_auth_bearer(cases[i].hdr, &tok, &len);

		if (rc != cases[i].rc)
			fail_msg("bearer(\"%s\") = %d, want %d",
				 cases[i].hdr ? cases[i].hdr : "NULL", rc, cases[i].rc);
		if (!cases[i].tok) {
			assert_null(tok);
			assert_int_equal(len, 0);
			continue;
		}
		assert_int_equal(len, strlen(cases[i].tok));
		assert_memory_equal(tok, cases[i].tok, len);
	}
}

static void test_check_scope_all(void **state)
{
	struct api_auth *a = api_auth__new("s3cret-token-0123456789", API_AUTH_ALL);

	(void)state;
	assert_non_null(a);
	assert_int_equal(api_auth__check(a, "GET", NULL), API_AUTH_MISSING);
	assert_int_equal(api_auth__check(a, "GET", ""), API_AUTH_MISSING);
	assert_int_equal(api_auth__check(a, "GET", "Basic czNjcmV0"), API_AUTH_MISSING);
	assert_int_equal(api_auth__check(a, "GET", "Bearer"), API_AUTH_INVALID);
	assert_int_equal(api_auth__check(a, "GET", "Bearer wrong"), API_AUTH_INVALID);
	assert_int_equal(api_auth__check(a, "GET", "Bearer s3cret-token-012345678"),
			 API_AUTH_INVALID);
	assert_int_equal(api_auth__check(a, "GET", "Bearer s3cret-token-01234567890"),
			 API_AUTH_INVALID);
	assert_int_equal(api_auth__check(a, "GET", "Bearer S3CRET-TOKEN-0123456789"),
			 API_AUTH_INVALID);
	assert_int_equal(api_auth__check(a, "GET", "Bearer s3cret-token-0123456789 x"),
			 API_AUTH_INVALID);
	assert_int_equal(api_auth__check(a, "GET", "Bearer s3cret-token-0123456789"), API_AUTH_OK);
	assert_int_equal(api_auth__check(a, "HEAD", "bearer  s3cret-token-0123456789 "),
			 API_AUTH_OK);
	assert_int_equal(api_auth__check(a, "POST", NULL), API_AUTH_MISSING);
	assert_int_equal(api_auth__check(a, "POST", "Bearer s3cret-token-0123456789"), API_AUTH_OK);
	api_auth__free(a);
	/* no token configured: authentication is off */
	assert_int_equal(api_auth__check(NULL, "POST", NULL), API_AUTH_OK);
	assert_int_equal(api_auth__check(NULL, "GET", "Bearer anything"), API_AUTH_OK);
}

static void test_check_scope_writes(void **state)
{
	struct api_auth *a = api_auth__new("tok", API_AUTH_WRITES);

	(void)state;
	assert_non_null(a);
	assert_int_equal(api_auth__check(a, "GET", NULL), API_AUTH_OK);
	assert_int_equal(api_auth__check(a, "HEAD", NULL), API_AUTH_OK);
	/* a wrong token on a read that needs none is not held against it */
	assert_int_equal(api_auth__check(a, "GET", "Bearer wrong"), API_AUTH_OK);
	assert_int_equal(api_auth__check(a, "POST", NULL), API_AUTH_MISSING);
	assert_int_equal(api_auth__check(a, "POST", "Bearer wrong"), API_AUTH_INVALID);
	assert_int_equal(api_auth__check(a, "POST", "Bearer tok"), API_AUTH_OK);
	assert_int_equal(api_auth__check(a, "DELETE", NULL), API_AUTH_MISSING);
	assert_int_equal(api_auth__check(a, "PUT", NULL), API_AUTH_MISSING);
	assert_int_equal(api_auth__check(a, "OPTIONS", NULL), API_AUTH_MISSING);
	/* methods are case-sensitive: "get" is not GET */
	assert_int_equal(api_auth__check(a, "get", NULL), API_AUTH_MISSING);
	assert_int_equal(api_auth__check(a, NULL, NULL), API_AUTH_MISSING);
	api_auth__free(a);

	assert_true(api_auth_needed(API_AUTH_ALL, "GET"));
	assert_true(api_auth_needed(API_AUTH_ALL, "POST"));
	assert_false(api_auth_needed(API_AUTH_WRITES, "GET"));
	assert_false(api_auth_needed(API_AUTH_WRITES, "HEAD"));
	assert_true(api_auth_needed(API_AUTH_WRITES, "POST"));
}

static void test_new_refuses(void **state)
{
	(void)state;
	errno = 0;
	assert_null(api_auth__new(NULL, API_AUTH_ALL));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(api_auth__new("", API_AUTH_ALL));
	assert_int_equal(errno, EINVAL);
	assert_null(api_auth__new("a b", API_AUTH_ALL));
	assert_null(api_auth__new("ab\n", API_AUTH_ALL));
	assert_null(api_auth__new("tok", (enum api_auth_scope)42));
	api_auth__free(NULL);
}

static void test_scope_and_challenge(void **state)
{
	enum api_auth_scope s = (enum api_auth_scope)7;

	(void)state;
	assert_int_equal(api_auth_scope_parse("all", &s), 0);
	assert_int_equal(s, API_AUTH_ALL);
	assert_int_equal(api_auth_scope_parse("writes", &s), 0);
	assert_int_equal(s, API_AUTH_WRITES);
	assert_int_equal(api_auth_scope_parse("", &s), 0);
	assert_int_equal(s, API_AUTH_ALL);
	s = API_AUTH_WRITES;
	assert_int_equal(api_auth_scope_parse(NULL, &s), 0);
	assert_int_equal(s, API_AUTH_ALL);
	assert_int_equal(api_auth_scope_parse("Writes", &s), -EINVAL);
	assert_int_equal(api_auth_scope_parse("write", &s), -EINVAL);
	assert_int_equal(api_auth_scope_parse("none", &s), -EINVAL);

	assert_string_equal(api_auth_challenge(API_AUTH_MISSING),
			    "Bearer realm=\"biothings-observer\"");
	assert_string_equal(api_auth_challenge(API_AUTH_INVALID),
			    "Bearer realm=\"biothings-observer\", error=\"invalid_token\"");
}

static void test_token_check(void **state)
{
	char big[API_TOKEN_MAX + 2];

	(void)state;
	memset(big, 'a', sizeof(big));
	assert_int_equal(api_auth_token_check("abc", 3, why, sizeof(why)), 0);
	assert_int_equal(api_auth_token_check(big, API_TOKEN_MAX, why, sizeof(why)), 0);
	assert_int_equal(api_auth_token_check(big, API_TOKEN_MAX + 1, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "longer"));
	assert_int_equal(api_auth_token_check("", 0, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "empty"));
	assert_int_equal(api_auth_token_check(NULL, 3, why, sizeof(why)), -EINVAL);
	assert_int_equal(api_auth_token_check("hidden value", 12, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "offset 6"));
	assert_null(strstr(why, "hidden"));
	assert_int_equal(api_auth_token_check("a\tb", 3, why, sizeof(why)), -EINVAL);
	assert_int_equal(api_auth_token_check("ab\x7f", 3, why, sizeof(why)), -EINVAL);
	assert_int_equal(api_auth_token_check("ab\x80", 3, why, sizeof(why)), -EINVAL);
	assert_int_equal(api_auth_token_check("a\0b", 3, why, sizeof(why)), -EINVAL);
	assert_int_equal(api_auth_token_check("!~\"#", 4, why, sizeof(why)), 0);
}

/* load_token from a file: *out, warnings, return code. */
static int load(const char *path, const char *env, char **out, unsigned *warn)
{
	why[0] = '\0';
	return api_auth_load_token(path, env, out, warn, why, sizeof(why));
}

static void expect_token(const char *path, const char *env, const char *want, unsigned want_warn)
{
	char *tok = (char *)"unset";
	unsigned warn = 99;

	assert_int_equal(load(path, env, &tok, &warn), 0);
	assert_non_null(tok);
	assert_string_equal(tok, want);
	assert_int_equal(warn, want_warn);
	api_auth_secret_free(tok);
}

static void expect_refused(const char *path, const char *env, int rc, const char *why_has)
{
	char *tok = (char *)"unset";
	unsigned warn = 0;

	assert_int_equal(load(path, env, &tok, &warn), rc);
	assert_null(tok);
	if (why_has && !strstr(why, why_has))
		fail_msg("why \"%s\" lacks \"%s\"", why, why_has);
}

static void test_token_file(void **state)
{
	const char *long_tok = "0123456789abcdef0123456789abcdef";

	(void)state;
	expect_token(put("t1", "0123456789abcdef0123456789abcdef\n", 0600), NULL, long_tok, 0);
	expect_token(put("t2", "  0123456789abcdef0123456789abcdef \r\n\n", 0600), NULL, long_tok,
		     0);
	expect_token(put("t3", "0123456789abcdef0123456789abcdef", 0400), NULL, long_tok, 0);
	expect_token(put("t4", "0123456789abcdef0123456789abcdef\n", 0640), NULL, long_tok, 0);
	expect_token(put("t5", "0123456789abcdef0123456789abcdef\n", 0644), NULL, long_tok,
		     API_AUTH_WARN_READABLE);
	expect_token(put("t6", "short\n", 0600), NULL, "short", API_AUTH_WARN_SHORT);
	/* the file wins over the environment, and says so */
	expect_token(put("t7", "from-file-0123456789\n", 0600), "from-env-0123456789",
		     "from-file-0123456789", API_AUTH_WARN_ENV_IGNORED);
	expect_token(put("t8", "from-file-0123456789\n", 0600), "", "from-file-0123456789",
		     API_AUTH_WARN_ENV_IGNORED);

	expect_refused(put("e1", "", 0600), NULL, -EINVAL, "empty");
	expect_refused(put("e2", "\n", 0600), NULL, -EINVAL, "empty");
	expect_refused(put("e3", " \r\n\t\n", 0600), NULL, -EINVAL, "empty");
	/* even with a usable environment token: a broken file is not skipped */
	expect_refused(put("e4", "\n", 0600), "from-env-0123456789", -EINVAL, "empty");
	expect_refused(put("e5", "two words\n", 0600), NULL, -EINVAL, "offset 3");
	assert_null(strstr(why, "words"));
	expect_refused(put("e6", "line1\nline2\n", 0600), NULL, -EINVAL, "offset 5");
	expect_refused(put_file("e7", "ab\0cd\n", 6, 0600), NULL, -EINVAL, "offset 2");
	expect_refused("/nonexistent/bt-token", NULL, -ENOENT, "cannot open");
	expect_refused(dir, NULL, -EINVAL, "not a regular file");
	expect_refused("/dev/null", NULL, -EINVAL, "not a regular file");
}

static void test_token_file_sizes(void **state)
{
	size_t n = API_TOKEN_MAX + 64;
	char *buf = malloc(n + 2);
	char *tok = NULL;
	unsigned warn = 0;

	(void)state;
	assert_non_null(buf);
	/* exactly API_TOKEN_MAX bytes and a newline: accepted */
	memset(buf, 'x', API_TOKEN_MAX);
	buf[API_TOKEN_MAX] = '\n';
	assert_int_equal(load(put_file("s1", buf, API_TOKEN_MAX + 1, 0600), NULL, &tok, &warn), 0);
	assert_int_equal(strlen(tok), API_TOKEN_MAX);
	api_auth_secret_free(tok);
	/* one byte more: refused by the token check */
	buf[API_TOKEN_MAX] = 'x';
	expect_refused(put_file("s2", buf, API_TOKEN_MAX + 1, 0600), NULL, -EINVAL, "longer");
	/* a token and a lot of trailing whitespace: room for 64 bytes of it, not more */
	memset(buf, '\n', n + 1);
	buf[0] = 't';
	expect_refused(put_file("s3", buf, n + 1, 0600), NULL, -EFBIG, "larger");
	expect_token(put_file("s4", buf, n, 0600), NULL, "t", API_AUTH_WARN_SHORT);
	free(buf);
}

static void test_token_env(void **state)
{
	char *tok = (char *)"unset";
	unsigned warn = 99;

	(void)state;
	expect_token(NULL, "from-env-0123456789", "from-env-0123456789", 0);
	expect_token("", "  from-env-0123456789\n", "from-env-0123456789", 0);
	expect_token(NULL, "abc", "abc", API_AUTH_WARN_SHORT);
	/* set but empty is a mistake, not "no authentication" */
	expect_refused(NULL, "", -EINVAL, API_TOKEN_ENV);
	expect_refused(NULL, " \n", -EINVAL, "empty");
	expect_refused(NULL, "a b", -EINVAL, "offset 1");
	/* neither: authentication off */
	assert_int_equal(load(NULL, NULL, &tok, &warn), 0);
	assert_null(tok);
	assert_int_equal(warn, 0);
	tok = (char *)"unset";
	assert_int_equal(load("", NULL, &tok, &warn), 0);
	assert_null(tok);
}

static void test_pem(void **state)
{
	static const char pem[] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
	char *out = (char *)"unset";
	unsigned warn = 99;
	char *big;

	(void)state;
	assert_int_equal(api_auth_read_pem(put("p1", pem, 0600), &out, &warn, why, sizeof(why)), 0);
	assert_string_equal(out, pem);
	assert_int_equal(warn, 0);
	api_auth_secret_free(out);
	assert_int_equal(api_auth_read_pem(put("p2", pem, 0644), &out, &warn, why, sizeof(why)), 0);
	assert_int_equal(warn, API_AUTH_WARN_READABLE);
	api_auth_secret_free(out);

	out = (char *)"unset";
	assert_int_equal(api_auth_read_pem(put("p3", "just text\n", 0600), &out, &warn, why,
					   sizeof(why)),
			 -EINVAL);
	assert_null(out);
	assert_non_null(strstr(why, "not a PEM"));
	assert_int_equal(api_auth_read_pem(put_file("p4", "x\0-----BEGIN X-----\n", 20, 0600), &out,
					   &warn, why, sizeof(why)),
			 -EINVAL);
	assert_int_equal(api_auth_read_pem(put("p5", "", 0600), &out, &warn, why, sizeof(why)),
			 -EINVAL);
	assert_int_equal(api_auth_read_pem(NULL, &out, &warn, why, sizeof(why)), -EINVAL);
	assert_int_equal(api_auth_read_pem("/nonexistent/key.pem", &out, &warn, why, sizeof(why)),
			 -ENOENT);
	assert_int_equal(api_auth_read_pem(dir, &out, &warn, why, sizeof(why)), -EINVAL);

	big = malloc(API_PEM_MAX + 1);
	assert_non_null(big);
	memset(big, 'A', API_PEM_MAX + 1);
	memcpy(big, "-----BEGIN X-----\n", 18);
	assert_int_equal(api_auth_read_pem(put_file("p6", big, API_PEM_MAX, 0600), &out, &warn, why,
					   sizeof(why)),
			 0);
	assert_int_equal(strlen(out), API_PEM_MAX);
	api_auth_secret_free(out);
	assert_int_equal(api_auth_read_pem(put_file("p7", big, API_PEM_MAX + 1, 0600), &out, &warn,
					   why, sizeof(why)),
			 -EFBIG);
	assert_null(out);
	free(big);
	api_auth_secret_free(NULL);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_bearer_parse),
		cmocka_unit_test(test_check_scope_all),
		cmocka_unit_test(test_check_scope_writes),
		cmocka_unit_test(test_new_refuses),
		cmocka_unit_test(test_scope_and_challenge),
		cmocka_unit_test(test_token_check),
		cmocka_unit_test(test_token_file),
		cmocka_unit_test(test_token_file_sizes),
		cmocka_unit_test(test_token_env),
		cmocka_unit_test(test_pem),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
