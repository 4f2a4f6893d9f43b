/* The viewer protocol policy table, behavior order, origin selection and redirect URLs,
 * and the worker's answer read back into a route (the front/worker contract). */
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
    is_int(decide("GET", 0, 1, "bad/host", "/"), 400, "a Host that is not a name -> 400");

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
        free(h);
        eg_buf_free(&out);
    }
    return done();
}
