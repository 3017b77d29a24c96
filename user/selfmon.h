/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The observer's own health as metrics: kernel counters (drops by reason,
 * connections, records), userspace counters, programs attached and BPF
 * run time. Pure: numbers come in, metric values go out.
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
};

struct selfmon;

struct selfmon *selfmon__new(struct metrics *m, const char *version);
void selfmon__free(struct selfmon *s);
int selfmon__update(struct selfmon *s, const struct selfmon_input *in);
/* Export name of a drop reason, NULL for counters that are not drops. */
const char *selfmon_drop_reason(unsigned counter);

#endif
