// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer harness for the /proc/net/tcp and tcp6 line parser
 * (tcp_row_parse() in user/conn_sync.c). The lines come from the kernel,
 * but from any kernel version and through fgets(), so cut or odd lines
 * must be refused, never misread out of bounds. An accepted row, printed
 * back in the kernel's own format (net/ipv4/tcp_ipv4.c get_tcp4_sock(),
 * net/ipv6/tcp_ipv6.c get_tcp6_sock()), must parse to the same row. Only
 * drives the public function; it touches no BPF map.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conn_sync.h"

#include "fuzz_util.h"

/* Each address word as the kernel prints it: a host-order integer. */
static void addr_hex(const uint8_t *a, int words, char *out)
{
	for (int w = 0; w < words; w++) {
		uint32_t v;

		memcpy(&v, a + 4 * w, 4);
		sprintf(out + 8 * w, "%08X", v);
	}
}

static void round_trip(const struct tcp_row *r, int family)
{
	int words = family == AF_INET6 ? 4 : 1;
	char la[33], ra[33], line[256];
	struct tcp_row again;

	addr_hex(r->laddr, words, la);
	addr_hex(r->raddr, words, ra);
	snprintf(line, sizeof(line),
		 "%4d: %s:%04X %s:%04X %02X %08X:%08X %02X:%08lX %08X %5u %8d %llu 1 "
		 "0000000000000000 100 0 0 10 0\n",
		 7, la, r->lport, ra, r->rport, r->state, 0, 0, 0, 0ul, 0, 1000u, 0,
		 (unsigned long long)r->inode);
	FUZZ_CHECK(tcp_row_parse(line, family, &again) == 0);
	FUZZ_CHECK(!memcmp(&again, r, sizeof(again)));
}

static void parse_as(const char *line, int family)
{
	struct tcp_row r;
	static const uint8_t zero[12];

	memset(&r, 0xa5, sizeof(r));
	if (tcp_row_parse(line, family, &r))
		return;
	FUZZ_CHECK(r.family == family);
	if (family == AF_INET) /* IPv4 fills the first 4 bytes only */
		FUZZ_CHECK(!memcmp(r.laddr + 4, zero, 12) && !memcmp(r.raddr + 4, zero, 12));
	round_trip(&r, family);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = fuzz_strdup(data, size);

	if (!line)
		return 0;
	parse_as(line, AF_INET);
	parse_as(line, AF_INET6);
	free(line);
	return 0;
}
