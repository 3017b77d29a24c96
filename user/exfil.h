/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * data_exfiltration: bytes one process sent to one destination, summed
 * over a sliding window from the kernel's per-connection totals
 * (bt_flow_record, at each connection's close), against a threshold;
 * destinations inside allowlisted networks never count. One alert when
 * the sum crosses the threshold, then none for that pair until the
 * window's sum is below it again. Pure; memory bounded by EXFIL_MAX_PAIRS
 * (least recently seen pairs are forgotten first).
 */
#ifndef BT_EXFIL_H
#define BT_EXFIL_H

#include <stddef.h>
#include <stdint.h>

#include "biothings/events.h"
#include "cidr.h"

#define EXFIL_MAX_PAIRS 4096
#define EXFIL_FLOWS_PER_PAIR 32 /* flows kept per pair; older ones fold into a carried sum */

struct exfil_cfg {
	uint64_t bytes; /* threshold */
	uint64_t window_ns;
	const struct cidr *allow;
	size_t n_allow;
};

struct exfil_alert {
	uint32_t tgid;
	char comm[BT_COMM_LEN + 1];
	char dest[48]; /* address text */
	uint16_t port; /* of the last flow */
	uint64_t bytes; /* in the window */
	uint32_t flows;
};

struct exfil;
struct exfil *exfil__new(const struct exfil_cfg *c); /* NULL + errno */
void exfil__free(struct exfil *x);
/* 1 with *out filled when this flow raises an alert, else 0. now_ns: CLOCK_MONOTONIC. */
int exfil__flow(struct exfil *x, uint64_t now_ns, const struct bt_flow_record *f,
		struct exfil_alert *out);

#endif
