// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * SQL injection detector (sqli.h): the parser and the rules. Lists of
 * regular expressions either miss what attack tools generate (case games,
 * comments as spaces, versioned comments, nesting, whitespace tricks) or
 * fire on prose that mentions SQL words. Instead the text is lexed
 * (sqli_lex.c) the way a SQL server would lex it once pasted into a
 * statement, from each place an attacker can break out of (a numeric or
 * bare context, a '...' string, a "..." string), and what follows the
 * break-out point must parse as SQL that only an injection writes: a
 * boolean or comparison after a closed string or a number, UNION SELECT, a
 * second statement, a clause cut short by a comment, or calls that sleep or
 * raise errors. A name such as O'Brien or "order by relevance" never gets
 * that far.
 *
 * Bounded: SQLI_MAX_INPUT bytes, MAX_TOKS tokens per pass, at most six
 * passes, a recursive-descent parser whose depth is capped at MAX_DEPTH and
 * that each rule runs a fixed number of times over the tokens. No allocation.
 */
#include "sqli_int.h"

#include <string.h>
#include <strings.h>

#define MAX_DEPTH 64

/* Types a CAST/CONVERT error probe converts to. */
static const char *const numeric_types[] = { "int",	"integer",  "numeric", "bigint",
					     "decimal", "smallint", "signed",  "float" };

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
	return k < p->n && sqli_word_is(p->s + p->t[k].off, p->t[k].len, w);
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
			v.n = sqli_tokenize(text, len, v.ctx, b == 0, toks);
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
