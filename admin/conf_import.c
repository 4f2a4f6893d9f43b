/* CloudFront's 2020-05-31 DistributionConfig (XML, or JSON as the AWS CLI prints it) into a
 * distribution. Values go through the settings tables (eg_field_parse), so they are spelled
 * and bounded exactly as egctl takes them; what edgegate does not have is left unread, and
 * eg_cn_report_unused lists it. */
#include <ctype.h>

#include "edgegate/common.h"
#include "edgegate/origin.h"
#include "conf_int.h"

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int conf_aliases(eg_crd_t *r, const eg_cnode_t *where, eg_dist_info_t *info, const char *list)
{
    char err[512], norm[sizeof(info->aliases)], *names[EG_NAME_MAX];
    size_t n = 0, used = 0;
    if (eg_aliases_normalize(list, norm, sizeof(norm), err, sizeof(err)) < 0) {
        eg_cn_msg(r->m, EG_CONF_ERROR, where, r->xml, "%s", err);
        r->errors++;
        return -1;
    }
    /* in the order the database keeps them, so that importing a file twice changes nothing */
    for (char *save = NULL, *a = strtok_r(norm, ",", &save); a && n < EG_ARRAY_LEN(names);
         a = strtok_r(NULL, ",", &save))
        names[n++] = a;
    qsort(names, n, sizeof(*names), cmp_names);
    info->aliases[0] = '\0';
    for (size_t i = 0; i < n; i++)
        used += (size_t)snprintf(info->aliases + used, sizeof(info->aliases) - used, "%s%s",
                                 i ? "," : "", names[i]);
    return 0;
}

/* A string member checked by the settings table; absent: the object keeps its default. */
static int str_field(eg_crd_t *r, const eg_cnode_t *obj, const char *member, int required,
                     const eg_field_t *table, size_t n, const char *field, void *out)
{
    char v[2048];
    int rc = eg_crd_str(r, obj, member, required, v, sizeof(v));
    if (rc <= 0)
        return rc;
    return eg_crd_field(r, eg_cn_get(obj, member), table, n, field, out, v) < 0 ? -1 : 1;
}

static int int_field(eg_crd_t *r, const eg_cnode_t *obj, const char *member, int required,
                     const eg_field_t *table, size_t n, const char *field, void *out)
{
    const eg_field_t *f = eg_field_find(table, n, field);
    char num[32];
    long v;
    int rc = eg_crd_int(r, obj, member, required, f->min, f->max, &v);
    if (rc <= 0)
        return rc;
    snprintf(num, sizeof(num), "%ld", v);
    return eg_crd_field(r, eg_cn_get(obj, member), table, n, field, out, num) < 0 ? -1 : 1;
}

/* An S3 website endpoint: BUCKET.s3-website-REGION.amazonaws.com or
 * BUCKET.s3-website.REGION.amazonaws.com (and .com.cn). */
static int s3_website_domain(const char *d)
{
    const char *p = strstr(d, ".s3-website");
    size_t n = strlen(d);
    return p && p != d && (p[11] == '-' || p[11] == '.') &&
           ((n > 14 && strcmp(d + n - 14, ".amazonaws.com") == 0) ||
            (n > 17 && strcmp(d + n - 17, ".amazonaws.com.cn") == 0));
}

/* An origin Id as edgegate can hold it: CloudFront's may hold characters edgegate's ids do
 * not ("S3-bucket/images"); those become '-', in the origin and in every TargetOriginId
 * alike. 1 when it had to change. */
static int id_sanitize(const char *in, char *out, size_t len)
{
    size_t j = 0;
    int changed = 0;
    for (const char *p = in; *p && j + 1 < len; p++) {
        char c = *p;
        if (!isalnum((unsigned char)c) && c != '-' && c != '_' && c != '.') {
            c = '-';
            changed = 1;
        }
        out[j++] = c;
    }
    out[j] = '\0';
    return changed || strlen(in) != j;
}

static int read_origin(eg_crd_t *r, const eg_cnode_t *it, eg_origin_t *o)
{
    const eg_cnode_t *s3, *custom;
    char err[512];
    int rc;
    size_t before = r->m->nerrors;

    memset(o, 0, sizeof(*o));
    eg_fields_defaults(eg_origin_fields, eg_origin_nfields, o);
    {
        char given[512];
        if (eg_crd_str(r, it, "Id", 1, given, sizeof(given)) > 0) {
            if (id_sanitize(given, o->id, sizeof(o->id)) && o->id[0])
                eg_cn_msg(r->m, EG_CONF_NOTE, eg_cn_get(it, "Id"), r->xml,
                          "origin Id %s is kept as %s (edgegate's ids hold letters, digits, "
                          "'-', '_' and '.')",
                          given, o->id);
            if (eg_id_validate("origin", o->id, err, sizeof(err)) < 0) {
                eg_cn_msg(r->m, EG_CONF_ERROR, eg_cn_get(it, "Id"), r->xml, "%s", err);
                r->errors++;
            }
        }
    }
    str_field(r, it, "DomainName", 1, eg_origin_fields, eg_origin_nfields, "domain", o);
    str_field(r, it, "OriginPath", 0, eg_origin_fields, eg_origin_nfields, "path", o);
    s3 = eg_cn_get(it, "S3OriginConfig");
    custom = eg_cn_get(it, "CustomOriginConfig");
    if ((s3 == NULL) == (custom == NULL)) {
        eg_cn_msg(r->m, EG_CONF_ERROR, it, r->xml,
                  "an origin needs exactly one of S3OriginConfig and CustomOriginConfig");
        r->errors++;
        return -1;
    }
    if (s3) {
        eg_crd_member(r, it, "S3OriginConfig", 1, &rc);
        o->type = EG_OT_S3;
        o->protocol = EG_OPP_MATCH_VIEWER;
        {
            /* an empty OriginAccessIdentity is the CLI's "none"; a set one is not edgegate's */
            const eg_cnode_t *oai = eg_cn_get(s3, "OriginAccessIdentity");
            if (oai && eg_cn_inert(oai))
                ((eg_cnode_t *)oai)->used = 1;
        }
    } else {
        const eg_cnode_t **protos = NULL;
        size_t np = 0;
        eg_crd_member(r, it, "CustomOriginConfig", 1, &rc);
        int_field(r, custom, "HTTPPort", 1, eg_origin_fields, eg_origin_nfields, "http-port", o);
        int_field(r, custom, "HTTPSPort", 1, eg_origin_fields, eg_origin_nfields, "https-port",
                  o);
        str_field(r, custom, "OriginProtocolPolicy", 1, eg_origin_fields, eg_origin_nfields,
                  "protocol", o);
        if (eg_crd_list(r, custom, "OriginSslProtocols", 0, "SslProtocol", &protos, &np) > 0) {
            char list[128] = "";
            size_t used = 0;
            for (size_t i = 0; i < np; i++) {
                char p[32];
                if (eg_crd_item_str(r, protos[i], p, sizeof(p)) < 0)
                    break;
                used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
                                         used ? "," : "", p);
                if (used >= sizeof(list))
                    break;
            }
            if (np == 0) {
                eg_cn_msg(r->m, EG_CONF_ERROR, eg_cn_get(custom, "OriginSslProtocols"), r->xml,
                          "no SSL protocol named");
                r->errors++;
            } else if (r->m->nerrors == before) {
                eg_crd_field(r, eg_cn_get(custom, "OriginSslProtocols"), eg_origin_fields,
                            eg_origin_nfields, "ssl-protocols", o, list);
            }
        }
        free(protos);
        int_field(r, custom, "OriginReadTimeout", 0, eg_origin_fields, eg_origin_nfields,
                  "read-timeout", o);
        int_field(r, custom, "OriginKeepaliveTimeout", 0, eg_origin_fields, eg_origin_nfields,
                  "keepalive-timeout", o);
        if (s3_website_domain(o->domain)) {
            o->type = EG_OT_S3_WEBSITE;
            eg_cn_msg(r->m, EG_CONF_NOTE, it, r->xml,
                      "origin %s: %s is an S3 website endpoint: an s3-website origin", o->id,
                      o->domain);
        }
    }
    if (r->m->nerrors != before)
        return -1;
    if (eg_origin_validate(o, err, sizeof(err)) < 0 ||
        eg_origin_tls_check_protocols(o->ssl_protocols, err, sizeof(err)) < 0) {
        eg_cn_msg(r->m, EG_CONF_ERROR, it, r->xml, "%s", err);
        r->errors++;
        return -1;
    }
    return 0;
}

static const char *const all_methods[] = {"GET", "HEAD", "OPTIONS", "PUT",
                                          "POST", "PATCH", "DELETE"};

/* A {Quantity, Items: Method} set into the index of edgegate's set it equals. */
static int read_methods(eg_crd_t *r, const eg_cnode_t *obj, const char *member, int cached,
                        int *out)
{
    const eg_cnode_t **items = NULL;
    size_t n = 0;
    unsigned seen = 0;
    int rc = eg_crd_list(r, obj, member, 1, "Method", &items, &n);
    if (rc <= 0)
        goto out;
    rc = -1;
    for (size_t i = 0; i < n; i++) {
        char m[16];
        size_t k;
        if (eg_crd_item_str(r, items[i], m, sizeof(m)) < 0)
            goto out;
        for (k = 0; k < EG_ARRAY_LEN(all_methods) && strcmp(all_methods[k], m) != 0; k++)
            ;
        if (k == EG_ARRAY_LEN(all_methods) || (seen & (1u << k))) {
            eg_cn_msg(r->m, EG_CONF_ERROR, items[i], r->xml,
                      k == EG_ARRAY_LEN(all_methods) ? "\"%s\" is not a method CloudFront allows"
                                                     : "%s is named twice",
                      m);
            r->errors++;
            goto out;
        }
        seen |= 1u << k;
    }
    if (seen == 0x3)
        *out = EG_AM_GET_HEAD;
    else if (seen == 0x7)
        *out = EG_AM_GET_HEAD_OPTIONS;
    else if (seen == 0x7f && !cached)
        *out = EG_AM_ALL;
    else {
        eg_cn_msg(r->m, EG_CONF_ERROR, eg_cn_get(obj, member), r->xml,
                  cached ? "cached methods are GET, HEAD or GET, HEAD, OPTIONS"
                         : "allowed methods are GET, HEAD; GET, HEAD, OPTIONS; or all seven "
                           "(GET, HEAD, OPTIONS, PUT, POST, PATCH, DELETE)");
        r->errors++;
        goto out;
    }
    rc = 1;
out:
    free(items);
    return rc;
}

static int read_behavior(eg_crd_t *r, const eg_cnode_t *it, int is_default, eg_behavior_t *b)
{
    char err[512], given[EG_PATH_MAX];
    const eg_cnode_t *am;
    size_t before = r->m->nerrors;
    int rc;

    memset(b, 0, sizeof(*b));
    eg_fields_defaults(eg_behavior_fields, eg_behavior_nfields, b);
    if (is_default) {
        strcpy(b->path_pattern, "*");
    } else if (eg_crd_str(r, it, "PathPattern", 1, given, sizeof(given)) > 0) {
        const eg_cnode_t *pn = eg_cn_get(it, "PathPattern");
        if (strcmp(given, "*") == 0) {
            eg_cn_msg(r->m, EG_CONF_ERROR, pn, r->xml,
                      "* is the default behavior's pattern (DefaultCacheBehavior)");
            r->errors++;
        } else if (eg_pattern_normalize(given, b->path_pattern, sizeof(b->path_pattern), err,
                                        sizeof(err)) < 0) {
            eg_cn_msg(r->m, EG_CONF_ERROR, pn, r->xml, "%s", err);
            r->errors++;
        }
    }
    {
        char target[512];
        if (eg_crd_str(r, it, "TargetOriginId", 1, target, sizeof(target)) > 0)
            id_sanitize(target, b->origin_id, sizeof(b->origin_id));
    }
    str_field(r, it, "ViewerProtocolPolicy", 1, eg_behavior_fields, eg_behavior_nfields,
              "viewer-protocol", b);
    am = eg_crd_member(r, it, "AllowedMethods", 0, &rc);
    if (am) {
        read_methods(r, it, "AllowedMethods", 0, &b->allowed_methods);
        if (eg_cn_get(am, "CachedMethods"))
            read_methods(r, am, "CachedMethods", 1, &b->cached_methods);
    }
    if (r->m->nerrors != before)
        return -1;
    if (eg_conf_policy_import(it, r->xml, b, r->m) < 0)
        return -1;
    if (eg_behavior_validate(b, err, sizeof(err)) < 0) {
        eg_cn_msg(r->m, EG_CONF_ERROR, it, r->xml, "%s", err);
        r->errors++;
        return -1;
    }
    return 0;
}

/* A behavior whose TargetOriginId names no origin of the file (the origins are read first). */
static int unknown_origin(eg_crd_t *r, const eg_cnode_t *it, const eg_dist_t *d,
                          const eg_behavior_t *b)
{
    if (eg_dist_find_origin(d, b->origin_id))
        return 0;
    eg_cn_msg(r->m, EG_CONF_ERROR, eg_cn_get(it, "TargetOriginId"), r->xml,
              "behavior %s: no origin \"%s\" in Origins", b->path_pattern, b->origin_id);
    r->errors++;
    return 1;
}

static int read_error_ttl(eg_crd_t *r, const eg_cnode_t *cfg, eg_dist_info_t *info)
{
    const eg_cnode_t **items = NULL;
    size_t n = 0, covered = 0;
    long ttl = -1;
    int rc = eg_crd_list(r, cfg, "CustomErrorResponses", 0, "CustomErrorResponse", &items, &n);
    if (rc < 0)
        return -1;
    rc = 0;
    for (size_t i = 0; i < n; i++) {
        long code, t;
        if (eg_crd_int(r, items[i], "ErrorCode", 1, 100, 599, &code) < 0 ||
            eg_crd_int(r, items[i], "ErrorCachingMinTTL", 1, 0, 31536000, &t) < 0) {
            rc = -1;
            continue;
        }
        if (ttl >= 0 && t != ttl) {
            eg_cn_msg(r->m, EG_CONF_ERROR, items[i], r->xml,
                      "ErrorCachingMinTTL %ld differs from the %ld of an earlier code: edgegate "
                      "has one value for every error code",
                      t, ttl);
            r->errors++;
            rc = -1;
        }
        ttl = t;
        for (size_t k = 0; k < eg_conf_n_error_codes; k++)
            if (eg_conf_error_codes[k] == code)
                covered++;
    }
    if (rc == 0 && n) {
        char num[32];
        snprintf(num, sizeof(num), "%ld", ttl);
        if (eg_crd_field(r, eg_cn_get(cfg, "CustomErrorResponses"), eg_dist_fields,
                        eg_dist_nfields, "error-caching-min-ttl", info, num) < 0)
            rc = -1;
        else if (covered != eg_conf_n_error_codes)
            eg_cn_msg(r->m, EG_CONF_NOTE, eg_cn_get(cfg, "CustomErrorResponses"), r->xml,
                      "edgegate applies ErrorCachingMinTTL %ld to every error it caches (400, "
                      "403, 404, 405, 414, 416, 500 to 504), not only to the codes listed",
                      ttl);
    }
    free(items);
    return rc;
}

int eg_conf_import_2020(const eg_cnode_t *cfg, int xml, eg_dist_t *out, eg_conf_msgs_t *m)
{
    eg_crd_t r = {xml, m, 0};
    const eg_cnode_t **items = NULL, *def;
    size_t n = 0;
    char ref[256];
    int rc, origins_ok;

    /* the distribution's settings */
    if (eg_crd_str(&r, cfg, "CallerReference", 1, ref, sizeof(ref)) > 0 &&
        strcmp(ref, out->info.id) != 0)
        eg_cn_msg(m, EG_CONF_NOTE, eg_cn_get(cfg, "CallerReference"), xml,
                  "CallerReference %s is not kept: edgegate names the distribution %s", ref,
                  out->info.id);
    if (eg_crd_list(&r, cfg, "Aliases", 0, "CNAME", &items, &n) > 0) {
        eg_buf_t list = {0};
        for (size_t i = 0; i < n; i++) {
            char a[EG_NAME_MAX];
            if (eg_crd_item_str(&r, items[i], a, sizeof(a)) == 0)
                eg_buf_printf(&list, "%s%s", i ? "," : "", a);
        }
        if (list.len)
            conf_aliases(&r, eg_cn_get(cfg, "Aliases"), &out->info, list.data);
        eg_buf_free(&list);
    }
    free(items);
    items = NULL;
    str_field(&r, cfg, "Comment", 0, eg_dist_fields, eg_dist_nfields, "comment", &out->info);
    {
        int enabled;
        if (eg_crd_bool(&r, cfg, "Enabled", 1, &enabled) > 0)
            out->info.enabled = enabled;
    }
    read_error_ttl(&r, cfg, &out->info);

    /* origins */
    rc = eg_crd_list(&r, cfg, "Origins", 1, "Origin", &items, &n);
    origins_ok = rc > 0 && n > 0;
    if (rc > 0 && n == 0) {
        eg_cn_msg(m, EG_CONF_ERROR, eg_cn_get(cfg, "Origins"), xml, "no origin");
        r.errors++;
    }
    if (rc > 0 && n) {
        out->origins = eg_calloc(n, sizeof(*out->origins));
        for (size_t i = 0; i < n; i++) {
            if (read_origin(&r, items[i], &out->origins[out->n_origins]) < 0) {
                origins_ok = 0;
                continue;
            }
            for (size_t k = 0; k < out->n_origins; k++)
                if (strcmp(out->origins[k].id, out->origins[out->n_origins].id) == 0) {
                    eg_cn_msg(m, EG_CONF_ERROR, items[i], xml, "origin Id %s appears twice",
                              out->origins[k].id);
                    r.errors++;
                }
            out->n_origins++;
        }
    }
    free(items);
    items = NULL;

    /* behaviors: the cache behaviors in order, then the default */
    def = eg_crd_member(&r, cfg, "DefaultCacheBehavior", 1, &rc);
    rc = eg_crd_list(&r, cfg, "CacheBehaviors", 0, "CacheBehavior", &items, &n);
    out->behaviors = eg_calloc(n + 1, sizeof(*out->behaviors));
    for (size_t i = 0; rc > 0 && i < n; i++) {
        eg_behavior_t *b = &out->behaviors[out->n_behaviors];
        if (read_behavior(&r, items[i], 0, b) < 0 ||
            (origins_ok && unknown_origin(&r, items[i], out, b)))
            continue;
        for (size_t k = 0; k < out->n_behaviors; k++)
            if (strcmp(out->behaviors[k].path_pattern, b->path_pattern) == 0) {
                eg_cn_msg(m, EG_CONF_ERROR, items[i], xml, "path pattern %s appears twice",
                          b->path_pattern);
                r.errors++;
            }
        b->precedence = (int)out->n_behaviors;
        out->n_behaviors++;
    }
    free(items);
    if (def && read_behavior(&r, def, 1, &out->behaviors[out->n_behaviors]) == 0 &&
        !(origins_ok && unknown_origin(&r, def, out, &out->behaviors[out->n_behaviors]))) {
        out->behaviors[out->n_behaviors].precedence = 2147483647;
        out->n_behaviors++;
    }
    return r.errors || m->nerrors ? -1 : 0;
}
