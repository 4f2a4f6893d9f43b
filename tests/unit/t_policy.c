/* The viewer protocol policy table, behavior order, origin selection and redirect URLs,
 * and the worker's answer read back into a route (the front/worker contract). */
#include <stdlib.h>
#include <strings.h>

#include "edgegate/common.h"
#include "edgegate/policy.h"
#include "edgegate/route.h"
#include "tap.h"

static eg_origin_t origins[2];
static eg_behavior_t behaviors[4];
static eg_dist_t dists[2];
static eg_config_t cfg = {7, dists, 2};

static void behavior(int i, const char *pat, int vpp, int methods, const char *origin)
{
    eg_fields_defaults(eg_behavior_fields, eg_behavior_nfields, &behaviors[i]);
    snprintf(behaviors[i].path_pattern, sizeof(behaviors[i].path_pattern), "%s", pat);
    snprintf(behaviors[i].origin_id, sizeof(behaviors[i].origin_id), "%s", origin);
    behaviors[i].viewer_protocol = vpp;
    behaviors[i].allowed_methods = methods;
}

static void setup(void)
{
    for (int i = 0; i < 2; i++)
        eg_fields_defaults(eg_origin_fields, eg_origin_nfields, &origins[i]);
    strcpy(origins[0].id, "web");
    strcpy(origins[0].domain, "origin.example");
    origins[0].http_port = 8081;
    origins[0].https_port = 8444;
    strcpy(origins[1].id, "mv");
    strcpy(origins[1].domain, "mv.example");
    origins[1].protocol = EG_OPP_MATCH_VIEWER;
    behavior(0, "/api/*", EG_VPP_REDIRECT_TO_HTTPS, EG_AM_ALL, "web");
    behavior(1, "/secure/*", EG_VPP_HTTPS_ONLY, EG_AM_GET_HEAD, "mv");
    behavior(2, "/*.jpg", EG_VPP_REDIRECT_TO_HTTPS, EG_AM_GET_HEAD, "web");
    behavior(3, "*", EG_VPP_ALLOW_ALL, EG_AM_GET_HEAD_OPTIONS, "web");
    strcpy(dists[0].info.id, "default");
    dists[0].info.enabled = 1;
    dists[0].origins = origins;
    dists[0].n_origins = 2;
    dists[0].behaviors = behaviors;
    dists[0].n_behaviors = 4;
    strcpy(dists[1].info.id, "off");
    strcpy(dists[1].info.aliases, "off.example,*.wild.example");
    dists[1].info.enabled = 0;
}

static eg_policy_decision_t d;

static int decide(const char *method, int http10, int https, const char *host, const char *uri)
{
    eg_policy_req_t r = {0};
    const char *q = strchr(uri, '?');
    r.method = method;
    r.http10 = http10;
    r.https = https;
    r.host = host;
    r.path = uri;
    r.path_len = q ? (size_t)(q - uri) : strlen(uri);
    r.query = q ? q + 1 : NULL;
    r.public_https_port = 8443;
    eg_policy_decide(&cfg, &r, &d);
    return d.status;
}

/* A worker's answer to a raw request target, parsed back as the front does. */
static eg_route_t *answer(const char *method, int https, const char *target, int *status,
                          eg_buf_t *out)
{
    eg_policy_req_t rq = {0};
    eg_http_head_t *h = eg_malloc(sizeof(*h));
    eg_route_t *rt = NULL;
    const char *why = NULL;
    char err[256];
    rq.method = method;
    rq.https = https;
    rq.host = "a";
    rq.public_https_port = 8443;
    out->len = 0;
    *status = eg_policy_answer(&cfg, &rq, target, strlen(target), out, &why);
    ok(rq.path == NULL && rq.query == NULL, "eg_policy_answer leaves no borrowed path behind");
    if (eg_http_parse_cgi_head(out->data, out->len, h) != 1 ||
        eg_route_parse(h, out->data + h->head_len, out->len - h->head_len, &rt, err,
                       sizeof(err)) < 0) {
        printf("# answer to %s does not parse: %s\n", target, out->data);
        rt = NULL;
    }
    free(h);
    return rt;
}

static const char *route_header(const eg_route_t *rt, const char *name)
{
    for (size_t i = 0; rt && i < rt->n_headers; i++)
        if (strcasecmp(rt->headers[i].name, name) == 0)
            return rt->headers[i].value;
    return NULL;
}

/* Only bytes a header value may hold as they are, and no space (a URL has none). */
static int valid_location(const char *v)
{
    if (v == NULL || strncmp(v, "https://", 8) != 0)
        return 0;
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p < 0x21 || *p > 0x7e || strchr("\"<>\\^`{|}", *p))
            return 0;
    return 1;
}

static void forwarding_lists_reach_the_route(void)
{
    eg_buf_t out = {0};
    eg_http_head_t *h = eg_malloc(sizeof(*h));
    eg_route_t *rt;
    char err[256];
    int st;

    strcpy(behaviors[3].cache_headers, "Authorization,Accept-Language");
    strcpy(behaviors[3].cache_cookies, "sess");
    strcpy(behaviors[3].origin_headers, "all-viewer");
    strcpy(behaviors[3].origin_cookies, "all");
    rt = answer("GET", 0, "/index.html", &st, &out);
    ok(strstr(out.data, "\r\nX-Eg-Cache-Headers: Authorization,Accept-Language\r\n") &&
           strstr(out.data, "\r\nX-Eg-Cache-Cookies: sess\r\n") &&
           strstr(out.data, "\r\nX-Eg-Origin-Headers: all-viewer\r\n") &&
           strstr(out.data, "\r\nX-Eg-Origin-Cookies: all\r\n"),
       "the forward answer carries the four lists");
    ok(rt && rt->status == 0, "and is a forward");
    is_str(rt ? rt->cache_headers : NULL, "Authorization,Accept-Language", "route cache_headers");
    is_str(rt ? rt->cache_cookies : NULL, "sess", "route cache_cookies");
    is_str(rt ? rt->origin_headers : NULL, "all-viewer", "route origin_headers");
    is_str(rt ? rt->origin_cookies : NULL, "all", "route origin_cookies");
    eg_route_unref(rt);
    eg_fields_defaults(eg_behavior_fields, eg_behavior_nfields, &behaviors[3]);
    strcpy(behaviors[3].path_pattern, "*");
    strcpy(behaviors[3].origin_id, "web");
    behaviors[3].allowed_methods = EG_AM_GET_HEAD_OPTIONS;
    rt = answer("GET", 0, "/index.html", &st, &out);
    ok(strstr(out.data, "\r\nX-Eg-Cache-Headers: none\r\n") &&
           strstr(out.data, "\r\nX-Eg-Origin-Cookies: none\r\n"),
       "the defaults are sent as none");
    ok(rt && !strcmp(rt->cache_headers, "none") && !strcmp(rt->cache_cookies, "none") &&
           !strcmp(rt->origin_headers, "none") && !strcmp(rt->origin_cookies, "none"),
       "and read back as none");
    eg_route_unref(rt);

    {
        static const char *const base = "Status: 200\r\nX-Eg-Config: 1\r\nX-Eg-Action: forward\r\n"
                                        "X-Eg-Origin: o\r\nX-Eg-Origin-Domain: d\r\n"
                                        "X-Eg-Origin-Scheme: http\r\nX-Eg-Origin-Port: 80\r\n";
        static const char *const bad[] = {
            "X-Eg-Origin-Headers: Authorization", "X-Eg-Origin-Headers: X-A,Authorization",
            "X-Eg-Cache-Headers: Host",           "X-Eg-Cache-Headers: all",
            "X-Eg-Cache-Cookies: a;b",            "X-Eg-Origin-Cookies: none,a",
            "X-Eg-Origin-Headers: Cookie",        "X-Eg-Cache-Headers: Transfer-Encoding",
            "X-Eg-Cache-Headers: X A"};
        char head[512];
        snprintf(head, sizeof(head), "%s\r\n", base);
        ok(eg_http_parse_cgi_head(head, strlen(head), h) == 1 &&
               eg_route_parse(h, "", 0, &rt, err, sizeof(err)) == 0 &&
               !strcmp(rt->cache_headers, "none") && !strcmp(rt->origin_cookies, "none"),
           "an answer without the lists (an older worker) forwards nothing extra");
        eg_route_unref(rt);
        snprintf(head, sizeof(head), "%sX-Eg-Cache-Headers: x-a, accept\r\n\r\n", base);
        ok(eg_http_parse_cgi_head(head, strlen(head), h) == 1 &&
               eg_route_parse(h, "", 0, &rt, err, sizeof(err)) == 0 &&
               !strcmp(rt->cache_headers, "X-A,Accept"),
           "the front spells a list the way egctl stores it");
        eg_route_unref(rt);
        for (size_t i = 0; i < EG_ARRAY_LEN(bad); i++) {
            rt = NULL;
            snprintf(head, sizeof(head), "%s%s\r\n\r\n", base, bad[i]);
            ok(eg_http_parse_cgi_head(head, strlen(head), h) == 1 &&
                   eg_route_parse(h, "", 0, &rt, err, sizeof(err)) < 0 && rt == NULL,
               "the front refuses '%s': %s", bad[i], err);
        }
    }
    free(h);
    eg_buf_free(&out);
}

/* The distribution's error caching minimum TTL travels with every forward, 0 included, and
 * an older worker's answer (without it) means CloudFront's 10 s. */
static void error_caching_min_ttl_reaches_the_route(void)
{
    static const int values[] = {0, 10, 300, 31536000};
    static const char *const bare = "Status: 200\r\nX-Eg-Config: 1\r\nX-Eg-Action: forward\r\n"
                                    "X-Eg-Origin: o\r\nX-Eg-Origin-Domain: d\r\n"
                                    "X-Eg-Origin-Scheme: http\r\nX-Eg-Origin-Port: 80\r\n\r\n";
    eg_http_head_t *h = eg_malloc(sizeof(*h));
    eg_buf_t out = {0};
    eg_route_t *rt;
    char want[64], err[256];
    int st;

    for (size_t i = 0; i < EG_ARRAY_LEN(values); i++) {
        dists[0].info.error_min_ttl = values[i];
        rt = answer("GET", 0, "/index.html", &st, &out);
        snprintf(want, sizeof(want), "\r\nX-Eg-Error-Caching-Min-TTL: %d\r\n", values[i]);
        ok(rt && rt->status == 0 && strstr(out.data, want) && rt->error_min_ttl == values[i],
           "error caching minimum TTL %d reaches the route", values[i]);
        eg_route_unref(rt);
    }
    rt = answer("GET", 0, "/secure/x", &st, &out);
    ok(rt && rt->status == 403 && !strstr(out.data, "X-Eg-Error-Caching-Min-TTL"),
       "a final answer does not carry it");
    eg_route_unref(rt);
    dists[0].info.error_min_ttl = 0;
    rt = NULL;
    ok(eg_http_parse_cgi_head(bare, strlen(bare), h) == 1 &&
           eg_route_parse(h, "", 0, &rt, err, sizeof(err)) == 0 && rt->error_min_ttl == 10,
       "an answer without it (an older worker) means 10 s: %s", rt ? "" : err);
    eg_route_unref(rt);
    free(h);
    eg_buf_free(&out);
}

static void error_pages(void)
{
    eg_buf_t out = {0};
    eg_route_t *rt;
    int st;

    rt = answer("GET", 0, "/secure/a&b'c.txt?token=secret", &st, &out);
    ok(rt && rt->status == 403, "https-only over HTTP: 403");
    is_str(route_header(rt, "Content-Type"), "text/html; charset=utf-8", "  as an HTML page");
    ok(rt && strstr(rt->body, "<!DOCTYPE html>") && strstr(rt->body, "403 ERROR") &&
           strstr(rt->body, "served over HTTPS only"),
       "  with a generic sentence");
    ok(rt && strstr(rt->body, "<a href=\"https://a:8443/secure/a&amp;b&#39;c.txt\">"),
       "  linking to the https:// URL of the same path, HTML-escaped");
    ok(rt && !strstr(rt->body, "token") && !strstr(rt->body, "SECRET"),
       "  without the query string");
    eg_route_unref(rt);
    rt = answer("GET", 0, "/secure/%3Cscript%3E\"x", &st, &out);
    ok(rt && rt->status == 403 && !strstr(rt->body, "<script") && !strstr(rt->body, "\"x"),
       "nothing from the path becomes markup");
    eg_route_unref(rt);
    rt = answer("POST", 0, "/secure/x", &st, &out);
    ok(rt && rt->status == 403 && strstr(rt->body, "HTTP request method") &&
           !strstr(rt->body, "<a href") &&
           !strcmp(route_header(rt, "Content-Type"), "text/html; charset=utf-8"),
       "a method refusal is an HTML page without a link");
    eg_route_unref(rt);
    rt = answer("POST", 1, "/api/x", &st, &out);
    ok(rt && rt->status == 0, "POST over HTTPS to /api/* forwards");
    eg_route_unref(rt);
    rt = answer("PUT", 0, "/api/x", &st, &out);
    ok(rt && rt->status == 307, "PUT over HTTP/1.1 to /api/*: 307");
    eg_route_unref(rt);
    {
        eg_policy_req_t rq = {0};
        eg_policy_decision_t dd;
        rq.method = "GET";
        rq.host = "off.example";
        rq.path = "/";
        rq.path_len = 1;
        eg_policy_decide(&cfg, &rq, &dd);
        out.len = 0;
        eg_policy_write_answer(&out, 7, &rq, &dd);
        ok(dd.status == 403 && strstr(out.data, "Content-Type: text/html; charset=utf-8\r\n") &&
               strstr(out.data, "This distribution is disabled.") && !strstr(out.data, "<a "),
           "a disabled distribution's 403 is an HTML page too");
    }
    eg_buf_free(&out);
}

static void location_is_a_valid_header_value(void)
{
    eg_policy_req_t r = {0};
    char loc[1024];
    const char raw[] = "/a\x01 b\"<>\\^`{|}\x7f\xff%41#";
    r.host = "www.example.com";
    r.path = raw;
    r.path_len = sizeof(raw) - 1;
    r.query = "q=a b&c=\r\nSet-Cookie: x";
    r.public_https_port = 443;
    ok(eg_policy_location(&r, loc, sizeof(loc)) == 0, "a Location with hostile bytes fits");
    is_str(loc,
           "https://www.example.com/a%01%20b%22%3C%3E%5C%5E%60%7B%7C%7D%7F%FF%41%23"
           "?q=a%20b&c=%0D%0ASet-Cookie:%20x",
           "every byte a header or URI cannot hold is percent-encoded, '%%' is kept");
    ok(valid_location(loc), "  so it is a valid header value");
    r.host = "bad host\r\n";
    r.server_name = "evil\r\nX: y";
    r.path = "/";
    r.path_len = 1;
    r.query = NULL;
    eg_policy_location(&r, loc, sizeof(loc));
    is_str(loc, "https://localhost/", "a Host and server name that are not names: localhost");
    r.host = NULL;
    r.server_name = "::1";
    r.public_https_port = 8443;
    eg_policy_location(&r, loc, sizeof(loc));
    is_str(loc, "https://[::1]:8443/", "a bare IPv6 server name gets brackets");
    ok(eg_policy_location(&r, loc, 19) < 0 && eg_policy_location(&r, loc, 20) == 0,
       "a Location that does not fit is refused, one that just fits is not");
}

static void raw_targets_are_normalized_first(void)
{
    eg_buf_t out = {0};
    eg_route_t *rt;
    int st;

    rt = answer("GET", 0, "/api/../secure/x", &st, &out);
    ok(rt && rt->status == 403 && !strcmp(rt->behavior, "/secure/*"),
       "/api/../secure/x is decided as /secure/x (https-only), not as /api/*");
    eg_route_unref(rt);
    rt = answer("GET", 0, "/%73ecure/x", &st, &out);
    ok(rt && rt->status == 403 && !strcmp(rt->behavior, "/secure/*"),
       "/%%73ecure/x is /secure/x");
    eg_route_unref(rt);
    rt = answer("GET", 0, "//secure//./x", &st, &out);
    ok(rt && rt->status == 403, "//secure//./x is /secure/x");
    eg_route_unref(rt);
    rt = answer("GET", 0, "http://other.example/secure/x", &st, &out);
    ok(rt && rt->status == 403, "an absolute-form target is decided on its path");
    eg_route_unref(rt);
    rt = answer("GET", 0, "/api/./x?a=%2F&b=\"<>", &st, &out);
    ok(rt && rt->status == 301, "a redirect of a raw target");
    is_str(route_header(rt, "Location"), "https://a:8443/api/x?a=%2F&b=%22%3C%3E",
           "  names the normalized path; the query as sent, encoded where it must be");
    ok(valid_location(route_header(rt, "Location")), "  a valid header value");
    eg_route_unref(rt);
    {
        static const char *const refused[] = {"/a/../../x", "/a\x01z", "/a b", "/a%2Fb",
                                              "/a%00", "/a#f", "/a\\b", "*", "a", ""};
        for (size_t i = 0; i < EG_ARRAY_LEN(refused); i++) {
            rt = answer("GET", 0, refused[i], &st, &out);
            ok(st == 400 && rt && rt->status == 400 && rt->config_version == 7 &&
                   route_header(rt, "Content-Type") &&
                   !strcmp(route_header(rt, "Content-Type"), "text/html; charset=utf-8") &&
                   strstr(rt->body, "400 ERROR") && !strstr(rt->body, "<a "),
               "target %zu refused with a 400 HTML page the front can read", i);
            eg_route_unref(rt);
        }
    }
    rt = answer("OPTIONS", 0, "*", &st, &out);
    ok(st == 0 && rt, "OPTIONS * is a target, decided");
    eg_route_unref(rt);
    eg_buf_free(&out);
}

/* The index (eg_config_index) refuses a pattern on one byte only where eg_pattern_match would
 * refuse it: random patterns and paths pick the same behavior with and without it. */
static void index_property(void)
{
    static const char alpha[] = "/ab*?.";
    static eg_behavior_t many[64];
    eg_dist_t dist;
    eg_config_t plain = {1, &dist, 1}, indexed;
    eg_dist_t idist;
    unsigned seed = 12345;
    int differ = 0, matched = 0, chosen[64] = {0}, distinct = 0;
    memset(&dist, 0, sizeof(dist));
    strcpy(dist.info.id, "default");
    dist.info.enabled = 1;
    dist.origins = origins;
    dist.n_origins = 2;
    for (int i = 0; i < 64; i++) {
        size_t n = 1 + (size_t)(rand_r(&seed) % 6);
        eg_fields_defaults(eg_behavior_fields, eg_behavior_nfields, &many[i]);
        strcpy(many[i].origin_id, "web");
        /* no leading '*': a catch-all early would hide the rest */
        many[i].path_pattern[0] = "/ab?"[rand_r(&seed) % 4];
        for (size_t k = 1; k < n; k++)
            many[i].path_pattern[k] = alpha[rand_r(&seed) % (sizeof(alpha) - 1)];
        many[i].path_pattern[n] = '\0';
    }
    dist.behaviors = many;
    dist.n_behaviors = 64;
    idist = dist;
    indexed = plain;
    indexed.dists = &idist;
    eg_config_index(&indexed);
    for (int t = 0; t < 20000; t++) {
        char path[8];
        size_t n = 1 + (size_t)(rand_r(&seed) % 6);
        eg_policy_req_t r = {0};
        eg_policy_decision_t a, b;
        path[0] = '/';
        for (size_t k = 1; k < n; k++)
            path[k] = "/ab.x"[rand_r(&seed) % 5];
        path[n] = '\0';
        r.method = "GET";
        r.https = 1;
        r.path = path;
        r.path_len = n;
        eg_policy_decide(&plain, &r, &a);
        eg_policy_decide(&indexed, &r, &b);
        differ += a.behavior != NULL ? b.behavior == NULL || a.behavior - many != b.behavior - many
                                     : b.behavior != NULL;
        matched += a.behavior != NULL;
        if (a.behavior)
            chosen[a.behavior - many] = 1;
    }
    for (int i = 0; i < 64; i++)
        distinct += chosen[i];
    is_int(differ, 0, "the pattern index picks the behavior the plain scan picks (20000 paths)");
    ok(matched > 1000 && distinct >= 10,
       "the random patterns matched often enough to mean something (%d paths, %d behaviors)",
       matched, distinct);
    free(idist.patterns);
    free(idist.pattern_text);
    free(idist.pattern_second);
}

int main(void)
{
    static const char *const body_methods[] = {"POST", "PUT", "DELETE", "OPTIONS", "PATCH"};
    eg_policy_req_t r = {0};
    char loc[256];
    const char *name;

    setup();
    /* redirect-to-https */
    is_int(decide("GET", 0, 0, "a.example", "/api/x"), 301, "redirect: HTTP GET -> 301");
    is_int(decide("HEAD", 1, 0, "a.example", "/api/x"), 301, "redirect: HTTP/1.0 HEAD -> 301");
    for (size_t i = 0; i < EG_ARRAY_LEN(body_methods); i++) {
        is_int(decide(body_methods[i], 0, 0, "a", "/api/x"), 307,
               "redirect: HTTP/1.1 %s -> 307", body_methods[i]);
        is_int(decide(body_methods[i], 1, 0, "a", "/api/x"), 403,
               "redirect: HTTP/1.0 %s -> 403", body_methods[i]);
        is_int(decide(body_methods[i], 0, 1, "a", "/api/x"), 0, "redirect: HTTPS %s forwards",
               body_methods[i]);
    }
    is_int(decide("GET", 0, 1, "a", "/api/x"), 0, "redirect: HTTPS GET forwards");
    /* https-only */
    is_int(decide("GET", 0, 0, "a", "/secure/x"), 403, "https-only: HTTP GET -> 403");
    is_int(decide("GET", 0, 1, "a", "/secure/x"), 0, "https-only: HTTPS GET forwards");
    ok(d.origin_https == 1 && d.origin_port == 443, "match-viewer origin: HTTPS viewer, HTTPS");
    /* allow-all and method sets */
    is_int(decide("GET", 0, 0, "a", "/index.html"), 0, "allow-all: HTTP GET forwards");
    ok(d.origin_https == 0 && d.origin_port == 8081, "http-only origin on its HTTP port");
    is_int(decide("OPTIONS", 0, 0, "a", "/x"), 0, "GET,HEAD,OPTIONS allows OPTIONS");
    is_int(decide("POST", 0, 0, "a", "/x"), 403, "GET,HEAD,OPTIONS refuses POST");
    is_int(decide("POST", 0, 1, "a", "/secure/x"), 403, "GET,HEAD refuses POST over HTTPS");
    is_int(decide("TRACE", 0, 1, "a", "/api/x"), 403, "unknown methods are refused");
    /* order and patterns; the query never takes part */
    is_int(decide("GET", 0, 0, "a", "/api/a.jpg"), 301, "first match wins (/api/* before *.jpg)");
    ok(d.behavior == &behaviors[0], "behavior /api/* chosen");
    is_int(decide("GET", 0, 0, "a", "/pics/a.jpg?x=/api/"), 301, "*.jpg matched, query ignored");
    ok(d.behavior == &behaviors[2], "behavior /*.jpg chosen");
    is_int(decide("GET", 0, 0, "a", "/x?/secure/y"), 0, "query string is not matched");
    /* distributions */
    is_int(decide("GET", 0, 1, "off.example:8443", "/"), 403, "disabled distribution -> 403");
    is_int(decide("GET", 0, 1, "a.wild.example", "/"), 403, "wildcard alias selects it");
    is_int(decide("GET", 0, 1, "OFF.EXAMPLE", "/"), 403, "aliases are case-insensitive");
    is_int(decide("GET", 0, 1, "off.example.", "/"), 403,
           "a trailing dot names the same host (the disabled distribution, not the default)");
    is_int(decide("GET", 0, 1, "off.example.:80", "/"), 403, "also with a port");
    is_int(decide("GET", 0, 1, "bad/host", "/"), 400, "a Host that is not a name -> 400");
    is_int(decide("GET", 0, 1, "[]", "/"), 400, "Host [] -> 400");
    is_int(decide("GET", 0, 1, "[1]:80", "/"), 400, "Host [1] -> 400");
    is_int(decide("GET", 0, 1, "a:99999999999999999999", "/"), 400, "a port past 65535 -> 400");
    is_int(decide("GET", 0, 1, "a:65536", "/"), 400, "port 65536 -> 400");
    is_int(decide("GET", 0, 1, "a:", "/"), 400, "an empty port -> 400");
    is_int(decide("GET", 0, 1, ":80", "/"), 400, "no name, only a port -> 400");
    is_int(decide("GET", 0, 1, "a:65535", "/"), 0, "port 65535 is a port");
    is_int(decide("GET", 0, 1, "[::1]:8080", "/"), 0, "an IPv6 literal with a port");

    /* Location */
    r.host = "www.example.com:8080";
    r.path = "/a%20b";
    r.path_len = 6;
    r.query = "x=1&y=2";
    r.public_https_port = 443;
    ok(eg_policy_location(&r, loc, sizeof(loc)) == 0, "location fits");
    is_str(loc, "https://www.example.com/a%20b?x=1&y=2", "port 443 left out, query kept");
    r.public_https_port = 8443;
    r.query = NULL;
    r.host = "[::1]:8080";
    eg_policy_location(&r, loc, sizeof(loc));
    is_str(loc, "https://[::1]:8443/a%20b", "IPv6 host, public HTTPS port");
    r.host = NULL;
    r.server_name = "127.0.0.1";
    eg_policy_location(&r, loc, sizeof(loc));
    is_str(loc, "https://127.0.0.1:8443/a%20b", "no Host: the listener's address");
    ok(eg_policy_location(&r, loc, 10) < 0, "a Location that does not fit is refused");
    is_int(eg_policy_host_name("a.b:80", &name), 3, "host name without port");
    is_int(eg_policy_host_name("a.b:8x", &name), 0, "a bad port is refused");
    is_int(eg_policy_host_name("a@b", &name), 0, "userinfo is refused");

    /* the worker's answer, read back by the front */
    {
        eg_policy_req_t rq = {0};
        eg_buf_t out = {0};
        eg_http_head_t *h = eg_malloc(sizeof(*h));
        eg_route_t *rt = NULL;
        char err[256];
        rq.method = "GET";
        rq.https = 1;
        rq.host = "a";
        rq.path = "/secure/x";
        rq.path_len = 9;
        rq.public_https_port = 443;
        eg_policy_decide(&cfg, &rq, &d);
        eg_policy_write_answer(&out, cfg.version, &rq, &d);
        ok(eg_http_parse_cgi_head(out.data, out.len, h) == 1, "forward answer is a CGI head");
        ok(eg_route_parse(h, out.data + h->head_len, out.len - h->head_len, &rt, err,
                          sizeof(err)) == 0,
           "forward answer parses into a route");
        ok(rt && rt->status == 0 && rt->https && rt->port == 443 &&
               !strcmp(rt->domain, "mv.example") && rt->config_version == 7 &&
               rt->ssl_protocols == EG_SSL_TLSV1_2,
           "route carries origin, scheme, port, version, SSL protocols");
        eg_route_unref(rt);
        out.len = 0;
        rq.https = 0;
        rq.path = "/api/x";
        rq.path_len = 6;
        rq.query = "a=b";
        eg_policy_decide(&cfg, &rq, &d);
        eg_policy_write_answer(&out, cfg.version, &rq, &d);
        eg_http_parse_cgi_head(out.data, out.len, h);
        ok(eg_route_parse(h, out.data + h->head_len, out.len - h->head_len, &rt, err,
                          sizeof(err)) == 0 &&
               rt->status == 301,
           "redirect answer parses into a final route");
        ok(rt && rt->n_headers >= 1 && !strcmp(rt->headers[0].name, "Location") &&
               !strcmp(rt->headers[0].value, "https://a/api/x?a=b"),
           "final route keeps Location");
        eg_route_unref(rt);
        const char *fw = "Status: 200\r\nX-Eg-Config: 1\r\nX-Eg-Action: forward\r\n\r\n";
        ok(eg_http_parse_cgi_head(fw, strlen(fw), h) == 1 &&
               eg_route_parse(h, "", 0, &rt, err, sizeof(err)) < 0,
           "a forward without an origin is refused: %s", err);
        ok(eg_http_parse_cgi_head("Status: 301\r\n\r\n", 15, h) == 1 &&
               eg_route_parse(h, "", 0, &rt, err, sizeof(err)) < 0,
           "an answer without a config version is refused");

        /* route cache: versions gate what is stored */
        {
            eg_route_cache_t *c = eg_route_cache_new(2);
            eg_route_t *a = eg_calloc(1, sizeof(*a)), *b = eg_calloc(1, sizeof(*b)), *got;
            a->refs = b->refs = 1;
            a->config_version = 3;
            b->config_version = 4;
            eg_route_cache_set_version(c, 3);
            eg_route_cache_put(c, "k", 1, a);
            eg_route_cache_put(c, "j", 1, b);
            got = eg_route_cache_get(c, "k", 1);
            ok(got == a, "a route of the current version is remembered");
            eg_route_unref(got);
            ok(eg_route_cache_get(c, "j", 1) == NULL, "a route of another version is not");
            eg_route_cache_set_version(c, 4);
            ok(eg_route_cache_get(c, "k", 1) == NULL, "a new version forgets old routes");
            eg_route_cache_free(c);
            eg_route_unref(a);
            eg_route_unref(b);
        }
        /* route cache: when full, what was used since the hand passed stays */
        {
            eg_route_cache_t *c = eg_route_cache_new(3);
            eg_route_t *hot = eg_calloc(1, sizeof(*hot)), *got;
            char k[16];
            int kept = 1;
            hot->refs = 1;
            hot->config_version = 1;
            eg_route_cache_set_version(c, 1);
            eg_route_cache_put(c, "hot", 3, hot);
            for (int i = 0; i < 1000; i++) { /* a flood of one-off keys, the hot one in use */
                snprintf(k, sizeof(k), "once%d", i);
                eg_route_cache_put(c, k, strlen(k), hot);
                got = eg_route_cache_get(c, "hot", 3);
                kept &= got == hot;
                eg_route_unref(got);
            }
            ok(kept, "a key in use survives a flood of one-off keys");
            got = eg_route_cache_get(c, "once999", 7);
            ok(got == hot, "the newest key is there");
            eg_route_unref(got);
            got = eg_route_cache_get(c, "once0", 5);
            ok(got == NULL, "an old one-off key left");
            eg_route_unref(got);
            eg_route_cache_free(c);
            eg_route_unref(hot);
        }
        free(h);
        eg_buf_free(&out);
    }
    forwarding_lists_reach_the_route();
    error_caching_min_ttl_reaches_the_route();
    error_pages();
    location_is_a_valid_header_value();
    raw_targets_are_normalized_first();
    index_property();
    return done();
}
