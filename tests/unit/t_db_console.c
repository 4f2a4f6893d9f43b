/* What db/ keeps for the console, against a real SQLite file: migration 004 on a fresh
 * database and on one of version 3, row revisions (a second editor is refused, not
 * overwriting), the order of behaviors, the audit, users, sessions, sign-in throttling, and
 * that none of the console's own writes makes the gateway reload (meta.config_version). */
#include <sqlite3.h>
#include <sys/stat.h>
#include <time.h>

#include "edgegate/common.h"
#include "edgegate/config.h"
#include "edgegate/db.h"
#include "migrations.h"
#include "tap.h"

static char dir[] = "/tmp/eg-t_db_console-XXXXXX";
static char err[512];

static eg_db_t *open_new(const char *name)
{
    char path[256];
    eg_db_t *db = NULL;
    eg_dist_info_t d;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (eg_db_open(path, EG_DB_CREATE, &db, err, sizeof(err)) < 0) {
        printf("# open %s: %s\n", path, err);
        return NULL;
    }
    memset(&d, 0, sizeof(d));
    eg_fields_defaults(eg_dist_fields, eg_dist_nfields, &d);
    strcpy(d.id, "default");
    if (eg_db_dist_put(db, &d, 1, err, sizeof(err)) < 0)
        printf("# default distribution: %s\n", err);
    return db;
}

static long long config_version(eg_db_t *db)
{
    long long v = -1;
    if (eg_db_config_version(db, &v, err, sizeof(err)) < 0)
        printf("# config_version: %s\n", err);
    return v;
}

static int add_origin(eg_db_t *db, const char *id)
{
    eg_origin_t o;
    memset(&o, 0, sizeof(o));
    eg_fields_defaults(eg_origin_fields, eg_origin_nfields, &o);
    snprintf(o.id, sizeof(o.id), "%s", id);
    snprintf(o.domain, sizeof(o.domain), "%s.example", id);
    return eg_db_origin_put(db, "default", &o, 1, err, sizeof(err));
}

static int add_behavior(eg_db_t *db, const char *pattern, const char *origin)
{
    eg_behavior_t b;
    memset(&b, 0, sizeof(b));
    eg_fields_defaults(eg_behavior_fields, eg_behavior_nfields, &b);
    snprintf(b.path_pattern, sizeof(b.path_pattern), "%s", pattern);
    snprintf(b.origin_id, sizeof(b.origin_id), "%s", origin);
    return eg_db_behavior_add(db, "default", &b, -1, err, sizeof(err));
}

/* The patterns in evaluation order, joined by spaces. */
static const char *order_of(eg_db_t *db, char *buf, size_t len)
{
    eg_behavior_t *all = NULL;
    size_t n = 0, used = 0;
    buf[0] = '\0';
    if (eg_db_behavior_list(db, "default", &all, &n, err, sizeof(err)) < 0)
        return "(error)";
    for (size_t i = 0; i < n; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? " " : "",
                                 all[i].path_pattern);
    free(all);
    return buf;
}

static size_t audit_count(eg_db_t *db, const char *dist)
{
    eg_audit_t *v = NULL;
    size_t n = 0;
    if (eg_db_audit_list(db, dist, 1000, &v, &n, err, sizeof(err)) < 0)
        printf("# audit: %s\n", err);
    free(v);
    return n;
}

/* The newest audit row of dist (NULL: of all). */
static int newest(eg_db_t *db, const char *dist, eg_audit_t *out)
{
    eg_audit_t *v = NULL;
    size_t n = 0;
    int found = eg_db_audit_list(db, dist, 1, &v, &n, err, sizeof(err)) == 0 && n == 1;
    if (found)
        *out = v[0];
    free(v);
    return found;
}

static void migrations(void)
{
    char path[256];
    sqlite3 *sql = NULL;
    eg_db_t *db;
    eg_origin_t o;
    eg_dist_info_t d;
    int ok_sql = 1;

    db = open_new("fresh.db");
    ok(db != NULL, "a fresh database is created: %s", db ? "" : err);
    if (db == NULL)
        return;
    is_int(eg_db_schema_version(db), eg_db_latest_schema_version(),
           "it is at the latest schema version");
    is_int(eg_db_latest_schema_version(), 4, "which is 4 (migration 004_console)");
    ok(eg_db_dist_get(db, "default", &d, err, sizeof(err)) == 1 && d.rev > 1,
       "a new distribution's rev is new (above the 1 rows older than revisions keep), and "
       "the generation set after the insert does not bump it");
    eg_db_close(db);

    /* a database an edgegate of schema version 3 left, with rows in it */
    snprintf(path, sizeof(path), "%s/v3.db", dir);
    ok_sql = sqlite3_open(path, &sql) == SQLITE_OK;
    for (int v = 0; ok_sql && v < 3; v++)
        ok_sql = sqlite3_exec(sql, eg_db_migrations[v], NULL, NULL, NULL) == SQLITE_OK;
    ok_sql = ok_sql &&
             sqlite3_exec(sql,
                          "PRAGMA user_version = 3;"
                          "INSERT INTO distributions (id, comment) VALUES ('default', 'old');"
                          "INSERT INTO origins (dist_id, id, domain) VALUES ('default', 'web', "
                          "'web.example');"
                          "INSERT INTO behaviors (dist_id, path_pattern, precedence, origin_id) "
                          "VALUES ('default', '*', 2147483647, 'web');",
                          NULL, NULL, NULL) == SQLITE_OK;
    if (!ok_sql)
        printf("# sqlite: %s\n", sqlite3_errmsg(sql));
    sqlite3_close(sql);
    ok(ok_sql, "a database of schema version 3 with a distribution, an origin and a behavior");
    db = NULL;
    ok(eg_db_open(path, 0, &db, err, sizeof(err)) == 0, "is opened (and migrated): %s",
       db ? "" : err);
    if (db == NULL)
        return;
    is_int(eg_db_schema_version(db), eg_db_latest_schema_version(), "  to the latest version");
    ok(eg_db_origin_get(db, "default", "web", &o, err, sizeof(err)) == 1 &&
           !strcmp(o.domain, "web.example") && o.rev == 1,
       "  its rows are kept, each at rev 1");
    ok(eg_db_dist_get(db, "default", &d, err, sizeof(err)) == 1 && !strcmp(d.comment, "old") &&
           d.rev == 1,
       "  the distribution too");
    ok(eg_db_user_put(db, "alice", "$scrypt$x", 1, err, sizeof(err)) == 0 &&
           audit_count(db, NULL) == 0,
       "  and it has the console's tables: %s", err);
    eg_db_close(db);
}

static void revisions(eg_db_t *db)
{
    eg_origin_t a, b, now;
    eg_behavior_t ba, bb, bnow;
    eg_dist_info_t da, dd, dnow;
    long long v;

    ok(add_origin(db, "web") == 0, "origin web added: %s", err);
    ok(eg_db_origin_get(db, "default", "web", &a, err, sizeof(err)) == 1 && a.rev > 1,
       "a new origin's rev is new");
    b = a; /* a second editor opened it too */
    a.protocol = EG_OPP_HTTPS_ONLY;
    v = config_version(db);
    is_int(eg_db_origin_put(db, "default", &a, 0, err, sizeof(err)), 0,
           "the first editor's change is saved");
    ok(config_version(db) > v, "  and bumps config_version (the gateway sees it)");
    b.http_port = 8080;
    err[0] = '\0';
    is_int(eg_db_origin_put(db, "default", &b, 0, err, sizeof(err)), EG_DB_CONFLICT,
           "the second editor's, from the same revision, is refused: EG_DB_CONFLICT");
    ok(strstr(err, "origin web changed since you opened it") != NULL, "  saying so: %s", err);
    ok(eg_db_origin_get(db, "default", "web", &now, err, sizeof(err)) == 1 &&
           now.protocol == EG_OPP_HTTPS_ONLY && now.http_port == 80 && now.rev > a.rev,
       "  and nothing of it was written (a newer rev, the first change kept)");
    a = now;
    b.rev = 0;
    is_int(eg_db_origin_put(db, "default", &b, 0, err, sizeof(err)), 0,
           "rev 0 writes unconditionally (as before revisions): %s", err);
    ok(eg_db_origin_get(db, "default", "web", &now, err, sizeof(err)) == 1 &&
           now.http_port == 8080 && now.protocol == EG_OPP_HTTP_ONLY && now.rev > a.rev,
       "  the whole row, a newer rev again");
    b = now;
    b.rev = 99;
    strcpy(b.id, "nosuch");
    ok(eg_db_origin_put(db, "default", &b, 0, err, sizeof(err)) == -1 &&
           strstr(err, "no origin nosuch"),
       "an update of a missing origin is -1, not a conflict: %s", err);

    ok(add_behavior(db, "/img/*", "web") == 0, "behavior /img/* added: %s", err);
    ok(eg_db_behavior_get(db, "default", "/img/*", &ba, err, sizeof(err)) == 1 && ba.rev > 1,
       "its rev is new");
    bb = ba;
    ba.min_ttl = 5;
    is_int(eg_db_behavior_update(db, "default", &ba, err, sizeof(err)), 0,
           "behavior: the first editor's change is saved");
    bb.viewer_protocol = EG_VPP_HTTPS_ONLY;
    is_int(eg_db_behavior_update(db, "default", &bb, err, sizeof(err)), EG_DB_CONFLICT,
           "behavior: the second editor's is refused");
    ok(strstr(err, "behavior /img/* changed since you opened it") != NULL, "  saying so: %s",
       err);
    ok(eg_db_behavior_get(db, "default", "/img/*", &bnow, err, sizeof(err)) == 1 &&
           bnow.min_ttl == 5 && bnow.viewer_protocol == EG_VPP_ALLOW_ALL && bnow.rev > ba.rev,
       "  and nothing of it was written");
    bb.rev = 0;
    ok(eg_db_behavior_update(db, "default", &bb, err, sizeof(err)) == 0 &&
           eg_db_behavior_get(db, "default", "/img/*", &bnow, err, sizeof(err)) == 1 &&
           bnow.viewer_protocol == EG_VPP_HTTPS_ONLY && bnow.min_ttl == 0,
       "behavior: rev 0 writes unconditionally");
    strcpy(bb.path_pattern, "/nosuch");
    bb.rev = ba.rev;
    ok(eg_db_behavior_update(db, "default", &bb, err, sizeof(err)) == -1 &&
           strstr(err, "no behavior with path pattern /nosuch"),
       "behavior: an update of a missing one is -1: %s", err);

    ok(eg_db_dist_get(db, "default", &da, err, sizeof(err)) == 1, "the distribution, read");
    dd = da;
    strcpy(da.comment, "first");
    is_int(eg_db_dist_put(db, &da, 0, err, sizeof(err)), 0,
           "distribution: the first editor's change is saved");
    strcpy(dd.aliases, "shop.example");
    is_int(eg_db_dist_put(db, &dd, 0, err, sizeof(err)), EG_DB_CONFLICT,
           "distribution: the second editor's is refused");
    ok(strstr(err, "distribution default changed since you opened it") != NULL,
       "  saying so: %s", err);
    ok(eg_db_dist_get(db, "default", &dnow, err, sizeof(err)) == 1 &&
           !strcmp(dnow.comment, "first") && dnow.aliases[0] == '\0' && dnow.rev > da.rev,
       "  and nothing of it was written, not even its aliases");
    dd.rev = 0;
    ok(eg_db_dist_put(db, &dd, 0, err, sizeof(err)) == 0 &&
           eg_db_dist_get(db, "default", &dnow, err, sizeof(err)) == 1 &&
           !strcmp(dnow.aliases, "shop.example"),
       "distribution: rev 0 writes unconditionally");
}

static void reorder(eg_db_t *db)
{
    const char *base[] = {"/img/*", "/a", "/b"};
    const char *order[] = {"/b", "/img/*", "/a"};
    const char *twice[] = {"/b", "/b", "/a"};
    const char *other[] = {"/b", "/x", "/a"};
    const char *star[] = {"/b", "*", "/a"};
    char buf[256];
    eg_behavior_t before, after;
    long long v;

    ok(add_behavior(db, "/a", "web") == 0 && add_behavior(db, "/b", "web") == 0,
       "behaviors /a and /b added: %s", err);
    is_str(order_of(db, buf, sizeof(buf)), "/img/* /a /b *", "in the order added, * last");
    eg_db_behavior_get(db, "default", "/img/*", &before, err, sizeof(err));
    v = config_version(db);
    is_int(eg_db_behavior_reorder(db, "default", base, order, 3, err, sizeof(err)), 0,
           "reordered from the order the editor saw: %s", err);
    is_str(order_of(db, buf, sizeof(buf)), "/b /img/* /a *", "  to the new order, * still last");
    ok(config_version(db) > v, "  which bumps config_version");
    ok(eg_db_behavior_get(db, "default", "/img/*", &after, err, sizeof(err)) == 1 &&
           after.rev == before.rev && after.precedence == 1,
       "  a moved behavior keeps its rev (its settings did not change)");
    is_int(eg_db_behavior_reorder(db, "default", base, base, 3, err, sizeof(err)),
           EG_DB_CONFLICT, "a reorder from an order no longer stored is EG_DB_CONFLICT");
    ok(strstr(err, "changed since you opened it") != NULL, "  saying so: %s", err);
    is_str(order_of(db, buf, sizeof(buf)), "/b /img/* /a *", "  and changes nothing");
    {
        const char *part[] = {"/b", "/img/*"}, *swapped[] = {"/img/*", "/b"};
        is_int(eg_db_behavior_reorder(db, "default", part, swapped, 2, err, sizeof(err)),
               EG_DB_CONFLICT, "a base missing a behavior is a conflict too");
    }
    is_int(eg_db_behavior_reorder(db, "default", order, twice, 3, err, sizeof(err)), -1,
           "an order naming one twice is refused (-1): %s", err);
    is_int(eg_db_behavior_reorder(db, "default", order, other, 3, err, sizeof(err)), -1,
           "an order naming one not in base is refused (-1)");
    is_int(eg_db_behavior_reorder(db, "default", order, star, 3, err, sizeof(err)), -1,
           "an order holding the default * is refused (-1): %s", err);
    is_str(order_of(db, buf, sizeof(buf)), "/b /img/* /a *", "  none of them changed anything");
    ok(eg_db_behavior_reorder(db, "default", order, base, 3, err, sizeof(err)) == 0,
       "back to the first order");
    is_str(order_of(db, buf, sizeof(buf)), "/img/* /a /b *", "  as asked");
    ok(eg_db_behavior_reorder(db, "nosuch", base, order, 3, err, sizeof(err)) == -1 &&
           strstr(err, "no distribution nosuch"),
       "a distribution that does not exist: -1 (%s)", err);
}

static void audit(eg_db_t *db)
{
    eg_origin_t o;
    eg_audit_t a;
    eg_dist_info_t d;
    const char *paths[] = {"/a.txt", "/img/*"};
    long long id;
    size_t before = audit_count(db, NULL);

    is_int(before, 0, "nothing was audited while no actor was set");
    eg_db_set_actor(db, "unix:tester");
    eg_db_origin_get(db, "default", "web", &o, err, sizeof(err));
    o.protocol = EG_OPP_HTTPS_ONLY;
    o.https_port = 8443;
    ok(eg_db_origin_put(db, "default", &o, 0, err, sizeof(err)) == 0, "with an actor, an update");
    ok(newest(db, "default", &a) && !strcmp(a.actor, "unix:tester") &&
           !strcmp(a.action, "origin.update") && !strcmp(a.object, "web") &&
           !strcmp(a.dist_id, "default") && a.at > 0 && llabs(a.at - time(NULL)) < 60,
       "  is recorded: who, what, where, when (%s %s %s)", a.actor, a.action, a.object);
    is_str(a.detail, "protocol: http-only -> https-only; https-port: 443 -> 8443",
           "  with what changed, in words");
    eg_db_origin_get(db, "default", "web", &o, err, sizeof(err));
    ok(eg_db_origin_put(db, "default", &o, 0, err, sizeof(err)) == 0 && newest(db, NULL, &a) &&
           !strcmp(a.detail, "no change"),
       "an update that changes nothing says so: %s", a.detail);
    ok(add_behavior(db, "/new/*", "web") == 0 && newest(db, "default", &a) &&
           !strcmp(a.action, "behavior.add") && !strcmp(a.object, "/new/*") &&
           strstr(a.detail, "pattern: /new/*") && strstr(a.detail, "origin: web"),
       "an add names what it added: %s", a.detail);
    ok(eg_db_behavior_move(db, "default", "/new/*", 0, err, sizeof(err)) == 0 &&
           newest(db, NULL, &a) && !strcmp(a.action, "behavior.move") &&
           !strcmp(a.detail, "position: 3 -> 0"),
       "a move: %s", a.detail);
    ok(eg_db_behavior_rm(db, "default", "/new/*", err, sizeof(err)) == 0 &&
           newest(db, NULL, &a) && !strcmp(a.action, "behavior.rm") &&
           !strcmp(a.object, "/new/*"),
       "a removal");
    ok(eg_db_invalidation_create(db, "default", paths, 2, "ref-1", &id, err, sizeof(err)) == 0 &&
           newest(db, NULL, &a) && !strcmp(a.action, "invalidation.create") &&
           !strcmp(a.detail, "paths: /a.txt /img/*"),
       "an invalidation names its paths: %s", a.detail);
    ok(eg_db_user_put(db, "bob", "$scrypt$secret-hash", 1, err, sizeof(err)) == 0 &&
           newest(db, NULL, &a) && !strcmp(a.action, "user.add") && !strcmp(a.object, "bob") &&
           a.dist_id[0] == '\0' && strstr(a.detail, "secret") == NULL,
       "a user added is recorded outside any distribution, without the hash");
    ok(newest(db, "default", &a) && strcmp(a.action, "user.add") != 0,
       "  so a distribution's audit does not list it");
    ok(eg_db_user_rm(db, "bob", err, sizeof(err)) == 0, "bob removed");

    /* a detail longer than the column holds is cut, at a character: the comment's first é
     * starts at byte 507, the last one a naive cut to 508 + "..." would keep */
    eg_db_dist_get(db, "default", &d, err, sizeof(err));
    snprintf(d.aliases, sizeof(d.aliases),
             "a1234567890123456789012345678901234567890.example,"
             "b1234567890123456789012345678901234567890.example,"
             "c1234567890123456789012345678901234567890.example,"
             "d1234567890123456789012345678901234567890.example,"
             "e1234567890123456789012345678901234567890.example");
    {
        size_t prefix = strlen("aliases: shop.example -> ") + strlen(d.aliases) +
                        strlen("; comment: \"\" -> "),
               k = 507 - prefix;
        memset(d.comment, 'c', k);
        strcpy(d.comment + k, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
    }
    ok(eg_db_dist_put(db, &d, 0, err, sizeof(err)) == 0, "a long change saved: %s", err);
    ok(newest(db, NULL, &a), "  and recorded");
    ok(strlen(a.detail) <= 511 && strlen(a.detail) > 400 &&
           !strcmp(a.detail + strlen(a.detail) - 3, "..."),
       "  its detail is cut to fit (%zu bytes), ending in ...", strlen(a.detail));
    ok(strlen(a.detail) == 510 && a.detail[506] == 'c',
       "  never inside a UTF-8 sequence (cut before the é, at 507 bytes + ...)");

    eg_db_set_actor(db, NULL);
    before = audit_count(db, NULL);
    eg_db_origin_get(db, "default", "web", &o, err, sizeof(err));
    o.https_port = 443;
    ok(eg_db_origin_put(db, "default", &o, 0, err, sizeof(err)) == 0 &&
           audit_count(db, NULL) == before,
       "with the actor unset again, nothing is recorded");
    ok(audit_count(db, "nosuch") == 0, "a distribution's audit holds only its own rows");
    {
        eg_audit_t *v = NULL;
        size_t n = 0;
        ok(eg_db_audit_list(db, NULL, 2, &v, &n, err, sizeof(err)) == 0 && n == 2 &&
               v[0].id > v[1].id,
           "at most limit rows, newest first");
        free(v);
    }
    eg_db_set_actor(db, "unix:tester");
}

static void users_and_sessions(eg_db_t *db)
{
    char hash[EG_HASH_MAX], user[EG_USER_MAX], csrf[EG_HASH_MAX];
    char(*names)[EG_USER_MAX] = NULL;
    size_t n = 0;
    long long now = (long long)time(NULL), v = config_version(db);

    ok(eg_db_user_put(db, "carol", "$scrypt$one", 1, err, sizeof(err)) == 0, "user carol added");
    ok(eg_db_user_put(db, "carol", "$scrypt$two", 1, err, sizeof(err)) == -1 &&
           strstr(err, "already exists"),
       "added twice: -1 (%s)", err);
    ok(eg_db_user_get(db, "carol", hash, sizeof(hash), err, sizeof(err)) == 1 &&
           !strcmp(hash, "$scrypt$one"),
       "  the first hash stays");
    ok(eg_db_user_put(db, "carol", "$scrypt$two", 0, err, sizeof(err)) == 0 &&
           eg_db_user_get(db, "carol", hash, sizeof(hash), err, sizeof(err)) == 1 &&
           !strcmp(hash, "$scrypt$two"),
       "create=0 replaces the hash");
    ok(eg_db_user_put(db, "dave", "$scrypt$x", 0, err, sizeof(err)) == -1 &&
           strstr(err, "no user dave"),
       "create=0 of a user who does not exist: -1 (%s)", err);
    is_int(eg_db_user_get(db, "dave", hash, sizeof(hash), err, sizeof(err)), 0,
           "get of an unknown user: 0");
    ok(eg_db_user_put(db, "", "$h", 1, err, sizeof(err)) == -1 &&
           eg_db_user_put(db, "a b", "$h", 1, err, sizeof(err)) == -1 &&
           eg_db_user_put(db, "x/y", "$h", 1, err, sizeof(err)) == -1 &&
           eg_db_user_put(db, "a234567890123456789012345678901234567890123456789012345678901234",
                          "$h", 1, err, sizeof(err)) == -1,
       "names outside 1 to 63 of [A-Za-z0-9._-] are refused: %s", err);
    ok(eg_db_user_put(db, "Ann.b_c-9", "$h", 1, err, sizeof(err)) == 0,
       "letters, digits, '.', '_' and '-' are fine");
    ok(eg_db_user_put(db, "alice", "$h", 1, err, sizeof(err)) == 0, "user alice added");
    ok(eg_db_user_list(db, &names, &n, err, sizeof(err)) == 0 && n == 3 &&
           !strcmp(names[0], "Ann.b_c-9") && !strcmp(names[1], "alice") &&
           !strcmp(names[2], "carol"),
       "users are listed in order (%zu)", n);
    free(names);

    ok(eg_db_session_create(db, "digest-1", "carol", "csrf-1", now + 100, err, sizeof(err)) == 0,
       "a session for carol: %s", err);
    ok(eg_db_session_get(db, "digest-1", now, user, csrf, err, sizeof(err)) == 1 &&
           !strcmp(user, "carol") && !strcmp(csrf, "csrf-1"),
       "  is found with its user and CSRF token before it expires");
    is_int(eg_db_session_get(db, "digest-2", now, user, csrf, err, sizeof(err)), 0,
           "an unknown token: 0");
    is_int(eg_db_session_get(db, "digest-1", now + 100, user, csrf, err, sizeof(err)), 0,
           "at its expiry: 0");
    is_int(eg_db_session_get(db, "digest-1", now, user, csrf, err, sizeof(err)), 0,
           "  and it was removed then (not found even at an earlier time)");
    ok(eg_db_session_create(db, "digest-x", "nobody", "c", now + 100, err, sizeof(err)) == -1 &&
           strstr(err, "no user nobody"),
       "no session for a user who does not exist: %s", err);
    /* one that expired with nobody asking is removed when the next one is created */
    ok(eg_db_session_create(db, "digest-old", "carol", "c", now - 1, err, sizeof(err)) == 0 &&
           eg_db_session_get(db, "digest-old", 0, user, csrf, err, sizeof(err)) == 1,
       "an expired session stays until something removes it");
    ok(eg_db_session_create(db, "digest-3", "carol", "c3", now + 100, err, sizeof(err)) == 0 &&
           eg_db_session_get(db, "digest-old", 0, user, csrf, err, sizeof(err)) == 0,
       "  creating another session removes it");
    ok(eg_db_session_rm(db, "digest-3", err, sizeof(err)) == 0 &&
           eg_db_session_get(db, "digest-3", now, user, csrf, err, sizeof(err)) == 0,
       "a session removed (signed out) is gone");
    ok(eg_db_session_rm(db, "digest-3", err, sizeof(err)) == 0, "  removing it again is fine");

    ok(eg_db_session_create(db, "digest-4", "carol", "c4", now + 100, err, sizeof(err)) == 0 &&
           eg_db_user_rm(db, "carol", err, sizeof(err)) == 0,
       "carol, with a session, removed");
    ok(eg_db_session_get(db, "digest-4", now, user, csrf, err, sizeof(err)) == 0 &&
           eg_db_user_get(db, "carol", hash, sizeof(hash), err, sizeof(err)) == 0,
       "  her sessions went with her");
    ok(eg_db_user_rm(db, "carol", err, sizeof(err)) == -1 && strstr(err, "no user carol"),
       "removing her again: -1 (%s)", err);

    ok(eg_db_session_create(db, "digest-5", "alice", "c5", now + 100, err, sizeof(err)) == 0 &&
           eg_db_session_get(db, "digest-5", now, user, csrf, err, sizeof(err)) == 1 &&
           eg_db_login_failed(db, "user:alice", now, err, sizeof(err)) == 0 &&
           eg_db_login_succeeded(db, "user:alice", err, sizeof(err)) == 0,
       "sign-ins, sessions and throttling written");
    is_int(config_version(db), v, "none of the console's writes (users, sessions, throttling, "
                                  "their audit rows) bumped config_version");
}

static void throttle(eg_db_t *db)
{
    const int want[] = {0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60, 60};
    long long now = 100000;
    int wait = -1, all = 1;
    char got[128] = "";
    size_t used = 0;

    ok(eg_db_login_check(db, "ip:192.0.2.1", now, &wait, err, sizeof(err)) == 0 && wait == 0,
       "a key never seen may try at once");
    for (size_t i = 0; i < EG_ARRAY_LEN(want); i++) {
        if (eg_db_login_failed(db, "ip:192.0.2.1", now, err, sizeof(err)) < 0 ||
            eg_db_login_check(db, "ip:192.0.2.1", now, &wait, err, sizeof(err)) < 0)
            wait = -1;
        used += (size_t)snprintf(got + used, sizeof(got) - used, "%s%d", i ? "," : "", wait);
        all = all && wait == want[i];
    }
    ok(all, "after each failure the wait is 0,0,0 then 1,2,4 ... up to 60: %s", got);
    ok(eg_db_login_check(db, "ip:192.0.2.1", now + 45, &wait, err, sizeof(err)) == 0 &&
           wait == 15,
       "the wait counts down as time passes (%d)", wait);
    ok(eg_db_login_check(db, "ip:192.0.2.2", now, &wait, err, sizeof(err)) == 0 && wait == 0,
       "another key is not held up");
    ok(eg_db_login_succeeded(db, "ip:192.0.2.1", err, sizeof(err)) == 0 &&
           eg_db_login_check(db, "ip:192.0.2.1", now, &wait, err, sizeof(err)) == 0 && wait == 0,
       "a success forgets the key");
    ok(eg_db_login_failed(db, "ip:192.0.2.1", now, err, sizeof(err)) == 0 &&
           eg_db_login_check(db, "ip:192.0.2.1", now, &wait, err, sizeof(err)) == 0 && wait == 0,
       "  so its next failure is a free one again");
}

static void origin_rm(eg_db_t *db)
{
    eg_origin_t o;
    eg_behavior_t b;
    size_t audited;
    ok(add_origin(db, "api") == 0 && add_behavior(db, "/api/*", "api") == 0 &&
           add_behavior(db, "/v2/*", "api") == 0,
       "origin api, target of /api/* and /v2/*");
    audited = audit_count(db, NULL);
    ok(eg_db_origin_rm(db, "default", "api", err, sizeof(err)) == -1 &&
           strstr(err, "origin api is the target of behavior(s) /api/*, /v2/*"),
       "removing it is refused, naming the behaviors: %s", err);
    ok(eg_db_origin_get(db, "default", "api", &o, err, sizeof(err)) == 1 &&
           eg_db_behavior_get(db, "default", "/api/*", &b, err, sizeof(err)) == 1 &&
           audit_count(db, NULL) == audited,
       "  and nothing was deleted or recorded");
    ok(eg_db_behavior_rm(db, "default", "/api/*", err, sizeof(err)) == 0 &&
           eg_db_behavior_rm(db, "default", "/v2/*", err, sizeof(err)) == 0 &&
           eg_db_origin_rm(db, "default", "api", err, sizeof(err)) == 0 &&
           eg_db_origin_get(db, "default", "api", &o, err, sizeof(err)) == 0,
       "once they are gone, it goes: %s", err);
    ok(eg_db_origin_rm(db, "default", "api", err, sizeof(err)) == -1 &&
           strstr(err, "no origin api in distribution default"),
       "removing it again: %s", err);
}

int main(void)
{
    eg_db_t *db;
    char cmd[300];
    if (!ok(mkdtemp(dir) != NULL, "a scratch directory"))
        return done();
    migrations();
    db = open_new("console.db");
    if (ok(db != NULL, "a database for the rest")) {
        revisions(db);
        reorder(db);
        audit(db);
        users_and_sessions(db);
        throttle(db);
        origin_rm(db);
        eg_db_close(db);
    }
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", dir);
    return done();
}
