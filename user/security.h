/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Security events from what the observer already sees: each served HTTP
 * request is scanned for injection, XSS, traversal and sensitive paths
 * (http_threat.h) and fed to the windowed detectors (detect.h); LLM calls
 * feed the runaway-loop detector; the kernel's privilege records
 * (bt_priv_record) become privilege_escalation events, their per-connection
 * byte counts (bt_flow_record) feed data_exfiltration, and secrets found in
 * LLM requests become secret_in_prompt. Each event is
 * counted in biothings_security_events_total{type,severity}, logged as one
 * line with category=security, and kept in a bounded ring for
 * GET /logs/security. Secrets never enter an event: request text appears
 * only as the rule that matched.
 */
#ifndef BT_SECURITY_H
#define BT_SECURITY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "api.h"
#include "biothings/events.h"
#include "detect.h"
#include "exfil.h"
#include "sec_types.h"
#include "threat_memo.h"

struct threat_input;

#define SECURITY_RING 1024 /* recent events kept for the API */

struct metrics;
struct security;

struct security_opts {
	const struct detect_cfg *detect;
	const struct exfil_cfg *exfil;
	uint32_t disabled; /* bit (1 << enum sec_type) per type never raised */
	time_t (*clock)(void); /* wall clock for event times; NULL = time(NULL) */
};

struct security *security__new(const struct security_opts *o, struct metrics *m); /* NULL + errno */
void security__free(struct security *s);

/* A served request's fingerprint (threat_memo.h) and whether bytes with it
 * were scanned clean before. */
struct sec_probe {
	struct threat_fp fp;
	bool known_clean;
};

/* Fingerprints what a served request's scan will read: raw, the bytes seen
 * is read from (kind THREAT_MEMO_HEAD), or the target alone. Returns
 * p->known_clean. */
bool security__probe(struct security *s, enum threat_memo_kind kind, const void *raw, size_t len,
		     struct sec_probe *p);
/* A served request: client address text, method, raw target (the kernel's,
 * maybe cut), status, service; seen, when not NULL, is what was read of the
 * request itself (whole target, header values, body) and is scanned instead.
 * p, when not NULL, is from security__probe over exactly what is scanned:
 * a request known clean is not scanned again, one found clean is remembered. */
void security__http(struct security *s, uint64_t now_ns, const char *client, const char *method,
		    const char *target, size_t len, uint16_t status, const char *service,
		    const struct threat_input *seen, const struct sec_probe *p);
/* A finished LLM call of service/agent. */
void security__llm(struct security *s, uint64_t now_ns, const char *service, const char *agent,
		   double cost_usd, uint64_t request_hash);
/* A kernel privilege record; exe from /proc ("" unknown). */
void security__priv(struct security *s, const struct bt_priv_record *p, const char *exe);
/* A closed outbound TCP connection (egress bytes). */
void security__flow(struct security *s, uint64_t now_ns, const struct bt_flow_record *f);
/* An LLM request that carried a secret: its kind and hash, never the secret. */
void security__secret(struct security *s, const char *service, const char *agent,
		      const char *provider, const char *kind, const char *hash, unsigned count);
/* An LLM request whose passed-on text tries to take the model over
 * (prompt_inject.h): the rule, never the text. */
void security__prompt(struct security *s, const char *service, const char *agent,
		      const char *provider, const char *rule);
/* Events raised so far, per type (tests, self-monitoring). */
uint64_t security__count(const struct security *s, enum sec_type t);
/* GET /logs/security. Valid while s lives. */
const struct api_route *security__routes(struct security *s, size_t *n);

#endif
