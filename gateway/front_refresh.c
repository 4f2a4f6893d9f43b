/* What the origin's answers do to stored objects beyond a plain fill: a 304 that updates one
 * (RFC 9111 4.3.4), and the background revalidation that stale-while-revalidate allows (RFC
 * 5861): the viewer is served the stale object at once while one refresh per object runs in
 * the job pool, holding the front so that a stop waits for it. */
#include <strings.h>

#include "edgegate/common.h"
#include "edgegate/freshness.h"
#include "edgegate/front_req.h"
#include "edgegate/pool.h"
#include "edgegate/quota.h"

int eg_req_authorized(const eg_req_t *rq)
{
    const char *keyed = rq->route->cache_headers;
    return eg_req_header(rq, "Authorization") != NULL &&
           eg_http_has_token(keyed, strlen(keyed), "Authorization");
}

void eg_refresh_policy(const eg_route_t *r, int authorized, time_t sent, eg_fresh_policy_t *p)
{
    p->min_ttl = r->min_ttl;
    p->default_ttl = r->default_ttl;
    p->max_ttl = r->max_ttl;
    p->error_min_ttl = r->error_min_ttl;
    p->authorized = authorized;
    p->unkeyed = strcmp(r->origin_headers, "none") != 0 || strcmp(r->origin_cookies, "none") != 0;
    p->request_time = sent;
    p->response_time = time(NULL);
}

/* The Vary names an object was stored under, as eg_fwd_vary_names gives them. */
static int object_vary(const eg_route_t *r, const eg_cache_obj_t *o, eg_buf_t *names)
{
    names->len = 0;
    return o->vary ? eg_fwd_vary_policy(r, o->vary, names) : 0;
}

int eg_refresh_matches(const eg_cache_obj_t *o, const eg_http_head_t *h304)
{
    const eg_header_t *etag = eg_http_find(h304, "ETag");
    /* RFC 9111 4.3.4: a 304 naming another strong validator is about another response; a
     * weak one or none is taken for the stored one (edgegate asked with its validators) */
    if (etag == NULL || (etag->value_len >= 2 && strncmp(etag->value, "W/", 2) == 0))
        return 1;
    return o->etag && strlen(o->etag) == etag->value_len &&
           memcmp(o->etag, etag->value, etag->value_len) == 0;
}

eg_cache_obj_t *eg_refresh_update(const eg_route_t *r, int authorized, eg_cache_obj_t *o,
                                  const eg_http_head_t *h304, time_t sent, int *storable)
{
    eg_fresh_policy_t p;
    eg_fresh_t fr = {.sie = -1};
    eg_http_head_t *view = eg_malloc(sizeof(*view));
    eg_buf_t before = {0}, after = {0};
    eg_cache_obj_t *n = eg_cache_obj_update(o, h304);
    eg_refresh_policy(r, authorized, sent, &p);
    /* judged on every field it would be stored with: too many to judge, it is not stored */
    *storable = eg_cache_obj_head(n, eg_http_find(h304, "Age"), view) == 0 &&
                eg_fresh_judge(view, &p, &fr);
    /* a variant stays at its key only while the response varies on the same fields */
    if (*storable && (object_vary(r, o, &before) != eg_fwd_vary_names(view, r, &after) ||
                      (before.len && strcmp(before.data, after.data) != 0)))
        *storable = 0;
    free(view);
    eg_buf_free(&before);
    eg_buf_free(&after);
    eg_cache_obj_set_fresh(n, &fr);
    return n;
}

void eg_refresh_conditional(eg_buf_t *head, const eg_cache_obj_t *o)
{
    head->len -= 2; /* the blank line goes after the validators */
    if (o->etag)
        eg_buf_printf(head, "If-None-Match: %s\r\n", o->etag);
    if (o->last_modified)
        eg_buf_printf(head, "If-Modified-Since: %s\r\n", o->last_modified);
    eg_buf_adds(head, "\r\n");
}

/* --- stale-while-revalidate ----------------------------------------------------------------- */

typedef struct {
    eg_front_t *f;             /* borrowed; held (eg_front_hold) */
    char ip[64];               /* the viewer whose request started it: holds one of its jobs */
    eg_route_t *route;         /* referenced */
    eg_cache_obj_t *o;         /* referenced: the stale object */
    eg_cache_flight_t *flight; /* the object's key, while the refresh runs */
    int authorized;
    unsigned long long purges;
    eg_buf_t head; /* the conditional request */
    eg_origin_target_t target;
    char alt_name[EG_NAME_MAX];
} refresh_t;

static void refresh_free(refresh_t *rf)
{
    eg_front_t *f = rf->f;
    eg_quota_give(f->job_quota, rf->ip);
    __atomic_sub_fetch(&f->refreshes, 1, __ATOMIC_RELAXED);
    eg_cache_flight_end(f->cache, rf->flight);
    eg_cache_obj_unref(rf->o);
    eg_route_unref(rf->route);
    eg_buf_free(&rf->head);
    free(rf);
    eg_front_release(f);
}

/* A 200 that replaces the object: stored at the object's key when it may be, as the same
 * variant (the request sent the fields the object varies on). */
static void refill(refresh_t *rf, eg_fetch_t *fx, time_t sent)
{
    eg_front_t *f = rf->f;
    eg_fresh_policy_t p;
    eg_fresh_t fr;
    eg_buf_t body = {0}, before = {0}, after = {0};
    size_t max_obj = eg_cache_max_object(f->cache);
    char buf[65536];
    ssize_t n;
    eg_refresh_policy(rf->route, rf->authorized, sent, &p);
    if (!eg_fresh_judge(&fx->h, &p, &fr) ||
        object_vary(rf->route, rf->o, &before) != eg_fwd_vary_names(&fx->h, rf->route, &after) ||
        (before.len && strcmp(before.data, after.data) != 0)) {
        /* the origin has something newer that may not be kept: the stale copy goes (RFC
         * 9111 4.3.3), and the next viewer gets the origin's answer */
        eg_cache_remove(f->cache, rf->o);
        goto out;
    }
    while (body.len <= max_obj && (n = eg_fetch_read_body(fx, buf, sizeof(buf))) > 0)
        eg_buf_add(&body, buf, (size_t)n);
    if (fx->done) {
        eg_cache_obj_t *o = eg_cache_obj_new(rf->o->key, rf->o->klen, &fx->h,
                                             body.data ? body.data : "", body.len, &fr);
        if (!eg_cache_put_unless_purged(f->cache, o, rf->purges))
            eg_cache_remove(f->cache, rf->o); /* too large, or invalidated: neither stays */
        eg_cache_obj_unref(o);
    } else {
        eg_cache_remove(f->cache, rf->o); /* too large to keep, or cut short: not kept */
    }
out:
    eg_buf_free(&body);
    eg_buf_free(&before);
    eg_buf_free(&after);
}

static void refresh_main(void *arg)
{
    refresh_t *rf = arg;
    eg_fetch_t *fx = eg_calloc(1, sizeof(*fx));
    char err[512];
    int status, closed = 0;
    time_t sent = time(NULL);
    if (eg_fetch_start(fx, rf->f->origins, &rf->target, rf->head.data, rf->head.len,
                       rf->route->read_timeout * 1000, &status, err, sizeof(err)) < 0 ||
        eg_fetch_read_head(fx, "GET", &status, &closed, err, sizeof(err)) < 0) {
        const char *path = strchr(rf->o->key, '\n'); /* the key: "dist\npath[?query]\n..." */
        path = path ? path + 1 : rf->o->key;
        eg_log_info("background refresh of %.*s (distribution %.*s): %s; the stale object stays",
                    (int)strcspn(path, "\n?"), path, (int)strcspn(rf->o->key, "\n"),
                    rf->o->key, err);
    } else if (fx->h.status == 304 && !eg_refresh_matches(rf->o, &fx->h)) {
        eg_cache_remove(rf->f->cache, rf->o); /* the next viewer asks for the whole */
    } else if (fx->h.status == 304) {
        int storable;
        eg_cache_obj_t *n =
            eg_refresh_update(rf->route, rf->authorized, rf->o, &fx->h, sent, &storable);
        if (storable)
            eg_cache_put_unless_purged(rf->f->cache, n, rf->purges);
        eg_cache_obj_unref(n);
    } else if (fx->h.status >= 500) {
        ; /* an origin in trouble: the stale object stays (stale-if-error decides its use) */
    } else {
        refill(rf, fx, sent);
    }
    eg_fetch_end(fx);
    free(fx);
    refresh_free(rf);
}

void eg_refresh_start(eg_req_t *rq, eg_cache_obj_t *o)
{
    eg_front_t *f = rq->f;
    eg_cache_flight_t *flight = eg_cache_flight_try(f->cache, o->key, o->klen);
    eg_fwd_viewer_t v;
    refresh_t *rf;
    if (flight == NULL)
        return; /* one is under way */
    eg_req_viewer(rq, &v);
    /* a refresh is a job like a viewer's: it counts against the viewer's address, and all
     * of them together take at most half the job threads, so stale hits cannot fill the
     * pool that misses need */
    if (__atomic_add_fetch(&f->refreshes, 1, __ATOMIC_RELAXED) > f->opt.job_threads / 2 ||
        eg_quota_take(f->job_quota, v.client_ip) < 0) {
        __atomic_sub_fetch(&f->refreshes, 1, __ATOMIC_RELAXED);
        eg_cache_flight_end(f->cache, flight);
        return; /* served stale all the same; a later request refreshes it */
    }
    if (eg_front_hold(f) < 0) {
        eg_quota_give(f->job_quota, v.client_ip);
        __atomic_sub_fetch(&f->refreshes, 1, __ATOMIC_RELAXED);
        eg_cache_flight_end(f->cache, flight);
        return;
    }
    rf = eg_calloc(1, sizeof(*rf));
    rf->f = f;
    snprintf(rf->ip, sizeof(rf->ip), "%s", v.client_ip);
    rf->route = rq->route;
    eg_route_ref(rf->route);
    rf->o = o;
    eg_cache_obj_ref(o);
    rf->flight = flight;
    rf->authorized = eg_req_authorized(rq);
    rf->purges = eg_cache_purges(f->cache, o->key, o->klen);
    if (strcmp(v.method, "HEAD") == 0)
        v.method = "GET"; /* a HEAD viewer's refresh fetches the object HEAD shares */
    eg_fwd_head(&rf->head, rq->route, &v, 1, 0, 0, 0);
    eg_refresh_conditional(&rf->head, o);
    eg_proxy_target(rq);
    rf->target = rq->target;
    if (rq->target.alt_name) {
        snprintf(rf->alt_name, sizeof(rf->alt_name), "%s", rq->target.alt_name);
        rf->target.alt_name = rf->alt_name;
    }
    if (eg_pool_run(f->pool, refresh_main, rf) < 0) {
        eg_log_info("request %s: no job thread for a background refresh; the next request "
                    "after the window revalidates",
                    rq->id);
        refresh_free(rf);
    }
}
