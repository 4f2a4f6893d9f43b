/* Try a request (policy_try.h). */
#include <strings.h>

#include "edgegate/common.h"
#include "edgegate/policy_try.h"

const char *const eg_policy_try_methods[] = {"GET",    "HEAD",    "POST", "PUT",
                                             "DELETE", "OPTIONS", "PATCH"};
const size_t eg_policy_try_nmethods = EG_ARRAY_LEN(eg_policy_try_methods);

int eg_policy_try(const eg_config_t *c, const eg_dist_t *dist, const char *method, int https,
                  int http10, const char *url, eg_policy_try_t *t, const char **err)
{
    eg_dist_t one = *dist;
    eg_config_t view = *c;
    eg_policy_req_t r;
    int known = 0;
    memset(t, 0, sizeof(*t));
    for (size_t i = 0; method && i < eg_policy_try_nmethods; i++)
        known |= strcmp(method, eg_policy_try_methods[i]) == 0;
    if (!known) {
        *err = "the method must be GET, HEAD, POST, PUT, DELETE, OPTIONS or PATCH";
        return -1;
    }
    if (url == NULL || *url == '\0') {
        *err = "give a URL or a path";
        return -1;
    }
    snprintf(t->method, sizeof(t->method), "%s", method);
    t->https = https;
    t->http10 = http10;
    t->target = url;
    if (strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0) {
        const char *h = strstr(url, "//") + 2;
        size_t hl = strcspn(h, "/?#");
        if (hl == 0 || hl >= sizeof(t->host)) {
            *err = "the URL has no host name, or one too long";
            return -1;
        }
        t->https = strncasecmp(url, "https", 5) == 0;
        snprintf(t->host, sizeof(t->host), "%.*s", (int)hl, h);
        t->target = h[hl] == '/' ? h + hl : h[hl] == '?' ? h + hl : "/";
        if (h[hl] == '?') { /* "http://host?q": the path is "/" */
            *err = "write the URL's path before its query (http://host/?q)";
            return -1;
        }
    } else {
        /* the first alternate domain name that is a name, not a wildcard; else a wildcard's
         * "*" as "www"; else www.example.com */
        const char *p = dist->info.aliases, *wild = NULL;
        size_t wn = 0;
        snprintf(t->host, sizeof(t->host), "www.example.com");
        while (*p) {
            size_t n = strcspn(p, ",");
            if (n && p[0] != '*') {
                snprintf(t->host, sizeof(t->host), "%.*s", (int)n, p);
                wild = NULL;
                break;
            }
            if (n > 1 && wild == NULL) {
                wild = p + 1; /* ".img.example.com" */
                wn = n - 1;
            }
            p += n + (p[n] == ',');
        }
        if (wild)
            snprintf(t->host, sizeof(t->host), "www%.*s", (int)wn, wild);
    }
    /* the distribution as the only one, answering every Host */
    snprintf(one.info.id, sizeof(one.info.id), "%s", EG_DEFAULT_DIST);
    one.info.aliases[0] = '\0';
    view.dists = &one;
    view.n_dists = 1;
    memset(&r, 0, sizeof(r));
    r.method = t->method;
    r.http10 = http10;
    r.https = t->https;
    r.host = t->host;
    r.public_https_port = 443;
    if (eg_uri_parse(t->target, strlen(t->target), t->method, &t->uri, &t->why)) {
        t->refused = 1;
        t->d.status = 400;
    } else {
        r.path = t->uri.path;
        r.path_len = t->uri.path_len;
        r.query = t->uri.query;
        eg_policy_decide(&view, &r, &t->d);
        if (t->d.dist == &one) /* it pointed at the copy, which goes away */
            t->d.dist = dist;
        if (t->d.status >= 300 && t->d.status < 400 &&
            eg_policy_location(&r, t->location, sizeof(t->location)) < 0)
            snprintf(t->location, sizeof(t->location), "(too long)");
        r.path = NULL;
        r.path_len = 0;
        r.query = NULL;
    }
    /* what the worker itself would send the front: its head */
    {
        const char *why;
        char *blank;
        eg_policy_answer(&view, &r, t->target, strlen(t->target), &t->raw, &why);
        blank = t->raw.data ? strstr(t->raw.data, "\r\n\r\n") : NULL;
        if (blank) {
            *blank = '\0';
            t->raw.len = (size_t)(blank - t->raw.data);
        }
    }
    return 0;
}

void eg_policy_try_free(eg_policy_try_t *t)
{
    eg_uri_free(&t->uri);
    eg_buf_free(&t->raw);
}
