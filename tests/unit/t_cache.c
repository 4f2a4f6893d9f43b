/* Cache mechanics without the network: 304 updates, LRU eviction by bytes, invalidation matching,
 * collapsed forwarding. */
#include <pthread.h>
#include <strings.h>
#include <unistd.h>

#include "edgegate/cache.h"
#include "edgegate/common.h"
#include "tap.h"

static eg_http_head_t h;

static eg_cache_obj_t *obj(const char *key, size_t body, int ttl)
{
    static char buf[200000];
    const char *head = "HTTP/1.1 200 OK\r\nETag: \"e\"\r\n\r\n";
    eg_http_parse_response_head(head, strlen(head), &h);
    eg_fresh_t f = {.ttl = ttl};
    return eg_cache_obj_new(key, strlen(key), &h, buf, body, &f);
}

static int present(eg_cache_t *c, const char *key)
{
    eg_cache_obj_t *o = eg_cache_get(c, key, strlen(key));
    eg_cache_obj_unref(o);
    return o != NULL;
}

static eg_cache_t *shared;
static int leaders;

static void *flyer(void *arg)
{
    eg_cache_flight_t *f;
    if (eg_cache_flight_begin(shared, "k", 1, 5000, &f)) {
        __atomic_add_fetch(&leaders, 1, __ATOMIC_RELAXED);
        usleep(100000);
        eg_cache_flight_end(shared, f);
    }
    return arg;
}

/* RFC 9111 4.4's invalidation: one URI, every variant, nothing else. */
static void invalidate_uri(void)
{
    static const char *const gone[] = {
        "d\n/a/b\nm:GET\nae:", "d\n/a/b\nm:GET\nae:gzip", "d\n/a/b\nm:OPTIONS\nae:",
        "d\n/a/b?x=1\nm:GET\nae:", "d\n/a/b\nm:GET\nae:\nh:accept-language=fr"};
    static const char *const kept[] = {
        "d\n/a/b?x=2\nm:GET\nae:", "d\n/a/bc\nm:GET\nae:", "d\n/a/b/\nm:GET\nae:",
        "d\n/a\nm:GET\nae:", "e\n/a/b\nm:GET\nae:", "dd\n/a/b\nm:GET\nae:",
        "d\n/x*\nm:GET\nae:"};
    eg_cache_t *c = eg_cache_new(1 << 20);
    unsigned long long purges;
    eg_cache_obj_t *o;
    int all = 1;
    for (size_t i = 0; i < EG_ARRAY_LEN(gone); i++)
        eg_cache_put(c, o = obj(gone[i], 10, 60)), eg_cache_obj_unref(o);
    for (size_t i = 0; i < EG_ARRAY_LEN(kept); i++)
        eg_cache_put(c, o = obj(kept[i], 10, 60)), eg_cache_obj_unref(o);
    purges = eg_cache_purges(c, "d\n/elsewhere", 12);
    is_int(eg_cache_invalidate_uri(c, "d", "/a/b", "x=1"), EG_ARRAY_LEN(gone),
           "a URI's variants go: headers, encodings, methods, and the path without its query");
    for (size_t i = 0; i < EG_ARRAY_LEN(kept); i++)
        if (!present(c, kept[i])) {
            printf("#   removed: %s\n", kept[i]);
            all = 0;
        }
    ok(all, "other queries, paths, longer paths and distributions stay");
    ok(eg_cache_purges(c, "d\n/elsewhere", 12) == purges,
       "fills in flight for another URI may still store");
    {
        unsigned long long before = eg_cache_purges(c, "d\n/a/b?x=1\nm:GET", 16);
        eg_cache_obj_t *late = obj("d\n/a/b?x=1\nm:GET", 10, 60);
        eg_cache_invalidate_uri(c, "d", "/a/b", "x=1");
        ok(eg_cache_put_unless_purged(c, late, before) == 0,
           "a fill of the URI that began before its invalidation stores nothing");
        ok(eg_cache_put_unless_purged(c, late, eg_cache_purges(c, late->key, late->klen)) == 1,
           "one that began after it does");
        eg_cache_obj_unref(late);
    }
    is_int(eg_cache_invalidate_uri(c, "d", "/x", NULL), 0, "never a prefix");
    is_int(eg_cache_invalidate_uri(c, "d", "/x*", ""), 1, "a final '*' is a character");
    is_int(eg_cache_invalidate_uri(c, "d", "/a/b", NULL), 0, "without a query: the path alone");
    {
        /* one URI, many keys (a cookie each): removed from the middle, the end and the
         * head of their chain, the rest still found by URI */
        eg_cache_obj_t *keep[6];
        char key[64];
        for (int i = 0; i < 6; i++) {
            snprintf(key, sizeof(key), "d\n/same\nm:GET\nc:sid=%d", i);
            keep[i] = obj(key, 10, 60);
            eg_cache_put(c, keep[i]);
        }
        ok(eg_cache_remove(c, keep[2]) && eg_cache_remove(c, keep[0]) &&
               eg_cache_remove(c, keep[5]) && !eg_cache_remove(c, keep[5]),
           "removed once each, wherever they sit in their URI's chain");
        is_int(eg_cache_invalidate_uri(c, "d", "/same", NULL), 3, "the other three by URI");
        for (int i = 0; i < 6; i++)
            eg_cache_obj_unref(keep[i]);
    }
    eg_cache_free(c);
}

int main(void)
{
    eg_cache_t *c;
    eg_cache_obj_t *o;

    c = eg_cache_new(3 * 1000 + 3 * 600);
    eg_cache_put(c, o = obj("d\n/a", 1000, 60)), eg_cache_obj_unref(o);
    eg_cache_put(c, o = obj("d\n/b", 1000, 60)), eg_cache_obj_unref(o);
    eg_cache_put(c, o = obj("d\n/c", 1000, 60)), eg_cache_obj_unref(o);
    ok(present(c, "d\n/a"), "a is cached (and now most recently used)");
    eg_cache_put(c, o = obj("d\n/d", 1000, 60)), eg_cache_obj_unref(o);
    ok(!present(c, "d\n/b"), "b, least recently used, was evicted");
    ok(present(c, "d\n/a") && present(c, "d\n/c") && present(c, "d\n/d"), "the rest stay");
    {
        size_t n, bytes;
        eg_cache_stats(c, &n, &bytes);
        ok(n == 3 && bytes <= 3 * 1000 + 3 * 600, "bytes stay under the bound (%zu)", bytes);
    }
    o = eg_cache_get(c, "d\n/a", 4);
    is_int(eg_cache_invalidate(c, "d", "/a"), 1, "invalidate /a");
    ok(o && o->body_len == 1000, "a response still holding it keeps its body");
    eg_cache_obj_unref(o);
    eg_cache_put(c, o = obj("d\n/img/x?v=1", 10, 60)), eg_cache_obj_unref(o);
    eg_cache_put(c, o = obj("e\n/img/y", 10, 60)), eg_cache_obj_unref(o);
    is_int(eg_cache_invalidate(c, "d", "/img/x"), 1, "a path removes its query variants");
    eg_cache_put(c, o = obj("d\n/img/x", 10, 60)), eg_cache_obj_unref(o);
    is_int(eg_cache_invalidate(c, "d", "/img/*"), 1, "a star removes by prefix");
    ok(present(c, "e\n/img/y"), "other distributions are untouched");
    is_int(eg_cache_invalidate(c, "d", "/*"), 2, "/* removes the distribution's objects");
    o = obj("d\n/t", 10, 0);
    ok(!eg_cache_obj_fresh(o), "TTL 0 is stale at once");
    {
        /* a 304 (RFC 9111 4.3.4): its fields replace the stored ones, the body is shared */
        const char *h304 = "HTTP/1.1 304 Not Modified\r\nETag: \"f\"\r\nX-New: 1\r\n"
                           "Content-Length: 99\r\nAge: 7\r\n\r\n";
        eg_http_head_t *m = malloc(sizeof(*m));
        eg_fresh_t fr = {.ttl = 60, .age = 7};
        eg_cache_obj_t *n;
        eg_http_parse_response_head(h304, strlen(h304), m);
        n = eg_cache_obj_update(o, m);
        eg_cache_obj_set_fresh(n, &fr);
        ok(eg_cache_obj_fresh(n) && !eg_cache_obj_fresh(o), "the update is fresh, o is not");
        is_str(n->etag, "\"e\"", "the stored ETag stays: it names the stored body");
        ok(n->n_headers == 2 && strcmp(n->headers[1].name, "X-New") == 0,
           "the 304's other fields are added; Content-Length and Age are not (%zu)",
           n->n_headers);
        ok(n->body == o->body && n->body_len == 10, "the body is shared, not copied");
        ok(eg_cache_obj_age(n) == 7, "the age is the one it came with");
        eg_cache_obj_unref(o);
        o = n; /* the body outlives the object it came from */
        ok(o->body_len == 10 && o->body[9] == 0, "the shared body outlives its first object");
        free(m);
    }
    eg_cache_obj_unref(o);
    o = obj("d\n/huge", 200000, 60);
    eg_cache_put(c, o);
    eg_cache_obj_unref(o);
    ok(!present(c, "d\n/huge"), "an object larger than the bound is not stored");
    eg_cache_free(c);

    {
        /* hop-by-hop fields describe the origin's connection, not the object: a stored copy
         * holding them would replay them to every viewer (RFC 9110 section 7.6.1) */
        static const char *const hop[] = {"Connection", "Keep-Alive", "Proxy-Connection", "TE",
                                          "Trailer", "Transfer-Encoding", "Upgrade",
                                          "Proxy-Authenticate", "X-Secret", "X-Other",
                                          "Content-Length", "Age"};
        const char *head = "HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Secret\r\n"
                           "Keep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\n"
                           "TE: trailers\r\nTrailer: X-T\r\nTransfer-Encoding: chunked\r\n"
                           "Upgrade: h2c\r\nProxy-Authenticate: Basic\r\n"
                           "X-Secret: s3cr3t\r\nconnection: X-OTHER\r\nx-other: o\r\n"
                           "Content-Length: 2\r\nAge: 5\r\nETag: \"v\"\r\n"
                           "Surrogate-Control: max-age=9\r\n"
                           "Cache-Control: max-age=60\r\nX-Kept: k\r\n\r\n";
        int leaked = 0;
        ok(eg_http_parse_response_head(head, strlen(head), &h) == 1, "a head full of hops");
        eg_fresh_t fr = {.ttl = 60};
        o = eg_cache_obj_new("d\n/hop", 6, &h, "ok", 2, &fr);
        for (size_t i = 0; i < o->n_headers; i++)
            for (size_t j = 0; j < EG_ARRAY_LEN(hop); j++)
                if (strcasecmp(o->headers[i].name, hop[j]) == 0) {
                    printf("#   stored %s: %s\n", o->headers[i].name, o->headers[i].value);
                    leaked++;
                }
        is_int(leaked, 0, "no hop-by-hop field and none a Connection field names is stored");
        is_int(o->n_headers, 4,
               "the end-to-end fields are kept (ETag, Cache-Control, Surrogate-Control, X-Kept)");
        is_str(o->etag, "\"v\"", "the ETag is still found");
        eg_cache_obj_unref(o);
    }

    {
        eg_cache_t *pc = eg_cache_new(1 << 20);
        unsigned long long before = eg_cache_purges(pc, "d\n/b", 4);
        eg_cache_obj_t *a = obj("d\n/a", 10, 60), *b = obj("d\n/b", 10, 60), *g;
        ok(eg_cache_put_unless_purged(pc, a, before) == 1, "stored when nothing was purged");
        eg_cache_invalidate(pc, "d", "/other");
        ok(eg_cache_put_unless_purged(pc, b, before) == 0 &&
               (g = eg_cache_get(pc, "d\n/b", 4)) == NULL,
           "not stored after an invalidation ran since the fill began");
        ok(eg_cache_put_unless_purged(pc, b, eg_cache_purges(pc, "d\n/b", 4)) == 1,
           "stored by a fill that began after it");
        eg_cache_obj_unref(a);
        eg_cache_obj_unref(b);
        eg_cache_free(pc);
    }

    shared = eg_cache_new(1 << 20);
    {
        pthread_t t[8];
        for (int i = 0; i < 8; i++)
            pthread_create(&t[i], NULL, flyer, NULL);
        for (int i = 0; i < 8; i++)
            pthread_join(t[i], NULL);
    }
    ok(leaders >= 1 && leaders <= 2, "concurrent flights for a key have one leader at a time "
                                     "(%d)", leaders);
    eg_cache_free(shared);
    invalidate_uri();
    return done();
}
