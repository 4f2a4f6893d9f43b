/* Viewer protocol policy, path pattern matching and origin selection, as CloudFront's
 * "Requiring HTTPS" pages describe them (shared/seeds/000 and 003). */
#include <ctype.h>
#include <string.h>

#include "edgegate/http.h"
#include "edgegate/pattern.h"
#include "edgegate/policy.h"

size_t eg_policy_host_name(const char *host, const char **name)
{
    size_t n;
    if (host == NULL || *host == '\0')
        return 0;
    *name = host;
    if (host[0] == '[') {
        const char *close = strchr(host, ']');
        if (close == NULL)
            return 0;
        for (const char *p = host + 1; p < close; p++)
            if (!isxdigit((unsigned char)*p) && *p != ':' && *p != '.')
                return 0;
        n = (size_t)(close - host) + 1;
        if (host[n] != '\0' && host[n] != ':')
            return 0;
    } else {
        const char *colon = strchr(host, ':');
        n = colon ? (size_t)(colon - host) : strlen(host);
        for (size_t i = 0; i < n; i++)
            if (!isalnum((unsigned char)host[i]) && host[i] != '-' && host[i] != '.' &&
                host[i] != '_')
                return 0;
    }
    /* whatever follows must be a port */
    if (host[n] == ':')
        for (const char *p = host + n + 1; *p; p++)
            if (!isdigit((unsigned char)*p))
                return 0;
    return n;
}

int eg_policy_location(const eg_policy_req_t *r, char *buf, size_t len)
{
    const char *name = NULL;
    size_t nlen = eg_policy_host_name(r->host, &name);
    char port[16] = "";
    int n;
    if (nlen == 0) {
        name = r->server_name ? r->server_name : "localhost";
        nlen = strlen(name);
    }
    if (r->public_https_port != 443)
        snprintf(port, sizeof(port), ":%d", r->public_https_port);
    n = snprintf(buf, len, "https://%.*s%s%.*s%s%s", (int)nlen, name, port, (int)r->path_len,
                 r->path, r->query ? "?" : "", r->query ? r->query : "");
    return n < 0 || (size_t)n >= len ? -1 : 0;
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

    memset(d, 0, sizeof(*d));
    if (r->host && *r->host && (nlen = eg_policy_host_name(r->host, &name)) == 0) {
        final(d, 400, "The Host header is not a host name.");
        return;
    }
    d->dist = eg_config_find_dist(c, name, nlen);
    if (d->dist == NULL) {
        final(d, 403, "No distribution answers for this host.");
        return;
    }
    if (!d->dist->info.enabled) {
        final(d, 403, "This distribution is disabled.");
        return;
    }
    for (size_t i = 0; i < d->dist->n_behaviors; i++)
        if (eg_pattern_match(d->dist->behaviors[i].path_pattern, r->path, r->path_len)) {
            d->behavior = &d->dist->behaviors[i];
            break;
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

void eg_policy_write_answer(eg_buf_t *out, long long version, const eg_policy_req_t *r,
                            const eg_policy_decision_t *d)
{
    char loc[4096];
    char ssl[64];
    eg_buf_printf(out, "X-Eg-Config: %lld\r\n", version);
    if (d->dist)
        eg_buf_printf(out, "X-Eg-Dist: %s\r\n", d->dist->info.id);
    if (d->behavior)
        eg_buf_printf(out, "X-Eg-Behavior: %s\r\n", d->behavior->path_pattern);
    if (d->status == 301 || d->status == 307) {
        if (eg_policy_location(r, loc, sizeof(loc)) < 0) {
            eg_buf_adds(out, "Status: 414 URI Too Long\r\nContent-Length: 0\r\n\r\n");
            return;
        }
        /* Redirects carry headers only: the viewer is charged for request and headers. */
        eg_buf_printf(out, "Status: %d %s\r\nLocation: %s\r\nContent-Length: 0\r\n\r\n",
                      d->status, eg_http_reason(d->status), loc);
        return;
    }
    if (d->status) {
        eg_buf_printf(out, "Status: %d %s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\n",
                      d->status, eg_http_reason(d->status), d->reason);
        return;
    }
    eg_field_format(eg_field_find(eg_origin_fields, eg_origin_nfields, "ssl-protocols"), d->origin,
                    ssl, sizeof(ssl));
    eg_buf_printf(out,
                  "Status: 200 OK\r\n"
                  "X-Eg-Action: forward\r\n"
                  "X-Eg-Origin: %s\r\n"
                  "X-Eg-Origin-Domain: %s\r\n"
                  "X-Eg-Origin-Scheme: %s\r\n"
                  "X-Eg-Origin-Port: %d\r\n"
                  "X-Eg-Origin-Path: %s\r\n"
                  "X-Eg-Origin-SSL: %s\r\n"
                  "X-Eg-Read-Timeout: %d\r\n"
                  "X-Eg-Keepalive-Timeout: %d\r\n"
                  "X-Eg-Forward-Host: %d\r\n"
                  "X-Eg-Forward-Query: %d\r\n"
                  "X-Eg-Cached-Methods: %s\r\n"
                  "X-Eg-TTL: %d,%d,%d\r\n"
                  "\r\n",
                  d->origin->id, d->origin->domain, d->origin_https ? "https" : "http",
                  d->origin_port, d->origin->origin_path, ssl, d->origin->read_timeout,
                  d->origin->keepalive_timeout, d->behavior->forward_host,
                  d->behavior->forward_query, eg_methods_name(d->behavior->cached_methods),
                  d->behavior->min_ttl, d->behavior->default_ttl, d->behavior->max_ttl);
}
