// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * /proc side of connection tracking. Reads each network namespace's TCP
 * table once, then walks process fds to find their sockets. Writes only
 * entries the kernel does not already have (BPF_NOEXIST), so a connection
 * accepted while we scan keeps its live state.
 */
#include "conn_sync.h"

#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "biothings/conn.h"
#include "biothings/events.h"
#include "log.h"

#define TCP_ESTABLISHED_ST 1
#define TCP_LISTEN_ST 10
#define SYNC_ROWS_MAX (1u << 20)

struct tcp_table {
	uint64_t netns;
	struct tcp_row *rows;
	size_t n, cap;
};

static int parse_addr(const char *hex, size_t words, uint8_t *out)
{
	for (size_t w = 0; w < words; w++) {
		char part[9];
		uint32_t v;
		char *end;

		memcpy(part, hex + w * 8, 8);
		part[8] = '\0';
		v = strtoul(part, &end, 16);
		if (*end)
			return -EINVAL;
		/* the kernel prints each 32-bit word as a host-order integer */
		memcpy(out + w * 4, &v, 4);
	}
	return 0;
}

int tcp_row_parse(const char *line, int family, struct tcp_row *row)
{
	char la[33], ra[33], st_txt[3], ino_txt[21];
	unsigned lp, rp, st;
	unsigned long long inode;
	size_t words = family == AF_INET6 ? 4 : 1;
	char *end;

	memset(row, 0, sizeof(*row));
	/* the kernel prints the state as two hex digits and the inode in
	 * decimal: anything else is not one of its lines */
	if (sscanf(line,
		   " %*u: %32[0-9A-Fa-f]:%x %32[0-9A-Fa-f]:%x %2[0-9A-Fa-f]%*[ ]%*s %*s %*s %*u %*u %20s",
		   la, &lp, ra, &rp, st_txt, ino_txt) != 6)
		return -EINVAL;
	if (strlen(st_txt) != 2 || ino_txt[0] < '0' || ino_txt[0] > '9')
		return -EINVAL;
	st = strtoul(st_txt, NULL, 16);
	inode = strtoull(ino_txt, &end, 10);
	if (*end)
		return -EINVAL;
	if (strlen(la) != words * 8 || strlen(ra) != words * 8 || lp > 0xffff || rp > 0xffff)
		return -EINVAL;
	if (parse_addr(la, words, row->laddr) || parse_addr(ra, words, row->raddr))
		return -EINVAL;
	row->family = family;
	row->state = st;
	row->lport = lp;
	row->rport = rp;
	row->inode = inode;
	return 0;
}

static int table_add(struct tcp_table *t, const struct tcp_row *r)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		struct tcp_row *p;

		if (cap > SYNC_ROWS_MAX)
			return -E2BIG;
		p = realloc(t->rows, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		t->rows = p;
		t->cap = cap;
	}
	t->rows[t->n++] = *r;
	return 0;
}

static void table_load(struct tcp_table *t, const char *proc_root, unsigned pid)
{
	static const struct {
		const char *name;
		int family;
	} files[] = { { "tcp", AF_INET }, { "tcp6", AF_INET6 } };
	char path[PATH_MAX], line[512];
	struct tcp_row r;

	for (size_t i = 0; i < 2; i++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/%u/net/%s", proc_root, pid, files[i].name);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (!tcp_row_parse(line, files[i].family, &r) && table_add(t, &r))
				break;
		fclose(f);
	}
}

static const struct tcp_row *table_find(const struct tcp_table *t, uint64_t inode)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->rows[i].inode == inode)
			return &t->rows[i];
	return NULL;
}

static int is_listening(const struct tcp_table *t, uint16_t port)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->rows[i].state == TCP_LISTEN_ST && t->rows[i].lport == port)
			return 1;
	return 0;
}

static int seed_one(int conns_fd, unsigned pid, int fd, const struct tcp_table *t,
		    const struct tcp_row *r, uint64_t id)
{
	struct bt_conn_key key = { .tgid = pid, .fd = fd };
	struct bt_conn *c = calloc(1, sizeof(*c));
	int err;

	if (!c)
		return -ENOMEM;
	c->conn_id = id;
	memcpy(c->laddr, r->laddr, sizeof(c->laddr));
	memcpy(c->raddr, r->raddr, sizeof(c->raddr));
	c->lport = r->lport;
	c->rport = r->rport;
	c->family = r->family;
	c->role = is_listening(t, r->lport) ? BT_ROLE_SERVER : BT_ROLE_CLIENT;
	c->req.phase = H1_DESYNC;
	c->resp.phase = H1_DESYNC;
	err = bpf_map_update_elem(conns_fd, &key, c, BPF_NOEXIST);
	free(c);
	return err && errno != EEXIST ? -errno : (err ? 1 : 0);
}

static uint64_t netns_of(const char *proc_root, unsigned pid)
{
	char path[PATH_MAX], link[64];
	ssize_t n;
	unsigned long long ino = 0;

	snprintf(path, sizeof(path), "%s/%u/ns/net", proc_root, pid);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return 0;
	link[n] = '\0';
	sscanf(link, "net:[%llu]", &ino);
	return ino;
}

/* Makes t the TCP table of pid's network namespace: 0 if pid has none (it
 * is gone), 1 if t already was, 2 if it was loaded now. The pids of one
 * namespace are mostly adjacent, so each table is read about once. */
static int table_of(struct tcp_table *t, const char *proc_root, unsigned pid)
{
	uint64_t ns = netns_of(proc_root, pid);

	if (!ns)
		return 0;
	if (ns == t->netns)
		return 1;
	t->n = 0;
	t->netns = ns;
	table_load(t, proc_root, pid);
	return 2;
}

/* Calls fn(pid, t, arg) for every process under proc_root but skip (0:
 * none), t holding the TCP table of its network namespace. */
static int each_process(const char *proc_root, uint32_t skip,
			void (*fn)(unsigned pid, const struct tcp_table *t, int fresh, void *arg),
			void *arg)
{
	struct tcp_table t = {};
	struct dirent *de;
	DIR *d = opendir(proc_root);
	int have;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char *end;
		unsigned long pid = strtoul(de->d_name, &end, 10);

		if (*end || !pid || pid == skip || pid > UINT32_MAX)
			continue;
		have = table_of(&t, proc_root, pid);
		if (have)
			fn(pid, &t, have == 2, arg);
	}
	closedir(d);
	free(t.rows);
	return 0;
}

struct seed_ctx {
	int conns_fd;
	const char *proc_root;
	conn_sync_leave_fn leave;
	void *leave_arg;
	struct conn_sync_stats *st;
};

static void seed_pid(unsigned pid, const struct tcp_table *t, int fresh, void *arg)
{
	struct seed_ctx *x = arg;
	const char *proc_root = x->proc_root;
	char path[PATH_MAX], link[64];
	struct dirent *de;
	bool leave = x->leave && x->leave(pid, x->leave_arg);
	DIR *d;

	(void)fresh;
	snprintf(path, sizeof(path), "%s/%u/fd", proc_root, pid);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		unsigned long long ino;
		const struct tcp_row *r;
		char *end;
		long fd = strtol(de->d_name, &end, 10);
		ssize_t n;

		if (*end || fd < 0 || fd > INT_MAX)
			continue;
		snprintf(path, sizeof(path), "%s/%u/fd/%ld", proc_root, pid, fd);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (sscanf(link, "socket:[%llu]", &ino) != 1)
			continue;
		r = table_find(t, ino);
		if (!r || r->state != TCP_ESTABLISHED_ST)
			continue;
		if (leave)
			x->st->left_alone++;
		else if (seed_one(x->conns_fd, pid, fd, t, r, (1ull << 63) | x->st->seeded) == 0)
			x->st->seeded++;
	}
	closedir(d);
}

int conn_sync_seed(int conns_fd, const char *proc_root, uint32_t self_tgid,
		   conn_sync_leave_fn leave, void *leave_arg, struct conn_sync_stats *st)
{
	struct seed_ctx x = { conns_fd, proc_root, leave, leave_arg, st };

	return each_process(proc_root, self_tgid, seed_pid, &x);
}

/* Sets in ports (BT_LISTEN_PORT_WORDS words) the bit of every port a newly
 * read table has a listener on. */
static void listen_bits(unsigned pid, const struct tcp_table *t, int fresh, void *ports)
{
	uint64_t *w = ports;

	(void)pid;
	if (!fresh)
		return;
	for (size_t i = 0; i < t->n; i++)
		if (t->rows[i].state == TCP_LISTEN_ST)
			w[t->rows[i].lport / 64] |= 1ull << (t->rows[i].lport % 64);
}

int conn_sync_listen_seed(int ports_fd, const char *proc_root)
{
	uint64_t ports[BT_LISTEN_PORT_WORDS] = {};
	int err = each_process(proc_root, 0, listen_bits, ports);

	if (err)
		return err;
	/* OR into what the kernel may have set meanwhile (a listen() since start) */
	for (uint32_t w = 0; w < BT_LISTEN_PORT_WORDS && !err; w++) {
		uint64_t cur = 0;

		if (!ports[w])
			continue;
		if (bpf_map_lookup_elem(ports_fd, &w, &cur))
			err = -errno;
		cur |= ports[w];
		if (!err && bpf_map_update_elem(ports_fd, &w, &cur, BPF_ANY))
			err = -errno;
	}
	return err;
}

int conn_sync_sweep(int conns_fd, struct conn_sync_stats *st)
{
	struct bt_conn_key key, next, *dead = NULL;
	size_t n = 0, cap = 0;
	void *prev = NULL;

	while (bpf_map_get_next_key(conns_fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (kill(key.tgid, 0) == 0 || errno != ESRCH)
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			struct bt_conn_key *p = realloc(dead, nc * sizeof(*p));

			if (!p)
				break;
			dead = p;
			cap = nc;
		}
		dead[n++] = key;
	}
	for (size_t i = 0; i < n; i++)
		if (!bpf_map_delete_elem(conns_fd, &dead[i]))
			__atomic_fetch_add(&st->swept, 1, __ATOMIC_RELAXED);
	free(dead);
	return 0;
}
