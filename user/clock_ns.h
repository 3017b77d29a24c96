/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A clock read as one integer of nanoseconds: the daemon's one way of
 * reading time (CLOCK_MONOTONIC for intervals and deadlines, the same
 * clock as the BPF records' bpf_ktime_get_ns(); CLOCK_REALTIME for
 * timestamps people read). The coarse variants (the last tick, a few ms
 * old) are for reads once per record, where ms are enough: a precise read
 * costs ~50 ns on a VM's clock source, a coarse one ~5.
 */
#ifndef BIOTHINGS_CLOCK_NS_H
#define BIOTHINGS_CLOCK_NS_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline uint64_t mono_now_ns(void)
{
	return clock_now_ns(CLOCK_MONOTONIC);
}

static inline uint64_t wall_now_ns(void)
{
	return clock_now_ns(CLOCK_REALTIME);
}

static inline uint64_t mono_coarse_ns(void)
{
	return clock_now_ns(CLOCK_MONOTONIC_COARSE);
}

static inline uint64_t wall_coarse_ns(void)
{
	return clock_now_ns(CLOCK_REALTIME_COARSE);
}

#endif
