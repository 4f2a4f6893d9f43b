/* Reading the worker's answer into a route, and the route cache (emptied whole when the
 * configuration changes; when full, the entry least recently used by the clock's measure
 * leaves). */
#include <pthread.h>
#include <stdint.h>
#include <strings.h>

#include "edgegate/common.h"
#include "edgegate/decision.h"
#include "edgegate/io.h"
#include "edgegate/route.h"

void eg_route_ref(eg_route_t *r)
{
    __atomic_add_fetch(&r->refs, 1, __ATOMIC_RELAXED);
}

void eg_route_unref(eg_route_t *r)
{
    if (r == NULL || __atomic_sub_fetch(&r->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    for (size_t i = 0; i < r->n_headers; i++) {
        free(r->headers[i].name);
        free(r->headers[i].value);
    }
    free(r->headers);
    free(r->body);
    eg_decision_clear(r);
    free(r);
}

static int hdr_is(const eg_header_t *h, const char *name)
{
    return h->name_len == strlen(name) && strncasecmp(h->name, name, h->name_len) == 0;
}

/* The decision's fields are read by the table in decision.c; here only what frames an
 * answer: its configuration version, its action, and a final answer's status, headers and
 * body for the viewer. */
int eg_route_parse(const eg_http_head_t *h, const char *body, size_t body_len, eg_route_t **out,
                   char *err, size_t errlen)
{
    eg_route_t *r = eg_calloc(1, sizeof(*r));
    const eg_header_t *action = eg_http_find(h, "X-Eg-Action");
    const eg_header_t *ver = eg_http_find(h, "X-Eg-Config");
    char tmp[32];

    r->refs = 1;
    eg_decision_defaults(r);
    if (ver == NULL || ver->value_len >= sizeof(tmp)) {
        eg_errf(err, errlen, "policy answer has no X-Eg-Config version");
        goto fail;
    }
    memcpy(tmp, ver->value, ver->value_len);
    tmp[ver->value_len] = '\0';
    if (sscanf(tmp, "%lld", &r->config_version) != 1) {
        eg_errf(err, errlen, "policy answer has no X-Eg-Config version");
        goto fail;
    }
    if (eg_decision_read(h, EG_DECISION_EVERY, r, err, errlen) < 0)
        goto fail;
    if (action && action->value_len == 7 && !strncmp(action->value, "forward", 7)) {
        if (h->status != 200) {
            eg_errf(err, errlen, "policy answer is malformed");
            goto fail;
        }
        if (eg_decision_read(h, EG_DECISION_FORWARD, r, err, errlen) < 0)
            goto fail;
        *out = r;
        return 0;
    }
    if (action) {
        eg_errf(err, errlen, "policy answer has an unknown action");
        goto fail;
    }
    if (h->status == 200) {
        eg_errf(err, errlen, "policy answer is neither final nor a forward");
        goto fail;
    }
    r->status = h->status;
    r->headers = eg_calloc(h->n_headers, sizeof(*r->headers));
    for (size_t i = 0; i < h->n_headers; i++) {
        const eg_header_t *hd = &h->headers[i];
        if (hdr_is(hd, "Status") || hdr_is(hd, "Content-Length") ||
            (hd->name_len > 5 && !strncasecmp(hd->name, "X-Eg-", 5)) ||
            eg_http_is_hop_by_hop(hd->name, hd->name_len))
            continue;
        r->headers[r->n_headers].name = eg_strndup(hd->name, hd->name_len);
        r->headers[r->n_headers].value = eg_strndup(hd->value, hd->value_len);
        r->n_headers++;
    }
    r->body = eg_strndup(body, body_len);
    r->body_len = body_len;
    *out = r;
    return 0;
fail:
    eg_route_unref(r);
    return -1;
}

/* --- the cache ------------------------------------------------------------------------ */

/* A chained hash table under a read-write lock. When it is full, the CLOCK algorithm picks
 * the victim: a lookup only sets its entry's reference bit (no write lock on the hot path),
 * and the hand clears bits until it finds an entry not used since its last pass, so what
 * viewers keep asking for stays and a flood of one-off keys only cycles among themselves. */
typedef struct entry {
    struct entry *next;
    uint64_t hash;
    eg_route_t *route; /* owned reference */
    int ref;           /* atomic: used since the hand last passed */
    size_t klen;
    char key[]; /* owned */
} entry_t;

struct eg_route_cache {
    pthread_rwlock_t lock;
    entry_t **buckets;
    size_t n_buckets; /* power of two */
    entry_t **slots;  /* every entry once, for the clock hand */
    size_t n, max, hand;
    long long version;
    uint64_t seed; /* of the keys' hashes: viewers choose the keys */
};

eg_route_cache_t *eg_route_cache_new(size_t max_entries)
{
    eg_route_cache_t *c = eg_calloc(1, sizeof(*c));
    if (max_entries == 0)
        max_entries = 1;
    c->n_buckets = 1;
    while (c->n_buckets < max_entries)
        c->n_buckets <<= 1;
    c->buckets = eg_calloc(c->n_buckets, sizeof(*c->buckets));
    c->slots = eg_calloc(max_entries, sizeof(*c->slots));
    c->max = max_entries;
    c->version = -1;
    c->seed = eg_hash_seed();
    pthread_rwlock_init(&c->lock, NULL);
    return c;
}

static void clear_locked(eg_route_cache_t *c)
{
    for (size_t i = 0; i < c->n; i++) {
        eg_route_unref(c->slots[i]->route);
        free(c->slots[i]);
        c->slots[i] = NULL;
    }
    memset(c->buckets, 0, c->n_buckets * sizeof(*c->buckets));
    c->n = 0;
    c->hand = 0;
}

void eg_route_cache_free(eg_route_cache_t *c)
{
    if (c == NULL)
        return;
    clear_locked(c);
    free(c->buckets);
    free(c->slots);
    pthread_rwlock_destroy(&c->lock);
    free(c);
}

eg_route_t *eg_route_cache_get(eg_route_cache_t *c, const char *key, size_t klen)
{
    uint64_t h = eg_hash_seeded(c->seed, key, klen);
    eg_route_t *r = NULL;
    pthread_rwlock_rdlock(&c->lock);
    for (entry_t *e = c->buckets[h & (c->n_buckets - 1)]; e; e = e->next)
        if (e->hash == h && e->klen == klen && memcmp(e->key, key, klen) == 0) {
            r = e->route;
            eg_route_ref(r);
            if (!__atomic_load_n(&e->ref, __ATOMIC_RELAXED))
                __atomic_store_n(&e->ref, 1, __ATOMIC_RELAXED);
            break;
        }
    pthread_rwlock_unlock(&c->lock);
    return r;
}

/* The slot whose entry leaves, by the clock; its entry is unlinked and freed. */
static size_t evict_locked(eg_route_cache_t *c)
{
    for (;;) {
        size_t i = c->hand;
        entry_t *v = c->slots[i], **pp;
        c->hand = (c->hand + 1) % c->max;
        if (__atomic_load_n(&v->ref, __ATOMIC_RELAXED)) {
            __atomic_store_n(&v->ref, 0, __ATOMIC_RELAXED);
            continue; /* a second chance: at most one lap, then every bit is clear */
        }
        for (pp = &c->buckets[v->hash & (c->n_buckets - 1)]; *pp != v; pp = &(*pp)->next)
            ;
        *pp = v->next;
        eg_route_unref(v->route);
        free(v);
        return i;
    }
}

void eg_route_cache_put(eg_route_cache_t *c, const char *key, size_t klen, eg_route_t *r)
{
    uint64_t h = eg_hash_seeded(c->seed, key, klen);
    entry_t *e;
    size_t slot;
    pthread_rwlock_wrlock(&c->lock);
    if (r->config_version != c->version)
        goto out;
    for (e = c->buckets[h & (c->n_buckets - 1)]; e; e = e->next)
        if (e->hash == h && e->klen == klen && memcmp(e->key, key, klen) == 0)
            goto out; /* another request stored it first */
    slot = c->n < c->max ? c->n++ : evict_locked(c);
    e = eg_malloc(sizeof(*e) + klen);
    e->hash = h;
    e->ref = 0;
    e->klen = klen;
    memcpy(e->key, key, klen);
    e->route = r;
    eg_route_ref(r);
    e->next = c->buckets[h & (c->n_buckets - 1)];
    c->buckets[h & (c->n_buckets - 1)] = e;
    c->slots[slot] = e;
out:
    pthread_rwlock_unlock(&c->lock);
}

void eg_route_cache_set_version(eg_route_cache_t *c, long long version)
{
    pthread_rwlock_wrlock(&c->lock);
    if (c->version != version) {
        clear_locked(c);
        c->version = version;
    }
    pthread_rwlock_unlock(&c->lock);
}

long long eg_route_cache_version(eg_route_cache_t *c)
{
    long long v;
    pthread_rwlock_rdlock(&c->lock);
    v = c->version;
    pthread_rwlock_unlock(&c->lock);
    return v;
}
