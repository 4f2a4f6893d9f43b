/* The only module that speaks SQL. egctl writes through it, the policy worker loads the
 * configuration through it, the front polls it for configuration changes and invalidations.
 * Every function returns 0 on success, -1 with a one-line reason in err. */
#ifndef EDGEGATE_DB_H
#define EDGEGATE_DB_H

#include <stddef.h>

#include "edgegate/config.h"

typedef struct eg_db eg_db_t;

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

#endif
