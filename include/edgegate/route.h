/* A route is the policy worker's answer for one kind of request, as the front uses it:
 * either a final response (redirect, refusal) or how to reach the origin. Routes are
 * immutable and reference-counted so the route cache can hand them to many requests.
 * The front remembers a route only while the configuration version it was made under is
 * current, so every answer stays the worker's. */
#ifndef EDGEGATE_ROUTE_H
#define EDGEGATE_ROUTE_H

#include <stddef.h>

#include "edgegate/config.h"
#include "edgegate/http.h"

typedef struct {
    char *name; /* owned */
    char *value; /* owned */
} eg_route_header_t;

typedef struct eg_route {
    int refs; /* atomic */
    long long config_version;
    int status; /* 0 = forward, else the final status */
    eg_route_header_t *headers; /* final: headers for the viewer; owned */
    size_t n_headers;
    char *body; /* final: body for the viewer; owned */
    size_t body_len;
    char dist[EG_ID_MAX];
    char behavior[EG_PATH_MAX];
    /* forward */
    char origin_id[EG_ID_MAX];
    char domain[EG_NAME_MAX];
    char origin_path[EG_PATH_MAX];
    int https;
    int port;
    int ssl_protocols; /* EG_SSL_* bits */
    int read_timeout;
    int keepalive_timeout;
    int forward_host;
    int forward_query;
    unsigned cached_methods; /* method bits */
    int min_ttl, default_ttl, max_ttl;
    /* The distribution's Error Caching Minimum TTL (CloudFront's), seconds, 0 to 31536000,
     * from X-Eg-Error-Caching-Min-TTL checked by the settings field egctl uses: how long an
     * origin error (400, 403, 404, 405, 414, 500 to 504) stays cached at least; 0
     * caches it only as its own headers allow. An answer without the header (an older
     * worker) leaves CloudFront's default, 10. */
    int error_min_ttl;
    /* The behavior's cache policy and origin request policy, from X-Eg-Cache-Headers,
     * X-Eg-Cache-Cookies, X-Eg-Origin-Headers and X-Eg-Origin-Cookies, checked by the same
     * parser egctl uses (gateway/config.c, through the decision table, decision.h). Each is
     * an owned NUL-terminated string (never NULL in a route from eg_route_parse; freed with
     * the route) that holds exactly one of: a word, or names joined by ',' with no spaces,
     * each name an HTTP token, no name twice. Header names are in canonical case
     * ("Accept-Language"; compare them case-insensitively) and never Host, Cookie,
     * Accept-Encoding, Content-Length, Transfer-Encoding, Expect, X-Forwarded-For,
     * X-Forwarded-Proto, Via, Forwarded or a hop-by-hop name. Cookie names are as configured
     * (compare them case-sensitively). An answer without the header (an older worker) leaves
     * "none". They fit eg_fwd_policy_t (fwd.h) as they are. */
    /* "none", or the header names that key the cache and are forwarded; may hold
     * Authorization (then each viewer's authorized answer is cached apart) */
    char *cache_headers;
    /* "none", "all" (every viewer cookie keys the cache and is forwarded), or the cookie
     * names that key the cache and are forwarded */
    char *cache_cookies;
    /* "none", "all-viewer" (every viewer header except Authorization, besides those the
     * front writes itself) or header names forwarded but not keyed; never Authorization */
    char *origin_headers;
    /* "none", "all" (every viewer cookie forwarded, not keyed) or cookie names forwarded but
     * not keyed */
    char *origin_cookies;
} eg_route_t;

/* Builds a route from a worker's CGI head and body; -1 with the reason when the answer is
 * not one edgegate understands (the front answers 502 then). */
int eg_route_parse(const eg_http_head_t *h, const char *body, size_t body_len, eg_route_t **out,
                   char *err, size_t errlen);
void eg_route_ref(eg_route_t *r);
void eg_route_unref(eg_route_t *r);

/* The front's memory of routes, keyed by what the worker decided from. */
typedef struct eg_route_cache eg_route_cache_t;

eg_route_cache_t *eg_route_cache_new(size_t max_entries);
void eg_route_cache_free(eg_route_cache_t *c);
/* A referenced route or NULL. */
eg_route_t *eg_route_cache_get(eg_route_cache_t *c, const char *key, size_t klen);
/* Stores r only if its version is the cache's current version. */
void eg_route_cache_put(eg_route_cache_t *c, const char *key, size_t klen, eg_route_t *r);
/* Forgets everything and makes version the current one. */
void eg_route_cache_set_version(eg_route_cache_t *c, long long version);
long long eg_route_cache_version(eg_route_cache_t *c);

#endif
