/* What the console (edgegate-admin) keeps beside the configuration: the audit of who changed
 * what (written by the configuration writes in db.c, in their own transactions), operators
 * and their sessions, and sign-in throttling. None of these tables bumps meta.config_version,
 * so a sign-in never makes the gateway reload. */
#include <limits.h>
#include <sqlite3.h>
#include <time.h>

#include "edgegate/buf.h"
#include "edgegate/common.h"
#include "edgegate/config.h"
#include "edgegate/db.h"
#include "db_int.h"

/* --- audit ---------------------------------------------------------------------------- */

void eg_db_set_actor(eg_db_t *db, const char *actor)
{
    /* an actor longer than eg_audit_t.actor holds is cut there, as it would be when read */
    snprintf(db->actor, sizeof(db->actor), "%s", actor ? actor : "");
}

int db_auditing(const eg_db_t *db)
{
    return db->actor[0] != '\0';
}

int db_audit(eg_db_t *db, const char *dist, const char *action, const char *object,
             const char *detail, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    char fitted[DB_DETAIL_MAX];
    int rc;
    if (!db_auditing(db))
        return 0;
    db_audit_fit(fitted, sizeof(fitted), detail ? detail : "");
    st = db_prepare(db,
                    "INSERT INTO audit (at, actor, dist_id, action, object, detail) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    err, errlen);
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL));
    sqlite3_bind_text(st, 2, db->actor, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, dist ? dist : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, action, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, object ? object : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, fitted, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_fail_sql(db, err, errlen, "recording the change in the audit");
    return 0;
}

void db_audit_fit(char *out, size_t len, const char *s)
{
    size_t n = strlen(s), cut;
    if (len == 0)
        return;
    if (n < len) {
        memcpy(out, s, n + 1);
        return;
    }
    if (len < 4) { /* no room for "...": never so in edgegate, but safe */
        out[0] = '\0';
        return;
    }
    cut = len - 4;
    /* back to the start of a UTF-8 sequence: continuation bytes are 10xxxxxx */
    while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
        cut--;
    memcpy(out, s, cut);
    memcpy(out + cut, "...", 4);
}

void db_audit_changes(const eg_field_t *f, size_t n, const void *before, const void *after,
                      char *out, size_t len)
{
    eg_buf_t b = {0};
    size_t changed = eg_fields_changes(f, n, before, after, &b);
    db_audit_fit(out, len, changed ? b.data : "no change");
    free(b.data);
}

void db_audit_settings(const eg_field_t *f, size_t n, const void *obj, size_t size, char *out,
                       size_t len)
{
    eg_buf_t b = {0};
    eg_fields_settings(f, n, obj, size, &b);
    db_audit_fit(out, len, b.data ? b.data : "");
    free(b.data);
}

static void column_copy(sqlite3_stmt *st, int col, char *out, size_t len)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    snprintf(out, len, "%s", t ? (const char *)t : "");
}

int eg_db_audit_list(eg_db_t *db, const char *dist, int limit, eg_audit_t **out, size_t *n,
                     char *err, size_t errlen)
{
    sqlite3_stmt *st;
    eg_audit_t *v = NULL;
    size_t cnt = 0, cap = 0;
    int rc;
    *out = NULL;
    *n = 0;
    st = db_prepare(db,
                    "SELECT id, at, actor, dist_id, action, object, detail FROM audit "
                    "WHERE ?1 IS NULL OR dist_id = ?1 ORDER BY id DESC LIMIT ?2",
                    err, errlen);
    if (st == NULL)
        return -1;
    if (dist)
        sqlite3_bind_text(st, 1, dist, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, limit <= 0 ? 100 : limit);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        eg_audit_t *a;
        if (cnt == cap) {
            cap = cap ? cap * 2 : 16;
            v = eg_realloc(v, cap * sizeof(*v));
        }
        a = &v[cnt++];
        memset(a, 0, sizeof(*a));
        a->id = sqlite3_column_int64(st, 0);
        a->at = sqlite3_column_int64(st, 1);
        column_copy(st, 2, a->actor, sizeof(a->actor));
        column_copy(st, 3, a->dist_id, sizeof(a->dist_id));
        column_copy(st, 4, a->action, sizeof(a->action));
        column_copy(st, 5, a->object, sizeof(a->object));
        column_copy(st, 6, a->detail, sizeof(a->detail));
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        free(v);
        return db_fail_sql(db, err, errlen, "reading the audit");
    }
    *out = v;
    *n = cnt;
    return 0;
}

/* --- users -------------------------------------------------------------------------- */

static int user_name_ok(const char *name, char *err, size_t errlen)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            len = 0;
    }
    if (len < 1 || len > EG_USER_MAX - 1) {
        eg_errf(err, errlen,
                "user name '%.*s%s' is not 1 to %d of letters, digits, '.', '_' and '-'",
                EG_USER_MAX, name, strlen(name) > EG_USER_MAX ? "..." : "", EG_USER_MAX - 1);
        return -1;
    }
    return 0;
}

int eg_db_user_put(eg_db_t *db, const char *name, const char *hash, int create, char *err,
                   size_t errlen)
{
    sqlite3_stmt *st = NULL;
    size_t hlen = strlen(hash);
    int rc;
    if (user_name_ok(name, err, errlen) < 0)
        return -1;
    if (hlen == 0 || hlen >= EG_HASH_MAX) {
        eg_errf(err, errlen, "the password hash must be 1 to %d bytes", EG_HASH_MAX - 1);
        return -1;
    }
    if (db_begin(db, err, errlen) < 0)
        return -1;
    st = db_prepare(db,
                    create ? "INSERT INTO users (name, hash, created_at) VALUES (?1, ?2, ?3)"
                           : "UPDATE users SET hash = ?2 WHERE name = ?1",
                    err, errlen);
    if (st == NULL)
        goto fail;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
    if (create)
        sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        if (sqlite3_extended_errcode(db->sql) == SQLITE_CONSTRAINT_PRIMARYKEY)
            eg_errf(err, errlen, "user %s already exists", name);
        else
            db_fail_sql(db, err, errlen, "storing user");
        goto fail;
    }
    if (!create && sqlite3_changes(db->sql) == 0) {
        eg_errf(err, errlen, "no user %s", name);
        goto fail;
    }
    /* a new password signs the user out everywhere: it is changed after a leak */
    if (!create && db_write_stmt(db, "DELETE FROM sessions WHERE user = ?", "removing sessions",
                                 err, errlen, 1, name) < 0)
        goto fail;
    /* never the hash: the audit is read by every operator */
    if (db_audit(db, NULL, create ? "user.add" : "user.passwd", name,
                 create ? "user added" : "password changed", err, errlen) < 0 ||
        db_commit(db, err, errlen) < 0)
        goto fail;
    return 0;
fail:
    db_rollback(db);
    return -1;
}

int eg_db_user_get(eg_db_t *db, const char *name, char *hash, size_t hashlen, char *err,
                   size_t errlen)
{
    sqlite3_stmt *st = db_prepare(db, "SELECT hash FROM users WHERE name = ?", err, errlen);
    int rc;
    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const unsigned char *h = sqlite3_column_text(st, 0);
        if (hashlen)
            snprintf(hash, hashlen, "%s", h ? (const char *)h : "");
        sqlite3_finalize(st);
        return 1;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_fail_sql(db, err, errlen, "reading user");
    if (hashlen)
        hash[0] = '\0';
    return 0;
}

int eg_db_user_rm(eg_db_t *db, const char *name, char *err, size_t errlen)
{
    int n;
    if (db_begin(db, err, errlen) < 0)
        return -1;
    /* the foreign key cascades too; this does not depend on PRAGMA foreign_keys */
    if (db_write_stmt(db, "DELETE FROM sessions WHERE user = ?", "removing sessions", err, errlen,
                      1, name) < 0)
        goto fail;
    n = db_write_stmt(db, "DELETE FROM users WHERE name = ?", "removing user", err, errlen, 1,
                      name);
    if (n == 0)
        eg_errf(err, errlen, "no user %s", name);
    if (n <= 0)
        goto fail;
    if (db_audit(db, NULL, "user.rm", name, "user removed with their sessions", err, errlen) < 0 ||
        db_commit(db, err, errlen) < 0)
        goto fail;
    return 0;
fail:
    db_rollback(db);
    return -1;
}

int eg_db_user_list(eg_db_t *db, char (**out)[EG_USER_MAX], size_t *n, char *err, size_t errlen)
{
    sqlite3_stmt *st = db_prepare(db, "SELECT name FROM users ORDER BY name", err, errlen);
    char(*v)[EG_USER_MAX] = NULL;
    size_t cnt = 0, cap = 0;
    int rc;
    *out = NULL;
    *n = 0;
    if (st == NULL)
        return -1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (cnt == cap) {
            cap = cap ? cap * 2 : 16;
            v = eg_realloc(v, cap * sizeof(*v));
        }
        column_copy(st, 0, v[cnt++], EG_USER_MAX);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        free(v);
        return db_fail_sql(db, err, errlen, "reading users");
    }
    *out = v;
    *n = cnt;
    return 0;
}

/* --- sessions ----------------------------------------------------------------------- */

int eg_db_session_create(eg_db_t *db, const char *token_digest, const char *user, const char *csrf,
                         long long expires, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    long long now = (long long)time(NULL);
    int rc;
    if (*token_digest == '\0' || strlen(token_digest) >= EG_HASH_MAX || *csrf == '\0' ||
        strlen(csrf) >= EG_HASH_MAX) {
        eg_errf(err, errlen, "a session's token digest and CSRF token must be 1 to %d bytes",
                EG_HASH_MAX - 1);
        return -1;
    }
    if (db_begin(db, err, errlen) < 0)
        return -1;
    /* sessions nobody signed out of would otherwise stay for ever */
    st = db_prepare(db, "DELETE FROM sessions WHERE expires_at <= ?", err, errlen);
    if (st == NULL)
        goto fail;
    sqlite3_bind_int64(st, 1, now);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        db_fail_sql(db, err, errlen, "removing expired sessions");
        goto fail;
    }
    st = db_prepare(db,
                    "INSERT INTO sessions (token_digest, user, csrf, created_at, expires_at) "
                    "SELECT ?1, name, ?3, ?4, ?5 FROM users WHERE name = ?2",
                    err, errlen);
    if (st == NULL)
        goto fail;
    sqlite3_bind_text(st, 1, token_digest, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, user, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, csrf, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, now);
    sqlite3_bind_int64(st, 5, expires);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        if (sqlite3_extended_errcode(db->sql) == SQLITE_CONSTRAINT_PRIMARYKEY)
            eg_errf(err, errlen, "a session with this token exists already");
        else
            db_fail_sql(db, err, errlen, "storing session");
        goto fail;
    }
    if (sqlite3_changes(db->sql) == 0) {
        eg_errf(err, errlen, "no user %s", user);
        goto fail;
    }
    if (db_commit(db, err, errlen) < 0)
        goto fail;
    return 0;
fail:
    db_rollback(db);
    return -1;
}

int eg_db_session_get(eg_db_t *db, const char *token_digest, long long now, char user[EG_USER_MAX],
                      char csrf[EG_HASH_MAX], char *err, size_t errlen)
{
    sqlite3_stmt *st = db_prepare(
        db, "SELECT user, csrf, expires_at FROM sessions WHERE token_digest = ?", err, errlen);
    long long expires;
    int rc;
    user[0] = csrf[0] = '\0';
    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, token_digest, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        return rc == SQLITE_DONE ? 0 : db_fail_sql(db, err, errlen, "reading session");
    }
    expires = sqlite3_column_int64(st, 2);
    if (now < expires) {
        column_copy(st, 0, user, EG_USER_MAX);
        column_copy(st, 1, csrf, EG_HASH_MAX);
        sqlite3_finalize(st);
        return 1;
    }
    sqlite3_finalize(st);
    /* expired: unknown from now on. The answer is 0 whether or not the row could be removed
     * (a read-only database), so the removal's own failure is not this call's; the next
     * session created removes it anyway. */
    (void)db_write_stmt(db, "DELETE FROM sessions WHERE token_digest = ?", "removing session", NULL,
                        0, 1, token_digest);
    return 0;
}

int eg_db_session_rm(eg_db_t *db, const char *token_digest, char *err, size_t errlen)
{
    return db_write_stmt(db, "DELETE FROM sessions WHERE token_digest = ?", "removing session", err,
                         errlen, 1, token_digest) < 0
               ? -1
               : 0;
}

/* --- sign-in throttling ------------------------------------------------------------- */

/* Failures before the first wait, the longest wait, and how long a key that stopped failing
 * is remembered (its count then starts again). */
#define THROTTLE_FREE 3
#define THROTTLE_MAX_WAIT 60
#define THROTTLE_FORGET 3600

/* Seconds to wait after the failures-th failure: none for the first THROTTLE_FREE, then 1, 2,
 * 4 ... up to THROTTLE_MAX_WAIT. */
static long long throttle_wait(long long failures)
{
    long long k = failures - THROTTLE_FREE;
    if (k <= 0)
        return 0;
    if (k > 7) /* 2^6 = 64 is past the cap already */
        return THROTTLE_MAX_WAIT;
    return (1LL << (k - 1)) < THROTTLE_MAX_WAIT ? 1LL << (k - 1) : THROTTLE_MAX_WAIT;
}

static int key_ok(const char *key, char *err, size_t errlen)
{
    if (*key == '\0' || strlen(key) > 300) {
        eg_errf(err, errlen, "a sign-in throttling key must be 1 to 300 bytes");
        return -1;
    }
    return 0;
}

/* The wait key's row asks for now (0: none). */
static int waiting(eg_db_t *db, const char *key, long long now, int *wait, char *err,
                   size_t errlen)
{
    sqlite3_stmt *st;
    int rc;
    *wait = 0;
    if (key_ok(key, err, errlen) < 0)
        return -1;
    st = db_prepare(db, "SELECT next_at FROM login_throttle WHERE key = ?", err, errlen);
    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        long long left = sqlite3_column_int64(st, 0) - now;
        /* never more than the longest wait, whatever a clock set back left in the row */
        *wait = left <= 0 ? 0 : left > THROTTLE_MAX_WAIT ? THROTTLE_MAX_WAIT : (int)left;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_fail_sql(db, err, errlen, "reading sign-in throttling");
    return 0;
}

/* Counts one failure for key, inside the caller's transaction. */
static int record(eg_db_t *db, const char *key, long long now, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    long long failures = 0;
    int rc;
    if (key_ok(key, err, errlen) < 0)
        return -1;
    /* keys that stopped failing long ago: forgotten, so the table holds only recent ones */
    st = db_prepare(db, "DELETE FROM login_throttle WHERE next_at < ?", err, errlen);
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, now - THROTTLE_FORGET);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_fail_sql(db, err, errlen, "removing old sign-in throttling");
    st = db_prepare(db, "SELECT failures FROM login_throttle WHERE key = ?", err, errlen);
    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        failures = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_fail_sql(db, err, errlen, "reading sign-in throttling");
    if (failures < INT_MAX)
        failures++;
    st = db_prepare(db,
                    "INSERT OR REPLACE INTO login_throttle (key, failures, next_at) "
                    "VALUES (?, ?, ?)",
                    err, errlen);
    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, failures);
    sqlite3_bind_int64(st, 3, now + throttle_wait(failures));
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_fail_sql(db, err, errlen, "storing sign-in throttling");
    return 0;
}

int eg_db_login_check(eg_db_t *db, const char *key, long long now, int *wait, char *err,
                      size_t errlen)
{
    return waiting(db, key, now, wait, err, errlen);
}

int eg_db_login_failed(eg_db_t *db, const char *key, long long now, char *err, size_t errlen)
{
    if (db_begin(db, err, errlen) < 0)
        return -1;
    if (record(db, key, now, err, errlen) < 0 || db_commit(db, err, errlen) < 0) {
        db_rollback(db);
        return -1;
    }
    return 0;
}

int eg_db_login_attempt(eg_db_t *db, const char *const *keys, size_t n, long long now,
                        int *wait, char *err, size_t errlen)
{
    *wait = 0;
    if (db_begin(db, err, errlen) < 0) /* BEGIN IMMEDIATE: one worker at a time */
        return -1;
    for (size_t i = 0; i < n; i++) {
        int w;
        if (waiting(db, keys[i], now, &w, err, errlen) < 0)
            goto fail;
        if (w > *wait)
            *wait = w;
    }
    for (size_t i = 0; i < n && *wait == 0; i++)
        if (record(db, keys[i], now, err, errlen) < 0)
            goto fail;
    if (db_commit(db, err, errlen) < 0)
        goto fail;
    return 0;
fail:
    db_rollback(db);
    return -1;
}

int eg_db_login_succeeded(eg_db_t *db, const char *key, char *err, size_t errlen)
{
    if (key_ok(key, err, errlen) < 0)
        return -1;
    return db_write_stmt(db, "DELETE FROM login_throttle WHERE key = ?",
                         "removing sign-in throttling", err, errlen, 1, key) < 0
               ? -1
               : 0;
}
