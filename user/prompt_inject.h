/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Prompt injection in what an agent sends to an LLM: text that tries to
 * take the model over, most often arriving inside a web page, a document
 * or a tool's answer the agent passes on (indirect injection).
 * - ignore_instructions: ignore / disregard / forget / override / bypass
 *   followed, through only words like "all", "the", "your", "previous",
 *   "above", "system", by instructions / prompt / rules / directives /
 *   guidelines / context ("IGNORE ALL PREVIOUS INSTRUCTIONS", "forget your
 *   rules"); "ignore the noise in the previous data" is not one.
 * - prompt_leak: reveal / print / output / repeat / dump / leak /
 *   disclose, then the system, initial, hidden or original prompt or your
 *   (hidden, original ...) instructions.
 * - role_override: "do anything now", "you are (now) DAN", "DAN mode",
 *   "developer mode enabled", "jailbreak mode".
 * Words are compared in lower case with punctuation as spaces, and
 * zero-width characters (U+200B-U+200D, U+2060, U+FEFF) dropped, so
 * "I g\u200bnore all previous... instructions!" reads as written.
 * In a JSON request only what the agent passes on is read: system and
 * developer messages, Anthropic's "system", Gemini's "systemInstruction"
 * and OpenAI's "instructions" are the developer's own words (defensive
 * prompts quote these phrases), and tool definitions are skipped.
 * Pure; bounded by PROMPT_INJECT_MAX_BYTES of text per request.
 */
#ifndef BT_PROMPT_INJECT_H
#define BT_PROMPT_INJECT_H

#include <stddef.h>

struct json_t;

#define PROMPT_INJECT_MAX_BYTES (4u << 20) /* text read per request, at most */

/* The rule text s[0..n) matches, or NULL. */
const char *prompt_inject_text(const char *s, size_t n);

/* The first rule a JSON request body matches, or NULL. */
const char *prompt_inject_json(const struct json_t *root);

#endif
