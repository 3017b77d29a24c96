// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Finding OpenSSL to probe, over time. The queue of exec'd processes is
 * bounded; when it overflows the oldest entries go and the periodic scan
 * covers them. Attaching is idempotent per file (the loader dedupes by
 * inode), so looking twice costs a stat.
 */
#include "tls_watch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "loader.h"
#include "log.h"
#include "tls_libs.h"

#define EXEC_QUEUE 256
/* The dynamic loader maps a program's libraries within milliseconds of
 * exec; this wait covers slow starts without delaying probes much. */
#define EXEC_DELAY_NS (150ull * 1000000ull)

struct tls_watch {
	struct loader *l;
	char proc_root[64];
	struct tls_libs libs; /* scratch, large: kept off the stack */
	struct {
		uint32_t tgid;
		uint64_t due_ns;
	} q[EXEC_QUEUE];
	unsigned head, count;
};

struct tls_watch *tls_watch__new(struct loader *l, const char *proc_root)
{
	struct tls_watch *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->l = l;
	snprintf(w->proc_root, sizeof(w->proc_root), "%s", proc_root);
	return w;
}

void tls_watch__free(struct tls_watch *w)
{
	free(w);
}

static void attach_found(struct tls_watch *w)
{
	for (size_t i = 0; i < w->libs.n; i++) {
		int n = loader__attach_tls(w->l, w->libs.path[i]);

		if (n == -E2BIG) /* the loader logs every other failure, once per file */
			log_warn("tls probes not attached path=%s err=%d", w->libs.path[i], n);
	}
}

void tls_watch__scan_all(struct tls_watch *w)
{
	tls_libs_find(w->proc_root, &w->libs);
	attach_found(w);
}

void tls_watch__exec(struct tls_watch *w, uint32_t tgid, uint64_t now_ns)
{
	unsigned slot;

	if (w->count == EXEC_QUEUE) { /* the periodic scan will catch the oldest */
		w->head = (w->head + 1) % EXEC_QUEUE;
		w->count--;
	}
	slot = (w->head + w->count++) % EXEC_QUEUE;
	w->q[slot].tgid = tgid;
	w->q[slot].due_ns = now_ns + EXEC_DELAY_NS;
}

void tls_watch__tick(struct tls_watch *w, uint64_t now_ns)
{
	while (w->count && w->q[w->head].due_ns <= now_ns) {
		tls_libs_find_pid(w->proc_root, w->q[w->head].tgid, &w->libs);
		attach_found(w);
		w->head = (w->head + 1) % EXEC_QUEUE;
		w->count--;
	}
}
