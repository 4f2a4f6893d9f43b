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

/* The invalidations the watcher applied. Ids only grow, so the highest is enough: one that
 * cannot be marked Completed is not applied again, which would drop what was cached since. */
typedef struct {
    long long applied;
    int told_readonly; /* the read-only database was logged */
} inval_state_t;

/* Removes the objects each pending invalidation names, then marks it Completed. A database
 * the front may only read still has its invalidations applied; they stay InProgress in it,
 * which is logged once, and serving goes on. */
static void apply_invalidations(eg_front_t *f, inval_state_t *st)
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
        int now = v[i].id > st->applied;
        for (size_t j = 0; now && j < v[i].n_paths; j++)
            removed += eg_cache_invalidate(f->cache, v[i].dist_id, v[i].paths[j]);
        if (now)
            st->applied = v[i].id;
        if (eg_db_writable(f->db, err, sizeof(err)) < 0) {
            if (!st->told_readonly)
                eg_log_warn("%s: invalidations are applied but stay InProgress in it", err);
            st->told_readonly = 1;
            if (now)
                eg_log_info("invalidation %lld (%s) applied: %zu object%s removed", v[i].id,
                            v[i].caller_reference, removed, removed == 1 ? "" : "s");
        } else if (eg_db_invalidation_complete(f->db, v[i].id, err, sizeof(err)) < 0) {
            eg_log_warn("invalidation %lld: %s", v[i].id, err);
        } else if (now) {
            eg_log_info("invalidation %lld (%s) completed: %zu object%s removed", v[i].id,
                        v[i].caller_reference, removed, removed == 1 ? "" : "s");
        } else {
            eg_log_info("invalidation %lld (%s) marked Completed", v[i].id,
                        v[i].caller_reference);
        }
    }
    eg_db_invalidations_free(v, n);
}

/* Ends the watcher's 200 ms pause at once when the front stops, so a stop does not wait for
 * it. Static: one front, and one watcher, per process. */
static pthread_mutex_t wake_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake;

/* What the watcher thread alone reads and writes: the distributions it saw last. */
typedef struct {
    eg_front_t *f;       /* borrowed */
    eg_dist_gen_t *gens; /* owned; ordered by id */
    size_t n_gens;
    inval_state_t inval;
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
        /* fills under way for the old distribution do not store either (cache.c) */
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
        struct timespec ts;
        if (eg_db_changed(f->db) != 0) {
            /* routes first: a request after this point asks the worker about the new
             * configuration, and then finds no object of a deleted distribution */
            check_version(f);
            drop_deleted_dists(w);
            apply_invalidations(f, &w->inval);
        }
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += 200 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_mutex_lock(&wake_lock);
        /* stop is set under wake_lock by eg_front_watch_stop: no wake-up is missed */
        if (!__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE))
            pthread_cond_timedwait(&wake, &wake_lock, &ts);
        pthread_mutex_unlock(&wake_lock);
    }
    free(w->gens);
    free(w);
    return NULL;
}

int eg_front_watch_start(eg_front_t *f, char *err, size_t errlen)
{
    watcher_t *w = eg_calloc(1, sizeof(*w));
    char derr[512];
    pthread_condattr_t ca;
    /* monotonic: a clock set back must not stretch a pause */
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&wake, &ca);
    pthread_condattr_destroy(&ca);
    w->f = f;
    eg_db_changed(f->db);
    check_version(f);
    /* the distributions as they are now; nothing is cached yet */
    if (eg_db_dist_generations(f->db, &w->gens, &w->n_gens, derr, sizeof(derr)) < 0) {
        eg_errf(err, errlen, "reading distributions: %s", derr);
        pthread_cond_destroy(&wake);
        free(w);
        return -1;
    }
    /* recorded while no gateway ran: nothing cached, mark them */
    apply_invalidations(f, &w->inval);
    if (pthread_create(&f->watcher, NULL, watch, w) != 0) {
        eg_errf(err, errlen, "cannot start the database watcher");
        pthread_cond_destroy(&wake);
        free(w->gens);
        free(w);
        return -1;
    }
    return 0;
}

void eg_front_watch_stop(eg_front_t *f)
{
    pthread_mutex_lock(&wake_lock);
    __atomic_store_n(&f->stop, 1, __ATOMIC_RELEASE);
    pthread_cond_signal(&wake);
    pthread_mutex_unlock(&wake_lock);
    pthread_join(f->watcher, NULL);
    pthread_cond_destroy(&wake);
}
