/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Keeps the TLS probes on every OpenSSL the host runs: a full /proc scan
 * at start and periodically, and a look at each process shortly after it
 * exec'd (its libraries are mapped by then).
 */
#ifndef BT_TLS_WATCH_H
#define BT_TLS_WATCH_H

#include <stdint.h>

struct loader;
struct tls_watch;

struct tls_watch *tls_watch__new(struct loader *l, const char *proc_root);
void tls_watch__free(struct tls_watch *w);
void tls_watch__scan_all(struct tls_watch *w);
/* A process exec'd at now_ns: look at it a little later. */
void tls_watch__exec(struct tls_watch *w, uint32_t tgid, uint64_t now_ns);
/* Look at the processes whose wait is over. */
void tls_watch__tick(struct tls_watch *w, uint64_t now_ns);

#endif
