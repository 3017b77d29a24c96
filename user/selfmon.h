/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The observer's own health as metrics: kernel counters (drops by reason,
 * connections, records), userspace counters, programs attached, each hook
 * up or down, connection evictions and BPF run time. Pure: numbers come
 * in, metric values go out.
 */
#ifndef BT_SELFMON_H
#define BT_SELFMON_H

#include <stddef.h>
#include <stdint.h>

#include "biothings/counters.h"
#include "loader.h"

struct metrics;

struct selfmon_input {
	const uint64_t *kernel; /* BT_CNT__COUNT values, enum bt_counter */
	const struct prog_stat *progs;
	size_t n_progs;
	uint64_t records_received;
	uint64_t malformed_records;
	uint64_t enrich_failed;
	uint64_t seeded, swept;
	uint64_t left_alone; /* connections not seeded from /proc: capture.ignore */
	const struct probe_state *probes; /* loader__probes */
	size_t n_probes;
	uint64_t conns_tracked; /* conn_census.live of the last census */
	uint64_t conns_evicted; /* selfmon_evicted of the last census */
	uint64_t ignored_cgroups; /* cgroups capture.ignore matched at its last scan */
};

struct selfmon;

struct selfmon *selfmon__new(struct metrics *m, const char *version);
void selfmon__free(struct selfmon *s);
/* The capture hooks ("socket" or "syscall") and framing ("full" or
 * "boundary") in use, set once the BPF side is up. */
void selfmon__set_hooks(struct selfmon *s, const char *hooks, const char *framing);
int selfmon__update(struct selfmon *s, const struct selfmon_input *in);
/* Export name of a drop reason, NULL for counters that are not drops. */
const char *selfmon_drop_reason(unsigned counter);
/* Connection entries that left the maps with no close seen (LRU evictions):
 * opened + adopted + seeded - closed - swept - live from a census, never below prev,
 * so the result is a counter; census errors only ever make it low. */
uint64_t selfmon_evicted(uint64_t prev, const struct conn_census *c, uint64_t seeded,
			 uint64_t swept);

#endif
