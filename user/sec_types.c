// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Names and severities of security events. Severity follows what the
 * event means for the host: root gained or data leaving is critical, an
 * attack attempt high, reconnaissance medium.
 */
#include "sec_types.h"

#include <errno.h>
#include <string.h>

static const struct {
	const char *name, *severity;
} types[SEC__COUNT] = {
	[SEC_AUTH_FAILURE_BURST] = { "auth_failure_burst", "high" },
	[SEC_SQL_INJECTION] = { "sql_injection", "high" },
	[SEC_XSS] = { "xss", "high" },
	[SEC_PATH_TRAVERSAL] = { "path_traversal", "high" },
	[SEC_SENSITIVE_PATH] = { "sensitive_path_access", "medium" },
	[SEC_SCANNER] = { "scanner", "medium" },
	[SEC_RATE_LIMIT] = { "rate_limit_violation", "medium" },
	[SEC_PRIVILEGE_ESCALATION] = { "privilege_escalation", "critical" },
	[SEC_DATA_EXFILTRATION] = { "data_exfiltration", "critical" },
	[SEC_SECRET_IN_PROMPT] = { "secret_in_prompt", "high" },
	[SEC_LLM_RUNAWAY_LOOP] = { "llm_runaway_loop", "high" },
	[SEC_COMMAND_INJECTION] = { "command_injection", "high" },
	[SEC_SSRF] = { "ssrf", "high" },
	[SEC_PROMPT_INJECTION] = { "prompt_injection", "high" },
};

const char *sec_type_name(enum sec_type t)
{
	return (unsigned)t < SEC__COUNT ? types[t].name : "unknown";
}

const char *sec_type_severity(enum sec_type t)
{
	return (unsigned)t < SEC__COUNT ? types[t].severity : "low";
}

int sec_type_parse(const char *name, enum sec_type *out)
{
	for (int i = 0; i < SEC__COUNT; i++) {
		if (!strcmp(name, types[i].name)) {
			*out = (enum sec_type)i;
			return 0;
		}
	}
	return -EINVAL;
}
