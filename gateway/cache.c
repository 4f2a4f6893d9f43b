/* The in-memory cache: a chained hash table plus an LRU list under one mutex. Bodies are
 * immutable once stored and reference-counted, so a response keeps its object alive after
 * an eviction or an invalidation without copying. */
#include <ctype.h>
#include <limits.h>
#include <pthread.h>
#include <strings.h>

#include "edgegate/buf.h"
#include "edgegate/cache.h"
#include "edgegate/common.h"
#include "edgegate/io.h"

#define OBJ_OVERHEAD 256  /* bookkeeping an object costs beyond its bytes */
#define FIELD_OVERHEAD 64 /* a field's two allocations beyond its bytes (malloc's headers and
                           * rounding), so that many small fields count what they cost */

struct eg_cache_flight {
    struct eg_cache_flight *next;
    char *key; /* owned */
    size_t klen;
    int done;
    int waiters;
    pthread_cond_t cond;
};

struct eg_cache {
    pthread_mutex_t lock;
    eg_cache_obj_t **buckets;
    eg_cache_obj_t **uri_buckets; /* the same objects by URI, for eg_cache_invalidate_uri */
    size_t n_buckets;
    eg_cache_obj_t *lru_head, *lru_tail; /* head = most recently used */
    size_t bytes, max_bytes, objects;
    eg_cache_flight_t *flights;
    unsigned long long purges; /* eg_cache_invalidate calls so far, under lock */
    unsigned *uri_purges; /* eg_cache_invalidate_uri calls so far per URI bucket, under lock */
    uint64_t seed; /* of the keys' hashes: viewers choose the keys */
};

eg_cache_t *eg_cache_new(size_t max_bytes)
{
    eg_cache_t *c = eg_calloc(1, sizeof(*c));
    c->n_buckets = 1 << 14;
    c->buckets = eg_calloc(c->n_buckets, sizeof(*c->buckets));
    c->uri_buckets = eg_calloc(c->n_buckets, sizeof(*c->uri_buckets));
    c->uri_purges = eg_calloc(c->n_buckets, sizeof(*c->uri_purges));
    c->max_bytes = max_bytes;
    c->seed = eg_hash_seed();
    pthread_mutex_init(&c->lock, NULL);
    return c;
}

size_t eg_cache_max_object(const eg_cache_t *c)
{
    size_t m = c->max_bytes / 4;
    return m > (64u << 20) ? (64u << 20) : m;
}

void eg_cache_obj_ref(eg_cache_obj_t *o)
{
    __atomic_add_fetch(&o->refs, 1, __ATOMIC_RELAXED);
}

void eg_cache_obj_unref(eg_cache_obj_t *o)
{
    if (o == NULL || __atomic_sub_fetch(&o->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    for (size_t i = 0; i < o->n_headers; i++) {
        free(o->headers[i].name);
        free(o->headers[i].value);
    }
    free(o->headers);
    free(o->vary);
    if (o->body_owner)
        eg_cache_obj_unref(o->body_owner);
    else
        free(o->body);
    free(o->key);
    free(o);
}

static void unlink_locked(eg_cache_t *c, eg_cache_obj_t *o)
{
    eg_cache_obj_t **pp = &c->buckets[o->hash & (c->n_buckets - 1)];
    while (*pp && *pp != o)
        pp = &(*pp)->hash_next;
    if (*pp)
        *pp = o->hash_next;
    if (o->uri_prev)
        o->uri_prev->uri_next = o->uri_next;
    else if (c->uri_buckets[o->uri_hash & (c->n_buckets - 1)] == o)
        c->uri_buckets[o->uri_hash & (c->n_buckets - 1)] = o->uri_next;
    if (o->uri_next)
        o->uri_next->uri_prev = o->uri_prev;
    o->uri_prev = o->uri_next = NULL;
    if (o->lru_prev)
        o->lru_prev->lru_next = o->lru_next;
    else
        c->lru_head = o->lru_next;
    if (o->lru_next)
        o->lru_next->lru_prev = o->lru_prev;
    else
        c->lru_tail = o->lru_prev;
    o->lru_prev = o->lru_next = o->hash_next = NULL;
    o->stored = 0;
    c->bytes -= o->size;
    c->objects--;
}

void eg_cache_free(eg_cache_t *c)
{
    if (c == NULL)
        return;
    while (c->lru_head) {
        eg_cache_obj_t *o = c->lru_head;
        unlink_locked(c, o);
        eg_cache_obj_unref(o);
    }
    free(c->buckets);
    free(c->uri_buckets);
    free(c->uri_purges);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static void to_front_locked(eg_cache_t *c, eg_cache_obj_t *o)
{
    if (c->lru_head == o)
        return;
    o->lru_prev->lru_next = o->lru_next; /* o is not the head, so it has a prev */
    if (o->lru_next)
        o->lru_next->lru_prev = o->lru_prev;
    else
        c->lru_tail = o->lru_prev;
    o->lru_prev = NULL;
    o->lru_next = c->lru_head;
    c->lru_head->lru_prev = o;
    c->lru_head = o;
}

static eg_cache_obj_t *find_locked(eg_cache_t *c, const char *key, size_t klen,
                                   unsigned long long h)
{
    for (eg_cache_obj_t *o = c->buckets[h & (c->n_buckets - 1)]; o; o = o->hash_next)
        if (o->hash == h && o->klen == klen && memcmp(o->key, key, klen) == 0)
            return o;
    return NULL;
}

eg_cache_obj_t *eg_cache_get(eg_cache_t *c, const char *key, size_t klen)
{
    unsigned long long h = eg_hash_seeded(c->seed, key, klen);
    eg_cache_obj_t *o;
    pthread_mutex_lock(&c->lock);
    o = find_locked(c, key, klen, h);
    if (o) {
        to_front_locked(c, o);
        eg_cache_obj_ref(o);
    }
    pthread_mutex_unlock(&c->lock);
    return o;
}

static size_t uri_len(const char *key, size_t klen);

/* What a fill of a key must find unchanged to store: the invalidations of everything and
 * those of its URI's bucket (so a POST holds back the fills of its own URI, and of the few
 * that share its bucket, not all of them). Under the lock. */
static unsigned long long purges_locked(eg_cache_t *c, unsigned long long uri_hash)
{
    return (c->purges << 32) ^ c->uri_purges[uri_hash & (c->n_buckets - 1)];
}

unsigned long long eg_cache_purges(eg_cache_t *c, const char *key, size_t klen)
{
    unsigned long long n, uh = eg_hash_seeded(c->seed, key, uri_len(key, klen));
    pthread_mutex_lock(&c->lock);
    n = purges_locked(c, uh);
    pthread_mutex_unlock(&c->lock);
    return n;
}

void eg_cache_put(eg_cache_t *c, eg_cache_obj_t *obj)
{
    eg_cache_put_unless_purged(c, obj, ~0ULL);
}

/* The URI part of a key: up to its second '\n' ("dist\npath[?query]"). */
static size_t uri_len(const char *key, size_t klen)
{
    const char *nl = memchr(key, '\n', klen);
    if (nl)
        nl = memchr(nl + 1, '\n', klen - (size_t)(nl + 1 - key));
    return nl ? (size_t)(nl - key) : klen;
}

int eg_cache_put_unless_purged(eg_cache_t *c, eg_cache_obj_t *obj, unsigned long long purges)
{
    eg_cache_obj_t *old, *evicted = NULL;
    if (obj->size > c->max_bytes || obj->body_len > eg_cache_max_object(c))
        return 0;
    obj->hash = eg_hash_seeded(c->seed, obj->key, obj->klen);
    obj->uri_hash = eg_hash_seeded(c->seed, obj->key, uri_len(obj->key, obj->klen));
    pthread_mutex_lock(&c->lock);
    if (purges != ~0ULL && purges != purges_locked(c, obj->uri_hash)) {
        /* an invalidation ran while this was fetched: what it fetched may be what the
         * invalidation was for (checked under the lock the invalidation takes) */
        pthread_mutex_unlock(&c->lock);
        return 0;
    }
    old = find_locked(c, obj->key, obj->klen, obj->hash);
    if (old) {
        unlink_locked(c, old);
        old->hash_next = evicted;
        evicted = old;
    }
    while (c->bytes + obj->size > c->max_bytes && c->lru_tail) {
        eg_cache_obj_t *t = c->lru_tail;
        unlink_locked(c, t);
        t->hash_next = evicted;
        evicted = t;
    }
    eg_cache_obj_ref(obj);
    obj->stored = 1;
    obj->hash_next = c->buckets[obj->hash & (c->n_buckets - 1)];
    c->buckets[obj->hash & (c->n_buckets - 1)] = obj;
    obj->uri_prev = NULL;
    obj->uri_next = c->uri_buckets[obj->uri_hash & (c->n_buckets - 1)];
    if (obj->uri_next)
        obj->uri_next->uri_prev = obj;
    c->uri_buckets[obj->uri_hash & (c->n_buckets - 1)] = obj;
    obj->lru_prev = NULL;
    obj->lru_next = c->lru_head;
    if (c->lru_head)
        c->lru_head->lru_prev = obj;
    c->lru_head = obj;
    if (c->lru_tail == NULL)
        c->lru_tail = obj;
    c->bytes += obj->size;
    c->objects++;
    pthread_mutex_unlock(&c->lock);
    while (evicted) { /* the last reference may free a large body: not under the lock */
        eg_cache_obj_t *n = evicted->hash_next;
        evicted->hash_next = NULL;
        eg_cache_obj_unref(evicted);
        evicted = n;
    }
    return 1;
}

int eg_cache_remove(eg_cache_t *c, eg_cache_obj_t *o)
{
    int removed = 0;
    pthread_mutex_lock(&c->lock);
    if (o->stored) {
        unlink_locked(c, o);
        removed = 1;
    }
    pthread_mutex_unlock(&c->lock);
    if (removed)
        eg_cache_obj_unref(o); /* the cache's reference; the caller still holds its own */
    return removed;
}

/* key = "dist\npath[?query]" */
static int key_matches(const eg_cache_obj_t *o, const char *dist, size_t dlen, const char *path,
                       size_t plen, int prefix)
{
    const char *p, *q;
    size_t n;
    if (o->klen <= dlen || memcmp(o->key, dist, dlen) != 0 || o->key[dlen] != '\n')
        return 0;
    p = o->key + dlen + 1;
    n = o->klen - dlen - 1;
    if (prefix)
        return n >= plen && memcmp(p, path, plen) == 0;
    /* the path ends at its query or at the key's variant part ("\n" + method, headers...) */
    for (q = p; q < p + n && *q != '?' && *q != '\n'; q++)
        ;
    n = (size_t)(q - p);
    return n == plen && memcmp(p, path, plen) == 0;
}

size_t eg_cache_invalidate(eg_cache_t *c, const char *dist, const char *path)
{
    size_t dlen = strlen(dist), plen = strlen(path), count = 0;
    int prefix = plen > 0 && path[plen - 1] == '*';
    eg_cache_obj_t *o, *next, *gone = NULL;
    if (prefix)
        plen--;
    pthread_mutex_lock(&c->lock);
    c->purges++;
    for (o = c->lru_head; o; o = next) {
        next = o->lru_next;
        if (key_matches(o, dist, dlen, path, plen, prefix)) {
            unlink_locked(c, o);
            o->hash_next = gone;
            gone = o;
            count++;
        }
    }
    pthread_mutex_unlock(&c->lock);
    while (gone) {
        next = gone->hash_next;
        gone->hash_next = NULL;
        eg_cache_obj_unref(gone);
        gone = next;
    }
    return count;
}

void eg_cache_stats(eg_cache_t *c, size_t *objects, size_t *bytes)
{
    pthread_mutex_lock(&c->lock);
    *objects = c->objects;
    *bytes = c->bytes;
    pthread_mutex_unlock(&c->lock);
}

static int skip_field(const eg_http_head_t *h, const eg_header_t *hd)
{
    /* hop-by-hop, fixed or named by the origin's Connection, described the connection the
     * object came over, not the object: storing them would replay them to every viewer; the
     * age is edgegate's to say. (Surrogate-Control is kept, for a 304's judgement, and
     * never served: front_deliver.c) */
    return eg_http_is_hop_field(h, hd->name, hd->name_len) ||
           (hd->name_len == 14 && !strncasecmp(hd->name, "Content-Length", 14)) ||
           (hd->name_len == 3 && !strncasecmp(hd->name, "Age", 3));
}

static void add_field(eg_cache_obj_t *o, const char *name, size_t nlen, const char *value,
                      size_t vlen)
{
    eg_kv_t *kv = &o->headers[o->n_headers++];
    kv->name = eg_strndup(name, nlen);
    kv->value = eg_strndup(value, vlen);
    if (!strcasecmp(kv->name, "ETag"))
        o->etag = kv->value;
    else if (!strcasecmp(kv->name, "Last-Modified"))
        o->last_modified = kv->value;
    o->size += nlen + vlen + FIELD_OVERHEAD;
}

/* o->vary from its fields, once they are all in. */
static void collect_vary(eg_cache_obj_t *o)
{
    eg_buf_t b = {0};
    for (size_t i = 0; i < o->n_headers; i++)
        if (strcasecmp(o->headers[i].name, "Vary") == 0) {
            if (b.len)
                eg_buf_adds(&b, ",");
            eg_buf_adds(&b, o->headers[i].value);
        }
    if (b.len) {
        o->vary = eg_strndup(b.data, b.len);
        o->size += b.len + FIELD_OVERHEAD;
    }
    eg_buf_free(&b);
}

void eg_cache_obj_set_fresh(eg_cache_obj_t *o, const eg_fresh_t *f)
{
    long long now = eg_now_ms();
    long ttl = f->ttl < -EG_FRESH_INFINITY ? -EG_FRESH_INFINITY : f->ttl;
    o->age0 = f->age;
    o->stored_ms = now;
    o->expires_ms = now + (long long)ttl * 1000;
    o->swr_ms = f->swr * 1000;
    o->sie_ms = f->sie * 1000;
    o->revalidate = f->revalidate;
}

static eg_cache_obj_t *obj_alloc(const char *key, size_t klen, int status, size_t max_fields)
{
    eg_cache_obj_t *o = eg_calloc(1, sizeof(*o));
    o->refs = 1;
    o->key = eg_strndup(key, klen);
    o->klen = klen;
    o->status = status;
    o->headers = eg_calloc(max_fields ? max_fields : 1, sizeof(*o->headers));
    o->size = OBJ_OVERHEAD + klen + (max_fields ? max_fields : 1) * sizeof(*o->headers);
    return o;
}

eg_cache_obj_t *eg_cache_obj_new(const char *key, size_t klen, const eg_http_head_t *h,
                                 const char *body, size_t body_len, const eg_fresh_t *f)
{
    eg_cache_obj_t *o = obj_alloc(key, klen, h->status, h->n_headers);
    for (size_t i = 0; i < h->n_headers; i++)
        if (!skip_field(h, &h->headers[i]))
            add_field(o, h->headers[i].name, h->headers[i].name_len, h->headers[i].value,
                      h->headers[i].value_len);
    collect_vary(o);
    o->body = eg_malloc(body_len ? body_len : 1);
    memcpy(o->body, body, body_len);
    o->body_len = body_len;
    o->size += body_len;
    eg_cache_obj_set_fresh(o, f);
    return o;
}

/* Fields that describe the stored content itself: a 304 does not change them (the body is
 * the stored one), whatever it says. */
static int describes_content(const char *name, size_t len)
{
    static const char *const names[] = {"Content-Encoding", "Content-Length", "Content-MD5",
                                        "Content-Range", "ETag", "Transfer-Encoding"};
    for (size_t i = 0; i < EG_ARRAY_LEN(names); i++)
        if (len == strlen(names[i]) && strncasecmp(name, names[i], len) == 0)
            return 1;
    return 0;
}

/* 1 when the 304 carries a field named name that replaces the stored lines. */
static int in_304(const eg_http_head_t *h, const char *name)
{
    size_t n = strlen(name);
    if (describes_content(name, n))
        return 0;
    for (size_t i = 0; i < h->n_headers; i++)
        if (h->headers[i].name_len == n && !strncasecmp(h->headers[i].name, name, n) &&
            !skip_field(h, &h->headers[i]))
            return 1;
    return 0;
}

eg_cache_obj_t *eg_cache_obj_update(eg_cache_obj_t *o, const eg_http_head_t *h304)
{
    eg_cache_obj_t *n = obj_alloc(o->key, o->klen, o->status, o->n_headers + h304->n_headers);
    for (size_t i = 0; i < o->n_headers; i++)
        if (!in_304(h304, o->headers[i].name))
            add_field(n, o->headers[i].name, strlen(o->headers[i].name), o->headers[i].value,
                      strlen(o->headers[i].value));
    for (size_t i = 0; i < h304->n_headers; i++) {
        const eg_header_t *hd = &h304->headers[i];
        if (skip_field(h304, hd) || describes_content(hd->name, hd->name_len))
            continue;
        add_field(n, hd->name, hd->name_len, hd->value, hd->value_len);
    }
    collect_vary(n);
    eg_cache_obj_ref(o->body_owner ? o->body_owner : o);
    n->body_owner = o->body_owner ? o->body_owner : o;
    n->body = o->body;
    n->body_len = o->body_len;
    n->size += o->body_len;
    return n;
}

int eg_cache_obj_head(const eg_cache_obj_t *o, const eg_header_t *extra, eg_http_head_t *h)
{
    h->status = o->status;
    h->minor_version = 1;
    h->why = NULL;
    h->head_len = 0;
    h->n_headers = 0;
    if (o->n_headers + (extra != NULL) > EG_HTTP_MAX_HEADERS)
        return -1; /* a view that leaves fields out would be judged wrong */
    for (size_t i = 0; i < o->n_headers; i++) {
        eg_header_t *hd = &h->headers[h->n_headers++];
        hd->name = o->headers[i].name;
        hd->name_len = strlen(hd->name);
        hd->value = o->headers[i].value;
        hd->value_len = strlen(hd->value);
    }
    if (extra)
        h->headers[h->n_headers++] = *extra;
    return 0;
}

int eg_cache_obj_fresh(const eg_cache_obj_t *o)
{
    return o->expires_ms > eg_now_ms();
}

int eg_cache_obj_stale_within(const eg_cache_obj_t *o, long window_ms)
{
    return !o->revalidate && window_ms > 0 && o->expires_ms + window_ms > eg_now_ms();
}

long eg_cache_obj_age(const eg_cache_obj_t *o)
{
    long long here = (eg_now_ms() - o->stored_ms) / 1000;
    long long age = (long long)o->age0 + (here > 0 ? here : 0);
    return age < EG_FRESH_INFINITY ? (long)age : EG_FRESH_INFINITY;
}

eg_cache_obj_t *eg_cache_obj_vary(const char *key, size_t klen, const char *names)
{
    eg_cache_obj_t *o = obj_alloc(key, klen, 0, 1);
    add_field(o, "Vary", 4, names, strlen(names));
    o->body = eg_malloc(1);
    o->expires_ms = LLONG_MAX / 2; /* the variants age, not the list of what they vary on */
    o->revalidate = 1;
    return o;
}

static eg_cache_flight_t *flight_find_locked(eg_cache_t *c, const char *key, size_t klen)
{
    eg_cache_flight_t *f;
    for (f = c->flights; f; f = f->next)
        if (f->klen == klen && memcmp(f->key, key, klen) == 0)
            break;
    return f;
}

static eg_cache_flight_t *flight_new_locked(eg_cache_t *c, const char *key, size_t klen)
{
    eg_cache_flight_t *f = eg_calloc(1, sizeof(*f));
    f->key = eg_strndup(key, klen);
    f->klen = klen;
    pthread_cond_init(&f->cond, NULL);
    f->next = c->flights;
    c->flights = f;
    return f;
}

int eg_cache_flight_begin(eg_cache_t *c, const char *key, size_t klen, int timeout_ms,
                          eg_cache_flight_t **leader)
{
    eg_cache_flight_t *f;
    struct timespec ts;
    *leader = NULL;
    pthread_mutex_lock(&c->lock);
    f = flight_find_locked(c, key, klen);
    if (f == NULL) {
        *leader = flight_new_locked(c, key, klen);
        pthread_mutex_unlock(&c->lock);
        return 1;
    }
    f->waiters++;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    while (!f->done)
        if (pthread_cond_timedwait(&f->cond, &c->lock, &ts) != 0)
            break;
    if (--f->waiters == 0 && f->done) {
        pthread_cond_destroy(&f->cond);
        free(f->key);
        free(f);
    }
    pthread_mutex_unlock(&c->lock);
    return 0;
}

eg_cache_flight_t *eg_cache_flight_try(eg_cache_t *c, const char *key, size_t klen)
{
    eg_cache_flight_t *f;
    pthread_mutex_lock(&c->lock);
    f = flight_find_locked(c, key, klen) ? NULL : flight_new_locked(c, key, klen);
    pthread_mutex_unlock(&c->lock);
    return f;
}

void eg_cache_flight_end(eg_cache_t *c, eg_cache_flight_t *f)
{
    eg_cache_flight_t **pp;
    if (f == NULL)
        return;
    pthread_mutex_lock(&c->lock);
    for (pp = &c->flights; *pp && *pp != f; pp = &(*pp)->next)
        ;
    if (*pp)
        *pp = f->next;
    f->done = 1;
    if (f->waiters == 0) {
        pthread_cond_destroy(&f->cond);
        free(f->key);
        free(f);
    } else {
        pthread_cond_broadcast(&f->cond);
    }
    pthread_mutex_unlock(&c->lock);
}

/* The URI part of a key ("path[?query]" between the dist's "\n" and the variant's) is path,
 * or path?query. */
/* Unlinks the objects whose URI part is exactly uri (uri_len bytes) onto *gone. */
static size_t take_uri_locked(eg_cache_t *c, const char *uri, size_t len, eg_cache_obj_t **gone)
{
    unsigned long long h = eg_hash_seeded(c->seed, uri, len);
    eg_cache_obj_t *o = c->uri_buckets[h & (c->n_buckets - 1)], *next;
    size_t count = 0;
    c->uri_purges[h & (c->n_buckets - 1)]++; /* fills of this URI under way store nothing */
    for (; o; o = next) {
        next = o->uri_next;
        if (o->uri_hash == h && uri_len(o->key, o->klen) == len && memcmp(o->key, uri, len) == 0) {
            unlink_locked(c, o);
            o->hash_next = *gone;
            *gone = o;
            count++;
        }
    }
    return count;
}

size_t eg_cache_invalidate_uri(eg_cache_t *c, const char *dist, const char *path,
                               const char *query)
{
    eg_buf_t uri = {0};
    size_t count = 0, bare;
    eg_cache_obj_t *next, *gone = NULL;
    eg_buf_printf(&uri, "%s\n%s", dist, path);
    bare = uri.len;
    if (query && query[0])
        eg_buf_printf(&uri, "?%s", query);
    pthread_mutex_lock(&c->lock);
    count += take_uri_locked(c, uri.data, bare, &gone);
    if (uri.len > bare)
        count += take_uri_locked(c, uri.data, uri.len, &gone);
    pthread_mutex_unlock(&c->lock);
    while (gone) { /* the last reference may free a large body: not under the lock */
        next = gone->hash_next;
        gone->hash_next = NULL;
        eg_cache_obj_unref(gone);
        gone = next;
    }
    eg_buf_free(&uri);
    return count;
}
