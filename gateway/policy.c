/* Viewer protocol policy, path pattern matching and origin selection, as CloudFront's
 * "Requiring HTTPS" pages describe them (shared/seeds/000 and 003). */
#include <assert.h>
#include <ctype.h>
#include <string.h>

#include "edgegate/common.h"
#include "edgegate/decision.h"
#include "edgegate/http.h"
#include "edgegate/pattern.h"
#include "edgegate/policy.h"
#include "edgegate/uri.h"

size_t eg_policy_host_name(const char *host, const char **name)
{
    size_t n;
    if (host == NULL || *host == '\0')
        return 0;
    *name = host;
    if (host[0] == '[') {
        const char *close = strchr(host, ']');
        if (close == NULL || close - host < 3 || !memchr(host, ':', (size_t)(close - host)))
            return 0; /* "[]" or "[1]" is no IPv6 address */
        for (const char *p = host + 1; p < close; p++)
            if (!isxdigit((unsigned char)*p) && *p != ':' && *p != '.')
                return 0;
        n = (size_t)(close - host) + 1;
        if (host[n] != '\0' && host[n] != ':')
            return 0;
    } else {
        const char *colon = strchr(host, ':');
        n = colon ? (size_t)(colon - host) : strlen(host);
        if (n == 0 || n > 253)
            return 0;
        for (size_t i = 0; i < n; i++)
            if (!isalnum((unsigned char)host[i]) && host[i] != '-' && host[i] != '.' &&
                host[i] != '_')
                return 0;
    }
    /* whatever follows must be a port: 1 to 5 digits, at most 65535 */
    if (host[n] == ':') {
        long port = 0;
        const char *p = host + n + 1;
        if (*p == '\0' || strlen(p) > 5)
            return 0;
        for (; *p; p++) {
            if (!isdigit((unsigned char)*p))
                return 0;
            port = port * 10 + (*p - '0');
        }
        if (port > 65535)
            return 0;
    }
    return n;
}

/* Bytes a Location value must not hold as they are: controls, space, DEL and non-ASCII
 * (header framing), and what RFC 3986 does not allow in a URI. '#' too: a request target
 * never carries a fragment, so one here can only be an attack on the redirect. */
static int location_escape(unsigned char c)
{
    return c < 0x21 || c >= 0x7f || strchr("\"<>\\^`{|}#", c) != NULL;
}

/* Appends s[0..n) to buf at *used, percent-encoding; -1 when it does not fit. */
static int put_encoded(char *buf, size_t len, size_t *used, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        size_t need = location_escape(c) ? 3 : 1;
        if (*used + need >= len)
            return -1;
        if (need == 3) {
            buf[(*used)++] = '%';
            buf[(*used)++] = hex[c >> 4];
            buf[(*used)++] = hex[c & 15];
        } else {
            buf[(*used)++] = (char)c;
        }
    }
    buf[*used] = '\0';
    return 0;
}

/* The host a redirect names: the Host's name, else the address the viewer reached (a bare
 * IPv6 address in brackets), else "localhost"; never anything a header cannot carry. */
static size_t location_host(const eg_policy_req_t *r, const char **name, char *tmp, size_t tlen)
{
    size_t n = eg_policy_host_name(r->host, name);
    const char *sn = r->server_name;
    if (n)
        return n;
    if (sn && (n = eg_policy_host_name(sn, name)) > 0 && (*name)[n] == '\0')
        return n;
    if (sn && strchr(sn, ':') && strlen(sn) + 3 <= tlen &&
        strspn(sn, "0123456789abcdefABCDEF:.") == strlen(sn)) {
        snprintf(tmp, tlen, "[%s]", sn);
        *name = tmp;
        return strlen(tmp);
    }
    *name = "localhost";
    return strlen(*name);
}

int eg_policy_location(const eg_policy_req_t *r, char *buf, size_t len)
{
    const char *name = NULL;
    char tmp[64];
    size_t nlen = location_host(r, &name, tmp, sizeof(tmp)), used;
    char port[16] = "";
    int n;
    if (r->public_https_port != 443)
        snprintf(port, sizeof(port), ":%d", r->public_https_port);
    n = snprintf(buf, len, "https://%.*s%s", (int)nlen, name, port);
    if (n < 0 || (size_t)n >= len)
        return -1;
    used = (size_t)n;
    if (put_encoded(buf, len, &used, r->path, r->path_len) < 0)
        return -1;
    if (r->query) {
        if (put_encoded(buf, len, &used, "?", 1) < 0 ||
            put_encoded(buf, len, &used, r->query, strlen(r->query)) < 0)
            return -1;
    }
    return 0;
}

static void final(eg_policy_decision_t *d, int status, const char *reason)
{
    d->status = status;
    d->reason = reason;
}

void eg_policy_decide(const eg_config_t *c, const eg_policy_req_t *r, eg_policy_decision_t *d)
{
    const char *name = NULL;
    size_t nlen = 0;
    unsigned bit;
    unsigned char second;
    int quick;

    memset(d, 0, sizeof(*d));
    if (r->host && *r->host && (nlen = eg_policy_host_name(r->host, &name)) == 0) {
        final(d, 400, "The Host header is not a host name.");
        return;
    }
    /* "www.example.com." is the fully qualified spelling of "www.example.com": Apache and
     * nginx pick the same virtual host for both, so the distribution must be the same too */
    if (nlen > 1 && name[nlen - 1] == '.')
        nlen--;
    d->dist = eg_config_find_dist(c, name, nlen);
    if (d->dist == NULL) {
        final(d, 403, "No distribution answers for this host.");
        return;
    }
    if (!d->dist->info.enabled) {
        final(d, 403, "This distribution is disabled.");
        return;
    }
    /* a normalized path starts with '/'; the quick refusal assumes it */
    quick = r->path_len > 0 && r->path[0] == '/' && d->dist->pattern_second != NULL;
    second = r->path_len > 1 ? (unsigned char)r->path[1] : 0;
    for (size_t i = 0; i < d->dist->n_behaviors; i++) {
        const eg_dist_t *ds = d->dist;
        if (quick && ds->pattern_second[i] && ds->pattern_second[i] != second)
            continue; /* refused on one byte, as eg_pattern_match would */
        if (eg_pattern_match(ds->patterns ? ds->patterns[i] : ds->behaviors[i].path_pattern,
                             r->path, r->path_len)) {
            d->behavior = &d->dist->behaviors[i];
            break;
        }
    }
    if (d->behavior == NULL) {
        final(d, 502, "This distribution has no origin yet.");
        return;
    }
    bit = eg_method_bit(r->method);
    if (bit == 0 || !(eg_methods_mask(d->behavior->allowed_methods) & bit)) {
        final(d, 403, "This distribution is not configured to allow the HTTP request method "
                      "that was used for this request.");
        return;
    }
    if (!r->https) {
        switch (d->behavior->viewer_protocol) {
        case EG_VPP_HTTPS_ONLY:
            final(d, 403, "This resource is served over HTTPS only.");
            d->https_link = 1;
            return;
        case EG_VPP_REDIRECT_TO_HTTPS:
            if (bit & (eg_method_bit("GET") | eg_method_bit("HEAD")))
                final(d, 301, "Moved to HTTPS.");
            else if (r->http10)
                final(d, 403, "This request must be sent over HTTPS; HTTP/1.0 cannot be "
                              "redirected with its method and body.");
            else
                final(d, 307, "Repeat this request over HTTPS.");
            return;
        default:
            break;
        }
    }
    d->origin = eg_dist_find_origin(d->dist, d->behavior->origin_id);
    if (d->origin == NULL) {
        final(d, 502, "The behavior's origin does not exist.");
        return;
    }
    switch (d->origin->protocol) {
    case EG_OPP_HTTPS_ONLY:
        d->origin_https = 1;
        break;
    case EG_OPP_MATCH_VIEWER:
        d->origin_https = r->https;
        break;
    default:
        d->origin_https = 0;
    }
    d->origin_port = d->origin_https ? d->origin->https_port : d->origin->http_port;
}

/* Appends s HTML-escaped, so nothing from the request can become markup. */
static void html_escaped(eg_buf_t *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            eg_buf_adds(out, "&amp;");
            break;
        case '<':
            eg_buf_adds(out, "&lt;");
            break;
        case '>':
            eg_buf_adds(out, "&gt;");
            break;
        case '"':
            eg_buf_adds(out, "&quot;");
            break;
        case '\'':
            eg_buf_adds(out, "&#39;");
            break;
        default:
            eg_buf_add(out, s, 1);
        }
    }
}

/* A final status with a small page; the reason is one of the fixed sentences above, and the
 * link (for a refusal of HTTP) is the https:// URL of the same path, without the query. */
static void write_page(eg_buf_t *out, const eg_policy_req_t *r, int status, const char *reason,
                       int https_link)
{
    eg_buf_printf(out,
                  "Status: %d %s\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
                  "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%d %s</title>"
                  "</head>\n<body><h1>%d ERROR</h1>\n<h2>The request could not be satisfied."
                  "</h2>\n<p>",
                  status, eg_http_reason(status), status, eg_http_reason(status), status);
    html_escaped(out, reason ? reason : "The request could not be satisfied.");
    eg_buf_adds(out, "</p>\n");
    if (https_link && r && r->path) {
        eg_policy_req_t same = *r;
        size_t len = 3 * r->path_len + 512;
        char *url = eg_malloc(len);
        same.query = NULL;
        if (eg_policy_location(&same, url, len) == 0) {
            eg_buf_adds(out, "<p>Use HTTPS: <a href=\"");
            html_escaped(out, url);
            eg_buf_adds(out, "\">");
            html_escaped(out, url);
            eg_buf_adds(out, "</a></p>\n");
        }
        free(url);
    }
    eg_buf_adds(out, "<hr><p>Generated by edgegate.</p>\n</body></html>\n");
}

void eg_policy_write_answer(eg_buf_t *out, long long version, const eg_policy_req_t *r,
                            const eg_policy_decision_t *d)
{
    eg_buf_printf(out, "X-Eg-Config: %lld\r\n", version);
    eg_decision_write(out, d, EG_DECISION_EVERY);
    if (d->status == 301 || d->status == 307) {
        size_t len = 3 * (r->path_len + (r->query ? strlen(r->query) + 1 : 0)) + 512;
        char *loc = eg_malloc(len);
        /* a Location past the target limit (escaping can triple a target) is refused like
         * a target that long: no header of that size reaches the viewer */
        if (eg_policy_location(r, loc, len) < 0 || strlen(loc) > EG_URI_MAX) {
            free(loc);
            write_page(out, r, 414, "The address to redirect to would be too long.", 0);
            return;
        }
        /* Redirects carry headers only: the viewer is charged for request and headers. */
        eg_buf_printf(out, "Status: %d %s\r\nLocation: %s\r\nContent-Length: 0\r\n\r\n",
                      d->status, eg_http_reason(d->status), loc);
        free(loc);
        return;
    }
    if (d->status) {
        write_page(out, r, d->status, d->reason, d->https_link);
        return;
    }
    assert(d->dist && d->behavior && d->origin);
    eg_buf_adds(out, "Status: 200 OK\r\nX-Eg-Action: forward\r\n");
    eg_decision_write(out, d, EG_DECISION_FORWARD);
    eg_buf_adds(out, "\r\n");
}

int eg_policy_answer(const eg_config_t *c, eg_policy_req_t *r, const char *target, size_t len,
                     eg_buf_t *out, const char **why)
{
    eg_policy_decision_t d;
    eg_uri_t u;
    int status;
    *why = NULL;
    /* Decide only on the normalized path, so a path spelled another way ("/a/../secure/x",
     * "/%73ecure/x") cannot slip past the behavior meant for it. */
    status = eg_uri_parse(target, len, r->method, &u, why);
    if (status) {
        memset(&d, 0, sizeof(d));
        d.status = status;
        d.reason = "The request target is not valid.";
        eg_policy_write_answer(out, c->version, r, &d);
        return status;
    }
    r->path = u.path;
    r->path_len = u.path_len;
    r->query = u.query;
    eg_policy_decide(c, r, &d);
    eg_policy_write_answer(out, c->version, r, &d);
    r->path = NULL;
    r->path_len = 0;
    r->query = NULL;
    eg_uri_free(&u);
    return 0;
}
