/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The loader's insides, shared by its two files (loader.c: the object,
 * maps and tracepoints; loader_tls.c: uprobes on TLS libraries). Nothing
 * outside the loader includes this.
 */
#ifndef BT_LOADER_INT_H
#define BT_LOADER_INT_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include "loader.h"

struct bpf_link;
struct bpf_program;
struct observer;

#define MAX_PROGS 64
#define MAX_TLS_LINKS 512
#define MAX_TLS_BINARIES 64

struct loader {
	struct observer *skel;
	struct bpf_link *links[MAX_PROGS];
	struct bpf_program *progs[MAX_PROGS];
	size_t n_progs;
	char pin_dir[PATH_MAX];
	int pinned;
	/* uprobe links on TLS libraries, and the files they are on */
	struct bpf_link *tls_links[MAX_TLS_LINKS];
	struct bpf_program *tls_progs[MAX_TLS_LINKS];
	size_t n_tls_links;
	struct {
		dev_t dev;
		ino_t ino;
	} tls_bins[MAX_TLS_BINARIES];
	size_t n_tls_bins;
};

void loader_tls_detach(struct loader *l);
int loader_tls_attached(const struct loader *l, const struct bpf_program *p);
#endif
