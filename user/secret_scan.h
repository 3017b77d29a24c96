/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Secrets pasted into LLM prompts (secret_in_prompt): provider API keys,
 * PEM private keys, JWTs and password-shaped assignments, found in a
 * request body and reported only as a kind and a short hash, so the same
 * leaked secret can be followed across events without ever being shown.
 * Pure: no I/O, no global state, no allocation beyond jansson's parse of
 * a JSON body. Tuned for few false positives on ordinary prompts:
 * - a bare hex or base64 run (40-hex commit ids, checksums, UUIDs) is never
 *   a secret on its own; it is one only after "Bearer " or as the value of
 *   a password-like key;
 * - base64 data: URLs and long pure-base64 strings (images, audio) are not
 *   scanned;
 * - keys need their exact shape and a random-looking body: documentation
 *   samples (AKIA...EXAMPLE, sk-...XXXX, "your", "redacted") and Stripe
 *   test keys are not reported;
 * - a password value needs 8+ bytes and a digit or a symbol (letters alone
 *   only as KEY=value), and is not a placeholder (****, <password>, ${VAR},
 *   {{ x }}), a path, a URL, a bcrypt hash, code (a.b, f(x), snake_name,
 *   a type in a signature) or a sentence.
 * The hash is unsalted so that it correlates across hosts and restarts; a
 * weak password can be recovered from it by a dictionary attack, so treat
 * it as sensitive where passwords matter.
 */
#ifndef BT_SECRET_SCAN_H
#define BT_SECRET_SCAN_H

#include <stddef.h>
#include <stdint.h>

/* Bytes of the longest kind name, NUL included. */
#define SECRET_KIND_LEN 24
/* 16 hex digits and a NUL. */
#define SECRET_HASH_LEN 17
/* Distinct secrets counted at most; scanning stops there. */
#define SECRET_SCAN_MAX_COUNT 255
/* Decoded bytes (JSON string values, or raw text) scanned at most per call. */
#define SECRET_SCAN_MAX_BYTES (16u << 20)
/* JSON nesting walked at most; deeper values are not scanned. */
#define SECRET_SCAN_MAX_DEPTH 64

struct secret_hit {
	/* Static: openai_key, anthropic_key, google_api_key, github_token, slack_token,
	 * aws_access_key, stripe_key, bearer_token, private_key, jwt, password. */
	const char *kind;
	/* First 16 hex digits of the SHA-256 of the secret: the token itself (without
	 * "Bearer "), a password value without its quotes, or for a private key its
	 * base64 characters only (line endings do not change the hash). */
	char hash[SECRET_HASH_LEN];
	/* Where the match lies (tests only): in text for raw text; for a JSON body, in
	 * the decoded string value it was found in. */
	size_t off, len;
};

/*
 * Scans text[0..len): when it is a JSON document, every string value
 * decoded (escapes such as \n, \/, \u002d undone) plus password-like
 * members ("password": "..."); otherwise the raw bytes. Base64 data: URLs
 * and long pure-base64 strings (images, audio) are skipped. The same
 * secret (kind and hash) is counted once. Returns the number of distinct
 * secrets found, at most SECRET_SCAN_MAX_COUNT; hits[] holds the first
 * min(that, max) of them in the order found. hits may be NULL when max is 0.
 */
size_t secret_scan(const char *text, size_t len, struct secret_hit *hits, size_t max);

struct json_t;
/* The same over a document the caller already parsed with jansson (hit offsets are
 * into the decoded string values). For callers that need the parse anyway. */
size_t secret_scan_json(const struct json_t *root, struct secret_hit *hits, size_t max);
/* text[0..len) parsed as secret_scan reads it (a JSON document when it opens
 * with '{' or '[' and parses), or NULL; the caller json_decref()s it. For a
 * caller that reads the same document for more than secrets. */
struct json_t *secret_scan_parse(const char *text, size_t len);
/* secret_scan over text that is not JSON (secret_scan_parse gave NULL). */
size_t secret_scan_text(const char *text, size_t len, struct secret_hit *hits, size_t max);

/* FIPS 180-4 SHA-256 of data[0..len) into out. Exposed for its tests. */
void secret_sha256(const void *data, size_t len, uint8_t out[32]);

#endif
