// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * attack_tools: the default User-Agents of attack tools are named, the
 * agents of browsers, clients, crawlers and monitors never are; and the
 * path a served request takes (http_threat_scan, then security__http):
 * a tool's request raises one scanner event per window, never one per
 * request, and is never remembered as clean.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "attack_tools.h"
#include "detect.h"
#include "http_threat.h"
#include "log.h"
#include "metrics.h"
#include "security.h"

static const struct {
	const char *ua, *tool;
} tools[] = {
	{ "sqlmap/1.7.2#stable (https://sqlmap.org)", "sqlmap" },
	{ "Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:Porttest)", "nikto" },
	{ "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)",
	  "nmap" },
	{ "masscan/1.3 (https://github.com/robertdavidgraham/masscan)", "masscan" },
	{ "Mozilla/5.0 zgrab/0.x", "zgrab" },
	{ "Nuclei - Open-source project (github.com/projectdiscovery/nuclei)", "nuclei" },
	{ "DirBuster-1.0-RC1 (http://www.owasp.org/index.php/Category:OWASP_DirBuster_Project)",
	  "dirbuster" },
	{ "gobuster/3.6", "gobuster" },
	{ "feroxbuster/2.10.1", "feroxbuster" },
	{ "Fuzz Faster U Fool v2.1.0-dev", "ffuf" },
	{ "Wfuzz/3.1.0", "wfuzz" },
	{ "WPScan v3.8.25 (https://wpscan.com/wordpress-security-scanner)", "wpscan" },
	{ "Mozilla/4.0 (Hydra)", "hydra" },
	{ "WhatWeb/0.5.5", "whatweb" },
	{ "Mozilla/5.0 [en] (X11, U; OpenVAS-VT 22.4.1)", "openvas" },
	{ "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 5.1; Trident/4.0) (Acunetix)",
	  "acunetix" },
	{ "Morfeus Fucking Scanner", "morfeus" },
	{ "ZmEu", "zmeu" },
	{ "SQLMAP/1.0-DEV", "sqlmap" }, /* any case */
};

/* Agents real traffic carries, some with a tool's word in another sense. */
static const char *const benign[] = {
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
	"Chrome/120.0.0.0 Safari/537.36",
	"Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 (KHTML, like Gecko) "
	"Version/17.2 Safari/605.1.15",
	"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
	"curl/7.88.1",
	"Wget/1.21.3",
	"python-requests/2.31.0",
	"Python-urllib/3.11",
	"Go-http-client/1.1",
	"node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
	"axios/1.6.2",
	"okhttp/4.12.0",
	"Apache-HttpClient/4.5.14 (Java/17.0.9)",
	"OpenAI/Python 1.6.1",
	"Prometheus/2.42.0",
	"kube-probe/1.28",
	"ELB-HealthChecker/2.0",
	"NucleiSeg/1.0 (cell nuclei segmentation)",
	"ory-hydra-client/2.2 (OAuth2)",
	"Hydrapy/0.3 (hydrology models)",
	"",
};

static void test_tools_named(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
		const char *got = attack_tool_of(tools[i].ua, strlen(tools[i].ua));

		if (!got || strcmp(got, tools[i].tool))
			fail_msg("%s: got %s, want %s", tools[i].ua, got ? got : "(none)",
				 tools[i].tool);
	}
}

static void test_benign_unnamed(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(benign) / sizeof(benign[0]); i++) {
		const char *got = attack_tool_of(benign[i], strlen(benign[i]));

		if (got)
			fail_msg("%s: named %s", benign[i], got);
	}
}

static void test_bounds(void **state)
{
	char big[ATTACK_TOOL_UA_MAX + 64];
	size_t n = 0;

	(void)state;
	assert_null(attack_tool_of(NULL, 10));
	assert_null(attack_tool_of("sqlmap", 0));
	/* only len bytes are read: the tool past them is not seen */
	assert_null(attack_tool_of("sqlmap", 3));
	/* a tool named within the first ATTACK_TOOL_UA_MAX bytes, and past them */
	memset(big, 'x', sizeof(big));
	memcpy(big + ATTACK_TOOL_UA_MAX - 6, "sqlmap", 6);
	assert_string_equal(attack_tool_of(big, sizeof(big)), "sqlmap");
	memset(big, 'x', sizeof(big));
	memcpy(big + ATTACK_TOOL_UA_MAX - 5, "sqlmap", 6);
	assert_null(attack_tool_of(big, sizeof(big)));
	/* a NUL inside does not end the look */
	assert_string_equal(attack_tool_of("a\0nikto", 7), "nikto");
	while (attack_tool_name(n)) {
		assert_true(strlen(attack_tool_name(n)) > 0);
		n++;
	}
	assert_true(n >= sizeof(tools) / sizeof(tools[0]) - 1);
}

/* Only the User-Agent names a tool: the same text in a Referer does not. */
static void test_threat_scan(void **state)
{
	static const char *const hv[] = { "sqlmap/1.7.2#stable (https://sqlmap.org)", NULL };
	struct threat_input in = { .target = "/", .target_len = 1, .header_values = hv };
	struct threat_hit hits[THREAT__COUNT];

	(void)state;
	assert_int_equal(http_threat_scan(&in, hits, THREAT__COUNT), 0);
	in.user_agent = hv[0];
	assert_int_equal(http_threat_scan(&in, hits, THREAT__COUNT), 1);
	assert_int_equal(hits[0].type, THREAT_SCANNER_TOOL);
	assert_string_equal(hits[0].where, "header");
	assert_string_equal(hits[0].detail, "sqlmap");
	assert_string_equal(threat_type_name(THREAT_SCANNER_TOOL), "scanner");
	in.user_agent = "curl/8.5.0";
	assert_int_equal(http_threat_scan(&in, hits, THREAT__COUNT), 0);
}

/* As observe.c serves an inspected request: probe its bytes, then scan. */
static void served(struct security *s, uint64_t t, const char *ua, struct sec_probe *p)
{
	static const char raw[] = "GET /?id=1 HTTP/1.1\r\nUser-Agent: sqlmap/1.7\r\n\r\n";
	const char *hv[] = { ua, NULL };
	struct threat_input in = {
		.target = "/?id=1", .target_len = 6, .header_values = hv, .user_agent = ua
	};

	security__probe(s, THREAT_MEMO_HEAD, raw, sizeof(raw) - 1, p);
	security__http(s, t, "198.51.100.4", "GET", "/?id=1", 6, 200, "svc", &in, p);
}

static void test_security_flow(void **state)
{
	const uint64_t sec = 1000000000ull;
	struct detect_cfg dc;
	struct security_opts o = { .detect = &dc };
	struct metrics *mx = metrics__new(1000);
	struct security *s;
	struct sec_probe p;

	(void)state;
	log_set_level("error"); /* the events' warnings are expected */
	detect_cfg_defaults(&dc);
	s = security__new(&o, mx);
	assert_non_null(s);
	for (int i = 0; i < 40; i++) {
		served(s, (uint64_t)(1 + i) * sec, "sqlmap/1.7", &p);
		assert_false(p.known_clean); /* never remembered as clean */
	}
	assert_int_equal(security__count(s, SEC_SCANNER), 1);
	served(s, 62 * sec, "sqlmap/1.7", &p);
	assert_int_equal(security__count(s, SEC_SCANNER), 2);
	assert_int_equal(security__count(s, SEC_SQL_INJECTION), 0);
	security__free(s);
	metrics__free(mx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tools_named),   cmocka_unit_test(test_benign_unnamed),
		cmocka_unit_test(test_bounds),	      cmocka_unit_test(test_threat_scan),
		cmocka_unit_test(test_security_flow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
