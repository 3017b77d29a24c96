/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The SQL injection detector's insides, shared by its two files: sqli_lex.c
 * (token classes, the keyword and function tables, lexing text the way a SQL
 * server would) and sqli.c (the parser and the rules that decide the kind).
 * Nothing outside sqli*.c includes this.
 */
#ifndef BT_SQLI_INT_H
#define BT_SQLI_INT_H

#include "sqli.h"

#include <stdint.h>

#define MAX_TOKS 96

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

struct tok {
	uint16_t off, len;
	char type;
	uint8_t kw; /* enum kw */
	uint8_t op; /* OP_* for T_OP, enum fn for T_FUNC */
};

/* true when the len bytes at s are the word w, any case */
bool sqli_word_is(const char *s, size_t len, const char *w);

/*
 * Tokens of s (n bytes) in context ctx (0, '\'' or '"': a leading string
 * token up to that quote), MySQL backslash escapes when bs; writes at most
 * MAX_TOKS to t and returns their number. Calls are already marked T_FUNC.
 */
int sqli_tokenize(const char *s, size_t n, int ctx, bool bs, struct tok *t);

#endif
