/* The table of the decision's fields on the wire, and the one writer and one reader it
 * drives. The worker writes from its validated configuration; the front checks whatever
 * came back (what a settings field spells, with egctl's own parser) before a route holds it. */
#include <assert.h>
#include <limits.h>
#include <strings.h>

#include "edgegate/common.h"
#include "edgegate/decision.h"

#define ROUTE(m) .off = offsetof(eg_route_t, m), .size = sizeof(((eg_route_t *)0)->m)
#define FROM(s, type, m) .src = s, .src_off = offsetof(type, m)

/* In the order the worker writes them. */
const eg_decision_field_t eg_decision_fields[] = {
    {.header = "X-Eg-Dist", .kind = EG_DK_STR, .flags = EG_DF_EVERY, ROUTE(dist),
     FROM(EG_DS_DIST, eg_dist_info_t, id)},
    {.header = "X-Eg-Behavior", .kind = EG_DK_STR, .flags = EG_DF_EVERY, ROUTE(behavior),
     FROM(EG_DS_BEHAVIOR, eg_behavior_t, path_pattern)},
    {.header = "X-Eg-Origin", .kind = EG_DK_STR, .flags = EG_DF_REQUIRED, .min = 1,
     ROUTE(origin_id), FROM(EG_DS_ORIGIN, eg_origin_t, id)},
    {.header = "X-Eg-Origin-Domain", .kind = EG_DK_STR, .flags = EG_DF_REQUIRED, .min = 1,
     ROUTE(domain), FROM(EG_DS_ORIGIN, eg_origin_t, domain)},
    {.header = "X-Eg-Origin-Scheme", .kind = EG_DK_CHOICE, .flags = EG_DF_REQUIRED,
     .choices = "http|https", ROUTE(https),
     FROM(EG_DS_DECISION, eg_policy_decision_t, origin_https)},
    {.header = "X-Eg-Origin-Port", .kind = EG_DK_INT, .flags = EG_DF_REQUIRED, .min = 1,
     .max = 65535, ROUTE(port), FROM(EG_DS_DECISION, eg_policy_decision_t, origin_port)},
    {.header = "X-Eg-Origin-Path", .kind = EG_DK_STR, ROUTE(origin_path),
     FROM(EG_DS_ORIGIN, eg_origin_t, origin_path)},
    {.header = "X-Eg-Origin-SSL", .kind = EG_DK_SET, .setting = "ssl-protocols",
     .def = "TLSv1.2", ROUTE(ssl_protocols), FROM(EG_DS_ORIGIN, eg_origin_t, ssl_protocols)},
    /* the bounds the front has always taken, wider than egctl's (1 to 180) */
    {.header = "X-Eg-Read-Timeout", .kind = EG_DK_INT, .min = 1, .max = 3600, .def = "30",
     ROUTE(read_timeout), FROM(EG_DS_ORIGIN, eg_origin_t, read_timeout)},
    {.header = "X-Eg-Keepalive-Timeout", .kind = EG_DK_INT, .min = 1, .max = 3600, .def = "5",
     ROUTE(keepalive_timeout), FROM(EG_DS_ORIGIN, eg_origin_t, keepalive_timeout)},
    {.header = "X-Eg-Forward-Host", .kind = EG_DK_INT, .min = 0, .max = 1, .def = "0",
     ROUTE(forward_host), FROM(EG_DS_BEHAVIOR, eg_behavior_t, forward_host)},
    {.header = "X-Eg-Forward-Query", .kind = EG_DK_INT, .min = 0, .max = 1, .def = "1",
     ROUTE(forward_query), FROM(EG_DS_BEHAVIOR, eg_behavior_t, forward_query)},
    {.header = "X-Eg-Cached-Methods", .kind = EG_DK_METHODS, .setting = "cached-methods",
     .def = "GET,HEAD", ROUTE(cached_methods),
     FROM(EG_DS_BEHAVIOR, eg_behavior_t, cached_methods)},
    {.header = "X-Eg-TTL", .kind = EG_DK_TTL, .def = "0,86400,31536000", ROUTE(min_ttl),
     FROM(EG_DS_BEHAVIOR, eg_behavior_t, min_ttl)},
    /* nothing extra is forwarded unless the worker says so (an older worker does not) */
    {.header = "X-Eg-Cache-Headers", .kind = EG_DK_NAMES, .setting = "cache-headers",
     .def = "none", ROUTE(cache_headers), FROM(EG_DS_BEHAVIOR, eg_behavior_t, cache_headers)},
    {.header = "X-Eg-Cache-Cookies", .kind = EG_DK_NAMES, .setting = "cache-cookies",
     .def = "none", ROUTE(cache_cookies), FROM(EG_DS_BEHAVIOR, eg_behavior_t, cache_cookies)},
    {.header = "X-Eg-Origin-Headers", .kind = EG_DK_NAMES, .setting = "origin-headers",
     .def = "none", ROUTE(origin_headers), FROM(EG_DS_BEHAVIOR, eg_behavior_t, origin_headers)},
    {.header = "X-Eg-Origin-Cookies", .kind = EG_DK_NAMES, .setting = "origin-cookies",
     .def = "none", ROUTE(origin_cookies), FROM(EG_DS_BEHAVIOR, eg_behavior_t, origin_cookies)},
    /* CloudFront's default for an older worker, which does not send it */
    {.header = "X-Eg-Error-Caching-Min-TTL", .kind = EG_DK_INT, .setting = "error-caching-min-ttl",
     .def = "10", ROUTE(error_min_ttl), FROM(EG_DS_DIST, eg_dist_info_t, error_min_ttl)},
};
const size_t eg_decision_nfields = EG_ARRAY_LEN(eg_decision_fields);

/* EG_DK_TTL reads and writes three ints from one offset. */
_Static_assert(offsetof(eg_route_t, max_ttl) == offsetof(eg_route_t, min_ttl) + 2 * sizeof(int) &&
                   offsetof(eg_route_t, default_ttl) == offsetof(eg_route_t, min_ttl) + sizeof(int),
               "the route's TTLs are three ints in a row");
_Static_assert(offsetof(eg_behavior_t, max_ttl) ==
                       offsetof(eg_behavior_t, min_ttl) + 2 * sizeof(int) &&
                   offsetof(eg_behavior_t, default_ttl) ==
                       offsetof(eg_behavior_t, min_ttl) + sizeof(int),
               "the behavior's TTLs are three ints in a row");

/* The longest value the front reads (a forwarding list; every other field is shorter). */
#define VALUE_MAX EG_NAME_LIST_MAX

static int in_part(const eg_decision_field_t *f, eg_decision_part_t part)
{
    return (f->flags & EG_DF_EVERY) ? part == EG_DECISION_EVERY : part == EG_DECISION_FORWARD;
}

const eg_field_t *eg_decision_setting(const eg_decision_field_t *f)
{
    if (f->setting == NULL)
        return NULL;
    switch (f->src) {
    case EG_DS_DIST:
        return eg_field_find(eg_dist_fields, eg_dist_nfields, f->setting);
    case EG_DS_ORIGIN:
        return eg_field_find(eg_origin_fields, eg_origin_nfields, f->setting);
    case EG_DS_BEHAVIOR:
        return eg_field_find(eg_behavior_fields, eg_behavior_nfields, f->setting);
    case EG_DS_DECISION:
        break;
    }
    return NULL;
}

/* The settings field of a row whose kind needs one (a missing one is a bug in the table). */
static const eg_field_t *setting(const eg_decision_field_t *f)
{
    const eg_field_t *s = eg_decision_setting(f);
    assert(s != NULL && s->off == f->src_off);
    return s;
}

static const void *source(const eg_decision_field_t *f, const eg_policy_decision_t *d)
{
    switch (f->src) {
    case EG_DS_DECISION:
        return d;
    case EG_DS_DIST:
        return d->dist ? &d->dist->info : NULL;
    case EG_DS_ORIGIN:
        return d->origin;
    case EG_DS_BEHAVIOR:
        return d->behavior;
    }
    return NULL;
}

static void write_value(eg_buf_t *out, const eg_decision_field_t *f, const char *v)
{
    char buf[VALUE_MAX];
    int ttl[3];
    switch (f->kind) {
    case EG_DK_STR:
    case EG_DK_NAMES:
        eg_buf_adds(out, v);
        return;
    case EG_DK_INT:
        eg_buf_printf(out, "%d", *(const int *)v);
        return;
    case EG_DK_CHOICE:
        eg_choice_name(f->choices, *(const int *)v, buf, sizeof(buf));
        eg_buf_adds(out, buf);
        return;
    case EG_DK_SET:
    case EG_DK_METHODS:
        eg_field_format_at(setting(f), v, buf, sizeof(buf));
        eg_buf_adds(out, buf);
        return;
    case EG_DK_TTL:
        memcpy(ttl, v, sizeof(ttl));
        eg_buf_printf(out, "%d,%d,%d", ttl[0], ttl[1], ttl[2]);
        return;
    }
    abort(); /* a kind this switch does not know is a bug */
}

void eg_decision_write(eg_buf_t *out, const eg_policy_decision_t *d, eg_decision_part_t part)
{
    for (size_t i = 0; i < eg_decision_nfields; i++) {
        const eg_decision_field_t *f = &eg_decision_fields[i];
        const char *src = source(f, d);
        if (!in_part(f, part) || src == NULL)
            continue;
        eg_buf_adds(out, f->header);
        eg_buf_adds(out, ": ");
        write_value(out, f, src + f->src_off);
        eg_buf_adds(out, "\r\n");
    }
}

/* A whole decimal number from min to max, nothing around it. */
static int read_int(const char *s, long min, long max, long *out)
{
    char *end;
    long v;
    if (*s != '-' && (*s < '0' || *s > '9'))
        return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* "min,default,max": three whole numbers from 0, none above the next. s is cut up. */
static int read_ttl(char *s, int ttl[3])
{
    long v;
    for (int i = 0; i < 3; i++) {
        char *comma = strchr(s, ',');
        if ((comma == NULL) != (i == 2))
            return -1;
        if (comma)
            *comma = '\0';
        if (read_int(s, 0, INT_MAX, &v) < 0)
            return -1;
        ttl[i] = (int)v;
        if (comma)
            s = comma + 1;
    }
    return ttl[0] <= ttl[1] && ttl[1] <= ttl[2] ? 0 : -1;
}

/* Reads one value (len bytes, not NUL-terminated) into r; -1 with the reason in why. */
static int read_value(const eg_decision_field_t *f, const char *value, size_t len, eg_route_t *r,
                      char *why, size_t whylen)
{
    char *dst = (char *)r + f->off, tmp[VALUE_MAX], names[VALUE_MAX];
    const eg_field_t *s;
    long v;
    int i, ttl[3];

    if (len >= sizeof(tmp) || (f->kind == EG_DK_STR && len >= f->size)) {
        eg_errf(why, whylen, "longer than %zu bytes",
                (f->kind == EG_DK_STR ? f->size : sizeof(tmp)) - 1);
        return -1;
    }
    memcpy(tmp, value, len);
    tmp[len] = '\0';
    switch (f->kind) {
    case EG_DK_STR:
        if (len < (size_t)f->min) {
            eg_errf(why, whylen, "empty");
            return -1;
        }
        memcpy(dst, tmp, len + 1);
        return 0;
    case EG_DK_INT:
        if (f->setting) {
            if (eg_field_parse_at(setting(f), &i, tmp, why, whylen) < 0)
                return -1;
            *(int *)dst = i;
            return 0;
        }
        if (read_int(tmp, f->min, f->max, &v) < 0) {
            eg_errf(why, whylen, "not a whole number from %ld to %ld", f->min, f->max);
            return -1;
        }
        *(int *)dst = (int)v;
        return 0;
    case EG_DK_CHOICE:
        if ((i = eg_choice_index(f->choices, tmp, len)) < 0) {
            eg_errf(why, whylen, "not one of %s", f->choices);
            return -1;
        }
        *(int *)dst = i;
        return 0;
    case EG_DK_SET:
        if (eg_field_parse_at(setting(f), &i, tmp, why, whylen) < 0)
            return -1;
        *(int *)dst = i;
        return 0;
    case EG_DK_METHODS:
        if (eg_field_parse_at(setting(f), &i, tmp, why, whylen) < 0)
            return -1;
        *(unsigned *)dst = eg_methods_mask(i);
        return 0;
    case EG_DK_TTL:
        if (read_ttl(tmp, ttl) < 0) {
            eg_errf(why, whylen, "not three whole numbers min,default,max in that order");
            return -1;
        }
        memcpy(dst, ttl, sizeof(ttl));
        return 0;
    case EG_DK_NAMES:
        s = setting(f);
        assert(s->size <= sizeof(names));
        if (eg_field_parse_at(s, names, tmp, why, whylen) < 0)
            return -1;
        free(*(char **)dst);
        *(char **)dst = eg_strdup(names);
        return 0;
    }
    abort(); /* a kind this switch does not know is a bug */
}

static const eg_decision_field_t *find(const char *name, size_t len)
{
    for (size_t i = 0; i < eg_decision_nfields; i++)
        if (strlen(eg_decision_fields[i].header) == len &&
            strncasecmp(eg_decision_fields[i].header, name, len) == 0)
            return &eg_decision_fields[i];
    return NULL;
}

void eg_decision_defaults(eg_route_t *r)
{
    char why[256];
    for (size_t i = 0; i < eg_decision_nfields; i++) {
        const eg_decision_field_t *f = &eg_decision_fields[i];
        if (f->def && read_value(f, f->def, strlen(f->def), r, why, sizeof(why)) < 0) {
            eg_log_error("%s: the default '%s' does not read: %s", f->header, f->def, why);
            abort(); /* a default that does not read is a bug in the table */
        }
    }
}

int eg_decision_read(const eg_http_head_t *h, eg_decision_part_t part, eg_route_t *r, char *err,
                     size_t errlen)
{
    unsigned char seen[EG_ARRAY_LEN(eg_decision_fields)] = {0};
    char why[256];
    for (size_t i = 0; i < h->n_headers; i++) {
        const eg_header_t *hd = &h->headers[i];
        const eg_decision_field_t *f = find(hd->name, hd->name_len);
        if (f == NULL || !in_part(f, part))
            continue; /* unknown X-Eg-* headers are for newer fronts */
        seen[f - eg_decision_fields] = 1;
        if (read_value(f, hd->value, hd->value_len, r, why, sizeof(why)) < 0) {
            eg_errf(err, errlen, "policy answer has a bad %s header (%s)", f->header, why);
            return -1;
        }
    }
    for (size_t i = 0; i < eg_decision_nfields; i++)
        if (in_part(&eg_decision_fields[i], part) &&
            (eg_decision_fields[i].flags & EG_DF_REQUIRED) && !seen[i]) {
            eg_errf(err, errlen, "policy answer to forward lacks %s",
                    eg_decision_fields[i].header);
            return -1;
        }
    return 0;
}

void eg_decision_clear(eg_route_t *r)
{
    for (size_t i = 0; i < eg_decision_nfields; i++)
        if (eg_decision_fields[i].kind == EG_DK_NAMES) {
            char **p = (char **)((char *)r + eg_decision_fields[i].off);
            free(*p);
            *p = NULL;
        }
}
