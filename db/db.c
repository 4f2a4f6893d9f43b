/* SQLite storage for distributions, origins, behaviors and invalidations. Column lists come
 * from the settings tables in gateway/config.c, so a field added there is stored without
 * touching this file (beyond a migration). Values travel as text and are parsed by the same code
 * that parses egctl's options, so the database cannot hold what the CLI would refuse. */
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "edgegate/common.h"
#include "edgegate/config.h"
#include "edgegate/db.h"
#include "db_int.h"
#include "migrations.h"

static const char *readonly_why(eg_db_t *db, char *buf, size_t len);

int db_fail_sql(eg_db_t *db, char *err, size_t errlen, const char *what)
{
    char why[PATH_MAX + 200];
    /* SQLite's "attempt to write a readonly database" names neither the file nor the cause */
    if ((sqlite3_extended_errcode(db->sql) & 0xff) == SQLITE_READONLY) {
        eg_errf(err, errlen, "database %s is read-only (%s)", db->path,
                readonly_why(db, why, sizeof(why)));
        return -1;
    }
    eg_errf(err, errlen, "%s: %s", what, sqlite3_errmsg(db->sql));
    return -1;
}

int db_exec(eg_db_t *db, const char *sql, char *err, size_t errlen)
{
    if (sqlite3_exec(db->sql, sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_fail_sql(db, err, errlen, "database");
    return 0;
}

sqlite3_stmt *db_prepare(eg_db_t *db, const char *sql, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL) != SQLITE_OK) {
        db_fail_sql(db, err, errlen, "database");
        return NULL;
    }
    return st;
}

int db_begin(eg_db_t *db, char *err, size_t errlen)
{
    return db_exec(db, "BEGIN IMMEDIATE", err, errlen);
}

int db_commit(eg_db_t *db, char *err, size_t errlen)
{
    return db_exec(db, "COMMIT", err, errlen);
}

void db_rollback(eg_db_t *db)
{
    if (!sqlite3_get_autocommit(db->sql))
        sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
}

int eg_db_latest_schema_version(void)
{
    return (int)EG_ARRAY_LEN(eg_db_migrations);
}

static int user_version(eg_db_t *db)
{
    sqlite3_stmt *st = db_prepare(db, "PRAGMA user_version", NULL, 0);
    int v = -1;
    if (st && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

int eg_db_schema_version(eg_db_t *db)
{
    return user_version(db);
}

/* Applies the migrations past schema version have, one transaction each. */
static int migrate(eg_db_t *db, int have, char *err, size_t errlen)
{
    int want = eg_db_latest_schema_version();
    char sql[64];

    /* WAL lets the gateway read while egctl writes. It is a property of the file, so it is
     * set with the schema, never by an open that has nothing to migrate. */
    if (db_exec(db, "PRAGMA journal_mode = WAL", err, errlen) < 0)
        return -1;
    for (int v = have; v < want; v++) {
        if (db_begin(db, err, errlen) < 0)
            return -1;
        if (user_version(db) != v) { /* another process migrated meanwhile */
            db_rollback(db);
            continue;
        }
        if (db_exec(db, eg_db_migrations[v], err, errlen) < 0)
            goto fail;
        snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
        if (db_exec(db, sql, err, errlen) < 0 || db_commit(db, err, errlen) < 0)
            goto fail;
    }
    return 0;
fail:
    db_rollback(db);
    return -1;
}

/* The directory that holds path: where SQLite creates the -wal and -shm files. */
static void dir_of(const char *path, char *dir, size_t len)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        snprintf(dir, len, ".");
    else if (slash == path)
        snprintf(dir, len, "/");
    else
        snprintf(dir, len, "%.*s", (int)(slash - path), path);
}

static char *sibling(const char *path, const char *suffix)
{
    char *s = eg_malloc(strlen(path) + strlen(suffix) + 1);
    strcpy(s, path);
    strcat(s, suffix);
    return s;
}

/* Why this connection cannot write, for the one line that says so. The checks use the
 * effective ids, as the kernel does when SQLite opens the files. */
static const char *readonly_why(eg_db_t *db, char *buf, size_t len)
{
    static const char *const suffixes[] = {"-wal", "-shm"};
    char dir[PATH_MAX];
    if (db->flags & EG_DB_READONLY)
        return "opened read-only";
    if (faccessat(AT_FDCWD, db->path, W_OK, AT_EACCESS) < 0) {
        snprintf(buf, len, "this user cannot write the file: %s", strerror(errno));
        return buf;
    }
    dir_of(db->path, dir, sizeof(dir));
    if (faccessat(AT_FDCWD, dir, W_OK, AT_EACCESS) < 0) {
        snprintf(buf, len,
                 "this user cannot write its directory %s, where SQLite keeps the -wal and -shm "
                 "files: %s",
                 dir, strerror(errno));
        return buf;
    }
    for (size_t i = 0; i < EG_ARRAY_LEN(suffixes); i++) {
        char *f = sibling(db->path, suffixes[i]);
        int denied = faccessat(AT_FDCWD, f, W_OK, AT_EACCESS) < 0 && errno != ENOENT;
        free(f);
        if (denied) {
            snprintf(buf, len, "this user cannot write its %s file: %s", suffixes[i],
                     strerror(errno));
            return buf;
        }
    }
    snprintf(buf, len, "SQLite: %s", db->sql ? sqlite3_errmsg(db->sql) : "opened read-only");
    return buf;
}

int eg_db_writable(eg_db_t *db, char *err, size_t errlen)
{
    char why[PATH_MAX + 200];
    if (!(db->flags & EG_DB_READONLY) && !db->immutable &&
        sqlite3_db_readonly(db->sql, "main") == 0)
        return 0;
    eg_errf(err, errlen, "database %s is read-only (%s)", db->path,
            readonly_why(db, why, sizeof(why)));
    return -1;
}

static void file_sig(const char *path, file_sig_t *sig)
{
    struct stat sb;
    char *wal = sibling(path, "-wal");
    memset(sig, 0, sizeof(*sig));
    if (stat(path, &sb) == 0) {
        sig->dev = sb.st_dev;
        sig->ino = sb.st_ino;
        sig->size = sb.st_size;
        sig->mtime = sb.st_mtim;
    }
    if (stat(wal, &sb) == 0) {
        sig->has_wal = 1;
        sig->wal_size = sb.st_size;
        sig->wal_mtime = sb.st_mtim;
    }
    free(wal);
}

static int sig_equal(const file_sig_t *a, const file_sig_t *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
           a->has_wal == b->has_wal && a->wal_size == b->wal_size &&
           a->wal_mtime.tv_sec == b->wal_mtime.tv_sec &&
           a->wal_mtime.tv_nsec == b->wal_mtime.tv_nsec;
}

/* A "file:" URI naming path read as immutable; what a URI path may not hold is escaped. */
static char *snapshot_uri(const char *path)
{
    static const char hex[] = "0123456789ABCDEF";
    char *uri = eg_malloc(strlen(path) * 3 + 32), *o = uri;
    /* an absolute path gets an empty authority, so "//x" cannot be read as a host */
    o += sprintf(o, "%s", path[0] == '/' ? "file://" : "file:");
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("/-._~", *p)) {
            *o++ = (char)*p;
        } else {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    strcpy(o, "?immutable=1");
    return uri;
}

static int open_sql(eg_db_t *db, const char *name, int oflags, char *err, size_t errlen)
{
    if (sqlite3_open_v2(name, &db->sql, oflags, NULL) != SQLITE_OK) {
        eg_errf(err, errlen, "database %s: %s", db->path,
                db->sql ? sqlite3_errmsg(db->sql) : "cannot open");
        sqlite3_close(db->sql);
        db->sql = NULL;
        return -1;
    }
    sqlite3_busy_timeout(db->sql, 5000);
    return 0;
}

/* The first read of a connection: the schema version, then this connection's settings
 * (which write nothing, but read the schema). -1 with err when SQLite cannot read the file;
 * its error code tells why. */
static int first_read(eg_db_t *db, char *err, size_t errlen)
{
    int v = user_version(db);
    if (v < 0 || db_exec(db, "PRAGMA foreign_keys = ON", NULL, 0) < 0 ||
        db_exec(db, "PRAGMA synchronous = NORMAL", NULL, 0) < 0) {
        eg_errf(err, errlen, "database %s: %s", db->path, sqlite3_errmsg(db->sql));
        return -1;
    }
    return v;
}

/* Whether SQLite has to read this WAL database without writing its -shm file: the file is
 * there (SQLite made it, or would have failed) and this user may not write it. */
static int shm_readonly(const char *path)
{
    char *shm = sibling(path, "-shm");
    int ro = access(shm, F_OK) == 0 && faccessat(AT_FDCWD, shm, W_OK, AT_EACCESS) < 0;
    free(shm);
    return ro;
}

/* Opens db->sql and makes the first read, the schema version, which is where SQLite finds
 * out whether it can read a WAL database at all: it reads one through the -shm file beside
 * it, creating that (and the -wal) when they are missing, which it cannot do in a directory
 * this user cannot write. The file is then opened again as an immutable snapshot, which
 * SQLite reads without -shm, without locks, and without looking at the -wal: right only
 * while no -wal holds changes, so one that does is refused, and eg_db_changed opens the
 * database again when the files change. A -shm this user can read but not write is used
 * as it is (SQLite then reads the -wal itself on every transaction). Returns the schema
 * version, or -1 with err. */
static int open_connection(eg_db_t *db, char *err, size_t errlen)
{
    /* SQLite opens a file this user may not write read-only. EG_DB_READONLY is not
     * SQLITE_OPEN_READONLY: a connection opened so cannot remove the -wal and -shm files it
     * made when it closes, and leaves them behind. */
    int oflags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_READWRITE, v, code;
    char dir[PATH_MAX], *uri;

    if (db->flags & EG_DB_CREATE)
        oflags |= SQLITE_OPEN_CREATE;
    db->immutable = 0;
    /* before the first read: a change made meanwhile is then seen by eg_db_changed */
    file_sig(db->path, &db->sig);
    if (open_sql(db, db->path, oflags, err, errlen) < 0)
        return -1;
    if ((v = first_read(db, err, errlen)) >= 0) {
        db->shm_readonly = shm_readonly(db->path);
        goto opened;
    }
    code = sqlite3_extended_errcode(db->sql) & 0xff;
    if (code != SQLITE_READONLY && code != SQLITE_CANTOPEN)
        return -1;
    if (db->sig.wal_size > 0) {
        dir_of(db->path, dir, sizeof(dir));
        eg_errf(err, errlen,
                "database %s cannot be read: its -wal file holds changes the database file "
                "does not have yet, and SQLite reads those through a -shm file that this user "
                "can neither open nor create in %s; let this user write that directory, or "
                "have the database's owner run egctl once, which folds the -wal file in",
                db->path, dir);
        return -1;
    }
    sqlite3_close(db->sql);
    db->sql = NULL;
    uri = snapshot_uri(db->path);
    v = open_sql(db, uri, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, err,
                 errlen);
    free(uri);
    if (v < 0)
        return -1;
    db->immutable = 1;
    db->shm_readonly = 0;
    if ((v = first_read(db, err, errlen)) < 0)
        return -1;
opened:
    if ((db->flags & EG_DB_READONLY) && db_exec(db, "PRAGMA query_only = ON", err, errlen) < 0)
        return -1;
    return v;
}

int eg_db_open(const char *path, int flags, eg_db_t **out, char *err, size_t errlen)
{
    struct stat sb;
    eg_db_t *db;
    int have, want = eg_db_latest_schema_version();

    *out = NULL;
    if (!(flags & EG_DB_CREATE) && stat(path, &sb) < 0) {
        eg_errf(err, errlen, "database %s: %s (create it with: egctl --db %s init)", path,
                strerror(errno), path);
        return -1;
    }
    db = eg_calloc(1, sizeof(*db));
    db->path = eg_strdup(path);
    db->flags = flags;
    db->data_version = -1;
    if ((have = open_connection(db, err, errlen)) < 0)
        goto fail;
    if (have > want) {
        eg_errf(err, errlen,
                "database %s: schema version %d is newer than this edgegate knows (%d); "
                "upgrade edgegate",
                path, have, want);
        goto fail;
    }
    /* a current schema is used as it is: opening writes nothing, so a database this user
     * may only read can be listed and served */
    if (have < want) {
        char why[512];
        if (eg_db_writable(db, why, sizeof(why)) < 0) {
            eg_errf(err, errlen,
                    "%s: its schema is version %d and this edgegate needs version %d; "
                    "upgrading it needs write access",
                    why, have, want);
            goto fail;
        }
        if (migrate(db, have, err, errlen) < 0) {
            char tmp[512];
            snprintf(tmp, sizeof(tmp), "%s", err ? err : "");
            eg_errf(err, errlen, "database %s: %s", path, tmp);
            goto fail;
        }
    }
    *out = db;
    return 0;
fail:
    eg_db_close(db);
    return -1;
}

void eg_db_close(eg_db_t *db)
{
    if (db == NULL)
        return;
    sqlite3_finalize(db->dv);
    sqlite3_close(db->sql);
    free(db->path);
    free(db);
}

/* PRAGMA data_version: changes when another connection commits; -1 on error. */
static int data_version(eg_db_t *db)
{
    int v = -1;
    if (db->dv == NULL && (db->dv = db_prepare(db, "PRAGMA data_version", NULL, 0)) == NULL)
        return -1;
    if (sqlite3_step(db->dv) == SQLITE_ROW)
        v = sqlite3_column_int(db->dv, 0);
    sqlite3_reset(db->dv);
    return v;
}

/* A snapshot never sees another connection's commits (SQLite keeps no locks and no
 * data_version for it), so once its files changed the database is opened again: as a
 * snapshot of the new file or, while a writer's -wal and -shm are there, as a reader that
 * follows them. The old connection stays when no new one can be made. 1 or -1. */
static int reopen(eg_db_t *db, const file_sig_t *now)
{
    eg_db_t fresh = *db; /* borrows path; its sql and what open_connection sets are its own */
    char err[512];
    int v, want = eg_db_latest_schema_version();
    fresh.sql = NULL;
    fresh.dv = NULL;
    v = open_connection(&fresh, err, sizeof(err));
    if (v >= 0 && v != want)
        eg_errf(err, sizeof(err), "database %s: its schema is now version %d, not %d", db->path,
                v, want);
    if (v != want) {
        sqlite3_close(fresh.sql);
        eg_log_warn("the database changed and cannot be opened again (still serving what it "
                    "held): %s",
                    err);
        db->sig = *now; /* tried with these files: once, not on every call */
        return -1;
    }
    sqlite3_finalize(db->dv); /* prepared on the old connection */
    db->dv = NULL;
    sqlite3_close(db->sql);
    db->sql = fresh.sql;
    db->immutable = fresh.immutable;
    db->shm_readonly = fresh.shm_readonly;
    db->sig = fresh.sig;
    /* the new connection's own count, so the next call compares with it */
    db->data_version = db->shm_readonly ? 0 : data_version(db);
    return 1;
}

int eg_db_changed(eg_db_t *db)
{
    file_sig_t now;
    int v, changed;
    if (db->immutable) {
        file_sig(db->path, &now);
        if (!sig_equal(&now, &db->sig))
            return reopen(db, &now);
    } else if (db->shm_readonly) {
        /* every commit grows or rewrites the -wal, a checkpoint the database file */
        file_sig(db->path, &now);
        changed = db->data_version < 0 || !sig_equal(&now, &db->sig);
        db->sig = now;
        db->data_version = 0;
        return changed;
    }
    if ((v = data_version(db)) < 0)
        return -1;
    changed = v != db->data_version;
    db->data_version = v;
    return changed;
}

int eg_db_config_version(eg_db_t *db, long long *version, char *err, size_t errlen)
{
    sqlite3_stmt *st =
        db_prepare(db, "SELECT value FROM meta WHERE key = 'config_version'", err, errlen);
    int rc = -1;
    if (st == NULL)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW) {
        *version = sqlite3_column_int64(st, 0);
        rc = 0;
    } else {
        db_fail_sql(db, err, errlen, "reading config_version");
    }
    sqlite3_finalize(st);
    return rc;
}

/* --- generic row <-> struct through the settings tables ----------------------------- */

/* "a, b, c" for every field stored in the main table. */
static void column_list(const eg_field_t *f, size_t n, char *buf, size_t len, const char *suffix)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (f[i].column == NULL)
            continue;
        used += (size_t)snprintf(buf + used, len - used, "%s%s%s", used ? ", " : "",
                                 f[i].column, suffix);
        if (used >= len)
            abort(); /* buffers are sized for the tables; overflow is a bug */
    }
}

/* "?, ?, ..." for every stored field plus extra trailing columns. */
static void placeholders(const eg_field_t *f, size_t n, int extra, char *buf, size_t len)
{
    size_t used = 0;
    int count = extra;
    for (size_t i = 0; i < n; i++)
        count += f[i].column != NULL;
    buf[0] = '\0';
    for (int i = 0; i < count && used + 4 < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s?", i ? ", " : "");
}

static int bind_fields(sqlite3_stmt *st, int idx, const eg_field_t *f, size_t n, const void *obj)
{
    char buf[1024];
    for (size_t i = 0; i < n; i++) {
        if (f[i].column == NULL)
            continue;
        if (f[i].type == EG_FT_INT || f[i].type == EG_FT_BOOL) {
            if (sqlite3_bind_int(st, idx++, *(const int *)((const char *)obj + f[i].off)))
                return -1;
            continue;
        }
        eg_field_format(&f[i], obj, buf, sizeof(buf));
        if (sqlite3_bind_text(st, idx++, buf, -1, SQLITE_TRANSIENT) != SQLITE_OK)
            return -1;
    }
    return idx;
}

static int read_fields(sqlite3_stmt *st, int col, const eg_field_t *f, size_t n, void *obj,
                       char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        const unsigned char *txt;
        if (f[i].column == NULL)
            continue;
        txt = sqlite3_column_text(st, col++);
        if (eg_field_parse(&f[i], obj, txt ? (const char *)txt : "", err, errlen) < 0)
            return -1;
    }
    return 0;
}

/* Runs a SELECT whose first columns are the table's fields and the next one the row's rev
 * (not a settings field: the database keeps it); appends each row to *out. */
static int select_rows(eg_db_t *db, sqlite3_stmt *st, const eg_field_t *f, size_t n, size_t objsize,
                       size_t rev_off, void **out, size_t *count, char *err, size_t errlen)
{
    char *arr = NULL;
    size_t cnt = 0, cap = 0;
    int rc, rev_col = 0;
    for (size_t i = 0; i < n; i++)
        rev_col += f[i].column != NULL;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (cnt == cap) {
            cap = cap ? cap * 2 : 8;
            arr = eg_realloc(arr, cap * objsize);
        }
        memset(arr + cnt * objsize, 0, objsize);
        if (read_fields(st, 0, f, n, arr + cnt * objsize, err, errlen) < 0)
            goto fail;
        *(long long *)(arr + cnt * objsize + rev_off) = sqlite3_column_int64(st, rev_col);
        cnt++;
    }
    if (rc != SQLITE_DONE) {
        db_fail_sql(db, err, errlen, "database");
        goto fail;
    }
    *out = arr;
    *count = cnt;
    return 0;
fail:
    free(arr);
    return -1;
}

/* --- distributions ------------------------------------------------------------------- */

static int dist_aliases(eg_db_t *db, eg_dist_info_t *d, char *err, size_t errlen)
{
    sqlite3_stmt *st =
        db_prepare(db, "SELECT alias FROM aliases WHERE dist_id = ? ORDER BY alias", err, errlen);
    size_t used = 0;
    int rc;
    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, d->id, -1, SQLITE_STATIC);
    d->aliases[0] = '\0';
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *a = (const char *)sqlite3_column_text(st, 0);
        used += (size_t)snprintf(d->aliases + used, sizeof(d->aliases) - used, "%s%s",
                                 used ? "," : "", a ? a : "");
        if (used >= sizeof(d->aliases)) {
            used = sizeof(d->aliases) - 1;
            break;
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_fail_sql(db, err, errlen, "reading aliases");
    return 0;
}

int eg_db_dist_list(eg_db_t *db, eg_dist_info_t **out, size_t *n, char *err, size_t errlen)
{
    char cols[512], sql[1024];
    sqlite3_stmt *st;
    void *arr = NULL;
    column_list(eg_dist_fields, eg_dist_nfields, cols, sizeof(cols), "");
    snprintf(sql, sizeof(sql), "SELECT %s, rev FROM distributions ORDER BY id", cols);
    if ((st = db_prepare(db, sql, err, errlen)) == NULL)
        return -1;
    if (select_rows(db, st, eg_dist_fields, eg_dist_nfields, sizeof(eg_dist_info_t),
                    offsetof(eg_dist_info_t, rev), &arr, n, err, errlen) < 0) {
        sqlite3_finalize(st);
        return -1;
    }
    sqlite3_finalize(st);
    *out = arr;
    for (size_t i = 0; i < *n; i++)
        if (dist_aliases(db, &(*out)[i], err, errlen) < 0) {
            free(*out);
            *out = NULL;
            return -1;
        }
    return 0;
}

int eg_db_dist_get(eg_db_t *db, const char *id, eg_dist_info_t *out, char *err, size_t errlen)
{
    char cols[512], sql[1024];
    sqlite3_stmt *st;
    void *arr = NULL;
    size_t n = 0;
    column_list(eg_dist_fields, eg_dist_nfields, cols, sizeof(cols), "");
    snprintf(sql, sizeof(sql), "SELECT %s, rev FROM distributions WHERE id = ?", cols);
    if ((st = db_prepare(db, sql, err, errlen)) == NULL)
        return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (select_rows(db, st, eg_dist_fields, eg_dist_nfields, sizeof(*out),
                    offsetof(eg_dist_info_t, rev), &arr, &n, err, errlen) < 0) {
        sqlite3_finalize(st);
        return -1;
    }
    sqlite3_finalize(st);
    if (n == 1)
        memcpy(out, arr, sizeof(*out));
    free(arr);
    if (n == 1 && dist_aliases(db, out, err, errlen) < 0)
        return -1;
    return n == 1;
}

static int aliases_store(eg_db_t *db, const eg_dist_info_t *d, char *err, size_t errlen)
{
    sqlite3_stmt *del = db_prepare(db, "DELETE FROM aliases WHERE dist_id = ?", err, errlen);
    sqlite3_stmt *ins =
        db_prepare(db, "INSERT INTO aliases (alias, dist_id) VALUES (?, ?)", err, errlen);
    char list[sizeof(d->aliases)];
    int rc = -1;
    if (del == NULL || ins == NULL)
        goto out;
    if (eg_aliases_normalize(d->aliases, list, sizeof(list), err, errlen) < 0)
        goto out;
    sqlite3_bind_text(del, 1, d->id, -1, SQLITE_STATIC);
    if (sqlite3_step(del) != SQLITE_DONE) {
        db_fail_sql(db, err, errlen, "removing aliases");
        goto out;
    }
    for (char *save = NULL, *a = strtok_r(list, ",", &save); a; a = strtok_r(NULL, ",", &save)) {
        sqlite3_reset(ins);
        sqlite3_bind_text(ins, 1, a, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 2, d->id, -1, SQLITE_STATIC);
        if (sqlite3_step(ins) != SQLITE_DONE) {
            if (sqlite3_extended_errcode(db->sql) == SQLITE_CONSTRAINT_PRIMARYKEY)
                eg_errf(err, errlen, "alias %s already belongs to another distribution", a);
            else
                db_fail_sql(db, err, errlen, "storing alias");
            goto out;
        }
    }
    rc = 0;
out:
    sqlite3_finalize(del);
    sqlite3_finalize(ins);
    return rc;
}

/* A write given a revision the row no longer has: nothing is written, and err says so in the
 * words both egctl and the console show. */
static int conflict(char *err, size_t errlen, const char *kind, const char *name)
{
    eg_errf(err, errlen, "%s %s changed since you opened it (by another editor); nothing was saved",
            kind, name);
    return EG_DB_CONFLICT;
}

int db_dist_write(eg_db_t *db, const eg_dist_info_t *d, int create, char *err, size_t errlen)
{
    char cols[512], vals[512], qs[256], sql[1200];
    sqlite3_stmt *st = NULL;
    eg_dist_info_t now;
    int r, rc = -1;
    if (eg_dist_validate(d, err, errlen) < 0)
        return -1;
    column_list(eg_dist_fields, eg_dist_nfields, cols, sizeof(cols), "");
    column_list(eg_dist_fields, eg_dist_nfields, vals, sizeof(vals), " = ?");
    placeholders(eg_dist_fields, eg_dist_nfields, 0, qs, sizeof(qs));
    if (create) {
        snprintf(sql, sizeof(sql), "INSERT INTO distributions (%s) VALUES (%s)", cols, qs);
    } else {
        snprintf(sql, sizeof(sql),
                 "UPDATE distributions SET %s WHERE id = ? AND (? = 0 OR rev = ?)", vals);
    }
    if ((st = db_prepare(db, sql, err, errlen)) == NULL)
        return -1;
    {
        int idx = bind_fields(st, 1, eg_dist_fields, eg_dist_nfields, d);
        if (idx < 0)
            goto fail_sql;
        if (!create) {
            sqlite3_bind_text(st, idx, d->id, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, idx + 1, d->rev);
            sqlite3_bind_int64(st, idx + 2, d->rev);
        }
    }
    if (sqlite3_step(st) != SQLITE_DONE) {
        if (sqlite3_extended_errcode(db->sql) == SQLITE_CONSTRAINT_PRIMARYKEY) {
            eg_errf(err, errlen, "distribution %s already exists", d->id);
            goto fail;
        }
        goto fail_sql;
    }
    if (!create && sqlite3_changes(db->sql) == 0) {
        if ((r = eg_db_dist_get(db, d->id, &now, err, errlen)) < 0)
            goto fail;
        if (r == 1)
            rc = conflict(err, errlen, "distribution", d->id);
        else
            eg_errf(err, errlen, "no distribution %s", d->id);
        goto fail;
    }
    if (aliases_store(db, d, err, errlen) < 0)
        goto fail;
    sqlite3_finalize(st);
    return 0;
fail_sql:
    db_fail_sql(db, err, errlen, "storing distribution");
fail:
    sqlite3_finalize(st);
    return rc;
}

int eg_db_dist_put(eg_db_t *db, const eg_dist_info_t *d, int create, char *err, size_t errlen)
{
    char detail[DB_DETAIL_MAX];
    eg_dist_info_t before, after;
    int rc = -1;
    if (eg_dist_validate(d, err, errlen) < 0)
        return -1;
    if (db_begin(db, err, errlen) < 0)
        return -1;
    if (!create && db_auditing(db) && eg_db_dist_get(db, d->id, &before, err, errlen) < 0)
        goto fail;
    if ((rc = db_dist_write(db, d, create, err, errlen)) < 0)
        goto fail;
    rc = -1;
    if (db_auditing(db)) {
        /* as stored: the aliases normalized */
        if (eg_db_dist_get(db, d->id, &after, err, errlen) != 1)
            goto fail;
        if (create)
            db_audit_settings(eg_dist_fields, eg_dist_nfields, &after, sizeof(after), detail,
                              sizeof(detail));
        else
            db_audit_changes(eg_dist_fields, eg_dist_nfields, &before, &after, detail,
                             sizeof(detail));
        if (db_audit(db, d->id, create ? "dist.add" : "dist.update", d->id, detail, err, errlen) <
            0)
            goto fail;
    }
    if (db_commit(db, err, errlen) < 0)
        goto fail;
    return 0;
fail:
    db_rollback(db);
    return rc;
}

/* Runs a one-statement write with text parameters; returns changed rows or -1. */
int db_write_stmt(eg_db_t *db, const char *sql, const char *what, char *err, size_t errlen,
                  int nparams, ...)
{
    sqlite3_stmt *st = db_prepare(db, sql, err, errlen);
    va_list ap;
    int rc;
    if (st == NULL)
        return -1;
    va_start(ap, nparams);
    for (int i = 1; i <= nparams; i++)
        sqlite3_bind_text(st, i, va_arg(ap, const char *), -1, SQLITE_TRANSIENT);
    va_end(ap);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_fail_sql(db, err, errlen, what);
    return sqlite3_changes(db->sql);
}

int eg_db_dist_rm(eg_db_t *db, const char *id, int force, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    int exists = 0, n_origins = 0, n_behaviors = 0, n;
    if (db_begin(db, err, errlen) < 0)
        return -1;
    st = db_prepare(db,
                    "SELECT EXISTS (SELECT 1 FROM distributions WHERE id = ?1), "
                    "(SELECT count(*) FROM origins WHERE dist_id = ?1), "
                    "(SELECT count(*) FROM behaviors WHERE dist_id = ?1)",
                    err, errlen);
    if (st == NULL)
        goto fail;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        db_fail_sql(db, err, errlen, "reading distribution");
        goto fail;
    }
    exists = sqlite3_column_int(st, 0);
    n_origins = sqlite3_column_int(st, 1);
    n_behaviors = sqlite3_column_int(st, 2);
    sqlite3_finalize(st);
    if (!exists) {
        eg_errf(err, errlen, "no distribution %s", id);
        goto fail;
    }
    /* Deleting a distribution takes its origins and behaviors with it; a script that meant to
     * delete an empty one should not take a configured one by mistake. */
    if (!force && (n_origins || n_behaviors)) {
        eg_errf(err, errlen,
                "distribution %s still has %d origin%s and %d behavior%s; remove them first, or "
                "repeat with --force to delete it with all of them (its cached objects are "
                "dropped too)",
                id, n_origins, n_origins == 1 ? "" : "s", n_behaviors,
                n_behaviors == 1 ? "" : "s");
        goto fail;
    }
    n = db_write_stmt(db, "DELETE FROM distributions WHERE id = ?", "removing distribution", err,
                      errlen, 1, id);
    if (n <= 0) {
        if (n == 0)
            eg_errf(err, errlen, "no distribution %s", id);
        goto fail;
    }
    if (db_auditing(db)) {
        char detail[128];
        snprintf(detail, sizeof(detail), "with %d origin%s and %d behavior%s", n_origins,
                 n_origins == 1 ? "" : "s", n_behaviors, n_behaviors == 1 ? "" : "s");
        if (db_audit(db, id, "dist.rm", id, detail, err, errlen) < 0)
            goto fail;
    }
    if (db_commit(db, err, errlen) < 0)
        goto fail;
    return 0;
fail:
    db_rollback(db);
    return -1;
}

int eg_db_dist_generations(eg_db_t *db, eg_dist_gen_t **out, size_t *n, char *err,
                           size_t errlen)
{
    sqlite3_stmt *st =
        db_prepare(db, "SELECT id, generation FROM distributions ORDER BY id", err, errlen);
    eg_dist_gen_t *v = NULL;
    size_t cnt = 0, cap = 0;
    int rc;
    *out = NULL;
    *n = 0;
    if (st == NULL)
        return -1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(st, 0);
        if (cnt == cap) {
            cap = cap ? cap * 2 : 8;
            v = eg_realloc(v, cap * sizeof(*v));
        }
        memset(&v[cnt], 0, sizeof(v[cnt]));
        snprintf(v[cnt].id, sizeof(v[cnt].id), "%s", id ? id : "");
        v[cnt].generation = sqlite3_column_int64(st, 1);
        cnt++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        free(v);
        return db_fail_sql(db, err, errlen, "reading distributions");
    }
    *out = v;
    *n = cnt;
    return 0;
}

int db_dist_must_exist(eg_db_t *db, const char *dist, char *err, size_t errlen)
{
    eg_dist_info_t d;
    int r = eg_db_dist_get(db, dist, &d, err, errlen);
    if (r == 0)
        eg_errf(err, errlen, "no distribution %s (egctl dist list shows them)", dist);
    return r == 1 ? 0 : -1;
}

/* --- origins -------------------------------------------------------------------------- */

int eg_db_origin_list(eg_db_t *db, const char *dist, eg_origin_t **out, size_t *n, char *err,
                      size_t errlen)
{
    char cols[512], sql[1024];
    sqlite3_stmt *st;
    void *arr = NULL;
    int rc;
    if (db_dist_must_exist(db, dist, err, errlen) < 0)
        return -1; /* an empty list would read as "nothing there" */
    column_list(eg_origin_fields, eg_origin_nfields, cols, sizeof(cols), "");
    snprintf(sql, sizeof(sql), "SELECT %s, rev FROM origins WHERE dist_id = ? ORDER BY id", cols);
    if ((st = db_prepare(db, sql, err, errlen)) == NULL)
        return -1;
    sqlite3_bind_text(st, 1, dist, -1, SQLITE_STATIC);
    rc = select_rows(db, st, eg_origin_fields, eg_origin_nfields, sizeof(eg_origin_t),
                     offsetof(eg_origin_t, rev), &arr, n, err, errlen);
    sqlite3_finalize(st);
    *out = arr;
    return rc;
}

/* Copies the element of arr whose string field at off equals key into out; 1 found, 0 not.
 * Frees arr. */
static int pick(void *arr, size_t n, size_t size, size_t off, const char *key, void *out)
{
    int found = 0;
    for (size_t i = 0; i < n && !found; i++)
        if (strcmp((char *)arr + i * size + off, key) == 0) {
            memcpy(out, (char *)arr + i * size, size);
            found = 1;
        }
    free(arr);
    return found;
}

int eg_db_origin_get(eg_db_t *db, const char *dist, const char *id, eg_origin_t *out, char *err,
                     size_t errlen)
{
    eg_origin_t *all = NULL;
    size_t n = 0;
    if (eg_db_origin_list(db, dist, &all, &n, err, errlen) < 0)
        return -1;
    return pick(all, n, sizeof(*all), offsetof(eg_origin_t, id), id, out);
}

int db_origin_write(eg_db_t *db, const char *dist, const eg_origin_t *o, int create, char *err,
                    size_t errlen)
{
    char cols[512], vals[512], qs[256], sql[1400];
    sqlite3_stmt *st = NULL;
    eg_origin_t now;
    int idx, r, rc = -1;
    if (eg_origin_validate(o, err, errlen) < 0)
        return -1;
    column_list(eg_origin_fields, eg_origin_nfields, cols, sizeof(cols), "");
    column_list(eg_origin_fields, eg_origin_nfields, vals, sizeof(vals), " = ?");
    placeholders(eg_origin_fields, eg_origin_nfields, 1, qs, sizeof(qs));
    if (create)
        snprintf(sql, sizeof(sql), "INSERT INTO origins (%s, dist_id) VALUES (%s)", cols, qs);
    else
        snprintf(sql, sizeof(sql),
                 "UPDATE origins SET %s WHERE dist_id = ? AND id = ? AND (? = 0 OR rev = ?)", vals);
    if ((st = db_prepare(db, sql, err, errlen)) == NULL)
        return -1;
    if ((idx = bind_fields(st, 1, eg_origin_fields, eg_origin_nfields, o)) < 0)
        goto fail_sql;
    sqlite3_bind_text(st, idx, dist, -1, SQLITE_STATIC);
    if (!create) {
        sqlite3_bind_text(st, idx + 1, o->id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, idx + 2, o->rev);
        sqlite3_bind_int64(st, idx + 3, o->rev);
    }
    if (sqlite3_step(st) != SQLITE_DONE) {
        if (sqlite3_extended_errcode(db->sql) == SQLITE_CONSTRAINT_PRIMARYKEY) {
            eg_errf(err, errlen, "origin %s already exists in distribution %s", o->id, dist);
            goto fail;
        }
        goto fail_sql;
    }
    if (!create && sqlite3_changes(db->sql) == 0) {
        if ((r = eg_db_origin_get(db, dist, o->id, &now, err, errlen)) < 0)
            goto fail;
        if (r == 1)
            rc = conflict(err, errlen, "origin", o->id);
        else
            eg_errf(err, errlen, "no origin %s in distribution %s", o->id, dist);
        goto fail;
    }
    sqlite3_finalize(st);
    return 0;
fail_sql:
    db_fail_sql(db, err, errlen, "storing origin");
fail:
    sqlite3_finalize(st);
    return rc;
}

int eg_db_origin_put(eg_db_t *db, const char *dist, const eg_origin_t *o, int create, char *err,
                     size_t errlen)
{
    char detail[DB_DETAIL_MAX];
    eg_origin_t before, after;
    int r, rc = -1;
    if (eg_origin_validate(o, err, errlen) < 0)
        return -1;
    if (db_begin(db, err, errlen) < 0)
        return -1;
    if (db_dist_must_exist(db, dist, err, errlen) < 0)
        goto fail;
    if (!create && db_auditing(db) && eg_db_origin_get(db, dist, o->id, &before, err, errlen) < 0)
        goto fail;
    if ((rc = db_origin_write(db, dist, o, create, err, errlen)) < 0)
        goto fail;
    rc = -1;
    if (create) {
        eg_behavior_t def, existing;
        r = eg_db_behavior_get(db, dist, "*", &existing, err, errlen);
        if (r < 0)
            goto fail;
        if (r == 0) {
            memset(&def, 0, sizeof(def));
            eg_fields_defaults(eg_behavior_fields, eg_behavior_nfields, &def);
            strcpy(def.path_pattern, "*");
            snprintf(def.origin_id, sizeof(def.origin_id), "%s", o->id);
            if (db_behavior_insert(db, dist, &def, DEFAULT_PRECEDENCE, err, errlen) < 0)
                goto fail;
        }
    }
    if (db_auditing(db)) {
        if (eg_db_origin_get(db, dist, o->id, &after, err, errlen) != 1)
            goto fail;
        if (create)
            db_audit_settings(eg_origin_fields, eg_origin_nfields, &after, sizeof(after), detail,
                              sizeof(detail));
        else
            db_audit_changes(eg_origin_fields, eg_origin_nfields, &before, &after, detail,
                             sizeof(detail));
        if (db_audit(db, dist, create ? "origin.add" : "origin.update", o->id, detail, err,
                     errlen) < 0)
            goto fail;
    }
    if (db_commit(db, err, errlen) < 0)
        goto fail;
    return 0;
fail:
    db_rollback(db);
    return rc;
}

/* In one transaction, so no behavior can come to target the origin between the check and the
 * delete (the foreign key would refuse the delete then, with SQLite's words, not these). */
int eg_db_origin_rm(eg_db_t *db, const char *dist, const char *id, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    char users[512] = "", detail[DB_DETAIL_MAX], domain[EG_NAME_MAX];
    size_t used = 0;
    int n, rc;
    if (db_begin(db, err, errlen) < 0)
        return -1;
    st = db_prepare(db,
                    "SELECT path_pattern FROM behaviors WHERE dist_id = ? AND origin_id = ? "
                    "ORDER BY precedence",
                    err, errlen);
    if (st == NULL)
        goto fail;
    sqlite3_bind_text(st, 1, dist, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (used < sizeof(users))
            used += (size_t)snprintf(users + used, sizeof(users) - used, "%s%s", used ? ", " : "",
                                     (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        db_fail_sql(db, err, errlen, "reading behaviors");
        goto fail;
    }
    if (used) {
        eg_errf(err, errlen, "origin %s is the target of behavior(s) %s; point them elsewhere first",
                id, users);
        goto fail;
    }
    st = db_prepare(db, "SELECT domain FROM origins WHERE dist_id = ? AND id = ?", err, errlen);
    if (st == NULL)
        goto fail;
    sqlite3_bind_text(st, 1, dist, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    snprintf(domain, sizeof(domain), "%s",
             rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : "");
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        db_fail_sql(db, err, errlen, "reading origin");
        goto fail;
    }
    n = rc == SQLITE_ROW ? db_write_stmt(db, "DELETE FROM origins WHERE dist_id = ? AND id = ?",
                                         "removing origin", err, errlen, 2, dist, id)
                         : 0;
    if (n == 0)
        eg_errf(err, errlen, "no origin %s in distribution %s", id, dist);
    if (n <= 0)
        goto fail;
    if (db_auditing(db)) {
        snprintf(detail, sizeof(detail), "domain: %s", domain);
        if (db_audit(db, dist, "origin.rm", id, detail, err, errlen) < 0)
            goto fail;
    }
    if (db_commit(db, err, errlen) < 0)
        goto fail;
    return 0;
fail:
    db_rollback(db);
    return -1;
}

/* --- behaviors ------------------------------------------------------------------------ */

int eg_db_behavior_list(eg_db_t *db, const char *dist, eg_behavior_t **out, size_t *n, char *err,
                        size_t errlen)
{
    char cols[512], sql[1024];
    sqlite3_stmt *st;
    void *arr = NULL;
    int rc;
    if (db_dist_must_exist(db, dist, err, errlen) < 0)
        return -1; /* an empty list would read as "nothing there" */
    column_list(eg_behavior_fields, eg_behavior_nfields, cols, sizeof(cols), "");
    snprintf(sql, sizeof(sql),
             "SELECT %s, rev FROM behaviors WHERE dist_id = ? ORDER BY precedence", cols);
    if ((st = db_prepare(db, sql, err, errlen)) == NULL)
        return -1;
    sqlite3_bind_text(st, 1, dist, -1, SQLITE_STATIC);
    rc = select_rows(db, st, eg_behavior_fields, eg_behavior_nfields, sizeof(eg_behavior_t),
                     offsetof(eg_behavior_t, rev), &arr, n, err, errlen);
    sqlite3_finalize(st);
    *out = arr;
    /* precedence is not a settings field; number them by position */
    for (size_t i = 0; rc == 0 && i < *n; i++)
        (*out)[i].precedence = strcmp((*out)[i].path_pattern, "*") ? (int)i : DEFAULT_PRECEDENCE;
    return rc;
}

int eg_db_behavior_get(eg_db_t *db, const char *dist, const char *pattern, eg_behavior_t *out,
                       char *err, size_t errlen)
{
    eg_behavior_t *all = NULL;
    size_t n = 0;
    if (eg_db_behavior_list(db, dist, &all, &n, err, errlen) < 0)
        return -1;
    return pick(all, n, sizeof(*all), offsetof(eg_behavior_t, path_pattern), pattern, out);
}

static int behavior_error(eg_db_t *db, const char *dist, const eg_behavior_t *b, char *err,
                          size_t errlen)
{
    int ext = sqlite3_extended_errcode(db->sql);
    if (ext == SQLITE_CONSTRAINT_PRIMARYKEY)
        eg_errf(err, errlen, "a behavior with path pattern %s already exists in distribution %s",
                b->path_pattern, dist);
    else if (ext == SQLITE_CONSTRAINT_FOREIGNKEY)
        eg_errf(err, errlen, "no origin %s in distribution %s (egctl origin list shows them)",
                b->origin_id, dist);
    else
        db_fail_sql(db, err, errlen, "storing behavior");
    return -1;
}

int db_behavior_insert(eg_db_t *db, const char *dist, const eg_behavior_t *b, int precedence,
                       char *err, size_t errlen)
{
    char cols[512], qs[256], sql[1400];
    sqlite3_stmt *st;
    int idx, rc;
    if (eg_behavior_validate(b, err, errlen) < 0)
        return -1;
    column_list(eg_behavior_fields, eg_behavior_nfields, cols, sizeof(cols), "");
    placeholders(eg_behavior_fields, eg_behavior_nfields, 2, qs, sizeof(qs));
    snprintf(sql, sizeof(sql), "INSERT INTO behaviors (%s, dist_id, precedence) VALUES (%s)",
             cols, qs);
    if ((st = db_prepare(db, sql, err, errlen)) == NULL)
        return -1;
    idx = bind_fields(st, 1, eg_behavior_fields, eg_behavior_nfields, b);
    sqlite3_bind_text(st, idx, dist, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, idx + 1, precedence);
    rc = sqlite3_step(st) == SQLITE_DONE ? 0 : behavior_error(db, dist, b, err, errlen);
    sqlite3_finalize(st);
    return rc;
}

/* Rewrites precedences 0..n-1 in the order of patterns[] ("*" skipped). A row already in its
 * place is left alone, so an add or a move writes only the rows it shifts. */
static int renumber_patterns(eg_db_t *db, const char *dist, const char *const *patterns, size_t n,
                             char *err, size_t errlen)
{
    sqlite3_stmt *st = db_prepare(db,
                                  "UPDATE behaviors SET precedence = ?1 WHERE dist_id = ?2 AND "
                                  "path_pattern = ?3 AND precedence <> ?1",
                                  err, errlen);
    int pos = 0;
    if (st == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(patterns[i], "*") == 0)
            continue;
        sqlite3_reset(st);
        sqlite3_bind_int(st, 1, pos++);
        sqlite3_bind_text(st, 2, dist, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, patterns[i], -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) {
            sqlite3_finalize(st);
            return db_fail_sql(db, err, errlen, "reordering behaviors");
        }
    }
    sqlite3_finalize(st);
    return 0;
}

static int renumber(eg_db_t *db, const char *dist, const eg_behavior_t *order, size_t n, char *err,
                    size_t errlen)
{
    const char **patterns = eg_calloc(n, sizeof(*patterns));
    int rc;
    for (size_t i = 0; i < n; i++)
        patterns[i] = order[i].path_pattern;
    rc = renumber_patterns(db, dist, patterns, n, err, errlen);
    free(patterns);
    return rc;
}

int eg_db_behavior_add(eg_db_t *db, const char *dist, const eg_behavior_t *b, int at, char *err,
                       size_t errlen)
{
    eg_behavior_t *all = NULL, *order = NULL, added;
    size_t n = 0, nondef;
    char detail[DB_DETAIL_MAX], object[EG_PATH_MAX + 32];
    if (strcmp(b->path_pattern, "*") == 0) {
        eg_errf(err, errlen,
                "the default behavior (*) exists with the distribution's first origin; change it "
                "with: egctl behavior set '*' ...");
        return -1;
    }
    if (db_begin(db, err, errlen) < 0)
        return -1;
    if (db_dist_must_exist(db, dist, err, errlen) < 0)
        goto fail;
    if (eg_db_behavior_list(db, dist, &all, &n, err, errlen) < 0)
        goto fail;
    nondef = n ? n - 1 : 0; /* the default is last */
    if (n == 0) {
        eg_errf(err, errlen, "distribution %s has no origin yet; add one first (egctl origin add)",
                dist);
        goto fail;
    }
    if (at < 0 || (size_t)at > nondef)
        at = (int)nondef;
    if (db_behavior_insert(db, dist, b, -1, err, errlen) < 0)
        goto fail;
    order = eg_calloc(n + 1, sizeof(*order));
    memcpy(order, all, (size_t)at * sizeof(*order));
    order[at] = *b;
    memcpy(order + at + 1, all + at, (n - (size_t)at) * sizeof(*order));
    if (renumber(db, dist, order, n + 1, err, errlen) < 0)
        goto fail;
    if (db_auditing(db)) {
        if (eg_db_behavior_get(db, dist, b->path_pattern, &added, err, errlen) != 1)
            goto fail;
        db_audit_settings(eg_behavior_fields, eg_behavior_nfields, &added, sizeof(added), detail,
                          sizeof(detail));
        snprintf(object, sizeof(object), "%s", b->path_pattern);
        if (db_audit(db, dist, "behavior.add", object, detail, err, errlen) < 0)
            goto fail;
    }
    if (db_commit(db, err, errlen) < 0)
        goto fail;
    free(all);
    free(order);
    return 0;
fail:
    free(all);
    free(order);
    db_rollback(db);
    return -1;
}

int db_behavior_write(eg_db_t *db, const char *dist, const eg_behavior_t *b, char *err,
                      size_t errlen)
{
    char vals[512], sql[1200];
    sqlite3_stmt *st = NULL;
    eg_behavior_t now;
    int idx, r, rc = -1;
    if (eg_behavior_validate(b, err, errlen) < 0)
        return -1;
    column_list(eg_behavior_fields, eg_behavior_nfields, vals, sizeof(vals), " = ?");
    snprintf(sql, sizeof(sql),
             "UPDATE behaviors SET %s WHERE dist_id = ? AND path_pattern = ? AND "
             "(? = 0 OR rev = ?)",
             vals);
    if ((st = db_prepare(db, sql, err, errlen)) == NULL)
        return -1;
    idx = bind_fields(st, 1, eg_behavior_fields, eg_behavior_nfields, b);
    sqlite3_bind_text(st, idx, dist, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, idx + 1, b->path_pattern, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, idx + 2, b->rev);
    sqlite3_bind_int64(st, idx + 3, b->rev);
    if (sqlite3_step(st) != SQLITE_DONE) {
        behavior_error(db, dist, b, err, errlen);
        goto fail;
    }
    if (sqlite3_changes(db->sql) == 0) {
        if ((r = eg_db_behavior_get(db, dist, b->path_pattern, &now, err, errlen)) < 0)
            goto fail;
        if (r == 1)
            rc = conflict(err, errlen, "behavior", b->path_pattern);
        else
            eg_errf(err, errlen, "no behavior with path pattern %s in distribution %s",
                    b->path_pattern, dist);
        goto fail;
    }
    rc = 0;
fail:
    sqlite3_finalize(st);
    return rc;
}

int eg_db_behavior_update(eg_db_t *db, const char *dist, const eg_behavior_t *b, char *err,
                          size_t errlen)
{
    char detail[DB_DETAIL_MAX];
    eg_behavior_t before, after;
    int rc = -1;
    if (eg_behavior_validate(b, err, errlen) < 0)
        return -1;
    if (db_begin(db, err, errlen) < 0)
        return -1;
    if (db_auditing(db) && eg_db_behavior_get(db, dist, b->path_pattern, &before, err, errlen) < 0)
        goto fail;
    if ((rc = db_behavior_write(db, dist, b, err, errlen)) < 0)
        goto fail;
    rc = -1;
    if (db_auditing(db)) {
        if (eg_db_behavior_get(db, dist, b->path_pattern, &after, err, errlen) != 1)
            goto fail;
        db_audit_changes(eg_behavior_fields, eg_behavior_nfields, &before, &after, detail,
                         sizeof(detail));
        if (db_audit(db, dist, "behavior.update", b->path_pattern, detail, err, errlen) < 0)
            goto fail;
    }
    if (db_commit(db, err, errlen) < 0)
        goto fail;
    return 0;
fail:
    db_rollback(db);
    return rc;
}

int eg_db_behavior_move(eg_db_t *db, const char *dist, const char *pattern, int to, char *err,
                        size_t errlen)
{
    eg_behavior_t *all = NULL, moving;
    size_t n = 0, from = (size_t)-1, nondef;
    char detail[64];
    if (strcmp(pattern, "*") == 0) {
        eg_errf(err, errlen, "the default behavior (*) is always evaluated last; it cannot move");
        return -1;
    }
    if (db_begin(db, err, errlen) < 0)
        return -1;
    if (eg_db_behavior_list(db, dist, &all, &n, err, errlen) < 0)
        goto fail;
    for (size_t i = 0; i < n; i++)
        if (strcmp(all[i].path_pattern, pattern) == 0)
            from = i;
    if (from == (size_t)-1) {
        eg_errf(err, errlen, "no behavior with path pattern %s in distribution %s", pattern, dist);
        goto fail;
    }
    nondef = n - 1;
    if (to < 0 || (size_t)to >= nondef) {
        eg_errf(err, errlen, "--to must be from 0 to %zu (the default behavior stays last)",
                nondef - 1);
        goto fail;
    }
    moving = all[from];
    memmove(all + from, all + from + 1, (n - from - 1) * sizeof(*all));
    memmove(all + to + 1, all + to, (n - 1 - (size_t)to) * sizeof(*all));
    all[to] = moving;
    if (renumber(db, dist, all, n, err, errlen) < 0)
        goto fail;
    snprintf(detail, sizeof(detail), "position: %zu -> %d", from, to);
    if (db_audit(db, dist, "behavior.move", pattern, detail, err, errlen) < 0 ||
        db_commit(db, err, errlen) < 0)
        goto fail;
    free(all);
    return 0;
fail:
    free(all);
    db_rollback(db);
    return -1;
}

int eg_db_behavior_rm(eg_db_t *db, const char *dist, const char *pattern, char *err,
                      size_t errlen)
{
    eg_behavior_t *all = NULL, gone;
    size_t n = 0;
    char detail[EG_ID_MAX + 16];
    int r;
    if (strcmp(pattern, "*") == 0) {
        eg_errf(err, errlen, "the default behavior (*) cannot be deleted");
        return -1;
    }
    if (db_begin(db, err, errlen) < 0)
        return -1;
    r = db_auditing(db) ? eg_db_behavior_get(db, dist, pattern, &gone, err, errlen) : 1;
    if (r < 0)
        goto fail;
    if (r == 1)
        r = db_write_stmt(db, "DELETE FROM behaviors WHERE dist_id = ? AND path_pattern = ?",
                          "removing behavior", err, errlen, 2, dist, pattern);
    if (r == 0)
        eg_errf(err, errlen, "no behavior with path pattern %s in distribution %s", pattern, dist);
    if (r <= 0)
        goto fail;
    if (eg_db_behavior_list(db, dist, &all, &n, err, errlen) < 0 ||
        renumber(db, dist, all, n, err, errlen) < 0)
        goto fail;
    if (db_auditing(db)) {
        snprintf(detail, sizeof(detail), "origin: %s", gone.origin_id);
        if (db_audit(db, dist, "behavior.rm", pattern, detail, err, errlen) < 0)
            goto fail;
    }
    if (db_commit(db, err, errlen) < 0)
        goto fail;
    free(all);
    return 0;
fail:
    free(all);
    db_rollback(db);
    return -1;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Whether order holds each of base's n patterns once: sorted, both are the same list (and
 * base has no pattern twice). */
static int is_permutation(const char *const *base, const char *const *order, size_t n)
{
    const char **a = eg_calloc(n, sizeof(*a)), **b = eg_calloc(n, sizeof(*b));
    int same = 1;
    memcpy(a, base, n * sizeof(*a));
    memcpy(b, order, n * sizeof(*b));
    qsort(a, n, sizeof(*a), cmp_str);
    qsort(b, n, sizeof(*b), cmp_str);
    for (size_t i = 0; i < n && same; i++)
        same = strcmp(a[i], b[i]) == 0 && (i == 0 || strcmp(a[i - 1], a[i]) != 0);
    free(a);
    free(b);
    return same;
}

int eg_db_behavior_reorder(eg_db_t *db, const char *dist, const char *const *base,
                           const char *const *order, size_t n, char *err, size_t errlen)
{
    eg_behavior_t *all = NULL;
    size_t stored = 0, used = 0;
    char detail[DB_DETAIL_MAX], scratch[4 * DB_DETAIL_MAX];
    int rc = -1, same = 1;
    for (size_t i = 0; i < n; i++)
        if (strcmp(order[i], "*") == 0 || strcmp(base[i], "*") == 0) {
            eg_errf(err, errlen,
                    "the default behavior (*) is always evaluated last; it is not "
                    "part of the order");
            return -1;
        }
    if (!is_permutation(base, order, n)) {
        eg_errf(err, errlen,
                "the new order must hold each of the distribution's behaviors "
                "exactly once");
        return -1;
    }
    if (db_begin(db, err, errlen) < 0)
        return -1;
    if (eg_db_behavior_list(db, dist, &all, &stored, err, errlen) < 0)
        goto fail;
    /* the default "*" is the last one listed */
    if ((stored ? stored - 1 : 0) != n) {
        same = 0;
    } else {
        for (size_t i = 0; i < n && same; i++)
            same = strcmp(all[i].path_pattern, base[i]) == 0;
    }
    if (!same) {
        eg_errf(err, errlen,
                "the order of behaviors in distribution %s changed since you opened it (by "
                "another editor); nothing was saved",
                dist);
        rc = EG_DB_CONFLICT;
        goto fail;
    }
    for (size_t i = 0; i < n && same; i++)
        same = strcmp(base[i], order[i]) == 0;
    if (!same) {
        if (renumber_patterns(db, dist, order, n, err, errlen) < 0)
            goto fail;
        scratch[0] = '\0';
        for (size_t i = 0; i < n && used < sizeof(scratch); i++)
            used += (size_t)snprintf(scratch + used, sizeof(scratch) - used, "%s%s", i ? ", " : "",
                                     order[i]);
        db_audit_fit(detail, sizeof(detail), scratch);
        if (db_audit(db, dist, "behavior.reorder", "", detail, err, errlen) < 0)
            goto fail;
    }
    if (db_commit(db, err, errlen) < 0)
        goto fail;
    free(all);
    return 0;
fail:
    free(all);
    db_rollback(db);
    return rc;
}

/* --- the whole configuration, for the policy worker ----------------------------------- */

int eg_db_config_load(eg_db_t *db, eg_config_t **out, char *err, size_t errlen)
{
    eg_config_t *c = eg_calloc(1, sizeof(*c));
    eg_dist_info_t *infos = NULL;
    size_t n = 0;

    *out = NULL;
    /* one read transaction, so the snapshot is consistent */
    if (db_exec(db, "BEGIN", err, errlen) < 0)
        goto fail;
    if (eg_db_config_version(db, &c->version, err, errlen) < 0 ||
        eg_db_dist_list(db, &infos, &n, err, errlen) < 0)
        goto fail;
    c->dists = eg_calloc(n, sizeof(*c->dists));
    c->n_dists = n;
    for (size_t i = 0; i < n; i++) {
        eg_dist_t *d = &c->dists[i];
        d->info = infos[i];
        if (eg_db_origin_list(db, d->info.id, &d->origins, &d->n_origins, err, errlen) < 0 ||
            eg_db_behavior_list(db, d->info.id, &d->behaviors, &d->n_behaviors, err, errlen) < 0)
            goto fail;
    }
    db_exec(db, "COMMIT", NULL, 0);
    free(infos);
    eg_config_index(c);
    *out = c;
    return 0;
fail:
    db_rollback(db);
    free(infos);
    eg_config_free(c);
    return -1;
}

/* --- invalidations -------------------------------------------------------------------- */

int eg_db_invalidation_create(eg_db_t *db, const char *dist, const char *const *paths, size_t n,
                              const char *caller_reference, long long *id, char *err,
                              size_t errlen)
{
    sqlite3_stmt *st = NULL;
    if (db_begin(db, err, errlen) < 0)
        return -1;
    if (db_dist_must_exist(db, dist, err, errlen) < 0)
        goto fail;
    st = db_prepare(db,
                    "INSERT INTO invalidations (dist_id, caller_reference, created_at) "
                    "VALUES (?, ?, strftime('%s', 'now'))",
                    err, errlen);
    if (st == NULL)
        goto fail;
    sqlite3_bind_text(st, 1, dist, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, caller_reference, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) {
        if (sqlite3_extended_errcode(db->sql) == SQLITE_CONSTRAINT_UNIQUE)
            eg_errf(err, errlen, "caller reference %s was used already in distribution %s",
                    caller_reference, dist);
        else
            db_fail_sql(db, err, errlen, "storing invalidation");
        goto fail;
    }
    *id = sqlite3_last_insert_rowid(db->sql);
    sqlite3_finalize(st);
    st = db_prepare(db,
                    "INSERT OR IGNORE INTO invalidation_paths (invalidation_id, path) "
                    "VALUES (?, ?)",
                    err, errlen);
    if (st == NULL)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, *id);
        sqlite3_bind_text(st, 2, paths[i], -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) {
            db_fail_sql(db, err, errlen, "storing invalidation path");
            goto fail;
        }
    }
    sqlite3_finalize(st);
    st = NULL;
    if (db_auditing(db)) {
        char detail[DB_DETAIL_MAX], scratch[4 * DB_DETAIL_MAX], object[32];
        size_t used = 0;
        scratch[0] = '\0';
        for (size_t i = 0; i < n && used < sizeof(scratch); i++)
            used += (size_t)snprintf(scratch + used, sizeof(scratch) - used, "%s%s",
                                     i ? " " : "paths: ", paths[i]);
        db_audit_fit(detail, sizeof(detail), scratch);
        snprintf(object, sizeof(object), "%lld", *id);
        if (db_audit(db, dist, "invalidation.create", object, detail, err, errlen) < 0)
            goto fail;
    }
    return db_commit(db, err, errlen) < 0 ? (db_rollback(db), -1) : 0;
fail:
    sqlite3_finalize(st);
    db_rollback(db);
    return -1;
}

void eg_db_invalidations_free(eg_invalidation_t *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        for (size_t j = 0; j < v[i].n_paths; j++)
            free(v[i].paths[j]);
        free(v[i].paths);
    }
    free(v);
}

int eg_db_invalidation_list(eg_db_t *db, const char *dist, int pending_only,
                            eg_invalidation_t **out, size_t *n, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (dist && db_dist_must_exist(db, dist, err, errlen) < 0)
        return -1;
    st = db_prepare(db,
                    "SELECT i.id, i.dist_id, i.caller_reference, i.status, i.created_at, "
                    "ifnull(i.completed_at, 0), p.path FROM invalidations i "
                    "LEFT JOIN invalidation_paths p ON p.invalidation_id = i.id "
                    "WHERE (?1 IS NULL OR i.dist_id = ?1) AND (?2 = 0 OR i.status = 'InProgress') "
                    "ORDER BY i.id, p.path",
                    err, errlen);
    eg_invalidation_t *v = NULL;
    size_t cnt = 0, cap = 0;
    int rc;
    if (st == NULL)
        return -1;
    if (dist)
        sqlite3_bind_text(st, 1, dist, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, pending_only);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        long long id = sqlite3_column_int64(st, 0);
        eg_invalidation_t *cur;
        if (cnt == 0 || v[cnt - 1].id != id) {
            if (cnt == cap) {
                cap = cap ? cap * 2 : 8;
                v = eg_realloc(v, cap * sizeof(*v));
            }
            cur = &v[cnt++];
            memset(cur, 0, sizeof(*cur));
            cur->id = id;
            snprintf(cur->dist_id, sizeof(cur->dist_id), "%s", sqlite3_column_text(st, 1));
            snprintf(cur->caller_reference, sizeof(cur->caller_reference), "%s",
                     sqlite3_column_text(st, 2));
            snprintf(cur->status, sizeof(cur->status), "%s", sqlite3_column_text(st, 3));
            cur->created_at = sqlite3_column_int64(st, 4);
            cur->completed_at = sqlite3_column_int64(st, 5);
        }
        cur = &v[cnt - 1];
        if (sqlite3_column_type(st, 6) != SQLITE_NULL) {
            cur->paths = eg_realloc(cur->paths, (cur->n_paths + 1) * sizeof(char *));
            cur->paths[cur->n_paths++] = eg_strdup((const char *)sqlite3_column_text(st, 6));
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        eg_db_invalidations_free(v, cnt);
        return db_fail_sql(db, err, errlen, "reading invalidations");
    }
    *out = v;
    *n = cnt;
    return 0;
}

int eg_db_invalidation_complete(eg_db_t *db, long long id, char *err, size_t errlen)
{
    char idbuf[32];
    snprintf(idbuf, sizeof(idbuf), "%lld", id);
    return db_write_stmt(db,
                         "UPDATE invalidations SET status = 'Completed', "
                         "completed_at = strftime('%s', 'now') WHERE id = CAST(? AS INTEGER)",
                         "completing invalidation", err, errlen, 1, idbuf) < 0
               ? -1
               : 0;
}
