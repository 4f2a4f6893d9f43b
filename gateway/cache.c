/* The in-memory cache: a chained hash table plus an LRU list under one mutex. Bodies are
 * immutable once stored and reference-counted, so a response keeps its object alive after
 * an eviction or an invalidation without copying. */
#include <ctype.h>
#include <pthread.h>
#include <strings.h>

#include "edgegate/cache.h"
#include "edgegate/common.h"
#include "edgegate/io.h"

#define OBJ_OVERHEAD 256 /* bookkeeping an object costs beyond its bytes */

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
    size_t n_buckets;
    eg_cache_obj_t *lru_head, *lru_tail; /* head = most recently used */
    size_t bytes, max_bytes, objects;
    eg_cache_flight_t *flights;
    unsigned long long purges; /* eg_cache_invalidate calls so far, under lock */
};

eg_cache_t *eg_cache_new(size_t max_bytes)
{
    eg_cache_t *c = eg_calloc(1, sizeof(*c));
    c->n_buckets = 1 << 14;
    c->buckets = eg_calloc(c->n_buckets, sizeof(*c->buckets));
    c->max_bytes = max_bytes;
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
    unsigned long long h = eg_hash(key, klen);
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

unsigned long long eg_cache_purges(eg_cache_t *c)
{
    unsigned long long n;
    pthread_mutex_lock(&c->lock);
    n = c->purges;
    pthread_mutex_unlock(&c->lock);
    return n;
}

void eg_cache_put(eg_cache_t *c, eg_cache_obj_t *obj)
{
    eg_cache_put_unless_purged(c, obj, ~0ULL);
}

int eg_cache_put_unless_purged(eg_cache_t *c, eg_cache_obj_t *obj, unsigned long long purges)
{
    eg_cache_obj_t *old, *evicted = NULL;
    if (obj->size > c->max_bytes || obj->body_len > eg_cache_max_object(c))
        return 0;
    obj->hash = eg_hash(obj->key, obj->klen);
    pthread_mutex_lock(&c->lock);
    if (purges != ~0ULL && purges != c->purges) {
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

static time_t parse_http_date(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    if (s == NULL || strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm) == NULL)
        return (time_t)-1;
    return timegm(&tm);
}

eg_cache_obj_t *eg_cache_obj_new(const char *key, size_t klen, const eg_http_head_t *h,
                                 const char *body, size_t body_len, int ttl)
{
    eg_cache_obj_t *o = eg_calloc(1, sizeof(*o));
    const eg_header_t *date = eg_http_find(h, "Date");
    o->refs = 1;
    o->key = eg_strndup(key, klen);
    o->klen = klen;
    o->status = h->status;
    o->headers = eg_calloc(h->n_headers, sizeof(*o->headers));
    o->size = OBJ_OVERHEAD + klen + body_len;
    for (size_t i = 0; i < h->n_headers; i++) {
        const eg_header_t *hd = &h->headers[i];
        /* hop-by-hop, fixed or named by the origin's Connection, described the connection the
         * object came over, not the object: storing them would replay them to every viewer */
        if (eg_http_is_hop_field(h, hd->name, hd->name_len) ||
            (hd->name_len == 14 && !strncasecmp(hd->name, "Content-Length", 14)) ||
            (hd->name_len == 3 && !strncasecmp(hd->name, "Age", 3)))
            continue;
        o->headers[o->n_headers].name = eg_strndup(hd->name, hd->name_len);
        o->headers[o->n_headers].value = eg_strndup(hd->value, hd->value_len);
        if (!strcasecmp(o->headers[o->n_headers].name, "ETag"))
            o->etag = o->headers[o->n_headers].value;
        else if (!strcasecmp(o->headers[o->n_headers].name, "Last-Modified"))
            o->last_modified = o->headers[o->n_headers].value;
        o->size += hd->name_len + hd->value_len + 4;
        o->n_headers++;
    }
    o->body = eg_malloc(body_len);
    memcpy(o->body, body, body_len);
    o->body_len = body_len;
    o->date = time(NULL);
    if (date) {
        char *d = eg_strndup(date->value, date->value_len);
        time_t t = parse_http_date(d);
        if (t != (time_t)-1 && t <= o->date)
            o->date = t;
        free(d);
    }
    o->expires_ms = eg_now_ms() + (long long)ttl * 1000;
    return o;
}

int eg_cache_obj_fresh(const eg_cache_obj_t *o)
{
    return __atomic_load_n(&o->expires_ms, __ATOMIC_RELAXED) > eg_now_ms();
}

void eg_cache_obj_refresh(eg_cache_obj_t *o, int ttl)
{
    __atomic_store_n(&o->expires_ms, eg_now_ms() + (long long)ttl * 1000, __ATOMIC_RELAXED);
    o->date = time(NULL);
}

long eg_cache_obj_age(const eg_cache_obj_t *o)
{
    time_t now = time(NULL);
    return now > o->date ? (long)(now - o->date) : 0;
}

/* Value of "name=N" among Cache-Control directives, -1 when absent or not a number. */
static long directive(const char *v, size_t len, const char *name)
{
    size_t nl = strlen(name);
    const char *p = v, *end = v + len;
    while (p < end) {
        while (p < end && (*p == ' ' || *p == ','))
            p++;
        if ((size_t)(end - p) > nl && strncasecmp(p, name, nl) == 0 && p[nl] == '=') {
            long n = 0;
            p += nl + 1;
            if (p < end && *p == '"')
                p++;
            if (p >= end || !isdigit((unsigned char)*p))
                return -1;
            while (p < end && isdigit((unsigned char)*p) && n < 100000000L)
                n = n * 10 + (*p++ - '0');
            return n;
        }
        while (p < end && *p != ',')
            p++;
    }
    return -1;
}

static int is_field(const eg_header_t *f, const char *name)
{
    return f->name_len == strlen(name) && strncasecmp(f->name, name, f->name_len) == 0;
}

/* Whether any element of any Cache-Control line is the directive name, bare or with an
 * argument ("private" and private="Set-Cookie" alike: a shared cache that cannot drop just
 * the named fields must not store at all). Repeated lines are one list (RFC 9110 5.3). */
static int cc_has(const eg_http_head_t *h, const char *name)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i < h->n_headers; i++) {
        const char *p, *end;
        if (!is_field(&h->headers[i], "Cache-Control"))
            continue;
        p = h->headers[i].value;
        end = p + h->headers[i].value_len;
        while (p < end) {
            const char *e = p;
            while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
                p++;
            e = p;
            while (e < end && *e != ',' && *e != '=' && *e != ' ' && *e != '\t')
                e++;
            if ((size_t)(e - p) == nl && strncasecmp(p, name, nl) == 0)
                return 1;
            while (e < end && *e != ',')
                e++;
            p = e;
        }
    }
    return 0;
}

/* A delta-seconds directive from the first Cache-Control line that has it, or -1. */
static long cc_seconds(const eg_http_head_t *h, const char *name)
{
    for (size_t i = 0; i < h->n_headers; i++)
        if (is_field(&h->headers[i], "Cache-Control")) {
            long t = directive(h->headers[i].value, h->headers[i].value_len, name);
            if (t >= 0)
                return t;
        }
    return -1;
}

/* 1 when every Vary element on every line is Accept-Encoding (the key holds it). */
static int varies_only_on_encoding(const eg_http_head_t *h)
{
    for (size_t i = 0; i < h->n_headers; i++) {
        const char *p, *end;
        if (!is_field(&h->headers[i], "Vary"))
            continue;
        p = h->headers[i].value;
        end = p + h->headers[i].value_len;
        while (p < end) {
            const char *e = memchr(p, ',', (size_t)(end - p)), *s = p, *t;
            if (e == NULL)
                e = end;
            t = e;
            while (s < t && (*s == ' ' || *s == '\t'))
                s++;
            while (t > s && (t[-1] == ' ' || t[-1] == '\t'))
                t--;
            if (t > s && !(t - s == 15 && strncasecmp(s, "Accept-Encoding", 15) == 0))
                return 0;
            p = e < end ? e + 1 : end;
        }
    }
    return 1;
}

int eg_cache_ttl(const eg_http_head_t *h, int min_ttl, int default_ttl, int max_ttl, time_t now,
                 int *ttl)
{
    const eg_header_t *exp = eg_http_find(h, "Expires");
    long t = -1;

    switch (h->status) {
    case 200: case 203: case 300: case 301: case 410:
        break;
    default:
        return 0;
    }
    if (eg_http_find(h, "Set-Cookie"))
        return 0; /* a cookie is someone's, never everyone's */
    if (!varies_only_on_encoding(h))
        return 0; /* the key does not hold the other request headers */
    if (cc_has(h, "no-store") || cc_has(h, "no-cache") || cc_has(h, "private")) {
        /* CloudFront caches these anyway for the minimum TTL when it is above 0 */
        if (min_ttl <= 0)
            return 0;
        *ttl = min_ttl;
        return 1;
    }
    t = cc_seconds(h, "s-maxage");
    if (t < 0)
        t = cc_seconds(h, "max-age");
    if (t < 0 && exp) {
        char *s = eg_strndup(exp->value, exp->value_len);
        time_t e = parse_http_date(s);
        free(s);
        t = e == (time_t)-1 || e <= now ? 0 : (long)(e - now);
    }
    if (t < 0)
        t = default_ttl;
    if (t < min_ttl)
        t = min_ttl;
    if (t > max_ttl)
        t = max_ttl;
    if (t <= 0)
        return 0;
    *ttl = (int)t;
    return 1;
}

int eg_cache_flight_begin(eg_cache_t *c, const char *key, size_t klen, int timeout_ms,
                          eg_cache_flight_t **leader)
{
    eg_cache_flight_t *f;
    struct timespec ts;
    *leader = NULL;
    pthread_mutex_lock(&c->lock);
    for (f = c->flights; f; f = f->next)
        if (f->klen == klen && memcmp(f->key, key, klen) == 0)
            break;
    if (f == NULL) {
        f = eg_calloc(1, sizeof(*f));
        f->key = eg_strndup(key, klen);
        f->klen = klen;
        pthread_cond_init(&f->cond, NULL);
        f->next = c->flights;
        c->flights = f;
        pthread_mutex_unlock(&c->lock);
        *leader = f;
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
