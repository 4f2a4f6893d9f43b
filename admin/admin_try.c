/* "Try a request" on the Behaviors tab: what edgegate would answer a viewer, worked out by
 * the policy worker's own code (eg_policy_answer, eg_policy_decide, eg_policy_location) over
 * the distribution as it is saved. */
#include <strings.h>

#include "edgegate/admin.h"
#include "edgegate/common.h"
#include "edgegate/policy.h"
#include "edgegate/uri.h"

static const char *const methods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"};

static void select_of(eg_admin_t *a, const char *name, const char *label, const char *const *v,
                      size_t n, const char *cur)
{
    eg_web_printf(&a->body,
                  "<div class=\"field\"><label for=\"t-%s\">%s</label>"
                  "<select id=\"t-%s\" name=\"%s\">",
                  name, label, name, name);
    for (size_t i = 0; i < n; i++)
        eg_web_printf(&a->body, "<option%r>%s</option>",
                      cur && strcmp(cur, v[i]) == 0 ? " selected" : "", v[i]);
    eg_buf_adds(&a->body, "</select></div>\n");
}

/* The distribution as the only one, answering every host, so the answer is its own. */
static void answer(eg_admin_t *a, const eg_config_t *c, const eg_dist_t *dist)
{
    const char *method = eg_web_get(&a->query, "try-method");
    const char *scheme = eg_web_get(&a->query, "try-scheme");
    const char *version = eg_web_get(&a->query, "try-version");
    const char *url = eg_web_get(&a->query, "try-url");
    eg_dist_t one = *dist;
    eg_config_t view = *c;
    eg_policy_req_t r;
    eg_policy_decision_t d;
    eg_uri_t u;
    eg_buf_t raw = {0};
    char host[EG_NAME_MAX] = "", location[8192];
    const char *target = url, *why = NULL;
    int https = scheme && strcmp(scheme, "https") == 0, status, known = 0;

    for (size_t i = 0; method && i < EG_ARRAY_LEN(methods); i++)
        known |= strcmp(method, methods[i]) == 0;
    if (!known || url == NULL || *url == '\0') {
        eg_buf_adds(&a->body, "<p class=\"alert error\" role=\"alert\">Choose a method and "
                              "enter a URL or a path.</p>\n");
        return;
    }
    if (strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0) {
        const char *h = strstr(url, "//") + 2, *slash = strchr(h, '/');
        size_t hl = slash ? (size_t)(slash - h) : strlen(h);
        https = strncasecmp(url, "https", 5) == 0;
        snprintf(host, sizeof(host), "%.*s", (int)(hl < sizeof(host) ? hl : 0), h);
        target = slash ? slash : "/";
    } else {
        const char *comma = strchr(dist->info.aliases, ',');
        size_t n = comma ? (size_t)(comma - dist->info.aliases) : strlen(dist->info.aliases);
        if (n)
            snprintf(host, sizeof(host), "%.*s", (int)n, dist->info.aliases);
        else
            snprintf(host, sizeof(host), "www.example.com");
    }
    snprintf(one.info.id, sizeof(one.info.id), "%s", EG_DEFAULT_DIST);
    one.info.aliases[0] = '\0';
    view.dists = &one;
    view.n_dists = 1;
    memset(&r, 0, sizeof(r));
    r.method = method;
    r.http10 = version && strcmp(version, "HTTP/1.0") == 0;
    r.https = https;
    r.host = host;
    r.public_https_port = 443;

    eg_buf_adds(&a->body, "<div class=\"card\" id=\"try-result\" role=\"status\">\n");
    eg_web_printf(&a->body, "<p class=\"req\"><code>%s %s://%s%s %s</code></p>\n", method,
                  https ? "https" : "http", host, target, r.http10 ? "HTTP/1.0" : "HTTP/1.1");
    status = eg_uri_parse(target, strlen(target), method, &u, &why);
    if (status) {
        eg_web_printf(&a->body,
                      "<p class=\"verdict bad\"><strong>%d</strong>: edgegate refuses "
                      "this request target (%s).</p>\n</div>\n",
                      status, why ? why : "not valid");
        return;
    }
    r.path = u.path;
    r.path_len = u.path_len;
    r.query = u.query;
    eg_policy_decide(&view, &r, &d);
    if (d.behavior)
        eg_web_printf(&a->body, "<p>Matches behavior <strong>%s</strong>%r (path %s).</p>\n",
                      d.behavior->path_pattern,
                      strcmp(d.behavior->path_pattern, "*") == 0 ? " (the default)" : "", u.path);
    if (d.status == 301 || d.status == 307 || d.status == 302 || d.status == 308) {
        if (eg_policy_location(&r, location, sizeof(location)) < 0)
            snprintf(location, sizeof(location), "(too long)");
        eg_web_printf(&a->body,
                      "<p class=\"verdict redirect\"><strong>%d %r</strong> to "
                      "<code>%s</code>%r</p>\n",
                      d.status, d.status == 301 ? "Moved Permanently" : "Temporary Redirect",
                      location, d.status == 307 ? " (the same method and body, over HTTPS)" : "");
    } else if (d.status) {
        eg_web_printf(&a->body, "<p class=\"verdict bad\"><strong>%d</strong>: %s</p>\n", d.status,
                      d.reason ? d.reason : "refused");
    } else if (d.origin) {
        eg_web_printf(&a->body,
                      "<p class=\"verdict ok\">Forward to origin <strong>%s</strong> "
                      "(<code>%s</code>) over <strong>%r</strong> on port <strong>%d</strong>"
                      "%r</p>\n",
                      d.origin->id, d.origin->domain, d.origin_https ? "HTTPS" : "HTTP",
                      d.origin_port, d.origin_https ? ", verifying its certificate" : "");
        eg_web_printf(&a->body,
                      "<p class=\"hint\">Requested from the origin as "
                      "<code>%s%s%r%s</code>.</p>\n",
                      d.origin->origin_path, u.path,
                      u.query && d.behavior && d.behavior->forward_query ? "?" : "",
                      u.query && d.behavior && d.behavior->forward_query ? u.query : "");
    }
    /* what the policy worker itself would send the front, for those who want it */
    r.path = NULL;
    eg_policy_answer(&view, &r, target, strlen(target), &raw, &why);
    {
        char *blank = strstr(raw.data ? raw.data : "", "\r\n\r\n");
        if (blank)
            *blank = '\0';
        eg_web_printf(&a->body,
                      "<details><summary>The policy worker's answer</summary>"
                      "<pre>%s</pre></details>\n",
                      raw.data ? raw.data : "");
    }
    eg_buf_adds(&a->body, "</div>\n");
    eg_buf_free(&raw);
    eg_uri_free(&u);
}

void eg_admin_try(eg_admin_t *a, const char *dist_id)
{
    static const char *const schemes[] = {"http", "https"};
    static const char *const versions[] = {"HTTP/1.1", "HTTP/1.0"};
    const char *url = eg_web_get(&a->query, "try-url");
    eg_web_printf(&a->body,
                  "<h2 id=\"try\">Try a request</h2>\n<form method=\"get\" "
                  "action=\"%s/distributions/%u/behaviors#try\" class=\"card try\">\n"
                  "<div class=\"row\">\n",
                  a->base, dist_id);
    select_of(a, "try-method", "Method", methods, EG_ARRAY_LEN(methods),
              eg_web_get(&a->query, "try-method"));
    select_of(a, "try-scheme", "Scheme", schemes, 2, eg_web_get(&a->query, "try-scheme"));
    select_of(a, "try-version", "HTTP version", versions, 2, eg_web_get(&a->query, "try-version"));
    eg_web_printf(&a->body,
                  "<div class=\"field grow\"><label for=\"t-try-url\">URL or path</label>"
                  "<input type=\"text\" id=\"t-try-url\" name=\"try-url\" value=\"%s\" "
                  "placeholder=\"/images/logo.png?size=2\" required></div>\n</div>\n"
                  "<div class=\"actions\"><button type=\"submit\">Try</button></div>\n"
                  "</form>\n",
                  url ? url : "");
    if (url) {
        eg_config_t *c = NULL;
        char err[512];
        const eg_dist_t *d = NULL;
        if (eg_db_config_load(a->db, &c, err, sizeof(err)) < 0) {
            eg_web_printf(&a->body, "<p class=\"alert error\">%s</p>\n", err);
            return;
        }
        for (size_t i = 0; i < c->n_dists; i++)
            if (strcmp(c->dists[i].info.id, dist_id) == 0)
                d = &c->dists[i];
        if (d)
            answer(a, c, d);
        eg_config_free(c);
    }
}
