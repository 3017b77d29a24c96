// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * secret_in_prompt detection (secret_scan.h). A prompt is mostly prose and
 * code, so every rule asks for a context that makes a string a credential:
 * a provider prefix with the right length and a random-looking body, a PEM
 * private-key armour, a JWT's two JSON segments, "Bearer ", or a
 * password-like key with a value that is neither a placeholder, a path nor
 * an expression. Entropy alone never decides: 40-hex commit ids, SHA-256
 * sums, UUIDs and base64 images stay quiet. Runs on every LLM request body,
 * so work is linear in the bytes scanned (each rule looks a bounded
 * distance from where it starts) and capped by SECRET_SCAN_MAX_BYTES.
 * The secret itself is only ever hashed; the SHA-256 state holding its
 * bytes is wiped after use.
 */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "secret_scan.h"

/* ---- SHA-256, FIPS 180-4 ---- */

struct sha256 {
	uint32_t h[8];
	uint64_t bytes;
	uint8_t buf[64];
	size_t n;
};

static const uint32_t sha_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
	0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
	0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
	0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2,
};

static uint32_t ror(uint32_t x, unsigned n)
{
	return x >> n | x << (32 - n);
}

static void sha256_block(uint32_t h[8], const uint8_t *p)
{
	uint32_t w[64], v[8];

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++)
		w[i] = w[i - 16] + (ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ w[i - 15] >> 3) +
		       w[i - 7] + (ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ w[i - 2] >> 10);
	memcpy(v, h, sizeof(v));
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = v[7] + (ror(v[4], 6) ^ ror(v[4], 11) ^ ror(v[4], 25)) +
			      ((v[4] & v[5]) ^ (~v[4] & v[6])) + sha_k[i] + w[i];
		uint32_t t2 = (ror(v[0], 2) ^ ror(v[0], 13) ^ ror(v[0], 22)) +
			      ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));

		memmove(v + 1, v, 7 * sizeof(*v));
		v[4] += t1;
		v[0] = t1 + t2;
	}
	for (int i = 0; i < 8; i++)
		h[i] += v[i];
	explicit_bzero(w, sizeof(w));
}

static void sha256_init(struct sha256 *s)
{
	static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
					0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };

	memcpy(s->h, iv, sizeof(iv));
	s->bytes = 0;
	s->n = 0;
}

static void sha256_update(struct sha256 *s, const void *data, size_t len)
{
	const uint8_t *p = data;

	s->bytes += len;
	while (len) {
		size_t k = 64 - s->n < len ? 64 - s->n : len;

		memcpy(s->buf + s->n, p, k);
		s->n += k, p += k, len -= k;
		if (s->n == 64) {
			sha256_block(s->h, s->buf);
			s->n = 0;
		}
	}
}

/* Pads, writes the digest and wipes s (it held secret bytes). */
static void sha256_final(struct sha256 *s, uint8_t out[32])
{
	uint64_t bits = s->bytes * 8;
	uint8_t pad[72] = { 0x80 };
	size_t padlen = (s->n < 56 ? 56 : 120) - s->n;

	for (int i = 0; i < 8; i++)
		pad[padlen + i] = (uint8_t)(bits >> (56 - 8 * i));
	sha256_update(s, pad, padlen + 8);
	for (int i = 0; i < 32; i++)
		out[i] = (uint8_t)(s->h[i / 4] >> (24 - 8 * (i % 4)));
	explicit_bzero(s, sizeof(*s));
}

void secret_sha256(const void *data, size_t len, uint8_t out[32])
{
	struct sha256 s;

	sha256_init(&s);
	sha256_update(&s, data, len);
	sha256_final(&s, out);
}

/* ---- character classes (ASCII only: no locale) ---- */

static bool is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static bool is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	return is_upper(c) || is_lower(c);
}

static bool is_alnum(char c)
{
	return is_alpha(c) || is_digit(c);
}

/* What a token may be glued to: a match must not start or end inside such a run. */
static bool is_tok(char c)
{
	return is_alnum(c) || c == '_' || c == '-';
}

static bool is_b64(char c)
{
	return is_alnum(c) || c == '+' || c == '/' || c == '=';
}

/* c is one of set's characters (never NUL: bodies may hold NUL bytes). */
static bool in_set(char c, const char *set)
{
	return c && strchr(set, c);
}

enum cls { CLS_KEY, CLS_ALNUM, CLS_UPNUM, CLS_WORD, CLS_DASHNUM, CLS_BEARER };

static bool in_cls(char c, enum cls k)
{
	switch (k) {
	case CLS_KEY:
		return is_tok(c);
	case CLS_ALNUM:
		return is_alnum(c);
	case CLS_UPNUM:
		return is_upper(c) || is_digit(c);
	case CLS_WORD:
		return is_alnum(c) || c == '_';
	case CLS_DASHNUM:
		return is_alnum(c) || c == '-';
	case CLS_BEARER: /* RFC 6750 b64token */
		return is_tok(c) || c == '.' || c == '~' || c == '+' || c == '/' || c == '=';
	}
	return false;
}

/* Leading chars of p[0..n) in k, counting at most cap + 1 (enough to say "too long"). */
static size_t run(const char *p, size_t n, enum cls k, size_t cap)
{
	size_t i = 0;

	while (i < n && i <= cap && in_cls(p[i], k))
		i++;
	return i;
}

static char lower(char c)
{
	return is_upper(c) ? (char)(c - 'A' + 'a') : c;
}

/* word: lowercase */
static bool has_ci(const char *p, size_t n, const char *word)
{
	size_t w = strlen(word);

	for (size_t i = 0; i + w <= n; i++)
		if (lower(p[i]) == word[0] && !strncasecmp(p + i, word, w))
			return true;
	return false;
}

/* Words that mark documentation samples rather than live credentials. */
static bool placeholder(const char *p, size_t n)
{
	static const char *const words[] = { "example", "placeholder", "redacted", "your", "dummy",
					     "sample",	"xxx",	       "***",	   "...",  "<",
					     ">",	"{{",	       "${",	   "%(",   "$(" };

	for (size_t i = 0; i < sizeof(words) / sizeof(*words); i++)
		if (has_ci(p, n, words[i]))
			return true;
	return false;
}

/* A random-looking token body: letters and digits, no long run of one char, no sample word. */
static bool plausible(const char *p, size_t n)
{
	bool digit = false, alpha = false;
	size_t same = 1;

	for (size_t i = 0; i < n; i++) {
		digit |= is_digit(p[i]);
		alpha |= is_alpha(p[i]);
		same = i && p[i] == p[i - 1] ? same + 1 : 1;
		if (same >= 5)
			return false;
	}
	return digit && alpha && !placeholder(p, n);
}

/* ---- the scan state ---- */

struct scan {
	struct secret_hit *hits;
	size_t max, count;
	uint64_t seen[SECRET_SCAN_MAX_COUNT]; /* first 8 digest bytes, for the dedup */
	const char *seen_kind[SECRET_SCAN_MAX_COUNT];
	size_t budget; /* bytes still to scan */
};

static bool full(const struct scan *sc)
{
	return sc->count >= SECRET_SCAN_MAX_COUNT;
}

static void emit_digest(struct scan *sc, const char *kind, const uint8_t d[32], size_t off,
			size_t len)
{
	static const char hex[] = "0123456789abcdef";
	uint64_t h = 0;
	struct secret_hit *hit;

	if (full(sc))
		return;
	for (int i = 0; i < 8; i++)
		h = h << 8 | d[i];
	for (size_t i = 0; i < sc->count; i++)
		if (sc->seen[i] == h && sc->seen_kind[i] == kind)
			return;
	sc->seen[sc->count] = h;
	sc->seen_kind[sc->count] = kind;
	if (sc->count < sc->max) {
		hit = &sc->hits[sc->count];
		hit->kind = kind;
		for (int i = 0; i < 8; i++) {
			hit->hash[2 * i] = hex[d[i] >> 4];
			hit->hash[2 * i + 1] = hex[d[i] & 15];
		}
		hit->hash[16] = '\0';
		hit->off = off;
		hit->len = len;
	}
	sc->count++;
}

static void emit(struct scan *sc, const char *kind, const char *s, size_t off, size_t len)
{
	uint8_t d[32];

	secret_sha256(s + off, len, d);
	emit_digest(sc, kind, d, off, len);
}

/* ---- prefixed tokens and JWTs ---- */

struct token_rule {
	const char *prefix;
	const char *kind;
	enum cls cls;
	uint16_t min, max; /* body length after the prefix */
};

/* Longer prefixes before their own prefixes (sk-ant- before sk-). */
static const struct token_rule token_rules[] = {
	{ "sk-ant-", "anthropic_key", CLS_KEY, 32, 512 },
	{ "sk-", "openai_key", CLS_KEY, 32, 512 }, /* sk-proj-, sk-svcacct-, legacy sk-<48> */
	{ "sk_live_", "stripe_key", CLS_ALNUM, 24, 255 },
	{ "rk_live_", "stripe_key", CLS_ALNUM, 24, 255 },
	{ "AIza", "google_api_key", CLS_KEY, 35, 35 },
	{ "AKIA", "aws_access_key", CLS_UPNUM, 16, 16 },
	{ "ASIA", "aws_access_key", CLS_UPNUM, 16, 16 },
	{ "github_pat_", "github_token", CLS_WORD, 50, 255 },
	{ "ghp_", "github_token", CLS_ALNUM, 36, 255 },
	{ "gho_", "github_token", CLS_ALNUM, 36, 255 },
	{ "ghu_", "github_token", CLS_ALNUM, 36, 255 },
	{ "ghs_", "github_token", CLS_ALNUM, 36, 255 },
	{ "ghr_", "github_token", CLS_ALNUM, 36, 255 },
	{ "xoxa-", "slack_token", CLS_DASHNUM, 20, 255 },
	{ "xoxb-", "slack_token", CLS_DASHNUM, 20, 255 },
	{ "xoxp-", "slack_token", CLS_DASHNUM, 20, 255 },
	{ "xoxr-", "slack_token", CLS_DASHNUM, 20, 255 },
	{ "xoxs-", "slack_token", CLS_DASHNUM, 20, 255 },
};

static size_t match_rule(const struct token_rule *r, const char *p, size_t n)
{
	size_t plen, body;

	if (p[0] != r->prefix[0])
		return 0;
	plen = strlen(r->prefix);
	if (n < plen + r->min || memcmp(p, r->prefix, plen))
		return 0;
	body = run(p + plen, n - plen, r->cls, r->max);
	if (body < r->min || body > r->max)
		return 0;
	if (plen + body < n && is_tok(p[plen + body]))
		return 0; /* glued to more token characters: part of something else */
	return plausible(p + plen, body) ? plen + body : 0;
}

/* One base64url JWT segment; the first two are JSON objects ("eyJ" = '{"'). */
static size_t jwt_segment(const char *p, size_t n, bool json)
{
	size_t k;

	if (json && (n < 3 || memcmp(p, "eyJ", 3)))
		return 0;
	k = run(p, n, CLS_KEY, 8192);
	return k >= 16 && k <= 8192 ? k : 0;
}

static size_t match_jwt(const char *p, size_t n)
{
	size_t a, b, c;

	a = jwt_segment(p, n, true);
	if (!a || a + 1 >= n || p[a] != '.')
		return 0;
	b = jwt_segment(p + a + 1, n - a - 1, true);
	if (!b || a + b + 1 >= n || p[a + 1 + b] != '.')
		return 0;
	/* an empty signature (alg "none") is still a bearer credential */
	c = run(p + a + b + 2, n - a - b - 2, CLS_KEY, 8192);
	if (c > 8192 || (c && c < 16))
		return 0;
	return a + b + 2 + c;
}

/* A provider key or JWT starting at p (already at a token boundary): its length, or 0. */
static size_t match_token(const char *p, size_t n, const char **kind)
{
	if (!n || !in_set(p[0], "srAgxe"))
		return 0;
	if (p[0] == 'e') {
		*kind = "jwt";
		return match_jwt(p, n);
	}
	for (size_t i = 0; i < sizeof(token_rules) / sizeof(*token_rules); i++) {
		size_t k = match_rule(&token_rules[i], p, n);

		if (k) {
			*kind = token_rules[i].kind;
			return k;
		}
	}
	return 0;
}

static size_t try_token(struct scan *sc, const char *s, size_t n, size_t i)
{
	const char *kind;
	size_t k = match_token(s + i, n - i, &kind);

	if (!k)
		return i;
	emit(sc, kind, s, i, k);
	return i + k;
}

/* "Bearer <token>": the token, unless it is a key of a known kind (found by its own rule). */
static size_t try_bearer(struct scan *sc, const char *s, size_t n, size_t i)
{
	const char *kind;
	size_t j = i + 6, k;

	if (n - i < 7 || strncasecmp(s + i, "bearer", 6) || (s[j] != ' ' && s[j] != '\t'))
		return i;
	while (j < n && j - i < 16 && (s[j] == ' ' || s[j] == '\t'))
		j++;
	if (match_token(s + j, n - j, &kind))
		return j; /* scanned from there as what it is */
	k = run(s + j, n - j, CLS_BEARER, 4096);
	if (k < 20 || k > 4096 || !plausible(s + j, k))
		return i;
	emit(sc, "bearer_token", s, j, k);
	return j + k;
}

/* ---- PEM private keys ---- */

#define PEM_MAX (64u << 10)
#define PEM_MIN_B64 64 /* fewer base64 characters: a sample ("MIIE...") */

static bool ends_with(const char *p, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && !memcmp(p + n - k, suffix, k);
}

/* "-----BEGIN [A-Z ]*-----" at p: the label's length, or -1. */
static long pem_label(const char *p, size_t n, const char *open)
{
	size_t o = strlen(open), j = o;

	if (n < o || memcmp(p, open, o))
		return -1;
	while (j < n && j - o < 48 && (is_upper(p[j]) || p[j] == ' '))
		j++;
	if (n - j < 5 || memcmp(p + j, "-----", 5))
		return -1;
	return (long)(j - o);
}

/* Hashes the base64 characters of the body; *end: where "-----" starts, or where it stopped. */
static size_t pem_body(const char *p, size_t n, struct sha256 *h, size_t *end)
{
	size_t j = 0, count = 0;

	while (j < n && j < PEM_MAX) {
		char c = p[j];

		if (c == '-' && n - j >= 5 && !memcmp(p + j, "-----", 5))
			break; /* END, or the next armour line: never part of this body */
		if (c == '\\' && j + 1 < n && (p[j + 1] == 'n' || p[j + 1] == 'r')) {
			j += 2; /* raw JSON text: an escaped line ending */
			continue;
		}
		if (is_b64(c)) {
			sha256_update(h, &c, 1);
			count++;
		} else if (!in_set(c, " \t\r\n:,-")) {
			break; /* prose after an armour line, or a "..." sample */
		}
		j++;
	}
	*end = j;
	return count;
}

static size_t try_pem(struct scan *sc, const char *s, size_t n, size_t i)
{
	const char *p = s + i;
	size_t m = n - i, body_at, stop, count;
	long lab = pem_label(p, m, "-----BEGIN ");
	struct sha256 h;
	uint8_t d[32];

	if (lab < 0)
		return i;
	body_at = 11 + (size_t)lab + 5;
	if (!ends_with(p + 11, (size_t)lab, "PRIVATE KEY") &&
	    !ends_with(p + 11, (size_t)lab, "PRIVATE KEY BLOCK"))
		return i + body_at; /* a certificate or public key: not a secret */
	sha256_init(&h);
	count = pem_body(p + body_at, m - body_at, &h, &stop);
	stop += body_at;
	if (count < PEM_MIN_B64) {
		explicit_bzero(&h, sizeof(h));
		return i + stop;
	}
	sha256_final(&h, d);
	lab = pem_label(p + stop, m - stop, "-----END ");
	if (lab >= 0)
		stop += 9 + (size_t)lab + 5;
	emit_digest(sc, "private_key", d, i, stop);
	explicit_bzero(d, sizeof(d));
	return i + stop;
}

/* ---- password-shaped assignments ---- */

#define KEY_MAX 64
#define VALUE_MAX 256
#define UNQUOTED_MAX 128

/* a == b (b: lowercase) ignoring case, with '-' and '_' the same */
static bool key_eq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char x = a[i] == '-' ? '_' : lower(a[i]);

		if (x != b[i])
			return false;
	}
	return true;
}

static bool all_caps(const char *k, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (is_lower(k[i]))
			return false;
	return true;
}

/*
 * Keys whose value is a secret: ending in password, passwd, pwd, passphrase,
 * secret, secret_key or secret_access_key as a word of their own (db_password,
 * user.pwd, dbPassword, PGPASSWORD), never inside one (passwords, mypassword).
 */
static bool key_is_password(const char *k, size_t n)
{
	static const char *const words[] = { "password",	 "passwd", "pwd",
					     "passphrase",	 "secret", "secret_key",
					     "secret_access_key" };

	for (size_t i = 0; i < sizeof(words) / sizeof(*words); i++) {
		size_t w = strlen(words[i]);
		char pc;

		if (n < w || !key_eq(k + n - w, words[i], w))
			continue;
		if (n == w || all_caps(k, n))
			return true;
		pc = k[n - w - 1];
		if (pc == '_' || pc == '-' || pc == '.')
			return true;
		if ((is_lower(pc) || is_digit(pc)) && is_upper(k[n - w]))
			return true;
	}
	return false;
}

static bool is_ident(char c)
{
	return is_alnum(c) || c == '_' || c == '-' || c == '.';
}

static bool name_char(char c)
{
	return is_alnum(c) || c == '_' || c == '$' || c == '#';
}

/* One identifier at v: its length, 0 when v does not start like one. */
static size_t name_at(const char *v, size_t n)
{
	size_t i = 0;

	if (!n || is_digit(v[0]) || !name_char(v[0]))
		return 0;
	while (i < n && name_char(v[i]))
		i++;
	return i;
}

/* args.password, opts?.workSecret, this.#auth.secret: member access */
static bool member_chain(const char *v, size_t n)
{
	size_t i = name_at(v, n), parts = 1;

	while (i && i < n) {
		size_t k;

		if (v[i] == '?' && i + 1 < n && v[i + 1] == '.')
			i++;
		if (v[i] != '.' || !(k = name_at(v + i + 1, n - i - 1)))
			return false;
		i += 1 + k;
		parts++;
	}
	return i == n && parts >= 2;
}

/* hashed_password, stored_pw2, SigningSecret$: a variable's name */
static bool var_name(const char *v, size_t n)
{
	bool sep = false;
	size_t i = 0;

	while (i < n && (is_alpha(v[i]) || v[i] == '_' || v[i] == '$')) {
		sep |= v[i] == '_' || v[i] == '$';
		i++;
	}
	while (i && i < n && is_digit(v[i]))
		i++;
	return i == n && sep;
}

struct value {
	size_t off, len;
	bool quoted;
	bool tight; /* KEY=value with no blanks around '=' (env files, query strings) */
	char term; /* what ended an unquoted value (0: the end) */
};

static bool value_shape_ok(const char *v, size_t n)
{
	size_t spaces = 0;
	bool same = true;

	if (n < 8 || n > VALUE_MAX)
		return false;
	for (size_t i = 1; i < n; i++)
		same &= v[i] == v[0];
	for (size_t i = 0; i < n; i++)
		spaces += v[i] == ' ';
	if (same || spaces > 1) /* ******** ; a sentence (a label, a hint) */
		return false;
	if (in_set(v[0], "/~$%@&") || !strncmp(v, "./", 2) || !strncmp(v, "../", 3) ||
	    has_ci(v, n, "://"))
		return false; /* a path, URL, variable, bcrypt hash or reference */
	return !placeholder(v, n);
}

/* Unquoted code: a call, an index, a member, a variable, a type in a signature. */
static bool code_value(const char *v, const struct value *x)
{
	if (memchr(v, '(', x->len) || memchr(v, '[', x->len) || memchr(v, '{', x->len))
		return true;
	if (member_chain(v, x->len) || var_name(v, x->len))
		return true;
	/* f(password: Uint8Array, ...), { secret: clientSecret } */
	return name_at(v, x->len) == x->len && in_set(x->term, ",);}|");
}

/*
 * A value worth reporting: not a placeholder, path, expression or label. It
 * needs a digit or a symbol beyond word separators: "Passwort", "pass:word"
 * and "secret-value" read as labels and samples. Letters alone pass only as
 * KEY=value (env files, query strings).
 */
static bool value_ok(const char *v, const struct value *x)
{
	bool digit = false, symbol = false, word = true;

	if (!value_shape_ok(v, x->len) || (!x->quoted && code_value(v, x)) ||
	    key_is_password(v, x->len))
		return false; /* secret=password, "password": "DB_PASSWORD": a name, not a value */
	for (size_t i = 0; i < x->len; i++) {
		unsigned char c = (unsigned char)v[i];

		digit |= is_digit(v[i]);
		symbol |= !is_alnum(v[i]) && c < 0x80 && !in_set(v[i], "-_.: ");
		word &= is_alpha(v[i]) || in_set(v[i], "-_.");
	}
	return digit || symbol || (!x->quoted && x->tight && word);
}

/* The assignment's key ends just before the separator at i (quote and blanks skipped). */
static bool key_before(const char *s, size_t i)
{
	size_t e = i, b, blanks = 0;

	while (e && (s[e - 1] == ' ' || s[e - 1] == '\t') && blanks++ < 8)
		e--;
	if (e && in_set(s[e - 1], "\"'`"))
		e--;
	if (!e || !in_set(lower(s[e - 1]), "dtey"))
		return false; /* no key word ends otherwise: most ':' and '=' stop here */
	for (b = e; b && e - b < KEY_MAX && is_ident(s[b - 1]);)
		b--;
	return b < e && key_is_password(s + b, e - b);
}

/* The value after the separator at i; false when there is none. */
static bool value_after(const char *s, size_t n, size_t i, struct value *x)
{
	size_t v = i + 1;

	if (v < n && ((s[i] == '=' && s[v] == '>') || (s[i] == ':' && s[v] == '=')))
		v++; /* => and := */
	x->tight = s[i] == '=' && v == i + 1 && i && s[i - 1] != ' ' && v < n && s[v] != ' ';
	while (v < n && v - i < 16 && (s[v] == ' ' || s[v] == '\t'))
		v++;
	x->quoted = v < n && in_set(s[v], "\"'`");
	if (x->quoted) {
		char q = s[v++];
		size_t e = v;

		while (e < n && e - v <= VALUE_MAX && s[e] != q && s[e] != '\n')
			e += s[e] == '\\' ? 2 : 1;
		if (e >= n || s[e] != q)
			return false;
		x->off = v, x->len = e - v;
		return true;
	}
	x->off = v;
	x->term = 0;
	for (x->len = 0; v + x->len < n && x->len <= UNQUOTED_MAX; x->len++) {
		char c = s[v + x->len];

		/* a backslash: an escape in raw JSON text (\n), not part of the value */
		if (!c || in_set(c, " \t\r\n,;&)}]|\"'`<>\\")) {
			x->term = c;
			break;
		}
	}
	return x->len <= UNQUOTED_MAX;
}

static bool assignment_sep(const char *s, size_t n, size_t i)
{
	if (s[i] == '=')
		return !(i && in_set(s[i - 1], "!<>=")) && !(i + 1 < n && s[i + 1] == '=');
	return !(i + 1 < n && s[i + 1] == ':'); /* C++ / Rust paths */
}

static size_t try_password(struct scan *sc, const char *s, size_t n, size_t i)
{
	struct value x;
	const char *kind;

	if (!assignment_sep(s, n, i) || !key_before(s, i) || !value_after(s, n, i, &x))
		return i;
	if (match_token(s + x.off, x.len, &kind))
		return x.off; /* a key of a known kind: its own rule reports it */
	if (!value_ok(s + x.off, &x))
		return i;
	emit(sc, "password", s, x.off, x.len);
	return x.off + x.len;
}

/* ---- text ---- */

/* data:image/png;base64,... : an inline file, skipped whole. */
static size_t skip_data_url(const char *s, size_t n, size_t i)
{
	size_t j;

	if (n - i < 5 || memcmp(s + i, "data:", 5))
		return i;
	for (j = i + 5; j < n && j - i < 128 && (is_alnum(s[j]) || in_set(s[j], "/+.-;=")); j++) {
		if (s[j] == ';' && n - j >= 8 && !memcmp(s + j, ";base64,", 8)) {
			for (j += 8; j < n && is_b64(s[j]);)
				j++;
			return j;
		}
	}
	return i;
}

/* Where scanning resumes: past a match, or i when nothing starts at i. */
static size_t scan_at(struct scan *sc, const char *s, size_t n, size_t i)
{
	char c = s[i];

	if (c == ':' || c == '=')
		return try_password(sc, s, n, i);
	if (i && is_tok(s[i - 1]))
		return i; /* inside a word: no token starts here */
	switch (c) {
	case '-':
		return try_pem(sc, s, n, i);
	case 'B':
	case 'b':
		return try_bearer(sc, s, n, i);
	case 'd':
		return skip_data_url(s, n, i);
	default:
		return try_token(sc, s, n, i);
	}
}

static void scan_text(struct scan *sc, const char *s, size_t n)
{
	if (n > sc->budget)
		n = sc->budget;
	sc->budget -= n;
	for (size_t i = 0; i < n && !full(sc);) {
		size_t next = scan_at(sc, s, n, i);

		i = next > i ? next : i + 1;
	}
}

/* ---- JSON ---- */

/* A long string of nothing but base64 (an image, audio): no secret shape fits in it. */
static bool base64_blob(const char *s, size_t n)
{
	if (n < 1024)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_b64(s[i]) && s[i] != '\n' && s[i] != '\r')
			return false;
	return true;
}

/* "password": "..." as a JSON member (tool arguments, configs pasted as objects). */
static void scan_member(struct scan *sc, const char *key, json_t *v)
{
	struct value x = { .quoted = true };
	const char *s, *kind;

	if (!json_is_string(v) || !key_is_password(key, strlen(key)))
		return;
	s = json_string_value(v);
	x.len = json_string_length(v);
	if (x.len > sc->budget || match_token(s, x.len, &kind) || !value_ok(s, &x))
		return;
	emit(sc, "password", s, 0, x.len);
}

static void walk(struct scan *sc, json_t *v, int depth)
{
	const char *key;
	json_t *m;
	size_t i;

	if (depth > SECRET_SCAN_MAX_DEPTH || full(sc) || !sc->budget)
		return;
	if (json_is_string(v)) {
		if (!base64_blob(json_string_value(v), json_string_length(v)))
			scan_text(sc, json_string_value(v), json_string_length(v));
	} else if (json_is_object(v)) {
		json_object_foreach(v, key, m)
		{
			scan_member(sc, key, m);
			walk(sc, m, depth + 1);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, m)
		{
			walk(sc, m, depth + 1);
		}
	}
}

json_t *secret_scan_parse(const char *text, size_t len)
{
	size_t i = 0;

	while (i < len && in_set(text[i], " \t\r\n"))
		i++;
	if (i == len || (text[i] != '{' && text[i] != '['))
		return NULL;
	return json_loadb(text, len, JSON_ALLOW_NUL, NULL);
}

static void scan_init(struct scan *sc, struct secret_hit *hits, size_t max)
{
	sc->hits = hits;
	sc->max = hits ? max : 0;
	sc->count = 0;
	sc->budget = SECRET_SCAN_MAX_BYTES;
}

size_t secret_scan_json(const struct json_t *root, struct secret_hit *hits, size_t max)
{
	struct scan sc;

	if (!root)
		return 0;
	scan_init(&sc, hits, max);
	walk(&sc, (json_t *)root, 0); /* read only: jansson's iterators are not const */
	return sc.count;
}

size_t secret_scan_text(const char *text, size_t len, struct secret_hit *hits, size_t max)
{
	struct scan sc;

	if (!text || !len)
		return 0;
	scan_init(&sc, hits, max);
	scan_text(&sc, text, len);
	return sc.count;
}

size_t secret_scan(const char *text, size_t len, struct secret_hit *hits, size_t max)
{
	json_t *root;
	size_t n;

	if (!text || !len)
		return 0;
	root = secret_scan_parse(text, len);
	if (!root)
		return secret_scan_text(text, len, hits, max);
	n = secret_scan_json(root, hits, max);
	json_decref(root);
	return n;
}
