/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Host resources as metrics: one sysres snapshot in, gauges and mirrored
 * counters out (CPU and memory utilisation, memory bytes, disk
 * utilisation per mount point, network bytes per interface and direction,
 * load averages). The family names are fixed: alerting rules use them.
 * Pure: no I/O; series of vanished disks or interfaces keep their last
 * value (the registry never deletes a series).
 */
#ifndef BT_SYSMON_H
#define BT_SYSMON_H

#include "sysres.h"

struct metrics;
struct sysmon;

/* Defines the families in m. NULL + errno (EEXIST when defined twice, ENOMEM...). */
struct sysmon *sysmon__new(struct metrics *m);
void sysmon__free(struct sysmon *s);
/*
 * Sets every family from snap. CPU is left untouched while cpu_ratio < 0
 * (first sample) and memory while mem_total is 0 (meminfo unread).
 * 0, -EINVAL on NULL arguments, or the first error of the registry
 * (-ENOSPC when the series cap is reached).
 */
int sysmon__update(struct sysmon *s, const struct sysres_snapshot *snap);

#endif
