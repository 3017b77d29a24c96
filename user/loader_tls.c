// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * TLS uprobes: attaches the OpenSSL probes to each file that carries the
 * library, once per inode (a uprobe on a file covers every process that
 * maps it, now and later). Writes the capture list the probes consult.
 * Part of the loader: the only other file that sees the skeleton.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "biothings/conn.h"
#include "loader_int.h"
#include "log.h"
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

static int seen(struct loader *l, const struct stat *st)
{
	for (size_t i = 0; i < l->n_tls_bins; i++)
		if (l->tls_bins[i].dev == st->st_dev && l->tls_bins[i].ino == st->st_ino)
			return 1;
	return 0;
}

/* Undo the links made since `mark` (a file that lacks a required symbol). */
static void unwind(struct loader *l, size_t mark)
{
	while (l->n_tls_links > mark)
		bpf_link__destroy(l->tls_links[--l->n_tls_links]);
}

int loader__attach_tls(struct loader *l, const char *path)
{
	size_t mark = l->n_tls_links, n = 0;
	struct stat st;

	if (stat(path, &st))
		return -errno;
	if (seen(l, &st))
		return 0;
	if (l->n_tls_bins >= MAX_TLS_BINARIES ||
	    l->n_tls_links + sizeof(probes) / sizeof(probes[0]) > MAX_TLS_LINKS)
		return -E2BIG;
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, o, .func_name = probes[i].func,
			    .retprobe = probes[i].retprobe);
		struct bpf_program *prog = probe_prog(l->skel, &probes[i]);
		struct bpf_link *link = bpf_program__attach_uprobe_opts(prog, -1, path, 0, &o);

		if (!link) {
			if (!probes[i].required)
				continue;
			unwind(l, mark);
			return -ENOENT;
		}
		l->tls_progs[l->n_tls_links] = prog;
		l->tls_links[l->n_tls_links++] = link;
		n++;
	}
	l->tls_bins[l->n_tls_bins].dev = st.st_dev;
	l->tls_bins[l->n_tls_bins++].ino = st.st_ino;
	log_info("tls probes attached path=%s probes=%zu", path, n);
	return n;
}

void loader_tls_detach(struct loader *l)
{
	unwind(l, 0);
	l->n_tls_bins = 0;
}

int loader_tls_attached(const struct loader *l, const struct bpf_program *p)
{
	for (size_t i = 0; i < l->n_tls_links; i++)
		if (l->tls_progs[i] == p)
			return 1;
	return 0;
}

int loader__set_capture_paths(struct loader *l, char *const *paths, size_t n)
{
	struct bt_config cfg;
	__u32 zero = 0;
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
	err = bpf_map__lookup_elem(l->skel->maps.bt_config, &zero, sizeof(zero), &cfg, sizeof(cfg),
				   0);
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
	return bpf_map__update_elem(l->skel->maps.bt_config, &zero, sizeof(zero), &cfg, sizeof(cfg),
				    BPF_ANY);
}
