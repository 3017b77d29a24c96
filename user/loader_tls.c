// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * TLS uprobes: attaches the OpenSSL probes to each file that carries the
 * library, once per inode (a uprobe on a file covers every process that
 * maps it, now and later). A file that fails is logged once and
 * remembered, not retried on every scan. Writes the capture list the
 * probes consult. Part of the loader: the only other file that sees the
 * skeleton.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "biothings/conn.h"
#include "capture_ignore.h"
#include "loader_int.h"
#include "log.h"
#include "logfmt.h"
#include "observer.skel.h"

struct tls_probe {
	const char *func;
	int retprobe;
	int required; /* without it the file is not worth following */
};

static const struct tls_probe probes[] = {
	{ "SSL_write", 0, 1 },	 { "SSL_write", 1, 1 },	   { "SSL_read", 0, 1 },
	{ "SSL_read", 1, 1 },	 { "SSL_write_ex", 0, 0 }, { "SSL_write_ex", 1, 0 },
	{ "SSL_read_ex", 0, 0 }, { "SSL_read_ex", 1, 0 },  { "SSL_free", 0, 0 },
};

static struct bpf_program *probe_prog(struct observer *s, const struct tls_probe *p)
{
	if (p->retprobe)
		return s->progs.bt_ssl_ret;
	if (!strcmp(p->func, "SSL_write"))
		return s->progs.bt_ssl_write;
	if (!strcmp(p->func, "SSL_read"))
		return s->progs.bt_ssl_read;
	if (!strcmp(p->func, "SSL_write_ex"))
		return s->progs.bt_ssl_write_ex;
	if (!strcmp(p->func, "SSL_read_ex"))
		return s->progs.bt_ssl_read_ex;
	return s->progs.bt_ssl_free;
}

/* 1 attached, 0 tried and failed, -1 never tried */
static int tried(const struct loader *l, const struct stat *st)
{
	for (size_t i = 0; i < l->n_tls_files; i++)
		if (l->tls_files[i].dev == st->st_dev && l->tls_files[i].ino == st->st_ino)
			return l->tls_files[i].up;
	return -1;
}

/* Undo the links made since `mark` (a file that lacks a required symbol). */
static void unwind(struct loader *l, size_t mark)
{
	while (l->n_tls_links > mark)
		bpf_link__destroy(l->tls_links[--l->n_tls_links]);
}

/* The path as its process sees it: "/proc/PID/root" is how we reach a
 * container's file, not where the file is; the pid would make a new label
 * for every process. */
static const char *seen_as(const char *path)
{
	const char *p = path;

	if (strncmp(p, "/proc/", 6))
		return path;
	p += 6;
	if (*p < '0' || *p > '9')
		return path;
	while (*p >= '0' && *p <= '9')
		p++;
	return strncmp(p, "/root/", 6) ? path : p + 5;
}

static void remember(struct loader *l, const struct stat *st, const char *path, int up)
{
	struct tls_file *f = &l->tls_files[l->n_tls_files];

	f->dev = st->st_dev;
	f->ino = st->st_ino;
	f->up = up;
	snprintf(f->label, sizeof(f->label), "tls:%s", seen_as(path));
	__atomic_store_n(&l->n_tls_files, l->n_tls_files + 1, __ATOMIC_RELEASE);
}

/* The probes on one file; n attached, or -errno of the first required
 * probe that failed, with libbpf's reason in why. */
static int attach_probes(struct loader *l, const char *path, char *why, size_t whylen)
{
	size_t mark = l->n_tls_links;
	int n = 0, e = 0;

	loader_hold_libbpf();
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]) && !e; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, o, .func_name = probes[i].func,
			    .retprobe = probes[i].retprobe);
		struct bpf_program *prog = probe_prog(l->skel, &probes[i]);
		struct bpf_link *link = bpf_program__attach_uprobe_opts(prog, -1, path, 0, &o);

		if (!link) {
			e = probes[i].required ? (errno ? -errno : -ENOENT) : 0;
			continue;
		}
		l->tls_progs[l->n_tls_links] = prog;
		l->tls_links[l->n_tls_links++] = link;
		n++;
	}
	logfmt_quote(loader_release_libbpf(), why, whylen);
	if (e)
		unwind(l, mark);
	return e ? e : n;
}

int loader__attach_tls(struct loader *l, const char *path)
{
	char why[300], q[PATH_MAX + 8];
	struct stat st;
	int n;

	if (stat(path, &st))
		return -errno;
	if (tried(l, &st) >= 0)
		return 0;
	if (l->n_tls_files >= MAX_TLS_FILES ||
	    l->n_tls_links + sizeof(probes) / sizeof(probes[0]) > MAX_TLS_LINKS)
		return -E2BIG;
	n = attach_probes(l, path, why, sizeof(why));
	remember(l, &st, path, n > 0);
	logfmt_quote(path, q, sizeof(q));
	if (n > 0)
		log_info("tls probes attached path=%s probes=%d", q, n);
	else
		log_warn("tls probes not attached path=%s err=%d reason=%s", q, n, why);
	return n;
}

void loader_tls_detach(struct loader *l)
{
	unwind(l, 0);
	l->n_tls_files = 0;
}

int loader_tls_attached(const struct loader *l, const struct bpf_program *p)
{
	for (size_t i = 0; i < l->n_tls_links; i++)
		if (l->tls_progs[i] == p)
			return 1;
	return 0;
}

/* The one bt_config entry, read and written whole. */
static int config_read(struct loader *l, struct bt_config *cfg)
{
	__u32 zero = 0;

	return bpf_map__lookup_elem(l->skel->maps.bt_config, &zero, sizeof(zero), cfg, sizeof(*cfg),
				    0);
}

static int config_write(struct loader *l, const struct bt_config *cfg)
{
	__u32 zero = 0;

	return bpf_map__update_elem(l->skel->maps.bt_config, &zero, sizeof(zero), cfg, sizeof(*cfg),
				    BPF_ANY);
}

int loader__set_capture_paths(struct loader *l, char *const *paths, size_t n)
{
	struct bt_config cfg;
	int err;

	if (n > BT_CAPTURE_PATHS_MAX)
		return -E2BIG;
	for (__u32 i = 0; i < BT_CAPTURE_PATHS_MAX; i++) {
		struct bt_capture_path p = {};
		size_t len = i < n ? strlen(paths[i]) : 0;

		if (len > BT_CAPTURE_PATH_LEN)
			return -ENAMETOOLONG;
		p.len = len;
		memcpy(p.b, i < n ? paths[i] : "", len);
		err = bpf_map__update_elem(l->skel->maps.bt_capture_paths, &i, sizeof(i), &p,
					   sizeof(p), BPF_ANY);
		if (err)
			return err;
	}
	err = config_read(l, &cfg);
	if (err)
		return err;
	cfg.n_capture_paths = n;
	memset(cfg.capture_last, 0, sizeof(cfg.capture_last));
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(paths[i]);
		unsigned char last = len ? paths[i][len - 1] : 0;

		if (len)
			cfg.capture_last[last >> 6] |= 1ull << (last & 63);
	}
	return config_write(l, &cfg);
}

int loader__set_inspect_bytes(struct loader *l, uint32_t bytes)
{
	struct bt_config cfg;
	int err;

	if (bytes > BT_INSPECT_MAX)
		return -E2BIG;
	err = config_read(l, &cfg);
	if (err)
		return err;
	cfg.inspect_bytes = bytes;
	return config_write(l, &cfg);
}

int loader__set_framing(struct loader *l, enum bt_framing framing, uint64_t idle_ns)
{
	struct bt_config cfg;
	int err = config_read(l, &cfg);

	if (err)
		return err;
	cfg.framing = framing;
	cfg.bnd_idle_ns = idle_ns;
	return config_write(l, &cfg);
}

/* Empties a hash map; key is room for one of its keys. */
static int map_clear(int fd, void *key)
{
	while (!bpf_map_get_next_key(fd, NULL, key))
		if (bpf_map_delete_elem(fd, key))
			return -errno;
	return 0;
}

int loader__set_ignore(struct loader *l, const struct ignore_plan *p)
{
	int fd = bpf_map__fd(l->skel->maps.bt_ignore_comms);
	char key[BT_COMM_LEN];
	struct bt_config cfg;
	int err;

	/* no rule is live while its names are being replaced */
	err = config_read(l, &cfg);
	if (!err) {
		cfg.ignore_rules = 0;
		err = config_write(l, &cfg);
	}
	if (!err)
		err = map_clear(fd, key);
	for (size_t i = 0; !err && i < p->n_comms; i++)
		if (bpf_map_update_elem(fd, p->comms[i].comm, &p->comms[i].mask, BPF_ANY))
			err = -errno;
	if (err)
		return err;
	cfg.ignore_rules = p->rules;
	cfg.ignore_any_comm = p->any_comm;
	cfg.ignore_any_cgroup = p->any_cgroup;
	return config_write(l, &cfg);
}

int loader__sync_ignore_cgroups(struct loader *l, const struct ignore_cgroup *c, size_t n)
{
	int fd = bpf_map__fd(l->skel->maps.bt_ignore_cgroups);
	uint64_t key, next, *prev = NULL;

	for (size_t i = 0; i < n; i++)
		if (bpf_map_update_elem(fd, &c[i].id, &c[i].mask, BPF_ANY))
			return -errno;
	/* then the cgroups gone or no longer matched; ids are never reused */
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (!ignore_cgroups_has(c, n, next) && bpf_map_delete_elem(fd, &next) == 0)
			continue; /* deleted: the walk goes on from the last key kept */
		key = next;
		prev = &key;
	}
	return 0;
}
