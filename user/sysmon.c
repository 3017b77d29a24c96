// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Names and help of the host resource families, kept apart from sysres so
 * that reading /proc stays free of the registry and testable alone.
 * Network bytes are kernel counters since boot, mirrored with
 * metrics__set: Prometheus' rate() handles the reset of a recreated
 * interface like any counter reset.
 */
#include "sysmon.h"

#include <errno.h>
#include <stdlib.h>

#include "metrics.h"

enum { F_CPU, F_MEM, F_MEM_BYTES, F_DISK, F_NET, F_LOAD1, F_LOAD5, F_LOAD15, F__COUNT };

static const struct {
	const char *name;
	enum metric_type type;
	const char *help;
	const char *labels[3];
} fams[F__COUNT] = {
	[F_CPU] = { "biothings_system_cpu_utilization_ratio",
		    METRIC_GAUGE,
		    "Busy share of all CPUs (not idle, not iowait) since the previous sample.",
		    { NULL } },
	[F_MEM] = { "biothings_system_memory_utilization_ratio",
		    METRIC_GAUGE,
		    "1 - MemAvailable/MemTotal.",
		    { NULL } },
	[F_MEM_BYTES] = { "biothings_system_memory_bytes",
			  METRIC_GAUGE,
			  "Memory in bytes: total (MemTotal) and available (MemAvailable).",
			  { "state", NULL } },
	[F_DISK] = { "biothings_system_disk_utilization_ratio",
		     METRIC_GAUGE,
		     "1 - blocks available to unprivileged users / total blocks, per filesystem "
		     "(root-reserved blocks count as used).",
		     { "mountpoint", NULL } },
	[F_NET] = { "biothings_system_network_bytes_total",
		    METRIC_COUNTER,
		    "Bytes received and transmitted per network interface, from /proc/net/dev.",
		    { "interface", "direction", NULL } },
	[F_LOAD1] = { "biothings_system_load1",
		      METRIC_GAUGE,
		      "Load average over 1 minute.",
		      { NULL } },
	[F_LOAD5] = { "biothings_system_load5",
		      METRIC_GAUGE,
		      "Load average over 5 minutes.",
		      { NULL } },
	[F_LOAD15] = { "biothings_system_load15",
		       METRIC_GAUGE,
		       "Load average over 15 minutes.",
		       { NULL } },
};

struct sysmon {
	struct metrics *m;
	int fam[F__COUNT];
};

struct sysmon *sysmon__new(struct metrics *m)
{
	struct sysmon *s;

	if (!m) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->m = m;
	for (int i = 0; i < F__COUNT; i++) {
		s->fam[i] = metrics__define(m, fams[i].name, fams[i].type, fams[i].help,
					    fams[i].labels, NULL, 0);
		if (s->fam[i] < 0) {
			errno = -s->fam[i];
			free(s);
			return NULL;
		}
	}
	return s;
}

void sysmon__free(struct sysmon *s)
{
	free(s);
}

/* Keeps the first error: one full registry must not hide the rest of the update. */
static void set(struct sysmon *s, int f, const char *const *lv, double v, int *err)
{
	int e = metrics__set(s->m, s->fam[f], lv, v);

	if (e && !*err)
		*err = e;
}

static void update_mem(struct sysmon *s, const struct sysres_snapshot *snap, int *err)
{
	const char *none[] = { NULL };
	const char *total[] = { "total", NULL }, *avail[] = { "available", NULL };

	if (!snap->mem_total)
		return;
	set(s, F_MEM, none, snap->mem_ratio, err);
	set(s, F_MEM_BYTES, total, (double)snap->mem_total, err);
	set(s, F_MEM_BYTES, avail, (double)snap->mem_available, err);
}

static void update_net(struct sysmon *s, const struct sysres_snapshot *snap, int *err)
{
	for (size_t i = 0; i < snap->n_ifaces && i < SYSRES_MAX_IFACES; i++) {
		const struct sysres_iface *ifc = &snap->ifaces[i];
		const char *rx[] = { ifc->name, "receive", NULL };
		const char *tx[] = { ifc->name, "transmit", NULL };

		set(s, F_NET, rx, (double)ifc->rx_bytes, err);
		set(s, F_NET, tx, (double)ifc->tx_bytes, err);
	}
}

int sysmon__update(struct sysmon *s, const struct sysres_snapshot *snap)
{
	const char *none[] = { NULL };
	int err = 0;

	if (!s || !snap)
		return -EINVAL;
	if (snap->cpu_ratio >= 0)
		set(s, F_CPU, none, snap->cpu_ratio, &err);
	update_mem(s, snap, &err);
	for (size_t i = 0; i < snap->n_disks && i < SYSRES_MAX_DISKS; i++) {
		const char *lv[] = { snap->disks[i].mount, NULL };

		set(s, F_DISK, lv, snap->disks[i].used_ratio, &err);
	}
	update_net(s, snap, &err);
	set(s, F_LOAD1, none, snap->load1, &err);
	set(s, F_LOAD5, none, snap->load5, &err);
	set(s, F_LOAD15, none, snap->load15, &err);
	return err;
}
