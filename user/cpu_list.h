/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The kernel's CPU list format (/sys/devices/system/cpu/online,
 * cpuset.cpus): "0-3,8,10-11", a newline at the end allowed.
 */
#ifndef BT_CPU_LIST_H
#define BT_CPU_LIST_H

#include <stdint.h>

/* Marks set[cpu] = 1 for each listed cpu below n (set has n bytes, cleared
 * first); CPUs at or above n are valid but not marked. Returns how many
 * were marked, or -EINVAL (set then all 0) for anything but the format. */
int cpu_list_parse(const char *s, uint8_t *set, unsigned int n);

#endif
