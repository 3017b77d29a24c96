// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * SQL injection detector (sqli.h). Lists of regular expressions either miss
 * what attack tools generate (case games, comments as spaces, versioned
 * comments, nesting, whitespace tricks) or fire on prose that mentions SQL
 * words. Instead the text is lexed the way a SQL server would lex it once
 * pasted into a statement, from each place an attacker can break out of (a
 * numeric or bare context, a '...' string, a "..." string), and what follows
 * the break-out point must parse as SQL that only an injection writes: a
 * boolean or comparison after a closed string or a number, UNION SELECT, a
 * second statement, a clause cut short by a comment, or calls that sleep or
 * raise errors. A name such as O'Brien or "order by relevance" never gets
 * that far.
 *
 * Bounded: SQLI_MAX_INPUT bytes, MAX_TOKS tokens per pass, at most six
 * passes, a recursive-descent parser whose depth is capped at MAX_DEPTH and
 * that each rule runs a fixed number of times over the tokens. No allocation.
 */
#include "sqli.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#define MAX_TOKS 96
#define MAX_DEPTH 64

/* Token classes; the characters are the fingerprint alphabet too. */
enum {
	T_STR = 's', /* '...', "...", N'...', X'...' */
	T_NUM = '1', /* 12, 1.5e3, 0x7e, 0b101, NULL, TRUE, FALSE */
	T_NAME = 'n', /* identifiers, `quoted`, [bracketed], a.b.c */
	T_VAR = 'v', /* @x, @@version */
	T_FUNC = 'f', /* a name or function-like keyword right before '(' */
	T_KW = 'k', /* other keywords: FROM, WHERE, ORDER, BY, CASE ... */
	T_STMT = 'E', /* words that start a statement: SELECT, DROP, EXEC ... */
	T_UNION = 'U',
	T_LOGIC = '&', /* AND OR XOR NOT && || */
	T_OP = 'o', /* = < > + - * / ..., LIKE IN IS BETWEEN REGEXP DIV ... */
	T_LPAR = '(',
	T_RPAR = ')',
	T_COMMA = ',',
	T_SEMI = ';',
	T_DOT = '.',
	T_COMMENT = 'c', /* only kept when nothing but comments follows */
	T_OTHER = 'X',
};

/* T_OP flags */
#define OP_CMP 1u /* comparison: its presence makes a boolean test */
#define OP_UNARY 2u /* may also prefix an operand: - + ! ~ */
#define OP_CAST 4u /* ::type */

/* Keyword flags */
#define KF_FN 1u /* becomes a function when '(' follows (IF, CHAR, LEFT ...) */
#define KF_FN_AFTER_OP 2u /* same, but only where an operand is expected (LIKE(...)) */

#define KEYWORDS(X)                                       \
	X(UNION, "union", T_UNION, 0, 0)                  \
	X(SELECT, "select", T_STMT, 0, 0)                 \
	X(INSERT, "insert", T_STMT, KF_FN, 0)             \
	X(UPDATE, "update", T_STMT, 0, 0)                 \
	X(DELETE, "delete", T_STMT, 0, 0)                 \
	X(REPLACE, "replace", T_STMT, KF_FN, 0)           \
	X(DROP, "drop", T_STMT, 0, 0)                     \
	X(CREATE, "create", T_STMT, 0, 0)                 \
	X(ALTER, "alter", T_STMT, 0, 0)                   \
	X(TRUNCATE, "truncate", T_STMT, KF_FN, 0)         \
	X(RENAME, "rename", T_STMT, 0, 0)                 \
	X(EXEC, "exec", T_STMT, 0, 0)                     \
	X(EXECUTE, "execute", T_STMT, 0, 0)               \
	X(DECLARE, "declare", T_STMT, 0, 0)               \
	X(SET, "set", T_STMT, 0, 0)                       \
	X(WAITFOR, "waitfor", T_STMT, 0, 0)               \
	X(SHUTDOWN, "shutdown", T_STMT, 0, 0)             \
	X(GRANT, "grant", T_STMT, 0, 0)                   \
	X(REVOKE, "revoke", T_STMT, 0, 0)                 \
	X(CALL, "call", T_STMT, 0, 0)                     \
	X(DO, "do", T_STMT, 0, 0)                         \
	X(COPY, "copy", T_STMT, 0, 0)                     \
	X(LOAD, "load", T_STMT, 0, 0)                     \
	X(PREPARE, "prepare", T_STMT, 0, 0)               \
	X(BEGIN, "begin", T_STMT, 0, 0)                   \
	X(AND, "and", T_LOGIC, 0, 0)                      \
	X(OR, "or", T_LOGIC, 0, 0)                        \
	X(XOR, "xor", T_LOGIC, 0, 0)                      \
	X(NOT, "not", T_LOGIC, 0, 0)                      \
	X(LIKE, "like", T_OP, KF_FN_AFTER_OP, OP_CMP)     \
	X(RLIKE, "rlike", T_OP, KF_FN_AFTER_OP, OP_CMP)   \
	X(REGEXP, "regexp", T_OP, KF_FN_AFTER_OP, OP_CMP) \
	X(GLOB, "glob", T_OP, KF_FN_AFTER_OP, OP_CMP)     \
	X(SOUNDS, "sounds", T_OP, 0, OP_CMP)              \
	X(IS, "is", T_OP, 0, OP_CMP)                      \
	X(IN, "in", T_OP, 0, OP_CMP)                      \
	X(BETWEEN, "between", T_OP, 0, OP_CMP)            \
	X(DIV, "div", T_OP, 0, 0)                         \
	X(MOD, "mod", T_OP, KF_FN, 0)                     \
	X(COLLATE, "collate", T_OP, 0, 0)                 \
	X(NULL, "null", T_NUM, 0, 0)                      \
	X(TRUE, "true", T_NUM, 0, 0)                      \
	X(FALSE, "false", T_NUM, 0, 0)                    \
	X(FROM, "from", T_KW, 0, 0)                       \
	X(WHERE, "where", T_KW, 0, 0)                     \
	X(GROUP, "group", T_KW, 0, 0)                     \
	X(ORDER, "order", T_KW, 0, 0)                     \
	X(BY, "by", T_KW, 0, 0)                           \
	X(HAVING, "having", T_KW, 0, 0)                   \
	X(LIMIT, "limit", T_KW, 0, 0)                     \
	X(OFFSET, "offset", T_KW, 0, 0)                   \
	X(PROCEDURE, "procedure", T_KW, 0, 0)             \
	X(INTO, "into", T_KW, 0, 0)                       \
	X(OUTFILE, "outfile", T_KW, 0, 0)                 \
	X(DUMPFILE, "dumpfile", T_KW, 0, 0)               \
	X(VALUES, "values", T_KW, 0, 0)                   \
	X(AS, "as", T_KW, 0, 0)                           \
	X(ALL, "all", T_KW, 0, 0)                         \
	X(DISTINCT, "distinct", T_KW, 0, 0)               \
	X(TOP, "top", T_KW, 0, 0)                         \
	X(ASC, "asc", T_KW, 0, 0)                         \
	X(DESC, "desc", T_KW, 0, 0)                       \
	X(JOIN, "join", T_KW, 0, 0)                       \
	X(INNER, "inner", T_KW, 0, 0)                     \
	X(OUTER, "outer", T_KW, 0, 0)                     \
	X(LEFT, "left", T_KW, KF_FN, 0)                   \
	X(RIGHT, "right", T_KW, KF_FN, 0)                 \
	X(CROSS, "cross", T_KW, 0, 0)                     \
	X(NATURAL, "natural", T_KW, 0, 0)                 \
	X(ON, "on", T_KW, 0, 0)                           \
	X(USING, "using", T_KW, 0, 0)                     \
	X(CASE, "case", T_KW, 0, 0)                       \
	X(WHEN, "when", T_KW, 0, 0)                       \
	X(THEN, "then", T_KW, 0, 0)                       \
	X(ELSE, "else", T_KW, 0, 0)                       \
	X(END, "end", T_KW, 0, 0)                         \
	X(IF, "if", T_KW, KF_FN, 0)                       \
	X(EXISTS, "exists", T_KW, KF_FN, 0)               \
	X(CHAR, "char", T_KW, KF_FN, 0)                   \
	X(DATABASE, "database", T_KW, KF_FN, 0)           \
	X(SCHEMA, "schema", T_KW, KF_FN, 0)               \
	X(TABLE, "table", T_KW, 0, 0)                     \
	X(INTERVAL, "interval", T_KW, 0, 0)               \
	X(BINARY, "binary", T_KW, 0, 0)                   \
	X(FOR, "for", T_KW, 0, 0)                         \
	X(WITH, "with", T_KW, 0, 0)                       \
	X(DELAY, "delay", T_KW, 0, 0)                     \
	X(TIME, "time", T_KW, 0, 0)                       \
	X(PROGRAM, "program", T_KW, 0, 0)                 \
	X(DATA, "data", T_KW, 0, 0)

enum kw {
	KW_NONE,
#define X(id, s, type, fl, op) KW_##id,
	KEYWORDS(X)
#undef X
		KW__COUNT
};

struct kwdef {
	const char *s;
	uint8_t len;
	char type;
	uint8_t flags, op;
};

static const struct kwdef kwtab[KW__COUNT] = { [KW_NONE] = { "", 0, 0, 0, 0 },
#define X(id, str, ty, fl, o) [KW_##id] = { str, sizeof(str) - 1, ty, fl, o },
					       KEYWORDS(X)
#undef X
};

/* Function classes (tok.op of a T_FUNC) */
enum fn {
	FN_PLAIN,
	FN_TIME, /* sleeps or burns time on purpose */
	FN_ERROR, /* raises an error that carries data */
	FN_FLOOR, /* FLOOR(RAND(0)*2): duplicate-key error */
	FN_RAND,
	FN_EXP, /* EXP(~(...)): overflow error */
	FN_CAST, /* CAST/CONVERT to a number of text: conversion error */
};

static const struct {
	const char *name;
	uint8_t cls;
} fntab[] = {
	{ "sleep", FN_TIME },
	{ "benchmark", FN_TIME },
	{ "pg_sleep", FN_TIME },
	{ "pg_sleep_for", FN_TIME },
	{ "pg_sleep_until", FN_TIME },
	{ "receive_message", FN_TIME }, /* dbms_pipe.receive_message */
	{ "randomblob", FN_TIME }, /* SQLite heavy query */
	{ "extractvalue", FN_ERROR },
	{ "updatexml", FN_ERROR },
	{ "gtid_subset", FN_ERROR },
	{ "gtid_subtract", FN_ERROR },
	{ "json_keys", FN_ERROR },
	{ "name_const", FN_ERROR },
	{ "polygon", FN_ERROR },
	{ "multipoint", FN_ERROR },
	{ "multipolygon", FN_ERROR },
	{ "multilinestring", FN_ERROR },
	{ "linestring", FN_ERROR },
	{ "geometrycollection", FN_ERROR },
	{ "st_latfromgeohash", FN_ERROR },
	{ "st_longfromgeohash", FN_ERROR },
	{ "st_pointfromgeohash", FN_ERROR },
	{ "xmltype", FN_ERROR },
	{ "get_host_name", FN_ERROR }, /* utl_inaddr.get_host_name */
	{ "getmappingxpath", FN_ERROR }, /* ordsys.ord_dicom.getmappingxpath */
	{ "sqlid_to_sqlhash", FN_ERROR },
	{ "ctxsys.drithsx.sn", FN_ERROR },
	{ "floor", FN_FLOOR },
	{ "rand", FN_RAND },
	{ "exp", FN_EXP },
	{ "cast", FN_CAST },
	{ "convert", FN_CAST },
};

/* Types a CAST/CONVERT error probe converts to. */
static const char *const numeric_types[] = { "int",	"integer",  "numeric", "bigint",
					     "decimal", "smallint", "signed",  "float" };

struct tok {
	uint16_t off, len;
	char type;
	uint8_t kw; /* enum kw */
	uint8_t op; /* OP_* for T_OP, enum fn for T_FUNC */
};

/* ---- lexer ---- */

struct lexer {
	const char *s;
	size_t n, i;
	bool bs; /* backslash escapes inside strings (MySQL default) */
	bool vcomment; /* inside a MySQL versioned comment, whose end is skipped */
	bool pending; /* a comment was seen after the last token */
	size_t pending_off;
	struct tok *t;
	int nt;
};

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool is_xdigit(int c)
{
	return is_digit(c) || (lower(c) >= 'a' && lower(c) <= 'f');
}

static bool ident_start(int c)
{
	return (lower(c) >= 'a' && lower(c) <= 'z') || c == '_' || (unsigned char)c >= 0x80;
}

static bool ident_char(int c)
{
	return ident_start(c) || is_digit(c) || c == '$';
}

static size_t word_end(const char *s, size_t i, size_t n)
{
	while (i < n && ident_char(s[i]))
		i++;
	return i;
}

static int kw_lookup(const char *s, size_t len)
{
	if (len < 2 || len > 9)
		return KW_NONE;
	for (int k = 1; k < KW__COUNT; k++) {
		if (kwtab[k].len == len && lower(s[0]) == kwtab[k].s[0] &&
		    !strncasecmp(kwtab[k].s, s, len))
			return k;
	}
	return KW_NONE;
}

static bool word_is(const char *s, size_t len, const char *w)
{
	return strlen(w) == len && !strncasecmp(s, w, len);
}

static void push(struct lexer *lx, char type, size_t off, size_t end, int kw, unsigned op)
{
	if (lx->nt >= MAX_TOKS)
		return;
	lx->pending = false;
	lx->t[lx->nt++] = (struct tok){ .off = (uint16_t)off,
					.len = (uint16_t)(end - off),
					.type = type,
					.kw = (uint8_t)kw,
					.op = (uint8_t)op };
}

static void note_comment(struct lexer *lx, size_t off, size_t end)
{
	if (!lx->pending)
		lx->pending_off = off;
	lx->pending = true;
	lx->i = end;
}

/*
 * Index after the closing quote of a string body starting at i, or n: the
 * application's own closing quote ends one left open.
 */
static size_t string_end(const struct lexer *lx, size_t i, char q)
{
	while (i < lx->n) {
		char c = lx->s[i];

		if (c == '\\' && lx->bs) {
			i += 2;
			continue;
		}
		if (c == q) {
			if (i + 1 < lx->n && lx->s[i + 1] == q) {
				i += 2;
				continue;
			}
			return i + 1;
		}
		i++;
	}
	return lx->n;
}

static size_t line_end(const struct lexer *lx, size_t i)
{
	const char *nl = memchr(lx->s + i, '\n', lx->n - i);

	return nl ? (size_t)(nl - lx->s) + 1 : lx->n;
}

static void lex_comment_or_slash(struct lexer *lx)
{
	const char *s = lx->s;
	size_t i = lx->i, n = lx->n, j;

	if (i + 2 < n && s[i + 2] == '!') {
		/* MySQL runs the body of a versioned comment as code */
		for (j = i + 3; j < n && j < i + 9 && is_digit(s[j]); j++)
			;
		lx->vcomment = true;
		lx->i = j;
		return;
	}
	for (j = i + 2; j + 1 < n; j++) {
		if (s[j] == '*' && s[j + 1] == '/')
			break;
	}
	note_comment(lx, i, j + 1 < n ? j + 2 : n);
}

/* 0x.., 0b.., decimals; a number glued to letters is a name, or a number then a keyword (1union) */
static void lex_number(struct lexer *lx)
{
	const char *s = lx->s;
	size_t st = lx->i, i = st, n = lx->n, we;
	int kw;

	if (s[i] == '0' && i + 2 < n && lower(s[i + 1]) == 'x' && is_xdigit(s[i + 2])) {
		for (i += 2; i < n && is_xdigit(s[i]); i++)
			;
	} else if (s[i] == '0' && i + 2 < n && lower(s[i + 1]) == 'b' &&
		   (s[i + 2] == '0' || s[i + 2] == '1')) {
		for (i += 2; i < n && (s[i] == '0' || s[i] == '1'); i++)
			;
	} else {
		while (i < n && is_digit(s[i]))
			i++;
		if (i < n && s[i] == '.')
			for (i++; i < n && is_digit(s[i]); i++)
				;
		if (i + 1 < n && lower(s[i]) == 'e' &&
		    (is_digit(s[i + 1]) ||
		     ((s[i + 1] == '-' || s[i + 1] == '+') && i + 2 < n && is_digit(s[i + 2]))))
			for (i += 2; i < n && is_digit(s[i]); i++)
				;
	}
	if (i < n && ident_char(s[i])) {
		we = word_end(s, i, n);
		kw = kw_lookup(s + i, we - i);
		if (!kw || kwtab[kw].type == T_KW || kwtab[kw].type == T_NUM) {
			push(lx, T_NAME, st, we, 0, 0);
			lx->i = we;
			return;
		}
	}
	push(lx, T_NUM, st, i, 0, 0);
	lx->i = i;
}

/* N'..', X'..', B'..', E'..', _utf8'..': a prefix that is part of the string. */
static bool is_introducer(const char *s, size_t len)
{
	return (len == 1 && strchr("nNxXbBeE", s[0])) || (len > 1 && s[0] == '_');
}

/* End of one name part at i: a word, `quoted` or [bracketed]; i when there is none. */
static size_t name_part_end(const char *s, size_t i, size_t n)
{
	const char *q;

	if (i < n && (s[i] == '`' || s[i] == '[')) {
		q = memchr(s + i + 1, s[i] == '`' ? '`' : ']', n - i - 1);
		return q ? (size_t)(q - s) + 1 : i;
	}
	return i < n && ident_start(s[i]) ? word_end(s, i, n) : i;
}

/* Qualified names: schema.table, `db`.`t`, dbms_pipe.receive_message, master..xp_cmdshell */
static size_t qualified_end(const char *s, size_t e, size_t n, bool *dotted)
{
	size_t d, next;

	while (e < n && s[e] == '.') {
		for (d = e; d < n && d - e < 2 && s[d] == '.'; d++)
			;
		next = name_part_end(s, d, n);
		if (next == d)
			break;
		e = next;
		*dotted = true;
	}
	return e;
}

static void lex_word(struct lexer *lx)
{
	const char *s = lx->s;
	size_t st = lx->i, n = lx->n, e, d;
	bool dotted = false;
	int kw;

	e = qualified_end(s, word_end(s, st, n), n, &dotted);
	if (e < n && s[e] == '\'' && !dotted && is_introducer(s + st, e - st)) {
		d = string_end(lx, e + 1, '\'');
		push(lx, T_STR, st, d, 0, 0);
		lx->i = d;
		return;
	}
	kw = dotted ? KW_NONE : kw_lookup(s + st, e - st);
	push(lx, kw ? kwtab[kw].type : T_NAME, st, e, kw, kw ? kwtab[kw].op : 0);
	lx->i = e;
}

static unsigned op2_flags(const char *op)
{
	if (!strcmp(op, "::"))
		return OP_CAST;
	if (!strcmp(op, "<<") || !strcmp(op, ">>"))
		return 0;
	return strchr("<>!=", op[0]) ? OP_CMP : 0;
}

static void lex_op(struct lexer *lx)
{
	static const char *const ops[] = { "<=>", "->>", "<>", "!=", "<=", ">=", "==", "!<",
					   "!>",  "||",	 "&&", "::", ":=", "<<", ">>", "->" };
	const char *s = lx->s + lx->i;
	size_t left = lx->n - lx->i, len;

	for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
		len = strlen(ops[k]);
		if (len > left || memcmp(s, ops[k], len))
			continue;
		if (!strcmp(ops[k], "||") || !strcmp(ops[k], "&&"))
			push(lx, T_LOGIC, lx->i, lx->i + len, 0, 0);
		else
			push(lx, T_OP, lx->i, lx->i + len, 0, op2_flags(ops[k]));
		lx->i += len;
		return;
	}
	if (strchr("=<>", s[0]))
		push(lx, T_OP, lx->i, lx->i + 1, 0, OP_CMP);
	else if (strchr("-+!~", s[0]))
		push(lx, T_OP, lx->i, lx->i + 1, 0, OP_UNARY);
	else if (strchr("*/%^|&", s[0]))
		push(lx, T_OP, lx->i, lx->i + 1, 0, 0);
	else
		push(lx, T_OTHER, lx->i, lx->i + 1, 0, 0);
	lx->i++;
}

static void lex_one(struct lexer *lx)
{
	const char *s = lx->s;
	size_t i = lx->i, n = lx->n, e;
	unsigned char c = (unsigned char)s[i], c1 = i + 1 < n ? (unsigned char)s[i + 1] : 0;

	if (c <= ' ') { /* NUL, controls and space all separate tokens */
		lx->i++;
	} else if (c == '#' || (c == '-' && c1 == '-')) {
		note_comment(lx, i, line_end(lx, i));
	} else if (c == '/' && c1 == '*') {
		lex_comment_or_slash(lx);
	} else if (c == '*' && c1 == '/' && lx->vcomment) {
		lx->vcomment = false;
		lx->i += 2;
	} else if (c == '\'' || c == '"') {
		e = string_end(lx, i + 1, (char)c);
		push(lx, T_STR, i, e, 0, 0);
		lx->i = e;
	} else if (c == '`' || c == '[') {
		bool dotted = false;

		e = name_part_end(s, i, n);
		if (e == i) /* unclosed: a lone ` runs to the end, a lone [ is itself */
			e = c == '`' ? n : i + 1;
		else
			e = qualified_end(s, e, n, &dotted);
		push(lx, c == '[' && e == i + 1 ? T_OTHER : T_NAME, i, e, 0, 0);
		lx->i = e;
	} else if (c == '\\' && c1 == 'N') { /* MySQL's \N is NULL */
		push(lx, T_NUM, i, i + 2, KW_NULL, 0);
		lx->i += 2;
	} else if (c == '*' && c1 == '/') { /* a stray comment end (nested comment games) */
		lx->i += 2;
	} else if (is_digit(c) || (c == '.' && is_digit(c1))) {
		lex_number(lx);
	} else if (c == '@') {
		e = i + (c1 == '@' ? 2 : 1);
		while (e < n && (ident_char(s[e]) || s[e] == '.'))
			e++;
		push(lx, T_VAR, i, e, 0, 0);
		lx->i = e;
	} else if (ident_start(c)) {
		lex_word(lx);
	} else if (strchr("(),;.", c)) {
		push(lx, (char)c, i, i + 1, 0, 0);
		lx->i++;
	} else {
		lex_op(lx);
	}
}

static uint8_t fn_class(const char *s, size_t len)
{
	const char *dot = NULL;

	for (size_t k = 0; k < len; k++)
		if (s[k] == '.')
			dot = s + k;
	for (size_t k = 0; k < sizeof(fntab) / sizeof(fntab[0]); k++) {
		if (word_is(s, len, fntab[k].name) ||
		    (dot && word_is(dot + 1, len - (size_t)(dot + 1 - s), fntab[k].name)))
			return fntab[k].cls;
	}
	return FN_PLAIN;
}

static bool operand_expected(const struct tok *t, int k)
{
	return k == 0 || t[k - 1].type == T_OP || t[k - 1].type == T_LOGIC ||
	       t[k - 1].type == T_LPAR || t[k - 1].type == T_COMMA;
}

/* A name, or a keyword that doubles as a function, right before '(' is a call. */
static void mark_calls(const char *s, struct tok *t, int n)
{
	for (int k = 0; k + 1 < n; k++) {
		unsigned fl = kwtab[t[k].kw].flags;

		if (t[k + 1].type != T_LPAR)
			continue;
		if (t[k].type == T_NAME && s[t[k].off] != '`' && s[t[k].off] != '[') {
			t[k].type = T_FUNC;
			t[k].op = fn_class(s + t[k].off, t[k].len);
		} else if ((fl & KF_FN) || ((fl & KF_FN_AFTER_OP) && operand_expected(t, k))) {
			t[k].type = T_FUNC;
			t[k].op = FN_PLAIN;
		}
	}
}

/* Tokens of s in context ctx (0, '\'' or '"'); returns their number. */
static int tokenize(const char *s, size_t n, int ctx, bool bs, struct tok *t)
{
	struct lexer lx = { .s = s, .n = n, .bs = bs, .t = t };

	if (ctx) {
		lx.i = string_end(&lx, 0, (char)ctx);
		push(&lx, T_STR, 0, lx.i, 0, 0);
	}
	while (lx.i < lx.n && lx.nt < MAX_TOKS)
		lex_one(&lx);
	if (lx.pending)
		push(&lx, T_COMMENT, lx.pending_off, n, 0, 0);
	mark_calls(s, t, lx.nt);
	return lx.nt;
}

/* ---- parser ---- */

/* What an expression turned out to contain. */
#define F_CMP 0x1u
#define F_LIT 0x2u
#define F_IDENT 0x4u
#define F_TIME 0x8u
#define F_ERROR 0x10u
#define F_SELECT 0x20u
#define F_UNION 0x40u
#define F_FUNC 0x80u
#define F_CASE 0x100u
#define F_RAND 0x200u
#define F_VAR 0x400u
#define F_FROM 0x800u
#define F_ALIAS 0x1000u /* a word right after a word ("the best"): how prose reads as SQL */
#define F_LOGIC 0x2000u /* AND, OR ... between operands */
#define F_LITCMP 0x4000u /* a comparison of literals or calls only: 1=1, 'a'='a', 2>1 */

struct parser {
	const struct tok *t;
	const char *s;
	int n, i, depth;
	unsigned feat;
	bool stop_at_logic; /* top level only: read what precedes an AND/OR */
};

static char ptype(const struct parser *p, int off)
{
	return p->i + off < p->n ? p->t[p->i + off].type : 0;
}

static bool pkw(const struct parser *p, int kw)
{
	return p->i < p->n && p->t[p->i].kw == kw;
}

static bool pop(const struct parser *p, char c)
{
	return p->i < p->n && p->t[p->i].type == T_OP && p->t[p->i].len == 1 &&
	       p->s[p->t[p->i].off] == c;
}

/* End of the injected text: the application's own suffix or a comment closes what is open. */
static bool peof(const struct parser *p)
{
	return p->i >= p->n || p->t[p->i].type == T_COMMENT;
}

static bool tok_is_word(const struct parser *p, int k, const char *w)
{
	return k < p->n && word_is(p->s + p->t[k].off, p->t[k].len, w);
}

static bool parse_expr(struct parser *p);
static bool parse_select(struct parser *p);

static bool enter(struct parser *p)
{
	return ++p->depth <= MAX_DEPTH;
}

/* Type after AS/USING/::, with an optional (n[,n]) */
static bool parse_type(struct parser *p)
{
	char ty = ptype(p, 0);

	if (ty != T_NAME && ty != T_KW && ty != T_FUNC && ty != T_STMT)
		return false;
	p->i++;
	if (ptype(p, 0) == T_LPAR) {
		p->i++;
		while (ptype(p, 0) == T_NUM || ptype(p, 0) == T_COMMA)
			p->i++;
		if (ptype(p, 0) != T_RPAR)
			return false;
		p->i++;
	}
	return true;
}

static bool has_numeric_type(const struct parser *p, int from, int to)
{
	for (int k = from; k < to; k++)
		for (size_t j = 0; j < sizeof(numeric_types) / sizeof(numeric_types[0]); j++)
			if (tok_is_word(p, k, numeric_types[j]))
				return true;
	return false;
}

/* A call argument, keyword forms too: CAST(x AS t), CONVERT(x USING c), SUBSTR(x FROM a FOR b) */
static bool parse_arg(struct parser *p)
{
	if (pkw(p, KW_SELECT))
		return parse_select(p);
	if (pop(p, '*')) {
		p->i++;
		return true;
	}
	if (pkw(p, KW_DISTINCT) || pkw(p, KW_ALL))
		p->i++;
	if (!parse_expr(p))
		return false;
	while (pkw(p, KW_AS) || pkw(p, KW_USING) || pkw(p, KW_FROM) || pkw(p, KW_FOR)) {
		bool type = pkw(p, KW_AS) || pkw(p, KW_USING);

		p->i++;
		if (type ? !parse_type(p) : !parse_expr(p))
			return false;
	}
	return true;
}

static void call_features(struct parser *p, const struct tok *f, unsigned inner, int args_from,
			  bool tilde)
{
	switch (f->op) {
	case FN_TIME:
		inner |= F_TIME;
		break;
	case FN_ERROR: /* fed data, not just constants: polygon(3) is geometry */
		if (inner & (F_SELECT | F_FUNC | F_VAR))
			inner |= F_ERROR;
		break;
	case FN_FLOOR:
		if (inner & F_RAND)
			inner |= F_ERROR;
		break;
	case FN_RAND:
		inner |= F_RAND;
		break;
	case FN_EXP:
		if (tilde)
			inner |= F_ERROR;
		break;
	case FN_CAST:
		if ((inner & (F_SELECT | F_FUNC | F_VAR)) && has_numeric_type(p, args_from, p->i))
			inner |= F_ERROR;
		break;
	default:
		break;
	}
	/* a call's arguments are not bare identifiers of the injected expression */
	p->feat |= (inner & ~F_IDENT) | F_FUNC;
}

static bool parse_call(struct parser *p)
{
	const struct tok *f = &p->t[p->i];
	unsigned outer = p->feat, inner;
	int from;
	bool tilde;

	p->i += 2; /* name and '(' (mark_calls saw to it) */
	from = p->i;
	tilde = pop(p, '~');
	p->feat = 0;
	while (!peof(p) && ptype(p, 0) != T_RPAR) {
		if (!parse_arg(p))
			return false;
		if (ptype(p, 0) != T_COMMA)
			break;
		p->i++;
	}
	if (ptype(p, 0) == T_RPAR)
		p->i++;
	else if (!peof(p))
		return false;
	inner = p->feat;
	p->feat = outer;
	call_features(p, f, inner, from, tilde);
	return true;
}

static bool parse_paren(struct parser *p)
{
	p->i++;
	if (peof(p))
		return true;
	if (pkw(p, KW_SELECT)) {
		if (!parse_select(p))
			return false;
	} else {
		if (!parse_expr(p))
			return false;
		while (ptype(p, 0) == T_COMMA) {
			p->i++;
			if (!parse_expr(p))
				return false;
		}
	}
	if (ptype(p, 0) == T_RPAR) {
		p->i++;
		return true;
	}
	return peof(p);
}

static bool parse_case(struct parser *p)
{
	p->i++;
	if (!pkw(p, KW_WHEN) && !parse_expr(p))
		return false;
	if (pkw(p, KW_WHEN))
		p->feat |= F_CASE;
	while (pkw(p, KW_WHEN)) {
		p->i++;
		if (!parse_expr(p) || !pkw(p, KW_THEN))
			return false;
		p->i++;
		if (!parse_expr(p))
			return false;
	}
	if (pkw(p, KW_ELSE)) {
		p->i++;
		if (!parse_expr(p))
			return false;
	}
	if (pkw(p, KW_END)) {
		p->i++;
		return true;
	}
	return peof(p);
}

static bool parse_primary(struct parser *p)
{
	bool ok = true;

	if (peof(p) || !enter(p))
		return false;
	switch (p->t[p->i].type) {
	case T_NUM:
		p->feat |= F_LIT;
		p->i++;
		break;
	case T_STR:
		p->feat |= F_LIT;
		while (ptype(p, 0) == T_STR) /* 'a' 'b' is one string */
			p->i++;
		break;
	case T_VAR:
		p->feat |= F_LIT | F_VAR;
		p->i++;
		break;
	case T_NAME:
		p->feat |= F_IDENT;
		p->i++;
		break;
	case T_FUNC:
		ok = parse_call(p);
		break;
	case T_LPAR:
		ok = parse_paren(p);
		break;
	case T_KW:
		if (pkw(p, KW_CASE)) {
			ok = parse_case(p);
		} else if (pkw(p, KW_INTERVAL)) {
			p->i++;
			ok = parse_expr(p) && parse_type(p);
		} else {
			ok = false;
		}
		break;
	default:
		ok = false;
	}
	p->depth--;
	return ok;
}

static bool parse_unary(struct parser *p)
{
	while (p->i < p->n) {
		const struct tok *t = &p->t[p->i];

		if ((t->type == T_OP && (t->op & OP_UNARY)) || t->kw == KW_NOT ||
		    t->kw == KW_BINARY)
			p->i++;
		else
			break;
	}
	return parse_primary(p);
}

static bool literal_only(unsigned f)
{
	return (f & (F_LIT | F_FUNC)) && !(f & F_IDENT);
}

/* Operator at p->i (NOT LIKE, SOUNDS LIKE as one), consumed; 0 when none follows. */
static char take_operator(struct parser *p, const struct tok **op)
{
	const struct tok *t = &p->t[p->i];

	if (t->kw == KW_NOT && p->i + 1 < p->n && p->t[p->i + 1].type == T_OP && p->t[p->i + 1].kw)
		t = &p->t[++p->i]; /* NOT LIKE, NOT IN, NOT BETWEEN, NOT REGEXP */
	if (t->type == T_LOGIC && (t->kw == KW_NOT || (p->stop_at_logic && p->depth == 1)))
		return 0;
	if (t->type != T_OP && t->type != T_LOGIC)
		return 0;
	p->i++;
	if (t->kw == KW_SOUNDS && pkw(p, KW_LIKE))
		p->i++;
	*op = t;
	return t->type;
}

/*
 * Operands joined by operators, no precedence (only what an operand holds
 * matters). A term is what lies between comparisons and logic operators;
 * a comparison whose two terms are literal-only sets F_LITCMP.
 */
static bool parse_expr_body(struct parser *p)
{
	unsigned outer = p->feat, acc = 0, term = 0, cmp_left = 0;
	bool in_cmp = false;
	const struct tok *op;
	char kind;

	p->feat = 0;
	if (!parse_unary(p))
		return false;
	term = p->feat;
	while (p->i < p->n && (kind = take_operator(p, &op))) {
		if (kind == T_LOGIC || (op->op & OP_CMP)) {
			if (in_cmp && literal_only(cmp_left) && literal_only(term))
				acc |= F_LITCMP;
			acc |= term;
			in_cmp = kind != T_LOGIC;
			cmp_left = term;
			term = 0;
			acc |= kind == T_LOGIC ? F_LOGIC : F_CMP;
		}
		if (op->op & OP_CAST || op->kw == KW_COLLATE) {
			if (!parse_type(p))
				return false;
			continue;
		}
		p->feat = 0;
		if (!parse_unary(p))
			return false;
		term |= p->feat;
	}
	if (in_cmp && literal_only(cmp_left) && literal_only(term))
		acc |= F_LITCMP;
	p->feat = outer | acc | term;
	return true;
}

static bool parse_expr(struct parser *p)
{
	bool ok = enter(p) && parse_expr_body(p);

	p->depth--;
	return ok;
}

/* Select items or ORDER/GROUP BY terms; items may carry aliases. */
static bool parse_list(struct parser *p, bool items)
{
	for (;;) {
		if (items && pop(p, '*')) {
			p->i++;
		} else {
			if (!parse_expr(p))
				return false;
			if (ptype(p, 0) == T_DOT && p->i + 1 < p->n && p->t[p->i + 1].type == T_OP)
				p->i += 2; /* t.* */
		}
		if (items && pkw(p, KW_AS))
			p->i++;
		else if (items && ptype(p, 0) == T_NAME && p->t[p->i - 1].type == T_NAME)
			p->feat |= F_ALIAS;
		if (items && (ptype(p, 0) == T_NAME || ptype(p, 0) == T_STR))
			p->i++;
		if (!items && (pkw(p, KW_ASC) || pkw(p, KW_DESC)))
			p->i++;
		if (ptype(p, 0) != T_COMMA)
			return true;
		p->i++;
	}
}

static bool is_join_kw(const struct parser *p)
{
	return pkw(p, KW_JOIN) || pkw(p, KW_INNER) || pkw(p, KW_OUTER) || pkw(p, KW_LEFT) ||
	       pkw(p, KW_RIGHT) || pkw(p, KW_CROSS) || pkw(p, KW_NATURAL);
}

static bool parse_table(struct parser *p)
{
	if (ptype(p, 0) == T_LPAR) {
		p->i++;
		if (!pkw(p, KW_SELECT) || !parse_select(p))
			return false;
		if (ptype(p, 0) == T_RPAR)
			p->i++;
		else if (!peof(p))
			return false;
	} else if (ptype(p, 0) == T_FUNC) {
		if (!parse_call(p))
			return false;
	} else if (ptype(p, 0) == T_NAME) {
		p->i++;
		if (ptype(p, 0) == T_NAME)
			p->feat |= F_ALIAS;
	} else {
		return false;
	}
	if (pkw(p, KW_AS))
		p->i++;
	if (ptype(p, 0) == T_NAME)
		p->i++;
	return true;
}

static bool parse_from(struct parser *p)
{
	for (;;) {
		if (!parse_table(p))
			return false;
		if (pkw(p, KW_ON)) {
			p->i++;
			if (!parse_expr(p))
				return false;
		}
		if (ptype(p, 0) == T_COMMA) {
			p->i++;
		} else if (is_join_kw(p)) {
			while (is_join_kw(p))
				p->i++;
		} else {
			return true;
		}
	}
}

static bool parse_clauses(struct parser *p)
{
	if (pkw(p, KW_WHERE)) {
		p->i++;
		if (!parse_expr(p))
			return false;
	}
	if (pkw(p, KW_GROUP) || pkw(p, KW_ORDER)) {
		bool group = pkw(p, KW_GROUP);

		p->i++;
		if (!pkw(p, KW_BY))
			return false;
		p->i++;
		if (!parse_list(p, false))
			return false;
		if (group && pkw(p, KW_HAVING)) {
			p->i++;
			if (!parse_expr(p))
				return false;
		}
		if (group && pkw(p, KW_ORDER))
			return parse_clauses(p); /* ORDER BY after GROUP BY: one level deeper */
	}
	if (pkw(p, KW_HAVING)) {
		p->i++;
		if (!parse_expr(p))
			return false;
	}
	if (pkw(p, KW_LIMIT)) {
		p->i++;
		if (!parse_expr(p))
			return false;
		if (ptype(p, 0) == T_COMMA || pkw(p, KW_OFFSET)) {
			p->i++;
			if (!parse_expr(p))
				return false;
		}
	}
	return true;
}

static void parse_into(struct parser *p)
{
	if (!pkw(p, KW_INTO))
		return;
	p->i++;
	if (pkw(p, KW_OUTFILE) || pkw(p, KW_DUMPFILE))
		p->i++;
	while (ptype(p, 0) == T_STR || ptype(p, 0) == T_VAR || ptype(p, 0) == T_NAME ||
	       ptype(p, 0) == T_COMMA)
		p->i++;
}

static bool parse_select_body(struct parser *p)
{
	p->i++;
	p->feat |= F_SELECT;
	if (pkw(p, KW_ALL) || pkw(p, KW_DISTINCT))
		p->i++;
	if (pkw(p, KW_TOP)) {
		p->i++;
		if (ptype(p, 0) == T_NUM)
			p->i++;
	}
	if (!parse_list(p, true))
		return false;
	parse_into(p);
	if (pkw(p, KW_FROM)) {
		p->i++;
		p->feat |= F_FROM;
		if (!parse_from(p))
			return false;
	}
	if (!parse_clauses(p))
		return false;
	parse_into(p);
	if (ptype(p, 0) == T_UNION) {
		p->i++;
		if (pkw(p, KW_ALL) || pkw(p, KW_DISTINCT))
			p->i++;
		while (ptype(p, 0) == T_LPAR)
			p->i++;
		if (!pkw(p, KW_SELECT))
			return false;
		p->feat |= F_UNION;
		return parse_select(p);
	}
	return true;
}

static bool parse_select(struct parser *p)
{
	bool ok = enter(p) && parse_select_body(p);

	p->depth--;
	return ok;
}

/* ---- rules over the token sequence of one context ---- */

struct view {
	const struct tok *t;
	const char *s;
	int n, ctx;
};

/* What precedes the break-out point */
enum prefix { P_NONE, P_NUM, P_STR, P_NAME };

static const uint8_t kind_rank[SQLI_KIND__COUNT] = {
	[SQLI_NONE] = 0,  [SQLI_COMMENT] = 1, [SQLI_TAUTOLOGY] = 2, [SQLI_STACKED] = 3,
	[SQLI_UNION] = 4, [SQLI_ERROR] = 5,   [SQLI_TIME] = 6,
};

static enum sqli_kind kmax(enum sqli_kind a, enum sqli_kind b)
{
	return kind_rank[b] > kind_rank[a] ? b : a;
}

/* A detected kind, upgraded by what the payload does. */
static enum sqli_kind upgrade(unsigned f, enum sqli_kind base)
{
	if (base == SQLI_NONE)
		return base;
	if (f & F_TIME)
		return SQLI_TIME;
	if (f & F_ERROR)
		return SQLI_ERROR;
	if (f & F_UNION)
		return kmax(base, SQLI_UNION);
	return base;
}

static struct parser parser_at(const struct view *v, int i)
{
	return (struct parser){ .t = v->t, .s = v->s, .n = v->n, .i = i };
}

/* Does SELECT ... prove anything: a source, a call, a literal or a CASE, not just words. */
static bool strong_select(unsigned f)
{
	return (f & F_SELECT) && (f & (F_FROM | F_FUNC | F_CMP | F_LIT | F_CASE | F_VAR));
}

static bool stmt_end(const struct parser *p)
{
	return peof(p) || ptype(p, 0) == T_SEMI;
}

static enum sqli_kind stmt_kind(const struct view *v, int j, int depth);
static enum sqli_kind after_clause(const struct view *v, int i);

/* A table or routine name; "users (a, b)" reads as a call to mark_calls(). */
static bool is_object_name(const struct parser *p)
{
	return ptype(p, 0) == T_NAME || ptype(p, 0) == T_FUNC;
}

/* DROP/CREATE/ALTER/TRUNCATE/RENAME with their object. */
static bool ddl_ok(struct parser *p, int kw)
{
	static const char *const objects[] = { "table",	  "database",  "schema",    "view",
					       "user",	  "procedure", "function",  "index",
					       "trigger", "login",     "temporary", "event",
					       "role",	  "column",    "tablespace" };
	bool obj = false;

	p->i++;
	if (kw == KW_CREATE && pkw(p, KW_OR) && tok_is_word(p, p->i + 1, "replace"))
		p->i += 2;
	for (size_t k = 0; k < sizeof(objects) / sizeof(objects[0]) && !obj; k++)
		obj = tok_is_word(p, p->i, objects[k]);
	if (!obj && kw != KW_TRUNCATE)
		return false;
	if (obj)
		p->i++;
	if (pkw(p, KW_IF)) { /* IF [NOT] EXISTS */
		p->i++;
		if (pkw(p, KW_NOT))
			p->i++;
		if (!pkw(p, KW_EXISTS))
			return false;
		p->i++;
	}
	if (!is_object_name(p))
		return false;
	p->i++;
	if (kw == KW_DROP || kw == KW_TRUNCATE)
		return stmt_end(p) || ptype(p, 0) == T_COMMA;
	return stmt_end(p) || ptype(p, 0) == T_LPAR || ptype(p, 0) == T_NAME ||
	       ptype(p, 0) == T_KW || ptype(p, 0) == T_STMT;
}

static bool exec_ok(struct parser *p)
{
	const struct tok *t;

	p->i++;
	if (peof(p))
		return false;
	t = &p->t[p->i];
	if (t->type == T_VAR || t->type == T_LPAR || t->type == T_FUNC)
		return true;
	if (t->type != T_NAME)
		return false;
	if (t->len > 3 &&
	    (!strncasecmp(p->s + t->off, "xp_", 3) || !strncasecmp(p->s + t->off, "sp_", 3) ||
	     memmem(p->s + t->off, t->len, "..", 2) || memmem(p->s + t->off, t->len, ".xp_", 4)))
		return true;
	p->i++;
	return stmt_end(p) || ptype(p, 0) == T_STR || ptype(p, 0) == T_VAR;
}

static bool dml_ok(struct parser *p, int kw)
{
	p->i++;
	switch (kw) {
	case KW_INSERT:
	case KW_REPLACE:
		if (pkw(p, KW_INTO))
			p->i++;
		if (!is_object_name(p))
			return false;
		p->i++;
		return ptype(p, 0) == T_LPAR || pkw(p, KW_VALUES) || pkw(p, KW_SELECT) ||
		       pkw(p, KW_SET);
	case KW_UPDATE:
		if (ptype(p, 0) != T_NAME)
			return false;
		p->i++;
		return pkw(p, KW_SET);
	default: /* DELETE */
		if (!pkw(p, KW_FROM))
			return false;
		p->i++;
		if (ptype(p, 0) != T_NAME)
			return false;
		p->i++;
		return stmt_end(p) || pkw(p, KW_WHERE);
	}
}

/* The rest of the statements a stacked query may start with. */
static bool misc_stmt_ok(struct parser *p, const struct view *v, int kw, int depth,
			 enum sqli_kind *k)
{
	p->i++;
	switch (kw) {
	case KW_DECLARE:
		return ptype(p, 0) == T_VAR;
	case KW_SET:
		return ptype(p, 0) == T_VAR || (ptype(p, 0) == T_NAME && ptype(p, 1) == T_OP &&
						(p->t[p->i + 1].op & OP_CMP));
	case KW_WAITFOR:
		if (!(pkw(p, KW_DELAY) || pkw(p, KW_TIME)) || ptype(p, 1) != T_STR)
			return false;
		*k = SQLI_TIME;
		return true;
	case KW_SHUTDOWN:
		return stmt_end(p) || pkw(p, KW_WITH);
	case KW_BEGIN:
	case KW_CALL:
	case KW_DO:
		if (ptype(p, 0) != T_FUNC && !(kw == KW_CALL && ptype(p, 0) == T_NAME))
			return false;
		if (ptype(p, 0) == T_FUNC && !parse_expr(p))
			return false;
		*k = upgrade(p->feat, SQLI_STACKED);
		return true;
	case KW_COPY:
		for (int m = p->i; m < p->n && m < p->i + 16; m++)
			if (p->t[m].kw == KW_PROGRAM)
				return true;
		return false;
	case KW_GRANT:
	case KW_REVOKE:
		return pkw(p, KW_ALL) || pkw(p, KW_SELECT) || pkw(p, KW_INSERT) ||
		       pkw(p, KW_UPDATE) || pkw(p, KW_DELETE) || pkw(p, KW_EXECUTE);
	case KW_LOAD:
		return pkw(p, KW_DATA) && tok_is_word(p, p->i + 1, "infile");
	case KW_PREPARE:
		return ptype(p, 0) == T_NAME && p->i + 1 < p->n && p->t[p->i + 1].kw == KW_FROM;
	case KW_IF: /* MSSQL: IF (cond) statement */
		p->i--;
		if (depth > 1 || !parse_expr(p))
			return false;
		*k = stmt_kind(v, p->i, depth + 1);
		if (*k == SQLI_NONE)
			return false;
		*k = upgrade(p->feat, *k);
		return true;
	default:
		return false;
	}
}

/* Kind of a statement starting at j (a stacked query), SQLI_NONE when it does not read as one. */
static enum sqli_kind stmt_kind(const struct view *v, int j, int depth)
{
	struct parser p = parser_at(v, j);
	enum sqli_kind k = SQLI_STACKED;
	int kw;

	if (j >= v->n)
		return SQLI_NONE;
	kw = v->t[j].kw;
	switch (kw) {
	case KW_SELECT:
		/* "; select the file from the list" is an instruction, not a query */
		if (!parse_select(&p) || !strong_select(p.feat) || !stmt_end(&p) ||
		    ((p.feat & F_ALIAS) && !(p.feat & (F_FUNC | F_VAR | F_LIT | F_CASE))))
			return SQLI_NONE;
		return upgrade(p.feat, SQLI_STACKED);
	case KW_INSERT:
	case KW_REPLACE:
	case KW_UPDATE:
	case KW_DELETE:
		return dml_ok(&p, kw) ? SQLI_STACKED : SQLI_NONE;
	case KW_DROP:
	case KW_CREATE:
	case KW_ALTER:
	case KW_TRUNCATE:
	case KW_RENAME:
		return v->t[j].type == T_STMT && ddl_ok(&p, kw) ? SQLI_STACKED : SQLI_NONE;
	case KW_EXEC:
	case KW_EXECUTE:
		return exec_ok(&p) ? SQLI_STACKED : SQLI_NONE;
	default:
		return misc_stmt_ok(&p, v, kw, depth, &k) ? k : SQLI_NONE;
	}
}

/*
 * Statements that follow a break-out without a ';' (SQL Server runs them so):
 * only those that read as nothing but an attack, so "What does 'SELECT 1'
 * return?" stays prose.
 */
static bool unseparated_ok(int kw)
{
	return kw == KW_WAITFOR || kw == KW_EXEC || kw == KW_EXECUTE || kw == KW_SHUTDOWN ||
	       kw == KW_DECLARE;
}

/* What may follow an injected expression: -1 when nothing valid does, else the kind it adds. */
static int tail_kind(const struct view *v, int j, enum prefix pk)
{
	const struct tok *t;
	enum sqli_kind k;

	while (j < v->n && v->t[j].type == T_RPAR)
		j++;
	if (j >= v->n || v->t[j].type == T_COMMENT)
		return SQLI_NONE;
	t = &v->t[j];
	switch (t->type) {
	case T_SEMI:
		while (j < v->n && v->t[j].type == T_SEMI)
			j++;
		if (j >= v->n || v->t[j].type == T_COMMENT)
			return SQLI_NONE;
		k = stmt_kind(v, j, 0);
		return k != SQLI_NONE ? (int)k : -1;
	case T_UNION: {
		struct parser p = parser_at(v, j + 1);

		if (pkw(&p, KW_ALL) || pkw(&p, KW_DISTINCT))
			p.i++;
		while (ptype(&p, 0) == T_LPAR)
			p.i++;
		if (!pkw(&p, KW_SELECT))
			return -1;
		(void)parse_select(&p);
		return upgrade(p.feat, SQLI_UNION);
	}
	case T_KW:
		if (t->kw != KW_ORDER && t->kw != KW_GROUP && t->kw != KW_HAVING &&
		    t->kw != KW_LIMIT && t->kw != KW_INTO && t->kw != KW_PROCEDURE)
			return -1;
		return after_clause(v, j); /* ' OR 1 GROUP BY ... HAVING ...# */
	case T_STMT:
		if (pk == P_NONE || pk == P_NAME || !unseparated_ok(t->kw))
			return -1;
		k = stmt_kind(v, j, 0);
		return k != SQLI_NONE ? (int)k : -1;
	default:
		return -1;
	}
}

static bool trailing_comment(const struct view *v, int j)
{
	while (j < v->n && v->t[j].type == T_RPAR)
		j++;
	return j < v->n && v->t[j].type == T_COMMENT;
}

/* prefix AND, OR, XOR, && or || then an expression */
static enum sqli_kind after_logic(const struct view *v, int i, enum prefix pk)
{
	struct parser p = parser_at(v, i + 1);
	enum sqli_kind base = SQLI_NONE;
	unsigned f;
	int tail;

	if (v->t[i].kw == KW_NOT || !parse_expr(&p))
		return SQLI_NONE;
	tail = tail_kind(v, p.i, pk);
	if (tail < 0)
		return SQLI_NONE;
	f = p.feat;
	if ((f & (F_TIME | F_ERROR)) || strong_select(f)) {
		base = SQLI_TAUTOLOGY;
	} else if (f & F_CMP) {
		/* a comparison after a break-out; from prose ("cats or dogs = pets") only of literals */
		if (v->ctx || pk == P_NUM || pk == P_STR || (f & F_LITCMP))
			base = SQLI_TAUTOLOGY;
	} else if (!(f & F_IDENT) && (f & (F_LIT | F_FUNC))) {
		/* ' OR 1--, ' OR TRUE: a bare truth value needs a quote context */
		bool one = p.i == i + 2 && v->t[i + 1].type == T_NUM;

		if (trailing_comment(v, p.i) && v->ctx)
			base = SQLI_TAUTOLOGY;
		else if (v->ctx && one && p.i >= v->n)
			base = SQLI_TAUTOLOGY;
	}
	return kmax(upgrade(f, base), (enum sqli_kind)tail);
}

static enum sqli_kind after_union(const struct view *v, int i, enum prefix pk)
{
	struct parser p = parser_at(v, i + 1);

	if (pkw(&p, KW_ALL) || pkw(&p, KW_DISTINCT))
		p.i++;
	while (ptype(&p, 0) == T_LPAR)
		p.i++;
	if (!pkw(&p, KW_SELECT))
		return SQLI_NONE;
	if (pk == P_NONE || pk == P_NAME) {
		/*
		 * "union select committee": words alone are prose; literals and
		 * calls are not, nor a whole query with a source and no prose aliases.
		 */
		struct parser q = p;

		p.i++;
		if (pkw(&p, KW_ALL) || pkw(&p, KW_DISTINCT))
			p.i++;
		if (parse_list(&p, true) && !(p.feat & F_IDENT) &&
		    (p.feat & (F_LIT | F_FUNC | F_VAR)))
			return upgrade(p.feat, SQLI_UNION);
		if (parse_select(&q) && (q.feat & F_FROM) && !(q.feat & F_ALIAS) &&
		    tail_kind(v, q.i, P_NUM) >= 0)
			return upgrade(q.feat, SQLI_UNION);
		return SQLI_NONE;
	}
	(void)parse_select(&p);
	return upgrade(p.feat, SQLI_UNION);
}

/* ORDER BY 1,2 to the end: counting columns */
static bool order_by_numbers(const struct view *v, int i)
{
	if (v->t[i].kw != KW_ORDER || i + 2 >= v->n || v->t[i + 1].kw != KW_BY)
		return false;
	for (i += 2; i < v->n && v->t[i].type != T_COMMENT; i++)
		if (v->t[i].type != T_NUM && v->t[i].type != T_COMMA)
			return false;
	return true;
}

/*
 * ORDER BY n(--), GROUP BY ... HAVING 1=1(--), LIMIT ...--, WHERE ...--,
 * PROCEDURE ANALYSE(...), INTO OUTFILE: a clause appended to the query.
 */
static enum sqli_kind after_clause(const struct view *v, int i)
{
	struct parser p = parser_at(v, i);
	int kw = v->t[i].kw;
	bool ok;

	if (kw == KW_INTO) /* INTO OUTFILE/DUMPFILE: writing files is never prose */
		return i + 1 < v->n && (v->t[i + 1].kw == KW_OUTFILE ||
					v->t[i + 1].kw == KW_DUMPFILE) ?
			       SQLI_COMMENT :
			       SQLI_NONE;
	if (order_by_numbers(v, i))
		return SQLI_COMMENT;
	if (kw == KW_PROCEDURE) {
		p.i++;
		ok = ptype(&p, 0) == T_FUNC && parse_call(&p);
	} else {
		ok = parse_clauses(&p);
	}
	if (!ok || p.i == i)
		return SQLI_NONE;
	if (p.feat & (F_TIME | F_ERROR))
		return upgrade(p.feat, SQLI_COMMENT);
	if (trailing_comment(v, p.i))
		return SQLI_COMMENT;
	return (p.feat & F_LITCMP) && p.i >= v->n ? SQLI_TAUTOLOGY : SQLI_NONE; /* HAVING 1=1 */
}

/* prefix , expression (ORDER BY 1,(...)) or an operator the prefix could not take */
static enum sqli_kind after_op(const struct view *v, int i)
{
	struct parser p = parser_at(v, i + 1);

	if (!parse_expr(&p) || tail_kind(v, p.i, P_NUM) < 0)
		return SQLI_NONE;
	if ((p.feat & (F_TIME | F_ERROR)) || strong_select(p.feat))
		return upgrade(p.feat, SQLI_TAUTOLOGY);
	/* ORDER BY name,IIF(1=2,name,1/0): a call that tests a condition */
	if (v->t[i].type == T_COMMA && (p.feat & F_FUNC) && (p.feat & F_CMP))
		return SQLI_TAUTOLOGY;
	return SQLI_NONE;
}

/* Nothing to break out of: a bare expression or statement must sleep or raise errors. */
static enum sqli_kind bare(const struct view *v)
{
	struct parser p = parser_at(v, 0);

	if (v->t[0].type == T_STMT) {
		enum sqli_kind k = stmt_kind(v, 0, 0);

		return k == SQLI_TIME || k == SQLI_ERROR ? k : SQLI_NONE;
	}
	if (!parse_expr(&p) || tail_kind(v, p.i, P_NONE) < 0)
		return SQLI_NONE;
	if (p.feat & (F_TIME | F_ERROR))
		return upgrade(p.feat, SQLI_TAUTOLOGY);
	if (v->t[0].type == T_LPAR && strong_select(p.feat) && (p.feat & (F_CASE | F_CMP | F_FUNC)))
		return SQLI_TAUTOLOGY;
	/* (CASE WHEN (1=1) THEN name ELSE id END), CASE 1 WHEN 2 THEN 2 END: nothing else reads so */
	if ((p.feat & F_CASE) &&
	    (v->t[0].type == T_LPAR || (v->t[0].kw == KW_CASE && v->t[p.i - 1].kw == KW_END)))
		return SQLI_TAUTOLOGY;
	/* (SELECT id FROM users LIMIT 1,1): a whole query, no prose aliases */
	if (v->t[0].type == T_LPAR && (p.feat & F_FROM) && !(p.feat & F_ALIAS))
		return SQLI_TAUTOLOGY;
	return SQLI_NONE;
}

static bool has_space(const char *s, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if ((unsigned char)s[k] <= ' ')
			return true;
	return false;
}

/*
 * admin'-- after a quote break-out: a single word closed by a comment that
 * says nothing. "The Smiths' -- all of them" (an em dash) and "Use '#' for
 * comments" (the comment closes the quote) are prose.
 */
static bool attack_comment(const struct view *v, int i)
{
	const struct tok *c = &v->t[i];
	const char *b = v->s + c->off;
	size_t n = c->len, k = *b == '#' ? 1 : 2;

	if (!v->ctx || c->type != T_COMMENT || memchr(b, v->ctx, n) ||
	    has_space(v->s + v->t[0].off, v->t[0].len))
		return false;
	while (k < n && (unsigned char)b[k] <= ' ')
		k++;
	while (n > k && (unsigned char)b[n - 1] <= ' ')
		n--;
	return !has_space(b + k, n - k);
}

static enum prefix read_prefix(const struct view *v, int *i)
{
	const struct tok *t = v->t;

	*i = 0;
	if (v->ctx) {
		*i = 1;
		return P_STR;
	}
	if (t[0].type == T_OP && (t[0].op & OP_UNARY) && v->n > 1 && t[1].type == T_NUM) {
		*i = 2;
		return P_NUM;
	}
	switch (t[0].type) {
	case T_RPAR: /* func(<input>): ");waitfor ..." closes the call first */
		return P_NUM;
	case T_NUM:
		*i = 1;
		return t[0].kw ? P_NAME : P_NUM; /* NULL, TRUE: not a numeric context */
	case T_STR:
	case T_VAR:
		*i = 1;
		return P_STR;
	case T_NAME:
		*i = 1;
		return P_NAME;
	default:
		return P_NONE;
	}
}

/*
 * The break-out widened to the whole expression before any AND/OR:
 * 1001-'x' union ..., (1001)union ..., 1 RLIKE (SELECT ...), x' = 'x' = '1.
 * Its features go in *feat; the index after it is returned.
 */
static int widen_prefix(const struct view *v, int i, enum prefix *pk, unsigned *feat)
{
	struct parser p = parser_at(v, 0);

	*feat = 0;
	if ((*pk == P_NONE && v->t[0].type != T_LPAR) || v->t[0].type == T_RPAR)
		return i;
	p.stop_at_logic = true;
	if (!parse_expr(&p) || p.i < i)
		return i;
	if (*pk == P_NONE) /* (1001) reads as a number, (a) as prose */
		*pk = p.feat & F_IDENT ? P_NAME : P_NUM;
	if (p.i > i)
		*feat = p.feat;
	return p.i;
}

/* 1--, 1 * 1 --, @@version#: a value closed by a comment that says nothing. */
static bool bare_comment(const struct view *v, int i)
{
	const struct tok *c = &v->t[i];

	for (size_t k = 0; k < c->len; k++) {
		unsigned char ch = (unsigned char)v->s[c->off + k];

		if ((ch >= '0' && ch <= '9') || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z'))
			return false;
	}
	return true;
}

/* What a form value looks like before the quote: a word, a number, an address, nothing. */
static bool value_like(const char *s, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		unsigned char c = (unsigned char)s[k];

		if (!((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
		      strchr("_-.@%", c) || c >= 0x80))
			return false;
	}
	return true;
}

/*
 * The prefix expression is all there is (up to a comment). x' = 'x' = 0 = '1
 * and '=' compare literals (MySQL converts them): words on either end, not
 * prose around a quoted operator ("accept '=' characters").
 */
static enum sqli_kind whole_prefix(const struct view *v, int i, enum prefix pk, unsigned feat,
				   bool widened)
{
	const struct tok *last = &v->t[i - 1];

	if (widened && v->ctx && (feat & F_LITCMP) && value_like(v->s, v->t[0].len - 1) &&
	    (last->type != T_STR || !has_space(v->s + last->off, last->len)))
		return SQLI_TAUTOLOGY;
	if (i >= v->n)
		return SQLI_NONE;
	if (v->ctx) /* a trailing comment */
		return attack_comment(v, i) ? SQLI_COMMENT : SQLI_NONE;
	/* a number or a system variable, not "@john --" */
	if (v->t[0].type == T_VAR && (v->t[0].len < 2 || v->s[v->t[0].off + 1] != '@'))
		return SQLI_NONE;
	return (pk == P_NUM || pk == P_STR) && !(feat & F_IDENT) && bare_comment(v, i) ?
		       SQLI_COMMENT :
		       SQLI_NONE;
}

/* closed: the prefix ended with ')' (FOO) WHERE ..., a parenthesis broken out of) */
static enum sqli_kind dispatch(const struct view *v, int i, enum prefix pk, bool closed)
{
	const struct tok *t = v->t;

	switch (t[i].type) {
	case T_LOGIC:
		return after_logic(v, i, pk);
	case T_UNION:
		return after_union(v, i, pk);
	case T_SEMI: {
		int tk = tail_kind(v, i, pk);
		enum sqli_kind k = tk > 0 ? (enum sqli_kind)tk : SQLI_NONE;

		if (k == SQLI_NONE && i + 2 == v->n && attack_comment(v, i + 1))
			return SQLI_COMMENT; /* admin';-- */
		return k;
	}
	case T_STMT: {
		enum sqli_kind k = pk == P_NONE		   ? bare(v) :
				   unseparated_ok(t[i].kw) ? stmt_kind(v, i, 0) :
							     SQLI_NONE;

		return pk == P_NAME && k != SQLI_TIME ? SQLI_NONE : k;
	}
	case T_KW:
		if (pk == P_STR || pk == P_NUM || (pk == P_NAME && closed))
			return after_clause(v, i);
		return pk == P_NONE ? bare(v) : SQLI_NONE;
	case T_OP:
	case T_COMMA: /* ORDER BY 1,(SELECT ...) */
		return pk != P_NONE ? after_op(v, i) : bare(v);
	default:
		return pk == P_NONE ? bare(v) : SQLI_NONE;
	}
}

static enum sqli_kind analyze(const struct view *v)
{
	const struct tok *t = v->t;
	enum prefix pk;
	unsigned feat;
	int i, first, closed;
	enum sqli_kind k;

	if (!v->n)
		return SQLI_NONE;
	pk = read_prefix(v, &first);
	i = widen_prefix(v, first, &pk, &feat);
	if (pk == P_NAME && i < v->n && (t[i].kw == KW_ASC || t[i].kw == KW_DESC))
		i++; /* ORDER BY name ASC,(SELECT ...) */
	closed = i;
	while (i < v->n && t[i].type == T_RPAR && pk != P_NONE)
		i++;
	closed = i > closed;
	/* 1-SLEEP(5), 1'+(SELECT ...)+', 1 RLIKE (SELECT ...): the prefix itself attacks */
	if (((feat & (F_TIME | F_ERROR)) || strong_select(feat)) && tail_kind(v, i, pk) >= 0)
		return kmax(upgrade(feat, SQLI_TAUTOLOGY), (enum sqli_kind)tail_kind(v, i, pk));
	if (i >= v->n || t[i].type == T_COMMENT) {
		k = whole_prefix(v, i, pk, feat, i > first);
		return k == SQLI_NONE && t[0].type == T_LPAR ? bare(v) : k;
	}
	k = dispatch(v, i, pk, closed);
	return upgrade(feat, k);
}

/* ---- public ---- */

const char *sqli_kind_name(enum sqli_kind k)
{
	static const char *const names[SQLI_KIND__COUNT] = {
		[SQLI_NONE] = "none",	    [SQLI_TAUTOLOGY] = "tautology", [SQLI_UNION] = "union",
		[SQLI_STACKED] = "stacked", [SQLI_TIME] = "time",	    [SQLI_ERROR] = "error",
		[SQLI_COMMENT] = "comment",
	};

	return (unsigned)k < SQLI_KIND__COUNT ? names[k] : "none";
}

static void fingerprint(const struct tok *t, int n, char *out, size_t cap)
{
	size_t k;

	for (k = 0; k < (size_t)n && k + 1 < cap; k++)
		out[k] = t[k].type;
	out[k] = '\0';
}

bool sqli_detect(const char *text, size_t len, struct sqli_result *out)
{
	static const int ctxs[] = { 0, '\'', '"' };
	struct sqli_result best = { .kind = SQLI_NONE };
	struct tok toks[MAX_TOKS];
	int passes;

	if (text && len > SQLI_MAX_INPUT)
		len = SQLI_MAX_INPUT;
	/* backslash escapes are MySQL's; other servers take them literally, so try both */
	passes = text && memchr(text, '\\', len) ? 2 : 1;
	for (int b = 0; text && b < passes; b++) {
		for (size_t c = 0; c < sizeof(ctxs) / sizeof(ctxs[0]); c++) {
			struct view v = { .t = toks, .s = text, .ctx = ctxs[c] };
			enum sqli_kind k;

			/* a quote context needs the quote to break out with */
			if (v.ctx && !memchr(text, v.ctx, len))
				continue;
			v.n = tokenize(text, len, v.ctx, b == 0, toks);
			k = analyze(&v);
			if (kind_rank[k] > kind_rank[best.kind]) {
				best.kind = k;
				best.context = v.ctx;
				fingerprint(toks, v.n, best.fingerprint, sizeof(best.fingerprint));
			}
		}
	}
	if (out)
		*out = best;
	return best.kind != SQLI_NONE;
}
