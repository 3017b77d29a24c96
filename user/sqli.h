/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * SQL injection in request text (a decoded query value, a form field, a
 * JSON string, a header value), found by tokenizing the text as SQL would
 * see it once it is pasted into a statement, in each context an attacker
 * can break out of (none, after a single quote, after a double quote),
 * and scoring the token sequences that only injected SQL produces:
 * tautologies after a closed string, UNION SELECT, stacked statements,
 * comment-terminated clauses, time and error probes (SLEEP, BENCHMARK,
 * WAITFOR DELAY, pg_sleep, EXTRACTVALUE ...). Words such as select, union
 * or drop in prose, and names with apostrophes (O'Brien), are not enough.
 * Pure: no allocation, no global state; bounded by SQLI_MAX_INPUT bytes.
 */
#ifndef BT_SQLI_H
#define BT_SQLI_H

#include <stdbool.h>
#include <stddef.h>

#define SQLI_MAX_INPUT 4096 /* bytes examined per value; the rest is ignored */

enum sqli_kind {
	SQLI_NONE = 0,
	SQLI_TAUTOLOGY, /* ' OR 1=1 --, " or "a"="a */
	SQLI_UNION, /* UNION [ALL] SELECT */
	SQLI_STACKED, /* ; DROP TABLE ..., ; SELECT ... */
	SQLI_TIME, /* SLEEP(5), BENCHMARK(..), WAITFOR DELAY, pg_sleep */
	SQLI_ERROR, /* EXTRACTVALUE/UPDATEXML/CAST-to-int error probes */
	SQLI_COMMENT, /* a clause closed by a string break and a comment: admin'-- */
	SQLI_KIND__COUNT
};
/* none, tautology, union, stacked, time, error, comment ("none" out of range) */
const char *sqli_kind_name(enum sqli_kind k);

struct sqli_result {
	enum sqli_kind kind;
	int context; /* 0 none, '\'' or '"': the quote the payload breaks out of */
	/*
	 * Token classes of the matching pass from its start, cut to 15: s string,
	 * 1 number or NULL/TRUE, n name, v @variable, f call, k keyword, E
	 * statement word, U union, & AND/OR/||, o operator, ( ) , ; . as is,
	 * c trailing comment, X other. "" when nothing matched.
	 */
	char fingerprint[16];
};

/*
 * true when text (len bytes, already URL/form/JSON decoded) reads as injected
 * SQL. out (may be NULL) is always written; the highest-ranked kind over all
 * passes wins (time, error, union, stacked, tautology, comment). Text with a
 * backslash is read both with MySQL's backslash escapes and without them.
 */
bool sqli_detect(const char *text, size_t len, struct sqli_result *out);

#endif
