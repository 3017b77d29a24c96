/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The kinds of security event, their label names and default severities:
 * one list for the config (security.disabled), the engine and the docs.
 */
#ifndef BT_SEC_TYPES_H
#define BT_SEC_TYPES_H

enum sec_type {
	SEC_AUTH_FAILURE_BURST,
	SEC_SQL_INJECTION,
	SEC_XSS,
	SEC_PATH_TRAVERSAL,
	SEC_SENSITIVE_PATH,
	SEC_SCANNER,
	SEC_RATE_LIMIT,
	SEC_PRIVILEGE_ESCALATION,
	SEC_DATA_EXFILTRATION,
	SEC_SECRET_IN_PROMPT,
	SEC_LLM_RUNAWAY_LOOP,
	SEC_COMMAND_INJECTION,
	SEC_SSRF,
	SEC_PROMPT_INJECTION,
	SEC__COUNT
};

/* auth_failure_burst, sql_injection, xss, path_traversal, sensitive_path_access, scanner,
 * rate_limit_violation, privilege_escalation, data_exfiltration, secret_in_prompt,
 * llm_runaway_loop, command_injection, ssrf, prompt_injection */
const char *sec_type_name(enum sec_type t);
const char *sec_type_severity(enum sec_type t); /* critical, high, medium or low */
/* 0 and *out, or -EINVAL. */
int sec_type_parse(const char *name, enum sec_type *out);

#endif
