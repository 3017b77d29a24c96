// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * One open sequence for the SQLite stores, so a fix to how a foreign,
 * newer or read-only file is refused, or to how the schema is upgraded,
 * reaches every store at once. What differs between the stores (file
 * identity, schema, messages, synchronous, errno detail) is data in
 * struct sqlstore_spec, not code here.
 */
#include "sqlstore.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int sqlstore_fail(char *err, size_t errlen, const char *path, int e, const char *what)
{
	if (err && errlen)
		snprintf(err, errlen, "%s: %s", path, what);
	return e;
}

int sqlstore_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_FULL:
		return ENOSPC;
	case SQLITE_READONLY:
	case SQLITE_PERM:
		return EROFS;
	case SQLITE_NOMEM:
		return ENOMEM;
	default:
		return EIO;
	}
}

/* The errno a failed SQLite call is reported as, in this store's detail. */
static int errno_of(const struct sqlstore_spec *sp, int rc)
{
	return sp->sqlite_errno ? sqlstore_errno(rc) : EIO;
}

/* The first column of the first row of sql into *out (left alone when none); a SQLite code. */
static int pragma_int(sqlite3 *db, const char *sql, int *out)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/*
 * Is the file ours, another program's, or from a newer build? Reading the
 * header is also where SQLite first notices a file that is not a database.
 * An empty file (no id, no version, no objects) is ours to initialise.
 */
static int check_owner(const struct sqlstore_spec *sp, sqlite3 *db, const char *path, char *err,
		       size_t errlen)
{
	int rc, app = 0, ver = 0, objects = 0;
	char msg[160];

	rc = pragma_int(db, "PRAGMA application_id", &app);
	rc = rc ? rc : pragma_int(db, "PRAGMA user_version", &ver);
	rc = rc ? rc : pragma_int(db, "SELECT COUNT(*) FROM sqlite_master", &objects);
	if (rc == SQLITE_NOTADB)
		return sqlstore_fail(err, errlen, path, EINVAL, "not a SQLite database");
	if (rc != SQLITE_OK)
		return sqlstore_fail(err, errlen, path, errno_of(sp, rc), sqlite3_errmsg(db));
	if (app != sp->app_id && (app != 0 || ver != 0 || objects != 0)) {
		snprintf(msg, sizeof(msg), "%s (application_id %#x)", sp->foreign, (unsigned)app);
		return sqlstore_fail(err, errlen, path, EINVAL, msg);
	}
	if (ver > sp->version) {
		snprintf(msg, sizeof(msg), "%s %d is newer than this build's %d", sp->newer, ver,
			 sp->version);
		return sqlstore_fail(err, errlen, path, EINVAL, msg);
	}
	return 0;
}

/*
 * WAL so readers and the writer stay out of each other's way. journal_mode
 * answers with the mode it ended in, which is not "wal" when SQLite could
 * not switch (a directory it cannot write, for one); the stores need WAL.
 */
static int tune(const struct sqlstore_spec *sp, sqlite3 *db, const char *path, char *err,
		size_t errlen)
{
	sqlite3_stmt *st;
	char mode[16] = "";
	int rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &st, NULL);

	if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
		const char *m = (const char *)sqlite3_column_text(st, 0);

		snprintf(mode, sizeof(mode), "%s", m ? m : "");
	}
	rc = rc == SQLITE_OK ? sqlite3_finalize(st) : rc; /* finalize returns step's error */
	if (rc != SQLITE_OK)
		return sqlstore_fail(err, errlen, path, errno_of(sp, rc), sqlite3_errmsg(db));
	if (strcmp(mode, "wal"))
		return sqlstore_fail(err, errlen, path, EIO,
				     "cannot use a WAL journal (directory writable?)");
	rc = sqlite3_exec(db, sp->synchronous, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return sqlstore_fail(err, errlen, path, errno_of(sp, rc), sqlite3_errmsg(db));
	return 0;
}

/* Runs the schema steps from ver up and stamps the file as ours; a SQLite code. */
static int schema_steps(const struct sqlstore_spec *sp, sqlite3 *db, int ver)
{
	char sql[96];
	int rc = SQLITE_OK;

	for (int v = ver < 0 ? 0 : ver; v < sp->version && rc == SQLITE_OK; v++)
		rc = sqlite3_exec(db, sp->schema[v], NULL, NULL, NULL);
	if (rc == SQLITE_OK && ver < sp->version) {
		snprintf(sql, sizeof(sql), "PRAGMA application_id = %d; PRAGMA user_version = %d",
			 sp->app_id, sp->version);
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	}
	return rc;
}

/*
 * Brings the schema to sp->version in one transaction, so another process
 * opening the same file at once sees either none or all of it. 0 or the
 * errno to report, with the reason in err.
 */
static int schema_upgrade(const struct sqlstore_spec *sp, sqlite3 *db, const char *path, char *err,
			  size_t errlen)
{
	char msg[160];
	int ver = 0, rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);

	if (rc == SQLITE_OK)
		rc = pragma_int(db, "PRAGMA user_version", &ver);
	if (rc == SQLITE_OK && ver > sp->version) {
		/* a newer build upgraded the file between check_owner() and here */
		snprintf(msg, sizeof(msg), "%s %d is newer than this build's %d", sp->newer, ver,
			 sp->version);
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return sqlstore_fail(err, errlen, path, EINVAL, msg);
	}
	if (rc == SQLITE_OK)
		rc = schema_steps(sp, db, ver);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		return 0;
	/* the message before ROLLBACK resets it */
	rc = sqlstore_fail(err, errlen, path, errno_of(sp, rc), sqlite3_errmsg(db));
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

int sqlstore_open(const struct sqlstore_spec *sp, const char *path, bool upgrade, sqlite3 **db,
		  char *err, size_t errlen)
{
	const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
	char msg[160];
	int rc = sqlite3_open_v2(path, db, flags, NULL);

	if (rc != SQLITE_OK)
		return sqlstore_fail(err, errlen, path,
				     rc == SQLITE_NOMEM ? ENOMEM : errno_of(sp, rc),
				     *db ? sqlite3_errmsg(*db) : sqlite3_errstr(rc));
	/* SQLite quietly opens a write-protected file read-only; every write would then fail */
	if (sqlite3_db_readonly(*db, "main") == 1) {
		snprintf(msg, sizeof(msg), "read-only (the %s must be writable)", sp->name);
		return sqlstore_fail(err, errlen, path, EROFS, msg);
	}
	sqlite3_busy_timeout(*db, sp->busy_ms);
	rc = check_owner(sp, *db, path, err, errlen);
	rc = rc ? rc : tune(sp, *db, path, err, errlen);
	if (!rc && upgrade)
		rc = schema_upgrade(sp, *db, path, err, errlen);
	return rc;
}
