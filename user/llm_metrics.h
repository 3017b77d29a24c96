/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The LLM metric families (docs/llm.md, "Metrics") and the one function
 * that turns a finished call into observations. Label values come only
 * from struct llm_call, which holds no header value, URL query or body
 * text beyond model names, finish reasons and error types.
 */
#ifndef BT_LLM_METRICS_H
#define BT_LLM_METRICS_H

#include "llm_usage.h"

struct metrics;
struct llm_metrics;

/* Defines every family in m. NULL + errno (EEXIST when defined twice in one registry). */
struct llm_metrics *llm_metrics__new(struct metrics *m);
void llm_metrics__free(struct llm_metrics *lm);
/* 0 or the first -errno from the registry (-ENOSPC when series are capped). */
int llm_metrics__record(struct llm_metrics *lm, const struct llm_call *c, const char *service,
			const char *agent);
/* biothings_llm_unparsed_total for a call that never became a struct llm_call. */
int llm_metrics__unparsed(struct llm_metrics *lm, const char *provider, enum llm_reason r);

#endif
