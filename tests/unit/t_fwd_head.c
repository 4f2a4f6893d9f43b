/* The origin request's head and the cache key (fwd_head.c): what of a viewer's request
 * reaches the origin, and what tells cached answers apart. */
#include <stdlib.h>
#include <string.h>

#include "edgegate/common.h"
#include "edgegate/fwd.h"
#include "tap.h"

static eg_route_t route(void)
{
    eg_route_t r;
    memset(&r, 0, sizeof(r));
    snprintf(r.dist, sizeof(r.dist), "d1");
    snprintf(r.domain, sizeof(r.domain), "origin.example");
    r.port = 80;
    r.cache_headers = "none";
    r.cache_cookies = "none";
    r.origin_headers = "none";
    r.origin_cookies = "none";
    return r;
}

static eg_fwd_viewer_t viewer(const eg_fwd_field_t *fields, size_t n)
{
    eg_fwd_viewer_t v = {"GET", "/a/b", "x=1", "www.example", "192.0.2.7", 1, fields, n};
    return v;
}

static char *head(const eg_route_t *r, const eg_fwd_viewer_t *v, int for_cache, int body,
                  int chunked, unsigned long long len)
{
    eg_buf_t b = {0};
    eg_fwd_head(&b, r, v, for_cache, body, chunked, len);
    return b.data;
}

static char *key(const eg_route_t *r, const eg_fwd_viewer_t *v)
{
    eg_buf_t b = {0};
    eg_fwd_cache_key(&b, r, v);
    return b.data;
}

static int has(const char *s, const char *part)
{
    return s && strstr(s, part) != NULL;
}

int main(void)
{
    eg_fwd_field_t f[] = {
        {"Host", "www.example"},
        {"User-Agent", "curl/8"},
        {"Authorization", "Basic eDp5"},
        {"If-None-Match", "\"v1\""},
        {"Connection", "keep-alive, X-Hop"},
        {"X-Hop", "1"},
        {"Keep-Alive", "timeout=5"},
        {"Cookie", "sid=abc; lang=en"},
        {"Accept-Encoding", "gzip, br"},
        {"X-Forwarded-For", "198.51.100.1"},
        {"Via", "1.1 other"},
        {"X-Tenant", "t1"},
        {"Cookie", "theme=dark"},
    };
    size_t nf = sizeof(f) / sizeof(f[0]);
    eg_route_t r = route();
    eg_fwd_viewer_t v = viewer(f, nf);
    char *h, *k, *k2;

    /* the default behavior: nothing of the viewer's beyond what HTTP needs */
    h = head(&r, &v, 0, 0, 0, 0);
    is_str(h,
           "GET /a/b HTTP/1.1\r\nHost: origin.example\r\nIf-None-Match: \"v1\"\r\n"
           "Accept-Encoding: br, gzip\r\nUser-Agent: edgegate\r\n"
           "X-Forwarded-For: 198.51.100.1, 192.0.2.7\r\nX-Forwarded-Proto: https\r\n"
           "Via: 1.1 other, 1.1 edgegate\r\nSurrogate-Capability: edgegate=\"Surrogate/1.0\"\r\n"
           "Connection: keep-alive\r\n\r\n",
           "default head: origin Host, no query, no cookies, no Authorization");
    free(h);
    h = head(&r, &v, 1, 0, 0, 0);
    ok(!has(h, "If-None-Match"), "a cache fill leaves the viewer's conditionals behind");
    free(h);

    /* the behavior's settings */
    r.forward_query = 1;
    r.forward_host = 1;
    r.port = 8080;
    snprintf(r.origin_path, sizeof(r.origin_path), "/base");
    h = head(&r, &v, 0, 0, 0, 0);
    ok(has(h, "GET /base/a/b?x=1 HTTP/1.1\r\n"), "origin path and the forwarded query");
    ok(has(h, "\r\nHost: www.example\r\n"), "the viewer's Host when the behavior forwards it");
    free(h);
    r.forward_host = 0;
    h = head(&r, &v, 0, 0, 0, 0);
    ok(has(h, "\r\nHost: origin.example:8080\r\n"), "the origin's port when not the default");
    free(h);
    r.https = 1;
    r.port = 443;
    h = head(&r, &v, 0, 0, 0, 0);
    ok(has(h, "\r\nHost: origin.example\r\n"), "443 left out over HTTPS");
    free(h);

    /* hop-by-hop fields, and those the viewer's Connection names, never pass */
    r.origin_headers = "all-viewer";
    h = head(&r, &v, 0, 0, 0, 0);
    ok(!has(h, "X-Hop") && !has(h, "Keep-Alive"), "Connection-named and hop-by-hop fields drop");
    ok(has(h, "\r\nUser-Agent: curl/8\r\n") && has(h, "\r\nX-Tenant: t1\r\n"),
       "all-viewer passes the viewer's other fields");
    ok(!has(h, "Authorization"), "all-viewer leaves Authorization out");
    ok(!has(h, "Cookie"), "cookies follow the cookie policy, not all-viewer");
    free(h);

    /* cookies: several Cookie fields are one list */
    r.origin_cookies = "theme";
    r.cache_cookies = "sid";
    h = head(&r, &v, 0, 0, 0, 0);
    ok(has(h, "\r\nCookie: sid=abc; theme=dark\r\n"), "keyed and forwarded cookies, as sent");
    free(h);

    /* framing of a body */
    v.method = "POST";
    h = head(&r, &v, 0, 1, 1, 0);
    ok(has(h, "POST ") && has(h, "\r\nTransfer-Encoding: chunked\r\n\r\n"), "a chunked body");
    free(h);
    h = head(&r, &v, 0, 1, 0, 42);
    ok(has(h, "\r\nContent-Length: 42\r\n\r\n") && !has(h, "Transfer-Encoding"), "a sized body");
    free(h);
    v.method = "GET";

    /* the cache key */
    r = route();
    v = viewer(f, nf);
    k = key(&r, &v);
    is_str(k, "d1\n/a/b\nm:GET\nae:br,gzip", "default key: no query, no host, no cookies");
    v.method = "HEAD";
    k2 = key(&r, &v);
    is_str(k2, k, "HEAD shares GET's entry");
    free(k2);
    v.method = "OPTIONS";
    k2 = key(&r, &v);
    ok(strcmp(k, k2) != 0, "OPTIONS has its own entry");
    free(k2);
    free(k);
    v.method = "GET";
    r.forward_query = 1;
    r.forward_host = 1;
    r.cache_headers = "Authorization,X-Tenant";
    r.cache_cookies = "sid";
    r.origin_cookies = "theme";
    k = key(&r, &v);
    is_str(k,
           "d1\n/a/b?x=1\nm:GET\nhost:www.example\nae:br,gzip\nh:authorization=Basic eDp5"
           "\nh:x-tenant=t1\nc:sid=abc",
           "the query, the Host, keyed headers and cookies; not the origin policy's cookie");
    free(k);
    {
        eg_fwd_field_t g[] = {{"Authorization", "Basic other"}};
        eg_fwd_viewer_t w = viewer(g, 1);
        char *a, *b;
        a = key(&r, &v);
        b = key(&r, &w);
        ok(strcmp(a, b) != 0, "two viewers' credentials never share an entry");
        free(a);
        free(b);
    }
    {
        eg_fwd_viewer_t w = viewer(f, nf);
        w.query = NULL;
        k = key(&r, &w);
        ok(has(k, "d1\n/a/b\n"), "no query, no '?'");
        free(k);
    }
    is_str(eg_fwd_field(&v, "cookie"), "sid=abc; lang=en", "fields are found case-blind, first");
    ok(eg_fwd_field(&v, "X-None") == NULL, "a field not sent is NULL");

    {
        /* Vary: the fields named, when the origin got them; variants keyed on their values */
        static const struct {
            const char *resp;
            char *origin_headers, *cache_headers;
            int want;
            const char *names;
        } vr[] = {
            {"Vary: Foo, Bar\r\n", "all-viewer", "none", 1, "foo,bar"},
            {"Vary: Foo\r\nVary: bar\r\n", "all-viewer", "none", 1, "foo,bar"},
            {"Vary: accept-encoding\r\n", "none", "none", 0, ""},
            {"Vary: Accept-Encoding, ,\r\n", "none", "none", 0, ""},
            {"Vary: *\r\n", "all-viewer", "none", -1, ""},
            {"Vary: Foo, *\r\n", "all-viewer", "none", -1, ""},
            {"Vary: Foo\r\n", "none", "none", -1, ""},
            {"Vary: X-Tenant\r\n", "none", "X-Tenant", 1, "x-tenant"},
            {"Vary: X-Tenant\r\n", "X-Tenant", "none", 1, "x-tenant"},
            {"Vary: Host, Cookie\r\n", "all-viewer", "none", 0, ""},
            {"Vary: User-Agent\r\n", "none", "none", 0, ""},
            {"Vary: User-Agent\r\n", "User-Agent", "none", 1, "user-agent"},
            {"Vary: If-None-Match\r\n", "all-viewer", "none", -1, ""},
            {"Vary: Authorization\r\n", "all-viewer", "none", -1, ""},
        };
        eg_route_t cookies = route();
        eg_http_head_t *ch = malloc(sizeof(*ch));
        const char *vary_cookie = "HTTP/1.1 200 OK\r\nVary: Cookie\r\n\r\n";
        eg_buf_t cn = {0};
        eg_http_parse_response_head(vary_cookie, strlen(vary_cookie), ch);
        cookies.cache_cookies = "sid";
        ok(eg_fwd_vary_names(ch, &cookies, &cn) == 0,
           "Vary: Cookie when the origin gets only keyed cookies: the key holds them");
        cookies.origin_cookies = "theme";
        ok(eg_fwd_vary_names(ch, &cookies, &cn) == -1,
           "Vary: Cookie when a cookie reaches the origin unkeyed: not stored");
        eg_buf_free(&cn);
        free(ch);
        for (size_t i = 0; i < EG_ARRAY_LEN(vr); i++) {
            eg_route_t q = route();
            eg_http_head_t *hh = malloc(sizeof(*hh));
            char text[256];
            eg_buf_t names = {0};
            int got;
            q.origin_headers = vr[i].origin_headers;
            q.cache_headers = vr[i].cache_headers;
            snprintf(text, sizeof(text), "HTTP/1.1 200 OK\r\n%s\r\n", vr[i].resp);
            eg_http_parse_response_head(text, strlen(text), hh);
            got = eg_fwd_vary_names(hh, &q, &names);
            ok(got == vr[i].want && (got <= 0 || strcmp(names.data, vr[i].names) == 0),
               "Vary %.*s with origin headers %s, cache headers %s: %d %s",
               (int)strcspn(vr[i].resp, "\r"), vr[i].resp, vr[i].origin_headers,
               vr[i].cache_headers, got, names.data ? names.data : "");
            eg_buf_free(&names);
            free(hh);
        }
    }
    {
        eg_fwd_field_t a[] = {{"Foo", "1, 2"}, {"Other", "x"}};
        eg_fwd_field_t a2[] = {{"foo", "1, 2"}, {"Other", "y"}};
        eg_fwd_field_t b[] = {{"Foo", "1"}, {"FOO", "2"}};
        eg_fwd_field_t c[] = {{"Foo", "1, 2"}, {"Bar", ""}};
        eg_fwd_field_t d[] = {{"Foo", "1, 2,"}};
        eg_fwd_field_t e[] = {{"Foo", "victim"}, {"Foo", ""}};
        eg_fwd_field_t e2[] = {{"Foo", "victim"}};
        eg_fwd_field_t hop[] = {{"Foo", "1, 2"}, {"Connection", "foo"}};
        struct {
            eg_fwd_field_t *f;
            size_t n;
        } vs[] = {{a, 2}, {a2, 2}, {b, 2}, {c, 2}, {d, 1}, {e, 2}, {e2, 1}, {hop, 2}};
        eg_buf_t vk[8] = {{0}};
        for (size_t i = 0; i < 8; i++) {
            eg_fwd_viewer_t w = viewer(vs[i].f, vs[i].n);
            eg_fwd_vary_key(&vk[i], &w, "foo,bar");
        }
#define SAME(x, y) (vk[x].len == vk[y].len && memcmp(vk[x].data, vk[y].data, vk[x].len) == 0)
        ok(SAME(0, 1), "the field's name is case-blind; fields not named do not count");
        ok(!SAME(0, 2), "two lines are not one list: an origin may read only the last");
        ok(!SAME(0, 3), "an empty field is not an absent one");
        ok(!SAME(0, 4), "a trailing comma is another value: nothing is normalized away");
        ok(!SAME(5, 6), "an empty second line makes another variant");
        ok(!SAME(0, 7), "a field the viewer's Connection names is not keyed (nor forwarded)");
#undef SAME
        for (size_t i = 0; i < 8; i++)
            eg_buf_free(&vk[i]);
    }
    return done();
}
