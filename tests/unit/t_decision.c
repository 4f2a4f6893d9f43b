/* The decision table (gateway/decision.c): every row the worker writes reads back equal on
 * the front, every row refuses a malformed value, a forward without a required row is
 * refused, and the table agrees with the settings tables it spells its values by. */
#include <limits.h>
#include <strings.h>

#include "edgegate/common.h"
#include "edgegate/decision.h"
#include "edgegate/policy.h"
#include "edgegate/route.h"
#include "tap.h"

static eg_origin_t origin;
static eg_behavior_t behavior;
static eg_dist_t dist;
static eg_config_t cfg = {42, &dist, 1};

/* A configuration in which every field differs from what an answer without it means, so a
 * row the worker forgot to write cannot read back equal by chance. */
static void setup(void)
{
    eg_fields_defaults(eg_origin_fields, eg_origin_nfields, &origin);
    strcpy(origin.id, "o1");
    strcpy(origin.domain, "origin.example");
    strcpy(origin.origin_path, "/base");
    origin.protocol = EG_OPP_HTTPS_ONLY;
    origin.https_port = 8443;
    origin.ssl_protocols = EG_SSL_TLSV1_1 | EG_SSL_TLSV1_2;
    origin.read_timeout = 45;
    origin.keepalive_timeout = 9;
    eg_fields_defaults(eg_behavior_fields, eg_behavior_nfields, &behavior);
    strcpy(behavior.path_pattern, "/img/*");
    strcpy(behavior.origin_id, "o1");
    behavior.allowed_methods = EG_AM_GET_HEAD_OPTIONS;
    behavior.cached_methods = EG_AM_GET_HEAD_OPTIONS;
    behavior.min_ttl = 0;
    behavior.default_ttl = 60;
    behavior.max_ttl = 600;
    behavior.forward_host = 1;
    behavior.forward_query = 0;
    strcpy(behavior.cache_headers, "Authorization,X-A");
    strcpy(behavior.cache_cookies, "sess");
    strcpy(behavior.origin_headers, "Accept-Language");
    strcpy(behavior.origin_cookies, "all");
    eg_fields_defaults(eg_dist_fields, eg_dist_nfields, &dist.info);
    strcpy(dist.info.id, "d1");
    strcpy(dist.info.aliases, "a.example");
    dist.info.error_min_ttl = 30;
    dist.origins = &origin;
    dist.n_origins = 1;
    dist.behaviors = &behavior;
    dist.n_behaviors = 1;
}

/* The worker's answer to method on /img/x.png, with the decision it was written from. */
static void answer(eg_buf_t *out, const char *method, eg_policy_decision_t *d)
{
    eg_policy_req_t rq = {0};
    rq.method = method;
    rq.host = "a.example";
    rq.path = "/img/x.png";
    rq.path_len = strlen(rq.path);
    rq.public_https_port = 443;
    out->len = 0;
    eg_policy_decide(&cfg, &rq, d);
    eg_policy_write_answer(out, cfg.version, &rq, d);
}

/* The route the front makes of text, or NULL with the reason in err. */
static eg_route_t *parse(const char *text, char *err, size_t errlen)
{
    eg_http_head_t *h = eg_malloc(sizeof(*h));
    eg_route_t *r = NULL;
    size_t len = strlen(text);
    if (eg_http_parse_cgi_head(text, len, h) != 1)
        eg_errf(err, errlen, "not a CGI head: %s", h->why ? h->why : "incomplete");
    else if (eg_route_parse(h, text + h->head_len, len - h->head_len, &r, err, errlen) < 0)
        r = NULL;
    free(h);
    return r;
}

/* text with the value of field name replaced, or the field left out when value is NULL. */
static char *replaced(const char *text, const char *name, const char *value)
{
    char pat[64];
    const char *at, *v, *eol;
    eg_buf_t b = {0};
    snprintf(pat, sizeof(pat), "\r\n%s: ", name);
    if ((at = strstr(text, pat)) == NULL)
        return NULL;
    v = at + strlen(pat);
    eol = strstr(v, "\r\n");
    if (value) {
        eg_buf_add(&b, text, (size_t)(v - text));
        eg_buf_adds(&b, value);
    } else {
        eg_buf_add(&b, text, (size_t)(at - text));
    }
    eg_buf_adds(&b, eol);
    return b.data;
}

static const char *source(const eg_decision_field_t *f, const eg_policy_decision_t *d)
{
    switch (f->src) {
    case EG_DS_DECISION:
        return (const char *)d;
    case EG_DS_DIST:
        return d->dist ? (const char *)&d->dist->info : NULL;
    case EG_DS_ORIGIN:
        return (const char *)d->origin;
    case EG_DS_BEHAVIOR:
        return (const char *)d->behavior;
    }
    return NULL;
}

/* Whether row f holds in the route what the worker wrote it from. */
static int same_as_source(const eg_decision_field_t *f, const char *src, const eg_route_t *r)
{
    const char *a = src + f->src_off, *b = (const char *)r + f->off;
    switch (f->kind) {
    case EG_DK_STR:
        return strcmp(a, b) == 0;
    case EG_DK_INT:
    case EG_DK_CHOICE:
    case EG_DK_SET:
        return *(const int *)a == *(const int *)b;
    case EG_DK_METHODS:
        return eg_methods_mask(*(const int *)a) == *(const unsigned *)b;
    case EG_DK_TTL:
        return memcmp(a, b, 3 * sizeof(int)) == 0;
    case EG_DK_NAMES:
        return *(char *const *)b && strcmp(a, *(char *const *)b) == 0;
    }
    return 0;
}

/* Whether two routes hold the same value for row f. */
static int same_in_routes(const eg_decision_field_t *f, const eg_route_t *r1, const eg_route_t *r2)
{
    const char *a = (const char *)r1 + f->off, *b = (const char *)r2 + f->off;
    switch (f->kind) {
    case EG_DK_STR:
        return strcmp(a, b) == 0;
    case EG_DK_INT:
    case EG_DK_CHOICE:
    case EG_DK_SET:
    case EG_DK_METHODS:
        return memcmp(a, b, f->size) == 0;
    case EG_DK_TTL:
        return memcmp(a, b, 3 * sizeof(int)) == 0;
    case EG_DK_NAMES:
        return strcmp(*(char *const *)a, *(char *const *)b) == 0;
    }
    return 0;
}

static void table_agrees_with_settings(void)
{
    int names_ok = 1, unique = 1, settings_ok = 1, defaults_ok = 1;
    for (size_t i = 0; i < eg_decision_nfields; i++) {
        const eg_decision_field_t *f = &eg_decision_fields[i];
        const eg_field_t *s = eg_decision_setting(f);
        int needs = f->kind == EG_DK_SET || f->kind == EG_DK_METHODS || f->kind == EG_DK_NAMES ||
                    (f->kind == EG_DK_INT && f->setting);
        names_ok &= strncmp(f->header, "X-Eg-", 5) == 0 && strlen(f->header) < 60;
        for (size_t j = 0; j < i; j++)
            unique &= strcasecmp(f->header, eg_decision_fields[j].header) != 0;
        if (needs && (s == NULL || s->off != f->src_off ||
                      (f->kind == EG_DK_SET && s->type != EG_FT_SET) ||
                      (f->kind == EG_DK_METHODS && s->type != EG_FT_ENUM) ||
                      (f->kind == EG_DK_INT && s->type != EG_FT_INT) ||
                      (f->kind == EG_DK_NAMES && s->type != EG_FT_HEADERS &&
                       s->type != EG_FT_COOKIES))) {
            printf("# %s: its settings field '%s' does not fit\n", f->header,
                   f->setting ? f->setting : "(none)");
            settings_ok = 0;
        }
        /* a route's list is never NULL; a required row has nothing to fall back on */
        if ((f->kind == EG_DK_NAMES && f->def == NULL) ||
            ((f->flags & EG_DF_REQUIRED) && (f->def || (f->flags & EG_DF_EVERY)))) {
            printf("# %s: its default does not fit\n", f->header);
            defaults_ok = 0;
        }
    }
    ok(names_ok, "every row is an X-Eg-* field");
    ok(unique, "no field twice");
    ok(settings_ok, "rows spelled by a settings field name one of the right type, at src_off");
    ok(defaults_ok, "lists have defaults, required rows have none");
}

/* An answer with only what a forward must carry: what an older worker's fields mean. */
static eg_route_t *bare_forward(void)
{
    char err[256];
    eg_route_t *r = parse("Status: 200\r\nX-Eg-Config: 1\r\nX-Eg-Action: forward\r\n"
                          "X-Eg-Origin: o\r\nX-Eg-Origin-Domain: d\r\n"
                          "X-Eg-Origin-Scheme: http\r\nX-Eg-Origin-Port: 80\r\n\r\n",
                          err, sizeof(err));
    ok(r != NULL, "a forward with only the required fields reads: %s", r ? "" : err);
    return r;
}

static void defaults_are_an_older_workers(const eg_route_t *r)
{
    ok(r && r->ssl_protocols == EG_SSL_TLSV1_2 && r->read_timeout == 30 &&
           r->keepalive_timeout == 5 && r->forward_host == 0 && r->forward_query == 1 &&
           r->cached_methods == eg_methods_mask(EG_AM_GET_HEAD) && r->min_ttl == 0 &&
           r->default_ttl == 86400 && r->max_ttl == 31536000 && r->origin_path[0] == '\0' &&
           r->error_min_ttl == 10,
       "absent fields mean egctl's defaults");
    ok(r && !strcmp(r->cache_headers, "none") && !strcmp(r->cache_cookies, "none") &&
           !strcmp(r->origin_headers, "none") && !strcmp(r->origin_cookies, "none"),
       "absent lists forward nothing extra");
}

static void every_row_round_trips(const eg_route_t *bare)
{
    eg_buf_t out = {0};
    eg_policy_decision_t d;
    eg_route_t *r;
    char err[256];

    answer(&out, "GET", &d);
    is_int(d.status, 0, "the test configuration forwards");
    r = parse(out.data, err, sizeof(err));
    ok(r != NULL, "the forward answer reads: %s", r ? "" : err);
    if (r == NULL)
        goto out;
    is_int(r->status, 0, "as a forward");
    is_int(r->config_version, 42, "of the configuration's version");
    for (size_t i = 0; i < eg_decision_nfields; i++) {
        const eg_decision_field_t *f = &eg_decision_fields[i];
        ok(same_as_source(f, source(f, &d), r), "%s reads back as written", f->header);
        ok(bare == NULL || !same_in_routes(f, r, bare), "  (and not as its default)");
    }
    /* the offsets, spelled out once */
    ok(!strcmp(r->dist, "d1") && !strcmp(r->behavior, "/img/*") && !strcmp(r->origin_id, "o1") &&
           !strcmp(r->domain, "origin.example") && !strcmp(r->origin_path, "/base") &&
           r->https == 1 && r->port == 8443 &&
           r->ssl_protocols == (EG_SSL_TLSV1_1 | EG_SSL_TLSV1_2) && r->read_timeout == 45 &&
           r->keepalive_timeout == 9 && r->forward_host == 1 && r->forward_query == 0 &&
           r->cached_methods == eg_methods_mask(EG_AM_GET_HEAD_OPTIONS) && r->min_ttl == 0 &&
           r->default_ttl == 60 && r->max_ttl == 600 &&
           !strcmp(r->cache_headers, "Authorization,X-A") && !strcmp(r->cache_cookies, "sess") &&
           !strcmp(r->origin_headers, "Accept-Language") && !strcmp(r->origin_cookies, "all") &&
           r->error_min_ttl == 30,
       "the route holds each field where front_request.c reads it");
    ok(strstr(out.data, "\r\nX-Eg-Origin-SSL: TLSv1.1,TLSv1.2\r\n") &&
           strstr(out.data, "\r\nX-Eg-Cached-Methods: GET,HEAD,OPTIONS\r\n") &&
           strstr(out.data, "\r\nX-Eg-TTL: 0,60,600\r\n") &&
           strstr(out.data, "\r\nX-Eg-Origin-Scheme: https\r\n") &&
           strstr(out.data, "\r\nX-Eg-Forward-Host: 1\r\n"),
       "spelled as before the table");
    ok(strstr(out.data, "\r\nX-Eg-Error-Caching-Min-TTL: 30\r\n") != NULL,
       "the distribution's error caching minimum TTL in whole seconds");
    eg_route_unref(r);

    /* a refusal carries the rows of every answer, and nothing of a forward */
    answer(&out, "PUT", &d);
    r = parse(out.data, err, sizeof(err));
    ok(r && r->status == 403, "a refused method reads as a final 403: %s", r ? "" : err);
    for (size_t i = 0; r && i < eg_decision_nfields; i++) {
        const eg_decision_field_t *f = &eg_decision_fields[i];
        if (f->flags & EG_DF_EVERY)
            ok(same_as_source(f, source(f, &d), r), "%s reads back from a refusal", f->header);
        else
            ok(strstr(out.data, f->header) == NULL, "%s is not in a refusal", f->header);
    }
    eg_route_unref(r);
out:
    eg_buf_free(&out);
}

/* Values each kind refuses; INT and STR add their bounds. */
static const char *const bad_values[][10] = {
    [EG_DK_STR] = {NULL},
    [EG_DK_INT] = {"", "x", "1x", "0x10", "1.5", "99999999999999999999", NULL},
    [EG_DK_CHOICE] = {"", "ftp", "HTTPS", "http,https", NULL},
    [EG_DK_SET] = {"", "TLSv9", "TLSv1.2;SSLv3", "tlsv1.2", NULL},
    [EG_DK_METHODS] = {"", "GET", "FOO", "HEAD,GET", "GET,HEAD,OPTIONS,PUT,POST,PATCH,DELETE",
                       NULL},
    [EG_DK_TTL] = {"", "1,2", "3,2,1", "-1,0,0", "1,2,3x", "1,2,3,4", "a,b,c", "1,,3",
                   "0,0,2147483648", NULL},
    [EG_DK_NAMES] = {"", "a b", "none,a", "a,,b", NULL},
};

/* The front refuses text; 0 when it did not (and says so). */
static int refused(const char *text, const char *header, const char *value)
{
    char err[256] = "";
    eg_route_t *r = parse(text, err, sizeof(err));
    if (r) {
        eg_route_unref(r);
        return ok(0, "%s: '%.40s' is refused", header, value);
    }
    return ok(strstr(err, header) != NULL, "%s: '%.40s' is refused (%s)", header, value, err);
}

static void every_row_refuses_malformed_values(void)
{
    eg_buf_t out = {0}, refusal = {0};
    eg_policy_decision_t d;
    char err[256], big[EG_NAME_LIST_MAX + 16];

    answer(&out, "GET", &d);
    answer(&refusal, "PUT", &d);
    for (size_t i = 0; i < eg_decision_nfields; i++) {
        const eg_decision_field_t *f = &eg_decision_fields[i];
        const eg_field_t *s = eg_decision_setting(f);
        const char *extra[5] = {NULL}, *v;
        char lo[32], hi[32], good[EG_NAME_LIST_MAX], *text;
        eg_route_t *r;
        size_t n = 0;

        /* the answer with its own value put back is the same answer */
        snprintf(good, sizeof(good), "\r\n%s: ", f->header);
        if ((v = strstr(out.data, good)) != NULL) {
            v += strlen(good);
            snprintf(good, sizeof(good), "%.*s", (int)strcspn(v, "\r"), v);
        }
        text = replaced(out.data, f->header, good);
        ok(v && text && !strcmp(text, out.data), "%s is in the forward answer", f->header);
        free(text);
        if (v == NULL)
            continue;
        switch (f->kind) {
        case EG_DK_STR:
        case EG_DK_NAMES:
            memset(big, 'a', sizeof(big) - 1);
            big[f->kind == EG_DK_STR ? f->size : sizeof(big) - 1] = '\0';
            extra[n++] = big; /* one byte too long for the route, or any list */
            if (f->kind == EG_DK_STR && f->min > 0)
                extra[n++] = "";
            if (s && s->type == EG_FT_HEADERS) {
                extra[n++] = "Host";
                extra[n++] = "Connection";
            }
            if (s && s->type == EG_FT_COOKIES)
                extra[n++] = "a;b";
            if (s && (s->flags & EG_FF_UNKEYED) && s->type == EG_FT_HEADERS)
                extra[n++] = "Authorization";
            break;
        case EG_DK_INT: /* just past its bounds: the settings field's when it names one */
            snprintf(lo, sizeof(lo), "%ld", (s ? s->min : f->min) - 1);
            snprintf(hi, sizeof(hi), "%ld", (s ? s->max : f->max) + 1);
            extra[n++] = lo;
            extra[n++] = hi;
            break;
        default:
            break;
        }
        for (size_t k = 0; bad_values[f->kind][k]; k++) {
            text = replaced(out.data, f->header, bad_values[f->kind][k]);
            refused(text, f->header, bad_values[f->kind][k]);
            free(text);
        }
        for (size_t k = 0; k < n; k++) {
            text = replaced(out.data, f->header, extra[k]);
            refused(text, f->header, extra[k]);
            if (f->flags & EG_DF_EVERY) { /* read in a final answer too */
                free(text);
                text = replaced(refusal.data, f->header, extra[k]);
                refused(text, f->header, extra[k]);
            }
            free(text);
        }
        if (f->flags & EG_DF_REQUIRED) {
            text = replaced(out.data, f->header, NULL);
            r = parse(text, err, sizeof(err));
            ok(r == NULL && strstr(err, "lacks") && strstr(err, f->header),
               "a forward without %s is refused: %s", f->header, r ? "" : err);
            eg_route_unref(r);
            free(text);
        }
    }
    eg_buf_free(&out);
    eg_buf_free(&refusal);
}

static void lenient_where_it_was(void)
{
    char err[256];
    eg_route_t *r = parse("Status: 200\r\nX-Eg-Config: 1\r\nX-Eg-Action: forward\r\n"
                          "x-eg-origin: o\r\nX-EG-ORIGIN-DOMAIN: d\r\n"
                          "X-Eg-Origin-Scheme: https\r\nX-Eg-Origin-Port: 80\r\n"
                          "X-Eg-Newer-Field: whatever\r\nX-Eg-Forward-Query: 1\r\n"
                          "X-Eg-Forward-Query: 0\r\nX-Eg-Cache-Headers: x-a, accept\r\n\r\n",
                          err, sizeof(err));
    ok(r != NULL, "field names in any case, unknown X-Eg-* fields ignored: %s", r ? "" : err);
    ok(r && r->https && !strcmp(r->origin_id, "o") && !strcmp(r->domain, "d"), "  and read");
    ok(r && r->forward_query == 0, "a repeated field: the last counts");
    is_str(r ? r->cache_headers : NULL, "X-A,Accept", "a list is stored as egctl spells it");
    eg_route_unref(r);
}

int main(void)
{
    eg_route_t *bare;
    setup();
    table_agrees_with_settings();
    bare = bare_forward();
    defaults_are_an_older_workers(bare);
    every_row_round_trips(bare);
    eg_route_unref(bare);
    every_row_refuses_malformed_values();
    lenient_where_it_was();
    return done();
}
