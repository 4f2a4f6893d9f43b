/* Cache rules without the network: TTLs, LRU eviction by bytes, invalidation matching,
 * collapsed forwarding. */
#include <pthread.h>
#include <strings.h>
#include <unistd.h>

#include "edgegate/cache.h"
#include "edgegate/common.h"
#include "tap.h"

static eg_http_head_t h;

static int ttl_of(const char *head, int min, int def, int max, int *ttl)
{
    if (eg_http_parse_response_head(head, strlen(head), &h) != 1)
        return -1;
    return eg_cache_ttl(&h, min, def, max, 1000000000, ttl);
}

static eg_cache_obj_t *obj(const char *key, size_t body, int ttl)
{
    static char buf[200000];
    const char *head = "HTTP/1.1 200 OK\r\nETag: \"e\"\r\n\r\n";
    eg_http_parse_response_head(head, strlen(head), &h);
    return eg_cache_obj_new(key, strlen(key), &h, buf, body, ttl);
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

int main(void)
{
    int ttl = -1;
    eg_cache_t *c;
    eg_cache_obj_t *o;

    ok(ttl_of("HTTP/1.1 200 OK\r\n\r\n", 0, 100, 1000, &ttl) == 1 && ttl == 100,
       "no cache headers: default TTL");
    ok(ttl_of("HTTP/1.1 200 OK\r\nCache-Control: max-age=50\r\n\r\n", 0, 100, 1000, &ttl) == 1 &&
           ttl == 50,
       "max-age");
    ok(ttl_of("HTTP/1.1 200 OK\r\nCache-Control: max-age=50, s-maxage=70\r\n\r\n", 0, 100, 1000,
              &ttl) == 1 &&
           ttl == 70,
       "s-maxage wins over max-age");
    ok(ttl_of("HTTP/1.1 200 OK\r\nCache-Control: max-age=5000\r\n\r\n", 0, 100, 1000, &ttl) ==
               1 &&
           ttl == 1000,
       "clamped to max TTL");
    ok(ttl_of("HTTP/1.1 200 OK\r\nCache-Control: max-age=5\r\n\r\n", 30, 100, 1000, &ttl) == 1 &&
           ttl == 30,
       "raised to min TTL");
    ok(ttl_of("HTTP/1.1 200 OK\r\nExpires: Sun, 09 Sep 2001 01:50:40 GMT\r\n\r\n", 0, 100, 1000,
              &ttl) == 1 &&
           ttl == 240,
       "Expires counts from now");
    ok(ttl_of("HTTP/1.1 200 OK\r\nExpires: 0\r\n\r\n", 0, 100, 1000, &ttl) == 0,
       "an invalid Expires means already expired");
    ok(ttl_of("HTTP/1.1 200 OK\r\nCache-Control: no-store\r\n\r\n", 0, 100, 1000, &ttl) == 0,
       "no-store is not cached");
    ok(ttl_of("HTTP/1.1 200 OK\r\nCache-Control: private\r\n\r\n", 5, 100, 1000, &ttl) == 1 &&
           ttl == 5,
       "private cached for min TTL when above 0");
    ok(ttl_of("HTTP/1.1 404 Not Found\r\n\r\n", 0, 100, 1000, &ttl) == 0, "404 not cached");
    ok(ttl_of("HTTP/1.1 301 Moved\r\n\r\n", 0, 100, 1000, &ttl) == 1, "301 cached");
    ok(ttl_of("HTTP/1.1 200 OK\r\nVary: Cookie\r\n\r\n", 0, 100, 1000, &ttl) == 0,
       "Vary on other headers not cached");
    ok(ttl_of("HTTP/1.1 200 OK\r\nVary: Accept-Encoding\r\n\r\n", 0, 100, 1000, &ttl) == 1,
       "Vary: Accept-Encoding cached");
    /* repeated field lines are one list (RFC 9110 5.3): nginx's `expires` plus add_header */
    ok(ttl_of("HTTP/1.1 200 OK\r\nCache-Control: max-age=3600\r\nCache-Control: private\r\n\r\n",
              0, 100, 1000, &ttl) == 0,
       "private on a second Cache-Control line is not cached");
    ok(ttl_of("HTTP/1.1 200 OK\r\nCache-Control: public\r\nCache-Control: no-store\r\n\r\n", 0,
              100, 1000, &ttl) == 0,
       "no-store on a second Cache-Control line is not cached");
    ok(ttl_of("HTTP/1.1 200 OK\r\nCache-Control: public\r\nCache-Control: max-age=7\r\n\r\n", 0,
              100, 1000, &ttl) == 1 && ttl == 7,
       "max-age on a second Cache-Control line counts");
    ok(ttl_of("HTTP/1.1 200 OK\r\nVary: Accept-Encoding\r\nVary: Cookie\r\n\r\n", 0, 100, 1000,
              &ttl) == 0,
       "Vary: Cookie on a second line is not cached");
    ok(ttl_of("HTTP/1.1 200 OK\r\nVary: accept-encoding , Cookie\r\n\r\n", 0, 100, 1000, &ttl) == 0,
       "Vary listing Accept-Encoding and Cookie is not cached");
    ok(ttl_of("HTTP/1.1 200 OK\r\nVary: accept-encoding,\r\n\r\n", 0, 100, 1000, &ttl) == 1,
       "Vary: accept-encoding (any case, empty element) cached");
    ok(ttl_of("HTTP/1.1 200 OK\r\nCache-Control: private=\"Set-Cookie\", max-age=60\r\n\r\n", 0,
              100, 1000, &ttl) == 0,
       "qualified private=\"...\" is not cached");
    ok(ttl_of("HTTP/1.1 200 OK\r\nCache-Control: no-cache=\"Set-Cookie\"\r\n\r\n", 0, 100, 1000,
              &ttl) == 0,
       "qualified no-cache=\"...\" is not cached");
    ok(ttl_of("HTTP/1.1 200 OK\r\nCache-Control: max-age=60, privateer\r\n\r\n", 0, 100, 1000,
              &ttl) == 1 && ttl == 60,
       "a directive that only starts with private is not private");
    ok(ttl_of("HTTP/1.1 200 OK\r\nCache-Control: max-age=0\r\n\r\n", 0, 100, 1000, &ttl) == 0,
       "max-age=0 not stored");

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
    eg_cache_obj_refresh(o, 60);
    ok(eg_cache_obj_fresh(o), "refresh makes it fresh");
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
                           "Cache-Control: max-age=60\r\nX-Kept: k\r\n\r\n";
        int leaked = 0;
        ok(eg_http_parse_response_head(head, strlen(head), &h) == 1, "a head full of hops");
        o = eg_cache_obj_new("d\n/hop", 6, &h, "ok", 2, 60);
        for (size_t i = 0; i < o->n_headers; i++)
            for (size_t j = 0; j < EG_ARRAY_LEN(hop); j++)
                if (strcasecmp(o->headers[i].name, hop[j]) == 0) {
                    printf("#   stored %s: %s\n", o->headers[i].name, o->headers[i].value);
                    leaked++;
                }
        is_int(leaked, 0, "no hop-by-hop field and none a Connection field names is stored");
        is_int(o->n_headers, 3, "the end-to-end fields are kept (ETag, Cache-Control, X-Kept)");
        is_str(o->etag, "\"v\"", "the ETag is still found");
        eg_cache_obj_unref(o);
    }

    {
        eg_cache_t *pc = eg_cache_new(1 << 20);
        unsigned long long before = eg_cache_purges(pc);
        eg_cache_obj_t *a = obj("d\n/a", 10, 60), *b = obj("d\n/b", 10, 60), *g;
        ok(eg_cache_put_unless_purged(pc, a, before) == 1, "stored when nothing was purged");
        eg_cache_invalidate(pc, "d", "/other");
        ok(eg_cache_put_unless_purged(pc, b, before) == 0 &&
               (g = eg_cache_get(pc, "d\n/b", 4)) == NULL,
           "not stored after an invalidation ran since the fill began");
        ok(eg_cache_put_unless_purged(pc, b, eg_cache_purges(pc)) == 1,
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
    return done();
}
