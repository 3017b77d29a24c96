// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "cmdi.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#define JNDI_ROUNDS 32 /* nested lookups resolved at most */

/* How a command must be used after its name to count as injected. */
enum arg {
	A_ALONE, /* nothing, a flag or a shell metacharacter: "; whoami", "|uname -a" */
	A_WORD, /* the same, but also a word of prose: not alone after " & " ("Tom & id") */
	A_PATH, /* a path or a flag: "; cat /etc/passwd", "&& ls -la" */
	A_NET, /* an address, a URL or a flag: "| nc 10.0.0.1 4444", "; curl http://..." */
	A_NUM, /* a number: "; sleep 5" */
	A_SHELL, /* a flag or a redirection; alone after a pipe: "| sh", "; bash -i >& ..." */
	A_INTERP, /* a flag or /c: "; python3 -c ...", "& cmd /c dir" ("React & Node" is prose) */
};

struct cmd {
	const char *name;
	enum arg arg;
};

static const struct cmd cmds[] = {
	{ "id", A_WORD },
	{ "whoami", A_ALONE },
	{ "uname", A_ALONE },
	{ "ifconfig", A_ALONE },
	{ "ipconfig", A_ALONE },
	{ "hostname", A_WORD },
	{ "pwd", A_WORD },
	{ "netstat", A_ALONE },
	{ "systeminfo", A_ALONE },
	{ "tasklist", A_ALONE },
	{ "ls", A_PATH },
	{ "dir", A_PATH },
	{ "cat", A_PATH },
	{ "head", A_PATH },
	{ "tail", A_PATH },
	{ "more", A_PATH },
	{ "less", A_PATH },
	{ "tac", A_PATH },
	{ "type", A_PATH },
	{ "cp", A_PATH },
	{ "mv", A_PATH },
	{ "rm", A_PATH },
	{ "chmod", A_PATH },
	{ "chown", A_PATH },
	{ "find", A_PATH },
	{ "base64", A_PATH },
	{ "xxd", A_PATH },
	{ "curl", A_NET },
	{ "wget", A_NET },
	{ "nc", A_NET },
	{ "ncat", A_NET },
	{ "netcat", A_NET },
	{ "telnet", A_NET },
	{ "socat", A_NET },
	{ "ping", A_NET },
	{ "nslookup", A_NET },
	{ "dig", A_NET },
	{ "tftp", A_NET },
	{ "sleep", A_NUM },
	{ "timeout", A_NUM },
	{ "bash", A_SHELL },
	{ "sh", A_SHELL },
	{ "zsh", A_SHELL },
	{ "ksh", A_SHELL },
	{ "dash", A_SHELL },
	{ "python", A_INTERP },
	{ "python3", A_INTERP },
	{ "perl", A_INTERP },
	{ "ruby", A_INTERP },
	{ "php", A_INTERP },
	{ "node", A_INTERP },
	{ "powershell", A_INTERP },
	{ "pwsh", A_INTERP },
	{ "cmd", A_INTERP },
	{ "powershell.exe", A_INTERP },
	{ "cmd.exe", A_INTERP },
};

static bool is_meta(char c)
{
	return c == ';' || c == '|' || c == '&' || c == '`' || c == ')' || c == '<' || c == '>' ||
	       c == '\n';
}

static bool is_word(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
	       c == '-' || c == '/';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Lower case, with the shell's no-op spellings undone: quotes and
 * backslashes inside words (c'a't, w\hoami), $@ and ${IFS} or $IFS for a
 * space, tabs and CR as spaces, {cmd,arg} brace lists as "cmd arg".
 */
static size_t shell_norm(const char *s, size_t n, char *t)
{
	size_t o = 0;
	bool brace = false;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c | 0x20);
		if (c == '\'' || c == '"' || c == '\\')
			continue;
		if (c == '$' && i + 1 < n && s[i + 1] == '@') {
			i++;
			continue;
		}
		if ((c == '$' && i + 2 < n && s[i + 1] == '(' && s[i + 2] == ')') ||
		    (c == '`' && i + 1 < n && s[i + 1] == '`')) {
			i += c == '$' ? 2 : 1; /* an empty substitution: who$()ami */
			continue;
		}
		if (c == '$' && i + 3 < n && !strncasecmp(s + i + 1, "ifs", 3)) {
			i += 3;
			t[o++] = ' ';
			continue;
		}
		if (c == '$' && i + 4 < n && !strncasecmp(s + i + 1, "{ifs", 4)) {
			const char *e = memchr(s + i, '}', n - i);

			i = e ? (size_t)(e - s) : n;
			t[o++] = ' ';
			continue;
		}
		if (c == '{' && (!o || t[o - 1] != '$')) {
			brace = true;
			c = ' ';
		} else if (brace && (c == ',' || c == '}')) {
			brace = c == ',';
			c = ' ';
		} else if (c == '\t' || c == '\r' || c == '\v' || c == '\f') {
			c = ' ';
		}
		t[o++] = c;
	}
	return o;
}

/* t[i..n) starts with lit. */
static bool has_at(const char *t, size_t n, size_t i, const char *lit)
{
	size_t l = strlen(lit);

	return i <= n && n - i >= l && !memcmp(t + i, lit, l);
}

/* A '.' in the word at t[i..n): a host name or an address. */
static bool word_has_dot(const char *t, size_t n, size_t i)
{
	for (; i < n && !strchr(" ;|&\n", t[i]); i++)
		if (t[i] == '.')
			return true;
	return false;
}

static size_t skip_spaces(const char *t, size_t n, size_t i)
{
	while (i < n && t[i] == ' ')
		i++;
	return i;
}

/* How a command may stand alone (nothing after it but an end). */
struct use {
	bool subst; /* inside $( ) or backticks: any command but sleep */
	bool lone_shell; /* after a pipe or given by path: "| sh", ";/bin/sh" */
	bool conj; /* after " & ": prose's "and", so "Tom & id" is not "id" */
};

/* Does what follows a command name at t[i..n) use it as arg says? */
static bool arg_ok(const char *t, size_t n, size_t i, enum arg arg, struct use u)
{
	size_t j = i;

	if (i < n && t[i] == '<' && arg == A_PATH)
		return true; /* cat</etc/passwd */
	if (i < n && t[i] == ' ')
		j = skip_spaces(t, n, i);
	/* an end: nothing, or a metacharacter (a backtick after a space opens an argument) */
	if (j >= n || (is_meta(t[j]) && (j == i || t[j] != '`')))
		return arg == A_ALONE || (arg == A_WORD && !u.conj) ||
		       (arg == A_SHELL && u.lone_shell) ||
		       (u.subst && arg != A_NUM && arg != A_INTERP);
	if (t[i] != ' ')
		return false;
	switch (arg) {
	case A_ALONE:
	case A_WORD:
		return t[j] == '-' || is_meta(t[j]);
	case A_PATH:
		return t[j] == '/' || t[j] == '~' || t[j] == '-' ||
		       (t[j] == '.' && j + 1 < n && (t[j + 1] == '/' || t[j + 1] == '.'));
	case A_NET:
		return t[j] == '-' || is_digit(t[j]) || has_at(t, n, j, "http") ||
		       has_at(t, n, j, "ftp:") || word_has_dot(t, n, j);
	case A_NUM:
		return is_digit(t[j]);
	case A_SHELL:
	case A_INTERP:
		return t[j] == '-' || t[j] == '<' || t[j] == '>' || has_at(t, n, j, "/c");
	}
	return false;
}

/* A command at t[i..n) (after a separator or inside a substitution), used as one. */
static bool command_at(const char *t, size_t n, size_t i, struct use u)
{
	size_t s, e, base, len;
	bool binpath;

	s = skip_spaces(t, n, i);
	while (s < n && t[s] == '(')
		s++;
	for (e = s; e < n && is_word(t[e]); e++)
		;
	base = s;
	for (size_t k = s; k < e; k++)
		if (t[k] == '/')
			base = k + 1;
	len = e - base;
	binpath = base > s && memmem(t + s, base - s, "bin/", 4);
	if (!len)
		return false;
	for (size_t k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++) {
		if (strlen(cmds[k].name) != len || memcmp(cmds[k].name, t + base, len))
			continue;
		if (binpath) { /* /bin/sh, /usr/bin/id: any use */
			u.lone_shell = true;
			u.conj = false;
			return arg_ok(t, n, e, A_SHELL, u) || arg_ok(t, n, e, A_PATH, u);
		}
		return arg_ok(t, n, e, cmds[k].arg, u);
	}
	return false;
}

static const char *shell_rule(const char *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = t[i];

		/* `cmd` counts at the start, glued to a word or after a separator; after
		 * a space it is how prose quotes code ("run `ls -la`") */
		if ((c == '`' && (i == 0 || t[i - 1] != ' ')) ||
		    (c == '$' && i + 2 < n && t[i + 1] == '(' && t[i + 2] != '(')) {
			if (command_at(t, n, i + (c == '`' ? 1 : 2), (struct use){ .subst = true }))
				return "shell_subst";
		} else if (c == ';' || c == '|' || c == '&' || c == '\n') {
			bool twice = i + 1 < n && (t[i + 1] == '|' || t[i + 1] == '&');
			struct use u = {
				.lone_shell = c == '|' && !twice,
				.conj = c == '&' && !twice && i > 0 && t[i - 1] == ' ' &&
					i + 1 < n && t[i + 1] == ' ',
			};

			while (i + 1 < n && (t[i + 1] == '|' || t[i + 1] == '&'))
				i++;
			if (command_at(t, n, i + 1, u))
				return "shell_chain";
		}
	}
	return NULL;
}

/*
 * Resolves Log4j lookups innermost first, the way its substitutor does,
 * until a ${jndi:...} shows: ${lower:x} and ${upper:x} give x, anything
 * with a default (${env:NaN:-j}, ${::-j}) its default, ${date:'x'} x,
 * other lookups their text. t is lower case, n bytes; it is rewritten in place.
 */
static bool jndi_lookup(char *t, size_t n)
{
	for (int round = 0; round < JNDI_ROUNDS; round++) {
		size_t open = n, close, vlen;
		const char *v;

		for (close = 0; close < n; close++) {
			if (t[close] == '$' && close + 1 < n && t[close + 1] == '{')
				open = close;
			else if (t[close] == '}' && open < n)
				break;
		}
		if (close >= n)
			break;
		v = t + open + 2;
		vlen = close - open - 2;
		if (vlen >= 5 && !memcmp(v, "jndi:", 5))
			return true;
		for (size_t k = vlen; k >= 2; k--) {
			if (v[k - 2] == ':' &&
			    v[k - 1] == '-') { /* the default: after the last ":-" */
				v += k;
				vlen -= k;
				break;
			}
		}
		if (vlen >= 6 && (!memcmp(v, "lower:", 6) || !memcmp(v, "upper:", 6))) {
			v += 6;
			vlen -= 6;
		} else if (vlen >= 5 && !memcmp(v, "date:", 5)) { /* a quoted literal: 'j' */
			v += 5;
			vlen -= 5;
			if (vlen >= 2 && v[0] == '\'' && v[vlen - 1] == '\'') {
				v++;
				vlen -= 2;
			}
		}
		memmove(t + open, v, vlen);
		memmove(t + open + vlen, t + close + 1, n - close - 1);
		n -= close + 1 - open - vlen;
	}
	return memmem(t, n, "${jndi:", 7) != NULL;
}

const char *cmdi_lookup_rule(const char *s, size_t n)
{
	char t[CMDI_MAX_INPUT];
	size_t i;

	if (!s)
		return NULL;
	if (n > CMDI_MAX_INPUT)
		n = CMDI_MAX_INPUT;
	for (i = 0; i < n && (s[i] == ' ' || s[i] == '\t'); i++)
		;
	if (n - i >= 4 && !memcmp(s + i, "() {", 4))
		return "shellshock";
	if (!memmem(s, n, "${", 2))
		return NULL;
	for (i = 0; i < n; i++)
		t[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] | 0x20) : s[i];
	return jndi_lookup(t, n) ? "jndi_lookup" : NULL;
}

const char *cmdi_rule(const char *s, size_t n)
{
	char t[CMDI_MAX_INPUT];
	const char *r = cmdi_lookup_rule(s, n);

	if (r || !s)
		return r;
	if (n > CMDI_MAX_INPUT)
		n = CMDI_MAX_INPUT;
	return shell_rule(t, shell_norm(s, n, t));
}
