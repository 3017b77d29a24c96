// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Bearer token checks for the API. The observer runs privileged and its
 * REST writes change what it records, so a token compare must not leak how
 * much of a guess was right (constant time), and a configuration that looks
 * protected but is not (an empty token file, a stray newline, a token no
 * header can carry) is refused at start rather than accepted quietly.
 */
#include "api_auth.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

struct api_auth {
	char *token;
	size_t len;
	enum api_auth_scope scope;
};

void api_auth_secret_free(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

int api_auth_token_check(const char *tok, size_t len, char *why, size_t whylen)
{
	if (!tok || !len) {
		snprintf(why, whylen, "the token is empty");
		return -EINVAL;
	}
	if (len > API_TOKEN_MAX) {
		snprintf(why, whylen, "the token is longer than %d bytes", API_TOKEN_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)tok[i];

		if (c <= 0x20 || c >= 0x7f) {
			/* never echo the token itself, only where it went wrong */
			snprintf(why, whylen,
				 "the token has a space, control or non-ASCII byte at offset %zu "
				 "(want printable ASCII, e.g. from 'openssl rand -hex 32')",
				 i);
			return -EINVAL;
		}
	}
	return 0;
}

struct api_auth *api_auth__new(const char *token, enum api_auth_scope scope)
{
	struct api_auth *a;
	char why[8];

	if (!token || api_auth_token_check(token, strlen(token), why, sizeof(why)) ||
	    (scope != API_AUTH_ALL && scope != API_AUTH_WRITES)) {
		errno = EINVAL;
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->token = strdup(token);
	if (!a->token) {
		free(a);
		errno = ENOMEM;
		return NULL;
	}
	a->len = strlen(token);
	a->scope = scope;
	return a;
}

void api_auth__free(struct api_auth *a)
{
	if (!a)
		return;
	api_auth_secret_free(a->token);
	free(a);
}

bool api_auth_equal(const char *want, size_t wlen, const char *got, size_t glen)
{
	/* volatile: the compiler must not stop at the first difference */
	volatile unsigned char diff = wlen != glen;

	for (size_t i = 0; i < wlen; i++)
		diff |= (unsigned char)want[i] ^ (unsigned char)(i < glen ? got[i] : 0);
	return !diff;
}

bool api_auth_needed(enum api_auth_scope scope, const char *method)
{
	if (scope != API_AUTH_WRITES)
		return true;
	return !method || (strcmp(method, "GET") && strcmp(method, "HEAD"));
}

int api_auth_scope_parse(const char *s, enum api_auth_scope *out)
{
	if (!s || !*s || !strcmp(s, "all")) {
		*out = API_AUTH_ALL;
		return 0;
	}
	if (!strcmp(s, "writes")) {
		*out = API_AUTH_WRITES;
		return 0;
	}
	return -EINVAL;
}

const char *api_auth_challenge(enum api_auth_verdict v)
{
	/* RFC 6750 3.1: no error code when the request carried no credentials */
	return v == API_AUTH_INVALID ?
		       "Bearer realm=\"biothings-observer\", error=\"invalid_token\"" :
		       "Bearer realm=\"biothings-observer\"";
}

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

int api_auth_bearer(const char *header, const char **tok, size_t *len)
{
	const char *p = header, *t;

	*tok = NULL;
	*len = 0;
	if (!p)
		return -ENOENT;
	while (blank(*p))
		p++;
	if (!*p)
		return -ENOENT;
	if (strncasecmp(p, "Bearer", 6) || (p[6] && !blank(p[6])))
		return -ENOENT;
	for (p += 6; blank(*p); p++)
		;
	for (t = p; (unsigned char)*p > 0x20 && (unsigned char)*p < 0x7f; p++)
		;
	if (p == t)
		return -EINVAL;
	*tok = t;
	*len = (size_t)(p - t);
	while (blank(*p))
		p++;
	if (*p) { /* "Bearer a b", or a control byte: not one token */
		*tok = NULL;
		*len = 0;
		return -EINVAL;
	}
	return 0;
}

enum api_auth_verdict api_auth__check(const struct api_auth *a, const char *method,
				      const char *authorization)
{
	const char *tok;
	size_t len;
	int rc;

	if (!a || !api_auth_needed(a->scope, method))
		return API_AUTH_OK;
	rc = api_auth_bearer(authorization, &tok, &len);
	if (rc == -ENOENT)
		return API_AUTH_MISSING;
	if (rc)
		return API_AUTH_INVALID;
	return api_auth_equal(a->token, a->len, tok, len) ? API_AUTH_OK : API_AUTH_INVALID;
}

/* Reads a whole regular file of at most max bytes, NUL-terminated. */
static int read_file(const char *path, size_t max, char **out, size_t *len, mode_t *mode, char *why,
		     size_t whylen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	ssize_t r = 0;
	int err;

	if (fd < 0) {
		err = -errno;
		snprintf(why, whylen, "cannot open %s: %s", path, strerror(-err));
		return err;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		err = -EINVAL;
		snprintf(why, whylen, "%s is not a regular file", path);
		goto out;
	}
	*mode = st.st_mode;
	/* max + 1: a file that grew past max since fstat is still refused */
	buf = malloc(max + 2);
	err = -ENOMEM;
	if (!buf)
		goto out;
	while (n <= max && (r = read(fd, buf + n, max + 1 - n)) > 0)
		n += (size_t)r;
	err = 0;
	if (r < 0) {
		err = -errno;
		snprintf(why, whylen, "cannot read %s: %s", path, strerror(-err));
	} else if (n > max) {
		err = -EFBIG;
		snprintf(why, whylen, "%s is larger than %zu bytes", path, max);
	}
out:
	close(fd);
	if (err) {
		if (buf)
			explicit_bzero(buf, n);
		free(buf);
		return err;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

static bool space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Copies s[0..len) without surrounding whitespace into a fresh secret, checked. */
static int take_token(const char *s, size_t len, const char *from, char **out, unsigned *warn,
		      char *why, size_t whylen)
{
	char reason[160];
	size_t b = 0;

	while (len && space(s[len - 1]))
		len--;
	while (b < len && space(s[b]))
		b++;
	if (api_auth_token_check(s + b, len - b, reason, sizeof(reason))) {
		snprintf(why, whylen, "%s (in %s)", reason, from);
		return -EINVAL;
	}
	*out = strndup(s + b, len - b);
	if (!*out) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	if (len - b < API_TOKEN_WEAK)
		*warn |= API_AUTH_WARN_SHORT;
	return 0;
}

int api_auth_load_token(const char *path, const char *env_value, char **out, unsigned *warn,
			char *why, size_t whylen)
{
	char *buf = NULL;
	size_t len = 0;
	mode_t mode = 0;
	int err;

	*out = NULL;
	*warn = 0;
	if (!path || !*path) {
		if (!env_value)
			return 0;
		return take_token(env_value, strlen(env_value), API_TOKEN_ENV, out, warn, why,
				  whylen);
	}
	/* API_TOKEN_MAX plus room for whitespace around it (an editor's newline) */
	err = read_file(path, API_TOKEN_MAX + 64, &buf, &len, &mode, why, whylen);
	if (err)
		return err;
	err = take_token(buf, len, path, out, warn, why, whylen);
	explicit_bzero(buf, len);
	free(buf);
	if (err)
		return err;
	if (mode & S_IROTH)
		*warn |= API_AUTH_WARN_READABLE;
	if (env_value)
		*warn |= API_AUTH_WARN_ENV_IGNORED;
	return 0;
}

int api_auth_read_pem(const char *path, char **out, unsigned *warn, char *why, size_t whylen)
{
	size_t len = 0;
	mode_t mode = 0;
	int err;

	*out = NULL;
	*warn = 0;
	if (!path || !*path) {
		snprintf(why, whylen, "no PEM file given");
		return -EINVAL;
	}
	err = read_file(path, API_PEM_MAX, out, &len, &mode, why, whylen);
	if (err)
		return err;
	if (strlen(*out) != len || !strstr(*out, "-----BEGIN ")) {
		snprintf(why, whylen, "%s is not a PEM file (no '-----BEGIN ' line)", path);
		explicit_bzero(*out, len);
		free(*out);
		*out = NULL;
		return -EINVAL;
	}
	if (mode & S_IROTH)
		*warn |= API_AUTH_WARN_READABLE;
	return 0;
}
