/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Attack tools that name themselves in the User-Agent they send by default
 * (sqlmap, nikto, nuclei, gobuster, ...). Someone running one against a
 * service rarely changes it, and one such request says more than twenty
 * 404s. Each signature is a phrase only that tool's default agent carries,
 * matched case-insensitively; browsers, curl, language HTTP clients and
 * monitoring agents never match. Pure: no I/O, no allocation.
 */
#ifndef BT_ATTACK_TOOLS_H
#define BT_ATTACK_TOOLS_H

#include <stddef.h>

/* User-Agent bytes looked at, at most; the signatures sit near the start. */
#define ATTACK_TOOL_UA_MAX 512

/* The tool's short name ("sqlmap"), or NULL: not a known tool, or ua NULL. */
const char *attack_tool_of(const char *ua, size_t len);

/* The i-th known tool's name, NULL past the end (for the docs and tests). */
const char *attack_tool_name(size_t i);

#endif
