/* A whole distribution at once: read for an export, written for an import. The write is one
 * transaction made of the single writes egctl uses (db_*_write), so an import obeys every
 * rule they do and either all of it lands or none. */
#include <sqlite3.h>

#include "edgegate/buf.h"
#include "edgegate/common.h"
#include "edgegate/config.h"
#include "edgegate/db.h"
#include "db_int.h"

/* The distribution, its origins and behaviors, inside the caller's transaction. */
static int load(eg_db_t *db, const char *id, eg_dist_t *out, char *err, size_t errlen)
{
    int r;
    memset(out, 0, sizeof(*out));
    if ((r = eg_db_dist_get(db, id, &out->info, err, errlen)) != 1)
        return r;
    if (eg_db_origin_list(db, id, &out->origins, &out->n_origins, err, errlen) < 0 ||
        eg_db_behavior_list(db, id, &out->behaviors, &out->n_behaviors, err, errlen) < 0) {
        eg_dist_clear(out);
        return -1;
    }
    return 1;
}

int eg_db_dist_load(eg_db_t *db, const char *id, eg_dist_t *out, char *err, size_t errlen)
{
    int r;
    memset(out, 0, sizeof(*out));
    if (db_exec(db, "BEGIN", err, errlen) < 0)
        return -1;
    r = load(db, id, out, err, errlen);
    db_rollback(db); /* a read: nothing to commit */
    return r;
}

/* Whether the stored distribution is still the one the caller read (expect->info.id "": it
 * did not exist). */
static int unchanged(eg_db_t *db, const char *id, const eg_dist_t *expect, char *err,
                     size_t errlen)
{
    eg_dist_t now;
    int r = load(db, id, &now, err, errlen), same;
    if (r < 0)
        return -1;
    if (r == 0)
        return expect->info.id[0] == '\0';
    same = expect->info.id[0] != '\0' && eg_dist_equal(&now, expect);
    eg_dist_clear(&now);
    return same;
}

static const eg_origin_t *find_origin(const eg_origin_t *v, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].id, id) == 0)
            return &v[i];
    return NULL;
}

/* The new distribution's rows over the old ones (cur: as stored, n_origins 0 when new). */
static int write_rows(eg_db_t *db, const eg_dist_t *d, const eg_dist_t *cur, int exists,
                      char *err, size_t errlen)
{
    const char *id = d->info.id;
    const eg_behavior_t *def = NULL;
    eg_dist_info_t info = d->info;
    int r;

    info.rev = 0; /* the transaction holds the write lock: nothing can change under it */
    if (!exists || !eg_fields_equal(eg_dist_fields, eg_dist_nfields, &cur->info, &info))
        if ((r = db_dist_write(db, &info, !exists, err, errlen)) < 0)
            return r;
    /* the cache behaviors go first: they may target origins about to go */
    if (db_write_stmt(db, "DELETE FROM behaviors WHERE dist_id = ? AND path_pattern <> '*'",
                      "removing behaviors", err, errlen, 1, id) < 0)
        return -1;
    for (size_t i = 0; i < d->n_origins; i++) {
        eg_origin_t o = d->origins[i];
        const eg_origin_t *old = find_origin(cur->origins, cur->n_origins, o.id);
        o.rev = 0;
        if (old && eg_fields_equal(eg_origin_fields, eg_origin_nfields, old, &o))
            continue;
        if ((r = db_origin_write(db, id, &o, old == NULL, err, errlen)) < 0)
            return r;
    }
    for (size_t i = 0; i < d->n_behaviors; i++)
        if (strcmp(d->behaviors[i].path_pattern, "*") == 0)
            def = &d->behaviors[i];
    if (def == NULL) {
        eg_errf(err, errlen, "distribution %s: no default behavior (*)", id);
        return -1;
    }
    {
        eg_behavior_t b = *def, old;
        b.rev = 0;
        if ((r = eg_db_behavior_get(db, id, "*", &old, err, errlen)) < 0)
            return -1;
        if (r == 0)
            r = db_behavior_insert(db, id, &b, DEFAULT_PRECEDENCE, err, errlen);
        else if (!eg_fields_equal(eg_behavior_fields, eg_behavior_nfields, &old, &b))
            r = db_behavior_write(db, id, &b, err, errlen);
        else
            r = 0;
        if (r < 0)
            return r;
    }
    for (size_t i = 0; i < cur->n_origins; i++)
        if (find_origin(d->origins, d->n_origins, cur->origins[i].id) == NULL &&
            db_write_stmt(db, "DELETE FROM origins WHERE dist_id = ? AND id = ?",
                          "removing origin", err, errlen, 2, id, cur->origins[i].id) < 0)
            return -1;
    for (size_t i = 0, pos = 0; i < d->n_behaviors; i++) {
        eg_behavior_t b = d->behaviors[i];
        if (&d->behaviors[i] == def)
            continue;
        b.rev = 0;
        if (db_behavior_insert(db, id, &b, (int)pos++, err, errlen) < 0)
            return -1;
    }
    return 0;
}

int eg_db_dist_replace(eg_db_t *db, const eg_dist_t *d, const eg_dist_t *expect,
                       const char *summary, char *err, size_t errlen)
{
    eg_dist_t cur;
    int exists, r, rc = -1;

    memset(&cur, 0, sizeof(cur));
    if (eg_id_validate("distribution", d->info.id, err, errlen) < 0)
        return -1;
    if (db_begin(db, err, errlen) < 0)
        return -1;
    if (expect) {
        if ((r = unchanged(db, d->info.id, expect, err, errlen)) < 0)
            goto fail;
        if (r == 0) {
            eg_errf(err, errlen,
                    "distribution %s changed since you read it (by another editor); nothing "
                    "was imported",
                    d->info.id);
            rc = EG_DB_CONFLICT;
            goto fail;
        }
    }
    if ((exists = load(db, d->info.id, &cur, err, errlen)) < 0)
        goto fail;
    if ((r = write_rows(db, d, &cur, exists, err, errlen)) < 0) {
        rc = r;
        goto fail;
    }
    if (db_auditing(db)) {
        char detail[DB_DETAIL_MAX];
        db_audit_fit(detail, sizeof(detail), summary && *summary ? summary : "no change");
        if (db_audit(db, d->info.id, "dist.import", d->info.id, detail, err, errlen) < 0)
            goto fail;
    }
    if (db_commit(db, err, errlen) < 0)
        goto fail;
    eg_dist_clear(&cur);
    return 0;
fail:
    eg_dist_clear(&cur);
    db_rollback(db);
    return rc;
}
