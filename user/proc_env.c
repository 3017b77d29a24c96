// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A few environment variables per process (agent attribution keys on
 * them). environ is what the process was started with, so it is read once
 * per process; the start time from /proc/PID/stat tells a recycled pid
 * from the process we read. An environment may hold secrets and may be
 * huge: it is streamed through a small buffer, never stored whole, only
 * the configured names are kept, and at most PROC_ENV_READ_MAX bytes are
 * read. Entries live in a tgid hash with an LRU list bounded by max_procs.
 */
#include "proc_env.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Longest environ entry prefix looked at: a name, '=' and a kept value. */
#define ENTRY_MAX (PROC_ENV_NAME_MAX + PROC_ENV_VALUE_MAX)
#define MAX_BUCKETS (1u << 16)

struct penv {
	uint32_t tgid;
	uint64_t start; /* field 22 of /proc/PID/stat */
	uint32_t set; /* bit i: names[i] is set */
	struct penv *hnext; /* hash chain */
	struct penv *prev, *next; /* LRU list, head most recent */
	char val[][PROC_ENV_VALUE_MAX]; /* one per kept name */
};

struct proc_env {
	char root[PATH_MAX];
	char names[PROC_ENV_MAX_NAMES][PROC_ENV_NAME_MAX];
	size_t name_len[PROC_ENV_MAX_NAMES];
	size_t n_names;
	size_t max_procs, n_procs;
	struct penv **buckets;
	uint32_t mask;
	struct penv *head, *tail;
	uint64_t reads, cut;
};

/* ---- /proc ---- */

/* Process start time (clock ticks after boot) from /proc/PID/stat; -errno when gone. */
static int read_start(const struct proc_env *e, uint32_t tgid, uint64_t *start)
{
	char path[PATH_MAX + 32], buf[2048], *p, *end;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%u/stat", e->root, tgid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ENOENT;
	buf[n] = '\0';
	/* comm may hold spaces and ')': fields are counted after the last ')'. */
	p = strrchr(buf, ')');
	if (!p)
		return -EINVAL;
	for (int field = 2; field < 22; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return -EINVAL;
	}
	errno = 0;
	*start = strtoull(p + 1, &end, 10);
	if (errno || end == p + 1 || (*end != ' ' && *end != '\n' && *end != '\0'))
		return -EINVAL;
	return 0;
}

/* One "NAME=value" entry (not terminated, len bytes): keeps it if NAME is wanted and unset. */
static void take_entry(const struct proc_env *e, struct penv *pe, const char *s, size_t len)
{
	const char *eq = memchr(s, '=', len);
	size_t nl, vl;

	if (!eq)
		return;
	nl = (size_t)(eq - s);
	for (size_t i = 0; i < e->n_names; i++) {
		if (nl != e->name_len[i] || memcmp(s, e->names[i], nl) || (pe->set & (1u << i)))
			continue;
		vl = len - nl - 1;
		if (vl > PROC_ENV_VALUE_MAX - 1)
			vl = PROC_ENV_VALUE_MAX - 1;
		memcpy(pe->val[i], eq + 1, vl);
		pe->val[i][vl] = '\0';
		pe->set |= 1u << i; /* the first one wins, as for getenv(3) */
		return;
	}
}

struct scan {
	char cur[ENTRY_MAX]; /* the start of the entry being read */
	size_t len;
};

static void scan_bytes(const struct proc_env *e, struct penv *pe, struct scan *sc, const char *buf,
		       size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!buf[i]) {
			take_entry(e, pe, sc->cur, sc->len);
			sc->len = 0;
		} else if (sc->len < sizeof(sc->cur)) {
			sc->cur[sc->len++] = buf[i];
		}
	}
}

/* Fills pe from /proc/PID/environ; -errno when it cannot be opened. */
static int read_environ(struct proc_env *e, struct penv *pe)
{
	char path[PATH_MAX + 32], buf[16384];
	struct scan sc = { .len = 0 };
	size_t total = 0;
	ssize_t n = 0;
	int fd;

	pe->set = 0;
	snprintf(path, sizeof(path), "%s/%u/environ", e->root, pe->tgid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	e->reads++;
	while (total < PROC_ENV_READ_MAX) {
		size_t want = PROC_ENV_READ_MAX - total;

		n = read(fd, buf, want < sizeof(buf) ? want : sizeof(buf));
		if (n <= 0)
			break;
		scan_bytes(e, pe, &sc, buf, (size_t)n);
		total += (size_t)n;
	}
	/* At the bound the last entry may be cut short: it is dropped and the cut counted. */
	if (total >= PROC_ENV_READ_MAX && read(fd, buf, 1) > 0)
		e->cut++;
	else if (sc.len)
		take_entry(e, pe, sc.cur, sc.len); /* environ rewritten without its final NUL */
	close(fd);
	return 0;
}

/* ---- cache ---- */

static struct penv **bucket(struct proc_env *e, uint32_t tgid)
{
	return &e->buckets[(tgid * 2654435761u) & e->mask];
}

static struct penv *find(struct proc_env *e, uint32_t tgid)
{
	struct penv *pe = *bucket(e, tgid);

	while (pe && pe->tgid != tgid)
		pe = pe->hnext;
	return pe;
}

static void lru_unlink(struct proc_env *e, struct penv *pe)
{
	*(pe->prev ? &pe->prev->next : &e->head) = pe->next;
	*(pe->next ? &pe->next->prev : &e->tail) = pe->prev;
	pe->prev = pe->next = NULL;
}

static void lru_push(struct proc_env *e, struct penv *pe)
{
	pe->prev = NULL;
	pe->next = e->head;
	*(e->head ? &e->head->prev : &e->tail) = pe;
	e->head = pe;
}

static void hash_unlink(struct proc_env *e, struct penv *pe)
{
	struct penv **pp = bucket(e, pe->tgid);

	while (*pp != pe)
		pp = &(*pp)->hnext;
	*pp = pe->hnext;
}

/* A fresh entry for tgid: a new one below max_procs, else the least recently used one. */
static struct penv *entry_new(struct proc_env *e, uint32_t tgid)
{
	struct penv *pe;

	if (e->n_procs < e->max_procs) {
		pe = calloc(1, sizeof(*pe) + e->n_names * sizeof(pe->val[0]));
		if (!pe)
			return NULL;
		e->n_procs++;
	} else {
		pe = e->tail;
		lru_unlink(e, pe);
		hash_unlink(e, pe);
	}
	pe->tgid = tgid;
	pe->set = 0;
	pe->hnext = *bucket(e, tgid);
	*bucket(e, tgid) = pe;
	lru_push(e, pe);
	return pe;
}

static void entry_drop(struct proc_env *e, struct penv *pe)
{
	lru_unlink(e, pe);
	hash_unlink(e, pe);
	free(pe);
	e->n_procs--;
}

/* The cached entry of the live process tgid, read now if new or recycled; NULL if gone. */
static struct penv *lookup(struct proc_env *e, uint32_t tgid)
{
	struct penv *pe = find(e, tgid);
	uint64_t start;
	int err;

	/* Gone: a call is often finalized after its (short-lived) process exited, and no
	 * other process holds the pid now, so what was read of it is still its own. */
	if (read_start(e, tgid, &start))
		return pe;
	if (pe) {
		lru_unlink(e, pe);
		lru_push(e, pe);
		if (pe->start == start)
			return pe;
	} else if (!(pe = entry_new(e, tgid))) {
		return NULL;
	}
	pe->start = start;
	err = read_environ(e, pe);
	/* Unreadable for good (another user's process): remember that it has nothing. */
	if (err && err != -EACCES && err != -EPERM) {
		entry_drop(e, pe);
		return NULL;
	}
	return pe;
}

/* ---- public ---- */

static int name_index(const struct proc_env *e, const char *name)
{
	for (size_t i = 0; name && i < e->n_names; i++) {
		if (!strcmp(e->names[i], name))
			return (int)i;
	}
	return -1;
}

static bool name_ok(const char *s)
{
	size_t n = s ? strnlen(s, PROC_ENV_NAME_MAX) : 0;

	return n && n < PROC_ENV_NAME_MAX && !strchr(s, '=');
}

struct proc_env *proc_env__new(const char *proc_root, const char *const *names, size_t n,
			       size_t max_procs)
{
	struct proc_env *e;
	uint32_t nb = 16;

	if (n > PROC_ENV_MAX_NAMES || (n && !names) || !max_procs)
		goto inval;
	for (size_t i = 0; i < n; i++) {
		if (!name_ok(names[i]))
			goto inval;
	}
	if (!proc_root)
		proc_root = "/proc";
	if (strlen(proc_root) >= sizeof(e->root))
		goto inval;
	e = calloc(1, sizeof(*e));
	while (nb < MAX_BUCKETS && nb < max_procs)
		nb *= 2;
	if (!e || !(e->buckets = calloc(nb, sizeof(e->buckets[0])))) {
		free(e);
		errno = ENOMEM;
		return NULL;
	}
	e->mask = nb - 1;
	e->max_procs = max_procs;
	strcpy(e->root, proc_root);
	for (e->n_names = 0; e->n_names < n; e->n_names++) {
		strcpy(e->names[e->n_names], names[e->n_names]);
		e->name_len[e->n_names] = strlen(names[e->n_names]);
	}
	return e;

inval:
	errno = EINVAL;
	return NULL;
}

void proc_env__free(struct proc_env *e)
{
	struct penv *pe, *next;

	if (!e)
		return;
	for (pe = e->head; pe; pe = next) {
		next = pe->next;
		free(pe);
	}
	free(e->buckets);
	free(e);
}

const char *proc_env__get(struct proc_env *e, uint32_t tgid, const char *name)
{
	struct penv *pe;
	int i;

	if (!e || (i = name_index(e, name)) < 0)
		return NULL;
	pe = lookup(e, tgid);
	if (!pe || !(pe->set & (1u << i)))
		return NULL;
	return pe->val[i];
}

void proc_env__prefetch(struct proc_env *e, uint32_t tgid)
{
	if (e)
		lookup(e, tgid);
}

uint64_t proc_env__reads(const struct proc_env *e)
{
	return e ? e->reads : 0;
}

uint64_t proc_env__cut(const struct proc_env *e)
{
	return e ? e->cut : 0;
}
