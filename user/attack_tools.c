// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "attack_tools.h"

#include <string.h>

struct tool_sig {
	const char *phrase; /* lower case, as it appears in the tool's default agent */
	const char *name;
};

/*
 * Phrases chosen to be the tool's own: "nuclei" alone could be a cell
 * biology client, "hydra" an OAuth server, so those carry the words
 * around them in the tools' agents.
 */
static const struct tool_sig sigs[] = {
	{ "sqlmap", "sqlmap" },
	{ "nikto", "nikto" },
	{ "nmap scripting engine", "nmap" },
	{ "masscan", "masscan" },
	{ "zgrab", "zgrab" },
	{ "projectdiscovery/nuclei", "nuclei" },
	{ "dirbuster", "dirbuster" },
	{ "gobuster", "gobuster" },
	{ "feroxbuster", "feroxbuster" },
	{ "fuzz faster u fool", "ffuf" },
	{ "wfuzz", "wfuzz" },
	{ "wpscan", "wpscan" },
	{ "acunetix", "acunetix" },
	{ "netsparker", "netsparker" },
	{ "webinspect", "webinspect" },
	{ "nessus", "nessus" },
	{ "openvas", "openvas" },
	{ "w3af", "w3af" },
	{ "arachni", "arachni" },
	{ "skipfish", "skipfish" },
	{ "commix", "commix" },
	{ "(hydra)", "hydra" },
	{ "havij", "havij" },
	{ "whatweb", "whatweb" },
	{ "zmeu", "zmeu" },
	{ "morfeus f", "morfeus" },
	{ "jorgee", "jorgee" },
};

const char *attack_tool_of(const char *ua, size_t len)
{
	char low[ATTACK_TOOL_UA_MAX];

	if (!ua)
		return NULL;
	if (len > sizeof(low))
		len = sizeof(low);
	for (size_t i = 0; i < len; i++)
		low[i] = (ua[i] >= 'A' && ua[i] <= 'Z') ? (char)(ua[i] | 0x20) : ua[i];
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (memmem(low, len, sigs[i].phrase, strlen(sigs[i].phrase)))
			return sigs[i].name;
	return NULL;
}

const char *attack_tool_name(size_t i)
{
	return i < sizeof(sigs) / sizeof(sigs[0]) ? sigs[i].name : NULL;
}
