/* Following the database: every 200 ms the front reads the configuration version (routes it
 * remembers from an older version are forgotten), drops the cached objects of distributions
 * that were deleted (or deleted and re-created), and applies pending invalidations. A change
 * made with egctl therefore reaches the running gateway well within a second. */
#include <unistd.h>

#include "edgegate/cache.h"
#include "edgegate/common.h"
#include "edgegate/front.h"

static void check_version(eg_front_t *f)
{
    char err[512];
    long long v;
    if (eg_db_config_version(f->db, &v, err, sizeof(err)) < 0) {
        eg_log_warn("watching the database: %s", err);
        return;
    }
    if (v != eg_route_cache_version(f->routes)) {
        eg_route_cache_set_version(f->routes, v);
        eg_log_info("configuration version %lld", v);
    }
}

/* Removes the objects each pending invalidation names, then marks it Completed. */
static void apply_invalidations(eg_front_t *f)
{
    eg_invalidation_t *v = NULL;
    size_t n = 0;
    char err[512];
    if (eg_db_invalidation_list(f->db, NULL, 1, &v, &n, err, sizeof(err)) < 0) {
        eg_log_warn("reading invalidations: %s", err);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        size_t removed = 0;
        for (size_t j = 0; j < v[i].n_paths; j++)
            removed += eg_cache_invalidate(f->cache, v[i].dist_id, v[i].paths[j]);
        if (eg_db_invalidation_complete(f->db, v[i].id, err, sizeof(err)) < 0)
            eg_log_warn("invalidation %lld: %s", v[i].id, err);
        else
            eg_log_info("invalidation %lld (%s) completed: %zu object%s removed", v[i].id,
                        v[i].caller_reference, removed, removed == 1 ? "" : "s");
    }
    eg_db_invalidations_free(v, n);
}

/* What the watcher thread alone reads and writes: the distributions it saw last. */
typedef struct {
    eg_front_t *f;       /* borrowed */
    eg_dist_gen_t *gens; /* owned; ordered by id */
    size_t n_gens;
} watcher_t;

static const eg_dist_gen_t *find_gen(const eg_dist_gen_t *v, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].id, id) == 0)
            return &v[i];
    return NULL;
}

/* A distribution that is gone, or came back under its id with another generation, must not
 * serve what was cached for the old one: a re-created distribution may point at another
 * origin, and a deleted one's objects would otherwise stay until evicted. */
static void drop_deleted_dists(watcher_t *w)
{
    eg_dist_gen_t *now = NULL;
    size_t n = 0;
    char err[512];
    if (eg_db_dist_generations(w->f->db, &now, &n, err, sizeof(err)) < 0) {
        eg_log_warn("reading distributions: %s", err);
        return; /* keep the old list: a later poll compares against it */
    }
    for (size_t i = 0; i < w->n_gens; i++) {
        const eg_dist_gen_t *was = &w->gens[i], *is = find_gen(now, n, was->id);
        size_t removed;
        if (is && is->generation == was->generation)
            continue;
        /* fills already under way for the old distribution must not store either */
        __atomic_store_n(&w->f->purge_version, eg_route_cache_version(w->f->routes),
                         __ATOMIC_RELEASE);
        removed = eg_cache_invalidate(w->f->cache, was->id, "/*");
        eg_log_info("distribution %s %s: %zu cached object%s removed", was->id,
                    is ? "was deleted and created again" : "was deleted", removed,
                    removed == 1 ? "" : "s");
    }
    free(w->gens);
    w->gens = now;
    w->n_gens = n;
}

static void *watch(void *arg)
{
    watcher_t *w = arg;
    eg_front_t *f = w->f;
    while (!__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE)) {
        struct timespec ts = {0, 200 * 1000 * 1000};
        if (eg_db_changed(f->db) != 0) {
            /* routes first: a request after this point asks the worker about the new
             * configuration, and then finds no object of a deleted distribution */
            check_version(f);
            drop_deleted_dists(w);
            apply_invalidations(f);
        }
        nanosleep(&ts, NULL);
    }
    free(w->gens);
    free(w);
    return NULL;
}

int eg_front_watch_start(eg_front_t *f, char *err, size_t errlen)
{
    watcher_t *w = eg_calloc(1, sizeof(*w));
    char derr[512];
    w->f = f;
    eg_db_changed(f->db);
    check_version(f);
    /* the distributions as they are now; nothing is cached yet */
    if (eg_db_dist_generations(f->db, &w->gens, &w->n_gens, derr, sizeof(derr)) < 0) {
        eg_errf(err, errlen, "reading distributions: %s", derr);
        free(w);
        return -1;
    }
    apply_invalidations(f); /* recorded while no gateway ran: nothing cached, mark them */
    if (pthread_create(&f->watcher, NULL, watch, w) != 0) {
        eg_errf(err, errlen, "cannot start the database watcher");
        free(w->gens);
        free(w);
        return -1;
    }
    return 0;
}

void eg_front_watch_stop(eg_front_t *f)
{
    __atomic_store_n(&f->stop, 1, __ATOMIC_RELEASE);
    pthread_join(f->watcher, NULL);
}
