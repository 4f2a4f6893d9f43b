/* "Try a request" on the Behaviors tab: what edgegate would answer a viewer, worked out by
 * the policy worker's own code (eg_policy_answer, eg_policy_decide, eg_policy_location) over
 * the distribution as it is saved. */
#include <strings.h>

#include "edgegate/admin.h"
#include "edgegate/common.h"
#include "edgegate/policy_try.h"

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

/* The answer, by the policy's own code (policy_try.c). */
static void answer(eg_admin_t *a, const eg_config_t *c, const eg_dist_t *dist)
{
    const char *scheme = eg_web_get(&a->query, "try-scheme");
    const char *version = eg_web_get(&a->query, "try-version");
    const char *err = NULL;
    eg_policy_try_t t;
    const eg_policy_decision_t *d = &t.d;

    if (eg_policy_try(c, dist, eg_web_get(&a->query, "try-method"),
                      scheme && strcmp(scheme, "https") == 0,
                      version && strcmp(version, "HTTP/1.0") == 0, eg_web_get(&a->query, "try-url"),
                      &t, &err) < 0) {
        eg_web_printf(&a->body, "<p class=\"alert error\" role=\"alert\">%s.</p>\n", err);
        return;
    }
    eg_buf_adds(&a->body, "<div class=\"card\" id=\"try-result\" role=\"status\">\n");
    {
        /* a URL's host may belong to another distribution: this one's answer is shown, and
         * which one the gateway would ask is said */
        const char *name;
        size_t n = eg_policy_host_name(t.host, &name);
        const eg_dist_t *real = n ? eg_config_find_dist(c, name, n) : NULL;
        if (real != dist)
            eg_web_printf(&a->body,
                          "<p class=\"alert warn\">The gateway answers Host %s with %r%s%r; "
                          "below is how distribution %s would answer it.</p>\n",
                          t.host, real ? "distribution <strong>" : "no distribution (403)",
                          real ? real->info.id : "", real ? "</strong>" : "", dist->info.id);
    }
    eg_web_printf(&a->body, "<p class=\"req\"><code>%s %s://%s%s %s</code></p>\n", t.method,
                  t.https ? "https" : "http", t.host, t.target, t.http10 ? "HTTP/1.0" : "HTTP/1.1");
    if (t.refused) {
        eg_web_printf(&a->body,
                      "<p class=\"verdict bad\"><strong>400</strong>: edgegate refuses "
                      "this request target (%s).</p>\n</div>\n",
                      t.why ? t.why : "not valid");
        eg_policy_try_free(&t);
        return;
    }
    if (d->behavior)
        eg_web_printf(&a->body, "<p>Matches behavior <strong>%s</strong>%r (path %s).</p>\n",
                      d->behavior->path_pattern,
                      strcmp(d->behavior->path_pattern, "*") == 0 ? " (the default)" : "",
                      t.uri.path);
    if (d->status >= 300 && d->status < 400) {
        eg_web_printf(&a->body,
                      "<p class=\"verdict redirect\"><strong>%d %r</strong> to "
                      "<code>%s</code>%r</p>\n",
                      d->status, d->status == 301 ? "Moved Permanently" : "Temporary Redirect",
                      t.location,
                      d->status == 307 ? " (the same method and body, over HTTPS)" : "");
    } else if (d->status) {
        eg_web_printf(&a->body, "<p class=\"verdict bad\"><strong>%d</strong>: %s</p>\n", d->status,
                      d->reason ? d->reason : "refused");
    } else if (d->origin) {
        int q = t.uri.query && d->behavior && d->behavior->forward_query;
        eg_web_printf(&a->body,
                      "<p class=\"verdict ok\">Forward to origin <strong>%s</strong> "
                      "(<code>%s</code>) over <strong>%r</strong> on port <strong>%d</strong>"
                      "%r</p>\n",
                      d->origin->id, d->origin->domain, d->origin_https ? "HTTPS" : "HTTP",
                      d->origin_port, d->origin_https ? ", verifying its certificate" : "");
        eg_web_printf(&a->body,
                      "<p class=\"hint\">Requested from the origin as "
                      "<code>%s%s%r%s</code>.</p>\n",
                      d->origin->origin_path, t.uri.path, q ? "?" : "", q ? t.uri.query : "");
    }
    eg_web_printf(&a->body,
                  "<details><summary>The policy worker's answer</summary>"
                  "<pre>%s</pre></details>\n</div>\n",
                  t.raw.data ? t.raw.data : "");
    eg_policy_try_free(&t);
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
    select_of(a, "try-method", "Method", eg_policy_try_methods, eg_policy_try_nmethods,
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
