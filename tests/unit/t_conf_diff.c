/* eg_conf_diff: the lines egctl import --dry-run and the console's preview show. */
#include "edgegate/common.h"
#include "edgegate/conf.h"
#include "tap.h"

static eg_origin_t origin(const char *id, const char *domain)
{
    eg_origin_t o;
    memset(&o, 0, sizeof(o));
    eg_fields_defaults(eg_origin_fields, eg_origin_nfields, &o);
    snprintf(o.id, sizeof(o.id), "%s", id);
    snprintf(o.domain, sizeof(o.domain), "%s", domain);
    return o;
}

static eg_behavior_t behavior(const char *pattern, const char *origin_id)
{
    eg_behavior_t b;
    memset(&b, 0, sizeof(b));
    eg_fields_defaults(eg_behavior_fields, eg_behavior_nfields, &b);
    snprintf(b.path_pattern, sizeof(b.path_pattern), "%s", pattern);
    snprintf(b.origin_id, sizeof(b.origin_id), "%s", origin_id);
    return b;
}

static void build(eg_dist_t *d, const eg_origin_t *o, size_t no, const eg_behavior_t *b,
                  size_t nb)
{
    memset(d, 0, sizeof(*d));
    eg_fields_defaults(eg_dist_fields, eg_dist_nfields, &d->info);
    strcpy(d->info.id, "shop");
    d->origins = eg_calloc(no, sizeof(*o));
    memcpy(d->origins, o, no * sizeof(*o));
    d->n_origins = no;
    d->behaviors = eg_calloc(nb, sizeof(*b));
    memcpy(d->behaviors, b, nb * sizeof(*b));
    d->n_behaviors = nb;
}

int main(void)
{
    eg_dist_t cur, next;
    eg_buf_t out = {0};
    size_t n;
    {
        eg_origin_t o[] = {origin("api", "api.example.com"), origin("web", "www.example.com")};
        eg_behavior_t b[] = {behavior("/a/*", "web"), behavior("/b/*", "web"),
                             behavior("/old/*", "api"), behavior("*", "web")};
        build(&cur, o, 2, b, 4);
    }
    {
        eg_origin_t o[] = {origin("web", "www2.example.com"), origin("cdn", "cdn.example.com")};
        eg_behavior_t b[] = {behavior("/b/*", "web"), behavior("/a/*", "web"),
                             behavior("/new/*", "cdn"), behavior("*", "cdn")};
        b[1].viewer_protocol = EG_VPP_HTTPS_ONLY;
        build(&next, o, 2, b, 4);
        strcpy(next.info.comment, "My comments");
    }

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
