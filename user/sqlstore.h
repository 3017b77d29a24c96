/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The open sequence the SQLite stores (ledger, health store, log store)
 * share: refuse a file that is not ours or is from a newer build, WAL
 * journal, busy timeout, and the schema brought up to date in one
 * transaction. Each store describes itself in a sqlstore_spec, so its
 * file identity, schema and wording stay its own. Pure SQLite, no
 * logging: failures come back as an errno with "path: reason" in err.
 */
#ifndef BT_SQLSTORE_H
#define BT_SQLSTORE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>

struct sqlstore_spec {
	/* in "read-only (the <name> must be writable)" */
	const char *name;
	/* a file with someone else's application_id: "<foreign> (application_id 0x..)" */
	const char *foreign;
	/* a file from a newer build: "<newer> N is newer than this build's M" */
	const char *newer;
	/* the whole PRAGMA, e.g. "PRAGMA synchronous = NORMAL": durability is the store's call */
	const char *synchronous;
	/* schema[v] takes a file from user_version v to v + 1; version entries */
	const char *const *schema;
	int version; /* the user_version this build writes */
	int app_id; /* tells the store's file from another program's database */
	int busy_ms;
	/* SQLite failures as sqlstore_errno() (ENOSPC, EROFS, ...) rather than EIO */
	bool sqlite_errno;
};

/* Fills err (if any) with "path: what" and returns e, the errno to report. */
int sqlstore_fail(char *err, size_t errlen, const char *path, int e, const char *what);

/* A SQLite result code as an errno: ENOSPC, EROFS, ENOMEM, else EIO. */
int sqlstore_errno(int rc);

/*
 * Opens path read-write (created if missing) as the store sp describes,
 * and with upgrade, brings its schema to sp->version. 0, or the errno
 * with the reason in err. *db is set even on failure: the caller closes it.
 */
int sqlstore_open(const struct sqlstore_spec *sp, const char *path, bool upgrade, sqlite3 **db,
		  char *err, size_t errlen);

#endif /* BT_SQLSTORE_H */
