/* The origin request's head and the cache key, from the route and the viewer's request, by
 * fwd.c's rules (see fwd.h). Pure, so both have unit tests of their own. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "edgegate/freshness.h"
#include "edgegate/fwd.h"
#include "edgegate/http.h"

const char *eg_fwd_field(const eg_fwd_viewer_t *v, const char *name)
{
    for (size_t i = 0; i < v->n_fields; i++)
        if (strcasecmp(v->fields[i].name, name) == 0)
            return v->fields[i].value;
    return NULL;
}

/* 1 when the viewer's Connection names the field: it stops at edgegate (RFC 9110 7.6.1), so
 * the origin never gets it and nothing may be keyed on it. */
static int hop_named(const eg_fwd_viewer_t *v, const char *name)
{
    for (size_t i = 0; i < v->n_fields; i++)
        if (strcasecmp(v->fields[i].name, "Connection") == 0 &&
            eg_http_has_token(v->fields[i].value, strlen(v->fields[i].value), name))
            return 1;
    return 0;
}

static void route_policy(const eg_route_t *r, eg_fwd_policy_t *p)
{
    p->cache_headers = r->cache_headers;
    p->cache_cookies = r->cache_cookies;
    p->origin_headers = r->origin_headers;
    p->origin_cookies = r->origin_cookies;
}

/* The cookies the policies forward (fwd) and key (key). Several Cookie fields are one list
 * (RFC 6265 §5.4 sends one; be safe with more). */
static void viewer_cookies(const eg_fwd_viewer_t *v, const eg_fwd_policy_t *p, eg_buf_t *fwd,
                           eg_buf_t *key)
{
    eg_buf_t all = {0};
    for (size_t i = 0; i < v->n_fields; i++) {
        if (strcasecmp(v->fields[i].name, "Cookie") != 0)
            continue;
        if (all.len)
            eg_buf_adds(&all, "; ");
        eg_buf_adds(&all, v->fields[i].value);
    }
    /* no Cookie field keys like one without the keyed cookies: the origin gets the same */
    eg_fwd_cookies(p, all.len ? all.data : NULL, fwd, key);
    eg_buf_free(&all);
}

void eg_fwd_head(eg_buf_t *b, const eg_route_t *r, const eg_fwd_viewer_t *v, int for_cache,
                 int body, int chunked, unsigned long long body_len)
{
    const char *q = v->query;
    const char *xff = eg_fwd_field(v, "X-Forwarded-For");
    const char *via = eg_fwd_field(v, "Via");
    const char *ae = eg_fwd_accept_encoding(eg_fwd_field(v, "Accept-Encoding"));
    eg_fwd_policy_t pol;
    eg_buf_t cookies = {0}, unused = {0};

    route_policy(r, &pol);
    b->len = 0;
    eg_buf_printf(b, "%s %s%s%s%s HTTP/1.1\r\n", v->method, r->origin_path, v->path,
                  r->forward_query && q && q[0] ? "?" : "",
                  r->forward_query && q && q[0] ? q : "");
    if (r->forward_host && v->host)
        eg_buf_printf(b, "Host: %s\r\n", v->host);
    else if (r->port == (r->https ? 443 : 80))
        eg_buf_printf(b, "Host: %s\r\n", r->domain);
    else
        eg_buf_printf(b, "Host: %s:%d\r\n", r->domain, r->port);
    /* only what a policy names, or HTTP itself needs */
    for (size_t i = 0; i < v->n_fields; i++) {
        const char *name = v->fields[i].name;
        eg_fwd_class_t cl = eg_fwd_header(&pol, name);
        if (cl == EG_FWD_DROP || cl == EG_FWD_SPECIAL)
            continue;
        if (hop_named(v, name))
            continue;
        if (for_cache && eg_fwd_conditional(name))
            continue; /* the cache answers them itself */
        eg_buf_printf(b, "%s: %s\r\n", name, v->fields[i].value);
    }
    viewer_cookies(v, &pol, &cookies, &unused);
    if (cookies.len)
        eg_buf_printf(b, "Cookie: %s\r\n", cookies.data);
    eg_buf_free(&cookies);
    eg_buf_free(&unused);
    if (*ae) /* normalized, as the cache key holds it */
        eg_buf_printf(b, "Accept-Encoding: %s\r\n", strcmp(ae, "br,gzip") ? ae : "br, gzip");
    if (eg_fwd_header(&pol, "User-Agent") == EG_FWD_DROP)
        eg_buf_adds(b, "User-Agent: edgegate\r\n");
    eg_buf_printf(b, "X-Forwarded-For: %s%s%s\r\n", xff ? xff : "", xff ? ", " : "",
                  v->client_ip);
    /* the viewer's scheme, only on what is never stored: one cached copy serves both
     * schemes, so a stored answer must not have depended on it */
    if (!for_cache)
        eg_buf_printf(b, "X-Forwarded-Proto: %s\r\n", v->https ? "https" : "http");
    eg_buf_printf(b, "Via: %s%s%s\r\n", via ? via : "", via ? ", " : "", EG_VIA);
    /* the origin may speak to edgegate in Surrogate-Control (freshness.h) */
    eg_buf_adds(b, "Surrogate-Capability: " EG_FRESH_TARGET "=\"Surrogate/1.0\"\r\n");
    eg_buf_adds(b, "Connection: keep-alive\r\n");
    if (body && chunked)
        eg_buf_adds(b, "Transfer-Encoding: chunked\r\n");
    else if (body)
        eg_buf_printf(b, "Content-Length: %llu\r\n", body_len);
    eg_buf_adds(b, "\r\n");
}

void eg_fwd_cache_key(eg_buf_t *k, const eg_route_t *r, const eg_fwd_viewer_t *v)
{
    const char *q = v->query;
    int with_query = r->forward_query && q && q[0];
    eg_fwd_policy_t pol;
    eg_buf_t cookies = {0}, keyed = {0};

    route_policy(r, &pol);
    eg_buf_printf(k, "%s\n%s%s%s", r->dist, v->path, with_query ? "?" : "",
                  with_query ? q : "");
    eg_buf_printf(k, "\nm:%s", strcmp(v->method, "HEAD") == 0 ? "GET" : v->method);
    if (r->forward_host)
        eg_buf_printf(k, "\nhost:%s", v->host ? v->host : "");
    eg_buf_printf(k, "\nae:%s", eg_fwd_accept_encoding(eg_fwd_field(v, "Accept-Encoding")));
    for (size_t i = 0; i < v->n_fields; i++) {
        const char *name = v->fields[i].name;
        if (eg_fwd_header(&pol, name) != EG_FWD_KEY || hop_named(v, name))
            continue; /* the key holds what the origin gets, no more */
        eg_buf_adds(k, "\nh:");
        for (const char *p = name; *p; p++) {
            char c = (char)tolower((unsigned char)*p);
            eg_buf_add(k, &c, 1);
        }
        eg_buf_printf(k, "=%s", v->fields[i].value);
    }
    viewer_cookies(v, &pol, &cookies, &keyed);
    if (keyed.len)
        eg_buf_printf(k, "\nc:%s", keyed.data);
    eg_buf_free(&cookies);
    eg_buf_free(&keyed);
}

/* One list element of a field value, trimmed; moves *p past it. 0 when none is left. */
static int next_element(const char **p, const char *end, const char **s, size_t *len)
{
    const char *e;
    for (;;) {
        while (*p < end && (**p == ' ' || **p == '\t' || **p == ','))
            (*p)++;
        if (*p >= end)
            return 0;
        e = memchr(*p, ',', (size_t)(end - *p));
        if (e == NULL)
            e = end;
        *s = *p;
        *len = (size_t)(e - *p);
        while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
            (*len)--;
        *p = e;
        if (*len)
            return 1;
    }
}

int eg_fwd_vary_policy(const eg_route_t *r, const char *raw, eg_buf_t *names)
{
    const char *p = raw, *end = raw + strlen(raw), *s;
    size_t len;
    eg_fwd_policy_t pol;
    route_policy(r, &pol);
    names->len = 0;
    while (next_element(&p, end, &s, &len)) {
        char name[128];
        if (len == 1 && *s == '*')
            return -1; /* varies on what no request field says */
        if (len >= sizeof(name))
            return -1;
        for (size_t j = 0; j < len; j++)
            name[j] = (char)tolower((unsigned char)s[j]);
        name[len] = '\0';
        if (strcmp(name, "accept-encoding") == 0 || strcmp(name, "host") == 0)
            continue; /* the key holds it (Host when forwarded; else the origin's own) */
        if (strcmp(name, "cookie") == 0) {
            /* the origin got the keyed cookies only, or none: the key holds them */
            if (strcmp(r->origin_cookies, "none") != 0)
                return -1;
            continue;
        }
        if (strcmp(name, "user-agent") == 0 && eg_fwd_header(&pol, name) == EG_FWD_DROP)
            continue; /* the origin always gets "User-Agent: edgegate" */
        /* only a field that reaches the origin as the viewer sent it can have made the
         * difference; a conditional the cache answers itself never does */
        {
            eg_fwd_class_t cl = eg_fwd_header(&pol, name);
            if ((cl != EG_FWD_PASS && cl != EG_FWD_KEY) || eg_fwd_conditional(name))
                return -1;
        }
        if (names->len)
            eg_buf_adds(names, ",");
        eg_buf_adds(names, name);
    }
    return names->len > 0;
}

int eg_fwd_vary_names(const eg_http_head_t *resp, const eg_route_t *r, eg_buf_t *names)
{
    eg_buf_t raw = {0};
    int v;
    for (size_t i = 0; i < resp->n_headers; i++) {
        const eg_header_t *f = &resp->headers[i];
        if (f->name_len != 4 || strncasecmp(f->name, "Vary", 4) != 0)
            continue;
        if (raw.len)
            eg_buf_adds(&raw, ",");
        eg_buf_add(&raw, f->value, f->value_len);
    }
    if (raw.len == 0) {
        names->len = 0;
        return 0;
    }
    v = eg_fwd_vary_policy(r, raw.data, names);
    eg_buf_free(&raw);
    return v;
}

void eg_fwd_vary_key(eg_buf_t *k, const eg_fwd_viewer_t *v, const char *names)
{
    const char *p = names, *end = names + strlen(names), *s;
    size_t len;
    while (next_element(&p, end, &s, &len)) {
        int seen = 0;
        eg_buf_printf(k, "\nv:%.*s=", (int)len, s);
        /* each line as the origin got it, in order: no element is split, trimmed or dropped,
         * since edgegate cannot know how the origin reads a field ("a," and "a" may be two
         * answers; RFC 9111 4.1 allows only normalizations that keep the meaning) */
        for (size_t i = 0; i < v->n_fields; i++) {
            if (strlen(v->fields[i].name) != len ||
                strncasecmp(v->fields[i].name, s, len) != 0 || hop_named(v, v->fields[i].name))
                continue;
            if (seen)
                eg_buf_adds(k, "\x02"); /* between lines: no byte a field value holds */
            eg_buf_adds(k, v->fields[i].value);
            seen = 1;
        }
        if (!seen)
            eg_buf_adds(k, "\x01"); /* absent, unlike present and empty */
    }
}
