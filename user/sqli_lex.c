// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * SQL lexer of the injection detector (sqli_int.h). The text is cut into
 * tokens the way a SQL server would cut it once pasted into a statement, so
 * that the evasions attack tools use (case games, comments as spaces, MySQL
 * versioned comments, 1union, `quoted` and [bracketed] names, N'..' and
 * 0x.. literals, backslash escapes or not) reach the parser as the plain
 * token sequence they stand for. Keyword and function tables live here too:
 * a word's class is decided while lexing. Bounded by MAX_TOKS; no allocation.
 */
#include "sqli_int.h"

#include <string.h>
#include <strings.h>

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

bool sqli_word_is(const char *s, size_t len, const char *w)
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
		if (sqli_word_is(s, len, fntab[k].name) ||
		    (dot && sqli_word_is(dot + 1, len - (size_t)(dot + 1 - s), fntab[k].name)))
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
int sqli_tokenize(const char *s, size_t n, int ctx, bool bs, struct tok *t)
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
