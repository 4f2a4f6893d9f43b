/* eg_conf_diff: the lines egctl import --dry-run and the console's preview show. */
#include "conf_fixture.h"

static void start(eg_dist_t *d)
{
    memset(d, 0, sizeof(*d));
    eg_fields_defaults(eg_dist_fields, eg_dist_nfields, &d->info);
    strcpy(d->info.id, "shop");
}

int main(void)
{
    eg_dist_t cur, next;
    eg_buf_t out = {0};
    size_t n;
    start(&cur);
    fx_origin(&cur, "api", "api.example.com");
    fx_origin(&cur, "web", "www.example.com");
    fx_behavior(&cur, "/a/*", "web");
    fx_behavior(&cur, "/b/*", "web");
    fx_behavior(&cur, "/old/*", "api");
    fx_behavior(&cur, "*", "web");
    start(&next);
    strcpy(next.info.comment, "My comments");
    fx_origin(&next, "web", "www2.example.com");
    fx_origin(&next, "cdn", "cdn.example.com");
    fx_behavior(&next, "/b/*", "web");
    fx_behavior(&next, "/a/*", "web")->viewer_protocol = EG_VPP_HTTPS_ONLY;
    fx_behavior(&next, "/new/*", "cdn");
    fx_behavior(&next, "*", "cdn");

    n = eg_conf_diff(&cur, &cur, &out);
    ok(n == 0 && out.len == 0, "the same distribution: no line");

    n = eg_conf_diff(&cur, &next, &out);
    is_int(n, 9, "one line per change");
    ok(strstr(out.data, "distribution shop: comment: \"\" -> My comments\n") != NULL,
       "a setting: old -> new");
    ok(strstr(out.data, "origin web: changed: domain: www.example.com -> www2.example.com\n") !=
           NULL,
       "an origin changed");
    ok(strstr(out.data, "origin cdn: added (domain: cdn.example.com)\n") != NULL,
       "an origin added, with what differs from the defaults");
    ok(strstr(out.data, "origin api: removed\n") != NULL, "an origin removed");
    ok(strstr(out.data, "behavior /a/*: changed: viewer-protocol: allow-all -> https-only\n") !=
           NULL,
       "a behavior changed");
    ok(strstr(out.data, "behavior /new/*: added at 2 (origin: cdn)\n") != NULL,
       "a behavior added, at its position");
    ok(strstr(out.data, "behavior /old/*: removed\n") != NULL, "a behavior removed");
    ok(strstr(out.data, "behavior *: changed: origin: web -> cdn\n") != NULL,
       "the default behavior changed");
    ok(strstr(out.data, "behaviors: order /a/*, /b/* -> /b/*, /a/*\n") != NULL,
       "the order of the behaviors both have");

    out.len = 0;
    n = eg_conf_diff(NULL, &next, &out);
    ok(n == 7 && strncmp(out.data, "distribution shop: created (", 28) == 0 &&
           strstr(out.data, "behavior *: added (the default) (origin: cdn)\n") != NULL &&
           strstr(out.data, "behaviors: order") == NULL,
       "a new distribution: created, and everything in it added");

    eg_buf_free(&out);
    eg_dist_clear(&cur);
    eg_dist_clear(&next);
    return done();
}
