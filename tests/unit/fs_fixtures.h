/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Files for unit tests that read a fake /proc or cgroup tree made in /tmp. */
#ifndef BT_FS_FIXTURES_H
#define BT_FS_FIXTURES_H

#include <stdio.h>

/* dir/name holding text; fails the test when it cannot be written. */
static inline void fx_write_file(const char *dir, const char *name, const char *text)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

#endif
