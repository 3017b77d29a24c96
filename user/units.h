/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Text <-> number for the two unit kinds the config speaks: durations in
 * Prometheus style ("50ms", "1h30m") and byte sizes ("8MiB", "10MB").
 * Pure functions: no allocation, no locale, no global state.
 */
#ifndef BT_UNITS_H
#define BT_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* Longest text units_format_duration()/units_format_size() produce, NUL included. */
#define UNITS_FMT_MAX 64

/*
 * "1y2w3d4h5m6s7ms8us9ns": each unit at most once, largest first
 * (y = 365d, w = 7d). A bare number is refused except "0".
 * -EINVAL on anything else, -ERANGE when the total overflows 64-bit ns.
 */
int units_parse_duration(const char *s, uint64_t *out_ns);
/*
 * "512", "512B", binary "64KiB" "8MiB" "1GiB" "1TiB", SI "10kB"/"10KB"
 * "10MB" "1GB" "1TB" (powers of 1000). -EINVAL / -ERANGE.
 */
int units_parse_size(const char *s, uint64_t *out_bytes);
/* Shortest exact text units_parse_duration() reads back; -ENOSPC if len is too small. */
int units_format_duration(uint64_t ns, char *buf, size_t len);
/* Largest binary unit that divides exactly ("8MiB", "1000B"); -ENOSPC as above. */
int units_format_size(uint64_t bytes, char *buf, size_t len);
/* Decimal digits of v, NUL-terminated; their count, or -ENOSPC. Per-record
 * label values (status codes, ports) go through it instead of snprintf. */
int units_format_uint(uint64_t v, char *buf, size_t len);
/* Smallest power of two >= n, at most cap (itself a power of two); 1 for
 * n = 0. Table sizes whose slot is picked with a mask. */
size_t units_pow2_at_least(size_t n, size_t cap);

#endif
