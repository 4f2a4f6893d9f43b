/* Following the database: every 200 ms the front reads the configuration version (routes it
 * remembers from an older version are forgotten) and applies pending invalidations. A change
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

static void *watch(void *arg)
{
    eg_front_t *f = arg;
    while (!__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE)) {
        struct timespec ts = {0, 200 * 1000 * 1000};
        if (eg_db_changed(f->db) != 0) {
            check_version(f);
            apply_invalidations(f);
        }
        nanosleep(&ts, NULL);
    }
    return NULL;
}

int eg_front_watch_start(eg_front_t *f, char *err, size_t errlen)
{
    eg_db_changed(f->db);
    check_version(f);
    apply_invalidations(f); /* recorded while no gateway ran: nothing cached, mark them */
    if (pthread_create(&f->watcher, NULL, watch, f) != 0) {
        eg_errf(err, errlen, "cannot start the database watcher");
        return -1;
    }
    return 0;
}

void eg_front_watch_stop(eg_front_t *f)
{
    __atomic_store_n(&f->stop, 1, __ATOMIC_RELEASE);
    pthread_join(f->watcher, NULL);
}
