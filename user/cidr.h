/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * IPv4 and IPv6 networks in CIDR notation ("10.0.0.0/8", "fd00::/8",
 * "192.168.1.7" = /32), parsed and matched against addresses as the kernel
 * records them (16 bytes, IPv4 in the first 4 or IPv4-mapped IPv6). Pure.
 */
#ifndef BT_CIDR_H
#define BT_CIDR_H

#include <stdbool.h>
#include <stdint.h>

struct cidr {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t prefix; /* bits */
	uint8_t addr[16];
};

/* 0 or -EINVAL (bad address, prefix beyond the family's width, host bits set are allowed). */
int cidr_parse(const char *s, struct cidr *out);
/* addr as in bt_http_record: family AF_INET uses addr[0..3]; an IPv4-mapped IPv6
 * address also matches IPv4 networks. */
bool cidr_match(const struct cidr *c, unsigned family, const uint8_t addr[16]);

#endif
