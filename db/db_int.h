/* What db.c and db_console.c share and nothing outside db/ sees: the connection, the SQL
 * helpers every write uses, and the audit record the writes of both files leave. */
#ifndef EDGEGATE_DB_INT_H
#define EDGEGATE_DB_INT_H

#include <sqlite3.h>
#include <sys/stat.h>

#include "edgegate/config.h"
#include "edgegate/db.h"

#define DEFAULT_PRECEDENCE 2147483647
/* eg_audit_t.detail, and what db_audit_changes and db_audit_settings write at most */
#define DB_DETAIL_MAX 512

/* The database file and its -wal as stat saw them: what a change is told by where
 * PRAGMA data_version cannot tell it (see eg_db_changed). */
typedef struct {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    int has_wal;
    off_t wal_size;
    struct timespec wal_mtime;
} file_sig_t;

struct eg_db {
    sqlite3 *sql;
    char *path;       /* owned: a snapshot is reopened from it */
    int flags;        /* EG_DB_* as given to eg_db_open */
    int immutable;    /* read as an immutable snapshot: see open_connection() */
    int shm_readonly; /* read through a -shm this user cannot write: data_version then moves
                       * on every read, so changes are told by the files */
    file_sig_t sig;   /* the files as the snapshot was taken or the last change seen */
    int data_version; /* last PRAGMA data_version seen by eg_db_changed */
    sqlite3_stmt *dv; /* PRAGMA data_version, prepared once: a worker asks on every request */
    char actor[128];  /* eg_db_set_actor; "" records nothing */
};

/* -1 with "WHAT: SQLite's message" (or why the database is read-only) in err. */
int db_fail_sql(eg_db_t *db, char *err, size_t errlen, const char *what);
int db_exec(eg_db_t *db, const char *sql, char *err, size_t errlen);
sqlite3_stmt *db_prepare(eg_db_t *db, const char *sql, char *err, size_t errlen);
/* BEGIN IMMEDIATE: a write transaction from its first statement, so what it reads to decide
 * (a revision, the order of behaviors) cannot change before it writes. */
int db_begin(eg_db_t *db, char *err, size_t errlen);
int db_commit(eg_db_t *db, char *err, size_t errlen);
void db_rollback(eg_db_t *db);
/* Runs a one-statement write with nparams text parameters; changed rows or -1. */
int db_write_stmt(eg_db_t *db, const char *sql, const char *what, char *err, size_t errlen,
                  int nparams, ...);
/* 0 when the distribution exists, else -1 with "no distribution ID ..." in err. */
int db_dist_must_exist(eg_db_t *db, const char *dist, char *err, size_t errlen);

/* The single writes without their transaction and audit, for eg_db_*_put/update and
 * eg_db_dist_replace: each checks its object (the *_validate rules), writes one row (and a
 * distribution's aliases), and returns 0, -1 or EG_DB_CONFLICT (an update given a rev the row
 * no longer has) with err. The caller holds the transaction. */
int db_dist_write(eg_db_t *db, const eg_dist_info_t *d, int create, char *err, size_t errlen);
int db_origin_write(eg_db_t *db, const char *dist, const eg_origin_t *o, int create, char *err,
                    size_t errlen);
/* precedence -1: placed by the caller's renumbering; DEFAULT_PRECEDENCE for "*" */
int db_behavior_insert(eg_db_t *db, const char *dist, const eg_behavior_t *b, int precedence,
                       char *err, size_t errlen);
int db_behavior_write(eg_db_t *db, const char *dist, const eg_behavior_t *b, char *err,
                      size_t errlen);

/* --- audit (db_console.c) ------------------------------------------------------------- */

/* Whether the writes of this connection are audited (an actor is set). */
int db_auditing(const eg_db_t *db);
/* Records one audit row in the caller's transaction when an actor is set, else does nothing;
 * dist NULL or "" for changes outside a distribution. 0, or -1 with err. */
int db_audit(eg_db_t *db, const char *dist, const char *action, const char *object,
             const char *detail, char *err, size_t errlen);
/* "name: old -> new; ..." for each field of the table whose value differs between before
 * and after (as eg_field_format spells it), or "no change"; at most len - 1 bytes, cut at a
 * character with "..." when longer. */
void db_audit_changes(const eg_field_t *f, size_t n, const void *before, const void *after,
                      char *out, size_t len);
/* "name: value; ..." for the object's key and each field that differs from its default: what
 * an add set. size is the object's (a scratch one of defaults is compared with). */
void db_audit_settings(const eg_field_t *f, size_t n, const void *obj, size_t size, char *out,
                       size_t len);
/* Copies s into out (len bytes), cut when longer to end in "..." (never inside a UTF-8
 * sequence): what is written in a fixed buffer far larger than out. */
void db_audit_fit(char *out, size_t len, const char *s);

#endif
