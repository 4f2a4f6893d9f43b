/* The edge cache: in memory, bounded in bytes, least recently used out first, shared by the
 * HTTP and HTTPS listeners (objects are protocol-agnostic, as CloudFront's are). Also
 * objects' ages (freshness.h judges responses), Vary markers, invalidation and collapsed
 * forwarding (concurrent misses for one key make one origin request). The front calls it for
 * GET/HEAD (and OPTIONS when the behavior caches it). */
#ifndef EDGEGATE_CACHE_H
#define EDGEGATE_CACHE_H

#include <stddef.h>
#include <time.h>

#include "edgegate/freshness.h"
#include "edgegate/http.h"

typedef struct eg_cache eg_cache_t;

typedef struct {
    char *name; /* owned */
    char *value; /* owned */
} eg_kv_t;

typedef struct eg_cache_obj {
    int refs; /* atomic; the cache holds one while the object is stored */
    char *key; /* owned: "dist\npath[?query]" */
    size_t klen;
    int status;
    eg_kv_t *headers; /* owned; the origin's end-to-end headers */
    size_t n_headers;
    char *body; /* owned, or borrowed from body_owner */
    size_t body_len;
    struct eg_cache_obj *body_owner; /* referenced: the object whose body this one shares (a
                                      * 304 updates the head, never the body), or NULL */
    size_t size; /* what the object counts against the bound */
    long age0; /* its age when it arrived (RFC 9111 corrected initial age), seconds */
    long long stored_ms; /* monotonic: when it arrived */
    long long expires_ms; /* monotonic: when it goes stale */
    long swr_ms, sie_ms; /* stale-while-revalidate and stale-if-error windows (sie_ms < 0:
                          * the origin gave none) */
    int revalidate; /* never served stale */
    char *vary; /* owned: its Vary fields' values joined by ',', or NULL without Vary (what
                 * the lookup checks against the behavior's policies as they are now) */
    const char *etag; /* borrowed from headers, or NULL */
    const char *last_modified;
    /* owned by the cache, under its lock */
    struct eg_cache_obj *lru_prev, *lru_next, *hash_next;
    struct eg_cache_obj *uri_prev, *uri_next; /* the chain of objects for one URI (its key
                                               * up to the second '\n': "dist\npath[?query]");
                                               * doubly linked: one URI may have any number
                                               * of keys (cookies, variants) */
    unsigned long long hash, uri_hash;
    int stored;
} eg_cache_obj_t;

eg_cache_t *eg_cache_new(size_t max_bytes);
void eg_cache_free(eg_cache_t *c);
/* Objects larger than this are passed through, never stored. */
size_t eg_cache_max_object(const eg_cache_t *c);

/* A referenced object, fresh or stale (see eg_cache_obj_fresh), or NULL. */
eg_cache_obj_t *eg_cache_get(eg_cache_t *c, const char *key, size_t klen);
/* Stores obj (taking a reference), replacing what the key held and evicting the least
 * recently used objects until it fits. */
void eg_cache_put(eg_cache_t *c, eg_cache_obj_t *obj);
/* Stores obj unless an invalidation that may concern it ran since eg_cache_purges returned
 * purges for its key: eg_cache_invalidate (any), or eg_cache_invalidate_uri of its URI (or
 * of one sharing its bucket). A fill that began before an invalidation must not store what
 * the invalidation removed. 1 when stored. */
int eg_cache_put_unless_purged(eg_cache_t *c, eg_cache_obj_t *obj, unsigned long long purges);
unsigned long long eg_cache_purges(eg_cache_t *c, const char *key, size_t klen);
/* Removes o if it is still stored (not replaced, evicted or invalidated meanwhile): 1 when
 * it was. The caller's reference stays the caller's. */
int eg_cache_remove(eg_cache_t *c, eg_cache_obj_t *o);
/* Removes objects of dist whose path is path (any query), or starts with path's prefix
 * before a final '*'. Returns how many. */
size_t eg_cache_invalidate(eg_cache_t *c, const char *dist, const char *path);
/* RFC 9111 section 4.4, after an unsafe method succeeded: removes every variant of dist's
 * objects for one URI, those keyed on path?query (query not NULL or empty) and those keyed on
 * path alone (a behavior that does not forward the query string keys every query there).
 * Never a prefix, whatever path ends with. Fills of the URI under way then store nothing
 * (eg_cache_put_unless_purged); fills of other URIs are not held back, but for the few that
 * share its bucket. A lookup in an index by URI, not a walk of the cache: a flood of POSTs
 * costs each one bucket. Returns how many. */
size_t eg_cache_invalidate_uri(eg_cache_t *c, const char *dist, const char *path,
                               const char *query);
void eg_cache_stats(eg_cache_t *c, size_t *objects, size_t *bytes);

/* Builds an object from an origin head and a body (copied). Only end-to-end fields are kept:
 * not the hop-by-hop ones, not those h's Connection fields name, not Content-Length or Age
 * (Surrogate-Control is kept for judging a 304's update; the front never serves it). Its
 * freshness is f's, from now.
 * The caller stores only a body whose framing ended cleanly (eg_fetch_t.done). */
eg_cache_obj_t *eg_cache_obj_new(const char *key, size_t klen, const eg_http_head_t *h,
                                 const char *body, size_t body_len, const eg_fresh_t *f);
/* The object a 304 makes of a stored one (RFC 9111 4.3.4): o's fields, each one the 304
 * carries replaced by the 304's lines (framing, hop-by-hop and Age fields aside, and those
 * that describe the stored body: Content-Encoding, Content-MD5, Content-Range, ETag), o's
 * body shared. Stale until eg_cache_obj_set_fresh. */
eg_cache_obj_t *eg_cache_obj_update(eg_cache_obj_t *o, const eg_http_head_t *h304);
/* Sets the freshness of an object not stored yet: f's, from now. */
void eg_cache_obj_set_fresh(eg_cache_obj_t *o, const eg_fresh_t *f);
/* A parsed-head view of o's fields (slices into o, which must outlive h), plus extra (the
 * Age of the response that refreshed it, say) when not NULL: what eg_fresh_judge reads. -1
 * when they are more than a head holds (EG_HTTP_MAX_HEADERS): a 304 added too many. */
int eg_cache_obj_head(const eg_cache_obj_t *o, const eg_header_t *extra, eg_http_head_t *h);
void eg_cache_obj_ref(eg_cache_obj_t *o);
void eg_cache_obj_unref(eg_cache_obj_t *o);
int eg_cache_obj_fresh(const eg_cache_obj_t *o);
/* 1 while o is stale by less than window_ms and may be served so (not revalidate). */
int eg_cache_obj_stale_within(const eg_cache_obj_t *o, long window_ms);
/* Age in seconds, for the Age header: the age it came with plus the time it has been here. */
long eg_cache_obj_age(const eg_cache_obj_t *o);

/* A Vary marker: stored at a request's key when the response varies on request fields
 * (names, from eg_fwd_vary_names); each variant is stored at the key plus what the viewer
 * sent in those fields (eg_fwd_vary_key). Its status is 0; it never goes stale. */
eg_cache_obj_t *eg_cache_obj_vary(const char *key, size_t klen, const char *names);

/* Collapsed forwarding. begin returns 1 for the leader (which must call end), or 0 after
 * waiting for another request's fetch of the same key to end (look the key up again). */
typedef struct eg_cache_flight eg_cache_flight_t;
int eg_cache_flight_begin(eg_cache_t *c, const char *key, size_t klen, int timeout_ms,
                          eg_cache_flight_t **leader);
void eg_cache_flight_end(eg_cache_t *c, eg_cache_flight_t *f);
/* The leader's flight for key without waiting, or NULL when another fetch of key is under
 * way (a background refresh needs only one). */
eg_cache_flight_t *eg_cache_flight_try(eg_cache_t *c, const char *key, size_t klen);

#endif
