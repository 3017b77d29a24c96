/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Filesystem helpers shared by the loader (pin dir) and main (state dir). */
#ifndef BT_FSUTIL_H
#define BT_FSUTIL_H

#include <sys/types.h>

/* mkdir -p with the given mode for every created level; 0 or -errno. */
int mkdir_p(const char *path, mode_t mode);

#endif
