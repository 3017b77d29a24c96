/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Who may use the API: an optional bearer token (RFC 6750), asked of every
 * request or only of writes, compared in constant time; and the loading of
 * that token and of the TLS PEM files, refusing what would silently weaken
 * them (an empty token, a token a header cannot carry, a directory). No
 * global state and no logging: loaders report warnings as flags and the
 * caller words them. Secrets are zeroed before their memory is freed.
 */
#ifndef BT_API_AUTH_H
#define BT_API_AUTH_H

#include <stdbool.h>
#include <stddef.h>

/* Longest token accepted, in bytes. */
#define API_TOKEN_MAX 1024
/* A token shorter than this is accepted with API_AUTH_WARN_SHORT. */
#define API_TOKEN_WEAK 16
/* Largest PEM file read (a certificate chain and its key fit easily). */
#define API_PEM_MAX (1u << 20)
/* Environment variable giving the token when no token file is configured. */
#define API_TOKEN_ENV "BIOTHINGS_API_TOKEN"

enum api_auth_scope {
	API_AUTH_ALL, /* every request needs the token */
	API_AUTH_WRITES, /* only methods other than GET and HEAD */
};

enum api_auth_verdict {
	API_AUTH_OK, /* no token needed, or the right one given */
	API_AUTH_MISSING, /* no Bearer credentials (no header, or another scheme) */
	API_AUTH_INVALID, /* Bearer credentials, malformed or wrong */
};

/* Warnings of the loaders (bit flags). */
#define API_AUTH_WARN_READABLE 1u /* the file can be read by any user */
#define API_AUTH_WARN_SHORT 2u /* the token is shorter than API_TOKEN_WEAK */
#define API_AUTH_WARN_ENV_IGNORED 4u /* both a file and API_TOKEN_ENV: the file was used */

struct api_auth;

/* token: NUL-terminated, copied (see api_auth_token_check()). NULL + errno
 * (EINVAL for a NULL, empty or unusable token, ENOMEM). */
struct api_auth *api_auth__new(const char *token, enum api_auth_scope scope);
void api_auth__free(struct api_auth *a);
/* authorization: the request's Authorization header value, NULL when absent.
 * a NULL: authentication is off and everything is API_AUTH_OK. */
enum api_auth_verdict api_auth__check(const struct api_auth *a, const char *method,
				      const char *authorization);

/* Whether a request with method needs the token under scope. */
bool api_auth_needed(enum api_auth_scope scope, const char *method);
/* "all" (also NULL or "") or "writes"; 0 or -EINVAL. */
int api_auth_scope_parse(const char *s, enum api_auth_scope *out);
/* The WWW-Authenticate value that goes with a refusal (RFC 6750 section 3). */
const char *api_auth_challenge(enum api_auth_verdict v);
/*
 * The credentials of an Authorization header value "Bearer <token>" (scheme
 * in any case, then spaces): *tok points into header, *len bytes. 0, -ENOENT
 * (NULL or blank header, or another scheme), -EINVAL (Bearer without a token,
 * or a token with spaces, control bytes or more after it).
 */
int api_auth_bearer(const char *header, const char **tok, size_t *len);
/* want[0..wlen) == got[0..glen), in a time that depends on wlen only. */
bool api_auth_equal(const char *want, size_t wlen, const char *got, size_t glen);
/* 0 when tok[0..len) can be a token: 1..API_TOKEN_MAX bytes of printable
 * ASCII without spaces (what a header can carry); else -EINVAL and why. */
int api_auth_token_check(const char *tok, size_t len, char *why, size_t whylen);

/*
 * The token: from the file at path when path is set (surrounding whitespace,
 * such as the final newline, trimmed), else from env_value (the value of
 * API_TOKEN_ENV, NULL when unset, trimmed too). *out: malloc'd and
 * NUL-terminated, or NULL when neither is set (authentication off); free it
 * with api_auth_secret_free(). *warn gets API_AUTH_WARN_* flags. 0, or
 * -errno with why: the file cannot be read or is not a regular file, the
 * token is empty (an empty environment variable too) or unusable.
 */
int api_auth_load_token(const char *path, const char *env_value, char **out, unsigned *warn,
			char *why, size_t whylen);
/*
 * A PEM file (certificate or key) as NUL-terminated text in *out (malloc'd;
 * free with api_auth_secret_free()). *warn gets API_AUTH_WARN_READABLE when
 * any user can read it. 0, or -errno with why: unreadable, not a regular
 * file, larger than API_PEM_MAX, or without a "-----BEGIN " line.
 */
int api_auth_read_pem(const char *path, char **out, unsigned *warn, char *why, size_t whylen);
/* Zeroes the NUL-terminated secret s, then frees it. NULL is fine. */
void api_auth_secret_free(char *s);

#endif
