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
#include "ring_set.h"

struct bpf_link;
struct bpf_program;
struct observer;

#define MAX_PROGS 64
#define MAX_TLS_LINKS 512
/* Files tried, attached or not: a failed file is remembered so that it is
 * logged once and not tried again on every scan. */
#define MAX_TLS_FILES 128
/* "tls:" and the path; metric label values are cut at 256 bytes anyway */
#define TLS_LABEL_MAX 256

struct tls_file {
	dev_t dev;
	ino_t ino;
	int up;
	char label[TLS_LABEL_MAX];
};

struct loader {
	struct observer *skel;
	struct bpf_link *links[MAX_PROGS];
	struct bpf_program *progs[MAX_PROGS];
	size_t n_progs;
	char pin_dir[PATH_MAX];
	int pinned;
	int socket_hooks; /* the socket-layer hooks are in use (else the syscall ones) */
	struct bpf_link *sweep; /* bt_bnd_sweep's iterator over bt_sk_conns (in links[]) */
	struct ring_set *rings; /* the slots of bt_rings */
	int ring_template; /* their inner map template until load; -1 */
	/* uprobe links on TLS libraries, and the files they are on */
	struct bpf_link *tls_links[MAX_TLS_LINKS];
	struct bpf_program *tls_progs[MAX_TLS_LINKS];
	size_t n_tls_links;
	/* Appended on the loop thread, read by the API thread (loader__probes):
	 * an entry is complete before n_tls_files is stored with release. */
	struct tls_file tls_files[MAX_TLS_FILES];
	size_t n_tls_files;
};

void loader_tls_detach(struct loader *l);
int loader_tls_attached(const struct loader *l, const struct bpf_program *p);

/* libbpf's own warnings, held back between these two calls so that a hook
 * that fails is one log line of ours carrying libbpf's first reason.
 * Loop thread only (libbpf's print hook is process-wide). */
void loader_hold_libbpf(void);
const char *loader_release_libbpf(void);
#endif
