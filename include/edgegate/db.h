/* The only module that speaks SQL. egctl writes through it, the policy worker loads the
 * configuration through it, the front polls it for configuration changes and invalidations.
 * Every function returns 0 on success, -1 with a one-line reason in err. */
#ifndef EDGEGATE_DB_H
#define EDGEGATE_DB_H

#include <stddef.h>

#include "edgegate/config.h"

typedef struct eg_db eg_db_t;

/* What a write returns, besides 0 and -1, when it was given a revision (the rev member of
 * eg_origin_t, eg_behavior_t, eg_dist_info_t, or the order of eg_db_behavior_reorder) and
 * the row has changed since: nothing is written, err says "... changed since you opened it". */
#define EG_DB_CONFLICT (-2)

/* With EG_DB_READONLY the connection refuses every write (PRAGMA query_only), even where
 * this user could write the file; the schema must then be current already. */
enum { EG_DB_CREATE = 1, EG_DB_READONLY = 2 };

/* Opens (and with EG_DB_CREATE creates) the database. A current schema is used as it is, so
 * opening writes nothing; an older one is migrated (WAL mode, then one transaction per
 * migration), which needs write access and says so when the file does not allow it. A file
 * this user cannot write is opened read-only; where SQLite cannot create the -wal and -shm
 * files it reads a WAL database through (a directory this user cannot write), it is read as
 * an immutable snapshot, opened again by eg_db_changed when the files change. */
int eg_db_open(const char *path, int flags, eg_db_t **out, char *err, size_t errlen);
/* 0 when this connection can write; -1 with "database PATH is read-only (why)" in err. */
int eg_db_writable(eg_db_t *db, char *err, size_t errlen);
void eg_db_close(eg_db_t *db);
int eg_db_schema_version(eg_db_t *db);
int eg_db_latest_schema_version(void);

/* The counter the triggers bump on every change to distributions, aliases, origins and
 * behaviors. */
int eg_db_config_version(eg_db_t *db, long long *version, char *err, size_t errlen);
/* 1 when another connection has committed since the last call (or a snapshot's files
 * changed and it was opened again), 0 when not, -1 on error. */
int eg_db_changed(eg_db_t *db);
int eg_db_config_load(eg_db_t *db, eg_config_t **out, char *err, size_t errlen);

/* Lookups answer 1 when found, 0 when not, -1 on error. */
int eg_db_dist_get(eg_db_t *db, const char *id, eg_dist_info_t *out, char *err, size_t errlen);
int eg_db_dist_put(eg_db_t *db, const eg_dist_info_t *d, int create, char *err, size_t errlen);
/* Deletes the distribution; one that still has origins or behaviors only with force (they go
 * with it). */
int eg_db_dist_rm(eg_db_t *db, const char *id, int force, char *err, size_t errlen);
int eg_db_dist_list(eg_db_t *db, eg_dist_info_t **out, size_t *n, char *err, size_t errlen);

/* A distribution's generation is new on every insert, so the front can tell a distribution
 * deleted and re-created under the same id from one that stayed (and drop its objects). */
typedef struct {
    char id[EG_ID_MAX];
    long long generation;
} eg_dist_gen_t;

/* Every distribution's generation, ordered by id; *out is owned by the caller (free). */
int eg_db_dist_generations(eg_db_t *db, eg_dist_gen_t **out, size_t *n, char *err,
                           size_t errlen);

int eg_db_origin_get(eg_db_t *db, const char *dist, const char *id, eg_origin_t *out, char *err,
                     size_t errlen);
/* create=1 inserts (and makes the default behavior "*" target it when the distribution has
 * none yet); create=0 replaces the row. */
int eg_db_origin_put(eg_db_t *db, const char *dist, const eg_origin_t *o, int create, char *err,
                     size_t errlen);
/* Refused, naming them, while behaviors target the origin. */
int eg_db_origin_rm(eg_db_t *db, const char *dist, const char *id, char *err, size_t errlen);
int eg_db_origin_list(eg_db_t *db, const char *dist, eg_origin_t **out, size_t *n, char *err,
                      size_t errlen);

int eg_db_behavior_get(eg_db_t *db, const char *dist, const char *pattern, eg_behavior_t *out,
                       char *err, size_t errlen);
/* at: 0-based position among the non-default behaviors; -1 or past the end = last before "*". */
int eg_db_behavior_add(eg_db_t *db, const char *dist, const eg_behavior_t *b, int at, char *err,
                       size_t errlen);
int eg_db_behavior_update(eg_db_t *db, const char *dist, const eg_behavior_t *b, char *err,
                          size_t errlen);
int eg_db_behavior_move(eg_db_t *db, const char *dist, const char *pattern, int to, char *err,
                        size_t errlen);
int eg_db_behavior_rm(eg_db_t *db, const char *dist, const char *pattern, char *err,
                      size_t errlen);
/* In evaluation order, the default last. */
int eg_db_behavior_list(eg_db_t *db, const char *dist, eg_behavior_t **out, size_t *n, char *err,
                        size_t errlen);

typedef struct {
    long long id;
    char dist_id[EG_ID_MAX];
    char caller_reference[128];
    char status[16]; /* InProgress, Completed */
    long long created_at, completed_at;
    char **paths; /* owned */
    size_t n_paths;
} eg_invalidation_t;

int eg_db_invalidation_create(eg_db_t *db, const char *dist, const char *const *paths, size_t n,
                              const char *caller_reference, long long *id, char *err,
                              size_t errlen);
/* dist NULL lists every distribution's; pending_only keeps InProgress ones. Oldest first. */
int eg_db_invalidation_list(eg_db_t *db, const char *dist, int pending_only,
                            eg_invalidation_t **out, size_t *n, char *err, size_t errlen);
int eg_db_invalidation_complete(eg_db_t *db, long long id, char *err, size_t errlen);
void eg_db_invalidations_free(eg_invalidation_t *v, size_t n);

/* --- a whole distribution (configuration files: egctl export/import, the console) ------- */

/* 1 with the distribution's settings, origins (by id) and behaviors (evaluation order, the
 * default "*" last) in *out, to release with eg_dist_clear; 0 when there is none. Read in one
 * transaction, so the three agree. */
int eg_db_dist_load(eg_db_t *db, const char *id, eg_dist_t *out, char *err, size_t errlen);
/* Makes distribution d->info.id hold exactly d, in one transaction: the distribution created
 * when missing, else its settings and aliases updated (its generation kept, so the front keeps
 * its cached objects); origins added, updated or removed by id; the behaviors replaced, in d's
 * order. Every rule the single writes apply holds (the *_validate functions, patterns, aliases
 * no other distribution has, every behavior's origin present, the default "*" last). expect:
 * when not NULL, the distribution as the caller last read it (eg_db_dist_load; info.id ""
 * for "did not exist"): EG_DB_CONFLICT and nothing written when it is no longer so. Audited
 * as one "dist.import" row whose detail is summary (may be NULL). */
int eg_db_dist_replace(eg_db_t *db, const eg_dist_t *d, const eg_dist_t *expect,
                       const char *summary, char *err, size_t errlen);

/* --- order of behaviors (the console's Save order) ----------------------------------- */

/* Puts a distribution's non-default behaviors in the order given, in one transaction. base is
 * their order as the editor saw it: when the stored order differs, EG_DB_CONFLICT and nothing
 * changes; -1 when order is not a permutation of base. n counts the non-default ones. */
int eg_db_behavior_reorder(eg_db_t *db, const char *dist, const char *const *base,
                           const char *const *order, size_t n, char *err, size_t errlen);

/* --- audit ------------------------------------------------------------------------- */

/* Who makes the changes this connection writes: "unix:alice" (egctl), "admin:bob" (the
 * console). While set, every write above records one audit row in its own transaction (what
 * changed, in words); NULL (the default: the front, the workers) records nothing. Copied. */
void eg_db_set_actor(eg_db_t *db, const char *actor);

typedef struct {
    long long id;
    long long at; /* unix seconds */
    char actor[128];
    char dist_id[EG_ID_MAX]; /* "" for changes outside a distribution (users) */
    char action[32];         /* e.g. "origin.update", "behavior.reorder", "user.add" */
    char object[EG_PATH_MAX];
    char detail[512]; /* e.g. "protocol: http-only -> https-only; https-port: 443 -> 8443" */
} eg_audit_t;

/* Newest first; dist NULL lists every distribution's (and the ones outside any); at most
 * limit rows (limit <= 0: 100). */
int eg_db_audit_list(eg_db_t *db, const char *dist, int limit, eg_audit_t **out, size_t *n,
                     char *err, size_t errlen);

/* --- operators and their sessions (the console) --------------------------------------- */

#define EG_USER_MAX 64
#define EG_HASH_MAX 192 /* a stored password hash (auth.h) or a token digest */

/* User names: 1 to 63 of letters, digits, '.', '_', '-'. put with create=1 adds (-1 when the
 * name exists), create=0 replaces the password hash and ends the user's sessions (-1 when
 * there is no such user). */
int eg_db_user_put(eg_db_t *db, const char *name, const char *hash, int create, char *err,
                   size_t errlen);
/* 1 with the stored hash, 0 when there is no such user. */
int eg_db_user_get(eg_db_t *db, const char *name, char *hash, size_t hashlen, char *err,
                   size_t errlen);
/* Removes the user and their sessions. */
int eg_db_user_rm(eg_db_t *db, const char *name, char *err, size_t errlen);
/* Names in order; *out owned by the caller (free). */
int eg_db_user_list(eg_db_t *db, char (**out)[EG_USER_MAX], size_t *n, char *err,
                    size_t errlen);

/* Sessions are stored by the digest of their token (never the token). create: expires is
 * unix seconds. get: 1 with the user and the CSRF token while now < expires, 0 when unknown
 * or expired (an expired one is removed). */
int eg_db_session_create(eg_db_t *db, const char *token_digest, const char *user,
                         const char *csrf, long long expires, char *err, size_t errlen);
int eg_db_session_get(eg_db_t *db, const char *token_digest, long long now,
                      char user[EG_USER_MAX], char csrf[EG_HASH_MAX], char *err, size_t errlen);
int eg_db_session_rm(eg_db_t *db, const char *token_digest, char *err, size_t errlen);

/* Sign-in throttling, shared by every console worker: one row per key ("user:NAME",
 * "ip:ADDR"). check: 0 with *wait 0 when an attempt may go ahead now, else *wait seconds to
 * wait. failed: counts a failure and sets when the next attempt may come (no wait for the
 * first 3 failures, then 1, 2, 4 ... up to 60 s). succeeded: forgets the key. */
int eg_db_login_check(eg_db_t *db, const char *key, long long now, int *wait, char *err,
                      size_t errlen);
int eg_db_login_failed(eg_db_t *db, const char *key, long long now, char *err, size_t errlen);
int eg_db_login_succeeded(eg_db_t *db, const char *key, char *err, size_t errlen);
/* The check and the count in one transaction, for every key at once, so attempts made in
 * parallel are counted one after another: when any key asks to wait, *wait is the longest
 * and nothing is counted; else one failure is counted for each key before the password is
 * even checked (eg_db_login_succeeded forgets them when it was right). */
int eg_db_login_attempt(eg_db_t *db, const char *const *keys, size_t n, long long now,
                        int *wait, char *err, size_t errlen);

#endif
