/* What the configuration-file tests share: a distribution using every kind of setting the
 * files carry, and helpers to read text and look at the messages. Header-only, static. */
#ifndef EG_CONF_FIXTURE_H
#define EG_CONF_FIXTURE_H

#include "edgegate/buf.h"
#include "edgegate/common.h"
#include "edgegate/conf.h"
#include "tap.h"

static EG_UNUSED void fx_set(const eg_field_t *f, size_t n, void *obj, const char *name, const char *v)
{
    char err[256];
    if (eg_field_parse(eg_field_find(f, n, name), obj, v, err, sizeof(err)) < 0) {
        fprintf(stderr, "# fixture: %s %s: %s\n", name, v, err);
        abort();
    }
}

#define FX_O(o, name, v) fx_set(eg_origin_fields, eg_origin_nfields, (o), (name), (v))
#define FX_B(b, name, v) fx_set(eg_behavior_fields, eg_behavior_nfields, (b), (name), (v))

static EG_UNUSED eg_origin_t *fx_origin(eg_dist_t *d, const char *id, const char *domain)
{
    eg_origin_t *o;
    d->origins = eg_realloc(d->origins, (d->n_origins + 1) * sizeof(*o));
    o = &d->origins[d->n_origins++];
    memset(o, 0, sizeof(*o));
    eg_fields_defaults(eg_origin_fields, eg_origin_nfields, o);
    snprintf(o->id, sizeof(o->id), "%s", id);
    snprintf(o->domain, sizeof(o->domain), "%s", domain);
    return o;
}

static EG_UNUSED eg_behavior_t *fx_behavior(eg_dist_t *d, const char *pattern, const char *origin)
{
    eg_behavior_t *b;
    d->behaviors = eg_realloc(d->behaviors, (d->n_behaviors + 1) * sizeof(*b));
    b = &d->behaviors[d->n_behaviors];
    memset(b, 0, sizeof(*b));
    eg_fields_defaults(eg_behavior_fields, eg_behavior_nfields, b);
    snprintf(b->path_pattern, sizeof(b->path_pattern), "%s", pattern);
    snprintf(b->origin_id, sizeof(b->origin_id), "%s", origin);
    b->precedence = strcmp(pattern, "*") == 0 ? 2147483647 : (int)d->n_behaviors;
    d->n_behaviors++;
    return b;
}

/* Every kind of origin, every forwarding variant (legacy and policy shapes), the default last. */
static EG_UNUSED void fx_rich(eg_dist_t *d)
{
    eg_origin_t *o;
    eg_behavior_t *b;
    memset(d, 0, sizeof(*d));
    eg_fields_defaults(eg_dist_fields, eg_dist_nfields, &d->info);
    strcpy(d->info.id, "shop");
    strcpy(d->info.comment, "shop & co <main> \xc3\xa9t\xc3\xa9 \"quoted\"");
    strcpy(d->info.aliases, "shop.example.com,www.example.com");
    d->info.error_min_ttl = 30;
    o = fx_origin(d, "bucket", "bucket.s3.amazonaws.com");
    FX_O(o, "type", "s3");
    FX_O(o, "protocol", "match-viewer");
    o = fx_origin(d, "site", "site.s3-website-eu-west-1.amazonaws.com");
    FX_O(o, "type", "s3-website");
    o = fx_origin(d, "web", "www.origin.example");
    FX_O(o, "path", "/site");
    FX_O(o, "protocol", "https-only");
    FX_O(o, "https-port", "8443");
    FX_O(o, "ssl-protocols", "TLSv1.1,TLSv1.2");
    FX_O(o, "read-timeout", "20");
    FX_O(o, "keepalive-timeout", "9");
    b = fx_behavior(d, "/api/*", "web");
    FX_B(b, "viewer-protocol", "https-only");
    FX_B(b, "methods", "ALL");
    FX_B(b, "cached-methods", "GET,HEAD,OPTIONS");
    FX_B(b, "default-ttl", "0");
    FX_B(b, "max-ttl", "60");
    FX_B(b, "cache-headers", "Accept-Language,X-Api-Version");
    FX_B(b, "cache-cookies", "session,theme");
    FX_B(b, "forward-host", "true");
    b = fx_behavior(d, "/account/*", "web");
    FX_B(b, "viewer-protocol", "redirect-to-https");
    FX_B(b, "origin-headers", "all-viewer");
    FX_B(b, "origin-cookies", "all");
    FX_B(b, "forward-query", "false");
    b = fx_behavior(d, "/shared/*", "web");
    FX_B(b, "origin-headers", "all-viewer");
    FX_B(b, "forward-host", "true");
    FX_B(b, "cache-cookies", "lang");
    b = fx_behavior(d, "/cors/*", "site");
    FX_B(b, "origin-headers", "Origin,User-Agent");
    FX_B(b, "origin-cookies", "a,b");
    FX_B(b, "cache-headers", "Accept");
    FX_B(b, "forward-host", "true");
    FX_B(b, "methods", "GET,HEAD,OPTIONS");
    b = fx_behavior(d, "/images/*.jpg", "bucket");
    FX_B(b, "viewer-protocol", "redirect-to-https");
    FX_B(b, "cache-cookies", "all");
    FX_B(b, "min-ttl", "5");
    b = fx_behavior(d, "*", "web");
    FX_B(b, "viewer-protocol", "redirect-to-https");
}

/* Reads text into *d (distribution "shop"); the messages formatted into *msgs_text (owned). */
static EG_UNUSED int fx_read(const char *text, eg_dist_t *d, char **msgs_text)
{
    eg_conf_msgs_t m = {0};
    eg_buf_t b = {0};
    int rc = eg_conf_read(text, strlen(text), "shop", d, NULL, &m);
    eg_conf_msgs_format(&m, &b);
    *msgs_text = b.data ? b.data : eg_strdup("");
    eg_conf_msgs_free(&m);
    return rc;
}

/* Text as TAP diagnostics, each line after "#   ". */
static EG_UNUSED void fx_diag(const char *text)
{
    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        int n = nl ? (int)(nl - p) : (int)strlen(p);
        printf("#   %.*s\n", n, p);
        p += n + (nl != NULL);
    }
}

/* Reads text expecting it refused with every one of the strings in its messages. */
static EG_UNUSED void fx_refused(const char *what, const char *text, const char *const *says)
{
    eg_dist_t d;
    char *msgs;
    int rc = fx_read(text, &d, &msgs), all = 1;
    for (const char *const *s = says; *s; s++)
        if (strstr(msgs, *s) == NULL) {
            printf("#   missing: %s\n", *s);
            all = 0;
        }
    if (!ok(rc == -1 && d.n_origins == 0 && d.n_behaviors == 0 && all, "%s is refused", what))
    {
        printf("#   rc %d, messages:\n", rc);
        fx_diag(msgs);
    }
    free(msgs);
    eg_dist_clear(&d);
}

/* The XML export of d (owned). */
static EG_UNUSED char *fx_write(const eg_dist_t *d, int fmt)
{
    eg_conf_msgs_t m = {0};
    eg_buf_t b = {0};
    if (eg_conf_write(d, fmt, &b, &m) < 0) {
        fprintf(stderr, "# write failed\n");
        abort();
    }
    eg_conf_msgs_free(&m);
    return b.data;
}

/* s with the first occurrence of from replaced by to (owned). */
static EG_UNUSED char *fx_replace(const char *s, const char *from, const char *to)
{
    const char *at = strstr(s, from);
    eg_buf_t b = {0};
    if (at == NULL) {
        fprintf(stderr, "# fixture: '%s' not in the text\n", from);
        abort();
    }
    eg_buf_add(&b, s, (size_t)(at - s));
    eg_buf_adds(&b, to);
    eg_buf_adds(&b, at + strlen(from));
    return b.data;
}

/* text with from replaced by to must be refused, saying says1 and says2 ("" for none). */
static EG_UNUSED void fx_one(const char *what, const char *text, const char *from,
                             const char *to, const char *says1, const char *says2)
{
    char *bad = fx_replace(text, from, to);
    const char *says[] = {says1, says2, NULL};
    fx_refused(what, bad, says);
    free(bad);
}

/* The set-up every error-class test starts from: the rich distribution, its XML and JSON. */
static EG_UNUSED void fx_start(eg_dist_t *d, char **xml, char **json)
{
    eg_conf_init();
    fx_rich(d);
    *xml = fx_write(d, EG_CONF_XML);
    *json = fx_write(d, EG_CONF_JSON);
}

#endif
