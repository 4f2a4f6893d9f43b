/* Following the database: every 200 ms the front reads the configuration version (routes it
 * remembers from an older version are forgotten) and applies pending invalidations. A change
 * made with egctl therefore reaches the running gateway well within a second. */
#include <unistd.h>

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

static void *watch(void *arg)
{
    eg_front_t *f = arg;
    while (!__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE)) {
        struct timespec ts = {0, 200 * 1000 * 1000};
        if (eg_db_changed(f->db) != 0)
            check_version(f);
        nanosleep(&ts, NULL);
    }
    return NULL;
}

int eg_front_watch_start(eg_front_t *f, char *err, size_t errlen)
{
    eg_db_changed(f->db);
    check_version(f);
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
