// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer harness for the command injection and SSRF rules
 * (user/cmdi.c, user/ssrf.c), which read every decoded value of every
 * served request, and the prompt injection rules (user/prompt_inject.c),
 * which read the text of every LLM request. Each answer is one of the documented rule names (or
 * none), the same twice, the same for the input in upper case (both are
 * case-blind), the same when bytes past the bound are added, and a
 * lookup found by cmdi_lookup_rule is what cmdi_rule answers. Log4Shell
 * lookups are resolved in place (memmove), so ASan watches the rewriting.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmdi.h"
#include "prompt_inject.h"
#include "ssrf.h"

#include "fuzz_util.h"

static const char *const cmdi_names[] = { "shell_chain", "shell_subst", "shellshock", "jndi_lookup",
					  NULL };
static const char *const ssrf_names[] = {
	"metadata_host", "loopback_disguised", "loopback_service", "gopher_scheme", "dict_scheme",
	"file_scheme",	 "php_scheme",	       "expect_scheme",	   "phar_scheme",   "netdoc_scheme",
	"tftp_scheme",	 "ldap_scheme",	       "sftp_scheme",	   "jar_scheme",    NULL,
};

static const char *const prompt_names[] = { "ignore_instructions", "prompt_leak", "role_override",
					    NULL };

static void check_name(const char *r, const char *const *names)
{
	if (!r)
		return;
	for (size_t i = 0; names[i]; i++)
		if (!strcmp(r, names[i]))
			return;
	FUZZ_CHECK(!"an undocumented rule name");
}

static int same(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, *up;
	const char *c, *l, *f, *p;

	if (size > 2 * CMDI_MAX_INPUT)
		return 0;
	s = malloc(size + 1);
	up = malloc(size + 1);
	if (!s || !up) {
		free(s);
		free(up);
		return 0;
	}
	memcpy(s, data, size);
	for (size_t i = 0; i < size; i++)
		up[i] = (s[i] >= 'a' && s[i] <= 'z') ? (char)(s[i] - 32) : s[i];
	c = cmdi_rule(s, size);
	l = cmdi_lookup_rule(s, size);
	f = ssrf_rule(s, size);
	check_name(c, cmdi_names);
	check_name(l, cmdi_names);
	check_name(f, ssrf_names);
	p = prompt_inject_text(s, size);
	check_name(p, prompt_names);
	FUZZ_CHECK(same(p, prompt_inject_text(s, size)) && same(p, prompt_inject_text(up, size)));
	FUZZ_CHECK(same(c, cmdi_rule(s, size)) && same(f, ssrf_rule(s, size)));
	FUZZ_CHECK(!l || same(l, c));
	FUZZ_CHECK(!l || !strcmp(l, "shellshock") || !strcmp(l, "jndi_lookup"));
	FUZZ_CHECK(same(c, cmdi_rule(up, size)));
	FUZZ_CHECK(same(f, ssrf_rule(up, size)));
	if (size > CMDI_MAX_INPUT)
		FUZZ_CHECK(same(c, cmdi_rule(s, CMDI_MAX_INPUT)));
	if (size > SSRF_MAX_INPUT)
		FUZZ_CHECK(same(f, ssrf_rule(s, SSRF_MAX_INPUT)));
	FUZZ_CHECK(!cmdi_rule(NULL, size) && !ssrf_rule(NULL, size));
	free(s);
	free(up);
	return 0;
}
