// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * secret_scan: the SHA-256 against FIPS 180-4 vectors and every padding
 * boundary, each kind of secret found inside realistic LLM request bodies
 * (escaped as JSON escapes it: \n, \/, \u002d), exact hashes and
 * positions, one hash per secret across bodies and line endings, and a
 * benign corpus (prose about passwords, code with placeholders, commit
 * ids, checksums, UUIDs, images, certificates) that must raise nothing.
 * Test keys are assembled from split literals so no full key shape sits
 * in the source for secret scanners to trip on.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "secret_scan.h"

#define OPENAI_KEY \
	"sk-"      \
	"proj-"    \
	"Zq3vN8rT2mK9wX4pL7yB1cF6hJ0dS5gA-uE2iO8nR4tY6_Wb9Xc3Vz"
#define ANTHROPIC_KEY \
	"sk-"         \
	"ant-api03-"  \
	"h7Gk2Lp9Qw4Er8Ty1Ui5Op3As6Df0GhJk2Lz8XcVbNm4-Q1w_E5rTyAA"
#define GOOGLE_KEY \
	"AI"       \
	"za"       \
	"SyB3kF9dQ2wE7rT1yU6iO0pA4sD8fG5hJ2k"
#define GITHUB_KEY \
	"gh"       \
	"p_"       \
	"R4nD0mT0k3nV4lu3sF0rT3st1ngAbCdEf9Zq"
#define GITHUB_PAT \
	"github"   \
	"_pat_"    \
	"11ABCDE2Q0aBcDeFgHiJkL_mNoPqRsTuVwXyZ0123456789abcdefGHIJKLmnopQRSTuv"
#define SLACK_KEY \
	"xo"      \
	"xb-"     \
	"123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
#define AWS_KEY \
	"AK"    \
	"IA"    \
	"Q7RZ4M2XK9LB3TWD"
#define STRIPE_KEY \
	"sk_"      \
	"live_"    \
	"51HqLyjWDarjtT1zdp7dcXYZ0aBcD"
#define BEARER_TOK "8f14e45fceea167a5a36dedd4bea2543.Zk1-9_xQ~m"
#define JWT_TOK                                                           \
	"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." /* {"alg":"HS256",...} */ \
	"eyJzdWIiOiJhZ2VudC03IiwiaWF0IjoxNzI2MDAwMDAwfQ."                 \
	"q2Vb7mR0yLx9Tg4WcN8pZs1Hf6Ud3Ja5Ke0Io7Pu2Ab"
#define PASSWORD "Tr0ub4dor!3x"

static void hex16(const char *s, size_t n, char out[SECRET_HASH_LEN])
{
	uint8_t d[32];

	secret_sha256(s, n, d);
	for (int i = 0; i < 8; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void digest_is(const char *msg, size_t n, const char *want)
{
	uint8_t d[32];
	char got[65];

	secret_sha256(msg, n, d);
	for (int i = 0; i < 32; i++)
		snprintf(got + 2 * i, 3, "%02x", d[i]);
	assert_string_equal(got, want);
}

static void test_sha256_vectors(void **state)
{
	static const struct {
		size_t n;
		const char *hex;
	} as[] = {
		/* runs of 'a' around each padding boundary (checked with sha256sum) */
		{ 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318" },
		{ 56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a" },
		{ 63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34" },
		{ 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb" },
		{ 65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0" },
		{ 119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb" },
		{ 120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c" },
		{ 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0" },
	};
	char *a = malloc(1000000);

	(void)state;
	assert_non_null(a);
	memset(a, 'a', 1000000);
	/* FIPS 180-4 / NIST CSRC examples */
	digest_is("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	digest_is("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	digest_is("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	digest_is("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
		  "klmnopqrlmnopqrsmnopqrstnopqrstu",
		  112, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
	for (size_t i = 0; i < sizeof(as) / sizeof(*as); i++)
		digest_is(a, as[i].n, as[i].hex);
	free(a);
}

/* An OpenAI chat body with content as its one user message, escaped as JSON does. */
enum esc { ESC_PLAIN, ESC_SLASH, ESC_U002D };

static char *chat_body(const char *content, enum esc e)
{
	json_t *root = json_pack("{s:s, s:[{s:s, s:s}], s:b}", "model", "gpt-4o-mini", "messages",
				 "role", "user", "content", content, "stream", 0);
	char *s = json_dumps(root, e == ESC_SLASH ? JSON_ESCAPE_SLASH : 0), *out, *o;

	assert_non_null(s);
	json_decref(root);
	if (e != ESC_U002D)
		return s;
	out = o = malloc(strlen(s) * 6 + 1);
	assert_non_null(out);
	for (const char *p = s; *p; p++)
		o += *p == '-' ? sprintf(o, "\\u002d") : sprintf(o, "%c", *p);
	*o = '\0';
	free(s);
	return out;
}

static size_t scan_str(const char *text, struct secret_hit *hits, size_t max)
{
	return secret_scan(text, strlen(text), hits, max);
}

/* text holds exactly one secret, of kind, whose bytes are secret (at that offset of where). */
static void one_hit(const char *text, const char *where, const char *kind, const char *secret)
{
	struct secret_hit h[4];
	char want[SECRET_HASH_LEN];
	size_t n = scan_str(text, h, 4);

	if (n != 1 || strcmp(h[0].kind, kind)) {
		fprintf(stderr, "want one %s, got %zu (%s) in: %s\n", kind, n, n ? h[0].kind : "-",
			text);
		fail();
	}
	hex16(secret, strlen(secret), want);
	assert_string_equal(h[0].hash, want);
	assert_int_equal(h[0].len, strlen(secret));
	assert_memory_equal(where + h[0].off, secret, h[0].len);
}

static const struct {
	const char *kind, *secret, *prose; /* prose: printf format around the secret */
} kinds[] = {
	{ "openai_key", OPENAI_KEY, "Why does this fail?\nclient = OpenAI(api_key=\"%s\")\n" },
	{ "anthropic_key", ANTHROPIC_KEY, "export ANTHROPIC_API_KEY=%s\nthen run the agent" },
	{ "google_api_key", GOOGLE_KEY, "curl https://maps.googleapis.com/x?key=%s&q=1" },
	{ "github_token", GITHUB_KEY, "git clone https://%s@github.com/org/repo.git" },
	{ "github_token", GITHUB_PAT, "token: %s" },
	{ "slack_token", SLACK_KEY, "SLACK_BOT_TOKEN='%s' # from the app page" },
	{ "aws_access_key", AWS_KEY, "[default]\naws_access_key_id = %s\nregion = eu-west-1" },
	{ "stripe_key", STRIPE_KEY, "stripe.api_key = \"%s\"" },
	{ "bearer_token", BEARER_TOK, "curl -H 'Authorization: Bearer %s' https://api.x.io/v1" },
	{ "jwt", JWT_TOK, "the cookie was session=%s; Path=/" },
	{ "password", PASSWORD, "my .env:\nDB_HOST=db.internal\nDB_PASSWORD=%s\nDB_PORT=5432" },
};

/* Each kind inside a JSON "content" string, with each escaping, and as raw text. */
static void test_each_kind(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(*kinds); i++) {
		char content[1024];

		snprintf(content, sizeof(content), kinds[i].prose, kinds[i].secret);
		one_hit(content, content, kinds[i].kind, kinds[i].secret);
		for (int e = ESC_PLAIN; e <= ESC_U002D; e++) {
			char *body = chat_body(content, (enum esc)e);

			if (e == ESC_U002D && strchr(kinds[i].secret, '-'))
				assert_null(strstr(body, kinds[i].secret));
			one_hit(body, content, kinds[i].kind, kinds[i].secret);
			free(body);
		}
	}
}

/* Bytes of a PEM body (random-looking, deterministic). */
static void pem(char *out, size_t cap, const char *label, const char *eol, int lines)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t x = 12345;
	size_t o = (size_t)snprintf(out, cap, "-----BEGIN %s-----%s", label, eol);

	for (int l = 0; l < lines; l++) {
		for (int i = 0; i < 64; i++) {
			x = x * 1103515245u + 12345u;
			out[o++] = b64[(x >> 16) & 63];
		}
		o += (size_t)snprintf(out + o, cap - o, "%s", eol);
	}
	snprintf(out + o, cap - o, "-----END %s-----%s", label, eol);
}

static void b64_only(const char *pem_text, char *out)
{
	const char *p = strstr(pem_text, "-----\n") ? strstr(pem_text, "-----\n") + 6 :
						      strstr(pem_text, "-----\r\n") + 7;

	for (; strncmp(p, "-----END", 8); p++)
		if (*p != '\n' && *p != '\r')
			*out++ = *p;
	*out = '\0';
}

/* PEM keys: hash of the base64 only, the same with \n and \r\n, in JSON and raw, truncated. */
static void test_private_keys(void **state)
{
	static const char *const labels[] = { "PRIVATE KEY",	       "RSA PRIVATE KEY",
					      "EC PRIVATE KEY",	       "OPENSSH PRIVATE KEY",
					      "ENCRYPTED PRIVATE KEY", "PGP PRIVATE KEY BLOCK" };
	char lf[2048], crlf[2048], raw[2048], want[SECRET_HASH_LEN], *body, prompt[2600];
	struct secret_hit a, b;

	(void)state;
	for (size_t i = 0; i < sizeof(labels) / sizeof(*labels); i++) {
		pem(lf, sizeof(lf), labels[i], "\n", 12);
		pem(crlf, sizeof(crlf), labels[i], "\r\n", 12);
		b64_only(lf, raw);
		assert_int_equal(strlen(raw), 12 * 64);
		hex16(raw, strlen(raw), want);
		snprintf(prompt, sizeof(prompt), "Deploy fails, key is:\n%s\nany idea?", lf);
		body = chat_body(prompt, ESC_SLASH); /* '/' in base64 becomes \/ */
		assert_int_equal(scan_str(body, &a, 1), 1);
		free(body);
		assert_int_equal(scan_str(crlf, &b, 1), 1);
		assert_string_equal(a.kind, "private_key");
		assert_string_equal(a.hash, want);
		assert_string_equal(b.hash, want);
		/* the span covers the armour, both lines included */
		assert_int_equal(b.off, 0);
		assert_int_equal(b.len, strlen(crlf) - 2);
	}
	/* cut before its END line (prompt truncated): still a key, same hash */
	pem(lf, sizeof(lf), "RSA PRIVATE KEY", "\n", 12);
	b64_only(lf, raw);
	hex16(raw, strlen(raw), want);
	*strstr(lf, "-----END") = '\0';
	assert_int_equal(scan_str(lf, &a, 1), 1);
	assert_string_equal(a.hash, want);
	/* a certificate or public key is not a secret */
	pem(lf, sizeof(lf), "CERTIFICATE", "\n", 12);
	assert_int_equal(scan_str(lf, NULL, 0), 0);
	pem(lf, sizeof(lf), "PUBLIC KEY", "\n", 12);
	assert_int_equal(scan_str(lf, NULL, 0), 0);
}

/* The same secret in two different bodies and places: one hash. Counted once per body. */
static void test_same_secret_same_hash(void **state)
{
	char *b1 = chat_body("key: " OPENAI_KEY, ESC_PLAIN);
	char *b2 = chat_body("Use Authorization: Bearer " OPENAI_KEY " then\n\n" OPENAI_KEY,
			     ESC_U002D);
	struct secret_hit h1, h2[4];

	(void)state;
	assert_int_equal(scan_str(b1, &h1, 1), 1);
	/* twice in b2, once after "Bearer ": one openai_key, no bearer_token */
	assert_int_equal(scan_str(b2, h2, 4), 1);
	assert_string_equal(h2[0].kind, "openai_key");
	assert_string_equal(h1.hash, h2[0].hash);
	/* independent of our SHA-256: sha256sum of the key, first 16 hex digits */
	assert_string_equal(h1.hash, "aaa4a8fbee5f68c9");
	free(b1), free(b2);
}

/* Several secrets: order kept, hits[] bounded by max, the count is not. */
static void test_many(void **state)
{
	const char *text = "a " AWS_KEY " b " GITHUB_KEY "\npassword: \"" PASSWORD "\" c " JWT_TOK;
	struct secret_hit h[5];
	char buf[64 * 400];
	size_t o = 0;

	(void)state;
	memset(h, 0x5a, sizeof(h));
	assert_int_equal(scan_str(text, h, 2), 4);
	assert_string_equal(h[0].kind, "aws_access_key");
	assert_int_equal(h[0].off, 2);
	assert_string_equal(h[1].kind, "github_token");
	assert_int_equal(h[2].off, 0x5a5a5a5a5a5a5a5aull); /* untouched */
	assert_int_equal(scan_str(text, h, 5), 4);
	assert_string_equal(h[2].kind, "password");
	assert_memory_equal(text + h[2].off, PASSWORD, strlen(PASSWORD));
	assert_string_equal(h[3].kind, "jwt");
	assert_int_equal(scan_str(text, NULL, 5), 4);
	/* 400 distinct passwords: the count stops at SECRET_SCAN_MAX_COUNT */
	for (int i = 0; i < 400; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "pwd=Pw%05d!x\n", i);
	assert_int_equal(scan_str(buf, NULL, 0), SECRET_SCAN_MAX_COUNT);
}

/* Password-shaped assignments: where they are found and what values count. */
static void test_passwords(void **state)
{
	static const char *const found[] = {
		"password = \"" PASSWORD "\"",
		"config = {\"password\":\"" PASSWORD "\"}",
		"  db_password: '" PASSWORD "'",
		"PGPASSWORD=" PASSWORD " psql -h db",
		"$conf = ['passwd' => '" PASSWORD "'];",
		"https://x.io/login?user=bob&pwd=" PASSWORD "&next=/",
		"client_secret := `" PASSWORD "`",
		"dbPassword: " PASSWORD,
		"AWS_SECRET_ACCESS_KEY=" PASSWORD,
		"Passphrase: " PASSWORD,
		"{ user: \"bob\", password: \"" PASSWORD "\" }",
	};
	struct secret_hit h;
	char *body;

	(void)state;
	for (size_t i = 0; i < sizeof(found) / sizeof(*found); i++)
		one_hit(found[i], found[i], "password", PASSWORD);
	/* env-file style: a value of letters only counts as KEY=value, not after ": " */
	one_hit("DB_PASSWORD=supersecretvalue", "DB_PASSWORD=supersecretvalue", "password",
		"supersecretvalue");
	assert_int_equal(scan_str("DB_PASSWORD: supersecretvalue", NULL, 0), 0);
	one_hit("DB_PASSWORD=correct-horse-battery", "DB_PASSWORD=correct-horse-battery",
		"password", "correct-horse-battery");
	one_hit("{\"c\":\"x\\nDB_PASSWORD=Pa$$w0rd\\nDB_PORT=5432\"", /* cut JSON: raw escapes */
		"{\"c\":\"x\\nDB_PASSWORD=Pa$$w0rd\\nDB_PORT=5432\"", "password", "Pa$$w0rd");
	/* a JSON member, e.g. tool-call arguments the client sends back */
	body = "{\"model\":\"m\",\"input\":[{\"type\":\"function_call\",\"arguments\":"
	       "\"{\\\"user\\\":\\\"bob\\\",\\\"password\\\":\\\"" PASSWORD "\\\"}\"}]}";
	one_hit(body, "{\"user\":\"bob\",\"password\":\"" PASSWORD "\"}", "password", PASSWORD);
	body = "{\"tools\":[{\"config\":{\"smtp\":{\"password\":\"" PASSWORD "\"}}}]}";
	assert_int_equal(scan_str(body, &h, 1), 1);
	assert_string_equal(h.kind, "password");
	assert_int_equal(h.off, 0); /* in the decoded value */
	assert_int_equal(h.len, strlen(PASSWORD));
	/* a key of a known kind as the value is reported as that kind, once */
	one_hit("secret=" STRIPE_KEY, "secret=" STRIPE_KEY, "stripe_key", STRIPE_KEY);
	body = "{\"password\":\"" GITHUB_KEY "\"}";
	assert_int_equal(scan_str(body, &h, 1), 1);
	assert_string_equal(h.kind, "github_token");
}

/* Ordinary prompts: none of these is a secret. */
static const char *const benign[] = {
	"Here is how to reset your password: open Settings and click 'Forgot password'.",
	"The password must be at least 8 characters long and contain a digit.",
	"Password: Required",
	"password = getpass.getpass(\"Password: \")",
	"password = os.environ[\"DB_PASSWORD\"]",
	"self.password = hashed_password",
	"password = creds.user2pw\nsecret = stored_pw2\npasswd: opts?.pw3",
	"password=args.password",
	"if (password == confirm_password) return 0;",
	"if password != stored_password12:",
	"password: Optional[str] = None",
	"password: PasswordType",
	"db_password: ${DB_PASSWORD}",
	"secret: ${{ secrets.GH_TOKEN }}",
	"\"password\": \"********\"",
	"\"password\": \"<password>\"",
	"\"password\": \"{{ vault_db_password }}\"",
	"password=xxxxxxxxxxxx",
	"PASSWORD=your_password_here",
	"password: changeme # example",
	"\"password\": \"$2b$12$KIXQJ1mM0yY0nL4oF3pQeO6u3Z9vQ1aB2cD3eF4gH5iJ6kL7mN8oP\"",
	"PWD=/home/alice/project\nOLDPWD=/home/alice\nSHELL=/bin/bash",
	"the secret: patience.",
	"secret: ingredient",
	"secretName: my-app-tls\nkind: Secret",
	"top_secret: true",
	"{\"password\": \"Passwort\", \"password_hint\": \"Mindestens 8 Zeichen\"}",
	"{\"password\": \"Must be at least 8 characters.\"}",
	"{\"type\":\"object\",\"properties\":{\"password\":{\"type\":\"string\","
	"\"description\":\"The user's password\"}}}",
	"api_key = \"sk-...\"",
	"export OPENAI_API_KEY=sk-your-key-here",
	"export OPENAI_API_KEY=sk-proj-XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
	"Authorization: Bearer <token>",
	"Authorization: Bearer $OPENAI_API_KEY",
	"Authorization: Bearer YOUR_ACCESS_TOKEN_GOES_HERE",
	"Bearer tokens are described in RFC 6750; bearer authentication is simple.",
	"commit 3f786850e387550fdab836ed7e6dc881de23001b\nAuthor: A <a@b.c>\n\n    Fix",
	"merge 9fceb02d0ae598e95dc970b74767f19372d61af8 into 2c1743a391305fbf367df8e4f069f9f9",
	"sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"request 123e4567-e89b-12d3-a456-426614174000 and 9b2f1c3e-55aa-4e0b-9d7c-0c8f3a1b2d4e",
	"AWS docs use AKIA"
	"IOSFODNN7EXAMPLE as the access key id",
	"task-1234567890abcdefghijklmnopqrstuvwxyz0123456789 was queued",
	"mask-"
	"sk-"
	"9f8e7d6c5b4a39281706f5e4d3c2b1a0aa11bb22cc33",
	"tokens start with ghp_ or gho_, Slack's with xoxb-",
	"-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA...\n-----END RSA PRIVATE KEY-----",
	"a JWT looks like eyJhbGciOi... . eyJzdWIi... . signature",
	"Use `sk-ant-` keys for Anthropic and `AIza` keys for Gemini.",
	"The function is defined as def login(user: str, password: str) -> bool:",
	"Here's a poem about secrets: the night keeps its own.",
	"x=1; y = 2; z: 3; a == b",
	/* from real code (SDKs, their tests) */
	"const workSecret = opts?.workSecret;",
	"const clientSecret = this.#clientAuthentication.clientSecret;",
	"export type SigningSecret = SigningSecret$;",
	"function pbkdf2(password: Uint8Array, salt: Uint8Array): Uint8Array",
	"new BasicAuth({ username: \"user\", password: \"pass:word\" })",
	"queryParameters: { secret: \"secret-value\", client_secret: \"client_secret\" }",
	"How do I rotate my password: safely?\\n",
	"oauth_token=key&oauth_token_secret=password&x=1",
	"stripe.api_key = 'sk_"
	"test_4eC39HqLyjWDarjtT1zdp7dc' # Stripe's documented test key",
	"{\"password\": \"DB_PASSWORD\", \"secret\": \"clientSecret\"}",
};

static void test_benign(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(benign) / sizeof(*benign); i++) {
		struct secret_hit h;
		char *body = chat_body(benign[i], ESC_U002D);

		if (scan_str(benign[i], &h, 1) || scan_str(body, &h, 1)) {
			fprintf(stderr, "false positive %s in: %s\n", h.kind, benign[i]);
			fail();
		}
		free(body);
	}
}

/* Images: base64 data: URLs and bare base64 strings are not scanned (an AWS-shaped run in one). */
static void test_images(void **state)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char img[4096], text[4200], *body;
	json_t *root;
	uint32_t x = 7;

	(void)state;
	for (size_t i = 0; i < sizeof(img) - 1; i++) {
		x = x * 1103515245u + 12345u;
		img[i] = b64[(x >> 16) & 63];
	}
	img[sizeof(img) - 1] = '\0';
	memcpy(img + 2000, "+" AWS_KEY "+", 22);
	/* the same bytes outside an image are reported: the skip is what keeps them quiet */
	snprintf(text, sizeof(text), "see %s", img + 2000);
	assert_int_equal(scan_str(text, NULL, 0), 1);
	snprintf(text, sizeof(text), "data:image/png;base64,%s", img);
	assert_int_equal(scan_str(text, NULL, 0), 0);
	root = json_pack("{s:[{s:s,s:[{s:s,s:{s:s}},{s:s,s:{s:s,s:s,s:s}}]}]}", "messages", "role",
			 "user", "content", "type", "image_url", "image_url", "url", text, "type",
			 "image", "source", "type", "base64", "media_type", "image/png", "data",
			 img);
	body = json_dumps(root, 0);
	assert_int_equal(scan_str(body, NULL, 0), 0);
	free(body);
	json_decref(root);
	/* text after a data: URL is still scanned */
	snprintf(text, sizeof(text), "data:image/gif;base64,R0lGODlhAQABAAAAACw= then " AWS_KEY);
	assert_int_equal(scan_str(text, NULL, 0), 1);
}

/* JSON: nested values, the depth bound, broken JSON read as text. */
static void test_json_edges(void **state)
{
	static const char nul_text[] = "\0 " GITHUB_KEY "\0";
	char deep[1024];
	size_t o = 0;

	(void)state;
	for (int i = 0; i < 10; i++)
		deep[o++] = '[';
	o += (size_t)sprintf(deep + o, "\"%s\"", GOOGLE_KEY);
	for (int i = 0; i < 10; i++)
		deep[o++] = ']';
	deep[o] = '\0';
	assert_int_equal(scan_str(deep, NULL, 0), 1);
	o = 0;
	for (int i = 0; i < SECRET_SCAN_MAX_DEPTH + 5; i++)
		deep[o++] = '[';
	o += (size_t)sprintf(deep + o, "\"%s\"", GOOGLE_KEY);
	for (int i = 0; i < SECRET_SCAN_MAX_DEPTH + 5; i++)
		deep[o++] = ']';
	deep[o] = '\0';
	assert_int_equal(scan_str(deep, NULL, 0), 0);
	/* cut JSON: scanned as raw text */
	one_hit("{\"messages\":[{\"content\":\"key " GOOGLE_KEY " and more",
		"{\"messages\":[{\"content\":\"key " GOOGLE_KEY " and more", "google_api_key",
		GOOGLE_KEY);
	/* keys are not glued to neighbours; the exact lengths hold */
	assert_int_equal(scan_str(GOOGLE_KEY "x", NULL, 0), 0);
	assert_int_equal(scan_str("x" AWS_KEY, NULL, 0), 0);
	assert_int_equal(scan_str(AWS_KEY "9", NULL, 0), 0);
	/* NUL bytes inside a decoded string and in raw text */
	assert_int_equal(scan_str("{\"c\":\"\\u0000 " GITHUB_KEY "\"}", NULL, 0), 1);
	assert_int_equal(secret_scan(nul_text, sizeof(nul_text) - 1, NULL, 0), 1);
	assert_int_equal(secret_scan(NULL, 10, NULL, 0), 0);
	assert_int_equal(secret_scan_json(NULL, NULL, 0), 0);
	assert_int_equal(secret_scan("", 0, NULL, 0), 0);
}

/* secret_scan_json on a parsed body answers as secret_scan on its text. */
static void test_parsed(void **state)
{
	char *body = chat_body("ssh key for " GITHUB_KEY "\npassword: '" PASSWORD "'", ESC_U002D);
	json_t *root = json_loads(body, 0, NULL);
	struct secret_hit a[4], b[4];

	(void)state;
	assert_non_null(root);
	assert_int_equal(secret_scan_json(root, a, 4), 2);
	assert_int_equal(scan_str(body, b, 4), 2);
	for (int i = 0; i < 2; i++) {
		assert_string_equal(a[i].kind, b[i].kind);
		assert_string_equal(a[i].hash, b[i].hash);
		assert_int_equal(a[i].off, b[i].off);
	}
	assert_string_equal(a[1].kind, "password");
	json_decref(root);
	free(body);
}

/* A secret beyond SECRET_SCAN_MAX_BYTES is not looked for; one before it is. */
static void test_budget(void **state)
{
	size_t n = SECRET_SCAN_MAX_BYTES + 100;
	char *big = malloc(n);

	(void)state;
	assert_non_null(big);
	memset(big, ' ', n);
	memcpy(big + n - 40, AWS_KEY, 20);
	assert_int_equal(secret_scan(big, n, NULL, 0), 0);
	memcpy(big + 10, AWS_KEY, 20);
	assert_int_equal(secret_scan(big, n, NULL, 0), 1);
	free(big);
}

/* Garbage: bounded count, terminated hashes, spans inside the input. */
static void test_garbage(void **state)
{
	static const char alphabet[] =
		"sk-_AIzaghpxoxbeyJ.BEGIN PRIVATE KEY-----=:\"'pwd\n\\{}[]09Zz";
	size_t n = 1 << 20;
	char *g = malloc(n);
	struct secret_hit h[16];
	uint32_t x = 99;
	size_t k;

	(void)state;
	assert_non_null(g);
	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			g[i] = round ? alphabet[(x >> 16) % (sizeof(alphabet) - 1)] :
				       (char)(x >> 16);
		}
		k = secret_scan(g, n, h, 16);
		assert_true(k <= SECRET_SCAN_MAX_COUNT);
		for (size_t i = 0; i < k && i < 16; i++) {
			assert_int_equal(strlen(h[i].hash), 16);
			assert_true(h[i].off + h[i].len <= n);
		}
	}
	free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_vectors), cmocka_unit_test(test_each_kind),
		cmocka_unit_test(test_private_keys),   cmocka_unit_test(test_same_secret_same_hash),
		cmocka_unit_test(test_many),	       cmocka_unit_test(test_passwords),
		cmocka_unit_test(test_benign),	       cmocka_unit_test(test_images),
		cmocka_unit_test(test_json_edges),     cmocka_unit_test(test_parsed),
		cmocka_unit_test(test_budget),	       cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
