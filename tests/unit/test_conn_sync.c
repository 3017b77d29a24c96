// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * conn_sync: the /proc/net/tcp and tcp6 line parser. Lines are copied
 * from a real kernel (Linux 6.1, Debian 12) so the layout is the one
 * net/ipv4/tcp_ipv4.c and net/ipv6/tcp_ipv6.c print; the headers and
 * malformed or cut lines must be refused. The listening ports of every
 * network namespace of a /proc laid out here land in a real BPF array map
 * (root, as every test here); seeding and sweeping connections live in
 * the end-to-end tests.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "biothings/conn.h"
#include "conn_sync.h"

#define TCP_ST_ESTABLISHED 0x01
#define TCP_ST_TIME_WAIT 0x06
#define TCP_ST_LISTEN 0x0A

static const char tcp_header[] =
	"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
	"timeout inode                                                     \n";
static const char tcp6_header[] =
	"  sl  local_address                         remote_address                        st "
	"tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";

static const char v4_listen_8080[] =
	"   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        "
	"0 12345 1 0000000000000000 100 0 0 10 0                    \n";
static const char v4_established[] =
	"   4: 0100007F:81C0 0100007F:46A2 01 00000000:00000000 00:00000000 00000000     0        "
	"0 379082 2 000000006e02dbf5 20 0 0 10 -1                    \n";
static const char v4_time_wait[] =
	"   2: 0100007F:4C0F 0100007F:C6CA 06 00000000:00000000 03:00000ECC 00000000     0        "
	"0 0 3 00000000547d2f71                                      \n";
static const char v4_any_listen[] =
	"   3: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        "
	"0 134 1 000000005e0f2f47 100 0 0 10 0                       \n";
static const char v6_listen_loopback[] =
	"   0: 00000000000000000000000001000000:46A0 00000000000000000000000000000000:0000 0A "
	"00000000:00000000 00:00000000 00000000     0        0 378834 1 000000006586800d 100 0 0 "
	"10 0\n";
static const char v6_established[] =
	"   3: 00000000000000000000000001000000:8124 00000000000000000000000001000000:46A0 01 "
	"00000000:00000000 00:00000000 00000000     0        0 378835 2 00000000da39ef2d 20 0 0 "
	"10 -1\n";
static const char v6_mapped[] =
	"   2: 0000000000000000FFFF00000100007F:46A2 0000000000000000FFFF00000100007F:81C0 01 "
	"00000000:00000000 00:00000000 00000000     0        0 379083 1 00000000da39ef2d 20 0 0 "
	"10 -1\n";
static const char v6_global[] =
	"   5: B80D0120000000000000000001000000:01BB B80D0120000000000000000002000000:D431 01 "
	"00000000:00000000 00:00000000 00000000  1000        0 991 1 0000000000000000 20 4 30 10 "
	"-1\n";

static void assert_addr(int family, const uint8_t *got, const char *text)
{
	uint8_t want[16] = { 0 };

	assert_int_equal(inet_pton(family, text, want), 1);
	assert_memory_equal(got, want, 16);
}

static void test_headers_rejected(void **state)
{
	struct tcp_row r;

	(void)state;
	assert_int_equal(tcp_row_parse(tcp_header, AF_INET, &r), -EINVAL);
	assert_int_equal(tcp_row_parse(tcp6_header, AF_INET6, &r), -EINVAL);
	assert_int_equal(tcp_row_parse(tcp_header, AF_INET6, &r), -EINVAL);
	assert_int_equal(tcp_row_parse(tcp6_header, AF_INET, &r), -EINVAL);
}

static void test_ipv4_listen(void **state)
{
	struct tcp_row r;

	(void)state;
	memset(&r, 0xa5, sizeof(r));
	assert_int_equal(tcp_row_parse(v4_listen_8080, AF_INET, &r), 0);
	assert_int_equal(r.family, AF_INET);
	assert_int_equal(r.state, TCP_ST_LISTEN);
	assert_int_equal(r.lport, 8080);
	assert_int_equal(r.rport, 0);
	assert_int_equal(r.inode, 12345);
	/* network order: 127.0.0.1 is 7f 00 00 01, the rest zero */
	assert_addr(AF_INET, r.laddr, "127.0.0.1");
	assert_addr(AF_INET, r.raddr, "0.0.0.0");

	assert_int_equal(tcp_row_parse(v4_any_listen, AF_INET, &r), 0);
	assert_int_equal(r.lport, 2024);
	assert_int_equal(r.inode, 134);
	assert_addr(AF_INET, r.laddr, "0.0.0.0");
}

static void test_ipv4_established_and_time_wait(void **state)
{
	struct tcp_row r;

	(void)state;
	assert_int_equal(tcp_row_parse(v4_established, AF_INET, &r), 0);
	assert_int_equal(r.state, TCP_ST_ESTABLISHED);
	assert_int_equal(r.lport, 0x81C0);
	assert_int_equal(r.rport, 18082);
	assert_int_equal(r.inode, 379082);
	assert_addr(AF_INET, r.raddr, "127.0.0.1");

	/* TIME_WAIT sockets have no inode: parsed, and the caller skips them */
	assert_int_equal(tcp_row_parse(v4_time_wait, AF_INET, &r), 0);
	assert_int_equal(r.state, TCP_ST_TIME_WAIT);
	assert_int_equal(r.inode, 0);
	assert_int_equal(r.lport, 19471);
	assert_int_equal(r.rport, 50890);
}

static void test_ipv6(void **state)
{
	struct tcp_row r;

	(void)state;
	assert_int_equal(tcp_row_parse(v6_listen_loopback, AF_INET6, &r), 0);
	assert_int_equal(r.family, AF_INET6);
	assert_int_equal(r.state, TCP_ST_LISTEN);
	assert_int_equal(r.lport, 18080);
	assert_int_equal(r.inode, 378834);
	assert_addr(AF_INET6, r.laddr, "::1");
	assert_addr(AF_INET6, r.raddr, "::");

	assert_int_equal(tcp_row_parse(v6_established, AF_INET6, &r), 0);
	assert_int_equal(r.state, TCP_ST_ESTABLISHED);
	assert_int_equal(r.lport, 33060);
	assert_int_equal(r.rport, 18080);
	assert_int_equal(r.inode, 378835);

	assert_int_equal(tcp_row_parse(v6_mapped, AF_INET6, &r), 0);
	assert_addr(AF_INET6, r.laddr, "::ffff:127.0.0.1");
	assert_addr(AF_INET6, r.raddr, "::ffff:127.0.0.1");
	assert_int_equal(r.lport, 18082);
	assert_int_equal(r.rport, 33216);

	assert_int_equal(tcp_row_parse(v6_global, AF_INET6, &r), 0);
	assert_addr(AF_INET6, r.laddr, "2001:db8::1");
	assert_addr(AF_INET6, r.raddr, "2001:db8::2");
	assert_int_equal(r.lport, 443);
	assert_int_equal(r.inode, 991);
}

static void test_family_mismatch(void **state)
{
	struct tcp_row r;

	(void)state;
	assert_int_equal(tcp_row_parse(v4_listen_8080, AF_INET6, &r), -EINVAL);
	assert_int_equal(tcp_row_parse(v6_established, AF_INET, &r), -EINVAL);
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"\n",
		"garbage\n",
		/* cut where fgets() would cut a line longer than its buffer */
		"   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0",
		"   0: 0100007F:1F90 0100007F",
		/* no inode */
		"   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0\n",
		/* a non-hex digit in the address, an address one digit short or long */
		"   0: 0100007G:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1 1\n",
		"   0: 100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1 1\n",
		"   0: 00100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1 1\n",
		/* a port beyond 16 bits */
		"   0: 0100007F:11F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1 1\n",
		/* missing the ':' between address and port */
		"   0: 0100007F1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1 1\n",
		/* no slot number */
		"0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1 1\n",
	};
	struct tcp_row r;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (tcp_row_parse(bad[i], AF_INET, &r) != -EINVAL)
			fail_msg("accepted malformed line %zu: \"%s\"", i, bad[i]);
		assert_int_equal(tcp_row_parse(bad[i], AF_INET6, &r), -EINVAL);
	}
}

/* ROOT/PID with ns/net -> net:[NS] and net/tcp, net/tcp6 holding lines. */
static void fake_pid(const char *root, unsigned pid, unsigned long ns, const char *tcp,
		     const char *tcp6)
{
	char path[512], link[64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%u", root, pid);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/%u/ns", root, pid);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/%u/net", root, pid);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/%u/ns/net", root, pid);
	snprintf(link, sizeof(link), "net:[%lu]", ns);
	assert_int_equal(symlink(link, path), 0);
	snprintf(path, sizeof(path), "%s/%u/net/tcp", root, pid);
	assert_non_null(f = fopen(path, "w"));
	fputs(tcp_header, f);
	fputs(tcp, f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/%u/net/tcp6", root, pid);
	assert_non_null(f = fopen(path, "w"));
	fputs(tcp6_header, f);
	fputs(tcp6, f);
	fclose(f);
}

static int port_bit(int fd, uint16_t port)
{
	uint32_t w = port / 64;
	uint64_t v = 0;

	assert_int_equal(bpf_map_lookup_elem(fd, &w, &v), 0);
	return !!(v & (1ull << (port % 64)));
}

static void test_listen_seed(void **state)
{
	char root[] = "/tmp/bt-conn-sync.XXXXXX";
	char cmd[600];
	uint32_t w22 = 22 / 64;
	uint64_t v22 = 1ull << (22 % 64);
	int fd, bits = 0;

	(void)state;
	assert_non_null(mkdtemp(root));
	/* two namespaces (two pids share the first, so their tables are the
	 * same, as /proc shows them): 8080 (v4) and 18080 (v6) listen in one,
	 * 2024 in the other; 33060 is an established connection's port */
	fake_pid(root, 100, 4026531840ul, v4_listen_8080, v6_listen_loopback);
	fake_pid(root, 101, 4026531840ul, v4_listen_8080, v6_listen_loopback);
	fake_pid(root, 200, 4026532999ul, v4_any_listen, v6_established);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "bt_test_ports", sizeof(uint32_t), sizeof(uint64_t),
			    BT_LISTEN_PORT_WORDS, NULL);
	assert_true(fd >= 0);
	/* a bit the kernel set meanwhile (a listen() since start) stays */
	assert_int_equal(bpf_map_update_elem(fd, &w22, &v22, BPF_ANY), 0);
	assert_int_equal(conn_sync_listen_seed(fd, root), 0);
	assert_true(port_bit(fd, 8080));
	assert_true(port_bit(fd, 18080));
	assert_true(port_bit(fd, 2024));
	assert_true(port_bit(fd, 22));
	assert_false(port_bit(fd, 33060));
	for (uint32_t w = 0; w < BT_LISTEN_PORT_WORDS; w++) {
		uint64_t v = 0;

		assert_int_equal(bpf_map_lookup_elem(fd, &w, &v), 0);
		bits += __builtin_popcountll(v);
	}
	assert_int_equal(bits, 4);
	assert_int_equal(conn_sync_listen_seed(fd, "/nonexistent-proc"), -ENOENT);
	close(fd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_headers_rejected),
		cmocka_unit_test(test_ipv4_listen),
		cmocka_unit_test(test_ipv4_established_and_time_wait),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_family_mismatch),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_listen_seed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
