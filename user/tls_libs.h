/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where OpenSSL lives on this host: the usual libssl paths, every libssl
 * a running process maps (through /proc/<pid>/root, so containers count),
 * and runtimes that carry OpenSSL inside their own binary (node).
 */
#ifndef BT_TLS_LIBS_H
#define BT_TLS_LIBS_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#define TLS_LIBS_MAX 64

struct tls_libs {
	char path[TLS_LIBS_MAX][PATH_MAX];
	dev_t dev[TLS_LIBS_MAX];
	ino_t ino[TLS_LIBS_MAX];
	size_t n;
};

/* Fills libs, one path per file (inode). */
int tls_libs_find(const char *proc_root, struct tls_libs *libs);
/* Only what one process maps and runs (after it exec'd). */
int tls_libs_find_pid(const char *proc_root, unsigned pid, struct tls_libs *libs);
/* True for a /proc/<pid>/maps line naming a libssl. */
int tls_maps_line_is_libssl(const char *line, const char **path);

#endif
