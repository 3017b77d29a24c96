// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * CIDR parse and match with inet_pton: allowlists of destinations for the
 * egress detector. IPv4-mapped IPv6 peers (dual-stack sockets) are matched
 * as the IPv4 addresses they are.
 */
#include "cidr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cidr_parse(const char *s, struct cidr *out)
{
	char buf[64], *slash, *end;
	long bits;

	if (!s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, buf, out->addr) == 1)
		out->family = AF_INET;
	else if (inet_pton(AF_INET6, buf, out->addr) == 1)
		out->family = AF_INET6;
	else
		return -EINVAL;
	bits = out->family == AF_INET ? 32 : 128;
	if (slash) {
		long b = strtol(slash + 1, &end, 10);

		if (!slash[1] || *end || b < 0 || b > bits)
			return -EINVAL;
		bits = b;
	}
	out->prefix = (uint8_t)bits;
	return 0;
}

static bool prefix_equal(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;

	if (memcmp(a, b, full))
		return false;
	return !rest || ((a[full] ^ b[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

bool cidr_match(const struct cidr *c, unsigned family, const uint8_t addr[16])
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (c->family == AF_INET && family == AF_INET6 && !memcmp(addr, mapped, 12))
		return prefix_equal(c->addr, addr + 12, c->prefix);
	if (c->family != family)
		return false;
	return prefix_equal(c->addr, addr, c->prefix);
}
